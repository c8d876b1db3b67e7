//! `Persistent=`: the last trigger, remembered across restarts.
//!
//! The scheduler decides what a stored stamp means; where stamps live is the
//! daemon's business, behind [`StampStore`]. `X-Sundial-PersistentMonotonic=`
//! timers may also come with a [`BootStamp`].

use std::collections::BTreeMap;

use sundial_calendar::Timestamp;

use super::clock::{ClockId, ClockSnapshot};

/// Where last-trigger stamps are kept, by timer name.
pub trait StampStore {
    /// The stamp of `timer`, if one was ever written.
    fn load(&self, timer: &str) -> Option<Timestamp>;
    /// Records `at` as the last trigger of `timer`.
    fn store(&mut self, timer: &str, at: Timestamp);
    /// Forgets the stamp of `timer` (`clean --what=state`).
    fn remove(&mut self, timer: &str);
}

/// Stamps in memory: for tests and `sundial simulate`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MemoryStamps(BTreeMap<String, Timestamp>);

impl MemoryStamps {
    /// No stamps.
    pub fn new() -> MemoryStamps {
        MemoryStamps::default()
    }
}

impl StampStore for MemoryStamps {
    fn load(&self, timer: &str) -> Option<Timestamp> {
        self.0.get(timer).copied()
    }
    fn store(&mut self, timer: &str, at: Timestamp) {
        self.0.insert(timer.to_owned(), at);
    }
    fn remove(&mut self, timer: &str) {
        self.0.remove(timer);
    }
}

/// The last trigger of an `X-Sundial-PersistentMonotonic=yes` timer, as its
/// owner stored it: the wall clock, and the timer's monotonic clock when the
/// trigger happened during the current boot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BootStamp {
    /// The wall clock at the trigger.
    pub realtime: Timestamp,
    /// The timer's monotonic clock (BOOTTIME with `WakeSystem=yes`) at the
    /// trigger, if the trigger happened during this boot; a reading from an
    /// earlier boot means nothing now.
    pub this_boot: Option<u64>,
}

impl BootStamp {
    /// Where the trigger lies on this boot's CLOCK_MONOTONIC and
    /// CLOCK_BOOTTIME (negative before the boot), given that `clock` is the
    /// timer's. A reading from this boot is exact; otherwise the wall-clock
    /// distance from now is the only measure across a reboot. `None` for a
    /// trigger from another boot that the wall clock puts in the future (a
    /// clock that was wrong then or is now).
    pub fn on_this_boot(&self, now: ClockSnapshot, clock: ClockId) -> Option<(i64, i64)> {
        let Some(reading) = self.this_boot else {
            return (self.realtime < now.realtime).then(|| {
                (
                    now.on_clock(ClockId::Monotonic, self.realtime),
                    now.on_clock(ClockId::Boottime, self.realtime),
                )
            });
        };
        let reading = reading as i64;
        // The other clock differs by the time suspended, which is known only
        // as of now; the timer's own clock is the one its values count on.
        let suspended = now.boottime.as_usec() as i64 - now.monotonic.as_usec() as i64;
        Some(match clock {
            ClockId::Boottime => (reading - suspended, reading),
            _ => (reading, reading + suspended),
        })
    }
}

/// What a timer that outlives its manager (a transient timer of `sundial
/// run`, which the daemon keeps in its store) brings to the manager's next
/// life, so that a restart changes nothing about when it elapses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Resume {
    /// When it was first started: `OnActiveSec=` counts from here, not from
    /// the restart.
    pub activated: BootStamp,
    /// Its last trigger, if it fired: a one-shot value that has passed does
    /// not fire again, and `OnUnitActiveSec=` counts on from it.
    pub last_trigger: Option<BootStamp>,
}

/// What a stamp found when a timer starts means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StampOnStart {
    /// A stamp in the past: it is the last trigger.
    LastTrigger(Timestamp),
    /// A stamp in the future (a clock that was wrong, or an RTC-less box
    /// before time sync): ignored, with a warning.
    InFuture(Timestamp),
    /// No stamp: one is created with the current time, but no last trigger
    /// is assumed, so enabling a timer does not fire it at once.
    Create(Timestamp),
}

impl StampOnStart {
    /// systemd: timer_start() (a stamp equal to now counts as the future).
    pub fn judge(stamp: Option<Timestamp>, now: Timestamp) -> StampOnStart {
        match stamp {
            Some(t) if t < now => StampOnStart::LastTrigger(t),
            Some(t) => StampOnStart::InFuture(t),
            None => StampOnStart::Create(now),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn boot_stamps_map_onto_this_boot() {
        use crate::scheduler::clock::{Boottime, Monotonic};
        // 100 s of monotonic time, 30 s of it suspended.
        let now = ClockSnapshot {
            realtime: Timestamp::from_secs(10_000),
            monotonic: Monotonic::from_usec(100_000_000),
            boottime: Boottime::from_usec(130_000_000),
        };
        let this_boot = |reading| BootStamp {
            realtime: Timestamp::from_secs(1),
            this_boot: Some(reading),
        };
        // A reading from this boot is exact, whatever the wall clock says.
        assert_eq!(
            this_boot(40_000_000).on_this_boot(now, ClockId::Monotonic),
            Some((40_000_000, 70_000_000))
        );
        assert_eq!(
            this_boot(40_000_000).on_this_boot(now, ClockId::Boottime),
            Some((10_000_000, 40_000_000))
        );
        // Another boot's trigger is measured by the wall clock: 200 s ago.
        let earlier = BootStamp {
            realtime: Timestamp::from_secs(9_800),
            this_boot: None,
        };
        assert_eq!(
            earlier.on_this_boot(now, ClockId::Monotonic),
            Some((-100_000_000, -70_000_000))
        );
        let ahead = BootStamp {
            realtime: Timestamp::from_secs(10_001),
            this_boot: None,
        };
        assert_eq!(ahead.on_this_boot(now, ClockId::Monotonic), None);
    }

    #[test]
    fn judges_stamps_like_systemd() {
        let now = Timestamp::from_secs(1000);
        assert_eq!(
            StampOnStart::judge(Some(Timestamp::from_secs(10)), now),
            StampOnStart::LastTrigger(Timestamp::from_secs(10))
        );
        assert_eq!(
            StampOnStart::judge(Some(now), now),
            StampOnStart::InFuture(now)
        );
        assert_eq!(StampOnStart::judge(None, now), StampOnStart::Create(now));
        let mut store = MemoryStamps::new();
        store.store("a.timer", now);
        assert_eq!(store.load("a.timer"), Some(now));
        store.remove("a.timer");
        assert_eq!(store.load("a.timer"), None);
    }
}
