//! Bit sets of the values each field's list allows, so that the search's
//! "smallest allowed value not below x" is one shift and one count of
//! trailing zeros instead of a walk over the list.
//!
//! A bit set only knows values inside the field; where none is left, the
//! list itself decides (a repetition may overshoot the field, which
//! systemd's search then carries into the next larger field).

use super::{CalendarSpec, Component, USEC_PER_SEC};

/// The fields of a spec as bit sets, where `*` is every value of the field.
/// The walk over fields in range ([`super::fast`]) asks only these; the
/// exact walk asks them where the list is not empty. Where a
/// set has no value left, `flags` tell whether the list may still have one
/// past the field's range (a repetition that overshoots).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(super) struct Masks {
    pub(super) month: u64,
    /// Unused with [`DAY_FROM_END`].
    pub(super) day: u64,
    pub(super) hour: u64,
    pub(super) minute: u64,
    /// Whole seconds; unused with [`SECOND_FRACTIONS`].
    pub(super) second: u64,
    /// The weekday bits of the spec.
    pub(super) weekdays: u8,
    /// For each weekday (Monday = 0), how many days on the next allowed
    /// weekday comes (1 to 7); with weekdays only.
    pub(super) weekday_steps: [u8; 7],
    /// [`YEAR_LIST`], [`MONTH_LIST`], ….
    pub(super) flags: u16,
    /// More passes than systemd's walk takes through a year without a
    /// matching day (with [`SKIPS_YEARS`]).
    pub(super) year_passes: u32,
    /// Bit `7 * leap + weekday of January 1st` (Monday = 0): whether
    /// years of that kind have a day matching months, days and weekdays.
    pub(super) year_kinds: u16,
}

/// Every day of the month, as [`Masks::day`] bits.
pub(super) const EVERY_DAY: u64 = ((1 << 32) - 1) & !1;

/// The year list is not empty.
pub(super) const YEAR_LIST: u16 = 1;
/// The month list overshoots: past the bits, ask it.
pub(super) const MONTH_LIST: u16 = 1 << 1;
/// The day list overshoots.
pub(super) const DAY_LIST: u16 = 1 << 2;
/// Days count from the end of the month: ask the list.
pub(super) const DAY_FROM_END: u16 = 1 << 3;
/// The hour list overshoots.
pub(super) const HOUR_LIST: u16 = 1 << 4;
/// The minute list overshoots.
pub(super) const MINUTE_LIST: u16 = 1 << 5;
/// The seconds list overshoots.
pub(super) const SECOND_LIST: u16 = 1 << 6;
/// Some second has a fraction: ask the list.
pub(super) const SECOND_FRACTIONS: u16 = 1 << 7;
/// Months and days neither overshoot nor count from the end, and some
/// kind of year has no matching day: such years can be skipped.
pub(super) const SKIPS_YEARS: u16 = 1 << 8;

/// All 14 kinds of year.
const EVERY_KIND_OF_YEAR: u16 = (1 << 14) - 1;

/// [`Masks::year_kinds`] of the given months, days and weekdays.
fn year_kinds(months: u64, days: u64, weekdays: u8) -> u16 {
    // Seven days in a row that every month has hold every weekday.
    let week = 0x7f;
    if (1..=22).any(|first| days & (week << first) == week << first) {
        return EVERY_KIND_OF_YEAR;
    }
    // Without weekdays, a month and a day up to the 28th match every year.
    let up_to_28th = ((1u64 << 29) - 1) & !1;
    if weekdays == 0 && months != 0 && days & up_to_28th != 0 {
        return EVERY_KIND_OF_YEAR;
    }
    let every_january_first: u16 = 0x7f;
    let mut kinds = 0;
    // Without weekdays the first of January does not matter.
    let january_firsts = if weekdays == 0 { 1 } else { 7 };
    for leap in 0..2 {
        for january_first in 0..january_firsts {
            let mut month_first = january_first;
            let mut found = false;
            for month in 1..=12u32 {
                let length = match month {
                    2 => 28 + leap,
                    4 | 6 | 9 | 11 => 30,
                    _ => 31,
                };
                if months & (1 << month) != 0 {
                    let mut allowed = days & ((2u64 << length) - 2);
                    if weekdays != 0 {
                        // The weekdays of days 1, 2, … as bits 1, 2, ….
                        let w = u64::from(weekdays);
                        let rotated = ((w >> month_first) | (w << (7 - month_first))) & week;
                        let tiled =
                            rotated | rotated << 7 | rotated << 14 | rotated << 21 | rotated << 28;
                        allowed &= tiled << 1;
                    }
                    if allowed != 0 {
                        found = true;
                        break;
                    }
                }
                month_first = (month_first + length) % 7;
            }
            if found {
                kinds |= 1 << (7 * leap + january_first);
            }
        }
        if weekdays == 0 && kinds & (1 << (7 * leap)) != 0 {
            kinds |= every_january_first << (7 * leap);
        }
    }
    kinds
}

/// The allowed values of `chain` in `min..=max` (units of `unit`), and
/// whether it has values past `max`; `None` when some entry is not in whole
/// units.
fn allowed(chain: &[Component], min: i32, max: i32, unit: i32) -> Option<(u64, bool)> {
    if chain.is_empty() {
        // Any value: every bit of the range.
        return Some(((u64::MAX >> (63 - max)) & (u64::MAX << min), false));
    }
    let bits = mask(chain, max, unit)?;
    let overflows = super::walk::next_match(chain, (max + 1) * unit).is_some();
    Some((bits, overflows))
}

/// The smallest value in `bits` not below `current`, which lies in the
/// field's range (so below 64).
#[inline(always)]
pub(super) fn next_bit(bits: u64, current: i32) -> Option<i32> {
    debug_assert!((0..64).contains(&current));
    let rest = bits >> (current & 63);
    (rest != 0).then(|| current + rest.trailing_zeros() as i32)
}

impl Masks {
    pub(super) fn of(spec: &CalendarSpec) -> Masks {
        let mut flags = 0;
        let mut field =
            |chain: &[Component], min, max, unit, list_flag, fractions_flag| match allowed(
                chain, min, max, unit,
            ) {
                Some((bits, overflows)) => {
                    if overflows {
                        flags |= list_flag;
                    }
                    bits
                }
                None => {
                    flags |= fractions_flag;
                    0
                }
            };
        let month = field(spec.month(), 1, 12, 1, MONTH_LIST, 0);
        let from_end = spec.end_of_month && !spec.day().is_empty();
        let day = if from_end {
            0
        } else {
            field(spec.day(), 1, 31, 1, DAY_LIST, 0)
        };
        let hour = field(spec.hour(), 0, 23, 1, HOUR_LIST, 0);
        let minute = field(spec.minute(), 0, 59, 1, MINUTE_LIST, 0);
        // An empty seconds list (any microsecond) is asked directly.
        let second = if spec.second().is_empty() {
            flags |= SECOND_FRACTIONS;
            0
        } else {
            field(
                spec.second(),
                0,
                59,
                USEC_PER_SEC,
                SECOND_LIST,
                SECOND_FRACTIONS,
            )
        };
        if from_end {
            flags |= DAY_FROM_END;
        }
        if !spec.year().is_empty() {
            flags |= YEAR_LIST;
        }
        // Per month: a pass per day tried (each refused by its weekday) and
        // one that leaves the month; and the one that leaves the year.
        let year_passes = month.count_ones() * (day.count_ones() + 1) + 1;
        let year_kinds = if flags & (MONTH_LIST | DAY_LIST | DAY_FROM_END) == 0 {
            year_kinds(month, day, spec.weekdays)
        } else {
            EVERY_KIND_OF_YEAR
        };
        if year_kinds != EVERY_KIND_OF_YEAR {
            flags |= SKIPS_YEARS;
        }
        let mut weekday_steps = [7; 7];
        if spec.weekdays != 0 {
            for (weekday, steps) in weekday_steps.iter_mut().enumerate() {
                *steps = (1..=7u8)
                    .find(|&k| spec.weekdays & (1 << ((weekday + usize::from(k)) % 7)) != 0)
                    .unwrap_or(7);
            }
        }
        Masks {
            month,
            day,
            hour,
            minute,
            second,
            weekdays: spec.weekdays,
            weekday_steps,
            flags,
            year_passes,
            year_kinds,
        }
    }
}

/// The values of `chain` up to `max` (in units of `unit`), as bits.
fn mask(chain: &[Component], max: i32, unit: i32) -> Option<u64> {
    if chain.is_empty() {
        return None;
    }
    let mut bits = 0u64;
    for c in chain {
        if c.start % unit != 0 || c.repeat % unit != 0 {
            return None;
        }
        let (start, repeat) = (c.start / unit, c.repeat / unit);
        let last = if c.has_stop() {
            (c.stop / unit).min(max)
        } else if repeat > 0 {
            max
        } else {
            start
        };
        let mut v = start;
        while v <= last && v <= max {
            bits |= 1 << v;
            if repeat == 0 {
                break;
            }
            v += repeat;
        }
    }
    Some(bits)
}

/// The smallest value in `bits` not below `current`, if the set has one.
#[inline]
pub(super) fn next_in(bits: u64, current: i32) -> Option<i32> {
    if !(0..64).contains(&current) {
        return None;
    }
    let rest = bits >> current;
    (rest != 0).then(|| current + rest.trailing_zeros() as i32)
}
