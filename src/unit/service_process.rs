//! The `[Service]` options that set up the service's processes (user,
//! directory, environment files, limits, standard input and output): a
//! group most timer-started oneshots leave at its defaults, so it is
//! [`Sparse`](super::sparse::Sparse) in [`ServiceSection`](super::service::ServiceSection).

use std::path::PathBuf;

use sundial_calendar::Timespan;

use super::list::List;
use super::service::{
    EnvironmentFile, ResourceLimit, StandardInput, StandardOutput, WorkingDirectory,
};
use super::sparse::Defaults;
use super::syslog_level::SyslogLevel;

/// How the service's processes are started (see the module).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProcessOptions {
    /// `User=`
    pub user: Option<String>,
    /// `Group=`
    pub group: Option<String>,
    /// `SupplementaryGroups=`
    pub supplementary_groups: List<String>,
    /// `WorkingDirectory=`
    pub working_directory: Option<WorkingDirectory>,
    /// `EnvironmentFile=`, in order.
    pub environment_files: List<EnvironmentFile>,
    /// `UnsetEnvironment=`: names or exact `NAME=VALUE` pairs.
    pub unset_environment: List<String>,
    /// `PassEnvironment=`: names imported from the manager.
    pub pass_environment: List<String>,
    /// `UMask=` (default 0022).
    pub umask: u32,
    /// `Nice=` (-20..=19).
    pub nice: Option<i32>,
    /// `Limit*=`, one entry per resource set (last assignment wins).
    pub limits: List<ResourceLimit>,
    /// `StandardInput=`, `data` when StandardInputText=/StandardInputData=
    /// are set and it is `null` (systemd's `service_fix_stdio`).
    pub standard_input: StandardInput,
    /// The bytes of StandardInputText=/StandardInputData=, in order.
    pub standard_input_data: Vec<u8>,
    /// `TTYPath=`; `None` = /dev/console.
    pub tty_path: Option<PathBuf>,
    /// `StandardOutput=`; `None` = the manager default (journal). `inherit`
    /// only with terminal input: with any other input systemd replaces it
    /// by the default, and so does the loader.
    pub standard_output: Option<StandardOutput>,
    /// `StandardError=`; `None` = inherit (same as stdout).
    pub standard_error: Option<StandardOutput>,
    /// `SyslogLevel=`: the priority of the lines the service prints
    /// (info).
    pub syslog_level: SyslogLevel,
    /// `SyslogLevelPrefix=`: a line starting `<N>` has priority N, the
    /// prefix removed (on by default).
    pub syslog_level_prefix: bool,
    /// `LogRateLimitIntervalSec=`; `None` or 0 = the manager's default.
    pub log_rate_limit_interval: Option<Timespan>,
    /// `LogRateLimitBurst=`; `None` or 0 = the manager's default.
    pub log_rate_limit_burst: Option<u32>,
}

impl ProcessOptions {
    /// Cuts every list to its length.
    pub fn shrink_to_fit(&mut self) {
        for strings in [
            &mut self.supplementary_groups,
            &mut self.unset_environment,
            &mut self.pass_environment,
        ] {
            strings.shrink_to_fit();
        }
        self.environment_files.shrink_to_fit();
        self.limits.shrink_to_fit();
        self.standard_input_data.shrink_to_fit();
    }
}

/// Every option of [`ProcessOptions`] at its default.
static DEFAULTS: ProcessOptions = ProcessOptions {
    user: None,
    group: None,
    supplementary_groups: List::new(),
    working_directory: None,
    environment_files: List::new(),
    unset_environment: List::new(),
    pass_environment: List::new(),
    umask: 0o022,
    nice: None,
    limits: List::new(),
    standard_input: StandardInput::Null,
    standard_input_data: Vec::new(),
    tty_path: None,
    standard_output: None,
    standard_error: None,
    syslog_level: SyslogLevel::Info,
    syslog_level_prefix: true,
    log_rate_limit_interval: None,
    log_rate_limit_burst: None,
};

impl Defaults for ProcessOptions {
    fn defaults() -> &'static ProcessOptions {
        &DEFAULTS
    }
}

impl Default for ProcessOptions {
    fn default() -> ProcessOptions {
        DEFAULTS.clone()
    }
}
