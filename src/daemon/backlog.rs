//! Work the event loop does a slice at a time, between its other wake-ups,
//! so that neither a burst of timers nor one large request holds it (and so
//! the control socket) for long: timer starts beyond one batch, requests
//! naming many units (taken in turn by uid), and metrics scrapes going
//! through the timers.

use std::collections::VecDeque;
use std::ops::Range;

use sundial_calendar::Timestamp;

use super::metrics::Gathering;
use crate::scheduler::Start;

/// A timer's start waiting in the backlog, with the stamp that goes with
/// it: written in the turn that makes the start, so that a start a
/// `kill -9` cuts off leaves the timer's previous stamp (and a
/// `Persistent=` timer catches up at the next start).
#[derive(Debug, Clone)]
pub struct PendingStart {
    /// The start.
    pub start: Start,
    /// The stamp of its trigger, when the scheduler asked for one.
    pub stamp: Option<Stamp>,
}

/// A stamp to write: the trigger time and, for a timer that keeps one,
/// its monotonic reading.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stamp {
    /// The trigger time.
    pub at: Timestamp,
    /// The monotonic clock at `at`, for `X-Sundial-PersistentMonotonic=`.
    pub monotonic: Option<u64>,
}

/// Services a loop turn starts for timers at most: a spawn costs about half
/// a millisecond, so a turn stays near 10 ms.
pub const STARTS_PER_TURN: usize = 16;

/// Units of a request a loop turn answers for at most (a status block costs
/// up to a few hundred microseconds).
pub const UNITS_PER_SLICE: usize = 128;

/// Requests that came in meanwhile, served after each wake-up of the loop.
pub const REQUESTS_BETWEEN_SLICES: usize = 16;

/// Where a request naming many units has got to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cursor {
    len: usize,
    next: usize,
}

impl Cursor {
    /// A cursor at the start of `len` items.
    pub fn new(len: usize) -> Cursor {
        Cursor { len, next: 0 }
    }

    /// The next at most `size` items, or None when all were given.
    pub fn next_slice(&mut self, size: usize) -> Option<Range<usize>> {
        if self.next >= self.len {
            return None;
        }
        let end = self.len.min(self.next + size.max(1));
        let range = self.next..end;
        self.next = end;
        Some(range)
    }

    /// Whether every item was given.
    pub fn is_done(&self) -> bool {
        self.next >= self.len
    }
}

/// Items queued by uid, taken one uid after another: a uid with many
/// items waits its turn like one with a single item.
#[derive(Debug)]
pub struct FairQueue<T> {
    /// Uids with items, in turn order; each uid appears once.
    turns: VecDeque<(u32, VecDeque<T>)>,
}

impl<T> Default for FairQueue<T> {
    fn default() -> FairQueue<T> {
        FairQueue {
            turns: VecDeque::new(),
        }
    }
}

impl<T> FairQueue<T> {
    /// Queues `item` behind the other items of `uid`.
    pub fn push(&mut self, uid: u32, item: T) {
        match self.turns.iter_mut().find(|(u, _)| *u == uid) {
            Some((_, items)) => items.push_back(item),
            None => self.turns.push_back((uid, VecDeque::from([item]))),
        }
    }

    /// The first item of the uid whose turn it is; that uid goes to the
    /// back of the turn order.
    pub fn pop(&mut self) -> Option<(u32, T)> {
        let (uid, mut items) = self.turns.pop_front()?;
        let item = items.pop_front()?;
        if !items.is_empty() {
            self.turns.push_back((uid, items));
        }
        Some((uid, item))
    }

    /// Items of `uid` queued.
    pub fn len_of(&self, uid: u32) -> usize {
        self.turns
            .iter()
            .find(|(u, _)| *u == uid)
            .map_or(0, |(_, items)| items.len())
    }

    /// Items queued.
    pub fn len(&self) -> usize {
        self.turns.iter().map(|(_, items)| items.len()).sum()
    }

    /// Whether nothing is queued.
    pub fn is_empty(&self) -> bool {
        self.turns.is_empty()
    }
}

/// The event loop's deferred work.
#[derive(Debug)]
pub struct Backlog<R> {
    /// Timer starts not carried out yet, oldest first.
    starts: VecDeque<PendingStart>,
    /// Requests answered a slice at a time.
    pub requests: FairQueue<R>,
    /// Metrics scrapes gathering the timers' schedule, oldest first.
    pub scrapes: VecDeque<Gathering>,
}

impl<R> Default for Backlog<R> {
    fn default() -> Backlog<R> {
        Backlog {
            starts: VecDeque::new(),
            requests: FairQueue::default(),
            scrapes: VecDeque::new(),
        }
    }
}

impl<R> Backlog<R> {
    /// Queues a timer's start.
    pub fn push_start(&mut self, start: PendingStart) {
        self.starts.push_back(start);
    }

    /// Timer starts waiting.
    pub fn starts_waiting(&self) -> usize {
        self.starts.len()
    }

    /// The next batch of timer starts, oldest first.
    pub fn take_starts(&mut self) -> Vec<PendingStart> {
        let n = self.starts.len().min(STARTS_PER_TURN);
        self.starts.drain(..n).collect()
    }

    /// Forgets the timer starts not carried out (the daemon is stopping).
    pub fn drop_starts(&mut self) {
        self.starts.clear();
    }

    /// Whether the loop has work left for its next turns.
    pub fn has_work(&self) -> bool {
        !self.starts.is_empty() || !self.requests.is_empty() || !self.scrapes.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cursor_gives_every_item_once_in_slices() {
        let mut c = Cursor::new(300);
        assert_eq!(c.next_slice(128), Some(0..128));
        assert!(!c.is_done());
        assert_eq!(c.next_slice(128), Some(128..256));
        assert_eq!(c.next_slice(128), Some(256..300));
        assert!(c.is_done());
        assert_eq!(c.next_slice(128), None);
        let mut empty = Cursor::new(0);
        assert!(empty.is_done());
        assert_eq!(empty.next_slice(5), None);
        // A zero size still moves on.
        assert_eq!(Cursor::new(2).next_slice(0), Some(0..1));
    }

    #[test]
    fn uids_take_turns() {
        let mut q = FairQueue::default();
        for i in 0..5 {
            q.push(65534, format!("nobody {i}"));
        }
        q.push(0, "root 0".to_owned());
        q.push(1000, "user 0".to_owned());
        q.push(0, "root 1".to_owned());
        assert_eq!(q.len(), 8);
        assert_eq!((q.len_of(65534), q.len_of(0), q.len_of(7)), (5, 2, 0));
        let order: Vec<String> = std::iter::from_fn(|| q.pop().map(|(_, s)| s)).collect();
        assert_eq!(
            order,
            [
                "nobody 0", "root 0", "user 0", "nobody 1", "root 1", "nobody 2", "nobody 3",
                "nobody 4"
            ]
        );
        assert!(q.is_empty());
    }

    #[test]
    fn work_put_back_waits_behind_the_other_uids() {
        let mut q = FairQueue::default();
        q.push(65534, 1);
        q.push(0, 2);
        let (uid, item) = q.pop().unwrap();
        assert_eq!((uid, item), (65534, 1));
        // Not done: back in line, after root.
        q.push(uid, item);
        assert_eq!(q.pop(), Some((0, 2)));
        assert_eq!(q.pop(), Some((65534, 1)));
        assert_eq!(q.pop(), None);
    }
}
