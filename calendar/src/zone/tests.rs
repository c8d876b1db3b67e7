//! Zone sources against known transitions, and the two sources against each
//! other.

use std::path::{Path, PathBuf};

use super::*;
use crate::civil::CivilDateTime;
use crate::timestamp::Timestamp;

const ZONEINFO: &str = "/usr/share/zoneinfo";

fn system() -> SystemZones {
    SystemZones::new(None)
}

fn civil(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> CivilDateTime {
    CivilDateTime {
        hour: h,
        minute: mi,
        ..CivilDateTime::date(y, mo, d)
    }
}

fn secs(t: i64) -> Timestamp {
    Timestamp::from_secs(t)
}

/// Offset and abbreviation just before and at `t`.
fn around(zone: &Zone, t: i64) -> ((i32, String), (i32, String)) {
    let at = |s: i64| {
        (
            zone.offset_at(secs(s)).utc_offset,
            zone.abbreviation_at(secs(s)),
        )
    };
    (at(t - 1), at(t))
}

fn both_sources() -> Vec<Box<dyn ZoneSource>> {
    vec![Box::new(system()), Box::new(BundledZones::new())]
}

#[test]
fn berlin_2024_transitions() {
    for zones in both_sources() {
        let berlin = zones.load("Europe/Berlin").expect("Europe/Berlin exists");
        assert_eq!(
            around(&berlin, 1_711_846_800),
            ((3600, "CET".into()), (7200, "CEST".into()))
        );
        assert_eq!(
            around(&berlin, 1_729_990_800),
            ((7200, "CEST".into()), (3600, "CET".into()))
        );
        assert!(berlin.offset_at(secs(1_711_846_800)).is_dst);
        assert_eq!(
            berlin.abbreviations(),
            ("CET".to_owned(), Some("CEST".to_owned()))
        );
        assert!(!berlin.is_utc());
    }
}

#[test]
fn lord_howe_half_hour_dst() {
    for zones in both_sources() {
        let lh = zones
            .load("Australia/Lord_Howe")
            .expect("Australia/Lord_Howe exists");
        // 2024-04-07 02:00 +11 -> 01:30 +1030; 2024-10-06 02:00 +1030 -> 02:30 +11.
        assert_eq!(
            around(&lh, 1_712_415_600),
            ((39_600, "+11".into()), (37_800, "+1030".into()))
        );
        assert_eq!(
            around(&lh, 1_728_142_200),
            ((37_800, "+1030".into()), (39_600, "+11".into()))
        );
        assert_eq!(
            lh.abbreviations(),
            ("+1030".to_owned(), Some("+11".to_owned()))
        );
    }
}

#[test]
fn sydney_and_kolkata() {
    for zones in both_sources() {
        let sydney = zones
            .load("Australia/Sydney")
            .expect("Australia/Sydney exists");
        assert_eq!(
            around(&sydney, 1_712_419_200),
            ((39_600, "AEDT".into()), (36_000, "AEST".into()))
        );
        assert_eq!(
            around(&sydney, 1_728_144_000),
            ((36_000, "AEST".into()), (39_600, "AEDT".into()))
        );
        let kolkata = zones.load("Asia/Kolkata").expect("Asia/Kolkata exists");
        assert_eq!(kolkata.offset_at(secs(1_719_835_200)).utc_offset, 19_800);
        assert_eq!(kolkata.abbreviation_at(secs(1_719_835_200)), "IST");
        // glibc's tzname comes from the last transitions, not the footer:
        // India's daylight-saving time of 1942-1945 was called +0630.
        assert_eq!(
            kolkata.abbreviations(),
            ("IST".to_owned(), Some("+0630".to_owned()))
        );
        assert!(!kolkata.is_utc());
    }
}

/// glibc's `tzname` after `tzset()` names the latest standard and
/// daylight-saving transitions, however old, and not the footer rule.
#[test]
fn c_library_names_come_from_the_last_transitions() {
    let pair = |std: &str, dst: Option<&str>| (std.to_owned(), dst.map(str::to_owned));
    for zones in both_sources() {
        let names = |name: &str| zones.load(name).expect("zone exists").abbreviations();
        assert_eq!(names("Asia/Tokyo"), pair("JST", Some("JDT")));
        assert_eq!(names("Europe/Moscow"), pair("MSK", Some("MSD")));
        assert_eq!(names("Europe/Berlin"), pair("CET", Some("CEST")));
        assert_eq!(names("Asia/Dubai"), pair("+04", None));
    }
    // A POSIX rule has only its own names.
    let jst = local_zone(Some("JST-9"), &BundledZones::new());
    assert_eq!(jst.abbreviations(), pair("JST", None));
}

#[test]
fn from_civil_gap_fold_and_unique() {
    for zones in both_sources() {
        let berlin = zones.load("Europe/Berlin").expect("Europe/Berlin exists");
        // 02:30 does not exist on 2024-03-31; read with CET it is 01:30 UTC.
        assert_eq!(
            berlin.from_civil(&civil(2024, 3, 31, 2, 30)),
            LocalTime::Gap(secs(1_711_848_600))
        );
        assert_eq!(
            berlin.from_civil(&civil(2024, 10, 27, 2, 30)),
            LocalTime::Ambiguous(secs(1_729_989_000), secs(1_729_992_600))
        );
        assert_eq!(
            berlin.from_civil(&civil(2024, 10, 27, 3, 0)),
            LocalTime::Unique(secs(1_729_994_400))
        );
        assert_eq!(
            berlin.from_civil(&civil(2024, 3, 31, 3, 0)),
            LocalTime::Unique(secs(1_711_846_800))
        );
        assert_eq!(
            berlin.from_civil(&civil(2024, 3, 31, 1, 59)),
            LocalTime::Unique(secs(1_711_846_740))
        );

        let lh = zones
            .load("Australia/Lord_Howe")
            .expect("Australia/Lord_Howe exists");
        // 02:15 is skipped on 2024-10-06; read with +1030 it is 15:45 UTC.
        assert_eq!(
            lh.from_civil(&civil(2024, 10, 6, 2, 15)),
            LocalTime::Gap(secs(1_728_143_100))
        );
        // 01:45 happens at +11 and again at +1030 on 2024-04-07.
        assert_eq!(
            lh.from_civil(&civil(2024, 4, 7, 1, 45)),
            LocalTime::Ambiguous(secs(1_712_414_700), secs(1_712_416_500))
        );
        assert_eq!(
            lh.from_civil(&civil(2024, 4, 7, 2, 0)),
            LocalTime::Unique(secs(1_712_417_400))
        );

        let kolkata = zones.load("Asia/Kolkata").expect("Asia/Kolkata exists");
        assert_eq!(
            kolkata.from_civil(&civil(2024, 7, 1, 17, 30)),
            LocalTime::Unique(secs(1_719_835_200))
        );
    }
}

#[test]
fn from_civil_round_trips_outside_transitions() {
    let zones = system();
    for name in ["Europe/Berlin", "Australia/Lord_Howe", "America/New_York"] {
        let zone = zones.load(name).expect("zone exists");
        for t in (1_600_000_000..1_800_000_000).step_by(3_600 * 7 + 13) {
            let t = secs(t);
            match zone.from_civil(&zone.to_civil(t)) {
                LocalTime::Unique(u) => assert_eq!(u, t, "{name} {t}"),
                LocalTime::Ambiguous(a, b) => assert!(a == t || b == t, "{name} {t}"),
                LocalTime::Gap(_) => panic!("{name}: an observed wall time is never in a gap"),
            }
        }
    }
}

/// The sample zones of the cross-check: both hemispheres, half and quarter
/// hours, zones that dropped DST, zones that never had it.
const SAMPLE_ZONES: [&str; 20] = [
    "Europe/Berlin",
    "Europe/London",
    "Europe/Moscow",
    "America/New_York",
    "America/Los_Angeles",
    "America/Sao_Paulo",
    "America/St_Johns",
    "America/Santiago",
    "Asia/Kolkata",
    "Asia/Kathmandu",
    "Asia/Tokyo",
    "Asia/Tehran",
    "Australia/Sydney",
    "Australia/Lord_Howe",
    "Australia/Adelaide",
    "Pacific/Auckland",
    "Pacific/Chatham",
    "Pacific/Apia",
    "Africa/Cairo",
    "UTC",
];

#[test]
fn bundled_and_system_agree() {
    let system = system();
    let bundled = BundledZones::new();
    if !Path::new(ZONEINFO).join("Europe/Berlin").exists() {
        eprintln!("no tz database at {ZONEINFO}; the system source is the bundled one");
        return;
    }
    for name in SAMPLE_ZONES {
        let on_disk = system.load(name).expect("zone on disk");
        let compiled = bundled.load(name).expect("zone bundled");
        // 1990 to 2199 (systemd's calendar limit), every 5 days and 7 hours.
        for t in (631_152_000..7_258_118_400).step_by(86_400 * 5 + 3_600 * 7) {
            let t = secs(t);
            assert_eq!(
                on_disk.offset_at(t).utc_offset,
                compiled.offset_at(t).utc_offset,
                "{name} at {t}"
            );
            assert_eq!(
                on_disk.abbreviation_at(t),
                compiled.abbreviation_at(t),
                "{name} at {t}"
            );
        }
        assert_eq!(on_disk.abbreviations(), compiled.abbreviations(), "{name}");
        assert_eq!(
            on_disk.rules().standard_offset(),
            compiled.rules().standard_offset(),
            "{name}"
        );
    }
}

#[test]
fn zones_are_parsed_once_per_source() {
    for zones in both_sources() {
        let a = zones.load("Europe/Berlin").expect("Europe/Berlin exists");
        let b = zones.load("Europe/Berlin").expect("Europe/Berlin exists");
        assert!(std::ptr::addr_eq(a.rules(), b.rules()));
    }
}

#[test]
fn names_are_validated_like_systemd() {
    let zones = system();
    for bad in [
        "",
        "/etc/localtime",
        "Europe/",
        "Europe//Berlin",
        "../zoneinfo/UTC",
        "Europe/./Berlin",
        "Europe/Berlin ",
        "zone.tab",
    ] {
        assert!(zones.load(bad).is_none(), "{bad:?} must be rejected");
    }
    // Case matters, as on disk.
    assert!(zones.load("europe/berlin").is_none());
    assert!(zones.load("Etc/GMT+5").is_some());
}

/// A scratch directory unique to this test process.
fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("sundial-zone-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir is writable");
    dir
}

#[test]
fn non_tzif_files_fall_back_to_bundled_data() {
    let dir = scratch("tzdir");
    std::fs::create_dir_all(dir.join("Europe")).expect("temp dir is writable");
    std::fs::write(dir.join("Europe/Berlin"), b"not a zone file").expect("writable");
    std::fs::write(dir.join("Bogus"), b"not a zone file").expect("writable");
    std::fs::copy(
        Path::new(ZONEINFO).join("Asia/Tokyo"),
        dir.join("Home_Zone"),
    )
    .ok();
    let zones = SystemZones::from_tzdir_env(Some(dir.to_str().expect("utf-8 temp dir")));
    assert_eq!(zones.dir(), dir);
    let berlin = zones.load("Europe/Berlin").expect("bundled fallback");
    assert_eq!(berlin.abbreviation_at(secs(1_719_835_200)), "CEST");
    assert!(zones.load("Bogus").is_none());
    if dir.join("Home_Zone").exists() {
        let home = zones.load("Home_Zone").expect("read from TZDIR");
        assert_eq!(home.abbreviation_at(secs(0)), "JST");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn local_zone_reads_tz_like_glibc() {
    let zones = system();
    let july = secs(1_719_835_200);
    let berlin = local_zone(Some(":Europe/Berlin"), &zones);
    assert_eq!(berlin.name(), "Europe/Berlin");
    assert_eq!(berlin.abbreviation_at(july), "CEST");
    assert_eq!(local_zone(Some("Europe/Berlin"), &zones), berlin);
    assert!(local_zone(Some("UTC"), &zones).is_utc());
    assert!(local_zone(Some(""), &zones).is_utc());
    assert!(local_zone(Some(":"), &zones).is_utc());

    let rule = local_zone(Some("CET-1CEST,M3.5.0,M10.5.0/3"), &zones);
    assert_eq!(rule.name(), "CET-1CEST,M3.5.0,M10.5.0/3");
    assert_eq!(
        around(&rule, 1_711_846_800),
        ((3600, "CET".into()), (7200, "CEST".into()))
    );
    assert_eq!(
        rule.abbreviations(),
        ("CET".to_owned(), Some("CEST".to_owned()))
    );

    let est = local_zone(Some("EST5EDT"), &zones);
    assert_eq!(est.abbreviation_at(july), "EDT");
    assert_eq!(est.offset_at(july).utc_offset, -4 * 3600);

    let jst = local_zone(Some("JST-9"), &zones);
    assert_eq!(
        (jst.offset_at(july).utc_offset, jst.is_utc()),
        (9 * 3600, false)
    );

    let foo = local_zone(Some("Foo/Bar"), &zones);
    assert_eq!(
        (foo.abbreviation_at(july).as_str(), foo.is_utc()),
        ("Foo", true)
    );

    if Path::new(ZONEINFO).join("Asia/Kolkata").exists() {
        let path = local_zone(Some("/usr/share/zoneinfo/Asia/Kolkata"), &zones);
        assert_eq!(path.name(), "Asia/Kolkata");
        assert_eq!(path.offset_at(july).utc_offset, 19_800);
    }
}

#[test]
fn unset_tz_reads_etc_localtime() {
    let kolkata = Path::new(ZONEINFO).join("Asia/Kolkata");
    if !kolkata.exists() {
        return;
    }
    let dir = scratch("localtime");
    let link = dir.join("localtime-link");
    let copy = dir.join("localtime-copy");
    std::os::unix::fs::symlink(&kolkata, &link).expect("symlink in temp dir");
    std::fs::copy(&kolkata, &copy).expect("copy into temp dir");

    let linked = local_zone(None, &system().with_localtime(&link));
    assert_eq!(linked.name(), "Asia/Kolkata");
    assert_eq!(linked.offset_at(secs(0)).utc_offset, 19_800);
    let copied = local_zone(None, &system().with_localtime(&copy));
    assert_eq!(copied.name(), "localtime");
    assert_eq!(copied.offset_at(secs(0)).utc_offset, 19_800);
    let missing = local_zone(None, &system().with_localtime(dir.join("none")));
    assert!(missing.is_utc());
    // Without file access there is no /etc/localtime: UTC, as glibc does.
    assert!(local_zone(None, &BundledZones::new()).is_utc());
    let _ = std::fs::remove_dir_all(&dir);
}

/// Every span the system source reports holds one offset from its first to
/// its last second, for transitions from the file and from the footer rule
/// alike, and footer-rule spans end at the rule's transitions.
#[test]
fn offset_spans_hold_one_offset() {
    let zones = system();
    let mut checked = 0;
    for name in [
        "Europe/Berlin",
        "Australia/Lord_Howe",
        "America/New_York",
        "America/Santiago",
        "Pacific/Auckland",
        "Asia/Kolkata",
        "Europe/Moscow",
        "UTC",
        "CET-1CEST,M3.5.0,M10.5.0/3",
        "<+1030>-10:30<+11>-11,M10.1.0,M4.1.0",
        "EST5EDT,J60/2,J300/2",
        "AAA3BBB,0/0,364/0",
    ] {
        let zone = local_zone(Some(name), &zones);
        let mut t = 0i64;
        while t < 7_258_118_400 {
            let span = zone.rules().offset_span(t);
            let offset = zone.rules().offset_at(t);
            assert!(span.contains(t), "{name} at {t}: {span:?}");
            assert_eq!(span.offset, offset, "{name} at {t}");
            let last = span.end.saturating_sub(1).min(t + 400 * 86_400);
            let first = span.start.max(t - 400 * 86_400);
            for probe in [first, (first + t) / 2, (t + last) / 2, last] {
                assert_eq!(
                    zone.rules().offset_at(probe),
                    offset,
                    "{name}: {probe} in {span:?}"
                );
            }
            checked += 1;
            t += 630_000 + (t % 86_399);
        }
    }
    assert!(checked > 1000);
    // The footer rule of a TZif file gives exact transitions: Berlin
    // 2150-03-29 01:00 UTC to 2150-10-25 01:00 UTC.
    let berlin = zones.load("Europe/Berlin").expect("Berlin");
    let summer = berlin.rules().offset_span(5_694_000_000);
    assert_eq!((summer.start, summer.end), (5_687_802_000, 5_705_946_000));
}
