//! Timestamps: parsing any input must not panic, whatever "now" and the local
//! zone are, and a parsed instant must format in the local zone.

#![no_main]

use libfuzzer_sys::fuzz_target;
use sundial_calendar::timestamp;
use sundial_calendar_fuzz::{split_input, Setting};

fuzz_target!(|data: &[u8]| {
    let Some((setting, input)) = split_input(data) else {
        return;
    };
    let Setting { local, zones, base } = setting;
    let Ok(t) = timestamp::parse(input, base, &local, zones) else {
        return;
    };
    let _ = timestamp::format(t, &local);
    let _ = timestamp::format_usec(t, &local);
});
