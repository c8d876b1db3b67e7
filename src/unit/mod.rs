//! Unit files: systemd's syntax, the typed unit models, and loading them from
//! the search path.
//!
//! Text stops here: the scheduler gets [`TimerUnit`]s and the supervisor
//! [`ServiceUnit`]s, with every value parsed and every default resolved.

pub mod assemble;
pub mod dependencies;
pub mod device_access;
pub mod diag;
pub mod directives;
pub mod dropins;
pub mod exec;
pub mod exec_context;
pub mod exit_status;
pub mod exposure;
pub mod extensions;
pub mod foreign;
pub mod host;
pub mod install;
pub mod ip_address;
pub mod known_directives;
pub mod lexer;
pub mod list;
pub mod load;
pub mod loose;
pub mod name;
pub mod name_table;
pub mod path_unit;
pub mod preset;
mod read_ahead;
pub mod sandbox;
pub mod search_path;
pub mod service;
pub mod service_directives;
pub mod service_process;
pub mod service_stop;
pub mod signal;
pub mod socket;
pub mod socket_bind;
pub mod source;
pub mod sparse;
pub mod specifiers;
pub mod stdin_data;
pub mod syscall_groups;
pub mod syslog_level;
#[cfg(test)]
pub mod test_text;
pub mod timer;
pub mod transient;
// The `[Unit]` section is called what systemd calls it.
#[allow(clippy::module_inception)]
pub mod unit;
pub mod unit_files;
pub mod unit_options;
pub mod values;
pub mod verify;

pub use assemble::{ParseEnv, TargetUnit, Unit};
pub use diag::{Diagnostic, Problem, Severity, ValueError};
pub use exec::{ExecCommand, ExecPrivileges};
pub use exit_status::ExitStatusSet;
pub use extensions::DstPolicy;
pub use install::{read_install, InstallFile, InstallSection};
pub use load::{
    load_all, load_all_indexed, load_units, LoadContext, LoadedUnits, Lookup, UnitIndex,
};
pub use name::{UnitName, UnitType};
pub use path_unit::{PathCondition, PathSection, PathSpec, PathUnit};
pub use search_path::{Scope, SearchPath};
pub use service::{RareServiceOptions, ServiceSection, ServiceType, ServiceUnit};
pub use signal::Signal;
pub use socket::{SocketSection, SocketUnit};
pub use source::UnitSource;
pub use specifiers::{SpecifierContext, Specifiers};
pub use syslog_level::SyslogLevel;
pub use timer::{MonotonicBase, TimerSection, TimerTrigger, TimerUnit};
pub use unit::{CollectMode, Condition, ConditionKind, EmergencyAction, JobSettings, UnitSection};
