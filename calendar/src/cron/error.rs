//! Why a cron expression was rejected, and where.

use std::fmt;

use super::field::CronField;

/// A rejected cron expression or crontab line: the input, the byte offset of
/// the offending token, and what was wrong there.
///
/// ```
/// use sundial_calendar::cron::{CronOptions, CronSchedule};
///
/// let err = CronSchedule::parse("0 60 * * *", &CronOptions::default()).unwrap_err();
/// assert_eq!(err.offset(), 2);
/// assert_eq!(err.kind().to_string(), "hour 60 out of range 0-23");
/// assert_eq!(
///     err.to_string(),
///     "invalid cron expression '0 60 * * *' at byte 2: hour 60 out of range 0-23"
/// );
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid cron expression '{input}' at byte {offset}: {kind}")]
pub struct CronError {
    input: String,
    offset: usize,
    kind: CronErrorKind,
}

impl CronError {
    pub(super) fn new(input: &str, offset: usize, kind: CronErrorKind) -> CronError {
        CronError {
            input: input.to_owned(),
            offset,
            kind,
        }
    }

    /// Byte offset of the offending token within [`CronError::input`].
    pub fn offset(&self) -> usize {
        self.offset
    }

    /// What was wrong, without the input and offset (for callers that
    /// prefix their own `file:line:column`).
    pub fn kind(&self) -> &CronErrorKind {
        &self.kind
    }

    /// The whole input as given to the parser.
    pub fn input(&self) -> &str {
        &self.input
    }
}

/// What was wrong with a cron expression; its `Display` is the reason alone.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CronErrorKind {
    /// A number outside its field's range (`minute 60 out of range 0-59`).
    #[error("{field} {value} out of range {}-{}", field.low(), field.high())]
    OutOfRange {
        /// The field.
        field: CronField,
        /// The number as written.
        value: String,
    },
    /// Something other than what the grammar allows at this point.
    #[error("expected {expected}, found {}", Found(found))]
    Expected {
        /// What would have been accepted.
        expected: Expectation,
        /// What was there (empty at the end of an item or of the input).
        found: String,
    },
    /// A range whose start is after its end (`5-1`): cron's ranges do not
    /// wrap around.
    #[error(
        "{field} range {start}{}{end} runs backwards (cron's ranges do not wrap around)",
        if *random { '~' } else { '-' }
    )]
    ReversedRange {
        /// The field.
        field: CronField,
        /// The start as written.
        start: String,
        /// The end as written.
        end: String,
        /// Whether it was a random range (`~`).
        random: bool,
    },
    /// A step of 0 (`*/0`).
    #[error("{field} step 0 (a step must be at least 1)")]
    ZeroStep {
        /// The field.
        field: CronField,
    },
    /// A step after a single value (`5/10`), which cronie refuses.
    #[error(
        "a step needs '*' or a range before it, found the single {field} {value} \
         (write {value}-{}/{step} to step from {value})",
        field.high()
    )]
    StepWithoutRange {
        /// The field.
        field: CronField,
        /// The value as written.
        value: String,
        /// The step as written.
        step: String,
    },
    /// Nothing between two commas, or a comma at either end of a field.
    #[error("empty item in the {field} list")]
    EmptyItem {
        /// The field.
        field: CronField,
    },
    /// An extension of other schedulers (`L`, `W`, `#`, `?`).
    #[error("'{found}' is {feature}, which cron does not have")]
    Unsupported {
        /// The token as written.
        found: String,
        /// The extension, e.g. `Quartz's last-day-of-month 'L'`.
        feature: &'static str,
    },
    /// An `@` word that is not one of cron's macros (`@every`, `@Daily`).
    #[error(
        "unknown macro '{found}', expected @reboot, @yearly, @annually, @monthly, @weekly, \
         @daily, @midnight or @hourly"
    )]
    UnknownMacro {
        /// The word as written, with its `@`.
        found: String,
    },
    /// The input ended before all fields were read.
    #[error("expected the {field} field, found the end of the expression")]
    MissingField {
        /// The first missing field.
        field: CronField,
    },
    /// More fields than the expression may have.
    #[error("expected {}, found {found} fields{}",
        if *seconds_allowed { "5 or 6 fields" } else { "5 fields" },
        if *found == 6 && !*seconds_allowed {
            " (the six-field form with seconds is not enabled here)"
        } else {
            ""
        }
    )]
    TooManyFields {
        /// How many fields there were.
        found: usize,
        /// Whether the six-field form was allowed.
        seconds_allowed: bool,
    },
    /// A crontab line whose command starts with `*`, which cron refuses as
    /// a likely extra time field.
    #[error(
        "expected a command after the schedule, found '*' \
         (cron refuses a command starting with '*' as a likely extra time field)"
    )]
    StarCommand,
    /// A crontab line with a schedule and nothing after it.
    #[error("expected a command after the schedule, found the end of the line")]
    MissingCommand,
}

/// What the grammar would have accepted where a [`CronErrorKind::Expected`]
/// error points.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Expectation {
    /// A value of the field (`a minute number`, `a weekday name or number`).
    Value(CronField),
    /// The number after a `/`.
    Step,
    /// The end of an item: `,` or a blank.
    ItemEnd(CronField),
    /// `/` or the end of the item, after `*`.
    AfterStar(CronField),
    /// A cron expression, in an empty input.
    Expression,
    /// The end of the expression, after a macro.
    End,
}

impl fmt::Display for Expectation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Expectation::Value(field) => f.write_str(field.value_noun()),
            Expectation::Step => f.write_str("a step number"),
            Expectation::ItemEnd(field) => write!(f, "',' or the end of the {field} field"),
            Expectation::AfterStar(field) => {
                write!(f, "'/', ',' or the end of the {field} field after '*'")
            }
            Expectation::Expression => f.write_str("a cron expression"),
            Expectation::End => f.write_str("the end of the expression"),
        }
    }
}

/// A found token in quotes, or `nothing`.
struct Found<'a>(&'a str);

impl fmt::Display for Found<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.is_empty() {
            f.write_str("nothing")
        } else {
            write!(f, "'{}'", self.0)
        }
    }
}
