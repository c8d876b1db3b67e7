//! Problems found while reading unit files, each pointing at `path:line`.

use std::fmt;
use std::path::PathBuf;

use sundial_calendar::ParseError;

use super::exec::ExecError;
use super::name::NameError;
use super::specifiers::SpecifierError;

/// How bad a problem is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    /// The line or value is ignored; the unit still loads.
    Warning,
    /// The unit cannot be loaded (systemd's "bad-setting").
    Error,
}

/// Why a directive's value was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ValueError {
    /// Not one of `1 yes y true t on 0 no n false f off`.
    #[error("failed to parse boolean value '{0}'")]
    Bool(String),
    /// A bad `…Sec=` value.
    #[error("failed to parse time span '{}': {}", .0.input, .0.reason)]
    Timespan(ParseError),
    /// A bad `OnCalendar=` value.
    #[error("failed to parse calendar specification '{}': {}", .0.input, .0.reason)]
    Calendar(ParseError),
    /// A bad unit name in a dependency or `Unit=`.
    #[error("{0}")]
    UnitName(#[from] NameError),
    /// A value outside an enumeration (`Type=simpel`).
    #[error("invalid value '{value}', expected one of: {expected}")]
    Enum {
        /// The rejected value.
        value: String,
        /// The accepted values.
        expected: &'static str,
    },
    /// A number that does not parse or is out of range.
    #[error("invalid number '{0}'")]
    Number(String),
    /// An unknown signal name or number.
    #[error("invalid signal '{0}'")]
    Signal(String),
    /// An unknown exit status or signal in an exit status list.
    #[error("invalid exit status or signal '{0}'")]
    ExitStatus(String),
    /// A path that must be absolute (and normalized) but is not.
    #[error("path '{0}' is not absolute")]
    Path(String),
    /// A size such as `500M`, `50%`, `infinity` that does not parse.
    #[error("invalid size '{0}'")]
    Size(String),
    /// A bad user or group name.
    #[error("invalid user or group name '{0}'")]
    UserName(String),
    /// A bad `NAME=value` word or variable name.
    #[error("invalid environment assignment '{0}'")]
    Environment(String),
    /// An `Exec*=` line that does not parse.
    #[error("{0}")]
    Exec(#[from] ExecError),
    /// An unknown `%` specifier.
    #[error("failed to resolve unit specifiers, ignoring: {0}")]
    Specifier(#[from] SpecifierError),
    /// A bad word of `IPAddressAllow=`/`IPAddressDeny=`.
    #[error("{0}")]
    IpPrefix(#[from] super::ip_address::IpPrefixError),
    /// A bad `SocketBind*=` rule or `RestrictNetworkInterfaces=` name.
    #[error("{0}")]
    NetworkRule(#[from] super::socket_bind::NetworkRuleError),
    /// Anything else, described in words.
    #[error("{0}")]
    Invalid(String),
}

/// What is wrong; the message systemd would log, in sundial's words.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Problem {
    /// A `[Section]` sundial does not know.
    #[error("Unknown section '{0}'. Ignoring.")]
    UnknownSection(String),
    /// A key outside any known directive.
    #[error("Unknown key '{key}' in section [{section}], ignoring.")]
    UnknownKey {
        /// The section the key is in.
        section: String,
        /// The key.
        key: String,
    },
    /// A directive systemd knows but sundial does not implement.
    #[error("{key}=: not supported, ignoring")]
    Unsupported {
        /// The key.
        key: String,
    },
    /// An `X-Sundial-…` key sundial does not know in this section: the prefix
    /// is ours, so unlike other `X-` keys it is not ignored silently.
    #[error("{key}=: unknown sundial extension in section [{section}], ignoring")]
    UnknownExtension {
        /// The section the key is in.
        section: String,
        /// The key.
        key: String,
    },
    /// A key before the first section header.
    #[error("Assignment outside of section. Ignoring.")]
    OutsideSection,
    /// A line that is neither a section, a comment nor `Key=Value`.
    #[error("Missing '=', ignoring line.")]
    MissingEquals,
    /// A `[` line without the closing `]`.
    #[error("Invalid section header '{0}'")]
    BadSectionHeader(String),
    /// A line longer than systemd's limit.
    #[error("Line too long")]
    LineTooLong,
    /// A rejected value: the assignment is ignored, or the unit refused when
    /// the severity is [`Severity::Error`].
    #[error("{key}=: {cause}")]
    Value {
        /// The key.
        key: String,
        /// Why.
        cause: ValueError,
    },
    /// A whole-unit consistency problem (several `ExecStart=` for a simple
    /// service, a timer without triggers, …).
    #[error("{0}")]
    Unit(String),
    /// A file that could not be read.
    #[error("Failed to read unit file: {0}")]
    Io(String),
    /// A unit-name entry that is a link to nothing: the unit is not found.
    #[error("{0}, the unit is not found")]
    BrokenLink(String),
}

impl Problem {
    /// The key the problem is about, for problems about one assignment.
    pub fn key(&self) -> Option<&str> {
        match self {
            Problem::UnknownKey { key, .. }
            | Problem::Unsupported { key }
            | Problem::UnknownExtension { key, .. }
            | Problem::Value { key, .. } => Some(key.as_str()),
            _ => None,
        }
    }
}

/// One problem at `path:line` (line 0: the file as a whole).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// The file.
    pub path: PathBuf,
    /// 1-based line number; 0 when the problem concerns the whole file.
    pub line: usize,
    /// Warning or error.
    pub severity: Severity,
    /// What is wrong.
    pub problem: Problem,
}

impl Diagnostic {
    /// A warning at `path:line`.
    pub fn warning(path: impl Into<PathBuf>, line: usize, problem: Problem) -> Diagnostic {
        Diagnostic {
            path: path.into(),
            line,
            severity: Severity::Warning,
            problem,
        }
    }

    /// An error at `path:line`.
    pub fn error(path: impl Into<PathBuf>, line: usize, problem: Problem) -> Diagnostic {
        Diagnostic {
            path: path.into(),
            line,
            severity: Severity::Error,
            problem,
        }
    }

    /// Whether this problem makes the unit fail to load.
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line > 0 {
            write!(f, "{}:{}: {}", self.path.display(), self.line, self.problem)
        } else {
            write!(f, "{}: {}", self.path.display(), self.problem)
        }
    }
}
