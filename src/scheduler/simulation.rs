//! Running the scheduler through simulated time: the engine of `sundial
//! simulate` and of the scheduler's tests.
//!
//! Services are modelled as running for a fixed time after each start; a
//! start while the service still runs is a no-op, as systemd's start job is.

use std::collections::BTreeMap;

use sundial_calendar::{Timespan, Timestamp};

use super::clock::{Clock, ClockSnapshot, ManualClock};
use super::persistent::{MemoryStamps, StampStore};
use super::random::{HostIdentity, SeededDraws};
use super::SchedulerConfig;
use super::{Action, Event, Scheduler, Start};
use crate::unit::TimerUnit;
use std::sync::Arc;

/// A start in the simulation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SimStart {
    /// What the scheduler asked for.
    pub start: Start,
    /// Whether the service was still running from an earlier start, so that
    /// the start changed nothing.
    pub already_running: bool,
}

/// A scheduler, a manual clock and services that take `run_time`.
#[derive(Debug)]
pub struct Simulation {
    /// The scheduler under simulation.
    pub scheduler: Scheduler,
    /// Simulated time.
    pub clock: ManualClock,
    /// How long each started service runs.
    pub run_time: Timespan,
    /// Services running, with the wall-clock time they finish.
    running: BTreeMap<String, Timestamp>,
    /// Every action the scheduler returned, in order.
    pub actions: Vec<Action>,
    /// [`Simulation::run_until`] stops after this many starts: a timer that
    /// fires again as soon as its service ends would otherwise never let
    /// simulated time pass (systemd stops it with the start limit).
    pub max_starts: usize,
}

impl Simulation {
    /// A simulation starting at `now`.
    pub fn new(scheduler: Scheduler, now: ClockSnapshot, run_time: Timespan) -> Simulation {
        Simulation {
            scheduler,
            clock: ManualClock::new(now),
            run_time,
            running: BTreeMap::new(),
            actions: Vec::new(),
            max_starts: 100_000,
        }
    }

    /// Sends one event at the current time and plays out its actions.
    pub fn send(&mut self, event: Event, stamps: &mut dyn StampStore) -> Vec<SimStart> {
        let now = self.clock.now();
        let actions = self.scheduler.handle(now, event);
        self.play(actions, stamps)
    }

    /// Lets time run until the wall clock reads `until`, firing timers and
    /// finishing services on the way. Returns the starts, in order.
    pub fn run_until(&mut self, until: Timestamp, stamps: &mut dyn StampStore) -> Vec<SimStart> {
        let mut starts = Vec::new();
        while starts.len() < self.max_starts {
            let now = self.clock.now();
            let wake = self.scheduler.wakeups().earliest_realtime(&now);
            let finish = self.running.values().min().copied();
            let Some(next) = [wake, finish].into_iter().flatten().min() else {
                break;
            };
            if next > until {
                break;
            }
            let now = self.clock.advance_to(next);
            let finished: Vec<String> = self
                .running
                .iter()
                .filter(|(_, end)| **end <= now.realtime)
                .map(|(unit, _)| unit.clone())
                .collect();
            for unit in finished {
                self.running.remove(&unit);
                let event = Event::UnitChanged {
                    unit,
                    active: false,
                };
                starts.extend(self.send(event, stamps));
            }
            let actions = self.scheduler.advance(now);
            starts.extend(self.play(actions, stamps));
            if wake.is_some_and(|w| w <= now.realtime)
                && self.scheduler.wakeups().earliest_realtime(&now) == wake
            {
                // A wake-up that fired nothing and stays put would repeat
                // forever; let a microsecond pass.
                self.clock.advance(Timespan::from_usec(1));
            }
        }
        self.clock.advance_to(until);
        starts
    }

    fn play(&mut self, actions: Vec<Action>, stamps: &mut dyn StampStore) -> Vec<SimStart> {
        let mut starts = Vec::new();
        for action in actions {
            self.actions.push(action.clone());
            match action {
                Action::WriteStamp { timer, at, .. } => stamps.store(&timer, at),
                Action::Start(start) => {
                    let already_running = self.running.contains_key(&start.unit);
                    let unit = start.unit.clone();
                    starts.push(SimStart {
                        start,
                        already_running,
                    });
                    if already_running {
                        continue;
                    }
                    let now = self.clock.now();
                    let event = Event::UnitChanged {
                        unit: unit.clone(),
                        active: true,
                    };
                    let follow = self.scheduler.handle(now, event);
                    starts.extend(self.play(follow, stamps));
                    if self.run_time.is_zero() {
                        let event = Event::UnitChanged {
                            unit,
                            active: false,
                        };
                        let follow = self.scheduler.handle(now, event);
                        starts.extend(self.play(follow, stamps));
                    } else {
                        self.running.insert(unit, now.realtime + self.run_time);
                    }
                }
                Action::Warn { .. } | Action::StateChanged { .. } => {}
            }
        }
        starts
    }
}
/// The simulated window: the boot, the window, how long services run.
#[derive(Debug, Clone, Copy)]
pub struct Window {
    pub boot: Timestamp,
    pub from: Timestamp,
    pub until: Timestamp,
    pub run_time: Timespan,
}

/// Every start `timers` cause in `window`: the daemon starting at `from`
/// with these timers, each started, on a manual clock.
pub fn simulate_window(
    timers: &[Arc<TimerUnit>],
    window: Window,
    zone: &sundial_calendar::Zone,
    host: HostIdentity,
    seed: u64,
) -> Vec<SimStart> {
    let now = ClockSnapshot::booted_at(window.boot, window.from.saturating_since(window.boot));
    let scheduler = Scheduler::new(
        SchedulerConfig {
            host,
            zone: zone.clone(),
            startup: now,
            in_container: false,
            tick_usec: 1,
        },
        // Each delay a hash of the seed, the timer and the elapse: a shared
        // stream of draws made one timer's delays depend on the others.
        Box::new(SeededDraws::new(seed)),
    );
    let mut sim = Simulation::new(scheduler, now, window.run_time);
    let mut stamps = MemoryStamps::new();
    let mut starts = Vec::new();
    for timer in timers {
        sim.send(Event::Load(timer.clone()), &mut stamps);
    }
    for timer in timers {
        let event = Event::Start {
            timer: timer.name.as_str().to_owned(),
            stamp: None,
            boot_stamp: None,
            resume: None,
        };
        starts.extend(sim.send(event, &mut stamps));
    }
    starts.extend(sim.run_until(window.until, &mut stamps));
    starts
}
