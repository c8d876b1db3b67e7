//! `sundial verify FILE|UNIT...`: report every problem of the given units,
//! exit 1 when one of them is invalid, as `systemd-analyze verify` does.

use std::io::{self, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use sundial_calendar::zone::{local_zone, SystemZones};

use crate::cli::verbs::Connection;
use crate::unit::host;
use crate::unit::verify::{verify, VerifyTarget};
use crate::unit::{LoadContext, Scope};

/// Where unit files are looked up; shared by the commands that read units.
#[derive(Debug, Clone, clap::Args)]
pub struct UnitDirArgs {
    /// Read unit files from DIR (repeatable, searched in order). Replaces the
    /// default directories; `SUNDIAL_UNIT_PATH` (colon-separated, a trailing
    /// `:` appends the defaults) is searched after these.
    #[arg(long = "unit-dir", value_name = "DIR")]
    pub unit_dirs: Vec<PathBuf>,
    /// Use the per-user directories (default for non-root).
    #[arg(long, conflicts_with = "system")]
    pub user: bool,
    /// Use the system directories (default for root).
    #[arg(long)]
    pub system: bool,
}

impl UnitDirArgs {
    /// These flags completed by `--user`/`--system` given before the command
    /// name (`sundial --user verify x`, as `systemctl --user` is used); flags
    /// after the command name win.
    pub fn or(mut self, outer: &Connection) -> UnitDirArgs {
        if !self.user && !self.system {
            self.user = outer.user;
            self.system = outer.system;
        }
        self
    }

    /// System or user, from the flags or who we run as.
    pub fn scope(&self) -> Scope {
        if self.user {
            Scope::User
        } else if self.system {
            Scope::System
        } else {
            host::default_scope()
        }
    }

    /// The loader's context from the flags and the environment.
    pub fn load_context<'z>(&self, zones: &'z SystemZones) -> LoadContext<'z> {
        let scope = self.scope();
        let tz = std::env::var("TZ").ok();
        LoadContext {
            search_path: host::search_path(scope, &self.unit_dirs),
            specifiers: host::specifier_context(scope),
            local_zone: local_zone(tz.as_deref(), zones),
            zones,
        }
    }
}

pub use crate::unit::host::system_zones;

/// Arguments of `sundial verify`.
#[derive(Debug, clap::Args)]
#[command(
    after_long_help = "Examples:\n  $ sundial verify ./backup.timer ./backup.service\n  $ sundial verify --unit-dir examples/units backup.timer"
)]
pub struct Args {
    /// Unit files (paths) or unit names to check.
    #[arg(required = true, value_name = "FILE|UNIT")]
    pub units: Vec<String>,
    #[command(flatten)]
    pub dirs: UnitDirArgs,
    #[command(flatten)]
    pub inert: InertConnection,
}

/// `--socket` and `--no-pager` where they change nothing: commands that read
/// files or compute, and talk to no daemon, accept them after their name as
/// before it, as `systemd-analyze --user calendar` does.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct InertConnection {
    /// Accepted for systemctl habits; no daemon is asked.
    #[arg(long, value_name = "PATH", hide = true)]
    pub socket: Option<PathBuf>,
    /// Accepted for systemctl habits (`cat` pages without it).
    #[arg(long, hide = true)]
    pub no_pager: bool,
}

/// [`InertConnection`] plus `--user` and `--system`, for the commands that
/// read no unit files either (calendar, timespan, timestamp, completions,
/// man).
#[derive(Debug, Clone, Default, clap::Args)]
pub struct InertScope {
    /// Accepted for systemctl habits; no unit is read.
    #[arg(long, hide = true)]
    pub user: bool,
    /// Accepted for systemctl habits; no unit is read.
    #[arg(long, hide = true)]
    pub system: bool,
    #[command(flatten)]
    pub connection: InertConnection,
}

/// Runs `sundial verify`.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let zones = system_zones();
    let cx = args.dirs.load_context(&zones);
    let targets: Vec<VerifyTarget> = args
        .units
        .iter()
        .map(|u| VerifyTarget::from_arg(u))
        .collect();
    let report = verify(&cx, &targets);
    let mut err = io::stderr().lock();
    for d in &report.diagnostics {
        writeln!(err, "{d}")?;
    }
    Ok(if report.failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}
