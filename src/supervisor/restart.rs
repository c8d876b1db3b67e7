//! Restart=, the exit status lists that override it (RestartPreventExitStatus=,
//! RestartForceExitStatus=), and the start rate limit (StartLimitIntervalSec=,
//! StartLimitBurst=), as systemd applies them.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use super::exit::ProcessExit;
use super::state::ServiceResult;
use crate::unit::service::{RestartPolicy, ServiceSection};

/// Whether a cycle that ended with `result` (and the main process's `exit`,
/// if it had one) restarts. `stop_requested`: a manual stop, which never
/// restarts. systemd's order: prevent list, force list, then the policy.
pub fn should_restart(
    service: &ServiceSection,
    result: ServiceResult,
    exit: Option<ProcessExit>,
    stop_requested: bool,
) -> bool {
    if stop_requested || result == ServiceResult::StartLimitHit {
        return false;
    }
    if let Some(exit) = exit {
        if exit.listed_in(&service.rare().restart_prevent_exit_status) {
            return false;
        }
        if exit.listed_in(&service.rare().restart_force_exit_status) {
            return true;
        }
    }
    policy_allows(service.restart, result)
}

/// The Restart= table.
pub fn policy_allows(policy: RestartPolicy, result: ServiceResult) -> bool {
    use ServiceResult as R;
    match policy {
        RestartPolicy::No => false,
        RestartPolicy::Always => result != R::ExecCondition,
        RestartPolicy::OnSuccess => result == R::Success,
        RestartPolicy::OnFailure => !matches!(result, R::Success | R::ExecCondition),
        RestartPolicy::OnAbnormal => !matches!(result, R::Success | R::ExitCode | R::ExecCondition),
        RestartPolicy::OnWatchdog => result == R::Watchdog,
        RestartPolicy::OnAbort => matches!(result, R::Signal | R::CoreDump),
    }
}

/// StartLimitIntervalSec=/StartLimitBurst=: at most `burst` starts within any
/// `interval`; a zero interval or burst disables the limit.
#[derive(Debug, Clone)]
pub struct StartLimit {
    interval: Duration,
    burst: u32,
    starts: VecDeque<Instant>,
}

impl StartLimit {
    pub fn new(interval: Duration, burst: u32) -> StartLimit {
        StartLimit {
            interval,
            burst,
            starts: VecDeque::new(),
        }
    }

    /// Counts a start at `now`; false if it goes over the limit (the start is
    /// then refused and not counted).
    pub fn try_start(&mut self, now: Instant) -> bool {
        if self.interval.is_zero() || self.burst == 0 {
            return true;
        }
        while self
            .starts
            .front()
            .is_some_and(|t| now.duration_since(*t) >= self.interval)
        {
            self.starts.pop_front();
        }
        if self.starts.len() >= self.burst as usize {
            return false;
        }
        self.starts.push_back(now);
        true
    }

    /// `systemctl reset-failed`.
    pub fn reset(&mut self) {
        self.starts.clear();
    }

    /// How long ago each counted start was, oldest first (for a
    /// re-executed daemon, whose `Instant`s are its own).
    pub fn ages(&self, now: Instant) -> Vec<Duration> {
        self.starts
            .iter()
            .map(|t| now.saturating_duration_since(*t))
            .collect()
    }

    /// Counts starts that happened `ages` ago, oldest first.
    pub fn restore(&mut self, now: Instant, ages: &[Duration]) {
        self.starts = ages.iter().filter_map(|a| now.checked_sub(*a)).collect();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::unit::Signal;

    #[test]
    fn restart_table() {
        use RestartPolicy as P;
        use ServiceResult as R;
        let results = [
            R::Success,
            R::ExitCode,
            R::Signal,
            R::CoreDump,
            R::Timeout,
            R::Watchdog,
        ];
        let table: &[(P, [bool; 6])] = &[
            (P::No, [false, false, false, false, false, false]),
            (P::Always, [true, true, true, true, true, true]),
            (P::OnSuccess, [true, false, false, false, false, false]),
            (P::OnFailure, [false, true, true, true, true, true]),
            (P::OnAbnormal, [false, false, true, true, true, true]),
            (P::OnAbort, [false, false, true, true, false, false]),
            (P::OnWatchdog, [false, false, false, false, false, true]),
        ];
        for (policy, expected) in table {
            for (result, want) in results.iter().zip(expected) {
                assert_eq!(
                    policy_allows(*policy, *result),
                    *want,
                    "{policy:?} {result:?}"
                );
            }
            assert!(!policy_allows(*policy, R::ExecCondition));
        }
    }

    #[test]
    fn exit_status_lists_override_the_policy() {
        let mut s = ServiceSection {
            restart: RestartPolicy::Always,
            ..Default::default()
        };
        s.rare_mut().restart_prevent_exit_status.statuses.insert(3);
        assert!(!should_restart(
            &s,
            ServiceResult::ExitCode,
            Some(ProcessExit::Exited(3)),
            false
        ));
        assert!(should_restart(
            &s,
            ServiceResult::ExitCode,
            Some(ProcessExit::Exited(4)),
            false
        ));
        assert!(!should_restart(&s, ServiceResult::Success, None, true));

        let mut s = ServiceSection {
            restart: RestartPolicy::No,
            ..Default::default()
        };
        s.rare_mut()
            .restart_force_exit_status
            .signals
            .insert(Signal::KILL);
        let killed = Some(ProcessExit::Killed(Signal::KILL));
        assert!(should_restart(&s, ServiceResult::Signal, killed, false));
        assert!(!should_restart(&s, ServiceResult::Signal, killed, true));
    }

    #[test]
    fn start_limit_window_slides() {
        let t0 = Instant::now();
        let mut l = StartLimit::new(Duration::from_secs(10), 3);
        assert!(l.try_start(t0));
        assert!(l.try_start(t0 + Duration::from_secs(1)));
        assert!(l.try_start(t0 + Duration::from_secs(2)));
        assert!(!l.try_start(t0 + Duration::from_secs(3)));
        assert!(l.try_start(t0 + Duration::from_secs(10)));
        let mut off = StartLimit::new(Duration::ZERO, 1);
        assert!((0..100).all(|_| off.try_start(t0)));
    }
}
