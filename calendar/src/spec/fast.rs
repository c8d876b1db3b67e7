//! systemd's search where every `mktime` call is plain arithmetic: in UTC,
//! and in a zone wherever the search stays away from the wall times that a
//! change of offset skips or repeats.
//!
//! Away from those stretches `mktime` of a wall time has exactly one answer,
//! the wall time minus the offset in force, whatever offset glibc remembers
//! from its previous call; and the fields it normalizes to are those `timegm`
//! gives. The walk over wall-clock fields then takes the same steps as the
//! exact one in [`super::walk`], without a single zone lookup. It checks
//! every wall time the exact search would hand to `mktime` (the candidates,
//! the normalized overshoots, the end-of-month probes) against the zone's
//! safe windows ([`TransitionTable`]); the answer stands only if each of them
//! lies in one. Otherwise the caller runs the exact search.

use crate::timestamp::Timestamp;
use crate::zone::{civil_key, TransitionTable, Zone};

use super::days::{date, days, month_length};
use super::masks::{
    next_bit, DAY_FROM_END, DAY_LIST, EVERY_DAY, HOUR_LIST, MINUTE_LIST, MONTH_LIST,
    SECOND_FRACTIONS, SECOND_LIST, SKIPS_YEARS, YEAR_LIST,
};
use super::normalize::MAX_YEAR;
use super::walk::{first_at_or_after, next_match, MAX_BASE_USEC, MAX_ITERATIONS};
use super::{CalendarSpec, USEC_PER_SEC};
use crate::wall::Tm;

/// 0001-01-01 00:00:00: before it, the day numbers of [`super::days`] are
/// not checked (and systemd's years start in 1970 anyway).
const FIRST_WALL: i64 = -62_135_596_800;

/// The answer of the arithmetic search, if it can be trusted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Fast {
    /// The exact search gives this too.
    Answer(Option<Timestamp>),
    /// The exact search has to decide.
    Unsure,
}

/// The next elapse after `after` in UTC (`zone` `None`) or in `zone`, with
/// the spec's flag left to `mktime` (`tm_isdst` -1).
#[inline(always)]
pub(super) fn next_elapse(spec: &CalendarSpec, after: Timestamp, zone: Option<&Zone>) -> Fast {
    if after.as_usec() > MAX_BASE_USEC {
        return Fast::Answer(None);
    }
    let start = after.as_usec() + 1;
    let secs = start.div_euclid(1_000_000);
    let usec = start.rem_euclid(1_000_000) as i32;
    let Some(zone) = zone else {
        return constant_offset(spec, secs, usec, 0);
    };
    let Some(table) = zone.transition_table() else {
        return Fast::Unsure;
    };
    if let Some(offset) = table.single_offset() {
        // One offset from 1900 to 2210 (UTC, fixed offsets): nothing to
        // stay away from.
        return if table.covers(secs) {
            constant_offset(spec, secs, usec, offset)
        } else {
            Fast::Unsure
        };
    }
    let Some(index) = table.index_at(secs) else {
        return Fast::Unsure;
    };
    let span = table.span(index);
    let windows = Windows {
        table,
        index,
        low: span.safe_from_key,
        high: span.safe_until_key,
        unsafe_visit: false,
    };
    let mut walker = Walker::new(spec, secs + i64::from(span.utc_offset), usec, windows);
    match walker.walk() {
        Walk::Found => {
            let key = walker.key();
            walker.visits.visit(key);
            let windows = &walker.visits;
            if windows.unsafe_visit {
                return Fast::Unsure;
            }
            let offset = table.span(windows.index).utc_offset;
            let t = instant(walker.wall(), offset, walker.usec);
            // Always so when every visit was safe; the exact search decides
            // if not.
            if t > after {
                Fast::Answer(Some(t))
            } else {
                Fast::Unsure
            }
        }
        Walk::Never if !walker.visits.unsafe_visit => Fast::Answer(None),
        Walk::Never | Walk::GaveUp => Fast::Unsure,
    }
}

/// The search where every wall time converts with `offset`.
fn constant_offset(spec: &CalendarSpec, secs: i64, usec: i32, offset: i32) -> Fast {
    let wall = secs + i64::from(offset);
    if wall < FIRST_WALL {
        return Fast::Unsure;
    }
    let mut walker = Walker::new(spec, wall, usec, NoVisits);
    match walker.walk() {
        Walk::Found => Fast::Answer(Some(instant(walker.wall(), offset, walker.usec))),
        Walk::Never => Fast::Answer(None),
        Walk::GaveUp => Fast::Unsure,
    }
}

/// The instant of wall-clock seconds `wall` at `offset`, plus `usec`.
#[inline]
fn instant(wall: i64, offset: i32, usec: i32) -> Timestamp {
    Timestamp::from_usec((wall - i64::from(offset)) * 1_000_000 + i64::from(usec))
}

/// [`civil_key`] of fields in range.
#[inline(always)]
fn key_of(c: &Tm) -> i64 {
    civil_key(c.year, c.month, c.day, c.hour, c.minute, c.second)
}

/// Where the search notes the wall times it would hand to `mktime`, as
/// [`civil_key`]s.
trait Visit {
    fn visit(&mut self, key: i64);

    /// An overshoot normalized to `from` and was reset to the earlier `to`:
    /// the next `mktime` takes `to` with the daylight-saving flag of `from`
    /// (systemd sets the spec's flag only after normalizing), so both must
    /// lie in one stretch of the same offset and flag. `from` was just
    /// visited.
    fn reset(&mut self, to: i64);

    /// Whether every wall time from `from` to `to` lies in the safe window
    /// of the last visit.
    fn covers(&self, from: i64, to: i64) -> bool;

    /// Whether every midnight of `year` is safe, and no change of offset
    /// falls into the first days of a month (where a reset may land on the
    /// other side of it).
    fn may_skip_year(&self, year: i32) -> bool;
}

/// A constant offset: every wall time converts the same way.
struct NoVisits;

impl Visit for NoVisits {
    #[inline(always)]
    fn visit(&mut self, _: i64) {}

    #[inline(always)]
    fn reset(&mut self, _: i64) {}

    #[inline(always)]
    fn covers(&self, _: i64, _: i64) -> bool {
        true
    }

    #[inline(always)]
    fn may_skip_year(&self, _: i32) -> bool {
        true
    }
}

/// The safe window ([`crate::zone::TransitionTable`]) of the last visit.
struct Windows<'t> {
    table: &'t TransitionTable,
    /// The stretch whose window `low..high` is.
    index: usize,
    low: i64,
    high: i64,
    /// Some visit lay outside every window.
    unsafe_visit: bool,
}

impl Visit for Windows<'_> {
    #[inline(always)]
    fn visit(&mut self, key: i64) {
        if key < self.low || key >= self.high {
            self.find(key);
        }
    }

    #[inline(always)]
    fn reset(&mut self, to: i64) {
        if to < self.low || to >= self.high {
            self.unsafe_visit = true;
        }
    }

    #[inline(always)]
    fn covers(&self, from: i64, to: i64) -> bool {
        self.low <= from && to < self.high
    }

    fn may_skip_year(&self, year: i32) -> bool {
        self.table.midnights_safe(year)
    }
}

impl Windows<'_> {
    /// Moves to the window of `key`, or notes that none holds it.
    #[cold]
    fn find(&mut self, key: i64) {
        // Most moves are to a neighbouring stretch.
        let near = if key >= self.high {
            self.index + 1
        } else {
            self.index.wrapping_sub(1)
        };
        let holds = |index: usize| {
            self.table
                .get(index)
                .is_some_and(|span| span.safe_from_key <= key && key < span.safe_until_key)
        };
        let found = if holds(near) {
            Some(near)
        } else {
            self.table.safe_index_of_key(key)
        };
        match found {
            Some(index) => {
                let span = self.table.span(index);
                self.index = index;
                self.low = span.safe_from_key;
                self.high = span.safe_until_key;
            }
            None => self.unsafe_visit = true,
        }
    }
}

/// How the walk ended.
enum Walk {
    /// Every field matches: the walker's fields are the answer.
    Found,
    /// No elapse (a list that ends, or past 2199).
    Never,
    /// systemd's iteration limit.
    GaveUp,
}

/// The candidate of the search, always with its fields in range between
/// steps, and the first day of its month.
struct Walker<'s, V> {
    spec: &'s CalendarSpec,
    c: Tm,
    usec: i32,
    /// Day number of the first day of `c`'s month, and the month's length.
    month_start: i64,
    month_length: i32,
    visits: V,
    /// The passes systemd's walk made so far.
    passes: u32,
}

impl<'s, V: Visit> Walker<'s, V> {
    /// A walker at wall-clock seconds `wall` and `usec` microseconds.
    fn new(spec: &'s CalendarSpec, wall: i64, usec: i32, visits: V) -> Walker<'s, V> {
        let day_number = wall.div_euclid(86_400);
        let (year, month, day) = date(day_number);
        let sod = wall.rem_euclid(86_400) as i32;
        Walker {
            spec,
            c: Tm {
                year,
                month,
                day,
                hour: sod / 3600,
                minute: sod / 60 % 60,
                second: sod % 60,
                isdst: 0,
            },
            usec,
            month_start: day_number - i64::from(day - 1),
            month_length: month_length(year, month),
            visits,
            passes: 0,
        }
    }

    #[inline(always)]
    fn key(&self) -> i64 {
        key_of(&self.c)
    }

    #[inline(always)]
    fn visit(&mut self) {
        let key = self.key();
        self.visits.visit(key);
    }

    /// Day number of the candidate.
    #[inline(always)]
    fn day_number(&self) -> i64 {
        self.month_start + i64::from(self.c.day - 1)
    }

    /// Wall-clock seconds of the candidate.
    #[inline(always)]
    fn wall(&self) -> i64 {
        self.day_number() * 86_400
            + i64::from(self.c.hour * 3600 + self.c.minute * 60 + self.c.second)
    }

    /// Recomputes the month's start after its year or month changed.
    #[inline(always)]
    fn month_changed(&mut self) {
        self.month_start = days(self.c.year, self.c.month, 1);
        self.month_length = month_length(self.c.year, self.c.month);
    }

    // The steps systemd takes where a field has no match left, with the
    // carries `timegm` makes; each starts the next value at its beginning.

    #[inline(always)]
    fn next_year(&mut self) {
        self.c = Tm {
            year: self.c.year + 1,
            month: 1,
            day: 1,
            ..midnight(self.c)
        };
        self.usec = 0;
        self.month_changed();
        self.skip_empty_year();
    }

    /// Where the candidate's day (of weekday `weekday`) has the wrong
    /// weekday and every day of the month is allowed: systemd's walk goes
    /// on day by day, a pass each, to the next allowed weekday. The
    /// candidate moves to that day's midnight at once (the passes counted)
    /// if it lies in this month and the midnights on the way are safe;
    /// else a day on.
    #[inline(always)]
    fn next_weekday(&mut self, weekday: usize) {
        let masks = &self.spec.masks;
        let steps = i32::from(masks.weekday_steps[weekday]);
        let day = self.c.day + steps;
        if steps > 1 && masks.day == EVERY_DAY && day <= self.month_length {
            let first = key_of(&Tm {
                day: self.c.day + 1,
                ..midnight(self.c)
            });
            let landing = Tm {
                day,
                ..midnight(self.c)
            };
            if self.visits.covers(first, key_of(&landing)) {
                self.passes += (steps - 1) as u32;
                self.c = landing;
                self.usec = 0;
                return;
            }
        }
        self.next_day();
    }

    /// At the first instant of a year without a single matching day,
    /// systemd's walk goes through its months and days (midnights only) to
    /// the next year's first instant, in at most `year_passes` passes: the
    /// candidate moves there at once, and the passes are counted. Whether
    /// it did.
    #[inline(always)]
    fn skip_empty_year(&mut self) -> bool {
        let masks = &self.spec.masks;
        if masks.flags & SKIPS_YEARS == 0 {
            return false;
        }
        let start = self.passes;
        let mut january_first = if masks.weekdays == 0 {
            0
        } else {
            (days(self.c.year, 1, 1) + 3).rem_euclid(7) as u32
        };
        loop {
            let leap = u32::from(month_length(self.c.year, 2) == 29);
            if self.c.year > MAX_YEAR
                || masks.year_kinds & (1 << (7 * leap + january_first)) != 0
                || !self.visits.may_skip_year(self.c.year)
            {
                break;
            }
            self.passes += masks.year_passes;
            self.c.year += 1;
            // 365 days are 52 weeks and a day.
            january_first = (january_first + 1 + leap) % 7;
        }
        if self.passes == start {
            return false;
        }
        self.month_changed();
        true
    }

    #[inline(always)]
    fn next_month(&mut self) {
        if self.c.month == 12 {
            self.next_year();
        } else {
            self.c = Tm {
                month: self.c.month + 1,
                day: 1,
                ..midnight(self.c)
            };
            self.usec = 0;
            self.month_changed();
        }
    }

    #[inline(always)]
    fn next_day(&mut self) {
        if self.c.day == self.month_length {
            self.next_month();
        } else {
            self.c = Tm {
                day: self.c.day + 1,
                ..midnight(self.c)
            };
            self.usec = 0;
        }
    }

    #[inline(always)]
    fn next_hour(&mut self) {
        if self.c.hour == 23 {
            self.next_day();
        } else {
            self.c = Tm {
                hour: self.c.hour + 1,
                minute: 0,
                second: 0,
                ..self.c
            };
            self.usec = 0;
        }
    }

    #[inline(always)]
    fn next_minute(&mut self) {
        if self.c.minute == 59 {
            self.next_hour();
        } else {
            self.c.minute += 1;
            self.c.second = 0;
            self.usec = 0;
        }
    }

    /// systemd's `tm_within_bounds` for a candidate `c` with a field past
    /// its range: the normalized time is visited, and the candidate becomes
    /// it with the field below the first changed one reset.
    #[inline(always)]
    fn overshoot(&mut self, c: Tm) {
        let (normalized, reset) = overshoot(c);
        let (normalized_key, reset_key) = (key_of(&normalized), key_of(&reset));
        self.visits.visit(normalized_key);
        if reset_key != normalized_key {
            self.visits.reset(reset_key);
        }
        self.c = reset;
        self.month_changed();
    }

    /// systemd's search (see [`super::walk`]) with `timegm` for `mktime`.
    #[inline(always)]
    fn walk(&mut self) -> Walk {
        let spec = self.spec;
        let masks = &spec.masks;
        while self.passes < MAX_ITERATIONS {
            self.passes += 1;
            self.visit();

            // Year: nothing to carry into.
            let flags = masks.flags;
            let year = if flags & YEAR_LIST == 0 {
                self.c.year
            } else {
                match from_list(spec, Field::Year, self.c.year) {
                    Some(year) => year,
                    None => return Walk::Never,
                }
            };
            if year != self.c.year {
                self.c = Tm {
                    year,
                    month: 1,
                    day: 1,
                    ..midnight(self.c)
                };
                self.usec = 0;
                self.month_changed();
                if self.skip_empty_year() {
                    continue;
                }
                self.visit();
            }
            if self.c.year > MAX_YEAR {
                return Walk::Never;
            }

            // Month.
            match next_value(spec, masks.month, Field::Month, self.c.month) {
                None => {
                    self.next_year();
                    continue;
                }
                Some(month) if month != self.c.month => {
                    let c = Tm {
                        month,
                        day: 1,
                        ..midnight(self.c)
                    };
                    self.usec = 0;
                    if month > 12 {
                        self.overshoot(c);
                        continue;
                    }
                    self.c = c;
                    self.month_changed();
                    self.visit();
                }
                Some(_) => {}
            }

            // Day of the month; `~` counts from the end of this month.
            let found = if flags & DAY_FROM_END == 0 {
                next_value(spec, masks.day, Field::Day, self.c.day)
            } else {
                next_day_from_end(spec, self.c, self.month_length, &mut self.visits)
            };
            match found {
                None => {
                    self.next_month();
                    continue;
                }
                Some(day) if day != self.c.day => {
                    let c = Tm {
                        day,
                        ..midnight(self.c)
                    };
                    self.usec = 0;
                    if day > self.month_length {
                        self.overshoot(c);
                        continue;
                    }
                    self.c = c;
                    self.visit();
                }
                Some(_) => {}
            }

            // systemd: a weekday AND a day of the month must both match.
            if masks.weekdays != 0 {
                // 1970-01-01 was a Thursday (Monday = 0).
                let weekday = (self.day_number() + 3).rem_euclid(7);
                if masks.weekdays & (1 << weekday) == 0 {
                    self.next_weekday(weekday as usize);
                    continue;
                }
            }

            // Hour.
            match next_value(spec, masks.hour, Field::Hour, self.c.hour) {
                None => {
                    self.next_day();
                    continue;
                }
                Some(hour) if hour != self.c.hour => {
                    let c = Tm {
                        hour,
                        minute: 0,
                        second: 0,
                        ..self.c
                    };
                    self.usec = 0;
                    if hour > 23 {
                        self.overshoot(c);
                        continue;
                    }
                    self.c = c;
                    self.visit();
                }
                Some(_) => {}
            }

            // Minute.
            match next_value(spec, masks.minute, Field::Minute, self.c.minute) {
                None => {
                    self.next_hour();
                    continue;
                }
                Some(minute) if minute != self.c.minute => {
                    let c = Tm {
                        minute,
                        second: 0,
                        ..self.c
                    };
                    self.usec = 0;
                    if minute > 59 {
                        self.overshoot(c);
                        continue;
                    }
                    self.c = c;
                    self.visit();
                }
                Some(_) => {}
            }

            // Second and microsecond, matched together.
            let whole = if flags & SECOND_FRACTIONS == 0 {
                // Whole seconds: the first one at or after the current time.
                let from = self.c.second + i32::from(self.usec > 0);
                let rest = if from < 60 { masks.second >> from } else { 0 };
                if rest != 0 {
                    Some(Some(from + rest.trailing_zeros() as i32))
                } else if flags & SECOND_LIST != 0 || from >= 60 {
                    None
                } else {
                    Some(None)
                }
            } else {
                None
            };
            let (second, usec) = match whole {
                Some(Some(second)) => (second, 0),
                Some(None) => {
                    self.next_minute();
                    continue;
                }
                // The list itself, in microseconds.
                None => match from_list(
                    spec,
                    Field::Second,
                    self.c.second * USEC_PER_SEC + self.usec,
                ) {
                    Some(found) => (found / USEC_PER_SEC, found % USEC_PER_SEC),
                    None => {
                        self.next_minute();
                        continue;
                    }
                },
            };
            self.usec = usec;
            if second != self.c.second {
                let c = Tm { second, ..self.c };
                if second > 59 {
                    self.overshoot(c);
                    continue;
                }
                self.c = c;
                self.visit();
            }
            return Walk::Found;
        }
        Walk::GaveUp
    }
}

/// systemd's `tm_within_bounds` on fields `c` with one past its range: the
/// normalized fields, and those with the field below the first changed one
/// reset.
#[cold]
fn overshoot(c: Tm) -> (Tm, Tm) {
    let normalized = timegm(&c);
    let mut n = normalized;
    if n.year != c.year {
        n.month = 1;
    } else if n.month != c.month {
        n.day = 1;
    } else if n.day != c.day {
        n.hour = 0;
    } else if n.hour != c.hour {
        n.minute = 0;
    } else if n.minute != c.minute {
        n.second = 0;
    }
    (normalized, n)
}

/// The normalized fields of `c`, as `timegm` carries them.
fn timegm(c: &Tm) -> Tm {
    let wall = c.wall_secs_with(c.second);
    let (year, month, day) = date(wall.div_euclid(86_400));
    let sod = wall.rem_euclid(86_400) as i32;
    Tm {
        year,
        month,
        day,
        hour: sod / 3600,
        minute: sod / 60 % 60,
        second: sod % 60,
        isdst: 0,
    }
}

/// systemd's `find_end_of_month` under `timegm`: the day `from_end` days
/// before the end of `c`'s month (`length` days long), or -1 outside the
/// month. The probe (day `1 - from_end` of the next month at `c`'s time of
/// day) is visited.
fn end_of_month(c: Tm, length: i32, from_end: i32, visits: &mut impl Visit) -> i32 {
    if (1..=length).contains(&from_end) {
        let day = length + 1 - from_end;
        visits.visit(key_of(&Tm { day, ..c }));
        day
    } else {
        let probe = Tm {
            month: c.month + 1,
            day: 1 - from_end,
            ..c
        };
        visits.visit(key_of(&timegm(&probe)));
        -1
    }
}

/// systemd's `find_matching_component` for `~` days, as in the exact walk.
#[inline(never)]
fn next_day_from_end(
    spec: &CalendarSpec,
    c: Tm,
    length: i32,
    visits: &mut impl Visit,
) -> Option<i32> {
    let mut best: Option<i32> = None;
    for entry in spec.day() {
        let mut start = end_of_month(c, length, entry.start, visits);
        let mut stop = end_of_month(c, length, entry.stop, visits);
        if stop > 0 {
            std::mem::swap(&mut start, &mut stop);
        }
        if let Some(v) = first_at_or_after(start, stop, entry.repeat, c.day) {
            best = Some(best.map_or(v, |b| b.min(v)));
        }
    }
    best
}

/// Whether some day of `year` matches the months, days and weekdays of a
/// spec whose lists do not overshoot.
#[inline]
#[cfg(test)]
fn year_has_match(masks: &super::masks::Masks, year: i32) -> bool {
    let leap = month_length(year, 2) == 29;
    let january_first = if masks.weekdays == 0 {
        0
    } else {
        (days(year, 1, 1) + 3).rem_euclid(7) as u32
    };
    masks.year_kinds & (1 << (7 * u32::from(leap) + january_first)) != 0
}

/// The smallest allowed value of `field` not below `current` (in range):
/// from its bits, else from its list if that overshoots the range.
#[inline(always)]
fn next_value(spec: &CalendarSpec, bits: u64, field: Field, current: i32) -> Option<i32> {
    match next_bit(bits, current) {
        Some(value) => Some(value),
        None => past_range(spec, field, current),
    }
}

/// [`next_value`] where the bits have none left: the list's overshooting
/// repetitions, if it has any. Out of line, so that the hot loop tests no
/// flags.
#[inline(never)]
fn past_range(spec: &CalendarSpec, field: Field, current: i32) -> Option<i32> {
    let list = match field {
        Field::Month => MONTH_LIST,
        Field::Day => DAY_LIST,
        Field::Hour => HOUR_LIST,
        Field::Minute => MINUTE_LIST,
        Field::Year | Field::Second => 0,
    };
    if spec.masks.flags & list != 0 {
        from_list(spec, field, current)
    } else {
        None
    }
}

/// A field of a spec.
#[derive(Clone, Copy)]
enum Field {
    Year,
    Month,
    Day,
    Hour,
    Minute,
    Second,
}

/// The smallest value of `field`'s list not below `current`
/// ([`next_match`]). Out of line and picking the list itself: the hot loop
/// then loads none of the lists it rarely asks.
#[cold]
#[inline(never)]
fn from_list(spec: &CalendarSpec, field: Field, current: i32) -> Option<i32> {
    let list = match field {
        Field::Year => spec.year(),
        Field::Month => spec.month(),
        Field::Day => spec.day(),
        Field::Hour => spec.hour(),
        Field::Minute => spec.minute(),
        Field::Second => spec.second(),
    };
    next_match(list, current)
}

/// The fields at midnight of their day.
#[inline(always)]
fn midnight(c: Tm) -> Tm {
    Tm {
        hour: 0,
        minute: 0,
        second: 0,
        ..c
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::zone::BundledZones;

    /// `year_passes` bounds the passes systemd's walk makes through a year
    /// without a matching day, so that a skip never hides its iteration
    /// limit.
    #[test]
    fn skipped_years_take_no_more_passes_than_counted() {
        let utc = Zone::utc();
        let zones = BundledZones::new();
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        let mut next = |n: u64| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed % n
        };
        let mut checked = 0;
        for _ in 0..3000 {
            let pick = |next: &mut dyn FnMut(u64) -> u64, max: u64, count: u64| {
                let mut values: Vec<u64> = (0..count).map(|_| 1 + next(max)).collect();
                values.sort_unstable();
                values.dedup();
                values
                    .iter()
                    .map(u64::to_string)
                    .collect::<Vec<_>>()
                    .join(",")
            };
            let (month_count, day_count) = (1 + next(3), 1 + next(4));
            let months = pick(&mut next, 12, month_count);
            let day_list = pick(&mut next, 31, day_count);
            let names = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
            let weekdays = (0..next(3))
                .map(|_| names[next(7) as usize])
                .collect::<Vec<_>>()
                .join(",");
            let text = format!("{weekdays} *-{months}-{day_list} 00:00");
            let Ok(mut spec) = CalendarSpec::parse(text.trim(), &utc, &zones) else {
                continue;
            };
            let bound = spec.masks.year_passes;
            spec.masks.flags &= !SKIPS_YEARS;
            let year = 1990 + next(60) as i32;
            let masks = &spec.masks;
            let brute_force = (1..=12).any(|month| {
                (1..=month_length(year, month)).any(|day| {
                    let weekday = (days(year, month, day) + 3).rem_euclid(7);
                    masks.month & (1 << month) != 0
                        && masks.day & (1 << day) != 0
                        && (spec.weekdays == 0 || spec.weekdays & (1 << weekday) != 0)
                })
            });
            assert_eq!(year_has_match(masks, year), brute_force, "{text} in {year}");
            if brute_force {
                continue;
            }
            let wall = days(year, 1, 1) * 86_400;
            let mut through_year = Walker::new(&spec, wall, 0, NoVisits);
            let mut count = 0;
            while through_year.c.year == year {
                // One pass of the walk, stopped where the next one starts.
                let before = through_year.passes;
                through_year.passes = MAX_ITERATIONS - 1;
                let found = matches!(through_year.walk(), Walk::Found);
                assert!(!found, "{text} matched in {year}");
                through_year.passes = before + 1;
                count += 1;
            }
            assert!(
                count <= bound,
                "{text} in {year}: {count} passes, bound {bound}"
            );
            checked += 1;
        }
        assert!(checked > 300, "only {checked} years checked");
    }
}
