//! A zone's offsets from 1900 to 2210 as one sorted table, with the
//! wall-clock times each change of offset skips or repeats.
//!
//! Searches over wall-clock time (calendar elapses) convert many nearby wall
//! times to instants. Away from the skipped and repeated stretches that
//! conversion is plain subtraction of the offset in force, whatever the
//! C library's `mktime` remembers between calls; the table tells where that
//! holds, so such a search can walk wall-clock fields without any lookups and
//! convert its answer once.

use super::{Offset, ZoneRules};
use crate::civil::civil_from_days;

/// The first instant covered: 1900-01-01 00:00:00 UTC.
const FIRST: i64 = -2_208_988_800;
/// The first instant past the table: 2210-01-01 00:00:00 UTC (calendar
/// searches stop after 2199).
const HORIZON: i64 = 7_573_651_200;
/// More entries than any zone has in these years: rules whose spans are not
/// real (one second long) give up here.
const MAX_ENTRIES: usize = 4096;
/// How close to a skipped or repeated wall time a wall time still counts as
/// safe (see [`Span::safe_from_key`]). glibc's `mktime` answers every other
/// wall time exactly, whatever offset it remembers; the one way it strays
/// from a wall time is with seconds past 59, which it adds after converting
/// (at most a minute). An hour covers that with room to spare, and keeps
/// midnight safe on days whose clocks change at 02:00.
const MARGIN: i64 = 3600;
/// The year of [`FIRST`].
const FIRST_YEAR: i32 = 1900;
/// The year of [`HORIZON`].
const LAST_YEAR: i32 = 2210;

/// Seconds per bucket of the index from instants to spans (about 97 days).
const BUCKET_BITS: u32 = 23;

/// Wall-clock fields (in range) as one number that orders as the times do.
#[inline(always)]
pub(crate) fn civil_key(
    year: i32,
    month: i32,
    day: i32,
    hour: i32,
    minute: i32,
    second: i32,
) -> i64 {
    (i64::from(year) << 26)
        | i64::from((month << 22) | (day << 17) | (hour << 12) | (minute << 6) | second)
}

/// [`civil_key`] of wall-clock seconds.
fn wall_key(wall: i64) -> i64 {
    let (year, month, day) = civil_from_days(wall.div_euclid(86_400));
    let sod = wall.rem_euclid(86_400) as i32;
    civil_key(
        year,
        month as i32,
        day as i32,
        sod / 3600,
        sod / 60 % 60,
        sod % 60,
    )
}

/// One stretch of instants with a constant offset, from `start` up to the
/// next entry's `start` (or the horizon).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Span {
    /// The first instant of the stretch, seconds since the epoch.
    pub(crate) start: i64,
    /// Seconds east of UTC throughout.
    pub(crate) utc_offset: i32,
    /// Whether daylight-saving time is in effect throughout.
    pub(crate) is_dst: bool,
    /// Wall-clock seconds (local time read as if it were UTC) from which on
    /// no change of offset at or before this stretch repeats or skips a wall
    /// time: every change's stretch `[change + smaller offset, change + larger
    /// offset)` ends at or before it, as does the table's start.
    pub(crate) safe_from: i64,
    /// Wall-clock seconds before which no later change of offset (and not
    /// the horizon) repeats or skips a wall time.
    pub(crate) safe_until: i64,
    /// [`civil_key`] of the first wall time at least the margin after
    /// `safe_from`: wall times from here up to `safe_until_key` convert
    /// with this stretch's offset and lie far from any skipped or repeated
    /// one. Windows of successive stretches are in order and disjoint.
    pub(crate) safe_from_key: i64,
    /// [`civil_key`] of the margin before `safe_until` (exclusive).
    pub(crate) safe_until_key: i64,
}

/// A zone's spans of constant offset from 1900 to 2210, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct TransitionTable {
    spans: Vec<Span>,
    /// For each bucket of 2^[`BUCKET_BITS`] seconds from [`FIRST`], the
    /// span holding its first instant.
    buckets: Vec<u16>,
    /// For each year from [`FIRST_YEAR`], whether every midnight in it lies
    /// in a safe window and no skipped or repeated stretch (with the
    /// margin) touches the first three days of a month.
    midnights_safe: Vec<bool>,
    /// For each year from [`FIRST_YEAR`], the first span whose safe window
    /// ends after the year's first wall time.
    year_spans: Vec<u16>,
}

impl TransitionTable {
    /// The table of `rules`, from its offset spans; `None` when the rules
    /// give no real spans (the default one-second ones) or too many.
    pub(crate) fn build(rules: &dyn ZoneRules) -> Option<TransitionTable> {
        let mut spans: Vec<Span> = Vec::new();
        let mut t = FIRST;
        while t < HORIZON {
            let span = rules.offset_span(t);
            if !span.contains(t) {
                return None;
            }
            let Offset { utc_offset, is_dst } = span.offset;
            // A change of abbreviation alone is no change. One of the
            // daylight-saving flag alone moves no wall time, but it still
            // parts two stretches: glibc's mktime answers differently when
            // asked for a flag that is not in force.
            if spans.last().map(|s| (s.utc_offset, s.is_dst)) != Some((utc_offset, is_dst)) {
                if spans.len() == MAX_ENTRIES {
                    return None;
                }
                spans.push(Span {
                    start: t,
                    utc_offset,
                    is_dst,
                    safe_from: 0,
                    safe_until: 0,
                    safe_from_key: 0,
                    safe_until_key: 0,
                });
            }
            t = span.end;
        }
        // The stretch of wall times each change skips or repeats; the table's
        // ends count as changes too, so that nothing outside it looks safe.
        let first_offset = i64::from(spans.first()?.utc_offset);
        let mut reach = FIRST + first_offset;
        for i in 0..spans.len() {
            if i > 0 {
                let (a, b) = (spans[i - 1].utc_offset, spans[i].utc_offset);
                reach = reach.max(spans[i].start + i64::from(a.max(b)));
            }
            spans[i].safe_from = reach;
        }
        let last_offset = i64::from(spans.last()?.utc_offset);
        let mut floor = HORIZON + last_offset;
        for i in (0..spans.len()).rev() {
            spans[i].safe_until = floor;
            if i > 0 {
                let (a, b) = (spans[i - 1].utc_offset, spans[i].utc_offset);
                floor = floor.min(spans[i].start + i64::from(a.min(b)));
            }
        }
        for span in &mut spans {
            span.safe_from_key = wall_key(span.safe_from + MARGIN);
            span.safe_until_key = wall_key(span.safe_until - MARGIN);
        }
        let count = ((HORIZON - FIRST) >> BUCKET_BITS) + 1;
        let mut buckets = Vec::with_capacity(count as usize);
        let mut index = 0;
        for b in 0..count {
            let t = FIRST + (b << BUCKET_BITS);
            while index + 1 < spans.len() && spans[index + 1].start <= t {
                index += 1;
            }
            buckets.push(u16::try_from(index).ok()?);
        }
        let mut midnights_safe = vec![true; (LAST_YEAR - FIRST_YEAR) as usize];
        // The table's ends are no safe ground.
        midnights_safe[0] = false;
        midnights_safe[(LAST_YEAR - FIRST_YEAR - 1) as usize] = false;
        for pair in spans.windows(2) {
            let (a, b) = (pair[0].utc_offset, pair[1].utc_offset);
            let low = pair[1].start + i64::from(a.min(b)) - MARGIN;
            let high = pair[1].start + i64::from(a.max(b)) + MARGIN;
            let (first, last) = (
                civil_from_days(low.div_euclid(86_400)),
                civil_from_days((high - 1).div_euclid(86_400)),
            );
            let crosses_midnight = low.div_euclid(86_400) != (high - 1).div_euclid(86_400)
                || low.rem_euclid(86_400) == 0;
            if crosses_midnight || first.2 <= 3 || last.2 <= 3 {
                for year in [first.0, last.0] {
                    if let Some(safe) = usize::try_from(year - FIRST_YEAR)
                        .ok()
                        .and_then(|i| midnights_safe.get_mut(i))
                    {
                        *safe = false;
                    }
                }
            }
        }
        let mut year_spans = Vec::with_capacity((LAST_YEAR - FIRST_YEAR) as usize);
        let mut index = 0;
        for year in FIRST_YEAR..LAST_YEAR {
            let key = civil_key(year, 1, 1, 0, 0, 0);
            while index + 1 < spans.len() && spans[index].safe_until_key <= key {
                index += 1;
            }
            year_spans.push(u16::try_from(index).ok()?);
        }
        Some(TransitionTable {
            spans,
            buckets,
            midnights_safe,
            year_spans,
        })
    }

    /// Whether every midnight of `year` lies in a safe window, and no
    /// skipped or repeated stretch (with the margin) touches the first three
    /// days of a month.
    pub(crate) fn midnights_safe(&self, year: i32) -> bool {
        usize::try_from(year - FIRST_YEAR)
            .ok()
            .and_then(|i| self.midnights_safe.get(i))
            .copied()
            .unwrap_or(false)
    }

    /// Whether the table covers instant `unix_secs`.
    #[inline]
    pub(crate) fn covers(&self, unix_secs: i64) -> bool {
        (FIRST..HORIZON).contains(&unix_secs)
    }

    /// The offset, if the table has only one.
    #[inline]
    pub(crate) fn single_offset(&self) -> Option<i32> {
        match self.spans.as_slice() {
            [only] => Some(only.utc_offset),
            _ => None,
        }
    }

    /// The index of the span holding instant `unix_secs`, if the table
    /// covers it.
    #[inline]
    pub(crate) fn index_at(&self, unix_secs: i64) -> Option<usize> {
        if !self.covers(unix_secs) {
            return None;
        }
        let mut index = usize::from(self.buckets[((unix_secs - FIRST) >> BUCKET_BITS) as usize]);
        while let Some(next) = self.spans.get(index + 1) {
            if next.start > unix_secs {
                break;
            }
            index += 1;
        }
        Some(index)
    }

    /// The index of the span whose safe window holds wall time `key`
    /// ([`civil_key`]), if any does.
    pub(crate) fn safe_index_of_key(&self, key: i64) -> Option<usize> {
        // From the year's first span on: a year has a few.
        let year = i32::try_from(key >> 26).ok()?;
        let first = usize::try_from(year - FIRST_YEAR).ok()?;
        let mut index = usize::from(*self.year_spans.get(first)?);
        loop {
            let span = self.spans.get(index)?;
            if key < span.safe_until_key {
                return (span.safe_from_key <= key).then_some(index);
            }
            index += 1;
        }
    }

    /// The span at `index`.
    #[inline]
    pub(crate) fn span(&self, index: usize) -> &Span {
        &self.spans[index]
    }

    /// The span at `index`, if there is one.
    #[inline]
    pub(crate) fn get(&self, index: usize) -> Option<&Span> {
        self.spans.get(index)
    }

    /// The number of spans.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.spans.len()
    }
}
