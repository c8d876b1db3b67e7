//! When cron runs a job: the day rule, `matches`, and the calendar specs the
//! expression becomes, checked against what systemd 252 printed for them.

use super::*;
use crate::civil::{civil_from_days, days_from_civil};
use crate::zone::BundledZones;
use crate::{CalendarSpec, Timestamp, Zone};

fn expr_with(text: &str, options: &CronOptions) -> CronExpr {
    match CronSchedule::parse(text, options) {
        Ok(CronSchedule::Calendar(expr)) => expr,
        other => panic!("{text:?}: {other:?}"),
    }
}

fn expr(text: &str) -> CronExpr {
    expr_with(text, &CronOptions::default())
}

fn spec(text: &str) -> CalendarSpec {
    CalendarSpec::parse(text, &Zone::utc(), &BundledZones::new())
        .unwrap_or_else(|e| panic!("{text:?}: {e}"))
}

/// The days of 2024 on which `text` runs at midnight, as `MM-DD`.
fn days_of_2024(text: &str) -> Vec<String> {
    let e = expr(text);
    (days_from_civil(2024, 1, 1)..days_from_civil(2025, 1, 1))
        .map(civil_from_days)
        .filter(|&(y, m, d)| e.matches(&CivilDateTime::date(y, m, d)))
        .map(|(_, m, d)| format!("{m:02}-{d:02}"))
        .collect()
}

#[test]
fn both_day_fields_restricted_either_matches() {
    // Fridays and 13ths of September 2024: the 6th, 13th (a Friday the
    // 13th, run once), 20th and 27th.
    let september: Vec<String> = days_of_2024("0 0 13 * 5")
        .into_iter()
        .filter(|d| d.starts_with("09"))
        .collect();
    assert_eq!(september, ["09-06", "09-13", "09-20", "09-27"]);
    assert_eq!(days_of_2024("0 0 13 * 5").len(), 52 + 12 - 2);
    // The day-of-month field does not begin with `*`: every day.
    assert_eq!(days_of_2024("0 0 1-31 * 1").len(), 366);
    assert_eq!(days_of_2024("0 0 1 * 0-6").len(), 366);
    assert_eq!(days_of_2024("0 0 1,* * 1").len(), 366);
}

#[test]
fn a_day_field_beginning_with_star_makes_both_match() {
    // Mondays that are odd days of the month.
    let days = days_of_2024("0 0 */2 * 1");
    assert_eq!(&days[..4], ["01-01", "01-15", "01-29", "02-05"]);
    assert!(days
        .iter()
        .all(|d| d[3..].parse::<u32>().expect("day") % 2 == 1));
    assert_eq!(days_of_2024("0 0 * * 1").len(), 53);
    assert_eq!(days_of_2024("0 0 1 * *").len(), 12);
    // `*/1` and `*,…` begin with `*` too.
    assert_eq!(days_of_2024("0 0 13 * */1").len(), 12);
    assert_eq!(days_of_2024("0 0 *,13 * 5").len(), 52);
    // Sunday as 0 or 7, and ranges through it.
    assert_eq!(days_of_2024("0 0 * * 7"), days_of_2024("0 0 * * 0"));
    assert_eq!(
        days_of_2024("0 0 * * 5-7"),
        days_of_2024("0 0 * * fri,sat,sun")
    );
    assert_eq!(days_of_2024("0 0 * * 5-7").len(), 52 * 3);
}

#[test]
fn matches_to_the_second() {
    let at = |h, m, s, usec| CivilDateTime {
        hour: h,
        minute: m,
        second: s,
        usec,
        ..CivilDateTime::date(2024, 2, 29)
    };
    let e = expr("*/15 9 * * *");
    assert!(e.matches(&at(9, 45, 0, 0)));
    assert!(e.matches(&at(9, 45, 0, 999_999)));
    assert!(!e.matches(&at(9, 45, 1, 0)));
    assert!(!e.matches(&at(9, 44, 0, 0)));
    assert!(!e.matches(&at(10, 0, 0, 0)));
    let six = expr_with(
        "*/20 0 9 * * *",
        &CronOptions {
            seconds: true,
            seed: 0,
        },
    );
    assert!(six.matches(&at(9, 0, 40, 0)));
    assert!(!six.matches(&at(9, 0, 41, 0)));
    // Dates that do not exist never match.
    let mut feb_30 = CivilDateTime::date(2024, 2, 30);
    assert!(!expr("0 0 30 * *").matches(&feb_30));
    feb_30.day = 29;
    assert!(expr("0 0 29 * *").matches(&feb_30));
}

#[test]
fn wildcard_jobs() {
    for (text, wildcard) in [
        ("* 3 * * *", true),
        ("*/5 3 * * *", true),
        ("0 * * * *", true),
        ("0 */2 * * *", true),
        ("*,5 3 * * *", true),
        ("0-59 3 * * *", false),
        ("0 0-23 * * *", false),
        ("5,* 3 * * *", false),
        ("~ ~ * * *", false),
        ("0 3 * * *", false),
    ] {
        assert_eq!(expr(text).is_wildcard(), wildcard, "{text}");
    }
}

/// Expression, the specs it becomes, and their normal forms as
/// `systemd-analyze calendar` (systemd 252) printed them.
const TRANSLATIONS: &[(&str, &[(&str, &str)])] = &[
    ("* * * * *", &[("*-*-* *:*:00", "*-*-* *:*:00")]),
    ("*/15 * * * *", &[("*-*-* *:00/15:00", "*-*-* *:00/15:00")]),
    (
        "0-59/5 * * * *",
        &[("*-*-* *:00..55/5:00", "*-*-* *:00..55/5:00")],
    ),
    (
        "0-59 0-23 * * *",
        &[("*-*-* 00..23:00..59:00", "*-*-* 00..23:00..59:00")],
    ),
    (
        "*/20,5 * * * *",
        &[("*-*-* *:00/20,05:00", "*-*-* *:00/20,05:00")],
    ),
    (
        "5,*/20 * * * *",
        &[("*-*-* *:00,05,20,40:00", "*-*-* *:00,05,20,40:00")],
    ),
    ("*/60 3 * * *", &[("*-*-* 03:00:00", "*-*-* 03:00:00")]),
    ("0 */6 * * *", &[("*-*-* 00/6:00:00", "*-*-* 00/6:00:00")]),
    (
        "0 */23 * * *",
        &[("*-*-* 00,23:00:00", "*-*-* 00,23:00:00")],
    ),
    // Steps that do not divide the field are closed ranges (see below).
    (
        "*/7 */5 * * *",
        &[("*-*-* 00..20/5:00..56/7:00", "*-*-* 00..20/5:00..56/7:00")],
    ),
    (
        "0 0 13 * 5",
        &[
            ("*-*-13 00:00:00", "*-*-13 00:00:00"),
            ("Fri *-*-* 00:00:00", "Fri *-*-* 00:00:00"),
        ],
    ),
    (
        "0 0 */2 * 1",
        &[("Mon *-*-01..31/2 00:00:00", "Mon *-*-01..31/2 00:00:00")],
    ),
    ("0 0 1-31 * 1", &[("*-*-* 00:00:00", "*-*-* 00:00:00")]),
    (
        "0 0 * * 5-7",
        &[("Fri,Sat,Sun *-*-* 00:00:00", "Fri..Sun *-*-* 00:00:00")],
    ),
    ("0 0 31 2 *", &[("*-02-31 00:00:00", "*-02-31 00:00:00")]),
    (
        "0 0 */31 */12 *",
        &[("*-01-01 00:00:00", "*-01-01 00:00:00")],
    ),
    (
        "1,5,10-20/2 1-5 * jan-mar,dec sat-sun",
        &[(
            "Sat,Sun *-01..03,12-* 01..05:01,05,10,12,14,16,18,20:00",
            "Sat,Sun *-01..03,12-* 01..05:01,05,10,12,14,16,18,20:00",
        )],
    ),
    (
        "0 12 */3 * mon-fri",
        &[(
            "Mon,Tue,Wed,Thu,Fri *-*-01..31/3 12:00:00",
            "Mon..Fri *-*-01..31/3 12:00:00",
        )],
    ),
    ("*/10 * * * * *", &[("*-*-* *:*:00/10", "*-*-* *:*:00/10")]),
    (
        "*/7 * * * * *",
        &[("*-*-* *:*:00..56/7", "*-*-* *:*:00..56/7")],
    ),
    (
        "0-58/2 */2 * * * *",
        &[("*-*-* *:00/2:00..58/2", "*-*-* *:00/2:00..58/2")],
    ),
];

#[test]
fn translations_as_systemd_prints_them() {
    let options = CronOptions {
        seconds: true,
        seed: 0,
    };
    for (text, expected) in TRANSLATIONS {
        let specs = expr_with(text, &options).calendar_specs();
        let got: Vec<(String, String)> = specs
            .iter()
            .map(|s| (s.clone(), spec(s).to_string()))
            .collect();
        let expected: Vec<(String, String)> = expected
            .iter()
            .map(|(s, n)| (s.to_string(), n.to_string()))
            .collect();
        assert_eq!(got, expected, "{text}");
    }
}

/// The first five elapses of `spec_text` after `base` (Unix seconds), as
/// `YYYY-MM-DD HH:MM:SS` in UTC.
fn five_elapses(spec_text: &str, base: i64) -> Vec<String> {
    spec(spec_text)
        .iter_after(Timestamp::from_secs(base), &Zone::utc())
        .take(5)
        .map(|t| {
            let c = CivilDateTime::from_utc_usec(t.as_usec());
            format!(
                "{:04}-{:02}-{:02} {:02}:{:02}:{:02}",
                c.year, c.month, c.day, c.hour, c.minute, c.second
            )
        })
        .collect()
}

#[test]
fn elapses_as_systemd_computed_them() {
    // `systemd-analyze calendar --iterations=5 --base-time=…`.
    let feb_27_noon = 1_709_035_200; // 2024-02-27 12:00:00 UTC
    let oct_31_2050 = 1_698_785_400; // 2023-10-31 20:50:00 UTC
    let cases: &[(&str, i64, [&str; 5])] = &[
        (
            "Mon *-*-01..31/2 00:00:00",
            feb_27_noon,
            [
                "2024-03-11 00:00:00",
                "2024-03-25 00:00:00",
                "2024-04-01 00:00:00",
                "2024-04-15 00:00:00",
                "2024-04-29 00:00:00",
            ],
        ),
        (
            "*-02-29 00:00:00",
            feb_27_noon,
            [
                "2024-02-29 00:00:00",
                "2028-02-29 00:00:00",
                "2032-02-29 00:00:00",
                "2036-02-29 00:00:00",
                "2040-02-29 00:00:00",
            ],
        ),
        (
            "Mon,Tue,Wed,Thu,Fri *-*-01..31/3 12:00:00",
            feb_27_noon,
            [
                "2024-02-28 12:00:00",
                "2024-03-01 12:00:00",
                "2024-03-04 12:00:00",
                "2024-03-07 12:00:00",
                "2024-03-13 12:00:00",
            ],
        ),
        (
            "*-*-* *:00/2:00..58/2",
            feb_27_noon,
            [
                "2024-02-27 12:00:02",
                "2024-02-27 12:00:04",
                "2024-02-27 12:00:06",
                "2024-02-27 12:00:08",
                "2024-02-27 12:00:10",
            ],
        ),
        (
            "*-*-* 00..20/5:00..56/7:00",
            oct_31_2050,
            [
                "2023-10-31 20:56:00",
                "2023-11-01 00:00:00",
                "2023-11-01 00:07:00",
                "2023-11-01 00:14:00",
                "2023-11-01 00:21:00",
            ],
        ),
    ];
    for (text, base, expected) in cases {
        assert_eq!(five_elapses(text, *base), expected, "{text}");
    }
    assert_eq!(
        spec("*-02-31 00:00:00").next_after(Timestamp::from_secs(feb_27_noon), &Zone::utc()),
        None
    );
}

#[test]
fn open_repetitions_only_where_systemd_keeps_them_exact() {
    // systemd 252 after 2023-10-30 23:56:01: `*:00/7` overshoots to minute
    // 63, lands at 00:03 and skips midnight; the closed range does not.
    let before_midnight = 1_698_710_161;
    assert_eq!(
        five_elapses("*:00/7", before_midnight)[0],
        "2023-10-31 00:07:00"
    );
    assert_eq!(
        five_elapses("*:00..56/7", before_midnight)[0],
        "2023-10-31 00:00:00"
    );
    // Hours overshoot into the 1st of a month the same way.
    let oct_31_2100 = 1_698_786_001; // 2023-10-31 21:00:01
    assert_eq!(
        five_elapses("00/7:00", oct_31_2100)[0],
        "2023-11-01 07:00:00"
    );
    // A step that divides the field lands exactly on the next 00.
    assert_eq!(
        five_elapses("00/6:00", oct_31_2100)[0],
        "2023-11-01 00:00:00"
    );

    let specs = |text| expr(text).calendar_specs();
    assert_eq!(specs("*/7 * * * *"), ["*-*-* *:00..56/7:00"]);
    assert_eq!(specs("0 */7 * * *"), ["*-*-* 00..21/7:00:00"]);
    assert_eq!(specs("*/12 */8 * * *"), ["*-*-* 00/8:00/12:00"]);
}

/// The hour, minute and second components of a spec's normal form.
fn time_components(spec_text: &str) -> Vec<String> {
    let printed = spec(spec_text).to_string();
    let time = printed.rsplit(' ').next().expect("a time");
    time.split(':').map(str::to_owned).collect()
}

#[test]
fn wildcard_fields_stay_recognizable_in_the_normal_form() {
    let options = CronOptions {
        seconds: true,
        seed: 3,
    };
    let looks_wild = |c: &str| c == "*" || (c.starts_with("00/") && !c.contains(".."));
    // A field that begins with `*` looks wild unless it steps by a number
    // that does not divide the field.
    let marked = |set: &super::field::FieldSet, length: u32| match set.leading_star {
        Some(step) => step == 1 || (step < length && length % step == 0),
        None => false,
    };
    for text in [
        "* * * * *",
        "*/5 * * * *",
        "*/1 0-23 * * *",
        "0-59 0-23 * * *",
        "0-59/5 0-23/2 * * *",
        "0,5,10,15,20,25,30,35,40,45,50,55 */2 * * *",
        "0-58/2 */3 * * *",
        "*/20,5 0-22/2 * * *",
        "5,*/20 0,12 * * *",
        "0-59/1 1-23/1 * * *",
        "*/7 */5 * * *",
        "~ ~ * * *",
        "*/7 0-59/7 0-23/4 * * *",
        "*/30 0-59 * * * *",
        "0-59 * 0 * * *",
    ] {
        let e = expr_with(text, &options);
        for spec_text in e.calendar_specs() {
            let components = time_components(&spec_text);
            let wild = |i: usize| looks_wild(&components[i]);
            assert_eq!(wild(0), marked(&e.hour, 24), "{text}: {spec_text}");
            assert_eq!(wild(1), marked(&e.minute, 60), "{text}: {spec_text}");
            if let Some(second) = &e.second {
                assert_eq!(wild(2), marked(second, 60), "{text}: {spec_text}");
            }
        }
    }
}

#[test]
fn every_spec_parses_and_matches_its_elapses() {
    // A sample of forms; the oracle test in tests/cron_oracle.rs covers
    // thousands more.
    let utc = Zone::utc();
    let base = Timestamp::from_secs(1_704_067_200); // 2024-01-01
    for text in [
        "0 0 29 2 *",
        "0 0 30,31 2,4 *",
        "59 23 31 12 *",
        "0 0 1,15 * sat",
        "*/7 */5 */3 * *",
        "0 0 * feb sun",
        "@weekly",
    ] {
        let e = expr(text);
        for s in e.calendar_specs() {
            for t in spec(&s).iter_after(base, &utc).take(50) {
                let c = CivilDateTime::from_utc_usec(t.as_usec());
                assert!(e.matches(&c), "{text}: {s} elapses at {c:?}");
            }
        }
    }
}
