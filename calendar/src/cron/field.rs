//! The six kinds of cron field, their ranges and names, and a parsed field as
//! a bit set beside the text it was written as.

use std::fmt;

/// One field of a cron expression.
///
/// ```
/// use sundial_calendar::cron::CronField;
/// assert_eq!(CronField::DayOfWeek.to_string(), "day-of-week");
/// assert_eq!((CronField::DayOfWeek.low(), CronField::DayOfWeek.high()), (0, 7));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CronField {
    /// Seconds, 0–59 (only in the six-field form, where it comes first).
    Second,
    /// Minutes, 0–59.
    Minute,
    /// Hours, 0–23.
    Hour,
    /// Day of the month, 1–31.
    DayOfMonth,
    /// Month, 1–12 or `jan`–`dec`.
    Month,
    /// Day of the week, 0–7 (0 and 7 are Sunday) or `sun`–`sat`.
    DayOfWeek,
}

/// The five fields of a classic crontab line, in order.
pub(super) const FIVE_FIELDS: [CronField; 5] = [
    CronField::Minute,
    CronField::Hour,
    CronField::DayOfMonth,
    CronField::Month,
    CronField::DayOfWeek,
];

/// The six fields of the seconds-first form, in order.
pub(super) const SIX_FIELDS: [CronField; 6] = [
    CronField::Second,
    CronField::Minute,
    CronField::Hour,
    CronField::DayOfMonth,
    CronField::Month,
    CronField::DayOfWeek,
];

// cronie's MonthNames and DowNames: the first three letters, in any case.
const MONTH_NAMES: [&str; 12] = [
    "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
];
const WEEKDAY_NAMES: [&str; 7] = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"];

impl CronField {
    /// The smallest value the field accepts.
    pub fn low(self) -> u32 {
        match self {
            CronField::DayOfMonth | CronField::Month => 1,
            _ => 0,
        }
    }

    /// The largest value the field accepts (7 for the day of the week, where
    /// 7 is Sunday again).
    pub fn high(self) -> u32 {
        match self {
            CronField::Second | CronField::Minute => 59,
            CronField::Hour => 23,
            CronField::DayOfMonth => 31,
            CronField::Month => 12,
            CronField::DayOfWeek => 7,
        }
    }

    /// The value of a name (`jan`, `Fri`) in this field, if the field has
    /// names and `word` is one of them.
    pub(super) fn value_of_name(self, word: &str) -> Option<u32> {
        let (names, first): (&[&str], u32) = match self {
            CronField::Month => (&MONTH_NAMES, 1),
            CronField::DayOfWeek => (&WEEKDAY_NAMES, 0),
            _ => return None,
        };
        let index = names.iter().position(|n| n.eq_ignore_ascii_case(word))?;
        Some(first + index as u32)
    }

    /// What a value of this field is called in "expected …" messages.
    pub(super) fn value_noun(self) -> &'static str {
        match self {
            CronField::Second => "a second number",
            CronField::Minute => "a minute number",
            CronField::Hour => "an hour number",
            CronField::DayOfMonth => "a day-of-month number",
            CronField::Month => "a month name or number",
            CronField::DayOfWeek => "a weekday name or number",
        }
    }
}

impl fmt::Display for CronField {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            CronField::Second => "second",
            CronField::Minute => "minute",
            CronField::Hour => "hour",
            CronField::DayOfMonth => "day-of-month",
            CronField::Month => "month",
            CronField::DayOfWeek => "day-of-week",
        })
    }
}

/// A parsed field: the values it allows and whether it begins with `*`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(super) struct FieldSet {
    /// Bit `v` set when value `v` is allowed. Days of the week are kept with
    /// Sunday as bit 0 only (a 7 is folded into it).
    pub(super) bits: u64,
    /// The step of the field's first item when the field begins with `*`
    /// (1 for a plain `*`): cron's "star" flags, which decide the day rule
    /// and wildcard jobs, look only at the field's first character.
    pub(super) leading_star: Option<u32>,
}

impl FieldSet {
    /// Whether the field allows `value`.
    pub(super) fn has(&self, value: u32) -> bool {
        value < 64 && self.bits & (1 << value) != 0
    }

    /// Whether the field begins with `*` (including `*/N` and `*,…`).
    pub(super) fn is_star(&self) -> bool {
        self.leading_star.is_some()
    }
}

/// Every value of `field` as bits (Sunday once for the day of the week).
pub(super) fn every_value(field: CronField) -> u64 {
    let high = if field == CronField::DayOfWeek {
        6
    } else {
        field.high()
    };
    let through_high = (1u64 << (high + 1)) - 1;
    through_high & !((1u64 << field.low()) - 1)
}
