//! A fixed amount of calendar work for instruction-count profiling
//! (`valgrind --tool=callgrind`), where wall-clock benchmarks are too noisy.
//!
//! ```sh
//! cargo build --release -p sundial-calendar --example profile_calendar
//! valgrind --tool=callgrind target/release/examples/profile_calendar next "Mon..Fri 09:00" Europe/Berlin 10000
//! ```
//!
//! Modes: `parse` parses the spec N times; `next` asks N times for the
//! next elapse after the bench's base (Fri 2024-03-15 12:34:56 UTC); `cron`
//! asks the `cron` crate N times for the next time of a cron expression.

use std::hint::black_box;
use std::str::FromStr;

use chrono::{TimeZone, Utc};
use sundial_calendar::zone::{local_zone, SystemZones};
use sundial_calendar::{CalendarSpec, Timestamp, Zone};

const BASE_SECS: i64 = 1_710_506_096;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let [_, mode, text, zone, count] = args.as_slice() else {
        eprintln!("usage: profile_calendar parse|next|cron SPEC ZONE COUNT");
        std::process::exit(2);
    };
    let count: u64 = count.parse().expect("COUNT is a number");
    let zones = SystemZones::new(None);
    let local = if zone == "UTC" {
        Zone::utc()
    } else {
        local_zone(Some(zone), &zones)
    };
    let base = Timestamp::from_secs(BASE_SECS);
    match mode.as_str() {
        "parse" => {
            for _ in 0..count {
                black_box(CalendarSpec::parse(black_box(text), &local, &zones).ok());
            }
        }
        "next" => {
            let spec = CalendarSpec::parse(text, &local, &zones).expect("a valid spec");
            let mut last = None;
            for _ in 0..count {
                last = black_box(spec.next_after(black_box(base), &local));
            }
            println!("{last:?}");
        }
        "cron" => {
            let schedule = cron::Schedule::from_str(text).expect("a valid cron expression");
            let base = Utc.timestamp_opt(BASE_SECS, 0).single().expect("valid");
            let tz: chrono_tz::Tz = zone.parse().expect("a zone name");
            let base = base.with_timezone(&tz);
            let mut last = None;
            for _ in 0..count {
                last = black_box(schedule.after(black_box(&base)).next());
            }
            println!("{last:?}");
        }
        _ => {
            eprintln!("unknown mode {mode}");
            std::process::exit(2);
        }
    }
}
