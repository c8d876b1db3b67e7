//! A run taken over from a daemon that crashed: its main process adopted
//! (the run goes on as the same invocation) or its processes ended (a run
//! mid-way through its command chain cannot be resumed).
//!
//! The restarted daemon is not the parent of what it takes over, so it
//! cannot read how those processes end: their end is [`ServiceMachine::
//! adopted_gone`], with no exit status. As systemd does for a main process
//! that is not its child, an unknown end is not a failure: the run goes on
//! as after a clean exit (ExecStop=, ExecStopPost=, then `dead`), and
//! Restart= applies as for a result of `success` with no exit status, so
//! Restart=always and on-success restart the service, the failure policies
//! do not.

use std::time::{Duration, Instant};

use nix::unistd::Pid;

use super::{Control, Runtime, ServiceMachine};
use crate::supervisor::exec_chain::ExecKind;
use crate::supervisor::state::{KillPhase, ServiceResult, ServiceState};
use crate::unit::service::ServiceType;

/// A recorded process that still runs: its pid and the command it runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TakenProcess {
    pub pid: Pid,
    pub kind: ExecKind,
    pub index: usize,
}

/// What a machine takes over.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Takeover {
    /// The run's invocation id, kept.
    pub invocation_id: String,
    pub main: Option<TakenProcess>,
    pub control: Option<TakenProcess>,
    /// How long ago the run started (RuntimeMaxSec= and TimeoutStartSec=
    /// count from then).
    pub elapsed: Duration,
    /// The run was stopping its processes or running ExecStopPost=: ending
    /// it goes on with the final signal round.
    pub final_phase: bool,
}

impl ServiceMachine {
    /// The main and control process, with the command each runs; what the
    /// daemon records so that a restart after a crash can find them.
    pub fn tracked(&self) -> (Option<TakenProcess>, Option<TakenProcess>) {
        let main = self.main_pid.map(|pid| {
            let (kind, index) = self
                .commands_run
                .iter()
                .find(|r| r.pid == pid)
                .map_or((ExecKind::Start, self.main_index), |r| (r.kind, r.index));
            TakenProcess { pid, kind, index }
        });
        let control = self.control.map(|c| TakenProcess {
            pid: c.pid,
            kind: c.kind,
            index: c.index,
        });
        (main, control)
    }

    /// Takes the run over where the main process of a service at rest
    /// (`running`, or a oneshot's ExecStart= in flight) still runs: the
    /// machine is in that state again, with the same invocation id, and
    /// reports no state change (the run's row goes on).
    pub fn adopt(&mut self, t: &Takeover, now: Instant) {
        self.take_over(t);
        let left = |limit: Option<Duration>| {
            limit.map(|l| now.checked_add(l.saturating_sub(t.elapsed)).unwrap_or(now))
        };
        self.state = match (self.service_type(), t.main) {
            (ServiceType::Oneshot, Some(main)) => ServiceState::Start {
                step: main.index,
                deadline: left(self.timeouts.start),
            },
            _ => ServiceState::Running {
                runtime_deadline: left(self.timeouts.runtime_max),
            },
        };
        self.watchdog_deadline = Self::after(now, self.timeouts.watchdog);
    }

    /// Takes the run over only to end it: its processes get the stop's
    /// signals (KillSignal=, then FinalKillSignal= after TimeoutStopSec=),
    /// then ExecStopPost= runs as after any stop. Restart= does not apply.
    pub fn end_taken_over(&mut self, t: &Takeover, now: Instant, rt: &mut dyn Runtime) {
        self.take_over(t);
        self.state = match t.control {
            Some(c) => phase_of(c.kind, c.index),
            None => ServiceState::Start {
                step: t.main.map_or(0, |m| m.index),
                deadline: None,
            },
        };
        self.stop_requested = true;
        self.reports
            .push(crate::supervisor::machine::Report::Message(
                "Cut off by the daemon's crash; stopping what is left of the run.".into(),
            ));
        let phase = if t.final_phase || t.control.is_some_and(|c| c.kind == ExecKind::StopPost) {
            KillPhase::FinalSigterm
        } else {
            KillPhase::StopSigterm
        };
        self.enter_signal(phase, now, rt);
    }

    fn take_over(&mut self, t: &Takeover) {
        self.result = ServiceResult::Success;
        self.invocation_id.clone_from(&t.invocation_id);
        self.main_pid = None;
        self.main_exit = None;
        self.exec_main_pid = None;
        self.commands_run.clear();
        self.control = None;
        self.stop_requested = false;
        self.ready = true;
        self.status_text = None;
        self.watchdog_deadline = None;
        if let Some(m) = t.main {
            self.set_main_pid(Some(m.pid));
            self.main_index = m.index;
            self.note_spawned(m.kind, m.index, m.pid);
        }
        if let Some(c) = t.control {
            self.note_spawned(c.kind, c.index, c.pid);
            self.control = Some(Control {
                pid: c.pid,
                kind: c.kind,
                index: c.index,
            });
        }
    }

    /// A taken-over process ended; how, the daemon cannot know.
    pub fn adopted_gone(&mut self, pid: Pid, now: Instant, rt: &mut dyn Runtime) {
        if self.main_pid == Some(pid) {
            self.main_pid = None;
            self.reports
                .push(crate::supervisor::machine::Report::Message(
                    "Main process exited, status unknown (adopted after a daemon restart)".into(),
                ));
            match self.state {
                ServiceState::Running { .. } => self.enter_running(now, rt),
                // A oneshot's later commands need this one to have
                // succeeded, which nothing says: they are not run.
                ServiceState::Start { .. } => self.enter_signal(KillPhase::StopSigterm, now, rt),
                _ => self.check_gone(now, rt),
            }
        } else {
            if self.control.is_some_and(|c| c.pid == pid) {
                self.control = None;
            }
            // Another process of the run, watched during a stop.
            self.check_gone(now, rt);
        }
    }
}

/// The state in which a control command of `kind` runs.
fn phase_of(kind: ExecKind, step: usize) -> ServiceState {
    match kind {
        ExecKind::Condition => ServiceState::Condition {
            step,
            deadline: None,
        },
        ExecKind::StartPre => ServiceState::StartPre {
            step,
            deadline: None,
        },
        ExecKind::Start => ServiceState::Start {
            step,
            deadline: None,
        },
        ExecKind::StartPost => ServiceState::StartPost {
            step,
            deadline: None,
        },
        ExecKind::Reload => ServiceState::Reload {
            step,
            deadline: None,
            by_notify: false,
        },
        ExecKind::Stop => ServiceState::Stop {
            step,
            deadline: None,
        },
        ExecKind::StopPost => ServiceState::StopPost {
            step,
            deadline: None,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::supervisor::kill::KillScope;
    use crate::supervisor::machine::{CommandSpec, ManagerDefaults, Report};
    use crate::supervisor::state::SubState;
    use crate::unit::Signal;
    use std::sync::Arc;

    /// An edge that spawns nothing and records signals.
    #[derive(Default)]
    struct Fake {
        signals: Vec<(Signal, Option<Pid>, Option<Pid>)>,
        spawned: Vec<ExecKind>,
    }

    impl Runtime for Fake {
        fn new_invocation_id(&mut self) -> String {
            "f".repeat(32)
        }
        fn spawn(&mut self, spec: CommandSpec<'_>) -> Result<Pid, i32> {
            self.spawned.push(spec.kind);
            Ok(Pid::from_raw(9000 + self.spawned.len() as i32))
        }
        fn kill(&mut self, _: KillScope, s: Signal, m: Option<Pid>, c: Option<Pid>) -> usize {
            self.signals.push((s, m, c));
            usize::from(m.is_some()) + usize::from(c.is_some())
        }
        fn has_processes(&mut self) -> bool {
            false
        }
        fn read_pid_file(&mut self, _: &std::path::Path) -> Option<Pid> {
            None
        }
        fn guess_main_pid(&mut self) -> Option<Pid> {
            None
        }
        fn belongs(&mut self, _: Pid) -> bool {
            false
        }
    }

    fn unit(service_lines: &str) -> Arc<ServiceUnit> {
        crate::unit::test_text::service_unit(&format!(
            "ExecStart=/bin/sleep 1000\nExecStopPost=/bin/true\n{service_lines}"
        ))
    }

    use crate::unit::ServiceUnit;

    fn main_only(pid: i32) -> Takeover {
        Takeover {
            invocation_id: "ab".repeat(16),
            main: Some(TakenProcess {
                pid: Pid::from_raw(pid),
                kind: ExecKind::Start,
                index: 0,
            }),
            control: None,
            elapsed: Duration::from_secs(5),
            final_phase: false,
        }
    }

    fn subs(reports: &[Report]) -> Vec<(SubState, SubState)> {
        reports
            .iter()
            .filter_map(|r| match r {
                Report::Transition(t) => Some((t.old, t.new)),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn an_adopted_main_process_runs_on_silently_and_its_end_is_unknown() {
        let now = Instant::now();
        let mut m = ServiceMachine::new(unit("Restart=on-failure"), &ManagerDefaults::default());
        m.adopt(&main_only(4242), now);
        assert_eq!(m.state().sub_state(), SubState::Running);
        assert_eq!(m.main_pid(), Some(Pid::from_raw(4242)));
        assert_eq!(m.invocation_id(), "ab".repeat(16));
        // No state change is reported: the run's row is not started again.
        assert!(subs(&m.take_reports()).is_empty());
        let mut rt = Fake::default();
        m.adopted_gone(Pid::from_raw(4242), now, &mut rt);
        assert_eq!(m.main_exit(), None);
        // Nothing says it failed: no restart for on-failure; ExecStopPost= runs.
        assert_eq!(rt.spawned, [ExecKind::StopPost]);
        let c = m.control_pid().unwrap();
        m.child_exited(
            c,
            crate::supervisor::exit::ProcessExit::Exited(0),
            now,
            &mut rt,
        );
        assert_eq!(m.state().sub_state(), SubState::Dead);
        assert_eq!(m.result(), ServiceResult::Success);
    }

    #[test]
    fn restart_always_takes_an_unknown_end_up_again() {
        let now = Instant::now();
        let mut m = ServiceMachine::new(unit("Restart=always"), &ManagerDefaults::default());
        m.adopt(&main_only(4242), now);
        let mut rt = Fake::default();
        m.adopted_gone(Pid::from_raw(4242), now, &mut rt);
        let c = m.control_pid().unwrap();
        m.child_exited(
            c,
            crate::supervisor::exit::ProcessExit::Exited(0),
            now,
            &mut rt,
        );
        assert_eq!(m.state().sub_state(), SubState::AutoRestart);
    }

    #[test]
    fn an_adopted_oneshot_does_not_go_on_with_its_chain() {
        let now = Instant::now();
        let mut m = ServiceMachine::new(unit("Type=oneshot"), &ManagerDefaults::default());
        m.adopt(&main_only(77), now);
        assert_eq!(m.state().sub_state(), SubState::Start);
        let mut rt = Fake::default();
        m.adopted_gone(Pid::from_raw(77), now, &mut rt);
        // No further ExecStart=/ExecStartPost=: straight to the stop's end.
        assert_eq!(rt.spawned, [ExecKind::StopPost]);
    }

    #[test]
    fn a_run_cut_off_mid_chain_is_signalled_and_not_restarted() {
        let now = Instant::now();
        let mut m = ServiceMachine::new(unit("Restart=always"), &ManagerDefaults::default());
        let mut t = main_only(50);
        t.control = Some(TakenProcess {
            pid: Pid::from_raw(51),
            kind: ExecKind::StartPost,
            index: 0,
        });
        let mut rt = Fake::default();
        m.end_taken_over(&t, now, &mut rt);
        assert_eq!(
            rt.signals,
            [(
                Signal::TERM,
                Some(Pid::from_raw(50)),
                Some(Pid::from_raw(51))
            )]
        );
        assert_eq!(m.state().sub_state(), SubState::StopSigterm);
        m.adopted_gone(Pid::from_raw(51), now, &mut rt);
        assert_eq!(m.state().sub_state(), SubState::StopSigterm);
        m.adopted_gone(Pid::from_raw(50), now, &mut rt);
        // SIGKILL round finds nothing, then ExecStopPost=.
        assert_eq!(rt.spawned, [ExecKind::StopPost]);
        let c = m.control_pid().unwrap();
        m.child_exited(
            c,
            crate::supervisor::exit::ProcessExit::Exited(0),
            now,
            &mut rt,
        );
        // A stop was asked for: Restart=always does not apply.
        assert_eq!(m.state().sub_state(), SubState::Dead);
        assert_eq!(m.invocation_id(), "ab".repeat(16));
    }

    #[test]
    fn directives_name_their_lists() {
        assert_eq!(
            ExecKind::from_directive("ExecStartPost"),
            Some(ExecKind::StartPost)
        );
        assert_eq!(ExecKind::from_directive("ExecFoo"), None);
    }
}
