//! The bound on captured lines between a service's pipe and the store.
//!
//! A line read from a pipe takes room in the queue until the store has it
//! (or it is lost): room of its unit, and room of all units together. A pipe
//! whose unit has no room left is not read, so its writer blocks once the
//! pipe is full, as a service writing to journald does; it is read again
//! when the store has caught up. The daemon's memory for captured lines is
//! thus bounded whatever the services print, and one flooding service
//! cannot take all the room: the others still have theirs.
//!
//! [`QueuePolicy`] is the pure accounting; [`OutputQueue`] shares it between
//! the pipe readers (which take room) and the store's writer thread (which
//! gives it back, as [`Credit`]s are dropped) and wakes the waiting readers.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use tokio::sync::Notify;

/// Room of one unit: a megabyte of lines (about 5,000 short ones), enough
/// to keep the store's writer busy while the next lines are read.
pub const UNIT_ROOM: usize = 1 << 20;

/// Room of all units together.
pub const TOTAL_ROOM: usize = 16 << 20;

/// What a line costs in memory on its way besides its text and unit name:
/// the record and the row waiting for the writer, their invocation ids, and
/// the allocator's share of each string.
pub const LINE_OVERHEAD: usize = 192;

/// The room a line of `text_len` bytes from a unit named `unit_len` bytes
/// takes.
pub fn line_cost(text_len: usize, unit_len: usize) -> usize {
    text_len + unit_len + LINE_OVERHEAD
}

/// How much room each unit and all of them have taken.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueuePolicy {
    unit_room: usize,
    total_room: usize,
    total: usize,
    /// Only units with lines in the queue.
    units: HashMap<String, usize>,
}

impl QueuePolicy {
    /// A policy with `unit_room` per unit and `total_room` for all.
    pub fn new(unit_room: usize, total_room: usize) -> QueuePolicy {
        QueuePolicy {
            unit_room,
            total_room,
            total: 0,
            units: HashMap::new(),
        }
    }

    /// Whether a line costing `cost` from `unit` fits now. A line always
    /// fits an empty queue, so that one longer than the room is not held
    /// back for ever.
    pub fn fits(&self, unit: &str, cost: usize) -> bool {
        let used = self.queued(unit);
        let unit_fits = used == 0 || used.saturating_add(cost) <= self.unit_room;
        let total_fits = self.total == 0 || self.total.saturating_add(cost) <= self.total_room;
        unit_fits && total_fits
    }

    /// Takes room for the line if it [fits](QueuePolicy::fits).
    pub fn try_take(&mut self, unit: &str, cost: usize) -> bool {
        if !self.fits(unit, cost) {
            return false;
        }
        self.total += cost;
        match self.units.get_mut(unit) {
            Some(used) => *used += cost,
            None => {
                self.units.insert(unit.to_owned(), cost);
            }
        }
        true
    }

    /// Gives room back: lines that reached the store, or were lost.
    pub fn give_back(&mut self, unit: &str, cost: usize) {
        self.total = self.total.saturating_sub(cost);
        if let Some(used) = self.units.get_mut(unit) {
            *used = used.saturating_sub(cost);
            if *used == 0 {
                self.units.remove(unit);
            }
        }
    }

    /// The room `unit` has taken.
    pub fn queued(&self, unit: &str) -> usize {
        self.units.get(unit).copied().unwrap_or(0)
    }

    /// The room all units have taken.
    #[cfg(test)]
    pub fn total(&self) -> usize {
        self.total
    }
}

/// The policy shared by the pipe readers and whoever drops the lines.
#[derive(Debug, Clone)]
pub struct OutputQueue(Arc<Shared>);

#[derive(Debug)]
struct Shared {
    policy: Mutex<QueuePolicy>,
    /// Told whenever room is given back.
    room: Notify,
}

impl Default for OutputQueue {
    fn default() -> OutputQueue {
        OutputQueue::new(UNIT_ROOM, TOTAL_ROOM)
    }
}

impl OutputQueue {
    /// A queue with `unit_room` per unit and `total_room` for all.
    pub fn new(unit_room: usize, total_room: usize) -> OutputQueue {
        OutputQueue(Arc::new(Shared {
            policy: Mutex::new(QueuePolicy::new(unit_room, total_room)),
            room: Notify::new(),
        }))
    }

    fn lock(&self) -> MutexGuard<'_, QueuePolicy> {
        // Plain numbers: still usable after a panic elsewhere.
        self.0
            .policy
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Takes room for a line of `unit` into `credit` if it fits.
    pub fn try_take(&self, credit: &Credit, unit: &str, cost: usize) -> bool {
        if !self.lock().try_take(unit, cost) {
            return false;
        }
        credit.add(cost);
        true
    }

    /// Waits until a line costing `cost` from `unit` fits (without taking
    /// the room).
    pub async fn room(&self, unit: &str, cost: usize) {
        loop {
            let notified = self.0.room.notified();
            tokio::pin!(notified);
            // Registered before the look, so a give-back in between wakes it.
            notified.as_mut().enable();
            if self.lock().fits(unit, cost) {
                return;
            }
            notified.await;
        }
    }

    /// An empty credit for the lines of `unit` about to be sent.
    pub fn credit(&self, unit: &str) -> Credit {
        Credit(Some(Arc::new(Held {
            queue: self.clone(),
            unit: unit.to_owned(),
            cost: AtomicUsize::new(0),
        })))
    }

    /// The room `unit` has taken.
    #[cfg(test)]
    pub fn queued(&self, unit: &str) -> usize {
        self.lock().queued(unit)
    }

    /// The room all units have taken.
    #[cfg(test)]
    pub fn total(&self) -> usize {
        self.lock().total()
    }

    fn give_back(&self, unit: &str, cost: usize) {
        self.lock().give_back(unit, cost);
        self.0.room.notify_waiters();
    }
}

/// Room taken in the queue by lines read together; every line holds a
/// clone, and the room is given back when the last of them is dropped (the
/// store's writer drops them once written). The default holds none.
#[derive(Debug, Clone, Default)]
pub struct Credit(Option<Arc<Held>>);

#[derive(Debug)]
struct Held {
    queue: OutputQueue,
    unit: String,
    cost: AtomicUsize,
}

impl Credit {
    fn add(&self, cost: usize) {
        if let Some(held) = &self.0 {
            held.cost.fetch_add(cost, Ordering::Relaxed);
        }
    }
}

impl Drop for Held {
    fn drop(&mut self) {
        let cost = *self.cost.get_mut();
        if cost > 0 {
            self.queue.give_back(&self.unit, cost);
        }
    }
}

/// A line's credit is not part of what it says.
impl PartialEq for Credit {
    fn eq(&self, _: &Credit) -> bool {
        true
    }
}

impl Eq for Credit {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_unit_past_its_room_waits_while_others_go_on() {
        let mut q = QueuePolicy::new(100, 250);
        assert!(q.try_take("a", 60));
        assert!(q.try_take("a", 40));
        // a is full; b still has room of its own.
        assert!(!q.try_take("a", 1));
        assert!(q.try_take("b", 100));
        assert_eq!(q.total(), 200);
        // The total bounds them all: c fits 50, not 51.
        assert!(!q.try_take("c", 51));
        assert!(q.try_take("c", 50));
        assert!(!q.fits("c", 1));
        q.give_back("a", 60);
        assert_eq!(q.queued("a"), 40);
        assert!(q.try_take("a", 60));
        q.give_back("a", 100);
        assert_eq!(q.queued("a"), 0);
        assert_eq!(q.total(), 150);
    }

    #[test]
    fn a_line_longer_than_the_room_fits_an_empty_queue_only() {
        let mut q = QueuePolicy::new(100, 1000);
        assert!(q.try_take("a", 500));
        assert!(!q.try_take("a", 1));
        q.give_back("a", 500);
        assert!(q.try_take("a", 1));
        assert!(!q.try_take("a", 500));
        let mut q = QueuePolicy::new(100, 100);
        assert!(q.try_take("a", 10));
        // b's own queue is empty, but the total is not.
        assert!(!q.try_take("b", 200));
    }

    #[tokio::test]
    async fn dropping_the_last_line_gives_the_room_back_and_wakes_a_reader() {
        let queue = OutputQueue::new(100, 1000);
        let credit = queue.credit("a");
        assert!(queue.try_take(&credit, "a", 70));
        assert!(queue.try_take(&credit, "a", 30));
        assert!(!queue.try_take(&credit, "a", 1));
        let lines = vec![credit.clone(), credit.clone()];
        drop(credit);
        assert_eq!(queue.queued("a"), 100);
        let waiter = {
            let queue = queue.clone();
            tokio::spawn(async move { queue.room("a", 50).await })
        };
        tokio::task::yield_now().await;
        assert!(!waiter.is_finished());
        // Dropped on another thread, as the store's writer does.
        std::thread::spawn(move || drop(lines))
            .join()
            .expect("drops");
        tokio::time::timeout(std::time::Duration::from_secs(5), waiter)
            .await
            .expect("woken")
            .expect("no panic");
        assert_eq!(queue.queued("a"), 0);
        assert_eq!(queue.total(), 0);
    }
}
