//! `sundial completions SHELL`: a completion script generated from the clap
//! definition, so that it can never disagree with the commands and flags.

use std::io::{self, Write};
use std::process::ExitCode;

use clap::CommandFactory;
use clap_complete::Shell;

use super::Cli;

/// Arguments of `sundial completions`.
#[derive(Debug, clap::Args)]
#[command(
    about = "Print a shell completion script",
    long_about = "Print the completion script for SHELL on stdout. It completes commands, \
                  flags and fixed flag values; unit names are not completed.",
    after_long_help = "Examples:\n  \
$ sundial completions bash > /usr/share/bash-completion/completions/sundial\n  \
$ sundial completions zsh > /usr/share/zsh/site-functions/_sundial\n  \
$ sundial completions fish > ~/.config/fish/completions/sundial.fish\n  \
$ source <(sundial completions bash)              # this shell only"
)]
pub struct Args {
    /// The shell to complete for.
    #[arg(value_enum, value_name = "SHELL")]
    pub shell: Shell,
    #[command(flatten)]
    pub inert: super::verify::InertScope,
}

/// The completion script for `shell`, as `sundial completions` prints it.
pub fn script(shell: Shell) -> Vec<u8> {
    let mut out = Vec::new();
    clap_complete::generate(shell, &mut Cli::command(), "sundial", &mut out);
    out
}

/// Runs `sundial completions`.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let mut stdout = io::stdout().lock();
    stdout.write_all(&script(args.shell))?;
    stdout.flush()?;
    Ok(ExitCode::SUCCESS)
}
