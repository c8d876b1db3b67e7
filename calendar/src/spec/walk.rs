//! The next-elapse search, step for step as systemd 252 walks wall-clock
//! fields: year, month, day, weekday, hour, minute, second. Each step takes
//! the smallest allowed value not below the current one; a change resets the
//! smaller fields, no value carries into the next larger field. After each
//! step the candidate is normalized as `mktime` would, and if that moved it
//! the search starts over from the moved time.
//!
//! The walk reproduces systemd's quirks on purpose, because timers must fire
//! when systemd's would. Two show up outside DST changes: a repetition that
//! overshoots its field by more than one unit (`0/10:00` asks for hour 30
//! after 20:00) lands inside the next day and, at a month or year boundary,
//! skips that day's first match (systemd gives 2024-04-01 10:00 after
//! 2024-03-31 21:00, not 00:00); and the seconds of `*:*:0/59` overshoot the
//! same way.

use crate::civil::{days_from_civil, days_in_month, weekday_from_days};
use crate::timestamp::Timestamp;
use crate::zone::Zone;

use super::normalize::MAX_YEAR;
use super::wall::{ClockZone, Tm, WallClock};
use super::{CalendarSpec, Component, SpecZone, USEC_PER_SEC};

/// systemd's safety valve against a search that never settles.
const MAX_ITERATIONS: u32 = 1000;

/// The last base systemd accepts: 9999-12-30 23:59:59 UTC, the largest
/// timestamp it can format.
const MAX_BASE_USEC: i64 = 253_402_214_399_000_000;

/// The result of checking a candidate against its normalized form.
enum Bounds {
    /// Normalization left it as it was.
    Same,
    /// Normalization moved it forward; the search starts over from there.
    Moved,
    /// Past 2199, or normalization would move it backward.
    Fail,
}

pub(super) fn next_elapse(
    spec: &CalendarSpec,
    after: Timestamp,
    local: &Zone,
) -> Option<Timestamp> {
    let (zone, dst) = match &spec.zone {
        SpecZone::Utc => (ClockZone::Utc, None),
        SpecZone::Named { zone, .. } => (ClockZone::Zone(zone), None),
        SpecZone::Local if is_plain_utc(local, after) => (ClockZone::Utc, None),
        SpecZone::Local => (ClockZone::Zone(local), None),
        SpecZone::LocalAbbreviation { dst, .. } => (ClockZone::Zone(local), Some(*dst)),
    };
    let next = search(spec, after, zone, dst)?;
    if next > after {
        return Some(next);
    }
    // A pinned DST flag can lead the walk back into the first occurrence of a
    // repeated hour, at or before the base. systemd 252 then answers as if no
    // flag were pinned (2024-10-27 02:31 CEST, `02:30 CEST` in Berlin:
    // 2024-10-28 02:30 CET); without a pinned flag the walk only goes forward.
    search(spec, after, zone, None).filter(|&t| t > after)
}

/// Whether the local zone is UTC for good: zero offset, no daylight-saving
/// time, and a base after the last zones that became UTC-like had moved
/// (Danmarkshavn, 1996). Such a zone needs no lookups at all.
fn is_plain_utc(local: &Zone, after: Timestamp) -> bool {
    const Y2000: Timestamp = Timestamp::from_secs(946_684_800);
    after >= Y2000 && local.is_utc() && local.offset_at(after).utc_offset == 0
}

/// One search as systemd runs it, from `after` + 1 µs.
fn search(
    spec: &CalendarSpec,
    after: Timestamp,
    zone: ClockZone<'_>,
    dst: Option<bool>,
) -> Option<Timestamp> {
    if after.as_usec() > MAX_BASE_USEC {
        return None;
    }
    let start = after.as_usec() + 1;
    let mut clock = WallClock::new(zone);
    let mut c = clock.localtime(start.div_euclid(1_000_000));
    let mut usec = start.rem_euclid(1_000_000) as i32;
    // Whether `c` carries the spec's pinned DST flag (systemd sets `tm_isdst`
    // after each normalization); a normalized copy carries the real flag.
    let mut pinned = false;

    for _ in 0..MAX_ITERATIONS {
        let flag = if pinned { dst } else { None };
        c = clock.normalize(&c, flag);
        pinned = dst.is_some();
        let mut step = Step {
            clock: &mut clock,
            dst,
            pinned: &mut pinned,
        };

        // Year: nothing to carry into.
        match next_match(&spec.year, c.year, None) {
            None => return None,
            Some(y) if y != c.year => {
                c = Tm {
                    year: y,
                    month: 1,
                    day: 1,
                    ..midnight(c)
                };
                usec = 0;
            }
            Some(_) => {}
        }
        if !matches!(step.bounds(&mut c), Bounds::Same) {
            return None;
        }

        // Month.
        let outcome = match next_match(&spec.month, c.month, None) {
            None => Bounds::Fail,
            Some(m) => {
                if m != c.month {
                    c = Tm {
                        month: m,
                        day: 1,
                        ..midnight(c)
                    };
                    usec = 0;
                }
                step.bounds(&mut c)
            }
        };
        match outcome {
            Bounds::Same => {}
            Bounds::Moved => continue,
            Bounds::Fail => {
                c = Tm {
                    year: c.year + 1,
                    month: 1,
                    day: 1,
                    ..midnight(c)
                };
                usec = 0;
                continue;
            }
        }

        // Day of the month; `~` counts from the end of this month.
        let month_len = spec
            .end_of_month
            .then(|| days_in_month(c.year, c.month as u32) as i32);
        let outcome = match next_match(&spec.day, c.day, month_len) {
            None => Bounds::Fail,
            Some(d) => {
                if d != c.day {
                    c = Tm {
                        day: d,
                        ..midnight(c)
                    };
                    usec = 0;
                }
                step.bounds(&mut c)
            }
        };
        match outcome {
            Bounds::Same => {}
            Bounds::Moved => continue,
            Bounds::Fail => {
                c = Tm {
                    month: c.month + 1,
                    day: 1,
                    ..midnight(c)
                };
                usec = 0;
                continue;
            }
        }

        // systemd: a weekday AND a day of the month must both match.
        if !weekday_matches(spec.weekdays, &c) {
            c = Tm {
                day: c.day + 1,
                ..midnight(c)
            };
            usec = 0;
            continue;
        }

        // Hour.
        let outcome = match next_match(&spec.hour, c.hour, None) {
            None => Bounds::Fail,
            Some(h) => {
                if h != c.hour {
                    c = Tm {
                        hour: h,
                        minute: 0,
                        second: 0,
                        ..c
                    };
                    usec = 0;
                }
                step.bounds(&mut c)
            }
        };
        match outcome {
            Bounds::Same => {}
            Bounds::Moved => continue,
            Bounds::Fail => {
                c = Tm {
                    day: c.day + 1,
                    ..midnight(c)
                };
                usec = 0;
                continue;
            }
        }

        // Minute.
        let outcome = match next_match(&spec.minute, c.minute, None) {
            None => Bounds::Fail,
            Some(m) => {
                if m != c.minute {
                    c = Tm {
                        minute: m,
                        second: 0,
                        ..c
                    };
                    usec = 0;
                }
                step.bounds(&mut c)
            }
        };
        match outcome {
            Bounds::Same => {}
            Bounds::Moved => continue,
            Bounds::Fail => {
                c = Tm {
                    hour: c.hour + 1,
                    minute: 0,
                    second: 0,
                    ..c
                };
                usec = 0;
                continue;
            }
        }

        // Second and microsecond, matched together.
        let now = c.second * USEC_PER_SEC + usec;
        let outcome = match next_match(&spec.second, now, None) {
            None => Bounds::Fail,
            Some(s) => {
                c.second = s / USEC_PER_SEC;
                usec = s % USEC_PER_SEC;
                step.bounds(&mut c)
            }
        };
        match outcome {
            Bounds::Same => {}
            Bounds::Moved => continue,
            Bounds::Fail => {
                c = Tm {
                    minute: c.minute + 1,
                    second: 0,
                    ..c
                };
                usec = 0;
                continue;
            }
        }

        let flag = if pinned { dst } else { None };
        let secs = clock.instant(&c, flag);
        return Some(Timestamp::from_usec(secs * 1_000_000 + i64::from(usec)));
    }
    None
}

/// `tm` at 00:00:00 of its day.
fn midnight(tm: Tm) -> Tm {
    Tm {
        hour: 0,
        minute: 0,
        second: 0,
        ..tm
    }
}

/// The state a bounds check needs.
struct Step<'c, 'z> {
    clock: &'c mut WallClock<'z>,
    dst: Option<bool>,
    pinned: &'c mut bool,
}

impl Step<'_, '_> {
    /// Normalizes a candidate; if that moved it forward, takes the moved time
    /// with the field just below the first changed one reset (systemd resets
    /// only that one: the others were reset when the candidate was set).
    fn bounds(&mut self, c: &mut Tm) -> Bounds {
        if c.year > MAX_YEAR {
            return Bounds::Fail;
        }
        let flag = if *self.pinned { self.dst } else { None };
        let mut n = self.clock.normalize(c, flag);
        let order = if n.year != c.year {
            n.month = 1;
            n.year.cmp(&c.year)
        } else if n.month != c.month {
            n.day = 1;
            n.month.cmp(&c.month)
        } else if n.day != c.day {
            n.hour = 0;
            n.day.cmp(&c.day)
        } else if n.hour != c.hour {
            n.minute = 0;
            n.hour.cmp(&c.hour)
        } else if n.minute != c.minute {
            n.second = 0;
            n.minute.cmp(&c.minute)
        } else {
            n.second.cmp(&c.second)
        };
        match order {
            std::cmp::Ordering::Equal => Bounds::Same,
            std::cmp::Ordering::Less => Bounds::Fail,
            std::cmp::Ordering::Greater => {
                *c = n;
                *self.pinned = false;
                Bounds::Moved
            }
        }
    }
}

/// The smallest value of `chain` not below `current`, where a repetition
/// without an end may overshoot the field (the caller's normalization then
/// carries it). An empty chain allows anything. `month_len` turns entries into
/// days counted back from the end of a month of that length.
fn next_match(chain: &[Component], current: i32, month_len: Option<i32>) -> Option<i32> {
    if chain.is_empty() {
        return Some(current);
    }
    let mut best: Option<i32> = None;
    for c in chain {
        let (start, stop) = match month_len {
            None => (c.start, c.stop),
            Some(len) => {
                // `~N` is day len+1-N; a range `~A..B` runs from the earlier
                // day (B from the end) to the later one.
                let from_end = |n: i32| len + 1 - n;
                if c.has_stop() {
                    (from_end(c.stop), from_end(c.start))
                } else {
                    (from_end(c.start), -1)
                }
            }
        };
        let candidate = if start >= current {
            Some(start)
        } else if c.repeat > 0 {
            let steps = (current - start + c.repeat - 1) / c.repeat;
            let k = i64::from(start) + i64::from(c.repeat) * i64::from(steps);
            i32::try_from(k).ok().filter(|&k| stop < 0 || k <= stop)
        } else {
            None
        };
        if let Some(v) = candidate {
            best = Some(best.map_or(v, |b| b.min(v)));
        }
    }
    best
}

/// Whether the (normalized) date of `tm` falls on one of `weekdays`.
fn weekday_matches(weekdays: u8, tm: &Tm) -> bool {
    if weekdays == 0 {
        return true;
    }
    let days = days_from_civil(tm.year, tm.month as u32, tm.day as u32);
    weekdays & (1 << weekday_from_days(days).index()) != 0
}
