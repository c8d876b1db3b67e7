//! Instants on the realtime clock, and systemd's timestamp grammar.

mod format;
mod mktime;
mod parse;
mod strptime;

pub use format::{format, format_usec, Formatter};
pub use parse::{is_out_of_range, parse};

use std::fmt;
use std::ops::{Add, Sub};

use crate::timespan::Timespan;

/// 9999-12-30 23:59:59.999999 UTC in microseconds.
const FORMATTABLE_MAX: i64 = 253_402_214_399_999_999;

/// An instant: microseconds since 1970-01-01 00:00:00 UTC, as systemd's `usec_t`.
///
/// Signed so that differences and clock arithmetic never wrap; systemd itself
/// rejects instants before the epoch, and so do the parsers here.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Timestamp(i64);

impl Timestamp {
    /// The epoch, 1970-01-01 00:00:00 UTC.
    pub const EPOCH: Timestamp = Timestamp(0);

    /// The far future, systemd's `USEC_INFINITY` (`@infinity`): never.
    pub const INFINITY: Timestamp = Timestamp(i64::MAX);

    /// The last instant systemd formats and accepts from a date,
    /// 9999-12-30 23:59:59.999999 UTC (one day short of year 10000, so that
    /// every zone can print it).
    pub const FORMATTABLE_MAX: Timestamp = Timestamp(FORMATTABLE_MAX);

    /// Whether systemd considers this instant set: after the epoch and
    /// finite (`@0` and `@infinity` print as `-`).
    ///
    /// ```
    /// use sundial_calendar::Timestamp;
    /// assert!(!Timestamp::EPOCH.is_set());
    /// assert!(!Timestamp::INFINITY.is_set());
    /// assert!(Timestamp::from_secs(1).is_set());
    /// ```
    pub const fn is_set(self) -> bool {
        self.0 > 0 && self.0 != i64::MAX
    }

    /// An instant `usec` microseconds after the epoch.
    ///
    /// ```
    /// use sundial_calendar::Timestamp;
    /// assert_eq!(Timestamp::from_usec(1_500_000).as_secs(), 1);
    /// ```
    pub const fn from_usec(usec: i64) -> Timestamp {
        Timestamp(usec)
    }

    /// An instant `secs` whole seconds after the epoch.
    pub const fn from_secs(secs: i64) -> Timestamp {
        Timestamp(secs.saturating_mul(1_000_000))
    }

    /// Microseconds since the epoch.
    pub const fn as_usec(self) -> i64 {
        self.0
    }

    /// Whole seconds since the epoch, rounded toward minus infinity.
    pub const fn as_secs(self) -> i64 {
        self.0.div_euclid(1_000_000)
    }

    /// The microsecond part, 0–999999.
    pub const fn subsec_usec(self) -> u32 {
        self.0.rem_euclid(1_000_000) as u32
    }

    /// `self + span`, or `None` on overflow (an infinite span always overflows).
    pub fn checked_add(self, span: Timespan) -> Option<Timestamp> {
        let us = i64::try_from(span.as_usec()).ok()?;
        self.0.checked_add(us).map(Timestamp)
    }

    /// `self - span`, or `None` on overflow.
    pub fn checked_sub(self, span: Timespan) -> Option<Timestamp> {
        let us = i64::try_from(span.as_usec()).ok()?;
        self.0.checked_sub(us).map(Timestamp)
    }

    /// The span from `earlier` to `self`, zero if `earlier` is later.
    pub fn saturating_since(self, earlier: Timestamp) -> Timespan {
        Timespan::from_usec(self.0.saturating_sub(earlier.0).max(0) as u64)
    }
}

impl Add<Timespan> for Timestamp {
    type Output = Timestamp;
    /// Saturating addition: an overflow or an infinite span gives the far future.
    fn add(self, span: Timespan) -> Timestamp {
        self.checked_add(span).unwrap_or(Timestamp(i64::MAX))
    }
}

impl Sub<Timespan> for Timestamp {
    type Output = Timestamp;
    /// Saturating subtraction.
    fn sub(self, span: Timespan) -> Timestamp {
        self.checked_sub(span).unwrap_or(Timestamp(i64::MIN))
    }
}

impl fmt::Display for Timestamp {
    /// `@SECONDS[.ffffff]`, the zone-free form systemd also accepts as input.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.subsec_usec() {
            0 => write!(f, "@{}", self.as_secs()),
            us => write!(f, "@{}.{:06}", self.as_secs(), us),
        }
    }
}

#[cfg(test)]
mod tests;
