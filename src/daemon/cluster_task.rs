//! The cluster's database work, on a thread of its own with its own
//! runtime: the event loop sends it [`Command`]s and hears back
//! [`ClusterEvent`]s, so that no round trip, lost connection or slow
//! database ever holds up the loop. The task owns the connection, the list
//! of live nodes and the queue of claims waiting out their deferral; the
//! loop owns everything a unit's state depends on.
//!
//! Every quarter lease (at most every second) the task reconnects if it
//! must, sends the heartbeat (measuring the clock skew), renews this
//! node's leases, takes over runs whose lease ran out, tries for the
//! singletons it wants, and writes the run ends it holds.

use std::collections::{BTreeSet, VecDeque};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use tokio::sync::{mpsc, oneshot};

use crate::cluster::{
    measured_skew, preferred_node, skew_refusal, ClaimAnswer, ClaimRequest, ClusterConfig,
    ClusterRun, CoordinationError, Coordinator, Finished, LastRun, Lease, NodeRow, Takeover,
};

/// What the loop asks of the task.
#[derive(Debug)]
pub enum Command {
    /// Claim an elapse (after the deferral if another node is preferred).
    Claim(ClaimRequest),
    /// A claimed run ended here.
    Finish(Finished),
    /// The cluster timers loaded here: the only ones this node takes over.
    Timers(Vec<String>),
    /// The cluster timers loaded here that count from the cluster's runs
    /// (`OnUnitActiveSec=`, `OnUnitInactiveSec=`): their newest runs are
    /// read at every tick.
    RhythmTimers(Vec<String>),
    /// Try for this singleton's lease until it is held.
    Want(String),
    /// The program before `daemon-reexec` held these singletons' leases
    /// and this many claims, for runs that go on: they count as held here.
    Inherited { leases: Vec<String>, claims: usize },
    /// Stop trying for this singleton's lease (a lease held is kept until
    /// its run ends).
    Unwant(String),
    /// Take this singleton's lease now, once, for a client's start; the
    /// answer is a [`ClusterEvent::HandLease`] with the same `id`.
    Acquire { id: u64, unit: String },
    /// The singleton's run ended here: give the lease up.
    Release {
        unit: String,
        at_usec: i64,
        result: String,
    },
    /// The shared runs, for `history --cluster`.
    Runs {
        unit: Option<String>,
        limit: usize,
        reply: oneshot::Sender<Result<Vec<ClusterRun>, String>>,
    },
    /// The nodes, for `sundial cluster status`.
    Nodes {
        reply: oneshot::Sender<Result<Vec<NodeRow>, String>>,
    },
}

/// What the task tells the loop.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClusterEvent {
    /// Connected (again) and within the skew bound: cluster work goes on.
    Up,
    /// No cluster work: the database is unreachable, or the clock skew is
    /// beyond the bound (the reason says which).
    Down(String),
    /// Answers to claims.
    Claimed(Vec<ClaimAnswer>),
    /// Claims not made: the cluster was down.
    Unavailable(Vec<ClaimRequest>),
    /// Runs whose node lost its lease, taken over by this node (or
    /// recorded failed).
    TakenOver(Vec<Takeover>),
    /// This node holds the singleton's lease now.
    Acquired(String),
    /// The newest runs of timers that count from the cluster's runs,
    /// those that changed since last told.
    LastRuns(Vec<(String, LastRun)>),
    /// The answer to [`Command::Acquire`]: who holds the lease, or why the
    /// database could not say.
    HandLease {
        id: u64,
        unit: String,
        answer: Result<Lease, String>,
    },
    /// This node could not renew its leases for half a lease: what it runs
    /// for the cluster is to stop, another node takes over.
    LeaseLost,
}

/// The loop's end of the task.
#[derive(Debug)]
pub struct TaskHandle {
    /// Where commands go.
    pub commands: mpsc::UnboundedSender<Command>,
    /// Where events come from.
    pub events: mpsc::UnboundedReceiver<ClusterEvent>,
}

/// Starts the task on its own thread over `coordinator`.
pub fn spawn<C: Coordinator + Send + 'static>(
    coordinator: C,
    config: ClusterConfig,
    retention: Duration,
) -> std::io::Result<TaskHandle> {
    let (commands, command_rx) = mpsc::unbounded_channel();
    let (event_tx, events) = mpsc::unbounded_channel();
    std::thread::Builder::new()
        .name("sundial-cluster".into())
        .spawn(move || {
            let runtime = match tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            {
                Ok(r) => r,
                Err(e) => {
                    let _ = event_tx.send(ClusterEvent::Down(format!(
                        "cannot start the cluster thread's runtime: {e}"
                    )));
                    return;
                }
            };
            let task = Task::new(coordinator, config, retention, event_tx);
            runtime.block_on(task.run(command_rx));
        })?;
    Ok(TaskHandle { commands, events })
}

/// Whether the task may do cluster work.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Link {
    Down(String),
    Up,
}

struct Task<C> {
    coordinator: C,
    config: ClusterConfig,
    events: mpsc::UnboundedSender<ClusterEvent>,
    link: Link,
    /// The nodes alive at the last heartbeat, this one included.
    live: Vec<String>,
    /// Claims and when each may be made.
    deferred: Vec<(Instant, ClaimRequest)>,
    finishes: VecDeque<Finished>,
    releases: VecDeque<(String, i64, String)>,
    timers: Vec<String>,
    rhythm: Vec<String>,
    /// The newest runs told to the loop.
    told: std::collections::HashMap<String, LastRun>,
    wanted: BTreeSet<String>,
    held: BTreeSet<String>,
    /// Claims won and not finished yet.
    holding: usize,
    renewed: Option<Instant>,
    lease_lost_told: bool,
    pruned: Option<Instant>,
    /// How long finished runs stay in the shared tables.
    retention: Duration,
}

/// This node's wall clock as the cluster thread reads it.
/// `SUNDIAL_TEST_CLUSTER_CLOCK_OFFSET_USEC` shifts it (read once): the tests'
/// node whose clock is off, without setting the machine's clock.
fn now_usec() -> i64 {
    static OFFSET: std::sync::OnceLock<i64> = std::sync::OnceLock::new();
    let offset = *OFFSET.get_or_init(|| {
        std::env::var("SUNDIAL_TEST_CLUSTER_CLOCK_OFFSET_USEC")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    });
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_micros()).unwrap_or(i64::MAX))
        .saturating_add(offset)
}

/// How long any one statement may take before the connection counts as
/// lost: a database that does not answer is one the node cannot rely on.
fn statement_timeout(config: &ClusterConfig) -> Duration {
    (config.lease / 2).min(Duration::from_secs(10))
}

impl<C: Coordinator> Task<C> {
    fn new(
        coordinator: C,
        config: ClusterConfig,
        retention: Duration,
        events: mpsc::UnboundedSender<ClusterEvent>,
    ) -> Self {
        Task {
            coordinator,
            config,
            events,
            link: Link::Down("connecting".into()),
            live: Vec::new(),
            deferred: Vec::new(),
            finishes: VecDeque::new(),
            releases: VecDeque::new(),
            timers: Vec::new(),
            rhythm: Vec::new(),
            told: std::collections::HashMap::new(),
            wanted: BTreeSet::new(),
            held: BTreeSet::new(),
            holding: 0,
            renewed: None,
            lease_lost_told: false,
            pruned: None,
            retention,
        }
    }

    async fn run(mut self, mut commands: mpsc::UnboundedReceiver<Command>) {
        let mut tick = tokio::time::interval(self.config.tick());
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            let next = self.deferred.iter().map(|d| d.0).min();
            tokio::select! {
                command = commands.recv() => {
                    let Some(command) = command else { return };
                    self.command(command).await;
                    // A burst of claims goes to the database in batches,
                    // the first while the rest still come in.
                    let mut taken = 1;
                    while let Ok(command) = commands.try_recv() {
                        self.command(command).await;
                        taken += 1;
                        if taken % CLAIM_BATCH == 0 {
                            self.claim_ready().await;
                        }
                    }
                    self.claim_ready().await;
                }
                () = sleep_until(next) => self.claim_ready().await,
                _ = tick.tick() => self.tick().await,
            }
        }
    }

    fn tell(&self, event: ClusterEvent) {
        // The loop has gone only when the daemon exits.
        let _ = self.events.send(event);
    }

    /// Runs one backend call under the statement timeout; a failure takes
    /// the link down (and the connection with it).
    async fn call<T>(
        &mut self,
        what: &'static str,
        f: impl AsyncFnOnce(&mut C) -> Result<T, CoordinationError>,
    ) -> Option<T> {
        let limit = statement_timeout(&self.config);
        let result = match tokio::time::timeout(limit, f(&mut self.coordinator)).await {
            Ok(r) => r,
            Err(_) => Err(CoordinationError {
                what,
                message: format!("no answer within {}s", limit.as_secs_f64()),
            }),
        };
        match result {
            Ok(v) => Some(v),
            Err(e) => {
                self.coordinator.close();
                self.link_down(format!("cannot reach the cluster database: {e}"));
                None
            }
        }
    }

    fn link_down(&mut self, reason: String) {
        if self.link == Link::Up || self.link == Link::Down("connecting".into()) {
            self.tell(ClusterEvent::Down(reason.clone()));
        }
        self.link = Link::Down(reason);
        // Claims waiting out their deferral are not made.
        let waiting: Vec<ClaimRequest> = self.deferred.drain(..).map(|d| d.1).collect();
        if !waiting.is_empty() {
            self.tell(ClusterEvent::Unavailable(waiting));
        }
    }

    async fn command(&mut self, command: Command) {
        match command {
            Command::Claim(request) => {
                if self.link != Link::Up {
                    self.tell(ClusterEvent::Unavailable(vec![request]));
                    return;
                }
                let me = self.config.node.as_str();
                let preferred = preferred_node(&self.live, &request.timer, request.scheduled_usec);
                let at = if preferred.is_none_or(|p| p == me) {
                    Instant::now()
                } else {
                    Instant::now() + self.config.claim_defer
                };
                self.deferred.push((at, request));
            }
            Command::Finish(finished) => {
                self.holding = self.holding.saturating_sub(1);
                self.finishes.push_back(finished);
                self.write_ends().await;
            }
            Command::Timers(timers) => self.timers = timers,
            Command::RhythmTimers(timers) => {
                // A timer loaded again may have forgotten: all are told anew.
                self.told.clear();
                self.rhythm = timers;
                self.read_last_runs().await;
            }
            Command::Want(unit) => {
                self.wanted.insert(unit);
                self.acquire_wanted().await;
            }
            Command::Inherited { leases, claims } => {
                self.held.extend(leases);
                self.holding += claims;
            }
            Command::Unwant(unit) => {
                self.wanted.remove(&unit);
            }
            Command::Acquire { id, unit } => {
                let answer = self.acquire_now(&unit).await;
                self.tell(ClusterEvent::HandLease { id, unit, answer });
            }
            Command::Release {
                unit,
                at_usec,
                result,
            } => {
                self.wanted.remove(&unit);
                if self.held.remove(&unit) {
                    self.releases.push_back((unit, at_usec, result));
                    self.write_ends().await;
                }
            }
            Command::Runs { unit, limit, reply } => {
                let runs = if self.link == Link::Up {
                    self.call("read runs", async |c: &mut C| {
                        c.runs(unit.as_deref(), limit).await
                    })
                    .await
                } else {
                    None
                };
                let _ = reply.send(runs.ok_or_else(|| self.down_reason()));
            }
            Command::Nodes { reply } => {
                let nodes = if self.link == Link::Up {
                    self.call("read nodes", async |c: &mut C| c.nodes().await)
                        .await
                } else {
                    None
                };
                let _ = reply.send(nodes.ok_or_else(|| self.down_reason()));
            }
        }
    }

    fn down_reason(&self) -> String {
        match &self.link {
            Link::Down(why) => why.clone(),
            Link::Up => "the cluster database did not answer".into(),
        }
    }

    /// Makes the claims whose deferral is over, in one statement.
    async fn claim_ready(&mut self) {
        if self.link != Link::Up {
            return;
        }
        let now = Instant::now();
        let mut ready: Vec<ClaimRequest> = Vec::new();
        self.deferred.retain(|(at, request)| {
            if *at <= now {
                ready.push(request.clone());
                false
            } else {
                true
            }
        });
        if ready.is_empty() {
            return;
        }
        ready.sort_by(|a, b| (&a.timer, a.scheduled_usec).cmp(&(&b.timer, b.scheduled_usec)));
        ready.dedup_by(|a, b| a.timer == b.timer && a.scheduled_usec == b.scheduled_usec);
        let node = self.config.node.clone();
        let lease = self.config.lease;
        // A burst goes in batches of a few hundred, one statement each (a
        // round trip per claim would cap a node at a few thousand a
        // second), so that the first elapses start while later ones are
        // claimed.
        let mut batches = ready.chunks(CLAIM_BATCH);
        while let Some(batch) = batches.next() {
            match self
                .call("claim", async |c: &mut C| {
                    c.claim(&node, lease, batch).await
                })
                .await
            {
                Some(answers) => {
                    self.holding += answers.iter().filter(|a| a.won).count();
                    self.tell(ClusterEvent::Claimed(answers));
                }
                None => {
                    let rest: Vec<ClaimRequest> =
                        batch.iter().chain(batches.flatten()).cloned().collect();
                    self.tell(ClusterEvent::Unavailable(rest));
                    return;
                }
            }
        }
    }

    async fn tick(&mut self) {
        if let Link::Down(_) = self.link {
            let connected =
                tokio::time::timeout(statement_timeout(&self.config), self.coordinator.open())
                    .await
                    .unwrap_or_else(|_| {
                        Err(CoordinationError {
                            what: "connect",
                            message: "no answer".into(),
                        })
                    });
            if let Err(e) = connected {
                self.coordinator.close();
                let why = format!("cannot reach the cluster database: {e}");
                // Said once per outage (and at start-up), not every tick.
                if self.link == Link::Down("connecting".into()) {
                    self.tell(ClusterEvent::Down(why.clone()));
                }
                self.link = Link::Down(why);
                self.check_lease();
                return;
            }
        }
        let node = self.config.node.clone();
        let lease = self.config.lease;
        let refusing = match &self.link {
            Link::Down(why) if why.contains("max_clock_skew") => Some(why.clone()),
            _ => None,
        };
        let sent = now_usec();
        let Some(beat) = self
            .call("heartbeat", async |c: &mut C| {
                c.heartbeat(&node, lease, 0, refusing.as_deref()).await
            })
            .await
        else {
            self.check_lease();
            return;
        };
        let skew = measured_skew(sent, now_usec(), beat.server_usec);
        if let Some(why) = skew_refusal(skew, self.config.max_clock_skew) {
            let why_again = why.clone();
            let _ = self
                .call("heartbeat", async |c: &mut C| {
                    c.heartbeat(&node, lease, skew, Some(&why_again)).await
                })
                .await;
            // Said once when the refusal begins, whether the node was
            // connected or still connecting (the skew in the text changes
            // at every heartbeat).
            if !matches!(&self.link, Link::Down(w) if w.contains("max_clock_skew")) {
                self.tell(ClusterEvent::Down(why.clone()));
            }
            self.link = Link::Down(why);
            let waiting: Vec<ClaimRequest> = self.deferred.drain(..).map(|d| d.1).collect();
            if !waiting.is_empty() {
                self.tell(ClusterEvent::Unavailable(waiting));
            }
            self.check_lease();
            return;
        }
        self.live = beat.live_nodes;
        if self.link != Link::Up {
            self.link = Link::Up;
            self.tell(ClusterEvent::Up);
        }
        if self
            .call("renew", async |c: &mut C| c.renew(&node, lease).await)
            .await
            .is_some()
        {
            self.renewed = Some(Instant::now());
            self.lease_lost_told = false;
        }
        self.write_ends().await;
        let timers = self.timers.clone();
        let now = now_usec();
        if let Some(taken) = self
            .call("take over", async |c: &mut C| {
                c.take_over(&node, lease, &timers, now).await
            })
            .await
        {
            if !taken.is_empty() {
                self.holding += taken.iter().filter(|t| t.rerun).count();
                self.tell(ClusterEvent::TakenOver(taken));
            }
        }
        self.read_last_runs().await;
        self.acquire_wanted().await;
        if self
            .pruned
            .is_none_or(|p| p.elapsed() > Duration::from_secs(3600))
        {
            self.pruned = Some(Instant::now());
            let keep = self.retention;
            let _ = self
                .call("prune", async |c: &mut C| c.prune(keep).await)
                .await;
        }
    }

    /// Reads the newest runs of the timers that count from the cluster's
    /// runs, and tells the loop those that changed.
    async fn read_last_runs(&mut self) {
        if self.link != Link::Up || self.rhythm.is_empty() {
            return;
        }
        let timers = self.rhythm.clone();
        let Some(runs) = self
            .call("read last runs", async |c: &mut C| {
                c.last_runs(&timers).await
            })
            .await
        else {
            return;
        };
        let changed: Vec<(String, LastRun)> = runs
            .into_iter()
            .filter(|(timer, run)| self.told.get(timer) != Some(run))
            .collect();
        if !changed.is_empty() {
            for (timer, run) in &changed {
                self.told.insert(timer.clone(), *run);
            }
            self.tell(ClusterEvent::LastRuns(changed));
        }
    }

    /// Tells the loop once when this node has held claims without
    /// renewing them for half a lease: the others take them over at the
    /// lease's end, so the runs here must be stopped before.
    fn check_lease(&mut self) {
        let holds = self.holding > 0 || !self.held.is_empty();
        let stale = self
            .renewed
            .is_none_or(|r| r.elapsed() > self.config.lease / 2);
        if holds && stale && !self.lease_lost_told {
            self.lease_lost_told = true;
            self.held.clear();
            self.tell(ClusterEvent::LeaseLost);
        }
    }

    /// Takes `unit`'s lease for a client's start, if no other node holds it.
    async fn acquire_now(&mut self, unit: &str) -> Result<Lease, String> {
        if self.link != Link::Up {
            return Err(self.down_reason());
        }
        if self.held.contains(unit) {
            return Ok(Lease::Mine);
        }
        let node = self.config.node.clone();
        let lease = self.config.lease;
        let now = now_usec();
        let answer = self
            .call("acquire", async |c: &mut C| {
                c.acquire(&node, lease, unit, now).await
            })
            .await
            .ok_or_else(|| self.down_reason())?;
        if answer == Lease::Mine {
            self.held.insert(unit.to_owned());
        }
        Ok(answer)
    }

    async fn acquire_wanted(&mut self) {
        if self.link != Link::Up {
            return;
        }
        let node = self.config.node.clone();
        let lease = self.config.lease;
        let wanted: Vec<String> = self.wanted.difference(&self.held).cloned().collect();
        for unit in wanted {
            let now = now_usec();
            let got = self
                .call("acquire", async |c: &mut C| {
                    c.acquire(&node, lease, &unit, now).await
                })
                .await;
            if got == Some(Lease::Mine) {
                self.held.insert(unit.clone());
                self.tell(ClusterEvent::Acquired(unit));
            }
        }
    }

    /// Writes the run ends and released leases waiting; what fails waits
    /// for the next tick.
    async fn write_ends(&mut self) {
        if self.link != Link::Up {
            return;
        }
        let node = self.config.node.clone();
        while let Some(finished) = self.finishes.front().cloned() {
            if self
                .call("finish", async |c: &mut C| c.finish(&node, &finished).await)
                .await
                .is_none()
            {
                return;
            }
            self.finishes.pop_front();
        }
        while let Some((unit, at, result)) = self.releases.front().cloned() {
            if self
                .call("release", async |c: &mut C| {
                    c.release(&node, &unit, at, &result).await
                })
                .await
                .is_none()
            {
                return;
            }
            self.releases.pop_front();
        }
    }
}

/// Claims per statement.
const CLAIM_BATCH: usize = 256;

/// How long finished runs stay in the shared tables when `[logs] max_age`
/// sets no limit.
pub const DEFAULT_RETENTION: Duration = Duration::from_secs(30 * 24 * 3600);

async fn sleep_until(at: Option<Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at.into()).await,
        None => std::future::pending().await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cluster::{ClaimAnswer, Heartbeat};
    use crate::unit::extensions::ClusterFailover;

    /// A backend in memory: claims are won by the first node to make them.
    #[derive(Default)]
    struct Fake {
        reachable: bool,
        others: Vec<String>,
        claimed: std::collections::HashSet<(String, i64)>,
        statements: usize,
        /// The shared runs' newest run per timer.
        last: std::sync::Arc<std::sync::Mutex<Vec<(String, LastRun)>>>,
    }

    fn down() -> CoordinationError {
        CoordinationError {
            what: "test",
            message: "unreachable".into(),
        }
    }

    impl Coordinator for Fake {
        async fn open(&mut self) -> Result<(), CoordinationError> {
            if self.reachable {
                Ok(())
            } else {
                Err(down())
            }
        }
        fn close(&mut self) {}
        async fn heartbeat(
            &mut self,
            node: &str,
            _: Duration,
            _: i64,
            _: Option<&str>,
        ) -> Result<Heartbeat, CoordinationError> {
            let mut live = self.others.clone();
            live.push(node.to_owned());
            Ok(Heartbeat {
                server_usec: now_usec(),
                live_nodes: live,
            })
        }
        async fn claim(
            &mut self,
            node: &str,
            _: Duration,
            requests: &[ClaimRequest],
        ) -> Result<Vec<ClaimAnswer>, CoordinationError> {
            self.statements += 1;
            Ok(requests
                .iter()
                .map(|r| {
                    let won = self.claimed.insert((r.timer.clone(), r.scheduled_usec));
                    ClaimAnswer {
                        timer: r.timer.clone(),
                        scheduled_usec: r.scheduled_usec,
                        won,
                        holder: won.then(|| node.to_owned()),
                        last: None,
                    }
                })
                .collect())
        }
        async fn renew(&mut self, _: &str, _: Duration) -> Result<(), CoordinationError> {
            Ok(())
        }
        async fn take_over(
            &mut self,
            _: &str,
            _: Duration,
            _: &[String],
            _: i64,
        ) -> Result<Vec<Takeover>, CoordinationError> {
            Ok(Vec::new())
        }
        async fn finish(&mut self, _: &str, _: &Finished) -> Result<(), CoordinationError> {
            Ok(())
        }
        async fn acquire(
            &mut self,
            _: &str,
            _: Duration,
            _: &str,
            _: i64,
        ) -> Result<Lease, CoordinationError> {
            Ok(Lease::Mine)
        }
        async fn release(
            &mut self,
            _: &str,
            _: &str,
            _: i64,
            _: &str,
        ) -> Result<(), CoordinationError> {
            Ok(())
        }
        async fn runs(
            &mut self,
            _: Option<&str>,
            _: usize,
        ) -> Result<Vec<ClusterRun>, CoordinationError> {
            Ok(Vec::new())
        }
        async fn nodes(&mut self) -> Result<Vec<NodeRow>, CoordinationError> {
            Ok(Vec::new())
        }
        async fn last_runs(
            &mut self,
            timers: &[String],
        ) -> Result<Vec<(String, LastRun)>, CoordinationError> {
            let last = self.last.lock().expect("not poisoned").clone();
            Ok(last
                .into_iter()
                .filter(|(t, _)| timers.contains(t))
                .collect())
        }
        async fn prune(&mut self, _: Duration) -> Result<u64, CoordinationError> {
            Ok(0)
        }
    }

    fn config(node: &str) -> ClusterConfig {
        ClusterConfig::new(
            Some("x".into()),
            None,
            Some(node.into()),
            Some(Duration::from_secs(4)),
            None,
            Some(Duration::from_secs(1)),
            || Ok(String::new()),
        )
        .expect("valid")
    }

    fn request(i: i64) -> ClaimRequest {
        ClaimRequest {
            timer: format!("t{i}.timer"),
            unit: format!("t{i}.service"),
            scheduled_usec: i * 60_000_000,
            started_usec: 0,
            failover: ClusterFailover::Rerun,
        }
    }

    fn next(events: &mut mpsc::UnboundedReceiver<ClusterEvent>) -> ClusterEvent {
        events.blocking_recv().expect("the task runs")
    }

    #[test]
    fn a_node_without_the_database_says_why_and_makes_no_claim() {
        let mut h = spawn(Fake::default(), config("a"), DEFAULT_RETENTION).expect("thread");
        match next(&mut h.events) {
            ClusterEvent::Down(why) => assert!(why.contains("unreachable"), "{why}"),
            other => panic!("{other:?}"),
        }
        h.commands.send(Command::Claim(request(1))).expect("sent");
        assert_eq!(
            next(&mut h.events),
            ClusterEvent::Unavailable(vec![request(1)])
        );
    }

    #[test]
    fn preferred_claims_go_at_once_in_batches_the_others_after_the_deferral() {
        let fake = Fake {
            reachable: true,
            others: vec!["b".into(), "c".into()],
            ..Fake::default()
        };
        let mut h = spawn(fake, config("a"), DEFAULT_RETENTION).expect("thread");
        assert_eq!(next(&mut h.events), ClusterEvent::Up);
        let live: Vec<String> = ["a", "b", "c"].map(String::from).to_vec();
        let n: i64 = 1000;
        let sent = Instant::now();
        for i in 0..n {
            h.commands.send(Command::Claim(request(i))).expect("sent");
        }
        let mut answered = 0;
        while answered < n as usize {
            let ClusterEvent::Claimed(answers) = next(&mut h.events) else {
                continue;
            };
            let late = sent.elapsed() >= Duration::from_secs(1);
            for a in &answers {
                // Alone, this node wins every claim; those it is not
                // preferred for come after the deferral.
                assert!(a.won);
                let i = a.scheduled_usec / 60_000_000;
                let preferred = crate::cluster::preferred_node(&live, &a.timer, a.scheduled_usec);
                assert_eq!(preferred == Some("a"), !late, "elapse {i}");
            }
            assert!(answers.len() <= CLAIM_BATCH);
            answered += answers.len();
        }
    }

    #[test]
    fn the_newest_runs_are_told_when_they_change_and_once() {
        let last = std::sync::Arc::new(std::sync::Mutex::new(vec![(
            "r.timer".to_owned(),
            LastRun {
                started_usec: 10,
                ended_usec: None,
            },
        )]));
        let fake = Fake {
            reachable: true,
            last: std::sync::Arc::clone(&last),
            ..Fake::default()
        };
        let mut h = spawn(fake, config("a"), DEFAULT_RETENTION).expect("thread");
        assert_eq!(next(&mut h.events), ClusterEvent::Up);
        h.commands
            .send(Command::RhythmTimers(vec!["r.timer".into()]))
            .expect("sent");
        let told = |events: &mut mpsc::UnboundedReceiver<ClusterEvent>| loop {
            if let ClusterEvent::LastRuns(runs) = next(events) {
                return runs;
            }
        };
        let first = told(&mut h.events);
        assert_eq!(first, last.lock().expect("not poisoned").clone());
        // The run ends: told at the next tick, and only that change.
        let ended = LastRun {
            started_usec: 10,
            ended_usec: Some(20),
        };
        last.lock().expect("not poisoned")[0].1 = ended;
        assert_eq!(told(&mut h.events), [("r.timer".to_owned(), ended)]);
        // Nothing new for two ticks (a second each): nothing told.
        std::thread::sleep(Duration::from_millis(2500));
        while let Ok(event) = h.events.try_recv() {
            assert!(!matches!(event, ClusterEvent::LastRuns(_)), "{event:?}");
        }
    }
}
