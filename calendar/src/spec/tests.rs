//! Tables of calendar expressions and their normalized forms and elapses
//! (`systemd-analyze calendar`), each row as systemd 252 printed it, plus
//! error positions and messages.

use super::*;
use crate::civil::CivilDateTime;
use crate::error::InputKind;
use crate::zone::{local_zone, LocalTime, SystemZones};

fn zones() -> SystemZones {
    SystemZones::new(None)
}

fn parse_in(input: &str, local: &Zone) -> Result<CalendarSpec, ParseError> {
    CalendarSpec::parse(input, local, &zones())
}

fn parse_utc(input: &str) -> CalendarSpec {
    parse_in(input, &Zone::utc()).unwrap_or_else(|e| panic!("{input:?}: {e}"))
}

/// `YYYY-MM-DD HH:MM:SS` of `t` in `zone`, whole seconds.
fn civil_text(t: Timestamp, zone: &Zone) -> String {
    let c = zone.to_civil(t);
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02}:{:02}",
        c.year, c.month, c.day, c.hour, c.minute, c.second
    )
}

/// The instant of wall time `text` (`YYYY-MM-DD HH:MM[:SS]`) in `zone`, the
/// first occurrence when it is ambiguous.
fn wall(text: &str, zone: &Zone) -> Timestamp {
    let (date, time) = text.split_once(' ').expect("date and time");
    let d: Vec<u32> = date
        .split('-')
        .map(|p| p.parse().expect("number"))
        .collect();
    let t: Vec<u32> = time
        .split(':')
        .map(|p| p.parse().expect("number"))
        .collect();
    let civil = CivilDateTime {
        year: d[0] as i32,
        month: d[1],
        day: d[2],
        hour: t[0],
        minute: t[1],
        second: t.get(2).copied().unwrap_or(0),
        usec: 0,
    };
    match zone.from_civil(&civil) {
        LocalTime::Unique(t) | LocalTime::Ambiguous(t, _) | LocalTime::Gap(t) => t,
    }
}

/// Elapses after `base` in `local`, as `YYYY-MM-DD HH:MM:SS ABBR`.
fn elapses(spec: &CalendarSpec, base: Timestamp, local: &Zone, n: usize) -> Vec<String> {
    spec.iter_after(base, local)
        .take(n)
        .map(|t| format!("{} {}", civil_text(t, local), local.abbreviation_at(t)))
        .collect()
}

include!("tests_table_1_8.rs");

#[test]
fn table_1_8_normalized_forms_and_elapses() {
    let utc = Zone::utc();
    let base = wall("2024-02-28 23:59:59", &utc);
    for &(input, normalized, expected) in TABLE_1_8 {
        let spec = parse_utc(input);
        assert_eq!(spec.to_string(), normalized, "{input:?}");
        let got: Vec<String> = spec
            .iter_after(base, &utc)
            .take(expected.len().max(1))
            .map(|t| civil_text(t, &utc))
            .collect();
        assert_eq!(got, expected, "{input:?}");
    }
}

#[test]
fn table_1_8_rejections() {
    for &input in REJECTED_1_8 {
        let err = parse_in(input, &Zone::utc()).expect_err(input);
        assert_eq!(err.kind, InputKind::Calendar);
        assert!(err.offset <= input.len(), "{input:?}: {err}");
        assert!(!err.reason.is_empty());
    }
}

#[test]
fn section_1_5_rejections() {
    for input in [
        "2200-01-01",
        "1969-12-31",
        "*-*~29",
        "*-*~03..01",
        "*:*:0/60",
        "*-12/1-*",
        "*-*-31/1",
        "*-*~01/1",
        "*-*~28/28",
        "*:*:0.5..1",
        "*:*:*/5",
        "2024-02-29T12:00",
        "*/5:00",
        "12:00 UTC+1",
        "Mon.Tue",
        "Mondays",
        "Mon..Wed..Fri",
        "Mon-Wed-Fri",
        "Mon-",
        "-Mon",
        "Mon,",
        "*:*:59.9999995",
        "@-1",
        "@18446744073709551615",
        "@1700000000.5",
        "2024-01-01 Mon",
        "*~02-03",
        "*-*-*-",
        "12:00:00:00",
        "1,,2:00",
        "*,5:00",
        "",
        " UTC",
        "UTC",
    ] {
        if input == "Mon," {
            // A trailing comma is allowed.
            assert!(parse_in(input, &Zone::utc()).is_ok());
            continue;
        }
        assert!(
            parse_in(input, &Zone::utc()).is_err(),
            "{input:?} should be rejected"
        );
    }
}

#[test]
fn shorthands_section_1_2() {
    for (input, normalized) in [
        ("minutely", "*-*-* *:*:00"),
        ("hourly", "*-*-* *:00:00"),
        ("daily", "*-*-* 00:00:00"),
        ("weekly", "Mon *-*-* 00:00:00"),
        ("monthly", "*-*-01 00:00:00"),
        ("yearly", "*-01-01 00:00:00"),
        ("annually", "*-01-01 00:00:00"),
        ("anually", "*-01-01 00:00:00"),
        ("quarterly", "*-01,04,07,10-01 00:00:00"),
        ("semiannually", "*-01,07-01 00:00:00"),
        ("semi-annually", "*-01,07-01 00:00:00"),
        ("biannually", "*-01,07-01 00:00:00"),
        ("BI-ANNUALLY", "*-01,07-01 00:00:00"),
        (
            "weekly Pacific/Auckland",
            "Mon *-*-* 00:00:00 Pacific/Auckland",
        ),
    ] {
        assert_eq!(parse_utc(input).to_string(), normalized, "{input:?}");
    }
    for input in ["daily 12:00", "Mon daily", "weekly Mon", "dailyy", "daily,"] {
        assert!(parse_in(input, &Zone::utc()).is_err(), "{input:?}");
    }
}

#[test]
fn printing_rules_section_1_4() {
    for (input, normalized) in [
        (
            "Sat,Thu,Mon..Wed,Sat..Sun",
            "Mon..Thu,Sat,Sun *-*-* 00:00:00",
        ),
        ("Mon-Wed,Fri", "Mon..Wed,Fri *-*-* 00:00:00"),
        ("Mon,Sat..Sun", "Mon,Sat,Sun *-*-* 00:00:00"),
        ("Mon..Mon", "Mon *-*-* 00:00:00"),
        ("1..5,3..7:00", "*-*-* 01..05,03..07:00:00"),
        ("3,1,2,1:00", "*-*-* 01,02,03:00:00"),
        ("*-*-1..35/7", "*-*-01..29/7 00:00:00"),
        ("5..9/5:00", "*-*-* 05:00:00"),
        ("*:*:0/1,5.5", "*-*-* *:*:*"),
        ("*:*:1.25..3/0.5", "*-*-* *:*:01.250000..02.750000/0.500000"),
        ("*-*~*", "*-*-* 00:00:00"),
        ("@+5", "1970-01-01 00:00:05 UTC"),
        ("@ 5", "1970-01-01 00:00:05 UTC"),
        ("@-0", "1970-01-01 00:00:00 UTC"),
        ("Mon @1700000000", "Mon 2023-11-14 22:13:20 UTC"),
        ("@1700000000 Europe/Berlin", "2023-11-14 22:13:20 UTC"),
        ("12:00 Etc/UTC", "*-*-* 12:00:00 Etc/UTC"),
        ("2024-01-01 ", "2024-01-01 00:00:00"),
        ("Mon  ", "Mon *-*-* 00:00:00"),
        ("Mon,   12:00", "Mon *-*-* 12:00:00"),
        ("Mon   2024-01-01    12:00", "Mon 2024-01-01 12:00:00"),
    ] {
        assert_eq!(parse_utc(input).to_string(), normalized, "{input:?}");
    }
}

#[test]
fn whitespace_rules() {
    for input in [
        "12:00 ",
        " 12:00",
        "12:00  UTC",
        "Mon\t12:00",
        "*-*-*\t12:00",
    ] {
        assert!(parse_in(input, &Zone::utc()).is_err(), "{input:?}");
    }
}

#[test]
fn at_most_241_entries_per_list() {
    let list = |n: usize| vec!["1"; n].join(",");
    assert!(parse_in(&format!("*:*:{}", list(241)), &Zone::utc()).is_ok());
    let err = parse_in(&format!("*:*:{}", list(242)), &Zone::utc()).expect_err("242 entries");
    assert_eq!(err.offset, 4 + 241 * 2);
}

#[test]
fn errors_point_at_the_offending_token() {
    for (input, offset, reason) in [
        (
            "Mnday 12:00",
            0,
            "expected a weekday or a date, found 'Mnday'",
        ),
        ("Mon Mnday", 4, "expected a date or a time, found 'Mnday'"),
        ("Mondays", 0, "expected a weekday, found 'Mondays'"),
        ("Mon,,Tue", 4, "expected a weekday after ',', found ',Tue'"),
        (
            "Mon..",
            5,
            "expected a weekday to end the range, found end of input",
        ),
        (
            "Fri..Mon",
            0,
            "weekday range 'Fri..Mon' must go from an earlier to a later day",
        ),
        ("12", 2, "expected ':' after the hour, found end of input"),
        (
            "12:00 ",
            5,
            "expected ':' or the end after the minute, found ' '",
        ),
        ("24:00", 0, "hour 24 is out of range 0..23"),
        ("*:0,60", 4, "minute 60 is out of range 0..59"),
        ("2024-13-01", 5, "month 13 is out of range 1..12"),
        (
            "*:*:0/60",
            4,
            "repetition /60 is longer than the second range 0..59.999999",
        ),
        ("10..9:00", 0, "hour range 10..9 ends before it starts"),
        (
            "*:59/1",
            2,
            "'59/1' would pass the last minute 59 before repeating",
        ),
        (
            "*-*~01/1",
            4,
            "'~1/1' would step past the end of the month before repeating",
        ),
        ("*:*:0/0", 5, "a repetition must be greater than zero"),
        (
            "2024-02-29T12:00",
            10,
            "expected ',', '-', '~', ':' or a space after a number, found 'T12:00'",
        ),
        ("1969-12-31", 0, "year 1969 is out of range 1970..2199"),
        (
            "@1700000000.5",
            11,
            "expected nothing after '@SECONDS', found '.5'",
        ),
        (
            "12:00 Nowhere/Zone",
            6,
            "expected a time zone, found unknown zone 'Nowhere/Zone'",
        ),
        (
            "12:00 Europe/berlin",
            6,
            "expected a time zone, found unknown zone 'Europe/berlin'",
        ),
        (
            "Mon 12:00 UTC+1",
            10,
            "expected a time zone, found unknown zone 'UTC+1'",
        ),
    ] {
        let err = parse_in(input, &Zone::utc()).expect_err(input);
        assert_eq!(
            (err.offset, err.reason.as_str()),
            (offset, reason),
            "{input:?}"
        );
        assert_eq!(err.input, input);
    }
}

/// One row of table 1.9: zone, base (local wall time or `@epoch`), spec, its
/// normalized form and the elapses as printed in the zone.
struct DstRow {
    tz: &'static str,
    base: &'static str,
    input: &'static str,
    normalized: &'static str,
    elapses: &'static [&'static str],
}

const fn row(
    tz: &'static str,
    base: &'static str,
    input: &'static str,
    normalized: &'static str,
    elapses: &'static [&'static str],
) -> DstRow {
    DstRow {
        tz,
        base,
        input,
        normalized,
        elapses,
    }
}

const BERLIN: &str = "Europe/Berlin";

const TABLE_1_9: &[DstRow] = &[
    row(
        BERLIN,
        "2024-03-30 12:00",
        "02:30",
        "*-*-* 02:30:00",
        &[
            "2024-04-01 02:30:00 CEST",
            "2024-04-02 02:30:00 CEST",
            "2024-04-03 02:30:00 CEST",
        ],
    ),
    row(
        BERLIN,
        "2024-03-30 12:00",
        "*-*-* 02:00",
        "*-*-* 02:00:00",
        &[
            "2024-04-01 02:00:00 CEST",
            "2024-04-02 02:00:00 CEST",
            "2024-04-03 02:00:00 CEST",
        ],
    ),
    row(
        BERLIN,
        "2024-03-30 12:00",
        "*-*-* 03:00",
        "*-*-* 03:00:00",
        &[
            "2024-03-31 03:00:00 CEST",
            "2024-04-01 03:00:00 CEST",
            "2024-04-02 03:00:00 CEST",
        ],
    ),
    row(
        BERLIN,
        "2024-03-30 12:00",
        "2024-03-31 02:30",
        "2024-03-31 02:30:00",
        &[],
    ),
    row(
        BERLIN,
        "2024-03-30 12:00",
        "*-*-31 02:30",
        "*-*-31 02:30:00",
        &[
            "2024-05-31 02:30:00 CEST",
            "2024-07-31 02:30:00 CEST",
            "2024-08-31 02:30:00 CEST",
        ],
    ),
    row(
        BERLIN,
        "2024-03-30 12:00",
        "02:30 Europe/Berlin",
        "*-*-* 02:30:00 Europe/Berlin",
        &[
            "2024-04-01 02:30:00 CEST",
            "2024-04-02 02:30:00 CEST",
            "2024-04-03 02:30:00 CEST",
        ],
    ),
    row(
        BERLIN,
        "2024-03-31 00:10",
        "hourly",
        "*-*-* *:00:00",
        &[
            "2024-03-31 01:00:00 CET",
            "2024-03-31 03:00:00 CEST",
            "2024-03-31 04:00:00 CEST",
            "2024-03-31 05:00:00 CEST",
            "2024-03-31 06:00:00 CEST",
        ],
    ),
    row(
        BERLIN,
        "2024-03-31 00:10",
        "*:30",
        "*-*-* *:30:00",
        &[
            "2024-03-31 00:30:00 CET",
            "2024-03-31 01:30:00 CET",
            "2024-03-31 03:30:00 CEST",
            "2024-03-31 04:30:00 CEST",
            "2024-03-31 05:30:00 CEST",
        ],
    ),
    row(
        BERLIN,
        "2024-03-31 00:10",
        "*-*-* 01..04:15",
        "*-*-* 01..04:15:00",
        &[
            "2024-03-31 01:15:00 CET",
            "2024-03-31 03:15:00 CEST",
            "2024-03-31 04:15:00 CEST",
            "2024-04-01 01:15:00 CEST",
            "2024-04-01 02:15:00 CEST",
        ],
    ),
    row(
        BERLIN,
        "2024-10-27 01:10",
        "hourly",
        "*-*-* *:00:00",
        &[
            "2024-10-27 02:00:00 CEST",
            "2024-10-27 03:00:00 CET",
            "2024-10-27 04:00:00 CET",
            "2024-10-27 05:00:00 CET",
            "2024-10-27 06:00:00 CET",
        ],
    ),
    row(
        BERLIN,
        "2024-10-27 01:10",
        "*:30",
        "*-*-* *:30:00",
        &[
            "2024-10-27 01:30:00 CEST",
            "2024-10-27 02:30:00 CEST",
            "2024-10-27 03:30:00 CET",
            "2024-10-27 04:30:00 CET",
            "2024-10-27 05:30:00 CET",
        ],
    ),
    row(
        BERLIN,
        "2024-10-27 01:10",
        "02:30",
        "*-*-* 02:30:00",
        &[
            "2024-10-27 02:30:00 CEST",
            "2024-10-28 02:30:00 CET",
            "2024-10-29 02:30:00 CET",
            "2024-10-30 02:30:00 CET",
            "2024-10-31 02:30:00 CET",
        ],
    ),
    row(
        BERLIN,
        "2024-10-27 01:10",
        "*-*-* 02:00/20:00",
        "*-*-* 02:00/20:00",
        &[
            "2024-10-27 02:00:00 CEST",
            "2024-10-27 02:20:00 CEST",
            "2024-10-27 02:40:00 CEST",
            "2024-10-28 02:00:00 CET",
            "2024-10-28 02:20:00 CET",
        ],
    ),
    row(
        BERLIN,
        "2024-10-27 01:10",
        "2024-10-27 02:30",
        "2024-10-27 02:30:00",
        &["2024-10-27 02:30:00 CEST"],
    ),
    row(
        BERLIN,
        "@1729993200",
        "02:30",
        "*-*-* 02:30:00",
        &[
            "2024-10-28 02:30:00 CET",
            "2024-10-29 02:30:00 CET",
            "2024-10-30 02:30:00 CET",
        ],
    ),
    row(
        BERLIN,
        "@1729993200",
        "hourly",
        "*-*-* *:00:00",
        &[
            "2024-10-27 03:00:00 CET",
            "2024-10-27 04:00:00 CET",
            "2024-10-27 05:00:00 CET",
        ],
    ),
    row(
        BERLIN,
        "@1729993200",
        "*:50",
        "*-*-* *:50:00",
        &[
            "2024-10-27 02:50:00 CET",
            "2024-10-27 03:50:00 CET",
            "2024-10-27 04:50:00 CET",
        ],
    ),
    row(
        BERLIN,
        "@1729993200",
        "*:*:00/15",
        "*-*-* *:*:00/15",
        &[
            "2024-10-27 02:40:15 CET",
            "2024-10-27 02:40:30 CET",
            "2024-10-27 02:40:45 CET",
        ],
    ),
    row(
        BERLIN,
        "@1729989600",
        "*:50",
        "*-*-* *:50:00",
        &[
            "2024-10-27 02:50:00 CEST",
            "2024-10-27 03:50:00 CET",
            "2024-10-27 04:50:00 CET",
        ],
    ),
    row(
        BERLIN,
        "@1729989600",
        "*:00/15",
        "*-*-* *:00/15:00",
        &[
            "2024-10-27 02:45:00 CEST",
            "2024-10-27 03:00:00 CET",
            "2024-10-27 03:15:00 CET",
        ],
    ),
    row(
        "Australia/Sydney",
        "2019-10-06 00:00",
        "02/4:30",
        "*-*-* 02/4:30:00",
        &[
            "2019-10-06 06:30:00 AEDT",
            "2019-10-06 10:30:00 AEDT",
            "2019-10-06 14:30:00 AEDT",
            "2019-10-06 18:30:00 AEDT",
        ],
    ),
    row(
        BERLIN,
        "2024-02-28 23:59:59",
        "12:00 CET",
        "*-*-* 12:00:00 CET",
        &["2024-02-29 12:00:00 CET", "2024-03-01 12:00:00 CET"],
    ),
    row(
        BERLIN,
        "2024-02-28 23:59:59",
        "12:00 CEST",
        "*-*-* 12:00:00 CEST",
        &[],
    ),
    row(
        BERLIN,
        "2024-06-01 00:00",
        "12:00 CET",
        "*-*-* 12:00:00 CET",
        &[],
    ),
    row(
        BERLIN,
        "2024-06-01 00:00",
        "12:00 CEST",
        "*-*-* 12:00:00 CEST",
        &["2024-06-01 12:00:00 CEST", "2024-06-02 12:00:00 CEST"],
    ),
    row(
        BERLIN,
        "2024-06-01 00:00",
        "12:00",
        "*-*-* 12:00:00",
        &["2024-06-01 12:00:00 CEST", "2024-06-02 12:00:00 CEST"],
    ),
    row(
        BERLIN,
        "2024-03-30 00:00",
        "12:00 CET",
        "*-*-* 12:00:00 CET",
        &["2024-03-30 12:00:00 CET"],
    ),
    row(
        "UTC",
        "2024-02-29 00:00:00",
        "daily",
        "*-*-* 00:00:00",
        &["2024-03-01 00:00:00 UTC", "2024-03-02 00:00:00 UTC"],
    ),
    row(
        "UTC",
        "2024-02-29 00:00:00",
        "*:*:*",
        "*-*-* *:*:*",
        &["2024-02-29 00:00:01 UTC", "2024-02-29 00:00:02 UTC"],
    ),
    row(
        "UTC",
        "2199-12-30 12:00",
        "daily",
        "*-*-* 00:00:00",
        &["2199-12-31 00:00:00 UTC"],
    ),
    row("UTC", "2199-12-30 12:00", "yearly", "*-01-01 00:00:00", &[]),
    row(
        "UTC",
        "2199-12-30 12:00",
        "*-02-29",
        "*-02-29 00:00:00",
        &[],
    ),
];

#[test]
fn table_1_9_dst_strictly_after_and_year_limit() {
    let zones = zones();
    for r in TABLE_1_9 {
        let local = local_zone(Some(r.tz), &zones);
        let base = match r.base.strip_prefix('@') {
            Some(secs) => Timestamp::from_secs(secs.parse().expect("epoch")),
            None => wall(r.base, &local),
        };
        let spec = parse_in(r.input, &local).unwrap_or_else(|e| panic!("{}: {e}", r.input));
        assert_eq!(spec.to_string(), r.normalized, "{} in {}", r.input, r.tz);
        // One more than listed: the lists end where systemd found no more.
        let n = if r.elapses.len() < 3 {
            r.elapses.len() + 1
        } else {
            r.elapses.len()
        };
        let got = elapses(&spec, base, &local, n);
        let expected: Vec<&str> = r.elapses.to_vec();
        assert_eq!(
            got[..got.len().min(r.elapses.len())],
            expected[..],
            "{} in {} from {}",
            r.input,
            r.tz,
            r.base
        );
        if r.elapses.len() < 3
            && !r.input.starts_with("12:00")
            && r.input != "daily"
            && r.input != "*:*:*"
        {
            assert_eq!(
                got.len(),
                r.elapses.len(),
                "{} in {}: no more elapses",
                r.input,
                r.tz
            );
        }
    }
}

#[test]
fn just_before_midnight_fires_at_midnight() {
    let utc = Zone::utc();
    let spec = parse_utc("daily");
    let base = Timestamp::from_usec(wall("2024-02-29 00:00:00", &utc).as_usec() - 1);
    assert_eq!(
        civil_text(spec.next_after(base, &utc).expect("elapse"), &utc),
        "2024-02-29 00:00:00"
    );
}

#[test]
fn fractional_seconds_fire_at_the_microsecond() {
    let utc = Zone::utc();
    let base = wall("2024-02-28 23:59:59", &utc);
    let spec = parse_utc("*:*:0/0.5");
    let next = spec.next_after(base, &utc).expect("elapse");
    assert_eq!(next.as_usec() - base.as_usec(), 500_000);
    let spec = parse_utc("*:*:0/1,5.5");
    let base = wall("2024-02-28 23:59:05", &utc);
    assert_eq!(
        spec.next_after(base, &utc).expect("elapse").as_usec() - base.as_usec(),
        500_000
    );
}

#[test]
fn systemd_quirk_repetitions_overshooting_a_month_boundary() {
    // Recorded from systemd-analyze 252 (TZ=UTC): a repetition that overshoots
    // its field carries into the next day without resetting the hour when the
    // month or year changes.
    let utc = Zone::utc();
    for (input, base, expected) in [
        (
            "0/10:00",
            "2024-03-31 21:00",
            [
                "2024-04-01 10:00:00",
                "2024-04-01 20:00:00",
                "2024-04-02 00:00:00",
            ],
        ),
        (
            "0/10:00",
            "2024-12-31 21:00",
            [
                "2025-01-01 10:00:00",
                "2025-01-01 20:00:00",
                "2025-01-02 00:00:00",
            ],
        ),
        (
            "0/5:00",
            "2024-12-31 21:00",
            [
                "2025-01-01 05:00:00",
                "2025-01-01 10:00:00",
                "2025-01-01 15:00:00",
            ],
        ),
        (
            "*-*-1/7",
            "2024-12-30 00:00",
            [
                "2025-01-08 00:00:00",
                "2025-01-15 00:00:00",
                "2025-01-22 00:00:00",
            ],
        ),
        (
            "*:*:0/59",
            "2024-12-31 21:00",
            [
                "2024-12-31 21:00:59",
                "2024-12-31 21:01:00",
                "2024-12-31 21:01:59",
            ],
        ),
    ] {
        let spec = parse_utc(input);
        let got: Vec<String> = spec
            .iter_after(wall(base, &utc), &utc)
            .take(3)
            .map(|t| civil_text(t, &utc))
            .collect();
        assert_eq!(got, expected, "{input:?} from {base}");
    }
}

#[test]
fn dst_gap_at_midnight_is_skipped_not_looped() {
    // systemd 252 loops ("Infinite loop in calendar calculation") here; the
    // missing midnight is skipped like any other missing wall time.
    let local = local_zone(Some("America/Santiago"), &zones());
    let spec = parse_in("00/2:00", &local).expect("valid");
    let base = Timestamp::from_secs(1_725_767_700); // 2024-09-08 03:55 UTC
    let next = spec.next_after(base, &local).expect("an elapse");
    assert_eq!(civil_text(next, &local), "2024-09-08 02:00:00");
}

#[test]
fn local_abbreviations_are_printed_as_the_zone_spells_them() {
    let local = local_zone(Some(BERLIN), &zones());
    assert_eq!(
        parse_in("12:00 cet", &local).expect("valid").to_string(),
        "*-*-* 12:00:00 CET"
    );
    assert_eq!(
        parse_in("daily CEST", &local).expect("valid").to_string(),
        "*-*-* 00:00:00 CEST"
    );
    // Only with a space before it, and not on its own.
    assert!(parse_in("CET", &local).is_err());
    // With TZ=UTC the word is the zone file CET.
    let spec = parse_in("12:00 CET", &Zone::utc()).expect("valid");
    assert_eq!(spec.zone().map(Zone::name), Some("CET"));
}

#[test]
fn zone_accessor() {
    assert_eq!(parse_utc("daily UTC").zone().map(Zone::name), Some("UTC"));
    assert_eq!(
        parse_utc("daily Asia/Tokyo").zone().map(Zone::name),
        Some("Asia/Tokyo")
    );
    assert!(parse_utc("daily").zone().is_none());
}

#[test]
fn equality_follows_the_normalized_form() {
    assert_eq!(parse_utc("Mon..Sun 12:00"), parse_utc("12:00"));
    assert_eq!(parse_utc("*:*:0/1,5.5"), parse_utc("*:*:*"));
    assert_eq!(parse_utc("3,1,2,1:00"), parse_utc("1,2,3:00"));
    assert_ne!(parse_utc("12:00 UTC"), parse_utc("12:00"));
    assert_ne!(parse_utc("1,3:00"), parse_utc("1..3:00"));
    for input in [
        "quarterly",
        "Sat,Thu,Mon..Wed,Sat..Sun",
        "*-*~07/2 1:2:3.5",
        "@1700000000",
    ] {
        let spec = parse_utc(input);
        assert_eq!(parse_utc(&spec.to_string()), spec, "{input:?}");
    }
}

#[test]
fn base_beyond_year_9999_never_elapses() {
    let spec = parse_utc("minutely");
    assert_eq!(
        spec.next_after(Timestamp::from_secs(253_402_214_400), &Zone::utc()),
        None
    );
}

/// systemd 252 lowers the last allowed `~` day by three for every further
/// entry of the sorted list (found by the differential test).
#[test]
fn end_of_month_lists_lose_three_days_per_entry() {
    for accepted in [
        "*-*~1,25",
        "*-*~10,25",
        "*-*~1..3,25",
        "*-*~28,28",
        "*-11~28..28",
        "*-*~3,18",
        "*-*~26..27",
        "*-*~01..27",
        "*-*-14,28",
    ] {
        assert!(
            parse_in(accepted, &Zone::utc()).is_ok(),
            "{accepted:?} should be accepted"
        );
    }
    for rejected in [
        "*-*~1,26",
        "*-11~14,28",
        "*-*~1,2,24",
        "*-*~1,2,25",
        "*-*~25,1/1",
        "*-*~3,28/3",
        "*-11~28..28,14/6",
        "Sat..Sat,Friday..Saturday *-11~28..28,14/6,28",
        "WED,Wed 2034..2037-05~24,04,16 11..18,03,23..23:*",
        "2021-*~28,05..10 *:50",
        "2036..2036-1~03,28..28,19 *:*:31",
    ] {
        assert!(
            parse_in(rejected, &Zone::utc()).is_err(),
            "{rejected:?} should be rejected"
        );
    }
    // The error points at the entry as written: `28` is the list's second
    // entry once sorted, and the first one written.
    let err = parse_in("*-*~28,1", &Zone::utc()).expect_err("rejected");
    assert_eq!(err.offset, 4);
}

/// In a repeated hour, systemd's `~` lookups (mktime of a day in the next
/// month, in winter time) switch glibc's remembered offset, so `*-*~05 *:*`
/// fires in the second 02:31 while `*:*` fires in the first (found by the
/// differential test, Berlin 2024-10-27 from 00:30 UTC).
#[test]
fn end_of_month_lookups_steer_the_repeated_hour() {
    let local = local_zone(Some(BERLIN), &zones());
    let base = Timestamp::from_secs(1_729_989_000); // 2024-10-27 00:30 UTC
    let first = |input: &str| {
        let spec = parse_in(input, &local).expect("valid");
        spec.next_after(base, &local).expect("an elapse").as_secs()
    };
    assert_eq!(first("*-*~05 *:*"), 1_729_992_660); // 02:31 CET
    assert_eq!(
        first("Sunday-Sunday,Mon..Mon 11,08..11,12..12~1,21/20,5..23/15 *:*"),
        1_729_992_660
    );
    assert_eq!(first("*:*"), 1_729_989_060); // 02:31 CEST
}

/// systemd 252.38 refuses a match that comes out before the start (a wall
/// time pushed back across a gap) and goes on an hour later: Lord Howe
/// skips 02:00-02:30 on 2024-10-06, and from 01:55 `*:0/15` fires at 02:30.
#[test]
fn matches_before_the_start_move_on_an_hour() {
    let local = local_zone(Some("Australia/Lord_Howe"), &zones());
    let spec = parse_in("*:0/15", &local).expect("valid");
    let base = Timestamp::from_secs(1_728_141_900); // 01:55 +1030
    let got: Vec<i64> = spec
        .iter_after(base, &local)
        .take(3)
        .map(Timestamp::as_secs)
        .collect();
    // 02:30, 02:45, 03:00 +11
    assert_eq!(got, [1_728_142_200, 1_728_143_100, 1_728_144_000]);
}

/// A spec lives as long as its timer (100,000 of them in a big manager):
/// its six lists are one allocation, and the zone's rare forms are boxed.
#[test]
fn a_spec_is_compact() {
    let size = std::mem::size_of::<CalendarSpec>();
    eprintln!("CalendarSpec: {size} bytes inline");
    assert!(
        size <= 136,
        "CalendarSpec is {size} bytes inline (272 with a Vec per list)"
    );
    let utc = Zone::utc();
    let spec = CalendarSpec::parse(
        "Mon,Fri *-*-1,15 3,9:00:10 UTC",
        &utc,
        &crate::zone::BundledZones::new(),
    )
    .unwrap();
    assert_eq!(
        spec.lists.len(),
        2 + 2 + 1 + 1,
        "{spec}: one slice of all lists"
    );
    assert_eq!(spec.day(), [Component::value(1), Component::value(15)]);
    assert_eq!(spec.second(), [Component::value(10 * USEC_PER_SEC)]);
    assert_eq!(spec.to_string(), "Mon,Fri *-*-01,15 03,09:00:10 UTC");
}
