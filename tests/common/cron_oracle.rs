//! A brute-force model of when cron runs a job, written from cron's rules
//! (Vixie cron, cronie and Debian's cron agree), independent of sundial's
//! translation: its own field parser, the day rule, and the daylight-saving
//! rule of cron.c for shifts under three hours. And a generator of crontab
//! expressions that leans towards the rules' edges.
#![allow(dead_code)]

use std::collections::BTreeSet;

use sundial_calendar::civil::days_in_month;
use sundial_calendar::zone::LocalTime;
use sundial_calendar::{CivilDateTime, Timestamp, Zone};

#[path = "time_gen.rs"]
mod time_gen;
pub use time_gen::Rng;

const MONTHS: [&str; 12] = [
    "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
];
const DAYS: [&str; 7] = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"];

/// One parsed five-field expression.
#[derive(Debug, Clone)]
pub struct Cron {
    minutes: Vec<u32>,
    hours: Vec<u32>,
    dom: [bool; 32],
    months: [bool; 13],
    /// Sunday = 0.
    dow: [bool; 7],
    dom_star: bool,
    dow_star: bool,
    /// Minute or hour begins with `*`: cron.c's "wildcard" job.
    wildcard: bool,
}

fn value(text: &str, names: &[&str], base: u32) -> u32 {
    if let Some(i) = names.iter().position(|n| n.eq_ignore_ascii_case(text)) {
        return i as u32 + base;
    }
    text.parse()
        .unwrap_or_else(|_| panic!("oracle: bad value {text:?}"))
}

/// The values a field allows, in `lo..=hi`.
fn field(text: &str, lo: u32, hi: u32, names: &[&str], base: u32) -> BTreeSet<u32> {
    let mut set = BTreeSet::new();
    for item in text.split(',') {
        let (range, step) = match item.split_once('/') {
            Some((r, s)) => (r, s.parse::<u32>().expect("oracle: step")),
            None => (item, 1),
        };
        let (a, b) = if range == "*" {
            (lo, hi)
        } else if let Some((a, b)) = range.split_once('-') {
            (value(a, names, base), value(b, names, base))
        } else {
            let v = value(range, names, base);
            (v, v)
        };
        let mut v = a;
        while v <= b {
            set.insert(v);
            v += step;
        }
    }
    set
}

impl Cron {
    /// Parses `min hour dom month dow` (the generator's own output).
    pub fn parse(expr: &str) -> Cron {
        let f: Vec<&str> = expr.split_whitespace().collect();
        assert_eq!(f.len(), 5, "oracle: {expr}");
        let mut dom = [false; 32];
        for d in field(f[2], 1, 31, &[], 0) {
            dom[d as usize] = true;
        }
        let mut months = [false; 13];
        for m in field(f[3], 1, 12, &MONTHS, 1) {
            months[m as usize] = true;
        }
        let mut dow = [false; 7];
        for d in field(f[4], 0, 7, &DAYS, 0) {
            dow[(d % 7) as usize] = true;
        }
        Cron {
            minutes: field(f[0], 0, 59, &[], 0).into_iter().collect(),
            hours: field(f[1], 0, 23, &[], 0).into_iter().collect(),
            dom,
            months,
            dow,
            dom_star: f[2].starts_with('*'),
            dow_star: f[4].starts_with('*'),
            wildcard: f[0].starts_with('*') || f[1].starts_with('*'),
        }
    }

    /// cron's day rule: both day fields must match when either begins
    /// with `*`, otherwise either one is enough.
    fn day_matches(&self, year: i32, month: u32, day: u32) -> bool {
        if !self.months[month as usize] {
            return false;
        }
        let weekday = CivilDateTime::date(year, month, day).weekday().index();
        // Weekday::index counts from Monday = 0.
        let dow = self.dow[((weekday + 1) % 7) as usize];
        let dom = self.dom[day as usize];
        if self.dom_star || self.dow_star {
            dom && dow
        } else {
            dom || dow
        }
    }

    /// Every instant in `[from, until)` at which cron runs the job in `zone`.
    pub fn runs(&self, zone: &Zone, from: Timestamp, until: Timestamp) -> Vec<Timestamp> {
        let first = zone.to_civil(from);
        let last = zone.to_civil(until);
        let mut out = BTreeSet::new();
        let (mut y, mut m) = (first.year, first.month);
        loop {
            for d in 1..=days_in_month(y, m) {
                if !self.day_matches(y, m, d) {
                    continue;
                }
                for &h in &self.hours {
                    for &min in &self.minutes {
                        let mut civil = CivilDateTime::date(y, m, d);
                        civil.hour = h;
                        civil.minute = min;
                        match zone.from_civil(&civil) {
                            LocalTime::Unique(t) => {
                                out.insert(t);
                            }
                            LocalTime::Ambiguous(a, b) => {
                                out.insert(a);
                                if self.wildcard {
                                    out.insert(b);
                                }
                            }
                            LocalTime::Gap(after) => {
                                if !self.wildcard {
                                    out.insert(gap_end(zone, after));
                                }
                            }
                        }
                    }
                }
            }
            if (y, m) >= (last.year, last.month) {
                break;
            }
            (y, m) = if m == 12 { (y + 1, 1) } else { (y, m + 1) };
        }
        out.into_iter()
            .filter(|t| *t >= from && *t < until)
            .collect()
    }
}

/// The instant a spring-forward gap ends, from an instant just after it.
fn gap_end(zone: &Zone, after: Timestamp) -> Timestamp {
    let minute = 60_000_000;
    let mut t = after.as_usec();
    let offset = |t: i64| zone.offset_at(Timestamp::from_usec(t)).utc_offset;
    while offset(t - minute) == offset(t) {
        t -= minute;
    }
    Timestamp::from_usec(t)
}

fn pick_name(rng: &mut Rng, names: &[&str], base: u32, v: u32) -> String {
    if rng.chance(30) && ((v - base) as usize) < names.len() {
        let name = names[(v - base) as usize];
        match rng.range(0, 2) {
            0 => name.to_owned(),
            1 => name.to_uppercase(),
            _ => {
                let mut c = name.chars();
                let first = c.next().map(|f| f.to_ascii_uppercase()).unwrap_or('x');
                std::iter::once(first).chain(c).collect()
            }
        }
    } else {
        v.to_string()
    }
}

/// A field of a generated expression.
fn gen_field(rng: &mut Rng, lo: u32, hi: u32, sparse: bool, names: &[&str], base: u32) -> String {
    let any = |rng: &mut Rng| rng.range(u64::from(lo), u64::from(hi)) as u32;
    let name = |rng: &mut Rng, v: u32| {
        if names.is_empty() {
            v.to_string()
        } else {
            pick_name(rng, names, base, v)
        }
    };
    let roll = rng.range(0, 99);
    if !sparse && roll < 25 {
        return "*".into();
    }
    match roll {
        0..=29 => {
            let v = any(rng);
            name(rng, v)
        }
        30..=44 => {
            let n = rng.range(2, 3);
            let mut vals: Vec<u32> = (0..n).map(|_| any(rng)).collect();
            vals.sort_unstable();
            vals.dedup();
            vals.into_iter()
                .map(|v| name(rng, v))
                .collect::<Vec<_>>()
                .join(",")
        }
        45..=59 => {
            let a = any(rng);
            let b = (a + rng.range(0, 4) as u32).min(hi);
            format!("{}-{}", name(rng, a), name(rng, b))
        }
        60..=74 => {
            let step = rng.range(2, u64::from((hi - lo).max(2))) as u32;
            format!("*/{step}")
        }
        75..=84 => {
            let a = any(rng);
            let b = (a + rng.range(1, 12) as u32).min(hi);
            let step = rng.range(2, 5);
            format!("{a}-{b}/{step}")
        }
        _ => {
            let a = any(rng);
            format!("{a},{}-{}", lo, (lo + 1).min(hi))
        }
    }
}

/// A random five-field expression. `dst` leans the hours towards the
/// small hours where clocks change.
pub fn gen_expr(rng: &mut Rng, dst: bool) -> String {
    let minute = gen_field(rng, 0, 59, true, &[], 0);
    let hour = if dst && rng.chance(50) {
        match rng.range(0, 4) {
            0 => "2".to_owned(),
            1 => "1".to_owned(),
            2 => "1-3".to_owned(),
            3 => "*".to_owned(),
            _ => "*/2".to_owned(),
        }
    } else {
        gen_field(rng, 0, 23, true, &[], 0)
    };
    let dom = match rng.range(0, 9) {
        0..=3 => "*".to_owned(),
        4 => "29-31".to_owned(),
        5 => format!("*/{}", rng.range(2, 10)),
        _ => gen_field(rng, 1, 31, true, &[], 0),
    };
    let month = match rng.range(0, 5) {
        0..=2 => "*".to_owned(),
        3 => "2".to_owned(),
        _ => gen_field(rng, 1, 12, true, &MONTHS, 1),
    };
    let dow = match rng.range(0, 11) {
        0..=4 => "*".to_owned(),
        5 => "7".to_owned(),
        6 => "5-7".to_owned(),
        7 => format!("*/{}", rng.range(2, 3)),
        8 => "mon-fri".to_owned(),
        _ => gen_field(rng, 0, 7, true, &DAYS, 0),
    };
    format!("{minute} {hour} {dom} {month} {dow}")
}
