//! Crontabs into units: cron's files (user crontabs, `/etc/crontab` and
//! `/etc/cron.d`, `/etc/anacrontab`, the `/etc/cron.{hourly,daily,…}`
//! directories) translated into `.timer` and `.service` pairs that run each
//! job as cron runs it.
//!
//! The translation ([`translate()`]) is pure: it gets the files' text, the
//! users of the system and the host's tools as arguments and returns unit
//! texts and diagnostics. Reading the system's files ([`host`]) and writing
//! the units ([`write_units`]) are the edges.
//!
//! What the generated units keep from cron, and where the rule comes from:
//!
//! * lines, environment assignments and job fields as cronie parses them
//!   (src/env.c `load_env`, src/entry.c `load_entry`); the schedule itself
//!   is [`sundial_calendar::cron`]'s;
//! * the command through `$SHELL -c` from `$HOME`, with cron's default
//!   environment and its `%` rule (src/do_command.c `child_process`);
//! * mail as cron sends it ([`mail`]);
//! * anacron's periods, delays and hour ranges (anacron/readtab.c, lock.c).
//!
//! Everything that cannot be carried over exactly is a diagnostic with the
//! file and line; an error means the job is not translated at all.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use sundial_calendar::zone::{BundledZones, ZoneSource};

use crate::unit::Scope;

mod anacron;
mod anacron_jobs;
mod command;
mod cron_file;
mod dir_jobs;
mod dirs;
mod env;
pub mod host;
mod job;
pub mod mail;
mod naming;
mod passwd;
mod render;
mod translate;
#[cfg(test)]
mod translate_tests;
mod write;

pub use dirs::RunParts;
pub use host::own_crontab_path;
pub use passwd::{Passwd, UserDb};
pub use translate::translate;
pub use write::{
    plan as plan_write, write_units, write_units_to, Change, PlannedFile, UnitDirs, UserUnitDir,
    WriteReport,
};

/// What kind of file a crontab is: which fields its lines have.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CrontabKind {
    /// A user's crontab (`crontab -e`, the spool): no user field.
    User,
    /// `/etc/crontab` and `/etc/cron.d/*`: a user field before the command.
    System,
    /// `/etc/anacrontab`: `period delay identifier command` lines.
    Anacron,
    /// A `/etc/cron.{hourly,daily,weekly,monthly,yearly}` directory run by
    /// `run-parts`; the text is the list of its file names, one a line.
    Directory,
}

/// One input of the translation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CrontabSource {
    /// Where the text comes from, as the system sees it (`/etc/crontab`),
    /// named in diagnostics and in the generated units.
    pub path: PathBuf,
    /// The file's contents.
    pub text: String,
    /// Which grammar its lines follow.
    pub kind: CrontabKind,
    /// The user a [`CrontabKind::User`] crontab belongs to (the spool file's
    /// name); `None` for the caller's own.
    pub owner: Option<String>,
}

/// How to translate: the scope the units are for and what the host offers.
#[derive(Debug, Clone)]
pub struct TranslateOptions {
    /// The manager the units are written for.
    pub scope: Scope,
    /// Accept six-field lines with seconds first (live crontabs and
    /// sundial's own crontab, as supercronic does); cron itself does not.
    pub seconds: bool,
    /// The sundial binary, for the mail units' `ExecStart=`.
    pub sundial_exe: PathBuf,
    /// The sendmail to mail job output with; `None` when the host has none,
    /// and then output stays in `sundial logs` (the import says so).
    pub sendmail: Option<PathBuf>,
    /// The users of the system (`/etc/passwd`), for the job's `HOME`,
    /// `LOGNAME` and working directory.
    pub users: UserDb,
    /// Who a crontab without an owner belongs to: the user importing or
    /// running the daemon.
    pub caller: Option<Passwd>,
    /// cron's `PATH` when the crontab sets none (Debian's and Vixie cron's
    /// `_PATH_DEFPATH`; cronie uses `/usr/bin:/bin:/usr/sbin:/sbin`).
    pub default_path: String,
    /// How the host's `run-parts` is called.
    pub run_parts: RunParts,
    /// Time zones, to check the zones of `CRON_TZ=`.
    pub zones: Arc<dyn ZoneSource>,
}

impl TranslateOptions {
    /// Options for `scope` without anything read from the host: no users, no
    /// sendmail, the bundled time zones. Tests and callers fill in the rest.
    pub fn new(scope: Scope) -> TranslateOptions {
        TranslateOptions {
            scope,
            seconds: false,
            sundial_exe: PathBuf::from("/usr/bin/sundial"),
            sendmail: None,
            users: UserDb::default(),
            caller: None,
            default_path: DEFAULT_PATH.to_owned(),
            run_parts: RunParts::Debian,
            zones: Arc::new(BundledZones::new()),
        }
    }
}

/// Vixie cron's and Debian cron's `_PATH_DEFPATH`.
pub const DEFAULT_PATH: &str = "/usr/bin:/bin";

/// One unit file the translation produced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GeneratedUnit {
    /// The unit name (`nightly-backup.timer`).
    pub name: String,
    /// The file's contents.
    pub text: String,
    /// Whether to link it into `timers.target.wants/` (the timers).
    pub enable: bool,
    /// The user whose own unit directory it belongs in (a spool crontab in
    /// a system import); `None`: the directory of the translation's scope.
    pub user: Option<String>,
    /// The crontab file and line of its job (the first, when several lines
    /// make one job); `None` for the mail templates.
    pub origin: Option<(PathBuf, usize)>,
}

/// How bad a diagnostic is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Severity {
    /// The line is not translated; an import writes nothing.
    Error,
    /// The line is translated, with the difference said here.
    Warning,
}

/// A problem found in a crontab, with where it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CrontabDiagnostic {
    /// The file.
    pub path: PathBuf,
    /// The 1-based line, if the problem has one.
    pub line: Option<usize>,
    /// The 1-based column (in bytes), if the problem points into the line.
    pub column: Option<usize>,
    /// Error or warning.
    pub severity: Severity,
    /// What is wrong and what happens because of it.
    pub message: String,
}

impl CrontabDiagnostic {
    /// Whether the diagnostic stops the import.
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }

    fn new(path: &Path, line: Option<usize>, severity: Severity, message: String) -> Self {
        CrontabDiagnostic {
            path: path.to_path_buf(),
            line,
            column: None,
            severity,
            message,
        }
    }

    pub(crate) fn error(path: &Path, line: usize, message: impl Into<String>) -> Self {
        Self::new(path, Some(line), Severity::Error, message.into())
    }

    pub(crate) fn warning(path: &Path, line: usize, message: impl Into<String>) -> Self {
        Self::new(path, Some(line), Severity::Warning, message.into())
    }

    pub(crate) fn file_warning(path: &Path, message: impl Into<String>) -> Self {
        Self::new(path, None, Severity::Warning, message.into())
    }

    pub(crate) fn file_error(path: &Path, message: impl Into<String>) -> Self {
        Self::new(path, None, Severity::Error, message.into())
    }
}

impl fmt::Display for CrontabDiagnostic {
    /// `path:line:column: message`, and `warning: ` before the message of
    /// a warning.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.path.display())?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
            if let Some(column) = self.column {
                write!(f, ":{column}")?;
            }
        }
        match self.severity {
            Severity::Error => write!(f, ": {}", self.message),
            Severity::Warning => write!(f, ": warning: {}", self.message),
        }
    }
}

/// The translation of a set of crontabs.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Translation {
    /// The units, timers before their services, in a stable order.
    pub units: Vec<GeneratedUnit>,
    /// Every problem found, in file and line order.
    pub diagnostics: Vec<CrontabDiagnostic>,
    /// The sources translated: a later write removes the units generated
    /// from these that are no longer produced.
    pub sources: Vec<PathBuf>,
}

impl Translation {
    /// Whether any diagnostic is an error.
    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(CrontabDiagnostic::is_error)
    }

    /// The errors.
    pub fn errors(&self) -> impl Iterator<Item = &CrontabDiagnostic> {
        self.diagnostics.iter().filter(|d| d.is_error())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn diagnostics_print_file_line_and_column() {
        let mut d = CrontabDiagnostic::error(Path::new("/etc/crontab"), 12, "missing command");
        assert_eq!(d.to_string(), "/etc/crontab:12: missing command");
        d.column = Some(3);
        assert_eq!(d.to_string(), "/etc/crontab:12:3: missing command");
        let w = CrontabDiagnostic::warning(Path::new("a"), 1, "TZ= is not CRON_TZ=");
        assert_eq!(w.to_string(), "a:1: warning: TZ= is not CRON_TZ=");
        assert!(!w.is_error());
        let f = CrontabDiagnostic::file_warning(Path::new("/etc/cron.daily"), "not run");
        assert_eq!(f.to_string(), "/etc/cron.daily: warning: not run");
    }
}
