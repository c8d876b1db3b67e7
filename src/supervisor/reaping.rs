//! Reaping: which service an exited or inherited process belongs to, the
//! orphans this process inherits as subreaper, and the strays no service
//! claims (see [`ownership`] for the rules).

use std::time::{Duration, Instant};

use nix::errno::Errno;
use nix::sys::wait::{waitpid, WaitPidFlag, WaitStatus};
use nix::unistd::Pid;

use super::exit::ProcessExit;
use super::state::{ActiveState, ServiceState};
use super::{kill, ownership, procs, Service, Supervisor};

impl Supervisor {
    /// Reads the process tree into the ownership map, for the services
    /// tracked by it, unless the last read is less than `gap` ago. Returns
    /// whether it read.
    pub(super) fn refresh_ownership(&mut self, gap: Duration) -> bool {
        let now = Instant::now();
        if self.last_scan.is_some_and(|t| now.duration_since(t) < gap) {
            return false;
        }
        let tracked: Vec<&String> = self
            .busy
            .iter()
            .filter(|n| self.services.get(*n).is_some_and(by_process_tree))
            .collect();
        if tracked.is_empty() {
            return false;
        }
        self.last_scan = Some(now);
        let table = procs::scan();
        let owned: Vec<(&str, Vec<Pid>)> = tracked
            .iter()
            .filter_map(|n| {
                let s = self.services.get(*n)?;
                Some((n.as_str(), s.procs.members(&table).into_iter().collect()))
            })
            .collect();
        self.ownership.refresh(&table, owned);
        true
    }

    /// When the process tree is next read for the ownership map: while a
    /// service without a cgroup has processes.
    pub(super) fn next_scan(&self) -> Option<Instant> {
        if !self.busy_services().any(|(_, s)| by_process_tree(s)) {
            return None;
        }
        // Never read yet: now.
        Some(
            self.last_scan
                .map_or_else(Instant::now, |t| t + ownership::SCAN_INTERVAL),
        )
    }

    /// The service a process belongs to: by main/control pid, by its
    /// cgroup, by session or process group, by its $INVOCATION_ID.
    pub(super) fn owner_of(&self, pid: Pid) -> Option<String> {
        // Only a service with processes has a main or control pid or sessions.
        for (name, s) in self.busy_services() {
            if s.machine.main_pid() == Some(pid) || s.machine.control_pid() == Some(pid) {
                return Some(name.clone());
            }
        }
        if let Some(unit) = self.cgroups.as_ref().and_then(|g| g.unit_of(pid)) {
            return Some(unit.to_owned());
        }
        if let Some(info) = procs::stat(pid) {
            for (name, s) in self.busy_services() {
                if s.procs.sessions.contains(&info.sid) || s.procs.sessions.contains(&info.pgid) {
                    return Some(name.clone());
                }
            }
        }
        let inv = procs::invocation_id_of(pid)?;
        self.services
            .iter()
            .find(|(_, s)| s.machine.invocation_id() == inv)
            .map(|(n, _)| n.clone())
    }

    /// Takes the children this process inherited as subreaper and files each
    /// under its service, by what tells (see [`ownership`]): its cgroup, the
    /// process tree seen earlier, $INVOCATION_ID, its output pipe, or the
    /// service in `dead` (services and their processes that just died) whose
    /// process it descends from: the only one, or the one whose dead process
    /// led the orphan's session or process group. Children that belong to
    /// nobody here are strays, reaped when they exit and ended at a stop
    /// that may be theirs, only with `reap_strays` (the daemon owns every
    /// child of its process; a test process may run several supervisors
    /// side by side). Returns whether a service took one that has already
    /// exited (to be reaped now).
    pub(super) fn adopt_orphans(&mut self, dead: &[(String, Pid)]) -> bool {
        let mut exited_orphans = false;
        let mut claims = procs::Claims::lock();
        let children = procs::own_children();
        // Most looks find only the services' own processes, all claimed:
        // nothing to adopt, and no process's stat to read.
        if children.iter().all(|pid| claims.is_claimed(*pid)) {
            drop(claims);
            self.end_suspects(None);
            return false;
        }
        let children: Vec<(Pid, Option<procs::ProcInfo>)> = children
            .into_iter()
            .map(|pid| (pid, procs::stat(pid)))
            .collect();
        // An exit of ours still to be reaped may tell whose an orphan is.
        let exits_pending = children
            .iter()
            .any(|(pid, info)| claims.is_claimed(*pid) && info.is_some_and(|i| i.zombie));
        for (pid, info) in children {
            if claims.is_claimed(pid) {
                continue;
            }
            let evidence = self.evidence(pid, info.as_ref(), dead);
            let zombie = info.is_none_or(|i| i.zombie);
            let verdict = ownership::judge(evidence, self.config.reap_strays, exits_pending);
            match verdict {
                ownership::Verdict::Owner(unit) => {
                    let Some(s) = self.services.get_mut(&unit) else {
                        continue;
                    };
                    claims.claim(pid);
                    s.procs.orphans.insert(pid);
                    exited_orphans |= zombie;
                    // It escaped the stop's signal while its parent lived.
                    if let Some(signal) = s.machine.newcomer_signal() {
                        kill::signal_one(pid, signal, false);
                    }
                    self.busy.insert(unit);
                }
                ownership::Verdict::Stray => {
                    // Nothing tells whose it is (see `ownership`).
                    claims.claim(pid);
                    self.strays.insert(pid);
                    if let Some(info) = info.filter(|_| !zombie) {
                        self.suspects.insert(pid, info.start);
                    }
                }
                ownership::Verdict::Reap => {
                    claims.claim(pid);
                    self.strays.insert(pid);
                }
                ownership::Verdict::Wait | ownership::Verdict::Leave => {}
            }
        }
        drop(claims);
        self.end_suspects(None);
        exited_orphans
    }

    /// When the current run of `name` began, for ending strays at its stop:
    /// none where its stop leaves processes (KillMode=process, none).
    pub(super) fn stray_window(&self, name: &str) -> Option<u64> {
        let s = self.services.get(name)?;
        stop_ends_all(s).then_some(s.procs.since).flatten()
    }

    /// Ends the strays that may belong to a service being stopped (or to
    /// the run that began at `stopped`, one just stopped): those that
    /// started after its run began.
    pub(super) fn end_suspects(&mut self, stopped: Option<u64>) {
        if self.suspects.is_empty() {
            return;
        }
        let mut stopping: Vec<u64> = self
            .busy_services()
            .filter(|(_, s)| s.machine.state().active_state() == ActiveState::Deactivating)
            .filter(|(_, s)| stop_ends_all(s))
            .filter_map(|(_, s)| s.procs.since)
            .collect();
        stopping.extend(stopped);
        if stopping.is_empty() {
            return;
        }
        self.suspects.retain(|pid, start| {
            if !ownership::stray_ended(*start, stopping.iter().copied()) {
                return true;
            }
            let _ = nix::sys::signal::kill(*pid, nix::sys::signal::Signal::SIGKILL);
            false
        });
    }

    /// UtmpIdentifier=: the DEAD_PROCESS record of a process of `name`
    /// (written only over the entry of that very process, as systemd's
    /// `utmp_put_dead_process` does; a failure is only logged).
    fn utmp_dead(&mut self, name: &str, pid: Pid, exit: ProcessExit) {
        let Some(s) = self.services.get(name) else {
            return;
        };
        let Some(id) = s
            .machine
            .unit()
            .service
            .exec_context()
            .utmp_identifier
            .clone()
        else {
            return;
        };
        if let Err(e) = super::utmp::write_dead(&self.config.utmp, &id, pid.as_raw(), exit) {
            let message = format!(
                "Failed to write utmp record to {}: {e}",
                self.config.utmp.utmp.display()
            );
            self.log_manager(name, message);
        }
    }

    /// What tells whose an inherited process is. Looked up in
    /// [`ownership::judge`]'s order, and no further than the first that
    /// tells: each costs a read in /proc.
    fn evidence(
        &self,
        pid: Pid,
        info: Option<&procs::ProcInfo>,
        dead: &[(String, Pid)],
    ) -> ownership::Evidence<String> {
        let mut e = ownership::Evidence {
            cgroup: self
                .cgroups
                .as_ref()
                .and_then(|g| g.unit_of(pid))
                .map(str::to_owned),
            ..Default::default()
        };
        if e.cgroup.is_some() {
            return e;
        }
        e.seen = info
            .and_then(|i| self.ownership.owner(pid, i.start))
            .map(str::to_owned);
        if e.seen.is_some() {
            return e;
        }
        if let Some(inv) = procs::invocation_id_of(pid) {
            e.invocation = self
                .services
                .iter()
                .find(|(_, s)| s.machine.invocation_id() == inv)
                .map(|(n, _)| n.clone());
            e.foreign = e.invocation.is_none();
            return e;
        }
        let pipes = procs::stdio_pipes(pid);
        if !pipes.is_empty() {
            e.output = self
                .busy_services()
                .find(|(_, s)| pipes.iter().any(|p| s.procs.output_pipes.contains(p)))
                .map(|(n, _)| n.clone());
        }
        if e.output.is_none() {
            e.lost_parent = orphan_of(pid, dead);
        }
        e
    }

    /// Reaps every exited process of ours by pid and tells its service.
    pub(super) fn reap(&mut self) {
        let mut first = true;
        loop {
            let mut exited = Vec::new();
            let names: Vec<String> = self.busy.iter().cloned().collect();
            for name in names {
                let pids: Vec<Pid> = match self.services.get(&name) {
                    Some(s) => s
                        .machine
                        .main_pid()
                        .into_iter()
                        .chain(s.machine.control_pid())
                        .chain(s.procs.orphans.iter().copied())
                        // Not our children: their end comes through a pidfd.
                        .filter(|p| !self.watches.contains(*p))
                        .collect(),
                    None => continue,
                };
                for pid in pids {
                    if let Some(exit) = try_reap(pid) {
                        exited.push((name.clone(), pid, exit));
                    }
                }
            }
            let mut progress = !exited.is_empty();
            // Children of the dead processes were re-parented to us: take
            // them (one look at /proc for the whole pass) before a service
            // looks for its daemon. On the first pass also the ones whose
            // parent was not ours. Orphans without $INVOCATION_ID go to the
            // service that lost a process (see `adopt_orphans`).
            if first || progress {
                if first {
                    self.refresh_ownership(ownership::SCAN_AT_EXIT_GAP);
                }
                let dead: Vec<(String, Pid)> =
                    exited.iter().map(|(n, pid, _)| (n.clone(), *pid)).collect();
                // An orphan that has already exited is reaped (and its
                // service told, an OOM kill seen) in the next pass.
                progress |= self.adopt_orphans(&dead);
                first = false;
            }
            for (name, pid, exit) in exited {
                let now = Instant::now();
                if let Some(s) = self.services.get_mut(&name) {
                    s.procs.orphans.remove(&pid);
                    // Its last lines go before what is said about its end.
                    s.capture.read_now();
                }
                self.drain_output();
                if self.oom_kill_seen(&name) {
                    self.log_manager(
                        &name,
                        "A process of this unit has been killed by the OOM killer.".to_owned(),
                    );
                    self.with_machine(&name, |m, rt| m.oom_killed(now, rt));
                }
                self.utmp_dead(&name, pid, exit);
                self.with_machine(&name, |m, rt| m.child_exited(pid, exit, now, rt));
            }
            let strays: Vec<Pid> = self.strays.iter().copied().collect();
            for pid in strays {
                if try_reap(pid).is_some() {
                    self.strays.remove(&pid);
                    self.suspects.remove(&pid);
                    progress = true;
                }
            }
            // Processes that are not our children (a MAINPID= in another
            // branch) and a stop waiting for the group to empty.
            let now = Instant::now();
            let names: Vec<String> = self.busy.iter().cloned().collect();
            for name in names {
                let killing = self
                    .services
                    .get(&name)
                    .is_some_and(|s| matches!(s.machine.state(), ServiceState::Killing { .. }));
                if killing {
                    self.with_machine(&name, |m, rt| m.check_gone(now, rt));
                }
            }
            self.flush_reports();
            if !progress {
                break;
            }
        }
    }
}

/// Whether a stop of the service ends every process of its run
/// (KillMode=control-group, mixed), so that strays that may be its go too.
fn stop_ends_all(s: &Service) -> bool {
    matches!(
        s.machine.unit().service.stop.kill_mode,
        crate::unit::service::KillMode::ControlGroup | crate::unit::service::KillMode::Mixed
    )
}

/// Whether a service's processes are tracked by the process tree (no
/// cgroup) and it has some it knows of: the ones the ownership map is read
/// for. (A cheap test: no look at the system.)
fn by_process_tree(s: &Service) -> bool {
    s.procs.cgroup.is_none()
        && (s.machine.main_pid().is_some()
            || s.machine.control_pid().is_some()
            || !s.procs.orphans.is_empty())
}

/// Which of the services in `dead` an orphan without $INVOCATION_ID came
/// from: the only one, or the one whose dead process led its session or
/// process group (a service's processes inherit both unless they move).
fn orphan_of(pid: Pid, dead: &[(String, Pid)]) -> Option<String> {
    let (first, rest) = dead.split_first()?;
    if rest.iter().all(|(name, _)| *name == first.0) {
        return Some(first.0.clone());
    }
    let info = procs::stat(pid)?;
    dead.iter()
        .find(|(_, p)| *p == info.sid || *p == info.pgid)
        .map(|(name, _)| name.clone())
}

/// Reaps `pid` if it has ended. A pid that is not our child (ECHILD) and no
/// longer exists counts as a clean exit: its status is not ours to know.
pub(super) fn try_reap(pid: Pid) -> Option<ProcessExit> {
    match waitpid(pid, Some(WaitPidFlag::WNOHANG)) {
        Ok(WaitStatus::StillAlive) => None,
        Ok(status) => {
            let exit = ProcessExit::from_wait(status)?;
            procs::release(pid);
            Some(exit)
        }
        Err(Errno::ECHILD) if !kill::alive(pid) => {
            procs::release(pid);
            Some(ProcessExit::Exited(0))
        }
        Err(_) => None,
    }
}
