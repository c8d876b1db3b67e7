//! A hierarchical timer wheel over integer ticks.
//!
//! The layout follows tokio's `runtime/time/wheel`: levels of 64 slots, level
//! `L` slot covering `64^L` ticks, a 64-bit occupied bitmap per level so that
//! the earliest occupied slot is found with a few `trailing_zeros`, never by
//! scanning timers. Values live in a slab; each slot is a contiguous vector
//! of `(deadline, slab index)` pairs and each slab entry knows its slot and
//! position there, so a [`Handle`] cancels in O(1) with a `swap_remove`.
//! Cascading a slot reads its vector in one sequential pass instead of
//! chasing list links through randomly placed slab entries, which is where a
//! linked-list wheel spends its time once a million timers no longer fit in
//! the cache.
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
/// No entry (end of the free list).
const NIL: u32 = u32::MAX;
/// Location of entries inserted with a deadline already expired: the extra
/// bucket after the wheel's slots.
const OVERDUE: u16 = (LEVELS * SLOTS) as u16;
/// Location of a free slab entry.
const FREE: u16 = u16::MAX;

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
    /// Position in the bucket's vector, or the next free entry for free ones.
    pos: u32,
    generation: u32,
    /// `level * 64 + slot`, [`OVERDUE`] or [`FREE`].
    location: u16,
    value: Option<T>,
}

/// One timer in a bucket: the deadline is kept beside the slab index so that
/// cascading and `next_deadline` read the bucket sequentially.
#[derive(Clone, Copy)]
struct Item {
    deadline: Tick,
    index: u32,
}

/// A timer wheel holding values of type `T` with deadlines in ticks.
pub struct Wheel<T> {
    /// Every deadline up to and including this tick has been handed out.
    elapsed: Tick,
    /// Occupied-slot bitmap per level.
    occupied: [u64; LEVELS],
    /// `LEVELS * 64` slots, then the overdue bucket.
    buckets: Vec<Vec<Item>>,
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
            occupied: [0; LEVELS],
            buckets: (0..=LEVELS * SLOTS).map(|_| Vec::new()).collect(),
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
        for bucket in &mut self.buckets {
            pending.append(bucket);
        }
        self.occupied = [0; LEVELS];
        self.elapsed = now;
        for item in pending {
            self.link(item);
        }
        self.earliest.set(None);
    }

    /// The tick up to which timers have been expired.
    pub fn elapsed(&self) -> Tick {
        self.elapsed
    }

    /// Bytes held by the wheel's own structures (slab and bucket capacity
    /// included), for the memory figures of the benchmark.
    pub fn heap_bytes(&self) -> usize {
        self.entries.capacity() * std::mem::size_of::<Entry<T>>()
            + self.buckets.capacity() * std::mem::size_of::<Vec<Item>>()
            + self
                .buckets
                .iter()
                .map(|b| b.capacity() * std::mem::size_of::<Item>())
                .sum::<usize>()
    }

    /// Adds a timer with `value` due at `deadline`.
    pub fn insert(&mut self, deadline: Tick, value: T) -> Handle {
        let index = if self.free != NIL {
            let index = self.free;
            let entry = &mut self.entries[index as usize];
            self.free = entry.pos;
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
                pos: 0,
                generation: 0,
                location: FREE,
                value: Some(value),
            });
            index
        };
        self.link(Item { deadline, index });
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
        let (location, pos) = (entry.location as usize, entry.pos as usize);
        let bucket = &mut self.buckets[location];
        bucket.swap_remove(pos);
        if let Some(moved) = bucket.get(pos) {
            self.entries[moved.index as usize].pos = pos as u32;
        } else if bucket.is_empty() && location < OVERDUE as usize {
            self.occupied[location / SLOTS] &= !(1 << (location % SLOTS));
        }
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
        let overdue = &self.buckets[OVERDUE as usize];
        if !overdue.is_empty() {
            return overdue.iter().map(|item| item.deadline).min();
        }
        let (level, slot, start) = self.next_slot()?;
        if level == 0 {
            // A level-0 slot spans one tick.
            return Some(start);
        }
        self.buckets[level * SLOTS + slot]
            .iter()
            .map(|item| item.deadline)
            .min()
    }

    /// Hands out, in deadline order except that overdue inserts come first,
    /// every timer due at or before `now`, and moves the wheel's time to `now`.
    /// Returns how many timers expired.
    pub fn expire(&mut self, now: Tick, mut out: impl FnMut(Handle, Tick, T)) -> usize {
        let mut count = 0;
        let overdue = OVERDUE as usize;
        if !self.buckets[overdue].is_empty() {
            let mut items = std::mem::take(&mut self.buckets[overdue]);
            for &item in &items {
                // Only a clock that went back can leave overdue entries after `now`.
                if item.deadline <= now {
                    count += 1;
                    self.hand_out(item, &mut out);
                } else {
                    self.push(overdue, item);
                }
            }
            items.clear();
            if self.buckets[overdue].is_empty() {
                self.buckets[overdue] = items;
            }
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
            let location = level * SLOTS + slot;
            self.occupied[level] &= !(1 << slot);
            let mut items = std::mem::take(&mut self.buckets[location]);
            let last = start.saturating_add((1 << (level as u32 * SLOT_BITS)) - 1);
            if level == 0 || last <= now {
                // The whole slot is due: hand it out sorted instead of
                // cascading it level by level.
                if level > 0 {
                    items.sort_unstable_by_key(|item| item.deadline);
                }
                count += items.len();
                for &item in &items {
                    self.hand_out(item, &mut out);
                }
            } else {
                for &item in &items {
                    if item.deadline <= start {
                        count += 1;
                        self.hand_out(item, &mut out);
                    } else {
                        // Cascade: the entry shares this slot's prefix with
                        // the new `elapsed`, so it moves to a lower level.
                        self.link(item);
                    }
                }
            }
            // Cascading never files into the slot being emptied, so its
            // vector (and its capacity) goes back in place.
            items.clear();
            self.buckets[location] = items;
        }
        self.elapsed = now;
        self.earliest.set(None);
        count
    }

    /// Releases an entry taken out of its bucket and passes it to `out`.
    fn hand_out(&mut self, item: Item, out: &mut impl FnMut(Handle, Tick, T)) {
        let generation = self.entries[item.index as usize].generation;
        let value = self.release(item.index);
        out(
            Handle {
                index: item.index,
                generation,
            },
            item.deadline,
            value,
        );
    }

    /// The earliest occupied slot: `(level, slot, first tick it covers)`.
    fn next_slot(&self) -> Option<(usize, usize, Tick)> {
        for (level, &occupied) in self.occupied.iter().enumerate() {
            if occupied == 0 {
                continue;
            }
            let current = slot_of(self.elapsed, level);
            // Slots at or before the current one cannot hold later deadlines.
            let later = occupied & u64::MAX.checked_shl(current as u32 + 1).unwrap_or(0);
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

    /// Files the entry in the bucket its deadline belongs to.
    fn link(&mut self, item: Item) {
        let location = if item.deadline <= self.elapsed {
            OVERDUE as usize
        } else {
            let level = level_for(self.elapsed, item.deadline);
            let slot = slot_of(item.deadline, level);
            self.occupied[level] |= 1 << slot;
            level * SLOTS + slot
        };
        self.push(location, item);
    }

    fn push(&mut self, location: usize, item: Item) {
        let bucket = &mut self.buckets[location];
        let entry = &mut self.entries[item.index as usize];
        entry.location = location as u16;
        entry.pos = bucket.len() as u32;
        bucket.push(item);
    }

    /// Returns an entry no longer in any bucket to the free list, bumping its
    /// generation so that old handles no longer match.
    fn release(&mut self, index: u32) -> T {
        let entry = &mut self.entries[index as usize];
        entry.generation = entry.generation.wrapping_add(1);
        entry.location = FREE;
        entry.pos = self.free;
        self.free = index;
        self.len -= 1;
        entry.value.take().expect("a filed entry holds a value")
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
    fn a_slot_due_at_once_comes_out_sorted() {
        let mut wheel = Wheel::new(0);
        // All in the level-2 slot covering 4096..8191, filed out of order.
        for (i, d) in [5000_u64, 4200, 8191, 4097, 6000].iter().enumerate() {
            wheel.insert(*d, i as u32);
        }
        wheel.insert(8192, 9);
        assert_eq!(
            drain(&mut wheel, 8191),
            vec![(4097, 3), (4200, 1), (5000, 0), (6000, 4), (8191, 2)]
        );
        assert_eq!(wheel.next_deadline(), Some(8192));
    }

    #[test]
    fn cancel_keeps_positions_of_moved_entries() {
        let mut wheel = Wheel::new(0);
        let handles: Vec<Handle> = (0..5).map(|i| wheel.insert(100 + i, i as u32)).collect();
        // Each cancel moves the slot's last entry into the freed position.
        assert_eq!(wheel.cancel(handles[0]), Some(0));
        assert_eq!(wheel.cancel(handles[4]), Some(4));
        assert_eq!(wheel.cancel(handles[1]), Some(1));
        assert_eq!(wheel.len(), 2);
        assert_eq!(drain(&mut wheel, 200), vec![(102, 2), (103, 3)]);
    }

    #[test]
    fn entry_stays_small() {
        assert!(std::mem::size_of::<Entry<u32>>() <= 32);
    }
}
