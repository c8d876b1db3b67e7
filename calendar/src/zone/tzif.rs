//! Zone rules from a TZif file or a POSIX `TZ` rule string, read with tz-rs.

use tz::timezone::{AlternateTime, RuleDay, TimeZoneRef, TransitionRule};
use tz::{LocalTimeType, TimeZone};

use super::{Offset, OffsetSpan, ZoneRules};
use crate::civil::{days_from_civil, days_in_month, is_leap_year};

/// The rules of a TZif file (or of a POSIX rule string, which tz-rs turns into
/// a zone without transitions).
#[derive(Debug)]
pub(crate) struct TzifRules {
    tz: TimeZone,
    /// `(tzname[0], tzname[1])`, computed once at load time.
    names: (String, Option<String>),
    /// `(standard offset, whether there is a daylight-saving variant)`.
    standard: (i32, bool),
}

impl TzifRules {
    /// Parses the contents of a TZif file. `None` unless it starts with the
    /// `TZif` magic and tz-rs accepts it.
    pub(crate) fn from_tzif(bytes: &[u8]) -> Option<TzifRules> {
        if !bytes.starts_with(b"TZif") {
            return None;
        }
        let tz = TimeZone::from_tz_data(bytes).ok()?;
        let names = names_from_tzif(&tz);
        Some(TzifRules::new(tz, names))
    }

    /// Parses a POSIX `TZ` rule such as `EST5EDT` or
    /// `CET-1CEST,M3.5.0,M10.5.0/3`, without looking at any file.
    pub(crate) fn from_posix_rule(rule: &str) -> Option<TzifRules> {
        // An empty directory list and a reader that always fails make tz-rs
        // parse the string as a rule and never touch the file system.
        let settings = tz::TimeZoneSettings::new(&[], |_| Err("no files here".into()));
        if rule.is_empty() || rule.starts_with('/') || rule == "localtime" {
            return None;
        }
        let tz = settings.parse_posix_tz(rule).ok()?;
        let names = names_from_rule(&tz);
        Some(TzifRules::new(tz, names))
    }

    fn new(tz: TimeZone, names: (String, Option<String>)) -> TzifRules {
        let standard = c_library_standard(&tz);
        TzifRules {
            tz,
            names,
            standard,
        }
    }

    fn local_time_type(&self, unix_secs: i64) -> &LocalTimeType {
        if let Ok(ltt) = self.tz.find_local_time_type(unix_secs) {
            return ltt;
        }
        // tz-rs gives up after the last transition of a file without a footer
        // rule, and for instants its rule arithmetic cannot reach; the C library
        // keeps the last type in force (or the first one before any transition).
        let zone = self.tz.as_ref();
        let types = zone.local_time_types();
        match zone.transitions() {
            [first, ..] if unix_secs < first.unix_leap_time() => &types[0],
            [.., last] => &types[last.local_time_type_index()],
            [] => match zone.extra_rule() {
                Some(TransitionRule::Alternate(alt)) => alt.std(),
                Some(TransitionRule::Fixed(ltt)) => ltt,
                None => &types[0],
            },
        }
    }
}

impl TzifRules {
    /// The transitions before and after `unix_secs` (`i64::MIN`/`MAX` where
    /// there is none): the span over which the local time type of
    /// `unix_secs` stays in force. Zones with leap seconds get the one second.
    fn span_bounds(&self, unix_secs: i64) -> (i64, i64) {
        let zone = self.tz.as_ref();
        let single = (unix_secs, unix_secs.saturating_add(1));
        if !zone.leap_seconds().is_empty() {
            return single;
        }
        let transitions = zone.transitions();
        let after = transitions.partition_point(|t| t.unix_leap_time() <= unix_secs);
        if after < transitions.len() {
            let start = match after {
                0 => i64::MIN,
                i => transitions[i - 1].unix_leap_time(),
            };
            return (start, transitions[after].unix_leap_time());
        }
        // Past the last transition the footer rule (if any) takes over.
        let floor = transitions.last().map_or(i64::MIN, |t| t.unix_leap_time());
        let Some(TransitionRule::Alternate(alt)) = zone.extra_rule() else {
            return (floor, i64::MAX);
        };
        let year =
            crate::civil::CivilDateTime::from_utc_usec(unix_secs.saturating_mul(1_000_000)).year;
        let mut start = floor;
        let mut end = i64::MAX;
        for y in year - 1..=year + 1 {
            for t in rule_transitions(alt, y) {
                if t <= unix_secs {
                    start = start.max(t);
                } else {
                    end = end.min(t);
                }
            }
        }
        if end == i64::MAX {
            // No later transition found nearby: claim nothing beyond this second.
            return (start, unix_secs.saturating_add(1));
        }
        (start, end)
    }
}

/// The instants (UTC seconds) at which the footer rule starts and ends
/// daylight-saving time in `year`.
fn rule_transitions(alt: &AlternateTime, year: i32) -> [i64; 2] {
    let start_in_utc = i64::from(alt.dst_start_time()) - i64::from(alt.std().ut_offset());
    let end_in_utc = i64::from(alt.dst_end_time()) - i64::from(alt.dst().ut_offset());
    [
        rule_day(alt.dst_start(), year) * 86_400 + start_in_utc,
        rule_day(alt.dst_end(), year) * 86_400 + end_in_utc,
    ]
}

/// Days since the epoch of a POSIX rule day in `year`.
fn rule_day(day: &RuleDay, year: i32) -> i64 {
    match day {
        RuleDay::Julian1WithoutLeap(d) => {
            // `Jn`: 1..=365, February 29 is never counted.
            let mut n = i64::from(d.get());
            if is_leap_year(year) && n >= 60 {
                n += 1;
            }
            days_from_civil(year, 1, 1) + n - 1
        }
        RuleDay::Julian0WithLeap(d) => days_from_civil(year, 1, 1) + i64::from(d.get()),
        RuleDay::MonthWeekDay(mwd) => {
            let month = u32::from(mwd.month());
            let first = days_from_civil(year, month, 1);
            // 1970-01-01 was a Thursday (4, counting from Sunday = 0).
            let first_weekday = (4 + first).rem_euclid(7);
            let first_match = (i64::from(mwd.week_day()) - first_weekday).rem_euclid(7);
            let mut day = first_match + (i64::from(mwd.week()) - 1) * 7;
            if day >= i64::from(days_in_month(year, month)) {
                day -= 7;
            }
            first + day
        }
    }
}

/// The types of the latest standard and the latest daylight-saving
/// transition. Without transitions (or without a standard one) glibc takes
/// the first abbreviation of the file, which is the first type's.
fn last_standard_and_daylight(zone: TimeZoneRef<'_>) -> (&LocalTimeType, Option<&LocalTimeType>) {
    let types = zone.local_time_types();
    let mut std: Option<&LocalTimeType> = None;
    let mut dst: Option<&LocalTimeType> = None;
    for transition in zone.transitions().iter().rev() {
        let ltt = &types[transition.local_time_type_index()];
        let slot = if ltt.is_dst() { &mut dst } else { &mut std };
        slot.get_or_insert(ltt);
        if std.is_some() && dst.is_some() {
            break;
        }
    }
    (std.unwrap_or(&types[0]), dst)
}

/// `tzname` as glibc's `tzset()` leaves it after reading a TZif file: the
/// abbreviations of the latest standard and daylight-saving transitions,
/// whatever the footer rule says (glibc 2.36 `__tzfile_read`). Only a later
/// `localtime()` past the last transition switches `tzname` to the footer's
/// names, and systemd compares the suffix before making any such call. So
/// Asia/Tokyo, on `JST-9` since 1951, still answers to `JDT`, and
/// Asia/Kolkata to `+0630`.
fn names_from_tzif(tz: &TimeZone) -> (String, Option<String>) {
    let (std, dst) = last_standard_and_daylight(tz.as_ref());
    (
        std.time_zone_designation().to_owned(),
        dst.map(|d| d.time_zone_designation().to_owned()),
    )
}

/// `tzname` for a POSIX `TZ` rule: its two names (one for a rule without
/// daylight-saving time).
fn names_from_rule(tz: &TimeZone) -> (String, Option<String>) {
    match tz.as_ref().extra_rule() {
        Some(TransitionRule::Alternate(alt)) => (
            alt.std().time_zone_designation().to_owned(),
            Some(alt.dst().time_zone_designation().to_owned()),
        ),
        Some(TransitionRule::Fixed(ltt)) => (ltt.time_zone_designation().to_owned(), None),
        None => names_from_tzif(tz),
    }
}

/// The C library's `timezone` and `daylight` (as the standard offset and
/// whether a daylight-saving variant with another offset exists): from the
/// footer rule when the file has one, else from the last standard and
/// daylight-saving transitions.
fn c_library_standard(tz: &TimeZone) -> (i32, bool) {
    let zone = tz.as_ref();
    match zone.extra_rule() {
        Some(TransitionRule::Fixed(ltt)) => (ltt.ut_offset(), false),
        Some(TransitionRule::Alternate(alt)) => (
            alt.std().ut_offset(),
            alt.std().ut_offset() != alt.dst().ut_offset(),
        ),
        None => {
            let (std, dst) = last_standard_and_daylight(zone);
            let daylight = dst.is_some_and(|d| d.ut_offset() != std.ut_offset());
            (std.ut_offset(), daylight)
        }
    }
}

impl ZoneRules for TzifRules {
    fn offset_at(&self, unix_secs: i64) -> Offset {
        let ltt = self.local_time_type(unix_secs);
        Offset {
            utc_offset: ltt.ut_offset(),
            is_dst: ltt.is_dst(),
        }
    }

    fn offset_span(&self, unix_secs: i64) -> OffsetSpan {
        let offset = self.offset_at(unix_secs);
        let (start, end) = self.span_bounds(unix_secs);
        OffsetSpan { offset, start, end }
    }

    fn abbreviation_at(&self, unix_secs: i64) -> String {
        self.local_time_type(unix_secs)
            .time_zone_designation()
            .to_owned()
    }

    fn abbreviations(&self) -> (String, Option<String>) {
        self.names.clone()
    }

    fn standard_offset(&self) -> (i32, bool) {
        self.standard
    }
}
