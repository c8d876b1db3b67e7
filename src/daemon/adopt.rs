//! What a daemon killed or crashed left running, taken over by the next one.
//!
//! While it runs, the daemon records the main and control process of every
//! run in flight (pid, start time from `/proc/PID/stat`, the session it
//! leads, the cgroup) in the batch that records the run's start, so both
//! are committed before any client hears of the start ([`record_changes`]).
//!
//! At start-up, before the default targets and the timers start anything,
//! [`recover`] looks at each run left open ([`crate::supervisor::adopt`]
//! decides):
//!
//! - its main process still runs (same pid, same start time, in its cgroup
//!   if it had one) and the run was at rest (`running`, or a oneshot's
//!   ExecStart=): adopted. The unit is active with the same invocation id
//!   and MainPID; the run's row goes on. Its end is seen through a pidfd,
//!   its exit status is not (the daemon is not its parent): the run is
//!   recorded as `unknown`.
//! - it was mid-way through its command chain (an ExecStartPre=,
//!   ExecStartPost=, ExecReload=, ExecStop=, ... in flight, a start still
//!   waiting for READY=1, a stop under way): what still runs of it gets
//!   the stop's signals (KillSignal=, FinalKillSignal= after
//!   TimeoutStopSec=), ExecStopPost= runs, and the run is recorded as
//!   `daemon-crash`.
//! - nothing of it runs, or its pids name other processes now: recorded as
//!   `daemon-crash` at once. A reused pid is never signalled.

use std::time::Duration;

use nix::unistd::Pid;

use super::runs::{RunTracker, Takeover};
use super::state::{report, State};
use crate::scheduler::Event;
use crate::store::{ProcessRole, Run, RunProcess};
use crate::supervisor::adopt::{self as decide, Finding, Found, Plan, TakeoverRequest};
use crate::supervisor::machine::adopt::exec_kind;
use crate::supervisor::Supervisor;

/// Writes again the process rows of the services whose processes changed
/// (in the open batch: committed with the run rows of the same turn).
pub fn record_changes(state: &mut State) {
    for unit in state.supervisor.take_process_changes() {
        let rows = rows_of(&state.supervisor, &unit);
        if let Err(e) = state.store.set_run_processes(&unit, &rows) {
            report(format!("{unit}: cannot record its processes: {e}"));
        }
    }
}

fn rows_of(supervisor: &Supervisor, unit: &str) -> Vec<RunProcess> {
    let Some(run) = supervisor.tracked_run(unit) else {
        return Vec::new();
    };
    let Ok(invocation) = run.invocation_id.parse() else {
        return Vec::new();
    };
    run.processes
        .iter()
        // A process already gone (not ours to wait for) is not recorded.
        .filter_map(|p| {
            Some(RunProcess {
                unit: unit.to_owned(),
                role: if p.main {
                    ProcessRole::Main
                } else {
                    ProcessRole::Control
                },
                invocation,
                directive: p.kind.directive().to_owned(),
                index: p.index,
                sub_state: run.sub_state.to_owned(),
                pid: p.pid.as_raw(),
                start_ticks: decide::start_ticks(p.pid)?,
                session: p.session.map(Pid::as_raw),
                cgroup_procs: run.cgroup_procs.clone(),
            })
        })
        .collect()
}

/// One recorded process looked at now.
struct Looked {
    finding: Finding,
    found: Option<Found>,
}

fn look(row: &RunProcess) -> Looked {
    let pid = Pid::from_raw(row.pid);
    // Opened first, so that the descriptor names the process whose start
    // time is compared below, not one that took the pid since.
    let pidfd = decide::pidfd_open(pid).ok();
    let seen = decide::look(pid, row.cgroup_procs.as_deref());
    let finding = decide::identify(row.start_ticks, seen);
    let found = (finding == Finding::Running)
        .then(|| {
            Some(Found {
                pid,
                kind: exec_kind(&row.directive)?,
                index: row.index,
                session: row
                    .session
                    .filter(|s| seen.is_some_and(|seen| seen.sid.as_raw() == *s))
                    .map(Pid::from_raw),
                pidfd,
            })
        })
        .flatten();
    Looked { finding, found }
}

/// Takes over or closes every run the previous daemon left open. Runs
/// before anything is started.
pub fn recover(state: &mut State) {
    let now = state.now().realtime;
    let open = match state.store.in_flight_runs() {
        Ok(open) => open,
        Err(e) => return report(format!("cannot read the runs left in flight: {e}")),
    };
    let rows = match state.store.run_processes() {
        Ok(rows) => rows,
        Err(e) => {
            report(format!("cannot read the processes of runs left in flight: {e}"));
            Vec::new()
        }
    };
    // Written again below for what is taken over.
    if let Err(e) = state.store.clear_run_processes() {
        report(format!("cannot forget the processes of old runs: {e}"));
    }
    let (mut adopted, mut ended, mut cut_off) = (0, 0, 0);
    for run in &open {
        let of = |role| {
            rows.iter()
                .find(|r| r.invocation == run.invocation && r.role == role)
        };
        let (main_row, control_row) = (of(ProcessRole::Main), of(ProcessRole::Control));
        let main = main_row.map(look);
        let control = control_row.map(look);
        let sub_state = main_row.or(control_row).map_or("", |r| r.sub_state.as_str());
        let oneshot = state.supervisor.is_oneshot(&run.unit).unwrap_or(false);
        let plan = decide::plan(
            oneshot,
            sub_state,
            main.as_ref().map(|l| l.finding),
            control.as_ref().map(|l| l.finding),
        );
        for (row, l) in main_row.iter().zip(&main).chain(control_row.iter().zip(&control)) {
            if l.finding == Finding::Reused {
                report(format!(
                    "{}: pid {} is another process now; not adopted, not signalled",
                    run.unit, row.pid
                ));
            }
        }
        let taken = match plan {
            Plan::Lost => false,
            Plan::Adopt | Plan::End => {
                let final_phase = sub_state == "stop-post" || sub_state.starts_with("final-");
                let request = TakeoverRequest {
                    unit: run.unit.clone(),
                    invocation_id: run.invocation.to_string(),
                    main: main.and_then(|l| l.found),
                    control: control.and_then(|l| l.found),
                    adopt: plan == Plan::Adopt,
                    final_phase,
                    elapsed: Duration::from_micros(
                        u64::try_from(now.as_usec() - run.start.as_usec()).unwrap_or(0),
                    ),
                    cgroup_procs: main_row
                        .or(control_row)
                        .and_then(|r| r.cgroup_procs.clone()),
                };
                take_over(state, run, request, plan)
            }
        };
        match (taken, plan) {
            (true, Plan::Adopt) => adopted += 1,
            (true, _) => ended += 1,
            (false, _) => {
                cut_off += 1;
                if let Err(e) = RunTracker::close_cut_off(&mut state.store, run, now) {
                    report(format!("{}: cannot close its run: {e}", run.unit));
                }
            }
        }
    }
    if adopted + ended + cut_off > 0 {
        report(format!(
            "after the previous daemon's end: {adopted} run(s) adopted, {ended} cut off and being stopped, {cut_off} cut off and closed as 'daemon-crash'"
        ));
    }
    state.settle();
}

/// Hands a run to the supervisor; false (the processes get SIGTERM, since
/// nothing can supervise them) when its unit is gone.
fn take_over(state: &mut State, run: &Run, request: TakeoverRequest, plan: Plan) -> bool {
    let pids: Vec<Pid> = request
        .main
        .iter()
        .chain(&request.control)
        .map(|f| f.pid)
        .collect();
    match state.supervisor.take_over(request) {
        Ok(()) => {
            let how = if plan == Plan::Adopt {
                Takeover::Adopted
            } else {
                Takeover::Ended
            };
            state
                .runs
                .take_over(&run.unit, run.invocation, run.start, how);
            state.schedule(Event::UnitChanged {
                unit: run.unit.clone(),
                active: true,
            });
            true
        }
        Err(why) => {
            report(format!(
                "{}: cannot take its run over ({why}); sending SIGTERM to {pids:?}",
                run.unit
            ));
            for pid in pids {
                let _ = nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGTERM);
            }
            false
        }
    }
}
