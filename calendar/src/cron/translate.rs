//! Cron expressions as systemd calendar specs.
//!
//! A spec's fields are ANDed, so cron's "either day field" becomes two specs
//! whose union is the job's schedule.
//!
//! systemd's open repetitions (`00/7`) are not bounded by their field: after
//! minute 56 comes minute 63, which carries into the next hour as minute 3,
//! and where that carry crosses a day (minutes, seconds) or a month (hours,
//! days) systemd 252 goes on from there and skips the first value
//! (`*:00/7` gives 00:07 after 23:56, not 00:00; `00/5:00` gives 05:00 on
//! the 1st after 20:00 on the 31st). An open repetition is therefore used
//! only where it is exact: for a minute, hour or second field `*/N` whose
//! step divides the field (60 or 24), which lands exactly on the next 00.
//! Everything else is spelled as values and closed ranges (`00..56/7`),
//! which never overshoot.
//!
//! That keeps cron's wildcard mark readable where it can be: a minute or
//! hour field that begins with `*` prints as `*` or as an open `00/N`
//! (`*/N` with N dividing the field), any other field as values and closed
//! ranges, which systemd's normal form keeps as they are (`*:0..59/5`
//! prints as `*:00..55/5`, not `*:00/5`).

use crate::civil::Weekday;

use super::field::{every_value, CronField, FieldSet};
use super::CronExpr;

pub(super) fn calendar_specs(expr: &CronExpr) -> Vec<String> {
    let second = match &expr.second {
        Some(set) => time_component(set, CronField::Second),
        None => "00".to_owned(),
    };
    let time = format!(
        "{}:{}:{}",
        time_component(&expr.hour, CronField::Hour),
        time_component(&expr.minute, CronField::Minute),
        second
    );
    let month = date_component(&expr.month, CronField::Month);
    let (dom, dow) = (&expr.day_of_month, &expr.day_of_week);
    let spec = |weekdays: Option<String>, day: &str| match weekdays {
        Some(w) => format!("{w} *-{month}-{day} {time}"),
        None => format!("*-{month}-{day} {time}"),
    };
    let every_weekday = dow.bits == every_value(CronField::DayOfWeek);
    let every_day = dom.bits == every_value(CronField::DayOfMonth);
    // cron.c: a day field that begins with `*` makes the day match both
    // fields; two restricted fields match when either does.
    if dom.is_star() || dow.is_star() {
        let weekdays = (!every_weekday).then(|| weekday_list(dow.bits));
        vec![spec(weekdays, &date_component(dom, CronField::DayOfMonth))]
    } else if every_day || every_weekday {
        vec![spec(None, "*")]
    } else {
        vec![
            spec(None, &date_component(dom, CronField::DayOfMonth)),
            spec(Some(weekday_list(dow.bits)), "*"),
        ]
    }
}

/// A minute, hour or second component: `*` stays `*`, `*/N` with N dividing
/// the field becomes `00/N` (with any further items of the field after
/// it); everything else is spelled out as values and closed ranges.
fn time_component(set: &FieldSet, field: CronField) -> String {
    let length = field.high() - field.low() + 1;
    match set.leading_star {
        Some(1) => "*".to_owned(),
        Some(step) if step < length && length % step == 0 => {
            let progression = (0..length)
                .step_by(step as usize)
                .fold(0u64, |bits, v| bits | 1 << v);
            let head = format!("00/{step}");
            match set.bits & !progression {
                0 => head,
                others => format!("{head},{}", values_and_ranges(others)),
            }
        }
        _ => values_and_ranges(set.bits),
    }
}

/// A day-of-month or month component: `*` when every value is allowed,
/// else values and closed ranges (an open `01/N` of days skips the 1st
/// after a year's end in systemd 252).
fn date_component(set: &FieldSet, field: CronField) -> String {
    if set.bits == every_value(field) {
        "*".to_owned()
    } else {
        values_and_ranges(set.bits)
    }
}

/// The values of `bits` as one evenly spaced range (`00..55/5`) when they
/// are, else as a list of values and runs (`01,05,10..20`).
fn values_and_ranges(bits: u64) -> String {
    let values: Vec<u32> = (0..64).filter(|v| bits & 1 << v != 0).collect();
    if let [first, second, .., last] = values[..] {
        let step = second - first;
        if step > 1 && values.windows(2).all(|w| w[1] - w[0] == step) {
            return format!("{first:02}..{last:02}/{step}");
        }
    }
    let mut parts = Vec::new();
    let mut i = 0;
    while i < values.len() {
        let mut j = i;
        while j + 1 < values.len() && values[j + 1] == values[j] + 1 {
            j += 1;
        }
        if j - i >= 2 {
            parts.push(format!("{:02}..{:02}", values[i], values[j]));
        } else {
            parts.extend(values[i..=j].iter().map(|v| format!("{v:02}")));
        }
        i = j + 1;
    }
    parts.join(",")
}

/// Weekday bits (cron's Sunday = 0) as systemd names, Monday first; systemd's
/// normal form compresses them (`Mon,Fri..Sun`).
fn weekday_list(bits: u64) -> String {
    Weekday::ALL
        .iter()
        .filter(|w| bits & 1 << ((w.index() + 1) % 7) != 0)
        .map(|w| w.short_name())
        .collect::<Vec<_>>()
        .join(",")
}
