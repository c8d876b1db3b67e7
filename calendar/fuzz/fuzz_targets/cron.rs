//! Cron expressions: parsing any input, whole or as a crontab line, must not
//! panic; errors must point inside the input; an expression that parses must
//! print a form that parses back to it, with specs that systemd's grammar
//! accepts and whose first elapse is a time cron runs the job.

#![no_main]

use libfuzzer_sys::fuzz_target;
use sundial_calendar::cron::{CronOptions, CronSchedule};
use sundial_calendar::zone::BundledZones;
use sundial_calendar::{CalendarSpec, CivilDateTime, Timestamp, Zone};

fuzz_target!(|data: &[u8]| {
    let Some((&flags, rest)) = data.split_first() else {
        return;
    };
    let Ok(input) = std::str::from_utf8(rest) else {
        return;
    };
    let options = CronOptions {
        seconds: flags & 1 == 1,
        seed: u64::from(flags),
    };
    if let Err(e) = CronSchedule::parse_prefix(input, &options) {
        assert!(input.is_char_boundary(e.offset()), "{input:?}: {e}");
    }
    let schedule = match CronSchedule::parse(input, &options) {
        Ok(schedule) => schedule,
        Err(e) => {
            assert!(input.is_char_boundary(e.offset()), "{input:?}: {e}");
            return;
        }
    };
    let printed = schedule.to_string();
    assert_eq!(
        CronSchedule::parse(&printed, &options).as_ref(),
        Ok(&schedule),
        "{input:?} prints as {printed:?}"
    );
    let CronSchedule::Calendar(expr) = schedule else {
        return;
    };
    let utc = Zone::utc();
    let base = Timestamp::from_secs(1_700_000_000);
    for text in expr.calendar_specs() {
        let spec = CalendarSpec::parse(&text, &utc, &BundledZones::new())
            .unwrap_or_else(|e| panic!("{input:?} gives spec {text:?}, which fails: {e}"));
        if let Some(next) = spec.next_after(base, &utc) {
            let at = CivilDateTime::from_utc_usec(next.as_usec());
            assert!(expr.matches(&at), "{input:?}: {text:?} elapses at {at:?}");
        }
    }
});
