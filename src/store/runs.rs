//! Run history: one row per service invocation.
//!
//! A row is written when the run starts (`end` empty, so `sundial history` and
//! `status` show it in flight) and completed when it ends. After a daemon crash,
//! rows still open are the runs that were in flight; [`Store::in_flight_runs`]
//! lists them so the daemon can adopt or settle them.

use std::fmt;
use std::str::FromStr;

use rusqlite::{params, OptionalExtension, Row};
use serde::{Deserialize, Serialize};
use sundial_calendar::Timestamp;

use crate::activation::Activation;

use super::{Result, Store, StoreError};

/// A run's identity: 128 bits as 32 lowercase hex digits, as systemd's
/// `INVOCATION_ID`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct InvocationId(u128);

impl InvocationId {
    /// The id made of these 16 bytes (the daemon fills them from the OS's
    /// random source).
    pub fn from_bytes(bytes: [u8; 16]) -> InvocationId {
        InvocationId(u128::from_be_bytes(bytes))
    }

    /// The id whose hex form is `n` in 32 digits.
    pub fn from_u128(n: u128) -> InvocationId {
        InvocationId(n)
    }

    /// The 16 bytes.
    pub fn to_bytes(self) -> [u8; 16] {
        self.0.to_be_bytes()
    }
}

impl fmt::Display for InvocationId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:032x}", self.0)
    }
}

/// Why a string is not an invocation id.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid invocation id {0:?}: expected 32 hex digits")]
pub struct InvalidInvocationId(pub String);

impl FromStr for InvocationId {
    type Err = InvalidInvocationId;

    /// Accepts 32 hex digits in either case, as `journalctl _SYSTEMD_INVOCATION_ID=`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s.len() != 32 || !s.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(InvalidInvocationId(s.to_string()));
        }
        u128::from_str_radix(s, 16)
            .map(InvocationId)
            .map_err(|_| InvalidInvocationId(s.to_string()))
    }
}

impl Serialize for InvocationId {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for InvocationId {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// The last run a timer started, from [`Store::timer_runs`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TimerRun {
    /// The timer.
    pub timer: String,
    /// The unit it started.
    pub unit: String,
    /// When the last of those runs started.
    pub last_start: Timestamp,
}

/// How a run ended, with systemd's `Result=` names, and two of sundial's own
/// for runs a daemon crash interrupted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RunResult {
    /// `success`.
    Success,
    /// `exit-code`: a non-zero exit status.
    ExitCode,
    /// `signal`: killed by a signal.
    Signal,
    /// `core-dump`: killed by a signal and dumped core.
    CoreDump,
    /// `timeout`: a TimeoutStartSec=/TimeoutStopSec=/RuntimeMaxSec= ran out.
    Timeout,
    /// `watchdog`: WatchdogSec= ran out.
    Watchdog,
    /// `start-limit-hit`: StartLimitBurst= within StartLimitIntervalSec=.
    StartLimitHit,
    /// `resources`: the run could not be set up (fork, exec, user, directory...).
    Resources,
    /// `oom-kill`: the kernel's OOM killer ended a process of the run.
    OomKill,
    /// `skipped`: a Condition...= or ExecCondition= did not hold; nothing ran.
    Skipped,
    /// `unknown` (sundial's own): the run's main process was adopted by a
    /// daemon restarted after a crash and has ended; not being its parent,
    /// the daemon could not read its exit status.
    Unknown,
    /// `daemon-crash` (sundial's own): the daemon crashed during the run and
    /// the restarted daemon did not carry it on: its processes were gone,
    /// or it was mid-way through a command chain and was ended.
    DaemonCrash,
}

impl RunResult {
    /// Every result, for tests and completions.
    pub const ALL: [RunResult; 12] = [
        RunResult::Success,
        RunResult::ExitCode,
        RunResult::Signal,
        RunResult::CoreDump,
        RunResult::Timeout,
        RunResult::Watchdog,
        RunResult::StartLimitHit,
        RunResult::Resources,
        RunResult::OomKill,
        RunResult::Skipped,
        RunResult::Unknown,
        RunResult::DaemonCrash,
    ];

    /// systemd's name.
    pub fn as_str(self) -> &'static str {
        match self {
            RunResult::Success => "success",
            RunResult::ExitCode => "exit-code",
            RunResult::Signal => "signal",
            RunResult::CoreDump => "core-dump",
            RunResult::Timeout => "timeout",
            RunResult::Watchdog => "watchdog",
            RunResult::StartLimitHit => "start-limit-hit",
            RunResult::Resources => "resources",
            RunResult::OomKill => "oom-kill",
            RunResult::Skipped => "skipped",
            RunResult::Unknown => "unknown",
            RunResult::DaemonCrash => "daemon-crash",
        }
    }
}

impl fmt::Display for RunResult {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for RunResult {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        RunResult::ALL
            .into_iter()
            .find(|r| r.as_str() == s)
            .ok_or_else(|| format!("unknown run result {s:?}"))
    }
}

/// How the main process ended, when it ran.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ExitStatus {
    /// It exited with this status.
    Code(i32),
    /// A signal killed it.
    Signal(i32),
}

/// The end of a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RunOutcome {
    /// systemd's `Result=`.
    pub result: RunResult,
    /// The main process's status; `None` when no process ran (skipped,
    /// start-limit-hit, some resources failures).
    pub status: Option<ExitStatus>,
}

/// A run as it starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewRun<'a> {
    /// The service, e.g. `backup.service`.
    pub unit: &'a str,
    /// Its invocation id.
    pub invocation: InvocationId,
    /// What started it.
    pub trigger: &'a Activation,
    /// When it started (realtime).
    pub start: Timestamp,
}

/// A row of run history.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Run {
    /// Row id; increases with each run.
    pub id: i64,
    /// The service.
    pub unit: String,
    /// Its invocation id.
    pub invocation: InvocationId,
    /// What started it.
    pub trigger: Activation,
    /// When it started.
    pub start: Timestamp,
    /// When it ended; `None` while in flight.
    pub end: Option<Timestamp>,
    /// How it ended; `None` while in flight.
    pub outcome: Option<RunOutcome>,
    /// What its cgroups counted as it ended.
    pub usage: RunUsage,
}

/// A run's peak memory and CPU time, where cgroups counted them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RunUsage {
    /// Bytes.
    pub memory_peak: Option<u64>,
    pub cpu_usec: Option<u64>,
}

const RUN_COLUMNS: &str =
    "id, unit, invocation, trigger, start_usec, end_usec, result, exit_code, \
     signal, memory_peak, cpu_usec";

/// The raw columns of a `runs` row, checked into a [`Run`] by [`Store::decode_run`].
type RawRun = (
    i64,
    String,
    String,
    String,
    i64,
    Option<i64>,
    Option<String>,
    Option<i32>,
    Option<i32>,
    Option<i64>,
    Option<i64>,
);

fn raw_run(row: &Row<'_>) -> rusqlite::Result<RawRun> {
    Ok((
        row.get(0)?,
        row.get(1)?,
        row.get(2)?,
        row.get(3)?,
        row.get(4)?,
        row.get(5)?,
        row.get(6)?,
        row.get(7)?,
        row.get(8)?,
        row.get(9)?,
        row.get(10)?,
    ))
}

impl Store {
    /// Records that a run started; durable when this returns.
    pub fn start_run(&mut self, run: &NewRun<'_>) -> Result<i64> {
        self.durable()?;
        let mut stmt = self
            .conn
            .prepare_cached(
                "INSERT INTO runs (unit, invocation, trigger, start_usec) VALUES (?1, ?2, ?3, ?4)",
            )
            .map_err(self.sqlite("record run start"))?;
        stmt.execute(params![
            run.unit,
            run.invocation.to_string(),
            run.trigger.to_string(),
            run.start.as_usec()
        ])
        .map_err(self.sqlite("record run start"))?;
        Ok(self.conn.last_insert_rowid())
    }

    /// Completes the in-flight run `invocation`; durable when this returns.
    pub fn finish_run(
        &mut self,
        invocation: InvocationId,
        end: Timestamp,
        outcome: RunOutcome,
    ) -> Result<()> {
        self.durable()?;
        let (code, signal) = match outcome.status {
            Some(ExitStatus::Code(c)) => (Some(c), None),
            Some(ExitStatus::Signal(s)) => (None, Some(s)),
            None => (None, None),
        };
        let mut stmt = self
            .conn
            .prepare_cached(
                "UPDATE runs SET end_usec = ?2, result = ?3, exit_code = ?4, signal = ?5
                 WHERE invocation = ?1 AND end_usec IS NULL",
            )
            .map_err(self.sqlite("record run end"))?;
        let changed = stmt
            .execute(params![
                invocation.to_string(),
                end.as_usec(),
                outcome.result.as_str(),
                code,
                signal
            ])
            .map_err(self.sqlite("record run end"))?;
        if changed == 0 {
            return Err(StoreError::NoSuchRun {
                path: self.path.clone(),
                invocation,
            });
        }
        Ok(())
    }

    /// Records a run that started and ended at once (a skipped condition, a hit
    /// start limit) in one durable transaction.
    pub fn record_run(
        &mut self,
        run: &NewRun<'_>,
        end: Timestamp,
        outcome: RunOutcome,
    ) -> Result<i64> {
        self.durable()?;
        self.in_transaction("record run", |store| {
            let id = store.start_run(run)?;
            store.finish_run(run.invocation, end, outcome)?;
            Ok(id)
        })
    }

    /// Records what a finished run's cgroups counted.
    pub fn record_run_usage(&mut self, invocation: InvocationId, usage: RunUsage) -> Result<()> {
        let to_sql = |v: Option<u64>| v.map(|n| i64::try_from(n).unwrap_or(i64::MAX));
        let mut stmt = self
            .conn
            .prepare_cached("UPDATE runs SET memory_peak = ?2, cpu_usec = ?3 WHERE invocation = ?1")
            .map_err(self.sqlite("record run usage"))?;
        stmt.execute(params![
            invocation.to_string(),
            to_sql(usage.memory_peak),
            to_sql(usage.cpu_usec)
        ])
        .map_err(self.sqlite("record run usage"))?;
        Ok(())
    }

    /// The run with this invocation id.
    pub fn run(&self, invocation: InvocationId) -> Result<Option<Run>> {
        let sql = format!("SELECT {RUN_COLUMNS} FROM runs WHERE invocation = ?1");
        let mut stmt = self
            .conn
            .prepare_cached(&sql)
            .map_err(self.sqlite("read run"))?;
        let raw = stmt
            .query_row([invocation.to_string()], raw_run)
            .optional()
            .map_err(self.sqlite("read run"))?;
        raw.map(|raw| self.decode_run(raw)).transpose()
    }

    /// The newest `limit` runs, newest first, of `unit` or of all units.
    pub fn history(&self, unit: Option<&str>, limit: usize) -> Result<Vec<Run>> {
        let sql = format!(
            "SELECT {RUN_COLUMNS} FROM runs WHERE ?1 IS NULL OR unit = ?1 ORDER BY id DESC LIMIT ?2"
        );
        self.query_runs(&sql, params![unit, clamp_limit(limit)])
    }

    /// The newest run of `unit`, finished or not (list-timers' LAST and RESULT).
    pub fn last_run(&self, unit: &str) -> Result<Option<Run>> {
        Ok(self.history(Some(unit), 1)?.pop())
    }

    /// The result of each unit's last finished run, by unit, in one query
    /// (list-timers' RESULT for every timer at once, not a query each).
    /// Units without a finished run are left out.
    pub fn last_results(&self) -> Result<Vec<(String, RunResult)>> {
        let err = self.sqlite("read the last result of each unit");
        // SQLite: with MAX(), the bare columns come from the row of the max.
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT unit, result, MAX(id) FROM runs
                 WHERE end_usec IS NOT NULL AND result IS NOT NULL GROUP BY unit",
            )
            .map_err(&err)?;
        let rows = stmt
            .query_map([], |row| {
                Ok((
                    row.get::<_, String>(0)?,
                    row.get::<_, String>(1)?,
                    row.get::<_, i64>(2)?,
                ))
            })
            .map_err(&err)?
            .collect::<Result<Vec<_>, _>>()
            .map_err(&err)?;
        rows.into_iter()
            .map(|(unit, result, id)| match result.parse() {
                Ok(result) => Ok((unit, result)),
                Err(_) => Err(self.corrupt("runs", id, "result", result)),
            })
            .collect()
    }

    /// For each timer that started a run, the unit it started and when it
    /// last did, by timer name (list-timers' LAST and ACTIVATES when the
    /// daemon is not running to say).
    pub fn timer_runs(&self) -> Result<Vec<TimerRun>> {
        let err = self.sqlite("read the runs of timers");
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT substr(trigger, 7), unit, MAX(start_usec) FROM runs
                 WHERE trigger LIKE 'timer:%' GROUP BY trigger, unit ORDER BY 1, 2",
            )
            .map_err(&err)?;
        let rows = stmt
            .query_map([], |row| {
                Ok(TimerRun {
                    timer: row.get(0)?,
                    unit: row.get(1)?,
                    last_start: Timestamp::from_usec(row.get(2)?),
                })
            })
            .map_err(&err)?;
        rows.collect::<Result<_, _>>().map_err(&err)
    }

    /// Runs without an end: in flight, or cut off by a daemon crash.
    pub fn in_flight_runs(&self) -> Result<Vec<Run>> {
        let sql = format!("SELECT {RUN_COLUMNS} FROM runs WHERE end_usec IS NULL ORDER BY id");
        self.query_runs(&sql, [])
    }

    /// Deletes finished runs beyond the newest `keep_per_unit` of each unit
    /// (in-flight runs stay whatever their age); returns how many went.
    pub fn prune_runs(&mut self, keep_per_unit: usize) -> Result<u64> {
        self.durable()?;
        let mut stmt = self
            .conn
            .prepare_cached(
                "DELETE FROM runs WHERE id IN (
                     SELECT id FROM (
                         SELECT id, end_usec,
                                row_number() OVER (PARTITION BY unit ORDER BY id DESC) AS newer
                         FROM runs)
                     WHERE newer > ?1 AND end_usec IS NOT NULL)",
            )
            .map_err(self.sqlite("prune runs"))?;
        let deleted = stmt
            .execute([clamp_limit(keep_per_unit)])
            .map_err(self.sqlite("prune runs"))?;
        Ok(deleted as u64)
    }

    fn query_runs(&self, sql: &str, params: impl rusqlite::Params) -> Result<Vec<Run>> {
        let mut stmt = self
            .conn
            .prepare_cached(sql)
            .map_err(self.sqlite("read runs"))?;
        let raws = stmt
            .query_map(params, raw_run)
            .map_err(self.sqlite("read runs"))?
            .collect::<Result<Vec<_>, _>>()
            .map_err(self.sqlite("read runs"))?;
        raws.into_iter().map(|raw| self.decode_run(raw)).collect()
    }

    fn decode_run(&self, raw: RawRun) -> Result<Run> {
        let (id, unit, invocation, trigger, start, end, result, code, signal, memory, cpu) = raw;
        let bad = |column, value: String| self.corrupt("runs", id, column, value);
        let invocation = invocation
            .parse()
            .map_err(|_| bad("invocation", invocation.clone()))?;
        let trigger = trigger
            .parse()
            .map_err(|_| bad("trigger", trigger.clone()))?;
        let outcome = match (end, result) {
            (None, None) => None,
            (Some(_), Some(result)) => {
                let result = result.parse().map_err(|_| bad("result", result.clone()))?;
                let status = match (code, signal) {
                    (Some(c), None) => Some(ExitStatus::Code(c)),
                    (None, Some(s)) => Some(ExitStatus::Signal(s)),
                    (None, None) => None,
                    (Some(c), Some(s)) => {
                        return Err(bad("exit_code/signal", format!("{c}/{s}")));
                    }
                };
                Some(RunOutcome { result, status })
            }
            (end, result) => return Err(bad("end_usec/result", format!("{end:?}/{result:?}"))),
        };
        Ok(Run {
            id,
            unit,
            invocation,
            trigger,
            start: Timestamp::from_usec(start),
            end: end.map(Timestamp::from_usec),
            outcome,
            usage: RunUsage {
                memory_peak: memory.and_then(|v| u64::try_from(v).ok()),
                cpu_usec: cpu.and_then(|v| u64::try_from(v).ok()),
            },
        })
    }
}

/// SQLite's LIMIT takes an i64; `usize::MAX` means no limit.
fn clamp_limit(limit: usize) -> i64 {
    i64::try_from(limit).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn store() -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path().join("state.db")).unwrap();
        (dir, store)
    }

    fn id(n: u128) -> InvocationId {
        InvocationId::from_u128(n)
    }

    #[test]
    fn invocation_id_is_32_hex_digits() {
        let i = InvocationId::from_bytes([0xab; 16]);
        assert_eq!(i.to_string(), "ab".repeat(16));
        assert_eq!(id(1).to_string(), format!("{:0>32}", "1"));
        assert_eq!("AB".repeat(16).parse::<InvocationId>().unwrap(), i);
        assert_eq!(InvocationId::from_bytes(i.to_bytes()), i);
        for bad in [
            "",
            "abc",
            &"g".repeat(32),
            &"a".repeat(33),
            &format!("+{}", "a".repeat(31)),
        ] {
            assert!(bad.parse::<InvocationId>().is_err(), "{bad:?}");
        }
        assert_eq!(
            serde_json::to_string(&id(255)).unwrap(),
            format!("\"{:0>32}\"", "ff")
        );
    }

    #[test]
    fn result_names_are_systemds() {
        for r in RunResult::ALL {
            assert_eq!(r.as_str().parse::<RunResult>().unwrap(), r);
            assert_eq!(serde_json::to_string(&r).unwrap(), format!("\"{r}\""));
        }
        assert_eq!(RunResult::StartLimitHit.to_string(), "start-limit-hit");
        assert!("ok".parse::<RunResult>().is_err());
    }

    #[test]
    fn started_run_is_visible_then_completed() {
        let (_dir, mut store) = store();
        let trigger = Activation::from_label("timer:backup.timer").expect("a label");
        let run = NewRun {
            unit: "backup.service",
            invocation: id(7),
            trigger: &trigger,
            start: Timestamp::from_secs(100),
        };
        store.start_run(&run).unwrap();
        let in_flight = store.in_flight_runs().unwrap();
        assert_eq!(in_flight.len(), 1);
        assert_eq!(in_flight[0].end, None);
        assert_eq!(in_flight[0].outcome, None);
        assert_eq!(in_flight[0].trigger, trigger);

        let outcome = RunOutcome {
            result: RunResult::Signal,
            status: Some(ExitStatus::Signal(9)),
        };
        store
            .finish_run(id(7), Timestamp::from_secs(130), outcome)
            .unwrap();
        assert!(store.in_flight_runs().unwrap().is_empty());
        let done = store.run(id(7)).unwrap().unwrap();
        assert_eq!(done.end, Some(Timestamp::from_secs(130)));
        assert_eq!(done.outcome, Some(outcome));
        assert_eq!(done.unit, "backup.service");

        // A run finishes once.
        let err = store
            .finish_run(id(7), Timestamp::from_secs(140), outcome)
            .unwrap_err();
        assert!(matches!(err, StoreError::NoSuchRun { .. }), "{err}");
        assert!(err.to_string().contains(&id(7).to_string()), "{err}");
        assert!(store
            .finish_run(id(8), Timestamp::from_secs(1), outcome)
            .is_err());
    }

    #[test]
    fn duplicate_invocation_is_rejected() {
        let (_dir, mut store) = store();
        let run = NewRun {
            unit: "a.service",
            invocation: id(1),
            trigger: &Activation::MANUAL,
            start: Timestamp::from_secs(1),
        };
        store.start_run(&run).unwrap();
        assert!(store.start_run(&run).is_err());
    }

    #[test]
    fn last_results_take_each_units_newest_finished_run() {
        let (_dir, mut store) = store();
        let finished = |n: u128, unit, result| {
            let run = NewRun {
                unit,
                invocation: id(n),
                trigger: &Activation::MANUAL,
                start: Timestamp::from_secs(n as i64),
            };
            (
                run,
                RunOutcome {
                    result,
                    status: None,
                },
            )
        };
        for (n, unit, result) in [
            (1, "a.service", RunResult::Success),
            (2, "a.service", RunResult::ExitCode),
            (3, "b.service", RunResult::Timeout),
            (4, "b.service", RunResult::Success),
        ] {
            let (run, outcome) = finished(n, unit, result);
            store
                .record_run(&run, Timestamp::from_secs(10), outcome)
                .unwrap();
        }
        // A run still in flight does not hide the last finished one.
        let (run, _) = finished(5, "a.service", RunResult::Success);
        store.start_run(&run).unwrap();
        let (run, _) = finished(6, "c.service", RunResult::Success);
        store.start_run(&run).unwrap();
        let mut results = store.last_results().unwrap();
        results.sort_by(|a, b| a.0.cmp(&b.0));
        assert_eq!(
            results,
            vec![
                ("a.service".to_owned(), RunResult::ExitCode),
                ("b.service".to_owned(), RunResult::Success),
            ]
        );
    }

    #[test]
    fn history_is_newest_first_and_filtered() {
        let (_dir, mut store) = store();
        for n in 0..10u128 {
            let unit = if n % 2 == 0 {
                "even.service"
            } else {
                "odd.service"
            };
            let run = NewRun {
                unit,
                invocation: id(n),
                trigger: &Activation::MANUAL,
                start: Timestamp::from_secs(n as i64),
            };
            let outcome = RunOutcome {
                result: if n == 4 {
                    RunResult::ExitCode
                } else {
                    RunResult::Success
                },
                status: Some(ExitStatus::Code(if n == 4 { 2 } else { 0 })),
            };
            store
                .record_run(&run, Timestamp::from_secs(n as i64 + 1), outcome)
                .unwrap();
        }
        let all = store.history(None, usize::MAX).unwrap();
        assert_eq!(all.len(), 10);
        assert!(all.windows(2).all(|w| w[0].id > w[1].id));
        let even = store.history(Some("even.service"), 2).unwrap();
        let starts: Vec<_> = even.iter().map(|r| r.start.as_secs()).collect();
        assert_eq!(starts, [8, 6]);
        let last = store.last_run("even.service").unwrap().unwrap();
        assert_eq!(last.invocation, id(8));
        assert_eq!(store.last_run("none.service").unwrap(), None);
        let failed = store.run(id(4)).unwrap().unwrap().outcome.unwrap();
        assert_eq!(failed.result, RunResult::ExitCode);
        assert_eq!(failed.status, Some(ExitStatus::Code(2)));
    }

    #[test]
    fn prune_keeps_the_newest_per_unit_and_in_flight_runs() {
        let (_dir, mut store) = store();
        let done = RunOutcome {
            result: RunResult::Success,
            status: Some(ExitStatus::Code(0)),
        };
        for n in 0..6u128 {
            for unit in ["a.service", "b.service"] {
                let invocation = id(n << 8 | u128::from(unit == "b.service"));
                let run = NewRun {
                    unit,
                    invocation,
                    trigger: &Activation::MANUAL,
                    start: Timestamp::from_secs(n as i64),
                };
                // a.service's oldest run never finished (a crash cut it off).
                if n == 0 && unit == "a.service" {
                    store.start_run(&run).unwrap();
                } else {
                    store.record_run(&run, run.start, done).unwrap();
                }
            }
        }
        assert_eq!(store.prune_runs(2).unwrap(), 7);
        let starts = |unit| {
            let runs = store.history(Some(unit), usize::MAX).unwrap();
            runs.iter().map(|r| r.start.as_secs()).collect::<Vec<_>>()
        };
        assert_eq!(starts("a.service"), [5, 4, 0]);
        assert_eq!(starts("b.service"), [5, 4]);
        assert_eq!(store.prune_runs(2).unwrap(), 0);
    }

    #[test]
    fn record_run_is_atomic() {
        let (_dir, mut store) = store();
        let run = NewRun {
            unit: "s.service",
            invocation: id(3),
            trigger: &Activation::MANUAL,
            start: Timestamp::from_secs(1),
        };
        store.start_run(&run).unwrap();
        let outcome = RunOutcome {
            result: RunResult::Skipped,
            status: None,
        };
        // The duplicate start fails, so nothing of the second record may remain.
        assert!(store
            .record_run(&run, Timestamp::from_secs(2), outcome)
            .is_err());
        assert_eq!(store.history(None, 10).unwrap().len(), 1);
        assert_eq!(store.in_flight_runs().unwrap().len(), 1);
    }

    #[test]
    fn corrupt_row_names_row_and_column() {
        let (_dir, store) = store();
        store
            .conn
            .execute_batch(
                "INSERT INTO runs (invocation, unit, trigger, start_usec, end_usec, result)
                 VALUES ('00000000000000000000000000000001', 'a.service', 'manual', 1, 2, 'fine')",
            )
            .unwrap();
        let err = store.history(None, 1).unwrap_err();
        let msg = err.to_string();
        assert!(
            msg.contains("runs row 1") && msg.contains("result") && msg.contains("fine"),
            "{msg}"
        );
    }
}
