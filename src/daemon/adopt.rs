//! What a daemon killed or crashed left running, taken over by the next one.
//!
//! While it runs, the daemon records the main and control process of every
//! run in flight (pid, start time from `/proc/PID/stat`, the session it
//! leads, the cgroup) in the batch that records the run's start, so both
//! are committed before any client hears of the start ([`record_changes`]).
//!
//! At start-up, before the default targets and the timers start anything,
//! [`recover`] looks at each run left open ([`crate::supervisor::recovery`]
//! decides):
//!
//! - its main process still runs (same pid, same start time, in its cgroup
//!   if it had one) and the run was at rest (`running`, or a oneshot's
//!   ExecStart=): adopted. The unit is active with the same invocation id
//!   and MainPID; the run's row goes on. Its end is seen through a pidfd,
//!   its exit status is not (the daemon is not its parent): the run is
//!   recorded as `unknown`. Its output is read again from its capture
//!   pipes (the supervisor's `adopt/pipes.rs`).
//! - it was mid-way through its command chain (an ExecStartPre=,
//!   ExecStartPost=, ExecReload=, ExecStop=, ... in flight, a start still
//!   waiting for READY=1, a stop under way): what still runs of it gets
//!   the stop's signals (KillSignal=, FinalKillSignal= after
//!   TimeoutStopSec=), ExecStopPost= runs, and the run is recorded as
//!   `daemon-crash`.
//! - nothing of it runs, or its pids name other processes now: recorded as
//!   `daemon-crash` at once. A reused pid is never signalled.
//!
//! A run's row and its processes' rows are committed at the end of the
//! loop turn that spawned them: a daemon killed within that turn leaves
//! processes nothing records. [`recover`] finds them by their environment
//! (`$SUNDIAL_SOCKET` naming this daemon's socket, an `$INVOCATION_ID` no
//! run row has, started after the killed daemon) and ends them: SIGTERM,
//! SIGKILL after [`UNRECORDED_GRACE`]. Nobody heard of their start.

use std::collections::HashSet;
use std::time::{Duration, Instant};

use nix::unistd::Pid;

use super::runs::{RunTracker, Takeover};
use super::state::{report, State};
use crate::scheduler::Event;
use crate::store::{InvocationId, ProcessRole, Run, RunProcess};
use crate::supervisor::recovery::{self as decide, Finding, Found, Plan, TakeoverRequest};
use crate::supervisor::ExecKind;
use crate::supervisor::SubState;
use crate::supervisor::Supervisor;
use sundial_calendar::Timestamp;

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
                start_ticks: p.start_ticks.or_else(|| decide::start_ticks(p.pid))?,
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
                kind: ExecKind::from_directive(&row.directive)?,
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

/// How much earlier than the killed daemon a process it started may seem
/// to have started (the precision of start times, and then some).
const START_SLACK_USEC: i64 = 1_000_000;

/// How long processes no row records get after SIGTERM before SIGKILL.
pub const UNRECORDED_GRACE: Duration = Duration::from_secs(1);

/// Takes over or closes every run the previous daemon left open, and ends
/// the processes it started but did not record. `killed_daemon_start`:
/// when the previous daemon started, if it did not stop in order. Runs
/// before anything is started.
pub fn recover(state: &mut State, killed_daemon_start: Option<Timestamp>) {
    let now = state.now().realtime;
    let open = match state.store.in_flight_runs() {
        Ok(open) => open,
        Err(e) => return report(format!("cannot read the runs left in flight: {e}")),
    };
    let rows = match state.store.run_processes() {
        Ok(rows) => rows,
        Err(e) => {
            report(format!(
                "cannot read the processes of runs left in flight: {e}"
            ));
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
        let sub_state = main_row
            .or(control_row)
            .and_then(|r| SubState::from_name(&r.sub_state));
        let oneshot = state.supervisor.is_oneshot(&run.unit).unwrap_or(false);
        let plan = decide::plan(
            oneshot,
            sub_state,
            main.as_ref().map(|l| l.finding),
            control.as_ref().map(|l| l.finding),
        );
        for (row, l) in main_row
            .iter()
            .zip(&main)
            .chain(control_row.iter().zip(&control))
        {
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
                let final_phase = matches!(
                    sub_state,
                    Some(SubState::StopPost | SubState::FinalSigterm | SubState::FinalSigkill)
                );
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
    if let Some(since) = killed_daemon_start {
        let known: HashSet<InvocationId> = open.iter().map(|r| r.invocation).collect();
        end_unrecorded(state, since, &known);
    }
    if adopted + ended + cut_off > 0 {
        report(format!(
            "after the previous daemon's end: {adopted} run(s) adopted, {ended} cut off and being stopped, {cut_off} cut off and closed as 'daemon-crash'"
        ));
    }
    // Not a whole settle: a transient timer not resumed yet would look
    // done (see `transient::resume_timers`). The state changes of what was
    // taken over are passed on with the first settle.
    record_changes(state);
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

/// `$INVOCATION_ID` of a process whose environment block (`environ`) has
/// `$SUNDIAL_SOCKET` = `socket`: a command a daemon on this socket started.
pub fn started_by(environ: &[u8], socket: &str) -> Option<String> {
    let mut ours = false;
    let mut invocation = None;
    for kv in environ.split(|b| *b == 0) {
        if let Some(v) = kv.strip_prefix(b"SUNDIAL_SOCKET=") {
            ours = v == socket.as_bytes();
        } else if let Some(v) = kv.strip_prefix(b"INVOCATION_ID=") {
            invocation = Some(String::from_utf8_lossy(v).into_owned());
        }
    }
    invocation.filter(|_| ours)
}

/// When a process started (`start_ticks` since boot), as a wall-clock
/// time: now less the time since.
fn started_at(start_ticks: u64, now: Timestamp) -> Option<Timestamp> {
    let boot = nix::time::clock_gettime(nix::time::ClockId::CLOCK_BOOTTIME).ok()?;
    // SAFETY: sysconf only reads a configuration value.
    let tick = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
    let tick = u64::try_from(tick).ok().filter(|t| *t > 0)?;
    let boot_usec = boot.tv_sec() * 1_000_000 + boot.tv_nsec() / 1_000;
    let start_usec = i64::try_from(start_ticks.checked_mul(1_000_000)? / tick).ok()?;
    Some(Timestamp::from_usec(
        now.as_usec() - (boot_usec - start_usec),
    ))
}

/// Ends the processes the killed daemon (started at `since`) started for
/// runs that no row records (see the module's text); `in_flight`: the
/// invocations of rows still open, whose processes [`recover`] handled.
fn end_unrecorded(state: &mut State, since: Timestamp, in_flight: &HashSet<InvocationId>) {
    let socket = state.paths.socket.display().to_string();
    let now = state.now().realtime;
    let me = std::process::id();
    let mut doomed: Vec<(Pid, String)> = Vec::new();
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return;
    };
    for entry in dir.filter_map(Result::ok) {
        let Some(raw) = entry
            .file_name()
            .to_str()
            .and_then(|n| n.parse::<i32>().ok())
        else {
            continue;
        };
        if u32::try_from(raw) == Ok(me) {
            continue;
        }
        // Another user's processes cannot be read, and are not ours.
        let Ok(environ) = std::fs::read(entry.path().join("environ")) else {
            continue;
        };
        let Some(invocation) = started_by(&environ, &socket) else {
            continue;
        };
        let Ok(id) = invocation.parse::<InvocationId>() else {
            continue;
        };
        let pid = Pid::from_raw(raw);
        let recorded = in_flight.contains(&id) || state.store.run(id).ok().flatten().is_some();
        let since_killed = decide::start_ticks(pid)
            .and_then(|t| started_at(t, now))
            // Start times count in clock ticks (10 ms): a process the
            // killed daemon started at once may seem to predate it a little.
            .is_some_and(|at| at.as_usec() + START_SLACK_USEC >= since.as_usec());
        if !recorded && since_killed {
            doomed.push((pid, invocation));
        }
    }
    if doomed.is_empty() {
        return;
    }
    report(format!(
        "ending {} process(es) the previous daemon started but did not record: {doomed:?}",
        doomed.len()
    ));
    use nix::sys::signal::{kill, Signal};
    for (pid, _) in &doomed {
        let _ = kill(*pid, Signal::SIGTERM);
    }
    let until = Instant::now() + UNRECORDED_GRACE;
    let alive = |doomed: &[(Pid, String)]| doomed.iter().any(|(p, _)| decide::alive(*p));
    while alive(&doomed) && Instant::now() < until {
        std::thread::sleep(Duration::from_millis(10));
    }
    for (pid, _) in &doomed {
        if decide::alive(*pid) {
            let _ = kill(*pid, Signal::SIGKILL);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_command_of_this_daemon_is_known_by_its_socket_and_invocation() {
        let env = b"PATH=/bin\0INVOCATION_ID=0123456789abcdef0123456789abcdef\0SUNDIAL_SOCKET=/run/s.sock\0";
        assert_eq!(
            started_by(env, "/run/s.sock").as_deref(),
            Some("0123456789abcdef0123456789abcdef")
        );
        // Another daemon's, or no service at all.
        assert_eq!(started_by(env, "/run/other.sock"), None);
        assert_eq!(
            started_by(b"SUNDIAL_SOCKET=/run/s.sock\0", "/run/s.sock"),
            None
        );
    }

    #[test]
    fn process_start_times_are_wall_clock_times() {
        let now = Timestamp::from_secs(1_000_000);
        let mine = decide::start_ticks(Pid::this()).unwrap();
        let at = started_at(mine, now).unwrap();
        // This process started before now, and not before the machine booted.
        assert!(at <= now);
        assert!(started_at(0, now).unwrap() <= at);
    }
}
