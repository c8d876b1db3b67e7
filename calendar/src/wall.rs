//! Wall-clock fields and their conversion to instants, as the GNU C library's
//! `mktime` and `localtime` do it for systemd's search.
//!
//! systemd walks broken-down time (`struct tm`) and lets `mktime` normalize
//! it: overflowing fields carry (`Feb 30` is `Mar 1`), a wall time inside a
//! daylight-saving gap moves by the size of the gap, and a wall time that
//! occurs twice resolves by where glibc's first guess lands. That guess is
//! the offset of the previous `mktime` call in the process (glibc keeps it in
//! a static variable), so every call the search makes, including those on
//! scratch copies, steers later ones: a walk coming from summer time stays in
//! summer time, and a look at the end of the month (in winter time) switches
//! the repeated hour to its second occurrence. [`WallClock`] keeps that state
//! and repeats glibc's probing step for step.

use crate::civil::{civil_from_days, days_from_civil, days_in_month};
use crate::zone::{OffsetSpan, ZoneRules};

/// Broken-down wall-clock time whose fields may be out of range, as C's
/// `struct tm` (month 1-based here).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Tm {
    pub(crate) year: i32,
    pub(crate) month: i32,
    pub(crate) day: i32,
    pub(crate) hour: i32,
    pub(crate) minute: i32,
    pub(crate) second: i32,
    /// `tm_isdst`: -1 lets `mktime` decide, 0 and 1 ask for standard or
    /// daylight-saving time; after a conversion, the flag in force.
    pub(crate) isdst: i8,
}

impl Tm {
    /// Seconds since the epoch if these fields (with `second` replaced) were
    /// UTC, carrying every overflowing field into the next larger one.
    pub(crate) fn wall_secs_with(&self, second: i32) -> i64 {
        let months = i64::from(self.year) * 12 + i64::from(self.month) - 1;
        let year = months.div_euclid(12);
        let month = months.rem_euclid(12) + 1;
        // Years stay far inside i32 here: the search stops after 2199.
        let days = days_from_civil(year as i32, month as u32, 1) + i64::from(self.day) - 1;
        days * 86_400
            + i64::from(self.hour) * 3600
            + i64::from(self.minute) * 60
            + i64::from(second)
    }

    /// Whether every field is within its range, so that normalizing changes
    /// no field.
    pub(crate) fn in_range(&self) -> bool {
        (1..=12).contains(&self.month)
            && self.day >= 1
            && self.day <= days_in_month(self.year, self.month as u32) as i32
            && (0..24).contains(&self.hour)
            && (0..60).contains(&self.minute)
            && (0..60).contains(&self.second)
    }

    /// The normalized fields of wall-clock seconds `secs`.
    pub(crate) fn from_wall_secs(secs: i64, isdst: bool) -> Tm {
        let (year, month, day) = civil_from_days(secs.div_euclid(86_400));
        let sod = secs.rem_euclid(86_400) as i32;
        Tm {
            year,
            month: month as i32,
            day: day as i32,
            hour: sod / 3600,
            minute: sod / 60 % 60,
            second: sod % 60,
            isdst: i8::from(isdst),
        }
    }

    /// The fields of `self` with the flag `isdst`, or the normalized fields of
    /// `wall` when some field is out of range.
    fn normalized(&self, wall: i64, isdst: bool) -> Tm {
        if self.in_range() {
            Tm {
                isdst: i8::from(isdst),
                ..*self
            }
        } else {
            Tm::from_wall_secs(wall, isdst)
        }
    }
}

/// glibc's probe distances when the flag found is not the flag asked for:
/// the shortest daylight-saving period on record, up to half the longest
/// one, in both directions (glibc 2.36 `__mktime_internal`).
const DST_PROBE_STRIDE: i64 = 601_200;
const DST_PROBE_BOUND: i64 = 457_243_200 / 2 + DST_PROBE_STRIDE;

/// `mktime()` as a fresh process calls it (no offset remembered from an
/// earlier call) for the wall time `wall` (seconds since the epoch of the wall
/// time read as UTC) with `tm_isdst` = `isdst` (`None` = -1): the instant in
/// seconds, or `None` where glibc returns -1. systemd's timestamp parser
/// inherits these answers in DST gaps and folds.
pub(crate) fn mktime_once(rules: &dyn ZoneRules, wall: i64, isdst: Option<bool>) -> Option<i64> {
    let mut tm = Tm::from_wall_secs(wall, false);
    tm.isdst = isdst.map_or(-1, i8::from);
    WallClock::new(Some(rules), 0).mktime(&tm).map(|(_, t)| t)
}

/// `mktime` and `localtime` in one zone, with the state glibc's `mktime`
/// keeps between calls. UTC (`timegm`) needs neither lookups nor state.
#[derive(Debug)]
pub(crate) struct WallClock<'a> {
    rules: Option<&'a dyn ZoneRules>,
    /// glibc's `localtime_offset`: instant minus wall time of the last
    /// `mktime` answer, the first guess of the next call.
    guess: i64,
    /// The offset span of the last lookup: most conversions of one search
    /// fall into it.
    span: OffsetSpan,
    /// The month whose first day was converted last: year, month, days
    /// since the epoch.
    month_start: (i32, i32, i64),
    /// Resolve every wall time in a gap to the reading after the gap, where
    /// glibc may take the one before it (not glibc: sundial's way out of the
    /// searches systemd gives up on).
    pub(crate) forward_gaps: bool,
}

impl<'a> WallClock<'a> {
    /// A clock for `rules`, or for UTC when `None`. `guess` is the offset the
    /// previous `mktime` of the process left (seconds east of UTC).
    pub(crate) fn new(rules: Option<&'a dyn ZoneRules>, guess: i32) -> WallClock<'a> {
        WallClock {
            rules,
            guess: -i64::from(guess),
            span: OffsetSpan {
                offset: crate::zone::Offset {
                    utc_offset: 0,
                    is_dst: false,
                },
                start: 0,
                end: 0,
            },
            month_start: (0, 0, 0),
            forward_gaps: false,
        }
    }

    /// Sets the offset (seconds east of UTC) the previous `mktime` left.
    pub(crate) fn remember_offset(&mut self, offset: i32) {
        self.guess = -i64::from(offset);
    }

    /// The offset (seconds east of UTC) and daylight-saving flag at `t`.
    fn convert(&mut self, t: i64) -> (i64, bool) {
        let Some(rules) = self.rules else {
            return (0, false);
        };
        if !self.span.contains(t) {
            self.span = rules.offset_span(t);
        }
        (
            i64::from(self.span.offset.utc_offset),
            self.span.offset.is_dst,
        )
    }

    /// The offset in force at `t`, seconds east of UTC.
    pub(crate) fn offset_at(&mut self, t: i64) -> i32 {
        self.convert(t).0 as i32
    }

    /// The wall-clock fields of instant `t` (`localtime_r`). Leaves the
    /// `mktime` state alone, as glibc does.
    pub(crate) fn localtime(&mut self, t: i64) -> Tm {
        let (offset, isdst) = self.convert(t);
        Tm::from_wall_secs(t + offset, isdst)
    }

    /// The normalized fields of `mktime(tm)`, without the instant.
    #[inline]
    pub(crate) fn normalize(&mut self, tm: &Tm) -> Option<Tm> {
        if self.rules.is_none() && tm.in_range() {
            // timegm of fields in range: nothing to do.
            return Some(Tm { isdst: 0, ..*tm });
        }
        self.mktime(tm).map(|(n, _)| n)
    }

    /// Wall-clock seconds of `tm` with `second` in place of its own, with
    /// the start of the month remembered: a search stays in one month.
    #[inline]
    fn wall_secs(&mut self, tm: &Tm, second: i32) -> i64 {
        if !(1..=12).contains(&tm.month) {
            return tm.wall_secs_with(second);
        }
        let (year, month, days) = self.month_start;
        let days = if (year, month) == (tm.year, tm.month) {
            days
        } else {
            let days = days_from_civil(tm.year, tm.month as u32, 1);
            self.month_start = (tm.year, tm.month, days);
            days
        };
        (days + i64::from(tm.day) - 1) * 86_400
            + i64::from(tm.hour) * 3600
            + i64::from(tm.minute) * 60
            + i64::from(second)
    }

    /// `mktime(tm)`: the normalized fields (with the flag in force) and the
    /// instant in seconds, or `None` where glibc returns -1.
    pub(crate) fn mktime(&mut self, tm: &Tm) -> Option<(Tm, i64)> {
        if self.rules.is_none() {
            // timegm: plain arithmetic, and tm_isdst comes back 0.
            let wall = self.wall_secs(tm, tm.second);
            return Some((tm.normalized(wall, false), wall));
        }
        // glibc clamps the seconds for its search (leap seconds) and adds the
        // difference back at the end.
        let sec = tm.second.clamp(0, 59);
        let wall = self.wall_secs(tm, sec);
        let t0 = wall + self.guess;
        let (offset, isdst) = self.convert(t0);
        if t0 + offset == wall && (tm.isdst < 0 || (tm.isdst != 0) == isdst) {
            // The remembered offset was right: one lookup, state unchanged.
            if sec == tm.second {
                return Some((tm.normalized(wall, isdst), t0));
            }
            return Some(self.finish(t0, t0, wall, tm, sec));
        }
        self.mktime_slow(tm, wall, sec, t0)
    }

    /// glibc's search from guess `t0` for the instant of wall time `wall`.
    fn mktime_slow(&mut self, tm: &Tm, wall: i64, sec: i32, t0: i64) -> Option<(Tm, i64)> {
        let (mut t, mut t1, mut t2) = (t0, t0, t0);
        let mut dst2 = false;
        let mut probes = 6;
        let found_dst = loop {
            let (offset, isdst) = self.convert(t);
            let dt = wall - (t + offset);
            if dt == 0 {
                break isdst;
            }
            // Oscillating across a gap: glibc settles on the time DT away from
            // the one asked for, preferring the reading whose flag differs
            // from the one requested (without a request, daylight saving).
            let settle = if tm.isdst < 0 {
                !dst2 || isdst
            } else {
                (tm.isdst != 0) != isdst
            };
            if t == t1 && t != t2 && (settle || self.forward_gaps) {
                // Forward: of the two readings, the one whose wall time lies
                // after the one asked for.
                let t = if self.forward_gaps && dt > 0 {
                    t + dt
                } else {
                    t
                };
                return Some(self.finish(t, t0, wall, tm, sec));
            }
            probes -= 1;
            if probes == 0 {
                return None;
            }
            (t1, t2, t, dst2) = (t2, t, t + dt, isdst);
        };
        if tm.isdst >= 0 && (tm.isdst != 0) != found_dst {
            // The wall time exists, but not with the flag asked for: take the
            // offset of the nearest instant that has that flag.
            let want = tm.isdst != 0;
            let mut delta = DST_PROBE_STRIDE;
            while delta < DST_PROBE_BOUND {
                for probe in [t - delta, t + delta] {
                    let (offset, isdst) = self.convert(probe);
                    if isdst == want {
                        return Some(self.finish(wall - offset, t0, wall, tm, sec));
                    }
                }
                delta += DST_PROBE_STRIDE;
            }
            // None near: glibc assumes a one-hour difference.
            let hours = i64::from(!want) - i64::from(!found_dst);
            return Some(self.finish(t + 3600 * hours, t0, wall, tm, sec));
        }
        Some(self.finish(t, t0, wall, tm, sec))
    }

    /// glibc's `offset_found`: remembers the offset for the next call, puts
    /// back clamped seconds and converts the answer.
    fn finish(&mut self, t: i64, t0: i64, wall: i64, tm: &Tm, sec: i32) -> (Tm, i64) {
        debug_assert_eq!(t0 - wall, self.guess);
        self.guess = t - wall;
        let t = t + i64::from(tm.second) - i64::from(sec);
        (self.localtime(t), t)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::zone::{local_zone, SystemZones};

    fn tm(year: i32, month: i32, day: i32, hour: i32, minute: i32, second: i32) -> Tm {
        Tm {
            year,
            month,
            day,
            hour,
            minute,
            second,
            isdst: -1,
        }
    }

    #[test]
    fn fields_carry_like_mktime() {
        let mut clock = WallClock::new(None, 0);
        let (n, _) = clock.mktime(&tm(2024, 2, 30, 24, 0, 118)).expect("UTC");
        assert_eq!(
            (n.year, n.month, n.day, n.hour, n.minute, n.second),
            (2024, 3, 2, 0, 1, 58)
        );
        let (n, t) = clock.mktime(&tm(2024, 13, 0, 0, 0, 0)).expect("UTC");
        assert_eq!((n.year, n.month, n.day), (2024, 12, 31));
        assert_eq!(t, 1_735_603_200);
    }

    /// Sequences of `mktime` calls in one process, as glibc 2.36 answered
    /// them (a C program calling mktime on each line in turn): the answer of
    /// an ambiguous or missing wall time depends on the calls before it.
    #[test]
    fn sequences_match_glibc() {
        type Call = ((i32, i32, i32, i32, i32, i32, i8), (i64, i8));
        let cases: [(&str, &[Call]); 4] = [
            (
                "Europe/Berlin",
                &[
                    // Fresh process: first guess UTC. 02:30 occurs twice.
                    ((2024, 10, 27, 2, 30, 0, -1), (1_729_992_600, 0)),
                    // Summer time asked for explicitly.
                    ((2024, 10, 27, 2, 30, 0, 1), (1_729_989_000, 1)),
                    // The guess is now CEST: the first occurrence.
                    ((2024, 10, 27, 2, 40, 0, -1), (1_729_989_600, 1)),
                    // Winter time on 11-02 moves the guess to CET ...
                    ((2024, 11, 2, 2, 40, 0, -1), (1_730_511_600, 0)),
                    // ... so the same wall time now gives the second one.
                    ((2024, 10, 27, 2, 40, 0, -1), (1_729_993_200, 0)),
                    // 03:00 does not exist with DST: the offset of a week
                    // before, which reads 02:00 CET.
                    ((2024, 10, 27, 3, 0, 0, 1), (1_729_990_800, 0)),
                    // Spring gap: 02:30 on 03-31 becomes 03:30 CEST.
                    ((2024, 3, 31, 2, 30, 0, -1), (1_711_848_600, 1)),
                    ((2024, 3, 31, 2, 30, 0, 0), (1_711_848_600, 1)),
                    ((2024, 3, 31, 2, 30, 0, 1), (1_711_845_000, 0)),
                    // Summer time asked for in winter.
                    ((2024, 1, 15, 12, 0, 0, 1), (1_705_312_800, 0)),
                    // Seconds beyond 59 are added after the search.
                    ((2024, 3, 31, 1, 59, 118, -1), (1_711_846_858, 1)),
                ],
            ),
            (
                "Australia/Lord_Howe",
                &[
                    ((2024, 4, 7, 1, 41, 0, 1), (1_712_414_460, 1)),
                    ((2024, 4, 7, 1, 45, 0, -1), (1_712_414_700, 1)),
                    ((2024, 4, 7, 1, 45, 0, 0), (1_712_416_500, 0)),
                    ((2024, 4, 7, 1, 50, 0, -1), (1_712_416_800, 0)),
                    ((2024, 10, 6, 2, 15, 0, -1), (1_728_143_100, 1)),
                ],
            ),
            (
                "America/New_York",
                &[
                    ((2024, 11, 3, 1, 30, 0, -1), (1_730_611_800, 1)),
                    ((2024, 11, 3, 1, 30, 0, 1), (1_730_611_800, 1)),
                    ((2024, 11, 3, 1, 40, 0, -1), (1_730_612_400, 1)),
                    ((2024, 3, 10, 2, 30, 0, -1), (1_710_055_800, 1)),
                ],
            ),
            (
                // Standard time to standard time (MSK+3 to +4, 2011-03-27).
                "Europe/Moscow",
                &[
                    ((2011, 3, 27, 2, 30, 0, -1), (1_301_178_600, 0)),
                    ((2019, 6, 1, 12, 0, 0, 1), (1_559_376_000, 0)),
                ],
            ),
        ];
        let zones = SystemZones::new(None);
        for (name, calls) in cases {
            let zone = local_zone(Some(name), &zones);
            let mut clock = WallClock::new(Some(zone.rules()), 0);
            for &((y, mo, d, h, mi, s, isdst), want) in calls {
                let input = Tm {
                    isdst,
                    ..tm(y, mo, d, h, mi, s)
                };
                let (out, t) = clock.mktime(&input).expect("glibc answered");
                assert_eq!((t, out.isdst), want, "{name}: {input:?}");
            }
        }
    }
}
