//! Unit names: validation, types, templates and instances, and systemd's
//! unit-name escaping (`systemd-escape`).

use std::borrow::Borrow;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::str::FromStr;
use std::sync::Arc;

/// The kinds of unit sundial knows by suffix.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum UnitType {
    /// `.service`
    Service,
    /// `.timer`
    Timer,
    /// `.target`
    Target,
    /// `.socket`
    Socket,
    /// `.path`
    Path,
    /// Any other systemd unit type (`.mount`, `.device`, …): valid as a
    /// dependency name, never loaded by sundial.
    Other,
}

impl UnitType {
    /// The type named by a suffix without the dot (`service`).
    pub fn from_suffix(suffix: &str) -> Option<UnitType> {
        match suffix {
            "service" => Some(UnitType::Service),
            "timer" => Some(UnitType::Timer),
            "target" => Some(UnitType::Target),
            "socket" => Some(UnitType::Socket),
            "path" => Some(UnitType::Path),
            // systemd's other unit types: names of these are valid in
            // dependencies even though sundial does not run them.
            "device" | "mount" | "automount" | "swap" | "slice" | "scope" => Some(UnitType::Other),
            _ => None,
        }
    }
}

/// Why a string is not a valid unit name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NameError {
    /// Empty string.
    #[error("unit name is empty")]
    Empty,
    /// More than 255 bytes.
    #[error("unit name is longer than 255 characters")]
    TooLong,
    /// No `.suffix` or an unknown one.
    #[error("unit name '{0}' has no valid unit type suffix")]
    BadSuffix(String),
    /// A character outside `[A-Za-z0-9:_.\\-@]`.
    #[error("unit name '{0}' contains an invalid character")]
    BadChar(String),
    /// Zero-length prefix, several `@`, or an `@` where none may be.
    #[error("unit name '{0}' is malformed")]
    Malformed(String),
}

/// A validated unit name such as `foo.service`, `backup@home.timer` or the
/// template `backup@.timer`.
///
/// A clone shares the text: the daemon's maps are keyed by clones of the
/// loaded units' names (looked up by `&str` through `Borrow`), not by copies.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct UnitName {
    // A shared str and byte offsets: a daemon keeps several names per loaded
    // unit, and a name is at most 255 bytes, so this is 24 bytes, not 48.
    full: Arc<str>,
    // Byte offsets into `full`: end of the prefix (`@` or the dot) and start of
    // the suffix (the dot).
    prefix_end: u8,
    dot: u8,
    kind: UnitType,
}

fn valid_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, ':' | '_' | '.' | '\\' | '-')
}

impl UnitName {
    /// Parses and validates `s`.
    pub fn parse(s: &str) -> Result<UnitName, NameError> {
        if s.is_empty() {
            return Err(NameError::Empty);
        }
        // systemd: UNIT_NAME_MAX = 255
        if s.len() > 255 {
            return Err(NameError::TooLong);
        }
        let dot = s
            .rfind('.')
            .ok_or_else(|| NameError::BadSuffix(s.to_owned()))?;
        let kind = UnitType::from_suffix(&s[dot + 1..])
            .ok_or_else(|| NameError::BadSuffix(s.to_owned()))?;
        let stem = &s[..dot];
        let prefix_end = match stem.find('@') {
            Some(at) => {
                if stem[at + 1..].contains('@') {
                    return Err(NameError::Malformed(s.to_owned()));
                }
                at
            }
            None => dot,
        };
        if prefix_end == 0 {
            return Err(NameError::Malformed(s.to_owned()));
        }
        if !stem.chars().all(|c| c == '@' || valid_name_char(c)) {
            return Err(NameError::BadChar(s.to_owned()));
        }
        Ok(UnitName {
            full: s.into(),
            prefix_end: u8::try_from(prefix_end).expect("the name is at most 255 bytes"),
            dot: u8::try_from(dot).expect("the name is at most 255 bytes"),
            kind,
        })
    }

    /// The whole name (`%n`).
    pub fn as_str(&self) -> &str {
        &self.full
    }

    /// The unit type from the suffix.
    pub fn unit_type(&self) -> UnitType {
        self.kind
    }

    /// The suffix without the dot (`service`).
    pub fn suffix(&self) -> &str {
        &self.full[usize::from(self.dot) + 1..]
    }

    /// The name without the suffix (`%N`).
    pub fn without_suffix(&self) -> &str {
        &self.full[..usize::from(self.dot)]
    }

    /// The part before `@`, or the name without suffix (`%p`).
    pub fn prefix(&self) -> &str {
        &self.full[..usize::from(self.prefix_end)]
    }

    /// The instance: `Some("")` for a template, `Some("bar")` for
    /// `foo@bar.service`, `None` for a plain unit (`%i`).
    pub fn instance(&self) -> Option<&str> {
        (self.prefix_end < self.dot)
            .then(|| &self.full[usize::from(self.prefix_end) + 1..usize::from(self.dot)])
    }

    /// `foo@.service`: a template without instance.
    pub fn is_template(&self) -> bool {
        self.instance() == Some("")
    }

    /// `foo@bar.service`: an instance of a template.
    pub fn is_instance(&self) -> bool {
        self.instance().is_some_and(|i| !i.is_empty())
    }

    /// The template this instance was made from (`foo@bar.service` ->
    /// `foo@.service`).
    pub fn template(&self) -> Option<UnitName> {
        if !self.is_instance() {
            return None;
        }
        let name = format!("{}@.{}", self.prefix(), self.suffix());
        UnitName::parse(&name).ok()
    }

    /// The same prefix and instance with another suffix (`foo@a.timer` ->
    /// `foo@a.service`).
    pub fn with_suffix(&self, suffix: &str) -> Result<UnitName, NameError> {
        UnitName::parse(&format!("{}.{}", self.without_suffix(), suffix))
    }

    /// This template instantiated with an (already escaped) instance.
    pub fn instantiate(&self, instance: &str) -> Result<UnitName, NameError> {
        if !self.is_template() {
            return Err(NameError::Malformed(self.full.to_string()));
        }
        UnitName::parse(&format!("{}@{}.{}", self.prefix(), instance, self.suffix()))
    }

    /// The prefix drop-in names of a dashed name: `foo-bar-baz.service` gives
    /// `foo-bar-.service`, `foo-.service` (most specific first).
    pub fn dash_prefixes(&self) -> Vec<String> {
        let prefix = self.prefix();
        let mut out = Vec::new();
        let mut end = prefix.len();
        while let Some(pos) = prefix[..end].rfind('-') {
            if pos > 0 {
                out.push(format!("{}.{}", &prefix[..=pos], self.suffix()));
            }
            end = pos;
        }
        out
    }
}

impl fmt::Display for UnitName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.full)
    }
}

impl FromStr for UnitName {
    type Err = NameError;
    fn from_str(s: &str) -> Result<UnitName, NameError> {
        UnitName::parse(s)
    }
}

impl UnitName {
    /// Whether both are clones of one name (their text is one allocation);
    /// for tests of [`super::name_table::NameTable`].
    pub fn shares_text_with(&self, other: &UnitName) -> bool {
        Arc::ptr_eq(&self.full, &other.full)
    }
}

// Hashed as its text alone, as `str` is: `Borrow<str>` requires it. (The
// offsets and the kind follow from the text, so `Eq` and `Ord` agree too.)
impl Hash for UnitName {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.full.hash(state);
    }
}

impl Borrow<str> for UnitName {
    fn borrow(&self) -> &str {
        &self.full
    }
}

impl AsRef<str> for UnitName {
    fn as_ref(&self) -> &str {
        &self.full
    }
}

/// Escapes a string for use in a unit name, as `systemd-escape` does: `/`
/// becomes `-`, a leading `.` and every byte outside `[A-Za-z0-9:_.]` become
/// `\xNN`.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for (i, b) in s.bytes().enumerate() {
        match b {
            b'/' => out.push('-'),
            b'.' if i == 0 => out.push_str("\\x2e"),
            b if b.is_ascii_alphanumeric() || matches!(b, b':' | b'_' | b'.') => {
                out.push(char::from(b))
            }
            b => out.push_str(&format!("\\x{b:02x}")),
        }
    }
    out
}

/// Escapes a path as `systemd-escape --path` does: duplicate, leading and
/// trailing slashes are dropped and the root becomes `-`.
pub fn escape_path(path: &str) -> String {
    let trimmed: Vec<&str> = path.split('/').filter(|c| !c.is_empty()).collect();
    if trimmed.is_empty() {
        return "-".to_owned();
    }
    escape(&trimmed.join("/"))
}

/// Reverses [`escape`]: `-` becomes `/` and `\xNN` the byte it names. Invalid
/// escapes are kept as written.
pub fn unescape(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'-' => {
                out.push(b'/');
                i += 1;
            }
            b'\\' if bytes.get(i + 1) == Some(&b'x') && i + 4 <= bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 2..i + 4]).ok();
                match hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                    Some(b) => {
                        out.push(b);
                        i += 4;
                    }
                    None => {
                        out.push(b'\\');
                        i += 1;
                    }
                }
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Reverses [`escape_path`]: like [`unescape`], with a leading `/` added
/// (`-` alone is the root).
pub fn unescape_path(s: &str) -> String {
    if s == "-" {
        return "/".to_owned();
    }
    let u = unescape(s);
    if u.starts_with('/') {
        u
    } else {
        format!("/{u}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parts() {
        let n = UnitName::parse("backup@home-user.timer").unwrap();
        assert_eq!(n.prefix(), "backup");
        assert_eq!(n.instance(), Some("home-user"));
        assert_eq!(n.without_suffix(), "backup@home-user");
        assert_eq!(n.unit_type(), UnitType::Timer);
        assert!(n.is_instance());
        assert_eq!(n.template().unwrap().as_str(), "backup@.timer");
        assert_eq!(
            n.with_suffix("service").unwrap().as_str(),
            "backup@home-user.service"
        );
        let t = UnitName::parse("backup@.timer").unwrap();
        assert!(t.is_template());
        assert_eq!(t.instantiate("x").unwrap().as_str(), "backup@x.timer");
        let p = UnitName::parse("foo.service").unwrap();
        assert_eq!(p.prefix(), "foo");
        assert_eq!(p.instance(), None);
    }

    #[test]
    fn invalid_names() {
        assert_eq!(UnitName::parse(""), Err(NameError::Empty));
        assert!(matches!(
            UnitName::parse("foo"),
            Err(NameError::BadSuffix(_))
        ));
        assert!(matches!(
            UnitName::parse("foo.bar"),
            Err(NameError::BadSuffix(_))
        ));
        assert!(matches!(
            UnitName::parse("a@b@c.service"),
            Err(NameError::Malformed(_))
        ));
        assert!(matches!(
            UnitName::parse("@x.service"),
            Err(NameError::Malformed(_))
        ));
        assert!(matches!(
            UnitName::parse("a b.service"),
            Err(NameError::BadChar(_))
        ));
        assert!(matches!(
            UnitName::parse(&"a".repeat(260)),
            Err(NameError::TooLong)
        ));
    }

    #[test]
    fn dash_prefixes() {
        let n = UnitName::parse("foo-bar-baz.service").unwrap();
        assert_eq!(n.dash_prefixes(), vec!["foo-bar-.service", "foo-.service"]);
        assert!(UnitName::parse("foo.service")
            .unwrap()
            .dash_prefixes()
            .is_empty());
    }

    #[test]
    fn escaping() {
        // Same as `systemd-escape` 252.
        assert_eq!(escape("foo/bar baz"), "foo-bar\\x20baz");
        assert_eq!(escape(".hidden"), "\\x2ehidden");
        assert_eq!(escape("a-b"), "a\\x2db");
        assert_eq!(escape_path("/home//user/"), "home-user");
        assert_eq!(escape_path("/"), "-");
        assert_eq!(unescape("foo-bar\\x20baz"), "foo/bar baz");
        assert_eq!(unescape("a\\x2db"), "a-b");
        assert_eq!(unescape_path("home-user"), "/home/user");
        assert_eq!(unescape_path("-"), "/");
    }
}
