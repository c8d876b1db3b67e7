//! `sundial kill [-s SIGNAL] [--kill-whom=main|control|all] UNIT...`: signal
//! a unit's processes without stopping it, as `systemctl kill`.

use crate::ipc::KillRequest;
use std::process::ExitCode;

use super::connect::SocketEnv;
use super::jobs::{job_exit_code, job_failure};
use super::{exit, mangle_unit_names, print_messages, unexpected, Connection};
use crate::ipc::{ErrorCode, KillWhom, Request, Response};
use crate::unit::Signal;

const EXAMPLES: &str = "Examples:\n  \
    $ sundial kill web.service                 # SIGTERM to every process\n  \
    $ sundial kill -s HUP --kill-whom=main web.service\n  \
    $ sundial kill --signal=SIGKILL backup.service";

/// Arguments of `sundial kill`.
#[derive(Debug, clap::Args)]
#[command(
    about = "Send a signal to the processes of units",
    long_about = "Send a signal to the processes of units without stopping them: by default \
                  SIGTERM to every process of each unit. The unit's state changes only as a \
                  consequence of what its processes do.",
    after_long_help = EXAMPLES
)]
pub struct Args {
    /// The signal: a name (`TERM`, `SIGHUP`, `RTMIN+1`) or a number.
    #[arg(short = 's', long, value_name = "SIGNAL", default_value = "SIGTERM", value_parser = parse_signal)]
    pub signal: Signal,
    /// Which processes: the main process, the control process
    /// (ExecStartPre= ...), or all.
    #[arg(long = "kill-whom", visible_alias = "kill-who", value_name = "WHOM", default_value = "all", value_parser = parse_whom)]
    pub whom: KillWhom,
    /// Units (a name without suffix means NAME.service).
    #[arg(required = true, value_name = "UNIT")]
    pub units: Vec<String>,
    #[command(flatten)]
    pub connection: Connection,
}

fn parse_signal(s: &str) -> Result<Signal, String> {
    Signal::parse(s).ok_or_else(|| format!("unknown signal {s:?}"))
}

fn parse_whom(s: &str) -> Result<KillWhom, String> {
    match s {
        "main" => Ok(KillWhom::Main),
        "control" => Ok(KillWhom::Control),
        "all" => Ok(KillWhom::All),
        _ => Err(format!("{s:?} is not one of main, control, all")),
    }
}

/// Runs `sundial kill`.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let units = mangle_unit_names(&args.units)?;
    let request = Request::Kill(KillRequest {
        units: units.clone(),
        signal: args.signal.number(),
        whom: args.whom,
    });
    match args.connection.call(&request)? {
        Response::Done { messages } => {
            print_messages(&messages);
            Ok(ExitCode::SUCCESS)
        }
        Response::Error { code, message } => {
            let sundial = args.connection.command(&SocketEnv::from_process());
            eprint!("{}", job_failure(&sundial, "kill", &units, code, &message));
            // Unlike a job, a kill of a unit that is not there is a plain
            // failure for systemctl.
            Ok(ExitCode::from(match code {
                ErrorCode::NoSuchUnit => exit::FAILURE,
                other => job_exit_code(other),
            }))
        }
        other => Err(unexpected("kill", &other)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Debug, Parser)]
    struct Cli {
        #[command(flatten)]
        args: Args,
    }

    #[test]
    fn signal_and_whom_parse_like_systemctl() {
        let cli = Cli::try_parse_from(["kill", "-s", "HUP", "--kill-who=main", "a"]).unwrap();
        assert_eq!(cli.args.signal.number(), 1);
        assert_eq!(cli.args.whom, KillWhom::Main);
        let cli = Cli::try_parse_from(["kill", "a"]).unwrap();
        assert_eq!(cli.args.signal.number(), 15);
        assert_eq!(cli.args.whom, KillWhom::All);
        assert!(Cli::try_parse_from(["kill", "-s", "NOPE", "a"]).is_err());
        assert!(Cli::try_parse_from(["kill", "--kill-whom=some", "a"]).is_err());
    }
}
