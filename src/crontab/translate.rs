//! The translation: crontab lines in, unit texts and diagnostics out.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use sundial_calendar::cron::CronSchedule;
use sundial_calendar::{CalendarSpec, Zone};

use super::dir_jobs::DirRuns;
use super::dirs::DirPeriod;
use super::env::CronEnv;
use super::mail::is_safe_address;
use super::naming::{self, NameRequest};
use super::render::{self, JobPlan, MailStyle, Origin, Trigger};
use super::{
    CrontabDiagnostic, CrontabKind, CrontabSource, GeneratedUnit, TranslateOptions, Translation,
};
use crate::unit::values::valid_env_name;

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

/// The translation under way.
pub(super) struct Cx<'o> {
    pub(super) options: &'o TranslateOptions,
    /// An anacrontab is among the sources: its jobs get timers of their own.
    pub(super) has_anacron: bool,
    pub(super) diagnostics: Vec<CrontabDiagnostic>,
    pub(super) plans: Vec<JobPlan>,
    pub(super) dirs: BTreeMap<DirPeriod, DirRuns>,
    /// The sources of the jobs that mail, by unit directory and style.
    pub(super) mailing: BTreeMap<(Option<String>, MailStyle), BTreeSet<PathBuf>>,
    /// Sources whose jobs would mail, on a host without sendmail.
    pub(super) without_sendmail: BTreeSet<PathBuf>,
}

impl Cx<'_> {
    pub(super) fn error(&mut self, path: &Path, line: usize, message: impl Into<String>) {
        self.diagnostics
            .push(CrontabDiagnostic::error(path, line, message));
    }

    pub(super) fn warning(&mut self, path: &Path, line: usize, message: impl Into<String>) {
        self.diagnostics
            .push(CrontabDiagnostic::warning(path, line, message));
    }

    /// The timer's trigger for a schedule; `None` after an error.
    pub(super) fn trigger(
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
                // An unknown zone is reported at its CRON_TZ= line.
                if zone.is_some_and(|z| z != "UTC" && self.options.zones.load(z).is_none()) {
                    return None;
                }
                let specs: Vec<String> = expr
                    .calendar_specs()
                    .into_iter()
                    .map(|spec| match zone {
                        Some(zone) => format!("{spec} {zone}"),
                        None => spec,
                    })
                    .collect();
                self.check_specs(path, line, &specs)
                    .then_some(Trigger::Calendar {
                        specs,
                        wildcard: expr.is_wildcard(),
                    })
            }
        }
    }

    /// Whether every spec parses (it always should; a failure is a bug,
    /// or a zone the checks above let through).
    pub(super) fn check_specs(&mut self, path: &Path, line: usize, specs: &[String]) -> bool {
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
    pub(super) fn cron_mail(
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
    pub(super) fn mail_unit(
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
            let origin = plan.origins.first().map(|o| (o.path.clone(), o.line));
            units.push(GeneratedUnit {
                name: format!("{name}.timer"),
                text: render::timer(plan),
                enable: true,
                user: plan.place.clone(),
                origin: origin.clone(),
            });
            units.push(GeneratedUnit {
                name: format!("{name}.service"),
                text: render::service(plan, &name),
                enable: false,
                user: plan.place.clone(),
                origin,
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
                origin: None,
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

pub(super) fn origin(path: &Path, line: usize, text: &str) -> Origin {
    Origin {
        path: path.to_path_buf(),
        line,
        text: text.to_owned(),
    }
}

/// The variables systemd can pass on, in cron's order.
pub(super) fn passable(env: &CronEnv) -> Vec<(String, String)> {
    env.vars()
        .iter()
        .filter(|(n, _)| valid_env_name(n))
        .cloned()
        .collect()
}
