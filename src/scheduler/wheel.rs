//! A hierarchical timer wheel over integer ticks.
//!
//! The layout follows tokio's `runtime/time/wheel`: levels of 64 slots, level
//! `L` slot covering `64^L` ticks, a 64-bit occupied bitmap per level so that
//! the earliest occupied slot is found with a few `trailing_zeros`, never by
//! scanning timers. Entries live in a slab and form intrusive doubly linked
//! lists per slot, so a [`Handle`] cancels in O(1) and a pending timer costs
//! one slab entry.
//!
//! Unlike tokio's, this wheel has enough levels (11 × 6 bits) to hold any
//! `u64` tick, so far-future deadlines need no overflow list, and it accepts
//! deadlines in the past: they are due at the next [`Wheel::expire`].
//!
//! Invariant: every deadline `d` in a slot is later than `elapsed`, and its
//! level is the 6-bit group of the highest bit in which `d` and `elapsed`
//! differ. Entries of a lower level are therefore always earlier than those of
//! a higher level, and within a level the slot index orders them.

use std::cell::Cell;
use std::fmt;

/// A deadline in ticks; the caller decides how long a tick is.
pub type Tick = u64;

const SLOT_BITS: u32 = 6;
const SLOTS: usize = 1 << SLOT_BITS;
const SLOT_MASK: u64 = SLOTS as u64 - 1;
/// 11 levels of 6 bits cover all 64 bits of a tick.
const LEVELS: usize = 11;
/// No entry.
const NIL: u32 = u32::MAX;
/// Location of an entry that was inserted with a deadline already expired.
const OVERDUE: u16 = u16::MAX;
/// Location of a free slab entry.
const FREE: u16 = u16::MAX - 1;

/// Identifies a pending timer for [`Wheel::cancel`]. A handle whose timer
/// has expired or was cancelled stays harmless: its slab entry carries a new
/// generation by then.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Handle {
    index: u32,
    generation: u32,
}

struct Entry<T> {
    deadline: Tick,
    prev: u32,
    /// Next entry in the slot's list, or in the free list for free entries.
    next: u32,
    generation: u32,
    /// `level * 64 + slot`, [`OVERDUE`] or [`FREE`].
    location: u16,
    value: Option<T>,
}

struct Level {
    occupied: u64,
    heads: [u32; SLOTS],
}

/// A timer wheel holding values of type `T` with deadlines in ticks.
pub struct Wheel<T> {
    /// Every deadline up to and including this tick has been handed out.
    elapsed: Tick,
    levels: Vec<Level>,
    /// Timers inserted with a deadline at or before `elapsed`.
    overdue: u32,
    entries: Vec<Entry<T>>,
    free: u32,
    len: usize,
    /// The earliest deadline, when known; cleared by anything that may raise it.
    earliest: Cell<Option<Option<Tick>>>,
}

impl<T> fmt::Debug for Wheel<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Wheel")
            .field("elapsed", &self.elapsed)
            .field("len", &self.len)
            .finish_non_exhaustive()
    }
}

impl<T> Default for Wheel<T> {
    fn default() -> Self {
        Wheel::new(0)
    }
}

/// The slot group in which `deadline` belongs, seen from `elapsed`.
fn level_for(elapsed: Tick, deadline: Tick) -> usize {
    // The low group is or-ed in so that equal ticks land on level 0.
    let masked = (elapsed ^ deadline) | SLOT_MASK;
    let significant = 63 - masked.leading_zeros();
    (significant / SLOT_BITS) as usize
}

fn slot_of(tick: Tick, level: usize) -> usize {
    ((tick >> (level as u32 * SLOT_BITS)) & SLOT_MASK) as usize
}

impl<T> Wheel<T> {
    /// An empty wheel whose time starts at tick `start`: deadlines up to
    /// `start` are due at the first [`Wheel::expire`].
    pub fn new(start: Tick) -> Wheel<T> {
        Wheel {
            elapsed: start,
            levels: (0..LEVELS)
                .map(|_| Level {
                    occupied: 0,
                    heads: [NIL; SLOTS],
                })
                .collect(),
            overdue: NIL,
            entries: Vec::new(),
            free: NIL,
            len: 0,
            earliest: Cell::new(Some(None)),
        }
    }

    /// An empty wheel with room for `capacity` timers before it reallocates.
    pub fn with_capacity(start: Tick, capacity: usize) -> Wheel<T> {
        let mut wheel = Wheel::new(start);
        wheel.entries.reserve_exact(capacity);
        wheel
    }

    /// The number of pending timers.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether no timer is pending.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Moves the wheel's time to `now`, also backwards (a wall clock that was
    /// set back), re-filing every pending timer. O(pending timers): meant for
    /// clock jumps, not for the normal flow of time.
    pub fn rewind(&mut self, now: Tick) {
        let mut pending = Vec::with_capacity(self.len);
        for index in 0..self.entries.len() as u32 {
            if self.entries[index as usize].location != FREE {
                self.unlink(index);
                pending.push(index);
            }
        }
        self.elapsed = now;
        for index in pending {
            self.link(index);
        }
        self.earliest.set(None);
    }

    /// The tick up to which timers have been expired.
    pub fn elapsed(&self) -> Tick {
        self.elapsed
    }

    /// Bytes held by the wheel's own structures (slab capacity included), for
    /// the memory figures of the benchmark.
    pub fn heap_bytes(&self) -> usize {
        self.entries.capacity() * std::mem::size_of::<Entry<T>>()
            + self.levels.capacity() * std::mem::size_of::<Level>()
    }

    /// Adds a timer with `value` due at `deadline`.
    pub fn insert(&mut self, deadline: Tick, value: T) -> Handle {
        let index = if self.free != NIL {
            let index = self.free;
            let entry = &mut self.entries[index as usize];
            self.free = entry.next;
            entry.deadline = deadline;
            entry.value = Some(value);
            index
        } else {
            let index = u32::try_from(self.entries.len())
                .ok()
                .filter(|&i| i != NIL)
                .expect("fewer than 2^32-1 pending timers");
            self.entries.push(Entry {
                deadline,
                prev: NIL,
                next: NIL,
                generation: 0,
                location: FREE,
                value: Some(value),
            });
            index
        };
        self.link(index);
        self.len += 1;
        if let Some(Some(earliest)) = self.earliest.get() {
            self.earliest.set(Some(Some(earliest.min(deadline))));
        } else if self.earliest.get() == Some(None) {
            self.earliest.set(Some(Some(deadline)));
        }
        Handle {
            index,
            generation: self.entries[index as usize].generation,
        }
    }

    /// Removes a pending timer and returns its value; `None` if it already
    /// expired or was cancelled.
    pub fn cancel(&mut self, handle: Handle) -> Option<T> {
        let entry = self.entries.get(handle.index as usize)?;
        if entry.generation != handle.generation || entry.location == FREE {
            return None;
        }
        if self.earliest.get() == Some(Some(entry.deadline)) {
            self.earliest.set(None);
        }
        self.unlink(handle.index);
        Some(self.release(handle.index))
    }

    /// The deadline of the timer behind `handle`, if it is still pending.
    pub fn deadline(&self, handle: Handle) -> Option<Tick> {
        let entry = self.entries.get(handle.index as usize)?;
        (entry.generation == handle.generation && entry.location != FREE).then_some(entry.deadline)
    }

    /// The earliest pending deadline (possibly at or before [`Wheel::elapsed`]).
    pub fn next_deadline(&self) -> Option<Tick> {
        if let Some(known) = self.earliest.get() {
            return known;
        }
        let earliest = self.compute_next_deadline();
        self.earliest.set(Some(earliest));
        earliest
    }

    fn compute_next_deadline(&self) -> Option<Tick> {
        if self.overdue != NIL {
            return self.list_min(self.overdue);
        }
        let (level, slot, start) = self.next_slot()?;
        if level == 0 {
            // A level-0 slot spans one tick.
            return Some(start);
        }
        self.list_min(self.levels[level].heads[slot])
    }

    /// Hands out, in deadline order except that overdue inserts come first,
    /// every timer due at or before `now`, and moves the wheel's time to `now`.
    /// Returns how many timers expired.
    pub fn expire(&mut self, now: Tick, mut out: impl FnMut(Handle, Tick, T)) -> usize {
        let mut count = 0;
        let mut index = self.overdue;
        while index != NIL {
            let next = self.entries[index as usize].next;
            // Only a clock that went back can leave overdue entries after `now`.
            if self.entries[index as usize].deadline <= now {
                count += 1;
                self.pop_into(index, &mut out);
            }
            index = next;
        }
        if now <= self.elapsed {
            self.earliest.set(None);
            return count;
        }
        while let Some((level, slot, start)) = self.next_slot() {
            if start > now {
                break;
            }
            // Everything before this slot is gone, so time may move to its start.
            self.elapsed = start;
            let mut index = self.levels[level].heads[slot];
            self.levels[level].heads[slot] = NIL;
            self.levels[level].occupied &= !(1 << slot);
            while index != NIL {
                let next = self.entries[index as usize].next;
                if self.entries[index as usize].deadline <= start {
                    count += 1;
                    let generation = self.entries[index as usize].generation;
                    let value = self.release(index);
                    out(Handle { index, generation }, start, value);
                } else {
                    // Cascade: the entry shares this slot's prefix with the new
                    // `elapsed`, so it moves to a lower level.
                    self.link(index);
                }
                index = next;
            }
        }
        self.elapsed = now;
        self.earliest.set(None);
        count
    }

    /// Unlinks an overdue entry and passes it to `out`.
    fn pop_into(&mut self, index: u32, out: &mut impl FnMut(Handle, Tick, T)) {
        let deadline = self.entries[index as usize].deadline;
        let generation = self.entries[index as usize].generation;
        self.unlink(index);
        let value = self.release(index);
        out(Handle { index, generation }, deadline, value);
    }

    /// The earliest occupied slot: `(level, slot, first tick it covers)`.
    fn next_slot(&self) -> Option<(usize, usize, Tick)> {
        for (level, l) in self.levels.iter().enumerate() {
            if l.occupied == 0 {
                continue;
            }
            let current = slot_of(self.elapsed, level);
            // Slots at or before the current one cannot hold later deadlines.
            let later = l.occupied & u64::MAX.checked_shl(current as u32 + 1).unwrap_or(0);
            if later == 0 {
                continue;
            }
            let slot = later.trailing_zeros() as usize;
            let shift = level as u32 * SLOT_BITS;
            let above = shift + SLOT_BITS;
            let prefix = self.elapsed.checked_shr(above).unwrap_or(0);
            let start = prefix
                .checked_shl(above)
                .unwrap_or(0)
                .wrapping_add((slot as u64) << shift);
            return Some((level, slot, start));
        }
        None
    }

    fn list_min(&self, mut index: u32) -> Option<Tick> {
        let mut min = None;
        while index != NIL {
            let entry = &self.entries[index as usize];
            min = Some(min.map_or(entry.deadline, |m: Tick| m.min(entry.deadline)));
            index = entry.next;
        }
        min
    }

    /// Puts the entry at the head of the list its deadline belongs to.
    fn link(&mut self, index: u32) {
        let deadline = self.entries[index as usize].deadline;
        let (location, head) = if deadline <= self.elapsed {
            (OVERDUE, &mut self.overdue)
        } else {
            let level = level_for(self.elapsed, deadline);
            let slot = slot_of(deadline, level);
            let l = &mut self.levels[level];
            l.occupied |= 1 << slot;
            ((level * SLOTS + slot) as u16, &mut l.heads[slot])
        };
        let old_head = *head;
        *head = index;
        let entry = &mut self.entries[index as usize];
        entry.location = location;
        entry.prev = NIL;
        entry.next = old_head;
        if old_head != NIL {
            self.entries[old_head as usize].prev = index;
        }
    }

    fn unlink(&mut self, index: u32) {
        let (prev, next, location) = {
            let e = &self.entries[index as usize];
            (e.prev, e.next, e.location)
        };
        if next != NIL {
            self.entries[next as usize].prev = prev;
        }
        if prev != NIL {
            self.entries[prev as usize].next = next;
        } else if location == OVERDUE {
            self.overdue = next;
        } else {
            let level = location as usize / SLOTS;
            let slot = location as usize % SLOTS;
            let l = &mut self.levels[level];
            l.heads[slot] = next;
            if next == NIL {
                l.occupied &= !(1 << slot);
            }
        }
    }

    /// Returns an unlinked entry to the free list, bumping its generation so
    /// that old handles no longer match.
    fn release(&mut self, index: u32) -> T {
        let entry = &mut self.entries[index as usize];
        entry.generation = entry.generation.wrapping_add(1);
        entry.location = FREE;
        entry.prev = NIL;
        entry.next = self.free;
        self.free = index;
        self.len -= 1;
        entry.value.take().expect("a linked entry holds a value")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn drain(wheel: &mut Wheel<u32>, now: Tick) -> Vec<(Tick, u32)> {
        let mut out = Vec::new();
        wheel.expire(now, |_, deadline, v| out.push((deadline, v)));
        out
    }

    #[test]
    fn expires_in_deadline_order_across_levels() {
        let mut wheel = Wheel::new(0);
        for (i, d) in [5_u64, 1, 64, 4096, 63, 1 << 40, 300_000]
            .iter()
            .enumerate()
        {
            wheel.insert(*d, i as u32);
        }
        assert_eq!(wheel.next_deadline(), Some(1));
        assert_eq!(drain(&mut wheel, 0), vec![]);
        assert_eq!(
            drain(&mut wheel, 64),
            vec![(1, 1), (5, 0), (63, 4), (64, 2)]
        );
        assert_eq!(wheel.next_deadline(), Some(4096));
        assert_eq!(
            drain(&mut wheel, 1 << 41),
            vec![(4096, 3), (300_000, 6), (1 << 40, 5)]
        );
        assert!(wheel.is_empty());
        assert_eq!(wheel.next_deadline(), None);
    }

    #[test]
    fn next_deadline_is_exact_inside_a_high_slot() {
        let mut wheel = Wheel::new(1000);
        wheel.insert(1_000_000 + 17, 1);
        wheel.insert(1_000_000 + 3, 2);
        assert_eq!(wheel.next_deadline(), Some(1_000_003));
        assert_eq!(drain(&mut wheel, 1_000_002), vec![]);
        assert_eq!(drain(&mut wheel, 1_000_003), vec![(1_000_003, 2)]);
        assert_eq!(wheel.next_deadline(), Some(1_000_017));
    }

    #[test]
    fn past_deadlines_are_due_at_once() {
        let mut wheel = Wheel::new(100);
        wheel.insert(7, 1);
        wheel.insert(100, 2);
        assert_eq!(wheel.next_deadline(), Some(7));
        let mut got = drain(&mut wheel, 100);
        got.sort_unstable();
        assert_eq!(got, vec![(7, 1), (100, 2)]);
    }

    #[test]
    fn cancel_by_handle_and_stale_handles() {
        let mut wheel = Wheel::new(0);
        let a = wheel.insert(10, 1);
        let b = wheel.insert(10, 2);
        let c = wheel.insert(1 << 20, 3);
        assert_eq!(wheel.cancel(a), Some(1));
        assert_eq!(wheel.cancel(a), None);
        assert_eq!(wheel.cancel(c), Some(3));
        assert_eq!(wheel.next_deadline(), Some(10));
        // The freed entry is reused; the old handle must not reach the new timer.
        let d = wheel.insert(20, 4);
        assert_eq!(wheel.cancel(c), None);
        assert_eq!(wheel.deadline(d), Some(20));
        assert_eq!(drain(&mut wheel, 30), vec![(10, 2), (20, 4)]);
        assert_eq!(wheel.cancel(b), None);
        assert_eq!(wheel.cancel(d), None);
    }

    #[test]
    fn far_future_and_max_tick() {
        let mut wheel = Wheel::new(u64::MAX - 1000);
        wheel.insert(u64::MAX, 1);
        wheel.insert(3, 2);
        assert_eq!(drain(&mut wheel, u64::MAX - 1), vec![(3, 2)]);
        assert_eq!(wheel.next_deadline(), Some(u64::MAX));
        assert_eq!(drain(&mut wheel, u64::MAX), vec![(u64::MAX, 1)]);
    }

    #[test]
    fn rewind_refiles_pending_timers() {
        let mut wheel = Wheel::new(0);
        wheel.expire(1_000_000, |_, _, _: u32| {});
        wheel.insert(500, 1);
        wheel.insert(2_000_000, 2);
        wheel.rewind(100);
        assert_eq!(drain(&mut wheel, 499), vec![]);
        assert_eq!(drain(&mut wheel, 500), vec![(500, 1)]);
        assert_eq!(wheel.next_deadline(), Some(2_000_000));
        assert_eq!(drain(&mut wheel, 2_000_000), vec![(2_000_000, 2)]);
    }

    #[test]
    fn entry_stays_small() {
        assert!(std::mem::size_of::<Entry<u32>>() <= 32);
    }
}
