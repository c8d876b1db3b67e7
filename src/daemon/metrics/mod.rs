//! What the daemon counts for Prometheus (`--metrics-listen`): per unit its
//! runs, results, times and durations; per timer its elapses and lateness;
//! the daemon's own figures. The event loop records into [`Metrics`] as runs
//! start and end; a scrape takes a [`Snapshot`] (a few pointer copies, and
//! the timers' schedule read a slice per loop turn: [`Gathering`]) and
//! renders it off the loop
//! ([`exposition::render`]), served by [`server`].

mod chunked;
pub mod exposition;
mod histogram;
pub mod server;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use sundial_calendar::Timestamp;

use super::backlog::Cursor;
use crate::scheduler::clock::ClockSnapshot;
use crate::scheduler::Scheduler;
use crate::store::{ExitStatus, RunResult};
use crate::unit::TimerUnit;

use chunked::Chunked;
pub use histogram::Histogram;
use histogram::{DURATION_BOUNDS, LATENESS_BOUNDS};

/// One unit's runs since the daemon started.
#[derive(Debug, Clone)]
pub struct UnitMetrics {
    /// Its name.
    pub unit: Arc<str>,
    /// Runs started, by the timer that started them (`None`: anything
    /// else: a command, a dependency, a restart not traced to a timer).
    pub started: Vec<(Option<Arc<str>>, u64)>,
    /// Runs ended (or recorded without running: skipped, start limit), by
    /// result.
    pub finished: Vec<(RunResult, u64)>,
    /// Runs in flight now.
    pub running: u32,
    /// When the last run started and ended.
    pub last_start: Option<Timestamp>,
    pub last_end: Option<Timestamp>,
    /// How the last run's main process ended.
    pub last_exit: Option<ExitStatus>,
    /// Durations of the runs that ended.
    pub durations: Histogram,
}

/// One timer's elapses since the daemon started.
#[derive(Debug, Clone)]
pub struct TimerMetrics {
    /// Its name.
    pub timer: Arc<str>,
    /// Elapses that started their unit.
    pub elapses: u64,
    /// From the due time to the start of the service (real clock only).
    pub lateness: Histogram,
}

/// A timer's schedule as a scrape sees it.
#[derive(Debug, Clone)]
pub struct TimerTimes {
    /// The timer (its name is `unit.name`).
    pub unit: Arc<TimerUnit>,
    /// Its next elapse on the wall clock, while it waits.
    pub next: Option<Timestamp>,
    /// When it last triggered.
    pub last: Option<Timestamp>,
}

/// The daemon's own figures at a scrape.
#[derive(Debug, Clone, Default)]
pub struct DaemonFigures {
    /// Units loaded from files (and crontabs).
    pub units_loaded: usize,
    /// Timers waiting for an elapse.
    pub timers_waiting: usize,
    /// Event-loop wake-ups.
    pub loop_turns: u64,
    /// The longest turn so far.
    pub longest_turn: Duration,
    /// When the daemon started.
    pub started: Option<Timestamp>,
    /// With `[cluster]`: whether this node does cluster work, and its
    /// claims by outcome.
    pub cluster: Option<ClusterFigures>,
}

/// A cluster node's figures.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ClusterFigures {
    /// Reachable and within the clock-skew bound.
    pub connected: bool,
    /// Claims won, lost to another node, and not made (the cluster down).
    pub claims: crate::daemon::cluster::ClaimCounts,
}

/// Everything a scrape renders: shares the recorded figures with the loop.
#[derive(Debug, Clone)]
pub struct Snapshot {
    pub units: Chunked<UnitMetrics>,
    pub timers: Chunked<TimerMetrics>,
    pub schedule: Vec<TimerTimes>,
    pub store_commits: Histogram,
    pub daemon: DaemonFigures,
}

/// Timers whose schedule a scrape reads per loop turn: a turn stays well
/// under a millisecond however many timers there are.
pub const SCHEDULE_PER_TURN: usize = 2048;

/// A scrape reading the timers' schedule a slice per loop turn.
#[derive(Debug)]
pub struct Gathering {
    reply: server::Scrape,
    cursor: Cursor,
    schedule: Vec<TimerTimes>,
}

impl Gathering {
    /// A scrape of `slots` timer slots ([`Scheduler::timer_slots`]).
    pub fn new(reply: server::Scrape, slots: usize) -> Gathering {
        Gathering {
            reply,
            cursor: Cursor::new(slots),
            // Once: growing it by doubling would copy it in one turn.
            schedule: Vec::with_capacity(slots),
        }
    }

    /// Reads the next slice of timers; `Err(self)` back while slices are
    /// left, `Ok` with the reply and the whole schedule when done.
    pub fn gather(
        mut self,
        scheduler: &Scheduler,
        now: &ClockSnapshot,
    ) -> Result<(server::Scrape, Vec<TimerTimes>), Gathering> {
        if let Some(slots) = self.cursor.next_slice(SCHEDULE_PER_TURN) {
            self.schedule
                .extend(scheduler.timers_in(slots).map(|t| TimerTimes {
                    unit: t.unit.clone(),
                    next: t.next_elapse(now),
                    last: t.last_trigger.as_ref().map(|l| l.realtime),
                }));
        }
        if self.cursor.is_done() {
            Ok((self.reply, self.schedule))
        } else {
            Err(self)
        }
    }
}

/// A run that began, as the run tracker saw it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunStarted {
    pub unit: String,
    pub at: Timestamp,
    /// The timer behind it, if one was.
    pub timer: Option<String>,
}

/// A run that ended, or a start recorded without a run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunEnded {
    pub unit: String,
    pub at: Timestamp,
    pub result: RunResult,
    pub status: Option<ExitStatus>,
    /// Whether a run was in flight (else nothing ran: skipped, failed to
    /// start): only those count as running and have a duration.
    pub ran: bool,
}

/// The figures the event loop records.
#[derive(Debug)]
pub struct Metrics {
    units: Chunked<UnitMetrics>,
    unit_index: HashMap<Arc<str>, usize>,
    timers: Chunked<TimerMetrics>,
    timer_index: HashMap<Arc<str>, usize>,
    store_commits: Histogram,
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics {
            units: Chunked::default(),
            unit_index: HashMap::new(),
            timers: Chunked::default(),
            timer_index: HashMap::new(),
            store_commits: Histogram::new(LATENESS_BOUNDS),
        }
    }
}

impl Metrics {
    fn unit_mut(&mut self, unit: &str) -> &mut UnitMetrics {
        let index = match self.unit_index.get(unit) {
            Some(i) => *i,
            None => {
                let name: Arc<str> = Arc::from(unit);
                let i = self.units.push(UnitMetrics {
                    unit: name.clone(),
                    started: Vec::new(),
                    finished: Vec::new(),
                    running: 0,
                    last_start: None,
                    last_end: None,
                    last_exit: None,
                    durations: Histogram::new(DURATION_BOUNDS),
                });
                self.unit_index.insert(name, i);
                i
            }
        };
        self.units.get_mut(index)
    }

    /// A run began.
    pub fn run_started(&mut self, run: &RunStarted) {
        let timer: Option<Arc<str>> =
            run.timer
                .as_deref()
                .map(|t| match self.timer_index.get_key_value(t) {
                    Some((name, _)) => name.clone(),
                    None => Arc::from(t),
                });
        let m = self.unit_mut(&run.unit);
        match m.started.iter_mut().find(|(t, _)| *t == timer) {
            Some((_, n)) => *n += 1,
            None => m.started.push((timer, 1)),
        }
        m.running += 1;
        m.last_start = Some(run.at);
    }

    /// A run ended, or a start was recorded without one.
    pub fn run_ended(&mut self, run: &RunEnded) {
        let m = self.unit_mut(&run.unit);
        match m.finished.iter_mut().find(|(r, _)| *r == run.result) {
            Some((_, n)) => *n += 1,
            None => m.finished.push((run.result, 1)),
        }
        if !run.ran {
            return;
        }
        m.running = m.running.saturating_sub(1);
        m.last_end = Some(run.at);
        m.last_exit = run.status;
        if let Some(start) = m.last_start {
            let usec = run.at.as_usec().saturating_sub(start.as_usec()).max(0);
            m.durations.observe(usec as f64 / 1e6);
        }
    }

    /// A timer elapsed and started its unit, `lateness` after its due
    /// time where that was measured.
    pub fn timer_elapsed(&mut self, timer: &str, lateness: Option<Duration>) {
        let index = match self.timer_index.get(timer) {
            Some(i) => *i,
            None => {
                let name: Arc<str> = Arc::from(timer);
                let i = self.timers.push(TimerMetrics {
                    timer: name.clone(),
                    elapses: 0,
                    lateness: Histogram::new(LATENESS_BOUNDS),
                });
                self.timer_index.insert(name, i);
                i
            }
        };
        let m = self.timers.get_mut(index);
        m.elapses += 1;
        if let Some(late) = lateness {
            m.lateness.observe(late.as_secs_f64());
        }
    }

    /// A store commit (the turn's stamps and run rows) took `took`.
    pub fn store_committed(&mut self, took: Duration) {
        self.store_commits.observe(took.as_secs_f64());
    }

    /// What a scrape renders: the recorded figures (shared, not copied)
    /// with the schedule and the daemon's figures as they are now.
    pub fn snapshot(&self, schedule: Vec<TimerTimes>, daemon: DaemonFigures) -> Snapshot {
        Snapshot {
            units: self.units.clone(),
            timers: self.timers.clone(),
            schedule,
            store_commits: self.store_commits.clone(),
            daemon,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: i64) -> Timestamp {
        Timestamp::from_usec(s * 1_000_000)
    }

    #[test]
    fn runs_count_by_timer_and_result_with_their_durations() {
        let mut m = Metrics::default();
        let start = |t: Option<&str>, s| RunStarted {
            unit: "a.service".into(),
            at: at(s),
            timer: t.map(str::to_owned),
        };
        let end = |s, result, ran| RunEnded {
            unit: "a.service".into(),
            at: at(s),
            result,
            status: Some(ExitStatus::Code(if result == RunResult::Success {
                0
            } else {
                1
            })),
            ran,
        };
        m.run_started(&start(Some("a.timer"), 10));
        m.run_ended(&end(13, RunResult::Success, true));
        m.run_started(&start(None, 20));
        let during = m.snapshot(Vec::new(), DaemonFigures::default());
        m.run_ended(&end(80, RunResult::ExitCode, true));
        m.run_ended(&end(90, RunResult::Skipped, false));
        let u = m.units.iter().next().unwrap();
        assert_eq!(u.started, [(Some(Arc::from("a.timer")), 1), (None, 1)]);
        assert_eq!(
            u.finished,
            [
                (RunResult::Success, 1),
                (RunResult::ExitCode, 1),
                (RunResult::Skipped, 1)
            ]
        );
        assert_eq!(u.running, 0);
        assert_eq!(u.durations.count(), 2);
        assert!((u.durations.sum() - 63.0).abs() < 1e-9);
        assert_eq!(u.last_exit, Some(ExitStatus::Code(1)));
        assert_eq!(u.last_end, Some(at(80)));
        // The snapshot taken mid-run still shows that moment.
        let then = during.units.iter().next().unwrap();
        assert_eq!(then.running, 1);
        assert_eq!(then.durations.count(), 1);
    }

    #[test]
    fn elapses_count_per_timer_and_lateness_only_where_measured() {
        let mut m = Metrics::default();
        m.timer_elapsed("a.timer", Some(Duration::from_micros(300)));
        m.timer_elapsed("a.timer", None);
        m.timer_elapsed("b.timer", None);
        let t: Vec<_> = m
            .timers
            .iter()
            .map(|t| (t.timer.to_string(), t.elapses, t.lateness.count()))
            .collect();
        assert_eq!(t, [("a.timer".into(), 2, 1), ("b.timer".into(), 1, 0)]);
    }
}
