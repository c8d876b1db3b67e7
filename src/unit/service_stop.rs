//! The `[Service]` options that say how the service is stopped and when
//! it counts as ended well (`ExecStop=`, `KillMode=`, the kill signals, the
//! stop and runtime timeouts, `SuccessExitStatus=`, `RestartSec=`,
//! `OOMPolicy=`): most timer-started oneshots leave them all at their
//! defaults, so they are [`Sparse`](super::sparse::Sparse) in
//! [`ServiceSection`](super::service::ServiceSection).

use sundial_calendar::Timespan;

use super::exec::ExecCommand;
use super::exit_status::ExitStatusSet;
use super::list::List;
use super::service::{KillMode, OomPolicy};
use super::signal::Signal;
use super::sparse::Defaults;

/// How the service is stopped (see the module).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StopOptions {
    /// `ExecStop=`
    pub exec_stop: List<ExecCommand>,
    /// `ExecStopPost=`
    pub exec_stop_post: List<ExecCommand>,
    /// `RestartSec=` (default 100 ms).
    pub restart_sec: Timespan,
    /// `SuccessExitStatus=`
    pub success_exit_status: ExitStatusSet,
    /// `TimeoutStopSec=` (or `TimeoutSec=`); `None` = the manager default.
    pub timeout_stop: Option<Timespan>,
    /// `RuntimeMaxSec=` (default infinity).
    pub runtime_max: Timespan,
    /// `WatchdogSec=` (default 0 = off).
    pub watchdog: Timespan,
    /// `KillMode=`
    pub kill_mode: KillMode,
    /// `KillSignal=` (default SIGTERM).
    pub kill_signal: Signal,
    /// `SendSIGKILL=` (default yes).
    pub send_sigkill: bool,
    /// `SendSIGHUP=` (default no): SIGHUP right after the KillSignal= round.
    pub send_sighup: bool,
    /// `FinalKillSignal=` (default SIGKILL).
    pub final_kill_signal: Signal,
    /// `OOMPolicy=`: what the kernel's OOM killer ending one of the
    /// service's processes does to the rest.
    pub oom_policy: OomPolicy,
}

impl StopOptions {
    /// Cuts the command lists to their lengths, the commands' argument
    /// lists included.
    pub fn shrink_to_fit(&mut self) {
        for commands in [&mut self.exec_stop, &mut self.exec_stop_post] {
            commands.shrink_to_fit();
            for command in commands {
                command.argv.shrink_to_fit();
            }
        }
    }
}

/// Every option of [`StopOptions`] at its default.
static DEFAULTS: StopOptions = StopOptions {
    exec_stop: List::new(),
    exec_stop_post: List::new(),
    // systemd: DEFAULT_RESTART_USEC = 100 ms
    restart_sec: Timespan::from_usec(100_000),
    success_exit_status: ExitStatusSet::EMPTY,
    timeout_stop: None,
    runtime_max: Timespan::INFINITY,
    watchdog: Timespan::ZERO,
    kill_mode: KillMode::ControlGroup,
    kill_signal: Signal::TERM,
    send_sigkill: true,
    send_sighup: false,
    final_kill_signal: Signal::KILL,
    oom_policy: OomPolicy::Stop,
};

impl Defaults for StopOptions {
    fn defaults() -> &'static StopOptions {
        &DEFAULTS
    }
}

impl Default for StopOptions {
    fn default() -> StopOptions {
        DEFAULTS.clone()
    }
}
