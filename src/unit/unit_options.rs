//! The `[Unit]` options besides `Description=`, the dependencies and the
//! start rate limit (`Documentation=`, `SourcePath=`, the conditions and
//! asserts, `DefaultDependencies=`, `RefuseManualStart=`, `CollectMode=`,
//! the success and failure actions ...): most units leave them all at their
//! defaults, so they are [`Sparse`](super::sparse::Sparse) in
//! [`UnitSection`](super::unit::UnitSection).

use super::list::List;
use super::sparse::Defaults;
use super::unit::{CollectMode, Condition, EmergencyAction};

/// The less common options of the `[Unit]` section (see the module).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnitOptions {
    /// `Documentation=`: URIs.
    pub documentation: List<String>,
    /// `SourcePath=`: the file this unit was generated from (a crontab).
    pub source_path: Option<String>,
    /// `StopWhenUnneeded=` (default no).
    pub stop_when_unneeded: bool,
    /// `RefuseManualStart=`: only a dependency or a timer may start it.
    pub refuse_manual_start: bool,
    /// `RefuseManualStop=`: only a dependency may stop it.
    pub refuse_manual_stop: bool,
    /// `AllowIsolate=`: `sundial isolate` may take this unit (default no).
    pub allow_isolate: bool,
    /// `IgnoreOnIsolate=`: an isolate leaves this unit running (default no).
    pub ignore_on_isolate: bool,
    /// `DefaultDependencies=` (default yes).
    pub default_dependencies: bool,
    /// `Condition*=`: all non-trigger ones must hold, and one trigger one if
    /// any; a failed condition skips the start without failing.
    pub conditions: List<Condition>,
    /// `Assert*=`: like conditions, but a failed one fails the start.
    pub asserts: List<Condition>,
    /// `CollectMode=`.
    pub collect_mode: CollectMode,
    /// `SuccessAction=`: `exit` and `exit-force` are carried out.
    pub success_action: EmergencyAction,
    /// `FailureAction=`: `exit` and `exit-force` are carried out.
    pub failure_action: EmergencyAction,
    /// `SuccessActionExitStatus=`: the daemon's exit status on
    /// `SuccessAction=exit`; `None`: the unit's main process's.
    pub success_action_exit_status: Option<u8>,
    /// `FailureActionExitStatus=`.
    pub failure_action_exit_status: Option<u8>,
}

impl UnitOptions {
    /// Cuts every list to its length.
    pub fn shrink_to_fit(&mut self) {
        self.documentation.shrink_to_fit();
        self.conditions.shrink_to_fit();
        self.asserts.shrink_to_fit();
    }
}

/// Every option of [`UnitOptions`] at its default.
static DEFAULTS: UnitOptions = UnitOptions {
    documentation: List::new(),
    source_path: None,
    stop_when_unneeded: false,
    refuse_manual_start: false,
    refuse_manual_stop: false,
    allow_isolate: false,
    ignore_on_isolate: false,
    default_dependencies: true,
    conditions: List::new(),
    asserts: List::new(),
    collect_mode: CollectMode::Inactive,
    success_action: EmergencyAction::None,
    failure_action: EmergencyAction::None,
    success_action_exit_status: None,
    failure_action_exit_status: None,
};

impl Defaults for UnitOptions {
    fn defaults() -> &'static UnitOptions {
        &DEFAULTS
    }
}

impl Default for UnitOptions {
    fn default() -> UnitOptions {
        DEFAULTS.clone()
    }
}
