//! sundial's own `[Timer]` settings. They are spelled `X-Sundial-…`, which
//! systemd ignores, and are off by default so that a unit means under
//! sundial what it means under systemd.

use std::fmt;
use std::str::FromStr;

/// `X-Sundial-DSTPolicy=`: what calendar timers do when the local clock
/// jumps.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum DstPolicy {
    /// `systemd` (default): wall times inside a spring-forward gap are
    /// skipped, and each wall time of a repeated autumn hour elapses once.
    #[default]
    Systemd,
    /// `catch-up`: an elapse falling into a spring-forward gap runs right
    /// after the gap (once, however many fell into it); schedules that fire
    /// every hour or more often (`hourly`, `*:0/15`) also fire through the
    /// second pass of a repeated autumn hour. A job at a fixed time of day
    /// still runs once in the repeated hour.
    CatchUp,
}

impl FromStr for DstPolicy {
    type Err = String;
    fn from_str(s: &str) -> Result<DstPolicy, String> {
        match s {
            "systemd" => Ok(DstPolicy::Systemd),
            "catch-up" => Ok(DstPolicy::CatchUp),
            _ => Err(format!(
                "unknown DST policy '{s}', expected 'systemd' or 'catch-up'"
            )),
        }
    }
}

impl fmt::Display for DstPolicy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            DstPolicy::Systemd => "systemd",
            DstPolicy::CatchUp => "catch-up",
        })
    }
}

/// The extension settings of one timer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct TimerExtensions {
    /// `X-Sundial-PersistentMonotonic=yes`: the last trigger is stamped for
    /// monotonic values too, so that after downtime an `OnUnitActiveSec=`
    /// interval that passed catches up once, and a daemon restart within
    /// one boot does not fire `OnBootSec=`/`OnStartupSec=` values again.
    pub persistent_monotonic: bool,
    /// `X-Sundial-DSTPolicy=`.
    pub dst_policy: DstPolicy,
}

impl TimerExtensions {
    /// Applies one `[Timer]` entry. Returns `Ok(false)` for keys that are not
    /// sundial's, and an error message for a value that does not parse.
    pub fn apply(&mut self, key: &str, value: &str) -> Result<bool, String> {
        match key {
            "X-Sundial-PersistentMonotonic" => {
                self.persistent_monotonic = parse_bool(value)
                    .ok_or_else(|| format!("expected a boolean, found '{value}'"))?;
                Ok(true)
            }
            "X-Sundial-DSTPolicy" => {
                self.dst_policy = if value.is_empty() {
                    DstPolicy::default()
                } else {
                    value.parse()?
                };
                Ok(true)
            }
            _ => Ok(false),
        }
    }
}

/// Collects the extension settings from a unit's `(section, key, value)`
/// entries, in file order (drop-ins after the fragment). Values that do not
/// parse are skipped and reported, as systemd skips bad lines.
pub fn from_entries<'a>(
    entries: impl IntoIterator<Item = (&'a str, &'a str, &'a str)>,
) -> (TimerExtensions, Vec<String>) {
    let mut ext = TimerExtensions::default();
    let mut problems = Vec::new();
    for (section, key, value) in entries {
        if section != "Timer" {
            continue;
        }
        if let Err(e) = ext.apply(key, value) {
            problems.push(format!("{key}=: {e}, ignoring"));
        }
    }
    (ext, problems)
}

/// systemd's parse_boolean().
fn parse_bool(s: &str) -> Option<bool> {
    match s.to_ascii_lowercase().as_str() {
        "1" | "yes" | "y" | "true" | "t" | "on" => Some(true),
        "0" | "no" | "n" | "false" | "f" | "off" => Some(false),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_extension_keys() {
        let mut ext = TimerExtensions::default();
        assert_eq!(ext.apply("X-Sundial-DSTPolicy", "catch-up"), Ok(true));
        assert_eq!(ext.apply("X-Sundial-PersistentMonotonic", "yes"), Ok(true));
        assert_eq!(ext.apply("OnCalendar", "daily"), Ok(false));
        assert!(ext.apply("X-Sundial-DSTPolicy", "skip").is_err());
        assert!(ext.apply("X-Sundial-PersistentMonotonic", "maybe").is_err());
        assert_eq!(
            ext,
            TimerExtensions {
                persistent_monotonic: true,
                dst_policy: DstPolicy::CatchUp
            }
        );
        assert_eq!(ext.apply("X-Sundial-DSTPolicy", ""), Ok(true));
        assert_eq!(ext.dst_policy, DstPolicy::Systemd);
    }
}
