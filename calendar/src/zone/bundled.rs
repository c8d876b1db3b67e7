//! Zones from the tz database compiled into the binary (chrono-tz).
//!
//! The fallback for machines without tzdata (slim container images).

use std::collections::HashMap;
use std::str::FromStr;
use std::sync::{Arc, Mutex};

use chrono::{DateTime, TimeZone};
use chrono_tz::{OffsetComponents, OffsetName, Tz};

use super::{Offset, Zone, ZoneRules, ZoneSource};
use crate::civil::{days_from_civil, is_leap_year, weekday_from_days};

/// A [`ZoneSource`] backed only by the tz database bundled with chrono-tz.
///
/// ```
/// use sundial_calendar::zone::BundledZones;
/// use sundial_calendar::{Timestamp, ZoneSource};
/// let zones = BundledZones::new();
/// let berlin = zones.load("Europe/Berlin").expect("bundled");
/// assert_eq!(berlin.abbreviation_at(Timestamp::from_secs(1_719_835_200)), "CEST");
/// assert!(zones.load("Mars/Olympus_Mons").is_none());
/// ```
#[derive(Debug, Default)]
pub struct BundledZones {
    cache: Mutex<HashMap<String, Option<Zone>>>,
}

impl BundledZones {
    /// A source with an empty cache.
    pub fn new() -> BundledZones {
        BundledZones::default()
    }
}

impl ZoneSource for BundledZones {
    fn load(&self, name: &str) -> Option<Zone> {
        let mut cache = self.cache.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(zone) = cache.get(name) {
            return zone.clone();
        }
        let zone = load_bundled(name);
        cache.insert(name.to_owned(), zone.clone());
        zone
    }
}

/// The bundled zone `name`, uncached. Names are case-sensitive, as on disk.
pub(crate) fn load_bundled(name: &str) -> Option<Zone> {
    let tz = Tz::from_str(name).ok()?;
    Some(Zone::new(name, Arc::new(BundledRules::new(tz))))
}

/// chrono-tz lists transitions up to 2099 and holds the last offset after
/// that; 2100-01-01 00:00:00 UTC.
const BUNDLED_HORIZON: i64 = 4_102_444_800;

#[derive(Debug)]
struct BundledRules {
    tz: Tz,
    names: (String, Option<String>),
    standard: (i32, bool),
}

impl BundledRules {
    fn new(tz: Tz) -> BundledRules {
        let mut rules = BundledRules {
            tz,
            names: (String::new(), None),
            standard: (0, false),
        };
        // Without the footer rule of a TZif file, the types in force during
        // the last bundled year stand for it.
        let year_start = days_from_civil(2099, 1, 1) * 86_400;
        let mut std: Option<(i32, String)> = None;
        let mut dst: Option<(i32, String)> = None;
        for day in (0..365).step_by(7) {
            let t = year_start + day * 86_400;
            let offset = rules.offset_at(t);
            let slot = if offset.is_dst { &mut dst } else { &mut std };
            slot.get_or_insert_with(|| (offset.utc_offset, rules.abbreviation_at(t)));
        }
        let (std_offset, std_name) = std
            .or_else(|| dst.clone())
            .expect("a year has at least one week");
        rules.standard = (
            std_offset,
            dst.as_ref().is_some_and(|(o, _)| *o != std_offset),
        );
        rules.names = rules.c_library_names().unwrap_or((std_name, None));
        rules
    }

    /// `tzname` as glibc sets it from a TZif file: the abbreviations of the
    /// latest standard and daylight-saving periods, however long ago
    /// (Asia/Tokyo: `JST` and `JDT` from 1951). chrono-tz lists no
    /// transitions, so this walks back a week at a time from the horizon to
    /// 1800, which would miss only a daylight-saving period shorter than a
    /// week (the sweep over all zones found none).
    fn c_library_names(&self) -> Option<(String, Option<String>)> {
        const WEEK: i64 = 7 * 86_400;
        const Y1800: i64 = -5_364_662_400;
        let mut std: Option<String> = None;
        let mut dst: Option<String> = None;
        let mut t = BUNDLED_HORIZON - WEEK;
        while t > Y1800 && (std.is_none() || dst.is_none()) {
            let (_, daylight, name) = self.components(t);
            let slot = if daylight != 0 { &mut dst } else { &mut std };
            slot.get_or_insert(name);
            t -= WEEK;
        }
        Some((std?, dst))
    }

    fn components(&self, unix_secs: i64) -> (i32, i32, String) {
        let secs = fold_into_bundled_range(unix_secs);
        let utc = DateTime::from_timestamp(secs, 0)
            .unwrap_or(DateTime::UNIX_EPOCH)
            .naive_utc();
        let offset = self.tz.offset_from_utc_datetime(&utc);
        let base = offset.base_utc_offset().num_seconds() as i32;
        let dst = offset.dst_offset().num_seconds() as i32;
        let name = match offset.abbreviation() {
            Some(name) => name.to_owned(),
            None => numeric_abbreviation(base + dst),
        };
        (base, dst, name)
    }
}

/// Instants past the bundled horizon are mapped to the same moment of a year
/// before it that has the same length and starts on the same weekday, so
/// that rule-based transitions (last Sunday of March …) fall on the same
/// dates as they would under the zone's current rules.
fn fold_into_bundled_range(unix_secs: i64) -> i64 {
    if unix_secs < BUNDLED_HORIZON {
        return unix_secs;
    }
    let days = unix_secs.div_euclid(86_400);
    let (year, _, _) = crate::civil::civil_from_days(days);
    let first = days_from_civil(year, 1, 1);
    let key = (is_leap_year(year), weekday_from_days(first));
    let twin = (2071..2099)
        .rev()
        .find(|&y| (is_leap_year(y), weekday_from_days(days_from_civil(y, 1, 1))) == key)
        .expect("every 28 years within a century repeat all calendars");
    unix_secs - (first - days_from_civil(twin, 1, 1)) * 86_400
}

/// tzdata's spelling of an unnamed offset: `+04`, `+0530`, `-0930`.
fn numeric_abbreviation(offset: i32) -> String {
    let sign = if offset < 0 { '-' } else { '+' };
    let abs = offset.unsigned_abs();
    let (h, m) = (abs / 3600, abs / 60 % 60);
    if m == 0 {
        format!("{sign}{h:02}")
    } else {
        format!("{sign}{h:02}{m:02}")
    }
}

impl ZoneRules for BundledRules {
    fn offset_at(&self, unix_secs: i64) -> Offset {
        let (base, dst, _) = self.components(unix_secs);
        Offset {
            utc_offset: base + dst,
            is_dst: dst != 0,
        }
    }

    fn abbreviation_at(&self, unix_secs: i64) -> String {
        self.components(unix_secs).2
    }

    fn abbreviations(&self) -> (String, Option<String>) {
        self.names.clone()
    }

    fn standard_offset(&self) -> (i32, bool) {
        self.standard
    }
}
