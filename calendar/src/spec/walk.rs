//! The next-elapse search, step for step as systemd 252 walks wall-clock
//! fields: year, month, day, weekday, hour, minute, second. Each step takes
//! the smallest allowed value not below the current one; a change resets the
//! smaller fields, no value carries into the next larger field. After each
//! step the candidate is normalized as `mktime` would, and if that moved it
//! the search starts over from the moved time.
//!
//! The version followed is Debian's 252.38, which carries the fix of systemd
//! PR #36897: a match whose wall-clock fields come before the start is
//! refused and the search goes on an hour later. Every `mktime` call systemd
//! makes (normalizing, bounds checks, end-of-month lookups, weekday checks)
//! is replayed in order through [`WallClock`], because glibc's `mktime`
//! remembers the offset of its last answer and resolves repeated hours with
//! it.
//!
//! Most searches never come near a change of offset; [`super::fast`] walks
//! those with plain arithmetic and checks every wall time it visits against
//! the zone's safe windows. This replay answers the rest (and specs pinned to
//! a daylight-saving flag by a local abbreviation).
//!
//! The walk reproduces systemd's quirks on purpose, because timers must fire
//! when systemd's would. Two show up outside DST changes: a repetition that
//! overshoots its field by more than one unit (`0/10:00` asks for hour 30
//! after 20:00) lands inside the next day and, at a month or year boundary,
//! skips that day's first match (systemd gives 2024-04-01 10:00 after
//! 2024-03-31 21:00, not 00:00); and the seconds of `*:*:0/59` overshoot the
//! same way.

use crate::civil::{days_from_civil, weekday_from_days};
use crate::timestamp::Timestamp;
use crate::zone::{Zone, ZoneRules};

use super::fast::{self, Fast};
use super::masks::{self, SECOND_FRACTIONS};
use super::normalize::MAX_YEAR;
use super::{CalendarSpec, Component, SpecZone, USEC_PER_SEC};
use crate::wall::{Tm, WallClock};

/// systemd's safety valve against a search that never settles.
pub(super) const MAX_ITERATIONS: u32 = 1000;

/// The last base systemd accepts: 9999-12-30 23:59:59 UTC, the largest
/// timestamp it can format.
pub(super) const MAX_BASE_USEC: i64 = 253_402_214_399_000_000;

/// What a step of the search asks for next.
enum Step {
    /// The field matched and normalization left the candidate alone.
    Same,
    /// Start over from the (changed) candidate.
    Again,
}

/// systemd's `tm_within_bounds` verdict on a candidate.
enum Bounds {
    /// Normalization left it as it was.
    Same,
    /// Normalization moved it forward; the search starts over from there.
    Moved,
    /// Past 2199, `mktime` failed, or normalization would move it backward.
    Fail,
}

pub(super) fn next_elapse(
    spec: &CalendarSpec,
    after: Timestamp,
    local: &Zone,
) -> Option<Timestamp> {
    let zone = match &spec.zone {
        SpecZone::Utc => Some(None),
        SpecZone::Named { zone, .. } => Some(Some(&**zone)),
        // A zone that is UTC has one offset in its table.
        SpecZone::Local => Some(Some(local)),
        // A pinned flag makes mktime look for the nearest instant with it.
        SpecZone::LocalAbbreviation { .. } => None,
    };
    if let Some(zone) = zone {
        if let Fast::Answer(next) = fast::next_elapse(spec, after, zone) {
            return next;
        }
    }
    exact_next_elapse(spec, after, local)
}

/// The next elapse by replaying every `mktime` call of systemd's search.
#[inline(never)]
pub(super) fn exact_next_elapse(
    spec: &CalendarSpec,
    after: Timestamp,
    local: &Zone,
) -> Option<Timestamp> {
    let (rules, dst) = match &spec.zone {
        SpecZone::Utc => (None, -1),
        SpecZone::Named { zone, .. } => (Some(zone.rules()), -1),
        SpecZone::Local if is_plain_utc(local, after) => (None, -1),
        SpecZone::Local => (Some(local.rules()), -1),
        SpecZone::LocalAbbreviation { dst, .. } => (Some(local.rules()), i8::from(*dst)),
    };
    let next = search_or_skip_gap(spec, after, rules, dst)?;
    if next > after {
        return Some(next);
    }
    // A pinned DST flag can lead systemd back into the first occurrence of a
    // repeated hour, before the base (tests/golden/KNOWN_DIFFERENCES.md).
    // sundial keeps elapses strictly after the base: the answer without the
    // pinned flag.
    search_or_skip_gap(spec, after, rules, -1).filter(|&t| t > after)
}

/// systemd's answer; where systemd gives up (a wall time in a DST gap that
/// `mktime` keeps moving back before the candidate, "Infinite loop in
/// calendar calculation"), the answer of the same search with gaps always
/// resolved forward, so that the missing time is skipped like any other
/// (tests/golden/KNOWN_DIFFERENCES.md).
fn search_or_skip_gap(
    spec: &CalendarSpec,
    after: Timestamp,
    rules: Option<&dyn ZoneRules>,
    dst: i8,
) -> Option<Timestamp> {
    match search(spec, after, rules, dst, false) {
        Ok(next) => next,
        Err(GaveUp) => search(spec, after, rules, dst, true).ok().flatten(),
    }
}

/// systemd's search hit its iteration limit.
struct GaveUp;

/// Whether the local zone is UTC for good: zero offset, no daylight-saving
/// time, and a base after the last zones that became UTC-like had moved
/// (Danmarkshavn, 1996). Such a zone needs no lookups at all.
fn is_plain_utc(local: &Zone, after: Timestamp) -> bool {
    const Y2000: Timestamp = Timestamp::from_secs(946_684_800);
    after >= Y2000 && local.is_utc() && local.offset_at(after).utc_offset == 0
}

/// One search as systemd 252's `find_next` runs it, from `after` + 1 µs,
/// with `dst` as the spec's `tm_isdst` (-1 unless a local abbreviation pins
/// it). Every `mktime` call systemd makes is made here too, in the same
/// order, because each one steers how the next resolves a repeated hour.
fn search(
    spec: &CalendarSpec,
    after: Timestamp,
    rules: Option<&dyn ZoneRules>,
    dst: i8,
    forward_gaps: bool,
) -> Result<Option<Timestamp>, GaveUp> {
    if after.as_usec() > MAX_BASE_USEC {
        return Ok(None);
    }
    let start = after.as_usec() + 1;
    let secs = start.div_euclid(1_000_000);
    // The previous `mktime` of systemd's process resolved the base (the
    // previous elapse, when iterating).
    let mut clock = WallClock::new(rules, 0);
    let base_offset = clock.offset_at(secs);
    clock.remember_offset(base_offset);
    clock.forward_gaps = forward_gaps;
    let c = clock.localtime(secs);
    let usec = start.rem_euclid(1_000_000) as i32;
    let mut search = Search {
        spec,
        clock: &mut clock,
        dst,
        keep_flag: false,
        start: (c, usec),
        c,
        usec,
    };
    for _ in 0..MAX_ITERATIONS {
        match search.step() {
            None => return Ok(None),
            Some(Step::Again) => continue,
            Some(Step::Same) => {}
        }
        let c = search.c;
        let Some((_, secs)) = search.clock.mktime(&c) else {
            return Ok(None);
        };
        let usec = secs * 1_000_000 + i64::from(search.usec);
        return Ok(Some(Timestamp::from_usec(usec)));
    }
    // systemd gives up here ("Infinite loop in calendar calculation").
    Err(GaveUp)
}

/// The candidate of a search and what it needs to move it.
struct Search<'s, 'c, 'z> {
    spec: &'s CalendarSpec,
    clock: &'c mut WallClock<'z>,
    /// The spec's `tm_isdst`.
    dst: i8,
    /// Set once a match came out before the start: from then on the flag
    /// `mktime` found stays on the candidate instead of the spec's.
    keep_flag: bool,
    /// Where the search started, wall-clock fields and microseconds.
    start: (Tm, i32),
    c: Tm,
    usec: i32,
}

impl Search<'_, '_, '_> {
    /// One pass of systemd's loop: `Some(Same)` when the candidate matches
    /// every field, `Some(Again)` to go round again, `None` for never.
    fn step(&mut self) -> Option<Step> {
        let spec = self.spec;
        // Normalize the candidate; a failed mktime leaves it as it was.
        if let Some(n) = self.clock.normalize(&self.c) {
            self.c = n;
        }
        if !self.keep_flag {
            self.c.isdst = self.dst;
        }

        // Year: nothing to carry into.
        let y = next_match(spec.year(), self.c.year)?;
        if y != self.c.year {
            self.c = Tm {
                year: y,
                month: 1,
                day: 1,
                ..midnight(self.c)
            };
            self.usec = 0;
        }
        if !matches!(self.bounds(), Bounds::Same) {
            return None;
        }

        // Month.
        let outcome = match next_match_in(
            listed(spec.month(), spec.masks.month),
            spec.month(),
            self.c.month,
        ) {
            None => Bounds::Fail,
            Some(m) => {
                if m != self.c.month {
                    self.c = Tm {
                        month: m,
                        day: 1,
                        ..midnight(self.c)
                    };
                    self.usec = 0;
                }
                self.bounds()
            }
        };
        match outcome {
            Bounds::Same => {}
            Bounds::Moved => return Some(Step::Again),
            Bounds::Fail => {
                self.c = Tm {
                    year: self.c.year + 1,
                    month: 1,
                    day: 1,
                    ..midnight(self.c)
                };
                self.usec = 0;
                return Some(Step::Again);
            }
        }

        // Day of the month; `~` counts from the end of this month.
        let found = if spec.end_of_month && !spec.day().is_empty() {
            self.next_day_from_end()
        } else {
            next_match_in(listed(spec.day(), spec.masks.day), spec.day(), self.c.day)
        };
        let outcome = match found {
            None => Bounds::Fail,
            Some(d) => {
                if d != self.c.day {
                    self.c = Tm {
                        day: d,
                        ..midnight(self.c)
                    };
                    self.usec = 0;
                }
                self.bounds()
            }
        };
        match outcome {
            Bounds::Same => {}
            Bounds::Moved => return Some(Step::Again),
            Bounds::Fail => {
                self.c = Tm {
                    month: self.c.month + 1,
                    day: 1,
                    ..midnight(self.c)
                };
                self.usec = 0;
                return Some(Step::Again);
            }
        }

        // systemd: a weekday AND a day of the month must both match.
        if !self.weekday_matches() {
            self.c = Tm {
                day: self.c.day + 1,
                ..midnight(self.c)
            };
            self.usec = 0;
            return Some(Step::Again);
        }

        // Hour.
        let outcome = match next_match_in(
            listed(spec.hour(), spec.masks.hour),
            spec.hour(),
            self.c.hour,
        ) {
            None => Bounds::Fail,
            Some(h) => {
                if h != self.c.hour {
                    self.c = Tm {
                        hour: h,
                        minute: 0,
                        second: 0,
                        ..self.c
                    };
                    self.usec = 0;
                }
                self.bounds()
            }
        };
        match outcome {
            Bounds::Same => {}
            Bounds::Moved => return Some(Step::Again),
            Bounds::Fail => {
                self.c = Tm {
                    day: self.c.day + 1,
                    ..midnight(self.c)
                };
                self.usec = 0;
                return Some(Step::Again);
            }
        }

        // Minute.
        let outcome = match next_match_in(
            listed(spec.minute(), spec.masks.minute),
            spec.minute(),
            self.c.minute,
        ) {
            None => Bounds::Fail,
            Some(m) => {
                if m != self.c.minute {
                    self.c = Tm {
                        minute: m,
                        second: 0,
                        ..self.c
                    };
                    self.usec = 0;
                }
                self.bounds()
            }
        };
        match outcome {
            Bounds::Same => {}
            Bounds::Moved => return Some(Step::Again),
            Bounds::Fail => {
                self.c = Tm {
                    hour: self.c.hour + 1,
                    minute: 0,
                    second: 0,
                    ..self.c
                };
                self.usec = 0;
                return Some(Step::Again);
            }
        }

        // Second and microsecond, matched together.
        let now = self.c.second * USEC_PER_SEC + self.usec;
        let whole_seconds = spec.masks.flags & SECOND_FRACTIONS == 0;
        let found = match listed(spec.second(), spec.masks.second).filter(|_| whole_seconds) {
            // Whole seconds: the first one at or after `now`.
            Some(bits) => {
                let from = self.c.second + i32::from(self.usec > 0);
                masks::next_in(bits, from)
                    .map(|s| s * USEC_PER_SEC)
                    .or_else(|| next_match(spec.second(), now))
            }
            None => next_match(spec.second(), now),
        };
        let outcome = match found {
            None => Bounds::Fail,
            Some(s) => {
                self.c.second = s / USEC_PER_SEC;
                self.usec = s % USEC_PER_SEC;
                self.bounds()
            }
        };
        match outcome {
            Bounds::Same => Some(self.check_not_before_start()),
            Bounds::Moved => Some(Step::Again),
            Bounds::Fail => {
                self.c = Tm {
                    minute: self.c.minute + 1,
                    second: 0,
                    ..self.c
                };
                self.usec = 0;
                Some(Step::Again)
            }
        }
    }

    /// systemd 252.38 (the fix for negative DST, systemd PR #36897): a
    /// match whose wall-clock fields come before those the search started
    /// from is refused; the search goes on an hour later (nothing else
    /// reset) and keeps the flag `mktime` finds from then on.
    fn check_not_before_start(&mut self) -> Step {
        let key = |tm: &Tm, usec: i32| {
            (
                tm.year, tm.month, tm.day, tm.hour, tm.minute, tm.second, usec,
            )
        };
        let (start, start_usec) = self.start;
        if key(&self.c, self.usec) < key(&start, start_usec) {
            self.c.hour += 1;
            self.keep_flag = true;
            return Step::Again;
        }
        Step::Same
    }

    /// systemd's `tm_within_bounds`: normalizes a copy of the candidate; if
    /// that moved it forward, takes the moved time with the field just below
    /// the first changed one reset (systemd resets only that one: the others
    /// were reset when the candidate was set).
    fn bounds(&mut self) -> Bounds {
        let c = self.c;
        if c.year > MAX_YEAR {
            return Bounds::Fail;
        }
        let Some(mut n) = self.clock.normalize(&c) else {
            return Bounds::Fail;
        };
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
                self.c = n;
                Bounds::Moved
            }
        }
    }

    /// systemd's `find_end_of_month`: the day `from_end` days before the end
    /// of the candidate's month, found by letting `mktime` normalize day
    /// `1 - from_end` of the next month (at the candidate's time of day and
    /// flag); -1 when that lands outside the month. `from_end` -1 (an entry
    /// without a range end) always lands outside, but still calls `mktime`.
    fn end_of_month(&mut self, from_end: i32) -> i32 {
        let probe = Tm {
            month: self.c.month + 1,
            day: 1 - from_end,
            ..self.c
        };
        match self.clock.normalize(&probe) {
            Some(n) if n.month == self.c.month => n.day,
            _ => -1,
        }
    }

    /// systemd's `find_matching_component` for `~` days: every entry's start
    /// and end are turned into days of this month through `mktime`.
    fn next_day_from_end(&mut self) -> Option<i32> {
        let current = self.c.day;
        let mut best: Option<i32> = None;
        for c in self.spec.day() {
            let mut start = self.end_of_month(c.start);
            let mut stop = self.end_of_month(c.stop);
            if stop > 0 {
                std::mem::swap(&mut start, &mut stop);
            }
            if let Some(v) = first_at_or_after(start, stop, c.repeat, current) {
                best = Some(best.map_or(v, |b| b.min(v)));
            }
        }
        best
    }

    /// systemd's `matches_weekday`, which takes the weekday from a `mktime`
    /// of the candidate.
    fn weekday_matches(&mut self) -> bool {
        if self.spec.weekdays == 0 {
            return true;
        }
        let c = self.c;
        let Some(n) = self.clock.normalize(&c) else {
            return false;
        };
        let days = days_from_civil(n.year, n.month as u32, n.day as u32);
        self.spec.weekdays & (1 << weekday_from_days(days).index()) != 0
    }
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

/// A field's bit set where its list is not empty; `*` asks the list.
#[inline]
fn listed(chain: &[Component], bits: u64) -> Option<u64> {
    (!chain.is_empty()).then_some(bits)
}

/// [`next_match`] through the field's bit set when it has one.
#[inline]
fn next_match_in(bits: Option<u64>, chain: &[Component], current: i32) -> Option<i32> {
    match bits {
        Some(bits) => masks::next_in(bits, current).or_else(|| next_match(chain, current)),
        None => next_match(chain, current),
    }
}

/// The smallest value of `chain` not below `current`, where a repetition
/// without an end may overshoot the field (the caller's normalization then
/// carries it). An empty chain allows anything.
pub(super) fn next_match(chain: &[Component], current: i32) -> Option<i32> {
    if chain.is_empty() {
        return Some(current);
    }
    let mut best: Option<i32> = None;
    for c in chain {
        if let Some(v) = first_at_or_after(c.start, c.stop, c.repeat, current) {
            best = Some(best.map_or(v, |b| b.min(v)));
        }
    }
    best
}

/// The first value of one entry not below `current`: its start, or the
/// first repetition at or after `current` that does not pass `stop` (-1: no
/// end).
pub(super) fn first_at_or_after(start: i32, stop: i32, repeat: i32, current: i32) -> Option<i32> {
    if start >= current {
        Some(start)
    } else if repeat > 0 {
        let steps =
            (i64::from(current) - i64::from(start) + i64::from(repeat) - 1) / i64::from(repeat);
        let k = i64::from(start) + i64::from(repeat) * steps;
        i32::try_from(k).ok().filter(|&k| stop < 0 || k <= stop)
    } else {
        None
    }
}
