//! Wall-clock time to instant the way the GNU C library's `mktime()` does it,
//! because systemd's timestamp parser inherits its answers in DST gaps and
//! folds, and for an explicit daylight-saving flag (`12:00 CEST`). The
//! conversion itself is the one calendar searches use (`crate::wall`).

use crate::zone::Zone;

/// The instant (seconds) whose wall time in `zone` is `wall` (seconds since
/// the epoch of the wall time read as UTC), with `isdst` as `tm_isdst`
/// (`None` = -1, let the C library decide). `None` where glibc fails.
pub(crate) fn mktime(zone: &Zone, wall: i64, isdst: Option<bool>) -> Option<i64> {
    crate::wall::mktime_once(zone.rules(), wall, isdst)
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

    /// With no daylight-saving time near, glibc assumes it would be one hour
    /// ahead: `TZ=Asia/Tokyo python3 -c 'import time;
    /// print(time.mktime((2024,7,1,12,0,0,0,0,1)))'` prints 1719799200.
    #[test]
    fn no_daylight_saving_time_to_be_found() {
        let zone = BundledZones::new()
            .load("Asia/Tokyo")
            .expect("bundled zone");
        assert_eq!(
            mktime(&zone, wall(2024, 7, 1, 12, 0), Some(true)),
            Some(1_719_799_200)
        );
        assert_eq!(
            mktime(&zone, wall(2024, 7, 1, 12, 0), None),
            Some(1_719_802_800)
        );
    }
}
