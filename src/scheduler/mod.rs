//! The timer scheduler: pure state machines for `.timer` units on a realtime
//! and a monotonic timer wheel. It is told the time and returns actions; it
//! reads no clock, no file and no environment.
//!
//! The owner (the daemon, the simulator, a test) feeds [`Event`]s and the
//! current [`ClockSnapshot`] to [`Scheduler::handle`], calls
//! [`Scheduler::advance`] when a clock reaches one of the [`Wakeups`], and
//! carries out the [`Action`]s it gets back.

pub mod accuracy;
pub mod clock;
pub mod persistent;
pub mod queue;
pub mod random;
pub mod simulation;
pub mod snapshot;
pub mod timer;
pub mod timer_state;
pub mod trigger;
pub mod wheel;

use std::collections::HashMap;
use std::sync::Arc;

use sundial_calendar::{Timespan, Timestamp, Zone};

use crate::activation::{Activation, Elapse, Fired};
use crate::unit::{MonotonicBase, TimerTrigger, TimerUnit, UnitName};

use accuracy::Perturbation;
use clock::{Boottime, ClockId, ClockSnapshot, Monotonic};
use persistent::{BootStamp, Resume, StampOnStart};
use queue::ClockQueue;
use random::{HostIdentity, RandomSource};
pub use timer::{Activated, ClusterLast, Disabled, Next, Timer, UnitTimes};
pub use timer_state::{
    Cause, FailureReason, LastTrigger, Note, Pending, TimerState, TimerSubState, Waiting,
};

/// What the scheduler is told.
#[derive(Debug, Clone)]
pub enum Event {
    /// A timer unit was loaded, or loaded again (`daemon-reload`). An
    /// unchanged unit keeps its state and next elapse.
    /// sundial's own settings (`X-Sundial-…`) come with the unit's
    /// `[Timer]` section.
    Load(Arc<TimerUnit>),
    /// A timer unit is gone.
    Unload(String),
    /// Start a timer. `stamp`: its stored last trigger, for timers with
    /// `Persistent=yes` (or `X-Sundial-PersistentMonotonic=yes`).
    Start {
        /// The timer.
        timer: String,
        /// The stamp found, if any.
        stamp: Option<Timestamp>,
        /// For `X-Sundial-PersistentMonotonic=yes`: the last trigger with
        /// its boot, if the owner keeps those. Without one, the realtime
        /// `stamp` is mapped onto the monotonic clocks.
        boot_stamp: Option<BootStamp>,
        /// For a timer the owner keeps across its own restarts (transient
        /// timers): its first start and last trigger.
        resume: Option<Resume>,
    },
    /// Stop a timer.
    Stop(String),
    /// A unit that timers may trigger changed state: `active` when it left
    /// the inactive state (activating, active, reloading, deactivating),
    /// not when it is inactive or failed.
    UnitChanged {
        /// The unit.
        unit: String,
        /// Whether it is active now.
        active: bool,
    },
    /// The start job a timer asked for could not be queued.
    StartFailed {
        /// The timer.
        timer: String,
        /// Why.
        reason: FailureReason,
    },
    /// The newest run of a cluster timer's unit anywhere in the cluster
    /// (a later one than the timer knows, or the end of the one it knows):
    /// its `OnUnitActiveSec=`/`OnUnitInactiveSec=` count from it.
    ClusterRun {
        /// The timer.
        timer: String,
        /// The run.
        last: ClusterLast,
    },
    /// The wall clock jumped relative to the monotonic clock.
    ClockChanged,
    /// The local time zone changed.
    ZoneChanged(Zone),
}

/// What the scheduler asks its owner to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Start a unit because a timer elapsed.
    Start(Start),
    /// Record `at` as the last trigger of `timer` (before the unit starts).
    WriteStamp {
        /// The timer.
        timer: String,
        /// The trigger time.
        at: Timestamp,
        /// For a trigger of an `X-Sundial-PersistentMonotonic=yes` timer:
        /// its monotonic clock (BOOTTIME with `WakeSystem=yes`) at `at`, to
        /// keep with the boot it belongs to. `None` for a stamp created when
        /// the timer starts, which is no trigger.
        monotonic: Option<u64>,
    },
    /// Something the user should hear about.
    Warn {
        /// The timer concerned.
        timer: String,
        /// What happened.
        message: String,
    },
    /// A timer changed state (for the log).
    StateChanged {
        /// The timer.
        timer: String,
        /// The old sub-state.
        from: TimerSubState,
        /// The new sub-state.
        to: TimerSubState,
    },
}

/// A start caused by a timer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Start {
    /// The unit to start (`Unit=`).
    pub unit: String,
    /// The timer that elapsed.
    pub timer: String,
    /// The clocks when it elapsed.
    pub at: ClockSnapshot,
    /// The trigger responsible.
    pub cause: Cause,
    /// When the trigger value was due (before delays), on the wall clock.
    pub scheduled: Option<Timestamp>,
    /// The random delay that applied.
    pub random_delay: Timespan,
}

impl Start {
    /// The activation of the run it starts: the timer and the clocks when
    /// it elapsed (systemd ≥ 251 exports them as $TRIGGER_*).
    pub fn activation(&self) -> Activation {
        Activation::Timer(self.fired())
    }

    /// The timer and when it elapsed.
    pub fn fired(&self) -> Fired {
        Fired {
            timer: self.timer.clone(),
            elapse: Some(Elapse {
                realtime_usec: self.at.realtime.as_usec(),
                monotonic_usec: self.at.monotonic.as_usec(),
            }),
        }
    }
}

/// When each clock should wake the owner next.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Wakeups {
    /// `CLOCK_REALTIME`.
    pub realtime: Option<Timestamp>,
    /// `CLOCK_MONOTONIC`.
    pub monotonic: Option<Monotonic>,
    /// `CLOCK_BOOTTIME`.
    pub boottime: Option<Boottime>,
}

impl Wakeups {
    /// The earliest of the three, on the wall clock as `now` relates them.
    pub fn earliest_realtime(&self, now: &ClockSnapshot) -> Option<Timestamp> {
        [
            self.realtime,
            self.monotonic
                .map(|m| now.realtime_of(ClockId::Monotonic, m.as_usec() as i64)),
            self.boottime
                .map(|b| now.realtime_of(ClockId::Boottime, b.as_usec() as i64)),
        ]
        .into_iter()
        .flatten()
        .min()
    }
}

/// One row of `list-timers`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TimerInfo {
    /// The timer.
    pub timer: String,
    /// The unit it activates.
    pub activates: String,
    /// Its sub-state.
    pub state: TimerSubState,
    /// The next elapse: the earlier of the calendar and the monotonic one,
    /// the latter converted to wall time.
    pub next: Option<Timestamp>,
    /// Time until `next`.
    pub left: Option<Timespan>,
    /// The last trigger.
    pub last: Option<Timestamp>,
    /// Time since `last` (by the monotonic clock when known).
    pub passed: Option<Timespan>,
    /// The next calendar elapse.
    pub next_realtime: Option<Timestamp>,
    /// The next monotonic elapse and its clock.
    pub next_monotonic: Option<(ClockId, u64)>,
    /// What `next` comes from.
    pub next_cause: Option<Cause>,
}

/// Settings of the scheduler as a whole.
#[derive(Debug, Clone)]
pub struct SchedulerConfig {
    /// The host: machine id, boot id, system or user manager, uid.
    pub host: HostIdentity,
    /// The local time zone.
    pub zone: Zone,
    /// When the manager started (`OnStartupSec=`, and where overdue
    /// calendar elapses are moved to).
    pub startup: ClockSnapshot,
    /// Running in a container: `OnBootSec=` counts from the manager's start.
    pub in_container: bool,
    /// Length of a wheel tick in microseconds (1 = exact).
    pub tick_usec: u64,
}

/// All timers of one manager.
#[derive(Debug)]
pub struct Scheduler {
    host: HostIdentity,
    zone: Zone,
    startup: ClockSnapshot,
    in_container: bool,
    perturbation: Perturbation,
    random: Box<dyn RandomSource>,
    /// The cluster's seed for `X-Sundial-Cluster=once` timers' delays.
    cluster_seed: Option<u64>,
    timers: Vec<Option<Timer>>,
    /// Keyed by clones of the timers' names, which share their text.
    by_name: HashMap<UnitName, u32>,
    /// Unit= read backwards: a unit -> the timers that trigger it, so that a
    /// unit's state change does not look at every timer.
    triggering: HashMap<UnitName, Vec<u32>>,
    units: HashMap<String, UnitTimes>,
    realtime: ClockQueue,
    monotonic: ClockQueue,
    boottime: ClockQueue,
}

impl Scheduler {
    /// A scheduler without timers.
    pub fn new(config: SchedulerConfig, random: Box<dyn RandomSource>) -> Scheduler {
        let s = config.startup;
        Scheduler {
            perturbation: Perturbation::from_boot_id(&config.host.boot_id),
            host: config.host,
            zone: config.zone,
            startup: s,
            in_container: config.in_container,
            random,
            cluster_seed: None,
            timers: Vec::new(),
            by_name: HashMap::new(),
            triggering: HashMap::new(),
            units: HashMap::new(),
            realtime: ClockQueue::new(config.tick_usec, s.usec(ClockId::Realtime)),
            monotonic: ClockQueue::new(config.tick_usec, s.usec(ClockId::Monotonic)),
            boottime: ClockQueue::new(config.tick_usec, s.usec(ClockId::Boottime)),
        }
    }

    /// The seed the delays of `X-Sundial-Cluster=once` timers are drawn
    /// from (every node of a cluster has the same), for the timers computed
    /// from now on; `None`: not in a cluster.
    pub fn set_cluster_seed(&mut self, seed: Option<u64>) {
        self.cluster_seed = seed;
    }

    /// Replaces the coalescing offset (tests; otherwise from the boot id).
    pub fn set_perturbation(&mut self, perturbation: Perturbation) {
        self.perturbation = perturbation;
    }

    /// The local time zone.
    pub fn zone(&self) -> &Zone {
        &self.zone
    }

    /// A timer by name.
    pub fn timer(&self, name: &str) -> Option<&Timer> {
        let id = *self.by_name.get(name)?;
        self.timers[id as usize].as_ref()
    }

    /// Gives back the room the tables grew into while timers were loaded
    /// one at a time (a `Vec` doubles: up to half of it unused), after a
    /// start-up or a reload.
    pub fn shrink_to_fit(&mut self) {
        self.timers.shrink_to_fit();
        self.by_name.shrink_to_fit();
        self.triggering.shrink_to_fit();
        for ids in self.triggering.values_mut() {
            ids.shrink_to_fit();
        }
        self.units.shrink_to_fit();
    }

    /// All loaded timers.
    pub fn timers(&self) -> impl Iterator<Item = &Timer> {
        self.timers.iter().flatten()
    }

    /// How many timer slots there are: [`Scheduler::timers_in`] takes a
    /// range of them, for a caller that goes through every timer a slice
    /// at a time.
    pub fn timer_slots(&self) -> usize {
        self.timers.len()
    }

    /// The loaded timers in `slots` (clipped to the slots there are now).
    pub fn timers_in(&self, slots: std::ops::Range<usize>) -> impl Iterator<Item = &Timer> {
        let end = slots.end.min(self.timers.len());
        let start = slots.start.min(end);
        self.timers[start..end].iter().flatten()
    }

    /// Applies one event at time `now`.
    pub fn handle(&mut self, now: ClockSnapshot, event: Event) -> Vec<Action> {
        let mut actions = Vec::new();
        match event {
            Event::Load(unit) => self.load(now, unit, &mut actions),
            Event::Unload(name) => {
                if let Some(id) = self.by_name.remove(name.as_str()) {
                    self.disarm(id);
                    if let Some(old) = self.timers[id as usize].take() {
                        self.untrack(&old.unit.triggers, id);
                    }
                }
            }
            Event::Start {
                timer,
                stamp,
                boot_stamp,
                resume,
            } => {
                if let Some(id) = self.by_name.get(timer.as_str()).copied() {
                    self.start(id, now, stamp, boot_stamp, resume, &mut actions);
                }
            }
            Event::Stop(timer) => {
                if let Some(id) = self.by_name.get(timer.as_str()).copied() {
                    self.disarm(id);
                    self.set_state(id, TimerState::Dead, &mut actions);
                }
            }
            Event::UnitChanged { unit, active } => {
                self.unit_changed(now, &unit, active, &mut actions)
            }
            Event::StartFailed { timer, reason } => {
                if let Some(id) = self.by_name.get(timer.as_str()).copied() {
                    self.disarm(id);
                    self.set_state(id, TimerState::Failed(reason), &mut actions);
                }
            }
            Event::ClusterRun { timer, last } => {
                if let Some(id) = self.by_name.get(timer.as_str()).copied() {
                    let t = self.timer_mut(id);
                    if last.newer_than(t.cluster_last.as_ref()) {
                        t.cluster_last = Some(last);
                        if matches!(t.state, TimerState::Waiting(_) | TimerState::Elapsed) {
                            self.enter_waiting(id, now, false, &mut actions);
                        }
                    }
                }
            }
            Event::ClockChanged => {
                self.realtime.rewind(now.usec(ClockId::Realtime));
                for id in self.waiting_ids() {
                    let timer = self.timer_mut(id);
                    // systemd: a last trigger in the future means the clock was
                    // set back; pull it to now so that elapses can happen again.
                    if let Some(last) = &mut timer.last_trigger {
                        last.realtime = last.realtime.min(now.realtime);
                    }
                    if timer.unit.timer.on_clock_change {
                        self.trigger(id, now, Cause::ClockChange, None, &mut actions);
                    } else {
                        self.enter_waiting(id, now, true, &mut actions);
                    }
                }
            }
            Event::ZoneChanged(zone) => {
                self.zone = zone;
                for id in self.waiting_ids() {
                    if self.timer_mut(id).unit.timer.on_timezone_change {
                        self.trigger(id, now, Cause::TimezoneChange, None, &mut actions);
                    } else {
                        self.enter_waiting(id, now, false, &mut actions);
                    }
                }
            }
        }
        actions
    }

    /// Forgets what is remembered of a unit that is gone for good (a
    /// transient service that is done), unless a timer still triggers it.
    pub fn forget_unit(&mut self, unit: &str) {
        if !self.triggering.contains_key(unit) {
            self.units.remove(unit);
        }
    }

    /// Fires every timer whose elapse has come by `now`.
    pub fn advance(&mut self, now: ClockSnapshot) -> Vec<Action> {
        let mut due = Vec::new();
        self.realtime.expire(now.usec(ClockId::Realtime), &mut due);
        self.monotonic
            .expire(now.usec(ClockId::Monotonic), &mut due);
        self.boottime.expire(now.usec(ClockId::Boottime), &mut due);
        // Fire in order of the elapses, then by name, whichever clock they are on.
        let mut fire: Vec<(Timestamp, String, u32, Pending)> = Vec::new();
        // A timer due on two clocks fires once; a set, as a burst has
        // thousands due at once.
        let mut seen = std::collections::HashSet::with_capacity(due.len());
        for id in due {
            let Some(timer) = self.timers[id as usize].as_ref() else {
                continue;
            };
            let TimerState::Waiting(waiting) = &timer.state else {
                continue;
            };
            let pending = [&waiting.realtime, &waiting.monotonic]
                .into_iter()
                .flatten()
                .filter(|p| p.at <= now.usec(p.clock))
                .min_by_key(|p| now.realtime_of(p.clock, p.at as i64));
            if let Some(p) = pending {
                if seen.insert(id) {
                    let when = now.realtime_of(p.clock, p.at as i64);
                    fire.push((when, timer.name().to_owned(), id, p.clone()));
                }
            }
        }
        fire.sort_by(|a, b| (a.0, &a.1).cmp(&(b.0, &b.1)));
        let mut actions = Vec::new();
        for (_, _, id, pending) in fire {
            let scheduled = now.realtime_of(pending.clock, pending.scheduled as i64);
            self.trigger(
                id,
                now,
                pending.cause,
                Some((scheduled, pending.random_delay)),
                &mut actions,
            );
        }
        actions
    }

    /// When the owner should call [`Scheduler::advance`] next, per clock.
    pub fn wakeups(&self) -> Wakeups {
        let p = self.perturbation;
        Wakeups {
            realtime: self
                .realtime
                .wake(p)
                .map(|t| Timestamp::from_usec(t.min(i64::MAX as u64) as i64)),
            monotonic: self.monotonic.wake(p).map(Monotonic::from_usec),
            boottime: self.boottime.wake(p).map(Boottime::from_usec),
        }
    }

    /// The `list-timers` rows, sorted by next elapse then name.
    pub fn list(&self, now: ClockSnapshot) -> Vec<TimerInfo> {
        self.list_where(now, |_| true)
    }

    /// [`Scheduler::list`] of the timers `keep` accepts: a pattern looks at
    /// names before any row is made.
    pub fn list_where(&self, now: ClockSnapshot, keep: impl Fn(&Timer) -> bool) -> Vec<TimerInfo> {
        // Sorted as small keys (next elapse, name, timer), and the rows
        // (about 200 bytes each) made in that order: sorting the rows
        // themselves moved them about (a third of list-timers --all's time
        // at 100,000 timers went to memmove). The name is looked up once per
        // timer, not at each comparison.
        let mut order: Vec<(bool, Option<Timestamp>, &str, &Timer)> = self
            .timers()
            .filter(|t| keep(t))
            .map(|t| {
                let next = next_elapse(t, &now).0;
                (next.is_none(), next, t.name(), t)
            })
            .collect();
        order.sort_unstable_by(|a, b| (a.0, a.1, a.2).cmp(&(b.0, b.1, b.2)));
        order.into_iter().map(|(.., t)| info(t, &now)).collect()
    }

    fn timer_mut(&mut self, id: u32) -> &mut Timer {
        self.timers[id as usize]
            .as_mut()
            .expect("ids come from by_name or the queues, which drop unloaded timers")
    }

    fn waiting_ids(&self) -> Vec<u32> {
        self.by_name
            .values()
            .copied()
            .filter(|&id| {
                matches!(
                    self.timers[id as usize].as_ref().map(|t| &t.state),
                    Some(TimerState::Waiting(_))
                )
            })
            .collect()
    }

    fn load(&mut self, now: ClockSnapshot, unit: Arc<TimerUnit>, actions: &mut Vec<Action>) {
        let Some(id) = self.by_name.get(unit.name.as_str()).copied() else {
            let id = u32::try_from(self.timers.len()).expect("fewer than 2^32 timers");
            self.track(&unit.triggers, id);
            self.by_name.insert(unit.name.clone(), id);
            self.timers.push(Some(Timer::new(unit)));
            return;
        };
        let timer = self.timer_mut(id);
        if timer.unit == unit {
            // Unchanged: keep the state, but hold the new snapshot's copy so
            // that the old one is freed rather than kept for this timer.
            timer.unit = unit;
            return;
        }
        if timer.unit.triggers != unit.triggers {
            let (old, new) = (timer.unit.triggers.clone(), unit.triggers.clone());
            self.untrack(&old, id);
            self.track(&new, id);
        }
        let timer = self.timer_mut(id);
        timer.disabled = Disabled::default();
        timer.unit = unit;
        if matches!(timer.state, TimerState::Waiting(_) | TimerState::Elapsed) {
            self.enter_waiting(id, now, false, actions);
        }
    }

    fn start(
        &mut self,
        id: u32,
        now: ClockSnapshot,
        stamp: Option<Timestamp>,
        boot_stamp: Option<BootStamp>,
        resume: Option<Resume>,
        actions: &mut Vec<Action>,
    ) {
        let timer = self.timer_mut(id);
        if timer.state.is_active() {
            return;
        }
        timer.activated = Some(Activated::At(now));
        timer.last_trigger = None;
        // systemd: a restart re-arms OnActiveSec= values only.
        for (i, value) in timer.unit.timer.triggers.iter().enumerate() {
            if matches!(
                value,
                TimerTrigger::Monotonic {
                    base: MonotonicBase::Active,
                    ..
                }
            ) {
                timer.disabled.set(i, false);
            }
        }
        if timer.stamps() {
            let name = timer.name().to_owned();
            let realtime = match StampOnStart::judge(stamp, now.realtime) {
                StampOnStart::LastTrigger(t) => Some(t),
                StampOnStart::InFuture(t) => {
                    actions.push(Action::Warn {
                        timer: name,
                        message: format!(
                            "not using persistent file timestamp {t} as it is in the future"
                        ),
                    });
                    None
                }
                StampOnStart::Create(t) => {
                    actions.push(Action::WriteStamp {
                        timer: name,
                        at: t,
                        monotonic: None,
                    });
                    None
                }
            };
            let clock = timer.monotonic_clock();
            timer.last_trigger = match (timer.unit.timer.persistent_monotonic, boot_stamp) {
                (true, Some(boot)) => boot.on_this_boot(now, clock).map(|mapped| LastTrigger {
                    realtime: realtime.unwrap_or(boot.realtime),
                    monotonic: None,
                    mapped: Some(mapped),
                }),
                (true, None) => realtime.map(|t| LastTrigger {
                    realtime: t,
                    monotonic: None,
                    mapped: BootStamp {
                        realtime: t,
                        this_boot: None,
                    }
                    .on_this_boot(now, clock),
                }),
                (false, _) => realtime.map(|t| LastTrigger {
                    realtime: t,
                    monotonic: None,
                    mapped: None,
                }),
            };
        }
        if let Some(resume) = resume {
            let clock = timer.monotonic_clock();
            // A first start the wall clock puts in the future (another
            // boot, a clock set back) cannot be placed: the timer counts
            // from now, as any timer starting.
            if let Some((monotonic, boottime)) = resume.activated.on_this_boot(now, clock) {
                timer.activated = Some(Activated::Resumed {
                    realtime: now.realtime,
                    monotonic,
                    boottime,
                });
            }
            if timer.last_trigger.is_none() {
                timer.last_trigger = resume.last_trigger.and_then(|last| {
                    last.on_this_boot(now, clock).map(|mapped| LastTrigger {
                        realtime: last.realtime,
                        monotonic: None,
                        mapped: Some(mapped),
                    })
                });
            }
        }
        self.enter_waiting(id, now, false, actions);
    }

    fn unit_changed(
        &mut self,
        now: ClockSnapshot,
        unit: &str,
        active: bool,
        actions: &mut Vec<Action>,
    ) {
        let times = self.units.entry(unit.to_owned()).or_default();
        if active && !times.active {
            times.inactive_exit = Some(now);
        } else if !active && times.active {
            times.inactive_enter = Some(now);
        }
        times.active = active;
        let mut ids = self.triggering.get(unit).cloned().unwrap_or_default();
        ids.sort_unstable();
        for id in ids {
            match self.timer_mut(id).state {
                TimerState::Waiting(_) | TimerState::Elapsed => {
                    self.enter_waiting(id, now, false, actions)
                }
                TimerState::Running if !active => self.enter_waiting(id, now, false, actions),
                _ => {}
            }
        }
    }

    fn track(&mut self, unit: &UnitName, id: u32) {
        match self.triggering.get_mut(unit.as_str()) {
            Some(ids) => ids.push(id),
            None => {
                self.triggering.insert(unit.clone(), vec![id]);
            }
        }
    }

    fn untrack(&mut self, unit: &UnitName, id: u32) {
        if let Some(ids) = self.triggering.get_mut(unit.as_str()) {
            ids.retain(|&i| i != id);
            if ids.is_empty() {
                self.triggering.remove(unit.as_str());
            }
        }
    }

    fn enter_waiting(
        &mut self,
        id: u32,
        now: ClockSnapshot,
        time_change: bool,
        actions: &mut Vec<Action>,
    ) {
        self.disarm(id);
        let timer = self.timers[id as usize]
            .as_mut()
            .expect("ids come from by_name or the queues, which drop unloaded timers");
        let unit = self
            .units
            .get(timer.unit.triggers.as_str())
            .copied()
            .unwrap_or_default();
        let mut ctx = timer::Context {
            now,
            startup: self.startup,
            in_container: self.in_container,
            zone: &self.zone,
            host: &self.host,
            random: &mut *self.random,
            cluster_seed: self.cluster_seed,
            unit,
        };
        match timer.compute_next(&mut ctx, time_change) {
            Next::Waiting(waiting) => {
                let accuracy = timer.accuracy();
                for (slot, pending) in timer
                    .armed
                    .iter_mut()
                    .zip([&waiting.realtime, &waiting.monotonic])
                {
                    let Some(pending) = pending else {
                        continue;
                    };
                    let queue = match pending.clock {
                        ClockId::Realtime => &mut self.realtime,
                        ClockId::Monotonic => &mut self.monotonic,
                        ClockId::Boottime => &mut self.boottime,
                    };
                    *slot = Some((pending.clock, queue.arm(id, pending.at, accuracy)));
                }
                self.set_state(id, TimerState::Waiting(waiting), actions);
            }
            Next::Elapsed { leave_around } => {
                let state = if timer.unit.timer.remain_after_elapse || leave_around {
                    TimerState::Elapsed
                } else {
                    TimerState::Dead
                };
                self.set_state(id, state, actions);
            }
        }
    }

    fn trigger(
        &mut self,
        id: u32,
        now: ClockSnapshot,
        cause: Cause,
        scheduled: Option<(Timestamp, Timespan)>,
        actions: &mut Vec<Action>,
    ) {
        self.disarm(id);
        let in_cluster = self.cluster_seed.is_some();
        let timer = self.timer_mut(id);
        timer.last_trigger = Some(LastTrigger::at(now));
        if in_cluster && cause.is_unit_relative() && Timer::counts_from_cluster_runs(&timer.unit) {
            timer.cluster_elapse = scheduled.map(|s| s.0);
        }
        let name = timer.name().to_owned();
        if timer.stamps() {
            let monotonic = timer
                .unit
                .timer
                .persistent_monotonic
                .then(|| now.usec(timer.monotonic_clock()));
            actions.push(Action::WriteStamp {
                timer: name.clone(),
                at: now.realtime,
                monotonic,
            });
        }
        actions.push(Action::Start(Start {
            unit: timer.unit.triggers.as_str().to_owned(),
            timer: name,
            at: now,
            cause,
            scheduled: scheduled.map(|s| s.0),
            random_delay: scheduled.map_or(Timespan::ZERO, |s| s.1),
        }));
        self.set_state(id, TimerState::Running, actions);
    }

    fn disarm(&mut self, id: u32) {
        let Some(timer) = self.timers[id as usize].as_mut() else {
            return;
        };
        for (clock, armed) in timer.armed.iter_mut().filter_map(Option::take) {
            match clock {
                ClockId::Realtime => self.realtime.disarm(armed),
                ClockId::Monotonic => self.monotonic.disarm(armed),
                ClockId::Boottime => self.boottime.disarm(armed),
            }
        }
    }

    /// The one place a timer's state changes, so that every change is reported.
    fn set_state(&mut self, id: u32, state: TimerState, actions: &mut Vec<Action>) {
        let timer = self.timer_mut(id);
        let from = timer.state.sub();
        let to = state.sub();
        timer.state = state;
        if from != to {
            actions.push(Action::StateChanged {
                timer: timer.name().to_owned(),
                from,
                to,
            });
        }
    }
}

/// A timer's next elapse, the earlier of its calendar and its monotonic
/// one (the latter in wall time), and what it comes from.
fn next_elapse<'t>(
    timer: &'t Timer,
    now: &ClockSnapshot,
) -> (Option<Timestamp>, Option<&'t Cause>) {
    let (realtime, monotonic) = match &timer.state {
        TimerState::Waiting(w) => (w.realtime.as_ref(), w.monotonic.as_ref()),
        _ => (None, None),
    };
    let next_realtime = realtime.map(|p| Timestamp::from_usec(p.at as i64));
    let mono_wall = monotonic.map(|p| now.realtime_of(p.clock, p.at as i64));
    match (next_realtime, mono_wall) {
        (Some(r), Some(m)) if m < r => (Some(m), monotonic.map(|p| &p.cause)),
        (Some(r), _) => (Some(r), realtime.map(|p| &p.cause)),
        (None, Some(m)) => (Some(m), monotonic.map(|p| &p.cause)),
        (None, None) => (None, None),
    }
}

fn info(timer: &Timer, now: &ClockSnapshot) -> TimerInfo {
    let (realtime, monotonic) = match &timer.state {
        TimerState::Waiting(w) => (w.realtime.as_ref(), w.monotonic.as_ref()),
        _ => (None, None),
    };
    let next_realtime = realtime.map(|p| Timestamp::from_usec(p.at as i64));
    let (next, next_cause) = next_elapse(timer, now);
    let next_cause = next_cause.cloned();
    let last = timer.last_trigger;
    TimerInfo {
        timer: timer.name().to_owned(),
        activates: timer.unit.triggers.as_str().to_owned(),
        state: timer.state.sub(),
        next,
        left: next.map(|n| n.saturating_since(now.realtime)),
        last: last.map(|l| l.realtime),
        passed: last.map(|l| match l.monotonic {
            Some(m) => now.monotonic.saturating_since(m.monotonic),
            None => now.realtime.saturating_since(l.realtime),
        }),
        next_realtime,
        next_monotonic: monotonic.map(|p| (p.clock, p.at)),
        next_cause,
    }
}
