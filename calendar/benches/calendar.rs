//! Parse and next-elapse speed of calendar specs, side by side with the `cron`
//! crate on the equivalent cron expressions, in UTC and in Europe/Berlin.
//!
//! ```sh
//! cargo bench -p sundial-calendar --bench calendar -- --warm-up-time 1 --measurement-time 3
//! python3 calendar/benches/table.py target/criterion   # the README table
//! ```
//!
//! Criterion ids are `<spec>/<measurement>`; table.py reads them back from
//! `target/criterion/*/*/new/{benchmark,estimates}.json`.

use std::hint::black_box;
use std::str::FromStr;

use chrono::{DateTime, TimeZone, Utc};
use criterion::{criterion_group, criterion_main, Criterion};
use sundial_calendar::zone::{local_zone, SystemZones};
use sundial_calendar::{CalendarSpec, Timestamp, Zone};

/// The suite: a systemd spec and its cron equivalent (seconds field first, as
/// the cron crate wants; it ANDs day-of-month and day-of-week like systemd).
/// `None`: no cron equivalent, sundial is measured alone.
const SUITE: [(&str, Option<&str>); 12] = [
    ("minutely", Some("0 * * * * *")),
    ("hourly", Some("0 0 * * * *")),
    ("daily", Some("0 0 0 * * *")),
    ("Mon..Fri 09:00", Some("0 0 9 * * Mon-Fri")),
    ("*-*-01 00:00", Some("0 0 0 1 * *")),
    ("*:0/15", Some("0 0/15 * * * *")),
    ("Mon *-*-1..7 10:00", Some("0 0 10 1-7 * Mon")),
    ("*-02-29", Some("0 0 0 29 2 *")),
    ("Sat,Sun 10:00", Some("0 0 10 * * Sat,Sun")),
    ("quarterly", Some("0 0 0 1 1,4,7,10 *")),
    ("*-*~01 23:00", None),
    ("Mon..Fri *-*-* 08..18/2:30:00 Europe/Berlin", None),
];

/// Fri 2024-03-15 12:34:56 UTC: mid-month, mid-week, far from any DST change.
const BASE_SECS: i64 = 1_710_506_096;

fn bench(c: &mut Criterion) {
    let zones = SystemZones::new(None);
    let utc = Zone::utc();
    let berlin = local_zone(Some("Europe/Berlin"), &zones);
    let base = Timestamp::from_secs(BASE_SECS);
    let base_utc: DateTime<Utc> = Utc
        .timestamp_opt(BASE_SECS, 0)
        .single()
        .expect("a valid instant");
    let base_berlin = base_utc.with_timezone(&chrono_tz::Europe::Berlin);

    for (text, cron_expr) in SUITE {
        let mut group = c.benchmark_group(text);
        group.bench_function("sundial parse", |b| {
            b.iter(|| CalendarSpec::parse(black_box(text), &utc, &zones))
        });
        let spec = CalendarSpec::parse(text, &utc, &zones).expect("the suite is valid");
        group.bench_function("sundial next UTC", |b| {
            b.iter(|| spec.next_after(black_box(base), &utc))
        });
        group.bench_function("sundial next Europe/Berlin", |b| {
            b.iter(|| spec.next_after(black_box(base), &berlin))
        });
        if let Some(expr) = cron_expr {
            let schedule = cron::Schedule::from_str(expr).expect("the cron suite is valid");
            // Same answers, or the comparison would be meaningless.
            let cron_next = schedule.after(&base_utc).next().map(|t| t.timestamp());
            let ours = spec.next_after(base, &utc).map(Timestamp::as_secs);
            assert_eq!(ours, cron_next, "{text} vs {expr} in UTC");
            let cron_next = schedule.after(&base_berlin).next().map(|t| t.timestamp());
            let ours = spec.next_after(base, &berlin).map(Timestamp::as_secs);
            assert_eq!(ours, cron_next, "{text} vs {expr} in Europe/Berlin");

            group.bench_function("cron parse", |b| {
                b.iter(|| cron::Schedule::from_str(black_box(expr)))
            });
            group.bench_function("cron next UTC", |b| {
                b.iter(|| schedule.after(black_box(&base_utc)).next())
            });
            group.bench_function("cron next Europe/Berlin", |b| {
                b.iter(|| schedule.after(black_box(&base_berlin)).next())
            });
        }
        group.finish();
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
