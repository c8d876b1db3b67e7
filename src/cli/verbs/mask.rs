//! `sundial mask|unmask UNIT...`: link a unit to /dev/null in the daemon's
//! first unit directory so that nothing starts it, or remove that link.

use crate::ipc::UnitsRequest;
use std::process::ExitCode;

use super::enable::print_file_changes;
use super::{mangle_unit_names, Connection};
use crate::ipc::Request;

pub(crate) const MASK_EXAMPLES: &str = "Examples:\n  \
    $ sundial mask backup.service\n  \
    Created symlink /etc/sundial/system/backup.service → /dev/null.";
pub(crate) const UNMASK_EXAMPLES: &str = "Examples:\n  \
    $ sundial unmask backup.service\n  \
    Removed \"/etc/sundial/system/backup.service\".";

/// Arguments of `sundial mask` and `sundial unmask`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Do not print the symlinks made and removed.
    #[arg(short = 'q', long)]
    pub quiet: bool,
    /// Units (a name without suffix means NAME.service).
    #[arg(required = true, value_name = "UNIT")]
    pub units: Vec<String>,
    #[command(flatten)]
    pub connection: Connection,
}

/// Mask or unmask.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    /// `mask`.
    Mask,
    /// `unmask`.
    Unmask,
}

/// Runs `sundial mask` or `sundial unmask`.
pub fn run(change: Change, args: Args) -> anyhow::Result<ExitCode> {
    let units = mangle_unit_names(&args.units)?;
    let (request, verb) = match change {
        Change::Mask => (Request::Mask(UnitsRequest { units }), "mask"),
        Change::Unmask => (Request::Unmask(UnitsRequest { units }), "unmask"),
    };
    let response = args.connection.call(&request)?;
    print_file_changes(verb, response, args.quiet)
}
