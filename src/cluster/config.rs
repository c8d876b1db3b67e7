//! The `[cluster]` section of sundial.toml:
//!
//! ```toml
//! [cluster]
//! database = "host=db.example.com user=sundial dbname=sundial"
//! # or: database_file = "/etc/sundial/cluster.conn"  (holds the string, password included)
//! node = "web-1"          # default: the host name
//! lease = "30s"           # how long a claim outlives its node's last renewal
//! max_clock_skew = "2s"   # beyond this a node refuses cluster work
//! claim_defer = "200ms"   # how long the nodes an elapse does not prefer wait
//! random_seed = "sundial" # the same on every node: cluster timers' delays
//! ```

use std::path::PathBuf;
use std::time::Duration;

/// The checked `[cluster]` settings.
#[derive(Clone, PartialEq, Eq)]
pub struct ClusterConfig {
    /// Where the connection string comes from.
    pub database: DatabaseSource,
    /// This node's name (no `@`, no white space).
    pub node: String,
    /// How long a claim or a singleton's lease lasts after its last renewal.
    pub lease: Duration,
    /// The largest difference to the database's clock a node accepts.
    pub max_clock_skew: Duration,
    /// How long a node that an elapse does not prefer waits before it
    /// claims it.
    pub claim_defer: Duration,
    /// What the `RandomizedDelaySec=`, `FixedRandomDelay=` and
    /// `RandomizedOffsetSec=` of cluster timers are drawn from instead of
    /// the host: the same on every node, so that each computes the same
    /// elapse.
    pub random_seed: String,
}

/// The connection string, or the file holding it.
#[derive(Clone, PartialEq, Eq)]
pub enum DatabaseSource {
    /// Written in sundial.toml.
    Inline(String),
    /// Read from this file when the daemon starts (it may hold a password).
    File(PathBuf),
}

/// Never shows an inline connection string: it may hold a password.
impl std::fmt::Debug for DatabaseSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DatabaseSource::Inline(_) => f.write_str("Inline(..)"),
            DatabaseSource::File(p) => f.debug_tuple("File").field(p).finish(),
        }
    }
}

/// Never shows the connection string: it may hold a password.
impl std::fmt::Debug for ClusterConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let database = match &self.database {
            DatabaseSource::Inline(_) => "(inline)".to_owned(),
            DatabaseSource::File(p) => p.display().to_string(),
        };
        f.debug_struct("ClusterConfig")
            .field("database", &database)
            .field("node", &self.node)
            .field("lease", &self.lease)
            .field("max_clock_skew", &self.max_clock_skew)
            .field("claim_defer", &self.claim_defer)
            .field("random_seed", &self.random_seed)
            .finish()
    }
}

/// Defaults: a lease long enough for a busy database's pauses, a skew
/// bound NTP keeps easily.
pub const DEFAULT_LEASE: Duration = Duration::from_secs(30);
/// See [`DEFAULT_LEASE`].
pub const DEFAULT_MAX_CLOCK_SKEW: Duration = Duration::from_secs(2);
/// See [`DEFAULT_LEASE`].
pub const DEFAULT_CLAIM_DEFER: Duration = Duration::from_millis(200);
/// The seed of cluster timers' delays where `random_seed` is not given.
pub const DEFAULT_RANDOM_SEED: &str = "sundial";

/// A `[cluster]` setting that is unusable; each names the value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ClusterConfigError {
    /// Neither or both of `database` and `database_file`.
    #[error("give one of database (a connection string) and database_file (a file holding one)")]
    Database,
    /// A node name sundial cannot store or show.
    #[error("invalid node name {0:?}: use letters, digits, '.', '_' and '-' (at most 64)")]
    Node(String),
    /// The host name could not be read for the default node name.
    #[error("cannot read the host name for the node name: {0}; set node")]
    HostName(String),
    /// A lease too short to be renewed in time.
    #[error("lease {0:?} is too short: at least 1s")]
    Lease(Duration),
}

/// Whether `name` can be a node's name.
pub fn valid_node(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 64
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
}

impl ClusterConfig {
    /// Checks the settings as read; `host_name` gives the default node name.
    pub fn new(
        database: Option<String>,
        database_file: Option<PathBuf>,
        node: Option<String>,
        lease: Option<Duration>,
        max_clock_skew: Option<Duration>,
        claim_defer: Option<Duration>,
        host_name: impl FnOnce() -> Result<String, String>,
    ) -> Result<ClusterConfig, ClusterConfigError> {
        let database = match (database, database_file) {
            (Some(s), None) => DatabaseSource::Inline(s),
            (None, Some(p)) => DatabaseSource::File(p),
            _ => return Err(ClusterConfigError::Database),
        };
        let node = match node {
            Some(n) => n,
            None => host_name().map_err(ClusterConfigError::HostName)?,
        };
        if !valid_node(&node) {
            return Err(ClusterConfigError::Node(node));
        }
        let lease = lease.unwrap_or(DEFAULT_LEASE);
        if lease < Duration::from_secs(1) {
            return Err(ClusterConfigError::Lease(lease));
        }
        Ok(ClusterConfig {
            database,
            node,
            lease,
            max_clock_skew: max_clock_skew.unwrap_or(DEFAULT_MAX_CLOCK_SKEW),
            claim_defer: claim_defer.unwrap_or(DEFAULT_CLAIM_DEFER),
            random_seed: DEFAULT_RANDOM_SEED.to_owned(),
        })
    }

    /// `random_seed` as the number the scheduler draws from.
    pub fn seed(&self) -> u64 {
        use std::hash::Hasher;
        let mut h = siphasher::sip::SipHasher24::new_with_keys(0x636c_7573_7465_7221, 0);
        h.write(self.random_seed.as_bytes());
        h.finish()
    }

    /// How often a node renews its leases, sends its heartbeat and looks
    /// for runs whose lease ran out: a quarter of the lease, at most 1 s,
    /// so that a lost run is taken over within the lease and a second.
    pub fn tick(&self) -> Duration {
        (self.lease / 4).min(Duration::from_secs(1))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn host() -> Result<String, String> {
        Ok("box-1".into())
    }

    #[test]
    fn defaults_and_the_host_name() {
        let c = ClusterConfig::new(Some("host=/x".into()), None, None, None, None, None, host)
            .expect("valid");
        assert_eq!(c.node, "box-1");
        assert_eq!(c.lease, DEFAULT_LEASE);
        assert_eq!(c.tick(), Duration::from_secs(1));
        // The password stays out of messages.
        let c = ClusterConfig::new(
            Some("password=hunter2".into()),
            None,
            Some("n".into()),
            Some(Duration::from_secs(2)),
            None,
            None,
            host,
        )
        .expect("valid");
        assert!(!format!("{c:?}").contains("hunter2"));
        assert_eq!(c.tick(), Duration::from_millis(500));
    }

    #[test]
    fn bad_settings_are_refused_with_the_value() {
        let e = ClusterConfig::new(None, None, None, None, None, None, host);
        assert_eq!(e, Err(ClusterConfigError::Database));
        let e = ClusterConfig::new(
            Some("x".into()),
            Some("/f".into()),
            None,
            None,
            None,
            None,
            host,
        );
        assert_eq!(e, Err(ClusterConfigError::Database));
        let e = ClusterConfig::new(
            Some("x".into()),
            None,
            Some("a@b".into()),
            None,
            None,
            None,
            host,
        );
        assert_eq!(e, Err(ClusterConfigError::Node("a@b".into())));
        let e = ClusterConfig::new(
            Some("x".into()),
            None,
            None,
            Some(Duration::from_millis(500)),
            None,
            None,
            host,
        );
        assert!(matches!(e, Err(ClusterConfigError::Lease(_))));
    }
}
