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
    /// The same fields for the walk over normalized fields
    /// ([`super::fast`]), where `*` is every value of the field.
    pub(super) fast: FastMasks,
}

/// A field's allowed values for a walk whose fields are always in range.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(super) struct Allowed {
    /// Every allowed value within the field's range, as bits.
    pub(super) bits: u64,
    /// Whether the list also has values past the field's range (a
    /// repetition that overshoots), which then come from the list itself.
    pub(super) overflows: bool,
}

/// The fields of a spec as [`Allowed`] sets. `None` where the list has to
/// be asked directly: days counted from the end of the month, seconds with
/// fractions.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(super) struct FastMasks {
    /// The year list is empty: any year.
    pub(super) any_year: bool,
    pub(super) month: Allowed,
    pub(super) day: Option<Allowed>,
    pub(super) hour: Allowed,
    pub(super) minute: Allowed,
    pub(super) second: Option<Allowed>,
    /// Months and days without overshoot and not counted from the end:
    /// a year without a matching day can be skipped.
    pub(super) skips_years: bool,
    /// More passes than systemd's walk takes through such a year.
    pub(super) year_passes: u32,
}

impl Allowed {
    /// The allowed values of `chain` in `min..=max` (units of `unit`);
    /// `None` when some entry is not in whole units.
    fn of(chain: &[Component], min: i32, max: i32, unit: i32) -> Option<Allowed> {
        if chain.is_empty() {
            // Any value: every bit of the range.
            let bits = (u64::MAX >> (63 - max)) & (u64::MAX << min);
            return Some(Allowed {
                bits,
                overflows: false,
            });
        }
        let bits = mask(chain, max, unit)?;
        let overflows = super::walk::next_match(chain, (max + 1) * unit).is_some();
        Some(Allowed { bits, overflows })
    }

    /// The smallest allowed value in the field's range not below
    /// `current`, which lies in the range. If there is none, only the
    /// list's overshooting repetitions are left, if it `overflows`.
    #[inline(always)]
    pub(super) fn next(&self, current: i32) -> Option<i32> {
        debug_assert!((0..64).contains(&current));
        let rest = self.bits >> (current & 63);
        (rest != 0).then(|| current + rest.trailing_zeros() as i32)
    }
}

impl Masks {
    pub(super) fn of(spec: &CalendarSpec) -> Masks {
        let month = Allowed::of(&spec.month, 1, 12, 1).unwrap_or_default();
        let day = if spec.end_of_month {
            None
        } else {
            Allowed::of(&spec.day, 1, 31, 1)
        };
        // Per month: a pass per day tried (each refused by its weekday) and
        // one that leaves the month; and the one that leaves the year.
        let year_passes =
            month.bits.count_ones() * (day.map_or(31, |d| d.bits.count_ones()) + 1) + 1;
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
            fast: FastMasks {
                any_year: spec.year.is_empty(),
                month,
                day,
                skips_years: !month.overflows && day.is_some_and(|d| !d.overflows),
                year_passes,
                hour: Allowed::of(&spec.hour, 0, 23, 1).unwrap_or_default(),
                minute: Allowed::of(&spec.minute, 0, 59, 1).unwrap_or_default(),
                second: Allowed::of(&spec.second, 0, 59, USEC_PER_SEC),
            },
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
