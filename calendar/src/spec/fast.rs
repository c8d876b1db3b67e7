//! systemd's search where every `mktime` call is plain arithmetic: in UTC,
//! and in a zone wherever the search stays away from the wall times that a
//! change of offset skips or repeats.
//!
//! Away from those stretches `mktime` of a wall time has exactly one answer,
//! the wall time minus the offset in force, whatever offset glibc remembers
//! from its previous call; and the fields it normalizes to are those `timegm`
//! gives. The walk over wall-clock fields then takes the same steps as the
//! exact one in [`super::walk`], without a single zone lookup. This walk
//! notes every wall time the exact search would hand to `mktime` (the
//! candidates, the normalized overshoots, the end-of-month probes); the
//! answer stands only if each of them lies in a stretch of constant offset,
//! at least [`SLACK`] away from the nearest skipped or repeated wall time.
//! Otherwise the caller runs the exact search.

use crate::civil::{days_from_civil, days_in_month};
use crate::timestamp::Timestamp;
use crate::zone::{TransitionTable, Zone};

use super::normalize::MAX_YEAR;
use super::walk::{first_at_or_after, next_match, MAX_BASE_USEC, MAX_ITERATIONS};
use super::wall::Tm;
use super::{CalendarSpec, USEC_PER_SEC};

/// How far a wall time the search visits must stay from any wall time that a
/// change of offset skips or repeats. glibc's `mktime` is exact right up to
/// such a stretch; the margin covers seconds past 59, which glibc adds after
/// converting, and leaves room for error.
const SLACK: i64 = 3 * 3600;

/// How many visited wall times are kept for checking.
const MAX_VISITS: usize = 48;
/// How many resets of overshoots are kept for checking.
const MAX_RESETS: usize = 8;

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
pub(super) fn next_elapse(spec: &CalendarSpec, after: Timestamp, zone: Option<&Zone>) -> Fast {
    if after.as_usec() > MAX_BASE_USEC {
        return Fast::Answer(None);
    }
    let start = after.as_usec() + 1;
    let secs = start.div_euclid(1_000_000);
    let usec = start.rem_euclid(1_000_000) as i32;
    let Some(zone) = zone else {
        let c = Tm::from_wall_secs(secs, false);
        return match walk(spec, c, usec, &mut NoVisits) {
            Walk::Found(c, usec) => Fast::Answer(Some(instant(wall_secs(&c), 0, usec))),
            Walk::Never => Fast::Answer(None),
            Walk::GaveUp => Fast::Unsure,
        };
    };
    let Some(table) = zone.transition_table() else {
        return Fast::Unsure;
    };
    let Some(index) = table.index_at(secs) else {
        return Fast::Unsure;
    };
    let span = table.span(index);
    let start_wall = secs + i64::from(span.utc_offset);
    let c = Tm::from_wall_secs(start_wall, false);
    let start_key = key_of(&c);
    let mut visits = Visits::new();
    match walk(spec, c, usec, &mut visits) {
        Walk::Found(c, usec) => {
            let wall = wall_secs(&c);
            let key = key_of(&c);
            // The common case: everything visited lies between the start and
            // the answer, inside the start's stretch.
            let low = if visits.min < start_key {
                wall_of_key(visits.min)
            } else {
                start_wall
            };
            let high = if visits.max > key {
                wall_of_key(visits.max)
            } else {
                wall
            };
            let offset = if span.safe_from + SLACK <= low && high < span.safe_until - SLACK {
                span.utc_offset
            } else {
                match visits.check(table, index, wall) {
                    Some(offset) => offset,
                    None => return Fast::Unsure,
                }
            };
            let t = instant(wall, offset, usec);
            if t > after {
                Fast::Answer(Some(t))
            } else {
                Fast::Unsure
            }
        }
        Walk::Never => match visits.check(table, index, start_wall) {
            Some(_) => Fast::Answer(None),
            None => Fast::Unsure,
        },
        Walk::GaveUp => Fast::Unsure,
    }
}

/// The instant of wall-clock seconds `wall` at `offset`, plus `usec`.
#[inline]
fn instant(wall: i64, offset: i32, usec: i32) -> Timestamp {
    Timestamp::from_usec((wall - i64::from(offset)) * 1_000_000 + i64::from(usec))
}

/// Wall-clock seconds of fields in range.
#[inline]
fn wall_secs(c: &Tm) -> i64 {
    days_from_civil(c.year, c.month as u32, c.day as u32) * 86_400
        + i64::from(c.hour * 3600 + c.minute * 60 + c.second)
}

/// Fields in range packed into one number that orders as the times do.
#[inline(always)]
fn key_of(c: &Tm) -> i64 {
    (i64::from(c.year) << 26)
        | i64::from((c.month << 22) | (c.day << 17) | (c.hour << 12) | (c.minute << 6) | c.second)
}

fn wall_of_key(key: i64) -> i64 {
    let low = (key & ((1 << 26) - 1)) as i32;
    let c = Tm {
        year: (key >> 26) as i32,
        month: low >> 22,
        day: (low >> 17) & 31,
        hour: (low >> 12) & 31,
        minute: (low >> 6) & 63,
        second: low & 63,
        isdst: 0,
    };
    wall_secs(&c)
}

/// Where the search notes the wall times it would hand to `mktime`.
trait Visit {
    fn visit(&mut self, c: &Tm);

    /// An overshoot normalized to `from` and was reset to `to`: the next
    /// `mktime` takes `to` with the daylight-saving flag of `from` (systemd
    /// sets the spec's flag only after normalizing), so both must lie in
    /// one stretch of the same offset and flag.
    fn reset(&mut self, from: &Tm, to: &Tm);
}

/// UTC: every wall time converts the same way.
struct NoVisits;

impl Visit for NoVisits {
    #[inline(always)]
    fn visit(&mut self, _: &Tm) {}

    #[inline(always)]
    fn reset(&mut self, _: &Tm, _: &Tm) {}
}

/// The visited wall times as keys ([`key_of`]), with the smallest and the
/// largest.
struct Visits {
    keys: [i64; MAX_VISITS],
    len: usize,
    /// The resets ([`Visit::reset`]), as keys.
    resets: [(i64, i64); MAX_RESETS],
    resets_len: usize,
    /// More than [`MAX_VISITS`] visits or [`MAX_RESETS`] resets: only `min`
    /// and `max` are known.
    overflow: bool,
    min: i64,
    max: i64,
}

impl Visit for Visits {
    #[inline(always)]
    fn visit(&mut self, c: &Tm) {
        let key = key_of(c);
        self.min = self.min.min(key);
        self.max = self.max.max(key);
        if self.len < MAX_VISITS {
            self.keys[self.len] = key;
            self.len += 1;
        } else {
            self.overflow = true;
        }
    }

    fn reset(&mut self, from: &Tm, to: &Tm) {
        let (from, to) = (key_of(from), key_of(to));
        // Both are visited; where they are the same time there is nothing
        // more to check.
        if from != to {
            if self.resets_len < MAX_RESETS {
                self.resets[self.resets_len] = (from, to);
                self.resets_len += 1;
            } else {
                self.overflow = true;
            }
        }
    }
}

impl Visits {
    fn new() -> Visits {
        Visits {
            keys: [0; MAX_VISITS],
            len: 0,
            resets: [(0, 0); MAX_RESETS],
            resets_len: 0,
            overflow: false,
            min: i64::MAX,
            max: i64::MIN,
        }
    }

    /// Whether every visited wall time lies safely inside one stretch of
    /// constant offset, and if so the offset of wall time `answer`.
    fn check(&self, table: &TransitionTable, start: usize, answer: i64) -> Option<i32> {
        if self.overflow {
            return None;
        }
        let mut index = start;
        for &key in &self.keys[..self.len] {
            index = safe_index(table, index, wall_of_key(key))?;
        }
        for &(from, to) in &self.resets[..self.resets_len] {
            let from = safe_index(table, start, wall_of_key(from))?;
            if safe_index(table, from, wall_of_key(to))? != from {
                return None;
            }
        }
        let index = safe_index(table, index, answer)?;
        Some(table.span(index).utc_offset)
    }
}

/// The stretch of constant offset whose safe wall times hold `wall`,
/// looking from stretch `index` on; `None` if `wall` lies too close to a
/// skipped or repeated wall time. The safe windows of the stretches are in
/// order and do not overlap.
fn safe_index(table: &TransitionTable, mut index: usize, wall: i64) -> Option<usize> {
    loop {
        let span = table.span(index);
        if wall >= span.safe_until - SLACK {
            if index + 1 == table.len() {
                return None;
            }
            index += 1;
        } else if wall < span.safe_from + SLACK {
            if index == 0 || wall >= table.span(index - 1).safe_until - SLACK {
                return None;
            }
            index -= 1;
        } else {
            return Some(index);
        }
    }
}

/// How the walk ended.
enum Walk {
    /// Every field matches: the fields and the microseconds.
    Found(Tm, i32),
    /// No elapse (a list that ends, or past 2199).
    Never,
    /// systemd's iteration limit.
    GaveUp,
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

/// `timegm`'s normalization of fields that may overflow.
#[inline]
fn normalized(c: Tm) -> Tm {
    if c.in_range() {
        c
    } else {
        Tm::from_wall_secs(c.wall_secs_with(c.second), false)
    }
}

/// systemd's `tm_within_bounds` for fields that overflowed: the normalized
/// time, with the field below the first changed one reset.
#[cold]
fn moved(c: Tm, visits: &mut impl Visit) -> Tm {
    let mut n = Tm::from_wall_secs(c.wall_secs_with(c.second), false);
    visits.visit(&n);
    let c_normalized = n;
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
    visits.reset(&c_normalized, &n);
    n
}

/// systemd's search (see [`super::walk`]) with `timegm` for `mktime`, from
/// fields `c` in range and `usec` microseconds.
fn walk(spec: &CalendarSpec, mut c: Tm, mut usec: i32, visits: &mut impl Visit) -> Walk {
    let masks = &spec.masks.fast;
    for _ in 0..MAX_ITERATIONS {
        c = normalized(c);
        visits.visit(&c);

        // Year: nothing to carry into.
        let Some(year) = next_match(&spec.year, c.year) else {
            return Walk::Never;
        };
        if year != c.year {
            c = Tm {
                year,
                month: 1,
                day: 1,
                ..midnight(c)
            };
            usec = 0;
            visits.visit(&c);
        }
        if c.year > MAX_YEAR {
            return Walk::Never;
        }

        // Month.
        match masks.month.next(&spec.month, c.month) {
            None => {
                c = Tm {
                    year: c.year + 1,
                    month: 1,
                    day: 1,
                    ..midnight(c)
                };
                usec = 0;
                continue;
            }
            Some(month) if month != c.month => {
                c = Tm {
                    month,
                    day: 1,
                    ..midnight(c)
                };
                usec = 0;
                if month > 12 {
                    c = moved(c, visits);
                    continue;
                }
                visits.visit(&c);
            }
            Some(_) => {}
        }

        // Day of the month; `~` counts from the end of this month.
        let found = match masks.day {
            Some(days) => days.next(&spec.day, c.day),
            None if spec.day.is_empty() => Some(c.day),
            None => next_day_from_end(spec, &c, visits),
        };
        match found {
            None => {
                c = Tm {
                    month: c.month + 1,
                    day: 1,
                    ..midnight(c)
                };
                usec = 0;
                continue;
            }
            Some(day) if day != c.day => {
                c = Tm { day, ..midnight(c) };
                usec = 0;
                if day > days_in_month(c.year, c.month as u32) as i32 {
                    c = moved(c, visits);
                    continue;
                }
                visits.visit(&c);
            }
            Some(_) => {}
        }

        // systemd: a weekday AND a day of the month must both match.
        if spec.weekdays != 0 {
            let days = days_from_civil(c.year, c.month as u32, c.day as u32);
            let weekday = (days + 3).rem_euclid(7);
            if spec.weekdays & (1 << weekday) == 0 {
                c = Tm {
                    day: c.day + 1,
                    ..midnight(c)
                };
                usec = 0;
                continue;
            }
        }

        // Hour.
        match masks.hour.next(&spec.hour, c.hour) {
            None => {
                c = Tm {
                    day: c.day + 1,
                    ..midnight(c)
                };
                usec = 0;
                continue;
            }
            Some(hour) if hour != c.hour => {
                c = Tm {
                    hour,
                    minute: 0,
                    second: 0,
                    ..c
                };
                usec = 0;
                if hour > 23 {
                    c = moved(c, visits);
                    continue;
                }
                visits.visit(&c);
            }
            Some(_) => {}
        }

        // Minute.
        match masks.minute.next(&spec.minute, c.minute) {
            None => {
                c = Tm {
                    hour: c.hour + 1,
                    minute: 0,
                    second: 0,
                    ..c
                };
                usec = 0;
                continue;
            }
            Some(minute) if minute != c.minute => {
                c = Tm {
                    minute,
                    second: 0,
                    ..c
                };
                usec = 0;
                if minute > 59 {
                    c = moved(c, visits);
                    continue;
                }
                visits.visit(&c);
            }
            Some(_) => {}
        }

        // Second and microsecond, matched together.
        let now = c.second * USEC_PER_SEC + usec;
        let found = match masks.second {
            // Whole seconds: the first one at or after `now`.
            Some(seconds) => {
                let from = c.second + i32::from(usec > 0);
                let rest = if from < 60 { seconds.bits >> from } else { 0 };
                if rest != 0 {
                    Some((from + rest.trailing_zeros() as i32) * USEC_PER_SEC)
                } else if seconds.overflows || from >= 60 {
                    next_match(&spec.second, now)
                } else {
                    None
                }
            }
            None => next_match(&spec.second, now),
        };
        let Some(found) = found else {
            c = Tm {
                minute: c.minute + 1,
                second: 0,
                ..c
            };
            usec = 0;
            continue;
        };
        let second = found / USEC_PER_SEC;
        usec = found % USEC_PER_SEC;
        if second != c.second {
            c.second = second;
            if second > 59 {
                c = moved(c, visits);
                continue;
            }
            visits.visit(&c);
        }
        return Walk::Found(c, usec);
    }
    Walk::GaveUp
}

/// systemd's `find_end_of_month` under `timegm`: the day `from_end` days
/// before the end of `c`'s month, or -1 outside the month. The probe (day
/// `1 - from_end` of the next month at `c`'s time of day) is visited.
fn end_of_month(c: &Tm, from_end: i32, visits: &mut impl Visit) -> i32 {
    let days = days_in_month(c.year, c.month as u32) as i32;
    if (1..=days).contains(&from_end) {
        let day = days + 1 - from_end;
        visits.visit(&Tm { day, ..*c });
        day
    } else {
        let probe = Tm {
            month: c.month + 1,
            day: 1 - from_end,
            ..*c
        };
        visits.visit(&normalized(probe));
        -1
    }
}

/// systemd's `find_matching_component` for `~` days, as in the exact walk.
fn next_day_from_end(spec: &CalendarSpec, c: &Tm, visits: &mut impl Visit) -> Option<i32> {
    let mut best: Option<i32> = None;
    for entry in &spec.day {
        let mut start = end_of_month(c, entry.start, visits);
        let mut stop = end_of_month(c, entry.stop, visits);
        if stop > 0 {
            std::mem::swap(&mut start, &mut stop);
        }
        if let Some(v) = first_at_or_after(start, stop, entry.repeat, c.day) {
            best = Some(best.map_or(v, |b| b.min(v)));
        }
    }
    best
}
