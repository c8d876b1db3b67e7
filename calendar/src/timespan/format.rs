//! systemd's ways of printing spans: `format_timespan()` and the relative
//! "… ago" / "… left" form of `format_timestamp_relative()`.

use std::fmt;

use super::Timespan;
use crate::timestamp::Timestamp;

const USEC_PER_MSEC: u64 = 1_000;
const USEC_PER_SEC: u64 = 1_000_000;
const USEC_PER_MINUTE: u64 = 60 * USEC_PER_SEC;
const USEC_PER_HOUR: u64 = 60 * USEC_PER_MINUTE;
const USEC_PER_DAY: u64 = 24 * USEC_PER_HOUR;
const USEC_PER_WEEK: u64 = 7 * USEC_PER_DAY;
const USEC_PER_MONTH: u64 = 2_629_800 * USEC_PER_SEC;
const USEC_PER_YEAR: u64 = 31_557_600 * USEC_PER_SEC;

/// Units from largest to smallest, with the suffix systemd prints.
const UNITS: [(&str, u64); 9] = [
    ("y", USEC_PER_YEAR),
    ("month", USEC_PER_MONTH),
    ("w", USEC_PER_WEEK),
    ("d", USEC_PER_DAY),
    ("h", USEC_PER_HOUR),
    ("min", USEC_PER_MINUTE),
    ("s", USEC_PER_SEC),
    ("ms", USEC_PER_MSEC),
    ("us", 1),
];

/// Number of decimal digits below one `unit` (1 s -> 6, 1 ms -> 3).
fn subunit_digits(unit: u64) -> usize {
    let mut digits = 0;
    let mut u = unit;
    while u > 1 {
        u /= 10;
        digits += 1;
    }
    digits
}

impl fmt::Display for Timespan {
    /// systemd's `format_timespan()` with 1µs accuracy: a greedy split into
    /// units joined by spaces, the last part below a minute as a decimal.
    ///
    /// ```
    /// use sundial_calendar::Timespan;
    /// assert_eq!(Timespan::from_usec(123_456_789).to_string(), "2min 3.456789s");
    /// assert_eq!(Timespan::from_secs(90_061).to_string(), "1d 1h 1min 1s");
    /// assert_eq!(Timespan::ZERO.to_string(), "0");
    /// assert_eq!(Timespan::INFINITY.to_string(), "infinity");
    /// ```
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_infinite() {
            return f.write_str("infinity");
        }
        if self.is_zero() {
            return f.write_str("0");
        }
        let mut rest = self.as_usec();
        let mut separator = "";
        for (suffix, unit) in UNITS {
            if rest == 0 {
                break;
            }
            if rest < unit {
                continue;
            }
            let (whole, part) = (rest / unit, rest % unit);
            let digits = subunit_digits(unit);
            if rest < USEC_PER_MINUTE && part > 0 && digits > 0 {
                write!(f, "{separator}{whole}.{part:0digits$}{suffix}")?;
                return Ok(());
            }
            write!(f, "{separator}{whole}{suffix}")?;
            rest = part;
            separator = " ";
        }
        Ok(())
    }
}

/// systemd's `format_timespan()` with a coarser `accuracy`: parts below it
/// are cut off, and the decimals of the last part go down to it only, as in
/// systemd-run's "Service runtime:" (millisecond accuracy).
///
/// ```
/// use sundial_calendar::timespan::format_timespan;
/// use sundial_calendar::Timespan;
/// let ms = Timespan::from_usec(1_000);
/// assert_eq!(format_timespan(Timespan::from_usec(1_234_567), ms), "1.234s");
/// assert_eq!(format_timespan(Timespan::from_usec(12_345), ms), "12ms");
/// assert_eq!(format_timespan(Timespan::from_usec(61_500_000), ms), "1min 1.500s");
/// assert_eq!(format_timespan(Timespan::from_usec(500), ms), "500us");
/// assert_eq!(format_timespan(Timespan::ZERO, ms), "0");
/// ```
pub fn format_timespan(span: Timespan, accuracy: Timespan) -> String {
    if span.is_infinite() {
        return "infinity".to_owned();
    }
    if span.is_zero() {
        return "0".to_owned();
    }
    let accuracy = accuracy.as_usec().max(1);
    let mut out = String::new();
    let mut rest = span.as_usec();
    for (suffix, unit) in UNITS {
        if rest == 0 || (rest < accuracy && !out.is_empty()) {
            break;
        }
        if rest < unit {
            continue;
        }
        let separator = if out.is_empty() { "" } else { " " };
        let (whole, mut part) = (rest / unit, rest % unit);
        if rest < USEC_PER_MINUTE && part > 0 {
            // The decimals a unit has, less those below the accuracy.
            let mut digits = subunit_digits(unit) as i32;
            let mut cut = accuracy;
            while cut > 1 {
                part /= 10;
                digits -= 1;
                cut /= 10;
            }
            if digits > 0 {
                let digits = digits as usize;
                out.push_str(&format!("{separator}{whole}.{part:0digits$}{suffix}"));
                break;
            }
        }
        out.push_str(&format!("{separator}{whole}{suffix}"));
        rest = part;
    }
    out
}

/// `t` relative to `now` as systemd prints it in "From now:" lines and in
/// `list-timers`: `2 years 7 months ago`, `1 day 3h left`, `5min 3s ago`,
/// `now`. Only the two largest sensible units are shown.
///
/// ```
/// use sundial_calendar::timespan::format_relative;
/// use sundial_calendar::Timestamp;
/// let now = Timestamp::from_secs(1_700_000_000);
/// assert_eq!(format_relative(now, Timestamp::from_secs(1_700_000_300)), "5min left");
/// assert_eq!(format_relative(now, Timestamp::from_secs(1_699_999_930)), "1min 10s ago");
/// assert_eq!(format_relative(now, now), "now");
/// ```
pub fn format_relative(now: Timestamp, t: Timestamp) -> String {
    let mut out = String::new();
    write_relative(now, t, &mut out);
    out
}

/// Appends [`format_relative()`]'s text to `out`, without allocating for
/// the numbers (`systemd-analyze calendar --iterations=100000` prints one
/// per elapse).
///
/// ```
/// use sundial_calendar::timespan::write_relative;
/// use sundial_calendar::Timestamp;
/// let now = Timestamp::from_secs(1_700_000_000);
/// let mut out = String::from("From now: ");
/// write_relative(now, Timestamp::from_secs(1_700_090_000), &mut out);
/// assert_eq!(out, "From now: 1 day 1h left");
/// ```
pub fn write_relative(now: Timestamp, t: Timestamp, out: &mut String) {
    let (d, suffix) = if now > t {
        (now.saturating_since(t).as_usec(), " ago")
    } else {
        (t.saturating_since(now).as_usec(), " left")
    };
    let plural = |n: u64, one: &'static str, many: &'static str| if n == 1 { one } else { many };
    // Two parts: a number and its unit text, each optional.
    let mut part = |n: u64, unit: &str| {
        push_decimal(out, n);
        out.push_str(unit);
    };
    if d >= USEC_PER_YEAR {
        let years = d / USEC_PER_YEAR;
        let months = d % USEC_PER_YEAR / USEC_PER_MONTH;
        part(years, plural(years, " year ", " years "));
        part(months, plural(months, " month", " months"));
    } else if d >= USEC_PER_MONTH {
        let months = d / USEC_PER_MONTH;
        let days = d % USEC_PER_MONTH / USEC_PER_DAY;
        part(months, plural(months, " month ", " months "));
        part(days, plural(days, " day", " days"));
    } else if d >= USEC_PER_WEEK {
        let weeks = d / USEC_PER_WEEK;
        let days = d % USEC_PER_WEEK / USEC_PER_DAY;
        part(weeks, plural(weeks, " week ", " weeks "));
        part(days, plural(days, " day", " days"));
    } else if d >= 2 * USEC_PER_DAY {
        part(d / USEC_PER_DAY, " days");
    } else if d >= 25 * USEC_PER_HOUR {
        part(1, " day ");
        part((d - USEC_PER_DAY) / USEC_PER_HOUR, "h");
    } else if d >= 6 * USEC_PER_HOUR {
        part(d / USEC_PER_HOUR, "h");
    } else if d >= USEC_PER_HOUR {
        part(d / USEC_PER_HOUR, "h ");
        part(d % USEC_PER_HOUR / USEC_PER_MINUTE, "min");
    } else if d >= 5 * USEC_PER_MINUTE {
        part(d / USEC_PER_MINUTE, "min");
    } else if d >= USEC_PER_MINUTE {
        part(d / USEC_PER_MINUTE, "min ");
        part(d % USEC_PER_MINUTE / USEC_PER_SEC, "s");
    } else if d >= USEC_PER_SEC {
        part(d / USEC_PER_SEC, "s");
    } else if d >= USEC_PER_MSEC {
        part(d / USEC_PER_MSEC, "ms");
    } else if d > 0 {
        part(d, "us");
    } else {
        out.push_str("now");
        return;
    }
    out.push_str(suffix);
}

/// Appends `n` in decimal.
fn push_decimal(out: &mut String, n: u64) {
    let mut digits = [0u8; 20];
    let mut i = digits.len();
    let mut rest = n;
    loop {
        i -= 1;
        digits[i] = b'0' + (rest % 10) as u8;
        rest /= 10;
        if rest == 0 {
            break;
        }
    }
    for &d in &digits[i..] {
        out.push(char::from(d));
    }
}
