//! Service supervision: running `.service` units with systemd's semantics.

pub mod spawn;
pub mod state;
