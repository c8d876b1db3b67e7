//! Signals by name or number, as `KillSignal=` and exit status lists take them.

use std::fmt;

/// A Linux signal number with its name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Signal(i32);

// Linux numbering (x86, arm, most architectures sundial runs on).
const NAMES: &[(&str, i32)] = &[
    ("HUP", 1),
    ("INT", 2),
    ("QUIT", 3),
    ("ILL", 4),
    ("TRAP", 5),
    ("ABRT", 6),
    ("BUS", 7),
    ("FPE", 8),
    ("KILL", 9),
    ("USR1", 10),
    ("SEGV", 11),
    ("USR2", 12),
    ("PIPE", 13),
    ("ALRM", 14),
    ("TERM", 15),
    ("STKFLT", 16),
    ("CHLD", 17),
    ("CONT", 18),
    ("STOP", 19),
    ("TSTP", 20),
    ("TTIN", 21),
    ("TTOU", 22),
    ("URG", 23),
    ("XCPU", 24),
    ("XFSZ", 25),
    ("VTALRM", 26),
    ("PROF", 27),
    ("WINCH", 28),
    ("IO", 29),
    ("PWR", 30),
    ("SYS", 31),
];

const SIGRTMIN: i32 = 34;
const SIGRTMAX: i32 = 64;

impl Signal {
    /// SIGHUP.
    pub const HUP: Signal = Signal(1);
    /// SIGINT.
    pub const INT: Signal = Signal(2);
    /// SIGABRT.
    pub const ABRT: Signal = Signal(6);
    /// SIGKILL.
    pub const KILL: Signal = Signal(9);
    /// SIGPIPE.
    pub const PIPE: Signal = Signal(13);
    /// SIGTERM.
    pub const TERM: Signal = Signal(15);
    /// SIGCONT.
    pub const CONT: Signal = Signal(18);

    /// The signal with this number, if it is a valid one (1..=64).
    pub fn from_number(n: i32) -> Option<Signal> {
        (1..=SIGRTMAX).contains(&n).then_some(Signal(n))
    }

    /// Parses `SIGTERM`, `TERM`, `15`, `RTMIN+3`, `SIGRTMAX-1`, as systemd's
    /// `signal_from_string` does (names are case-sensitive).
    pub fn parse(s: &str) -> Option<Signal> {
        if let Ok(n) = s.parse::<i32>() {
            return Signal::from_number(n);
        }
        let name = s.strip_prefix("SIG").unwrap_or(s);
        if let Some(&(_, n)) = NAMES.iter().find(|(nm, _)| *nm == name) {
            return Some(Signal(n));
        }
        if let Some(rest) = name.strip_prefix("RTMIN") {
            return rt_offset(rest, SIGRTMIN, 1);
        }
        if let Some(rest) = name.strip_prefix("RTMAX") {
            return rt_offset(rest, SIGRTMAX, -1);
        }
        None
    }

    /// The signal number.
    pub fn number(self) -> i32 {
        self.0
    }

    /// The name without `SIG` (`TERM`), or `RTMIN+n` for real-time signals.
    pub fn name(self) -> String {
        match NAMES.iter().find(|(_, n)| *n == self.0) {
            Some((name, _)) => (*name).to_owned(),
            None if self.0 >= SIGRTMIN => format!("RTMIN+{}", self.0 - SIGRTMIN),
            None => self.0.to_string(),
        }
    }
}

fn rt_offset(rest: &str, base: i32, sign: i32) -> Option<Signal> {
    if rest.is_empty() {
        return Some(Signal(base));
    }
    let digits = if sign > 0 {
        rest.strip_prefix('+')?
    } else {
        rest.strip_prefix('-')?
    };
    let off: i32 = digits.parse().ok()?;
    let n = base + sign * off;
    (SIGRTMIN..=SIGRTMAX).contains(&n).then_some(Signal(n))
}

impl fmt::Display for Signal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SIG{}", self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_names_and_numbers() {
        assert_eq!(Signal::parse("SIGTERM"), Some(Signal::TERM));
        assert_eq!(Signal::parse("TERM"), Some(Signal::TERM));
        assert_eq!(Signal::parse("9"), Some(Signal::KILL));
        assert_eq!(Signal::parse("RTMIN+2").map(Signal::number), Some(36));
        assert_eq!(Signal::parse("SIGRTMAX-1").map(Signal::number), Some(63));
        assert_eq!(Signal::parse("sigterm"), None);
        assert_eq!(Signal::parse("0"), None);
        assert_eq!(Signal::parse("65"), None);
        assert_eq!(Signal::TERM.to_string(), "SIGTERM");
    }
}
