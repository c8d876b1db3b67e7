//! From the supervisor's state changes to run history and timer events.
//!
//! A run starts when a service leaves `dead`/`failed`/`auto-restart` for a
//! starting state; its row is written then (so `history` shows it in flight)
//! and completed when the service comes to rest again: `dead`, `failed`,
//! `auto-restart`, or `exited` (a oneshot with RemainAfterExit=yes, whose work
//! is done although the unit stays active). Each transition in or out of the
//! inactive states also goes to the scheduler, for `OnUnitActiveSec=` and
//! `OnUnitInactiveSec=`.

use std::collections::{HashMap, HashSet};

use sundial_calendar::Timestamp;

use super::metrics::{RunEnded, RunStarted};
use crate::activation::Activation;
use crate::store::StoreError;
use crate::store::{ExitStatus, InvocationId, NewRun, Run, RunOutcome, RunResult, Store};
use crate::supervisor::ProcessExit;
use crate::supervisor::UnitTransition;
use crate::supervisor::{ServiceResult, SubState};

/// Run bookkeeping of every service.
#[derive(Debug, Default)]
pub struct RunTracker {
    /// Services with an open run row.
    in_flight: HashMap<String, InvocationId>,
    /// Services the scheduler was told are active.
    active: HashSet<String>,
    /// The result of each service's last finished run (list-timers' RESULT),
    /// for the services that have one: read from the store in one query at
    /// the first need ([`RunTracker::results_loaded`]), then kept.
    last_result: HashMap<String, RunResult>,
    /// Whether `last_result` holds the store's results: then a unit that is
    /// not in it has none.
    results_loaded: bool,
    /// When each unit's active state last changed (status' "since").
    changed: HashMap<String, Timestamp>,
    /// Runs taken over after a daemon crash, by invocation: how their end
    /// is recorded (see [`Takeover`]).
    taken_over: HashMap<InvocationId, Takeover>,
}

/// How a run taken over after a daemon crash goes on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Takeover {
    /// Its main process was adopted: an end the daemon saw no status of is
    /// recorded as `unknown`.
    Adopted,
    /// It was cut off mid-chain and is being ended: recorded as
    /// `daemon-crash` whatever the stop's result.
    Ended,
}

/// What the owner needs to know about the transitions it handed in.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Applied {
    /// Units that became active (`true`) or inactive (`false`), in order.
    pub unit_changes: Vec<(String, bool)>,
    /// Services that ended in `failed`, with their result.
    pub failures: Vec<(String, ServiceResult)>,
    /// Store writes that failed (reported, not fatal).
    pub errors: Vec<String>,
    /// Runs whose rows were closed, for what their cgroups counted.
    pub ended: Vec<(String, InvocationId)>,
    /// Runs that began, for the metrics.
    pub run_starts: Vec<RunStarted>,
    /// Runs that ended and starts recorded without a run, for the metrics.
    pub run_ends: Vec<RunEnded>,
}

fn at_rest(s: SubState) -> bool {
    matches!(s, SubState::Dead | SubState::Failed | SubState::AutoRestart)
}

fn inactive(s: SubState) -> bool {
    matches!(s, SubState::Dead | SubState::Failed)
}

/// systemd's Result= as the store's result.
pub fn run_result(result: ServiceResult) -> RunResult {
    match result {
        ServiceResult::Success => RunResult::Success,
        ServiceResult::ExitCode => RunResult::ExitCode,
        ServiceResult::Signal => RunResult::Signal,
        ServiceResult::CoreDump => RunResult::CoreDump,
        ServiceResult::Timeout => RunResult::Timeout,
        ServiceResult::Watchdog => RunResult::Watchdog,
        ServiceResult::ExecCondition => RunResult::Skipped,
        ServiceResult::StartLimitHit => RunResult::StartLimitHit,
        ServiceResult::OomKill => RunResult::OomKill,
        // A protocol violation (no PID file, no READY=1) means the service
        // could not be brought up as configured.
        ServiceResult::Protocol | ServiceResult::Resources => RunResult::Resources,
    }
}

/// How the main process ended, as the store keeps it.
pub fn exit_status(exit: ProcessExit) -> ExitStatus {
    match exit {
        ProcessExit::Exited(code) => ExitStatus::Code(code),
        ProcessExit::Killed(s) | ProcessExit::Dumped(s) => ExitStatus::Signal(s.number()),
    }
}

/// What a [`RunTracker`] carries into the daemon's next program
/// (`daemon-reexec`): the open run rows, the units the scheduler knows are
/// active, and when units last changed state.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct RunsSnapshot {
    /// Service -> the invocation id of its open run row.
    pub in_flight: Vec<(String, String)>,
    /// Services the scheduler was told are active.
    pub active: Vec<String>,
    /// Unit -> when its active state last changed (realtime µs).
    pub changed: Vec<(String, i64)>,
    /// Runs taken over after a crash: invocation id -> adopted (`true`) or
    /// being ended.
    #[serde(default)]
    pub taken_over: Vec<(String, bool)>,
}

impl RunTracker {
    /// The bookkeeping a re-executed daemon goes on with. Nothing is
    /// pending then: no start job is queued.
    pub fn snapshot(&self) -> RunsSnapshot {
        let mut snapshot = RunsSnapshot {
            in_flight: self
                .in_flight
                .iter()
                .map(|(u, i)| (u.clone(), i.to_string()))
                .collect(),
            active: self.active.iter().cloned().collect(),
            changed: self
                .changed
                .iter()
                .map(|(u, t)| (u.clone(), t.as_usec()))
                .collect(),
            taken_over: self
                .taken_over
                .iter()
                .map(|(i, how)| (i.to_string(), *how == Takeover::Adopted))
                .collect(),
        };
        snapshot.taken_over.sort();
        snapshot.in_flight.sort();
        snapshot.active.sort();
        snapshot.changed.sort();
        snapshot
    }

    /// The tracker of a re-executed daemon; the last results are read from
    /// the store again when asked.
    pub fn restore(snapshot: &RunsSnapshot) -> RunTracker {
        RunTracker {
            in_flight: snapshot
                .in_flight
                .iter()
                .filter_map(|(u, i)| Some((u.clone(), i.parse().ok()?)))
                .collect(),
            active: snapshot.active.iter().cloned().collect(),
            changed: snapshot
                .changed
                .iter()
                .map(|(u, t)| (u.clone(), Timestamp::from_usec(*t)))
                .collect(),
            taken_over: snapshot
                .taken_over
                .iter()
                .filter_map(|(i, adopted)| {
                    let how = if *adopted {
                        Takeover::Adopted
                    } else {
                        Takeover::Ended
                    };
                    Some((i.parse().ok()?, how))
                })
                .collect(),
            ..RunTracker::default()
        }
    }

    /// The result of the last finished run of `unit`: `None` when the
    /// store's results are not loaded yet ([`RunTracker::load_results`]),
    /// `Some(None)` when it is known that there is none.
    pub fn last_result(&self, unit: &str) -> Option<Option<RunResult>> {
        match self.last_result.get(unit) {
            Some(result) => Some(Some(*result)),
            None if self.results_loaded => Some(None),
            None => None,
        }
    }

    /// Whether the store's last results were loaded.
    pub fn results_loaded(&self) -> bool {
        self.results_loaded
    }

    /// Takes the last result of every unit from the store (one query's
    /// answer); a run that ended since the daemon started is newer and kept.
    pub fn load_results(&mut self, results: impl IntoIterator<Item = (String, RunResult)>) {
        for (unit, result) in results {
            self.last_result.entry(unit).or_insert(result);
        }
        self.last_result.shrink_to_fit();
        self.results_loaded = true;
    }

    /// When `unit` last changed between active and inactive.
    pub fn state_change(&self, unit: &str) -> Option<Timestamp> {
        self.changed.get(unit).copied()
    }

    /// Forgets everything about a unit that is gone for good (a transient
    /// unit that is done); its rows stay in the store.
    pub fn forget(&mut self, unit: &str) {
        self.active.remove(unit);
        self.last_result.remove(unit);
        self.changed.remove(unit);
    }

    /// Notes a state change of a unit that is not a service (a timer).
    pub fn touch(&mut self, unit: &str, now: Timestamp) {
        self.changed.insert(unit.to_owned(), now);
    }

    /// Records a start that never became a run (a Condition*= that failed).
    pub fn skipped(
        &mut self,
        unit: &str,
        activation: &Activation,
        now: Timestamp,
        store: &mut Store,
    ) -> Result<(), StoreError> {
        let run = NewRun {
            unit,
            invocation: fresh_invocation(),
            trigger: activation,
            start: now,
        };
        let outcome = RunOutcome {
            result: RunResult::Skipped,
            status: None,
        };
        self.last_result.insert(unit.to_owned(), RunResult::Skipped);
        store.record_run(&run, now, outcome).map(drop)
    }

    /// Applies a batch of transitions, in order. `time_of` gives the wall
    /// time of each (a run starts when its process was spawned, not when the
    /// batch is applied); `exit_of` gives a service's
    /// last main-process exit as it is now. A run's trigger is the
    /// activation its start transition carries.
    pub fn apply(
        &mut self,
        transitions: &[UnitTransition],
        time_of: &dyn Fn(&UnitTransition) -> Timestamp,
        store: &mut Store,
        exit_of: &dyn Fn(&str) -> Option<ProcessExit>,
    ) -> Applied {
        let mut applied = Applied::default();
        for (i, t) in transitions.iter().enumerate() {
            let unit = t.unit.as_str();
            let now = time_of(t);
            let (old, new) = (t.transition.old, t.transition.new);
            let later_start = transitions[i + 1..]
                .iter()
                .any(|l| l.unit == unit && at_rest(l.transition.old) && !at_rest(l.transition.new));
            if at_rest(old) && !at_rest(new) {
                let trigger = activation_of(t);
                let invocation = t
                    .invocation_id
                    .parse()
                    .unwrap_or_else(|_| fresh_invocation());
                let run = NewRun {
                    unit,
                    invocation,
                    trigger,
                    start: now,
                };
                match store.start_run(&run) {
                    Ok(_) => {
                        self.in_flight.insert(unit.to_owned(), invocation);
                    }
                    Err(e) => applied.errors.push(e.to_string()),
                }
                applied.run_starts.push(RunStarted {
                    unit: unit.to_owned(),
                    at: now,
                    timer: trigger.timer_name().map(str::to_owned),
                });
            }
            let ends = (at_rest(new) || new == SubState::Exited)
                && !at_rest(old)
                && old != SubState::Exited;
            if ends {
                if let Some(invocation) = self.in_flight.remove(unit) {
                    // The exit read now belongs to this run unless another run
                    // of the unit started later in the batch.
                    let status = (!later_start)
                        .then(|| exit_of(unit))
                        .flatten()
                        .map(exit_status);
                    let mut result = run_result(t.transition.result);
                    match self.taken_over.remove(&invocation) {
                        Some(Takeover::Ended) => result = RunResult::DaemonCrash,
                        Some(Takeover::Adopted)
                            if status.is_none() && result == RunResult::Success =>
                        {
                            result = RunResult::Unknown;
                        }
                        _ => {}
                    }
                    self.last_result.insert(unit.to_owned(), result);
                    if let Err(e) = store.finish_run(invocation, now, RunOutcome { result, status })
                    {
                        applied.errors.push(e.to_string());
                    }
                    applied.ended.push((unit.to_owned(), invocation));
                    applied.run_ends.push(RunEnded {
                        unit: unit.to_owned(),
                        at: now,
                        result,
                        status,
                        ran: true,
                    });
                }
            }
            if inactive(old) && new == SubState::Failed {
                // Failed without running (start limit, resources): one row
                // that starts and ends at once.
                let trigger = activation_of(t);
                let result = run_result(t.transition.result);
                // No invocation was made: the id still names the last run.
                let run = NewRun {
                    unit,
                    invocation: fresh_invocation(),
                    trigger,
                    start: now,
                };
                self.last_result.insert(unit.to_owned(), result);
                if let Err(e) = store.record_run(
                    &run,
                    now,
                    RunOutcome {
                        result,
                        status: None,
                    },
                ) {
                    applied.errors.push(e.to_string());
                }
                applied.run_ends.push(RunEnded {
                    unit: unit.to_owned(),
                    at: now,
                    result,
                    status: None,
                    ran: false,
                });
            }
            if new == SubState::Failed {
                applied
                    .failures
                    .push((unit.to_owned(), t.transition.result));
            }
            let active = !inactive(new);
            if active != self.active.contains(unit) {
                if active {
                    self.active.insert(unit.to_owned());
                } else {
                    self.active.remove(unit);
                }
                self.changed.insert(unit.to_owned(), now);
                applied.unit_changes.push((unit.to_owned(), active));
            }
        }
        applied
    }

    /// Goes on with a run a crashed daemon left open, taken over as
    /// `how`: its row stays open under the same invocation, the unit counts
    /// as active since the run started.
    pub fn take_over(
        &mut self,
        unit: &str,
        invocation: InvocationId,
        start: Timestamp,
        how: Takeover,
    ) {
        self.in_flight.insert(unit.to_owned(), invocation);
        self.active.insert(unit.to_owned());
        self.changed.insert(unit.to_owned(), start);
        self.taken_over.insert(invocation, how);
    }

    /// Closes a row a crashed daemon left open whose run is not carried on:
    /// `daemon-crash`, no exit status (none was seen), ended `now` (when
    /// the restarted daemon found it so; when it really ended is unknown).
    pub fn close_cut_off(store: &mut Store, run: &Run, now: Timestamp) -> Result<(), StoreError> {
        let outcome = RunOutcome {
            result: RunResult::DaemonCrash,
            status: None,
        };
        store.finish_run(run.invocation, now.max(run.start), outcome)
    }
}

/// What started the run a transition concerns. A run the supervisor has
/// no activation for (taken over from an older daemon) counts as `manual`,
/// as every run without a known trigger always has.
fn activation_of(t: &UnitTransition) -> &Activation {
    t.activation.as_ref().unwrap_or(&Activation::MANUAL)
}

/// A random invocation id for rows the supervisor gave none.
pub fn fresh_invocation() -> InvocationId {
    let mut bytes = [0u8; 16];
    if let Ok(mut f) = std::fs::File::open("/dev/urandom") {
        use std::io::Read;
        let _ = f.read_exact(&mut bytes);
    }
    InvocationId::from_bytes(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::supervisor::Transition;

    fn t(
        unit: &str,
        inv: u128,
        old: SubState,
        new: SubState,
        result: ServiceResult,
    ) -> UnitTransition {
        UnitTransition {
            unit: unit.into(),
            invocation_id: format!("{inv:032x}"),
            transition: Transition { old, new, result },
            activation: None,
            at: std::time::Instant::now(),
        }
    }

    fn activated(mut t: UnitTransition, activation: Activation) -> UnitTransition {
        t.activation = Some(activation);
        t
    }

    fn store() -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path().join("state.db")).unwrap();
        (dir, store)
    }

    #[test]
    fn a_run_is_written_at_start_and_completed_at_the_end() {
        let (_dir, mut store) = store();
        let mut runs = RunTracker::default();
        let exit = |_: &str| Some(ProcessExit::Exited(3));
        let applied = runs.apply(
            &[activated(
                t(
                    "a.service",
                    7,
                    SubState::Dead,
                    SubState::Start,
                    ServiceResult::Success,
                ),
                Activation::timer("a.timer", 1, 2),
            )],
            &|_: &UnitTransition| Timestamp::from_secs(10),
            &mut store,
            &exit,
        );
        assert_eq!(applied.unit_changes, [("a.service".to_owned(), true)]);
        let open = store.in_flight_runs().unwrap();
        assert_eq!(open.len(), 1);
        assert_eq!(open[0].trigger.label(), "timer:a.timer");
        let applied = runs.apply(
            &[t(
                "a.service",
                7,
                SubState::Start,
                SubState::Failed,
                ServiceResult::ExitCode,
            )],
            &|_: &UnitTransition| Timestamp::from_secs(12),
            &mut store,
            &exit,
        );
        assert_eq!(applied.unit_changes, [("a.service".to_owned(), false)]);
        assert_eq!(applied.failures.len(), 1);
        let run = store.last_run("a.service").unwrap().unwrap();
        assert_eq!(run.end, Some(Timestamp::from_secs(12)));
        let outcome = run.outcome.unwrap();
        assert_eq!(outcome.result, RunResult::ExitCode);
        assert_eq!(outcome.status, Some(ExitStatus::Code(3)));
        assert_eq!(
            runs.last_result("a.service"),
            Some(Some(RunResult::ExitCode))
        );
    }

    #[test]
    fn each_run_starts_at_its_own_transition_time() {
        let (_dir, mut store) = store();
        let mut runs = RunTracker::default();
        let exit = |_: &str| None;
        // One batch of starts, as after a burst: each has its own time.
        let batch: Vec<UnitTransition> = (0..3)
            .map(|i| {
                t(
                    &format!("b{i}.service"),
                    i,
                    SubState::Dead,
                    SubState::Start,
                    ServiceResult::Success,
                )
            })
            .collect();
        let time_of = |t: &UnitTransition| {
            let i: i64 = t.unit[1..2].parse().unwrap();
            Timestamp::from_usec(1_000_000 + i * 700)
        };
        runs.apply(&batch, &time_of, &mut store, &exit);
        let mut starts: Vec<(String, i64)> = store
            .in_flight_runs()
            .unwrap()
            .into_iter()
            .map(|r| (r.unit, r.start.as_usec()))
            .collect();
        starts.sort();
        assert_eq!(
            starts,
            [
                ("b0.service".to_owned(), 1_000_000),
                ("b1.service".to_owned(), 1_000_700),
                ("b2.service".to_owned(), 1_001_400)
            ]
        );
    }

    #[test]
    fn restarts_are_new_runs_and_oneshots_end_at_exited() {
        let (_dir, mut store) = store();
        let mut runs = RunTracker::default();
        let exit = |_: &str| Some(ProcessExit::Exited(0));
        let batch = [
            t(
                "r.service",
                1,
                SubState::Dead,
                SubState::Running,
                ServiceResult::Success,
            ),
            t(
                "r.service",
                1,
                SubState::Running,
                SubState::AutoRestart,
                ServiceResult::ExitCode,
            ),
            activated(
                t(
                    "r.service",
                    2,
                    SubState::AutoRestart,
                    SubState::Running,
                    ServiceResult::Success,
                ),
                Activation::MANUAL.restarted(),
            ),
            t(
                "o.service",
                3,
                SubState::Dead,
                SubState::Start,
                ServiceResult::Success,
            ),
            t(
                "o.service",
                3,
                SubState::Start,
                SubState::Exited,
                ServiceResult::Success,
            ),
            t(
                "o.service",
                3,
                SubState::Exited,
                SubState::Stop,
                ServiceResult::Success,
            ),
            t(
                "o.service",
                3,
                SubState::Stop,
                SubState::Dead,
                ServiceResult::Success,
            ),
        ];
        let applied = runs.apply(
            &batch,
            &|_: &UnitTransition| Timestamp::from_secs(1),
            &mut store,
            &exit,
        );
        let r = store.history(Some("r.service"), 10).unwrap();
        assert_eq!(r.len(), 2);
        assert_eq!(r[0].trigger.label(), "restart");
        assert_eq!(r[1].trigger.label(), "manual");
        assert_eq!(r[0].end, None);
        // The first run's status is not read: a later run of the unit owns it now.
        assert_eq!(r[1].outcome.unwrap().status, None);
        let o = store.history(Some("o.service"), 10).unwrap();
        assert_eq!(o.len(), 1);
        assert_eq!(o[0].outcome.unwrap().result, RunResult::Success);
        // auto-restart counts as active for the scheduler, as in systemd.
        assert_eq!(
            applied.unit_changes,
            [
                ("r.service".to_owned(), true),
                ("o.service".to_owned(), true),
                ("o.service".to_owned(), false)
            ]
        );
    }

    #[test]
    fn failing_without_a_run_and_skips_leave_one_row() {
        let (_dir, mut store) = store();
        let mut runs = RunTracker::default();
        let exit = |_: &str| None;
        runs.apply(
            &[t(
                "l.service",
                9,
                SubState::Dead,
                SubState::Failed,
                ServiceResult::StartLimitHit,
            )],
            &|_: &UnitTransition| Timestamp::from_secs(1),
            &mut store,
            &exit,
        );
        let timer = Activation::timer("c.timer", 1, 2);
        runs.skipped("c.service", &timer, Timestamp::from_secs(2), &mut store)
            .unwrap();
        let all = store.history(None, 10).unwrap();
        assert_eq!(all.len(), 2);
        assert_eq!(all[0].trigger.label(), "timer:c.timer");
        assert!(all.iter().all(|r| r.end.is_some()));
        assert_eq!(
            runs.last_result("l.service"),
            Some(Some(RunResult::StartLimitHit))
        );
        assert_eq!(
            runs.last_result("c.service"),
            Some(Some(RunResult::Skipped))
        );
    }

    #[test]
    fn rows_left_open_by_a_crash_are_closed_without_made_up_data() {
        let (_dir, mut store) = store();
        let trigger = Activation::MANUAL;
        store
            .start_run(&NewRun {
                unit: "x.service",
                invocation: InvocationId::from_u128(5),
                trigger: &trigger,
                start: Timestamp::from_secs(5),
            })
            .unwrap();
        let open = store.in_flight_runs().unwrap();
        RunTracker::close_cut_off(&mut store, &open[0], Timestamp::from_secs(9)).unwrap();
        assert!(store.in_flight_runs().unwrap().is_empty());
        let run = store.last_run("x.service").unwrap().unwrap();
        assert_eq!(
            run.outcome,
            Some(RunOutcome {
                result: RunResult::DaemonCrash,
                status: None
            })
        );
        // Closed once: a second close finds no run in flight.
        assert!(RunTracker::close_cut_off(&mut store, &open[0], Timestamp::from_secs(9)).is_err());
    }

    #[test]
    fn taken_over_runs_go_on_and_end_as_unknown_or_cut_off() {
        let (_dir, mut store) = store();
        let no_exit = |_: &str| None;
        let mut runs = RunTracker::default();
        for (unit, inv) in [("a.service", 1u128), ("e.service", 2), ("k.service", 3)] {
            store
                .start_run(&NewRun {
                    unit,
                    invocation: InvocationId::from_u128(inv),
                    trigger: &Activation::MANUAL,
                    start: Timestamp::from_secs(1),
                })
                .unwrap();
        }
        runs.take_over(
            "a.service",
            InvocationId::from_u128(1),
            Timestamp::from_secs(1),
            Takeover::Adopted,
        );
        runs.take_over(
            "e.service",
            InvocationId::from_u128(2),
            Timestamp::from_secs(1),
            Takeover::Ended,
        );
        runs.take_over(
            "k.service",
            InvocationId::from_u128(3),
            Timestamp::from_secs(1),
            Takeover::Adopted,
        );
        assert_eq!(
            runs.state_change("a.service"),
            Some(Timestamp::from_secs(1))
        );
        let batch = [
            t(
                "a.service",
                1,
                SubState::Running,
                SubState::Dead,
                ServiceResult::Success,
            ),
            t(
                "e.service",
                2,
                SubState::StopSigterm,
                SubState::Dead,
                ServiceResult::Success,
            ),
            // A failure the daemon saw (RuntimeMaxSec=) stays what it is.
            t(
                "k.service",
                3,
                SubState::Running,
                SubState::Failed,
                ServiceResult::Timeout,
            ),
        ];
        let nine = |_: &UnitTransition| Timestamp::from_secs(9);
        let applied = runs.apply(&batch, &nine, &mut store, &no_exit);
        // No new row: the same invocations ended.
        assert_eq!(store.history(None, 10).unwrap().len(), 3);
        let result = |u: &str| store.last_run(u).unwrap().unwrap().outcome.unwrap();
        assert_eq!(result("a.service").result, RunResult::Unknown);
        assert_eq!(result("a.service").status, None);
        assert_eq!(result("e.service").result, RunResult::DaemonCrash);
        assert_eq!(result("k.service").result, RunResult::Timeout);
        assert_eq!(applied.unit_changes.len(), 3);
    }
}
