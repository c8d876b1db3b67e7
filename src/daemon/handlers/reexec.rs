//! `daemon-reexec`: taken now, carried out by the event loop once the
//! daemon is at rest (see [`crate::daemon::reexec`]).

use tokio::sync::oneshot;

use crate::daemon::reexec;
use crate::daemon::state::State;
use crate::ipc::Reply;

/// Answers `daemon-reexec`: a refusal now, or nothing until the exec closes
/// the connection.
pub fn daemon_reexec(state: &mut State, reply: oneshot::Sender<Reply>) {
    reexec::request(state, reply);
}
