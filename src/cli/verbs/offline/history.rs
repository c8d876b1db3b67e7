//! `history` from the database: the runs as the daemon lists them.

use super::Offline;
use crate::daemon::handlers::{is_glob, not_found, unit_name};
use crate::ipc::types::RunRow;
use crate::ipc::{ErrorCode, Response};

/// `history` without `-n`, as the daemon's.
const DEFAULT_HISTORY: u32 = 1000;

/// The runs of `unit` (or of all units), newest first; a unit with no runs
/// and no unit file does not exist, as for the daemon.
pub fn history(offline: &Offline, unit: Option<&str>, limit: Option<u32>) -> Response {
    let unit = unit.map(unit_name);
    let limit = limit.unwrap_or(DEFAULT_HISTORY) as usize;
    match offline.store.history(unit.as_deref(), limit) {
        Ok(runs) if runs.is_empty() => match unit.as_deref() {
            Some(u) if !is_glob(u) && !known(offline, u) => not_found(u),
            _ => Response::Runs { runs: vec![] },
        },
        Ok(runs) => Response::Runs {
            runs: runs.into_iter().map(RunRow::from).collect(),
        },
        Err(e) => Response::error(ErrorCode::Failed, e.to_string()),
    }
}

/// Whether `name` has a unit file (an instance has its template's).
fn known(offline: &Offline, name: &str) -> bool {
    let mut units = offline.units();
    units.knows(name) || units.load_extra(name)
}
