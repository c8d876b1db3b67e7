//! Time spans in microseconds, as systemd's `…Sec=` settings hold them.

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
}
