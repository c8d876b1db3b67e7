//! `sundial timestamp`. (Being written.)

use std::process::ExitCode;

/// Arguments of `sundial timestamp`.
#[derive(Debug, clap::Args)]
pub struct Args {}

/// Runs `sundial timestamp`.
pub fn run(_args: Args) -> anyhow::Result<ExitCode> {
    anyhow::bail!("not written yet")
}
