//! Service supervision: running `.service` units with systemd's semantics.

pub mod environment;
pub mod exec_chain;
pub mod exit;
pub mod kill;
pub mod machine;
pub mod notify;
pub mod output;
pub mod procs;
pub mod restart;
pub mod spawn;
pub mod state;
