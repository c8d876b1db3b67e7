//! The state machine driven through [`FakeRuntime`]: no process is started,
//! time is an `Instant` the test moves, and each test checks the sub-state
//! transitions (with the result they carry) and the calls on the edge.

use std::sync::Arc;
use std::time::{Duration, Instant};

use nix::unistd::Pid;

use super::fake_runtime::{Call, FakeRuntime};
use super::{ManagerDefaults, Report, ServiceMachine, StartOutcome};
use crate::supervisor::exec_chain::ExecKind;
use crate::supervisor::exit::ProcessExit;
use crate::supervisor::kill::KillScope;
use crate::supervisor::notify::NotifyField;
use crate::supervisor::spawn::ExecReport;
use crate::supervisor::state::{ServiceResult, SubState};
use crate::unit::{ServiceUnit, Signal};

use ExecKind::{Start, StartPost, StartPre, Stop, StopPost};
use KillScope::{All, MainAndControl};
use ServiceResult as R;
use SubState as S;

/// Loads `t.service` from the `[Service]` lines `body`.
fn unit(body: &str) -> Arc<ServiceUnit> {
    crate::unit::test_text::service_unit(body)
}

/// A machine, its fake edge and a clock the test moves.
struct Harness {
    m: ServiceMachine,
    rt: FakeRuntime,
    t0: Instant,
    now: Instant,
    /// Messages seen so far (drained from the reports).
    messages: Vec<String>,
    /// `Finished` reports seen so far.
    finished: Vec<(ServiceResult, bool)>,
    abandoned: Vec<Pid>,
}

fn harness(body: &str) -> Harness {
    let now = Instant::now();
    Harness {
        m: ServiceMachine::new(unit(body), &ManagerDefaults::default()),
        rt: FakeRuntime::default(),
        t0: now,
        now,
        messages: Vec::new(),
        finished: Vec::new(),
        abandoned: Vec::new(),
    }
}

fn ok(code: i32) -> ProcessExit {
    ProcessExit::Exited(code)
}

fn killed(s: Signal) -> ProcessExit {
    ProcessExit::Killed(s)
}

impl Harness {
    fn start(&mut self) -> StartOutcome {
        self.m.start(self.now, &mut self.rt)
    }

    fn stop(&mut self) {
        self.m.stop(self.now, &mut self.rt);
    }

    fn sub(&self) -> SubState {
        self.m.state().sub_state()
    }

    fn main(&self) -> Pid {
        self.m.main_pid().expect("a main process")
    }

    fn control(&self) -> Pid {
        self.m.control_pid().expect("a control process")
    }

    /// `pid` ended with `exit` and was reaped.
    fn exit(&mut self, pid: Pid, exit: ProcessExit) {
        self.rt.end(pid);
        self.m.child_exited(pid, exit, self.now, &mut self.rt);
    }

    fn exit_main(&mut self, exit: ProcessExit) {
        let pid = self.main();
        self.exit(pid, exit);
    }

    fn exit_control(&mut self, exit: ProcessExit) {
        let pid = self.control();
        self.exit(pid, exit);
    }

    /// Moves the clock by `d` and, like the supervisor's loop, calls `timer`
    /// when the machine's deadline has come.
    fn advance(&mut self, d: Duration) {
        self.now += d;
        if self.m.deadline().is_some_and(|at| at <= self.now) {
            self.m.timer(self.now, &mut self.rt);
        }
    }

    fn notify(&mut self, pid: Pid, fields: &[NotifyField]) {
        self.m.notify(pid, fields, self.now, &mut self.rt);
    }

    /// The transitions since the last call, as (old, new, result).
    fn transitions(&mut self) -> Vec<(SubState, SubState, ServiceResult)> {
        let mut out = Vec::new();
        for r in self.m.take_reports() {
            match r {
                Report::Transition(t) => out.push((t.old, t.new, t.result)),
                Report::Message(m) => self.messages.push(m),
                Report::Finished { result, restarting } => self.finished.push((result, restarting)),
                Report::Abandoned(p) => self.abandoned.extend(p),
            }
        }
        out
    }

    /// The edge calls since the last call, in a compact form.
    fn trace(&mut self) -> Vec<String> {
        let out = self
            .rt
            .calls
            .iter()
            .map(|c| match c {
                Call::Spawn {
                    kind,
                    index,
                    outcome,
                    ..
                } => match outcome {
                    Ok(_) => format!("spawn {}[{index}]", kind.directive()),
                    Err(s) => format!("spawn {}[{index}] -> {s}", kind.directive()),
                },
                Call::Kill {
                    scope,
                    signal,
                    main,
                    control,
                    ..
                } => format!(
                    "kill {scope:?} {} main={} control={}",
                    signal,
                    main.map_or("-".into(), |p| p.to_string()),
                    control.map_or("-".into(), |p| p.to_string())
                ),
                Call::ReadPidFile(p) => format!("read {}", p.display()),
                Call::GuessMainPid => "guess".into(),
            })
            .collect();
        self.rt.clear();
        out
    }
}

/// The four signal rounds of a stop that finds nothing to wait for: SIGTERM
/// and SIGKILL before ExecStopPost=, then again after it.
fn empty_rounds(scope: KillScope, term: &str, kill: &str) -> Vec<String> {
    [term, kill, term, kill]
        .iter()
        .map(|s| format!("kill {scope:?} {s} main=- control=-"))
        .collect()
}

// ---- Type= -------------------------------------------------------------

#[test]
fn simple_is_running_once_spawned_and_a_clean_exit_ends_dead() {
    let mut h = harness("Type=simple\nExecStart=/bin/daemon");
    assert_eq!(h.start(), StartOutcome::Started);
    assert_eq!(
        h.transitions(),
        [
            (S::Dead, S::Start, R::Success),
            (S::Start, S::Running, R::Success)
        ]
    );
    assert_eq!(h.trace(), ["spawn ExecStart[0]"]);
    assert_eq!(
        h.m.deadline(),
        None,
        "simple: no start timeout, no runtime limit"
    );
    assert_eq!(h.m.invocation_id(), format!("{:032x}", 1));
    assert_eq!(h.start(), StartOutcome::AlreadyActive);

    h.exit_main(ok(0));
    assert_eq!(h.transitions(), [(S::Running, S::Dead, R::Success)]);
    assert_eq!(h.trace(), empty_rounds(All, "SIGTERM", "SIGKILL"));
    assert_eq!(h.finished, [(R::Success, false)]);
    assert_eq!(h.m.main_exit(), Some(ok(0)));
    assert!(h.abandoned.is_empty());
}

#[test]
fn simple_main_exiting_unclean_fails_the_service() {
    let mut h = harness("ExecStart=/bin/daemon");
    h.start();
    h.transitions();
    h.exit_main(ok(3));
    assert_eq!(h.transitions(), [(S::Running, S::Failed, R::ExitCode)]);
    assert_eq!(h.finished, [(R::ExitCode, false)]);
    assert!(
        h.messages.iter().any(|m| m.contains("status=3")),
        "{:?}",
        h.messages
    );
    // A SIGTERM death of the main process is clean; a SIGKILL one is not.
    let mut h = harness("ExecStart=/bin/daemon");
    h.start();
    h.exit_main(killed(Signal::TERM));
    assert_eq!(h.sub(), S::Dead);
    let mut h = harness("ExecStart=/bin/daemon");
    h.start();
    h.exit_main(killed(Signal::KILL));
    assert_eq!((h.sub(), h.m.result()), (S::Failed, R::Signal));
}

#[test]
fn simple_and_idle_that_cannot_exec_fail_with_the_status() {
    for ty in ["simple", "idle"] {
        let mut h = harness(&format!("Type={ty}\nExecStart=/no/such"));
        h.rt.fail_exec(Start, 0, 203);
        h.start();
        assert_eq!(
            h.transitions(),
            [
                (S::Dead, S::Start, R::Success),
                (S::Start, S::Failed, R::ExitCode)
            ],
            "{ty}"
        );
        let mut expected = vec!["spawn ExecStart[0] -> 203".to_owned()];
        expected.extend(empty_rounds(All, "SIGTERM", "SIGKILL"));
        assert_eq!(h.trace(), expected, "{ty}");
        assert_eq!(h.m.main_exit(), Some(ok(203)));
    }
}

#[test]
fn idle_is_started_as_simple_is() {
    let mut h = harness("Type=idle\nExecStart=/bin/daemon");
    h.start();
    assert_eq!(h.sub(), S::Running);
    assert_eq!(h.trace(), ["spawn ExecStart[0]"]);
}

#[test]
fn exec_waits_for_the_exec_report_under_the_start_timeout() {
    let mut h =
        harness("Type=exec\nExecStart=/bin/daemon\nExecStartPost=/bin/post\nTimeoutStartSec=5");
    h.start();
    assert_eq!(h.transitions(), [(S::Dead, S::Start, R::Success)]);
    assert_eq!(h.m.deadline(), Some(h.t0 + Duration::from_secs(5)));
    let main = h.main();
    // A report from another process does not count.
    h.m.exec_reported(Pid::from_raw(1), ExecReport::Execd, h.now, &mut h.rt);
    assert_eq!(h.sub(), S::Start);
    h.m.exec_reported(main, ExecReport::Execd, h.now, &mut h.rt);
    assert_eq!(h.transitions(), [(S::Start, S::StartPost, R::Success)]);
    h.exit_control(ok(0));
    assert_eq!(h.transitions(), [(S::StartPost, S::Running, R::Success)]);
    assert_eq!(h.trace(), ["spawn ExecStart[0]", "spawn ExecStartPost[0]"]);
}

#[test]
fn exec_that_fails_to_exec_fails_with_203_and_names_the_error() {
    let mut h = harness("Type=exec\nExecStart=/no/such");
    h.start();
    let main = h.main();
    h.m.exec_reported(main, ExecReport::Failed(2), h.now, &mut h.rt);
    h.exit(main, ok(203));
    assert_eq!(
        h.transitions(),
        [
            (S::Dead, S::Start, R::Success),
            (S::Start, S::Failed, R::ExitCode)
        ]
    );
    assert!(
        h.messages
            .iter()
            .any(|m| m.starts_with("Failed to execute /no/such")),
        "{:?}",
        h.messages
    );
}

#[test]
fn exec_start_timeout_terminates_then_kills() {
    let mut h = harness("Type=exec\nExecStart=/bin/hang\nTimeoutStartSec=5\nTimeoutStopSec=7");
    h.start();
    let main = h.main();
    h.transitions();
    h.trace();
    h.advance(Duration::from_secs(4));
    assert_eq!(h.sub(), S::Start);
    assert!(h.trace().is_empty());
    h.advance(Duration::from_secs(1));
    assert_eq!(h.transitions(), [(S::Start, S::StopSigterm, R::Timeout)]);
    assert_eq!(
        h.trace(),
        [format!("kill All SIGTERM main={main} control=-")]
    );
    assert_eq!(h.m.deadline(), Some(h.t0 + Duration::from_secs(12)));
    h.advance(Duration::from_secs(7));
    assert_eq!(
        h.transitions(),
        [(S::StopSigterm, S::StopSigkill, R::Timeout)]
    );
    assert_eq!(
        h.trace(),
        [format!("kill All SIGKILL main={main} control=-")]
    );
    h.exit(main, killed(Signal::KILL));
    assert_eq!(h.transitions(), [(S::StopSigkill, S::Failed, R::Timeout)]);
    assert_eq!(h.trace()[..2], empty_rounds(All, "SIGTERM", "SIGKILL")[..2]);
    assert_eq!(h.finished, [(R::Timeout, false)]);
}

#[test]
fn forking_takes_the_main_process_from_the_pid_file() {
    let mut h =
        harness("Type=forking\nExecStart=/bin/forker\nPIDFile=/run/t.pid\nExecStartPost=/bin/post");
    let daemon = Pid::from_raw(4000);
    h.rt.others.insert(daemon);
    h.rt.pid_file = Some(daemon);
    h.start();
    assert_eq!(h.transitions(), [(S::Dead, S::Start, R::Success)]);
    assert_eq!(
        h.m.main_pid(),
        None,
        "the forking parent is a control process"
    );
    assert_eq!(h.m.deadline(), Some(h.t0 + Duration::from_secs(90)));
    h.exit_control(ok(0));
    assert_eq!(h.main(), daemon);
    assert_eq!(h.transitions(), [(S::Start, S::StartPost, R::Success)]);
    let post = h.control();
    assert_eq!(post, h.rt.pid_of(StartPost, 0));
    assert_eq!(
        h.rt.env_of(StartPost),
        [("MAINPID".to_owned(), "4000".to_owned())]
    );
    h.exit(post, ok(0));
    assert_eq!(h.transitions(), [(S::StartPost, S::Running, R::Success)]);
    assert_eq!(
        h.trace(),
        [
            "spawn ExecStart[0]",
            "read /run/t.pid",
            "spawn ExecStartPost[0]"
        ]
    );
    h.exit(daemon, ok(0));
    assert_eq!(h.sub(), S::Dead);
}

#[test]
fn forking_without_a_readable_pid_file_is_a_protocol_failure() {
    let mut h = harness("Type=forking\nExecStart=/bin/forker\nPIDFile=/run/t.pid");
    h.start();
    h.exit_control(ok(0));
    assert_eq!(
        h.transitions(),
        [
            (S::Dead, S::Start, R::Success),
            (S::Start, S::Failed, R::Protocol)
        ]
    );
    assert!(h
        .messages
        .iter()
        .any(|m| m.contains("PID file /run/t.pid not readable")));
}

#[test]
fn forking_guesses_the_main_process_or_runs_on_its_leftovers() {
    let mut h = harness("Type=forking\nExecStart=/bin/forker");
    h.rt.guessed_main = Some(Pid::from_raw(4100));
    h.rt.alive.insert(Pid::from_raw(4100));
    h.start();
    h.exit_control(ok(0));
    assert_eq!((h.sub(), h.main()), (S::Running, Pid::from_raw(4100)));
    assert_eq!(h.trace(), ["spawn ExecStart[0]", "guess"]);

    // No guess, but processes are left: running without a main process.
    let mut h = harness("Type=forking\nExecStart=/bin/forker");
    h.rt.others.insert(Pid::from_raw(4200));
    h.start();
    h.exit_control(ok(0));
    assert_eq!((h.sub(), h.m.main_pid()), (S::Running, None));

    // GuessMainPID=no and nothing left: the service stops.
    let mut h = harness("Type=forking\nExecStart=/bin/forker\nGuessMainPID=no");
    h.start();
    h.exit_control(ok(0));
    assert_eq!(h.sub(), S::Dead);
    assert!(!h.trace().contains(&"guess".to_owned()));
}

#[test]
fn forking_parent_failing_fails_the_start() {
    let mut h = harness("Type=forking\nExecStart=/bin/forker\nPIDFile=/run/t.pid");
    h.start();
    h.exit_control(ok(1));
    assert_eq!(
        h.transitions(),
        [
            (S::Dead, S::Start, R::Success),
            (S::Start, S::Failed, R::ExitCode)
        ]
    );
    assert!(!h.trace().iter().any(|c| c.starts_with("read")));
}

#[test]
fn oneshot_runs_its_commands_in_turn_and_ends_dead() {
    let mut h = harness("Type=oneshot\nExecStart=/bin/one\nExecStart=/bin/two\nTimeoutStartSec=3");
    h.start();
    assert_eq!(h.m.deadline(), Some(h.t0 + Duration::from_secs(3)));
    let first = h.main();
    h.exit(first, ok(0));
    let second = h.main();
    assert_ne!(first, second);
    assert_eq!(h.sub(), S::Start);
    h.exit(second, ok(0));
    assert_eq!(
        h.transitions(),
        [
            (S::Dead, S::Start, R::Success),
            (S::Start, S::Dead, R::Success)
        ]
    );
    let mut expected = vec![
        "spawn ExecStart[0]".to_owned(),
        "spawn ExecStart[1]".to_owned(),
    ];
    expected.extend(empty_rounds(All, "SIGTERM", "SIGKILL"));
    assert_eq!(h.trace(), expected);
    assert_eq!(h.m.exec_main_pid(), Some(second));
    assert_eq!(h.m.commands_run().len(), 2);
}

#[test]
fn oneshot_with_remain_after_exit_stays_exited_until_stopped() {
    let mut h =
        harness("Type=oneshot\nExecStart=/bin/one\nRemainAfterExit=yes\nExecStop=/bin/undo");
    h.start();
    h.exit_main(ok(0));
    assert_eq!(
        h.transitions(),
        [
            (S::Dead, S::Start, R::Success),
            (S::Start, S::Exited, R::Success)
        ]
    );
    assert_eq!(h.m.deadline(), None);
    assert_eq!(h.start(), StartOutcome::AlreadyActive);
    h.stop();
    assert_eq!(h.transitions(), [(S::Exited, S::Stop, R::Success)]);
    h.exit_control(ok(0));
    assert_eq!(h.transitions(), [(S::Stop, S::Dead, R::Success)]);
    assert_eq!(h.rt.spawned(), [(Start, 0), (Stop, 0)]);
}

#[test]
fn oneshot_failing_command_stops_the_list_unless_prefixed_with_dash() {
    let mut h = harness("Type=oneshot\nExecStart=/bin/one\nExecStart=/bin/two");
    h.start();
    h.exit_main(ok(1));
    assert_eq!(h.rt.spawned(), [(Start, 0)]);
    assert_eq!((h.sub(), h.m.result()), (S::Failed, R::ExitCode));

    let mut h = harness("Type=oneshot\nExecStart=-/bin/one\nExecStart=/bin/two");
    h.start();
    h.exit_main(ok(1));
    assert_eq!(h.rt.spawned(), [(Start, 0), (Start, 1)]);
    h.exit_main(ok(0));
    assert_eq!((h.sub(), h.m.result()), (S::Dead, R::Success));

    // A oneshot's SIGTERM death is a failure: no clean signals for it.
    let mut h = harness("Type=oneshot\nExecStart=/bin/one");
    h.start();
    h.exit_main(killed(Signal::TERM));
    assert_eq!((h.sub(), h.m.result()), (S::Failed, R::Signal));
}

#[test]
fn notify_is_started_by_ready_from_the_main_process_only() {
    let mut h = harness("Type=notify\nExecStart=/bin/daemon");
    h.start();
    assert_eq!(h.transitions(), [(S::Dead, S::Start, R::Success)]);
    let main = h.main();
    h.notify(Pid::from_raw(1), &[NotifyField::Ready]);
    assert_eq!(h.sub(), S::Start);
    h.transitions();
    assert!(h
        .messages
        .iter()
        .any(|m| m.contains("only permitted for main PID")));
    h.notify(
        main,
        &[NotifyField::Status("up".into()), NotifyField::Ready],
    );
    assert_eq!(h.transitions(), [(S::Start, S::Running, R::Success)]);
    assert_eq!(h.m.status_text(), Some("up"));
    h.exit(main, ok(0));
    assert_eq!(h.sub(), S::Dead);
}

#[test]
fn notify_main_exiting_before_ready_is_a_protocol_failure() {
    let mut h = harness("Type=notify\nExecStart=/bin/daemon");
    h.start();
    h.exit_main(ok(0));
    assert_eq!(
        h.transitions(),
        [
            (S::Dead, S::Start, R::Success),
            (S::Start, S::Failed, R::Protocol)
        ]
    );
}

#[test]
fn notify_start_timeout_fails_with_timeout() {
    let mut h =
        harness("Type=notify\nExecStart=/bin/daemon\nTimeoutStartSec=2\nRestart=on-abnormal");
    h.start();
    let main = h.main();
    h.transitions();
    h.advance(Duration::from_secs(2));
    assert_eq!(h.transitions(), [(S::Start, S::StopSigterm, R::Timeout)]);
    assert!(h
        .messages
        .iter()
        .any(|m| m == "start operation timed out. Terminating."));
    h.exit(main, killed(Signal::TERM));
    // Timeout is abnormal: Restart=on-abnormal takes it up.
    assert_eq!(
        h.transitions(),
        [(S::StopSigterm, S::AutoRestart, R::Timeout)]
    );
    assert_eq!(h.finished, [(R::Timeout, true)]);
}

// ---- Restart= ----------------------------------------------------------

#[test]
fn restart_policies_after_clean_and_unclean_exits() {
    // (policy, exit of the main process, restarts?)
    let exit0 = ok(0);
    let exit1 = ok(1);
    let sigkill = killed(Signal::KILL);
    let dumped = ProcessExit::Dumped(Signal::from_number(11).unwrap());
    let table = [
        ("no", exit0, false),
        ("no", exit1, false),
        ("no", sigkill, false),
        ("on-success", exit0, true),
        ("on-success", exit1, false),
        ("on-success", sigkill, false),
        ("on-failure", exit0, false),
        ("on-failure", exit1, true),
        ("on-failure", sigkill, true),
        ("always", exit0, true),
        ("always", exit1, true),
        ("always", sigkill, true),
        ("on-abnormal", exit0, false),
        ("on-abnormal", exit1, false),
        ("on-abnormal", sigkill, true),
        ("on-abnormal", dumped, true),
        ("on-abort", exit1, false),
        ("on-abort", dumped, true),
    ];
    for (policy, exit, restarts) in table {
        let mut h = harness(&format!("ExecStart=/bin/daemon\nRestart={policy}"));
        h.start();
        h.transitions();
        h.exit_main(exit);
        let result = h.m.result();
        let end = if restarts {
            S::AutoRestart
        } else if result.is_failure() {
            S::Failed
        } else {
            S::Dead
        };
        assert_eq!(
            h.transitions(),
            [(S::Running, end, result)],
            "{policy} {exit}"
        );
        assert_eq!(h.finished, [(result, restarts)], "{policy} {exit}");
    }
}

#[test]
fn auto_restart_waits_restart_sec_and_starts_a_new_invocation() {
    let mut h = harness("ExecStart=/bin/daemon\nRestart=on-failure\nRestartSec=2");
    h.start();
    let first_id = h.m.invocation_id().to_owned();
    h.exit_main(ok(1));
    assert_eq!(h.sub(), S::AutoRestart);
    assert_eq!(h.m.deadline(), Some(h.t0 + Duration::from_secs(2)));
    // A start job during the wait has to wait.
    assert_eq!(h.start(), StartOutcome::Busy);
    h.transitions();
    h.trace();
    h.advance(Duration::from_secs(2));
    assert_eq!(
        h.transitions(),
        [
            (S::AutoRestart, S::Start, R::Success),
            (S::Start, S::Running, R::Success)
        ]
    );
    assert_eq!(h.trace(), ["spawn ExecStart[0]"]);
    assert_eq!(h.m.n_restarts(), 1);
    assert_ne!(h.m.invocation_id(), first_id);
    assert!(h
        .messages
        .iter()
        .any(|m| m == "Scheduled restart job, restart counter is at 1."));
}

#[test]
fn a_stop_request_prevents_restart_always() {
    let mut h = harness("ExecStart=/bin/daemon\nRestart=always");
    h.start();
    h.stop();
    h.exit_main(killed(Signal::TERM));
    assert_eq!(h.sub(), S::Dead);
    h.transitions();
    assert_eq!(h.finished, [(R::Success, false)]);
    // Stopping during the restart wait ends it.
    let mut h = harness("ExecStart=/bin/daemon\nRestart=always");
    h.start();
    h.exit_main(ok(0));
    assert_eq!(h.sub(), S::AutoRestart);
    h.transitions();
    h.stop();
    assert_eq!(h.transitions(), [(S::AutoRestart, S::Dead, R::Success)]);
    assert_eq!(h.m.deadline(), None);
}

#[test]
fn restarts_beyond_the_start_limit_fail_the_unit() {
    let mut h = harness(
        "ExecStart=/bin/daemon\nRestart=always\nRestartSec=1\n[Unit]\nStartLimitBurst=2\nStartLimitIntervalSec=60",
    );
    h.start();
    h.exit_main(ok(1));
    h.advance(Duration::from_secs(1));
    assert_eq!(h.sub(), S::Running);
    h.exit_main(ok(1));
    h.transitions();
    h.advance(Duration::from_secs(1));
    assert_eq!(
        h.transitions(),
        [(S::AutoRestart, S::Failed, R::StartLimitHit)]
    );
    assert_eq!(h.rt.spawned(), [(Start, 0), (Start, 0)]);
    assert_eq!(h.finished.last(), Some(&(R::StartLimitHit, false)));
    h.m.reset_failed();
    assert_eq!(h.sub(), S::Dead);
    assert_eq!(h.start(), StartOutcome::Started);
}

// ---- ExecStartPre= / ExecStartPost= ------------------------------------

#[test]
fn exec_start_pre_failure_skips_the_main_process() {
    let mut h = harness("ExecStartPre=/bin/pre\nExecStartPre=/bin/pre2\nExecStart=/bin/daemon\nExecStopPost=/bin/cleanup");
    h.start();
    assert_eq!(h.transitions(), [(S::Dead, S::StartPre, R::Success)]);
    h.exit_control(ok(1));
    assert_eq!(h.transitions(), [(S::StartPre, S::StopPost, R::ExitCode)]);
    assert_eq!(
        h.rt.env_of(StopPost),
        [("SERVICE_RESULT".to_owned(), "exit-code".to_owned())]
    );
    h.exit_control(ok(0));
    assert_eq!(h.transitions(), [(S::StopPost, S::Failed, R::ExitCode)]);
    assert_eq!(h.rt.spawned(), [(StartPre, 0), (StopPost, 0)]);
    assert!(h
        .messages
        .iter()
        .any(|m| m.starts_with("ExecStartPre process exited, code=exited, status=1")));
}

#[test]
fn exec_start_pre_that_cannot_exec_fails_unless_dashed() {
    let mut h = harness("ExecStartPre=/no/such\nExecStart=/bin/daemon");
    h.rt.fail_exec(StartPre, 0, 203);
    h.start();
    assert_eq!(
        h.transitions(),
        [
            (S::Dead, S::StartPre, R::Success),
            (S::StartPre, S::Failed, R::ExitCode)
        ]
    );
    let mut h = harness("ExecStartPre=-/no/such\nExecStart=/bin/daemon");
    h.rt.fail_exec(StartPre, 0, 203);
    h.start();
    assert_eq!(h.sub(), S::Running);
}

#[test]
fn a_dashed_exec_start_pre_failure_is_ignored() {
    let mut h = harness("ExecStartPre=-/bin/pre\nExecStartPre=/bin/pre2\nExecStart=/bin/daemon");
    h.start();
    h.exit_control(ok(1));
    assert_eq!(h.sub(), S::StartPre);
    h.exit_control(killed(Signal::TERM));
    // Without `-`, a signal is a failure for a control command, even SIGTERM.
    assert_eq!((h.sub(), h.m.result()), (S::Failed, R::Signal));

    let mut h = harness("ExecStartPre=-/bin/pre\nExecStart=/bin/daemon");
    h.start();
    h.exit_control(ok(1));
    assert_eq!(
        h.transitions(),
        [
            (S::Dead, S::StartPre, R::Success),
            (S::StartPre, S::Start, R::Success),
            (S::Start, S::Running, R::Success)
        ]
    );
    assert_eq!(h.rt.spawned(), [(StartPre, 0), (Start, 0)]);
    assert_eq!(h.m.result(), R::Success);
}

#[test]
fn exec_start_post_failure_terminates_the_main_process_without_exec_stop() {
    let mut h = harness(
        "ExecStart=/bin/daemon\nExecStartPost=/bin/post\nExecStop=/bin/stop\nExecStopPost=/bin/cleanup",
    );
    h.start();
    let main = h.main();
    h.exit_control(ok(2));
    assert_eq!(
        h.transitions(),
        [
            (S::Dead, S::Start, R::Success),
            (S::Start, S::StartPost, R::Success),
            (S::StartPost, S::StopSigterm, R::ExitCode)
        ]
    );
    h.exit(main, killed(Signal::TERM));
    assert_eq!(
        h.transitions(),
        [(S::StopSigterm, S::StopPost, R::ExitCode)]
    );
    h.exit_control(ok(0));
    assert_eq!(h.transitions(), [(S::StopPost, S::Failed, R::ExitCode)]);
    assert_eq!(
        h.trace(),
        [
            "spawn ExecStart[0]".to_owned(),
            "spawn ExecStartPost[0]".to_owned(),
            format!("kill All SIGTERM main={main} control=-"),
            "kill All SIGKILL main=- control=-".to_owned(),
            "spawn ExecStopPost[0]".to_owned(),
            "kill All SIGTERM main=- control=-".to_owned(),
            "kill All SIGKILL main=- control=-".to_owned(),
        ]
    );
}

#[test]
fn main_exit_during_exec_start_post_waits_for_the_command() {
    let mut h = harness("ExecStart=/bin/daemon\nExecStartPost=/bin/post");
    h.start();
    h.exit_main(ok(0));
    assert_eq!(h.sub(), S::StartPost);
    h.exit_control(ok(0));
    // Running finds no main process and stops.
    assert_eq!(h.sub(), S::Dead);
    assert_eq!(h.m.result(), R::Success);
}

// ---- stopping ----------------------------------------------------------

#[test]
fn exec_stop_then_signals_then_exec_stop_post_in_order() {
    let mut h = harness(
        "ExecStart=/bin/daemon\nExecStop=/bin/s1\nExecStop=/bin/s2\nExecStopPost=/bin/p1\nExecStopPost=/bin/p2",
    );
    h.start();
    let main = h.main();
    h.transitions();
    h.trace();
    h.stop();
    assert_eq!(h.transitions(), [(S::Running, S::Stop, R::Success)]);
    assert_eq!(
        h.rt.env_of(Stop)[0],
        ("MAINPID".to_owned(), main.to_string())
    );
    h.exit_control(ok(0));
    h.exit_control(ok(0));
    assert_eq!(h.transitions(), [(S::Stop, S::StopSigterm, R::Success)]);
    h.exit(main, killed(Signal::TERM));
    assert_eq!(h.transitions(), [(S::StopSigterm, S::StopPost, R::Success)]);
    let env = h.rt.env_of(StopPost);
    assert!(env.contains(&("SERVICE_RESULT".to_owned(), "success".to_owned())));
    assert!(env.contains(&("EXIT_CODE".to_owned(), "killed".to_owned())));
    assert!(env.contains(&("EXIT_STATUS".to_owned(), "TERM".to_owned())));
    h.exit_control(ok(0));
    h.exit_control(ok(0));
    assert_eq!(h.transitions(), [(S::StopPost, S::Dead, R::Success)]);
    assert_eq!(
        h.trace(),
        [
            "spawn ExecStop[0]".to_owned(),
            "spawn ExecStop[1]".to_owned(),
            format!("kill All SIGTERM main={main} control=-"),
            "kill All SIGKILL main=- control=-".to_owned(),
            "spawn ExecStopPost[0]".to_owned(),
            "spawn ExecStopPost[1]".to_owned(),
            "kill All SIGTERM main=- control=-".to_owned(),
            "kill All SIGKILL main=- control=-".to_owned(),
        ]
    );
    assert_eq!(h.finished, [(R::Success, false)]);
}

#[test]
fn a_failing_exec_stop_skips_the_rest_and_fails_but_exec_stop_post_runs() {
    let mut h =
        harness("ExecStart=/bin/daemon\nExecStop=/bin/s1\nExecStop=/bin/s2\nExecStopPost=/bin/p1");
    h.start();
    let main = h.main();
    h.stop();
    h.exit_control(ok(1));
    h.exit(main, killed(Signal::TERM));
    h.exit_control(ok(0));
    assert_eq!(h.rt.spawned(), [(Start, 0), (Stop, 0), (StopPost, 0)]);
    assert_eq!((h.sub(), h.m.result()), (S::Failed, R::ExitCode));
}

#[test]
fn stop_timeout_escalates_to_the_final_kill_signal() {
    let mut h = harness(
        "ExecStart=/bin/daemon\nKillSignal=SIGINT\nFinalKillSignal=SIGQUIT\nTimeoutStopSec=10",
    );
    h.start();
    let main = h.main();
    h.transitions();
    h.trace();
    h.stop();
    assert_eq!(h.transitions(), [(S::Running, S::StopSigterm, R::Success)]);
    assert_eq!(
        h.trace(),
        [format!("kill All SIGINT main={main} control=-")]
    );
    h.advance(Duration::from_secs(9));
    assert_eq!(h.sub(), S::StopSigterm);
    assert!(h.trace().is_empty());
    h.advance(Duration::from_secs(1));
    assert_eq!(
        h.transitions(),
        [(S::StopSigterm, S::StopSigkill, R::Timeout)]
    );
    assert_eq!(
        h.trace(),
        [format!("kill All SIGQUIT main={main} control=-")]
    );
    assert!(h
        .messages
        .iter()
        .any(|m| m == "State 'stop-sigterm' timed out. Killing."));
    h.exit(main, killed(Signal::from_number(3).unwrap()));
    assert_eq!(h.transitions(), [(S::StopSigkill, S::Failed, R::Timeout)]);
    assert_eq!(h.trace(), empty_rounds(All, "SIGINT", "SIGQUIT")[2..]);
}

#[test]
fn without_send_sigkill_a_stuck_process_is_abandoned() {
    let mut h = harness("ExecStart=/bin/daemon\nSendSIGKILL=no\nTimeoutStopSec=5");
    h.start();
    let main = h.main();
    h.transitions();
    h.trace();
    h.stop();
    h.advance(Duration::from_secs(5));
    assert_eq!(
        h.transitions(),
        [
            (S::Running, S::StopSigterm, R::Success),
            (S::StopSigterm, S::FinalSigterm, R::Timeout)
        ]
    );
    assert!(h
        .messages
        .iter()
        .any(|m| m == "State 'stop-sigterm' timed out. Skipping."));
    h.advance(Duration::from_secs(5));
    assert_eq!(h.transitions(), [(S::FinalSigterm, S::Failed, R::Timeout)]);
    assert_eq!(h.abandoned, [main]);
    assert_eq!(
        h.trace(),
        [
            format!("kill All SIGTERM main={main} control=-"),
            format!("kill All SIGTERM main={main} control=-"),
        ]
    );
}

#[test]
fn kill_mode_process_signals_main_only_and_leaves_the_rest() {
    let mut h = harness("ExecStart=/bin/daemon\nKillMode=process");
    h.start();
    let main = h.main();
    h.rt.others.insert(Pid::from_raw(5000));
    h.trace();
    h.stop();
    h.exit(main, killed(Signal::TERM));
    assert_eq!(h.sub(), S::Dead);
    let mut expected = vec![format!("kill MainAndControl SIGTERM main={main} control=-")];
    expected.extend(
        empty_rounds(MainAndControl, "SIGTERM", "SIGKILL")
            .into_iter()
            .skip(1),
    );
    assert_eq!(h.trace(), expected);
    assert!(h.rt.others.contains(&Pid::from_raw(5000)));
}

#[test]
fn kill_mode_mixed_terminates_main_then_kills_the_group() {
    let mut h = harness("ExecStart=/bin/daemon\nKillMode=mixed");
    h.start();
    let main = h.main();
    let other = Pid::from_raw(5000);
    h.rt.others.insert(other);
    h.transitions();
    h.trace();
    h.stop();
    assert_eq!(
        h.trace(),
        [format!("kill MainAndControl SIGTERM main={main} control=-")]
    );
    h.exit(main, killed(Signal::TERM));
    // The SIGKILL round reaches the rest of the group and waits for it.
    assert_eq!(
        h.transitions(),
        [
            (S::Running, S::StopSigterm, R::Success),
            (S::StopSigterm, S::StopSigkill, R::Success)
        ]
    );
    assert_eq!(h.trace(), ["kill All SIGKILL main=- control=-"]);
    h.rt.end(other);
    h.m.check_gone(h.now, &mut h.rt);
    assert_eq!(h.transitions(), [(S::StopSigkill, S::Dead, R::Success)]);
    assert_eq!(
        h.trace(),
        [
            "kill MainAndControl SIGTERM main=- control=-",
            "kill All SIGKILL main=- control=-"
        ]
    );
}

#[test]
fn kill_mode_control_group_waits_for_every_process() {
    let mut h = harness("ExecStart=/bin/daemon");
    h.start();
    let main = h.main();
    let other = Pid::from_raw(5000);
    h.rt.others.insert(other);
    h.stop();
    h.exit(main, killed(Signal::TERM));
    assert_eq!(h.sub(), S::StopSigterm);
    h.rt.end(other);
    h.m.check_gone(h.now, &mut h.rt);
    assert_eq!(h.sub(), S::Dead);
    assert_eq!(h.rt.kills()[0], (All, Signal::TERM));
}

#[test]
fn kill_mode_none_signals_nothing_and_abandons_the_main_process() {
    let mut h = harness("ExecStart=/bin/daemon\nKillMode=none");
    h.start();
    let main = h.main();
    h.trace();
    h.stop();
    assert_eq!(h.sub(), S::Dead);
    h.transitions();
    assert_eq!(h.abandoned, [main]);
    assert_eq!(
        h.rt.kills(),
        [
            (KillScope::Nothing, Signal::TERM),
            (KillScope::Nothing, Signal::KILL),
            (KillScope::Nothing, Signal::TERM),
            (KillScope::Nothing, Signal::KILL)
        ]
    );
}

#[test]
fn stopping_during_start_pre_signals_the_control_process() {
    let mut h = harness("ExecStartPre=/bin/pre\nExecStart=/bin/daemon\nKillMode=mixed");
    h.start();
    let pre = h.control();
    assert_eq!(h.trace(), ["spawn ExecStartPre[0]"]);
    h.stop();
    assert_eq!(
        h.trace(),
        [format!("kill MainAndControl SIGTERM main=- control={pre}")]
    );
    h.exit(pre, killed(Signal::TERM));
    // A command's SIGTERM death is no clean end, as in systemd.
    assert_eq!((h.sub(), h.m.result()), (S::Failed, R::Signal));
    // Nothing else was started: neither ExecStart= nor a second try.
    assert!(h.rt.spawned().is_empty());
}

#[test]
fn start_pre_timeout_kills_the_control_process_and_restarts_on_failure() {
    let mut h = harness(
        "ExecStartPre=/bin/hang\nExecStart=/bin/daemon\nTimeoutStartSec=5\nRestart=on-failure",
    );
    h.start();
    let pre = h.control();
    h.transitions();
    h.trace();
    h.advance(Duration::from_secs(5));
    assert_eq!(h.transitions(), [(S::StartPre, S::StopSigterm, R::Timeout)]);
    assert_eq!(
        h.trace(),
        [format!("kill All SIGTERM main=- control={pre}")]
    );
    assert!(h
        .messages
        .iter()
        .any(|m| m == "start-pre operation timed out. Terminating."));
    h.exit(pre, killed(Signal::TERM));
    assert_eq!(
        h.transitions(),
        [(S::StopSigterm, S::AutoRestart, R::Timeout)]
    );
}

#[test]
fn runtime_max_sec_stops_a_running_service_with_timeout() {
    let mut h = harness("ExecStart=/bin/daemon\nRuntimeMaxSec=30");
    h.start();
    let main = h.main();
    assert_eq!(h.m.deadline(), Some(h.t0 + Duration::from_secs(30)));
    h.transitions();
    h.advance(Duration::from_secs(30));
    assert_eq!(h.transitions(), [(S::Running, S::StopSigterm, R::Timeout)]);
    h.exit(main, killed(Signal::TERM));
    assert_eq!((h.sub(), h.m.result()), (S::Failed, R::Timeout));
}

#[test]
fn a_whole_cycle_takes_no_time_at_all() {
    // Many full cycles through the fake edge: the machine itself is cheap.
    let started = Instant::now();
    let mut h = harness(
        "ExecStartPre=/bin/pre\nExecStart=/bin/daemon\nExecStop=/bin/stop\nExecStopPost=/bin/post",
    );
    for _ in 0..1000 {
        h.m.reset_failed();
        h.start();
        h.exit_control(ok(0));
        let main = h.main();
        h.stop();
        h.exit_control(ok(0));
        h.exit(main, killed(Signal::TERM));
        h.exit_control(ok(0));
        assert_eq!(h.sub(), S::Dead);
        h.transitions();
        h.rt.clear();
    }
    eprintln!(
        "machine: 1000 start/stop cycles took {:?}",
        started.elapsed()
    );
}

#[test]
fn oneshot_has_no_start_timeout_unless_set() {
    let mut h = harness("Type=oneshot\nExecStart=/bin/one\nRuntimeMaxSec=5");
    h.start();
    assert_eq!(h.sub(), S::Start);
    assert_eq!(h.m.deadline(), None);
    // RuntimeMaxSec= does not apply to a oneshot left running after exit.
    let mut h = harness("Type=oneshot\nExecStart=/bin/one\nRemainAfterExit=yes\nRuntimeMaxSec=5");
    h.start();
    h.exit_main(ok(0));
    assert_eq!((h.sub(), h.m.deadline()), (S::Exited, None));
}

#[test]
fn a_clean_main_exit_runs_exec_stop_without_mainpid_an_unclean_one_skips_it() {
    let mut h = harness("ExecStart=/bin/daemon\nExecStop=/bin/stop\nExecStopPost=/bin/post");
    h.start();
    h.exit_main(ok(0));
    assert_eq!(h.sub(), S::Stop);
    assert_eq!(
        h.rt.env_of(Stop),
        [
            ("SERVICE_RESULT".to_owned(), "success".to_owned()),
            ("EXIT_CODE".to_owned(), "exited".to_owned()),
            ("EXIT_STATUS".to_owned(), "0".to_owned())
        ],
        "no $MAINPID"
    );
    h.exit_control(ok(0));
    assert_eq!(h.sub(), S::StopPost);
    h.exit_control(ok(0));
    assert_eq!(h.rt.spawned(), [(Start, 0), (Stop, 0), (StopPost, 0)]);
    assert_eq!(h.sub(), S::Dead);

    let mut h = harness("ExecStart=/bin/daemon\nExecStop=/bin/stop\nExecStopPost=/bin/post");
    h.start();
    h.exit_main(ok(4));
    assert_eq!(h.sub(), S::StopPost);
    let env = h.rt.env_of(StopPost);
    assert!(env.contains(&("SERVICE_RESULT".to_owned(), "exit-code".to_owned())));
    assert!(env.contains(&("EXIT_CODE".to_owned(), "exited".to_owned())));
    assert!(env.contains(&("EXIT_STATUS".to_owned(), "4".to_owned())));
    h.exit_control(ok(0));
    assert_eq!(h.rt.spawned(), [(Start, 0), (StopPost, 0)]);
    assert_eq!((h.sub(), h.m.result()), (S::Failed, R::ExitCode));
}

#[test]
fn exec_condition_skips_the_start_without_failing() {
    let mut h = harness(
        "ExecCondition=/bin/check\nExecStart=/bin/daemon\nExecStopPost=/bin/post\nRestart=always",
    );
    h.start();
    assert_eq!(h.transitions(), [(S::Dead, S::Condition, R::Success)]);
    h.exit_control(ok(1));
    assert_eq!(
        h.transitions(),
        [(S::Condition, S::StopPost, R::ExecCondition)]
    );
    h.exit_control(ok(0));
    // Not failed, and not restarted even with Restart=always.
    assert_eq!(h.transitions(), [(S::StopPost, S::Dead, R::ExecCondition)]);
    assert_eq!(h.finished, [(R::ExecCondition, false)]);
    assert_eq!(h.rt.spawned(), [(ExecKind::Condition, 0), (StopPost, 0)]);
    // 255 is a failure.
    let mut h = harness("ExecCondition=/bin/check\nExecStart=/bin/daemon");
    h.start();
    h.exit_control(ok(255));
    assert_eq!((h.sub(), h.m.result()), (S::Failed, R::ExitCode));
}

#[test]
fn exec_reload_failure_fails_only_the_reload() {
    let mut h = harness("ExecStart=/bin/daemon\nExecReload=/bin/reload\nTimeoutStartSec=4");
    h.start();
    let main = h.main();
    h.transitions();
    h.m.reload(h.now, &mut h.rt).unwrap();
    assert_eq!(h.transitions(), [(S::Running, S::Reload, R::Success)]);
    assert_eq!(
        h.rt.env_of(ExecKind::Reload),
        [("MAINPID".to_owned(), main.to_string())]
    );
    h.exit_control(ok(1));
    assert_eq!(h.transitions(), [(S::Reload, S::Running, R::Success)]);
    assert_eq!(
        (h.m.reload_result(), h.m.result()),
        (R::ExitCode, R::Success)
    );
    // A reload that hangs is killed at the start timeout.
    h.m.reload(h.now, &mut h.rt).unwrap();
    let reload = h.control();
    h.trace();
    h.advance(Duration::from_secs(4));
    assert_eq!(
        h.trace(),
        [format!(
            "kill MainAndControl SIGKILL main=- control={reload}"
        )]
    );
    assert_eq!((h.sub(), h.m.reload_result()), (S::Running, R::Timeout));
    // Not reloadable without ExecReload=; not active when dead.
    let mut h = harness("ExecStart=/bin/daemon");
    assert_eq!(
        h.m.reload(h.now, &mut h.rt),
        Err(super::ReloadError::NotActive)
    );
    h.start();
    assert_eq!(
        h.m.reload(h.now, &mut h.rt),
        Err(super::ReloadError::NotReloadable)
    );
}

#[test]
fn a_missed_watchdog_aborts_the_service() {
    let mut h = harness("Type=notify\nExecStart=/bin/daemon\nWatchdogSec=10\nRestart=on-watchdog");
    h.start();
    let main = h.main();
    h.notify(main, &[NotifyField::Ready]);
    assert_eq!(h.m.deadline(), Some(h.t0 + Duration::from_secs(10)));
    h.advance(Duration::from_secs(6));
    h.notify(main, &[NotifyField::Watchdog]);
    assert_eq!(h.m.deadline(), Some(h.t0 + Duration::from_secs(16)));
    h.transitions();
    h.trace();
    h.advance(Duration::from_secs(10));
    assert_eq!(
        h.transitions(),
        [(S::Running, S::StopWatchdog, R::Watchdog)]
    );
    assert_eq!(
        h.trace(),
        [format!("kill All SIGABRT main={main} control=-")]
    );
    h.exit(main, ProcessExit::Dumped(Signal::ABRT));
    assert_eq!(
        h.transitions(),
        [(S::StopWatchdog, S::AutoRestart, R::Watchdog)]
    );
}

#[test]
fn exec_stop_timeout_terminates_and_exec_stop_post_timeout_ends_in_the_final_round() {
    let mut h = harness(
        "ExecStart=/bin/daemon\nExecStop=/bin/hang\nExecStopPost=/bin/hang\nTimeoutStopSec=3",
    );
    h.start();
    let main = h.main();
    h.stop();
    let stop = h.control();
    h.transitions();
    h.trace();
    h.advance(Duration::from_secs(3));
    assert_eq!(h.transitions(), [(S::Stop, S::StopSigterm, R::Timeout)]);
    assert_eq!(
        h.trace(),
        [format!("kill All SIGTERM main={main} control={stop}")]
    );
    assert!(h
        .messages
        .iter()
        .any(|m| m == "Stopping timed out. Terminating."));
    h.exit(stop, killed(Signal::TERM));
    assert_eq!(h.sub(), S::StopSigterm, "the main process is still there");
    h.exit(main, killed(Signal::TERM));
    assert_eq!(h.transitions(), [(S::StopSigterm, S::StopPost, R::Timeout)]);
    let post = h.control();
    h.advance(Duration::from_secs(3));
    assert_eq!(
        h.transitions(),
        [(S::StopPost, S::FinalSigterm, R::Timeout)]
    );
    assert!(h
        .messages
        .iter()
        .any(|m| m == "State 'stop-post' timed out. Terminating."));
    h.exit(post, killed(Signal::TERM));
    assert_eq!(h.transitions(), [(S::FinalSigterm, S::Failed, R::Timeout)]);
    assert_eq!(
        h.trace(),
        [
            "kill All SIGKILL main=- control=-".to_owned(),
            "spawn ExecStopPost[0]".to_owned(),
            format!("kill All SIGTERM main=- control={post}"),
            "kill All SIGKILL main=- control=-".to_owned(),
        ]
    );
}

#[test]
fn a_failing_exec_stop_post_fails_a_clean_stop() {
    let mut h = harness("ExecStart=/bin/daemon\nExecStopPost=/bin/p1\nExecStopPost=/bin/p2");
    h.start();
    let main = h.main();
    h.stop();
    h.exit(main, killed(Signal::TERM));
    h.exit_control(ok(1));
    assert_eq!(h.rt.spawned(), [(Start, 0), (StopPost, 0)]);
    assert_eq!((h.sub(), h.m.result()), (S::Failed, R::ExitCode));
}

#[test]
fn restart_prevent_and_force_exit_status_override_the_policy() {
    let mut h = harness("ExecStart=/bin/daemon\nRestart=always\nRestartPreventExitStatus=3");
    h.start();
    h.exit_main(ok(3));
    assert_eq!(h.sub(), S::Failed);
    let mut h = harness("ExecStart=/bin/daemon\nRestart=no\nRestartForceExitStatus=4 SIGUSR1");
    h.start();
    h.exit_main(ok(4));
    assert_eq!(h.sub(), S::AutoRestart);
    // SuccessExitStatus= makes an exit clean.
    let mut h = harness("ExecStart=/bin/daemon\nSuccessExitStatus=143\nRestart=on-failure");
    h.start();
    h.exit_main(ok(143));
    assert_eq!((h.sub(), h.m.result()), (S::Dead, R::Success));
}

#[test]
fn notify_mainpid_stopping_and_reloading_change_the_state() {
    let mut h = harness("Type=notify\nExecStart=/bin/daemon\nNotifyAccess=all\nTimeoutStopSec=4");
    h.start();
    let first = h.main();
    let forked = Pid::from_raw(4500);
    // A process that is not of the service is refused even with all.
    h.notify(forked, &[NotifyField::Ready]);
    assert_eq!(h.sub(), S::Start);
    h.rt.others.insert(forked);
    h.notify(forked, &[NotifyField::MainPid(forked), NotifyField::Ready]);
    assert_eq!((h.sub(), h.main()), (S::Running, forked));
    h.transitions();
    h.notify(forked, &[NotifyField::Reloading]);
    assert_eq!(h.transitions(), [(S::Running, S::Reload, R::Success)]);
    h.notify(forked, &[NotifyField::Ready]);
    assert_eq!(h.transitions(), [(S::Reload, S::Running, R::Success)]);
    // STOPPING=1: waiting for it to go, no signal sent yet.
    h.trace();
    h.notify(forked, &[NotifyField::Stopping]);
    assert_eq!(h.transitions(), [(S::Running, S::StopSigterm, R::Success)]);
    assert!(h.trace().is_empty());
    assert_eq!(h.m.deadline(), Some(h.t0 + Duration::from_secs(4)));
    h.rt.end(first);
    h.exit(forked, ok(0));
    assert_eq!(h.sub(), S::Dead);
}

#[test]
fn notify_reload_sends_sighup_and_waits_for_ready() {
    let mut h = harness("Type=notify-reload\nExecStart=/bin/daemon");
    h.start();
    let main = h.main();
    h.notify(main, &[NotifyField::Ready]);
    h.transitions();
    h.trace();
    h.m.reload(h.now, &mut h.rt).unwrap();
    assert_eq!(h.transitions(), [(S::Running, S::Reload, R::Success)]);
    assert_eq!(
        h.trace(),
        [format!("kill MainAndControl SIGHUP main={main} control=-")]
    );
    h.notify(main, &[NotifyField::Reloading]);
    h.notify(main, &[NotifyField::Ready]);
    assert_eq!(h.transitions(), [(S::Reload, S::Running, R::Success)]);
    assert_eq!(h.m.reload_result(), R::Success);
}

#[test]
fn a_main_process_ending_uncleanly_on_a_stop_fails_the_service() {
    // SIGTERM itself is a clean end of a daemon: the stop ends dead.
    let mut h = harness("ExecStart=/bin/daemon");
    h.start();
    h.stop();
    h.exit_main(killed(Signal::TERM));
    assert_eq!((h.sub(), h.m.result()), (S::Dead, R::Success));
    // A shell that traps SIGTERM and exits 143 does not end cleanly, as in
    // systemd (hence SuccessExitStatus=143 in many units).
    let mut h = harness("ExecStart=/bin/daemon");
    h.start();
    h.transitions();
    h.stop();
    h.exit_main(ok(143));
    assert_eq!(
        h.transitions(),
        [
            (S::Running, S::StopSigterm, R::Success),
            (S::StopSigterm, S::Failed, R::ExitCode)
        ]
    );
    let mut h = harness("ExecStart=/bin/daemon\nSuccessExitStatus=143");
    h.start();
    h.stop();
    h.exit_main(ok(143));
    assert_eq!((h.sub(), h.m.result()), (S::Dead, R::Success));
}

#[test]
fn a_stop_during_a_reload_signals_at_once_and_counts_the_reload_command() {
    let mut h = harness("ExecStart=/bin/daemon\nExecReload=/bin/reload\nExecStop=/bin/stop");
    h.start();
    let main = h.main();
    h.m.reload(h.now, &mut h.rt).unwrap();
    let reload = h.control();
    h.transitions();
    h.trace();
    h.stop();
    // No ExecStop= while the reload command runs: the signals go at once.
    assert_eq!(h.transitions(), [(S::Reload, S::StopSigterm, R::Success)]);
    assert_eq!(
        h.trace(),
        [format!("kill All SIGTERM main={main} control={reload}")]
    );
    h.exit(reload, killed(Signal::TERM));
    h.exit_main(killed(Signal::TERM));
    assert_eq!((h.sub(), h.m.result()), (S::Failed, R::Signal));
    assert!(!h.rt.spawned().contains(&(Stop, 0)));
}

#[test]
fn a_reload_command_killed_at_its_timeout_does_not_fail_the_service() {
    let mut h = harness("ExecStart=/bin/daemon\nExecReload=/bin/reload\nTimeoutStartSec=4");
    h.start();
    h.m.reload(h.now, &mut h.rt).unwrap();
    let reload = h.control();
    h.advance(Duration::from_secs(4));
    h.exit(reload, killed(Signal::KILL));
    assert_eq!(
        (h.sub(), h.m.result(), h.m.reload_result()),
        (S::Running, R::Success, R::Timeout)
    );
}

#[test]
fn send_sighup_follows_the_terminating_signal_only() {
    let mut h = harness("ExecStart=/bin/daemon\nSendSIGHUP=yes\nTimeoutStopSec=10");
    h.start();
    let main = h.main();
    h.transitions();
    h.trace();
    h.stop();
    assert_eq!(
        h.trace(),
        [
            format!("kill All SIGTERM main={main} control=-"),
            format!("kill All SIGHUP main={main} control=-"),
        ]
    );
    h.advance(Duration::from_secs(10));
    assert_eq!(
        h.trace(),
        [format!("kill All SIGKILL main={main} control=-")],
        "no hangup with the final kill"
    );
}

#[test]
fn a_restart_jobs_stop_sends_restart_kill_signal_and_a_plain_stop_kill_signal() {
    let mut h = harness("ExecStart=/bin/daemon\nKillSignal=SIGINT\nRestartKillSignal=SIGUSR1");
    h.start();
    let main = h.main();
    h.trace();
    h.m.stop_for_restart(h.now, &mut h.rt);
    assert_eq!(
        h.trace(),
        [format!("kill All SIGUSR1 main={main} control=-")]
    );
    let mut h = harness("ExecStart=/bin/daemon\nKillSignal=SIGINT\nRestartKillSignal=SIGUSR1");
    h.start();
    let main = h.main();
    h.trace();
    h.stop();
    assert_eq!(
        h.trace(),
        [format!("kill All SIGINT main={main} control=-")]
    );
}
