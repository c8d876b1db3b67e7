//! `sundial help [COMMAND]...`: a command's manual page on a terminal (as
//! `git help log` shows git-log(1)), its `--help` text elsewhere; the
//! commands and flags of sundial without a command, as clap's own help
//! command prints them.

use std::io::{self, IsTerminal, Write};
use std::process::ExitCode;

use clap::CommandFactory;

use super::{man, Cli};

/// Arguments of `sundial help`.
#[derive(Debug, clap::Args)]
#[command(
    about = "Show the manual page of a command, or the commands",
    long_about = "Show the manual page of COMMAND through man when stdout is a terminal and \
                  man is installed (as `sundial man COMMAND`), else what `sundial COMMAND \
                  --help` prints. Without COMMAND, list the commands as `sundial --help` does.",
    after_long_help = "Examples:\n  \
$ sundial help list-timers\n  \
$ sundial help crontab import\n  \
$ sundial help                         # the commands"
)]
pub struct Args {
    /// The command (`list-timers`, `crontab import`).
    #[arg(value_name = "COMMAND")]
    pub command: Vec<String>,
    #[command(flatten)]
    pub inert: super::verify::InertScope,
}

/// Runs `sundial help`.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    // The page is looked up first: an unknown command is an error either
    // way. `help` has no page of its own (it shows the others).
    let about_help = args.command.first().is_some_and(|w| w == "help");
    if !args.command.is_empty() && !about_help {
        let page = man::page_of(&args.command)?;
        if io::stdout().is_terminal() {
            if let Some(code) = man::through_man(&page)? {
                return Ok(code);
            }
        }
    }
    let mut out = io::stdout().lock();
    write!(out, "{}", long_help(&args.command))?;
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}

/// What `sundial WORDS... --help` prints.
pub fn long_help(words: &[String]) -> String {
    let mut root = Cli::command();
    // Building names the commands as their usage shows them
    // (`sundial list-timers`).
    root.build();
    let mut cmd = root;
    for word in words {
        let Some(sub) = cmd.find_subcommand(word) else {
            break;
        };
        cmd = sub.clone();
    }
    cmd.render_long_help().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_help_of_a_command_is_its_long_help() {
        let text = long_help(&["list-timers".to_owned()]);
        assert!(
            text.contains("Usage: sundial list-timers [OPTIONS] [PATTERN]..."),
            "{text}"
        );
        assert!(
            text.contains("$ sundial list-timers --all 'backup*'"),
            "{text}"
        );
        let root = long_help(&[]);
        assert!(
            root.contains("Usage: sundial [OPTIONS] <COMMAND>"),
            "{root}"
        );
    }
}
