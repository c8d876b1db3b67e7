//! Translating `/etc/anacrontab`: each job a persistent calendar timer at
//! the hour anacron starts jobs plus the job's delay.

use std::path::Path;

use super::anacron::{self, AnacronJob, AnacronLine, Period};
use super::dirs::{dir_use, DirUse};
use super::env::CronEnv;
use super::naming;
use super::render::{JobPlan, MailStyle, Trigger};
use super::translate::{origin, passable, Cx};
use super::CrontabSource;
use crate::unit::values::valid_env_name;

impl Cx<'_> {
    /// `/etc/anacrontab`.
    pub(super) fn anacron_file(&mut self, source: &CrontabSource) {
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
        // A directory's time may come from cron's line for it: settled
        // once every source is read.
        let trigger = if dir.is_some() {
            Trigger::Calendar {
                specs: Vec::new(),
                wildcard: false,
            }
        } else {
            match self.anacron_trigger(path, number, timing) {
                Some(trigger) => trigger,
                None => return,
            }
        };
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
            trigger,
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

    /// The timer's trigger for an anacron job, checked; `None` after an
    /// error.
    pub(super) fn anacron_trigger(
        &mut self,
        path: &Path,
        line: usize,
        timing: AnacronTiming,
    ) -> Option<Trigger> {
        let spec = self.anacron_calendar(path, line, timing)?;
        self.check_specs(path, line, std::slice::from_ref(&spec))
            .then(|| Trigger::Calendar {
                specs: vec![spec],
                wildcard: false,
            })
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
}

/// What anacron's file says about when its jobs run.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct AnacronTiming {
    pub(super) delay: u32,
    pub(super) hours: Option<(u32, u32)>,
    pub(super) preferred_hour: Option<u32>,
    pub(super) period: Option<Period>,
}
