//! Day numbers and dates for the hot loop of the search: the same mapping
//! as [`crate::civil`], computed with Neri and Schneider's "Euclidean affine
//! functions" (2021), which need no division by a variable and only 32-bit
//! multiplications. Valid for years -32,000 to 10,000 and beyond; tested
//! from year 1 to 9999.

/// Shift that makes every day number of the valid range positive.
const ERAS: u32 = 82;
/// Days from 0000-03-01 (shifted by [`ERAS`] eras) to 1970-01-01.
const K: u32 = 719_468 + 146_097 * ERAS;
/// Years of the shift.
const L: u32 = 400 * ERAS;

/// The date of day `days` since 1970-01-01: year, month, day.
#[inline]
pub(super) fn date(days: i64) -> (i32, i32, i32) {
    let n = (days as u32).wrapping_add(K);
    // Century and day of the century.
    let n1 = 4 * n + 3;
    let century = n1 / 146_097;
    let day_of_century = n1 % 146_097 / 4;
    // Year of the century and day of the year (from March 1st).
    let n2 = 4 * day_of_century + 3;
    let p2 = 2_939_745u64 * u64::from(n2);
    let year_of_century = (p2 >> 32) as u32;
    let day_of_year = (p2 as u32) / 2_939_745 / 4;
    let year = 100 * century + year_of_century;
    // Month (March = 3 .. February = 14) and day.
    let n3 = 2141 * day_of_year + 197_913;
    let month = n3 >> 16;
    let day = (n3 & 0xffff) / 2141;
    let january_or_february = day_of_year >= 306;
    let year = (year.wrapping_sub(L) as i32) + i32::from(january_or_february);
    let month = if january_or_february {
        month - 12
    } else {
        month
    };
    (year, month as i32, day as i32 + 1)
}

/// The day number (since 1970-01-01) of `year`-`month`-`day`, for a month
/// in 1..=12 and a day in 1..=31.
#[inline]
pub(super) fn days(year: i32, month: i32, day: i32) -> i64 {
    let january_or_february = month <= 2;
    let y = (year as u32)
        .wrapping_add(L)
        .wrapping_sub(u32::from(january_or_february));
    let m = if january_or_february {
        month + 12
    } else {
        month
    } as u32;
    let century = y / 100;
    let year_days = 1461 * y / 4 - century + century / 4;
    let month_days = (979 * m - 2919) / 32;
    let n = year_days + month_days + (day as u32 - 1);
    i64::from(n.wrapping_sub(K) as i32)
}

/// The number of days of `month` (1..=12) in `year`.
#[inline]
pub(super) fn month_length(year: i32, month: i32) -> i32 {
    if month == 2 {
        let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
        28 + i32::from(leap)
    } else {
        // 30 or 31: July and August both have 31.
        30 | ((month ^ (month >> 3)) & 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::civil::{civil_from_days, days_from_civil, days_in_month};

    #[test]
    fn same_as_the_civil_functions() {
        // 0001-01-01 to 9999-12-31, every day.
        let first = days_from_civil(1, 1, 1);
        let last = days_from_civil(9999, 12, 31);
        for n in first..=last {
            let (y, m, d) = civil_from_days(n);
            assert_eq!(date(n), (y, m as i32, d as i32), "day {n}");
            assert_eq!(days(y, m as i32, d as i32), n, "{y}-{m}-{d}");
        }
        for year in 1..=9999 {
            for month in 1..=12 {
                assert_eq!(
                    month_length(year, month),
                    days_in_month(year, month as u32) as i32
                );
            }
        }
    }
}
