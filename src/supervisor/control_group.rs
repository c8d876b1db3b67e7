//! One cgroup v2 directory per service, as systemd keeps them: a process
//! placed there before its exec cannot leave it, whatever it does with its
//! session, its parent or its environment, so a stop finds every process of
//! the service and knows when the last one is gone.
//!
//! The daemon works only below a subtree of its own, made in the cgroup it
//! was started in (`<own cgroup>/sundial-<pid>-<start>-<n>/<unit>`): it moves
//! no process it did not start, except itself in the one case below. The
//! subtree is removed when the supervisor ends; a subtree left by a daemon
//! that is gone (killed) is removed by the next daemon started in the same
//! cgroup, as far as it is empty (a cgroup with processes cannot be removed).
//!
//! With no controller enabled (the hybrid layout's tracking hierarchy, or a
//! v2 tree without delegated controllers), a cgroup may hold processes and
//! children alike. Once a controller is enabled for the services' limits
//! (`MemoryMax=` ...), the kernel's "no internal processes" rule applies to
//! the daemon's own cgroup: where the daemon is the only process in it (a
//! container's manager), it moves itself into a leaf of its subtree,
//! `supervisor`, as systemd does in a container; where other processes
//! share its cgroup, the controller cannot be enabled and the limits are
//! reported as not enforced.

use std::collections::{HashMap, VecDeque};
use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::time::{Duration, Instant};

use nix::unistd::Pid;

use super::cgroup::Delegation;

/// Where the daemon itself goes when a controller must be enabled in the
/// cgroup it shares with no other process.
const SUPERVISOR_LEAF: &str = "supervisor";

/// How long an empty service cgroup is kept for the service's next run
/// (see [`ControlGroups::keep_idle`]).
pub const KEEP_IDLE: Duration = Duration::from_secs(2);

/// The least time between two removals of kept cgroups: a service run
/// every second would otherwise have the loop woken for each.
const PRUNE_GAP: Duration = Duration::from_secs(1);

/// Supervisors made by this process so far: each gets a subtree of its own
/// (tests run several in one process).
static SUBTREES: AtomicU32 = AtomicU32::new(0);

/// The daemon's subtree and the services' directories in it.
#[derive(Debug)]
pub struct ControlGroups {
    /// The cgroup v2 mount point.
    mount: PathBuf,
    /// The cgroup the daemon was started in (absolute path).
    own: PathBuf,
    /// `own/sundial-...`.
    base: PathBuf,
    /// Service directory (absolute) -> unit, for telling which unit a
    /// process belongs to; a service in a slice is below the slice's
    /// directories.
    units: HashMap<PathBuf, String>,
    /// The daemon's pid (the process moved into a leaf when needed).
    me: u32,
    /// Whether the base's `cgroup.subtree_control` enables a controller
    /// for the services' directories made right below it: read once when
    /// the subtree is made (a daemon-reexec finds it as the earlier
    /// program left it), then kept by [`ControlGroups::enable`], the only
    /// writer. Saves a read of `cgroup.controllers` per run.
    enabled: AtomicBool,
    /// Whether the subtree's cgroups can be frozen (`cgroup.freeze`, Linux
    /// 5.2): the kernel's, asked once.
    freezable: bool,
    /// Empty cgroups of services whose run ended, kept for their next run,
    /// with when they were left.
    idle: HashMap<PathBuf, Instant>,
    /// The same in the order they were left; an entry whose directory was
    /// taken back since (or kept again) is skipped. Its front is always
    /// one still kept.
    idle_order: VecDeque<(Instant, PathBuf)>,
    /// When kept cgroups were last removed.
    last_prune: Option<Instant>,
}

/// A service's cgroup.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceCgroup {
    /// The directory (absolute).
    pub dir: PathBuf,
    /// Whether controllers apply to it: moving a process in may then touch
    /// its memory (cpuset), so a command is placed there by a fork, not by
    /// a clone sharing the daemon's memory.
    pub controllers: bool,
    /// The CPU time its `cpu.stat` counted before the run, where the
    /// cgroup was kept from an earlier run of the service (see
    /// [`ControlGroups::keep_idle`]): the run's is what it counts more.
    pub cpu_usec_before: u64,
}

impl ControlGroups {
    /// Makes the daemon's subtree below its own cgroup, after removing the
    /// empty leftovers of daemons that are gone.
    pub fn create(d: &Delegation, name: &str) -> io::Result<ControlGroups> {
        let mount = d.mount.clone();
        let own = d.root.clone();
        // Moving a command from the daemon's cgroup into its service's takes
        // write access to the daemon's `cgroup.procs` (the common ancestor).
        if !writable(&own.join("cgroup.procs")) {
            return Err(io::Error::from(io::ErrorKind::PermissionDenied));
        }
        sweep_stale(&own);
        let me = std::process::id();
        let base = own.join(name);
        fs::create_dir_all(&base)?;
        let enabled = subtree_controls(&base);
        let freezable = base.join("cgroup.freeze").exists();
        let groups = ControlGroups {
            mount,
            own,
            base,
            units: HashMap::new(),
            me,
            enabled: AtomicBool::new(enabled),
            freezable,
            idle: HashMap::new(),
            idle_order: VecDeque::new(),
            last_prune: None,
        };
        // A cgroup named with `--cgroup` is not the daemon's own: it moves
        // into its leaf there, so that the commands it forks move from a
        // cgroup of the subtree into another (a move needs write access
        // to the common ancestor) and the named cgroup holds no process.
        if d.named {
            groups.enter_leaf()?;
        }
        Ok(groups)
    }

    /// The subtree's directory.
    pub fn base(&self) -> &Path {
        &self.base
    }

    /// Makes (or finds, with leftovers of an earlier run) the directory of
    /// `unit`: `base/<unit>`, or with `Slice=` (`slice`, the slice's
    /// directories as [`crate::unit::foreign::slice_cgroup`] nests them)
    /// `base/<slice dirs>/<unit>`.
    pub fn prepare(&mut self, unit: &str, slice: &str) -> io::Result<ServiceCgroup> {
        let dir = self.dir_of(unit, slice);
        // Kept since the service's last run: its CPU count goes on.
        let kept = self.idle.remove(&dir).is_some();
        self.drop_taken_back();
        // create_dir_all: the base may have been swept by a daemon in
        // another pid namespace that took it for a dead daemon's (for a
        // kept directory, a failed mkdir and a stat).
        fs::create_dir_all(&dir)?;
        self.units.insert(dir.clone(), unit.to_owned());
        let cpu_usec_before = if kept { cpu_usec(&dir).unwrap_or(0) } else { 0 };
        Ok(ServiceCgroup {
            controllers: self.controllers_apply(&dir),
            dir,
            cpu_usec_before,
        })
    }

    /// Keeps a service's empty cgroup `dir` for its next run instead of
    /// removing it now: a service run again within [`KEEP_IDLE`] (a timer
    /// every second) then costs neither a mkdir nor an rmdir, the kernel's
    /// most expensive part of a run's cgroup. It is removed (with its
    /// slice's directories left empty) by [`ControlGroups::prune`] once
    /// kept that long, and with the subtree when the supervisor ends. Only
    /// for a cgroup nothing was set in that a next run would inherit: no
    /// controller applies, nothing delegated, no program attached (the
    /// caller's judgement).
    pub fn keep_idle(&mut self, dir: PathBuf, now: Instant) {
        if !dir.starts_with(&self.base) || dir == self.base {
            return;
        }
        self.idle.insert(dir.clone(), now);
        self.idle_order.push_back((now, dir));
    }

    /// When [`ControlGroups::prune`] has something to do: the oldest kept
    /// cgroup's time is up (not sooner than [`PRUNE_GAP`] after the last
    /// removal).
    pub fn prune_at(&self) -> Option<Instant> {
        let (left, _) = self.idle_order.front()?;
        let due = *left + KEEP_IDLE;
        Some(self.last_prune.map_or(due, |p| due.max(p + PRUNE_GAP)))
    }

    /// Removes the kept cgroups whose time is up at `now`.
    pub fn prune(&mut self, now: Instant) {
        if self.prune_at().is_none_or(|at| at > now) {
            return;
        }
        self.last_prune = Some(now);
        while let Some((left, dir)) = self.idle_order.pop_front() {
            if self.idle.get(&dir) != Some(&left) {
                continue;
            }
            if left + KEEP_IDLE > now {
                self.idle_order.push_front((left, dir));
                break;
            }
            self.idle.remove(&dir);
            self.remove(&dir);
        }
    }

    /// Drops the entries at the front of the order whose directory was
    /// taken back or kept again since, so that the front is one still kept.
    fn drop_taken_back(&mut self) {
        while let Some((left, dir)) = self.idle_order.front() {
            if self.idle.get(dir) == Some(left) {
                break;
            }
            self.idle_order.pop_front();
        }
    }

    /// Whether controllers apply to the service's cgroup `dir` (see
    /// [`ServiceCgroup::controllers`]): for a directory right below the
    /// base, what the base enables, as known here; in a slice's, its
    /// `cgroup.controllers` read.
    pub fn controllers_apply(&self, dir: &Path) -> bool {
        if dir.parent() == Some(self.base.as_path()) {
            self.enabled.load(Ordering::Relaxed)
        } else {
            has_controllers(dir)
        }
    }

    /// Whether the services' cgroups can be frozen (see [`can_freeze`]),
    /// without a look at each.
    pub fn freezable(&self) -> bool {
        !NO_CGROUP_FREEZE.load(Ordering::Relaxed) && self.freezable
    }

    /// Where `unit`'s cgroup is with the slice directories `slice`; a
    /// slice path that would leave the subtree (none does, from a parsed
    /// slice name) is not followed.
    fn dir_of(&self, unit: &str, slice: &str) -> PathBuf {
        let mut dir = self.base.clone();
        if slice_path_is_inside(slice) {
            dir.push(slice);
        }
        dir.join(escape(unit))
    }

    /// Takes a directory of an earlier program (daemon-reexec) as `unit`'s.
    pub fn adopt(&mut self, unit: &str, dir: &Path) -> Option<ServiceCgroup> {
        if !dir.starts_with(&self.base) || !dir.is_dir() {
            return None;
        }
        self.units.insert(dir.to_path_buf(), unit.to_owned());
        Some(ServiceCgroup {
            controllers: self.controllers_apply(dir),
            dir: dir.to_path_buf(),
            cpu_usec_before: 0,
        })
    }

    /// Takes over `old`, the cgroup a killed daemon made for `unit`: its
    /// processes (with those of the cgroups below it) move into `unit`'s
    /// cgroup here, and `old` goes once empty, with the killed daemon's
    /// subtree when nothing else is left in it.
    pub fn take_over(&mut self, unit: &str, slice: &str, old: &Path) -> io::Result<ServiceCgroup> {
        if old.starts_with(&self.base) {
            return self
                .adopt(unit, old)
                .ok_or_else(|| io::Error::from(io::ErrorKind::NotFound));
        }
        let cg = self.prepare(unit, slice)?;
        // A process that forks while the others move leaves its child
        // behind: go round until nothing is left (or nothing moves).
        for _ in 0..16 {
            let pids = processes(old);
            if pids.is_empty() {
                break;
            }
            for pid in pids {
                let _ = fs::write(cg.dir.join("cgroup.procs"), pid.to_string());
            }
        }
        remove_empty_tree(old);
        // Up to the killed daemon's subtree: its slices' directories, then
        // the subtree itself, each once empty; never above the cgroup the
        // subtrees are made in.
        let ours = old.starts_with(&self.own);
        for above in old.ancestors().skip(1).take_while(|_| ours) {
            let Some(name) = above.file_name().and_then(|n| n.to_str()) else {
                break;
            };
            if above == self.base || above == self.own {
                break;
            }
            if parse_subtree_name(name).is_some() {
                let _ = fs::remove_dir(above);
                break;
            }
            if !name.ends_with(".slice") {
                break;
            }
            let _ = fs::remove_dir(above);
        }
        Ok(cg)
    }

    /// Removes a service's directory `dir`, with the cgroups the service
    /// made below it, if no process is left in them, and then the
    /// directories of its slice that are left empty; whether the service's
    /// is gone.
    pub fn remove(&mut self, dir: &Path) -> bool {
        if !dir.starts_with(&self.base) || dir == self.base {
            return false;
        }
        let gone = remove_empty_tree(dir);
        if gone {
            self.units.remove(dir);
            for above in dir.ancestors().skip(1) {
                if above == self.base || !above.starts_with(&self.base) {
                    break;
                }
                // Another service of the slice still there: it stays.
                if fs::remove_dir(above).is_err() {
                    break;
                }
            }
        }
        gone
    }

    /// The unit whose cgroup holds `pid`, from `/proc/PID/cgroup`.
    pub fn unit_of(&self, pid: Pid) -> Option<&str> {
        let text = fs::read_to_string(format!("/proc/{pid}/cgroup")).ok()?;
        let path = unified_path(&text)?;
        let full = self.mount.join(path.trim_start_matches('/'));
        // The service's own directory, or one it made below it.
        full.ancestors()
            .take_while(|d| d.starts_with(&self.base) && *d != self.base)
            .find_map(|d| self.units.get(d))
            .map(String::as_str)
    }

    /// `ControlGroup=`: the path below the mount point, as systemd shows it.
    pub fn display_path(&self, dir: &Path) -> String {
        match dir.strip_prefix(&self.mount) {
            Ok(rel) => format!("/{}", rel.display()),
            Err(_) => dir.display().to_string(),
        }
    }

    /// Enables `controller` for the services: in the daemon's cgroup and in
    /// its subtree. Where the daemon's cgroup holds processes the kernel
    /// refuses (EBUSY); if the daemon is the only one there, it moves
    /// itself into a leaf and tries again.
    pub fn enable(&self, controller: &str) -> io::Result<()> {
        let add = format!("+{controller}");
        if let Err(e) = fs::write(self.own.join("cgroup.subtree_control"), &add) {
            if e.raw_os_error() != Some(libc::EBUSY) || !self.move_self_to_leaf()? {
                return Err(e);
            }
            fs::write(self.own.join("cgroup.subtree_control"), &add)?;
        }
        fs::write(self.base.join("cgroup.subtree_control"), &add)?;
        self.enabled.store(true, Ordering::Relaxed);
        Ok(())
    }

    /// Moves the daemon into `base/supervisor` if it is alone in its
    /// cgroup; whether it did.
    fn move_self_to_leaf(&self) -> io::Result<bool> {
        let me = self.me;
        let procs = fs::read_to_string(self.own.join("cgroup.procs"))?;
        let alone = procs.split_whitespace().all(|p| p == me.to_string());
        if !alone {
            return Ok(false);
        }
        self.enter_leaf()?;
        Ok(true)
    }

    /// Moves the daemon into `base/supervisor`.
    fn enter_leaf(&self) -> io::Result<()> {
        let leaf = self.base.join(SUPERVISOR_LEAF);
        fs::create_dir_all(&leaf)?;
        fs::write(leaf.join("cgroup.procs"), self.me.to_string()).map_err(|e| {
            io::Error::new(
                e.kind(),
                format!(
                    "cannot move the daemon into {}: {e}",
                    leaf.join("cgroup.procs").display()
                ),
            )
        })
    }
}

impl Drop for ControlGroups {
    /// Removes every empty directory of the subtree; a service's directory
    /// that still has processes (KillMode=none leftovers, a daemon told to
    /// exit without waiting) stays, with them, and so does the base.
    fn drop(&mut self) {
        remove_empty_tree(&self.base);
    }
}

/// The name of a new supervisor's subtree, the same in the v2 tree and in
/// each v1 hierarchy (see [`subtree_name`]).
pub fn new_subtree_name() -> String {
    let (pid, start) = proc_self().unwrap_or((std::process::id(), 0));
    let n = SUBTREES.fetch_add(1, Ordering::Relaxed);
    let name = subtree_name(pid, start, n);
    // In another PID namespace the pid means nothing to the host's daemons,
    // which would take the subtree for abandoned: marked, it is never swept.
    let namespace = fs::read_link("/proc/self/ns/pid").ok();
    match namespace.as_deref().and_then(pid_namespace_inode) {
        Some(inode) if !sees_every_pid(namespace.as_deref()) => format!("{name}-ns{inode}"),
        _ => name,
    }
}

/// The inode in a `pid:[N]` namespace link.
fn pid_namespace_inode(link: &Path) -> Option<u64> {
    link.to_str()?
        .strip_prefix("pid:[")?
        .strip_suffix(']')?
        .parse()
        .ok()
}

/// Whether a service's cgroup has processes: `populated` of `cgroup.events`
/// (None: not readable, the directory is gone).
pub fn populated(dir: &Path) -> Option<bool> {
    let text = fs::read_to_string(dir.join("cgroup.events")).ok()?;
    parse_populated(&text)
}

/// The processes in a cgroup and in the cgroups below it (a service may
/// make its own, `Delegate=`).
pub fn processes(dir: &Path) -> Vec<Pid> {
    let mut pids = fs::read_to_string(dir.join("cgroup.procs"))
        .map(|t| parse_pids(&t))
        .unwrap_or_default();
    if let Ok(entries) = fs::read_dir(dir) {
        for e in entries.filter_map(Result::ok) {
            if e.file_type().is_ok_and(|t| t.is_dir()) {
                pids.extend(processes(&e.path()));
            }
        }
    }
    pids
}

/// Test aid: set at start by the daemon when `SUNDIAL_TEST_NO_CGROUP_KILL=1`
/// is in its environment, it makes [`kill_all`] act as on a kernel without
/// `cgroup.kill` (before 5.14), so that the freeze-and-kill loop that such
/// kernels get is tested on kernels that have it.
static NO_CGROUP_KILL: AtomicBool = AtomicBool::new(false);

/// Test aid: with `SUNDIAL_TEST_NO_CGROUP_KILL=freeze`, the daemon acts as on
/// a kernel whose cgroup v2 has neither `cgroup.kill` nor `cgroup.freeze`
/// (before 5.2): SIGKILL goes by the v1 freezer where it is mounted.
static NO_CGROUP_FREEZE: AtomicBool = AtomicBool::new(false);

/// The environment variable of the test aid [`act_without_cgroup_kill`].
pub const NO_CGROUP_KILL_ENV: &str = "SUNDIAL_TEST_NO_CGROUP_KILL";

/// Test aid: from now on, act as if the kernel had no `cgroup.kill`, and
/// with `freeze` no v2 `cgroup.freeze` either.
pub fn act_without_cgroup_kill(freeze: bool) {
    NO_CGROUP_KILL.store(true, Ordering::Relaxed);
    NO_CGROUP_FREEZE.store(freeze, Ordering::Relaxed);
}

/// Whether the cgroup v2 `dir` can be frozen (`cgroup.freeze`, Linux 5.2).
pub fn can_freeze(dir: &Path) -> bool {
    !NO_CGROUP_FREEZE.load(Ordering::Relaxed) && dir.join("cgroup.freeze").exists()
}

/// Whether [`act_without_cgroup_kill`] was called (the start-up line says so).
pub fn acting_without_cgroup_kill() -> bool {
    NO_CGROUP_KILL.load(Ordering::Relaxed)
}

/// SIGKILL to every process of the cgroup and the cgroups below it: at
/// once with the kernel's `cgroup.kill` (Linux 5.14), else by
/// [`freeze_and_kill`]; false where neither works (no cgroup.freeze:
/// before Linux 5.2).
pub fn kill_all(dir: &Path) -> bool {
    if !acting_without_cgroup_kill() && fs::write(dir.join("cgroup.kill"), "1").is_ok() {
        return true;
    }
    freeze_and_kill(dir)
}

/// Rounds of [`freeze_and_kill`] before it gives up on a cgroup that does
/// not empty (a process stuck in the kernel).
const FREEZE_ROUNDS: usize = 64;

/// How long a round waits for the kernel to report the cgroup frozen.
const FREEZE_WAIT: std::time::Duration = std::time::Duration::from_millis(100);

/// SIGKILL to every process of a cgroup v2 where the kernel has no
/// `cgroup.kill`, as a process that forks cannot outrun it: freeze the
/// cgroup (`cgroup.freeze`, which freezes the cgroups below it too), send
/// SIGKILL to every process listed then, thaw so that they die, and go
/// round until no process is left. False where the cgroup cannot be
/// frozen (no `cgroup.freeze`); true once it is empty or after
/// `FREEZE_ROUNDS`.
pub fn freeze_and_kill(dir: &Path) -> bool {
    if !can_freeze(dir) {
        return false;
    }
    let freeze = dir.join("cgroup.freeze");
    for _ in 0..FREEZE_ROUNDS {
        if fs::write(&freeze, "1").is_err() {
            return false;
        }
        wait_frozen(dir);
        let pids = processes(dir);
        for pid in &pids {
            let _ = nix::sys::signal::kill(*pid, nix::sys::signal::Signal::SIGKILL);
        }
        let _ = fs::write(&freeze, "0");
        if pids.is_empty() {
            return true;
        }
        // Killed processes leave cgroup.procs as they exit.
        let deadline = std::time::Instant::now() + FREEZE_WAIT;
        while populated(dir) == Some(true) && std::time::Instant::now() < deadline {
            std::thread::sleep(std::time::Duration::from_millis(1));
        }
        if populated(dir) != Some(true) {
            return true;
        }
    }
    true
}

/// Waits (at most [`FREEZE_WAIT`]) for `frozen 1` in `cgroup.events`: the
/// freeze takes effect as each process reaches the kernel's boundary.
fn wait_frozen(dir: &Path) {
    let deadline = std::time::Instant::now() + FREEZE_WAIT;
    while std::time::Instant::now() < deadline {
        let frozen = fs::read_to_string(dir.join("cgroup.events"))
            .is_ok_and(|t| parse_frozen(&t) == Some(true));
        if frozen {
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(1));
    }
}

/// `frozen 0|1` of a `cgroup.events` text.
pub fn parse_frozen(text: &str) -> Option<bool> {
    text.lines()
        .find_map(|l| l.strip_prefix("frozen "))
        .map(|v| v.trim() != "0")
}

fn writable(path: &Path) -> bool {
    use std::os::unix::ffi::OsStrExt;
    let Ok(c) = std::ffi::CString::new(path.as_os_str().as_bytes()) else {
        return false;
    };
    // SAFETY: access() on a valid C string.
    unsafe { libc::access(c.as_ptr(), libc::W_OK) == 0 }
}

/// Whether controllers apply to a cgroup (its parent enabled some for it).
pub fn has_controllers(dir: &Path) -> bool {
    fs::read_to_string(dir.join("cgroup.controllers")).is_ok_and(|t| !t.trim().is_empty())
}

/// The CPU time a cgroup v2 counted (`usage_usec` of `cpu.stat`).
pub fn cpu_usec(dir: &Path) -> Option<u64> {
    let text = fs::read_to_string(dir.join("cpu.stat")).ok()?;
    super::cgroup_accounting::stat_field(&text, "usage_usec")
}

/// Whether a cgroup enables controllers for its children.
fn subtree_controls(dir: &Path) -> bool {
    fs::read_to_string(dir.join("cgroup.subtree_control")).is_ok_and(|t| !t.trim().is_empty())
}

fn procs_start_time(pid: Pid) -> Option<u64> {
    super::procs::stat(pid).map(|p| p.start)
}

/// This process's pid and start time as /proc tells them: the view every
/// daemon sweeping the tree has of it, also where /proc belongs to another
/// pid namespace than the daemon's.
pub fn proc_self() -> Option<(u32, u64)> {
    let text = fs::read_to_string("/proc/self/stat").ok()?;
    let info = super::procs::parse_stat(&text)?;
    Some((u32::try_from(info.pid.as_raw()).ok()?, info.start))
}

/// Removes the empty subtrees of daemons that are gone. Only from the
/// host's PID namespace: inside another (a daemon started as PID 1 by
/// `unshare --pid`, a container sharing the host's cgroups), the daemons of
/// the host are not in /proc, and their subtrees would look abandoned.
pub(super) fn sweep_stale(own: &Path) {
    let namespace = fs::read_link("/proc/self/ns/pid").ok();
    if !sees_every_pid(namespace.as_deref()) {
        return;
    }
    let Ok(entries) = fs::read_dir(own) else {
        return;
    };
    // The PID namespaces some process is in, read once if a subtree of a
    // daemon in another namespace is found.
    let mut live_namespaces: Option<std::collections::HashSet<u64>> = None;
    for e in entries.filter_map(Result::ok) {
        let name = e.file_name();
        let Some(name) = name.to_str() else { continue };
        let Some((pid, start)) = parse_subtree_name(name) else {
            continue;
        };
        // A daemon in another PID namespace: its pid cannot be looked up
        // here, but it is gone when no process is left in its namespace
        // (an inode a new namespace took again keeps the subtree, which is
        // the safe side).
        let alive = match subtree_namespace(name) {
            Some(inode) => live_namespaces
                .get_or_insert_with(live_pid_namespaces)
                .contains(&inode),
            None => procs_start_time(Pid::from_raw(pid as i32)) == Some(start),
        };
        if !alive {
            remove_empty_tree(&e.path());
        }
    }
}

/// The inodes of the PID namespaces of every process in /proc.
fn live_pid_namespaces() -> std::collections::HashSet<u64> {
    let Ok(entries) = fs::read_dir("/proc") else {
        return std::collections::HashSet::new();
    };
    entries
        .filter_map(Result::ok)
        .filter(|e| {
            e.file_name()
                .to_str()
                .is_some_and(|n| n.bytes().all(|b| b.is_ascii_digit()))
        })
        .filter_map(|e| fs::read_link(e.path().join("ns/pid")).ok())
        .filter_map(|link| pid_namespace_inode(&link))
        .collect()
}

/// Whether the process's PID namespace (the `/proc/self/ns/pid` link) is
/// the host's: the kernel's initial PID namespace has the fixed inode
/// 0xEFFFFFFC. Unknown (no such link): taken as the host's.
fn sees_every_pid(namespace: Option<&Path>) -> bool {
    namespace.is_none_or(|link| link == Path::new("pid:[4026531836]"))
}

/// rmdir from the leaves up; a cgroup with processes stays, and so do its
/// ancestors. Whether `dir` is gone. A leaf (a service's cgroup, mostly)
/// goes at the first rmdir; only where that fails are the cgroups below
/// looked for.
pub(super) fn remove_empty_tree(dir: &Path) -> bool {
    match fs::remove_dir(dir) {
        Ok(()) => return true,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return true,
        Err(_) => {}
    }
    let Ok(entries) = fs::read_dir(dir) else {
        return false;
    };
    let mut removed = false;
    for e in entries.filter_map(Result::ok) {
        if e.file_type().is_ok_and(|t| t.is_dir()) {
            removed |= remove_empty_tree(&e.path());
        }
    }
    // Refused for the same reason as before unless a cgroup below went.
    removed && fs::remove_dir(dir).is_ok()
}

// ---- pure helpers --------------------------------------------------------

/// The subtree of a daemon: its pid and start time (in clock ticks since
/// boot, which tells a daemon from a later process with its pid) and which
/// supervisor of the process it is.
pub fn subtree_name(pid: u32, start: u64, n: u32) -> String {
    format!("sundial-{pid}-{start}-{n}")
}

/// The pid and start time in a [`subtree_name`] (with or without the
/// `-nsN` mark of a daemon in another PID namespace).
pub fn parse_subtree_name(name: &str) -> Option<(u32, u64)> {
    let mut parts = name.strip_prefix("sundial-")?.split('-');
    let pid = parts.next()?.parse().ok()?;
    let start = parts.next()?.parse().ok()?;
    parts.next()?.parse::<u32>().ok()?;
    match parts.next() {
        None => Some((pid, start)),
        Some(ns) => {
            ns.strip_prefix("ns")?.parse::<u64>().ok()?;
            parts.next().is_none().then_some((pid, start))
        }
    }
}

/// The PID namespace's inode in a [`subtree_name`] marked `-nsN`.
pub fn subtree_namespace(name: &str) -> Option<u64> {
    parse_subtree_name(name)?;
    name.rsplit_once("-ns")?.1.parse().ok()
}

/// A unit name as a cgroup directory name, as systemd's cg_escape(): a name
/// that could be taken for a cgroup's own files (`cgroup.*`, `memory.*`
/// ...) or that starts with `_` or `.` gets a leading `_`.
pub fn escape(unit: &str) -> String {
    const CONTROLLERS: [&str; 10] = [
        "cgroup", "cpu", "cpuset", "io", "memory", "pids", "hugetlb", "rdma", "misc", "cpuacct",
    ];
    let reserved = unit.starts_with('_')
        || unit.starts_with('.')
        || unit == "notify_on_release"
        || unit == "release_agent"
        || unit == "tasks"
        || unit
            .split_once('.')
            .is_some_and(|(head, _)| CONTROLLERS.contains(&head));
    if reserved {
        format!("_{unit}")
    } else {
        unit.to_owned()
    }
}

/// The directories of a service's `Slice=` below the daemon's subtree
/// (`a.slice/a-b.slice`), empty without one.
pub fn slice_dirs(service: &crate::unit::service::ServiceSection) -> String {
    service
        .slice
        .as_ref()
        .map(crate::unit::foreign::slice_cgroup)
        .unwrap_or_default()
}

/// Whether a slice's directories (`a.slice/a-b.slice`, or empty: no
/// slice) stay below the directory they are joined to: relative, made of
/// `.slice` names only.
pub fn slice_path_is_inside(slice: &str) -> bool {
    slice.is_empty()
        || (!slice.starts_with('/')
            && slice
                .split('/')
                .all(|part| part.ends_with(".slice") && part.len() > 6 && !part.starts_with('.')))
}

/// The cgroup v2 path in a `/proc/PID/cgroup` text (the `0::` line).
pub fn unified_path(text: &str) -> Option<&str> {
    text.lines().find_map(|l| l.strip_prefix("0::"))
}

/// `populated 0|1` of a `cgroup.events` text.
pub fn parse_populated(text: &str) -> Option<bool> {
    text.lines()
        .find_map(|l| l.strip_prefix("populated "))
        .map(|v| v.trim() != "0")
}

/// The pids of a `cgroup.procs` text.
pub fn parse_pids(text: &str) -> Vec<Pid> {
    text.split_whitespace()
        .filter_map(|p| p.parse().ok())
        .map(Pid::from_raw)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_controller_is_enabled_with_the_daemon_moved_into_a_leaf_when_alone() {
        let Some(d) = super::super::cgroup::detect() else {
            eprintln!("skipped: no writable cgroup v2 tree");
            return;
        };
        let (mount, root) = (d.mount, d.root);
        // A stand-in for the daemon, in a cgroup of the test's own that is
        // its "own" cgroup.
        let own = root.join(format!("sundial-test-{}-leaf", std::process::id()));
        fs::create_dir(&own).unwrap();
        // A controller the test's cgroup may enable for its children (none
        // in a hybrid layout's tracking hierarchy).
        let offered = fs::read_to_string(own.join("cgroup.controllers")).unwrap_or_default();
        let Some(controller) = offered.split_whitespace().next().map(str::to_owned) else {
            remove_empty_tree(&own);
            eprintln!("skipped: no controller to enable below {}", root.display());
            return;
        };
        let mut child = std::process::Command::new("/bin/sleep")
            .arg("30")
            .spawn()
            .unwrap();
        let pid = child.id();
        let cleanup = |own: &Path, child: &mut std::process::Child| {
            let _ = child.kill();
            let _ = child.wait();
            remove_empty_tree(own);
        };
        if fs::write(own.join("cgroup.procs"), pid.to_string()).is_err() {
            cleanup(&own, &mut child);
            eprintln!("skipped: cannot move a process between cgroups here");
            return;
        }
        let base = own.join(subtree_name(pid, 0, 0));
        fs::create_dir(&base).unwrap();
        let groups = ControlGroups {
            mount,
            own: own.clone(),
            base: base.clone(),
            units: HashMap::new(),
            me: pid,
            enabled: AtomicBool::new(false),
            freezable: true,
            idle: HashMap::new(),
            idle_order: VecDeque::new(),
            last_prune: None,
        };
        let result = groups.enable(&controller);
        let leaf = fs::read_to_string(base.join(SUPERVISOR_LEAF).join("cgroup.procs"));
        let enabled = fs::read_to_string(base.join("cgroup.subtree_control"));
        // Back where it came from, so that everything can go.
        let _ = fs::write(root.join("cgroup.procs"), pid.to_string());
        let _ = fs::write(own.join("cgroup.subtree_control"), format!("-{controller}"));
        let _ = fs::write(
            base.join("cgroup.subtree_control"),
            format!("-{controller}"),
        );
        drop(groups);
        cleanup(&own, &mut child);
        assert!(!own.exists(), "left behind");
        result.expect("enabled");
        assert_eq!(leaf.unwrap().trim(), pid.to_string());
        assert!(enabled.unwrap().contains(&controller));
    }

    /// A service's empty cgroup kept after its run is taken back by its
    /// next run (the CPU count carried on is noted), and removed once kept
    /// for KEEP_IDLE, not sooner than PRUNE_GAP after the last removal; in
    /// a cgroup of the test's own.
    #[test]
    fn an_empty_cgroup_is_kept_for_the_next_run_then_removed() {
        let Some(d) = super::super::cgroup::detect() else {
            eprintln!("skipped: no writable cgroup v2 tree");
            return;
        };
        let own = d
            .root
            .join(format!("sundial-test-{}-keep", std::process::id()));
        if let Err(e) = fs::create_dir(&own) {
            eprintln!("skipped: cannot make {}: {e}", own.display());
            return;
        }
        let base = own.join(subtree_name(std::process::id(), 0, 7));
        fs::create_dir(&base).unwrap();
        let mut groups = ControlGroups {
            mount: d.mount,
            own: own.clone(),
            base: base.clone(),
            units: HashMap::new(),
            me: std::process::id(),
            enabled: AtomicBool::new(false),
            freezable: true,
            idle: HashMap::new(),
            idle_order: VecDeque::new(),
            last_prune: None,
        };
        let t0 = Instant::now();
        let a = groups.prepare("a.service", "").unwrap();
        let b = groups.prepare("b.service", "").unwrap();
        assert_eq!(a.cpu_usec_before, 0);
        groups.keep_idle(a.dir.clone(), t0);
        groups.keep_idle(b.dir.clone(), t0 + Duration::from_millis(1500));
        assert_eq!(groups.prune_at(), Some(t0 + KEEP_IDLE));
        // Not yet: both stay.
        groups.prune(t0 + Duration::from_secs(1));
        let kept_a = a.dir.is_dir();
        // a's next run takes it back; b's time is up first now.
        let again = groups.prepare("a.service", "").unwrap();
        let front_after_taking = groups.prune_at();
        groups.prune(t0 + Duration::from_millis(3500));
        let b_gone = !b.dir.exists();
        let a_kept_while_running = again.dir.is_dir();
        // Kept again after its second run, then removed in its turn, one
        // PRUNE_GAP after the last removal at the earliest.
        let t1 = t0 + Duration::from_millis(3600);
        groups.keep_idle(again.dir.clone(), t1);
        let second_prune_at = groups.prune_at();
        groups.prune(t1 + KEEP_IDLE);
        let a_gone = !again.dir.exists();
        let nothing_left = groups.prune_at();
        drop(groups);
        remove_empty_tree(&own);
        assert!(kept_a, "removed before its time");
        assert_eq!(again.dir, a.dir);
        assert_eq!(
            front_after_taking,
            Some(t0 + Duration::from_millis(1500) + KEEP_IDLE)
        );
        assert!(b_gone, "b's cgroup was not removed");
        assert!(a_kept_while_running, "a's cgroup went while in use");
        assert_eq!(
            second_prune_at,
            Some((t1 + KEEP_IDLE).max(t0 + Duration::from_millis(3500) + PRUNE_GAP))
        );
        assert!(a_gone, "a's cgroup was not removed");
        assert_eq!(nothing_left, None);
        assert!(!own.exists(), "{} is left", own.display());
    }

    /// The loop of kernels without cgroup.kill ends a cgroup whose
    /// processes keep forking children that escape into sessions of their
    /// own, in a cgroup of the test's own below its v2 cgroup.
    #[test]
    fn freeze_and_kill_ends_a_cgroup_of_forking_processes() {
        let Some(d) = super::super::cgroup::detect() else {
            eprintln!("skipped: no writable cgroup v2 tree");
            return;
        };
        let dir = d
            .root
            .join(format!("sundial-test-{}-freeze", std::process::id()));
        if let Err(e) = fs::create_dir(&dir) {
            eprintln!("skipped: cannot make {}: {e}", dir.display());
            return;
        }
        if !dir.join("cgroup.freeze").exists() {
            remove_empty_tree(&dir);
            eprintln!("skipped: no cgroup.freeze (kernel before 5.2)");
            return;
        }
        // Joins the cgroup, then forks escaping children without end (a
        // few at a time, so that the machine is not flooded).
        let script = format!(
            "echo $$ > {}/cgroup.procs || exit 1; \
             while :; do setsid sh -c 'sleep 60' & setsid sh -c 'sleep 60' & sleep 0.01; done",
            dir.display()
        );
        let mut child = std::process::Command::new("/bin/sh")
            .args(["-c", &script])
            .spawn()
            .unwrap();
        let mut many = false;
        for _ in 0..500 {
            if processes(&dir).len() >= 20 {
                many = true;
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
        let done = freeze_and_kill(&dir);
        let left = processes(&dir);
        let frozen = fs::read_to_string(dir.join("cgroup.events")).unwrap_or_default();
        // Whatever happened, nothing is left running or behind.
        kill_all(&dir);
        let _ = child.kill();
        let _ = child.wait();
        for _ in 0..100 {
            if populated(&dir) != Some(true) {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
        remove_empty_tree(&dir);
        assert!(many, "the forker did not start");
        assert!(done);
        assert!(left.is_empty(), "left: {left:?}");
        assert_eq!(parse_frozen(&frozen), Some(false), "left frozen: {frozen}");
        assert!(!dir.exists(), "{} is left", dir.display());
    }

    #[test]
    fn only_a_daemon_in_the_host_s_pid_namespace_sweeps() {
        assert!(sees_every_pid(Some(Path::new("pid:[4026531836]"))));
        assert!(!sees_every_pid(Some(Path::new("pid:[4026532611]"))));
        assert!(sees_every_pid(None));
        assert_eq!(
            pid_namespace_inode(Path::new("pid:[4026532611]")),
            Some(4_026_532_611)
        );
        assert_eq!(
            parse_subtree_name("sundial-1-4801787-0-ns4026532611"),
            Some((1, 4_801_787))
        );
        assert_eq!(parse_subtree_name("sundial-1-4801787-0-x"), None);
        assert_eq!(
            subtree_namespace("sundial-1-4801787-0-ns4026532611"),
            Some(4_026_532_611)
        );
        assert_eq!(subtree_namespace("sundial-1-4801787-0"), None);
    }

    /// This process's own PID namespace is among the live ones; one no
    /// process is in is not.
    #[test]
    fn live_pid_namespaces_hold_our_own() {
        let own = fs::read_link("/proc/self/ns/pid")
            .ok()
            .and_then(|l| pid_namespace_inode(&l));
        let live = live_pid_namespaces();
        if let Some(own) = own {
            assert!(live.contains(&own), "{own} not in {live:?}");
        }
        assert!(!live.contains(&1));
    }

    #[test]
    fn subtree_names_round_trip_and_others_are_not_ours() {
        let name = subtree_name(4242, 987_654, 3);
        assert_eq!(name, "sundial-4242-987654-3");
        assert_eq!(parse_subtree_name(&name), Some((4242, 987_654)));
        for other in [
            "sundial-4242",
            "sundial-x-1-0",
            "sundial-1-2-3-4",
            "system.slice",
            "a.service",
        ] {
            assert_eq!(parse_subtree_name(other), None, "{other}");
        }
    }

    #[test]
    fn unit_names_that_look_like_cgroup_files_are_escaped() {
        assert_eq!(escape("backup.service"), "backup.service");
        assert_eq!(escape("a@x\\x2dy.service"), "a@x\\x2dy.service");
        assert_eq!(escape("cgroup.service"), "_cgroup.service");
        assert_eq!(escape("memory.service"), "_memory.service");
        assert_eq!(escape("_x.service"), "__x.service");
        assert_eq!(escape("memoryhog.service"), "memoryhog.service");
    }

    #[test]
    fn a_process_is_found_by_its_cgroup_path() {
        let text = "12:pids:/\n1:name=systemd:/\n0::/sundial-1-2-0/cgroup_x.service\n";
        assert_eq!(unified_path(text), Some("/sundial-1-2-0/cgroup_x.service"));
        assert_eq!(unified_path("1:name=systemd:/\n"), None);
    }

    #[test]
    fn only_slice_names_below_the_subtree_are_followed() {
        assert!(slice_path_is_inside(""));
        assert!(slice_path_is_inside("foo.slice/foo-bar.slice"));
        for outside in [
            "/foo.slice",
            "../x.slice",
            "foo.slice/..",
            ".slice",
            "a.service",
        ] {
            assert!(!slice_path_is_inside(outside), "{outside}");
        }
    }

    #[test]
    fn events_and_procs_parse() {
        assert_eq!(parse_populated("populated 1\nfrozen 0\n"), Some(true));
        assert_eq!(parse_populated("populated 0\nfrozen 0\n"), Some(false));
        assert_eq!(parse_populated("frozen 0\n"), None);
        assert_eq!(parse_frozen("populated 1\nfrozen 1\n"), Some(true));
        assert_eq!(parse_frozen("populated 1\nfrozen 0\n"), Some(false));
        assert_eq!(parse_frozen("populated 1\n"), None);
        let pids: Vec<i32> = parse_pids("12\n345\n").iter().map(|p| p.as_raw()).collect();
        assert_eq!(pids, vec![12, 345]);
    }
}
