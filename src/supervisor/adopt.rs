//! Runs left by a daemon that was killed: what the restarted daemon finds of
//! their recorded processes, what it does with each run, and the watch on
//! the processes it takes over.
//!
//! The decision is pure ([`identify`], [`plan`]): given the recorded
//! process (pid, start time, session, cgroup) and what `/proc` says now, a
//! process still runs, is gone, or its pid now names another process. Then
//! a run whose main process still runs at rest is adopted; one that was
//! mid-way through its command chain is ended; one with nothing left is
//! only recorded as cut off. A pid that names another process is never
//! signalled.
//!
//! The restarted daemon is not the parent of what it takes over: it learns
//! of their end through a pidfd (`pidfd_open`, readable once the process
//! has exited), never its status. Where the kernel has no pidfds (before
//! Linux 5.3) it looks every [`POLL`].
//!
//! It reads again the capture pipes the process writes to ([`pipes`]):
//! what the service writes after the takeover, and what it wrote while no
//! daemon ran (up to the pipe's buffer), is stored under the run's
//! invocation. Lines the killed daemon had read and not stored are lost.

use std::collections::HashMap;
use std::future::Future;
use std::io;
use std::os::fd::{FromRawFd, OwnedFd};
use std::path::{Path, PathBuf};
use std::task::Poll;
use std::time::{Duration, Instant};

use nix::unistd::Pid;
use tokio::io::unix::AsyncFd;

use super::exec_chain::ExecKind;
use super::kill;
use super::machine::adopt::{TakenProcess, Takeover};
use super::output::{Capture, CaptureTag};
use super::state::SubState;
use super::{JobError, Supervisor};

pub mod pipes;

/// How often a taken-over process is looked at without a pidfd.
pub const POLL: Duration = Duration::from_millis(500);

/// What `/proc` says now about a recorded pid.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Seen {
    /// Field 22 of `/proc/PID/stat`.
    pub start_ticks: u64,
    /// Its session now.
    pub sid: Pid,
    /// Exited, waiting for its parent.
    pub zombie: bool,
    /// Whether it is in the recorded cgroup: `None` when none was recorded.
    pub in_cgroup: Option<bool>,
}

/// What became of a recorded process.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Finding {
    /// The same process runs.
    Running,
    /// It has ended.
    Gone,
    /// The pid names another process now (its start time differs, or it is
    /// not in the run's cgroup): not ours, left alone.
    Reused,
}

/// Whether the process recorded with `start_ticks` (and a cgroup, when
/// `cgroup_recorded`) is the one `seen` now.
pub fn identify(start_ticks: u64, seen: Option<Seen>) -> Finding {
    match seen {
        None => Finding::Gone,
        Some(s) if s.start_ticks != start_ticks => Finding::Reused,
        Some(s) if s.in_cgroup == Some(false) => Finding::Reused,
        Some(s) if s.zombie => Finding::Gone,
        Some(_) => Finding::Running,
    }
}

/// What the restarted daemon does with a run that was in flight.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Plan {
    /// Its main process runs on under the same invocation.
    Adopt,
    /// What still runs of it is stopped; the run is recorded as cut off.
    End,
    /// Nothing of it runs: it is recorded as cut off.
    Lost,
}

/// The plan for a run whose service (`oneshot` or not) was in `sub_state`
/// with a main and a control process found as given (`None`: none was
/// recorded). A run is adopted only at rest: `running` (or `reload` without
/// a command: RELOADING=1), or a oneshot's ExecStart= (`start`); a control
/// command in flight cannot be resumed mid-chain, nor can a start that was
/// still waiting (READY=1, the exec) or a stop under way.
pub fn plan(
    oneshot: bool,
    sub_state: Option<SubState>,
    main: Option<Finding>,
    control: Option<Finding>,
) -> Plan {
    let runs = |f: Option<Finding>| f == Some(Finding::Running);
    if !runs(main) && !runs(control) {
        return Plan::Lost;
    }
    if control.is_some() {
        return Plan::End;
    }
    let at_rest = if oneshot {
        sub_state == Some(SubState::Start)
    } else {
        matches!(sub_state, Some(SubState::Running | SubState::Reload))
    };
    if at_rest {
        Plan::Adopt
    } else {
        Plan::End
    }
}

/// Parses field 22 (starttime) of a `/proc/PID/stat` line, counting from
/// after the command name, which may hold spaces and parentheses.
pub fn parse_start_ticks(line: &str) -> Option<u64> {
    let (_, rest) = line.rsplit_once(')')?;
    // Field 3 (state) is the first after the name; starttime is field 22.
    rest.split_whitespace().nth(22 - 3)?.parse().ok()
}

/// When `pid` started, in clock ticks since boot; `None` once it is gone.
pub fn start_ticks(pid: Pid) -> Option<u64> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    parse_start_ticks(&text)
}

/// What `/proc` says about `pid`, checked against `cgroup_procs` (the
/// run's cgroup) when one was recorded.
pub fn look(pid: Pid, cgroup_procs: Option<&Path>) -> Option<Seen> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let info = super::procs::parse_stat(&text)?;
    let in_cgroup = cgroup_procs.map(|path| {
        std::fs::read_to_string(path).is_ok_and(|procs| {
            procs
                .split_whitespace()
                .any(|p| p.parse() == Ok(pid.as_raw()))
        })
    });
    Some(Seen {
        start_ticks: parse_start_ticks(&text)?,
        sid: info.sid,
        zombie: info.zombie,
        in_cgroup,
    })
}

/// A descriptor that becomes readable when `pid` exits.
pub fn pidfd_open(pid: Pid) -> io::Result<OwnedFd> {
    // SAFETY: pidfd_open takes a pid and flags and returns a new descriptor
    // or -1; no memory is passed.
    let fd = unsafe { libc::syscall(libc::SYS_pidfd_open, pid.as_raw(), 0) };
    if fd < 0 {
        return Err(io::Error::last_os_error());
    }
    let fd = i32::try_from(fd).map_err(|_| io::Error::from_raw_os_error(libc::EBADF))?;
    // SAFETY: the kernel just returned this descriptor; nothing else owns it.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

/// A recorded process found running, to be taken over.
#[derive(Debug)]
pub struct Found {
    pub pid: Pid,
    pub kind: ExecKind,
    pub index: usize,
    /// Its session, when it still leads the one recorded.
    pub session: Option<Pid>,
    /// Opened before its start time was checked, so it names the process
    /// that was checked.
    pub pidfd: Option<OwnedFd>,
}

/// Why a run left by a killed daemon was not taken over (nothing was done
/// then), naming the unit.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TakeoverError {
    /// Its unit could not be loaded.
    #[error(transparent)]
    Unit(#[from] JobError),
    #[error("Unit {0} not found.")]
    NotFound(String),
    #[error("{unit} is already {state}")]
    AlreadyActive { unit: String, state: SubState },
}

/// A run to take over.
#[derive(Debug)]
pub struct TakeoverRequest {
    pub unit: String,
    pub invocation_id: String,
    pub main: Option<Found>,
    pub control: Option<Found>,
    /// Adopt (`true`) or end (`false`).
    pub adopt: bool,
    pub final_phase: bool,
    pub elapsed: Duration,
    pub cgroup_procs: Option<PathBuf>,
}

/// The taken-over processes being watched, by pid.
#[derive(Debug, Default)]
pub struct Watches {
    by_pid: HashMap<Pid, Watch>,
}

#[derive(Debug)]
struct Watch {
    unit: String,
    fd: Option<AsyncFd<OwnedFd>>,
}

impl Watches {
    /// Whether `pid` is a taken-over process (not ours to reap).
    pub fn contains(&self, pid: Pid) -> bool {
        self.by_pid.contains_key(&pid)
    }

    /// Every watched process and its unit, by pid.
    pub fn list(&self) -> Vec<(String, i32)> {
        let mut all: Vec<(String, i32)> = self
            .by_pid
            .iter()
            .map(|(pid, w)| (w.unit.clone(), pid.as_raw()))
            .collect();
        all.sort();
        all
    }

    fn add(&mut self, unit: &str, pid: Pid, fd: Option<OwnedFd>) {
        // Without a tokio reactor (or with a descriptor it refuses) the
        // process is looked at every POLL instead.
        // SAFETY: the OwnedFd owns its descriptor and closes it only when
        // dropped, with the AsyncFd that holds it.
        let fd = fd.and_then(|fd| unsafe { AsyncFd::register(fd) }.ok());
        self.by_pid.insert(
            pid,
            Watch {
                unit: unit.to_owned(),
                fd,
            },
        );
    }

    /// Stops watching `pid`; its unit.
    pub fn remove(&mut self, pid: Pid) -> Option<String> {
        self.by_pid.remove(&pid).map(|w| w.unit)
    }

    /// Waits until a watched process has exited; its pid. Pending forever
    /// while nothing is watched. Cancel-safe.
    pub async fn next_exit(&self) -> Pid {
        let polled = self.by_pid.values().any(|w| w.fd.is_none());
        let mut tick = polled.then(|| Box::pin(tokio::time::sleep(POLL)));
        std::future::poll_fn(|cx| {
            for (pid, w) in &self.by_pid {
                if let Some(fd) = &w.fd {
                    if let Poll::Ready(ready) = fd.poll_read_ready(cx) {
                        // Readable means exited; an error means the same
                        // to us: nothing more can be learnt through it.
                        drop(ready);
                        return Poll::Ready(*pid);
                    }
                }
            }
            if let Some(t) = tick.as_mut() {
                if t.as_mut().poll(cx).is_ready() {
                    let gone = self
                        .by_pid
                        .iter()
                        .find(|(pid, w)| w.fd.is_none() && !kill::alive(**pid))
                        .map(|(pid, _)| *pid);
                    if let Some(pid) = gone {
                        return Poll::Ready(pid);
                    }
                    t.set(tokio::time::sleep(POLL));
                    let _ = t.as_mut().poll(cx);
                }
            }
            Poll::Pending
        })
        .await
    }
}

/// A process of a service's run as the daemon records it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrackedProcess {
    /// The main process (else the control process).
    pub main: bool,
    pub pid: Pid,
    pub kind: ExecKind,
    pub index: usize,
    /// The session it leads, when it leads one of the run's.
    pub session: Option<Pid>,
    /// Its start time (clock ticks since boot) where the spawn read it
    /// already: the run's first process.
    pub start_ticks: Option<u64>,
}

/// A service's run in flight as the daemon records it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrackedRun {
    pub invocation_id: String,
    pub sub_state: &'static str,
    pub processes: Vec<TrackedProcess>,
    pub cgroup_procs: Option<PathBuf>,
}

impl Supervisor {
    /// Services whose main or control process, state or invocation changed
    /// since the last call: their record is to be written again.
    pub fn take_process_changes(&mut self) -> Vec<String> {
        std::mem::take(&mut self.process_changes)
            .into_iter()
            .collect()
    }

    /// The run in flight of `name` as it is to be recorded; `None` when it
    /// has neither a main nor a control process.
    pub fn tracked_run(&self, name: &str) -> Option<TrackedRun> {
        let s = self.services.get(name)?;
        let (main, control) = s.machine.tracked();
        let processes: Vec<TrackedProcess> = main
            .map(|p| (true, p))
            .into_iter()
            .chain(control.map(|p| (false, p)))
            .map(|(main, p)| TrackedProcess {
                main,
                pid: p.pid,
                kind: p.kind,
                index: p.index,
                session: s.procs.sessions.contains(&p.pid).then_some(p.pid),
                start_ticks: s.procs.first_start(p.pid),
            })
            .collect();
        if processes.is_empty() {
            return None;
        }
        Some(TrackedRun {
            invocation_id: s.machine.invocation_id().to_owned(),
            sub_state: s.machine.state().sub_state().as_str(),
            processes,
            cgroup_procs: s
                .procs
                .cgroup
                .as_ref()
                .map(|cg| cg.dir.join("cgroup.procs")),
        })
    }

    /// Whether `name` is a Type=oneshot service; loads its unit if needed.
    /// `None` when there is no such unit.
    pub fn is_oneshot(&mut self, name: &str) -> Option<bool> {
        self.ensure_loaded(name).ok()?;
        let s = self.services.get(name)?;
        Some(s.machine.unit().service.service_type == crate::unit::ServiceType::Oneshot)
    }

    /// Takes over a run a crashed daemon left: adopts it or ends it. `Err`
    /// when the unit is gone or already active (nothing is done then).
    pub fn take_over(&mut self, request: TakeoverRequest) -> Result<(), TakeoverError> {
        let name = request.unit.clone();
        self.ensure_loaded(&name)?;
        let s = self
            .services
            .get_mut(&name)
            .ok_or_else(|| TakeoverError::NotFound(name.clone()))?;
        if !s.machine.state().is_inactive() {
            return Err(TakeoverError::AlreadyActive {
                unit: name,
                state: s.machine.state().sub_state(),
            });
        }
        let taken = |f: &Found| TakenProcess {
            pid: f.pid,
            kind: f.kind,
            index: f.index,
        };
        let takeover = Takeover {
            invocation_id: request.invocation_id.clone(),
            main: request.main.as_ref().map(taken),
            control: request.control.as_ref().map(taken),
            elapsed: request.elapsed,
            final_phase: request.final_phase,
        };
        // The killed daemon's cgroup of the run: its processes move into
        // this daemon's, which stop and the end of the run then go by.
        s.procs.cgroup = match (
            request.cgroup_procs.as_deref().and_then(Path::parent),
            self.cgroups.as_mut(),
        ) {
            (Some(old), Some(groups)) => {
                let slice = super::control_group::slice_dirs(&s.machine.unit().service);
                groups.take_over(&name, &slice, old).ok()
            }
            _ => None,
        };
        // Its directories and credentials, found where the killed daemon
        // made them: released at the end of the run as if made here.
        s.procs.run_environment = Some(Box::new(super::run_environment::adopted(
            &name,
            s.machine.unit().service.exec_context(),
            &self.config.exec_roots,
        )));
        // Its output, read again: the main process's pipes (else the
        // control process's), the run's own.
        let writer = request.main.as_ref().or(request.control.as_ref());
        let read_again = writer
            .map(|f| pipes::open(f.pid, f.pidfd.as_ref()))
            .transpose()
            .and_then(|found| {
                let tag = CaptureTag::of(
                    &name,
                    &request.invocation_id,
                    &s.machine.unit().service,
                    self.config.log_rate_limit,
                );
                Capture::adopt(found.unwrap_or_default(), &tag, &self.log_tx)
            });
        let output_lost = match read_again {
            Ok(capture) => {
                s.capture = capture;
                None
            }
            Err(e) => Some(format!("Cannot read its output again: {e}")),
        };
        for found in request.main.into_iter().chain(request.control) {
            if let Some(session) = found.session {
                s.procs.add_session(session);
            }
            self.watches.add(&name, found.pid, found.pidfd);
        }
        let now = Instant::now();
        // Adopting needs a main process to watch.
        if request.adopt && takeover.main.is_some() {
            if let Some(s) = self.services.get_mut(&name) {
                s.machine.adopt(&takeover, now);
            }
            self.log_manager(
                &name,
                format!(
                    "Adopted after the daemon's restart: invocation {}, main process {}.",
                    request.invocation_id,
                    takeover.main.map_or(0, |m| m.pid.as_raw())
                ),
            );
            self.touch(&name);
        } else {
            self.with_machine(&name, |m, rt| m.end_taken_over(&takeover, now, rt));
        }
        if let Some(why) = output_lost {
            self.log_manager(&name, why);
        }
        self.process_changes.insert(name);
        self.flush_reports();
        Ok(())
    }

    /// Watches again the taken-over processes a re-executed daemon hands
    /// over, as `(unit, pid, start ticks)`; one that is gone or whose pid
    /// names another process now has ended.
    pub(super) fn watch_again(&mut self, adopted: &[(String, i32, u64)]) {
        for (unit, raw, ticks) in adopted {
            let pid = Pid::from_raw(*raw);
            let fd = pidfd_open(pid).ok();
            let same = identify(*ticks, look(pid, None)) == Finding::Running;
            self.watches.add(unit, pid, fd.filter(|_| same));
            if !same {
                self.adopted_exited(pid);
            }
        }
    }

    /// The taken-over processes to hand over, as `(unit, pid, start ticks)`.
    pub(super) fn watched(&self) -> Vec<(String, i32, u64)> {
        self.watches
            .list()
            .into_iter()
            .filter_map(|(unit, pid)| Some((unit, pid, start_ticks(Pid::from_raw(pid))?)))
            .collect()
    }

    /// A taken-over process exited.
    pub(super) fn adopted_exited(&mut self, pid: Pid) {
        let Some(name) = self.watches.remove(pid) else {
            return;
        };
        if let Some(s) = self.services.get(&name) {
            // Its last lines go before what is said about its end.
            s.capture.read_now();
        }
        self.drain_output();
        let now = Instant::now();
        self.with_machine(&name, |m, rt| m.adopted_gone(pid, now, rt));
        self.watch_leftovers(&name);
        self.flush_reports();
    }

    /// A stop of a taken-over run waits for what is left of its processes:
    /// they are not this daemon's children (no SIGCHLD tells of their
    /// end), so each is watched as the main process was.
    fn watch_leftovers(&mut self, name: &str) {
        let Some(s) = self.services.get(name) else {
            return;
        };
        if !matches!(s.machine.state(), super::ServiceState::Killing { .. }) {
            return;
        }
        let me = nix::unistd::getpid();
        let table = super::procs::scan();
        let parent: HashMap<Pid, Pid> = table.iter().map(|p| (p.pid, p.ppid)).collect();
        // Our descendants are left to SIGCHLD: they come to this daemon
        // (the subreaper) when their parent dies, and are reaped by it.
        let descends_from_me = |mut pid: Pid| {
            for _ in 0..table.len() {
                match parent.get(&pid) {
                    Some(p) if *p == me => return true,
                    Some(p) if p.as_raw() > 1 => pid = *p,
                    _ => return false,
                }
            }
            false
        };
        for pid in s.procs.members(&table) {
            if !descends_from_me(pid) && !self.watches.contains(pid) {
                self.watches.add(name, pid, pidfd_open(pid).ok());
            }
        }
        // What ended since the machine looked is watched no more (nor at
        // all when it ended before the scan): look again.
        let now = Instant::now();
        self.with_machine(name, |m, rt| m.check_gone(now, rt));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seen(ticks: u64) -> Seen {
        Seen {
            start_ticks: ticks,
            sid: Pid::from_raw(10),
            zombie: false,
            in_cgroup: None,
        }
    }

    #[test]
    fn a_process_is_the_recorded_one_only_with_the_same_start_time_and_cgroup() {
        assert_eq!(identify(500, Some(seen(500))), Finding::Running);
        assert_eq!(identify(500, None), Finding::Gone);
        // The pid was given to a later process.
        assert_eq!(identify(500, Some(seen(900))), Finding::Reused);
        let moved = Seen {
            in_cgroup: Some(false),
            ..seen(500)
        };
        assert_eq!(identify(500, Some(moved)), Finding::Reused);
        let inside = Seen {
            in_cgroup: Some(true),
            ..seen(500)
        };
        assert_eq!(identify(500, Some(inside)), Finding::Running);
        let zombie = Seen {
            zombie: true,
            ..seen(500)
        };
        assert_eq!(identify(500, Some(zombie)), Finding::Gone);
        // A reused pid that happens to be a zombie is still not ours.
        let other_zombie = Seen {
            zombie: true,
            ..seen(1)
        };
        assert_eq!(identify(500, Some(other_zombie)), Finding::Reused);
    }

    /// The sub-state the store names so.
    fn sub(name: &str) -> Option<SubState> {
        let state = SubState::from_name(name);
        assert!(state.is_some(), "{name} is no sub-state");
        state
    }

    #[test]
    fn runs_at_rest_are_adopted_and_runs_mid_chain_are_ended() {
        use Finding::*;
        assert_eq!(
            plan(false, sub("running"), Some(Running), None),
            Plan::Adopt
        );
        assert_eq!(plan(false, sub("reload"), Some(Running), None), Plan::Adopt);
        assert_eq!(plan(true, sub("start"), Some(Running), None), Plan::Adopt);
        // A notify service still waiting for READY=1, a stop under way.
        assert_eq!(plan(false, sub("start"), Some(Running), None), Plan::End);
        assert_eq!(
            plan(false, sub("stop-sigterm"), Some(Running), None),
            Plan::End
        );
        // A control command in flight, alive or not, cuts the run off.
        assert_eq!(
            plan(false, sub("start-post"), Some(Running), Some(Running)),
            Plan::End
        );
        assert_eq!(
            plan(false, sub("start-post"), Some(Running), Some(Gone)),
            Plan::End
        );
        assert_eq!(
            plan(false, sub("start-pre"), None, Some(Running)),
            Plan::End
        );
        assert_eq!(
            plan(false, sub("reload"), Some(Reused), Some(Running)),
            Plan::End
        );
        // Nothing of the run is left, or only pids that are another's now.
        assert_eq!(plan(false, sub("running"), Some(Gone), None), Plan::Lost);
        assert_eq!(plan(false, sub("running"), Some(Reused), None), Plan::Lost);
        assert_eq!(
            plan(true, sub("start"), Some(Reused), Some(Gone)),
            Plan::Lost
        );
        assert_eq!(plan(false, sub("running"), None, None), Plan::Lost);
    }

    #[test]
    fn start_time_is_field_22() {
        let line =
            "4242 (a) b (c)) S 1 4242 4242 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 987654 1234 56";
        assert_eq!(parse_start_ticks(line), Some(987_654));
        assert_eq!(parse_start_ticks("4242 (x) S 1"), None);
        let me = Pid::this();
        let mine = start_ticks(me).expect("this process has a stat");
        assert_eq!(look(me, None).map(|s| s.start_ticks), Some(mine));
        assert_eq!(identify(mine, look(me, None)), Finding::Running);
    }

    #[tokio::test]
    async fn a_pidfd_tells_when_a_process_that_is_not_our_child_exits() {
        // A child is enough to see the descriptor become readable; the
        // daemon's use (a process it is not the parent of) is the
        // integration tests'.
        let mut child = std::process::Command::new("sleep")
            .arg("0.05")
            .spawn()
            .unwrap();
        let pid = Pid::from_raw(child.id() as i32);
        let fd = pidfd_open(pid).expect("pidfd_open (Linux 5.3)");
        let mut w = Watches::default();
        w.add("a.service", pid, Some(fd));
        let exited = tokio::time::timeout(Duration::from_secs(10), w.next_exit()).await;
        assert_eq!(exited.ok(), Some(pid));
        assert_eq!(w.remove(pid).as_deref(), Some("a.service"));
        child.wait().unwrap();
    }
}
