//! sundial: systemd's timers and service supervision as one standalone program.
//!
//! The binary's commands live in [`cli`]; time computations come from the
//! `sundial-calendar` crate.

pub mod activation;
pub mod cli;
pub mod cluster;
pub mod crontab;
pub mod daemon;
pub mod ipc;
pub mod markup;
pub mod path_trigger;
pub mod schedule_picture;
pub mod scheduler;
pub mod store;
pub mod supervisor;
pub mod unit;
