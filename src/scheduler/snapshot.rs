//! The timers' state written down for `daemon-reexec` and put back in the
//! new program: each timer's state, last trigger, start and one-shot flags,
//! and when the units they trigger last changed. Readings of the monotonic
//! clocks stay valid, as the boot is the same; the next elapses are
//! computed again from them, as systemd does when it comes back.

use serde::{Deserialize, Serialize};
use sundial_calendar::Timestamp;

use super::clock::{Boottime, ClockSnapshot, Monotonic};
use super::timer::{Activated, Disabled, UnitTimes};
use super::timer_state::{FailureReason, LastTrigger, TimerState};
use super::{Action, Scheduler};

/// The three clocks at one instant, µs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClockRecord {
    /// CLOCK_REALTIME.
    pub realtime: i64,
    /// CLOCK_MONOTONIC.
    pub monotonic: u64,
    /// CLOCK_BOOTTIME.
    pub boottime: u64,
}

impl From<ClockSnapshot> for ClockRecord {
    fn from(s: ClockSnapshot) -> ClockRecord {
        ClockRecord {
            realtime: s.realtime.as_usec(),
            monotonic: s.monotonic.as_usec(),
            boottime: s.boottime.as_usec(),
        }
    }
}

impl From<ClockRecord> for ClockSnapshot {
    fn from(r: ClockRecord) -> ClockSnapshot {
        ClockSnapshot {
            realtime: Timestamp::from_usec(r.realtime),
            monotonic: Monotonic::from_usec(r.monotonic),
            boottime: Boottime::from_usec(r.boottime),
        }
    }
}

/// A timer's sub-state; a waiting timer's elapses are computed again.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum StateRecord {
    /// `dead`.
    Dead,
    /// `waiting`.
    Waiting,
    /// `running`.
    Running,
    /// `elapsed`.
    Elapsed,
    /// `failed` (resources).
    FailedResources,
    /// `failed` (start-limit-hit).
    FailedStartLimit,
}

/// One timer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TimerSnapshot {
    /// Its name.
    pub name: String,
    /// Its state.
    pub state: StateRecord,
    /// Its last trigger.
    pub last_trigger: Option<LastTriggerRecord>,
    /// When it was started: at these readings, or resumed (wall clock of
    /// the restart, first start on CLOCK_MONOTONIC and CLOCK_BOOTTIME).
    pub activated: Option<ActivatedRecord>,
    /// Per trigger value: disabled by the one-shot rule.
    pub disabled: Vec<bool>,
}

/// [`LastTrigger`] written down.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct LastTriggerRecord {
    /// The wall clock.
    pub realtime: i64,
    /// The clocks, when it happened in this boot.
    pub monotonic: Option<ClockRecord>,
    /// For a loaded stamp: where it lies on this boot's CLOCK_MONOTONIC
    /// and CLOCK_BOOTTIME.
    pub mapped: Option<(i64, i64)>,
}

/// [`Activated`] written down.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ActivatedRecord {
    /// Started at these readings.
    At(ClockRecord),
    /// Started again, first started earlier.
    Resumed {
        /// The wall clock at the restart.
        realtime: i64,
        /// The first start on CLOCK_MONOTONIC.
        monotonic: i64,
        /// The first start on CLOCK_BOOTTIME.
        boottime: i64,
    },
}

/// When a unit that timers trigger last changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnitTimesRecord {
    /// The unit.
    pub unit: String,
    /// Whether it is active.
    pub active: bool,
    /// When it last left the inactive state.
    pub inactive_exit: Option<ClockRecord>,
    /// When it last entered it.
    pub inactive_enter: Option<ClockRecord>,
}

/// The scheduler.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SchedulerSnapshot {
    /// Every timer.
    pub timers: Vec<TimerSnapshot>,
    /// The triggered units' times.
    pub units: Vec<UnitTimesRecord>,
}

impl Scheduler {
    /// The timers' state written down.
    pub fn snapshot(&self) -> SchedulerSnapshot {
        let mut timers: Vec<TimerSnapshot> = self
            .timers()
            .map(|t| TimerSnapshot {
                name: t.name().to_owned(),
                state: match &t.state {
                    TimerState::Dead => StateRecord::Dead,
                    TimerState::Waiting(_) => StateRecord::Waiting,
                    TimerState::Running => StateRecord::Running,
                    TimerState::Elapsed => StateRecord::Elapsed,
                    TimerState::Failed(FailureReason::Resources) => StateRecord::FailedResources,
                    TimerState::Failed(FailureReason::StartLimitHit) => {
                        StateRecord::FailedStartLimit
                    }
                },
                last_trigger: t.last_trigger.map(|l| LastTriggerRecord {
                    realtime: l.realtime.as_usec(),
                    monotonic: l.monotonic.map(Into::into),
                    mapped: l.mapped,
                }),
                activated: t.activated.map(|a| match a {
                    Activated::At(s) => ActivatedRecord::At(s.into()),
                    Activated::Resumed {
                        realtime,
                        monotonic,
                        boottime,
                    } => ActivatedRecord::Resumed {
                        realtime: realtime.as_usec(),
                        monotonic,
                        boottime,
                    },
                }),
                disabled: t.disabled.to_flags(t.unit.timer.triggers.len()),
            })
            .collect();
        timers.sort_by(|a, b| a.name.cmp(&b.name));
        let mut units: Vec<UnitTimesRecord> = self
            .units
            .iter()
            .map(|(unit, t)| UnitTimesRecord {
                unit: unit.clone(),
                active: t.active,
                inactive_exit: t.inactive_exit.map(Into::into),
                inactive_enter: t.inactive_enter.map(Into::into),
            })
            .collect();
        units.sort_by(|a, b| a.unit.cmp(&b.unit));
        SchedulerSnapshot { timers, units }
    }

    /// Puts the timers of `snapshot` back (those still loaded: load them
    /// first) and computes the next elapses of the waiting ones; an elapse
    /// that passed in between fires, as the actions say.
    pub fn restore(&mut self, now: ClockSnapshot, snapshot: &SchedulerSnapshot) -> Vec<Action> {
        for u in &snapshot.units {
            self.units.insert(
                u.unit.clone(),
                UnitTimes {
                    active: u.active,
                    inactive_exit: u.inactive_exit.map(Into::into),
                    inactive_enter: u.inactive_enter.map(Into::into),
                },
            );
        }
        let mut actions = Vec::new();
        for t in &snapshot.timers {
            let Some(id) = self.by_name.get(t.name.as_str()).copied() else {
                continue;
            };
            let timer = self.timer_mut(id);
            timer.last_trigger = t.last_trigger.map(|l| LastTrigger {
                realtime: Timestamp::from_usec(l.realtime),
                monotonic: l.monotonic.map(Into::into),
                mapped: l.mapped,
            });
            timer.activated = t.activated.map(|a| match a {
                ActivatedRecord::At(r) => Activated::At(r.into()),
                ActivatedRecord::Resumed {
                    realtime,
                    monotonic,
                    boottime,
                } => Activated::Resumed {
                    realtime: Timestamp::from_usec(realtime),
                    monotonic,
                    boottime,
                },
            });
            // A changed unit file has other trigger values: they start anew.
            if t.disabled.len() == timer.unit.timer.triggers.len() {
                timer.disabled = Disabled::from_flags(&t.disabled);
            }
            match t.state {
                StateRecord::Dead => {}
                StateRecord::Waiting | StateRecord::Elapsed => {
                    self.enter_waiting(id, now, false, &mut actions)
                }
                StateRecord::Running => self.set_state(id, TimerState::Running, &mut actions),
                StateRecord::FailedResources => self.set_state(
                    id,
                    TimerState::Failed(FailureReason::Resources),
                    &mut actions,
                ),
                StateRecord::FailedStartLimit => self.set_state(
                    id,
                    TimerState::Failed(FailureReason::StartLimitHit),
                    &mut actions,
                ),
            }
        }
        actions
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::scheduler::random::{HostIdentity, SplitMix64};
    use crate::scheduler::{Event, SchedulerConfig};
    use crate::unit::{load_all, LoadContext, SearchPath, SpecifierContext, TimerUnit};
    use sundial_calendar::zone::SystemZones;
    use sundial_calendar::{Timespan, Zone};

    fn timers(files: &[(&str, &str)]) -> Vec<Arc<TimerUnit>> {
        let dir = tempfile::tempdir().unwrap();
        for (name, text) in files {
            std::fs::write(dir.path().join(name), text).unwrap();
        }
        let zones = SystemZones::new(None);
        let cx = LoadContext {
            search_path: SearchPath::build(&[dir.path().to_path_buf()], None, Vec::new()),
            specifiers: SpecifierContext::default(),
            local_zone: Zone::utc(),
            zones: &zones,
        };
        load_all(&cx).timers().cloned().collect()
    }

    fn scheduler(startup: ClockSnapshot) -> Scheduler {
        Scheduler::new(
            SchedulerConfig {
                host: HostIdentity::default(),
                zone: Zone::utc(),
                startup,
                in_container: false,
                tick_usec: 1,
            },
            Box::new(SplitMix64::new(7)),
        )
    }

    #[test]
    fn a_restored_scheduler_keeps_last_triggers_starts_and_next_elapses() {
        let units = timers(&[
            (
                "a.timer",
                "[Timer]\nOnActiveSec=1h\nOnUnitActiveSec=10min\nOnCalendar=*-*-* 12:00\n",
            ),
            ("a.service", "[Service]\nExecStart=/bin/true\n"),
            ("idle.timer", "[Timer]\nOnActiveSec=1h\n"),
            ("idle.service", "[Service]\nExecStart=/bin/true\n"),
        ]);
        let t0 = ClockSnapshot::booted_at(
            Timestamp::from_secs(1_700_000_000),
            Timespan::from_secs(600),
        );
        let later = |secs| ClockSnapshot {
            realtime: t0.realtime + Timespan::from_secs(secs),
            monotonic: t0.monotonic + Timespan::from_secs(secs),
            boottime: t0.boottime + Timespan::from_secs(secs),
        };
        let mut old = scheduler(t0);
        for u in &units {
            old.handle(t0, Event::Load(Arc::clone(u)));
        }
        old.handle(
            t0,
            Event::Start {
                timer: "a.timer".into(),
                stamp: None,
                boot_stamp: None,
                resume: None,
            },
        );
        old.handle(
            later(300),
            Event::UnitChanged {
                unit: "a.service".into(),
                active: true,
            },
        );
        let snapshot = old.snapshot();
        let json = serde_json::to_string(&snapshot).unwrap();
        let snapshot: SchedulerSnapshot = serde_json::from_str(&json).unwrap();

        let now = later(360);
        let mut new = scheduler(t0);
        for u in &units {
            new.handle(now, Event::Load(Arc::clone(u)));
        }
        new.restore(now, &snapshot);
        let rows = |s: &Scheduler| {
            s.list(now)
                .into_iter()
                .map(|r| (r.timer, r.state, r.next, r.last))
                .collect::<Vec<_>>()
        };
        assert_eq!(rows(&new), rows(&old));
        // OnUnitActiveSec= counts from the unit's activation before the exec.
        assert_eq!(new.list(now)[0].next, Some(later(900).realtime));
        assert_eq!(new.timer("idle.timer").unwrap().state, TimerState::Dead);
    }
}
