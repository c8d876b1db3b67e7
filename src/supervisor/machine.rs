//! One service's state machine, systemd's service.c logic in our own words.
//!
//! The machine is told events (start, stop and reload requests, a child's
//! exit, a deadline, a notify message) and answers with state changes and
//! reports. What touches the system — spawning, signalling, looking at the
//! process table — goes through the [`Runtime`] edge it is handed, so the
//! machine itself is plain data and logic and can be driven by a fake edge.

use std::sync::Arc;
use std::time::{Duration, Instant};

use nix::unistd::Pid;
use sundial_calendar::Timespan;

use super::exec_chain::{self, ExecKind, Verdict};
use super::exit::ProcessExit;
use super::kill::{self, KillScope};
use super::notify::NotifyField;
use super::restart::{self, StartLimit};
use super::spawn::ExecReport;
use super::state::{transition, KillPhase, ServiceResult, ServiceState, Transition};
use crate::unit::service::{NotifyAccess, OomPolicy, ServiceType};
use crate::unit::{ExecCommand, ServiceUnit, Signal};

pub mod adopt;
#[cfg(test)]
mod fake_runtime;
pub mod snapshot;
#[cfg(test)]
mod tests;

/// A command the machine wants started.
#[derive(Debug)]
pub struct CommandSpec<'a> {
    pub unit: &'a ServiceUnit,
    pub invocation_id: &'a str,
    pub kind: ExecKind,
    /// Which command of `kind` (read by the machine's fake runtime in its
    /// tests; the real edge needs only the command).
    #[cfg_attr(not(test), allow(dead_code))]
    pub index: usize,
    pub command: &'a ExecCommand,
    /// $MAINPID, $SERVICE_RESULT, $EXIT_CODE, $EXIT_STATUS as they apply.
    pub extra_env: Vec<(String, String)>,
}

/// The system side of the machine.
pub trait Runtime {
    /// A fresh 128-bit invocation id as 32 lowercase hex digits.
    fn new_invocation_id(&mut self) -> String;
    /// Starts a command; `Err(status)` is the exit status systemd would
    /// report for a child that could not get to exec (203, 217, ...).
    fn spawn(&mut self, spec: CommandSpec<'_>) -> Result<Pid, i32>;
    /// Signals processes of the run; returns how many were reached.
    fn kill(
        &mut self,
        scope: KillScope,
        signal: Signal,
        main: Option<Pid>,
        control: Option<Pid>,
    ) -> usize;
    /// Whether any process of the run is alive.
    fn has_processes(&mut self) -> bool;
    /// Reads a PIDFile= and takes the process as the run's own.
    fn read_pid_file(&mut self, path: &std::path::Path) -> Option<Pid>;
    /// The main process of a forking service without PIDFile=: the one
    /// process of the run the daemon inherited, if there is exactly one.
    fn guess_main_pid(&mut self) -> Option<Pid>;
    /// Whether `pid` is a process of the run (NotifyAccess=all).
    fn belongs(&mut self, pid: Pid) -> bool;
}

/// What the machine tells its owner.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Report {
    Transition(Transition),
    Message(String),
    /// A cycle ended: `restarting` says whether Restart= takes it up again.
    Finished {
        result: ServiceResult,
        restarting: bool,
    },
    /// Processes the service no longer owns (KillMode=process/none leftovers)
    /// that still have to be reaped.
    Abandoned(Vec<Pid>),
}

/// Why a start was not carried out now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StartOutcome {
    Started,
    /// Already active, activating or reloading: a start job is a no-op.
    AlreadyActive,
    /// Stopping or waiting to restart: the start has to wait.
    Busy,
    /// StartLimitBurst= reached: the unit is now failed.
    StartLimitHit,
}

/// Why a reload cannot run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReloadError {
    NotActive,
    NotReloadable,
}

/// A command of the current start and how it ended, as `status` lists it
/// (`Process: 42 ExecStartPre=... (code=exited, status=0/SUCCESS)`): one
/// entry per command, its latest run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CommandRun {
    pub kind: ExecKind,
    pub index: usize,
    pub pid: Pid,
    /// None while it runs.
    pub exit: Option<ProcessExit>,
}

#[derive(Debug, Clone, Copy)]
struct Control {
    pid: Pid,
    kind: ExecKind,
    index: usize,
}

/// Timeouts with the manager's defaults resolved; None = infinity.
#[derive(Debug, Clone, Copy)]
pub struct Timeouts {
    pub start: Option<Duration>,
    pub stop: Option<Duration>,
    pub runtime_max: Option<Duration>,
    pub restart: Duration,
    pub watchdog: Option<Duration>,
}

fn finite(t: Timespan) -> Option<Duration> {
    (t != Timespan::INFINITY && t != Timespan::ZERO).then(|| Duration::from_micros(t.as_usec()))
}

/// The manager-wide defaults the machine needs.
#[derive(Debug, Clone, Copy)]
pub struct ManagerDefaults {
    pub timeout_start: Timespan,
    pub timeout_stop: Timespan,
    pub start_limit_interval: Timespan,
    pub start_limit_burst: u32,
}

impl Default for ManagerDefaults {
    fn default() -> Self {
        ManagerDefaults {
            timeout_start: Timespan::from_secs(90),
            timeout_stop: Timespan::from_secs(90),
            start_limit_interval: Timespan::from_secs(10),
            start_limit_burst: 5,
        }
    }
}

/// One service and where it stands.
#[derive(Debug)]
pub struct ServiceMachine {
    unit: Arc<ServiceUnit>,
    timeouts: Timeouts,
    state: ServiceState,
    result: ServiceResult,
    main_pid: Option<Pid>,
    /// Which ExecStart= runs as main (oneshot runs them in turn).
    main_index: usize,
    main_exit: Option<ProcessExit>,
    /// The last main process of the current start, kept after it exits
    /// (systemd's ExecMainPID).
    exec_main_pid: Option<Pid>,
    /// The commands the current start has run.
    commands_run: Vec<CommandRun>,
    control: Option<Control>,
    /// The stop under way is a restart job's (RestartKillSignal=).
    restarting: bool,
    stop_requested: bool,
    ready: bool,
    start_limit: StartLimit,
    invocation_id: String,
    n_restarts: u32,
    status_text: Option<String>,
    watchdog_deadline: Option<Instant>,
    reload_result: ServiceResult,
    reports: Vec<Report>,
}

impl ServiceMachine {
    pub fn new(unit: Arc<ServiceUnit>, defaults: &ManagerDefaults) -> ServiceMachine {
        let s = &unit.service;
        let timeouts = Timeouts {
            start: finite(s.timeout_start_or(defaults.timeout_start)),
            stop: finite(s.timeout_stop_or(defaults.timeout_stop)),
            runtime_max: finite(s.stop.runtime_max),
            restart: Duration::from_micros(s.stop.restart_sec.as_usec()),
            watchdog: finite(s.stop.watchdog),
        };
        let interval = unit
            .unit
            .start_limit_interval
            .unwrap_or(defaults.start_limit_interval);
        let interval = if interval == Timespan::INFINITY {
            Duration::MAX
        } else {
            Duration::from_micros(interval.as_usec())
        };
        let burst = unit
            .unit
            .start_limit_burst
            .unwrap_or(defaults.start_limit_burst);
        ServiceMachine {
            unit,
            timeouts,
            state: ServiceState::Dead,
            result: ServiceResult::Success,
            main_pid: None,
            main_index: 0,
            main_exit: None,
            exec_main_pid: None,
            commands_run: Vec::new(),
            control: None,
            stop_requested: false,
            restarting: false,
            ready: false,
            start_limit: StartLimit::new(interval, burst),
            invocation_id: String::new(),
            n_restarts: 0,
            status_text: None,
            watchdog_deadline: None,
            reload_result: ServiceResult::Success,
            reports: Vec::new(),
        }
    }

    pub fn unit(&self) -> &Arc<ServiceUnit> {
        &self.unit
    }

    /// Replaces the unit definition (daemon-reload); takes effect for the
    /// commands spawned from now on.
    pub fn set_unit(&mut self, unit: Arc<ServiceUnit>) {
        self.unit = unit;
    }

    pub fn state(&self) -> &ServiceState {
        &self.state
    }

    pub fn result(&self) -> ServiceResult {
        self.result
    }

    pub fn main_pid(&self) -> Option<Pid> {
        self.main_pid
    }

    pub fn control_pid(&self) -> Option<Pid> {
        self.control.map(|c| c.pid)
    }

    pub fn main_exit(&self) -> Option<ProcessExit> {
        self.main_exit
    }

    pub fn exec_main_pid(&self) -> Option<Pid> {
        self.exec_main_pid
    }

    pub fn commands_run(&self) -> &[CommandRun] {
        &self.commands_run
    }

    fn set_main_pid(&mut self, pid: Option<Pid>) {
        self.main_pid = pid;
        if pid.is_some() {
            self.exec_main_pid = pid;
        }
    }

    /// Notes a command just spawned, replacing its previous run.
    fn note_spawned(&mut self, kind: ExecKind, index: usize, pid: Pid) {
        let run = CommandRun {
            kind,
            index,
            pid,
            exit: None,
        };
        match self
            .commands_run
            .iter_mut()
            .find(|r| r.kind == kind && r.index == index)
        {
            Some(earlier) => *earlier = run,
            None => self.commands_run.push(run),
        }
    }

    pub fn invocation_id(&self) -> &str {
        &self.invocation_id
    }

    pub fn n_restarts(&self) -> u32 {
        self.n_restarts
    }

    pub fn status_text(&self) -> Option<&str> {
        self.status_text.as_deref()
    }

    /// The result of the last reload job.
    pub fn reload_result(&self) -> ServiceResult {
        self.reload_result
    }

    /// The earliest instant the machine wants a `timer` call.
    pub fn deadline(&self) -> Option<Instant> {
        match (self.state.deadline(), self.watchdog_deadline) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    pub fn take_reports(&mut self) -> Vec<Report> {
        std::mem::take(&mut self.reports)
    }

    /// `systemctl reset-failed`.
    pub fn reset_failed(&mut self) {
        self.start_limit.reset();
        if self.state == ServiceState::Failed {
            self.enter(ServiceState::Dead);
        }
        self.result = ServiceResult::Success;
    }

    fn service_type(&self) -> ServiceType {
        self.unit.service.service_type
    }

    fn enter(&mut self, new: ServiceState) {
        if let Some(t) = transition(&mut self.state, new, self.result) {
            self.reports.push(Report::Transition(t));
        }
    }

    /// The first failure of a cycle is its result.
    fn record(&mut self, result: ServiceResult) {
        if self.result == ServiceResult::Success {
            self.result = result;
        }
    }

    fn after(now: Instant, d: Option<Duration>) -> Option<Instant> {
        d.and_then(|d| now.checked_add(d))
    }

    // ---- requests ------------------------------------------------------

    pub fn start(&mut self, now: Instant, rt: &mut dyn Runtime) -> StartOutcome {
        // A stop later in this run is a restart's only if a restart asks.
        self.restarting = false;
        match self.state.active_state() {
            _ if self.state.is_inactive() => {}
            super::state::ActiveState::Deactivating => return StartOutcome::Busy,
            _ if matches!(self.state, ServiceState::AutoRestart { .. }) => {
                return StartOutcome::Busy
            }
            _ => return StartOutcome::AlreadyActive,
        }
        self.n_restarts = 0;
        self.begin_cycle(now, rt)
    }

    fn begin_cycle(&mut self, now: Instant, rt: &mut dyn Runtime) -> StartOutcome {
        if !self.start_limit.try_start(now) {
            self.result = ServiceResult::StartLimitHit;
            self.reports.push(Report::Message(
                "Start request repeated too quickly.".into(),
            ));
            self.enter(ServiceState::Failed);
            self.reports.push(Report::Finished {
                result: self.result,
                restarting: false,
            });
            return StartOutcome::StartLimitHit;
        }
        self.result = ServiceResult::Success;
        self.main_pid = None;
        self.main_exit = None;
        self.exec_main_pid = None;
        self.commands_run.clear();
        self.main_index = 0;
        self.control = None;
        self.stop_requested = false;
        self.ready = false;
        self.status_text = None;
        self.watchdog_deadline = None;
        self.invocation_id = rt.new_invocation_id();
        self.run_list_from(ExecKind::Condition, 0, now, rt);
        StartOutcome::Started
    }

    pub fn stop(&mut self, now: Instant, rt: &mut dyn Runtime) {
        self.restarting = false;
        self.stop_now(now, rt);
    }

    /// [`ServiceMachine::stop`] for a restart job: its first signal is
    /// RestartKillSignal= where set.
    pub fn stop_for_restart(&mut self, now: Instant, rt: &mut dyn Runtime) {
        self.restarting = true;
        self.stop_now(now, rt);
    }

    fn stop_now(&mut self, now: Instant, rt: &mut dyn Runtime) {
        self.stop_requested = true;
        match self.state {
            ServiceState::Dead | ServiceState::Failed => {}
            ServiceState::AutoRestart { .. } => self.enter(ServiceState::Dead),
            // Something still runs: straight to the signals, as systemd
            // does (a reload's command or a watchdog's abort included).
            ServiceState::Condition { .. }
            | ServiceState::StartPre { .. }
            | ServiceState::Start { .. }
            | ServiceState::StartPost { .. }
            | ServiceState::Reload { .. }
            | ServiceState::Killing {
                phase: KillPhase::StopWatchdog,
                ..
            } => self.enter_signal(KillPhase::StopSigterm, now, rt),
            ServiceState::Running { .. } | ServiceState::Exited => self.enter_stop(now, rt),
            ServiceState::Stop { .. }
            | ServiceState::Killing { .. }
            | ServiceState::StopPost { .. } => {}
        }
    }

    pub fn reload(&mut self, now: Instant, rt: &mut dyn Runtime) -> Result<(), ReloadError> {
        if !matches!(
            self.state,
            ServiceState::Running { .. } | ServiceState::Exited
        ) {
            return Err(ReloadError::NotActive);
        }
        self.reload_result = ServiceResult::Success;
        if self.service_type() == ServiceType::NotifyReload {
            // systemd 253: ReloadSignal= (SIGHUP) to the main process, then wait
            // for RELOADING=1 ... READY=1.
            rt.kill(KillScope::MainAndControl, Signal::HUP, self.main_pid, None);
            let deadline = Self::after(now, self.timeouts.start);
            self.enter(ServiceState::Reload {
                step: 0,
                deadline,
                by_notify: true,
            });
            return Ok(());
        }
        if self.unit.service.exec_reload.is_empty() {
            return Err(ReloadError::NotReloadable);
        }
        self.run_control(ExecKind::Reload, 0, now, rt);
        Ok(())
    }

    // ---- phases --------------------------------------------------------

    /// Runs the list `kind` from command `index`, or moves on to the next
    /// phase when the list is exhausted.
    fn run_list_from(&mut self, kind: ExecKind, index: usize, now: Instant, rt: &mut dyn Runtime) {
        if index < kind.commands(&self.unit.service).len() {
            return self.run_control(kind, index, now, rt);
        }
        match kind {
            ExecKind::Condition => self.run_list_from(ExecKind::StartPre, 0, now, rt),
            ExecKind::StartPre => self.enter_start(now, rt),
            ExecKind::Start => self.after_forking_start(now, rt),
            ExecKind::StartPost => self.enter_running(now, rt),
            ExecKind::Reload => self.enter_running(now, rt),
            ExecKind::Stop => self.enter_signal(KillPhase::StopSigterm, now, rt),
            ExecKind::StopPost => self.enter_signal(KillPhase::FinalSigterm, now, rt),
        }
    }

    fn extra_env(&self, kind: ExecKind) -> Vec<(String, String)> {
        let mut env = Vec::new();
        if let Some(pid) = self.main_pid {
            env.push(("MAINPID".to_owned(), pid.to_string()));
        }
        if kind.gets_result_env() {
            env.push(("SERVICE_RESULT".to_owned(), self.result.as_str().to_owned()));
            if let Some(exit) = self.main_exit {
                env.push(("EXIT_CODE".to_owned(), exit.code_name().to_owned()));
                env.push(("EXIT_STATUS".to_owned(), exit.status_text()));
            }
        }
        env
    }

    fn run_control(&mut self, kind: ExecKind, index: usize, now: Instant, rt: &mut dyn Runtime) {
        let start_deadline = Self::after(now, self.timeouts.start);
        let stop_deadline = Self::after(now, self.timeouts.stop);
        let state = match kind {
            ExecKind::Condition => ServiceState::Condition {
                step: index,
                deadline: start_deadline,
            },
            ExecKind::StartPre => ServiceState::StartPre {
                step: index,
                deadline: start_deadline,
            },
            ExecKind::Start => ServiceState::Start {
                step: index,
                deadline: start_deadline,
            },
            ExecKind::StartPost => ServiceState::StartPost {
                step: index,
                deadline: start_deadline,
            },
            ExecKind::Reload => ServiceState::Reload {
                step: index,
                deadline: start_deadline,
                by_notify: false,
            },
            ExecKind::Stop => ServiceState::Stop {
                step: index,
                deadline: stop_deadline,
            },
            ExecKind::StopPost => ServiceState::StopPost {
                step: index,
                deadline: stop_deadline,
            },
        };
        self.enter(state);
        let unit = Arc::clone(&self.unit);
        let spec = CommandSpec {
            unit: &unit,
            invocation_id: &self.invocation_id,
            kind,
            index,
            command: &kind.commands(&unit.service)[index],
            extra_env: self.extra_env(kind),
        };
        match rt.spawn(spec) {
            Ok(pid) => {
                self.note_spawned(kind, index, pid);
                self.control = Some(Control { pid, kind, index });
            }
            Err(status) => {
                self.control = None;
                self.control_done(kind, index, ProcessExit::Exited(status), now, rt);
            }
        }
    }

    fn control_done(
        &mut self,
        kind: ExecKind,
        index: usize,
        exit: ProcessExit,
        now: Instant,
        rt: &mut dyn Runtime,
    ) {
        let unit = Arc::clone(&self.unit);
        let cmd = &kind.commands(&unit.service)[index];
        let verdict = exec_chain::judge(kind, cmd, exit, &unit.service.stop.success_exit_status);
        if verdict != Verdict::Continue {
            self.reports.push(Report::Message(format!(
                "{} process exited, {exit}",
                if kind == ExecKind::Start {
                    "Control"
                } else {
                    kind.directive()
                }
            )));
        }
        match verdict {
            Verdict::Continue => self.run_list_from(kind, index + 1, now, rt),
            Verdict::SkipStart => {
                self.reports.push(Report::Message(
                    "Skipped due to 'exec-condition'.".to_owned(),
                ));
                self.record(ServiceResult::ExecCondition);
                self.enter_signal(KillPhase::StopSigterm, now, rt);
            }
            Verdict::Fail(result) => match kind {
                ExecKind::Reload => {
                    self.reload_result = result;
                    self.enter_running(now, rt);
                }
                ExecKind::StopPost => {
                    self.record(result);
                    self.enter_signal(KillPhase::FinalSigterm, now, rt);
                }
                _ => {
                    self.record(result);
                    self.enter_signal(KillPhase::StopSigterm, now, rt);
                }
            },
        }
    }

    fn enter_start(&mut self, now: Instant, rt: &mut dyn Runtime) {
        match self.service_type() {
            ServiceType::Forking => self.run_list_from(ExecKind::Start, 0, now, rt),
            ServiceType::Oneshot if self.unit.service.exec_start.is_empty() => {
                self.run_list_from(ExecKind::StartPost, 0, now, rt)
            }
            _ => self.run_main(0, now, rt),
        }
    }

    fn run_main(&mut self, index: usize, now: Instant, rt: &mut dyn Runtime) {
        let ty = self.service_type();
        // simple and idle are started once forked: no start timeout for
        // them. exec is started once its exec is reported (exec_reported).
        let waits = matches!(
            ty,
            ServiceType::Oneshot
                | ServiceType::Notify
                | ServiceType::NotifyReload
                | ServiceType::Exec
        );
        let deadline = if waits {
            Self::after(now, self.timeouts.start)
        } else {
            None
        };
        self.enter(ServiceState::Start {
            step: index,
            deadline,
        });
        self.main_index = index;
        let unit = Arc::clone(&self.unit);
        let spec = CommandSpec {
            unit: &unit,
            invocation_id: &self.invocation_id,
            kind: ExecKind::Start,
            index,
            command: &unit.service.exec_start[index],
            extra_env: Vec::new(),
        };
        match rt.spawn(spec) {
            Ok(pid) => {
                self.note_spawned(ExecKind::Start, index, pid);
                self.set_main_pid(Some(pid));
                self.main_exit = None;
                if !waits {
                    self.run_list_from(ExecKind::StartPost, 0, now, rt);
                }
            }
            Err(status) => self.main_done(ProcessExit::Exited(status), now, rt),
        }
    }

    /// The forking parent exited successfully: find the daemon it left.
    fn after_forking_start(&mut self, now: Instant, rt: &mut dyn Runtime) {
        if self.main_pid.is_none() {
            let unit = Arc::clone(&self.unit);
            if let Some(path) = &unit.service.pid_file {
                match rt.read_pid_file(path) {
                    Some(pid) => self.set_main_pid(Some(pid)),
                    None => {
                        self.reports.push(Report::Message(format!(
                            "PID file {} not readable after start.",
                            path.display()
                        )));
                        self.record(ServiceResult::Protocol);
                        return self.enter_signal(KillPhase::StopSigterm, now, rt);
                    }
                }
            } else if unit.service.guess_main_pid {
                let guessed = rt.guess_main_pid();
                self.set_main_pid(guessed);
            }
        }
        self.run_list_from(ExecKind::StartPost, 0, now, rt)
    }

    fn enter_running(&mut self, now: Instant, rt: &mut dyn Runtime) {
        if self.result != ServiceResult::Success {
            return self.enter_signal(KillPhase::StopSigterm, now, rt);
        }
        let forking_without_main =
            self.service_type() == ServiceType::Forking && self.main_pid.is_none();
        if self.main_pid.is_some() || (forking_without_main && rt.has_processes()) {
            let runtime_deadline = Self::after(now, self.timeouts.runtime_max)
                .filter(|_| self.service_type() != ServiceType::Oneshot);
            if self.watchdog_deadline.is_none() {
                self.watchdog_deadline = Self::after(now, self.timeouts.watchdog);
            }
            self.enter(ServiceState::Running { runtime_deadline });
        } else if self.unit.service.remain_after_exit {
            self.watchdog_deadline = None;
            self.enter(ServiceState::Exited);
        } else {
            self.enter_stop(now, rt);
        }
    }

    fn enter_stop(&mut self, now: Instant, rt: &mut dyn Runtime) {
        self.watchdog_deadline = None;
        self.run_list_from(ExecKind::Stop, 0, now, rt)
    }

    fn signal_for(&self, phase: KillPhase) -> Signal {
        match phase {
            KillPhase::StopWatchdog => Signal::ABRT,
            // A restart job's stop (systemd: KILL_RESTART).
            KillPhase::StopSigterm if self.restarting => self
                .unit
                .service
                .rare()
                .restart_kill_signal
                .unwrap_or(self.unit.service.stop.kill_signal),
            KillPhase::StopSigterm | KillPhase::FinalSigterm => self.unit.service.stop.kill_signal,
            KillPhase::StopSigkill | KillPhase::FinalSigkill => {
                self.unit.service.stop.final_kill_signal
            }
        }
    }

    /// The signal for a process that joins the service while a signal round
    /// that reaches every process is under way (a daemon whose parent just
    /// died, found among the orphans).
    pub fn newcomer_signal(&self) -> Option<Signal> {
        let ServiceState::Killing { phase, .. } = self.state else {
            return None;
        };
        let final_kill = matches!(phase, KillPhase::StopSigkill | KillPhase::FinalSigkill);
        (kill::scope(self.unit.service.stop.kill_mode, final_kill) == KillScope::All)
            .then(|| self.signal_for(phase))
    }

    /// Whether a signal round must still wait for processes: main and
    /// control always, the rest only where the round reached them
    /// (control-group; mixed in its SIGKILL rounds).
    fn anything_left(&self, phase: KillPhase, rt: &mut dyn Runtime) -> bool {
        let mode = self.unit.service.stop.kill_mode;
        let final_kill = matches!(phase, KillPhase::StopSigkill | KillPhase::FinalSigkill);
        match kill::scope(mode, final_kill) {
            KillScope::Nothing => false,
            KillScope::MainAndControl => self.main_pid.is_some() || self.control.is_some(),
            KillScope::All => {
                self.main_pid.is_some() || self.control.is_some() || rt.has_processes()
            }
        }
    }

    fn enter_signal(&mut self, phase: KillPhase, now: Instant, rt: &mut dyn Runtime) {
        self.watchdog_deadline = None;
        let final_kill = matches!(phase, KillPhase::StopSigkill | KillPhase::FinalSigkill);
        let scope = kill::scope(self.unit.service.stop.kill_mode, final_kill);
        let signal = self.signal_for(phase);
        rt.kill(scope, signal, self.main_pid, self.control_pid());
        // systemd (unit_kill_context): SendSIGHUP= follows the terminating
        // signal, for shells and the like that only react to a hangup.
        if self.unit.service.stop.send_sighup
            && matches!(phase, KillPhase::StopSigterm | KillPhase::FinalSigterm)
        {
            rt.kill(scope, Signal::HUP, self.main_pid, self.control_pid());
        }
        if self.anything_left(phase, rt) {
            let deadline = Self::after(now, self.timeouts.stop);
            self.enter(ServiceState::Killing { phase, deadline });
        } else {
            self.kill_round_done(phase, now, rt);
        }
    }

    /// Nothing is left to wait for after `phase`. As in systemd, a SIGTERM
    /// round that has nothing to wait for goes on to the SIGKILL round (with
    /// SendSIGKILL=yes), which for KillMode=mixed is the one that reaches the
    /// processes other than main and control.
    fn kill_round_done(&mut self, phase: KillPhase, now: Instant, rt: &mut dyn Runtime) {
        let send_kill = self.unit.service.stop.send_sigkill;
        match phase {
            KillPhase::StopWatchdog | KillPhase::StopSigterm if send_kill => {
                self.enter_signal(KillPhase::StopSigkill, now, rt)
            }
            KillPhase::FinalSigterm if send_kill => {
                self.enter_signal(KillPhase::FinalSigkill, now, rt)
            }
            _ => self.after_kill_phase(phase, now, rt),
        }
    }

    fn after_kill_phase(&mut self, phase: KillPhase, now: Instant, rt: &mut dyn Runtime) {
        if phase.is_final() {
            self.enter_dead(now);
        } else {
            self.run_list_from(ExecKind::StopPost, 0, now, rt);
        }
    }

    fn enter_dead(&mut self, now: Instant) {
        let mut leftovers: Vec<Pid> = self.main_pid.take().into_iter().collect();
        leftovers.extend(self.control.take().map(|c| c.pid));
        if !leftovers.is_empty() {
            self.reports.push(Report::Abandoned(leftovers));
        }
        self.watchdog_deadline = None;
        let restarting = restart::should_restart(
            &self.unit.service,
            self.result,
            self.main_exit,
            self.stop_requested,
        );
        if restarting {
            let until = now.checked_add(self.timeouts.restart).unwrap_or(now);
            self.enter(ServiceState::AutoRestart { until });
        } else if self.result.is_failure() {
            self.enter(ServiceState::Failed);
        } else {
            self.enter(ServiceState::Dead);
        }
        self.reports.push(Report::Finished {
            result: self.result,
            restarting,
        });
    }

    // ---- events --------------------------------------------------------

    /// A process of this service was reaped.
    pub fn child_exited(
        &mut self,
        pid: Pid,
        exit: ProcessExit,
        now: Instant,
        rt: &mut dyn Runtime,
    ) {
        if let Some(run) = self
            .commands_run
            .iter_mut()
            .find(|r| r.pid == pid && r.exit.is_none())
        {
            run.exit = Some(exit);
        }
        if self.main_pid == Some(pid) {
            self.main_pid = None;
            self.main_done(exit, now, rt);
        } else if let Some(c) = self.control.filter(|c| c.pid == pid) {
            self.control = None;
            let in_phase = matches!(
                (&self.state, c.kind),
                (ServiceState::Condition { .. }, ExecKind::Condition)
                    | (ServiceState::StartPre { .. }, ExecKind::StartPre)
                    | (ServiceState::Start { .. }, ExecKind::Start)
                    | (ServiceState::StartPost { .. }, ExecKind::StartPost)
                    | (ServiceState::Stop { .. }, ExecKind::Stop)
                    | (ServiceState::StopPost { .. }, ExecKind::StopPost)
                    | (
                        ServiceState::Reload {
                            by_notify: false,
                            ..
                        },
                        ExecKind::Reload
                    )
            );
            if in_phase {
                self.control_done(c.kind, c.index, exit, now, rt);
            } else {
                // A command a stop cut off (during ExecStartPre= or
                // ExecReload=): its end still counts, as in systemd. A
                // command is no daemon: SIGTERM ends it uncleanly, unless it
                // is a forking service's ExecStart=. One killed at a reload's
                // timeout is no longer watched (the service runs on).
                let unit = Arc::clone(&self.unit);
                let ignored = c
                    .kind
                    .commands(&unit.service)
                    .get(c.index)
                    .is_some_and(|cmd| cmd.ignore_failure);
                let stopping = matches!(
                    self.state,
                    ServiceState::Stop { .. }
                        | ServiceState::Killing { .. }
                        | ServiceState::StopPost { .. }
                );
                if stopping && !ignored {
                    let daemon =
                        c.kind == ExecKind::Start && self.service_type() == ServiceType::Forking;
                    self.record(exit.result(&unit.service.stop.success_exit_status, daemon));
                }
                self.check_gone(now, rt);
            }
        } else {
            self.check_gone(now, rt);
        }
    }

    /// The kernel's OOM killer ended a process of the service; what
    /// follows is `OOMPolicy=`'s (systemd: service_notify_cgroup_oom_event):
    /// `continue` nothing, `stop` a stop with result `oom-kill`, `kill`
    /// SIGKILL to what is left.
    pub fn oom_killed(&mut self, now: Instant, rt: &mut dyn Runtime) {
        let policy = self.unit.service.stop.oom_policy;
        if policy == OomPolicy::Continue {
            return;
        }
        self.record(ServiceResult::OomKill);
        let kill = policy == OomPolicy::Kill;
        match self.state {
            ServiceState::Condition { .. }
            | ServiceState::StartPre { .. }
            | ServiceState::Start { .. }
            | ServiceState::StartPost { .. }
            | ServiceState::Stop { .. } => {
                let phase = if kill {
                    KillPhase::StopSigkill
                } else {
                    KillPhase::StopSigterm
                };
                self.enter_signal(phase, now, rt);
            }
            ServiceState::Running { .. } | ServiceState::Exited | ServiceState::Reload { .. } => {
                if kill {
                    self.enter_signal(KillPhase::StopSigkill, now, rt);
                } else {
                    self.enter_stop(now, rt);
                }
            }
            // Already on its way down: the result is all that changes.
            _ => {}
        }
    }

    /// Another process of the run went away: a stop may be complete.
    pub fn check_gone(&mut self, now: Instant, rt: &mut dyn Runtime) {
        if let ServiceState::Killing { phase, .. } = self.state {
            if !self.anything_left(phase, rt) {
                self.kill_round_done(phase, now, rt);
            }
        }
    }

    fn main_done(&mut self, exit: ProcessExit, now: Instant, rt: &mut dyn Runtime) {
        self.main_exit = Some(exit);
        let ty = self.service_type();
        let ignore = self
            .unit
            .service
            .exec_start
            .get(self.main_index)
            .is_some_and(|c| c.ignore_failure);
        let result = if ignore {
            ServiceResult::Success
        } else {
            exit.result(
                &self.unit.service.stop.success_exit_status,
                ty != ServiceType::Oneshot,
            )
        };
        if result != ServiceResult::Success {
            self.reports
                .push(Report::Message(format!("Main process exited, {exit}")));
        }
        match self.state {
            ServiceState::Start { step, .. } if ty == ServiceType::Oneshot => {
                if result == ServiceResult::Success {
                    if step + 1 < self.unit.service.exec_start.len() {
                        self.run_main(step + 1, now, rt);
                    } else {
                        self.run_list_from(ExecKind::StartPost, 0, now, rt);
                    }
                } else {
                    self.record(result);
                    self.enter_signal(KillPhase::StopSigterm, now, rt);
                }
            }
            ServiceState::Start { .. } => {
                // notify: gone before READY=1; exec: failed, or exec'd and
                // done before its report was read.
                let r =
                    if result == ServiceResult::Success && !self.ready && ty != ServiceType::Exec {
                        ServiceResult::Protocol
                    } else {
                        result
                    };
                self.record(r);
                if self.result == ServiceResult::Success {
                    self.run_list_from(ExecKind::StartPost, 0, now, rt);
                } else {
                    self.enter_signal(KillPhase::StopSigterm, now, rt);
                }
            }
            ServiceState::Running { .. } => {
                self.record(result);
                self.enter_running(now, rt);
            }
            ServiceState::StartPost { .. }
            | ServiceState::Reload { .. }
            | ServiceState::Stop { .. } => {
                // The command in progress finishes first; the next phase sees
                // the main process gone.
                self.record(result);
                if let ServiceState::Reload {
                    by_notify: true, ..
                } = self.state
                {
                    self.enter_running(now, rt);
                }
            }
            ServiceState::Killing { .. } => {
                // As systemd: a stop's signal ends the main process cleanly
                // (SIGTERM, SIGINT, SIGHUP, SIGPIPE) or not (an exit code
                // such as a shell's 143, SIGKILL); the latter fails the unit
                // unless SuccessExitStatus= lists it.
                self.record(result);
                self.check_gone(now, rt);
            }
            _ => {}
        }
    }

    /// A command reported on its exec. A Type=exec start goes on once its
    /// main process has exec'd; a failed exec is told here (its exit, 203,
    /// fails the command).
    pub fn exec_reported(
        &mut self,
        pid: Pid,
        report: ExecReport,
        now: Instant,
        rt: &mut dyn Runtime,
    ) {
        match report {
            ExecReport::Execd => {
                let waiting = matches!(self.state, ServiceState::Start { .. })
                    && self.service_type() == ServiceType::Exec;
                if waiting && self.main_pid == Some(pid) {
                    self.run_list_from(ExecKind::StartPost, 0, now, rt);
                }
            }
            // Any command of this start; its exit may have been handled
            // already, the message still belongs to it.
            ExecReport::Failed(errno) => {
                let Some(run) = self.commands_run.iter().find(|r| r.pid == pid) else {
                    return;
                };
                let path = run
                    .kind
                    .commands(&self.unit.service)
                    .get(run.index)
                    .map_or("", |c| c.path.as_str());
                self.reports.push(Report::Message(format!(
                    "Failed to execute {path}: {}",
                    nix::errno::Errno::from_raw(errno).desc()
                )));
            }
            ExecReport::Namespace { what, errno } => {
                self.reports.push(Report::Message(format!(
                    "Failed to set up mount namespacing: {what}: {}",
                    nix::errno::Errno::from_raw(errno).desc()
                )));
            }
            ExecReport::Seccomp(errno) => {
                self.reports.push(Report::Message(format!(
                    "Failed to install system call filters: {}",
                    nix::errno::Errno::from_raw(errno).desc()
                )));
            }
            ExecReport::Died => {}
        }
    }

    /// The deadline passed.
    pub fn timer(&mut self, now: Instant, rt: &mut dyn Runtime) {
        if self.watchdog_deadline.is_some_and(|d| d <= now) {
            self.watchdog_deadline = None;
            self.reports
                .push(Report::Message("Watchdog timeout!".into()));
            self.record(ServiceResult::Watchdog);
            return self.enter_signal(KillPhase::StopWatchdog, now, rt);
        }
        if self.state.deadline().is_none_or(|d| d > now) {
            return;
        }
        let sub = self.state.sub_state();
        match self.state {
            ServiceState::Condition { .. }
            | ServiceState::StartPre { .. }
            | ServiceState::Start { .. }
            | ServiceState::StartPost { .. } => {
                self.reports.push(Report::Message(format!(
                    "{sub} operation timed out. Terminating."
                )));
                self.record(ServiceResult::Timeout);
                self.enter_signal(KillPhase::StopSigterm, now, rt);
            }
            ServiceState::Running { .. } => {
                self.reports.push(Report::Message(
                    "Service reached runtime time limit. Stopping.".into(),
                ));
                self.record(ServiceResult::Timeout);
                self.enter_stop(now, rt);
            }
            ServiceState::Reload { .. } => {
                self.reports.push(Report::Message(
                    "Reload operation timed out. Killing reload process.".into(),
                ));
                if let Some(c) = self.control {
                    rt.kill(KillScope::MainAndControl, Signal::KILL, None, Some(c.pid));
                }
                self.reload_result = ServiceResult::Timeout;
                self.enter_running(now, rt);
            }
            ServiceState::Stop { .. } => {
                self.reports
                    .push(Report::Message("Stopping timed out. Terminating.".into()));
                self.record(ServiceResult::Timeout);
                self.enter_signal(KillPhase::StopSigterm, now, rt);
            }
            ServiceState::StopPost { .. } => {
                self.reports.push(Report::Message(
                    "State 'stop-post' timed out. Terminating.".into(),
                ));
                self.record(ServiceResult::Timeout);
                self.enter_signal(KillPhase::FinalSigterm, now, rt);
            }
            ServiceState::Killing { phase, .. } => {
                self.record(ServiceResult::Timeout);
                let send_kill = self.unit.service.stop.send_sigkill;
                match phase {
                    KillPhase::StopWatchdog | KillPhase::StopSigterm if send_kill => {
                        self.reports.push(Report::Message(format!(
                            "State '{sub}' timed out. Killing."
                        )));
                        self.enter_signal(KillPhase::StopSigkill, now, rt)
                    }
                    KillPhase::FinalSigterm if send_kill => {
                        self.reports.push(Report::Message(format!(
                            "State '{sub}' timed out. Killing."
                        )));
                        self.enter_signal(KillPhase::FinalSigkill, now, rt)
                    }
                    _ => {
                        self.reports.push(Report::Message(format!(
                            "State '{sub}' timed out. Skipping."
                        )));
                        self.after_kill_phase(phase, now, rt)
                    }
                }
            }
            ServiceState::AutoRestart { .. } => {
                self.n_restarts += 1;
                self.reports.push(Report::Message(format!(
                    "Scheduled restart job, restart counter is at {}.",
                    self.n_restarts
                )));
                let n = self.n_restarts;
                self.begin_cycle(now, rt);
                self.n_restarts = n;
            }
            ServiceState::Dead | ServiceState::Failed | ServiceState::Exited => {}
        }
    }

    /// A notify datagram from `pid`; whether NotifyAccess= let it in (the
    /// caller keeps the descriptors of an `FDSTORE=1` only then).
    pub fn notify(
        &mut self,
        pid: Pid,
        fields: &[NotifyField],
        now: Instant,
        rt: &mut dyn Runtime,
    ) -> bool {
        let access = self.unit.service.notify_access.unwrap_or(
            if matches!(
                self.service_type(),
                ServiceType::Notify | ServiceType::NotifyReload
            ) || self.timeouts.watchdog.is_some()
            {
                NotifyAccess::Main
            } else {
                NotifyAccess::None
            },
        );
        let allowed = match access {
            NotifyAccess::None => false,
            NotifyAccess::Main => self.main_pid == Some(pid),
            NotifyAccess::Exec => self.main_pid == Some(pid) || self.control_pid() == Some(pid),
            NotifyAccess::All => {
                self.main_pid == Some(pid) || self.control_pid() == Some(pid) || rt.belongs(pid)
            }
        };
        if !allowed {
            self.reports.push(Report::Message(format!(
                "Got notification message from PID {pid}, but reception only permitted for {}",
                match access {
                    NotifyAccess::None => "none".to_owned(),
                    NotifyAccess::All => "processes of the service".to_owned(),
                    _ => format!(
                        "main PID {}",
                        self.main_pid.map(|p| p.to_string()).unwrap_or_default()
                    ),
                }
            )));
            return false;
        }
        for field in fields {
            match field {
                NotifyField::MainPid(p) => {
                    if matches!(
                        self.state,
                        ServiceState::Start { .. }
                            | ServiceState::StartPost { .. }
                            | ServiceState::Running { .. }
                            | ServiceState::Reload { .. }
                    ) {
                        self.set_main_pid(Some(*p));
                    }
                }
                NotifyField::Status(text) => self.status_text = Some(text.clone()),
                NotifyField::Watchdog => {
                    if self.watchdog_deadline.is_some() {
                        self.watchdog_deadline = Self::after(now, self.timeouts.watchdog);
                    }
                }
                NotifyField::WatchdogUsec(usec) => {
                    self.timeouts.watchdog = (*usec > 0).then(|| Duration::from_micros(*usec));
                    self.watchdog_deadline = Self::after(now, self.timeouts.watchdog);
                }
                NotifyField::WatchdogTrigger => {
                    self.record(ServiceResult::Watchdog);
                    self.enter_signal(KillPhase::StopWatchdog, now, rt);
                    return true;
                }
                NotifyField::Ready | NotifyField::Reloading | NotifyField::Stopping => {}
                // The descriptor store is the supervisor's, not the machine's.
                NotifyField::FdStore
                | NotifyField::FdStoreRemove
                | NotifyField::FdName(_)
                | NotifyField::FdNoPoll => {}
            }
        }
        // The state-changing assignments act after MAINPID= and STATUS= of
        // the same datagram, as in systemd.
        if fields.contains(&NotifyField::Stopping)
            && matches!(
                self.state,
                ServiceState::Running { .. } | ServiceState::Reload { .. }
            )
        {
            let deadline = Self::after(now, self.timeouts.stop);
            self.enter(ServiceState::Killing {
                phase: KillPhase::StopSigterm,
                deadline,
            });
            return true;
        }
        if fields.contains(&NotifyField::Reloading) {
            if let ServiceState::Running { .. } = self.state {
                let deadline = Self::after(now, self.timeouts.start);
                self.enter(ServiceState::Reload {
                    step: 0,
                    deadline,
                    by_notify: true,
                });
            }
        }
        if fields.contains(&NotifyField::Ready) {
            self.ready = true;
            match self.state {
                ServiceState::Start { .. }
                    if matches!(
                        self.service_type(),
                        ServiceType::Notify | ServiceType::NotifyReload
                    ) =>
                {
                    self.run_list_from(ExecKind::StartPost, 0, now, rt)
                }
                ServiceState::Reload {
                    by_notify: true, ..
                } => self.enter_running(now, rt),
                _ => {}
            }
        }
        true
    }
}
