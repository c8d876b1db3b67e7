//! One clock's pending elapses: the same interface for the realtime and the
//! monotonic clocks, microseconds outside, ticks inside.
//!
//! Like sd-event, a clock keeps two orders of its sources: by the earliest
//! time each may fire (`next`) and by the latest (`next + accuracy`). The
//! first gives the start of the coalescing window and decides what is due;
//! the second gives the end of the window. Each order is a timer wheel.

use sundial_calendar::Timespan;

use super::accuracy::Perturbation;
use super::wheel::{Handle, Tick, Wheel};

/// What is queued for one timer on one clock.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Armed {
    earliest: Handle,
    latest: Handle,
}

/// The pending elapses of one clock.
#[derive(Debug)]
pub struct ClockQueue {
    /// Timer id and its entry in `latest`, by `next`.
    earliest: Wheel<(u32, Handle)>,
    /// Timer id, by `next + accuracy`.
    latest: Wheel<u32>,
    tick_usec: u64,
}

impl ClockQueue {
    /// An empty queue counting in ticks of `tick_usec` microseconds, with its
    /// time at `now_usec`.
    pub fn new(tick_usec: u64, now_usec: u64) -> ClockQueue {
        let tick_usec = tick_usec.max(1);
        ClockQueue {
            earliest: Wheel::new(now_usec / tick_usec),
            latest: Wheel::new(now_usec / tick_usec),
            tick_usec,
        }
    }

    /// Deadlines round up to the next tick, so that nothing fires early.
    fn deadline_tick(&self, usec: u64) -> Tick {
        usec.div_ceil(self.tick_usec)
    }

    /// Time rounds down: a tick has passed only when all of it has.
    fn now_tick(&self, usec: u64) -> Tick {
        usec / self.tick_usec
    }

    /// Queues timer `id` to fire at `next`, or up to `accuracy` later if that
    /// lets it share a wake-up.
    pub fn arm(&mut self, id: u32, next: u64, accuracy: Timespan) -> Armed {
        let latest = self.latest.insert(
            self.deadline_tick(next.saturating_add(accuracy.as_usec())),
            id,
        );
        let earliest = self.earliest.insert(self.deadline_tick(next), (id, latest));
        Armed { earliest, latest }
    }

    /// Removes a queued elapse (no-op if it has fired already).
    pub fn disarm(&mut self, armed: Armed) {
        self.earliest.cancel(armed.earliest);
        self.latest.cancel(armed.latest);
    }

    /// The number of queued elapses.
    pub fn len(&self) -> usize {
        self.earliest.len()
    }

    /// Whether nothing is queued.
    pub fn is_empty(&self) -> bool {
        self.earliest.is_empty()
    }

    /// The earliest queued `next`, in microseconds.
    pub fn earliest(&self) -> Option<u64> {
        self.earliest
            .next_deadline()
            .map(|t| t.saturating_mul(self.tick_usec))
    }

    /// When the clock should wake up: inside the coalescing window of the
    /// queued elapses, at the host's perturbation.
    pub fn wake(&self, perturbation: Perturbation) -> Option<u64> {
        let a = self.earliest()?;
        let b = self
            .latest
            .next_deadline()
            .map_or(a, |t| t.saturating_mul(self.tick_usec));
        Some(perturbation.wake_between(a, b.max(a)))
    }

    /// Moves the queue's time to `now_usec`, backwards too: after the wall
    /// clock was set back, deadlines are filed against the new time.
    pub fn rewind(&mut self, now_usec: u64) {
        let now = self.now_tick(now_usec);
        self.earliest.rewind(now);
        self.latest.rewind(now);
    }

    /// Removes and returns (in `out`) every timer whose `next` is at or
    /// before `now`.
    pub fn expire(&mut self, now: u64, out: &mut Vec<u32>) {
        let now = self.now_tick(now);
        let latest = &mut self.latest;
        self.earliest.expire(now, |_, _, (id, latest_handle)| {
            latest.cancel(latest_handle);
            out.push(id);
        });
        // Nothing is left in `latest` at or before `now` (its entries are
        // never earlier than their `earliest` twins); moving its time along
        // keeps its entries on low levels.
        self.latest.expire(now, |_, _, _| {});
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: u64 = 1_000_000;

    #[test]
    fn coalesces_inside_the_window_and_dispatches_what_is_due() {
        let p = Perturbation::from_usec(17 * S);
        let mut q = ClockQueue::new(1, 0);
        let minute = Timespan::from_secs(60);
        q.arm(1, 100 * S, minute);
        q.arm(2, 130 * S, minute);
        let c = q.arm(3, 200 * S, Timespan::from_usec(1));
        // Window [100 s, 160 s]: the minute grid point 137 s.
        assert_eq!(q.wake(p), Some(137 * S));
        let mut out = Vec::new();
        q.expire(137 * S, &mut out);
        assert_eq!(out, vec![1, 2]);
        assert_eq!(q.wake(p), Some(200 * S));
        q.disarm(c);
        assert_eq!(q.wake(p), None);
        assert!(q.is_empty());
    }

    #[test]
    fn ticks_round_deadlines_up_and_time_down() {
        let mut q = ClockQueue::new(1000, 0);
        q.arm(1, 1_500, Timespan::from_usec(1));
        let mut out = Vec::new();
        q.expire(1_999, &mut out);
        assert!(out.is_empty());
        assert_eq!(q.earliest(), Some(2_000));
        q.expire(2_000, &mut out);
        assert_eq!(out, vec![1]);
    }
}
