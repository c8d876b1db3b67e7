//! systemd's `format_timestamp()`: `Thu 2024-02-29 00:00:00 UTC`.

use super::{Timestamp, FORMATTABLE_MAX};
use crate::zone::Zone;

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
    format_with(t, zone, false)
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
    format_with(t, zone, true)
}

fn format_with(t: Timestamp, zone: &Zone, usec: bool) -> String {
    if t.as_usec() > FORMATTABLE_MAX {
        return UNFORMATTABLE.to_owned();
    }
    let c = zone.to_civil(t);
    let mut out = format!(
        "{} {:04}-{:02}-{:02} {:02}:{:02}:{:02}",
        c.weekday(),
        c.year,
        c.month,
        c.day,
        c.hour,
        c.minute,
        c.second
    );
    if usec {
        out.push_str(&format!(".{:06}", c.usec));
    }
    let abbreviation = zone.abbreviation_at(t);
    if !abbreviation.is_empty() {
        out.push(' ');
        out.push_str(&abbreviation);
    }
    out
}
