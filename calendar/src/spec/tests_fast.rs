//! The arithmetic search ([`super::fast`]) against the exact one
//! ([`super::walk`]): wherever the fast one answers, both agree. Bases are
//! drawn near the zones' changes of offset, where the two part ways, and
//! anywhere else.

use proptest::prelude::*;

use super::fast::{self, Fast};
use super::walk::exact_next_elapse;
use super::*;
use crate::zone::{local_zone, SystemZones};

const ZONES: [&str; 7] = [
    "Europe/Berlin",
    "Australia/Lord_Howe",
    "Australia/Sydney",
    "America/New_York",
    "America/Santiago",
    "Asia/Kolkata",
    "UTC",
];

fn zone(name: &str) -> Zone {
    static ZONES_SOURCE: OnceLock<SystemZones> = OnceLock::new();
    let source = ZONES_SOURCE.get_or_init(|| SystemZones::new(None));
    if name == "UTC" {
        return Zone::utc();
    }
    local_zone(Some(name), source)
}

/// Spec texts from pieces that exercise every step of the walk: weekdays,
/// ranges, repetitions that overshoot their field, days from the end of
/// the month, impossible dates and fractional seconds.
fn spec_text() -> impl Strategy<Value = String> {
    let weekdays = prop::sample::select(vec!["", "Mon ", "Mon..Fri ", "Sat,Sun ", "Tue,Thu "]);
    let year = prop::sample::select(vec!["*", "*", "*", "2024..2030", "2025", "2024/3"]);
    let month = prop::sample::select(vec![
        "*", "*", "*", "02", "1/5", "3,10", "4..10", "1..12/3", "11",
    ]);
    let day = prop::sample::select(vec![
        "-*", "-*", "-*", "-01", "-29", "-31", "-1..7", "-1/10", "-5/9", "~01", "~07", "~1..3",
        "~03/2", "-30",
    ]);
    let hour = prop::sample::select(vec![
        "*", "*", "00", "02", "03", "0/10", "08..18/2", "1,2,3", "0/7", "23", "2/3",
    ]);
    let minute = prop::sample::select(vec![
        "*", "00", "00", "0/15", "30", "0/50", "59", "15/20", "45",
    ]);
    let second = prop::sample::select(vec![
        "00", "00", "00", "*", "0/59", "0/20.5", "30.25", "10,40", "0/7",
    ]);
    (weekdays, year, month, day, hour, minute, second)
        .prop_map(|(w, y, mo, d, h, mi, s)| format!("{w}{y}-{mo}{d} {h}:{mi}:{s}"))
}

/// A base near one of the zone's changes of offset (within a few days or a
/// few hours, by the second), or anywhere from 1970 to 2199, or from year
/// 5 to 1970.
fn base(zone: &Zone) -> impl Strategy<Value = Timestamp> {
    let starts: Vec<i64> = match zone.transition_table() {
        Some(table) => (1..table.len()).map(|i| table.span(i).start).collect(),
        None => Vec::new(),
    };
    let near = |reach: i64| {
        if starts.is_empty() {
            Just(0i64).boxed()
        } else {
            (prop::sample::select(starts.clone()), -reach..reach)
                .prop_map(|(t, d)| t + d)
                .boxed()
        }
    };
    prop_oneof![
        near(4 * 86_400),
        near(6 * 3600),
        0i64..7_258_118_400,
        -62_000_000_000i64..0
    ]
    .prop_flat_map(|s| (Just(s), prop_oneof![Just(0i64), 0i64..1_000_000]))
    .prop_map(|(s, us)| Timestamp::from_usec(s * 1_000_000 + us))
}

/// The fast answer if it has one, checked against the exact search.
fn agree(spec: &CalendarSpec, after: Timestamp, zone: &Zone) -> Result<bool, TestCaseError> {
    let fast_zone = (zone.name() != "UTC").then_some(zone);
    let Fast::Answer(fast) = fast::next_elapse(spec, after, fast_zone) else {
        return Ok(false);
    };
    let exact = exact_next_elapse(spec, after, zone);
    prop_assert_eq!(
        fast,
        exact,
        "{} after {} in {}",
        spec,
        after.as_usec(),
        zone.name()
    );
    Ok(true)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(5000))]

    #[test]
    fn fast_search_agrees_with_the_exact_one(
        (name, text, after) in prop::sample::select(ZONES.to_vec())
            .prop_flat_map(|name| (Just(name), spec_text(), base(&zone(name))))
    ) {
        let zone = zone(name);
        let spec = CalendarSpec::parse(&text, &zone, &SystemZones::new(None));
        prop_assume!(spec.is_ok());
        let spec = spec.expect("checked");
        // A few elapses in a row, as a timer asks for them.
        let mut after = after;
        for _ in 0..4 {
            agree(&spec, after, &zone)?;
            match exact_next_elapse(&spec, after, &zone) {
                Some(next) => after = next,
                None => break,
            }
        }
    }
}

/// The fast search answers nearly always away from changes of offset, also
/// when the answer lies beyond several of them, and leaves the wall times
/// right at a change to the exact search.
#[test]
fn fast_search_answers_away_from_changes() {
    let berlin = zone("Europe/Berlin");
    let zones = SystemZones::new(None);
    let parse = |text: &str| CalendarSpec::parse(text, &berlin, &zones).expect("valid");
    let answered = |spec: &CalendarSpec, secs: i64| {
        matches!(
            fast::next_elapse(spec, Timestamp::from_secs(secs), Some(&berlin)),
            Fast::Answer(_)
        )
    };
    // Fri 2024-03-15 12:34:56 UTC, two weeks before summer time.
    let mid_march = 1_710_506_096;
    for text in [
        "minutely",
        "daily",
        "Mon..Fri 09:00",
        "*-*-01 00:00",
        "quarterly",
    ] {
        assert!(answered(&parse(text), mid_march), "{text}");
    }
    // The next 02-29 lies four years and eight changes ahead.
    assert!(answered(&parse("*-02-29"), mid_march));
    // 2024-03-31 00:40 UTC, 20 minutes before the clocks jump: 02:30 is
    // skipped, and so is the fast answer.
    assert!(!answered(&parse("*-*-* 02:30"), 1_711_845_600));
    // In the repeated hour of 2024-10-27.
    assert!(!answered(&parse("*:0/10"), 1_729_992_600));
}

/// Years without a matching day are skipped in one step; the answers (and
/// where systemd gives up or never fires) stay those of the exact search.
#[test]
fn rare_and_impossible_dates_agree() {
    let zones = SystemZones::new(None);
    let texts = [
        "*-02-29",
        "Mon *-02-29",
        "Fri *-02-29 12:00",
        "*-02-30",
        "*-04-31",
        "Sun *-*-31 03:00",
        "2030/3-02-29",
        "Sat 2100..2199-02-29",
        "Mon,Tue *-02,11-29..31",
    ];
    for name in [
        "UTC",
        "Europe/Berlin",
        "America/Santiago",
        "Australia/Lord_Howe",
    ] {
        let zone = zone(name);
        for text in texts {
            let spec = CalendarSpec::parse(text, &zone, &zones).expect("valid");
            for secs in [
                i64::MIN / 1_000_000,
                -70_000_000_000,
                -30_000_000_000,
                0,
                951_782_400,
                1_710_506_096,
                4_102_444_800,
                7_000_000_000,
            ] {
                let after = Timestamp::from_secs(secs);
                let fast_zone = (name != "UTC").then_some(&zone);
                let exact = exact_next_elapse(&spec, after, &zone);
                match fast::next_elapse(&spec, after, fast_zone) {
                    Fast::Answer(fast) => assert_eq!(fast, exact, "{text} after {secs} in {name}"),
                    // In UTC the fast search answers from 1970 on; before,
                    // it may leave systemd's iteration limit to the exact one.
                    Fast::Unsure => {
                        assert!(name != "UTC" || secs < 0, "{text} after {secs} in UTC")
                    }
                }
            }
        }
    }
}
