//! Time spans in microseconds, as systemd's `…Sec=` settings hold them.

mod format;
mod parse;

pub use format::{format_relative, format_timespan, write_relative};

use std::str::FromStr;

use crate::error::ParseError;

/// A duration in microseconds; `u64::MAX` is `infinity`, as in systemd.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Timespan(u64);

impl Timespan {
    /// The zero span.
    pub const ZERO: Timespan = Timespan(0);
    /// The infinite span (`infinity`).
    pub const INFINITY: Timespan = Timespan(u64::MAX);

    /// A span of `usec` microseconds.
    ///
    /// ```
    /// use sundial_calendar::Timespan;
    /// assert_eq!(Timespan::from_usec(1_000_000), Timespan::from_secs(1));
    /// ```
    pub const fn from_usec(usec: u64) -> Timespan {
        Timespan(usec)
    }

    /// A span of `secs` seconds (saturating to infinity).
    pub const fn from_secs(secs: u64) -> Timespan {
        Timespan(secs.saturating_mul(1_000_000))
    }

    /// Microseconds; `u64::MAX` for infinity.
    pub const fn as_usec(self) -> u64 {
        self.0
    }

    /// Whether this is the infinite span.
    pub const fn is_infinite(self) -> bool {
        self.0 == u64::MAX
    }

    /// Whether this is the zero span.
    pub const fn is_zero(self) -> bool {
        self.0 == 0
    }

    /// Parses systemd's time span syntax; a bare number counts seconds.
    ///
    /// ```
    /// use sundial_calendar::Timespan;
    /// assert_eq!(Timespan::parse("1h 30min").unwrap(), Timespan::from_secs(5400));
    /// assert_eq!(Timespan::parse("1.5").unwrap(), Timespan::from_usec(1_500_000));
    /// assert_eq!(Timespan::parse("55s500ms").unwrap(), Timespan::from_usec(55_500_000));
    /// assert!(Timespan::parse("infinity").unwrap().is_infinite());
    /// assert!(Timespan::parse("5S").is_err());
    /// ```
    pub fn parse(input: &str) -> Result<Timespan, ParseError> {
        parse::parse_with_default_unit(input, 1_000_000)
    }

    /// Parses a span whose bare numbers count `default_unit` (`usec` per
    /// bare unit; `1` for microseconds, `1_000_000` for seconds).
    ///
    /// ```
    /// use sundial_calendar::Timespan;
    /// assert_eq!(Timespan::parse_with_default_unit("50", 1_000).unwrap(), Timespan::from_usec(50_000));
    /// ```
    pub fn parse_with_default_unit(input: &str, default_unit: u64) -> Result<Timespan, ParseError> {
        parse::parse_with_default_unit(input, default_unit.max(1))
    }
}

impl FromStr for Timespan {
    type Err = ParseError;

    fn from_str(s: &str) -> Result<Timespan, ParseError> {
        Timespan::parse(s)
    }
}

/// Whether `err` is one systemd reports as out of range (`ERANGE`, "Numerical
/// result out of range": negative or too large) rather than invalid.
///
/// ```
/// use sundial_calendar::{timespan, Timespan};
/// assert!(timespan::is_out_of_range(&Timespan::parse("-5s").unwrap_err()));
/// assert!(!timespan::is_out_of_range(&Timespan::parse("5x").unwrap_err()));
/// ```
pub fn is_out_of_range(err: &ParseError) -> bool {
    err.reason.starts_with(parse::OUT_OF_RANGE)
}

#[cfg(test)]
mod tests;
