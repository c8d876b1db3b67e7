//! sundial's own unit-file settings.
//!
//! They are spelled `X-Sundial-…`: systemd ignores every key starting with
//! `X-`, so a unit using them still loads under systemd with the same meaning
//! for everything else. Each is off by default, so that a unit means under
//! sundial what it means under systemd. Both live in `[Timer]`:
//!
//! * `X-Sundial-PersistentMonotonic=` (boolean, default `no`): stamp the last
//!   trigger for monotonic values too (systemd's `Persistent=` covers only
//!   `OnCalendar=`). After downtime an `OnUnitActiveSec=` interval that
//!   passed catches up once, and a daemon restart within one boot does not
//!   fire a passed `OnBootSec=` value again (`OnStartupSec=` counts from the
//!   daemon's start, so it does fire again). Like every boolean, an empty
//!   assignment is a bad value.
//! * `X-Sundial-DSTPolicy=` (`systemd`, `catch-up`, `cron-fixed` or
//!   `cron-wildcard`, default `systemd`):
//!   see [`DstPolicy`]. An empty assignment resets it to `systemd`.
//!
//! * `X-Sundial-Cluster=once` (`[Timer]`): each elapse runs on exactly one
//!   node of the cluster configured in sundial.toml's `[cluster]`
//!   ([`ClusterMode`]); `X-Sundial-Cluster=singleton` (`[Service]`): the
//!   service runs on one node at a time and fails over.
//! * `X-Sundial-ClusterFailover=` (`rerun` or `fail`, default `rerun`): what
//!   happens to a cluster timer's run whose node lost its lease.
//!
//! The typed model keeps them in [`TimerSection`](super::TimerSection); a bad
//! value is reported as `path:line: Key=: cause` and the assignment ignored,
//! as for systemd's directives. Other `X-Sundial-…` keys are sundial's too, so
//! unlike foreign `X-` keys they are reported, not dropped silently. The user
//! documentation is `docs/extensions.md`.

use std::fmt;
use std::str::FromStr;

use super::diag::ValueError;

/// What every sundial extension key starts with.
pub const PREFIX: &str = "X-Sundial-";

/// Whether `key` is spelled as a sundial extension (whether or not sundial
/// knows it). Case matters, as for every key.
pub fn is_sundial_key(key: &str) -> bool {
    key.starts_with(PREFIX)
}

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
    /// `cron-fixed`: what Vixie cron and cronie do with a job at fixed
    /// times (minute and hour not starting with `*`), for clock shifts under
    /// three hours (cron.c's time-jump cases): an elapse that fell into a
    /// spring-forward gap runs right after it (once), and a repeated hour
    /// is visited once.
    CronFixed,
    /// `cron-wildcard`: what cron does with a "wildcard" job (minute or hour
    /// starting with `*`): it follows the clock, so an elapse in a gap is
    /// skipped and a repeated hour runs in both passes.
    CronWildcard,
}

impl DstPolicy {
    /// The accepted values, as listed in messages.
    pub const EXPECTED: &'static str = "systemd, catch-up, cron-fixed, cron-wildcard";
}

impl FromStr for DstPolicy {
    type Err = ValueError;
    fn from_str(s: &str) -> Result<DstPolicy, ValueError> {
        match s {
            "systemd" => Ok(DstPolicy::Systemd),
            "catch-up" => Ok(DstPolicy::CatchUp),
            "cron-fixed" => Ok(DstPolicy::CronFixed),
            "cron-wildcard" => Ok(DstPolicy::CronWildcard),
            _ => Err(ValueError::Enum {
                value: s.to_owned(),
                expected: DstPolicy::EXPECTED,
            }),
        }
    }
}

impl fmt::Display for DstPolicy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            DstPolicy::Systemd => "systemd",
            DstPolicy::CatchUp => "catch-up",
            DstPolicy::CronFixed => "cron-fixed",
            DstPolicy::CronWildcard => "cron-wildcard",
        })
    }
}

/// `X-Sundial-Cluster=`: whether a unit is coordinated across the nodes
/// of a cluster (`crate::cluster`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum ClusterMode {
    /// Empty or unset: the unit is local to each node.
    #[default]
    Local,
    /// `once` (timers): each elapse runs on exactly one node.
    Once,
    /// `singleton` (services): one node at a time runs it.
    Singleton,
}

impl FromStr for ClusterMode {
    type Err = ValueError;
    fn from_str(s: &str) -> Result<ClusterMode, ValueError> {
        match s {
            "" | "no" | "local" => Ok(ClusterMode::Local),
            "once" => Ok(ClusterMode::Once),
            "singleton" => Ok(ClusterMode::Singleton),
            _ => Err(ValueError::Enum {
                value: s.to_owned(),
                expected: "once (timers), singleton (services), local",
            }),
        }
    }
}

/// `X-Sundial-ClusterFailover=`: what becomes of a cluster timer's run when
/// the node running it loses its lease (it died, or lost the database).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum ClusterFailover {
    /// `rerun` (default): another node runs the elapse again.
    #[default]
    Rerun,
    /// `fail`: the run is recorded as failed and not run again.
    Fail,
}

impl ClusterFailover {
    /// As written in unit files and stored in the shared tables.
    pub fn as_str(self) -> &'static str {
        match self {
            ClusterFailover::Rerun => "rerun",
            ClusterFailover::Fail => "fail",
        }
    }
}

impl FromStr for ClusterFailover {
    type Err = ValueError;
    fn from_str(s: &str) -> Result<ClusterFailover, ValueError> {
        match s {
            "" | "rerun" => Ok(ClusterFailover::Rerun),
            "fail" => Ok(ClusterFailover::Fail),
            _ => Err(ValueError::Enum {
                value: s.to_owned(),
                expected: "rerun, fail",
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dst_policy_round_trips_and_rejects_other_words() {
        for p in [
            DstPolicy::Systemd,
            DstPolicy::CatchUp,
            DstPolicy::CronFixed,
            DstPolicy::CronWildcard,
        ] {
            assert_eq!(p.to_string().parse::<DstPolicy>(), Ok(p));
        }
        // Values are case-sensitive, like systemd's enumerations.
        for bad in ["skip", "Catch-Up", "", "catchup"] {
            assert!(bad.parse::<DstPolicy>().is_err(), "{bad}");
        }
        assert_eq!(
            "skip".parse::<DstPolicy>().map_err(|e| e.to_string()),
            Err("invalid value 'skip', expected one of: systemd, catch-up, cron-fixed, cron-wildcard".to_owned())
        );
    }

    #[test]
    fn only_the_exact_prefix_is_ours() {
        assert!(is_sundial_key("X-Sundial-DSTPolicy"));
        assert!(is_sundial_key("X-Sundial-Whatever"));
        assert!(!is_sundial_key("X-SundialDSTPolicy"));
        assert!(!is_sundial_key("x-sundial-dstpolicy"));
        assert!(!is_sundial_key("X-Other"));
    }
}
