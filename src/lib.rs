//! sundial: systemd's timers and service supervision as one standalone program.
//!
//! The binary's commands live in [`cli`]; time computations come from the
//! `sundial-calendar` crate.

pub mod cli;
pub mod scheduler;
pub mod unit;
pub mod supervisor;
pub mod store;
pub mod ipc;
pub mod daemon;
