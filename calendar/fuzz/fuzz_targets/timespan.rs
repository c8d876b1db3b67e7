//! Time spans: parsing any input must not panic, and the printed form of a
//! parsed span must parse back to the same number of microseconds (below ~31 700
//! years: near the u64 limit systemd itself rejects its own printed form, e.g.
//! `584542y`, and sundial does the same).

#![no_main]

use libfuzzer_sys::fuzz_target;
use sundial_calendar::timespan::format_relative;
use sundial_calendar::{Timespan, Timestamp};

fuzz_target!(|data: &[u8]| {
    let Ok(input) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(span) = Timespan::parse(input) else {
        return;
    };
    let printed = span.to_string();
    if span.as_usec() > 1_000_000_000_000_000_000 && span != Timespan::INFINITY {
        return;
    }
    let again = Timespan::parse(&printed)
        .unwrap_or_else(|e| panic!("{input:?} prints as {printed:?}, which fails: {e}"));
    assert_eq!(again, span, "{input:?} prints as {printed:?}");
    // The relative form of an instant this far from an arbitrary "now".
    let now = Timestamp::from_usec(1_700_000_000_000_000);
    let _ = format_relative(now, now + span);
    let _ = format_relative(now, now - span);
});
