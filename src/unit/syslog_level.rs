//! syslog's eight priorities, as `SyslogLevel=`, `journalctl -p` and the
//! journal's `PRIORITY=` field spell them, and the `<N>` prefix that
//! `SyslogLevelPrefix=` reads at the start of a line a service prints.

use std::fmt;

/// A syslog priority: 0 (`emerg`) is the most important, 7 (`debug`) the
/// least.
///
/// ```
/// use sundial::unit::SyslogLevel;
/// assert_eq!(SyslogLevel::parse("warning"), Some(SyslogLevel::Warning));
/// assert_eq!(SyslogLevel::parse("3"), Some(SyslogLevel::Err));
/// assert_eq!(SyslogLevel::Info.number(), 6);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub enum SyslogLevel {
    /// 0: the system is unusable.
    Emerg,
    /// 1: action must be taken at once.
    Alert,
    /// 2: critical conditions.
    Crit,
    /// 3: errors.
    Err,
    /// 4: warnings.
    Warning,
    /// 5: normal but significant.
    Notice,
    /// 6: informational; what a service's output is unless it says
    /// otherwise (journald's default, and `SyslogLevel=`'s).
    #[default]
    Info,
    /// 7: debugging.
    Debug,
}

/// Every level, most important first.
const ALL: [SyslogLevel; 8] = [
    SyslogLevel::Emerg,
    SyslogLevel::Alert,
    SyslogLevel::Crit,
    SyslogLevel::Err,
    SyslogLevel::Warning,
    SyslogLevel::Notice,
    SyslogLevel::Info,
    SyslogLevel::Debug,
];

impl SyslogLevel {
    /// The level of a number 0..=7.
    pub fn from_number(n: u8) -> Option<SyslogLevel> {
        ALL.get(usize::from(n)).copied()
    }

    /// Its number, 0..=7.
    pub fn number(self) -> u8 {
        self as u8
    }

    /// Its name, as `SyslogLevel=` and `journalctl -p` take it.
    pub fn as_str(self) -> &'static str {
        match self {
            SyslogLevel::Emerg => "emerg",
            SyslogLevel::Alert => "alert",
            SyslogLevel::Crit => "crit",
            SyslogLevel::Err => "err",
            SyslogLevel::Warning => "warning",
            SyslogLevel::Notice => "notice",
            SyslogLevel::Info => "info",
            SyslogLevel::Debug => "debug",
        }
    }

    /// A name or a number 0..=7 (systemd's `log_level_from_string`).
    pub fn parse(s: &str) -> Option<SyslogLevel> {
        if let Some(level) = ALL.iter().find(|l| l.as_str() == s) {
            return Some(*level);
        }
        s.parse::<u8>().ok().and_then(SyslogLevel::from_number)
    }

    /// The level a line announces with a `<N>` prefix, and the line without
    /// it, as journald reads a service's output when `SyslogLevelPrefix=` is
    /// on. systemd (`syslog_parse_priority` without a facility): `<N>`,
    /// `<0N>` or `<00N>` with N in 0..=7; anything else is no prefix and
    /// stays part of the text.
    pub fn strip_prefix(line: &str) -> Option<(SyslogLevel, &str)> {
        let rest = line.strip_prefix('<')?;
        let close = rest.find('>')?;
        let digits = &rest[..close];
        if digits.is_empty() || digits.len() > 3 || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let (zeros, last) = digits.split_at(digits.len() - 1);
        if zeros.bytes().any(|b| b != b'0') {
            return None;
        }
        let level = SyslogLevel::from_number(last.as_bytes()[0] - b'0')?;
        Some((level, &rest[close + 1..]))
    }
}

impl fmt::Display for SyslogLevel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_numbers() {
        for (n, level) in ALL.iter().enumerate() {
            assert_eq!(usize::from(level.number()), n);
            assert_eq!(SyslogLevel::parse(level.as_str()), Some(*level));
            assert_eq!(SyslogLevel::parse(&n.to_string()), Some(*level));
        }
        assert_eq!(SyslogLevel::parse("8"), None);
        assert_eq!(SyslogLevel::parse("error"), None);
        assert_eq!(SyslogLevel::parse("WARNING"), None);
        assert_eq!(SyslogLevel::parse(""), None);
    }

    #[test]
    fn the_prefix_is_read_as_journald_reads_it() {
        assert_eq!(
            SyslogLevel::strip_prefix("<3>disk failed"),
            Some((SyslogLevel::Err, "disk failed"))
        );
        assert_eq!(
            SyslogLevel::strip_prefix("<004> low"),
            Some((SyslogLevel::Warning, " low"))
        );
        assert_eq!(
            SyslogLevel::strip_prefix("<7>"),
            Some((SyslogLevel::Debug, ""))
        );
        // Not a priority without a facility: left as text.
        for line in [
            "<8>x", "<13>x", "<1000>x", "<>x", "<a>x", "3>x", "<3 x", " <3>x",
        ] {
            assert_eq!(SyslogLevel::strip_prefix(line), None, "{line}");
        }
    }
}
