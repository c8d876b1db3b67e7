//! A service machine written down for `daemon-reexec` and built again in
//! the new program. Only a machine at rest between jobs is written: dead,
//! failed, exited, or running with no control process; its deadlines
//! (RuntimeMaxSec=, the watchdog) and start-limit history as durations from
//! now, since an `Instant` means nothing to another program.

use std::sync::Arc;
use std::time::{Duration, Instant};

use nix::unistd::Pid;
use serde::{Deserialize, Serialize};

use super::{CommandRun, ManagerDefaults, ServiceMachine};
use crate::supervisor::exec_chain::ExecKind;
use crate::supervisor::exit::ProcessExit;
use crate::supervisor::state::{ServiceResult, ServiceState};
use crate::unit::{ServiceUnit, Signal};

/// Where a machine at rest stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "kebab-case")]
pub enum RestState {
    /// `dead`.
    Dead,
    /// `failed`.
    Failed,
    /// `exited` (RemainAfterExit=yes).
    Exited,
    /// `running`, with the time left of RuntimeMaxSec=.
    Running {
        /// µs until RuntimeMaxSec= ends the run.
        runtime_left_usec: Option<u64>,
    },
}

/// How a process ended: `exited`, `killed` or `dumped`, and the status or
/// signal number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExitRecord {
    /// How it ended.
    pub code: ExitKind,
    /// The exit status or the signal's number.
    pub status: i32,
}

/// systemd's `CLD_*` words.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ExitKind {
    /// It exited.
    Exited,
    /// A signal ended it.
    Killed,
    /// A signal ended it with a core dump.
    Dumped,
}

impl From<ProcessExit> for ExitRecord {
    fn from(exit: ProcessExit) -> ExitRecord {
        match exit {
            ProcessExit::Exited(status) => ExitRecord {
                code: ExitKind::Exited,
                status,
            },
            ProcessExit::Killed(s) => ExitRecord {
                code: ExitKind::Killed,
                status: s.number(),
            },
            ProcessExit::Dumped(s) => ExitRecord {
                code: ExitKind::Dumped,
                status: s.number(),
            },
        }
    }
}

impl ExitRecord {
    fn exit(&self) -> Option<ProcessExit> {
        match self.code {
            ExitKind::Exited => Some(ProcessExit::Exited(self.status)),
            ExitKind::Killed => Signal::from_number(self.status).map(ProcessExit::Killed),
            ExitKind::Dumped => Signal::from_number(self.status).map(ProcessExit::Dumped),
        }
    }
}

/// A command of the current start.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommandRecord {
    /// `ExecStart`, `ExecStartPre`, ...
    pub directive: String,
    /// Its place in the list.
    pub index: usize,
    /// Its process.
    pub pid: i32,
    /// How it ended, if it has.
    pub exit: Option<ExitRecord>,
}

/// Everything a machine at rest holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MachineSnapshot {
    /// Its state.
    pub state: RestState,
    /// `Result=`.
    pub result: String,
    /// The main process.
    pub main_pid: Option<i32>,
    /// Which ExecStart= runs as main.
    pub main_index: usize,
    /// How the main process ended.
    pub main_exit: Option<ExitRecord>,
    /// The last main process of the current start.
    pub exec_main_pid: Option<i32>,
    /// The commands the current start ran.
    pub commands_run: Vec<CommandRecord>,
    /// A stop was asked for.
    pub stop_requested: bool,
    /// READY=1 came (or the start did not wait for it).
    pub ready: bool,
    /// How long ago the starts the start limit counts were, µs, oldest
    /// first.
    pub start_ages_usec: Vec<u64>,
    /// `$INVOCATION_ID`.
    pub invocation_id: String,
    /// `NRestarts=`.
    pub n_restarts: u32,
    /// `STATUS=`.
    pub status_text: Option<String>,
    /// µs until the watchdog fires.
    pub watchdog_left_usec: Option<u64>,
    /// The result of the last reload.
    pub reload_result: String,
}

const RESULTS: [ServiceResult; 11] = [
    ServiceResult::Success,
    ServiceResult::Protocol,
    ServiceResult::Timeout,
    ServiceResult::ExitCode,
    ServiceResult::Signal,
    ServiceResult::CoreDump,
    ServiceResult::Watchdog,
    ServiceResult::ExecCondition,
    ServiceResult::StartLimitHit,
    ServiceResult::Resources,
    ServiceResult::OomKill,
];

/// Why a machine's snapshot cannot be restored: a name this program does
/// not know (the snapshot came from another release).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SnapshotError {
    #[error("unknown result {0:?}")]
    UnknownResult(String),
    #[error("unknown command list {0:?}")]
    UnknownCommandList(String),
}

fn result_named(name: &str) -> Result<ServiceResult, SnapshotError> {
    RESULTS
        .into_iter()
        .find(|r| r.as_str() == name)
        .ok_or_else(|| SnapshotError::UnknownResult(name.to_owned()))
}

fn left(deadline: Option<Instant>, now: Instant) -> Option<u64> {
    deadline
        .map(|d| u64::try_from(d.saturating_duration_since(now).as_micros()).unwrap_or(u64::MAX))
}

fn pid(raw: Option<i32>) -> Option<Pid> {
    raw.map(Pid::from_raw)
}

impl ServiceMachine {
    /// The machine written down, or `None` while it is between states or a
    /// control process runs: those are not carried over.
    pub fn snapshot(&self, now: Instant) -> Option<MachineSnapshot> {
        let state = match &self.state {
            ServiceState::Dead => RestState::Dead,
            ServiceState::Failed => RestState::Failed,
            ServiceState::Exited => RestState::Exited,
            ServiceState::Running { runtime_deadline } => RestState::Running {
                runtime_left_usec: left(*runtime_deadline, now),
            },
            _ => return None,
        };
        if self.control.is_some() {
            return None;
        }
        Some(MachineSnapshot {
            state,
            result: self.result.as_str().to_owned(),
            main_pid: self.main_pid.map(Pid::as_raw),
            main_index: self.main_index,
            main_exit: self.main_exit.map(ExitRecord::from),
            exec_main_pid: self.exec_main_pid.map(Pid::as_raw),
            commands_run: self
                .commands_run
                .iter()
                .map(|r| CommandRecord {
                    directive: r.kind.directive().to_owned(),
                    index: r.index,
                    pid: r.pid.as_raw(),
                    exit: r.exit.map(ExitRecord::from),
                })
                .collect(),
            stop_requested: self.stop_requested,
            ready: self.ready,
            start_ages_usec: self
                .start_limit
                .ages(now)
                .iter()
                .map(|a| u64::try_from(a.as_micros()).unwrap_or(u64::MAX))
                .collect(),
            invocation_id: self.invocation_id.clone(),
            n_restarts: self.n_restarts,
            status_text: self.status_text.clone(),
            watchdog_left_usec: left(self.watchdog_deadline, now),
            reload_result: self.reload_result.as_str().to_owned(),
        })
    }

    /// A machine for `unit` as `snapshot` describes it, its deadlines
    /// counted from `now`.
    pub fn restore(
        unit: Arc<ServiceUnit>,
        defaults: &ManagerDefaults,
        snapshot: &MachineSnapshot,
        now: Instant,
    ) -> Result<ServiceMachine, SnapshotError> {
        let at = |usec: Option<u64>| usec.and_then(|u| now.checked_add(Duration::from_micros(u)));
        let mut m = ServiceMachine::new(unit, defaults);
        m.state = match snapshot.state {
            RestState::Dead => ServiceState::Dead,
            RestState::Failed => ServiceState::Failed,
            RestState::Exited => ServiceState::Exited,
            RestState::Running { runtime_left_usec } => ServiceState::Running {
                runtime_deadline: at(runtime_left_usec),
            },
        };
        m.result = result_named(&snapshot.result)?;
        m.main_pid = pid(snapshot.main_pid);
        m.main_index = snapshot.main_index;
        m.main_exit = snapshot.main_exit.and_then(|e| e.exit());
        m.exec_main_pid = pid(snapshot.exec_main_pid);
        m.commands_run = snapshot
            .commands_run
            .iter()
            .map(|c| {
                let kind = ExecKind::from_directive(&c.directive)
                    .ok_or_else(|| SnapshotError::UnknownCommandList(c.directive.clone()))?;
                Ok(CommandRun {
                    kind,
                    index: c.index,
                    pid: Pid::from_raw(c.pid),
                    exit: c.exit.and_then(|e| e.exit()),
                })
            })
            .collect::<Result<_, SnapshotError>>()?;
        m.stop_requested = snapshot.stop_requested;
        m.ready = snapshot.ready;
        let ages: Vec<Duration> = snapshot
            .start_ages_usec
            .iter()
            .map(|u| Duration::from_micros(*u))
            .collect();
        m.start_limit.restore(now, &ages);
        m.invocation_id.clone_from(&snapshot.invocation_id);
        m.n_restarts = snapshot.n_restarts;
        m.status_text.clone_from(&snapshot.status_text);
        m.watchdog_deadline = at(snapshot.watchdog_left_usec);
        m.reload_result = result_named(&snapshot.reload_result)?;
        Ok(m)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::unit::UnitName;

    fn unit() -> Arc<ServiceUnit> {
        let mut service = crate::unit::ServiceSection::default();
        service
            .exec_start
            .push(crate::unit::ExecCommand::new(["/bin/true"]));
        Arc::new(ServiceUnit {
            name: UnitName::parse("a.service").unwrap(),
            source: crate::unit::UnitSource::default(),
            unit: crate::unit::UnitSection::default(),
            service,
            install: crate::unit::InstallSection::default(),
        })
    }

    #[test]
    fn a_running_machine_round_trips_and_a_busy_one_is_not_written() {
        let now = Instant::now();
        let mut m = ServiceMachine::new(unit(), &ManagerDefaults::default());
        m.state = ServiceState::Running {
            runtime_deadline: Some(now + Duration::from_secs(30)),
        };
        m.main_pid = Some(Pid::from_raw(4242));
        m.exec_main_pid = Some(Pid::from_raw(4242));
        m.invocation_id = "ab".repeat(16);
        m.n_restarts = 2;
        m.result = ServiceResult::Success;
        m.commands_run.push(CommandRun {
            kind: ExecKind::StartPre,
            index: 0,
            pid: Pid::from_raw(4241),
            exit: Some(ProcessExit::Killed(Signal::TERM)),
        });
        m.start_limit.try_start(now);
        let snap = m.snapshot(now).expect("running is at rest");
        let json = serde_json::to_string(&snap).unwrap();
        let back: MachineSnapshot = serde_json::from_str(&json).unwrap();
        assert_eq!(back, snap);
        let later = now + Duration::from_secs(1);
        let r = ServiceMachine::restore(unit(), &ManagerDefaults::default(), &back, later).unwrap();
        assert_eq!(r.main_pid, Some(Pid::from_raw(4242)));
        assert_eq!(r.invocation_id, m.invocation_id);
        assert_eq!(r.n_restarts, 2);
        assert_eq!(r.commands_run, m.commands_run);
        assert_eq!(
            r.state,
            ServiceState::Running {
                runtime_deadline: Some(later + Duration::from_secs(30))
            }
        );
        assert_eq!(r.start_limit.ages(later).len(), 1);

        m.state = ServiceState::StartPre {
            step: 0,
            deadline: None,
        };
        assert_eq!(m.snapshot(now), None);
    }
}
