//! systemd's time span grammar (`parse_time()`), byte for byte.
//!
//! ```text
//! span := ws* ( "infinity" ws* | term { ws* term } ws* )
//! term := [ "+" ] DIGITS [ "." DIGITS ] ws* [ unit ]   (or "." DIGITS)
//! ```

use super::Timespan;
use crate::error::{InputKind, ParseError};

/// The prefix of every reason systemd reports as `ERANGE` ("Numerical result
/// out of range") rather than `EINVAL` ("Invalid argument").
pub(crate) const OUT_OF_RANGE: &str = "out of range";

const USEC_PER_SEC: u64 = 1_000_000;
const USEC_PER_MINUTE: u64 = 60 * USEC_PER_SEC;
const USEC_PER_HOUR: u64 = 60 * USEC_PER_MINUTE;
const USEC_PER_DAY: u64 = 24 * USEC_PER_HOUR;
const USEC_PER_WEEK: u64 = 7 * USEC_PER_DAY;
/// 30.44 days.
const USEC_PER_MONTH: u64 = 2_629_800 * USEC_PER_SEC;
/// 365.25 days.
const USEC_PER_YEAR: u64 = 31_557_600 * USEC_PER_SEC;

/// Unit spellings in systemd's lookup order: the first listed prefix of the
/// rest of the input wins, so `msec` and `months` must precede `m`.
const UNITS: [(&str, u64); 30] = [
    ("seconds", USEC_PER_SEC),
    ("second", USEC_PER_SEC),
    ("sec", USEC_PER_SEC),
    ("s", USEC_PER_SEC),
    ("minutes", USEC_PER_MINUTE),
    ("minute", USEC_PER_MINUTE),
    ("min", USEC_PER_MINUTE),
    ("months", USEC_PER_MONTH),
    ("month", USEC_PER_MONTH),
    ("M", USEC_PER_MONTH),
    ("msec", 1_000),
    ("ms", 1_000),
    ("m", USEC_PER_MINUTE),
    ("hours", USEC_PER_HOUR),
    ("hour", USEC_PER_HOUR),
    ("hr", USEC_PER_HOUR),
    ("h", USEC_PER_HOUR),
    ("days", USEC_PER_DAY),
    ("day", USEC_PER_DAY),
    ("d", USEC_PER_DAY),
    ("weeks", USEC_PER_WEEK),
    ("week", USEC_PER_WEEK),
    ("w", USEC_PER_WEEK),
    ("years", USEC_PER_YEAR),
    ("year", USEC_PER_YEAR),
    ("y", USEC_PER_YEAR),
    ("usec", 1),
    ("us", 1),
    ("\u{3bc}s", 1),
    ("\u{b5}s", 1),
];

/// systemd's `WHITESPACE` between terms.
fn is_ws(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r')
}

fn skip_ws(s: &str) -> &str {
    s.trim_start_matches(|c: char| c.is_ascii() && is_ws(c as u8))
}

fn skip_digits(s: &str) -> &str {
    s.trim_start_matches(|c: char| c.is_ascii_digit())
}

/// The unit at the start of `s` and the rest, if any unit is there.
fn unit(s: &str) -> Option<(u64, &str)> {
    UNITS
        .iter()
        .find_map(|&(name, usec)| s.strip_prefix(name).map(|rest| (usec, rest)))
}

/// Parses a span whose bare numbers count `default_unit` microseconds
/// (`1_000_000` for every `…Sec=` setting).
pub(crate) fn parse_with_default_unit(
    input: &str,
    default_unit: u64,
) -> Result<Timespan, ParseError> {
    let at = |rest: &str| input.len() - rest.len();
    let err =
        |rest: &str, reason: String| ParseError::new(InputKind::Timespan, input, at(rest), reason);

    let mut p = skip_ws(input);
    if let Some(rest) = p.strip_prefix("infinity") {
        let rest = skip_ws(rest);
        if !rest.is_empty() {
            return Err(err(rest, format!("unexpected '{rest}' after 'infinity'")));
        }
        return Ok(Timespan::INFINITY);
    }

    let mut total: u64 = 0;
    let mut something = false;
    loop {
        p = skip_ws(p);
        if p.is_empty() {
            if !something {
                return Err(err(p, "expected a number, found nothing".into()));
            }
            return Ok(Timespan::from_usec(total));
        }
        let term = p;
        if term.starts_with('-') {
            return Err(err(term, format!("{OUT_OF_RANGE}: negative time span")));
        }
        let (whole, after_number) = integer(term).map_err(|reason| err(term, reason))?;
        let fraction = after_number.strip_prefix('.');
        p = match fraction {
            Some(digits) => skip_digits(digits),
            None if after_number.len() == term.len() => {
                return Err(err(term, format!("expected a number, found '{term}'")));
            }
            None => after_number,
        };

        let after_ws = skip_ws(p);
        let (multiplier, rest) = unit(after_ws).unwrap_or((default_unit, after_ws));
        // Without a unit, the next term must be separated by whitespace:
        // `12.34.56` is rejected, `12.34 .56` is two terms.
        if rest.len() == p.len() && !rest.is_empty() {
            return Err(err(rest, format!("unknown unit '{rest}'")));
        }
        p = rest;

        if whole >= u64::MAX / multiplier {
            return Err(err(term, format!("{OUT_OF_RANGE}: '{term}' is too large")));
        }
        total = add(total, whole * multiplier)
            .ok_or_else(|| err(term, format!("{OUT_OF_RANGE}: the sum is too large")))?;
        something = true;

        if let Some(digits) = fraction {
            // Digit by digit, so that digits finer than 1µs simply vanish.
            let mut m = multiplier / 10;
            let digit_count = digits.bytes().take_while(u8::is_ascii_digit).count();
            for d in digits.bytes().take(digit_count) {
                total = add(total, u64::from(d - b'0') * m)
                    .ok_or_else(|| err(term, format!("{OUT_OF_RANGE}: the sum is too large")))?;
                m /= 10;
            }
            if digit_count == 0 {
                return Err(err(term, "expected digits after '.'".into()));
            }
        }
    }
}

/// `a + b` unless the sum reaches infinity (`u64::MAX`), as systemd checks it.
fn add(a: u64, b: u64) -> Option<u64> {
    (b < u64::MAX - a).then(|| a + b)
}

/// The leading integer of a term as C's `strtoll` reads it: an optional
/// sign, decimal digits, or nothing (zero, with the input unconsumed).
fn integer(s: &str) -> Result<(u64, &str), String> {
    // strtoll also skips the whitespace that systemd's list lacks.
    let body = s.trim_start_matches([' ', '\t', '\n', '\r', '\x0b', '\x0c']);
    let (negative, unsigned) = match body.as_bytes().first() {
        Some(b'+') => (false, &body[1..]),
        Some(b'-') => (true, &body[1..]),
        _ => (false, body),
    };
    let rest = skip_digits(unsigned);
    let digits = &unsigned[..unsigned.len() - rest.len()];
    if digits.is_empty() {
        return Ok((0, s));
    }
    let value = digits
        .parse::<i64>()
        .map_err(|_| format!("{OUT_OF_RANGE}: '{digits}' is too large"))?;
    if negative && value != 0 {
        return Err(format!("{OUT_OF_RANGE}: negative time span"));
    }
    Ok((value.unsigned_abs(), rest))
}
