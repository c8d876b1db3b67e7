//! The next elapse of one calendar value, under a DST policy.
//!
//! Elapses come from [`CalendarSpec::next_after`]; the `catch-up` and
//! `cron-…` policies add what systemd's wall-clock walk leaves out around
//! one offset change: elapses inside a spring-forward gap (run once, right
//! after the gap) and the second pass of a repeated hour. `catch-up` does
//! the first for every schedule and the second for schedules that fire
//! every hour; `cron-fixed` does only the first and `cron-wildcard` only
//! the second, as cron does with its two kinds of job (see
//! [`DstPolicy::CronFixed`]).
//! Both are found by evaluating the spec in a fixed-offset zone equal to the
//! offset before (gap) or after (fold) the change, where those wall times do
//! exist.

use sundial_calendar::{CalendarSpec, Timespan, Timestamp, Zone, ZoneSource};

use crate::unit::DstPolicy;

const HOUR: i64 = 3_600_000_000;
const DAY: i64 = 24 * HOUR;
/// How far ahead an offset change is looked for.
const HORIZON: i64 = 400 * DAY;

/// Why a calendar elapse is when it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CalendarHow {
    /// As the spec says.
    Spec,
    /// `catch-up`: the spec's time fell into a spring-forward gap.
    AfterGap,
    /// `catch-up`: the second pass of a repeated hour.
    RepeatedHour,
}

/// The first elapse of `spec` strictly after `base` (with `offset` added, as
/// `RandomizedOffsetSec=` shifts the whole schedule).
pub fn next_calendar(
    spec: &CalendarSpec,
    base: Timestamp,
    local: &Zone,
    policy: DstPolicy,
    offset: Timespan,
) -> Option<(Timestamp, CalendarHow)> {
    // Shift the base back instead of the result forward alone, so that the
    // shifted schedule is still strictly after the base.
    let shifted = base - offset;
    let (next, how) = match policy {
        DstPolicy::Systemd => (spec.next_after(shifted, local)?, CalendarHow::Spec),
        DstPolicy::CatchUp => catch_up(spec, shifted, local, Repeats::WhenHourly)?,
        DstPolicy::CronFixed => catch_up(spec, shifted, local, Repeats::Never)?,
        DstPolicy::CronWildcard => catch_up(spec, shifted, local, Repeats::Always)?,
    };
    Some((next + offset, how))
}

/// A change of UTC offset at `at`, from `before` to `after` seconds.
#[derive(Debug, Clone, Copy)]
struct Transition {
    at: Timestamp,
    before: i32,
    after: i32,
}

fn offset(zone: &Zone, t: i64) -> i32 {
    zone.offset_at(Timestamp::from_usec(t)).utc_offset
}

/// The first offset change in `(from, until]`, to the second.
fn first_transition(zone: &Zone, from: Timestamp, until: Timestamp) -> Option<Transition> {
    let from = from.as_usec();
    let until = until.as_usec();
    let start = offset(zone, from);
    // Offsets change at most a few times a year: step by days, then bisect.
    let mut lo = from;
    loop {
        if lo >= until {
            return None;
        }
        let hi = (lo + DAY).min(until);
        if offset(zone, hi) != start {
            let (mut a, mut b) = (lo, hi);
            while b - a > 1_000_000 {
                let mid = a + (b - a) / 2;
                if offset(zone, mid) == start {
                    a = mid;
                } else {
                    b = mid;
                }
            }
            // Changes happen on whole seconds.
            let at = b.div_euclid(1_000_000) * 1_000_000;
            let at = if offset(zone, at) == start {
                at + 1_000_000
            } else {
                at
            };
            return Some(Transition {
                at: Timestamp::from_usec(at),
                before: start,
                after: offset(zone, at),
            });
        }
        lo = hi;
    }
}

/// Which schedules fire again in the second pass of a repeated hour, and
/// (for the `cron-…` policies) which are not caught up after a gap.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Repeats {
    /// `catch-up`: schedules firing every hour around the change; every
    /// schedule is caught up after a gap.
    WhenHourly,
    /// `cron-wildcard`: always, and never caught up after a gap.
    Always,
    /// `cron-fixed`: never, and caught up after a gap.
    Never,
}

fn catch_up(
    spec: &CalendarSpec,
    base: Timestamp,
    local: &Zone,
    repeats: Repeats,
) -> Option<(Timestamp, CalendarHow)> {
    let zone = spec.zone().unwrap_or(local).clone();
    let regular = spec.next_after(base, local);
    let until = regular
        .map_or(base.as_usec().saturating_add(HORIZON), |n| n.as_usec())
        .min(base.as_usec().saturating_add(HORIZON));
    let Some(tr) = first_transition(&zone, base, Timestamp::from_usec(until)) else {
        return regular.map(|n| (n, CalendarHow::Spec));
    };
    let width = (i64::from(tr.after) - i64::from(tr.before)).abs() * 1_000_000;
    let fixed = |secs: i32| Zone::fixed("catch-up", secs, "catch-up");
    let zone_free = without_zone(spec);
    let zone_free = zone_free.as_ref().unwrap_or(spec);
    let earlier = |t: Timestamp| regular.is_none_or(|n| t < n);
    let repeat = || match repeats {
        Repeats::WhenHourly => is_hourly_around(spec, local, &tr, width),
        Repeats::Always => true,
        Repeats::Never => false,
    };
    if tr.after > tr.before {
        if repeats == Repeats::Always {
            return regular.map(|n| (n, CalendarHow::Spec));
        }
        // Spring forward: the wall times [at+before, at+after) do not exist.
        // Read with the old offset they are the instants [at, at+width).
        if let Some(c) = zone_free.next_after(base, &fixed(tr.before)) {
            let in_gap = c >= tr.at && c.as_usec() < tr.at.as_usec() + width;
            if in_gap && tr.at > base && earlier(tr.at) {
                return Some((tr.at, CalendarHow::AfterGap));
            }
        }
    } else if repeat() {
        // Fall back: the second pass of the repeated wall times is the
        // instants [at, at+width) read with the new offset.
        let from = base.max(Timestamp::from_usec(tr.at.as_usec() - 1));
        if let Some(c) = zone_free.next_after(from, &fixed(tr.after)) {
            if c.as_usec() < tr.at.as_usec() + width && earlier(c) {
                return Some((c, CalendarHow::RepeatedHour));
            }
        }
    }
    regular.map(|n| (n, CalendarHow::Spec))
}

/// Whether `spec` fires both in the stretch of wall time just before a
/// repeated period and in the one just after it: an interval schedule
/// (`hourly`, `*:0/15`) rather than a job at a fixed time of day.
fn is_hourly_around(spec: &CalendarSpec, local: &Zone, tr: &Transition, width: i64) -> bool {
    let at = tr.at.as_usec();
    let fires_in = |from: i64, to: i64| {
        spec.next_after(Timestamp::from_usec(from - 1), local)
            .is_some_and(|t| t.as_usec() < to)
    };
    // Before: the period of the same length ending where the first pass of
    // the repeated wall times begins. After: the one starting where the
    // second pass ends.
    fires_in(at - 2 * width, at - width) && fires_in(at + width, at + 2 * width)
}

/// The spec without its own time zone, so that it can be evaluated in a
/// fixed-offset zone. The agreed calendar API has no such operation, so the
/// normalized form (which ends in the zone name) is parsed again without it.
fn without_zone(spec: &CalendarSpec) -> Option<CalendarSpec> {
    let zone = spec.zone()?;
    let text = spec.to_string();
    let bare = text.strip_suffix(zone.name())?.trim_end();
    CalendarSpec::parse(bare, &Zone::utc(), &NoZones).ok()
}

/// A zone source that knows no zones: the re-parsed spec names none.
#[derive(Debug)]
struct NoZones;

impl ZoneSource for NoZones {
    fn load(&self, _name: &str) -> Option<Zone> {
        None
    }
}
