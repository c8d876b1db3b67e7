//! Time zones: the rules that map instants to wall-clock time and back.
//!
//! The calendar code only ever sees a [`Zone`]; where its rules come from is the
//! business of a [`ZoneSource`], which the caller picks and passes in. The
//! sources here read the system's tz database (`TZDIR`, `/usr/share/zoneinfo`)
//! and fall back to the database compiled into the binary.

use std::fmt;
use std::path::Path;
use std::sync::{Arc, OnceLock};

mod bundled;
mod local;
mod system;
mod table;
mod tzif;

pub use bundled::BundledZones;
pub use local::local_zone;
pub use system::{is_valid_zone_name, SystemZones};
pub(crate) use table::{civil_key, TransitionTable};

use crate::civil::CivilDateTime;
use crate::timestamp::Timestamp;

/// The UTC offset in force at one instant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Offset {
    /// Seconds east of UTC (Europe/Berlin in winter: 3600).
    pub utc_offset: i32,
    /// Whether daylight-saving time is in effect.
    pub is_dst: bool,
}

/// An offset and a stretch of instants around the one asked about over which
/// it stays in force: `start <= t < end`, in seconds since the epoch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct OffsetSpan {
    /// The offset in force throughout the span.
    pub offset: Offset,
    /// The first instant of the span.
    pub start: i64,
    /// The first instant after the span.
    pub end: i64,
}

impl OffsetSpan {
    /// Whether instant `unix_secs` lies in the span.
    ///
    /// ```
    /// use sundial_calendar::zone::{Offset, OffsetSpan};
    /// let offset = Offset { utc_offset: 3600, is_dst: false };
    /// let span = OffsetSpan { offset, start: 0, end: 10 };
    /// assert!(span.contains(0) && span.contains(9) && !span.contains(10));
    /// ```
    pub fn contains(&self, unix_secs: i64) -> bool {
        self.start <= unix_secs && unix_secs < self.end
    }
}

/// The rules of one time zone.
///
/// Implementations answer for any instant; everything else (wall-clock
/// conversion in both directions) is derived in [`Zone`].
pub trait ZoneRules: Send + Sync + fmt::Debug {
    /// The offset in force at `unix_secs` seconds since the epoch.
    fn offset_at(&self, unix_secs: i64) -> Offset;

    /// The offset in force at `unix_secs` with a span of instants around it
    /// that share it, so that callers converting many nearby instants can
    /// skip further lookups. The abbreviation too must stay the same over the
    /// span (timestamp formatting caches it). The span need not be the
    /// longest one: the default is the one second of `unix_secs`.
    fn offset_span(&self, unix_secs: i64) -> OffsetSpan {
        OffsetSpan {
            offset: self.offset_at(unix_secs),
            start: unix_secs,
            end: unix_secs.saturating_add(1),
        }
    }

    /// The abbreviation in force at `unix_secs` (`CET`, `CEST`, `UTC`, `+0530`).
    fn abbreviation_at(&self, unix_secs: i64) -> String;

    /// The zone's standard and daylight-saving abbreviations, as the C library
    /// sets `tzname[0]` and `tzname[1]` for it (`("CET", Some("CEST"))`).
    fn abbreviations(&self) -> (String, Option<String>);

    /// The C library's `timezone` and `daylight` for this zone: the standard
    /// offset in seconds east of UTC, and whether a daylight-saving variant
    /// with a different offset exists. The default reads the offset at the
    /// epoch and claims no daylight-saving time.
    fn standard_offset(&self) -> (i32, bool) {
        (self.offset_at(0).utc_offset, false)
    }
}

/// How a wall-clock time maps onto instants in a zone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LocalTime {
    /// Exactly one instant has this wall time.
    Unique(Timestamp),
    /// The wall time occurs twice (clocks were set back): the first and the
    /// second occurrence.
    Ambiguous(Timestamp, Timestamp),
    /// The wall time does not exist (clocks jumped forward over it). The
    /// instant given reads the wall time with the offset in force before the
    /// jump, which lands after the gap, as the C library's `mktime` does.
    Gap(Timestamp),
}

/// A time zone: a name and its rules. Cheap to clone.
#[derive(Clone)]
pub struct Zone {
    name: Arc<str>,
    rules: Arc<dyn ZoneRules>,
    /// The rules as a table, built on first use and shared by clones.
    table: Arc<OnceLock<Option<TransitionTable>>>,
}

impl Zone {
    /// A zone named `name` with the given rules.
    pub fn new(name: &str, rules: Arc<dyn ZoneRules>) -> Zone {
        Zone {
            name: name.into(),
            rules,
            table: Arc::default(),
        }
    }

    /// Coordinated Universal Time.
    ///
    /// ```
    /// use sundial_calendar::{Timestamp, Zone};
    /// let utc = Zone::utc();
    /// assert_eq!(utc.abbreviation_at(Timestamp::EPOCH), "UTC");
    /// ```
    pub fn utc() -> Zone {
        Zone::fixed("UTC", 0, "UTC")
    }

    /// A zone with a constant offset and abbreviation.
    pub fn fixed(name: &str, utc_offset: i32, abbreviation: &str) -> Zone {
        Zone::new(
            name,
            Arc::new(Fixed {
                utc_offset,
                abbreviation: abbreviation.to_owned(),
            }),
        )
    }

    /// The name the zone was loaded under (`Europe/Berlin`, `UTC`).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The rules behind this zone.
    pub fn rules(&self) -> &dyn ZoneRules {
        &*self.rules
    }

    /// The zone's offsets from 1900 to 2210 as a table (built on the first
    /// call), or `None` when its rules give no real offset spans.
    pub(crate) fn transition_table(&self) -> Option<&TransitionTable> {
        self.table
            .get_or_init(|| TransitionTable::build(&*self.rules))
            .as_ref()
    }

    /// The offset in force at `t`.
    pub fn offset_at(&self, t: Timestamp) -> Offset {
        self.rules.offset_at(t.as_secs())
    }

    /// The abbreviation in force at `t`.
    pub fn abbreviation_at(&self, t: Timestamp) -> String {
        self.rules.abbreviation_at(t.as_secs())
    }

    /// The zone's standard and daylight-saving abbreviations, as the C library
    /// sets `tzname[0]` and `tzname[1]`.
    pub fn abbreviations(&self) -> (String, Option<String>) {
        self.rules.abbreviations()
    }

    /// Whether the C library would call this zone UTC: standard offset zero
    /// and no daylight-saving time (systemd's `in_utc_timezone()`).
    ///
    /// ```
    /// use sundial_calendar::Zone;
    /// assert!(Zone::utc().is_utc());
    /// assert!(!Zone::fixed("JST", 9 * 3600, "JST").is_utc());
    /// ```
    pub fn is_utc(&self) -> bool {
        self.rules.standard_offset() == (0, false)
    }

    /// The wall-clock time of `t` in this zone.
    ///
    /// ```
    /// use sundial_calendar::{Timestamp, Zone};
    /// let tokyo = Zone::fixed("Asia/Tokyo", 9 * 3600, "JST");
    /// assert_eq!(tokyo.to_civil(Timestamp::EPOCH).hour, 9);
    /// ```
    pub fn to_civil(&self, t: Timestamp) -> CivilDateTime {
        let offset = i64::from(self.offset_at(t).utc_offset) * 1_000_000;
        CivilDateTime::from_utc_usec(t.as_usec().saturating_add(offset))
    }

    /// The instants whose wall time in this zone is `civil`.
    ///
    /// ```
    /// use sundial_calendar::{zone::LocalTime, CivilDateTime, Timestamp, Zone};
    /// let c = CivilDateTime::date(1970, 1, 2);
    /// assert_eq!(Zone::utc().from_civil(&c), LocalTime::Unique(Timestamp::from_secs(86_400)));
    /// ```
    pub fn from_civil(&self, civil: &CivilDateTime) -> LocalTime {
        let wall = civil.as_utc_usec();
        let secs = wall.div_euclid(1_000_000);
        // Offsets change far less often than once a day, so the offsets in force
        // a day before and a day after are the only candidates.
        let before = self.rules.offset_at(secs - 86_400).utc_offset;
        let after = self.rules.offset_at(secs + 86_400).utc_offset;
        let fits =
            |offset: i32| self.rules.offset_at(secs - i64::from(offset)).utc_offset == offset;
        let at = |offset: i32| Timestamp::from_usec(wall - i64::from(offset) * 1_000_000);
        match (fits(before), fits(after)) {
            (true, true) if before != after => {
                // Larger offset = earlier instant.
                let (a, b) = if before > after {
                    (before, after)
                } else {
                    (after, before)
                };
                LocalTime::Ambiguous(at(a), at(b))
            }
            (true, _) => LocalTime::Unique(at(before)),
            (false, true) => LocalTime::Unique(at(after)),
            (false, false) => LocalTime::Gap(at(before)),
        }
    }
}

impl fmt::Debug for Zone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Zone").field(&self.name).finish()
    }
}

impl PartialEq for Zone {
    /// Zones are equal when they were loaded under the same name.
    fn eq(&self, other: &Zone) -> bool {
        self.name == other.name
    }
}

impl Eq for Zone {}

/// Where zones come from, by IANA name.
pub trait ZoneSource: Send + Sync + fmt::Debug {
    /// The zone called `name` (`Europe/Berlin`), or `None` if there is none.
    /// Names are case-sensitive, as the files of the tz database are.
    fn load(&self, name: &str) -> Option<Zone>;

    /// The zone in the TZif file at `path` (`TZ=/usr/share/zoneinfo/Asia/Tokyo`).
    /// Sources without file access answer `None`, the default.
    fn load_file(&self, path: &Path) -> Option<Zone> {
        let _ = path;
        None
    }

    /// The system's default zone, used when `TZ` is unset (`/etc/localtime`).
    /// Sources without file access answer `None`, the default.
    fn system_default(&self) -> Option<Zone> {
        None
    }
}

#[derive(Debug)]
struct Fixed {
    utc_offset: i32,
    abbreviation: String,
}

impl ZoneRules for Fixed {
    fn offset_at(&self, _unix_secs: i64) -> Offset {
        Offset {
            utc_offset: self.utc_offset,
            is_dst: false,
        }
    }

    fn offset_span(&self, unix_secs: i64) -> OffsetSpan {
        OffsetSpan {
            offset: self.offset_at(unix_secs),
            start: i64::MIN,
            end: i64::MAX,
        }
    }

    fn abbreviation_at(&self, _unix_secs: i64) -> String {
        self.abbreviation.clone()
    }

    fn abbreviations(&self) -> (String, Option<String>) {
        (self.abbreviation.clone(), None)
    }
}

#[cfg(test)]
mod tests;
