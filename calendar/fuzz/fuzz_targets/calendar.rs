//! Calendar specs: parsing any input must not panic; a spec that parses must
//! print a normalized form that parses back to the same form, and its elapses
//! must be strictly increasing.

#![no_main]

use libfuzzer_sys::fuzz_target;
use sundial_calendar::{CalendarSpec, Timestamp};
use sundial_calendar_fuzz::{split_input, Setting};

fuzz_target!(|data: &[u8]| {
    let Some((setting, input)) = split_input(data) else {
        return;
    };
    let Setting { local, zones, base } = setting;
    let Ok(spec) = CalendarSpec::parse(input, &local, zones) else {
        return;
    };
    let normalized = spec.to_string();
    let again = CalendarSpec::parse(&normalized, &local, zones)
        .unwrap_or_else(|e| panic!("{input:?} normalizes to {normalized:?}, which fails: {e}"));
    assert_eq!(
        again.to_string(),
        normalized,
        "normal form of {input:?} is not stable"
    );
    let mut previous: Timestamp = base;
    for _ in 0..5 {
        let Some(next) = spec.next_after(previous, &local) else {
            break;
        };
        assert!(
            next > previous,
            "{input:?}: next_after({previous:?}) = {next:?} is not later"
        );
        previous = next;
    }
});
