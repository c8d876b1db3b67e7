//! The command line: one file per subcommand.

use std::io::{self, Write};
use std::process::ExitCode;

use clap::{Parser, Subcommand};

pub mod calendar;
pub mod cat;
pub mod completions;
pub mod crontab;
pub mod daemon;
pub mod man;
pub mod simulate;
mod time_common;
pub mod timespan;
pub mod timestamp;
pub mod verbs;
pub mod verify;

/// systemd timers and services, without systemd.
#[derive(Debug, Parser)]
#[command(name = "sundial", version, about, long_about = None, propagate_version = true)]
pub struct Cli {
    /// Also accepted before the command name, as in `systemctl --user status`.
    #[command(flatten)]
    connection: verbs::Connection,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    Calendar(calendar::Args),
    Timespan(timespan::Args),
    Timestamp(timestamp::Args),
    /// Check unit files and report every problem (like systemd-analyze verify).
    Verify(verify::Args),
    /// Print unit files and their drop-ins (like systemctl cat).
    Cat(cat::Args),
    Simulate(simulate::Args),
    Crontab(crontab::Args),
    /// Run the daemon: fire timers, supervise services, answer commands.
    Daemon(daemon::Args),
    #[command(flatten)]
    Control(verbs::Verb),
    Completions(completions::Args),
    Man(man::Args),
}

/// Parses the command line, runs the command and maps the outcome to an exit
/// code. A closed stdout (`sundial … | head`) is not an error.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Control(verb) => verbs::run(verb, &cli.connection),
        _ if cli.connection.is_set() => Err(verbs::misplaced_connection_flags()),
        Command::Calendar(args) => calendar::run(args),
        Command::Timespan(args) => timespan::run(args),
        Command::Timestamp(args) => timestamp::run(args),
        Command::Verify(args) => verify::run(args),
        Command::Cat(args) => cat::run(args),
        Command::Simulate(args) => simulate::run(args),
        Command::Crontab(args) => crontab::run(args),
        Command::Daemon(args) => daemon::run_daemon(args),
        Command::Completions(args) => completions::run(args),
        Command::Man(args) => man::run(args),
    };
    match result {
        Ok(code) => code,
        Err(err) => {
            if err
                .downcast_ref::<io::Error>()
                .is_some_and(|e| e.kind() == io::ErrorKind::BrokenPipe)
            {
                return ExitCode::SUCCESS;
            }
            let _ = writeln!(io::stderr(), "sundial: {err:#}");
            ExitCode::FAILURE
        }
    }
}
