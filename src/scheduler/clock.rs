//! The three clocks a timer can count on, as typed values, and a manual clock
//! so that tests run days of simulated time in milliseconds.
//!
//! The scheduler never reads a clock: every call gets a [`ClockSnapshot`].

use std::fmt;
use std::ops::Add;

use sundial_calendar::{Timespan, Timestamp};

macro_rules! monotonic_instant {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
        pub struct $name(u64);

        impl $name {
            /// The clock's zero (kernel boot).
            pub const ZERO: $name = $name(0);

            /// `usec` microseconds after the clock's zero.
            pub const fn from_usec(usec: u64) -> $name {
                $name(usec)
            }

            /// Microseconds since the clock's zero.
            pub const fn as_usec(self) -> u64 {
                self.0
            }

            /// The span from `earlier` to `self`, zero if `earlier` is later.
            pub fn saturating_since(self, earlier: $name) -> Timespan {
                Timespan::from_usec(self.0.saturating_sub(earlier.0))
            }
        }

        impl Add<Timespan> for $name {
            type Output = $name;
            /// Saturating: an infinite span gives the far future.
            fn add(self, span: Timespan) -> $name {
                $name(self.0.saturating_add(span.as_usec()))
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}", Timespan::from_usec(self.0))
            }
        }
    };
}

monotonic_instant!(
    /// `CLOCK_MONOTONIC`: time since boot, paused while the system is suspended.
    Monotonic
);
monotonic_instant!(
    /// `CLOCK_BOOTTIME`: time since boot, suspend included.
    Boottime
);

/// Which clock a deadline is on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ClockId {
    /// `CLOCK_REALTIME`: calendar elapses.
    Realtime,
    /// `CLOCK_MONOTONIC`: `On…Sec=` values of ordinary timers.
    Monotonic,
    /// `CLOCK_BOOTTIME`: `On…Sec=` values of `WakeSystem=yes` timers.
    Boottime,
}

/// The three clocks read at one instant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ClockSnapshot {
    /// Wall-clock time.
    pub realtime: Timestamp,
    /// Time since boot without suspend.
    pub monotonic: Monotonic,
    /// Time since boot with suspend.
    pub boottime: Boottime,
}

impl ClockSnapshot {
    /// A snapshot of a machine that booted at `boot` and has been up (and
    /// never suspended) for `uptime`.
    pub fn booted_at(boot: Timestamp, uptime: Timespan) -> ClockSnapshot {
        ClockSnapshot {
            realtime: boot + uptime,
            monotonic: Monotonic::from_usec(uptime.as_usec()),
            boottime: Boottime::from_usec(uptime.as_usec()),
        }
    }

    /// The reading of a monotonic-kind clock (`Monotonic` or `Boottime`) in
    /// microseconds; the realtime clock reads as microseconds since the epoch,
    /// clamped at zero.
    pub fn usec(&self, clock: ClockId) -> u64 {
        match clock {
            ClockId::Realtime => self.realtime.as_usec().max(0) as u64,
            ClockId::Monotonic => self.monotonic.as_usec(),
            ClockId::Boottime => self.boottime.as_usec(),
        }
    }

    /// Where the wall clock stood when `clock` read zero, judged by this
    /// snapshot (what `map_clock_usec` does in systemd).
    pub fn realtime_of(&self, clock: ClockId, usec: i64) -> Timestamp {
        match clock {
            ClockId::Realtime => Timestamp::from_usec(usec),
            _ => {
                let now = self.usec(clock) as i64;
                Timestamp::from_usec(self.realtime.as_usec().saturating_add(usec - now))
            }
        }
    }

    /// The reading of `clock` at the wall-clock instant `t`, judged by this
    /// snapshot; negative when `t` lies before boot.
    pub fn on_clock(&self, clock: ClockId, t: Timestamp) -> i64 {
        match clock {
            ClockId::Realtime => t.as_usec(),
            _ => (self.usec(clock) as i64).saturating_add(t.as_usec() - self.realtime.as_usec()),
        }
    }
}

/// Where the scheduler's owner reads the time.
pub trait Clock {
    /// The three clocks now.
    fn now(&self) -> ClockSnapshot;
}

/// A clock that moves only when told to.
#[derive(Debug, Clone)]
pub struct ManualClock {
    now: ClockSnapshot,
}

impl ManualClock {
    /// A clock reading `now`.
    pub fn new(now: ClockSnapshot) -> ManualClock {
        ManualClock { now }
    }

    /// Lets `span` pass on all three clocks.
    pub fn advance(&mut self, span: Timespan) -> ClockSnapshot {
        self.now.realtime = self.now.realtime + span;
        self.now.monotonic = self.now.monotonic + span;
        self.now.boottime = self.now.boottime + span;
        self.now
    }

    /// Lets time pass until the wall clock reads `t` (no-op if it already
    /// does or is later).
    pub fn advance_to(&mut self, t: Timestamp) -> ClockSnapshot {
        let span = t.saturating_since(self.now.realtime);
        self.advance(span)
    }

    /// Sets the wall clock to `t` without time passing, as a step of the real clock would.
    pub fn set_realtime(&mut self, t: Timestamp) -> ClockSnapshot {
        self.now.realtime = t;
        self.now
    }

    /// Suspends the machine for `span`: the wall clock and `CLOCK_BOOTTIME`
    /// move, `CLOCK_MONOTONIC` does not.
    pub fn suspend(&mut self, span: Timespan) -> ClockSnapshot {
        self.now.realtime = self.now.realtime + span;
        self.now.boottime = self.now.boottime + span;
        self.now
    }
}

impl Clock for ManualClock {
    fn now(&self) -> ClockSnapshot {
        self.now
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suspend_moves_boottime_not_monotonic() {
        let boot = Timestamp::from_secs(1_700_000_000);
        let mut clock = ManualClock::new(ClockSnapshot::booted_at(boot, Timespan::from_secs(10)));
        let now = clock.suspend(Timespan::from_secs(100));
        assert_eq!(now.monotonic.as_usec(), 10_000_000);
        assert_eq!(now.boottime.as_usec(), 110_000_000);
        assert_eq!(now.realtime, boot + Timespan::from_secs(110));
        assert_eq!(now.realtime_of(ClockId::Boottime, 0), boot);
        assert_eq!(
            now.realtime_of(ClockId::Monotonic, 0),
            boot + Timespan::from_secs(100)
        );
        assert_eq!(now.on_clock(ClockId::Monotonic, boot), -100_000_000);
    }
}
