//! Cluster singletons on the loop's side: which singletons this node asks
//! the lease of (what the default targets want, kept up to date by
//! `daemon-reload`), and a client's `start` and `stop` of one: a start
//! takes the lease first and is refused when another node holds it or the
//! database cannot be reached; a stop gives it up and stops asking for it.
//! Every other start (a dependency's, a target's, `enable --now`, a hook's,
//! a socket's, a path's, a local timer's) is held back by the job engine's
//! lease gate (`supervisor::lease_gate`), which asks for the lease here.
//! The runs under a lease and their end are in `daemon::cluster`.

use std::collections::BTreeSet;

use super::cluster::{is_singleton, run_ended, Link};
use super::cluster_task::Command;
use super::handlers::{resume_job, PendingJob};
use super::state::{report, State};
use crate::activation::{Activation, ClaimOf, ClusterClaim};
use crate::cluster::Lease;
use crate::supervisor::LeaseAnswer;

/// A client's start waiting for the leases of its singletons.
#[derive(Debug)]
pub struct HandStart {
    job: PendingJob,
    /// The singletons whose answer has not come.
    outstanding: BTreeSet<String>,
    /// Those whose lease this node took for the start.
    leased: BTreeSet<String>,
    /// Why the others cannot start here.
    refused: Vec<String>,
}

/// A singleton service the default targets want: it runs where its lease
/// is, so this node asks for the lease instead of starting it.
pub fn want_singleton(state: &mut State, unit: &str) {
    report(format!(
        "{unit}: a cluster singleton: it starts here when this node holds its lease"
    ));
    state.cluster.wanted.insert(unit.to_owned());
    state.cluster.send(Command::Want(unit.to_owned()));
}

/// After a `daemon-reload`: singletons the default targets want now and
/// did not before (new units, units that became singletons or were
/// enabled) ask for their lease at once, rather than at the next start;
/// those no longer wanted (or no longer singletons) stop asking. A run
/// holding a lease here goes on either way.
pub fn reloaded(state: &mut State) {
    if state.cluster.config.is_none() {
        return;
    }
    let now: BTreeSet<String> = state
        .units
        .wanted_at_start()
        .into_iter()
        .filter(|name| is_singleton(state, name))
        .collect();
    let (added, gone) = wanted_changes(&state.cluster.wanted, &now);
    for unit in gone {
        report(format!(
            "{unit}: no longer a cluster singleton the default targets want: \
             this node stops asking for its lease"
        ));
        state.cluster.wanted.remove(&unit);
        state.cluster.send(Command::Unwant(unit));
    }
    for unit in added {
        want_singleton(state, &unit);
    }
}

/// The singletons to ask the lease of and those to stop asking, from the
/// ones asked before and the ones wanted now.
fn wanted_changes(before: &BTreeSet<String>, now: &BTreeSet<String>) -> (Vec<String>, Vec<String>) {
    (
        now.difference(before).cloned().collect(),
        before.difference(now).cloned().collect(),
    )
}

/// What a run under this node's lease of the singleton `unit` is started by.
pub fn lease_activation(state: &State, unit: &str) -> Activation {
    Activation::Cluster(ClusterClaim {
        node: state.cluster.node().unwrap_or_default().to_owned(),
        what: ClaimOf::Lease {
            unit: unit.to_owned(),
        },
    })
}

/// Whether a client's start of `unit` must take its lease first: a
/// singleton whose lease this node does not hold.
pub fn needs_lease(state: &State, unit: &str) -> bool {
    is_singleton(state, unit) && !state.cluster.singletons.contains_key(unit)
}

/// A client's start of singletons: it waits for their leases, and is
/// refused at once when the cluster is down (a singleton started anyway
/// could run twice).
pub(crate) fn ask_leases(state: &mut State, units: Vec<String>, job: PendingJob) {
    let names = units.join(" ");
    if let Link::Down(why) = &state.cluster.link {
        let message = format!(
            "Failed to {} {names}: a cluster singleton runs only under its lease, and \
             this node cannot take it: the cluster database is unreachable ({why})",
            job.verb_name()
        );
        return job.refuse(message);
    }
    let id = state.cluster.next_hand;
    state.cluster.next_hand += 1;
    for unit in &units {
        if !state.cluster.send(Command::Acquire {
            id,
            unit: unit.clone(),
        }) {
            let message = format!(
                "Failed to {} {names}: the cluster thread has stopped",
                job.verb_name()
            );
            return job.refuse(message);
        }
    }
    state.cluster.hand.insert(
        id,
        HandStart {
            job,
            outstanding: units.into_iter().collect(),
            leased: BTreeSet::new(),
            refused: Vec::new(),
        },
    );
}

/// The answer for one singleton of a client's start; the start goes on
/// when every answer is in and all are this node's, else it is refused
/// (and the leases taken for it given back).
pub(super) fn hand_lease(state: &mut State, id: u64, unit: String, answer: Result<Lease, String>) {
    if id == ENGINE_ASK {
        return engine_lease(state, unit, answer);
    }
    let Some(hand) = state.cluster.hand.get_mut(&id) else {
        return;
    };
    hand.outstanding.remove(&unit);
    match answer {
        Ok(Lease::Mine) => {
            hand.leased.insert(unit.clone());
            state.supervisor.lease_held(&unit);
            state.cluster.singletons.entry(unit).or_insert(false);
        }
        Ok(Lease::HeldBy(node)) => hand.refused.push(format!(
            "{unit} is a cluster singleton and node {node} holds its lease"
        )),
        Err(why) => hand.refused.push(format!(
            "{unit} is a cluster singleton and this node cannot take its lease: \
             the cluster database is unreachable ({why})"
        )),
    }
    if !state.cluster.hand[&id].outstanding.is_empty() {
        return;
    }
    let HandStart {
        job,
        leased,
        refused,
        ..
    } = state.cluster.hand.remove(&id).expect("looked up above");
    if refused.is_empty() {
        for unit in &leased {
            report(format!(
                "{unit}: this node holds the cluster lease: starting (by hand)"
            ));
        }
        return resume_job(state, job, &leased);
    }
    for unit in &leased {
        give_back_unstarted(state, unit);
    }
    let message = format!("Failed to {}: {}", job.verb_name(), refused.join("; "));
    job.refuse(message);
}

/// The id of the [`Command::Acquire`]s of the job engine's starts (a
/// client's start has its own, counted from 0).
const ENGINE_ASK: u64 = u64::MAX;

/// Starts of singletons the job engine holds back (a dependency's, a
/// target's, `enable --now`, `OnFailure=`, a socket's, a path's, a local
/// timer's) ask the cluster for their lease; without a cluster link they
/// are answered at once that it cannot be had.
pub fn engine_asks(state: &mut State) {
    let asks = state.supervisor.take_lease_requests();
    for unit in asks {
        if let Link::Down(why) = &state.cluster.link {
            let why = why.clone();
            engine_lease(state, unit, Err(why));
            continue;
        }
        let sent = state.cluster.send(Command::Acquire {
            id: ENGINE_ASK,
            unit: unit.clone(),
        });
        if !sent {
            engine_lease(state, unit, Err("the cluster thread has stopped".into()));
        }
    }
}

/// The answer for a start the job engine holds back: with the lease it
/// runs; held by another node it is skipped (the cluster runs it there) or,
/// for a client's own start, fails naming the holder; without an answer it
/// fails.
fn engine_lease(state: &mut State, unit: String, answer: Result<Lease, String>) {
    let answer = match answer {
        Ok(Lease::Mine) => {
            report(format!(
                "{unit}: this node holds the cluster lease: starting"
            ));
            state
                .cluster
                .singletons
                .entry(unit.clone())
                .or_insert(false);
            LeaseAnswer::Mine
        }
        Ok(Lease::HeldBy(node)) => {
            report(format!(
                "{unit}: a cluster singleton whose lease node {node} holds: not started here"
            ));
            LeaseAnswer::Elsewhere(node)
        }
        Err(why) => {
            report(format!(
                "{unit}: a cluster singleton, not started: this node cannot take its lease ({why})"
            ));
            LeaseAnswer::Unavailable(why)
        }
    };
    let mine = answer == LeaseAnswer::Mine;
    let lease = lease_activation(state, &unit);
    let taken = state.supervisor.lease_answer(&unit, answer, lease);
    if mine && !taken {
        // The start that asked is gone (a stop replaced it).
        give_back_unstarted(state, &unit);
    }
}

/// Gives back the lease of a singleton taken for a start that did not
/// happen.
pub fn give_back_unstarted(state: &mut State, unit: &str) {
    if state.active_state(unit).0.is_inactive_or_failed() {
        run_ended(state, unit, "resources", None);
    }
}

/// A client stops `unit`: if it is a singleton, this node stops asking for
/// its lease (another node that wants it takes it), and gives it up when
/// the run ends.
pub fn stopped_by_hand(state: &mut State, unit: &str) {
    if !is_singleton(state, unit) {
        return;
    }
    if state.cluster.wanted.remove(unit) {
        report(format!(
            "{unit}: stopped by hand: this node no longer asks for its cluster lease"
        ));
    }
    state.cluster.send(Command::Unwant(unit.to_owned()));
    // Not running here but held (its start failed): given back now.
    if state.cluster.singletons.contains_key(unit) {
        give_back_unstarted(state, unit);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(names: &[&str]) -> BTreeSet<String> {
        names.iter().map(|n| (*n).to_owned()).collect()
    }

    #[test]
    fn a_reload_asks_for_new_singletons_and_stops_asking_for_gone_ones() {
        let before = set(&["a.service", "b.service"]);
        let now = set(&["b.service", "c.service", "d.service"]);
        let (added, gone) = wanted_changes(&before, &now);
        assert_eq!(added, ["c.service", "d.service"]);
        assert_eq!(gone, ["a.service"]);
        let (added, gone) = wanted_changes(&now, &now);
        assert!(added.is_empty() && gone.is_empty());
    }
}
