//! Zone rules from a TZif file or a POSIX `TZ` rule string, read with tz-rs.

use tz::timezone::TransitionRule;
use tz::{LocalTimeType, TimeZone};

use super::{Offset, ZoneRules};

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
        TimeZone::from_tz_data(bytes).ok().map(TzifRules::new)
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
        settings.parse_posix_tz(rule).ok().map(TzifRules::new)
    }

    fn new(tz: TimeZone) -> TzifRules {
        let (names, standard) = c_library_names(&tz);
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

/// The names and offsets the C library derives for `tzname`, `timezone` and
/// `daylight`: from the footer rule when the file has one, else from the last
/// standard and daylight-saving transitions.
fn c_library_names(tz: &TimeZone) -> ((String, Option<String>), (i32, bool)) {
    let zone = tz.as_ref();
    match zone.extra_rule() {
        Some(TransitionRule::Fixed(ltt)) => (
            (ltt.time_zone_designation().to_owned(), None),
            (ltt.ut_offset(), false),
        ),
        Some(TransitionRule::Alternate(alt)) => (
            (
                alt.std().time_zone_designation().to_owned(),
                Some(alt.dst().time_zone_designation().to_owned()),
            ),
            (
                alt.std().ut_offset(),
                alt.std().ut_offset() != alt.dst().ut_offset(),
            ),
        ),
        None => {
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
            let std = std.unwrap_or(&types[0]);
            let daylight = dst.is_some_and(|d| d.ut_offset() != std.ut_offset());
            (
                (
                    std.time_zone_designation().to_owned(),
                    dst.map(|d| d.time_zone_designation().to_owned()),
                ),
                (std.ut_offset(), daylight),
            )
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
