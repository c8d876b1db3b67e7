//! `sundial daemon-reload`: the daemon re-reads its unit files; unchanged
//! timers keep their next elapse, running services keep running.

use std::process::ExitCode;

use super::{print_messages, report_error, unexpected, Connection};
use crate::ipc::{Request, Response};

const EXAMPLES: &str = "Examples:\n  \
    $ sudoedit /etc/sundial/system/backup.timer\n  \
    $ sundial daemon-reload";

/// Arguments of `sundial daemon-reload`.
#[derive(Debug, clap::Args)]
#[command(
    about = "Reload unit files",
    long_about = "Make the daemon read its unit directories again and apply what changed: \
                  new units appear, removed ones go once stopped, timers whose schedule did not \
                  change keep their next elapse.",
    after_long_help = EXAMPLES
)]
pub struct Args {
    #[command(flatten)]
    pub connection: Connection,
}

/// Runs `sundial daemon-reload`.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    match args.connection.call(&Request::DaemonReload)? {
        Response::Done { messages } => {
            print_messages(&messages);
            Ok(ExitCode::SUCCESS)
        }
        Response::Error { code, message } => Ok(report_error(code, &message)),
        other => Err(unexpected("daemon-reload", &other)),
    }
}
