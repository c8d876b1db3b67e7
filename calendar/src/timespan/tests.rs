//! Time spans against `systemd-analyze timespan` (systemd 252): every
//! expected value below was printed by it for the input on the left.

use super::*;
use crate::timestamp::Timestamp;

/// `(input, Ok((µs, Human: line)))`, or `Err(out_of_range)` for a rejection
/// (`true`: "Numerical result out of range", `false`: "Invalid argument").
/// What the oracle printed: `Ok((µs, human))` or `Err(out_of_range)`.
type Expected = Result<(u64, &'static str), bool>;

const ORACLE: &[(&str, Expected)] = &[
    ("5usec", Ok((5, "5us"))),
    ("5us", Ok((5, "5us"))),
    ("5µs", Ok((5, "5us"))),
    ("5μs", Ok((5, "5us"))),
    ("5msec", Ok((5000, "5ms"))),
    ("5ms", Ok((5000, "5ms"))),
    ("5seconds", Ok((5000000, "5s"))),
    ("5second", Ok((5000000, "5s"))),
    ("5sec", Ok((5000000, "5s"))),
    ("5s", Ok((5000000, "5s"))),
    ("5minutes", Ok((300000000, "5min"))),
    ("5minute", Ok((300000000, "5min"))),
    ("5min", Ok((300000000, "5min"))),
    ("5m", Ok((300000000, "5min"))),
    ("5hours", Ok((18000000000, "5h"))),
    ("5hour", Ok((18000000000, "5h"))),
    ("5hr", Ok((18000000000, "5h"))),
    ("5h", Ok((18000000000, "5h"))),
    ("5days", Ok((432000000000, "5d"))),
    ("5day", Ok((432000000000, "5d"))),
    ("5d", Ok((432000000000, "5d"))),
    ("5weeks", Ok((3024000000000, "1month 4d 13h 30min"))),
    ("5week", Ok((3024000000000, "1month 4d 13h 30min"))),
    ("5w", Ok((3024000000000, "1month 4d 13h 30min"))),
    ("5months", Ok((13149000000000, "5month"))),
    ("5month", Ok((13149000000000, "5month"))),
    ("5M", Ok((13149000000000, "5month"))),
    ("5years", Ok((157788000000000, "5y"))),
    ("5year", Ok((157788000000000, "5y"))),
    ("5y", Ok((157788000000000, "5y"))),
    ("1h 30min", Ok((5400000000, "1h 30min"))),
    ("5", Ok((5000000, "5s"))),
    ("1.5", Ok((1500000, "1.500000s"))),
    (".5s", Ok((500000, "500ms"))),
    (".5", Ok((500000, "500ms"))),
    ("48hr", Ok((172800000000, "2d"))),
    ("1y 12month", Ok((63115200000000, "2y"))),
    ("86400", Ok((86400000000, "1d"))),
    ("3600.5", Ok((3600500000, "1h 500ms"))),
    ("123456789us", Ok((123456789, "2min 3.456789s"))),
    ("1.5h", Ok((5400000000, "1h 30min"))),
    ("1.5w", Ok((907200000000, "1w 3d 12h"))),
    ("1.123456789s", Ok((1123456, "1.123456s"))),
    ("0.0000001s", Ok((0, "0"))),
    ("1h 1h", Ok((7200000000, "2h"))),
    ("300ms20s 5day", Ok((432020300000, "5d 20.300000s"))),
    ("10sec 10", Ok((20000000, "20s"))),
    ("55s500ms", Ok((55500000, "55.500000s"))),
    ("2 h", Ok((7200000000, "2h"))),
    ("1 h30min", Ok((5400000000, "1h 30min"))),
    ("infinity", Ok((18446744073709551615, "infinity"))),
    (" infinity ", Ok((18446744073709551615, "infinity"))),
    ("  1s  ", Ok((1000000, "1s"))),
    ("+5s", Ok((5000000, "5s"))),
    ("12.34 .56", Ok((12900000, "12.900000s"))),
    ("1m5", Ok((65000000, "1min 5s"))),
    ("1d1", Ok((86401000000, "1d 1s"))),
    ("1 y 5", Ok((31557605000000, "1y 5s"))),
    ("5 5", Ok((10000000, "10s"))),
    ("1w 1.5M", Ok((4549500000000, "1month 3w 1d 5h 15min"))),
    ("0", Ok((0, "0"))),
    ("0s", Ok((0, "0"))),
    ("00", Ok((0, "0"))),
    ("007s", Ok((7000000, "7s"))),
    ("1.000001s", Ok((1000001, "1.000001s"))),
    ("59.999999s", Ok((59999999, "59.999999s"))),
    ("60s", Ok((60000000, "1min"))),
    ("61.5s", Ok((61500000, "1min 1.500000s"))),
    ("3599.999999s", Ok((3599999999, "59min 59.999999s"))),
    ("1.5ms", Ok((1500, "1.500ms"))),
    ("1.5us", Ok((1, "1us"))),
    ("2.5min", Ok((150000000, "2min 30s"))),
    ("0.5d", Ok((43200000000, "12h"))),
    ("1.25y", Ok((39447000000000, "1y 3month"))),
    ("0.1M", Ok((262980000000, "3d 1h 3min"))),
    (
        "9223372036854775807us",
        Ok((9223372036854775807, "292271y 1w 1d 10h 54.775807s")),
    ),
    ("584541y", Ok((18446711061600000000, "584541y"))),
    (
        "1y 1month 1w 1d 1h 1min 1s 1ms 1us",
        Ok((34882261001001, "1y 1month 1w 1d 1h 1min 1.001001s")),
    ),
    ("999ms", Ok((999000, "999ms"))),
    ("1000ms", Ok((1000000, "1s"))),
    ("1001ms", Ok((1001000, "1.001000s"))),
    ("1.0005s", Ok((1000500, "1.000500s"))),
    ("0.001s", Ok((1000, "1ms"))),
    ("0.0015s", Ok((1500, "1.500ms"))),
    (
        "100000000000000us",
        Ok((100000000000000, "3y 2month 18h 46min 40s")),
    ),
    ("3.9999999s", Ok((3999999, "3.999999s"))),
    ("1.9h", Ok((6840000000, "1h 54min"))),
    ("\t5s\n", Ok((5000000, "5s"))),
    ("5\ts", Ok((5000000, "5s"))),
    ("1s\r", Ok((1000000, "1s"))),
    ("infinityx", Err(false)),
    ("5secs", Err(false)),
    ("5.s", Err(false)),
    ("5.", Err(false)),
    ("600000y", Err(true)),
    ("600000y.", Err(true)),
    ("18446744073709551615us", Err(true)),
    ("9223372036854775808us", Err(true)),
    ("+-5", Err(false)),
    ("5 -5", Err(true)),
    ("", Err(false)),
    (" ", Err(false)),
    ("5S", Err(false)),
    ("3.h", Err(false)),
    ("2.5e", Err(false)),
    ("1e3", Err(false)),
    ("0x10", Err(false)),
    ("12.34.56", Err(false)),
    ("-5s", Err(true)),
    ("-0", Err(true)),
    ("5,5s", Err(false)),
    ("5 s,", Err(false)),
    ("now", Err(false)),
    ("1H", Err(false)),
    ("5Sec", Err(false)),
    ("5mins", Err(false)),
    ("infinity 5", Err(false)),
    ("5 infinity", Err(false)),
    (".", Err(false)),
    ("..5", Err(false)),
    ("5..", Err(false)),
    ("1.2.3s", Err(false)),
    ("5 . 5", Err(false)),
    ("s", Err(false)),
    ("ms", Err(false)),
    ("5 ss", Err(false)),
    ("5sm", Err(false)),
    ("584542y", Err(true)),
    ("1 2 3 4", Ok((10000000, "10s"))),
    ("1.5 2.5", Ok((4000000, "4s"))),
    ("++5", Err(false)),
    ("+ 5", Err(false)),
    ("5+", Err(false)),
    ("5s+5s", Ok((10000000, "10s"))),
    ("  ", Err(false)),
    ("5m s", Err(false)),
    ("1µ", Err(false)),
    ("1μ", Err(false)),
];

#[test]
fn parse_and_format_match_systemd_analyze() {
    for &(input, expected) in ORACLE {
        let got = Timespan::parse(input);
        match (expected, got) {
            (Ok((usec, human)), Ok(span)) => {
                assert_eq!(span.as_usec(), usec, "µs of {input:?}");
                assert_eq!(span.to_string(), human, "Human: of {input:?}");
            }
            (Err(range), Err(err)) => {
                assert_eq!(is_out_of_range(&err), range, "errno of {input:?}: {err}");
                assert!(err.offset <= input.len(), "offset of {input:?}");
            }
            (expected, got) => panic!("{input:?}: expected {expected:?}, got {got:?}"),
        }
    }
}

#[test]
fn display_round_trips_through_parse() {
    for &(input, expected) in ORACLE {
        if expected.is_ok() {
            let span = Timespan::parse(input).expect("valid per the oracle");
            assert_eq!(Timespan::parse(&span.to_string()), Ok(span), "{input:?}");
        }
    }
}

#[test]
fn errors_point_at_the_offending_term() {
    let err = Timespan::parse("1h 5x").expect_err("unknown unit");
    assert_eq!(err.offset, 4);
    assert_eq!(err.reason, "unknown unit 'x'");
    let err = Timespan::parse("1h -5s").expect_err("negative");
    assert_eq!(err.offset, 3);
    assert_eq!(
        err.to_string(),
        "invalid time span '1h -5s' at byte 3: out of range: negative time span"
    );
}

#[test]
fn default_unit_applies_to_bare_numbers_only() {
    assert_eq!(
        Timespan::parse_with_default_unit("50 1s", 1_000).map(Timespan::as_usec),
        Ok(1_050_000)
    );
    assert_eq!("2min".parse::<Timespan>(), Ok(Timespan::from_secs(120)));
}

#[test]
fn relative_follows_systemds_thresholds() {
    const S: i64 = 1_000_000;
    let now = Timestamp::from_secs(1_800_000_000);
    let cases: &[(i64, &str)] = &[
        (0, "now"),
        (1, "1us left"),
        (-999, "999us ago"),
        (1_000, "1ms left"),
        (S, "1s left"),
        (-59 * S, "59s ago"),
        (60 * S, "1min 0s left"),
        (61 * S, "1min 1s left"),
        (5 * 60 * S - 1, "4min 59s left"),
        (5 * 60 * S, "5min left"),
        (3_600 * S, "1h 0min left"),
        (-(6 * 3_600 * S - 1), "5h 59min ago"),
        (6 * 3_600 * S, "6h left"),
        (25 * 3_600 * S - 1, "24h left"),
        (25 * 3_600 * S, "1 day 1h left"),
        (2 * 86_400 * S, "2 days left"),
        (7 * 86_400 * S, "1 week 0 days left"),
        (-15 * 86_400 * S, "2 weeks 1 day ago"),
        (2_629_800 * S, "1 month 0 days left"),
        (2 * 2_629_800 * S + 86_400 * S, "2 months 1 day left"),
        (31_557_600 * S, "1 year 0 months left"),
        (
            -(2 * 31_557_600 + 7 * 2_629_800) * S,
            "2 years 7 months ago",
        ),
        (31_557_600 * S + 2_629_800 * S, "1 year 1 month left"),
    ];
    for &(delta, expected) in cases {
        let t = Timestamp::from_usec(now.as_usec() + delta);
        assert_eq!(format_relative(now, t), expected, "delta {delta}");
    }
}
