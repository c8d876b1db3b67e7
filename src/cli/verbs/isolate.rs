//! `sundial isolate UNIT`: start a unit and what it pulls in, stop every
//! other running unit, as systemctl isolate does.

use std::process::ExitCode;

use super::connect::SocketEnv;
use super::jobs::{job_exit_code, job_failure};
use super::{mangle_unit_name, print_messages, unexpected, Connection};
use crate::ipc::{IsolateRequest, Request, Response};

const EXAMPLES: &str = "Examples:\n  \
    $ sundial isolate maintenance.target\n  \
    $ sundial isolate maintenance        # the same: a bare name is a target\n\n\
    A unit with IgnoreOnIsolate=yes keeps running. Only a unit that sets\n\
    AllowIsolate=yes in its [Unit] section can be isolated.";

/// Arguments of `sundial isolate`.
#[derive(Debug, clap::Args)]
#[command(
    about = "Start a unit and its dependencies and stop all other units",
    long_about = "Start the unit and every unit its start pulls in (Requires=, BindsTo=, \
                  Requisite=, Wants=), and stop every other running service, timer, socket, \
                  path and target, except those with IgnoreOnIsolate=yes. The unit must set \
                  AllowIsolate=yes. Waits until the jobs are done, as start does.",
    after_long_help = EXAMPLES
)]
pub struct Args {
    /// The unit (a name without suffix means NAME.target).
    #[arg(value_name = "UNIT")]
    pub unit: String,
    #[command(flatten)]
    pub connection: Connection,
}

/// systemctl: the unit to isolate is a target unless it says otherwise.
fn unit_to_isolate(name: &str) -> anyhow::Result<String> {
    anyhow::ensure!(!name.is_empty(), "'' is not a unit name");
    let mangled = mangle_unit_name(name);
    Ok(if mangled == format!("{name}.service") {
        format!("{name}.target")
    } else {
        mangled
    })
}

/// Runs `sundial isolate`.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let unit = unit_to_isolate(&args.unit)?;
    let request = Request::Isolate(IsolateRequest { unit: unit.clone() });
    match args.connection.call(&request)? {
        Response::Done { messages } => {
            print_messages(&messages);
            Ok(ExitCode::SUCCESS)
        }
        Response::Error { code, message } => {
            let sundial = args.connection.command(&SocketEnv::from_process());
            eprint!(
                "{}",
                job_failure(&sundial, "isolate", &[unit], code, &message)
            );
            Ok(ExitCode::from(job_exit_code(code)))
        }
        other => Err(unexpected("isolate", &other)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bare_name_is_a_target() {
        assert_eq!(unit_to_isolate("rescue").expect("a name"), "rescue.target");
        assert_eq!(
            unit_to_isolate("web.service").expect("a name"),
            "web.service"
        );
        assert_eq!(
            unit_to_isolate("multi-user.target").expect("a name"),
            "multi-user.target"
        );
        assert!(unit_to_isolate("").is_err());
    }
}
