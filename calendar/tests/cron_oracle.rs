//! Cron expressions against an independent oracle.
//!
//! The oracle is written here from cron's rules alone: its own field parser
//! to bit sets, cron's day rule, and a walk over the calendar day by day and
//! within a day second by second. Thousands of random expressions are
//! checked in UTC: the union of their `calendar_specs()` must elapse exactly
//! when the oracle says cron runs the job, and `matches` must agree with
//! the oracle at random times.

use chrono::{Datelike, NaiveDate, NaiveDateTime, Timelike};
use sundial_calendar::cron::{CronExpr, CronOptions, CronSchedule};
use sundial_calendar::zone::BundledZones;
use sundial_calendar::{CalendarSpec, CivilDateTime, Timestamp, Zone};

/// Expressions generated and checked.
const EXPRESSIONS: usize = 6000;
/// Elapses compared one by one from the start of the window.
const FINE_ELAPSES: usize = 300;
/// Days compared by their first elapse, from the start of the window.
const MATCHING_DAYS: usize = 800;
/// Random instants at which `matches` is compared.
const PROBES: usize = 150;

/// SplitMix64: small, deterministic, good enough to spread test cases.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `low..=high`.
    fn range(&mut self, low: u32, high: u32) -> u32 {
        low + (self.next() % u64::from(high - low + 1)) as u32
    }

    /// True with probability `percent`/100.
    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
}

// ---------------------------------------------------------------------
// Generating expressions.

#[derive(Clone, Copy)]
struct FieldDef {
    low: u32,
    high: u32,
    names: &'static [&'static str],
    /// The value of the first name.
    first_name: u32,
}

const SECOND: FieldDef = FieldDef {
    low: 0,
    high: 59,
    names: &[],
    first_name: 0,
};
const MINUTE: FieldDef = FieldDef {
    low: 0,
    high: 59,
    names: &[],
    first_name: 0,
};
const HOUR: FieldDef = FieldDef {
    low: 0,
    high: 23,
    names: &[],
    first_name: 0,
};
const DOM: FieldDef = FieldDef {
    low: 1,
    high: 31,
    names: &[],
    first_name: 0,
};
const MONTH: FieldDef = FieldDef {
    low: 1,
    high: 12,
    names: &[
        "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
    ],
    first_name: 1,
};
const DOW: FieldDef = FieldDef {
    low: 0,
    high: 7,
    names: &["sun", "mon", "tue", "wed", "thu", "fri", "sat"],
    first_name: 0,
};

/// A value as a number or, where the field has names, sometimes a name in
/// a random case.
fn write_value(rng: &mut Rng, def: FieldDef, v: u32) -> String {
    let index = v.wrapping_sub(def.first_name) as usize;
    if index < def.names.len() && rng.chance(40) {
        let name = def.names[index];
        return match rng.range(0, 2) {
            0 => name.to_owned(),
            1 => name.to_ascii_uppercase(),
            _ => format!("{}{}", name[..1].to_ascii_uppercase(), &name[1..]),
        };
    }
    if rng.chance(5) {
        format!("0{v}")
    } else {
        v.to_string()
    }
}

/// One list item other than a plain `*`; `sparse` keeps it to few values.
fn write_item(rng: &mut Rng, def: FieldDef, sparse: bool) -> String {
    let span = def.high - def.low;
    match rng.range(0, 9) {
        0 if !sparse => format!("*/{}", rng.range(1, span + 3)),
        1 | 2 if !sparse => {
            let a = rng.range(def.low, def.high);
            let b = rng.range(a, def.high);
            format!("{}-{}", write_value(rng, def, a), write_value(rng, def, b))
        }
        3 | 4 if !sparse => {
            let a = rng.range(def.low, def.high);
            let b = rng.range(a, def.high);
            let step = rng.range(1, span + 2);
            format!(
                "{}-{}/{step}",
                write_value(rng, def, a),
                write_value(rng, def, b)
            )
        }
        // Weekday ranges that end on Sunday: `5-7`, and `5-0` (cronie, 2025).
        5 if def.high == 7 => {
            let a = rng.range(1, 6);
            let end = if rng.chance(50) { "7" } else { "0" };
            format!("{}-{end}", write_value(rng, def, a))
        }
        _ => {
            let v = rng.range(def.low, def.high);
            write_value(rng, def, v)
        }
    }
}

/// A field: `*`, `*/n`, or a list (sometimes with a `*` in it).
fn write_field(rng: &mut Rng, def: FieldDef, sparse: bool) -> String {
    let roll = rng.range(0, 99);
    if !sparse && roll < 20 {
        return "*".to_owned();
    }
    if !sparse && roll < 35 {
        let span = def.high - def.low;
        return format!("*/{}", rng.range(1, span + 2));
    }
    let mut items: Vec<String> = (0..rng.range(1, 3))
        .map(|_| write_item(rng, def, sparse))
        .collect();
    if !sparse && rng.chance(4) {
        // A `*` inside a list: a star flag only in first place.
        let at = rng.range(0, items.len() as u32) as usize;
        items.insert(at, "*".to_owned());
    }
    items.join(",")
}

/// A day field in one of the states that matter for the day rule.
fn write_day_field(rng: &mut Rng, def: FieldDef) -> String {
    match rng.range(0, 9) {
        0 | 1 => "*".to_owned(),
        2 => format!("*/{}", rng.range(1, def.high - def.low + 2)),
        3 => format!("*,{}", write_item(rng, def, true)),
        _ => {
            let sparse = rng.chance(60);
            write_field(rng, def, sparse)
        }
    }
}

/// A random expression and whether it has a seconds field.
fn random_expression(rng: &mut Rng) -> (String, bool) {
    let seconds = rng.chance(20);
    let mut fields = Vec::new();
    if seconds {
        let sparse = rng.chance(70);
        fields.push(write_field(rng, SECOND, sparse));
    }
    let sparse_time = rng.chance(60);
    fields.push(write_field(rng, MINUTE, sparse_time));
    let sparse_hours = sparse_time || rng.chance(50);
    fields.push(write_field(rng, HOUR, sparse_hours));
    // Late days of short months, to hit February 29th to 31st.
    if rng.chance(15) {
        fields.push(format!("{}", rng.range(28, 31)));
        fields.push(if rng.chance(60) {
            "feb".to_owned()
        } else {
            "2,4".to_owned()
        });
    } else {
        fields.push(write_day_field(rng, DOM));
        fields.push(if rng.chance(60) {
            "*".to_owned()
        } else {
            write_field(rng, MONTH, false)
        });
    }
    fields.push(write_day_field(rng, DOW));
    (fields.join(" "), seconds)
}

// ---------------------------------------------------------------------
// The oracle.

/// A field as cron reads it: the values it allows and whether it begins
/// with `*`.
#[derive(Debug, Clone, Copy)]
struct OracleField {
    bits: u64,
    star: bool,
}

impl OracleField {
    fn has(self, v: u32) -> bool {
        self.bits >> v & 1 == 1
    }
}

fn oracle_value(def: FieldDef, text: &str) -> u32 {
    if let Some(i) = def.names.iter().position(|n| n.eq_ignore_ascii_case(text)) {
        return def.first_name + i as u32;
    }
    text.parse()
        .expect("the generator writes numbers and names")
}

fn oracle_field(def: FieldDef, text: &str) -> OracleField {
    let mut bits = 0u64;
    for item in text.split(',') {
        let (range, step) = match item.split_once('/') {
            Some((r, s)) => (r, s.parse::<usize>().expect("step")),
            None => (item, 1),
        };
        let (start, mut end) = if range == "*" {
            (def.low, def.high)
        } else if let Some((a, b)) = range.split_once('-') {
            (oracle_value(def, a), oracle_value(def, b))
        } else {
            let v = oracle_value(def, range);
            (v, v)
        };
        // A weekday range ending in 0 ends on Sunday the 7th.
        if def.high == 7 && end == 0 && start > 0 {
            end = 7;
        }
        for v in (start..=end).step_by(step) {
            bits |= 1 << v;
        }
    }
    // Sunday is 0 and 7.
    if def.high == 7 && bits >> 7 & 1 == 1 {
        bits = (bits & !(1 << 7)) | 1;
    }
    OracleField {
        bits,
        star: text.starts_with('*'),
    }
}

#[derive(Debug)]
struct Oracle {
    second: Option<OracleField>,
    minute: OracleField,
    hour: OracleField,
    dom: OracleField,
    month: OracleField,
    dow: OracleField,
}

impl Oracle {
    fn new(text: &str, seconds: bool) -> Oracle {
        let mut words = text.split(' ');
        let mut next = |def| oracle_field(def, words.next().expect("field"));
        Oracle {
            second: seconds.then(|| next(SECOND)),
            minute: next(MINUTE),
            hour: next(HOUR),
            dom: next(DOM),
            month: next(MONTH),
            dow: next(DOW),
        }
    }

    fn seconds(&self) -> OracleField {
        self.second.unwrap_or(OracleField {
            bits: 1,
            star: false,
        })
    }

    /// cron's day rule.
    fn runs_on(&self, date: NaiveDate) -> bool {
        if !self.month.has(date.month()) {
            return false;
        }
        let dom = self.dom.has(date.day());
        let dow = self.dow.has(date.weekday().num_days_from_sunday());
        if self.dom.star || self.dow.star {
            dom && dow
        } else {
            dom || dow
        }
    }

    fn runs_at(&self, t: NaiveDateTime) -> bool {
        self.runs_on(t.date())
            && self.hour.has(t.hour())
            && self.minute.has(t.minute())
            && self.seconds().has(t.second())
    }

    /// The times of day the job runs at, in order, as seconds of the day.
    fn times_of_day(&self) -> impl Iterator<Item = u32> + '_ {
        (0..24).filter(|&h| self.hour.has(h)).flat_map(move |h| {
            (0..60).filter(|&m| self.minute.has(m)).flat_map(move |m| {
                (0..60)
                    .filter(|&s| self.seconds().has(s))
                    .map(move |s| h * 3600 + m * 60 + s)
            })
        })
    }

    /// The first `limit` runs in `[from, until)`, as Unix seconds.
    fn runs(&self, from: NaiveDate, until: NaiveDate, limit: usize) -> Vec<i64> {
        let mut runs = Vec::new();
        for date in from.iter_days().take_while(|&d| d < until) {
            if !self.runs_on(date) {
                continue;
            }
            let midnight = unix(date);
            for sod in self.times_of_day() {
                if runs.len() == limit {
                    return runs;
                }
                runs.push(midnight + i64::from(sod));
            }
        }
        runs
    }

    /// The first run of each of the first `limit` days it runs on in
    /// `[from, until)`.
    fn first_runs_of_days(&self, from: NaiveDate, until: NaiveDate, limit: usize) -> Vec<i64> {
        let Some(first) = self.times_of_day().next() else {
            return Vec::new();
        };
        from.iter_days()
            .take_while(|&d| d < until)
            .filter(|&d| self.runs_on(d))
            .take(limit)
            .map(|d| unix(d) + i64::from(first))
            .collect()
    }
}

fn unix(date: NaiveDate) -> i64 {
    date.and_hms_opt(0, 0, 0)
        .expect("midnight")
        .and_utc()
        .timestamp()
}

// ---------------------------------------------------------------------
// The union of the specs.

struct Union {
    specs: Vec<CalendarSpec>,
    utc: Zone,
}

impl Union {
    fn new(expr: &CronExpr, zones: &BundledZones) -> Union {
        let utc = Zone::utc();
        let specs = expr
            .calendar_specs()
            .iter()
            .map(|s| {
                CalendarSpec::parse(s, &utc, zones)
                    .unwrap_or_else(|e| panic!("{expr}: spec {s:?} does not parse: {e}"))
            })
            .collect();
        Union { specs, utc }
    }

    /// The first elapse of any spec strictly after `after`.
    fn next_after(&self, after: i64) -> Option<i64> {
        self.specs
            .iter()
            .filter_map(|s| s.next_after(Timestamp::from_secs(after), &self.utc))
            .map(Timestamp::as_secs)
            .min()
    }

    /// Elapses from `from` on (inclusive), while below `until` and at most
    /// `limit` of them.
    fn elapses(&self, from: i64, until: i64, limit: usize) -> Vec<i64> {
        let mut out = Vec::new();
        let mut t = from - 1;
        while out.len() < limit {
            match self.next_after(t) {
                Some(next) if next < until => {
                    out.push(next);
                    t = next;
                }
                _ => break,
            }
        }
        out
    }

    /// The first elapse of each day, for at most `limit` days.
    fn first_elapses_of_days(&self, from: i64, until: i64, limit: usize) -> Vec<i64> {
        let mut out = Vec::new();
        let mut t = from - 1;
        while out.len() < limit {
            match self.next_after(t) {
                Some(next) if next < until => {
                    out.push(next);
                    // The last second of that day: the next elapse is on a
                    // later day.
                    t = next - next.rem_euclid(86_400) + 86_399;
                }
                _ => break,
            }
        }
        out
    }
}

fn civil(t: NaiveDateTime) -> CivilDateTime {
    CivilDateTime {
        year: t.year(),
        month: t.month(),
        day: t.day(),
        hour: t.hour(),
        minute: t.minute(),
        second: t.second(),
        usec: 0,
    }
}

fn show(times: &[i64]) -> Vec<String> {
    times
        .iter()
        .map(|&t| {
            chrono::DateTime::from_timestamp(t, 0)
                .expect("in range")
                .format("%Y-%m-%d %H:%M:%S %a")
                .to_string()
        })
        .collect()
}

/// The first place where two lists of times differ, for the message.
fn first_difference(ours: &[i64], oracle: &[i64]) -> String {
    let i = ours.iter().zip(oracle).take_while(|(a, b)| a == b).count();
    let from = i.saturating_sub(2);
    format!(
        "first difference at #{i}: specs {:?}, oracle {:?}",
        show(&ours[from.min(ours.len())..(i + 3).min(ours.len())]),
        show(&oracle[from.min(oracle.len())..(i + 3).min(oracle.len())]),
    )
}

/// What the checks covered, so that a generator gone narrow is noticed.
#[derive(Debug, Default)]
struct Coverage {
    two_specs: usize,
    seconds: usize,
    star_step_days: usize,
    leap_days: usize,
    elapses: usize,
    days: usize,
}

fn check(text: &str, seconds: bool, rng: &mut Rng, zones: &BundledZones, seen: &mut Coverage) {
    let options = CronOptions { seconds, seed: 0 };
    let expr = match CronSchedule::parse(text, &options) {
        Ok(CronSchedule::Calendar(expr)) => expr,
        other => panic!("{text:?}: {other:?}"),
    };
    assert_eq!(expr.has_seconds(), seconds, "{text}");
    let oracle = Oracle::new(text, seconds);
    let union = Union::new(&expr, zones);
    let specs = expr.calendar_specs();

    // Windows start in 2023 or 2024 and end in 2029, across the leap days
    // of 2024 and 2028.
    let from = NaiveDate::from_ymd_opt(2023, 1, 1).expect("date")
        + chrono::Days::new(u64::from(rng.range(0, 700)));
    let until = NaiveDate::from_ymd_opt(2029, 3, 1).expect("date");
    let (from_unix, until_unix) = (unix(from), unix(until));

    let oracle_runs = oracle.runs(from, until, FINE_ELAPSES);
    let ours = union.elapses(from_unix, until_unix, FINE_ELAPSES);
    assert!(
        ours == oracle_runs,
        "{text:?} as {specs:?} from {from}: {}",
        first_difference(&ours, &oracle_runs)
    );

    let oracle_days = oracle.first_runs_of_days(from, until, MATCHING_DAYS);
    let ours = union.first_elapses_of_days(from_unix, until_unix, MATCHING_DAYS);
    assert!(
        ours == oracle_days,
        "{text:?} as {specs:?} from {from}, days: {}",
        first_difference(&ours, &oracle_days)
    );

    seen.two_specs += usize::from(specs.len() == 2);
    seen.seconds += usize::from(seconds);
    let words: Vec<&str> = text.split(' ').collect();
    let day_fields = [words[words.len() - 3], words[words.len() - 1]];
    seen.star_step_days += usize::from(day_fields.iter().any(|f| f.starts_with("*/")));
    let leap_days = [(2024, 2, 29), (2028, 2, 29)].map(|(y, m, d)| {
        let start = unix(NaiveDate::from_ymd_opt(y, m, d).expect("leap day"));
        start..start + 86_400
    });
    seen.leap_days += usize::from(
        oracle_days
            .iter()
            .any(|t| leap_days.iter().any(|day| day.contains(t))),
    );
    seen.elapses += oracle_runs.len();
    seen.days += oracle_days.len();

    // `matches` at random instants: half on days the job runs, at times
    // built from its own fields, so that hits are common.
    let days = (until - from).num_days() as u32;
    for _ in 0..PROBES {
        let date = from + chrono::Days::new(u64::from(rng.range(0, days - 1)));
        let pick = |rng: &mut Rng, field: OracleField, high: u32| {
            let v = rng.range(0, high);
            if rng.chance(70) && field.bits != 0 {
                (v..=high).chain(0..v).find(|&x| field.has(x)).unwrap_or(v)
            } else {
                v
            }
        };
        let h = pick(rng, oracle.hour, 23);
        let m = pick(rng, oracle.minute, 59);
        let s = if rng.chance(80) {
            pick(rng, oracle.seconds(), 59)
        } else {
            rng.range(0, 59)
        };
        let t = date.and_hms_opt(h, m, s).expect("valid time");
        assert_eq!(
            expr.matches(&civil(t)),
            oracle.runs_at(t),
            "{text:?}: matches({t}) disagrees with the oracle"
        );
    }
    for &t in &oracle_runs {
        let t = chrono::DateTime::from_timestamp(t, 0)
            .expect("in range")
            .naive_utc();
        assert!(
            expr.matches(&civil(t)),
            "{text:?}: does not match its run at {t}"
        );
    }
}

#[test]
fn random_expressions_agree_with_the_oracle() {
    let zones = BundledZones::new();
    let mut rng = Rng(0x5EED_C0DE);
    let mut seen = Coverage::default();
    for _ in 0..EXPRESSIONS {
        let (text, seconds) = random_expression(&mut rng);
        check(&text, seconds, &mut rng, &zones, &mut seen);
    }
    eprintln!("{EXPRESSIONS} expressions: {seen:?}");
    assert!(seen.two_specs > EXPRESSIONS / 5, "{seen:?}");
    assert!(seen.seconds > EXPRESSIONS / 10, "{seen:?}");
    assert!(seen.star_step_days > EXPRESSIONS / 10, "{seen:?}");
    assert!(seen.leap_days > EXPRESSIONS / 20, "{seen:?}");
}

#[test]
fn hand_picked_expressions_agree_with_the_oracle() {
    let zones = BundledZones::new();
    let mut rng = Rng(7);
    let mut seen = Coverage::default();
    for (text, seconds) in [
        ("0 0 13 * 5", false),
        ("0 0 */2 * 1", false),
        ("0 0 1-31 * 1", false),
        ("0 0 * * 5-7", false),
        ("0 0 * * 5-0", false),
        ("0 0 * * sat-sun", false),
        ("0 0 29 2 *", false),
        ("0 0 30,31 feb *", false),
        ("0 0 31 2 mon", false),
        ("0 0 31 2 */2", false),
        ("30 4 1,15 * fri", false),
        ("*/20,5 */7 * * *", false),
        ("5,*/20 0-23/7 * * *", false),
        ("0 0 *,13 * fri", false),
        ("0 0 13,* * fri", false),
        ("*/15 * 29 2 *", false),
        ("*/10 */30 3 29 2 *", true),
        ("0-59/7 * * * * *", true),
    ] {
        check(text, seconds, &mut rng, &zones, &mut seen);
    }
}

#[test]
fn the_oracle_can_fail() {
    // The oracle is not the implementation: an AND where cron ORs, or a
    // Sunday numbered 7 only, changes its answers.
    let cron = Oracle::new("0 0 13 * 5", false);
    let friday_12th = NaiveDate::from_ymd_opt(2024, 4, 12).expect("date");
    assert!(cron.runs_on(friday_12th));
    let and_rule = Oracle {
        dom: OracleField {
            star: true,
            ..cron.dom
        },
        ..Oracle::new("0 0 13 * 5", false)
    };
    assert!(!and_rule.runs_on(friday_12th));
    let sunday = NaiveDate::from_ymd_opt(2024, 4, 14).expect("date");
    assert!(Oracle::new("0 0 * * 7", false).runs_on(sunday));
}
