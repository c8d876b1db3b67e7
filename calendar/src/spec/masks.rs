//! Bit sets of the values each field's list allows, so that the search's
//! "smallest allowed value not below x" is one shift and one count of
//! trailing zeros instead of a walk over the list.
//!
//! A bit set only knows values inside the field; where none is left, the
//! list itself decides (a repetition may overshoot the field, which
//! systemd's search then carries into the next larger field).

use super::{CalendarSpec, Component, USEC_PER_SEC};

/// The allowed values of the fields below the year. `None`: the field
/// allows anything, or (seconds with fractions, days counted from the end
/// of the month) the list is asked directly.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(super) struct Masks {
    pub(super) month: Option<u64>,
    pub(super) day: Option<u64>,
    pub(super) hour: Option<u64>,
    pub(super) minute: Option<u64>,
    /// Whole seconds; only when every entry is in whole seconds.
    pub(super) second: Option<u64>,
}

impl Masks {
    pub(super) fn of(spec: &CalendarSpec) -> Masks {
        Masks {
            month: mask(&spec.month, 12, 1),
            day: if spec.end_of_month {
                None
            } else {
                mask(&spec.day, 31, 1)
            },
            hour: mask(&spec.hour, 23, 1),
            minute: mask(&spec.minute, 59, 1),
            second: mask(&spec.second, 59, USEC_PER_SEC),
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
