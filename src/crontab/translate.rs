//! The translation: crontab lines in, unit texts and diagnostics out.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use sundial_calendar::cron::{CronExpr, CronOptions, CronSchedule};
use sundial_calendar::{CalendarSpec, Zone};

use super::anacron::{self, AnacronJob, AnacronLine, Period};
use super::command::split_percent;
use super::dirs::{dir_use, starts_anacron, DirPeriod, DirUse};
use super::env::CronEnv;
use super::job::{classify, comment_is_code, parse_job, JobLine, Line};
use super::mail::is_safe_address;
use super::naming::{self, NameRequest};
use super::render::{self, JobPlan, MailStyle, Origin, Trigger};
use super::{
    CrontabDiagnostic, CrontabKind, CrontabSource, GeneratedUnit, Passwd, TranslateOptions,
    Translation,
};
use crate::unit::values::valid_env_name;
use crate::unit::Scope;

const NO_NEWLINE: &str = "no newline at the end of the file: cron ignores this last line \
                          (and crontab(1) refuses the file); end it with a newline";

/// Translates `sources` into units for `options.scope`.
///
/// Each job becomes a `.timer` and a `.service` (`@reboot` jobs a timer
/// that fires once per boot); every cron directory run by the sources
/// becomes one pair (`cron-daily`); jobs that mail their output get a mail
/// unit template beside them. Diagnostics name the file and line; with an
/// error among them, the units must not be used.
///
/// ```
/// use sundial::crontab::{translate, CrontabKind, CrontabSource, TranslateOptions};
/// use sundial::unit::Scope;
///
/// let source = CrontabSource {
///     path: "/home/ann/crontab".into(),
///     text: "# nightly backup\n30 2 * * * backup --all\n".into(),
///     kind: CrontabKind::User,
///     owner: None,
/// };
/// let t = translate(&[source], &TranslateOptions::new(Scope::User));
/// assert!(!t.has_errors(), "{:?}", t.diagnostics);
/// let names: Vec<&str> = t.units.iter().map(|u| u.name.as_str()).collect();
/// assert_eq!(names, ["nightly-backup.service", "nightly-backup.timer"]);
/// assert!(t.units[1].text.contains("OnCalendar=*-*-* 02:30:00\n"));
/// ```
pub fn translate(sources: &[CrontabSource], options: &TranslateOptions) -> Translation {
    let mut cx = Cx {
        options,
        has_anacron: sources.iter().any(|s| s.kind == CrontabKind::Anacron),
        diagnostics: Vec::new(),
        plans: Vec::new(),
        dirs: BTreeMap::new(),
        mailing: BTreeMap::new(),
        without_sendmail: BTreeSet::new(),
    };
    for source in sources {
        match source.kind {
            CrontabKind::User | CrontabKind::System => cx.cron_file(source),
            CrontabKind::Anacron => cx.anacron_file(source),
            CrontabKind::Directory => cx.directory(source),
        }
    }
    cx.finish_directories();
    for path in std::mem::take(&mut cx.without_sendmail) {
        cx.diagnostics.push(CrontabDiagnostic::file_warning(
            &path,
            "no sendmail on this system: the output of its jobs is not mailed, it stays in \
             `sundial logs`",
        ));
    }
    cx.finish(sources)
}

/// A directory's runs as the sources name them.
#[derive(Debug, Default)]
struct DirRuns {
    /// The first cron line that runs it.
    cron: Option<JobPlan>,
    /// The cron line's schedule, for anacron's delay.
    cron_schedule: Option<CronSchedule>,
    /// The cron line's `CRON_TZ`.
    cron_zone: Option<String>,
    /// The first anacrontab line that runs it.
    anacron: Option<(JobPlan, AnacronTiming)>,
    /// Where the directory was listed (a Directory source).
    listed: Option<PathBuf>,
}

/// What anacron's file says about when its jobs run.
#[derive(Debug, Clone, Copy, Default)]
struct AnacronTiming {
    delay: u32,
    hours: Option<(u32, u32)>,
    preferred_hour: Option<u32>,
    period: Option<Period>,
}

struct Cx<'o> {
    options: &'o TranslateOptions,
    has_anacron: bool,
    diagnostics: Vec<CrontabDiagnostic>,
    plans: Vec<JobPlan>,
    dirs: BTreeMap<DirPeriod, DirRuns>,
    /// The sources of the jobs that mail, by unit directory and style.
    mailing: BTreeMap<(Option<String>, MailStyle), BTreeSet<PathBuf>>,
    /// Sources whose jobs would mail, on a host without sendmail.
    without_sendmail: BTreeSet<PathBuf>,
}

impl Cx<'_> {
    fn error(&mut self, path: &Path, line: usize, message: impl Into<String>) {
        self.diagnostics
            .push(CrontabDiagnostic::error(path, line, message));
    }

    fn warning(&mut self, path: &Path, line: usize, message: impl Into<String>) {
        self.diagnostics
            .push(CrontabDiagnostic::warning(path, line, message));
    }

    /// A user crontab, `/etc/crontab` or a cron.d file.
    fn cron_file(&mut self, source: &CrontabSource) {
        let path = &source.path;
        let seed_key = path.display().to_string();
        let mut env = CronEnv::default();
        let mut comment: Option<String> = None;
        let pieces: Vec<&str> = source.text.split('\n').collect();
        let last = pieces.len() - 1;
        for (i, raw) in pieces.iter().enumerate() {
            if i == last && raw.is_empty() {
                break;
            }
            let number = i + 1;
            let unterminated = i == last;
            let above = comment.take();
            match classify(raw) {
                Line::Blank => {}
                Line::Comment(text) => {
                    if !comment_is_code(text) {
                        comment = naming::from_comment(text);
                    }
                }
                Line::Assignment(name, value) => {
                    if unterminated {
                        self.error(path, number, NO_NEWLINE);
                        continue;
                    }
                    self.check_assignment(path, number, &name, &value, &env);
                    env.set(&name, &value);
                }
                Line::Job(text) => {
                    if unterminated {
                        self.error(path, number, NO_NEWLINE);
                        continue;
                    }
                    let indent = raw.len() - text.len();
                    let user_field = source.kind == CrontabKind::System;
                    match parse_job(text, user_field, self.options.seconds, &seed_key) {
                        Ok(job) => self.cron_job(source, number, raw, job, &env, above),
                        Err(e) => {
                            let mut d = CrontabDiagnostic::error(path, number, e.message);
                            d.column = Some(indent + e.offset + 1);
                            self.diagnostics.push(d);
                        }
                    }
                }
            }
        }
    }

    /// Checks what an assignment does beyond setting a variable.
    fn check_assignment(
        &mut self,
        path: &Path,
        line: usize,
        name: &str,
        value: &str,
        env: &CronEnv,
    ) {
        if !valid_env_name(name) {
            self.warning(
                path,
                line,
                format!(
                    "'{name}' cannot be passed to a service (systemd allows letters, digits and \
                     '_', not first a digit): the jobs below run without it"
                ),
            );
        }
        match name {
            "CRON_TZ" => {
                let zone = value.trim_start_matches(':');
                if zone.is_empty() {
                    self.error(
                        path,
                        line,
                        "CRON_TZ= is empty: cron schedules the jobs below in UTC; write \
                         CRON_TZ=UTC if that is meant",
                    );
                } else if zone != "UTC" && self.options.zones.load(zone).is_none() {
                    self.error(
                        path,
                        line,
                        format!(
                            "unknown time zone '{zone}': cron would schedule the jobs below in UTC"
                        ),
                    );
                }
            }
            "TZ" if env.get("CRON_TZ").is_none() => self.warning(
                path,
                line,
                "TZ= is the jobs' environment, not their schedule's zone: cron runs the jobs \
                 below on the system's time (CRON_TZ= sets the schedule's zone)",
            ),
            "RANDOM_DELAY" => {
                let minutes = cron_random_delay(value);
                if value.trim().parse::<u32>().ok() != Some(minutes) || minutes > 24 * 60 {
                    self.warning(
                        path,
                        line,
                        format!(
                            "RANDOM_DELAY={value} is not a number of minutes from 0 to 1440: \
                             cron reads it as {minutes}"
                        ),
                    );
                }
            }
            "SHELL" if !value.starts_with('/') => self.error(
                path,
                line,
                format!(
                    "SHELL={value} is not an absolute path: cron cannot run it (it runs the \
                     shell with execle(), which does not search PATH)"
                ),
            ),
            "HOME" if !value.is_empty() && !value.starts_with('/') => self.warning(
                path,
                line,
                format!("HOME={value} is relative: cron changes to it from /, and so does sundial"),
            ),
            "MAILTO" | "MAILFROM" if value.contains('$') => self.warning(
                path,
                line,
                format!(
                    "cronie expands variables in {name} from the cron daemon's own environment; \
                     sundial expands them from the job's"
                ),
            ),
            "MAILTO" if !value.is_empty() && !is_safe_address(value) => self.warning(
                path,
                line,
                format!(
                    "cron mails nothing to '{value}' (it refuses characters other than letters, \
                     digits and @!:%-.,_+), and neither does sundial"
                ),
            ),
            _ => {}
        }
    }

    /// The user a job runs as, where its units go, and its `User=`.
    fn job_user(
        &mut self,
        source: &CrontabSource,
        line: usize,
        field: Option<&str>,
    ) -> Option<(String, Option<String>, Option<String>)> {
        let o = self.options;
        let caller = o.caller.as_ref().map(|c| c.name.clone());
        if let Some(field) = field {
            return match o.scope {
                Scope::System => Some((field.to_owned(), Some(field.to_owned()), None)),
                Scope::User if caller.as_deref() == Some(field) || caller.is_none() => {
                    Some((field.to_owned(), None, None))
                }
                Scope::User => {
                    self.error(
                        &source.path,
                        line,
                        format!(
                            "the job runs as '{field}': a user's daemon runs jobs as that user \
                             only; import this file with --system"
                        ),
                    );
                    None
                }
            };
        }
        let owner = source.owner.clone();
        let is_root = |name: &str| name == "root" || o.users.get(name).is_some_and(|u| u.uid == 0);
        match (o.scope, owner) {
            (Scope::System, Some(owner)) if !is_root(&owner) => {
                Some((owner.clone(), None, Some(owner)))
            }
            (Scope::System, owner) => {
                Some((owner.unwrap_or_else(|| "root".to_owned()), None, None))
            }
            (Scope::User, owner) => Some((
                owner.or(caller).unwrap_or_else(|| "root".to_owned()),
                None,
                None,
            )),
        }
    }

    /// The user's passwd entry; warns once per line when there is none.
    fn passwd(&mut self, path: &Path, line: usize, user: &str) -> Option<Passwd> {
        let o = self.options;
        let found = o
            .users
            .get(user)
            .or(o.caller.as_ref().filter(|c| c.name == user))
            .cloned();
        if found.is_none() && !o.users.is_empty() {
            self.warning(
                path,
                line,
                format!("there is no user '{user}' on this system: the job fails, as under cron"),
            );
        }
        found
    }

    /// One job line of a cron crontab.
    fn cron_job(
        &mut self,
        source: &CrontabSource,
        number: usize,
        raw: &str,
        job: JobLine,
        env: &CronEnv,
        comment: Option<String>,
    ) {
        let path = &source.path;
        let Some((user, user_line, place)) = self.job_user(source, number, job.user.as_deref())
        else {
            return;
        };
        let pw = self.passwd(path, number, &user);
        if job.dont_log {
            let root = pw.as_ref().map_or(user == "root", |p| p.uid == 0);
            if source.kind == CrontabKind::User && !root {
                self.error(
                    path,
                    number,
                    "'-' before the schedule (do not log) is for root only: cronie rejects this \
                     line",
                );
                return;
            }
            self.warning(
                path,
                number,
                "'-' before the schedule asks cron not to log the command; sundial records \
                 every run in its history",
            );
        }
        if source.kind == CrontabKind::System {
            match dir_use(&job.command) {
                DirUse::None => {}
                DirUse::Only(dir) => {
                    self.cron_directory(source, number, raw, &job, env, user_line, dir);
                    return;
                }
                DirUse::Mixed(dir) => {
                    self.error(
                        path,
                        number,
                        format!(
                            "runs {dir} and other commands: the directory gets a timer of its \
                             own, so this line would run it twice; put the other commands on a \
                             line of their own"
                        ),
                    );
                    return;
                }
            }
            if self.has_anacron && starts_anacron(&job.command) {
                self.warning(
                    path,
                    number,
                    "starts anacron, whose jobs are imported from the anacrontab as timers of \
                     their own: not imported (it would run them a second time)",
                );
                return;
            }
        }
        let job_env = env.for_job(
            &user,
            pw.as_ref().map(|p| p.home.as_str()),
            &self.options.default_path,
        );
        let Some(trigger) = self.trigger(path, number, &job.schedule, env.get("CRON_TZ")) else {
            return;
        };
        let cmd = split_percent(&job.command);
        let mail = self.cron_mail(path, &job_env, job.mail_only_on_error, &place);
        let random = match job.schedule {
            CronSchedule::Calendar(_) => env
                .get("RANDOM_DELAY")
                .map(|v| (cron_random_delay(v), true)),
            CronSchedule::Reboot => None,
        };
        let wanted_name = comment.unwrap_or_else(|| naming::from_command(&cmd.command));
        self.plans.push(JobPlan {
            origins: vec![origin(path, number, raw)],
            wanted_name,
            fixed_name: false,
            identity: format!("{}\n{}", path.display(), raw.trim()),
            place,
            trigger,
            accuracy: accuracy(&job.schedule),
            persistent: false,
            random_delay: random,
            description: cmd.command.trim().to_owned(),
            user: user_line,
            working_directory: working_directory(&job_env),
            environment: passable(&job_env),
            shell: job_env.get("SHELL").unwrap_or("/bin/sh").to_owned(),
            command: cmd.command,
            stdin: cmd.stdin,
            mail,
        });
    }

    /// A cron line that runs a cron directory.
    #[allow(clippy::too_many_arguments)]
    fn cron_directory(
        &mut self,
        source: &CrontabSource,
        number: usize,
        raw: &str,
        job: &JobLine,
        env: &CronEnv,
        user_line: Option<String>,
        dir: DirPeriod,
    ) {
        let path = &source.path;
        if self.dirs.get(&dir).is_some_and(|d| d.cron.is_some()) {
            self.warning(
                path,
                number,
                format!(
                    "runs {dir} again: the directory is imported once, as {}",
                    dir.unit_name()
                ),
            );
            return;
        }
        let user = user_line.clone().unwrap_or_else(|| "root".to_owned());
        let pw = self.options.users.get(&user).cloned();
        let job_env = env.for_job(
            &user,
            pw.as_ref().map(|p| p.home.as_str()),
            &self.options.default_path,
        );
        let mail = self.cron_mail(path, &job_env, job.mail_only_on_error, &None);
        let Some(trigger) = self.trigger(path, number, &job.schedule, env.get("CRON_TZ")) else {
            return;
        };
        let random = env
            .get("RANDOM_DELAY")
            .map(|v| (cron_random_delay(v), true));
        let command = self.options.run_parts.command(dir);
        let plan = JobPlan {
            origins: vec![origin(path, number, raw)],
            wanted_name: dir.unit_name(),
            fixed_name: true,
            identity: dir.path(),
            place: None,
            trigger,
            accuracy: "1s",
            persistent: true,
            random_delay: random,
            description: command.clone(),
            user: user_line,
            working_directory: Some("/".to_owned()),
            environment: passable(&job_env),
            shell: job_env.get("SHELL").unwrap_or("/bin/sh").to_owned(),
            command,
            stdin: None,
            mail,
        };
        let runs = self.dirs.entry(dir).or_default();
        runs.cron = Some(plan);
        runs.cron_schedule = Some(job.schedule.clone());
        runs.cron_zone = env.get("CRON_TZ").map(str::to_owned);
    }

    /// The timer's trigger for a schedule; `None` after an error.
    fn trigger(
        &mut self,
        path: &Path,
        line: usize,
        schedule: &CronSchedule,
        zone: Option<&str>,
    ) -> Option<Trigger> {
        match schedule {
            CronSchedule::Reboot => Some(Trigger::Boot),
            CronSchedule::Calendar(expr) => {
                let zone = zone
                    .map(|z| z.trim_start_matches(':'))
                    .filter(|z| !z.is_empty());
                let specs: Vec<String> = expr
                    .calendar_specs()
                    .into_iter()
                    .map(|spec| match zone {
                        Some(zone) => format!("{spec} {zone}"),
                        None => spec,
                    })
                    .collect();
                self.check_specs(path, line, &specs)
                    .then_some(Trigger::Calendar(specs))
            }
        }
    }

    /// Whether every spec parses (it always should; a failure is a bug,
    /// or a zone the checks above let through).
    fn check_specs(&mut self, path: &Path, line: usize, specs: &[String]) -> bool {
        for spec in specs {
            if let Err(e) = CalendarSpec::parse(spec, &Zone::utc(), &*self.options.zones) {
                self.error(
                    path,
                    line,
                    format!(
                        "cannot express the schedule as OnCalendar={spec}: {}",
                        e.reason
                    ),
                );
                return false;
            }
        }
        true
    }

    /// Whether and how a cron job mails its output (do_command.c): to
    /// `MAILTO`, or to the job's user when it is unset; not at all when it
    /// is empty or holds characters cron refuses.
    fn cron_mail(
        &mut self,
        path: &Path,
        env: &CronEnv,
        only_on_error: bool,
        place: &Option<String>,
    ) -> Option<MailStyle> {
        let to = env.get("MAILTO").or(env.get("LOGNAME"))?;
        if to.is_empty() || (!to.contains('$') && !is_safe_address(to)) {
            return None;
        }
        let style = MailStyle::Cron {
            on_success: !only_on_error,
        };
        self.mail_unit(path, style, place)
    }

    /// Records that a job in `place` mails with `style`, if it can.
    fn mail_unit(
        &mut self,
        path: &Path,
        style: MailStyle,
        place: &Option<String>,
    ) -> Option<MailStyle> {
        if self.options.sendmail.is_none() {
            self.without_sendmail.insert(path.to_path_buf());
            return None;
        }
        let template_style = match style {
            MailStyle::Cron { .. } => MailStyle::Cron { on_success: true },
            MailStyle::Anacron => MailStyle::Anacron,
        };
        self.mailing
            .entry((place.clone(), template_style))
            .or_default()
            .insert(path.to_path_buf());
        Some(style)
    }

    /// `/etc/anacrontab`.
    fn anacron_file(&mut self, source: &CrontabSource) {
        let path = &source.path;
        let lines = anacron::logical_lines(&source.text);
        // START_HOURS_RANGE and PREFERRED_HOUR hold for every job of the
        // file, wherever they are (anacron reads them into globals);
        // RANDOM_DELAY and the environment for the jobs after them.
        let mut timing = AnacronTiming::default();
        for (number, line) in &lines {
            if let AnacronLine::Assignment(name, value) = anacron::classify(line) {
                match name.as_str() {
                    "START_HOURS_RANGE" => match anacron::parse_hours_range(&value) {
                        Some(range) => {
                            timing.hours = Some(range);
                            self.warning(
                                path,
                                *number,
                                format!(
                                    "anacron starts jobs only between {:02}:00 and {:02}:00; a \
                                     run missed while the machine was off is caught up when the \
                                     daemon starts, at any hour",
                                    range.0, range.1
                                ),
                            );
                        }
                        None => self.error(
                            path,
                            *number,
                            format!(
                                "START_HOURS_RANGE={value}: expected FROM-TO in hours, FROM not \
                                 after TO (anacron skips this line)"
                            ),
                        ),
                    },
                    "PREFERRED_HOUR" => match anacron::parse_minutes(&value) {
                        Some(hour) if hour <= 24 => timing.preferred_hour = Some(hour % 24),
                        Some(_) => self.error(
                            path,
                            *number,
                            format!("PREFERRED_HOUR={value}: expected an hour from 0 to 24"),
                        ),
                        None => {}
                    },
                    _ => {}
                }
            }
        }
        let mut env = CronEnv::default();
        let mut random: Option<u32> = None;
        for (number, line) in lines {
            match anacron::classify(&line) {
                AnacronLine::Blank | AnacronLine::Comment(_) => {}
                AnacronLine::Invalid(reason) => self.error(path, number, reason),
                AnacronLine::Assignment(name, value) => {
                    match name.as_str() {
                        "RANDOM_DELAY" => match anacron::parse_minutes(&value) {
                            Some(m) => random = Some(m),
                            None => {
                                self.error(
                                    path,
                                    number,
                                    format!(
                                        "RANDOM_DELAY={value}: expected minutes (anacron skips \
                                         this line)"
                                    ),
                                );
                                continue;
                            }
                        },
                        "START_HOURS_RANGE" if anacron::parse_hours_range(&value).is_none() => {
                            continue
                        }
                        _ => {}
                    }
                    if !valid_env_name(&name) {
                        self.warning(
                            path,
                            number,
                            format!(
                                "'{name}' cannot be passed to a service: the jobs below run \
                                 without it"
                            ),
                        );
                    }
                    env.set(&name, &value);
                }
                AnacronLine::Job(job) => {
                    let timing = AnacronTiming {
                        delay: job.delay,
                        period: Some(job.period),
                        ..timing
                    };
                    self.anacron_job(source, number, &line, &job, &env, random, timing);
                }
            }
        }
    }

    /// One anacrontab job.
    #[allow(clippy::too_many_arguments)]
    fn anacron_job(
        &mut self,
        source: &CrontabSource,
        number: usize,
        line: &str,
        job: &AnacronJob,
        env: &CronEnv,
        random: Option<u32>,
        timing: AnacronTiming,
    ) {
        let path = &source.path;
        let dir = match dir_use(&job.command) {
            DirUse::None => None,
            DirUse::Only(dir) => Some(dir),
            DirUse::Mixed(dir) => {
                self.error(
                    path,
                    number,
                    format!(
                        "runs {dir} and other commands: the directory gets a timer of its own, \
                         so this line would run it twice; put the other commands on a line of \
                         their own"
                    ),
                );
                return;
            }
        };
        let no_mail = env.get("NO_MAIL_OUTPUT").is_some_and(|v| !v.is_empty())
            || env.get("MAILTO") == Some("");
        let mail = if no_mail {
            None
        } else {
            self.mail_unit(path, MailStyle::Anacron, &None)
        };
        let command = match dir {
            Some(dir) => self.options.run_parts.command(dir),
            None => job.command.clone(),
        };
        let Some(spec) = self.anacron_calendar(path, number, timing) else {
            return;
        };
        if !self.check_specs(path, number, std::slice::from_ref(&spec)) {
            return;
        }
        let plan = JobPlan {
            origins: vec![origin(path, number, line)],
            wanted_name: match dir {
                Some(dir) => dir.unit_name(),
                None => Some(naming::slug(&job.ident, 48))
                    .filter(|s| !s.is_empty())
                    .unwrap_or_else(|| "anacron-job".to_owned()),
            },
            fixed_name: dir.is_some(),
            identity: format!("{}\n{}", path.display(), job.ident),
            place: None,
            trigger: Trigger::Calendar(vec![spec]),
            accuracy: "1s",
            persistent: true,
            random_delay: random.map(|m| (m, false)),
            description: match dir {
                Some(_) => command.clone(),
                None => job.ident.clone(),
            },
            user: None,
            working_directory: Some("/".to_owned()),
            environment: passable(env),
            // anacron runs `/bin/sh -c`, whatever SHELL says (runjob.c).
            shell: "/bin/sh".to_owned(),
            command,
            stdin: None,
            mail,
        };
        match dir {
            Some(dir) => {
                let runs = self.dirs.entry(dir).or_default();
                if runs.anacron.is_some() {
                    self.warning(
                        path,
                        number,
                        format!(
                            "runs {dir} again: the directory is imported once, as {}",
                            dir.unit_name()
                        ),
                    );
                    return;
                }
                runs.anacron = Some((plan, timing));
            }
            None => self.plans.push(plan),
        }
    }

    /// The `OnCalendar=` value of an anacron period, at the hour anacron
    /// starts jobs plus the job's delay; warns where anacron's "N days since
    /// the last run" is not a calendar.
    fn anacron_calendar(
        &mut self,
        path: &Path,
        line: usize,
        timing: AnacronTiming,
    ) -> Option<String> {
        let period = timing.period?;
        let (date, inexact) = match period {
            Period::Days(0) => {
                self.error(
                    path,
                    line,
                    "period 0: anacron runs the job every time anacron starts, which no calendar \
                     expresses",
                );
                return None;
            }
            Period::Days(1) | Period::Daily => ("*-*-*".to_owned(), None),
            Period::Days(7) | Period::Weekly => (
                "Mon *-*-*".to_owned(),
                Some("every Monday (weekly)".to_owned()),
            ),
            Period::Days(28..=31) | Period::Monthly => (
                "*-*-01".to_owned(),
                Some("on the 1st of every month".to_owned()),
            ),
            Period::Days(365 | 366) | Period::Yearly => (
                "*-01-01".to_owned(),
                Some("on January 1st every year".to_owned()),
            ),
            Period::Days(n @ 2..=27) => (
                format!("*-*-01/{n}"),
                Some(format!(
                    "on days 1, {}, … of every month (the gap across a month's end is shorter)",
                    1 + n
                )),
            ),
            Period::Days(n) => {
                let months = ((f64::from(n) / 30.44).round() as u32).clamp(1, 12);
                if months >= 12 {
                    (
                        "*-01-01".to_owned(),
                        Some("on January 1st every year".to_owned()),
                    )
                } else {
                    (
                        format!("*-01/{months}-01"),
                        Some(format!("on the 1st of every {months} months")),
                    )
                }
            }
        };
        if let Some(when) = inexact {
            let since = match period {
                Period::Days(n) => format!("{n} days have passed"),
                Period::Weekly => "7 days have passed".to_owned(),
                Period::Monthly => "a month has passed".to_owned(),
                Period::Yearly => "a year has passed".to_owned(),
                Period::Daily => "a day has passed".to_owned(),
            };
            self.warning(
                path,
                line,
                format!("anacron runs this job when {since} since its last run; the timer runs it {when}"),
            );
        }
        let hour = timing
            .preferred_hour
            .or(timing.hours.map(|h| h.0))
            .unwrap_or(0);
        let mut minutes = hour * 60 + timing.delay;
        if minutes >= 24 * 60 {
            self.warning(
                path,
                line,
                format!(
                    "the delay of {} minutes goes past midnight: the timer runs the job at the \
                     time it gives on the same calendar day",
                    timing.delay
                ),
            );
            minutes %= 24 * 60;
        }
        Some(format!("{date} {:02}:{:02}:00", minutes / 60, minutes % 60))
    }

    /// A `/etc/cron.<period>` directory listed as a source.
    fn directory(&mut self, source: &CrontabSource) {
        let path = &source.path;
        let Some(dir) = DirPeriod::of_path(path) else {
            self.diagnostics.push(CrontabDiagnostic::file_error(
                path,
                "not a cron directory (/etc/cron.hourly, .daily, .weekly, .monthly or .yearly)",
            ));
            return;
        };
        let names: Vec<&str> = source.text.lines().filter(|n| !n.is_empty()).collect();
        if dir == DirPeriod::Hourly && self.has_anacron {
            for name in names.iter().filter(|n| n.contains("anacron")) {
                self.diagnostics.push(CrontabDiagnostic::file_error(
                    path,
                    format!(
                        "{name} runs anacron every hour, and anacron runs the jobs of the \
                         anacrontab, imported here as timers of their own: they would run twice. \
                         Remove it (on Fedora, the cronie-anacron package) and import again"
                    ),
                ));
            }
        }
        self.dirs.entry(dir).or_default().listed = Some(path.clone());
    }

    /// One pair per directory that a line runs.
    fn finish_directories(&mut self) {
        let dirs = std::mem::take(&mut self.dirs);
        for runs in dirs.into_values() {
            let plan = match (runs.cron, runs.anacron) {
                (None, None) => {
                    if let Some(listed) = runs.listed {
                        self.diagnostics.push(CrontabDiagnostic::file_warning(
                            &listed,
                            "nothing in /etc/crontab, /etc/cron.d or /etc/anacrontab runs this \
                             directory: not imported",
                        ));
                    }
                    continue;
                }
                (Some(cron), None) => cron,
                (None, Some((anacron, _))) => anacron,
                (Some(cron), Some((mut anacron, timing))) => {
                    // Debian: cron runs the directory when anacron is
                    // missing, anacron otherwise; one timer, at cron's time
                    // plus anacron's delay, run as anacron runs it.
                    let origin = &anacron.origins[0];
                    let (path, line) = (origin.path.clone(), origin.line);
                    if let Some(trigger) = runs.cron_schedule.as_ref().and_then(|schedule| {
                        self.delayed(&path, line, schedule, runs.cron_zone.as_deref(), timing)
                    }) {
                        anacron.trigger = trigger;
                    }
                    let mut origins = cron.origins;
                    origins.append(&mut anacron.origins);
                    anacron.origins = origins;
                    anacron
                }
            };
            self.plans.push(plan);
        }
    }

    /// cron's schedule for a directory moved by anacron's delay, if the
    /// schedule is one time of day; warns otherwise and when the time is
    /// outside anacron's hours.
    fn delayed(
        &mut self,
        path: &Path,
        line: usize,
        schedule: &CronSchedule,
        zone: Option<&str>,
        timing: AnacronTiming,
    ) -> Option<Trigger> {
        let CronSchedule::Calendar(expr) = schedule else {
            return None;
        };
        let Some((shifted, hour)) = shift_minutes(expr, timing.delay) else {
            self.warning(
                path,
                line,
                format!(
                    "cron's schedule for this directory is not one time of day: anacron's delay \
                     of {} minutes is not added to it",
                    timing.delay
                ),
            );
            return self.trigger(path, line, schedule, zone);
        };
        if let Some((from, to)) = timing.hours {
            if hour < from || hour >= to {
                self.warning(
                    path,
                    line,
                    format!(
                        "anacron starts jobs only between {from:02}:00 and {to:02}:00, but cron's \
                         time for this directory is {hour:02}:xx; the timer keeps cron's time"
                    ),
                );
            }
        }
        self.trigger(path, line, &shifted, zone)
    }

    /// Names, unit texts and the mail templates.
    fn finish(mut self, sources: &[CrontabSource]) -> Translation {
        let reserved: Vec<String> = DirPeriod::ALL.iter().map(|d| d.unit_name()).collect();
        let reserved: Vec<&str> = reserved.iter().map(String::as_str).collect();
        let requests: Vec<NameRequest> = self
            .plans
            .iter()
            .filter(|p| !p.fixed_name)
            .map(|p| NameRequest {
                wanted: p.wanted_name.clone(),
                identity: p.identity.clone(),
                place: p.place.clone(),
            })
            .collect();
        let mut assigned = naming::assign(&requests, &reserved).into_iter();
        let mut units = Vec::new();
        for plan in &self.plans {
            let name = if plan.fixed_name {
                plan.wanted_name.clone()
            } else {
                assigned.next().expect("one name per request")
            };
            units.push(GeneratedUnit {
                name: format!("{name}.timer"),
                text: render::timer(plan),
                enable: true,
                user: plan.place.clone(),
            });
            units.push(GeneratedUnit {
                name: format!("{name}.service"),
                text: render::service(plan, &name),
                enable: false,
                user: plan.place.clone(),
            });
        }
        for ((place, style), paths) in &self.mailing {
            let template = match style {
                MailStyle::Cron { .. } => render::CRON_MAIL_TEMPLATE,
                MailStyle::Anacron => render::ANACRON_MAIL_TEMPLATE,
            };
            let paths: Vec<PathBuf> = paths.iter().cloned().collect();
            units.push(GeneratedUnit {
                name: template.to_owned(),
                text: render::mail_template(
                    *style,
                    &paths,
                    &self.options.sundial_exe,
                    self.options.sendmail.as_deref(),
                ),
                enable: false,
                user: place.clone(),
            });
        }
        units.sort_by(|a, b| (&a.user, &a.name).cmp(&(&b.user, &b.name)));
        let mut seen = BTreeSet::new();
        for u in &units {
            if !seen.insert((u.user.clone(), u.name.clone())) {
                self.diagnostics.push(CrontabDiagnostic::file_error(
                    Path::new(&u.name),
                    "two jobs got this unit name (a bug in the naming)",
                ));
            }
        }
        self.diagnostics.sort_by(|a, b| {
            let order = |p: &Path| {
                sources
                    .iter()
                    .position(|s| s.path == p)
                    .unwrap_or(usize::MAX)
            };
            (order(&a.path), a.line).cmp(&(order(&b.path), b.line))
        });
        Translation {
            units,
            diagnostics: self.diagnostics,
            sources: sources.iter().map(|s| s.path.clone()).collect(),
        }
    }
}

fn origin(path: &Path, line: usize, text: &str) -> Origin {
    Origin {
        path: path.to_path_buf(),
        line,
        text: text.to_owned(),
    }
}

fn accuracy(schedule: &CronSchedule) -> &'static str {
    match schedule {
        // An every-second job needs its timer to fire within its second.
        CronSchedule::Calendar(expr) if expr.has_seconds() => "1ms",
        _ => "1s",
    }
}

/// The variables systemd can pass on, in cron's order.
fn passable(env: &CronEnv) -> Vec<(String, String)> {
    env.vars()
        .iter()
        .filter(|(n, _)| valid_env_name(n))
        .cloned()
        .collect()
}

/// cron changes to `$HOME` before running the job (do_command.c,
/// `cron_change_user_permanently`), relative to its own `/`.
fn working_directory(env: &CronEnv) -> Option<String> {
    let home = env.get("HOME").filter(|h| !h.is_empty())?;
    Some(if home.starts_with('/') {
        home.to_owned()
    } else {
        format!("/{home}")
    })
}

/// `RANDOM_DELAY` as cronie reads it (entry.c: `strtol`, then 0 to 1440
/// minutes or no delay).
pub(crate) fn cron_random_delay(value: &str) -> u32 {
    let text = value.trim_start();
    let (negative, digits) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text.strip_prefix('+').unwrap_or(text)),
    };
    let end = digits
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(digits.len());
    match digits[..end].parse::<u64>() {
        Ok(n) if !negative && n <= 24 * 60 => n as u32,
        // Out of range: cronie logs "bad value of RANDOM_DELAY" and adds none.
        _ => 0,
    }
}

/// The expression with anacron's delay added, when its minute and hour are
/// single values and the result stays on the same day; and the new hour.
fn shift_minutes(expr: &CronExpr, delay: u32) -> Option<(CronSchedule, u32)> {
    if expr.has_seconds() {
        return None;
    }
    let text = expr.to_string();
    let fields: Vec<&str> = text.split(' ').collect();
    let [minute, hour, rest @ ..] = fields.as_slice() else {
        return None;
    };
    let (minute, hour): (u32, u32) = (minute.parse().ok()?, hour.parse().ok()?);
    let total = hour * 60 + minute + delay;
    if total >= 24 * 60 {
        return None;
    }
    let shifted = format!("{} {} {}", total % 60, total / 60, rest.join(" "));
    let schedule = CronSchedule::parse(&shifted, &CronOptions::default()).ok()?;
    Some((schedule, total / 60))
}
