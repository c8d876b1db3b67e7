//! systemd's timestamp grammar (`parse_timestamp()`), as systemd 252 reads
//! it, plus the IANA zone suffix that 252 documents but fails to accept
//! (fixed in v253, whose semantics are followed for it).

use super::mktime::mktime;
use super::strptime::{strptime, Tm};
use super::{Timestamp, FORMATTABLE_MAX};
use crate::civil::{days_from_civil, weekday_from_days, CivilDateTime};
use crate::error::{InputKind, ParseError};
use crate::timespan::{self, Timespan};
use crate::zone::{is_valid_zone_name, Zone, ZoneSource};

/// English day names in systemd's lookup order (full name before its
/// abbreviation), Monday = 0.
const DAY_NAMES: [(&str, u32); 14] = [
    ("Sunday", 6),
    ("Sun", 6),
    ("Monday", 0),
    ("Mon", 0),
    ("Tuesday", 1),
    ("Tue", 1),
    ("Wednesday", 2),
    ("Wed", 2),
    ("Thursday", 3),
    ("Thu", 3),
    ("Friday", 4),
    ("Fri", 4),
    ("Saturday", 5),
    ("Sat", 5),
];

/// What the absolute forms may be followed by, and the `strptime` formats
/// systemd tries in order.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Tail {
    /// Nothing may follow.
    End,
    /// `.ffffff` may follow.
    Fraction,
}

const FORMATS: [(&str, Tail, Fill); 9] = [
    ("%y-%m-%d %H:%M:%S", Tail::Fraction, Fill::None),
    ("%Y-%m-%d %H:%M:%S", Tail::Fraction, Fill::None),
    ("%b %d %H:%M:%S", Tail::Fraction, Fill::None),
    ("%y-%m-%d %H:%M", Tail::End, Fill::Seconds),
    ("%Y-%m-%d %H:%M", Tail::End, Fill::Seconds),
    ("%y-%m-%d", Tail::End, Fill::Time),
    ("%Y-%m-%d", Tail::End, Fill::Time),
    ("%H:%M:%S", Tail::Fraction, Fill::None),
    ("%H:%M", Tail::End, Fill::Seconds),
];

/// Which fields a format leaves at zero rather than at the current time.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Fill {
    None,
    Seconds,
    Time,
}

/// The time zone the wall-clock fields are read in.
enum Frame<'z> {
    Utc,
    Zone(&'z Zone),
}

/// Context for error messages.
struct Input<'a> {
    whole: &'a str,
}

impl Input<'_> {
    fn error(&self, part: &str, reason: impl Into<String>) -> ParseError {
        // `part` is a slice of the input; point at it.
        let offset = (part.as_ptr() as usize)
            .checked_sub(self.whole.as_ptr() as usize)
            .filter(|o| *o <= self.whole.len())
            .unwrap_or(0);
        ParseError::new(InputKind::Timestamp, self.whole, offset, reason)
    }

    fn span_error(&self, part: &str, err: ParseError) -> ParseError {
        let base = self.error(part, "").offset;
        ParseError::new(
            InputKind::Timestamp,
            self.whole,
            base + err.offset,
            err.reason,
        )
    }
}

/// Parses a timestamp as `systemd-analyze timestamp` and `--base-time=` do;
/// `now` stands for the current time, `local` is the local zone and `zones`
/// resolves a trailing IANA zone name.
///
/// ```
/// use sundial_calendar::timestamp::{self, Timestamp};
/// use sundial_calendar::zone::BundledZones;
/// use sundial_calendar::Zone;
/// let zones = BundledZones::new();
/// let now = Timestamp::from_secs(1_700_000_000); // Tue 2023-11-14 22:13:20 UTC
/// let parse = |s| timestamp::parse(s, now, &Zone::utc(), &zones);
/// assert_eq!(parse("2024-02-29 12:00 UTC"), Ok(Timestamp::from_secs(1_709_208_000)));
/// assert_eq!(parse("today"), Ok(Timestamp::from_secs(1_699_920_000)));
/// assert_eq!(parse("+1h"), Ok(Timestamp::from_secs(1_700_003_600)));
/// assert_eq!(parse("@1395716396"), Ok(Timestamp::from_secs(1_395_716_396)));
/// assert_eq!(parse("2012-11-23 11:12:13 Europe/Berlin"), Ok(Timestamp::from_secs(1_353_665_533)));
/// assert!(parse("Thu 2012-11-23").is_err()); // it was a Friday
/// ```
pub fn parse(
    input: &str,
    now: Timestamp,
    local: &Zone,
    zones: &dyn ZoneSource,
) -> Result<Timestamp, ParseError> {
    let cx = Input { whole: input };
    if let Some((head, word)) = input.rsplit_once(' ') {
        // systemd 252 takes ` UTC` (any case) before looking for zone files.
        if !ends_with_ignore_case(input, " UTC") && is_valid_zone_name(word) {
            if let Some(zone) = zones.load(word) {
                // v253: a name that is also one of that zone's abbreviations
                // (`CET`, `EST`) sets the daylight-saving flag.
                let (std, dst) = zone.abbreviations();
                let isdst = if word == std {
                    Some(false)
                } else if dst.as_deref() == Some(word) {
                    Some(true)
                } else {
                    None
                };
                return absolute(&cx, head, now, Frame::Zone(&zone), isdst);
            }
        }
    }
    relative_or_absolute(&cx, input, now, local)
}

fn ends_with_ignore_case(s: &str, suffix: &str) -> bool {
    s.len() >= suffix.len()
        && s.as_bytes()[s.len() - suffix.len()..].eq_ignore_ascii_case(suffix.as_bytes())
}

/// Strips `suffix` (ASCII, any case) if `s` ends with it.
fn strip_suffix_ignore_case<'a>(s: &'a str, suffix: &str) -> Option<&'a str> {
    ends_with_ignore_case(s, suffix).then(|| &s[..s.len() - suffix.len()])
}

/// The forms without a zone file suffix: relative ones first, then the
/// absolute ones with an optional ` UTC` or local abbreviation suffix.
fn relative_or_absolute(
    cx: &Input<'_>,
    t: &str,
    now: Timestamp,
    local: &Zone,
) -> Result<Timestamp, ParseError> {
    let span = |s: &str| Timespan::parse(s).map_err(|e| cx.span_error(s, e));
    if let Some(rest) = t.strip_prefix('@') {
        // systemd returns the span as is: no range check.
        let secs = span(rest)?;
        return Ok(if secs.is_infinite() {
            Timestamp::INFINITY
        } else {
            Timestamp::from_usec(i64::try_from(secs.as_usec()).unwrap_or(i64::MAX - 1))
        });
    }
    if t == "now" {
        return shift(cx, now, Timespan::ZERO, Timespan::ZERO);
    }
    if let Some(rest) = t.strip_prefix('+') {
        return shift(cx, now, span(rest)?, Timespan::ZERO);
    }
    if let Some(rest) = t.strip_prefix('-') {
        return shift(cx, now, Timespan::ZERO, span(rest)?);
    }
    if let Some(rest) = t.strip_suffix(" ago") {
        return shift(cx, now, Timespan::ZERO, span(rest)?);
    }
    if let Some(rest) = t.strip_suffix(" left") {
        return shift(cx, now, span(rest)?, Timespan::ZERO);
    }
    if let Some(rest) = strip_suffix_ignore_case(t, " UTC") {
        return absolute(cx, rest, now, Frame::Utc, None);
    }
    let (std, dst) = local.abbreviations();
    for (name, isdst) in [(Some(std), false), (dst, true)] {
        let Some(name) = name.filter(|n| !n.is_empty()) else {
            continue;
        };
        if let Some(rest) = strip_suffix_ignore_case(t, &name) {
            if let Some(rest) = rest.strip_suffix(' ') {
                return absolute(cx, rest, now, Frame::Zone(local), Some(isdst));
            }
        }
    }
    absolute(cx, t, now, Frame::Zone(local), None)
}

/// `now + plus - minus`, within systemd's limits.
fn shift(
    cx: &Input<'_>,
    now: Timestamp,
    plus: Timespan,
    minus: Timespan,
) -> Result<Timestamp, ParseError> {
    let t = now
        .checked_add(plus)
        .filter(|t| t.as_usec() <= FORMATTABLE_MAX)
        .ok_or_else(|| {
            cx.error(
                cx.whole,
                "after 9999-12-30 23:59:59 UTC, the last time systemd can print",
            )
        })?;
    t.checked_sub(minus)
        .filter(|t| t.as_usec() >= 0)
        .ok_or_else(|| cx.error(cx.whole, "before 1970-01-01 00:00:00 UTC"))
}

/// `today`, `yesterday`, `tomorrow` and `[WEEKDAY] DATE [TIME]` forms, read
/// in `frame` with `isdst` as the daylight-saving flag.
fn absolute(
    cx: &Input<'_>,
    t: &str,
    now: Timestamp,
    frame: Frame<'_>,
    isdst: Option<bool>,
) -> Result<Timestamp, ParseError> {
    let now_civil = match frame {
        Frame::Utc => Zone::utc().to_civil(now),
        Frame::Zone(zone) => zone.to_civil(now),
    };
    let base = Tm {
        year: now_civil.year,
        month: now_civil.month,
        day: i64::from(now_civil.day),
        hour: now_civil.hour,
        minute: now_civil.minute,
        second: now_civil.second,
    };
    let midnight = Tm {
        hour: 0,
        minute: 0,
        second: 0,
        ..base
    };
    let day_offset = match t {
        "today" => Some(0),
        "yesterday" => Some(-1),
        "tomorrow" => Some(1),
        _ => None,
    };
    if let Some(d) = day_offset {
        let tm = Tm {
            day: midnight.day + d,
            ..midnight
        };
        return to_instant(cx, &tm, 0, &frame, isdst);
    }

    let (weekday, rest) = DAY_NAMES
        .iter()
        .find_map(|&(name, index)| {
            let (word, after) = (t.get(..name.len())?, t.get(name.len()..)?);
            (word.eq_ignore_ascii_case(name) && after.starts_with(' '))
                .then(|| (Some(index), &after[1..]))
        })
        .unwrap_or((None, t));

    for (format, tail, fill) in FORMATS {
        let Some((mut tm, left)) = strptime(rest, format, base) else {
            continue;
        };
        let usec = match (tail, left.strip_prefix('.')) {
            (_, None) if !left.is_empty() => continue,
            (_, None) => 0,
            (Tail::End, Some(_)) => continue,
            (Tail::Fraction, Some(digits)) => fraction(digits)
                .ok_or_else(|| cx.error(left, "expected up to six digits after '.'"))?,
        };
        match fill {
            Fill::None => {}
            Fill::Seconds => tm.second = 0,
            Fill::Time => (tm.hour, tm.minute, tm.second) = (0, 0, 0),
        }
        if let Some(wanted) = weekday {
            // glibc's strptime derives the weekday from the parsed date (or
            // keeps today's for time-only forms), before normalization.
            let days = days_from_civil(tm.year, tm.month, 1) + tm.day - 1;
            let actual = weekday_from_days(days);
            if actual.index() != wanted {
                return Err(cx.error(
                    t,
                    format!(
                        "that day is a {}, not a {}",
                        actual.long_name(),
                        crate::Weekday::from_index(wanted).long_name()
                    ),
                ));
            }
        }
        return to_instant(cx, &tm, usec, &frame, isdst);
    }
    Err(cx.error(
        t,
        "expected 'now', 'today', 'yesterday', 'tomorrow', '+SPAN', '-SPAN', 'SPAN ago', \
         'SPAN left', '@SECONDS' or [WEEKDAY] [YYYY-]MM-DD [HH:MM[:SS[.ffffff]]] [UTC|ZONE]",
    ))
}

/// systemd's `parse_fractional_part_u(…, 6, …)`: at least one digit, six
/// significant ones, the seventh rounds, the rest is ignored; nothing may follow.
fn fraction(digits: &str) -> Option<i64> {
    let len = digits.bytes().take_while(u8::is_ascii_digit).count();
    if len == 0 || len != digits.len() {
        return None;
    }
    let b = digits.as_bytes();
    let mut value = 0i64;
    for i in 0..6 {
        value = value * 10 + b.get(i).map_or(0, |d| i64::from(d - b'0'));
    }
    if b.get(6).is_some_and(|d| *d >= b'5') {
        value += 1;
    }
    Some(value)
}

/// `mktime()` or `timegm()` of normalized fields, within systemd's limits.
fn to_instant(
    cx: &Input<'_>,
    tm: &Tm,
    usec: i64,
    frame: &Frame<'_>,
    isdst: Option<bool>,
) -> Result<Timestamp, ParseError> {
    let days = days_from_civil(tm.year, tm.month, 1) + tm.day - 1;
    let wall = days * 86_400
        + i64::from(tm.hour) * 3_600
        + i64::from(tm.minute) * 60
        + i64::from(tm.second);
    let secs = match frame {
        Frame::Utc => Some(wall),
        Frame::Zone(zone) => mktime(zone, wall, isdst),
    }
    .ok_or_else(|| {
        let c = CivilDateTime::from_utc_usec(wall * 1_000_000);
        cx.error(
            cx.whole,
            format!(
                "{:04}-{:02}-{:02} {:02}:{:02}:{:02} has no instant with that daylight-saving flag",
                c.year, c.month, c.day, c.hour, c.minute, c.second
            ),
        )
    })?;
    if secs < 0 {
        return Err(cx.error(cx.whole, "before 1970-01-01 00:00:00 UTC"));
    }
    let t = secs * 1_000_000 + usec;
    if t > FORMATTABLE_MAX {
        return Err(cx.error(
            cx.whole,
            "after 9999-12-30 23:59:59 UTC, the last time systemd can print",
        ));
    }
    Ok(Timestamp::from_usec(t))
}

/// Whether systemd reports `err` as out of range (`ERANGE`) rather than
/// invalid: only the span of `+SPAN`, `-SPAN`, `SPAN ago`, `SPAN left` and
/// `@SPAN` can be.
///
/// ```
/// use sundial_calendar::{timestamp::{self, Timestamp}, zone::BundledZones, Zone};
/// let err = timestamp::parse("--1h", Timestamp::EPOCH, &Zone::utc(), &BundledZones::new()).unwrap_err();
/// assert!(timestamp::is_out_of_range(&err));
/// ```
pub fn is_out_of_range(err: &ParseError) -> bool {
    timespan::is_out_of_range(err)
}
