//! The control commands: `sundial start|stop|status|list-timers|logs|...`,
//! named and behaving as systemctl's and journalctl's. Each sends one request
//! to the daemon (see [`crate::ipc`]) and prints the reply; the printing is
//! done by pure functions (rows in, text out) tested with fixed times.

use std::io::{self, Write};
use std::process::ExitCode;

use clap::Subcommand;
use serde::Serialize;
use sundial_calendar::timespan::format_relative;
use sundial_calendar::{timestamp, Timestamp, Zone};

use crate::ipc::{ErrorCode, Response};
use crate::unit::UnitType;

pub mod catalog;
pub mod cluster;
pub mod connect;
pub mod daemon_reexec;
pub mod daemon_reload;
pub mod edit;
pub mod enable;
pub mod environment;
pub mod history;
pub mod is_state;
pub mod isolate;
pub mod jobs;
pub mod kill;
pub mod list_dependencies;
pub mod list_paths;
pub mod list_sockets;
pub mod list_timers;
pub mod list_unit_files;
pub mod list_units;
pub mod logs;
pub mod mask;
pub mod offline;
pub mod reset_failed;
pub mod run;
pub mod show;
pub mod status;
mod table;

pub use connect::Connection;

/// The control commands, flattened into `sundial`'s command list.
#[derive(Debug, Subcommand)]
pub enum Verb {
    /// Start units.
    #[command(after_long_help = jobs::START_EXAMPLES)]
    Start(jobs::Args),
    /// Stop units.
    #[command(after_long_help = jobs::STOP_EXAMPLES)]
    Stop(jobs::Args),
    /// Stop and then start units (start them if they are not running).
    #[command(after_long_help = jobs::RESTART_EXAMPLES)]
    Restart(jobs::Args),
    /// Ask running units to reload their configuration (ExecReload=).
    #[command(after_long_help = jobs::RELOAD_EXAMPLES)]
    Reload(jobs::Args),
    /// Restart units that are running; leave the others alone.
    #[command(after_long_help = jobs::TRY_RESTART_EXAMPLES)]
    TryRestart(jobs::Args),
    /// Reload units that support it, restart the others (start them if they
    /// are not running).
    #[command(after_long_help = jobs::RELOAD_OR_RESTART_EXAMPLES)]
    ReloadOrRestart(jobs::Args),
    Isolate(isolate::Args),
    Kill(kill::Args),
    Status(status::Args),
    ListTimers(list_timers::Args),
    ListPaths(list_paths::Args),
    ListUnits(list_units::Args),
    ListSockets(list_sockets::Args),
    ListUnitFiles(list_unit_files::Args),
    Show(show::Args),
    ListDependencies(list_dependencies::Args),
    /// Enable units: create the symlinks their Install section asks for.
    #[command(after_long_help = enable::ENABLE_EXAMPLES)]
    Enable(enable::Args),
    /// Disable units: remove the symlinks that enable made.
    #[command(after_long_help = enable::DISABLE_EXAMPLES)]
    Disable(enable::Args),
    /// Mask units: link them to /dev/null so that nothing can start them.
    #[command(after_long_help = mask::MASK_EXAMPLES)]
    Mask(mask::Args),
    /// Unmask units.
    #[command(after_long_help = mask::UNMASK_EXAMPLES)]
    Unmask(mask::Args),
    /// Print whether units are active; exit 0 if one is, else 3, or 4 if none exists.
    #[command(after_long_help = is_state::IS_ACTIVE_EXAMPLES)]
    IsActive(is_state::Args),
    /// Print whether units are enabled; exit 0 if one is, else 1, or 4 if none exists.
    #[command(after_long_help = is_state::IS_ENABLED_EXAMPLES)]
    IsEnabled(is_state::Args),
    /// Print whether units have failed; exit 0 if one has, else 1, or 4 if none exists.
    #[command(after_long_help = is_state::IS_FAILED_EXAMPLES)]
    IsFailed(is_state::Args),
    ResetFailed(reset_failed::Args),
    DaemonReload(daemon_reload::Args),
    DaemonReexec(daemon_reexec::Args),
    Edit(edit::Args),
    Logs(logs::Args),
    History(history::Args),
    Cluster(cluster::Args),
    // Boxed: its many options would make every command this size.
    Run(Box<run::Args>),
    ShowEnvironment(environment::ShowArgs),
    SetEnvironment(environment::SetArgs),
    UnsetEnvironment(environment::UnsetArgs),
}

impl Verb {
    /// The connection flags given after the command name.
    fn connection_mut(&mut self) -> &mut Connection {
        match self {
            Verb::Start(a)
            | Verb::Stop(a)
            | Verb::Restart(a)
            | Verb::Reload(a)
            | Verb::TryRestart(a)
            | Verb::ReloadOrRestart(a) => &mut a.connection,
            Verb::Isolate(a) => &mut a.connection,
            Verb::Kill(a) => &mut a.connection,
            Verb::Status(a) => &mut a.connection,
            Verb::ListTimers(a) => &mut a.connection,
            Verb::ListPaths(a) => &mut a.connection,
            Verb::ListUnits(a) => &mut a.connection,
            Verb::ListSockets(a) => &mut a.connection,
            Verb::ListUnitFiles(a) => &mut a.connection,
            Verb::Show(a) => &mut a.connection,
            Verb::ListDependencies(a) => &mut a.connection,
            Verb::Enable(a) | Verb::Disable(a) => &mut a.connection,
            Verb::Mask(a) | Verb::Unmask(a) => &mut a.connection,
            Verb::IsActive(a) | Verb::IsEnabled(a) | Verb::IsFailed(a) => &mut a.connection,
            Verb::ResetFailed(a) => &mut a.connection,
            Verb::DaemonReload(a) => &mut a.connection,
            Verb::DaemonReexec(a) => &mut a.connection,
            Verb::Edit(a) => &mut a.connection,
            Verb::Logs(a) => &mut a.connection,
            Verb::History(a) => &mut a.connection,
            Verb::Cluster(a) => &mut a.connection,
            Verb::Run(a) => &mut a.connection,
            Verb::ShowEnvironment(a) => &mut a.connection,
            Verb::SetEnvironment(a) => &mut a.connection,
            Verb::UnsetEnvironment(a) => &mut a.connection,
        }
    }
}

impl Verb {
    /// Whether the command's output goes through a pager on a terminal, as
    /// systemctl's listings, status, show and cat and journalctl's output
    /// (not while following) do.
    fn pager(&self) -> Option<crate::cli::pager::PagerOptions> {
        use crate::cli::pager::PagerOptions;
        match self {
            Verb::Logs(a) if a.follow => None,
            Verb::Logs(a) => Some(PagerOptions {
                jump_to_end: a.pager_end,
            }),
            Verb::Status(_)
            | Verb::ListTimers(_)
            | Verb::ListPaths(_)
            | Verb::ListUnits(_)
            | Verb::ListSockets(_)
            | Verb::ListUnitFiles(_)
            | Verb::Show(_)
            | Verb::ListDependencies(_)
            | Verb::History(_)
            | Verb::ShowEnvironment(_) => Some(PagerOptions::default()),
            _ => None,
        }
    }
}

/// Runs a control command; `outer` are the connection flags given before
/// the command name.
pub fn run(mut verb: Verb, outer: &Connection) -> anyhow::Result<ExitCode> {
    use jobs::Job;
    let connection = verb.connection_mut();
    *connection = std::mem::take(connection).or(outer);
    let no_pager = connection.no_pager;
    if let Some(options) = verb.pager() {
        crate::cli::pager::start(no_pager, options);
    }
    match verb {
        Verb::Start(args) => jobs::run(Job::Start, args),
        Verb::Stop(args) => jobs::run(Job::Stop, args),
        Verb::Restart(args) => jobs::run(Job::Restart, args),
        Verb::Reload(args) => jobs::run(Job::Reload, args),
        Verb::TryRestart(args) => jobs::run(Job::TryRestart, args),
        Verb::ReloadOrRestart(args) => jobs::run(Job::ReloadOrRestart, args),
        Verb::Isolate(args) => isolate::run(args),
        Verb::Kill(args) => kill::run(args),
        Verb::Status(args) => status::run(args),
        Verb::ListTimers(args) => list_timers::run(args),
        Verb::ListPaths(args) => list_paths::run(args),
        Verb::ListUnits(args) => list_units::run(args),
        Verb::ListSockets(args) => list_sockets::run(args),
        Verb::ListUnitFiles(args) => list_unit_files::run(args),
        Verb::Show(args) => show::run(args),
        Verb::ListDependencies(args) => list_dependencies::run(args),
        Verb::Enable(args) => enable::run(enable::Change::Enable, args),
        Verb::Disable(args) => enable::run(enable::Change::Disable, args),
        Verb::Mask(args) => mask::run(mask::Change::Mask, args),
        Verb::Unmask(args) => mask::run(mask::Change::Unmask, args),
        Verb::IsActive(args) => is_state::run(is_state::Check::Active, args),
        Verb::IsEnabled(args) => is_state::run(is_state::Check::Enabled, args),
        Verb::IsFailed(args) => is_state::run(is_state::Check::Failed, args),
        Verb::ResetFailed(args) => reset_failed::run(args),
        Verb::DaemonReload(args) => daemon_reload::run(args),
        Verb::DaemonReexec(args) => daemon_reexec::run(args),
        Verb::Edit(args) => edit::run(args),
        Verb::Logs(args) => logs::run(args),
        Verb::History(args) => history::run(args),
        Verb::Cluster(args) => cluster::run(args),
        Verb::Run(args) => run::run(*args),
        Verb::ShowEnvironment(args) => environment::show(args),
        Verb::SetEnvironment(args) => environment::set(args),
        Verb::UnsetEnvironment(args) => environment::unset(args),
    }
}

/// `-o/--output` of the listings.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum Output {
    /// The human-readable table or text.
    #[default]
    Short,
    /// One line of JSON.
    Json,
    /// Indented JSON.
    JsonPretty,
}

impl Output {
    /// Whether JSON was asked for.
    pub fn is_json(self) -> bool {
        matches!(self, Output::Json | Output::JsonPretty)
    }
}

/// Prints `value` as JSON in the form `output` asks for.
pub(crate) fn print_json(output: Output, value: &impl Serialize) -> anyhow::Result<()> {
    let text = match output {
        Output::JsonPretty => serde_json::to_string_pretty(value)?,
        _ => serde_json::to_string(value)?,
    };
    let mut out = io::stdout().lock();
    writeln!(out, "{text}")?;
    out.flush()?;
    Ok(())
}

/// Prints text to stdout.
pub(crate) fn print_text(text: &str) -> anyhow::Result<()> {
    let mut out = io::stdout().lock();
    out.write_all(text.as_bytes())?;
    out.flush()?;
    Ok(())
}

/// Prints the daemon's warnings to stderr, as systemctl logs them.
pub(crate) fn print_messages(messages: &[String]) {
    for message in messages {
        eprintln!("{message}");
    }
}

/// systemctl's exit codes (LSB init script conventions).
pub mod exit {
    /// Success.
    pub const OK: u8 = 0;
    /// Generic failure; also `is-failed`/`is-enabled` answering no.
    pub const FAILURE: u8 = 1;
    /// `is-active` and `status` of a unit that is not running; a job type the
    /// unit does not support.
    pub const NOT_RUNNING: u8 = 3;
    /// `status` of a unit that does not exist; permission denied for a job.
    pub const UNKNOWN: u8 = 4;
    /// A job for a unit that does not exist.
    pub const NOT_INSTALLED: u8 = 5;
}

/// Prints an error reply the way the verbs without a better wording do
/// (`sundial: MESSAGE`) and returns systemctl's exit code for it.
pub(crate) fn report_error(code: ErrorCode, message: &str) -> ExitCode {
    eprintln!("sundial: {message}");
    ExitCode::from(match code {
        ErrorCode::NoSuchUnit => exit::UNKNOWN,
        _ => exit::FAILURE,
    })
}

/// A reply of the wrong kind: a daemon of another release, or a bug.
pub(crate) fn unexpected(verb: &str, response: &Response) -> anyhow::Error {
    let kind = serde_json::to_value(response)
        .ok()
        .and_then(|v| v.get("type").and_then(|t| t.as_str()).map(str::to_owned))
        .unwrap_or_else(|| "?".to_owned());
    anyhow::anyhow!("unexpected reply to {verb}: {kind}")
}

/// A unit name as typed, completed the way systemctl does: a name without a
/// unit type suffix means the service (`backup` → `backup.service`); glob
/// patterns are left alone.
pub fn mangle_unit_name(name: &str) -> String {
    let has_suffix = name
        .rsplit_once('.')
        .is_some_and(|(stem, suffix)| !stem.is_empty() && UnitType::from_suffix(suffix).is_some());
    let is_glob = name.contains(['*', '?', '[']);
    if has_suffix || is_glob || name.is_empty() {
        name.to_owned()
    } else {
        format!("{name}.service")
    }
}

/// [`mangle_unit_name`] for every name; an empty name is an error here, as
/// it would otherwise reach the daemon as the service `.service`.
pub fn mangle_unit_names(names: &[String]) -> anyhow::Result<Vec<String>> {
    names
        .iter()
        .map(|n| {
            anyhow::ensure!(!n.is_empty(), "'' is not a unit name");
            Ok(mangle_unit_name(n))
        })
        .collect()
}

/// The glyph systemctl puts before a unit in an active state.
pub fn state_glyph(active_state: &str) -> &'static str {
    match active_state {
        "active" | "activating" | "deactivating" | "refreshing" => "●",
        "reloading" => "↻",
        "failed" => "×",
        _ => "○",
    }
}

/// A timestamp as systemctl prints it, or `n/a` when there is none.
pub(crate) fn timestamp_or_na(t: Option<i64>, zone: &Zone) -> String {
    match t {
        Some(t) => timestamp::format(Timestamp::from_usec(t), zone),
        None => "n/a".to_owned(),
    }
}

/// `5min left`, `2h ago`, or `n/a`.
pub(crate) fn relative_or_na(t: Option<i64>, now: Timestamp) -> String {
    match t {
        Some(t) => format_relative(now, Timestamp::from_usec(t)),
        None => "n/a".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_without_a_suffix_are_services() {
        assert_eq!(mangle_unit_name("backup"), "backup.service");
        assert_eq!(mangle_unit_name("backup.timer"), "backup.timer");
        assert_eq!(mangle_unit_name("getty@tty1"), "getty@tty1.service");
        assert_eq!(mangle_unit_name("a.b"), "a.b.service");
        assert_eq!(mangle_unit_name("back*"), "back*");
        assert_eq!(mangle_unit_name(".timer"), ".timer.service");
    }

    #[test]
    fn an_empty_name_is_refused() {
        let names = |n: &[&str]| n.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
        assert_eq!(
            mangle_unit_names(&names(&["a", "b.timer"])).unwrap(),
            names(&["a.service", "b.timer"])
        );
        let err = mangle_unit_names(&names(&["a", ""])).unwrap_err();
        assert_eq!(err.to_string(), "'' is not a unit name");
    }

    #[test]
    fn glyphs_follow_the_active_state() {
        assert_eq!(state_glyph("active"), "●");
        assert_eq!(state_glyph("inactive"), "○");
        assert_eq!(state_glyph("failed"), "×");
        assert_eq!(state_glyph("reloading"), "↻");
    }
}
