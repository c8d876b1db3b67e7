//! Wall-clock fields and their conversion to instants, as the C library's
//! `mktime` does it for systemd's search.
//!
//! systemd walks broken-down time (`struct tm`) and lets `mktime` normalize
//! it: overflowing fields carry (`Feb 30` is `Mar 1`), a wall time inside a
//! daylight-saving gap moves forward by the size of the gap, and a wall time
//! that occurs twice resolves with the offset `mktime` used last. That last
//! rule is what makes the search visit the repeated hour only once: coming
//! from summer time it stays in summer time.

use crate::civil::{civil_from_days, days_from_civil, days_in_month};
use crate::zone::{LocalTime, Zone};
use crate::CivilDateTime;

/// Broken-down wall-clock time whose fields may be out of range, as C's
/// `struct tm` (month 1-based here).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Tm {
    pub(super) year: i32,
    pub(super) month: i32,
    pub(super) day: i32,
    pub(super) hour: i32,
    pub(super) minute: i32,
    pub(super) second: i32,
}

impl Tm {
    /// Seconds since the epoch if these fields were UTC, carrying every
    /// overflowing field into the next larger one.
    fn wall_secs(&self) -> i64 {
        let months = i64::from(self.year) * 12 + i64::from(self.month) - 1;
        let year = months.div_euclid(12);
        let month = months.rem_euclid(12) + 1;
        // Years stay far inside i32 here: the search stops after 2199.
        let days = days_from_civil(year as i32, month as u32, 1) + i64::from(self.day) - 1;
        days * 86_400
            + i64::from(self.hour) * 3600
            + i64::from(self.minute) * 60
            + i64::from(self.second)
    }

    /// Whether every field is within its range, so that only the zone (not
    /// the calendar) can move this time.
    fn in_range(&self) -> bool {
        (1..=12).contains(&self.month)
            && self.day >= 1
            && self.day <= days_in_month(self.year, self.month as u32) as i32
            && (0..24).contains(&self.hour)
            && (0..60).contains(&self.minute)
            && (0..60).contains(&self.second)
    }

    /// The normalized fields of wall-clock seconds `secs`.
    fn from_wall_secs(secs: i64) -> Tm {
        let (year, month, day) = civil_from_days(secs.div_euclid(86_400));
        let sod = secs.rem_euclid(86_400) as i32;
        Tm {
            year,
            month: month as i32,
            day: day as i32,
            hour: sod / 3600,
            minute: sod / 60 % 60,
            second: sod % 60,
        }
    }
}

/// The zone of a search: UTC needs no lookups at all.
#[derive(Debug, Clone, Copy)]
pub(super) enum ClockZone<'a> {
    Utc,
    Zone(&'a Zone),
}

/// Instants `lo..=hi` all have offset `offset`.
#[derive(Debug, Clone, Copy)]
struct Window {
    lo: i64,
    hi: i64,
    offset: i32,
}

/// `mktime` and `localtime` for one search, with the state `mktime` keeps.
#[derive(Debug)]
pub(super) struct WallClock<'a> {
    zone: ClockZone<'a>,
    /// The offset of the last conversion: how an ambiguous wall time resolves.
    last_offset: i32,
    /// A span of instants known to have one offset, to skip zone lookups for
    /// the many conversions of one search that fall on the same day.
    window: Option<Window>,
    /// The last slow conversion: wall seconds, requested flag, instant. The
    /// search converts the same candidate several times in a row.
    memo: Option<(i64, Option<bool>, i64)>,
}

/// How far apart the C library probes for an instant with the requested
/// daylight-saving flag, and how far it looks (glibc's `mktime`).
const DST_PROBE_STRIDE: i64 = 601_200;
const DST_PROBE_BOUND: i64 = 536_454_000 / 2 + DST_PROBE_STRIDE;

impl<'a> WallClock<'a> {
    pub(super) fn new(zone: ClockZone<'a>) -> WallClock<'a> {
        WallClock {
            zone,
            last_offset: 0,
            window: None,
            memo: None,
        }
    }

    fn offset_at(&self, zone: &Zone, secs: i64) -> (i32, bool) {
        let o = zone.rules().offset_at(secs);
        (o.utc_offset, o.is_dst)
    }

    /// The wall-clock fields of instant `secs` (`localtime`).
    pub(super) fn localtime(&mut self, secs: i64) -> Tm {
        let offset = match self.zone {
            ClockZone::Utc => 0,
            ClockZone::Zone(zone) => {
                let offset = self.offset_at(zone, secs).0;
                // The search moves forward from here, mostly within a day.
                if self.offset_at(zone, secs + 86_400).0 == offset {
                    self.window = Some(Window {
                        lo: secs,
                        hi: secs + 86_400,
                        offset,
                    });
                }
                offset
            }
        };
        self.last_offset = offset;
        Tm::from_wall_secs(secs + i64::from(offset))
    }

    /// `tm` as `mktime` normalizes it. Fields in range in a stretch of known
    /// offset come back unchanged without a zone lookup.
    pub(super) fn normalize(&mut self, tm: &Tm, dst: Option<bool>) -> Tm {
        if dst.is_none() && tm.in_range() {
            match (self.zone, self.window) {
                (ClockZone::Utc, _) => return *tm,
                (ClockZone::Zone(_), Some(w)) => {
                    if (w.lo..=w.hi).contains(&(tm.wall_secs() - i64::from(w.offset))) {
                        self.last_offset = w.offset;
                        return *tm;
                    }
                }
                (ClockZone::Zone(_), None) => {}
            }
        }
        self.mktime(tm, dst).0
    }

    /// The instant of normalized fields `tm`, in seconds.
    pub(super) fn instant(&mut self, tm: &Tm, dst: Option<bool>) -> i64 {
        if dst.is_none() {
            match (self.zone, self.window) {
                (ClockZone::Utc, _) => return tm.wall_secs(),
                (ClockZone::Zone(_), Some(w)) => {
                    let t = tm.wall_secs() - i64::from(w.offset);
                    if (w.lo..=w.hi).contains(&t) {
                        return t;
                    }
                }
                (ClockZone::Zone(_), None) => {}
            }
        }
        self.mktime(tm, dst).1
    }

    /// Normalizes `tm` and returns it with its instant in seconds (`mktime`).
    /// `dst` is a daylight-saving flag the caller insists on, as
    /// `tm_isdst` = 0 or 1; `None` lets the zone decide (`tm_isdst` = -1).
    pub(super) fn mktime(&mut self, tm: &Tm, dst: Option<bool>) -> (Tm, i64) {
        let wall = tm.wall_secs();
        let zone = match self.zone {
            ClockZone::Utc => return (Tm::from_wall_secs(wall), wall),
            ClockZone::Zone(zone) => zone,
        };
        if dst.is_none() {
            if let Some(w) = self.window {
                let t = wall - i64::from(w.offset);
                if (w.lo..=w.hi).contains(&t) {
                    self.last_offset = w.offset;
                    return (Tm::from_wall_secs(wall), t);
                }
            }
        }
        let t = match self.memo {
            Some((w, d, t)) if w == wall && d == dst => t,
            _ => {
                let t = self.resolve(zone, wall, dst);
                self.memo = Some((wall, dst, t));
                t
            }
        };
        let offset = self.offset_at(zone, t).0;
        self.last_offset = offset;
        (Tm::from_wall_secs(t + i64::from(offset)), t)
    }

    /// The instant for wall-clock seconds `wall` in `zone`.
    fn resolve(&mut self, zone: &Zone, wall: i64, dst: Option<bool>) -> i64 {
        // Offsets change far less often than daily (the same assumption as
        // `Zone::from_civil`): equal offsets a day either side mean one offset
        // for the whole span, which later conversions can reuse.
        let before = self.offset_at(zone, wall - 86_400);
        let after = self.offset_at(zone, wall + 86_400);
        if before.0 == after.0 && dst.is_none() {
            let t = wall - i64::from(before.0);
            if self.offset_at(zone, t).0 == before.0 {
                self.window = Some(Window {
                    lo: wall - 86_400,
                    hi: wall + 86_400,
                    offset: before.0,
                });
                return t;
            }
        }
        let civil = CivilDateTime::from_utc_usec(wall.saturating_mul(1_000_000));
        match zone.from_civil(&civil) {
            LocalTime::Unique(t) => {
                let t = t.as_secs();
                match dst {
                    Some(want) if self.offset_at(zone, t).1 != want => {
                        self.probe_for_dst(zone, wall, t, want).unwrap_or(t)
                    }
                    _ => t,
                }
            }
            LocalTime::Ambiguous(first, second) => {
                let (first, second) = (first.as_secs(), second.as_secs());
                let first_dst = self.offset_at(zone, first).1;
                let second_dst = self.offset_at(zone, second).1;
                match dst {
                    Some(want) if first_dst == want && second_dst != want => first,
                    Some(want) if second_dst == want && first_dst != want => second,
                    _ => self.pick_occurrence(zone, wall, first, second),
                }
            }
            LocalTime::Gap(after_gap) => {
                // The two readings of the missing time: with the offset before
                // the jump (lands after the gap) and with the one after it
                // (lands before the gap). glibc takes the reading in
                // daylight-saving time, or, when a flag was asked for, the
                // reading whose flag differs from it.
                let after_gap = after_gap.as_secs();
                let (offset_after, after_dst) = self.offset_at(zone, after_gap);
                let before_gap = wall - i64::from(offset_after);
                let before_dst = self.offset_at(zone, before_gap).1;
                let prefer_dst = dst != Some(true);
                if after_dst != before_dst && before_dst == prefer_dst {
                    before_gap
                } else {
                    after_gap
                }
            }
        }
    }

    /// Which occurrence of a repeated wall time `mktime` lands on: it first
    /// tries the offset it used last, and settles where that guess leads.
    fn pick_occurrence(&self, zone: &Zone, wall: i64, first: i64, second: i64) -> i64 {
        let first_offset = wall - first;
        let second_offset = wall - second;
        let last = i64::from(self.last_offset);
        if last == first_offset {
            return first;
        }
        if last == second_offset {
            return second;
        }
        let guess = self.offset_at(zone, wall - last).0;
        if i64::from(guess) == second_offset {
            second
        } else {
            first
        }
    }

    /// glibc's answer when the flag asked for is not the one in force: the
    /// offset of the nearest instant (probing a week at a time) that has it.
    fn probe_for_dst(&self, zone: &Zone, wall: i64, t: i64, want: bool) -> Option<i64> {
        let mut delta = DST_PROBE_STRIDE;
        while delta < DST_PROBE_BOUND {
            for probe in [t - delta, t + delta] {
                let (offset, is_dst) = self.offset_at(zone, probe);
                if is_dst == want {
                    return Some(wall - i64::from(offset));
                }
            }
            delta += DST_PROBE_STRIDE;
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_carry_like_mktime() {
        let tm = Tm {
            year: 2024,
            month: 2,
            day: 30,
            hour: 24,
            minute: 0,
            second: 118,
        };
        let n = Tm::from_wall_secs(tm.wall_secs());
        assert_eq!(
            (n.year, n.month, n.day, n.hour, n.minute, n.second),
            (2024, 3, 2, 0, 1, 58)
        );
        let tm = Tm {
            year: 2024,
            month: 13,
            day: 0,
            hour: 0,
            minute: 0,
            second: 0,
        };
        let n = Tm::from_wall_secs(tm.wall_secs());
        assert_eq!((n.year, n.month, n.day), (2024, 12, 31));
    }
}
