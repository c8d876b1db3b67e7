//! Shared set-up of the fuzz targets: the first bytes of a fuzz input choose the
//! local zone and the base time, the rest is the text under test.

use std::sync::OnceLock;

use sundial_calendar::zone::{local_zone, SystemZones};
use sundial_calendar::{Timestamp, Zone, ZoneSource};

/// Local zones the targets run in: UTC, a 1-hour DST zone, a 30-minute DST
/// zone, a southern one, and a zone without DST at a half-hour offset.
const LOCAL_ZONES: [&str; 5] = [
    "UTC",
    "Europe/Berlin",
    "Australia/Lord_Howe",
    "America/Santiago",
    "Asia/Kolkata",
];

/// Microseconds from 1970 to 2200: base times are spread over the whole range
/// that calendar specs accept, plus a little beyond.
const BASE_RANGE_USEC: u64 = 7_258_118_400 * 1_000_000 + 86_400_000_000;

/// The environment one fuzz input runs in.
#[derive(Debug)]
pub struct Setting {
    /// The local zone (`TZ`).
    pub local: Zone,
    /// Where zone names are resolved: the system's tz database.
    pub zones: &'static dyn ZoneSource,
    /// The base time ("now", or the instant elapses are computed after).
    pub base: Timestamp,
}

fn zones() -> &'static SystemZones {
    static ZONES: OnceLock<SystemZones> = OnceLock::new();
    ZONES.get_or_init(|| SystemZones::new(None))
}

/// Splits `data` into a setting (first 9 bytes) and UTF-8 text (the rest).
pub fn split_input(data: &[u8]) -> Option<(Setting, &str)> {
    if data.len() < 9 {
        return None;
    }
    let (head, text) = data.split_at(9);
    let text = std::str::from_utf8(text).ok()?;
    let zones = zones();
    let local = local_zone(
        Some(LOCAL_ZONES[usize::from(head[0]) % LOCAL_ZONES.len()]),
        zones,
    );
    let raw = u64::from_le_bytes(head[1..9].try_into().expect("8 bytes"));
    let base = Timestamp::from_usec((raw % BASE_RANGE_USEC) as i64);
    Some((Setting { local, zones, base }, text))
}
