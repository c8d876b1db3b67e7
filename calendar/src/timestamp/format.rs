//! systemd's `format_timestamp()`: `Thu 2024-02-29 00:00:00 UTC`.

use std::fmt::Write as _;

use super::{Timestamp, FORMATTABLE_MAX};
use crate::zone::{OffsetSpan, Zone};

/// What systemd prints for instants past year 9999.
const UNFORMATTABLE: &str = "--- XXXX-XX-XX XX:XX:XX";

/// `t` as systemd prints timestamps: English weekday, date, time and the
/// zone's abbreviation at that instant (left out when the zone has none).
///
/// ```
/// use sundial_calendar::timestamp::{self, Timestamp};
/// use sundial_calendar::Zone;
/// let t = Timestamp::from_secs(1_709_164_800);
/// assert_eq!(timestamp::format(t, &Zone::utc()), "Thu 2024-02-29 00:00:00 UTC");
/// let tokyo = Zone::fixed("Asia/Tokyo", 9 * 3600, "JST");
/// assert_eq!(timestamp::format(t, &tokyo), "Thu 2024-02-29 09:00:00 JST");
/// ```
pub fn format(t: Timestamp, zone: &Zone) -> String {
    let mut out = String::new();
    Formatter::new(zone).write(t, &mut out);
    out
}

/// Like [`format()`], with microseconds (`Thu 2024-02-29 00:00:00.250000 UTC`).
///
/// ```
/// use sundial_calendar::timestamp::{self, Timestamp};
/// use sundial_calendar::Zone;
/// let t = Timestamp::from_usec(1_709_164_800_250_000);
/// assert_eq!(timestamp::format_usec(t, &Zone::utc()), "Thu 2024-02-29 00:00:00.250000 UTC");
/// ```
pub fn format_usec(t: Timestamp, zone: &Zone) -> String {
    let mut out = String::new();
    Formatter::new(zone).write_usec(t, &mut out);
    out
}

/// [`format()`] for many instants in one zone, appending to a buffer: it
/// keeps the offset and abbreviation of the last stretch of constant offset
/// it met, so that instants in the same stretch need no zone lookup and no
/// allocation (`systemd-analyze calendar --iterations=100000`).
///
/// ```
/// use sundial_calendar::timestamp::{Formatter, Timestamp};
/// use sundial_calendar::Zone;
/// let tokyo = Zone::fixed("Asia/Tokyo", 9 * 3600, "JST");
/// let mut formatter = Formatter::new(&tokyo);
/// let mut out = String::new();
/// formatter.write(Timestamp::from_secs(1_709_164_800), &mut out);
/// out.push('\n');
/// formatter.write(Timestamp::from_secs(1_709_164_801), &mut out);
/// assert_eq!(out, "Thu 2024-02-29 09:00:00 JST\nThu 2024-02-29 09:00:01 JST");
/// ```
#[derive(Debug)]
pub struct Formatter<'z> {
    zone: &'z Zone,
    /// The stretch of the last instant written, and its abbreviation.
    cached: Option<(OffsetSpan, String)>,
}

impl<'z> Formatter<'z> {
    /// A formatter for instants in `zone`.
    pub fn new(zone: &'z Zone) -> Formatter<'z> {
        Formatter { zone, cached: None }
    }

    /// Appends `t` as [`format()`] prints it.
    pub fn write(&mut self, t: Timestamp, out: &mut String) {
        self.write_with(t, out, false);
    }

    /// Appends `t` as [`format_usec()`] prints it.
    pub fn write_usec(&mut self, t: Timestamp, out: &mut String) {
        self.write_with(t, out, true);
    }

    fn write_with(&mut self, t: Timestamp, out: &mut String, usec: bool) {
        if t.as_usec() > FORMATTABLE_MAX {
            out.push_str(UNFORMATTABLE);
            return;
        }
        let secs = t.as_secs();
        let (span, abbreviation) = match &self.cached {
            Some((span, abbreviation)) if span.contains(secs) => (span, abbreviation),
            _ => {
                // The abbreviation is the one of the offset's stretch
                // (ZoneRules::offset_span).
                let span = self.zone.rules().offset_span(secs);
                let abbreviation = self.zone.abbreviation_at(t);
                let (span, abbreviation) = self.cached.insert((span, abbreviation));
                (&*span, &*abbreviation)
            }
        };
        let offset = i64::from(span.offset.utc_offset) * 1_000_000;
        let c = crate::CivilDateTime::from_utc_usec(t.as_usec().saturating_add(offset));
        out.push_str(c.weekday().short_name());
        out.push(' ');
        if (0..=9999).contains(&c.year) {
            push_digits(out, c.year as u32, 4);
        } else {
            // Years before 0 (instants before the epoch are never formatted
            // by systemd) keep the width the formatting machinery gives them.
            let _ = write!(out, "{:04}", c.year);
        }
        out.push('-');
        push_digits(out, c.month, 2);
        out.push('-');
        push_digits(out, c.day, 2);
        out.push(' ');
        push_digits(out, c.hour, 2);
        out.push(':');
        push_digits(out, c.minute, 2);
        out.push(':');
        push_digits(out, c.second, 2);
        if usec {
            out.push('.');
            push_digits(out, c.usec, 6);
        }
        if !abbreviation.is_empty() {
            out.push(' ');
            out.push_str(abbreviation);
        }
    }
}

/// Appends the last `width` decimal digits of `n`, zero-padded.
fn push_digits(out: &mut String, n: u32, width: u32) {
    let mut divisor = 10u32.pow(width - 1);
    while divisor > 0 {
        out.push(char::from(b'0' + (n / divisor % 10) as u8));
        divisor /= 10;
    }
}
