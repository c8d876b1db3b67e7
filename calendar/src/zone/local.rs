//! The local zone, from the value of `TZ` as the GNU C library reads it.

use std::path::Path;
use std::sync::Arc;

use super::tzif::TzifRules;
use super::{Zone, ZoneSource};

/// The local time zone for a value of the `TZ` environment variable, read as
/// the GNU C library's `tzset()` does:
///
/// * unset: the system default (`/etc/localtime`), UTC if there is none;
/// * empty or `:`: UTC;
/// * a leading `:` is ignored; an absolute path names a TZif file;
/// * otherwise a zone of the tz database (`Europe/Berlin`, `UTC`, `EST5EDT`),
///   and if there is none, a POSIX rule (`CET-1CEST,M3.5.0,M10.5.0/3`,
///   `JST-9`); what the C library salvages from a broken rule (its name,
///   with offset zero) is salvaged here too.
///
/// The caller reads the environment and passes the value in.
///
/// ```
/// use sundial_calendar::zone::{local_zone, BundledZones};
/// use sundial_calendar::Timestamp;
/// let zones = BundledZones::new();
/// let t = Timestamp::from_secs(1_719_835_200); // 2024-07-01 12:00 UTC
/// assert_eq!(local_zone(Some("Europe/Berlin"), &zones).abbreviation_at(t), "CEST");
/// assert_eq!(local_zone(Some("EST5EDT,M3.2.0,M11.1.0"), &zones).abbreviation_at(t), "EDT");
/// assert_eq!(local_zone(Some(""), &zones).name(), "UTC");
/// ```
pub fn local_zone(tz_env: Option<&str>, zones: &dyn ZoneSource) -> Zone {
    let Some(value) = tz_env else {
        return zones.system_default().unwrap_or_else(|| utc(zones));
    };
    // glibc: "a leading colon means implementation-defined syntax"; it tries a
    // file and then the POSIX syntax either way.
    let value = value.strip_prefix(':').unwrap_or(value);
    if value.is_empty() {
        return utc(zones);
    }
    let from_file = if value.starts_with('/') {
        zones.load_file(Path::new(value))
    } else {
        zones.load(value)
    };
    if let Some(zone) = from_file {
        return zone;
    }
    posix_zone(value)
}

fn utc(zones: &dyn ZoneSource) -> Zone {
    zones.load("UTC").unwrap_or_else(Zone::utc)
}

/// A zone from a POSIX `TZ` rule, with the C library's leniency.
fn posix_zone(value: &str) -> Zone {
    if let Some(rules) = TzifRules::from_posix_rule(value) {
        return Zone::new(value, Arc::new(rules));
    }
    // A rule with a daylight-saving name but no (valid) dates gets the C
    // library's built-in US dates.
    let head = value.split(',').next().unwrap_or(value);
    let with_default_dates = format!("{head},M3.2.0,M11.1.0");
    if let Some(rules) = TzifRules::from_posix_rule(&with_default_dates) {
        return Zone::new(value, Arc::new(rules));
    }
    let (name, offset) = salvage_name_and_offset(value);
    Zone::fixed(value, offset, &name)
}

/// What glibc keeps of a rule it cannot fully parse: the standard name
/// (`<...>` quoted or at least three letters, else empty) and the offset
/// after it (hours clamped to 24, minutes and seconds to 59; zero if
/// missing), as seconds east of UTC.
fn salvage_name_and_offset(value: &str) -> (String, i32) {
    let (name, rest) = if let Some(quoted) = value.strip_prefix('<') {
        match quoted.split_once('>') {
            Some((name, rest)) => (name, rest),
            None => return (String::new(), 0),
        }
    } else {
        let end = value
            .find(|c: char| !c.is_ascii_alphabetic())
            .unwrap_or(value.len());
        (&value[..end], &value[end..])
    };
    if name.len() < 3 {
        return (String::new(), 0);
    }
    let (sign, digits) = match rest.as_bytes().first() {
        Some(b'-') => (1, &rest[1..]),
        Some(b'+') => (-1, &rest[1..]),
        _ => (-1, rest),
    };
    let mut fields = [0i32; 3];
    let mut limits = [24, 59, 59].into_iter();
    for (slot, part) in fields.iter_mut().zip(digits.split(':')) {
        let len = part.bytes().take_while(u8::is_ascii_digit).count();
        if len == 0 {
            break;
        }
        let limit = limits.next().unwrap_or(59);
        *slot = part[..len].parse::<i32>().unwrap_or(limit).min(limit);
        if len != part.len() {
            break;
        }
    }
    let offset = fields[0] * 3600 + fields[1] * 60 + fields[2];
    (name.to_owned(), sign * offset)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::zone::BundledZones;
    use crate::Timestamp;

    #[test]
    fn broken_rules_keep_their_name() {
        assert_eq!(salvage_name_and_offset("Foo/Bar"), ("Foo".to_owned(), 0));
        assert_eq!(salvage_name_and_offset("Fo"), (String::new(), 0));
        assert_eq!(
            salvage_name_and_offset("ABC+25"),
            ("ABC".to_owned(), -24 * 3600)
        );
        assert_eq!(salvage_name_and_offset("<ABC>"), ("ABC".to_owned(), 0));
    }

    #[test]
    fn posix_rule_without_dates_uses_us_dates() {
        let zone = local_zone(Some("EST5EDT,garbage"), &BundledZones::new());
        let july = Timestamp::from_secs(1_719_835_200);
        assert_eq!(zone.abbreviation_at(july), "EDT");
        assert_eq!(zone.offset_at(july).utc_offset, -4 * 3600);
    }
}
