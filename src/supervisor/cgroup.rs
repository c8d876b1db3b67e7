//! The cgroup v2 tree the daemon may write to, and MemoryMax=, CPUQuota=
//! and TasksMax= written into a service's cgroup (see [`super::control_group`])
//! where the controllers are delegated; elsewhere the settings are reported
//! once per unit as not enforced.

use std::fs;
use std::path::{Path, PathBuf};

use super::control_group::ControlGroups;
use crate::unit::service::{Limit, ServiceSection};

/// A cgroup v2 directory the daemon may create children in, with the
/// controllers it can enable there.
#[derive(Debug, Clone)]
pub struct Delegation {
    /// Where the cgroup v2 hierarchy is mounted.
    pub mount: PathBuf,
    /// The daemon's own cgroup in it.
    pub root: PathBuf,
    pub controllers: Vec<String>,
}

/// Finds the daemon's own cgroup v2 directory and checks it is writable: a
/// pure v2 tree (delegated to the daemon's user, or a container's), or the
/// hybrid layout's controller-less tracking hierarchy. The controllers that
/// can be enabled are those listed in its `cgroup.controllers`.
pub fn detect() -> Option<Delegation> {
    let mountinfo = fs::read_to_string("/proc/self/mountinfo").ok()?;
    let mount = mountinfo.lines().find_map(|l| {
        let (pre, post) = l.split_once(" - ")?;
        post.starts_with("cgroup2 ")
            .then(|| pre.split_whitespace().nth(4).map(PathBuf::from))?
    })?;
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

/// The resource settings of a service, as cgroup file writes.
pub fn settings(service: &ServiceSection) -> Vec<(&'static str, &'static str, String)> {
    let mut out = Vec::new();
    let limit = |l: Limit| match l {
        Limit::Absolute(v) => Some(v.to_string()),
        Limit::Infinity => Some("max".to_owned()),
        // Relative limits need the machine's total; not offered here.
        Limit::Permyriad(_) => None,
    };
    if let Some(v) = service.memory_max.or(service.memory_limit).and_then(limit) {
        out.push(("memory", "memory.max", v));
    }
    if let Some(q) = service.cpu_quota {
        // cpu.max takes "quota period" in µs; systemd uses a 100 ms period.
        out.push((
            "cpu",
            "cpu.max",
            format!("{} 100000", u64::from(q) * 100_000 / 10_000),
        ));
    }
    if let Some(v) = service.tasks_max.and_then(limit) {
        out.push(("pids", "pids.max", v));
    }
    out
}

/// Why a service's resource limits are not enforced.
#[derive(Debug, thiserror::Error)]
pub enum LimitError {
    #[error("no writable cgroup v2 subtree delegated")]
    NoSubtree,
    #[error("controller {0} not delegated")]
    NotDelegated(&'static str),
    #[error("cannot enable {controller}: {source}")]
    Enable {
        controller: &'static str,
        source: std::io::Error,
    },
    #[error("{}: {source}", path.display())]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// The limit writes for a service, or which controller is not delegated
/// (then nothing is written).
pub fn limits(
    d: &Delegation,
    service: &ServiceSection,
) -> Result<Vec<(&'static str, &'static str, String)>, LimitError> {
    let wanted = settings(service);
    if let Some((controller, _, _)) = wanted
        .iter()
        .find(|(c, _, _)| !d.controllers.iter().any(|have| have == c))
    {
        return Err(LimitError::NotDelegated(controller));
    }
    Ok(wanted)
}

/// Enables the controllers of `wanted` for the services and writes the
/// limits into the service's cgroup `dir`.
pub fn apply(
    groups: &ControlGroups,
    dir: &Path,
    wanted: &[(&'static str, &'static str, String)],
) -> Result<(), LimitError> {
    for (controller, file, value) in wanted {
        groups
            .enable(controller)
            .map_err(|source| LimitError::Enable { controller, source })?;
        let path = dir.join(file);
        fs::write(&path, value).map_err(|source| LimitError::Write { path, source })?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn no_limit_is_written_where_a_controller_is_missing() {
        let d = super::Delegation {
            mount: "/sys/fs/cgroup".into(),
            root: "/sys/fs/cgroup".into(),
            controllers: vec!["cpu".into()],
        };
        let mut service = crate::unit::service::ServiceSection::default();
        service.memory_max = Some(crate::unit::service::Limit::Absolute(64 << 20));
        service.cpu_quota = Some(5000);
        let err = super::limits(&d, &service).unwrap_err();
        assert_eq!(err.to_string(), "controller memory not delegated");
        service.memory_max = None;
        assert_eq!(super::limits(&d, &service).unwrap().len(), 1);
    }

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

    use super::*;

    #[test]
    fn limits_become_cgroup_writes() {
        let s = ServiceSection {
            memory_max: Some(Limit::Absolute(1 << 20)),
            cpu_quota: Some(5000),
            tasks_max: Some(Limit::Infinity),
            ..Default::default()
        };
        assert_eq!(
            settings(&s),
            vec![
                ("memory", "memory.max", "1048576".to_string()),
                ("cpu", "cpu.max", "50000 100000".to_string()),
                ("pids", "pids.max", "max".to_string()),
            ]
        );
        assert!(settings(&ServiceSection::default()).is_empty());
    }
}
