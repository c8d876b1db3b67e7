//! Proleptic Gregorian civil dates and times, without any time zone.
//!
//! Calendar searches walk wall-clock fields; these helpers convert between
//! fields and day numbers with plain integer arithmetic.

use std::fmt;

/// A day of the week, Monday first as systemd prints them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Weekday {
    /// Monday.
    Mon = 0,
    /// Tuesday.
    Tue = 1,
    /// Wednesday.
    Wed = 2,
    /// Thursday.
    Thu = 3,
    /// Friday.
    Fri = 4,
    /// Saturday.
    Sat = 5,
    /// Sunday.
    Sun = 6,
}

impl Weekday {
    /// All days, Monday first.
    pub const ALL: [Weekday; 7] = [
        Weekday::Mon,
        Weekday::Tue,
        Weekday::Wed,
        Weekday::Thu,
        Weekday::Fri,
        Weekday::Sat,
        Weekday::Sun,
    ];

    /// The day with index `i` (0 = Monday), modulo 7.
    ///
    /// ```
    /// use sundial_calendar::Weekday;
    /// assert_eq!(Weekday::from_index(6), Weekday::Sun);
    /// ```
    pub fn from_index(i: u32) -> Weekday {
        Weekday::ALL[(i % 7) as usize]
    }

    /// 0 for Monday … 6 for Sunday.
    pub fn index(self) -> u32 {
        self as u32
    }

    /// The three-letter English name systemd prints (`Mon`).
    pub fn short_name(self) -> &'static str {
        ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"][self as usize]
    }

    /// The full English name (`Monday`).
    pub fn long_name(self) -> &'static str {
        [
            "Monday",
            "Tuesday",
            "Wednesday",
            "Thursday",
            "Friday",
            "Saturday",
            "Sunday",
        ][self as usize]
    }
}

impl fmt::Display for Weekday {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.short_name())
    }
}

/// Whether `year` has a February 29th.
///
/// ```
/// assert!(sundial_calendar::civil::is_leap_year(2024));
/// assert!(!sundial_calendar::civil::is_leap_year(2100));
/// ```
pub fn is_leap_year(year: i32) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

/// Number of days in `month` (1–12) of `year`.
///
/// ```
/// assert_eq!(sundial_calendar::civil::days_in_month(2024, 2), 29);
/// ```
pub fn days_in_month(year: i32, month: u32) -> u32 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if is_leap_year(year) => 29,
        2 => 28,
        _ => 0,
    }
}

/// Days since 1970-01-01 of a civil date (negative before the epoch).
///
/// ```
/// assert_eq!(sundial_calendar::civil::days_from_civil(1970, 1, 1), 0);
/// assert_eq!(sundial_calendar::civil::days_from_civil(2024, 2, 29), 19782);
/// ```
pub fn days_from_civil(year: i32, month: u32, day: u32) -> i64 {
    // Howard Hinnant's days_from_civil, in 400-year eras starting on March 1st.
    let y = i64::from(year) - i64::from(month <= 2);
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(month);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The civil date `(year, month, day)` of a day number from [`days_from_civil`].
///
/// ```
/// assert_eq!(sundial_calendar::civil::civil_from_days(19782), (2024, 2, 29));
/// ```
pub fn civil_from_days(days: i64) -> (i32, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = (yoe + era * 400 + i64::from(month <= 2)) as i32;
    (year, month, day)
}

/// The weekday of a day number from [`days_from_civil`].
///
/// ```
/// use sundial_calendar::{civil, Weekday};
/// assert_eq!(civil::weekday_from_days(0), Weekday::Thu); // 1970-01-01
/// ```
pub fn weekday_from_days(days: i64) -> Weekday {
    // 1970-01-01 was a Thursday (index 3).
    Weekday::from_index((days + 3).rem_euclid(7) as u32)
}

/// A wall-clock date and time with microseconds, in no particular zone.
///
/// Fields are not validated; [`CivilDateTime::is_valid`] tells whether they name
/// a real date and time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct CivilDateTime {
    /// Year, e.g. 2024.
    pub year: i32,
    /// Month 1–12.
    pub month: u32,
    /// Day of the month 1–31.
    pub day: u32,
    /// Hour 0–23.
    pub hour: u32,
    /// Minute 0–59.
    pub minute: u32,
    /// Second 0–59.
    pub second: u32,
    /// Microsecond 0–999999.
    pub usec: u32,
}

impl CivilDateTime {
    /// A civil date at midnight.
    pub fn date(year: i32, month: u32, day: u32) -> CivilDateTime {
        CivilDateTime {
            year,
            month,
            day,
            hour: 0,
            minute: 0,
            second: 0,
            usec: 0,
        }
    }

    /// Whether every field is in range for a real calendar date.
    ///
    /// ```
    /// use sundial_calendar::CivilDateTime;
    /// assert!(!CivilDateTime::date(2023, 2, 29).is_valid());
    /// ```
    pub fn is_valid(&self) -> bool {
        (1..=12).contains(&self.month)
            && self.day >= 1
            && self.day <= days_in_month(self.year, self.month)
            && self.hour < 24
            && self.minute < 60
            && self.second < 60
            && self.usec < 1_000_000
    }

    /// Days since the epoch of this date (fields beyond range are not normalized).
    pub fn days_since_epoch(&self) -> i64 {
        days_from_civil(self.year, self.month, self.day)
    }

    /// The weekday of this date.
    pub fn weekday(&self) -> Weekday {
        weekday_from_days(self.days_since_epoch())
    }

    /// Microseconds since the epoch if this wall time were UTC.
    pub fn as_utc_usec(&self) -> i64 {
        let secs = self.days_since_epoch() * 86_400
            + i64::from(self.hour) * 3600
            + i64::from(self.minute) * 60
            + i64::from(self.second);
        secs * 1_000_000 + i64::from(self.usec)
    }

    /// The wall time of `usec` microseconds since the epoch, read as UTC.
    ///
    /// ```
    /// use sundial_calendar::CivilDateTime;
    /// let c = CivilDateTime::from_utc_usec(1_700_000_000_000_000);
    /// assert_eq!((c.year, c.month, c.day, c.hour), (2023, 11, 14, 22));
    /// ```
    pub fn from_utc_usec(usec: i64) -> CivilDateTime {
        let secs = usec.div_euclid(1_000_000);
        let sub = usec.rem_euclid(1_000_000) as u32;
        let days = secs.div_euclid(86_400);
        let sod = secs.rem_euclid(86_400) as u32;
        let (year, month, day) = civil_from_days(days);
        CivilDateTime {
            year,
            month,
            day,
            hour: sod / 3600,
            minute: sod / 60 % 60,
            second: sod % 60,
            usec: sub,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_round_trip_over_four_centuries() {
        for days in (-200_000..200_000).step_by(37) {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), days);
            assert!(CivilDateTime::date(y, m, d).is_valid());
        }
    }

    #[test]
    fn known_weekdays() {
        assert_eq!(CivilDateTime::date(2024, 2, 29).weekday(), Weekday::Thu);
        assert_eq!(CivilDateTime::date(2000, 1, 1).weekday(), Weekday::Sat);
        assert_eq!(CivilDateTime::date(1969, 12, 31).weekday(), Weekday::Wed);
    }

    #[test]
    fn utc_usec_round_trip() {
        for usec in [-1, 0, 1, 1_700_000_000_123_456, 7_258_118_399_999_999] {
            assert_eq!(CivilDateTime::from_utc_usec(usec).as_utc_usec(), usec);
        }
    }
}
