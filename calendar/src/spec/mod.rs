//! Calendar event specifications (`OnCalendar=`), with systemd 252's grammar,
//! normalized form and next-elapse search.
//!
//! A spec is parsed once ([`CalendarSpec::parse`]), printed in systemd's
//! normalized form through [`Display`](std::fmt::Display), and asked for its
//! elapses with [`CalendarSpec::next_after`] and [`CalendarSpec::iter_after`].
//!
//! ```
//! use sundial_calendar::zone::BundledZones;
//! use sundial_calendar::{CalendarSpec, Timestamp, Zone};
//!
//! let utc = Zone::utc();
//! let spec = CalendarSpec::parse("Mon..Fri 9:00", &utc, &BundledZones::new()).unwrap();
//! assert_eq!(spec.to_string(), "Mon..Fri *-*-* 09:00:00");
//! // 2024-02-29 is a Thursday.
//! let base = Timestamp::from_secs(1_709_164_800); // 2024-02-29 00:00:00 UTC
//! let next = spec.next_after(base, &utc).unwrap();
//! assert_eq!(next, Timestamp::from_secs(1_709_164_800 + 9 * 3600));
//! ```

use std::sync::OnceLock;

use crate::error::ParseError;
use crate::timestamp::Timestamp;
use crate::zone::{Zone, ZoneSource};

mod days;
mod display;
mod fast;
mod masks;
mod normalize;
mod parse;
mod walk;

#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_fast;

/// Microseconds per second: the seconds field is kept in microseconds.
const USEC_PER_SEC: i32 = 1_000_000;

/// One entry of a field's list: `start`, `start..stop`, `start/repeat` or
/// `start..stop/repeat`. Seconds are in microseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
struct Component {
    start: i32,
    /// `-1` when the entry has no range.
    stop: i32,
    /// `0` when the entry does not repeat. A range without `/` repeats every unit.
    repeat: i32,
}

impl Component {
    const fn value(v: i32) -> Component {
        Component {
            start: v,
            stop: -1,
            repeat: 0,
        }
    }

    fn has_stop(&self) -> bool {
        self.stop >= 0
    }
}

/// The seconds field of `*`: every whole second (systemd stores it as `0/1`).
const EVERY_SECOND: Component = Component {
    start: 0,
    stop: -1,
    repeat: USEC_PER_SEC,
};

/// Where a spec's wall-clock times live.
#[derive(Debug, Clone)]
enum SpecZone {
    /// No suffix: the local zone passed to [`CalendarSpec::next_after`].
    Local,
    /// ` UTC` (any case).
    Utc,
    /// One of the local zone's own abbreviations (` CET`, ` CEST`): the local
    /// zone with the daylight-saving flag pinned, as systemd does.
    LocalAbbreviation { name: Box<str>, dst: bool },
    /// An IANA zone name, printed as written (boxed: most specs have no
    /// zone or ` UTC`, and a spec lives as long as its timer).
    Named { name: Box<str>, zone: Box<Zone> },
}

impl PartialEq for SpecZone {
    fn eq(&self, other: &SpecZone) -> bool {
        match (self, other) {
            (SpecZone::Local, SpecZone::Local) | (SpecZone::Utc, SpecZone::Utc) => true,
            (
                SpecZone::LocalAbbreviation { name: a, dst: x },
                SpecZone::LocalAbbreviation { name: b, dst: y },
            ) => a == b && x == y,
            (SpecZone::Named { name: a, .. }, SpecZone::Named { name: b, .. }) => a == b,
            _ => false,
        }
    }
}

/// A parsed calendar event, in normalized form.
///
/// Each field is a sorted list of entries without duplicates; an empty list
/// means `*` (any value). Weekdays are a bit set, Monday = bit 0, where `0`
/// means no weekday restriction.
///
/// Two specs are equal when they print the same normalized form, so
/// `parse(spec.to_string()) == spec` always holds. (systemd prints a seconds
/// list that contains `0/1` as `*`, dropping any sub-second entries beside it;
/// such specs compare equal to `*` although they fire more often.)
#[derive(Debug, Clone)]
pub struct CalendarSpec {
    weekdays: u8,
    /// Whether the day list counts back from the end of the month (`~`).
    end_of_month: bool,
    /// Where each field's list ends in `lists`: year, month, day, hour,
    /// minute, second (see [`Field`]).
    ends: [u32; 6],
    /// The six lists one after another, in one allocation (none when every
    /// field is `*`): a spec lives as long as its timer, and six `Vec`s cost
    /// 144 bytes inline and an allocation each. Seconds are in microseconds.
    lists: Box<[Component]>,
    zone: SpecZone,
    /// The lists as bit sets, for the search.
    masks: masks::Masks,
}

/// The six lists of a spec, in the order of [`CalendarSpec::lists`].
#[derive(Debug, Clone, Copy)]
enum Field {
    Year,
    Month,
    Day,
    Hour,
    Minute,
    Second,
}

impl PartialEq for CalendarSpec {
    fn eq(&self, other: &CalendarSpec) -> bool {
        let seconds_equal = (display::seconds_print_as_star(self.second())
            && display::seconds_print_as_star(other.second()))
            || self.second() == other.second();
        self.weekdays == other.weekdays
            && self.year() == other.year()
            && self.month() == other.month()
            && self.day() == other.day()
            && self.end_of_month == other.end_of_month
            && self.hour() == other.hour()
            && self.minute() == other.minute()
            && seconds_equal
            && self.zone == other.zone
    }
}

impl Eq for CalendarSpec {}

impl CalendarSpec {
    /// Parses a calendar event as systemd 252 does: shorthands (`daily`,
    /// `weekly`, …), `@EPOCH`, or `[WEEKDAYS] [DATE] [TIME] [ZONE]`.
    ///
    /// `local` is the local zone, whose own abbreviations (`CET`, `CEST`) are
    /// accepted as a suffix; `zones` resolves IANA zone names. Errors carry the
    /// byte offset of the offending token.
    ///
    /// ```
    /// use sundial_calendar::zone::BundledZones;
    /// use sundial_calendar::{CalendarSpec, Zone};
    ///
    /// let utc = Zone::utc();
    /// let spec = CalendarSpec::parse("*-*-1..31/7 utc", &utc, &BundledZones::new()).unwrap();
    /// assert_eq!(spec.to_string(), "*-*-01..29/7 00:00:00 UTC");
    ///
    /// let err = CalendarSpec::parse("Mnday 12:00", &utc, &BundledZones::new()).unwrap_err();
    /// assert_eq!(err.offset, 0);
    /// assert_eq!(err.reason, "expected a weekday or a date, found 'Mnday'");
    /// ```
    pub fn parse(
        input: &str,
        local: &Zone,
        zones: &dyn ZoneSource,
    ) -> Result<CalendarSpec, ParseError> {
        parse::parse(input, local, zones)
    }

    /// The first elapse strictly after `after`, or `None` if the spec never
    /// elapses again (impossible dates, dates in the past, or past 2199).
    ///
    /// Wall-clock times are taken in the spec's own zone if it names one, else
    /// in `local`. Times that a daylight-saving jump skips are skipped; times
    /// that occur twice fire once, in the first occurrence unless `after` already
    /// lies in the second, as systemd does.
    ///
    /// ```
    /// use sundial_calendar::zone::BundledZones;
    /// use sundial_calendar::{CalendarSpec, Timestamp, Zone};
    ///
    /// let utc = Zone::utc();
    /// let daily = CalendarSpec::parse("daily", &utc, &BundledZones::new()).unwrap();
    /// let midnight = Timestamp::from_secs(86_400);
    /// assert_eq!(daily.next_after(midnight, &utc), Some(Timestamp::from_secs(2 * 86_400)));
    /// ```
    pub fn next_after(&self, after: Timestamp, local: &Zone) -> Option<Timestamp> {
        walk::next_elapse(self, after, local)
    }

    /// Successive elapses after `after`, each strictly after the previous one.
    ///
    /// ```
    /// use sundial_calendar::zone::BundledZones;
    /// use sundial_calendar::{CalendarSpec, Timestamp, Zone};
    ///
    /// let utc = Zone::utc();
    /// let spec = CalendarSpec::parse("*:0/20", &utc, &BundledZones::new()).unwrap();
    /// let minutes: Vec<i64> = spec
    ///     .iter_after(Timestamp::EPOCH, &utc)
    ///     .take(3)
    ///     .map(|t| t.as_secs() / 60)
    ///     .collect();
    /// assert_eq!(minutes, [20, 40, 60]);
    /// ```
    pub fn iter_after<'a>(
        &'a self,
        after: Timestamp,
        local: &'a Zone,
    ) -> impl Iterator<Item = Timestamp> + 'a {
        std::iter::successors(self.next_after(after, local), move |&t| {
            self.next_after(t, local)
        })
    }

    /// The zone the spec names: UTC for a ` UTC` suffix, the IANA zone for a
    /// zone name, `None` when it uses the local zone (also for the local
    /// zone's own abbreviations such as ` CET`).
    ///
    /// ```
    /// use sundial_calendar::zone::BundledZones;
    /// use sundial_calendar::{CalendarSpec, Zone};
    ///
    /// let utc = Zone::utc();
    /// let spec = CalendarSpec::parse("daily Asia/Tokyo", &utc, &BundledZones::new()).unwrap();
    /// assert_eq!(spec.zone().map(|z| z.name()), Some("Asia/Tokyo"));
    /// ```
    pub fn zone(&self) -> Option<&Zone> {
        match &self.zone {
            SpecZone::Utc => Some(utc_zone()),
            SpecZone::Named { zone, .. } => Some(&**zone),
            SpecZone::Local | SpecZone::LocalAbbreviation { .. } => None,
        }
    }
}

impl CalendarSpec {
    /// A spec of the given lists (year, month, day, hour, minute, second),
    /// kept in one allocation, with its bit sets computed from them.
    fn new(
        weekdays: u8,
        lists: [Vec<Component>; 6],
        end_of_month: bool,
        zone: SpecZone,
    ) -> CalendarSpec {
        let mut ends = [0u32; 6];
        let mut end = 0usize;
        for (slot, list) in ends.iter_mut().zip(&lists) {
            end += list.len();
            *slot = u32::try_from(end).expect("lists of a line's length");
        }
        let mut spec = CalendarSpec {
            weekdays,
            end_of_month,
            ends,
            lists: lists.concat().into_boxed_slice(),
            zone,
            masks: Default::default(),
        };
        spec.masks = masks::Masks::of(&spec);
        spec
    }

    /// One field's list: sorted, without duplicates, empty for `*`.
    fn list(&self, field: Field) -> &[Component] {
        let i = field as usize;
        let start = if i == 0 { 0 } else { self.ends[i - 1] as usize };
        &self.lists[start..self.ends[i] as usize]
    }

    fn year(&self) -> &[Component] {
        self.list(Field::Year)
    }

    fn month(&self) -> &[Component] {
        self.list(Field::Month)
    }

    fn day(&self) -> &[Component] {
        self.list(Field::Day)
    }

    fn hour(&self) -> &[Component] {
        self.list(Field::Hour)
    }

    fn minute(&self) -> &[Component] {
        self.list(Field::Minute)
    }

    fn second(&self) -> &[Component] {
        self.list(Field::Second)
    }
}

/// One shared UTC zone, so that `zone()` can lend it out.
fn utc_zone() -> &'static Zone {
    static UTC: OnceLock<Zone> = OnceLock::new();
    UTC.get_or_init(Zone::utc)
}
