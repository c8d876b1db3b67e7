//! Unit files: systemd's syntax, the typed unit models, and loading them from
//! the search path.
//!
//! Text stops here: the scheduler gets [`TimerUnit`]s and the supervisor
//! [`ServiceUnit`]s, with every value parsed and every default resolved.

pub mod assemble;
pub mod diag;
pub mod directives;
pub mod exec;
pub mod exit_status;
pub mod install;
pub mod known_directives;
pub mod lexer;
pub mod name;
pub mod service;
pub mod service_directives;
pub mod signal;
pub mod source;
pub mod specifiers;
pub mod timer;
// The `[Unit]` section is called what systemd calls it.
#[allow(clippy::module_inception)]
pub mod unit;
pub mod values;

pub use assemble::{ParseEnv, TargetUnit, Unit};
pub use diag::{Diagnostic, Problem, Severity, ValueError};
pub use exec::{ExecCommand, ExecPrivileges};
pub use exit_status::ExitStatusSet;
pub use install::InstallSection;
pub use name::{UnitName, UnitType};
pub use service::{ServiceSection, ServiceType, ServiceUnit};
pub use signal::Signal;
pub use source::UnitSource;
pub use specifiers::{SpecifierContext, Specifiers};
pub use timer::{MonotonicBase, TimerSection, TimerTrigger, TimerUnit};
pub use unit::{Condition, ConditionKind, UnitSection};
