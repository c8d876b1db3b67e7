//! The daemon's TOML config file: log retention and the manager defaults.
//!
//! ```toml
//! [logs]
//! max_bytes = "64M"      # captured output kept, oldest lines pruned first
//! max_lines = 1000000
//! max_age = "30d"        # a systemd time span
//! flush_interval = "200ms"
//! rate_limit_interval = "30s"   # journald's RateLimitIntervalSec=
//! rate_limit_burst = 10000      # journald's RateLimitBurst=
//!
//! [manager]
//! default_timeout_start_sec = "90s"
//! default_timeout_stop_sec = "90s"
//! default_start_limit_interval_sec = "10s"
//! default_start_limit_burst = 5
//! default_tasks_max = "15%"   # TasksMax= of services that set none
//! default_environment = { LANG = "C.UTF-8" }
//! cgroup = "/sundial"          # the cgroup v2 subtree to use (--cgroup)
//! metrics_listen = "127.0.0.1:9558"  # Prometheus /metrics (--metrics-listen)
//! http_listen = "127.0.0.1:8080"     # the dashboard (--http-listen)
//! ```
//!
//! Every key is optional; an unknown key is an error naming its line, so that a
//! typo does not silently leave a default in place. [`KEYS`] documents them
//! for the manual page and the README (a test keeps the three in step).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use sundial_calendar::Timespan;

use super::http::{InvalidListenAddress, ListenAddress};
use crate::store::LogRetention;
use crate::supervisor::ManagerDefaults;
use crate::supervisor::RateLimit;
use crate::unit::service::Limit;

/// The file as written.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    #[serde(default)]
    logs: RawLogs,
    #[serde(default)]
    manager: RawManager,
    cluster: Option<RawCluster>,
}

/// `[cluster]` (see `crate::cluster::config`).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCluster {
    database: Option<String>,
    database_file: Option<PathBuf>,
    node: Option<String>,
    lease: Option<RawSpan>,
    max_clock_skew: Option<RawSpan>,
    claim_defer: Option<RawSpan>,
    random_seed: Option<String>,
}

/// A size: bytes, or a string with a K, M, G or T suffix (powers of 1024, as
/// journald.conf's SystemMaxUse=).
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
enum RawSize {
    Bytes(u64),
    Text(String),
}

/// A time span: a systemd span string, or a number of seconds.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
enum RawSpan {
    Seconds(u64),
    Text(String),
}

/// A task limit: a number, or `"15%"` / `"infinity"`.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
enum RawTasks {
    Count(u64),
    Text(String),
}

/// A task limit that is not one; each names the text.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TasksError {
    #[error("0 is no task limit")]
    Zero,
    /// A percentage out of range or malformed (the message names it).
    #[error(transparent)]
    Percentage(#[from] crate::unit::diag::ValueError),
    #[error("invalid task limit {0:?}")]
    Invalid(String),
}

/// DefaultTasksMax= as systemd reads it (a count above 0, a percentage,
/// `infinity`).
fn tasks_limit(raw: &RawTasks) -> Result<Limit, TasksError> {
    let text = match raw {
        RawTasks::Count(0) => return Err(TasksError::Zero),
        RawTasks::Count(n) => return Ok(Limit::Absolute(*n)),
        RawTasks::Text(t) => t.trim(),
    };
    if text == "infinity" {
        return Ok(Limit::Infinity);
    }
    if text.ends_with('%') {
        return crate::unit::values::parse_permyriad(text, Some(100))
            .map(Limit::Permyriad)
            .map_err(TasksError::from);
    }
    match text.parse::<u64>() {
        Ok(n) if n > 0 => Ok(Limit::Absolute(n)),
        _ => Err(TasksError::Invalid(text.to_owned())),
    }
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLogs {
    max_bytes: Option<RawSize>,
    max_lines: Option<u64>,
    max_age: Option<RawSpan>,
    flush_interval: Option<RawSpan>,
    rate_limit_interval: Option<RawSpan>,
    rate_limit_burst: Option<u32>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawManager {
    default_timeout_start_sec: Option<RawSpan>,
    default_timeout_stop_sec: Option<RawSpan>,
    default_start_limit_interval_sec: Option<RawSpan>,
    default_start_limit_burst: Option<u32>,
    default_tasks_max: Option<RawTasks>,
    #[serde(default)]
    default_environment: BTreeMap<String, String>,
    cgroup: Option<PathBuf>,
    metrics_listen: Option<String>,
    http_listen: Option<String>,
}

/// One key of the config file, as the manual documents it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConfigKey {
    /// The table it is in: `logs` or `manager`.
    pub section: &'static str,
    /// The key.
    pub key: &'static str,
    /// What it takes.
    pub value: &'static str,
    /// Its default.
    pub default: &'static str,
    /// What it does.
    pub meaning: &'static str,
}

/// Every key the config file takes, in the order of the file.
pub const KEYS: &[ConfigKey] = &[
    ConfigKey {
        section: "logs",
        key: "max_bytes",
        value: "a size: bytes, or a number with K, M, G or T (powers of 1024); 0 for no limit",
        default: "\"64M\"",
        meaning: "Captured output kept in the state database, each line counted as what its \
                  row takes in the file (its text and a quarter, and about 170 bytes); when it \
                  is exceeded the oldest lines are removed, down to 90% of the limit (as \
                  journald's SystemMaxUse=).",
    },
    ConfigKey {
        section: "logs",
        key: "max_lines",
        value: "a number of lines; 0 for no limit",
        default: "no limit",
        meaning: "Captured lines kept; the oldest are removed first, down to 90% of the limit.",
    },
    ConfigKey {
        section: "logs",
        key: "max_age",
        value: "a time span (\"30d\", \"12h\") or a number of seconds; 0 for no limit",
        default: "no limit",
        meaning: "Captured lines older than this are removed when the daemon starts and then \
                  about once an hour while it writes (as journald's MaxRetentionSec=).",
    },
    ConfigKey {
        section: "logs",
        key: "flush_interval",
        value: "a time span or a number of seconds (at most 1min)",
        default: "\"200ms\"",
        meaning: "How long captured lines wait before they are written in one transaction: \
                  longer means fewer writes, and lines reach `sundial logs` later.",
    },
    ConfigKey {
        section: "logs",
        key: "rate_limit_interval",
        value: "a time span or a number of seconds; 0 turns rate limiting off",
        default: "\"30s\"",
        meaning: "The window of the rate limit on each service's output (journald's \
                  RateLimitIntervalSec=); a service's LogRateLimitIntervalSec= overrides it.",
    },
    ConfigKey {
        section: "logs",
        key: "rate_limit_burst",
        value: "a number of lines; 0 turns rate limiting off",
        default: "10000",
        meaning: "Lines a service may print per window and priority group before the rest \
                  of the window's are dropped and counted in one \"Suppressed N messages\" line \
                  (journald's RateLimitBurst=); LogRateLimitBurst= overrides it.",
    },
    ConfigKey {
        section: "manager",
        key: "default_timeout_start_sec",
        value: "a time span or a number of seconds",
        default: "\"90s\"",
        meaning: "TimeoutStartSec= of services that set none (systemd's \
                  DefaultTimeoutStartSec=).",
    },
    ConfigKey {
        section: "manager",
        key: "default_timeout_stop_sec",
        value: "a time span or a number of seconds",
        default: "\"90s\"",
        meaning: "TimeoutStopSec= of services that set none (systemd's DefaultTimeoutStopSec=).",
    },
    ConfigKey {
        section: "manager",
        key: "default_start_limit_interval_sec",
        value: "a time span or a number of seconds",
        default: "\"10s\"",
        meaning: "StartLimitIntervalSec= of services that set none (systemd's \
                  DefaultStartLimitIntervalSec=).",
    },
    ConfigKey {
        section: "manager",
        key: "default_start_limit_burst",
        value: "a number",
        default: "5",
        meaning: "StartLimitBurst= of services that set none (systemd's \
                  DefaultStartLimitBurst=).",
    },
    ConfigKey {
        section: "manager",
        key: "default_tasks_max",
        value: "a number of tasks, a percentage of the kernel's maximum (\"15%\"), or \"infinity\"",
        default: "none",
        meaning: "TasksMax= of services that set none (systemd's DefaultTasksMax=, whose \
                  default is 15%), written to pids.max where a pids controller is writable.",
    },
    ConfigKey {
        section: "manager",
        key: "default_environment",
        value: "a table of strings: { LANG = \"C.UTF-8\", MAILTO = \"ops@example.com\" }",
        default: "empty",
        meaning: "Variables every service gets, before its own Environment= (systemd's \
                  DefaultEnvironment=); `sundial set-environment` adds more until the daemon \
                  exits.",
    },
    ConfigKey {
        section: "manager",
        key: "cgroup",
        value:
            "a cgroup v2 directory: a path below the cgroup v2 mount (\"/sundial\", \"sundial\"), \
                or the full path (\"/sys/fs/cgroup/sundial\")",
        default: "the daemon's own cgroup",
        meaning: "The cgroup the daemon makes its services' cgroups in, instead of its own \
                  (`--cgroup` overrides it). It must exist and be writable by the daemon's user, \
                  or the daemon does not start; the daemon moves itself into a leaf of its \
                  subtree there (`sundial-.../supervisor`), so that the cgroup holds no process \
                  and controllers can be enabled for the services.",
    },
    ConfigKey {
        section: "manager",
        key: "metrics_listen",
        value:
            "HOST:PORT (\"127.0.0.1:9558\") or a Unix socket path (\"/run/sundial/metrics.sock\")",
        default: "off",
        meaning: "Serve Prometheus metrics at /metrics there (`--metrics-listen` overrides it): \
                  runs, results and durations per unit, elapses and lateness per timer, the \
                  daemon's own figures. Read-only; a Unix socket is made mode 0600. Anyone who \
                  can connect to a TCP address sees every unit's name and results: keep it on \
                  127.0.0.1 or behind a firewall.",
    },
    ConfigKey {
        section: "manager",
        key: "http_listen",
        value: "HOST:PORT, a port alone (on 127.0.0.1) or a Unix socket path",
        default: "off",
        meaning: "Serve the read-only dashboard there (`--http-listen` overrides it): the \
                  timers with their next and last elapse and result, the next day's schedule \
                  as a picture, the recent runs, each unit's runs and last lines. It changes \
                  nothing; it shows what the daemon's user may see, so keep it on 127.0.0.1 \
                  or a Unix socket (mode 0600) unless everyone who can reach it may.",
    },
    ConfigKey {
        section: "cluster",
        key: "database",
        value: "a PostgreSQL connection string (\"host=db user=sundial dbname=sundial\", \
                or host= a directory holding its Unix socket)",
        default: "none: no cluster",
        meaning: "The database the nodes coordinate through. With it, units with \
                  X-Sundial-Cluster= run once across the nodes (timers) or on one node at a \
                  time (services); sundial creates and migrates its tables there. Give this or \
                  database_file.",
    },
    ConfigKey {
        section: "cluster",
        key: "database_file",
        value: "a path",
        default: "none",
        meaning: "A file holding the connection string (with its password), read when the \
                  daemon starts, so that sundial.toml needs no secret.",
    },
    ConfigKey {
        section: "cluster",
        key: "node",
        value: "letters, digits, '.', '_', '-' (at most 64)",
        default: "the host name",
        meaning: "This node's name in the shared tables, `history --cluster` and \
                  `sundial cluster status`; unique in the cluster.",
    },
    ConfigKey {
        section: "cluster",
        key: "lease",
        value: "a time span or a number of seconds (at least 1s)",
        default: "\"30s\"",
        meaning: "How long a claim outlives its node's last renewal: a node renews every \
                  quarter lease (at most every second); when a lease runs out another node \
                  reruns the elapse (or records it failed) and a singleton fails over.",
    },
    ConfigKey {
        section: "cluster",
        key: "max_clock_skew",
        value: "a time span or a number of seconds",
        default: "\"2s\"",
        meaning: "The largest difference between this node's clock and the database's \
                  that it accepts; beyond it the node runs no cluster unit and says why.",
    },
    ConfigKey {
        section: "cluster",
        key: "claim_defer",
        value: "a time span or a number of seconds",
        default: "\"200ms\"",
        meaning: "Each elapse prefers one live node (by a hash of node, timer and \
                  elapse); the others claim it only this much later, so that runs spread \
                  over the nodes.",
    },
    ConfigKey {
        section: "cluster",
        key: "random_seed",
        value: "a string, the same on every node",
        default: "\"sundial\"",
        meaning: "What the RandomizedDelaySec=, FixedRandomDelay= and RandomizedOffsetSec= \
                  of X-Sundial-Cluster=once timers are drawn from instead of the host, so \
                  that every node computes the same elapse.",
    },
];

/// The daemon's settings, checked.
#[derive(Debug, Clone)]
pub struct Config {
    /// Limits on stored log lines.
    pub retention: LogRetention,
    /// How long captured lines wait before they are written in one batch.
    pub log_flush_interval: Timespan,
    /// The rate limit on the output of services that set none.
    pub log_rate_limit: RateLimit,
    /// Timeouts and start limits of services that set none.
    pub defaults: ManagerDefaults,
    /// Variables every service gets (before its own Environment=).
    pub default_environment: Vec<(String, String)>,
    /// TasksMax= of services that set none.
    pub default_tasks_max: Option<Limit>,
    /// The cgroup v2 directory to use as the daemon's subtree (`--cgroup`
    /// overrides it); none: the daemon's own cgroup.
    pub cgroup: Option<PathBuf>,
    /// Where to serve Prometheus metrics (`--metrics-listen` overrides
    /// it); none: not served.
    pub metrics_listen: Option<ListenAddress>,
    /// Where to serve the dashboard (`--http-listen` overrides it); none:
    /// not served.
    pub http_listen: Option<ListenAddress>,
    /// `[cluster]`: the database the nodes coordinate through.
    pub cluster: Option<crate::cluster::ClusterConfig>,
}

/// 64 MiB of captured text by default: months of a typical cron table's
/// output, and small enough for a container's volume.
const DEFAULT_MAX_BYTES: u64 = 64 << 20;

impl Default for Config {
    fn default() -> Config {
        Config {
            retention: LogRetention {
                max_bytes: Some(DEFAULT_MAX_BYTES),
                max_rows: None,
                max_age: None,
            },
            log_flush_interval: Timespan::from_usec(200_000),
            log_rate_limit: RateLimit::default(),
            defaults: ManagerDefaults::default(),
            default_environment: Vec::new(),
            default_tasks_max: None,
            cgroup: None,
            metrics_listen: None,
            http_listen: None,
            cluster: None,
        }
    }
}

/// Why the config file is unusable; every variant names the file.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// It could not be read.
    #[error("{path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// It is not valid TOML or has unknown keys (the message has line and column).
    #[error("{path}: {message}")]
    Syntax {
        /// The file.
        path: PathBuf,
        /// The parser's message.
        message: String,
    },
    /// A value does not parse.
    #[error("{path}: {key}: {message}")]
    Value {
        /// The file.
        path: PathBuf,
        /// The key, as `section.key`.
        key: &'static str,
        /// What is wrong.
        message: String,
    },
}

impl Config {
    /// Reads the config at `path`. A missing file gives the defaults unless
    /// `required` (it was named on the command line).
    pub fn load(path: &Path, required: bool) -> Result<Config, ConfigError> {
        match std::fs::read_to_string(path) {
            Ok(text) => Config::parse(&text, path),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && !required => {
                Ok(Config::default())
            }
            Err(source) => Err(ConfigError::Read {
                path: path.to_path_buf(),
                source,
            }),
        }
    }

    /// Parses config text; `path` is for messages.
    pub fn parse(text: &str, path: &Path) -> Result<Config, ConfigError> {
        let raw: RawConfig = toml::from_str(text).map_err(|e| ConfigError::Syntax {
            path: path.to_path_buf(),
            message: e.to_string().trim_end().to_owned(),
        })?;
        let value_error = |key, message| ConfigError::Value {
            path: path.to_path_buf(),
            key,
            message,
        };
        let span = |key, raw: &Option<RawSpan>| -> Result<Option<Timespan>, ConfigError> {
            match raw {
                None => Ok(None),
                Some(RawSpan::Seconds(s)) => Ok(Some(Timespan::from_secs(*s))),
                Some(RawSpan::Text(t)) => Timespan::parse(t)
                    .map(Some)
                    .map_err(|e| value_error(key, format!("invalid time span {t:?}: {e}"))),
            }
        };
        let mut config = Config::default();
        if let Some(size) = &raw.logs.max_bytes {
            config.retention.max_bytes = match size {
                RawSize::Bytes(0) => None,
                RawSize::Bytes(b) => Some(*b),
                RawSize::Text(t) => parse_size(t)
                    .map(|b| (b > 0).then_some(b))
                    .map_err(|e| value_error("logs.max_bytes", e.to_string()))?,
            };
        }
        config.retention.max_rows = raw.logs.max_lines.filter(|n| *n > 0);
        config.retention.max_age =
            span("logs.max_age", &raw.logs.max_age)?.filter(|s| !s.is_zero() && !s.is_infinite());
        if let Some(flush) = span("logs.flush_interval", &raw.logs.flush_interval)? {
            config.log_flush_interval = flush;
        }
        if let Some(interval) = span("logs.rate_limit_interval", &raw.logs.rate_limit_interval)? {
            config.log_rate_limit.interval = std::time::Duration::from_micros(interval.as_usec());
        }
        if let Some(burst) = raw.logs.rate_limit_burst {
            config.log_rate_limit.burst = burst;
        }
        let m = &raw.manager;
        let d = &mut config.defaults;
        if let Some(t) = span(
            "manager.default_timeout_start_sec",
            &m.default_timeout_start_sec,
        )? {
            d.timeout_start = t;
        }
        if let Some(t) = span(
            "manager.default_timeout_stop_sec",
            &m.default_timeout_stop_sec,
        )? {
            d.timeout_stop = t;
        }
        if let Some(t) = span(
            "manager.default_start_limit_interval_sec",
            &m.default_start_limit_interval_sec,
        )? {
            d.start_limit_interval = t;
        }
        if let Some(b) = m.default_start_limit_burst {
            d.start_limit_burst = b;
        }
        if let Some(t) = &m.default_tasks_max {
            config.default_tasks_max = Some(
                tasks_limit(t)
                    .map_err(|e| value_error("manager.default_tasks_max", e.to_string()))?,
            );
        }
        config.cgroup = m.cgroup.clone();
        if let Some(address) = &m.http_listen {
            config.http_listen = Some(address.parse().map_err(|e: InvalidListenAddress| {
                value_error("manager.http_listen", e.to_string())
            })?);
        }
        if let Some(address) = &m.metrics_listen {
            config.metrics_listen = Some(address.parse().map_err(|e: InvalidListenAddress| {
                value_error("manager.metrics_listen", e.to_string())
            })?);
        }
        if let Some(c) = &raw.cluster {
            let duration =
                |key, raw: &Option<RawSpan>| -> Result<Option<std::time::Duration>, ConfigError> {
                    Ok(span(key, raw)?.map(|s| std::time::Duration::from_micros(s.as_usec())))
                };
            config.cluster = Some(
                crate::cluster::ClusterConfig::new(
                    c.database.clone(),
                    c.database_file.clone(),
                    c.node.clone(),
                    duration("cluster.lease", &c.lease)?,
                    duration("cluster.max_clock_skew", &c.max_clock_skew)?,
                    duration("cluster.claim_defer", &c.claim_defer)?,
                    || {
                        nix::unistd::gethostname()
                            .map_err(|e| e.to_string())
                            .map(|h| h.to_string_lossy().into_owned())
                    },
                )
                .map_err(|e| value_error("cluster", e.to_string()))
                .map(|mut cluster| {
                    if let Some(seed) = &c.random_seed {
                        cluster.random_seed.clone_from(seed);
                    }
                    cluster
                })?,
            );
        }
        config.default_environment = m
            .default_environment
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        Ok(config)
    }
}

/// A size that is not one; each names the text.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SizeError {
    #[error("invalid size {0:?}: expected bytes or a number with K, M, G or T")]
    Invalid(String),
    #[error("size {0:?} is too large")]
    TooLarge(String),
}

/// `1024`, `512K`, `64M`, `1.5G`, `2T` (case-insensitive, optional `B`/`iB`).
fn parse_size(text: &str) -> Result<u64, SizeError> {
    let t = text.trim();
    let lower = t.to_ascii_lowercase();
    let body = lower
        .strip_suffix("ib")
        .or_else(|| lower.strip_suffix('b'))
        .unwrap_or(&lower);
    let (number, shift) = match body.chars().last() {
        Some('k') => (&body[..body.len() - 1], 10),
        Some('m') => (&body[..body.len() - 1], 20),
        Some('g') => (&body[..body.len() - 1], 30),
        Some('t') => (&body[..body.len() - 1], 40),
        _ => (body, 0),
    };
    let value: f64 = number
        .trim()
        .parse()
        .ok()
        .filter(|v: &f64| v.is_finite() && *v >= 0.0)
        .ok_or_else(|| SizeError::Invalid(t.to_owned()))?;
    let bytes = value * (1u64 << shift) as f64;
    if bytes > u64::MAX as f64 {
        return Err(SizeError::TooLarge(t.to_owned()));
    }
    Ok(bytes as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Config, ConfigError> {
        Config::parse(text, Path::new("/etc/sundial/sundial.toml"))
    }

    #[test]
    fn task_limits_read_as_systemd_reads_them() {
        let read = |v: &str| parse(&format!("[manager]\ndefault_tasks_max = {v}\n"));
        assert_eq!(
            read("4096").unwrap().default_tasks_max,
            Some(Limit::Absolute(4096))
        );
        assert_eq!(
            read("\"infinity\"").unwrap().default_tasks_max,
            Some(Limit::Infinity)
        );
        assert_eq!(
            read("\"512\"").unwrap().default_tasks_max,
            Some(Limit::Absolute(512))
        );
        for bad in ["0", "\"lots\"", "\"150%\""] {
            let e = read(bad).unwrap_err().to_string();
            assert!(e.contains("manager.default_tasks_max"), "{bad}: {e}");
        }
        // Each names what it was given.
        let message = |raw| tasks_limit(&raw).unwrap_err().to_string();
        assert_eq!(message(RawTasks::Count(0)), "0 is no task limit");
        assert_eq!(
            message(RawTasks::Text("lots".to_owned())),
            "invalid task limit \"lots\""
        );
        assert!(message(RawTasks::Text("150%".to_owned())).contains("150%"));
        assert_eq!(parse("").unwrap().default_tasks_max, None);
    }

    #[test]
    fn empty_file_gives_defaults() {
        let c = parse("").unwrap();
        assert_eq!(c.retention.max_bytes, Some(DEFAULT_MAX_BYTES));
        assert_eq!(c.log_flush_interval, Timespan::from_usec(200_000));
        assert_eq!(c.defaults.start_limit_burst, 5);
    }

    #[test]
    fn reads_every_key() {
        let c = parse(
            r#"
[logs]
max_bytes = "1.5M"
max_lines = 1000
max_age = "30d"
flush_interval = "50ms"
rate_limit_interval = "1s"
rate_limit_burst = 0

[manager]
default_timeout_start_sec = 20
default_timeout_stop_sec = "5s"
default_start_limit_interval_sec = "1min"
default_start_limit_burst = 3
default_tasks_max = "15%"
default_environment = { LANG = "C.UTF-8" }
"#,
        )
        .unwrap();
        assert_eq!(c.default_tasks_max, Some(Limit::Permyriad(1500)));
        assert_eq!(c.retention.max_bytes, Some(1_572_864));
        assert_eq!(c.retention.max_rows, Some(1000));
        assert_eq!(c.retention.max_age, Some(Timespan::from_secs(30 * 86_400)));
        assert_eq!(c.log_flush_interval, Timespan::from_usec(50_000));
        assert_eq!(
            c.log_rate_limit,
            RateLimit {
                interval: std::time::Duration::from_secs(1),
                burst: 0
            }
        );
        assert!(c.log_rate_limit.is_off());
        assert_eq!(c.defaults.timeout_start, Timespan::from_secs(20));
        assert_eq!(c.defaults.timeout_stop, Timespan::from_secs(5));
        assert_eq!(c.defaults.start_limit_interval, Timespan::from_secs(60));
        assert_eq!(c.defaults.start_limit_burst, 3);
        assert_eq!(
            c.default_environment,
            [("LANG".to_owned(), "C.UTF-8".to_owned())]
        );
        assert_eq!(
            parse("[logs]\nmax_bytes = 0").unwrap().retention.max_bytes,
            None
        );
    }

    #[test]
    fn errors_name_the_file_and_key() {
        let err = parse("[logs]\nmax_bytse = 5\n").unwrap_err().to_string();
        assert!(err.starts_with("/etc/sundial/sundial.toml: "), "{err}");
        assert!(err.contains("max_bytse") && err.contains("line 2"), "{err}");
        let err = parse("[logs]\nmax_age = \"forever\"\n")
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("logs.max_age") && err.contains("forever"),
            "{err}"
        );
        let err = parse("[logs]\nmax_bytes = \"lots\"\n")
            .unwrap_err()
            .to_string();
        assert!(err.contains("logs.max_bytes"), "{err}");
        assert!(parse("[logs\n").is_err());
    }

    #[test]
    fn the_cluster_section_is_checked_and_named_in_errors() {
        let c = parse(
            "[cluster]\ndatabase = \"host=/run/pg\"\nnode = \"web-1\"\nlease = \"10s\"\n\
             max_clock_skew = 1\nclaim_defer = \"50ms\"\nrandom_seed = \"prod\"\n",
        )
        .expect("valid")
        .cluster
        .expect("a cluster");
        assert_eq!(c.node, "web-1");
        assert_eq!(c.random_seed, "prod");
        let default = parse("[cluster]\ndatabase = \"x\"\nnode = \"a\"\n")
            .expect("valid")
            .cluster
            .expect("a cluster");
        assert_eq!(default.random_seed, "sundial");
        assert_ne!(default.seed(), c.seed());
        assert_eq!(c.lease, std::time::Duration::from_secs(10));
        assert_eq!(c.max_clock_skew, std::time::Duration::from_secs(1));
        assert_eq!(c.claim_defer, std::time::Duration::from_millis(50));
        assert!(parse("").expect("valid").cluster.is_none());
        let err = parse("[cluster]\nnode = \"a\"\n").unwrap_err().to_string();
        assert!(err.contains("cluster: give one of database"), "{err}");
        let err = parse("[cluster]\ndatabase = \"x\"\nnode = \"a b\"\n")
            .unwrap_err()
            .to_string();
        assert!(err.contains("invalid node name \"a b\""), "{err}");
        let err = parse("[cluster]\ndatabase = \"x\"\nlease = \"soon\"\n")
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("cluster.lease") && err.contains("soon"),
            "{err}"
        );
    }

    /// The keys a section accepts, as the parser's error for an unknown
    /// one lists them.
    fn accepted_keys(section: &str) -> Vec<String> {
        let err = parse(&format!("[{section}]\nno_such_key = 1\n"))
            .unwrap_err()
            .to_string();
        let list = err
            .split_once("expected one of ")
            .unwrap_or_else(|| panic!("{err}"))
            .1;
        list.split(", ")
            .map(|k| k.trim().trim_matches('`').to_owned())
            .collect()
    }

    #[test]
    fn the_documented_keys_are_the_keys_the_file_takes() {
        for section in ["logs", "manager", "cluster"] {
            let documented: Vec<&str> = KEYS
                .iter()
                .filter(|k| k.section == section)
                .map(|k| k.key)
                .collect();
            let mut accepted = accepted_keys(section);
            accepted.sort();
            let mut sorted = documented.clone();
            sorted.sort_unstable();
            assert_eq!(accepted, sorted, "[{section}]");
        }
        assert_eq!(
            accepted_keys("manager").len()
                + accepted_keys("logs").len()
                + accepted_keys("cluster").len(),
            KEYS.len()
        );
        // The documented defaults are the defaults.
        let defaults = Config::default();
        let mut text = String::new();
        for section in ["logs", "manager"] {
            text.push_str(&format!("[{section}]\n"));
            for k in KEYS.iter().filter(|k| k.section == section) {
                if k.default.starts_with('"') || k.default.parse::<u32>().is_ok() {
                    text.push_str(&format!("{} = {}\n", k.key, k.default));
                }
            }
        }
        let documented = parse(&text).unwrap();
        assert_eq!(documented.retention, defaults.retention);
        assert_eq!(documented.log_flush_interval, defaults.log_flush_interval);
        assert_eq!(documented.log_rate_limit, defaults.log_rate_limit);
        let (d, e) = (&documented.defaults, &defaults.defaults);
        assert_eq!(
            (
                d.timeout_start,
                d.timeout_stop,
                d.start_limit_interval,
                d.start_limit_burst
            ),
            (
                e.timeout_start,
                e.timeout_stop,
                e.start_limit_interval,
                e.start_limit_burst
            )
        );
    }

    #[test]
    fn missing_file_is_fine_unless_named() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("none.toml");
        assert!(Config::load(&path, false).is_ok());
        let err = Config::load(&path, true).unwrap_err().to_string();
        assert!(err.contains("none.toml"), "{err}");
    }

    #[test]
    fn sizes() {
        assert_eq!(parse_size("1024"), Ok(1024));
        assert_eq!(parse_size("4K"), Ok(4096));
        assert_eq!(parse_size("2MiB"), Ok(2 << 20));
        assert_eq!(parse_size("1g"), Ok(1 << 30));
        assert!(parse_size("-1M").is_err());
        assert!(parse_size("M").is_err());
        assert_eq!(
            parse_size("lots").unwrap_err().to_string(),
            "invalid size \"lots\": expected bytes or a number with K, M, G or T"
        );
    }
}
