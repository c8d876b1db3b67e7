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
    let until = Timestamp::from_usec(
        regular
            .map_or(base.as_usec().saturating_add(HORIZON), |n| n.as_usec())
            .min(base.as_usec().saturating_add(HORIZON)),
    );
    let zone_free = without_zone(spec);
    let zone_free = zone_free.as_ref().unwrap_or(spec);
    let around = Around {
        spec,
        zone_free,
        local,
        base,
        regular,
        repeats,
    };
    // Every offset change before the regular elapse counts: a schedule
    // that fires rarely can skip over several before reaching one whose
    // gap or repeated hour holds one of its times.
    let mut from = base;
    while let Some(tr) = first_transition(&zone, from, until) {
        if let Some(found) = around.transition(&tr) {
            return Some(found);
        }
        from = tr.at;
    }
    regular.map(|n| (n, CalendarHow::Spec))
}

/// What one calendar value asks for around offset changes.
struct Around<'a> {
    spec: &'a CalendarSpec,
    /// The spec without its zone, to be read in fixed offsets.
    zone_free: &'a CalendarSpec,
    local: &'a Zone,
    base: Timestamp,
    /// The elapse systemd's walk gives.
    regular: Option<Timestamp>,
    repeats: Repeats,
}

impl Around<'_> {
    /// An elapse the change `tr` adds before the regular one: right after
    /// a gap that swallowed one, or in the second pass of a repeated hour.
    fn transition(&self, tr: &Transition) -> Option<(Timestamp, CalendarHow)> {
        let width = (i64::from(tr.after) - i64::from(tr.before)).abs() * 1_000_000;
        let fixed = |secs: i32| Zone::fixed("catch-up", secs, "catch-up");
        let earlier = |t: Timestamp| self.regular.is_none_or(|n| t < n);
        // Just before the change, so that the first time read in a fixed
        // offset is the one around it.
        let from = self.base.max(Timestamp::from_usec(tr.at.as_usec() - 1));
        if tr.after > tr.before {
            if self.repeats == Repeats::Always {
                return None;
            }
            // Spring forward: the wall times [at+before, at+after) do not
            // exist. Read with the old offset they are the instants
            // [at, at+width).
            let c = self.zone_free.next_after(from, &fixed(tr.before))?;
            let in_gap = c >= tr.at && c.as_usec() < tr.at.as_usec() + width;
            (in_gap && tr.at > self.base && earlier(tr.at))
                .then_some((tr.at, CalendarHow::AfterGap))
        } else {
            let repeat = match self.repeats {
                Repeats::WhenHourly => is_hourly_around(self.spec, self.local, tr, width),
                Repeats::Always => true,
                Repeats::Never => false,
            };
            if !repeat {
                return None;
            }
            // Fall back: the second pass of the repeated wall times is the
            // instants [at, at+width) read with the new offset.
            let c = self.zone_free.next_after(from, &fixed(tr.after))?;
            (c.as_usec() < tr.at.as_usec() + width && earlier(c))
                .then_some((c, CalendarHow::RepeatedHour))
        }
    }
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
