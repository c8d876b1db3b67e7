//! One timer and service pair per cron directory, from the lines that run
//! it: cron's time, anacron's delay, hours and random delay where anacron
//! runs it too (Debian's cron runs cron.daily only without anacron).

use std::path::{Path, PathBuf};

use sundial_calendar::cron::{CronExpr, CronOptions, CronSchedule};

use super::anacron::Period;
use super::anacron_jobs::AnacronTiming;
use super::dirs::DirPeriod;
use super::render::{JobPlan, Trigger};
use super::translate::Cx;
use super::{CrontabDiagnostic, CrontabSource};

impl Cx<'_> {
    /// A `/etc/cron.<period>` directory listed as a source.
    pub(super) fn directory(&mut self, source: &CrontabSource) {
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
    pub(super) fn finish_directories(&mut self) {
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
                (None, Some((mut anacron, timing))) => {
                    let origin = &anacron.origins[0];
                    let (path, line) = (origin.path.clone(), origin.line);
                    match self.anacron_trigger(&path, line, timing) {
                        Some(trigger) => anacron.trigger = trigger,
                        None => continue,
                    }
                    anacron
                }
                (Some(cron), Some((mut anacron, timing))) => {
                    // Debian: cron runs the directory when anacron is
                    // missing, anacron otherwise; one timer, at cron's time
                    // plus anacron's delay, run as anacron runs it.
                    let origin = &anacron.origins[0];
                    let (path, line) = (origin.path.clone(), origin.line);
                    if !matches!(timing.period, Some(Period::Days(1) | Period::Daily)) {
                        let cron_line = &cron.origins[0];
                        self.warning(
                            &path,
                            line,
                            format!(
                                "anacron runs this directory when its period has passed since \
                                 its last run; the timer runs it at the time {}:{} gives, plus \
                                 anacron's delay",
                                cron_line.path.display(),
                                cron_line.line
                            ),
                        );
                    }
                    anacron.trigger = cron.trigger.clone();
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
}

/// A directory's runs as the sources name them.
#[derive(Debug, Default)]
pub(super) struct DirRuns {
    /// The first cron line that runs it.
    pub(super) cron: Option<JobPlan>,
    /// The cron line's schedule, for anacron's delay.
    pub(super) cron_schedule: Option<CronSchedule>,
    /// The cron line's `CRON_TZ`.
    pub(super) cron_zone: Option<String>,
    /// The first anacrontab line that runs it.
    pub(super) anacron: Option<(JobPlan, AnacronTiming)>,
    /// Where the directory was listed (a Directory source).
    pub(super) listed: Option<PathBuf>,
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
