//! The processes of the runs in flight: each service's main and control
//! process, with what tells them from a later process given the same pid.
//!
//! The daemon writes a service's rows in the batch that records the change
//! (the start's row and its processes commit together, before any client
//! hears of the start) and removes them when the processes are gone. A
//! daemon restarted after `kill -9` reads them to adopt what still runs as
//! the same invocation, or to end it (see the daemon's `adopt` module).

use std::path::PathBuf;

use rusqlite::params;

use super::{InvocationId, Result, Store};

/// Which process of a run a row is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ProcessRole {
    /// The main process (`MainPID=`).
    Main,
    /// The control process: an ExecStartPre=, ExecStartPost=, ExecReload=,
    /// ExecStop=, ... command (or a Type=forking ExecStart=) in flight.
    Control,
}

impl ProcessRole {
    /// The stored word.
    pub fn as_str(self) -> &'static str {
        match self {
            ProcessRole::Main => "main",
            ProcessRole::Control => "control",
        }
    }
}

/// One process of a run in flight.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunProcess {
    /// The service.
    pub unit: String,
    /// Main or control.
    pub role: ProcessRole,
    /// The run it belongs to.
    pub invocation: InvocationId,
    /// The command list it came from (`ExecStart`, `ExecStartPre`, ...).
    pub directive: String,
    /// Its place in that list.
    pub index: usize,
    /// The service's sub-state when the row was written (`running`,
    /// `start`, `stop-sigterm`, ...).
    pub sub_state: String,
    /// Its pid.
    pub pid: i32,
    /// Field 22 of `/proc/PID/stat`: when it started, in clock ticks since
    /// boot.
    pub start_ticks: u64,
    /// The session (= process group) it leads, when it leads one.
    pub session: Option<i32>,
    /// The `cgroup.procs` of the service's cgroup, when it has one.
    pub cgroup_procs: Option<PathBuf>,
}

impl Store {
    /// Replaces the rows of `unit` with `processes` (none: the unit has no
    /// process in flight); durable with the batch.
    pub fn set_run_processes(&mut self, unit: &str, processes: &[RunProcess]) -> Result<()> {
        self.durable()?;
        self.conn
            .prepare_cached("DELETE FROM run_processes WHERE unit = ?1")
            .and_then(|mut stmt| stmt.execute([unit]))
            .map_err(self.sqlite("forget the processes of a run"))?;
        for p in processes {
            self.conn
                .prepare_cached(
                    "INSERT OR REPLACE INTO run_processes
                         (unit, role, invocation, directive, command_index, sub_state,
                          pid, start_ticks, session, cgroup_procs)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
                )
                .and_then(|mut stmt| {
                    stmt.execute(params![
                        p.unit,
                        p.role.as_str(),
                        p.invocation.to_string(),
                        p.directive,
                        i64::try_from(p.index).unwrap_or(i64::MAX),
                        p.sub_state,
                        p.pid,
                        i64::try_from(p.start_ticks).unwrap_or(i64::MAX),
                        p.session,
                        p.cgroup_procs.as_ref().map(|c| c.display().to_string()),
                    ])
                })
                .map_err(self.sqlite("record the processes of a run"))?;
        }
        Ok(())
    }

    /// Forgets every row (the restarted daemon writes those of what it
    /// adopted again).
    pub fn clear_run_processes(&mut self) -> Result<()> {
        self.durable()?;
        self.conn
            .execute("DELETE FROM run_processes", [])
            .map_err(self.sqlite("forget the processes of runs"))?;
        Ok(())
    }

    /// Every row, by unit and role.
    pub fn run_processes(&self) -> Result<Vec<RunProcess>> {
        let err = self.sqlite("read the processes of runs");
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT unit, role, invocation, directive, command_index, sub_state, pid,
                        start_ticks, session, cgroup_procs
                 FROM run_processes ORDER BY unit, role",
            )
            .map_err(&err)?;
        type Raw = (
            String,
            String,
            String,
            String,
            i64,
            String,
            i32,
            i64,
            Option<i32>,
            Option<String>,
        );
        let raws = stmt
            .query_map([], |r| {
                Ok((
                    r.get(0)?,
                    r.get(1)?,
                    r.get(2)?,
                    r.get(3)?,
                    r.get(4)?,
                    r.get(5)?,
                    r.get(6)?,
                    r.get(7)?,
                    r.get(8)?,
                    r.get(9)?,
                ))
            })
            .map_err(&err)?
            .collect::<Result<Vec<Raw>, _>>()
            .map_err(&err)?;
        raws.into_iter()
            .map(|raw| {
                let (unit, role, invocation, directive, index, sub_state, pid, ticks, session, cg) =
                    raw;
                let key = format!("{unit}/{role}");
                let bad = |column, value: String| {
                    self.corrupt("run_processes", key.clone(), column, value)
                };
                let role = match role.as_str() {
                    "main" => ProcessRole::Main,
                    "control" => ProcessRole::Control,
                    _ => return Err(bad("role", role.clone())),
                };
                let invocation = invocation
                    .parse()
                    .map_err(|_| bad("invocation", invocation.clone()))?;
                Ok(RunProcess {
                    unit,
                    role,
                    invocation,
                    directive,
                    index: usize::try_from(index)
                        .map_err(|_| bad("command_index", index.to_string()))?,
                    sub_state,
                    pid,
                    start_ticks: u64::try_from(ticks)
                        .map_err(|_| bad("start_ticks", ticks.to_string()))?,
                    session,
                    cgroup_procs: cg.map(PathBuf::from),
                })
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(unit: &str, role: ProcessRole, pid: i32) -> RunProcess {
        RunProcess {
            unit: unit.into(),
            role,
            invocation: InvocationId::from_u128(7),
            directive: "ExecStart".into(),
            index: 0,
            sub_state: "running".into(),
            pid,
            start_ticks: 123_456,
            session: Some(pid),
            cgroup_procs: None,
        }
    }

    #[test]
    fn rows_are_replaced_per_unit_and_read_back() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(dir.path().join("state.db")).unwrap();
        let a = row("a.service", ProcessRole::Main, 10);
        let mut c = row("a.service", ProcessRole::Control, 11);
        c.directive = "ExecStartPost".into();
        c.cgroup_procs = Some(PathBuf::from("/sys/fs/cgroup/x/cgroup.procs"));
        c.session = None;
        store
            .set_run_processes("a.service", &[a.clone(), c.clone()])
            .unwrap();
        store
            .set_run_processes("b.service", &[row("b.service", ProcessRole::Main, 20)])
            .unwrap();
        assert_eq!(store.run_processes().unwrap().len(), 3);
        // The control process ended: only the main process is left.
        store
            .set_run_processes("a.service", std::slice::from_ref(&a))
            .unwrap();
        let rows = store.run_processes().unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0], a);
        store.set_run_processes("a.service", &[]).unwrap();
        assert_eq!(store.run_processes().unwrap().len(), 1);
        store.clear_run_processes().unwrap();
        assert!(store.run_processes().unwrap().is_empty());
        // Round trip of the optional columns.
        store.set_run_processes("a.service", &[c.clone()]).unwrap();
        assert_eq!(store.run_processes().unwrap(), [c]);
    }
}
