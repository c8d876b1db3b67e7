//! `sundial timespan`. (Being written.)

use std::process::ExitCode;

/// Arguments of `sundial timespan`.
#[derive(Debug, clap::Args)]
pub struct Args {}

/// Runs `sundial timespan`.
pub fn run(_args: Args) -> anyhow::Result<ExitCode> {
    anyhow::bail!("not written yet")
}
