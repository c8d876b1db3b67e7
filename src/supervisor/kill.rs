//! Which processes belong to a service run, and sending them signals per
//! `KillMode=`.
//!
//! Where the service has a cgroup (see [`super::control_group`]), its
//! processes are the cgroup's. Besides (and without a cgroup, only), every
//! command is spawned in its own session (so its own process group); a
//! service's processes are those sessions and groups, the children the
//! daemon inherited from them as subreaper, and all their descendants.

use std::collections::{BTreeSet, HashMap};

use nix::errno::Errno;
use nix::sys::signal::{kill, killpg, Signal as NixSignal};
use nix::unistd::Pid;

use super::cgroup_v1;
use super::control_group::{self, ServiceCgroup};
use super::procs::{self, ProcInfo};
use crate::unit::service::KillMode;
use crate::unit::Signal;

/// Which processes of a service `kill` signals (systemctl's `--kill-whom`);
/// the request of the same name carries it as `main`, `control` or `all`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum KillWhom {
    /// The main process only.
    Main,
    /// The control process (ExecStartPre= ...) only.
    Control,
    /// Every process of the unit (systemctl's default).
    #[default]
    All,
}

/// The processes of one service run.
#[derive(Debug, Default, Clone)]
pub struct ProcessSet {
    /// Session (= process group) ids of every command spawned for the run.
    pub sessions: BTreeSet<Pid>,
    /// Children inherited as subreaper that belong to the run.
    pub orphans: BTreeSet<Pid>,
    /// The service's cgroup, where it has one: every process of the
    /// service is in it. It outlives a run that leaves processes behind.
    pub cgroup: Option<ServiceCgroup>,
    /// Its cgroup v1 directories (the hybrid layout's controllers), which
    /// hold its limits; tracking is the v2 cgroup's.
    pub v1: Vec<super::cgroup_v1::V1Dir>,
    /// The counters of `IPAccounting=`, while its programs are attached.
    pub ip_counters: Option<std::sync::Arc<super::bpf::attach::IpCounters>>,
    /// The OOM killer's count of kills in its cgroups when the run began
    /// (then at its last kill), where a memory controller counts them.
    pub oom_kills: Option<u64>,
    /// The inodes of the pipes that capture the run's output, which a
    /// process that left everything else behind may still write to.
    pub output_pipes: BTreeSet<u64>,
    /// When the run's first process started (clock ticks since boot): a
    /// stray that started earlier is not the run's.
    pub since: Option<u64>,
    /// The run's first process, whose start time `since` is.
    pub first: Option<Pid>,
    /// Whether its cgroup was seen empty since the daemon last placed a
    /// process there (see [`ProcessSet::cgroup_populated`]).
    pub(super) cgroup_emptied: std::cell::Cell<bool>,
    /// The directories and credentials made for the run (see
    /// `run_environment`), released when it ends.
    pub run_environment: Option<Box<super::run_environment::RunEnvironment>>,
}

impl ProcessSet {
    pub fn add_session(&mut self, pid: Pid) {
        self.sessions.insert(pid);
    }

    /// Whether the service's cgroup has processes (`None`: no cgroup, or
    /// its `cgroup.events` cannot be read). Once seen empty it stays empty
    /// until the daemon places a process there again
    /// ([`ProcessSet::filling`]): none is left to fork into it, and only
    /// the daemon moves processes into its services' cgroups. So the answer
    /// is kept, and the stop rounds after a run's last exit do not read
    /// the file again and again.
    pub fn cgroup_populated(&self) -> Option<bool> {
        let cg = self.cgroup.as_ref()?;
        if self.cgroup_emptied.get() {
            return Some(false);
        }
        let populated = control_group::populated(&cg.dir);
        if populated == Some(false) {
            self.cgroup_emptied.set(true);
        }
        populated
    }

    /// A process is about to be placed into the cgroup: it is to be read
    /// again.
    pub fn filling(&mut self) {
        self.cgroup_emptied.set(false);
    }

    /// The start time of `pid` where it is the run's first process (read
    /// at its spawn).
    pub fn first_start(&self, pid: Pid) -> Option<u64> {
        self.since.filter(|_| self.first == Some(pid))
    }

    /// Every living process of the run, from one scan of /proc: members of
    /// its sessions and process groups, its orphans, and the descendants of
    /// all of these (a daemon that called setsid() stays a descendant until its
    /// parent dies, and then it is an orphan of ours).
    pub fn members(&self, table: &[ProcInfo]) -> BTreeSet<Pid> {
        let mut set = self.cgroup_members();
        set.extend(self.tree_members(table));
        set
    }

    /// The processes in the service's cgroup.
    fn cgroup_members(&self) -> BTreeSet<Pid> {
        self.cgroup
            .iter()
            .flat_map(|cg| control_group::processes(&cg.dir))
            .collect()
    }

    /// The members by session, process group and descent.
    fn tree_members(&self, table: &[ProcInfo]) -> BTreeSet<Pid> {
        let mut set: BTreeSet<Pid> = table
            .iter()
            .filter(|p| !p.zombie)
            .filter(|p| {
                self.sessions.contains(&p.sid)
                    || self.sessions.contains(&p.pgid)
                    || self.orphans.contains(&p.pid)
            })
            .map(|p| p.pid)
            .collect();
        let mut children: HashMap<Pid, Vec<Pid>> = HashMap::new();
        for p in table.iter().filter(|p| !p.zombie) {
            children.entry(p.ppid).or_default().push(p.pid);
        }
        let mut todo: Vec<Pid> = set.iter().copied().collect();
        while let Some(pid) = todo.pop() {
            for child in children.get(&pid).into_iter().flatten() {
                if set.insert(*child) {
                    todo.push(*child);
                }
            }
        }
        set
    }

    /// Cheap emptiness test without a /proc scan: no process group of the run
    /// has a member and no orphan lives. Exact once the run's known processes
    /// are reaped: a surviving process that left its session is either a
    /// descendant of a group member or was re-parented to the daemon.
    pub fn looks_empty(&self) -> bool {
        // The cgroup, where there is one, holds every process: whether it
        // is populated is the answer, and exact.
        if let Some(populated) = self.cgroup_populated() {
            return !populated && self.orphans.iter().all(|p| !alive(*p));
        }
        let group_alive = |pgid: &Pid| !matches!(killpg(*pgid, None), Err(Errno::ESRCH));
        !self.sessions.iter().any(group_alive) && self.orphans.iter().all(|p| !alive(*p))
    }

    /// Whether any process of the run lives (scans /proc when the cheap test
    /// says yes, to skip zombies waiting for their parent).
    pub fn is_empty(&self) -> bool {
        if self.looks_empty() {
            return true;
        }
        if self.has_cgroup() {
            // Populated: only zombies of ours may be left to reap.
            return self.orphans.iter().all(|p| !alive(*p))
                && control_group::processes(&self.cgroup_dir()).is_empty();
        }
        self.members(&procs::scan()).is_empty()
    }

    fn has_cgroup(&self) -> bool {
        self.cgroup_populated().is_some()
    }

    fn cgroup_dir(&self) -> std::path::PathBuf {
        self.cgroup
            .as_ref()
            .map(|cg| cg.dir.clone())
            .unwrap_or_default()
    }
}

/// Whether `pid` exists and is not a zombie.
pub fn alive(pid: Pid) -> bool {
    match kill(pid, None) {
        Err(Errno::ESRCH) => false,
        _ => procs::stat(pid).is_some_and(|p| !p.zombie),
    }
}

/// Which processes a signal round reaches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KillScope {
    /// Main and control process only.
    MainAndControl,
    /// Every process of the run.
    All,
    Nothing,
}

/// systemd's unit_kill_context: `KillSignal=` goes to the whole group for
/// control-group, to main and control only for mixed and process; the final
/// SIGKILL round reaches everything for mixed too; none sends nothing.
pub fn scope(mode: KillMode, final_kill: bool) -> KillScope {
    match mode {
        KillMode::ControlGroup => KillScope::All,
        KillMode::Mixed if final_kill => KillScope::All,
        KillMode::Mixed | KillMode::Process => KillScope::MainAndControl,
        KillMode::None => KillScope::Nothing,
    }
}

/// Sends `signal` to the processes `scope` selects; SIGCONT follows so that
/// stopped processes can act on it (systemd always does this), and SIGHUP when
/// `send_sighup`. Returns how many processes were signalled.
pub fn signal_run(
    scope: KillScope,
    signal: Signal,
    send_sighup: bool,
    main: Option<Pid>,
    control: Option<Pid>,
    set: &ProcessSet,
) -> usize {
    let mut targets: BTreeSet<Pid> = BTreeSet::new();
    match scope {
        KillScope::Nothing => return 0,
        KillScope::MainAndControl => targets.extend(main.into_iter().chain(control)),
        KillScope::All => {
            targets.extend(main.into_iter().chain(control));
            // Where the v2 cgroup can be neither killed nor frozen.
            let freezer = set
                .v1
                .iter()
                .find(|d| d.has(cgroup_v1::FREEZER))
                .map(|d| d.dir.as_path());
            if let (Some(cg), Some(populated)) = (set.cgroup.as_ref(), set.cgroup_populated()) {
                // Every process of the run is in the cgroup; main or control
                // outside it (none, normally) follow. An empty cgroup has
                // nothing to signal (most runs end so).
                let mut done = BTreeSet::new();
                let n = if populated {
                    signal_cgroup(&cg.dir, freezer, signal, send_sighup, &mut done)
                } else {
                    0
                };
                let rest: BTreeSet<Pid> = targets.difference(&done).copied().collect();
                return n + signal_pids(&rest, signal, send_sighup);
            }
            let mut count = 0;
            if let Some(fz) = freezer.filter(|_| signal.number() == libc::SIGKILL) {
                let pids = cgroup_v1::procs_below(fz);
                if cgroup_v1::freeze_and_kill(fz) {
                    count += pids.iter().filter(|p| !targets.contains(p)).count();
                }
            }
            // The scan of /proc is the expensive part; most runs end with
            // nothing left, which the group check tells cheaply.
            if !set.looks_empty() {
                targets.extend(set.members(&procs::scan()));
            }
            return count + signal_pids(&targets, signal, send_sighup);
        }
    }
    signal_pids(&targets, signal, send_sighup)
}

fn signal_pids(targets: &BTreeSet<Pid>, signal: Signal, send_sighup: bool) -> usize {
    targets
        .iter()
        .filter(|pid| signal_one(**pid, signal, send_sighup))
        .count()
}

/// Signals every process of a cgroup; `done` takes those signalled. SIGKILL goes through
/// `cgroup.kill` where the kernel has it, else by freezing the cgroup (v2,
/// else the service's v1 freezer cgroup `freezer`), which no fork can outrun; other
/// signals go pid by pid, again while new processes turn up (a fork between
/// the read and the signal), as systemd's cg_kill does. Returns how many
/// were signalled here.
fn signal_cgroup(
    dir: &std::path::Path,
    freezer: Option<&std::path::Path>,
    signal: Signal,
    send_sighup: bool,
    done: &mut BTreeSet<Pid>,
) -> usize {
    let mut count = 0;
    if signal.number() == libc::SIGKILL {
        let pids = control_group::processes(dir);
        // cgroup.kill, else freezing the v2 cgroup, else the v1 freezer's.
        if control_group::kill_all(dir) || freezer.is_some_and(cgroup_v1::freeze_and_kill) {
            count += pids.iter().filter(|p| done.insert(**p)).count();
            return count;
        }
    }
    for _ in 0..16 {
        let fresh: Vec<Pid> = control_group::processes(dir)
            .into_iter()
            .filter(|p| done.insert(*p))
            .collect();
        if fresh.is_empty() {
            break;
        }
        count += fresh
            .into_iter()
            .filter(|pid| signal_one(*pid, signal, send_sighup))
            .count();
    }
    count
}

/// Sends `signal` to one process, then SIGCONT (so that a stopped process
/// sees it) and, with SendSIGHUP=, SIGHUP; whether the process was there.
pub fn signal_one(pid: Pid, signal: Signal, send_sighup: bool) -> bool {
    let Ok(sig) = NixSignal::try_from(signal.number()) else {
        return false;
    };
    if kill(pid, sig).is_err() {
        return false;
    }
    if sig != NixSignal::SIGKILL && sig != NixSignal::SIGCONT {
        let _ = kill(pid, NixSignal::SIGCONT);
    }
    if send_sighup && sig != NixSignal::SIGHUP {
        let _ = kill(pid, NixSignal::SIGHUP);
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    fn info(pid: i32, ppid: i32, pgid: i32, sid: i32) -> ProcInfo {
        ProcInfo {
            pid: Pid::from_raw(pid),
            ppid: Pid::from_raw(ppid),
            pgid: Pid::from_raw(pgid),
            sid: Pid::from_raw(sid),
            zombie: false,
            start: 0,
        }
    }

    #[test]
    fn members_follow_sessions_orphans_and_descendants() {
        let table = [
            info(1, 0, 1, 1),
            info(100, 1, 100, 100),   // the daemon
            info(200, 100, 200, 200), // spawned command
            info(201, 200, 200, 200), // its child
            info(202, 201, 202, 202), // setsid'd grandchild, parent alive
            info(203, 202, 203, 203), // its child
            info(300, 100, 300, 300), // orphan re-parented to the daemon
            info(301, 300, 301, 301),
            info(400, 100, 400, 400), // another service
        ];
        let mut set = ProcessSet::default();
        set.add_session(Pid::from_raw(200));
        set.orphans.insert(Pid::from_raw(300));
        let got: Vec<i32> = set.members(&table).iter().map(|p| p.as_raw()).collect();
        assert_eq!(got, vec![200, 201, 202, 203, 300, 301]);
    }

    #[test]
    fn kill_scopes_follow_kill_mode() {
        assert_eq!(scope(KillMode::ControlGroup, false), KillScope::All);
        assert_eq!(scope(KillMode::Mixed, false), KillScope::MainAndControl);
        assert_eq!(scope(KillMode::Mixed, true), KillScope::All);
        assert_eq!(scope(KillMode::Process, true), KillScope::MainAndControl);
        assert_eq!(scope(KillMode::None, true), KillScope::Nothing);
    }
}
