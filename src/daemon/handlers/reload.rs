//! `daemon-reload`.

use crate::daemon::state::State;
use crate::ipc::Response;

pub use crate::daemon::reload::reload as reload_units;

/// Re-reads every unit file; the problems found come back as messages.
pub fn daemon_reload(state: &mut State) -> Response {
    let messages = reload_units(state);
    Response::Done { messages }
}
