//! MemoryMax=, CPUQuota= and TasksMax= through a delegated cgroup v2
//! subtree, where the daemon has one it may write to; elsewhere the settings
//! are reported once per unit as not enforced.

use std::fs;
use std::path::{Path, PathBuf};

use crate::unit::service::{Limit, ServiceSection};

/// A cgroup v2 directory the daemon may create children in, with the
/// controllers it can enable there.
#[derive(Debug, Clone)]
pub struct Delegation {
    pub root: PathBuf,
    pub controllers: Vec<String>,
}

/// Finds the daemon's own cgroup v2 directory and checks it is writable. The
/// controllers must be listed in its `cgroup.controllers`.
pub fn detect() -> Option<Delegation> {
    let mountinfo = fs::read_to_string("/proc/self/mountinfo").ok()?;
    let mount = mountinfo.lines().find_map(|l| {
        let (pre, post) = l.split_once(" - ")?;
        post.starts_with("cgroup2 ")
            .then(|| pre.split_whitespace().nth(4).map(PathBuf::from))?
    })?;
    let own = fs::read_to_string("/proc/self/cgroup").ok()?;
    let rel = own.lines().find_map(|l| l.strip_prefix("0::"))?;
    let root = mount.join(rel.trim_start_matches('/'));
    let controllers: Vec<String> = fs::read_to_string(root.join("cgroup.controllers"))
        .ok()?
        .split_whitespace()
        .map(str::to_owned)
        .collect();
    writable(&root).then_some(Delegation { root, controllers })
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

/// Creates the unit's cgroup below the delegation and writes its limits;
/// returns its `cgroup.procs` for the spawner, or why it could not.
pub fn prepare(
    d: &Delegation,
    unit: &str,
    service: &ServiceSection,
) -> Result<Option<PathBuf>, String> {
    let wanted = settings(service);
    if wanted.is_empty() {
        return Ok(None);
    }
    // Every controller first: a cgroup that cannot hold the limits is not
    // made at all, so none is left behind.
    if let Some((controller, _, _)) = wanted
        .iter()
        .find(|(c, _, _)| !d.controllers.iter().any(|have| have == c))
    {
        return Err(format!("controller {controller} not delegated"));
    }
    let dir = d.root.join(unit);
    fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    for (controller, file, value) in wanted {
        let _ = fs::write(
            d.root.join("cgroup.subtree_control"),
            format!("+{controller}"),
        );
        if let Err(e) = fs::write(dir.join(file), &value) {
            let _ = fs::remove_dir(&dir);
            return Err(format!("{}: {e}", dir.join(file).display()));
        }
    }
    Ok(Some(dir.join("cgroup.procs")))
}

#[cfg(test)]
mod tests {
    #[test]
    fn no_cgroup_is_made_where_a_controller_is_missing() {
        let root = tempfile::tempdir().unwrap();
        let d = super::Delegation {
            root: root.path().to_path_buf(),
            controllers: vec!["cpu".into()],
        };
        let mut service = crate::unit::service::ServiceSection::default();
        service.memory_max = Some(crate::unit::service::Limit::Absolute(64 << 20));
        let err = super::prepare(&d, "r.service", &service).unwrap_err();
        assert_eq!(err, "controller memory not delegated");
        assert!(!root.path().join("r.service").exists(), "left behind");
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
