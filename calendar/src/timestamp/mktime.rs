//! Wall-clock time to instant the way the GNU C library's `mktime()` does it,
//! because systemd's timestamp parser inherits its answers in DST gaps and
//! folds, and for an explicit daylight-saving flag (`12:00 CEST`).

use crate::zone::{Offset, Zone};

/// The instant (seconds) whose wall time in `zone` is `wall` (seconds since
/// the epoch of the wall time read as UTC), with `isdst` as `tm_isdst`
/// (`None` = -1, let the C library decide). `None` where glibc fails.
///
/// glibc starts from the wall time read as UTC (its offset guess in a fresh
/// process is zero) and iterates `t = wall - offset(t)`:
/// * a unique wall time converges to its instant;
/// * a repeated one converges to whichever occurrence the iteration meets
///   first: the later (standard-time) one east of Greenwich, the earlier one
///   west of it;
/// * a skipped one oscillates; glibc then settles on the daylight-saving side
///   (the wall time shifted forward) unless standard time was requested.
///
/// When the flag found differs from the one requested, glibc looks for the
/// nearest instant that has the requested flag and reads the wall time with
/// its offset (`2024-07-01 12:00` with `isdst = 0` in Berlin is 11:00 UTC).
pub(crate) fn mktime(zone: &Zone, wall: i64, isdst: Option<bool>) -> Option<i64> {
    let offset_at = |t: i64| zone.rules().offset_at(t);
    let local = |t: i64, o: Offset| t + i64::from(o.utc_offset);

    let (mut t, mut t1, mut t2) = (wall, wall, wall);
    let mut probes = 6;
    let found = loop {
        let offset = offset_at(t);
        let dt = wall - local(t, offset);
        if dt == 0 {
            break offset;
        }
        let prefer_this = match isdst {
            None => offset.is_dst,
            Some(want) => want != offset.is_dst,
        };
        if t == t1 && t != t2 && prefer_this {
            // Oscillating across a gap: "return a time that is DT away from
            // the requested time".
            return Some(t);
        }
        probes -= 1;
        if probes == 0 {
            return None;
        }
        (t1, t2, t) = (t2, t, t + dt);
    };

    match isdst {
        Some(want) if want != found.is_dst => {
            // glibc's probe distances: the shortest DST period on record, up to
            // half the longest one, in both directions.
            const STRIDE: i64 = 601_200;
            const DELTA_BOUND: i64 = 457_243_200 / 2 + STRIDE;
            let mut delta = STRIDE;
            while delta < DELTA_BOUND {
                for direction in [-1, 1] {
                    let ot = t + delta * direction;
                    let other = offset_at(ot);
                    if other.is_dst == want {
                        return Some(wall - i64::from(other.utc_offset));
                    }
                }
                delta += STRIDE;
            }
            None
        }
        _ => Some(t),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::civil::CivilDateTime;
    use crate::zone::{BundledZones, ZoneSource};

    fn wall(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> i64 {
        CivilDateTime {
            hour: h,
            minute: mi,
            ..CivilDateTime::date(y, mo, d)
        }
        .as_utc_usec()
            / 1_000_000
    }

    /// Expected values from Python's `time.mktime` (glibc 2.36), one call per
    /// fresh process.
    #[test]
    fn matches_glibc_in_gaps_and_folds() {
        let zones = BundledZones::new();
        // (zone, wall time, results for isdst = -1, 0, 1)
        type Case = (&'static str, (i32, u32, u32, u32, u32), [i64; 3]);
        let cases: &[Case] = &[
            (
                "Europe/Berlin",
                (2024, 3, 31, 2, 30),
                [1_711_848_600, 1_711_848_600, 1_711_845_000],
            ),
            (
                "Europe/Berlin",
                (2024, 10, 27, 2, 30),
                [1_729_992_600, 1_729_992_600, 1_729_989_000],
            ),
            (
                "America/New_York",
                (2024, 3, 10, 2, 30),
                [1_710_055_800, 1_710_055_800, 1_710_052_200],
            ),
            (
                "America/New_York",
                (2024, 11, 3, 1, 30),
                [1_730_611_800, 1_730_615_400, 1_730_611_800],
            ),
            (
                "Australia/Lord_Howe",
                (2024, 10, 6, 2, 15),
                [1_728_143_100, 1_728_143_100, 1_728_141_300],
            ),
            (
                "Australia/Lord_Howe",
                (2024, 4, 7, 1, 45),
                [1_712_416_500, 1_712_416_500, 1_712_414_700],
            ),
            (
                "Australia/Sydney",
                (2024, 4, 7, 2, 30),
                [1_712_421_000, 1_712_421_000, 1_712_417_400],
            ),
            (
                "Australia/Sydney",
                (2024, 10, 6, 2, 30),
                [1_728_145_800, 1_728_145_800, 1_728_142_200],
            ),
            (
                "Europe/Berlin",
                (2024, 7, 1, 12, 0),
                [1_719_828_000, 1_719_831_600, 1_719_828_000],
            ),
            (
                "Europe/Berlin",
                (2024, 1, 1, 12, 0),
                [1_704_106_800, 1_704_106_800, 1_704_103_200],
            ),
        ];
        for &(name, (y, mo, d, h, mi), expected) in cases {
            let zone = zones.load(name).expect("bundled zone");
            let w = wall(y, mo, d, h, mi);
            for (isdst, want) in [None, Some(false), Some(true)].into_iter().zip(expected) {
                assert_eq!(
                    mktime(&zone, w, isdst),
                    Some(want),
                    "{name} {y}-{mo}-{d} {h}:{mi} isdst={isdst:?}"
                );
            }
        }
    }

    #[test]
    fn no_daylight_saving_time_to_be_found() {
        let zone = BundledZones::new()
            .load("Asia/Tokyo")
            .expect("bundled zone");
        assert_eq!(mktime(&zone, wall(2024, 7, 1, 12, 0), Some(true)), None);
        assert_eq!(
            mktime(&zone, wall(2024, 7, 1, 12, 0), None),
            Some(1_719_802_800)
        );
    }
}
