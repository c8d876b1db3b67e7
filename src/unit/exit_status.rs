//! Exit status lists: `SuccessExitStatus=`, `RestartPreventExitStatus=`,
//! `RestartForceExitStatus=`.

use std::collections::BTreeSet;

use super::signal::Signal;

/// Exit statuses and signals a setting lists.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ExitStatusSet {
    /// Exit codes 0..=255.
    pub statuses: BTreeSet<u8>,
    /// Terminating signals.
    pub signals: BTreeSet<Signal>,
}

impl ExitStatusSet {
    /// Nothing listed (usable in a `static`).
    pub const EMPTY: ExitStatusSet = ExitStatusSet {
        statuses: BTreeSet::new(),
        signals: BTreeSet::new(),
    };

    /// Whether nothing is listed.
    pub fn is_empty(&self) -> bool {
        self.statuses.is_empty() && self.signals.is_empty()
    }

    /// Whether exit code `code` is listed.
    pub fn contains_status(&self, code: u8) -> bool {
        self.statuses.contains(&code)
    }

    /// Whether death by `signal` is listed.
    pub fn contains_signal(&self, signal: Signal) -> bool {
        self.signals.contains(&signal)
    }
}

// systemd's exit status names (exit-status.c), usable without the EXIT_/EX_
// prefix. LSB and BSD ranges are included as systemd 252 accepts them.
const NAMES: &[(&str, u8)] = &[
    ("SUCCESS", 0),
    ("FAILURE", 1),
    ("INVALIDARGUMENT", 2),
    ("NOTIMPLEMENTED", 3),
    ("NOPERMISSION", 4),
    ("NOTINSTALLED", 5),
    ("NOTCONFIGURED", 6),
    ("NOTRUNNING", 7),
    ("USAGE", 64),
    ("DATAERR", 65),
    ("NOINPUT", 66),
    ("NOUSER", 67),
    ("NOHOST", 68),
    ("UNAVAILABLE", 69),
    ("SOFTWARE", 70),
    ("OSERR", 71),
    ("OSFILE", 72),
    ("CANTCREAT", 73),
    ("IOERR", 74),
    ("TEMPFAIL", 75),
    ("PROTOCOL", 76),
    ("NOPERM", 77),
    ("CONFIG", 78),
    ("CHDIR", 200),
    ("NICE", 201),
    ("FDS", 202),
    ("EXEC", 203),
    ("MEMORY", 204),
    ("LIMITS", 205),
    ("OOM_ADJUST", 206),
    ("SIGNAL_MASK", 207),
    ("STDIN", 208),
    ("STDOUT", 209),
    ("CHROOT", 210),
    ("IOPRIO", 211),
    ("TIMERSLACK", 212),
    ("SECUREBITS", 213),
    ("SETSCHEDULER", 214),
    ("CPUAFFINITY", 215),
    ("GROUP", 216),
    ("USER", 217),
    ("CAPABILITIES", 218),
    ("CGROUP", 219),
    ("SETSID", 220),
    ("CONFIRM", 221),
    ("STDERR", 222),
    ("PAM", 224),
    ("NETWORK", 225),
    ("NAMESPACE", 226),
    ("NO_NEW_PRIVILEGES", 227),
    ("SECCOMP", 228),
    ("SELINUX_CONTEXT", 229),
    ("PERSONALITY", 230),
    ("APPARMOR_PROFILE", 231),
    ("ADDRESS_FAMILIES", 232),
    ("RUNTIME_DIRECTORY", 233),
    ("CHOWN", 235),
    ("SMACK_PROCESS_LABEL", 236),
    ("KEYRING", 237),
    ("STATE_DIRECTORY", 238),
    ("CACHE_DIRECTORY", 239),
    ("LOGS_DIRECTORY", 240),
    ("CONFIGURATION_DIRECTORY", 241),
    ("NUMA_POLICY", 242),
    ("CREDENTIALS", 243),
    ("BPF", 245),
];

/// The name of exit status `code` without prefix (`FAILURE`, `EXEC`), if
/// systemd names it.
pub fn exit_status_name(code: u8) -> Option<&'static str> {
    NAMES
        .iter()
        .find(|(_, n)| *n == code)
        .map(|(name, _)| *name)
}

/// One word of an exit status list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitStatusWord {
    /// An exit code.
    Status(u8),
    /// A signal.
    Signal(Signal),
}

/// Parses one word: a number 0..=255, an exit status name, or a signal name
/// (`SIGUSR1`, `USR1`). A bare number is always an exit code.
pub fn parse_exit_status_word(word: &str) -> Option<ExitStatusWord> {
    if let Ok(n) = word.parse::<u8>() {
        return Some(ExitStatusWord::Status(n));
    }
    if word.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    if let Some(&(_, n)) = NAMES.iter().find(|(name, _)| *name == word) {
        return Some(ExitStatusWord::Status(n));
    }
    Signal::parse(word).map(ExitStatusWord::Signal)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words() {
        assert_eq!(
            parse_exit_status_word("75"),
            Some(ExitStatusWord::Status(75))
        );
        assert_eq!(
            parse_exit_status_word("TEMPFAIL"),
            Some(ExitStatusWord::Status(75))
        );
        assert_eq!(
            parse_exit_status_word("SIGUSR1"),
            Some(ExitStatusWord::Signal(Signal::parse("USR1").unwrap()))
        );
        assert_eq!(parse_exit_status_word("256"), None);
        assert_eq!(parse_exit_status_word("bogus"), None);
    }
}
