//! Shared set-up for the scheduler tests: unit files in a temporary
//! directory, loaded by the real loader, run through simulated time.

#![allow(dead_code)]

use std::fs;
use std::sync::Arc;

use sundial::scheduler::accuracy::Perturbation;
use sundial::scheduler::clock::{Clock, ClockSnapshot};
use sundial::scheduler::persistent::MemoryStamps;
use sundial::scheduler::random::{HostIdentity, SplitMix64};
use sundial::scheduler::simulation::{SimStart, Simulation};
use sundial::scheduler::{Event, Scheduler, SchedulerConfig};
use sundial::unit::extensions::is_sundial_key;
use sundial::unit::{load_all, LoadContext, SearchPath, SpecifierContext, TimerUnit};
use sundial_calendar::zone::SystemZones;
use sundial_calendar::{timestamp, Timespan, Timestamp, Zone, ZoneSource};

pub fn zones() -> SystemZones {
    SystemZones::new(None)
}

pub fn zone(name: &str) -> Zone {
    zones().load(name).expect("zone in the tz database")
}

/// `2024-03-31 02:30` in `zone`.
pub fn at(text: &str, zone: &Zone) -> Timestamp {
    timestamp::parse(text, Timestamp::EPOCH, zone, &zones()).expect("valid timestamp")
}

pub fn fmt(t: Timestamp, zone: &Zone) -> String {
    timestamp::format(t, zone)
}

pub fn span(text: &str) -> Timespan {
    Timespan::parse(text).expect("valid timespan")
}

/// Loads `files` (name, contents) with the real loader; returns the timers
/// (sundial's `X-Sundial-…` settings included).
pub fn load(files: &[(&str, &str)], zone: &Zone) -> Vec<TimerUnit> {
    let dir = tempfile::tempdir().expect("temp dir");
    for (name, text) in files {
        fs::write(dir.path().join(name), text).expect("write unit");
    }
    let zones = zones();
    let cx = LoadContext {
        search_path: SearchPath::build(&[dir.path().to_path_buf()], None, Vec::new()),
        specifiers: SpecifierContext::default(),
        local_zone: zone.clone(),
        zones: &zones,
    };
    let loaded = load_all(&cx);
    assert!(
        !loaded.has_errors(),
        "unit files load: {:?}",
        loaded.diagnostics
    );
    // A sundial setting ignored (misspelt, bad value) would make a test pass
    // for the wrong reason.
    let ignored: Vec<_> = loaded
        .diagnostics
        .iter()
        .filter(|d| d.problem.key().is_some_and(is_sundial_key))
        .collect();
    assert!(ignored.is_empty(), "{ignored:?}");
    loaded.timers().map(|t| TimerUnit::clone(t)).collect()
}

pub fn host() -> HostIdentity {
    HostIdentity {
        machine_id: *b"sundial-test-mid",
        boot_id: *b"sundial-test-bid",
        system: true,
        uid: 0,
    }
}

/// A daemon started at `start` on a machine booted at `boot`.
pub struct Sim {
    pub sim: Simulation,
    pub stamps: MemoryStamps,
    pub zone: Zone,
    pub timers: Vec<String>,
    pub units: Vec<TimerUnit>,
}

impl Sim {
    pub fn new(files: &[(&str, &str)], tz: &str, boot: &str, start: &str, run_time: &str) -> Sim {
        Sim::with_stamps(files, tz, boot, start, run_time, MemoryStamps::new(), 1)
    }

    pub fn with_stamps(
        files: &[(&str, &str)],
        tz: &str,
        boot: &str,
        start: &str,
        run_time: &str,
        stamps: MemoryStamps,
        seed: u64,
    ) -> Sim {
        let zone = zone(tz);
        let boot = at(boot, &zone);
        let start = at(start, &zone);
        let now = ClockSnapshot::booted_at(boot, start.saturating_since(boot));
        let mut scheduler = Scheduler::new(
            SchedulerConfig {
                host: host(),
                zone: zone.clone(),
                startup: now,
                in_container: false,
                tick_usec: 1,
            },
            Box::new(SplitMix64::new(seed)),
        );
        scheduler.set_perturbation(Perturbation::from_usec(0));
        let mut sim = Simulation::new(scheduler, now, span(run_time));
        let mut timers = Vec::new();
        let mut stamps = stamps;
        let units = load(files, &zone);
        for unit in units.clone() {
            timers.push(unit.name.as_str().to_owned());
            sim.send(Event::Load(Arc::new(unit)), &mut stamps);
        }
        Sim {
            sim,
            stamps,
            zone,
            timers,
            units,
        }
    }

    pub fn now(&self) -> ClockSnapshot {
        self.sim.clock.now()
    }

    /// Starts every timer, with its stamp if it has one.
    pub fn start_all(&mut self) -> Vec<SimStart> {
        let mut out = Vec::new();
        for timer in self.timers.clone() {
            let stamp = sundial::scheduler::persistent::StampStore::load(&self.stamps, &timer);
            out.extend(self.sim.send(
                Event::Start {
                    timer,
                    stamp,
                    boot_stamp: None,
                    resume: None,
                },
                &mut self.stamps,
            ));
        }
        out
    }

    pub fn send(&mut self, event: Event) -> Vec<SimStart> {
        self.sim.send(event, &mut self.stamps)
    }

    /// Starts until `until`, as "timer@time" strings in the local zone.
    pub fn run(&mut self, until: &str) -> Vec<String> {
        let until = at(until, &self.zone);
        let starts = self.sim.run_until(until, &mut self.stamps);
        self.describe(&starts)
    }

    pub fn describe(&self, starts: &[SimStart]) -> Vec<String> {
        starts
            .iter()
            .map(|s| {
                format!(
                    "{}@{}{}",
                    s.start.timer,
                    fmt(s.start.at.realtime, &self.zone),
                    if s.already_running { " (no-op)" } else { "" }
                )
            })
            .collect()
    }

    pub fn state(&self, timer: &str) -> &'static str {
        self.sim
            .scheduler
            .timer(timer)
            .expect("timer loaded")
            .state
            .name()
    }
}

/// "name@<formatted time>" for the expected side.
pub fn fired(timer: &str, times: &[&str], zone: &Zone) -> Vec<String> {
    times
        .iter()
        .map(|t| format!("{timer}@{}", fmt(at(t, zone), zone)))
        .collect()
}
