//! `sundial calendar`. (Being written.)

use std::process::ExitCode;

/// Arguments of `sundial calendar`.
#[derive(Debug, clap::Args)]
pub struct Args {}

/// Runs `sundial calendar`.
pub fn run(_args: Args) -> anyhow::Result<ExitCode> {
    anyhow::bail!("not written yet")
}
