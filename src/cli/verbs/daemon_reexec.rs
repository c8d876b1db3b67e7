//! `sundial daemon-reexec`: the daemon executes its program again (after
//! an upgrade of the binary) and keeps its services running: same process
//! ids, their output still captured, timers and run history as they were.

use std::process::ExitCode;

use super::{report_error, unexpected, Connection};
use crate::ipc::{Request, Response};

const EXAMPLES: &str = "Examples:\n  \
    $ sudo install -m 755 target/release/sundial /usr/local/bin/sundial\n  \
    $ sudo sundial daemon-reexec\n  \
    $ sundial --user daemon-reexec";

/// Arguments of `sundial daemon-reexec`.
#[derive(Debug, clap::Args)]
#[command(
    about = "Re-execute the daemon, keeping its services running",
    long_about = "Make the daemon execute its program again, as a new binary after an \
                  upgrade, and carry on where it was: running services keep running with \
                  the same process ids and their output is still captured; timers keep \
                  their last triggers and next elapses; unit files are read again. The \
                  daemon does this only at rest: while a job runs or a service is starting, \
                  stopping or reloading it waits, up to 30 seconds, and refuses if that does \
                  not end. Clients following logs are disconnected. Returns once the new \
                  program answers.",
    after_long_help = EXAMPLES
)]
pub struct Args {
    #[command(flatten)]
    pub connection: Connection,
}

/// Runs `sundial daemon-reexec`.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    // systemctl: a re-executing manager answers by dropping the
    // connection, which is success.
    match args.connection.call(&Request::DaemonReexec) {
        Ok(Response::Error { code, message }) => return Ok(report_error(code, &message)),
        Ok(other) => return Err(unexpected("daemon-reexec", &other)),
        Err(e) if dropped(&e) => {}
        Err(e) => return Err(e),
    }
    // The new program answers on the same socket: connections wait in its
    // backlog until it does.
    match args.connection.call(&Request::ShowEnvironment)? {
        Response::Environment { .. } => Ok(ExitCode::SUCCESS),
        Response::Error { code, message } => Ok(report_error(code, &message)),
        other => Err(unexpected("daemon-reexec", &other)),
    }
}

/// Whether the error is the connection closing without an answer.
fn dropped(e: &anyhow::Error) -> bool {
    use crate::ipc::ClientError;
    matches!(
        e.downcast_ref::<ClientError>(),
        Some(ClientError::NoReply { .. } | ClientError::Frame { .. })
    )
}
