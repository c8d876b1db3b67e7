//! Properties of cron expressions: every elapse of the translated specs is
//! a time cron runs the job and nothing cron runs lies between two elapses;
//! the printed form parses back to the same schedule; and no input makes
//! the parser panic or point outside its input.

use proptest::prelude::*;
use sundial_calendar::cron::{CronExpr, CronOptions, CronSchedule};
use sundial_calendar::zone::BundledZones;
use sundial_calendar::{CalendarSpec, CivilDateTime, Timestamp, Zone};

/// One list item of a field with values `low..=high`.
fn item(low: u32, high: u32) -> impl Strategy<Value = String> {
    let value = low..=high;
    prop_oneof![
        value.clone().prop_map(|v| v.to_string()),
        (value.clone(), value.clone()).prop_map(|(a, b)| format!("{}-{}", a.min(b), a.max(b))),
        (value.clone(), value.clone(), 1..=high + 1).prop_map(|(a, b, s)| format!(
            "{}-{}/{s}",
            a.min(b),
            a.max(b)
        )),
        (1..=high + 1).prop_map(|s| format!("*/{s}")),
        (value.clone(), value).prop_map(|(a, b)| format!("{}~{}", a.min(b), a.max(b))),
        Just("~".to_owned()),
    ]
}

fn field(low: u32, high: u32) -> impl Strategy<Value = String> {
    prop_oneof![
        Just("*".to_owned()),
        prop::collection::vec(item(low, high), 1..4).prop_map(|items| items.join(",")),
    ]
}

/// A five- or six-field expression and whether it has seconds.
fn expression() -> impl Strategy<Value = (String, bool)> {
    (
        prop::option::of(field(0, 59)),
        field(0, 59),
        field(0, 23),
        field(1, 31),
        prop_oneof![Just("*".to_owned()), field(1, 12)],
        field(0, 7),
    )
        .prop_map(|(s, mi, h, dom, mon, dow)| {
            let five = format!("{mi} {h} {dom} {mon} {dow}");
            match s {
                Some(s) => (format!("{s} {five}"), true),
                None => (five, false),
            }
        })
}

fn parse(text: &str, seed: u64) -> CronExpr {
    match CronSchedule::parse(
        text,
        &CronOptions {
            seconds: true,
            seed,
        },
    ) {
        Ok(CronSchedule::Calendar(expr)) => expr,
        other => panic!("{text:?}: {other:?}"),
    }
}

fn next_elapse(expr: &CronExpr, after: Timestamp) -> Option<Timestamp> {
    let utc = Zone::utc();
    expr.calendar_specs()
        .iter()
        .map(|s| CalendarSpec::parse(s, &utc, &BundledZones::new()).expect("specs parse"))
        .filter_map(|spec| spec.next_after(after, &utc))
        .min()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn elapses_are_runs_and_nothing_runs_between(
        (text, seconds) in expression(),
        seed in any::<u64>(),
        // 2020-01-01 .. 2030-01-01
        base in 1_577_836_800i64..1_893_456_000,
    ) {
        let expr = parse(&text, seed);
        prop_assert_eq!(expr.has_seconds(), seconds);
        let base = Timestamp::from_secs(base);
        let Some(next) = next_elapse(&expr, base) else {
            return Ok(());
        };
        prop_assert!(next > base);
        let at = CivilDateTime::from_utc_usec(next.as_usec());
        prop_assert!(expr.matches(&at), "{} ({:?}) elapses at {:?}", expr, expr.calendar_specs(), at);
        // Nothing cron runs lies strictly between (checked up to a day).
        let step = if seconds { 1 } else { 60 };
        let first = (base.as_secs() / step + 1) * step;
        let last = next.as_secs().min(first + 86_400);
        for t in (first..last).step_by(step as usize) {
            let c = CivilDateTime::from_utc_usec(t * 1_000_000);
            prop_assert!(!expr.matches(&c), "{} runs at {:?}, before its next elapse {:?}", expr, c, at);
        }
    }

    #[test]
    fn printed_form_parses_back((text, _) in expression(), seed in any::<u64>(), other_seed in any::<u64>()) {
        let expr = parse(&text, seed);
        // `~` values are resolved in print: any seed reads them back.
        let again = parse(&expr.to_string(), other_seed);
        prop_assert_eq!(&again, &expr);
        prop_assert_eq!(again.calendar_specs(), expr.calendar_specs());
        prop_assert_eq!(parse(&text, seed), expr);
    }

    #[test]
    fn no_input_panics_or_points_outside(text in "[-0-9*/,~@a-zA-Z? \t#é]{0,40}", seconds in any::<bool>()) {
        let options = CronOptions { seconds, seed: 1 };
        match CronSchedule::parse(&text, &options) {
            Ok(schedule) => {
                let printed = schedule.to_string();
                prop_assert_eq!(CronSchedule::parse(&printed, &options), Ok(schedule));
            }
            Err(e) => {
                prop_assert!(e.offset() <= text.len());
                prop_assert!(text.is_char_boundary(e.offset()));
                prop_assert!(!e.to_string().is_empty());
            }
        }
        match CronSchedule::parse_prefix(&text, &options) {
            Ok((_, rest)) => {
                prop_assert!(rest < text.len());
                prop_assert!(text.is_char_boundary(rest));
                prop_assert!(!text[rest..].starts_with([' ', '\t', '*']));
            }
            Err(e) => {
                prop_assert!(e.offset() <= text.len());
                prop_assert!(text.is_char_boundary(e.offset()));
            }
        }
    }
}
