//! The grammar: every form cron accepts, every error with its message and
//! position, macros, `~` and crontab-line prefixes.

use super::field::FieldSet;
use super::*;

const FIVE: CronOptions = CronOptions {
    seconds: false,
    seed: 0,
};
const SIX: CronOptions = CronOptions {
    seconds: true,
    seed: 0,
};

fn expr_with(text: &str, options: &CronOptions) -> CronExpr {
    match CronSchedule::parse(text, options) {
        Ok(CronSchedule::Calendar(expr)) => expr,
        other => panic!("{text:?}: {other:?}"),
    }
}

fn expr(text: &str) -> CronExpr {
    expr_with(text, &FIVE)
}

fn values(set: &FieldSet) -> Vec<u32> {
    (0..64).filter(|&v| set.has(v)).collect()
}

fn minutes(field: &str) -> Vec<u32> {
    values(&expr(&format!("{field} * * * *")).minute)
}

fn weekdays(field: &str) -> Vec<u32> {
    values(&expr(&format!("0 0 * * {field}")).day_of_week)
}

fn months(field: &str) -> Vec<u32> {
    values(&expr(&format!("0 0 * {field} *")).month)
}

/// `(offset, reason)` of a rejected expression.
fn rejection(text: &str, options: &CronOptions) -> (usize, String) {
    match CronSchedule::parse(text, options) {
        Ok(schedule) => panic!("{text:?} parsed as {schedule}"),
        Err(e) => (e.offset(), e.kind().to_string()),
    }
}

#[test]
fn stars_numbers_ranges_steps_and_lists() {
    let every: Vec<u32> = (0..60).collect();
    assert_eq!(minutes("*"), every);
    assert_eq!(minutes("*/15"), [0, 15, 30, 45]);
    assert_eq!(minutes("1-30/7"), [1, 8, 15, 22, 29]);
    assert_eq!(minutes("1,5,10-20/2"), [1, 5, 10, 12, 14, 16, 18, 20]);
    assert_eq!(minutes("7"), [7]);
    assert_eq!(minutes("07"), [7]);
    assert_eq!(minutes("5-5"), [5]);
    assert_eq!(minutes("0-59/20,59"), [0, 20, 40, 59]);
    assert_eq!(minutes("3,3,3"), [3]);
    // A step longer than the field leaves the first value (cronie warns).
    assert_eq!(minutes("*/90"), [0]);
    assert_eq!(minutes("10-20/100"), [10]);
    assert_eq!(minutes("1,*"), every);

    let e = expr("*/5 */7 */10 */5 *");
    assert_eq!(values(&e.hour), [0, 7, 14, 21]);
    assert_eq!(values(&e.day_of_month), [1, 11, 21, 31]);
    assert_eq!(values(&e.month), [1, 6, 11]);
    assert_eq!(weekdays("*/2"), [0, 2, 4, 6]);
    assert_eq!(weekdays("*/3"), [0, 3, 6]);
    assert_eq!(weekdays("*/7"), [0]);
}

#[test]
fn star_flags_look_at_the_first_character_only() {
    let e = expr("*/5 1,* * 1-12 */2");
    assert_eq!(e.minute.leading_star, Some(5));
    assert_eq!(e.hour.leading_star, None);
    assert_eq!(e.day_of_month.leading_star, Some(1));
    assert_eq!(e.month.leading_star, None);
    assert_eq!(e.day_of_week.leading_star, Some(2));
    assert!(expr("*,5 0 * * *").minute.is_star());
    assert!(!expr("0 ~ * * *").hour.is_star());
}

#[test]
fn names_in_any_case_also_in_ranges() {
    assert_eq!(months("jan,MAR,Dec"), [1, 3, 12]);
    assert_eq!(months("jan-mar"), [1, 2, 3]);
    assert_eq!(months("Oct-12/2"), [10, 12]);
    assert_eq!(weekdays("mon-fri"), [1, 2, 3, 4, 5]);
    assert_eq!(weekdays("MON-Fri"), [1, 2, 3, 4, 5]);
    assert_eq!(weekdays("sun,SAT"), [0, 6]);
    assert_eq!(weekdays("tue-thu/2"), [2, 4]);
    assert_eq!(weekdays("mon,3-fri"), [1, 3, 4, 5]);
}

#[test]
fn sunday_is_0_and_7() {
    assert_eq!(weekdays("0"), [0]);
    assert_eq!(weekdays("7"), [0]);
    assert_eq!(weekdays("5-7"), [0, 5, 6]);
    assert_eq!(weekdays("0-7"), (0..7).collect::<Vec<_>>());
    assert_eq!(weekdays("1-7/2"), [0, 1, 3, 5]);
    // cronie (master, 2025): a range ending in 0 ends on Sunday.
    assert_eq!(weekdays("5-0"), [0, 5, 6]);
    assert_eq!(weekdays("sat-sun"), [0, 6]);
    assert_eq!(weekdays("0-0"), [0]);
    assert_eq!(expr("0 0 * * 7"), expr("0 0 * * 7"));
    assert!(expr("0 0 * * 0").matches(&CivilDateTime::date(2024, 3, 3)));
    assert!(expr("0 0 * * 7").matches(&CivilDateTime::date(2024, 3, 3)));
}

#[test]
fn six_fields_with_seconds_first() {
    let e = expr_with("*/10 30 4 * * *", &SIX);
    assert!(e.has_seconds());
    assert_eq!(
        values(e.second.as_ref().expect("six fields")),
        [0, 10, 20, 30, 40, 50]
    );
    assert_eq!(values(&e.minute), [30]);
    assert_eq!(values(&e.hour), [4]);
    assert_eq!(e.to_string(), "*/10 30 4 * * *");
    // Five fields stay five fields when six are allowed.
    assert!(!expr_with("30 4 * * *", &SIX).has_seconds());
    // Macros have no seconds field.
    assert!(!expr_with("@daily", &SIX).has_seconds());
}

#[test]
fn macros() {
    for (text, fields) in [
        ("@yearly", "0 0 1 1 *"),
        ("@annually", "0 0 1 1 *"),
        ("@monthly", "0 0 1 * *"),
        ("@weekly", "0 0 * * 0"),
        ("@daily", "0 0 * * *"),
        ("@midnight", "0 0 * * *"),
        ("@hourly", "0 * * * *"),
    ] {
        assert_eq!(expr(text), expr(fields), "{text}");
        assert_eq!(expr(text).to_string(), fields);
    }
    assert_eq!(
        CronSchedule::parse("@reboot", &FIVE),
        Ok(CronSchedule::Reboot)
    );
    assert_eq!(
        CronSchedule::parse("  @reboot\t", &FIVE),
        Ok(CronSchedule::Reboot)
    );
    assert_eq!(CronSchedule::Reboot.to_string(), "@reboot");
    // cronie's wildcard flags: @hourly sets the hour's.
    assert!(expr("@hourly").is_wildcard());
    assert!(!expr("@daily").is_wildcard());
}

#[test]
fn random_values_are_stable_per_seed_and_in_range() {
    let pick = |text: &str, seed: u64| {
        expr_with(
            text,
            &CronOptions {
                seconds: true,
                seed,
            },
        )
    };
    for seed in 0..200 {
        let e = pick("~ 3 * * *", seed);
        assert_eq!(e, pick("~ 3 * * *", seed), "stable for seed {seed}");
        let minute = values(&e.minute);
        assert_eq!(minute.len(), 1);
        assert!(minute[0] < 60);
        assert_eq!(e.to_string(), format!("{} 3 * * *", minute[0]));

        let e = pick("10~20 ~5 2~ ~ mon~fri", seed);
        let [m, h, d, mo, w] = [
            &e.minute,
            &e.hour,
            &e.day_of_month,
            &e.month,
            &e.day_of_week,
        ]
        .map(|set| {
            let v = values(set);
            assert_eq!(v.len(), 1, "{e}");
            v[0]
        });
        assert!((10..=20).contains(&m), "{e}");
        assert!(h <= 5, "{e}");
        assert!((2..=31).contains(&d), "{e}");
        assert!((1..=12).contains(&mo), "{e}");
        assert!((1..=5).contains(&w), "{e}");
        assert_eq!(e.to_string(), format!("{m} {h} {d} {mo} {w}"));
        // The printed form is the same schedule, whatever the seed.
        assert_eq!(pick(&e.to_string(), seed + 1), e);

        let e = pick("~ * * * * *", seed);
        assert!(e.has_seconds());
        assert_eq!(values(e.second.as_ref().expect("seconds")).len(), 1);
    }
    let minutes_over_seeds: std::collections::BTreeSet<u32> = (0..200)
        .map(|seed| values(&pick("~ 3 * * *", seed).minute)[0])
        .collect();
    assert!(minutes_over_seeds.len() > 40, "{minutes_over_seeds:?}");
    // Two `~` of one expression are picked independently.
    let same = (0..200)
        .filter(|&seed| {
            let e = pick("~ ~ * * *", seed);
            values(&e.minute) == values(&e.hour)
        })
        .count();
    assert!(same < 30, "{same}");
    // A `~` over a weekday range may pick 7, which is Sunday.
    let sundays = (0..200)
        .map(|seed| pick("0 0 * * sat~", seed))
        .filter(|e| values(&e.day_of_week) == [0])
        .count();
    assert!(sundays > 0);
}

#[test]
fn random_values_are_pinned() {
    // Changing the pick moves every `~` job: these values must stay.
    let picked: Vec<String> = (0..4)
        .map(|seed| {
            expr_with(
                "~ ~ ~ ~ ~",
                &CronOptions {
                    seconds: false,
                    seed,
                },
            )
            .to_string()
        })
        .collect();
    assert_eq!(picked, PINNED_PICKS);
}

const PINNED_PICKS: [&str; 4] = ["15 14 14 12 3", "10 22 7 4 7", "37 3 4 7 7", "29 19 26 6 6"];

#[test]
fn display_keeps_the_fields_as_written() {
    for (text, printed) in [
        ("*/5 * * * *", "*/5 * * * *"),
        ("  0\t0  1,15 JAN-mar  Mon-fri ", "0 0 1,15 JAN-mar Mon-fri"),
        ("00 07 * * 7", "00 07 * * 7"),
        ("1,5,10-20/2 * * * *", "1,5,10-20/2 * * * *"),
    ] {
        let e = expr(text);
        assert_eq!(e.to_string(), printed);
        assert_eq!(expr(&e.to_string()), e);
    }
}

#[test]
fn whole_expressions_reject_what_follows() {
    assert_eq!(
        rejection("@daily /bin/true", &FIVE),
        (
            7,
            "expected the end of the expression, found '/bin/true'".into()
        )
    );
}

#[test]
fn errors_point_at_the_offending_token() {
    let cases: &[(&str, CronOptions, usize, &str)] = &[
        ("60 * * * *", FIVE, 0, "minute 60 out of range 0-59"),
        ("* 24 * * *", FIVE, 2, "hour 24 out of range 0-23"),
        ("* * 0 * *", FIVE, 4, "day-of-month 0 out of range 1-31"),
        ("* * 32 * *", FIVE, 4, "day-of-month 32 out of range 1-31"),
        ("* * * 13 *", FIVE, 6, "month 13 out of range 1-12"),
        ("* * * 0 *", FIVE, 6, "month 0 out of range 1-12"),
        ("* * * * 8", FIVE, 8, "day-of-week 8 out of range 0-7"),
        ("60 * * * * *", SIX, 0, "second 60 out of range 0-59"),
        ("1-60 * * * *", FIVE, 2, "minute 60 out of range 0-59"),
        ("99999999999 * * * *", FIVE, 0, "minute 99999999999 out of range 0-59"),
        ("~70 * * * *", FIVE, 1, "minute 70 out of range 0-59"),
        ("0 0 * * mnd", FIVE, 8, "expected a weekday name or number, found 'mnd'"),
        ("0 0 * * monday", FIVE, 8, "expected a weekday name or number, found 'monday'"),
        ("0 0 * janu *", FIVE, 6, "expected a month name or number, found 'janu'"),
        ("jan * * * *", FIVE, 0, "expected a minute number, found 'jan'"),
        ("* x * * *", FIVE, 2, "expected an hour number, found 'x'"),
        ("* * 1st * *", FIVE, 4, "expected a day-of-month number, found '1st'"),
        ("-5 * * * *", FIVE, 0, "expected a minute number, found '-5'"),
        ("5- * * * *", FIVE, 2, "expected a minute number, found nothing"),
        ("5-1 * * * *", FIVE, 0, "minute range 5-1 runs backwards (cron's ranges do not wrap around)"),
        ("0 0 * * fri-mon", FIVE, 8, "day-of-week range fri-mon runs backwards (cron's ranges do not wrap around)"),
        ("0 0 * * 6~1", FIVE, 8, "day-of-week range 6~1 runs backwards (cron's ranges do not wrap around)"),
        ("0 0 * * sat~sun", FIVE, 8, "day-of-week range sat~sun runs backwards (cron's ranges do not wrap around)"),
        ("*/0 * * * *", FIVE, 2, "minute step 0 (a step must be at least 1)"),
        ("1-5/0 * * * *", FIVE, 4, "minute step 0 (a step must be at least 1)"),
        ("*/ * * * *", FIVE, 2, "expected a step number, found nothing"),
        ("*/x * * * *", FIVE, 2, "expected a step number, found 'x'"),
        ("*/5x * * * *", FIVE, 3, "expected ',' or the end of the minute field, found 'x'"),
        ("5/10 * * * *", FIVE, 1, "a step needs '*' or a range before it, found the single minute 5 (write 5-59/10 to step from 5)"),
        ("0 0 * * 1/2", FIVE, 9, "a step needs '*' or a range before it, found the single day-of-week 1 (write 1-7/2 to step from 1)"),
        ("1~5/2 * * * *", FIVE, 3, "expected ',' or the end of the minute field, found '/2'"),
        ("1,,2 * * * *", FIVE, 2, "empty item in the minute list"),
        ("1, * * * *", FIVE, 2, "empty item in the minute list"),
        (",1 * * * *", FIVE, 0, "empty item in the minute list"),
        ("*5 * * * *", FIVE, 1, "expected '/', ',' or the end of the minute field after '*', found '5'"),
        ("*-5 * * * *", FIVE, 1, "expected '/', ',' or the end of the minute field after '*', found '-5'"),
        ("5$ * * * *", FIVE, 1, "expected ',' or the end of the minute field, found '$'"),
        ("5é * * * *", FIVE, 1, "expected ',' or the end of the minute field, found 'é'"),
        ("0 0 L * *", FIVE, 4, "'L' is Quartz's last-day-of-month 'L', which cron does not have"),
        ("0 0 15W * *", FIVE, 4, "'15W' is Quartz's nearest-weekday 'W', which cron does not have"),
        ("0 0 * * 5L", FIVE, 8, "'5L' is Quartz's last-weekday-of-month 'L', which cron does not have"),
        ("0 0 * * 5#3", FIVE, 8, "'5#3' is Quartz's nth-weekday '#', which cron does not have"),
        ("0 0 ? * 1", FIVE, 4, "'?' is Quartz's no-specific-value '?', which cron does not have"),
        ("@every 5m", FIVE, 0, "unknown macro '@every', expected @reboot, @yearly, @annually, @monthly, @weekly, @daily, @midnight or @hourly"),
        ("@Daily", FIVE, 0, "unknown macro '@Daily', expected @reboot, @yearly, @annually, @monthly, @weekly, @daily, @midnight or @hourly"),
        ("@", FIVE, 0, "unknown macro '@', expected @reboot, @yearly, @annually, @monthly, @weekly, @daily, @midnight or @hourly"),
        ("", FIVE, 0, "expected a cron expression, found nothing"),
        ("  ", FIVE, 2, "expected a cron expression, found nothing"),
        ("* * *", FIVE, 5, "expected the month field, found the end of the expression"),
        ("* * * * * *", FIVE, 10, "expected 5 fields, found 6 fields (the six-field form with seconds is not enabled here)"),
        ("* * * * * * *", SIX, 12, "expected 5 or 6 fields, found 7 fields"),
        ("0 0 1 1 * 2024", FIVE, 10, "expected 5 fields, found 6 fields (the six-field form with seconds is not enabled here)"),
    ];
    for (text, options, offset, reason) in cases {
        assert_eq!(
            rejection(text, options),
            (*offset, reason.to_string()),
            "{text:?}"
        );
    }
}

#[test]
fn error_display_names_the_input_and_offset() {
    let err = CronSchedule::parse("0 0 * * mnd", &FIVE).unwrap_err();
    assert_eq!(
        err.to_string(),
        "invalid cron expression '0 0 * * mnd' at byte 8: expected a weekday name or number, found 'mnd'"
    );
    assert_eq!(err.input(), "0 0 * * mnd");
    assert_eq!(
        err.kind(),
        &CronErrorKind::Expected {
            expected: Expectation::Value(CronField::DayOfWeek),
            found: "mnd".into()
        }
    );
}

fn prefix<'a>(line: &'a str, options: &CronOptions) -> (String, &'a str) {
    let (schedule, rest) =
        CronSchedule::parse_prefix(line, options).unwrap_or_else(|e| panic!("{line:?}: {e}"));
    (schedule.to_string(), &line[rest..])
}

#[test]
fn prefixes_of_crontab_lines() {
    assert_eq!(
        prefix("*/5 * * * * /usr/bin/true", &FIVE),
        ("*/5 * * * *".into(), "/usr/bin/true")
    );
    assert_eq!(
        prefix(
            "  0 4\t* * mon-fri \t root  run-parts /etc/cron.daily",
            &FIVE
        ),
        ("0 4 * * mon-fri".into(), "root  run-parts /etc/cron.daily")
    );
    assert_eq!(
        prefix("@reboot sleep 60 && start", &FIVE),
        ("@reboot".into(), "sleep 60 && start")
    );
    assert_eq!(
        prefix("@daily\tbackup", &FIVE),
        ("0 0 * * *".into(), "backup")
    );
    // Six fields when they parse and a command follows them.
    assert_eq!(
        prefix("*/10 * * * * * echo hi", &SIX),
        ("*/10 * * * * *".into(), "echo hi")
    );
    assert_eq!(
        prefix("0 5 * * * backup --now", &SIX),
        ("0 5 * * *".into(), "backup --now")
    );
    // A sixth word that reads as a weekday but ends the line is the command.
    assert_eq!(prefix("0 5 * * * 3", &SIX), ("0 5 * * *".into(), "3"));
    assert_eq!(
        prefix("0 5 * * * 3 done", &SIX),
        ("0 5 * * * 3".into(), "done")
    );
    // Six words that do not parse fall back to five, as in supercronic.
    assert_eq!(
        prefix("1 2 3 4 5 fri-tue cmd", &SIX),
        ("1 2 3 4 5".into(), "fri-tue cmd")
    );
    // Without seconds the sixth word is always the command.
    assert_eq!(
        prefix("0 5 * * * 3 done", &FIVE),
        ("0 5 * * *".into(), "3 done")
    );
}

#[test]
fn prefix_errors() {
    let cases: &[(&str, CronOptions, usize, &str)] = &[
        ("* * * * * * cmd", FIVE, 10, "expected a command after the schedule, found '*' (cron refuses a command starting with '*' as a likely extra time field)"),
        ("@daily *", FIVE, 7, "expected a command after the schedule, found '*' (cron refuses a command starting with '*' as a likely extra time field)"),
        ("0 0 * * *", FIVE, 9, "expected a command after the schedule, found the end of the line"),
        ("0 0 * * *   ", FIVE, 12, "expected a command after the schedule, found the end of the line"),
        ("@reboot", FIVE, 7, "expected a command after the schedule, found the end of the line"),
        ("0 0 *", FIVE, 5, "expected the month field, found the end of the expression"),
        ("", FIVE, 0, "expected the minute field, found the end of the expression"),
        ("0 0 * * mnd cmd", FIVE, 8, "expected a weekday name or number, found 'mnd'"),
        ("@weekly2 cmd", FIVE, 0, "unknown macro '@weekly2', expected @reboot, @yearly, @annually, @monthly, @weekly, @daily, @midnight or @hourly"),
        // Neither reading works: the six-field one got further.
        ("0 0 0 * * 9 cmd", SIX, 10, "day-of-week 9 out of range 0-7"),
        // Both fail at the same word: the five-field reading is told.
        ("70 * * * * * cmd", SIX, 0, "minute 70 out of range 0-59"),
    ];
    for (line, options, offset, reason) in cases {
        let err = CronSchedule::parse_prefix(line, options).unwrap_err();
        assert_eq!(
            (err.offset(), err.kind().to_string()),
            (*offset, reason.to_string()),
            "{line:?}"
        );
    }
}
