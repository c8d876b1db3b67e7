//! `sundial is-active|is-enabled|is-failed UNIT...`: print each unit's state
//! word and answer with the exit code, for scripts, as systemctl does.

use crate::ipc::UnitsRequest;
use std::process::ExitCode;

use super::{exit, mangle_unit_names, report_error, unexpected, Connection};
use crate::ipc::types::UnitState;
use crate::ipc::{Request, Response};

pub(crate) const IS_ACTIVE_EXAMPLES: &str = "Examples:\n  \
    $ sundial is-active web.service\n  \
    active\n  \
    $ sundial is-active --quiet backup.service || echo 'not running'";
pub(crate) const IS_ENABLED_EXAMPLES: &str = "Examples:\n  \
    $ sundial is-enabled backup.timer\n  \
    enabled";
pub(crate) const IS_FAILED_EXAMPLES: &str = "Examples:\n  \
    $ sundial is-failed --quiet backup.service && sundial reset-failed backup.service";

/// Arguments of the is-* verbs.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Print nothing; only the exit code answers.
    #[arg(short = 'q', long)]
    pub quiet: bool,
    /// Units (a name without suffix means NAME.service).
    #[arg(required = true, value_name = "UNIT")]
    pub units: Vec<String>,
    #[command(flatten)]
    pub connection: Connection,
}

/// Which question.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Check {
    /// `is-active`: active or reloading.
    Active,
    /// `is-enabled`: enabled, static, alias, indirect ...
    Enabled,
    /// `is-failed`.
    Failed,
}

impl Check {
    fn verb(self) -> &'static str {
        match self {
            Check::Active => "is-active",
            Check::Enabled => "is-enabled",
            Check::Failed => "is-failed",
        }
    }
}

/// Runs an is-* verb.
pub fn run(check: Check, args: Args) -> anyhow::Result<ExitCode> {
    let units = mangle_unit_names(&args.units)?;
    let request = match check {
        Check::Active => Request::IsActive(UnitsRequest { units }),
        Check::Enabled => Request::IsEnabled(UnitsRequest { units }),
        Check::Failed => Request::IsFailed(UnitsRequest { units }),
    };
    let states = match args.connection.call(&request)? {
        Response::States { states } => states,
        Response::Error { code, message } => return Ok(report_error(code, &message)),
        other => return Err(unexpected(check.verb(), &other)),
    };
    if !args.quiet {
        for s in &states {
            println!("{}", s.state);
        }
    }
    Ok(ExitCode::from(exit_code(check, &states)))
}

/// 0 if one unit is in a good state; else 4 if every unit is not found;
/// else 3 for is-active and 1 for is-failed and is-enabled (systemctl's
/// `check_unit_generic` and `verb_is_enabled`).
pub fn exit_code(check: Check, states: &[UnitState]) -> u8 {
    let good = |s: &UnitState| match check {
        Check::Active => matches!(s.state.as_str(), "active" | "reloading" | "refreshing"),
        Check::Failed => s.state == "failed",
        Check::Enabled => matches!(
            s.state.as_str(),
            "enabled"
                | "enabled-runtime"
                | "static"
                | "alias"
                | "indirect"
                | "generated"
                | "transient"
        ),
    };
    let not_found = |s: &UnitState| s.load_state == "not-found" || s.state == "not-found";
    if states.iter().any(good) {
        exit::OK
    } else if !states.is_empty() && states.iter().all(not_found) {
        exit::UNKNOWN
    } else if check == Check::Active {
        exit::NOT_RUNNING
    } else {
        exit::FAILURE
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(state: &str, load: &str) -> UnitState {
        UnitState {
            unit: "u.service".into(),
            load_state: load.into(),
            state: state.into(),
        }
    }

    #[test]
    fn is_active_codes() {
        assert_eq!(exit_code(Check::Active, &[s("active", "loaded")]), 0);
        assert_eq!(
            exit_code(
                Check::Active,
                &[s("inactive", "loaded"), s("reloading", "loaded")]
            ),
            0
        );
        assert_eq!(exit_code(Check::Active, &[s("failed", "loaded")]), 3);
        assert_eq!(exit_code(Check::Active, &[s("inactive", "not-found")]), 4);
        assert_eq!(
            exit_code(
                Check::Active,
                &[s("inactive", "not-found"), s("inactive", "loaded")]
            ),
            3
        );
    }

    #[test]
    fn is_failed_and_is_enabled_codes() {
        assert_eq!(exit_code(Check::Failed, &[s("failed", "loaded")]), 0);
        assert_eq!(exit_code(Check::Failed, &[s("inactive", "loaded")]), 1);
        assert_eq!(exit_code(Check::Failed, &[s("inactive", "not-found")]), 4);
        assert_eq!(exit_code(Check::Enabled, &[s("static", "loaded")]), 0);
        assert_eq!(exit_code(Check::Enabled, &[s("transient", "loaded")]), 0);
        assert_eq!(exit_code(Check::Enabled, &[s("disabled", "loaded")]), 1);
        assert_eq!(exit_code(Check::Enabled, &[s("masked", "masked")]), 1);
        assert_eq!(exit_code(Check::Enabled, &[s("not-found", "")]), 4);
    }
}
