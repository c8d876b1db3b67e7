//! Cluster timers: units that run once across several hosts, coordinated
//! through a database every node reaches (PostgreSQL today).
//!
//! A node claims the pair (timer, scheduled elapse) before it runs an
//! elapse of an `X-Sundial-Cluster=once` timer; the claim is one insert on a
//! unique key, so of the nodes that compute the same elapse exactly one wins.
//! The scheduled elapse comes from the calendar, not from a node's clock, so
//! nodes whose clocks differ (within the configured bound) claim the same
//! key. The winner holds a lease it renews while the run lasts; when the
//! lease runs out (the node died or lost the database), another node reruns
//! the elapse or records it failed (`X-Sundial-ClusterFailover=`).
//!
//! This module is the pure part and the interface: the claim's types, which
//! node a claim prefers, the clock-skew verdict, and [`Coordinator`], the
//! trait a backend implements. [`postgres`] is the backend; the daemon
//! drives it on a thread of its own (`daemon::cluster`), so that no database
//! round trip ever holds up the event loop.

pub mod config;
pub mod postgres;
mod schema;

use std::time::Duration;

use siphasher::sip::SipHasher13;

pub use config::{ClusterConfig, ClusterConfigError};

/// Why the coordination backend could not do what was asked; `what` names
/// the step (`connect`, `claim`, ...).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{what}: {message}")]
pub struct CoordinationError {
    /// The step that failed.
    pub what: &'static str,
    /// The backend's message.
    pub message: String,
}

/// One elapse a node wants to run: the claim key is `timer` and
/// `scheduled_usec`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClaimRequest {
    /// The cluster timer.
    pub timer: String,
    /// The unit it starts.
    pub unit: String,
    /// The scheduled elapse, µs since the epoch (before any random delay).
    pub scheduled_usec: i64,
    /// When the node started it, on its own clock (µs).
    pub started_usec: i64,
    /// `X-Sundial-ClusterFailover=` as written on the timer.
    pub failover: crate::unit::extensions::ClusterFailover,
}

/// The answer to one claim.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClaimAnswer {
    /// The timer.
    pub timer: String,
    /// The scheduled elapse.
    pub scheduled_usec: i64,
    /// Whether this node won it (its attempt is then 1).
    pub won: bool,
    /// The node holding the claim, where the backend could tell.
    pub holder: Option<String>,
    /// The timer's newest run in the shared table after the claim (this
    /// node's when it won), where the backend could tell.
    pub last: Option<LastRun>,
}

/// The newest run of a timer in the shared table: what a cluster timer's
/// `OnUnitActiveSec=` and `OnUnitInactiveSec=` count from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LastRun {
    /// Its start, on the clock of the node that ran it (µs).
    pub started_usec: i64,
    /// Its end; `None` while it runs.
    pub ended_usec: Option<i64>,
}

/// The claim key of the first run of a cluster timer that counts from the
/// cluster's runs (`OnUnitActiveSec=`, `OnUnitInactiveSec=`): its first
/// elapse comes from each node's own `OnActiveSec=`/`OnBootSec=`/
/// `OnStartupSec=`, which differ from node to node, so they all claim this
/// one key and one node runs it.
pub const FIRST_RUN: i64 = 0;

/// A run this node took over from a node whose lease ran out, or one
/// recorded failed (`X-Sundial-ClusterFailover=fail`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Takeover {
    /// The timer.
    pub timer: String,
    /// The unit.
    pub unit: String,
    /// The scheduled elapse.
    pub scheduled_usec: i64,
    /// This node's attempt (2 and up) when it reruns; the failed attempt
    /// when the policy is `fail`.
    pub attempt: u32,
    /// The node that lost its lease.
    pub from: String,
    /// Whether this node is to run it again.
    pub rerun: bool,
}

/// A run of a claimed elapse that ended on this node.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finished {
    /// The timer.
    pub timer: String,
    /// The scheduled elapse.
    pub scheduled_usec: i64,
    /// This node's attempt.
    pub attempt: u32,
    /// When the run ended, on this node's clock (µs).
    pub ended_usec: i64,
    /// The run's result (`success`, `exit-code`, ...).
    pub result: String,
    /// The main process's exit status, if it exited.
    pub exit_status: Option<i32>,
}

/// One row of the shared runs table.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ClusterRun {
    /// The timer (or singleton service).
    pub timer: String,
    /// The unit run.
    pub unit: String,
    /// The scheduled elapse (µs).
    pub scheduled_usec: i64,
    /// 1, or more for reruns.
    pub attempt: u32,
    /// The node that ran it.
    pub node: String,
    /// Start and end on that node's clock (µs).
    pub started_usec: Option<i64>,
    /// `None` while running (or when the node died with it).
    pub ended_usec: Option<i64>,
    /// `success`, `exit-code`, ..., `lease-lost`, or none while running.
    pub result: Option<String>,
    /// The main process's exit status.
    pub exit_status: Option<i32>,
}

/// One node as the shared tables see it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct NodeRow {
    /// Its name.
    pub node: String,
    /// Its last heartbeat (µs since the epoch, on the database's clock).
    pub heartbeat_usec: i64,
    /// How far its clock was from the database's at that heartbeat (µs).
    pub skew_usec: i64,
    /// Why it refuses cluster work, if it does.
    pub refusing: Option<String>,
    /// What it runs: `timer@elapse#attempt` and singleton services.
    pub running: Vec<String>,
}

/// Who holds a singleton's lease, as a request for it found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Lease {
    /// This node (now).
    Mine,
    /// Another node, whose lease has not run out.
    HeldBy(String),
}

/// What a heartbeat learns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Heartbeat {
    /// The database's clock (µs since the epoch) when it answered.
    pub server_usec: i64,
    /// The nodes with a heartbeat within the lease, this one included.
    pub live_nodes: Vec<String>,
}

/// A coordination backend: PostgreSQL today, etcd perhaps later. Every
/// operation is one round trip and one transaction; a backend keeps no
/// state the daemon relies on besides its connection.
#[allow(async_fn_in_trait)]
pub trait Coordinator {
    /// Connects (again) and brings the schema to the current version.
    async fn open(&mut self) -> Result<(), CoordinationError>;
    /// Drops the connection (after a statement that did not answer).
    fn close(&mut self);
    /// Records this node's heartbeat (with its measured skew and why it
    /// refuses work, if it does); the database's clock and the live nodes.
    async fn heartbeat(
        &mut self,
        node: &str,
        lease: Duration,
        skew_usec: i64,
        refusing: Option<&str>,
    ) -> Result<Heartbeat, CoordinationError>;
    /// Claims elapses in one transaction; an answer for each request.
    async fn claim(
        &mut self,
        node: &str,
        lease: Duration,
        requests: &[ClaimRequest],
    ) -> Result<Vec<ClaimAnswer>, CoordinationError>;
    /// Extends the leases of every claim and singleton this node holds.
    async fn renew(&mut self, node: &str, lease: Duration) -> Result<(), CoordinationError>;
    /// Takes over the running claims of `timers` whose lease ran out
    /// (rerun), or records them failed (fail).
    async fn take_over(
        &mut self,
        node: &str,
        lease: Duration,
        timers: &[String],
        now_usec: i64,
    ) -> Result<Vec<Takeover>, CoordinationError>;
    /// Records the end of a run this node held.
    async fn finish(&mut self, node: &str, run: &Finished) -> Result<(), CoordinationError>;
    /// Takes the lease of a singleton service if nobody holds it (or this
    /// node does); whether this node holds it now, or which node does.
    async fn acquire(
        &mut self,
        node: &str,
        lease: Duration,
        unit: &str,
        now_usec: i64,
    ) -> Result<Lease, CoordinationError>;
    /// Gives a singleton's lease up (its run ended on this node).
    async fn release(
        &mut self,
        node: &str,
        unit: &str,
        now_usec: i64,
        result: &str,
    ) -> Result<(), CoordinationError>;
    /// The newest shared runs, of one timer or unit or all.
    async fn runs(
        &mut self,
        unit: Option<&str>,
        limit: usize,
    ) -> Result<Vec<ClusterRun>, CoordinationError>;
    /// The newest run of each of `timers` that has one.
    async fn last_runs(
        &mut self,
        timers: &[String],
    ) -> Result<Vec<(String, LastRun)>, CoordinationError>;
    /// Every node that has a heartbeat row.
    async fn nodes(&mut self) -> Result<Vec<NodeRow>, CoordinationError>;
    /// Deletes finished runs and claims recorded longer than `older_than`
    /// ago (on the database's clock); how many runs went.
    async fn prune(&mut self, older_than: Duration) -> Result<u64, CoordinationError>;
}

/// The node a claim prefers: the highest hash of (node, timer, elapse)
/// among the live nodes (rendezvous hashing), so that elapses spread over
/// the nodes evenly and each node can tell alone whether it is the one.
/// The others claim only after a short deferral: if the preferred node is
/// alive it has won by then, if not one of them wins.
pub fn preferred_node<'a>(live: &'a [String], timer: &str, scheduled_usec: i64) -> Option<&'a str> {
    live.iter()
        .max_by_key(|node| {
            use std::hash::{Hash, Hasher};
            let mut h = SipHasher13::new_with_keys(0x0063_6c75_7374_6572, 0x656c_6170_7365);
            node.hash(&mut h);
            timer.hash(&mut h);
            scheduled_usec.hash(&mut h);
            (h.finish(), node.as_str())
        })
        .map(String::as_str)
}

/// The clock skew measured at a heartbeat: the database's clock against
/// the middle of the round trip on this node's clock (µs).
pub fn measured_skew(sent_usec: i64, answered_usec: i64, server_usec: i64) -> i64 {
    let middle = sent_usec + (answered_usec - sent_usec) / 2;
    server_usec - middle
}

/// Why a node with this skew refuses cluster work, if it does. The claim
/// key is the scheduled elapse, so skew within the bound does not cause
/// double runs; beyond it a node's elapses (and its view of leases) can no
/// longer be trusted to match the others'.
pub fn skew_refusal(skew_usec: i64, bound: Duration) -> Option<String> {
    let bound_usec = i64::try_from(bound.as_micros()).unwrap_or(i64::MAX);
    (skew_usec.abs() > bound_usec).then(|| {
        format!(
            "this node's clock is {:.3}s {} the database's, beyond max_clock_skew ({:.3}s)",
            skew_usec.unsigned_abs() as f64 / 1e6,
            if skew_usec > 0 { "behind" } else { "ahead of" },
            bound.as_secs_f64()
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nodes(n: usize) -> Vec<String> {
        (0..n).map(|i| format!("node-{i}")).collect()
    }

    #[test]
    fn every_node_prefers_the_same_node_and_elapses_spread() {
        let live = nodes(3);
        let mut count = std::collections::HashMap::new();
        for elapse in 0..3000 {
            let p = preferred_node(&live, "backup.timer", elapse * 60_000_000).expect("live");
            // The order the list comes in does not matter.
            let mut reversed = live.clone();
            reversed.reverse();
            assert_eq!(
                preferred_node(&reversed, "backup.timer", elapse * 60_000_000),
                Some(p)
            );
            *count.entry(p.to_owned()).or_insert(0) += 1;
        }
        assert_eq!(count.len(), 3);
        for (node, n) in count {
            assert!((800..1200).contains(&n), "{node}: {n} of 3000");
        }
        assert_eq!(preferred_node(&[], "t", 0), None);
    }

    #[test]
    fn a_node_that_goes_keeps_the_others_preferences() {
        let three = nodes(3);
        let two = nodes(2);
        for elapse in 0..500 {
            let p3 = preferred_node(&three, "t.timer", elapse).expect("live");
            if p3 != "node-2" {
                assert_eq!(preferred_node(&two, "t.timer", elapse), Some(p3));
            }
        }
    }

    #[test]
    fn skew_is_measured_against_the_middle_of_the_round_trip() {
        assert_eq!(measured_skew(1_000, 3_000, 2_000), 0);
        assert_eq!(measured_skew(1_000, 3_000, 2_500_000), 2_498_000);
        assert_eq!(measured_skew(1_000, 3_000, -1_000), -3_000);
    }

    #[test]
    fn skew_beyond_the_bound_refuses_and_says_why() {
        let bound = Duration::from_secs(2);
        assert_eq!(skew_refusal(1_999_999, bound), None);
        assert_eq!(skew_refusal(-2_000_000, bound), None);
        let why = skew_refusal(-3_500_000, bound).expect("refused");
        assert!(why.contains("3.500s ahead of"), "{why}");
        assert!(why.contains("max_clock_skew (2.000s)"), "{why}");
        let why = skew_refusal(2_000_001, bound).expect("refused");
        assert!(why.contains("behind"), "{why}");
    }
}
