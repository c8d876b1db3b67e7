//! `Persistent=`: the last trigger, remembered across restarts.
//!
//! The scheduler decides what a stored stamp means; where stamps live is the
//! daemon's business, behind [`StampStore`].

use std::collections::BTreeMap;

use sundial_calendar::Timestamp;

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
