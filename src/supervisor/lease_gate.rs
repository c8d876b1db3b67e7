//! The lease gate: a cluster singleton (`X-Sundial-Cluster=singleton`)
//! runs only on the node holding its lease, whatever queued its start (a
//! client, a dependency, a target, `enable --now`, `OnFailure=`, a socket,
//! a path or a local timer). The job engine asks the gate before it runs a
//! start of a singleton; while this node does not hold the lease the job
//! stays waiting and the gate asks the owner (the daemon, which asks the
//! cluster) once. The owner's answer opens the gate (the job runs) or ends
//! the waiting starts, as [`refused_result`] says.
//!
//! Pure bookkeeping: no I/O, no clock.

use std::collections::BTreeSet;

use super::JobResult;
use crate::activation::Activation;

/// Whether a start may run now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Gate {
    /// Not a singleton, or this node holds its lease.
    Open,
    /// A singleton whose lease this node does not hold: the start waits.
    Wait,
}

/// The cluster's answer for a singleton the gate asked about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LeaseAnswer {
    /// This node holds the lease now.
    Mine,
    /// The named node holds it: the singleton runs there.
    Elsewhere(String),
    /// The cluster cannot say (the database is unreachable), and why.
    Unavailable(String),
}

/// The gate's state: which singletons this node holds the lease of, which
/// it asked about.
#[derive(Debug, Default)]
pub struct LeaseGate {
    /// Whether this daemon is in a cluster at all (without one, a
    /// singleton is an ordinary service).
    pub enabled: bool,
    open: BTreeSet<String>,
    asked: BTreeSet<String>,
    requests: Vec<String>,
}

impl LeaseGate {
    /// Whether a start of `unit` (a singleton or not) may run now; a
    /// singleton not open here is asked about, once until the answer.
    pub fn check(&mut self, unit: &str, singleton: bool) -> Gate {
        if !self.enabled || !singleton || self.open.contains(unit) {
            return Gate::Open;
        }
        if self.asked.insert(unit.to_owned()) {
            self.requests.push(unit.to_owned());
        }
        Gate::Wait
    }

    /// This node holds the lease of `unit`: its starts run.
    pub fn open(&mut self, unit: &str) {
        self.asked.remove(unit);
        self.open.insert(unit.to_owned());
    }

    /// This node gave the lease of `unit` up: a later start asks again.
    pub fn close(&mut self, unit: &str) {
        self.open.remove(unit);
    }

    /// The answer for `unit` was not the lease: a later start asks again.
    pub fn refused(&mut self, unit: &str) {
        self.asked.remove(unit);
    }

    /// The singletons to ask the cluster about, since the last call.
    pub fn take_requests(&mut self) -> Vec<String> {
        std::mem::take(&mut self.requests)
    }
}

/// How a waiting start of a singleton ends when this node did not get the
/// lease, and the sentence for its log. A start the cluster already
/// satisfies (another node runs the singleton) is skipped, so that a unit
/// that wants or requires it, a target, a timer or a socket goes on as if
/// it ran; only a client's own start of it (`enable --now`, a start by
/// hand) fails, naming the holder. Without an answer (the database is
/// unreachable) every start fails: the singleton could run twice.
pub fn refused_result(
    unit: &str,
    activation: Option<&Activation>,
    answer: &LeaseAnswer,
) -> (JobResult, String) {
    match answer {
        LeaseAnswer::Mine => (JobResult::Done, String::new()),
        LeaseAnswer::Elsewhere(node) => {
            if matches!(activation, Some(Activation::Command { .. })) {
                (
                    JobResult::Failed,
                    format!(
                        "Failed to start: {unit} is a cluster singleton and node {node} \
                         holds its lease"
                    ),
                )
            } else {
                (
                    JobResult::Skipped,
                    format!(
                        "a cluster singleton and node {node} holds its lease: \
                         it runs there, not started here"
                    ),
                )
            }
        }
        LeaseAnswer::Unavailable(why) => (
            JobResult::Failed,
            format!(
                "Failed to start: {unit} is a cluster singleton and this node cannot take \
                 its lease: the cluster database is unreachable ({why})"
            ),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gate() -> LeaseGate {
        LeaseGate {
            enabled: true,
            ..LeaseGate::default()
        }
    }

    #[test]
    fn a_start_of_a_singleton_waits_and_asks_once_until_the_answer() {
        let mut g = gate();
        assert_eq!(g.check("a.service", false), Gate::Open);
        assert_eq!(g.check("s.service", true), Gate::Wait);
        assert_eq!(g.check("s.service", true), Gate::Wait);
        assert_eq!(g.take_requests(), ["s.service"]);
        assert!(g.take_requests().is_empty());
        g.open("s.service");
        assert_eq!(g.check("s.service", true), Gate::Open);
        g.close("s.service");
        assert_eq!(g.check("s.service", true), Gate::Wait);
        assert_eq!(g.take_requests(), ["s.service"]);
        g.refused("s.service");
        assert_eq!(g.check("s.service", true), Gate::Wait);
        assert_eq!(g.take_requests(), ["s.service"]);
    }

    #[test]
    fn without_a_cluster_a_singleton_is_an_ordinary_service() {
        let mut g = LeaseGate::default();
        assert_eq!(g.check("s.service", true), Gate::Open);
        assert!(g.take_requests().is_empty());
    }

    #[test]
    fn a_dependency_start_held_elsewhere_is_skipped_and_a_hand_start_fails() {
        let elsewhere = LeaseAnswer::Elsewhere("node-1".into());
        let dep = Activation::dependency("app.service");
        let (result, text) = refused_result("s.service", Some(&dep), &elsewhere);
        assert_eq!(result, JobResult::Skipped);
        assert!(text.contains("node node-1 holds its lease"), "{text}");
        let (result, text) = refused_result("s.service", Some(&Activation::MANUAL), &elsewhere);
        assert_eq!(result, JobResult::Failed);
        assert!(text.starts_with("Failed to start: s.service"), "{text}");
        let down = LeaseAnswer::Unavailable("refused".into());
        let (result, text) = refused_result("s.service", Some(&dep), &down);
        assert_eq!(result, JobResult::Failed);
        assert!(text.contains("unreachable (refused)"), "{text}");
    }
}
