//! A service's state: the enum whose variants carry what each state needs
//! (its deadline, its place in a command list), the systemd names of active
//! states, sub-states and results, and the one transition function.

use std::fmt;
use std::time::Instant;

/// systemd's `ActiveState=`: what `systemctl is-active` prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ActiveState {
    Inactive,
    Activating,
    Active,
    Reloading,
    Deactivating,
    Failed,
}

impl ActiveState {
    pub fn as_str(self) -> &'static str {
        match self {
            ActiveState::Inactive => "inactive",
            ActiveState::Activating => "activating",
            ActiveState::Active => "active",
            ActiveState::Reloading => "reloading",
            ActiveState::Deactivating => "deactivating",
            ActiveState::Failed => "failed",
        }
    }

    /// Inactive or failed: no job runs and nothing is up (systemd's
    /// `UNIT_IS_INACTIVE_OR_FAILED`).
    pub fn is_inactive_or_failed(self) -> bool {
        matches!(self, ActiveState::Inactive | ActiveState::Failed)
    }

    /// Up or on its way up: what `restart`-like verbs treat as running
    /// (systemd's `UNIT_IS_ACTIVE_OR_ACTIVATING`).
    pub fn is_active_or_activating(self) -> bool {
        matches!(
            self,
            ActiveState::Active | ActiveState::Activating | ActiveState::Reloading
        )
    }
}

impl fmt::Display for ActiveState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// systemd's service `SubState=` (252 names).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SubState {
    Dead,
    Condition,
    StartPre,
    Start,
    StartPost,
    Running,
    Exited,
    Reload,
    Stop,
    StopWatchdog,
    StopSigterm,
    StopSigkill,
    StopPost,
    FinalSigterm,
    FinalSigkill,
    Failed,
    AutoRestart,
}

impl SubState {
    /// Every sub-state, in systemd's order.
    pub const ALL: [SubState; 17] = [
        SubState::Dead,
        SubState::Condition,
        SubState::StartPre,
        SubState::Start,
        SubState::StartPost,
        SubState::Running,
        SubState::Exited,
        SubState::Reload,
        SubState::Stop,
        SubState::StopWatchdog,
        SubState::StopSigterm,
        SubState::StopSigkill,
        SubState::StopPost,
        SubState::FinalSigterm,
        SubState::FinalSigkill,
        SubState::Failed,
        SubState::AutoRestart,
    ];

    /// The sub-state systemd names `name` (as the store keeps it), if any.
    pub fn from_name(name: &str) -> Option<SubState> {
        SubState::ALL.into_iter().find(|s| s.as_str() == name)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            SubState::Dead => "dead",
            SubState::Condition => "condition",
            SubState::StartPre => "start-pre",
            SubState::Start => "start",
            SubState::StartPost => "start-post",
            SubState::Running => "running",
            SubState::Exited => "exited",
            SubState::Reload => "reload",
            SubState::Stop => "stop",
            SubState::StopWatchdog => "stop-watchdog",
            SubState::StopSigterm => "stop-sigterm",
            SubState::StopSigkill => "stop-sigkill",
            SubState::StopPost => "stop-post",
            SubState::FinalSigterm => "final-sigterm",
            SubState::FinalSigkill => "final-sigkill",
            SubState::Failed => "failed",
            SubState::AutoRestart => "auto-restart",
        }
    }

    /// The ActiveState of each sub-state, as systemd's service.c maps them
    /// (its `state_translation_table`): a restart pending is `activating`,
    /// every stop step `deactivating`.
    pub fn active_state(self) -> ActiveState {
        match self {
            SubState::Dead => ActiveState::Inactive,
            SubState::Condition
            | SubState::StartPre
            | SubState::Start
            | SubState::StartPost
            | SubState::AutoRestart => ActiveState::Activating,
            SubState::Running | SubState::Exited => ActiveState::Active,
            SubState::Reload => ActiveState::Reloading,
            SubState::Stop
            | SubState::StopWatchdog
            | SubState::StopSigterm
            | SubState::StopSigkill
            | SubState::StopPost
            | SubState::FinalSigterm
            | SubState::FinalSigkill => ActiveState::Deactivating,
            SubState::Failed => ActiveState::Failed,
        }
    }
}

impl fmt::Display for SubState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// systemd's `Result=` / `$SERVICE_RESULT`: the first failure of a cycle.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum ServiceResult {
    #[default]
    Success,
    Protocol,
    Timeout,
    ExitCode,
    Signal,
    CoreDump,
    Watchdog,
    /// ExecCondition= exited 1..254: the start was skipped, not failed.
    ExecCondition,
    StartLimitHit,
    Resources,
    /// The kernel's OOM killer ended a process of the service.
    OomKill,
}

impl ServiceResult {
    pub fn as_str(self) -> &'static str {
        match self {
            ServiceResult::Success => "success",
            ServiceResult::Protocol => "protocol",
            ServiceResult::Timeout => "timeout",
            ServiceResult::ExitCode => "exit-code",
            ServiceResult::Signal => "signal",
            ServiceResult::CoreDump => "core-dump",
            ServiceResult::Watchdog => "watchdog",
            ServiceResult::ExecCondition => "exec-condition",
            ServiceResult::StartLimitHit => "start-limit-hit",
            ServiceResult::Resources => "resources",
            ServiceResult::OomKill => "oom-kill",
        }
    }

    /// Whether a cycle with this result ends in `failed` rather than `dead`.
    pub fn is_failure(self) -> bool {
        !matches!(self, ServiceResult::Success | ServiceResult::ExecCondition)
    }
}

impl fmt::Display for ServiceResult {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where a service stands, with the data only that state has. The processes
/// that live across several states (main and control process) are kept by
/// the machine beside the state; a state only says which deadline is armed and
/// which command of its list runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ServiceState {
    Dead,
    Failed,
    /// ExecCondition= command `step` runs.
    Condition {
        step: usize,
        deadline: Option<Instant>,
    },
    StartPre {
        step: usize,
        deadline: Option<Instant>,
    },
    /// ExecStart= command `step` runs (oneshot: one after another), or the
    /// start is waiting for READY=1 (notify) or for the forking parent to exit.
    Start {
        step: usize,
        deadline: Option<Instant>,
    },
    StartPost {
        step: usize,
        deadline: Option<Instant>,
    },
    Running {
        runtime_deadline: Option<Instant>,
    },
    Exited,
    /// ExecReload= command `step` runs; `by_notify` = the service said
    /// RELOADING=1 and no command runs.
    Reload {
        step: usize,
        deadline: Option<Instant>,
        by_notify: bool,
    },
    Stop {
        step: usize,
        deadline: Option<Instant>,
    },
    /// Stop phase in which kill signals were sent (or the service said
    /// STOPPING=1): waiting for the processes to go.
    Killing {
        phase: KillPhase,
        deadline: Option<Instant>,
    },
    StopPost {
        step: usize,
        deadline: Option<Instant>,
    },
    AutoRestart {
        until: Instant,
    },
}

/// The signal rounds of a stop, in their systemd order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KillPhase {
    StopWatchdog,
    StopSigterm,
    StopSigkill,
    FinalSigterm,
    FinalSigkill,
}

impl KillPhase {
    /// Rounds before ExecStopPost= (`stop-*`) versus after it (`final-*`).
    pub fn is_final(self) -> bool {
        matches!(self, KillPhase::FinalSigterm | KillPhase::FinalSigkill)
    }
}

impl ServiceState {
    pub fn sub_state(&self) -> SubState {
        match self {
            ServiceState::Dead => SubState::Dead,
            ServiceState::Failed => SubState::Failed,
            ServiceState::Condition { .. } => SubState::Condition,
            ServiceState::StartPre { .. } => SubState::StartPre,
            ServiceState::Start { .. } => SubState::Start,
            ServiceState::StartPost { .. } => SubState::StartPost,
            ServiceState::Running { .. } => SubState::Running,
            ServiceState::Exited => SubState::Exited,
            ServiceState::Reload { .. } => SubState::Reload,
            ServiceState::Stop { .. } => SubState::Stop,
            ServiceState::Killing { phase, .. } => match phase {
                KillPhase::StopWatchdog => SubState::StopWatchdog,
                KillPhase::StopSigterm => SubState::StopSigterm,
                KillPhase::StopSigkill => SubState::StopSigkill,
                KillPhase::FinalSigterm => SubState::FinalSigterm,
                KillPhase::FinalSigkill => SubState::FinalSigkill,
            },
            ServiceState::StopPost { .. } => SubState::StopPost,
            ServiceState::AutoRestart { .. } => SubState::AutoRestart,
        }
    }

    pub fn active_state(&self) -> ActiveState {
        self.sub_state().active_state()
    }

    /// The instant at which this state wants a `TimerFired` event.
    pub fn deadline(&self) -> Option<Instant> {
        match self {
            ServiceState::Dead | ServiceState::Failed | ServiceState::Exited => None,
            ServiceState::Condition { deadline, .. }
            | ServiceState::StartPre { deadline, .. }
            | ServiceState::Start { deadline, .. }
            | ServiceState::StartPost { deadline, .. }
            | ServiceState::Reload { deadline, .. }
            | ServiceState::Stop { deadline, .. }
            | ServiceState::Killing { deadline, .. }
            | ServiceState::StopPost { deadline, .. } => *deadline,
            ServiceState::Running { runtime_deadline } => *runtime_deadline,
            ServiceState::AutoRestart { until } => Some(*until),
        }
    }

    /// `inactive` or `failed`: nothing of the service runs.
    pub fn is_inactive(&self) -> bool {
        matches!(self, ServiceState::Dead | ServiceState::Failed)
    }
}

/// One logged state change, handed to the log sink.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transition {
    pub old: SubState,
    pub new: SubState,
    pub result: ServiceResult,
}

impl fmt::Display for Transition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} ({}) -> {} ({})",
            self.old.active_state(),
            self.old,
            self.new.active_state(),
            self.new
        )?;
        if self.result != ServiceResult::Success {
            write!(f, ", result {}", self.result)?;
        }
        Ok(())
    }
}

/// The one place a state changes: replaces `state` with `new` and returns the
/// record of old -> new, which the machine passes on as a report (the log).
pub fn transition(
    state: &mut ServiceState,
    new: ServiceState,
    result: ServiceResult,
) -> Option<Transition> {
    let old = state.sub_state();
    *state = new;
    let new_sub = state.sub_state();
    (old != new_sub).then_some(Transition {
        old,
        new: new_sub,
        result,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_sub_state_is_found_by_its_name() {
        for state in SubState::ALL {
            assert_eq!(SubState::from_name(state.as_str()), Some(state));
        }
        assert_eq!(SubState::from_name("waiting"), None);
        assert_eq!(SubState::from_name(""), None);
    }

    #[test]
    fn sub_states_map_to_active_states() {
        assert_eq!(
            SubState::AutoRestart.active_state(),
            ActiveState::Activating
        );
        assert_eq!(SubState::Exited.active_state(), ActiveState::Active);
        assert_eq!(
            SubState::FinalSigkill.active_state(),
            ActiveState::Deactivating
        );
        assert_eq!(SubState::Failed.active_state(), ActiveState::Failed);
    }

    #[test]
    fn transition_reports_only_changes() {
        let mut s = ServiceState::Dead;
        let t = transition(&mut s, ServiceState::Exited, ServiceResult::Success)
            .expect("dead -> exited is a change");
        assert_eq!(t.to_string(), "inactive (dead) -> active (exited)");
        assert!(transition(&mut s, ServiceState::Exited, ServiceResult::Success).is_none());
        let t = transition(&mut s, ServiceState::Failed, ServiceResult::Timeout).expect("a change");
        assert_eq!(
            t.to_string(),
            "active (exited) -> failed (failed), result timeout"
        );
    }

    #[test]
    fn exec_condition_is_not_a_failure() {
        assert!(!ServiceResult::ExecCondition.is_failure());
        assert!(ServiceResult::CoreDump.is_failure());
    }
}
