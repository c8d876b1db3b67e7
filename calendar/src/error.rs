//! The one error type of every parser in this crate.

use std::fmt;

/// Which grammar an input was parsed with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum InputKind {
    /// A calendar event (`OnCalendar=`).
    Calendar,
    /// A time span (`…Sec=`).
    Timespan,
    /// A timestamp (`--since=`, `--base-time=`).
    Timestamp,
}

impl fmt::Display for InputKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            InputKind::Calendar => "calendar specification",
            InputKind::Timespan => "time span",
            InputKind::Timestamp => "timestamp",
        })
    }
}

/// A rejected input: what was being parsed, where it went wrong, and why.
///
/// `offset` is the byte offset into `input` of the offending token, so that a
/// caller can point at it (`^` under the column, or `file:line:column`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    /// The grammar that rejected the input.
    pub kind: InputKind,
    /// The whole input as given.
    pub input: String,
    /// Byte offset of the offending token within `input`.
    pub offset: usize,
    /// What was expected and what was found, e.g.
    /// `expected a weekday or a date, found 'Mnday'`.
    pub reason: String,
}

impl ParseError {
    /// Builds an error for `input` at byte `offset`.
    pub fn new(
        kind: InputKind,
        input: &str,
        offset: usize,
        reason: impl Into<String>,
    ) -> ParseError {
        ParseError {
            kind,
            input: input.to_owned(),
            offset,
            reason: reason.into(),
        }
    }
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "invalid {} '{}' at byte {}: {}",
            self.kind, self.input, self.offset, self.reason
        )
    }
}

impl std::error::Error for ParseError {}
