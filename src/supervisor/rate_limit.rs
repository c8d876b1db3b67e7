//! journald's rate limit on a service's log lines (`LogRateLimitIntervalSec=`,
//! `LogRateLimitBurst=`): a pure state machine, told the time.
//!
//! systemd (journald-rate-limit.c): each service has a pool per group of
//! priorities; a pool lets `burst` lines through from the first line of a
//! window, drops the rest until the window of `interval` has passed, and the
//! first line after it starts a new window and reports how many were
//! dropped ("Suppressed N messages from UNIT"). journald also scales the
//! burst up with the free disk space; sundial's store has a fixed size
//! limit, so the burst is taken as configured.

use std::time::{Duration, Instant};

use crate::unit::SyslogLevel;

/// journald.conf's `RateLimitIntervalSec=` default.
pub const DEFAULT_INTERVAL: Duration = Duration::from_secs(30);

/// journald.conf's `RateLimitBurst=` default.
pub const DEFAULT_BURST: u32 = 10_000;

/// A rate limit: at most `burst` lines per `interval` and pool.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimit {
    /// The window.
    pub interval: Duration,
    /// Lines let through per window.
    pub burst: u32,
}

impl Default for RateLimit {
    fn default() -> RateLimit {
        RateLimit {
            interval: DEFAULT_INTERVAL,
            burst: DEFAULT_BURST,
        }
    }
}

impl RateLimit {
    /// systemd: either value 0 turns rate limiting off.
    pub fn is_off(&self) -> bool {
        self.interval.is_zero() || self.burst == 0
    }

    /// The limit of a unit: each of its own values where it sets one, the
    /// manager's otherwise. systemd exports a unit's value to journald only
    /// when it is not 0, so 0 in a unit file means "the default", not "off".
    pub fn for_unit(self, interval: Option<Duration>, burst: Option<u32>) -> RateLimit {
        RateLimit {
            interval: interval.filter(|i| !i.is_zero()).unwrap_or(self.interval),
            burst: burst.filter(|b| *b > 0).unwrap_or(self.burst),
        }
    }
}

/// What becomes of one line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Store it.
    Keep,
    /// Drop it: its pool's burst is used up.
    Drop,
    /// Store it; it starts a new window after `n` lines were dropped, which
    /// is said first.
    KeepAfterSuppressed(u64),
}

/// The pools of one service.
#[derive(Debug, Clone, Default)]
pub struct RateLimiter {
    pools: [Pool; POOLS],
}

#[derive(Debug, Clone, Copy, Default)]
struct Pool {
    /// When the window began; `None` before the first line.
    begin: Option<Instant>,
    /// Lines let through in the window.
    num: u32,
    /// Lines dropped and not reported yet.
    suppressed: u64,
}

const POOLS: usize = 5;

/// journald's priority_map: emerg, alert and crit share a pool, notice and
/// info another.
fn pool_of(priority: SyslogLevel) -> usize {
    match priority.number() {
        0..=2 => 0,
        3 => 1,
        4 => 2,
        5 | 6 => 3,
        _ => 4,
    }
}

impl RateLimiter {
    /// Judges one line of `priority` read at `now`.
    pub fn test(&mut self, limit: RateLimit, priority: SyslogLevel, now: Instant) -> Verdict {
        if limit.is_off() {
            return Verdict::Keep;
        }
        let p = &mut self.pools[pool_of(priority)];
        let Some(begin) = p.begin else {
            *p = Pool {
                begin: Some(now),
                num: 1,
                suppressed: 0,
            };
            return Verdict::Keep;
        };
        // journald: a new window once `begin + interval < now`.
        if begin
            .checked_add(limit.interval)
            .is_some_and(|end| end < now)
        {
            let suppressed = std::mem::take(&mut p.suppressed);
            p.begin = Some(now);
            p.num = 1;
            return if suppressed > 0 {
                Verdict::KeepAfterSuppressed(suppressed)
            } else {
                Verdict::Keep
            };
        }
        if p.num < limit.burst {
            p.num += 1;
            return Verdict::Keep;
        }
        p.suppressed += 1;
        Verdict::Drop
    }

    /// Takes the number of dropped lines not reported yet, of every pool:
    /// the stream ended, and no later line may come to report them (journald
    /// waits for one; sundial says it when the service's pipe closes). The
    /// windows go on.
    pub fn take_suppressed(&mut self) -> u64 {
        self.pools
            .iter_mut()
            .map(|p| std::mem::take(&mut p.suppressed))
            .sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const INFO: SyslogLevel = SyslogLevel::Info;

    fn limit(secs: u64, burst: u32) -> RateLimit {
        RateLimit {
            interval: Duration::from_secs(secs),
            burst,
        }
    }

    fn run(l: &mut RateLimiter, rl: RateLimit, at: Instant, n: usize) -> Vec<Verdict> {
        (0..n).map(|_| l.test(rl, INFO, at)).collect()
    }

    #[test]
    fn lets_a_burst_through_then_drops_until_the_window_ends() {
        let t0 = Instant::now();
        let rl = limit(30, 3);
        let mut l = RateLimiter::default();
        assert_eq!(
            run(&mut l, rl, t0, 5),
            [
                Verdict::Keep,
                Verdict::Keep,
                Verdict::Keep,
                Verdict::Drop,
                Verdict::Drop
            ]
        );
        // At the window's very end it is still the same window (journald's
        // strict `begin + interval < now`).
        assert_eq!(
            l.test(rl, INFO, t0 + Duration::from_secs(30)),
            Verdict::Drop
        );
        let t1 = t0 + Duration::from_secs(31);
        assert_eq!(l.test(rl, INFO, t1), Verdict::KeepAfterSuppressed(3));
        // The new window counts from that line.
        assert_eq!(
            run(&mut l, rl, t1, 3),
            [Verdict::Keep, Verdict::Keep, Verdict::Drop]
        );
        assert_eq!(l.take_suppressed(), 1);
        assert_eq!(l.take_suppressed(), 0);
    }

    #[test]
    fn a_new_window_without_drops_reports_nothing() {
        let t0 = Instant::now();
        let rl = limit(1, 2);
        let mut l = RateLimiter::default();
        run(&mut l, rl, t0, 2);
        assert_eq!(l.test(rl, INFO, t0 + Duration::from_secs(2)), Verdict::Keep);
    }

    #[test]
    fn priorities_have_pools_of_their_own() {
        let t0 = Instant::now();
        let rl = limit(30, 1);
        let mut l = RateLimiter::default();
        assert_eq!(l.test(rl, INFO, t0), Verdict::Keep);
        assert_eq!(l.test(rl, SyslogLevel::Notice, t0), Verdict::Drop);
        assert_eq!(l.test(rl, SyslogLevel::Err, t0), Verdict::Keep);
        assert_eq!(l.test(rl, SyslogLevel::Crit, t0), Verdict::Keep);
        assert_eq!(l.test(rl, SyslogLevel::Emerg, t0), Verdict::Drop);
        assert_eq!(l.test(rl, SyslogLevel::Debug, t0), Verdict::Keep);
        assert_eq!(l.take_suppressed(), 2);
    }

    #[test]
    fn zero_interval_or_burst_turns_it_off() {
        let t0 = Instant::now();
        let mut l = RateLimiter::default();
        for rl in [limit(0, 5), limit(30, 0)] {
            assert!(rl.is_off());
            assert!(run(&mut l, rl, t0, 100).iter().all(|v| *v == Verdict::Keep));
        }
        assert_eq!(l.take_suppressed(), 0);
    }

    #[test]
    fn a_unit_value_of_zero_means_the_default() {
        let d = RateLimit::default();
        assert_eq!(d, limit(30, 10_000));
        assert_eq!(d.for_unit(None, None), d);
        assert_eq!(d.for_unit(Some(Duration::ZERO), Some(0)), d);
        assert_eq!(
            d.for_unit(Some(Duration::from_secs(1)), None),
            limit(1, 10_000)
        );
        assert_eq!(d.for_unit(None, Some(7)), limit(30, 7));
        // A manager default that is off stays off unless the unit sets both.
        let off = limit(0, 0);
        assert!(off.for_unit(None, Some(7)).is_off());
        assert!(!off.for_unit(Some(Duration::from_secs(5)), Some(7)).is_off());
    }
}
