//! The command line: one file per subcommand.

use std::io::{self, Write};
use std::process::ExitCode;

use clap::{Parser, Subcommand};

pub mod analyze;
pub mod calendar;
pub mod cat;
pub mod completions;
pub mod crontab;
pub mod daemon;
pub mod help;
mod locale;
pub mod man;
pub mod pager;
pub mod security;
pub mod simulate;
mod time_common;
pub mod timespan;
pub mod timestamp;
pub mod verbs;
pub mod verify;

/// systemd timers and services, without systemd.
#[derive(Debug, Parser)]
#[command(
    name = "sundial",
    version,
    about,
    long_about = None,
    propagate_version = true,
    // Our own `help`: a command's manual page on a terminal. (The setting
    // reaches every command: `crontab` has a `help` of its own.)
    disable_help_subcommand = true
)]
pub struct Cli {
    /// `--user`, `--system`, `--socket`: accepted before the command name as
    /// after it, as in `systemctl --user status`.
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
    Security(security::Args),
    Simulate(simulate::Args),
    Analyze(analyze::Args),
    Crontab(crontab::Args),
    /// Run the daemon: fire timers, supervise services, answer commands.
    Daemon(daemon::Args),
    #[command(flatten)]
    Control(verbs::Verb),
    Completions(completions::Args),
    Man(man::Args),
    Help(help::Args),
}

/// Parses the command line, runs the command and maps the outcome to an exit
/// code. A closed stdout (`sundial … | head`) is not an error.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let outer = &cli.connection;
    // The connection and scope flags before the command name mean what they
    // mean after it (`sundial --user daemon`, `sundial --user verify x`);
    // where they change nothing (calendar, man) they are accepted all the
    // same, as systemd-analyze accepts `--user calendar`.
    let result = match cli.command {
        Command::Control(verb) => verbs::run(verb, outer),
        Command::Calendar(args) => calendar::run(args),
        Command::Timespan(args) => timespan::run(args),
        Command::Timestamp(args) => timestamp::run(args),
        Command::Verify(mut args) => {
            args.dirs = args.dirs.or(outer);
            verify::run(args)
        }
        Command::Cat(mut args) => {
            args.dirs = args.dirs.or(outer);
            pager::start(
                args.inert.no_pager || outer.no_pager,
                pager::PagerOptions::default(),
            );
            cat::run(args)
        }
        Command::Security(mut args) => {
            args.dirs = args.dirs.or(outer);
            security::run(args)
        }
        Command::Simulate(mut args) => {
            args.dirs = args.dirs.or(outer);
            simulate::run(args)
        }
        Command::Analyze(args) => analyze::run(args, outer),
        Command::Crontab(mut args) => {
            let before = crontab::ScopeArgs {
                user: outer.user,
                system: outer.system,
                socket: outer.socket.clone(),
            };
            args.scope = args.scope.or(&before);
            crontab::run(args)
        }
        Command::Daemon(mut args) => {
            args.dirs = args.dirs.or(outer);
            if args.socket.is_none() {
                args.socket.clone_from(&outer.socket);
            }
            daemon::run_daemon(args)
        }
        Command::Completions(args) => completions::run(args),
        Command::Man(args) => man::run(args),
        Command::Help(args) => help::run(args),
    };
    let code = match result {
        Ok(code) => code,
        // The reader (`head`, a pager the user quit) has gone.
        Err(err)
            if err
                .downcast_ref::<io::Error>()
                .is_some_and(|e| e.kind() == io::ErrorKind::BrokenPipe) =>
        {
            ExitCode::SUCCESS
        }
        Err(err) => {
            let _ = writeln!(io::stderr(), "sundial: {err:#}");
            ExitCode::FAILURE
        }
    };
    // The error above went to the pager too, as systemctl's do.
    pager::close();
    code
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    use super::*;

    #[test]
    fn every_command_takes_the_scope_and_connection_flags_after_its_name() {
        // `systemctl --user status` and `systemctl status --user` are both
        // habits; a command added later must accept them too.
        let cli = Cli::command();
        for command in cli.get_subcommands() {
            for flag in ["user", "system", "socket"] {
                assert!(
                    command.get_arguments().any(|a| a.get_long() == Some(flag)),
                    "sundial {} lacks --{flag}",
                    command.get_name()
                );
            }
        }
    }

    #[test]
    fn flags_before_the_command_reach_commands_that_read_units() {
        let cli = Cli::try_parse_from(["sundial", "--user", "verify", "x.timer"]).unwrap();
        let Command::Verify(args) = cli.command else {
            panic!("not verify");
        };
        assert_eq!(
            args.dirs.or(&cli.connection).scope(),
            crate::unit::Scope::User
        );
        // After the command name wins, as for the control commands.
        let cli = Cli::try_parse_from(["sundial", "--user", "daemon", "--system"]).unwrap();
        let Command::Daemon(args) = cli.command else {
            panic!("not daemon");
        };
        assert_eq!(
            args.dirs.or(&cli.connection).scope(),
            crate::unit::Scope::System
        );
    }
}
