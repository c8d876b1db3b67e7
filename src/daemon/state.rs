//! Everything the daemon owns, and the steps that tie the pieces together:
//! scheduler actions into supervisor jobs, supervisor state changes into run
//! rows and scheduler events, captured output into the store.
//!
//! Only the event loop holds a [`State`]; handlers get it by `&mut` for the
//! duration of one request.

use std::collections::{BTreeSet, HashMap, HashSet};

use sundial_calendar::Timestamp;
use tokio::sync::mpsc::UnboundedReceiver;

use super::backlog::{Backlog, PendingStart, Stamp, STARTS_PER_TURN};
use super::clock::DaemonClock;
use super::config::Config;
use super::handlers::Sliced;
use super::localtime::LocalTimeFile;
use super::output::{LogPipe, SinkItem};
use super::paths::DaemonPaths;
use super::runs::RunTracker;
use super::stats::Stats;
use super::transient::{self, TransientUnits};
use super::units::UnitSet;
use super::waits::{JobWaits, RunWaits};
use crate::activation::Activation;
use crate::scheduler::clock::{Clock, ClockId, ClockSnapshot};
use crate::scheduler::persistent::{BootStamp, Resume};
use crate::scheduler::{Action, Event, FailureReason, Scheduler, Start, TimerSubState};
use crate::store::{MonotonicStamp, Store};
use crate::supervisor::{ActiveState, SubState};
use crate::supervisor::{JobResult, JobType};
use crate::supervisor::{Supervisor, UnitTransition};
use crate::unit::{Unit, UnitName, UnitType};

/// The daemon's state: one owner, no locks.
#[derive(Debug)]
pub struct State {
    /// Where time comes from.
    pub clock: DaemonClock,
    /// Timers.
    pub scheduler: Scheduler,
    /// Services.
    pub supervisor: Supervisor,
    /// Stamps, runs, logs.
    pub store: Store,
    /// The loaded unit files.
    pub units: UnitSet,
    /// Where things are.
    pub paths: DaemonPaths,
    /// The config file's settings.
    pub config: Config,
    /// Run rows and last results.
    pub runs: RunTracker,
    /// Captured output on its way to the store.
    pub logs: LogPipe,
    /// What the supervisor's log sink sends.
    pub sink: UnboundedReceiver<SinkItem>,
    /// Clients waiting for jobs.
    pub waits: JobWaits,
    /// `run --wait` clients waiting for their services.
    pub run_waits: RunWaits,
    /// The units `sundial run` made.
    pub transient: TransientUnits,
    /// Targets reached at start (they have no state of their own).
    pub active_targets: BTreeSet<String>,
    /// Counters for `show` without units.
    pub stats: Stats,
    /// SIGTERM or SIGINT came: services are being stopped.
    pub shutting_down: bool,
    /// A unit's SuccessAction=/FailureAction= `exit` (or, `true`,
    /// `exit-force`) asked the daemon to end with this status.
    pub exit_request: Option<(i32, bool)>,
    /// While the timers are started at start-up: the stamps their starts
    /// create are committed once at the end rather than one commit per
    /// timer (at 100,000 `Persistent=` timers the commits took most of the
    /// start-up).
    pub commits_deferred: bool,
    /// Print the supervisor's messages about units (`SUNDIAL_DEBUG=1`).
    pub debug: bool,
    /// When the daemon started.
    pub started: ClockSnapshot,
    /// The local zone file, while `TZ` is unset.
    pub localtime: Option<LocalTimeFile>,
    /// This boot's id (/proc/sys/kernel/random/boot_id), kept with the
    /// monotonic stamps: a monotonic reading means something only in its boot.
    pub boot_id: String,
    /// The crontabs run as they are, and their generated units.
    pub crontabs: super::crontabs::Crontabs,
    /// `daemon-reexec`: the listener to hand over, a request waiting.
    pub reexec: super::reexec::Reexec,
    /// Timer starts and large requests left for the next loop turns.
    pub backlog: Backlog<Sliced>,
    /// What `--metrics-listen` serves.
    pub metrics: super::metrics::Metrics,
    /// The started socket units and their descriptors.
    pub sockets: super::socket_units::SocketUnits,
    /// The `.path` units started, with their watches.
    pub path_units: super::path_watch::PathUnits,
    /// Cluster timers and singletons: claims waiting and held, whether
    /// the cluster is reachable.
    pub cluster: super::cluster::ClusterSide,
}

pub use super::report::report;

impl State {
    /// The result of `unit`'s last finished run, from memory or the store.
    pub fn last_result(&mut self, unit: &str) -> Option<crate::store::RunResult> {
        if !self.runs.results_loaded() {
            // One query for every unit: list-timers at 100,000 timers asks
            // for each, and a query each made its first call slow.
            // A store that cannot answer is reported once, not per unit.
            let results = self.store.last_results().unwrap_or_else(|e| {
                report(format!("cannot read the last results of the runs: {e}"));
                Vec::new()
            });
            self.runs.load_results(results);
        }
        self.runs.last_result(unit).flatten()
    }

    /// The clocks now.
    pub fn now(&self) -> ClockSnapshot {
        self.clock.now()
    }

    /// Sends one event to the scheduler and carries out what it asks.
    pub fn schedule(&mut self, event: Event) {
        let now = self.now();
        let actions = self.scheduler.handle(now, event);
        self.apply_actions(actions);
    }

    /// Loads every timer of the unit set into the scheduler (an unchanged
    /// timer keeps its state).
    pub fn load_timers(&mut self) {
        let timers: Vec<_> = self.units.loaded.timers().cloned().collect();
        for timer in timers {
            self.schedule(Event::Load(timer));
        }
        self.scheduler.shrink_to_fit();
        super::cluster::loaded(self);
    }

    /// Starts a timer with its stored stamp (Persistent= catch-up).
    pub fn start_timer(&mut self, name: &str) {
        let stamp = match self.store.stamp(name) {
            Ok(stamp) => stamp,
            Err(e) => {
                report(format!("{name}: cannot read its stamp: {e}"));
                None
            }
        };
        self.start_timer_with(name, stamp, None);
    }

    /// Starts a transient timer again after a restart of the daemon, with
    /// its first start and last trigger.
    pub fn start_timer_resumed(&mut self, name: &str, resume: Resume) {
        let stamp = match self.store.stamp(name) {
            Ok(stamp) => stamp,
            Err(e) => {
                report(format!("{name}: cannot read its stamp: {e}"));
                None
            }
        };
        self.start_timer_with(name, stamp, Some(resume));
    }

    /// Starts a timer with a stamp already read (start-up reads them all in
    /// one query), and what it brings from an earlier life of the daemon.
    pub fn start_timer_with(
        &mut self,
        name: &str,
        stamp: Option<Timestamp>,
        resume: Option<Resume>,
    ) {
        self.runs.touch(name, self.now().realtime);
        let (stamp, boot_stamp) = match self.scheduler.timer(name) {
            Some(t) if t.unit.timer.persistent_monotonic => {
                // The realtime stamp of a timer without Persistent= may be
                // one created at its first start, not a trigger: only the
                // monotonic stamp, written at triggers, says when it fired.
                let stamp = stamp.filter(|_| t.unit.timer.persistent);
                (stamp, self.boot_stamp(name, t.monotonic_clock()))
            }
            _ => (stamp, None),
        };
        self.schedule(Event::Start {
            timer: name.to_owned(),
            stamp,
            boot_stamp,
            resume,
        });
    }

    /// The stored last trigger of an `X-Sundial-PersistentMonotonic=` timer
    /// (or a transient one) whose values count on `clock`, with its reading
    /// of that clock if it fired during this boot.
    pub fn boot_stamp(&self, name: &str, clock: ClockId) -> Option<BootStamp> {
        let stored = match self.store.monotonic_stamp(name) {
            Ok(stored) => stored?,
            Err(e) => {
                report(format!("{name}: cannot read its monotonic stamp: {e}"));
                return None;
            }
        };
        // A reading ahead of the clock cannot be from this boot, whatever
        // the boot id says.
        let this_boot = (stored.boot_id == self.boot_id
            && stored.monotonic_usec <= self.now().usec(clock))
        .then_some(stored.monotonic_usec);
        Some(BootStamp {
            realtime: stored.realtime,
            this_boot,
        })
    }

    /// Stops a timer.
    pub fn stop_timer(&mut self, name: &str) {
        self.runs.touch(name, self.now().realtime);
        self.schedule(Event::Stop(name.to_owned()));
    }

    /// Fires what is due by now.
    pub fn advance(&mut self) {
        let now = self.now();
        let actions = self.scheduler.advance(now);
        self.apply_actions(actions);
        self.settle();
    }

    /// Whether the monotonic clocks have passed the scheduler's next
    /// wake-up on them although the timer descriptors have not told yet
    /// (the event loop was busy): the loop then starts what is due before
    /// it commits and waits (see `event_loop::run`). Not the wall clock's
    /// wake-up: a jump of the wall clock is told by its descriptor
    /// (`ClockChanged`) and must be handled before what it made due. Never
    /// with the manual clock, which moves only by its commands, each
    /// followed by an advance.
    pub fn elapse_due(&self) -> bool {
        let DaemonClock::Real(real) = &self.clock else {
            return false;
        };
        let w = self.scheduler.wakeups();
        if w.monotonic.is_none() && w.boottime.is_none() {
            return false;
        }
        let now = real.now();
        w.monotonic.is_some_and(|t| t <= now.monotonic)
            || w.boottime.is_some_and(|t| t <= now.boottime)
    }

    /// The wall clock jumped: recompute calendar elapses, then fire what is due.
    pub fn clock_changed(&mut self) {
        self.schedule(Event::ClockChanged);
        self.advance();
    }

    /// Reads the local zone file again; if it holds another zone now,
    /// `OnTimezoneChange=yes` timers fire and calendar elapses are
    /// recomputed in the new zone, then what is due fires.
    pub fn check_local_zone(&mut self) {
        let Some(file) = self.localtime.as_mut() else {
            return;
        };
        let Some(zone) = file.changed() else {
            return;
        };
        report(format!(
            "{}: local time zone changed from {} to {}",
            file.path().display(),
            self.scheduler.zone().name(),
            zone.name()
        ));
        // Units loaded from now on (reload, templates) see the new zone too.
        self.units.cx.local_zone = zone.clone();
        self.supervisor.set_resolver(self.units.resolver());
        self.schedule(Event::ZoneChanged(zone));
        self.advance();
    }

    /// Carries out the scheduler's actions in order, except that the stamps
    /// come first. A stamp of a timer that starts its unit goes with the
    /// start into the backlog and is committed with the run's row, in the
    /// commit that ends the turn that makes the start: a `kill -9` before it
    /// leaves neither, the next daemon ends what was started unrecorded (see
    /// `adopt`) and a `Persistent=` timer catches up, so no run is lost. The
    /// other stamps are written and committed at once. A batch of starts is
    /// carried out at once, a burst over the next loop turns (see
    /// `backlog`).
    pub fn apply_actions(&mut self, actions: Vec<Action>) {
        let mut stamped = false;
        let mut stamps: HashMap<String, Stamp> = HashMap::new();
        let starting: HashSet<String> = actions
            .iter()
            .filter_map(|a| match a {
                Action::Start(start) => Some(start.timer.clone()),
                _ => None,
            })
            .collect();
        for action in &actions {
            if let Action::WriteStamp {
                timer,
                at,
                monotonic,
            } = action
            {
                let stamp = Stamp {
                    at: *at,
                    monotonic: *monotonic,
                };
                if starting.contains(timer) {
                    stamps.insert(timer.clone(), stamp);
                } else {
                    self.write_stamp(timer, stamp);
                    stamped = true;
                }
            }
            if let Action::Start(start) = action {
                stamped |= transient::record_trigger(self, start);
            }
        }
        if stamped && !self.commits_deferred {
            self.commit_writes();
        }
        for action in actions {
            match action {
                Action::WriteStamp { .. } => {}
                Action::Start(start) => {
                    let stamp = stamps.remove(&start.timer);
                    self.backlog.push_start(PendingStart { start, stamp });
                }
                Action::Warn { timer, message } => report(format!("{timer}: {message}")),
                Action::StateChanged { timer, from, to } => {
                    if from.is_active() != to.is_active() {
                        self.runs.touch(&timer, self.now().realtime);
                    }
                    if self.debug {
                        report(format!("{timer}: {from} -> {to}"));
                    }
                }
            }
        }
        if self.backlog.starts_waiting() <= STARTS_PER_TURN {
            self.start_backlogged();
        }
    }

    /// Writes a timer's stamp (not committed yet).
    fn write_stamp(&mut self, timer: &str, stamp: Stamp) {
        if let Err(e) = self.store.set_stamp(timer, stamp.at) {
            report(format!("{timer}: cannot write its stamp: {e}"));
        }
        if let Some(reading) = stamp.monotonic {
            let monotonic = MonotonicStamp {
                boot_id: self.boot_id.clone(),
                monotonic_usec: reading,
                realtime: stamp.at,
            };
            if let Err(e) = self.store.set_monotonic_stamp(timer, &monotonic) {
                report(format!("{timer}: cannot write its monotonic stamp: {e}"));
            }
        }
    }

    /// Starts the next batch of the services timers asked for; their
    /// stamps are written to be committed with the runs' rows.
    pub fn start_backlogged(&mut self) {
        for pending in self.backlog.take_starts() {
            if let Some(stamp) = pending.stamp {
                self.write_stamp(&pending.start.timer, stamp);
            }
            self.start_for_timer(pending.start);
        }
    }

    fn start_for_timer(&mut self, start: Start) {
        if self.shutting_down {
            return;
        }
        // A cluster timer's elapse is claimed first; it starts when won.
        if super::cluster::takes(self, &start) {
            return;
        }
        let activation = self.crontabs.activation_of(&start);
        self.start_pulled_sockets(&start.unit);
        match self.supervisor.start_with(&start.unit, activation) {
            Ok(_) => {
                let mut lateness = None;
                if let (DaemonClock::Real(real), Some(scheduled)) = (&self.clock, start.scheduled) {
                    let started = real.now().realtime;
                    let late = started.as_usec().saturating_sub(scheduled.as_usec());
                    let late = u64::try_from(late).unwrap_or(0);
                    self.stats.elapsed(late);
                    lateness = Some(std::time::Duration::from_micros(late));
                }
                self.metrics.timer_elapsed(&start.timer, lateness);
            }
            Err(e) => {
                report(format!(
                    "{}: failed to queue {}: {e}",
                    start.timer, start.unit
                ));
                self.schedule(Event::StartFailed {
                    timer: start.timer,
                    reason: FailureReason::Resources,
                });
            }
        }
    }

    /// Commits the stamps and run rows written since the last commit, in one
    /// transaction: safe from `kill -9` when this returns; the store's sync
    /// thread makes it safe from a power loss right after.
    pub fn commit_writes(&mut self) {
        if !self.store.has_pending_writes() {
            return;
        }
        let began = std::time::Instant::now();
        if let Err(e) = self.store.commit() {
            report(format!("cannot commit stamps and run rows: {e}"));
        }
        self.metrics.store_committed(began.elapsed());
    }

    /// Takes a metrics scrape: its schedule is read a slice per turn
    /// ([`State::gather_scrapes`]).
    pub fn begin_scrape(&mut self, reply: super::metrics::server::Scrape) {
        let gathering = super::metrics::Gathering::new(reply, self.scheduler.timer_slots());
        self.backlog.scrapes.push_back(gathering);
    }

    /// Reads the next slice of the oldest scrape's schedule; a scrape with
    /// all of it gets its snapshot (a client that has gone takes nothing).
    pub fn gather_scrapes(&mut self) {
        let Some(gathering) = self.backlog.scrapes.pop_front() else {
            return;
        };
        match gathering.gather(&self.scheduler, &self.now()) {
            Err(more) => self.backlog.scrapes.push_front(more),
            Ok((reply, schedule)) => {
                let daemon = super::metrics::DaemonFigures {
                    units_loaded: self.units.loaded.units.len(),
                    timers_waiting: schedule.iter().filter(|t| t.next.is_some()).count(),
                    loop_turns: self.stats.loop_iterations,
                    longest_turn: std::time::Duration::from_micros(self.stats.longest_turn_usec),
                    started: Some(self.started.realtime),
                    cluster: self
                        .cluster
                        .config
                        .as_ref()
                        .map(|_| super::metrics::ClusterFigures {
                            connected: self.cluster.link == super::cluster::Link::Up,
                            claims: self.cluster.counts,
                        }),
                };
                let _ = reply.send(self.metrics.snapshot(schedule, daemon));
            }
        }
    }

    /// Carries out `SuccessAction=`/`FailureAction=` when a run of a
    /// service ends: `exit` and `exit-force` end the daemon with the
    /// action's exit status or the main process's (a container running one
    /// job); the reboot and power-off actions, which only PID 1 may start,
    /// stop the daemon and then reboot or power off.
    fn emergency_action(&mut self, t: &UnitTransition) {
        use crate::unit::unit::EmergencyAction;
        let tr = &t.transition;
        if !tr.new.active_state().is_inactive_or_failed()
            || tr.old.active_state().is_inactive_or_failed()
        {
            return;
        }
        let Some(unit) = self.supervisor.unit(&t.unit) else {
            return;
        };
        let u = &unit.unit;
        let failed = tr.result.is_failure();
        let (action, status, directive) = if failed {
            (
                u.options.failure_action,
                u.options.failure_action_exit_status,
                "FailureAction",
            )
        } else {
            (
                u.options.success_action,
                u.options.success_action_exit_status,
                "SuccessAction",
            )
        };
        let force = match action {
            EmergencyAction::None => return,
            EmergencyAction::Exit => false,
            EmergencyAction::ExitForce => true,
            machine => {
                // Only PID 1 gets here (a start is refused otherwise): the
                // services are stopped (not for -immediate), then the
                // daemon reboots or powers off; in a container's PID
                // namespace the kernel ends the namespace instead.
                report(format!(
                    "{}: {directive}={}: stopping, then {}",
                    t.unit,
                    machine.as_str(),
                    if machine.powers_off() {
                        "powering off"
                    } else {
                        "rebooting"
                    }
                ));
                super::event_loop::MACHINE_ACTION.store(
                    if machine.powers_off() { 2 } else { 1 },
                    std::sync::atomic::Ordering::Relaxed,
                );
                if self.exit_request.is_none() {
                    let immediate = matches!(
                        machine,
                        EmergencyAction::RebootImmediate | EmergencyAction::PoweroffImmediate
                    );
                    self.exit_request = Some((0, immediate));
                }
                return;
            }
        };
        let main = self
            .supervisor
            .status(&t.unit)
            .and_then(|s| s.main_exit)
            .and_then(|e| e.exit_code());
        let code = status
            .map(i32::from)
            .or(main)
            .unwrap_or(if failed { 1 } else { 0 });
        report(format!(
            "{}: {directive}=exit: the daemon exits with status {code}",
            t.unit
        ));
        if self.exit_request.is_none() {
            self.exit_request = Some((code, force));
        }
    }

    /// Moves everything the supervisor produced along: captured lines to the
    /// log pipe, state changes to run rows and the scheduler, finished jobs
    /// to waiting clients. Repeats while that causes more (a timer starting
    /// its service again, an OnFailure= hook).
    pub fn settle(&mut self) {
        // Bounded so that a unit flapping in zero time cannot hang the loop;
        // what is left is picked up after the next event.
        for _ in 0..64 {
            self.drain_sink();
            let transitions = self.supervisor.take_transitions();
            let finished = self.supervisor.take_finished_jobs();
            let skipped = self.supervisor.take_skipped();
            if transitions.is_empty() && finished.is_empty() {
                break;
            }
            let now = self.now();
            let wall = self.clock.wall_times();
            let supervisor = &self.supervisor;
            let exit_of = |u: &str| supervisor.status(u).and_then(|s| s.main_exit);
            let time_of = |t: &UnitTransition| wall.of(t.at);
            let applied = self
                .runs
                .apply(&transitions, &time_of, &mut self.store, &exit_of);
            for run in &applied.run_starts {
                self.metrics.run_started(run);
            }
            for run in &applied.run_ends {
                self.metrics.run_ended(run);
                let status = run.status.and_then(|s| match s {
                    crate::store::ExitStatus::Code(c) => Some(c),
                    crate::store::ExitStatus::Signal(_) => None,
                });
                super::cluster::run_ended(self, &run.unit, run.result.as_str(), status);
            }
            for e in applied.errors {
                report(e);
            }
            for (unit, invocation) in applied.ended {
                if let Some(u) = self.supervisor.ended_usage(&unit) {
                    let usage = crate::store::RunUsage {
                        memory_peak: u.memory_peak,
                        cpu_usec: u.cpu_nsec.map(|ns| ns / 1000),
                    };
                    if let Err(e) = self.store.record_run_usage(invocation, usage) {
                        report(e.to_string());
                    }
                }
            }
            // In the batch of the run rows: committed before any client
            // hears of the start.
            super::adopt::record_changes(self);
            for t in &transitions {
                self.emergency_action(t);
            }
            for (unit, result) in applied.failures {
                report(format!("{unit}: failed with result '{result}'"));
            }
            let mut changed_units: Vec<String> = Vec::new();
            for (unit, active) in applied.unit_changes {
                changed_units.push(unit.clone());
                self.schedule(Event::UnitChanged { unit, active });
            }
            for (unit, activation) in &skipped {
                let activation = activation.as_ref().unwrap_or(&Activation::MANUAL);
                if let Err(e) = self
                    .runs
                    .skipped(unit, activation, now.realtime, &mut self.store)
                {
                    report(format!("{unit}: cannot record its skipped start: {e}"));
                }
                super::cluster::run_ended(self, unit, "skipped", None);
                self.metrics.run_ended(&super::metrics::RunEnded {
                    unit: unit.clone(),
                    at: now.realtime,
                    result: crate::store::RunResult::Skipped,
                    status: None,
                    ran: false,
                });
            }
            for (_, unit, ty, result) in &finished {
                // systemd tells the timers of a unit whenever its job ends
                // (unit_trigger_notify): a timer that started a unit whose
                // condition or assertion failed waits for its next elapse
                // again, where it waited for a change that never comes.
                if *ty == JobType::Start && matches!(result, JobResult::Skipped | JobResult::Assert)
                {
                    let (active, _) = self.active_state(unit);
                    self.schedule(Event::UnitChanged {
                        unit: unit.clone(),
                        active: !active.is_inactive_or_failed(),
                    });
                }
                // Path units hear of every start that ended without a
                // change of the unit (a start limit, a condition).
                if *ty == JobType::Start && *result != JobResult::Done {
                    changed_units.push(unit.clone());
                }
            }
            // Path units look again when the unit they start ends.
            for unit in changed_units {
                super::path_watch::unit_changed(self, &unit);
            }
            // A client told that its job is done may read the run next.
            let waiting = !self.waits.is_empty() || !self.run_waits.is_empty();
            if !finished.is_empty() && waiting {
                self.commit_writes();
            }
            for (id, unit, _, result) in finished {
                let supervisor = &self.supervisor;
                let result_of = |u: &str| supervisor.status(u).map(|s| s.result);
                self.waits.finished(id, &unit, result, &result_of);
                self.run_waits.job_finished(id, result, &result_of);
            }
        }
        // Starts of singletons waiting in the job engine ask for their lease.
        super::cluster_singletons::engine_asks(self);
        transient::settle(self);
        self.settle_sockets();
        self.drain_sink();
    }

    fn drain_sink(&mut self) {
        while let Ok(item) = self.sink.try_recv() {
            match item {
                SinkItem::Output(record) => {
                    self.logs.push(record);
                    if self.logs.is_full() {
                        self.flush_logs();
                    }
                }
                SinkItem::Manager(record) => {
                    if self.debug {
                        report(record.text());
                    }
                    self.logs.push_manager(record);
                    if self.logs.is_full() {
                        self.flush_logs();
                    }
                }
            }
        }
    }

    /// Hands the pending log lines to the log writer.
    pub fn flush_logs(&mut self) {
        self.logs.flush();
    }

    /// Waits until every log line so far is in the store: before a query
    /// that must see them.
    pub fn sync_logs(&mut self) {
        self.logs.sync();
    }

    /// [`State::sync_logs`] for at most a second: for a reply that shows
    /// lines, which under a flood of output shows what is stored by then
    /// rather than hold up the event loop.
    pub fn sync_logs_briefly(&mut self) {
        self.logs.sync_within(std::time::Duration::from_secs(1));
    }

    /// systemd's ActiveState and SubState of any unit. The sub-state is the
    /// name of the unit type's own sub-state (a service's [`SubState`], a
    /// timer's [`TimerSubState`], a device's `plugged` ...).
    pub fn active_state(&self, name: &str) -> (ActiveState, &'static str) {
        const DEAD: (ActiveState, &str) = (ActiveState::Inactive, "dead");
        let name = self.units.canonical(name);
        match UnitTypeOf::of(name) {
            UnitType::Service => match self.supervisor.status(name) {
                Some(s) => (s.active, s.sub.as_str()),
                None => (ActiveState::Inactive, SubState::Dead.as_str()),
            },
            UnitType::Timer => match self.scheduler.timer(name).map(|t| t.state.sub()) {
                Some(sub) => (timer_active_state(sub), sub.as_str()),
                None => (ActiveState::Inactive, TimerSubState::Dead.as_str()),
            },
            UnitType::Path => match self.path_units.state(name) {
                Some(s) => (path_active_state(s), s.as_str()),
                None => (ActiveState::Inactive, "dead"),
            },
            UnitType::Target if self.active_targets.contains(name) => {
                (ActiveState::Active, "active")
            }
            UnitType::Socket => match self.sockets.active.get(name).map(|s| &s.state) {
                Some(super::socket_units::SocketState::Failed(_)) => {
                    (ActiveState::Failed, "failed")
                }
                Some(
                    s @ (super::socket_units::SocketState::StartPre
                    | super::socket_units::SocketState::StartPost),
                ) => (ActiveState::Activating, s.sub()),
                Some(
                    s @ (super::socket_units::SocketState::StopPre
                    | super::socket_units::SocketState::StopPost),
                ) => (ActiveState::Deactivating, s.sub()),
                Some(s) => (ActiveState::Active, s.sub()),
                None => DEAD,
            },
            // What the host says about a device, mount, swap, slice, scope.
            UnitType::Other => UnitName::parse(name)
                .ok()
                .and_then(|n| crate::unit::host::foreign_state(&n))
                .map_or(DEAD, |s| {
                    let active = if s.present {
                        ActiveState::Active
                    } else {
                        ActiveState::Inactive
                    };
                    (active, s.sub)
                }),
            _ => DEAD,
        }
    }

    /// The unit's description, or its name.
    pub fn description(&self, name: &str) -> String {
        self.units
            .get(name)
            .and_then(|u| u.unit_section().description.clone())
            .or_else(|| {
                self.supervisor
                    .unit(name)
                    .and_then(|u| u.unit.description.clone())
            })
            .unwrap_or_else(|| name.to_owned())
    }

    /// Whether a unit exists for the daemon: loaded, masked, broken, or
    /// running from an earlier load.
    pub fn knows(&self, name: &str) -> bool {
        self.units.knows(name)
            || self.supervisor.status(name).is_some()
            || self.scheduler.timer(name).is_some()
    }

    /// Every unit name the daemon can report on.
    pub fn all_units(&self) -> BTreeSet<String> {
        let mut names: BTreeSet<String> = self
            .units
            .loaded
            .units
            .keys()
            .map(UnitName::to_string)
            .collect();
        names.extend(self.units.loaded.masked.keys().cloned());
        names.extend(self.units.loaded.failed.iter().cloned());
        names.extend(self.supervisor.service_names().map(str::to_owned));
        names
    }

    /// Whether the unit with this name is loaded as `ty`.
    pub fn unit_of_type(&self, name: &str, ty: UnitType) -> Option<&Unit> {
        self.units.get(name).filter(|u| u.name().unit_type() == ty)
    }
}

/// A timer's ActiveState from its sub-state.
pub fn timer_active_state(sub: TimerSubState) -> ActiveState {
    match sub {
        TimerSubState::Dead => ActiveState::Inactive,
        TimerSubState::Failed => ActiveState::Failed,
        TimerSubState::Waiting | TimerSubState::Running | TimerSubState::Elapsed => {
            ActiveState::Active
        }
    }
}

/// A path unit's ActiveState from its state.
pub fn path_active_state(state: crate::path_trigger::PathState) -> ActiveState {
    use crate::path_trigger::PathState;
    match state {
        PathState::Dead => ActiveState::Inactive,
        PathState::Failed(_) => ActiveState::Failed,
        PathState::Waiting | PathState::Running => ActiveState::Active,
    }
}

/// The type of a unit name (without parsing it twice everywhere).
struct UnitTypeOf;

impl UnitTypeOf {
    fn of(name: &str) -> UnitType {
        name.rsplit_once('.')
            .and_then(|(_, suffix)| UnitType::from_suffix(suffix))
            .unwrap_or(UnitType::Other)
    }
}
