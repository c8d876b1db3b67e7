//! The event loop's side of the cluster: which elapses wait for a claim,
//! which runs here hold one, whether the cluster is reachable, and the
//! steps that turn the cluster task's events into starts, stops and
//! scheduler events. The database work itself is on the task
//! (`daemon::cluster_task`); nothing here waits for it.
//!
//! An elapse of an `X-Sundial-Cluster=once` timer does not start its unit:
//! it becomes a claim. A won claim starts the unit with an
//! [`Activation::Cluster`]; a lost one (or one not made because the cluster
//! is down) tells the scheduler the unit stays inactive, so that the timer
//! waits for its next elapse as after a finished run. While the cluster is
//! down the newest missed elapse of each `Persistent=yes` cluster timer is
//! kept, and claimed once when the cluster is back: the claim key being the
//! scheduled elapse, an elapse another node ran meanwhile is not run again.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use tokio::sync::mpsc;

use super::cluster_singletons::{hand_lease, lease_activation, HandStart};
use super::cluster_task::{ClusterEvent, Command, TaskHandle};
use super::state::{report, State};
use crate::activation::{Activation, ClaimOf, ClusterClaim, Fired};
use crate::cluster::{
    ClaimAnswer, ClaimRequest, ClusterConfig, Finished, LastRun, Takeover, FIRST_RUN,
};
use crate::scheduler::timer_state::{Cause, Note};
use crate::scheduler::{ClusterLast, Event, Start, Timer};
use crate::unit::extensions::ClusterMode;

/// Whether this node does cluster work now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Link {
    /// No `[cluster]` in sundial.toml.
    Off,
    /// Reachable and within the clock-skew bound.
    Up,
    /// Not doing cluster work, and why.
    Down(String),
}

/// A run here that holds a claim.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Held {
    timer: String,
    scheduled_usec: i64,
    attempt: u32,
    /// Stopped because this node lost its lease.
    lost: bool,
}

/// The loop's cluster state.
#[derive(Debug)]
pub struct ClusterSide {
    /// The settings, when there is a cluster.
    pub config: Option<ClusterConfig>,
    /// Whether cluster work goes on.
    pub link: Link,
    commands: Option<mpsc::UnboundedSender<Command>>,
    events: Option<mpsc::UnboundedReceiver<ClusterEvent>>,
    /// Elapses waiting for the answer to their claim.
    pending: HashMap<(String, i64), Start>,
    /// Units running here for a claimed elapse, by unit.
    held: HashMap<String, Held>,
    /// Singleton services running here under their lease (true: stopped
    /// because this node lost it).
    pub(super) singletons: BTreeMap<String, bool>,
    /// Singleton services this node asks the lease of (the default
    /// targets want them), as told to the task.
    pub(super) wanted: BTreeSet<String>,
    /// The newest elapse of each Persistent= cluster timer missed while
    /// the cluster was down.
    missed: BTreeMap<String, Start>,
    /// Each cluster timer's newest elapse and the node that holds it.
    pub last: HashMap<String, (i64, String)>,
    /// Claims won, lost and not made (the metrics' counters).
    pub counts: ClaimCounts,
    /// Timers whose missed elapse this outage was reported (once each).
    reported: std::collections::HashSet<String>,
    /// Clients' starts of singletons waiting for their leases, by the id
    /// of their [`Command::Acquire`]s.
    pub(super) hand: HashMap<u64, HandStart>,
    pub(super) next_hand: u64,
}

/// What `daemon-reexec` hands the new program of the loop's cluster state:
/// the runs here under a lease or a claim, and the singletons this node
/// asks for. The database knows the leases by node, and the new program's
/// first heartbeat renews them, within the lease; these tell it which runs
/// they belong to, so that their end gives them up.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ClusterHandover {
    /// Singletons running here under their lease (true: stopping because
    /// this node lost it).
    pub singletons: BTreeMap<String, bool>,
    /// Singletons this node asks the lease of.
    pub wanted: BTreeSet<String>,
    /// Units running here for a claimed elapse.
    pub held: BTreeMap<String, Held>,
}

/// Claims by outcome, since the daemon started.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ClaimCounts {
    /// Won by this node (first attempts and takeovers).
    pub won: u64,
    /// Held by another node.
    pub lost: u64,
    /// Not made: the cluster was down.
    pub unavailable: u64,
}

impl Default for ClusterSide {
    fn default() -> ClusterSide {
        ClusterSide {
            config: None,
            link: Link::Off,
            commands: None,
            events: None,
            pending: HashMap::new(),
            held: HashMap::new(),
            singletons: BTreeMap::new(),
            wanted: BTreeSet::new(),
            missed: BTreeMap::new(),
            last: HashMap::new(),
            counts: ClaimCounts::default(),
            reported: std::collections::HashSet::new(),
            hand: HashMap::new(),
            next_hand: 0,
        }
    }
}

impl ClusterSide {
    /// The loop's side of a started task.
    pub fn new(config: ClusterConfig, task: TaskHandle) -> ClusterSide {
        ClusterSide {
            config: Some(config),
            link: Link::Down("connecting to the cluster database".into()),
            commands: Some(task.commands),
            events: Some(task.events),
            ..ClusterSide::default()
        }
    }

    /// This node's name, when there is a cluster.
    pub fn node(&self) -> Option<&str> {
        self.config.as_ref().map(|c| c.node.as_str())
    }

    /// The next event from the task (never, without a cluster).
    pub async fn next_event(&mut self) -> ClusterEvent {
        match self.events.as_mut() {
            Some(rx) => match rx.recv().await {
                Some(e) => e,
                None => std::future::pending().await,
            },
            None => std::future::pending().await,
        }
    }

    /// Sends a command to the task; false without a cluster.
    pub fn send(&self, command: Command) -> bool {
        self.commands
            .as_ref()
            .is_some_and(|c| c.send(command).is_ok())
    }

    /// What `status` says of the cluster: the node and whether it works.
    pub fn describe(&self) -> Option<String> {
        let node = self.node()?;
        Some(match &self.link {
            Link::Up => format!("node {node}, connected"),
            Link::Down(why) => format!("node {node}, running no cluster units: {why}"),
            Link::Off => return None,
        })
    }
}

/// Whether `timer` runs once across the cluster here.
fn is_cluster_timer(state: &State, timer: &str) -> bool {
    state.cluster.config.is_some()
        && state
            .scheduler
            .timer(timer)
            .is_some_and(|t| t.unit.timer.cluster == ClusterMode::Once)
}

/// Whether `unit` is a singleton service here.
pub fn is_singleton(state: &State, unit: &str) -> bool {
    state.cluster.config.is_some()
        && matches!(
            state.units.get(unit),
            Some(crate::unit::Unit::Service(s))
                if s.service.rare().cluster == ClusterMode::Singleton
        )
}

/// The `Cluster:` line of a cluster unit's status: `once` or `singleton`,
/// this node and its link, and for a timer the node holding its newest
/// elapse.
pub fn describe_unit(state: &State, unit: &str) -> Option<String> {
    let mode = if is_cluster_timer(state, unit) {
        "once"
    } else if is_singleton(state, unit) {
        "singleton"
    } else {
        return None;
    };
    let mut text = format!("{mode}; {}", state.cluster.describe()?);
    if let Some((elapse, node)) = state.cluster.last.get(unit) {
        let at = sundial_calendar::Timestamp::from_usec(*elapse);
        text.push_str(&format!("; elapse {at} held by {node}"));
    }
    Some(text)
}

/// The scheduled time an elapse is claimed under: when it was due (before
/// random delays), and for an elapse missed while the daemon was down the
/// time it was due, not the daemon's start it was moved to, so that nodes
/// starting at different times claim the same missed elapse.
///
/// A timer that counts from the cluster's runs claims the elapse of its
/// own `OnActiveSec=`/`OnBootSec=`/`OnStartupSec=` (which start the
/// cluster's rhythm, and differ from node to node) under [`FIRST_RUN`], so
/// that one node runs it; its `OnUnitActiveSec=`/`OnUnitInactiveSec=`
/// elapses are on the wall clock, counted from the cluster's newest run,
/// and claimed under that time like a calendar elapse.
fn claim_key(start: &Start, counts_from_cluster_runs: bool) -> i64 {
    if counts_from_cluster_runs && start.cause.is_node_relative() {
        return FIRST_RUN;
    }
    match start.cause {
        Cause::Value {
            note: Note::Missed(due),
            ..
        } => due,
        _ => start.scheduled.unwrap_or(start.at.realtime),
    }
    .as_usec()
}

/// Whether `timer` is a cluster timer here that counts from the cluster's
/// runs.
fn counts_from_cluster_runs(state: &State, timer: &str) -> bool {
    is_cluster_timer(state, timer)
        && state
            .scheduler
            .timer(timer)
            .is_some_and(|t| Timer::counts_from_cluster_runs(&t.unit))
}

/// Tells the scheduler the newest run of a timer's unit in the cluster.
fn cluster_run(state: &mut State, timer: &str, last: LastRun) {
    if !counts_from_cluster_runs(state, timer) {
        return;
    }
    state.schedule(Event::ClusterRun {
        timer: timer.to_owned(),
        last: ClusterLast {
            started: sundial_calendar::Timestamp::from_usec(last.started_usec),
            ended: last.ended_usec.map(sundial_calendar::Timestamp::from_usec),
        },
    });
}

/// Takes a timer's start if the timer is a cluster timer: the elapse is
/// claimed and the start waits for the answer. False: start it locally.
pub fn takes(state: &mut State, start: &Start) -> bool {
    if !is_cluster_timer(state, &start.timer) {
        return false;
    }
    let scheduled = claim_key(start, counts_from_cluster_runs(state, &start.timer));
    if let Link::Down(why) = &state.cluster.link {
        let why = why.clone();
        not_run(state, start.clone(), &why);
        return true;
    }
    let failover = state
        .scheduler
        .timer(&start.timer)
        .map(|t| t.unit.timer.cluster_failover)
        .unwrap_or_default();
    let request = ClaimRequest {
        timer: start.timer.clone(),
        unit: start.unit.clone(),
        scheduled_usec: scheduled,
        started_usec: state.now().realtime.as_usec(),
        failover,
    };
    state
        .cluster
        .pending
        .insert((start.timer.clone(), scheduled), start.clone());
    if !state.cluster.send(Command::Claim(request)) {
        state
            .cluster
            .pending
            .remove(&(start.timer.clone(), scheduled));
        not_run(state, start.clone(), "the cluster thread has stopped");
    }
    true
}

/// An elapse not run because the cluster is down: kept for catch-up if the
/// timer is Persistent=, and the timer waits for its next elapse.
fn not_run(state: &mut State, start: Start, why: &str) {
    state.cluster.counts.unavailable += 1;
    // A timer that counts from the cluster's runs keeps its missed elapse
    // too: the cluster's rhythm stops if no node runs it.
    let persistent = state
        .scheduler
        .timer(&start.timer)
        .is_some_and(|t| t.unit.timer.persistent)
        || counts_from_cluster_runs(state, &start.timer);
    // Once per timer and outage: at thousands of cluster timers a line per
    // elapse would flood the log.
    if state.cluster.reported.insert(start.timer.clone()) {
        report(format!(
            "{}: elapse not run, the cluster is down ({why}){}",
            start.timer,
            if persistent {
                "; it runs once when the cluster is back (Persistent=yes)"
            } else {
                ""
            }
        ));
    }
    let unit = start.unit.clone();
    if persistent {
        state.cluster.missed.insert(start.timer.clone(), start);
    }
    unit_stays(state, &unit);
}

/// Tells the scheduler the state of `unit`, which a claim did not start.
pub(super) fn unit_stays(state: &mut State, unit: &str) {
    let (active, _) = state.active_state(unit);
    state.schedule(Event::UnitChanged {
        unit: unit.to_owned(),
        active: !active.is_inactive_or_failed(),
    });
}

/// Carries out what the cluster task reports.
pub fn woke(state: &mut State, event: ClusterEvent) {
    match event {
        ClusterEvent::Up => {
            report(format!(
                "cluster: node {} connected; cluster units run",
                state.cluster.node().unwrap_or_default()
            ));
            state.cluster.link = Link::Up;
            state.cluster.reported.clear();
            catch_up(state);
        }
        ClusterEvent::Down(why) => {
            report(format!("cluster: running no cluster units: {why}"));
            state.cluster.link = Link::Down(why);
        }
        ClusterEvent::Claimed(answers) => {
            for answer in answers {
                claimed(state, answer);
            }
        }
        ClusterEvent::Unavailable(requests) => {
            let why = match &state.cluster.link {
                Link::Down(why) => why.clone(),
                _ => "the cluster database did not answer".into(),
            };
            for r in requests {
                if let Some(start) = state.cluster.pending.remove(&(r.timer, r.scheduled_usec)) {
                    not_run(state, start, &why);
                }
            }
        }
        ClusterEvent::TakenOver(taken) => {
            for t in taken {
                taken_over(state, t);
            }
        }
        ClusterEvent::Acquired(unit) => {
            report(format!(
                "{unit}: this node holds the cluster lease: starting"
            ));
            state.cluster.singletons.insert(unit.clone(), false);
            state.supervisor.lease_held(&unit);
            let activation = lease_activation(state, &unit);
            if let Err(e) = state.supervisor.start_with(&unit, activation) {
                report(format!("{unit}: cannot start: {e}"));
            }
        }
        ClusterEvent::HandLease { id, unit, answer } => hand_lease(state, id, unit, answer),
        ClusterEvent::LastRuns(runs) => {
            for (timer, last) in runs {
                cluster_run(state, &timer, last);
            }
        }
        ClusterEvent::LeaseLost => lease_lost(state),
    }
    state.settle();
}

/// Claims the missed elapses again, now that the cluster is back.
fn catch_up(state: &mut State) {
    let missed = std::mem::take(&mut state.cluster.missed);
    for (timer, start) in missed {
        if state.scheduler.timer(&timer).is_none() {
            continue;
        }
        report(format!(
            "{timer}: the cluster is back: claiming the elapse missed meanwhile"
        ));
        takes(state, &start);
    }
}

fn claimed(state: &mut State, answer: ClaimAnswer) {
    let key = (answer.timer.clone(), answer.scheduled_usec);
    let Some(start) = state.cluster.pending.remove(&key) else {
        return;
    };
    let me = state.cluster.node().unwrap_or_default().to_owned();
    let holder = answer
        .holder
        .clone()
        .unwrap_or_else(|| "another node".into());
    state.cluster.last.insert(
        answer.timer.clone(),
        (answer.scheduled_usec, holder.clone()),
    );
    // Before the timer waits again: it counts from this run.
    if let Some(last) = answer.last {
        cluster_run(state, &answer.timer, last);
    }
    if !answer.won {
        state.cluster.counts.lost += 1;
        if state.debug {
            report(format!("{}: elapse held by {holder}", answer.timer));
        }
        unit_stays(state, &start.unit);
        return;
    }
    state.cluster.counts.won += 1;
    let fired = start.fired();
    run_claimed(state, &start.unit, fired, answer.scheduled_usec, 1, &me);
    state.metrics.timer_elapsed(&start.timer, None);
}

/// Starts `unit` for a claimed elapse.
fn run_claimed(
    state: &mut State,
    unit: &str,
    fired: Fired,
    scheduled_usec: i64,
    attempt: u32,
    me: &str,
) {
    let timer = fired.timer.clone();
    let activation = Activation::Cluster(ClusterClaim {
        node: me.to_owned(),
        what: ClaimOf::Elapse {
            fired,
            scheduled_usec: Some(scheduled_usec),
            attempt: Some(attempt),
        },
    });
    state.start_pulled_sockets(unit);
    match state.supervisor.start_with(unit, activation) {
        Ok(_) => {
            state.cluster.held.insert(
                unit.to_owned(),
                Held {
                    timer,
                    scheduled_usec,
                    attempt,
                    lost: false,
                },
            );
        }
        Err(e) => {
            report(format!("{timer}: failed to queue {unit}: {e}"));
            state.cluster.send(Command::Finish(Finished {
                timer,
                scheduled_usec,
                attempt,
                ended_usec: state.now().realtime.as_usec(),
                result: "resources".into(),
                exit_status: None,
            }));
            unit_stays(state, unit);
        }
    }
}

fn taken_over(state: &mut State, t: Takeover) {
    if !t.rerun {
        report(format!(
            "{}: node {} lost its lease on the elapse at {}: recorded failed \
             (X-Sundial-ClusterFailover=fail)",
            t.timer, t.from, t.scheduled_usec
        ));
        return;
    }
    report(format!(
        "{}: node {} lost its lease on the elapse at {}: running it again here (attempt {})",
        t.timer, t.from, t.scheduled_usec, t.attempt
    ));
    state.cluster.counts.won += 1;
    let me = state.cluster.node().unwrap_or_default().to_owned();
    state
        .cluster
        .last
        .insert(t.timer.clone(), (t.scheduled_usec, me.clone()));
    let fired = Fired {
        timer: t.timer.clone(),
        elapse: None,
    };
    run_claimed(state, &t.unit, fired, t.scheduled_usec, t.attempt, &me);
}

/// This node could not renew its leases: the cluster units running here
/// are stopped, as another node takes them over when the lease ends.
fn lease_lost(state: &mut State) {
    let units: Vec<String> = state
        .cluster
        .held
        .keys()
        .chain(state.cluster.singletons.keys())
        .cloned()
        .collect();
    for unit in units {
        report(format!(
            "{unit}: this node lost its cluster lease: stopping it (another node takes over)"
        ));
        if let Some(h) = state.cluster.held.get_mut(&unit) {
            h.lost = true;
        }
        if let Some(lost) = state.cluster.singletons.get_mut(&unit) {
            *lost = true;
        }
        if let Err(e) = state.supervisor.stop(&unit) {
            report(format!("{unit}: cannot stop: {e}"));
        }
    }
}

/// A run of `unit` ended (or was skipped): if it held a claim, its end goes
/// to the shared runs table; a singleton's lease is given up.
pub fn run_ended(state: &mut State, unit: &str, result: &str, exit_status: Option<i32>) {
    let now = state.now().realtime.as_usec();
    if let Some(h) = state.cluster.held.remove(unit) {
        state.cluster.send(Command::Finish(Finished {
            timer: h.timer,
            scheduled_usec: h.scheduled_usec,
            attempt: h.attempt,
            ended_usec: now,
            result: if h.lost {
                "lease-lost".into()
            } else {
                result.to_owned()
            },
            exit_status,
        }));
    }
    // A singleton that Restart= brings back keeps its lease.
    if state.cluster.singletons.get(unit) == Some(&false)
        && !state.active_state(unit).0.is_inactive_or_failed()
    {
        return;
    }
    if let Some(lost) = state.cluster.singletons.remove(unit) {
        state.supervisor.lease_given_up(unit);
        state.cluster.send(Command::Release {
            unit: unit.to_owned(),
            at_usec: now,
            result: if lost {
                "lease-lost".into()
            } else {
                result.to_owned()
            },
        });
        // Still wanted: it runs wherever the lease goes next (here too).
        // One started by hand, or stopped by hand, is not asked for again.
        if !state.shutting_down && state.cluster.wanted.contains(unit) {
            state.cluster.send(Command::Want(unit.to_owned()));
        }
    }
}

/// What cluster work is in flight and cannot be handed over by
/// `daemon-reexec`: claims and leases asked for whose answer has not come
/// (the new program would not know the answer was for it).
pub fn not_at_rest(state: &State) -> Vec<String> {
    let mut busy = Vec::new();
    if !state.cluster.pending.is_empty() {
        busy.push(format!(
            "{} cluster claims awaiting their answer",
            state.cluster.pending.len()
        ));
    }
    if !state.cluster.hand.is_empty() {
        busy.push("starts waiting for their cluster lease".into());
    }
    busy
}

/// The loop's cluster state for the program `daemon-reexec` starts.
pub fn handover(state: &State) -> ClusterHandover {
    ClusterHandover {
        singletons: state.cluster.singletons.clone(),
        wanted: state.cluster.wanted.clone(),
        held: state
            .cluster
            .held
            .iter()
            .map(|(u, h)| (u.clone(), h.clone()))
            .collect(),
    }
}

/// Takes the cluster state of the program before `daemon-reexec` back: the
/// runs under a lease or claim go on holding it (the task renews and, at
/// their end, gives it up), before anything here can start or ask.
pub fn inherit(state: &mut State, handover: ClusterHandover) {
    if state.cluster.config.is_none() {
        return;
    }
    for unit in handover.singletons.keys() {
        state.supervisor.lease_held(unit);
    }
    state.cluster.send(Command::Inherited {
        leases: handover.singletons.keys().cloned().collect(),
        claims: handover.held.len(),
    });
    for unit in &handover.wanted {
        if !handover.singletons.contains_key(unit) {
            state.cluster.send(Command::Want(unit.clone()));
        }
    }
    state.cluster.singletons = handover.singletons;
    state.cluster.wanted = handover.wanted;
    state.cluster.held = handover.held.into_iter().collect();
}

/// Tells the task which cluster timers this node has loaded (after a load
/// or reload): it takes over lost runs of those only.
pub fn loaded(state: &mut State) {
    if state.cluster.config.is_none() {
        return;
    }
    let timers: Vec<String> = state
        .units
        .loaded
        .timers()
        .filter(|t| t.timer.cluster == ClusterMode::Once)
        .map(|t| t.name.as_str().to_owned())
        .collect();
    let rhythm: Vec<String> = state
        .units
        .loaded
        .timers()
        .filter(|t| Timer::counts_from_cluster_runs(t))
        .map(|t| t.name.as_str().to_owned())
        .collect();
    state.cluster.send(Command::Timers(timers));
    state.cluster.send(Command::RhythmTimers(rhythm));
}

/// Starts the cluster task for `[cluster]`, reading the connection string
/// from its file if it is there.
pub fn start(
    config: &Option<ClusterConfig>,
    retention: Option<std::time::Duration>,
) -> Result<ClusterSide, String> {
    let Some(config) = config else {
        return Ok(ClusterSide::default());
    };
    let connection = match &config.database {
        crate::cluster::config::DatabaseSource::Inline(s) => s.clone(),
        crate::cluster::config::DatabaseSource::File(path) => std::fs::read_to_string(path)
            .map(|s| s.trim().to_owned())
            .map_err(|e| format!("{}: {e}", path.display()))?,
    };
    let retention = retention.unwrap_or(super::cluster_task::DEFAULT_RETENTION);
    let task = super::cluster_task::spawn(
        crate::cluster::postgres::Postgres::new(connection),
        config.clone(),
        retention,
    )
    .map_err(|e| format!("cannot start the cluster thread: {e}"))?;
    Ok(ClusterSide::new(config.clone(), task))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cluster_handover_round_trips_and_an_older_one_has_none() {
        let handover = ClusterHandover {
            singletons: BTreeMap::from([("s.service".to_owned(), false)]),
            wanted: BTreeSet::from(["s.service".to_owned(), "t.service".to_owned()]),
            held: BTreeMap::from([(
                "job.service".to_owned(),
                Held {
                    timer: "job.timer".into(),
                    scheduled_usec: 42,
                    attempt: 2,
                    lost: false,
                },
            )]),
        };
        let text = serde_json::to_string(&handover).unwrap();
        let back: ClusterHandover = serde_json::from_str(&text).unwrap();
        assert_eq!(back, handover);

        // A handover written before the cluster state was handed over.
        #[derive(serde::Deserialize)]
        struct Outer {
            #[serde(default)]
            cluster: ClusterHandover,
        }
        let older: Outer = serde_json::from_str("{}").unwrap();
        assert_eq!(older.cluster, ClusterHandover::default());
    }
}
