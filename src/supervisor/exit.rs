//! How a process ended, and what that means for its service.

use std::fmt;

use nix::sys::wait::WaitStatus;

use super::state::ServiceResult;
use crate::unit::{ExitStatusSet, Signal};

/// A process's end, as `waitpid` reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProcessExit {
    Exited(i32),
    Killed(Signal),
    Dumped(Signal),
}

impl ProcessExit {
    /// None for statuses that are not an end (stopped, continued).
    pub fn from_wait(status: WaitStatus) -> Option<ProcessExit> {
        let sig =
            |s: nix::sys::signal::Signal| Signal::from_number(s as i32).unwrap_or(Signal::KILL);
        match status {
            WaitStatus::Exited(_, code) => Some(ProcessExit::Exited(code)),
            WaitStatus::Signaled(_, s, true) => Some(ProcessExit::Dumped(sig(s))),
            WaitStatus::Signaled(_, s, false) => Some(ProcessExit::Killed(sig(s))),
            _ => None,
        }
    }

    /// `$EXIT_CODE`: `exited`, `killed` or `dumped`.
    pub fn code_name(self) -> &'static str {
        match self {
            ProcessExit::Exited(_) => "exited",
            ProcessExit::Killed(_) => "killed",
            ProcessExit::Dumped(_) => "dumped",
        }
    }

    /// `$EXIT_STATUS`: the number, or the signal name without `SIG`.
    pub fn status_text(self) -> String {
        match self {
            ProcessExit::Exited(code) => code.to_string(),
            ProcessExit::Killed(s) | ProcessExit::Dumped(s) => s.name(),
        }
    }

    /// The exit code, if it exited.
    pub fn exit_code(self) -> Option<i32> {
        match self {
            ProcessExit::Exited(c) => Some(c),
            _ => None,
        }
    }

    /// Whether a listed status (RestartPreventExitStatus= and friends).
    pub fn listed_in(self, set: &ExitStatusSet) -> bool {
        match self {
            ProcessExit::Exited(code) => u8::try_from(code).is_ok_and(|c| set.contains_status(c)),
            ProcessExit::Killed(s) | ProcessExit::Dumped(s) => set.contains_signal(s),
        }
    }

    /// The result this end gives its service. `clean_signals`: the main
    /// process of a non-oneshot service, for which death by SIGHUP, SIGINT,
    /// SIGTERM or SIGPIPE is a clean exit (systemd: is_clean_exit with
    /// EXIT_CLEAN_DAEMON); commands and oneshot mains only count exit codes.
    pub fn result(self, success: &ExitStatusSet, clean_signals: bool) -> ServiceResult {
        if self == ProcessExit::Exited(0) || self.listed_in(success) {
            return ServiceResult::Success;
        }
        match self {
            ProcessExit::Exited(_) => ServiceResult::ExitCode,
            ProcessExit::Killed(s)
                if clean_signals
                    && [Signal::HUP, Signal::INT, Signal::TERM, Signal::PIPE].contains(&s) =>
            {
                ServiceResult::Success
            }
            ProcessExit::Killed(_) => ServiceResult::Signal,
            ProcessExit::Dumped(_) => ServiceResult::CoreDump,
        }
    }
}

impl fmt::Display for ProcessExit {
    /// As systemd's manager logs it: `code=exited, status=3/NOTIMPLEMENTED`,
    /// `code=killed, status=15/TERM`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            ProcessExit::Exited(code) => {
                let name = u8::try_from(code)
                    .ok()
                    .and_then(crate::unit::exit_status::exit_status_name)
                    .unwrap_or("n/a");
                write!(f, "code=exited, status={code}/{name}")
            }
            ProcessExit::Killed(s) | ProcessExit::Dumped(s) => write!(
                f,
                "code={}, status={}/{}",
                self.code_name(),
                s.number(),
                s.name()
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clean_exits() {
        let none = ExitStatusSet::default();
        let mut set = ExitStatusSet::default();
        set.statuses.insert(75);
        set.signals.insert(Signal::KILL);
        assert_eq!(
            ProcessExit::Exited(0).result(&none, false),
            ServiceResult::Success
        );
        assert_eq!(
            ProcessExit::Exited(75).result(&none, true),
            ServiceResult::ExitCode
        );
        assert_eq!(
            ProcessExit::Exited(75).result(&set, false),
            ServiceResult::Success
        );
        assert_eq!(
            ProcessExit::Killed(Signal::TERM).result(&none, true),
            ServiceResult::Success
        );
        assert_eq!(
            ProcessExit::Killed(Signal::TERM).result(&none, false),
            ServiceResult::Signal
        );
        assert_eq!(
            ProcessExit::Killed(Signal::KILL).result(&set, false),
            ServiceResult::Success
        );
        assert_eq!(
            ProcessExit::Dumped(Signal::ABRT).result(&none, true),
            ServiceResult::CoreDump
        );
    }

    #[test]
    fn environment_texts() {
        assert_eq!(ProcessExit::Exited(3).status_text(), "3");
        assert_eq!(ProcessExit::Killed(Signal::TERM).status_text(), "TERM");
        assert_eq!(ProcessExit::Dumped(Signal::ABRT).code_name(), "dumped");
        assert_eq!(
            ProcessExit::Exited(1).to_string(),
            "code=exited, status=1/FAILURE"
        );
        assert_eq!(
            ProcessExit::Exited(3).to_string(),
            "code=exited, status=3/NOTIMPLEMENTED"
        );
        assert_eq!(
            ProcessExit::Exited(100).to_string(),
            "code=exited, status=100/n/a"
        );
        assert_eq!(
            ProcessExit::Killed(Signal::TERM).to_string(),
            "code=killed, status=15/TERM"
        );
    }
}
