//! The cgroups the daemon may write to: its cgroup v2 tree (see
//! [`super::control_group`]) and the v1 hierarchies beside it (see
//! [`super::cgroup_v1`]), the mode they make together, and a service's
//! limits (see [`super::cgroup_limits`]) written into them; a setting
//! neither has a controller for is reported once per unit as not enforced.

use std::collections::HashMap;
use std::fs;
use std::path::{Path, PathBuf};

use super::cgroup_accounting::Usage;
use super::cgroup_limits::Write;
use super::cgroup_v1::{V1Dir, V1Groups};
use super::control_group::ControlGroups;
use crate::unit::service::Limit;

/// A cgroup v2 directory the daemon may create children in, with the
/// controllers it can enable there.
#[derive(Debug, Clone)]
pub struct Delegation {
    /// Where the cgroup v2 hierarchy is mounted.
    pub mount: PathBuf,
    /// The daemon's own cgroup in it, or the one `--cgroup` names.
    pub root: PathBuf,
    pub controllers: Vec<String>,
    /// `root` is the cgroup `--cgroup` (`[manager] cgroup`) names, which the
    /// daemon is not in: it moves itself into a leaf of its subtree there
    /// (see [`super::control_group::ControlGroups::create`]).
    pub named: bool,
}

/// Why the cgroup `--cgroup` (or `[manager] cgroup`) names cannot be the
/// daemon's subtree; each names the cgroup.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NamedCgroupError {
    /// No cgroup v2 hierarchy is mounted (a pure v1 machine).
    #[error("cgroup {0}: no cgroup v2 hierarchy is mounted")]
    NoV2Mount(PathBuf),
    /// A `..` in the path, or an absolute path that is neither below the
    /// mount nor a cgroup path.
    #[error("cgroup {given}: not a directory below the cgroup v2 mount {mount} (a path below it, relative or absolute, without ..)")]
    Outside {
        /// The path as given.
        given: PathBuf,
        /// The cgroup v2 mount point.
        mount: PathBuf,
    },
    /// The directory is not there, or not a cgroup.
    #[error("cgroup {0}: no such cgroup v2 directory (make it first, e.g. with mkdir)")]
    Missing(PathBuf),
    /// This user may not make cgroups in it or move processes into it.
    #[error("cgroup {0}: not writable by this user (the directory and its cgroup.procs must be; delegate it with chown)")]
    NotWritable(PathBuf),
}

/// The cgroup directory `given` stands for: below the cgroup v2 `mount`,
/// either spelled with the mount in front or as a cgroup path as
/// `/proc/PID/cgroup` and `ControlGroup=` show them (`/a/b` or `a/b`).
pub fn resolve_named(mount: &Path, given: &Path) -> Option<PathBuf> {
    use std::path::Component;
    let rel = given.strip_prefix(mount).unwrap_or(given);
    let mut out = mount.to_path_buf();
    for c in rel.components() {
        match c {
            Component::Normal(part) => out.push(part),
            Component::RootDir | Component::CurDir => {}
            Component::ParentDir | Component::Prefix(_) => return None,
        }
    }
    Some(out)
}

/// The cgroup v2 mount point, from `/proc/self/mountinfo`.
fn v2_mount() -> Option<PathBuf> {
    let mountinfo = fs::read_to_string("/proc/self/mountinfo").ok()?;
    mountinfo.lines().find_map(|l| {
        let (pre, post) = l.split_once(" - ")?;
        post.starts_with("cgroup2 ")
            .then(|| pre.split_whitespace().nth(4).map(PathBuf::from))?
    })
}

/// The cgroup `--cgroup` names, checked: below the cgroup v2 mount, a
/// cgroup, writable (the daemon makes its subtree there and moves itself
/// and its services' processes into it).
pub fn named(given: &Path) -> Result<Delegation, NamedCgroupError> {
    let mount = v2_mount().ok_or_else(|| NamedCgroupError::NoV2Mount(given.to_path_buf()))?;
    let root = resolve_named(&mount, given).ok_or_else(|| NamedCgroupError::Outside {
        given: given.to_path_buf(),
        mount: mount.clone(),
    })?;
    let controllers: Vec<String> = fs::read_to_string(root.join("cgroup.controllers"))
        .map_err(|_| NamedCgroupError::Missing(root.clone()))?
        .split_whitespace()
        .map(str::to_owned)
        .collect();
    if !writable(&root) || !writable(&root.join("cgroup.procs")) {
        return Err(NamedCgroupError::NotWritable(root));
    }
    Ok(Delegation {
        mount,
        root,
        controllers,
        named: true,
    })
}

/// Finds the daemon's own cgroup v2 directory and checks it is writable: a
/// pure v2 tree (delegated to the daemon's user, or a container's), or the
/// hybrid layout's controller-less tracking hierarchy. The controllers that
/// can be enabled are those listed in its `cgroup.controllers`.
pub fn detect() -> Option<Delegation> {
    let mount = v2_mount()?;
    let own = fs::read_to_string("/proc/self/cgroup").ok()?;
    let rel = own.lines().find_map(|l| l.strip_prefix("0::"))?;
    let me = super::control_group::proc_self().map_or_else(std::process::id, |(pid, _)| pid);
    let root = mount.join(own_root(rel.trim_start_matches('/'), me));
    let controllers: Vec<String> = fs::read_to_string(root.join("cgroup.controllers"))
        .ok()?
        .split_whitespace()
        .map(str::to_owned)
        .collect();
    writable(&root).then_some(Delegation {
        mount,
        root,
        controllers,
        named: false,
    })
}

/// The daemon's own cgroup from the path in `/proc/self/cgroup`: a daemon
/// that moved itself into its subtree's leaf (see
/// [`super::control_group::ControlGroups::enable`]) and then re-executed
/// itself starts from the cgroup it moved out of.
pub fn own_root(rel: &str, pid: u32) -> &str {
    let Some(parent) = rel.strip_suffix("/supervisor") else {
        return rel;
    };
    let (above, subtree) = parent.rsplit_once('/').unwrap_or(("", parent));
    match super::control_group::parse_subtree_name(subtree) {
        Some((p, _)) if p == pid => above,
        _ => rel,
    }
}

fn writable(dir: &Path) -> bool {
    use std::os::unix::ffi::OsStrExt;
    let Ok(c) = std::ffi::CString::new(dir.as_os_str().as_bytes()) else {
        return false;
    };
    // SAFETY: access() on a valid C string.
    unsafe { libc::access(c.as_ptr(), libc::W_OK) == 0 }
}

/// What the daemon has for its services' limits and accounting beside its
/// cgroup v2 tree: the v1 hierarchies, and the machine's totals for
/// relative limits (`MemoryMax=50%`).
#[derive(Debug, Default)]
pub struct Resources {
    pub v1: Option<V1Groups>,
    pub physical_memory: u64,
    pub tasks_total: u64,
    /// The manager's DefaultTasksMax=.
    pub default_tasks_max: Option<Limit>,
    /// Each service's counters as its last run ended (before its cgroups
    /// went), for the run's history row.
    pub ended: HashMap<String, Usage>,
}

impl Resources {
    /// Finds the v1 hierarchies and makes the subtree `name` in them.
    pub fn detect(name: &str, default_tasks_max: Option<Limit>) -> Resources {
        // SAFETY: sysconf reads a number.
        let (pages, page) = unsafe {
            (
                libc::sysconf(libc::_SC_PHYS_PAGES),
                libc::sysconf(libc::_SC_PAGESIZE),
            )
        };
        let read_number = |p: &str| {
            fs::read_to_string(p)
                .ok()
                .and_then(|t| t.trim().parse::<u64>().ok())
        };
        // systemd: system_tasks_max, the lower of the two kernel maxima.
        let tasks_total = match (
            read_number("/proc/sys/kernel/pid_max"),
            read_number("/proc/sys/kernel/threads-max"),
        ) {
            (Some(a), Some(b)) => a.min(b),
            (a, b) => a.or(b).unwrap_or(4_194_304),
        };
        Resources {
            v1: V1Groups::create(&super::cgroup_v1::detect(), name),
            physical_memory: u64::try_from(pages).unwrap_or(0) * u64::try_from(page).unwrap_or(0),
            tasks_total,
            default_tasks_max,
            ended: HashMap::new(),
        }
    }

    /// The controllers of the writable v1 hierarchies.
    pub fn v1_controllers(&self) -> Vec<String> {
        self.v1
            .as_ref()
            .map(V1Groups::controllers)
            .unwrap_or_default()
    }
}

/// How the daemon uses cgroups, as its start-up line and `show` say.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// A delegated cgroup v2 tree only: tracking and controllers there.
    Unified,
    /// A v2 tree for tracking, v1 hierarchies for the controllers.
    Hybrid,
    /// v1 hierarchies only: limits there, tracking by the process tree.
    Legacy,
    /// No writable cgroup: tracking by the process tree, no limits.
    None,
}

impl Mode {
    pub fn of(v2: bool, v1: bool) -> Mode {
        match (v2, v1) {
            (true, false) => Mode::Unified,
            (true, true) => Mode::Hybrid,
            (false, true) => Mode::Legacy,
            (false, false) => Mode::None,
        }
    }

    /// `CgroupMode=` of `show`.
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Unified => "unified",
            Mode::Hybrid => "hybrid",
            Mode::Legacy => "legacy",
            Mode::None => "none",
        }
    }
}

/// Enables the controllers of `writes` for the services and writes them
/// into the service's cgroup v2 `dir`.
pub fn apply_v2(groups: &ControlGroups, dir: &Path, writes: &[Write]) -> Result<(), String> {
    for w in writes {
        groups
            .enable(w.controller)
            .map_err(|e| format!("cannot enable {}: {e}", w.controller))?;
        fs::write(dir.join(w.file), &w.value)
            .map_err(|e| format!("{}: {e}", dir.join(w.file).display()))?;
    }
    Ok(())
}

/// `Delegate=yes` under `User=`: the cgroup directory and the files that
/// manage a subtree (systemd: cg_attribute_delegate / unit_chown_cgroup)
/// go to the service's user, who may then make cgroups below and move its
/// processes between them.
pub fn delegate_to(dir: &Path, uid: u32, gid: u32) -> Result<(), String> {
    let own = |p: &Path| {
        std::os::unix::fs::chown(p, Some(uid), Some(gid))
            .map_err(|e| format!("{}: {e}", p.display()))
    };
    own(dir)?;
    for file in [
        "cgroup.procs",
        "cgroup.threads",
        "cgroup.subtree_control",
        "tasks",
    ] {
        let path = dir.join(file);
        if path.exists() {
            own(&path)?;
        }
    }
    Ok(())
}

/// Writes `writes` into the service's v1 directories, each into the one of
/// its controller.
pub fn apply_v1(dirs: &[V1Dir], writes: &[Write]) -> Result<(), String> {
    for w in writes {
        let dir = dirs
            .iter()
            .find(|d| d.has(w.controller))
            .ok_or_else(|| format!("no cgroup v1 {} directory", w.controller))?;
        let path = dir.dir.join(w.file);
        fs::write(&path, &w.value).map_err(|e| format!("{}: {e}", path.display()))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_daemon_in_its_own_leaf_starts_from_the_cgroup_above() {
        assert_eq!(own_root("a/b", 7), "a/b");
        assert_eq!(own_root("a/sundial-7-99-0/supervisor", 7), "a");
        assert_eq!(own_root("sundial-7-99-0/supervisor", 7), "");
        // Another daemon's leaf is not ours to leave.
        assert_eq!(
            own_root("a/sundial-8-99-0/supervisor", 7),
            "a/sundial-8-99-0/supervisor"
        );
        assert_eq!(own_root("a/supervisor", 7), "a/supervisor");
    }

    #[test]
    fn a_named_cgroup_is_below_the_mount_however_it_is_spelled() {
        let mount = Path::new("/sys/fs/cgroup");
        let want = Some(PathBuf::from("/sys/fs/cgroup/a/b"));
        assert_eq!(resolve_named(mount, Path::new("/sys/fs/cgroup/a/b")), want);
        assert_eq!(resolve_named(mount, Path::new("/a/b")), want);
        assert_eq!(resolve_named(mount, Path::new("a/b")), want);
        assert_eq!(resolve_named(mount, Path::new("./a/b/")), want);
        assert_eq!(resolve_named(mount, Path::new("a/../../etc")), None);
        assert_eq!(resolve_named(mount, Path::new("/sys/fs/cgroup/../x")), None);
    }

    #[test]
    fn the_mode_names_what_is_writable() {
        assert_eq!(Mode::of(true, false).as_str(), "unified");
        assert_eq!(Mode::of(true, true).as_str(), "hybrid");
        assert_eq!(Mode::of(false, true).as_str(), "legacy");
        assert_eq!(Mode::of(false, false).as_str(), "none");
    }
}
