//! `sundial reset-failed [UNIT...]`: forget that units failed (and their
//! start-limit counters), as systemctl does.

use crate::ipc::ResetFailedRequest;
use std::process::ExitCode;

use super::{exit, mangle_unit_names, print_messages, report_error, unexpected, Connection};
use crate::ipc::{ErrorCode, Request, Response};

const EXAMPLES: &str = "Examples:\n  \
    $ sundial reset-failed backup.service\n  \
    $ sundial reset-failed                 # every failed unit";

/// Arguments of `sundial reset-failed`.
#[derive(Debug, clap::Args)]
#[command(
    about = "Reset the failed state of units",
    long_about = "Put failed units back into the inactive state and reset their start-limit \
                  counters; without units, every failed unit.",
    after_long_help = EXAMPLES
)]
pub struct Args {
    /// Units (a name without suffix means NAME.service); none: all.
    #[arg(value_name = "UNIT")]
    pub units: Vec<String>,
    #[command(flatten)]
    pub connection: Connection,
}

/// Runs `sundial reset-failed`.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let request = Request::ResetFailed(ResetFailedRequest {
        units: mangle_unit_names(&args.units)?,
    });
    match args.connection.call(&request)? {
        Response::Done { messages } => {
            print_messages(&messages);
            Ok(ExitCode::SUCCESS)
        }
        // "Failed to reset failed state of unit x.service: Unit x.service not
        // loaded.", exit 1, as systemctl.
        Response::Error {
            code: ErrorCode::NoSuchUnit,
            message,
        } => {
            eprintln!("{message}");
            Ok(ExitCode::from(exit::FAILURE))
        }
        Response::Error { code, message } => Ok(report_error(code, &message)),
        other => Err(unexpected("reset-failed", &other)),
    }
}
