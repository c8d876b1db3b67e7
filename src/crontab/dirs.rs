//! The `/etc/cron.{hourly,daily,weekly,monthly,yearly}` directories.
//!
//! `/etc/crontab`, a cron.d file or `/etc/anacrontab` runs each of them
//! with `run-parts`, sometimes twice (Debian's `/etc/crontab` runs
//! cron.daily when anacron is missing, and anacron runs it otherwise).
//! Each directory becomes one timer and service pair instead, whatever
//! names it, so that it never runs twice.

use std::fmt;
use std::path::Path;

/// Which directory.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum DirPeriod {
    Hourly,
    Daily,
    Weekly,
    Monthly,
    Yearly,
}

impl DirPeriod {
    pub(crate) const ALL: [DirPeriod; 5] = [
        DirPeriod::Hourly,
        DirPeriod::Daily,
        DirPeriod::Weekly,
        DirPeriod::Monthly,
        DirPeriod::Yearly,
    ];

    pub(crate) fn word(self) -> &'static str {
        match self {
            DirPeriod::Hourly => "hourly",
            DirPeriod::Daily => "daily",
            DirPeriod::Weekly => "weekly",
            DirPeriod::Monthly => "monthly",
            DirPeriod::Yearly => "yearly",
        }
    }

    /// `/etc/cron.daily`.
    pub(crate) fn path(self) -> String {
        format!("/etc/cron.{}", self.word())
    }

    /// `cron-daily`: the units' name.
    pub(crate) fn unit_name(self) -> String {
        format!("cron-{}", self.word())
    }

    /// The directory a path names (`/etc/cron.daily`, `/etc/cron.daily/`).
    pub(crate) fn of_path(path: &Path) -> Option<DirPeriod> {
        let text = path.to_str()?.trim_end_matches('/');
        DirPeriod::ALL.into_iter().find(|p| text == p.path())
    }
}

impl fmt::Display for DirPeriod {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.path())
    }
}

/// Words a line that only runs a directory may contain besides
/// `run-parts` and the directory: Debian's `test -x /usr/sbin/anacron || {
/// cd / && run-parts --report /etc/cron.daily; }`, Fedora's `run-parts
/// /etc/cron.hourly`, anacron's `nice run-parts /etc/cron.daily`.
const HARMLESS: &[&str] = &[
    "cd",
    "/",
    "&&",
    "||",
    "test",
    "[",
    "]",
    "/usr/sbin/anacron",
    "nice",
    "ionice",
    "exec",
    "if",
    "then",
    "fi",
    "!",
    "/run/systemd/system",
];

/// What a command says about the directories.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum DirUse {
    /// It runs no directory.
    None,
    /// It runs this directory and nothing else.
    Only(DirPeriod),
    /// It runs this directory and other commands too.
    Mixed(DirPeriod),
}

/// A command's words, with `;`, `(`, `)`, `{` and `}` as words of their own
/// (close enough to the shell's tokens for recognizing these lines).
fn shell_words(command: &str) -> Vec<String> {
    let mut words = Vec::new();
    for raw in command.split_whitespace() {
        let mut current = String::new();
        for c in raw.chars() {
            if "(){};".contains(c) {
                if !current.is_empty() {
                    words.push(std::mem::take(&mut current));
                }
                words.push(c.to_string());
            } else {
                current.push(c);
            }
        }
        if !current.is_empty() {
            words.push(current);
        }
    }
    words
}

fn base(word: &str) -> &str {
    word.rsplit('/').next().unwrap_or(word)
}

/// Whether `command` runs one of the directories with `run-parts`.
pub(crate) fn dir_use(command: &str) -> DirUse {
    let words = shell_words(command);
    let runs_parts = words.iter().any(|w| base(w) == "run-parts");
    let dir = words.iter().find_map(|w| DirPeriod::of_path(Path::new(w)));
    let Some(dir) = dir.filter(|_| runs_parts) else {
        return DirUse::None;
    };
    let harmless = |w: &String| {
        HARMLESS.contains(&w.as_str())
            || "(){};".contains(w.as_str())
            || w.starts_with('-')
            || w.bytes().all(|b| b.is_ascii_digit())
            || base(w) == "run-parts"
            || DirPeriod::of_path(Path::new(w)) == Some(dir)
    };
    if words.iter().all(harmless) {
        DirUse::Only(dir)
    } else {
        DirUse::Mixed(dir)
    }
}

/// Whether `command` starts anacron (Debian's `/etc/cron.d/anacron`,
/// Fedora's `0anacron`): with the anacrontab's jobs imported as timers,
/// anacron would run them a second time. `anacron` counts where a command
/// starts (`test -x /usr/sbin/anacron` only tests for it), or after
/// `invoke-rc.d`, `service` and `systemctl start`.
pub(crate) fn starts_anacron(command: &str) -> bool {
    let words = shell_words(command);
    words.iter().enumerate().any(|(i, w)| {
        let name = base(w).trim_end_matches(".service");
        if name != "anacron" {
            return false;
        }
        match i.checked_sub(1).map(|j| base(&words[j])) {
            None => true,
            Some(before) => matches!(
                before,
                "&&" | "||"
                    | ";"
                    | "|"
                    | "("
                    | "{"
                    | "then"
                    | "else"
                    | "do"
                    | "!"
                    | "exec"
                    | "nice"
                    | "ionice"
                    | "sudo"
                    | "invoke-rc.d"
                    | "service"
                    | "start"
            ),
        }
    })
}

/// How the host's `run-parts` runs a directory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunParts {
    /// Debian's `run-parts` (debianutils): `--report` prints the name of a
    /// script before its first output line, as cron mails it.
    Debian,
    /// The shell script of Fedora's crontabs package: no options.
    Script,
}

impl RunParts {
    /// The command that runs `dir`.
    pub(crate) fn command(self, dir: DirPeriod) -> String {
        match self {
            RunParts::Debian => format!("run-parts --report {}", dir.path()),
            RunParts::Script => format!("run-parts {}", dir.path()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_that_only_run_a_directory() {
        let debian = [
            (
                "cd / && run-parts --report /etc/cron.hourly",
                DirPeriod::Hourly,
            ),
            (
                "test -x /usr/sbin/anacron || { cd / && run-parts --report /etc/cron.daily; }",
                DirPeriod::Daily,
            ),
            (
                "test -x /usr/sbin/anacron || ( cd / && run-parts --report /etc/cron.weekly )",
                DirPeriod::Weekly,
            ),
            ("run-parts /etc/cron.hourly", DirPeriod::Hourly),
            ("nice run-parts /etc/cron.monthly/", DirPeriod::Monthly),
        ];
        for (command, dir) in debian {
            assert_eq!(dir_use(command), DirUse::Only(dir), "{command}");
        }
        assert_eq!(
            dir_use("run-parts /etc/cron.daily && touch /tmp/done"),
            DirUse::Mixed(DirPeriod::Daily)
        );
        assert_eq!(dir_use("ls /etc/cron.daily"), DirUse::None);
        assert_eq!(dir_use("run-parts /srv/jobs"), DirUse::None);
    }

    #[test]
    fn lines_that_start_anacron() {
        assert!(starts_anacron(
            "[ -x /etc/init.d/anacron ] && if [ ! -d /run/systemd/system ]; then \
             /usr/sbin/invoke-rc.d anacron start >/dev/null; fi"
        ));
        assert!(starts_anacron("/usr/sbin/anacron -s"));
        assert!(!starts_anacron(
            "test -x /usr/sbin/anacron || { cd / && run-parts --report /etc/cron.daily; }"
        ));
        assert!(!starts_anacron("echo anacronym"));
    }

    #[test]
    fn names_and_paths() {
        assert_eq!(
            DirPeriod::of_path(Path::new("/etc/cron.daily/")),
            Some(DirPeriod::Daily)
        );
        assert_eq!(DirPeriod::Weekly.unit_name(), "cron-weekly");
        assert_eq!(
            RunParts::Debian.command(DirPeriod::Daily),
            "run-parts --report /etc/cron.daily"
        );
    }
}
