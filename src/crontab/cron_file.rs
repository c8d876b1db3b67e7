//! Translating a cron crontab: a user's, `/etc/crontab` or a cron.d file.

use std::path::Path;

use sundial_calendar::cron::CronSchedule;

use super::command::split_percent;
use super::dirs::{dir_use, starts_anacron, DirPeriod, DirUse};
use super::env::CronEnv;
use super::job::{classify, comment_is_code, parse_job, JobLine, Line};
use super::mail::is_safe_address;
use super::naming;
use super::render::JobPlan;
use super::translate::{origin, passable, Cx};
use super::{CrontabDiagnostic, CrontabKind, CrontabSource, Passwd};
use crate::unit::values::valid_env_name;
use crate::unit::Scope;

const NO_NEWLINE: &str = "no newline at the end of the file: cron ignores this last line \
                          (and crontab(1) refuses the file); end it with a newline";

impl Cx<'_> {
    /// A user crontab, `/etc/crontab` or a cron.d file.
    pub(super) fn cron_file(&mut self, source: &CrontabSource) {
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

fn accuracy(schedule: &CronSchedule) -> &'static str {
    match schedule {
        // An every-second job needs its timer to fire within its second.
        CronSchedule::Calendar(expr) if expr.has_seconds() => "1ms",
        _ => "1s",
    }
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
