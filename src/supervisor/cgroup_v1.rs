//! The cgroup v1 controllers the daemon may use beside (or without) its
//! cgroup v2 tree: systemd's "hybrid" layout keeps the v2 hierarchy for
//! tracking and the controllers (memory, cpu, cpuacct, pids, blkio,
//! devices) in v1
//! hierarchies of their own.
//!
//! For every writable hierarchy with one of those controllers, the daemon
//! makes a subtree under its own cgroup of that hierarchy (the path in
//! `/proc/self/cgroup`), named like its v2 one, and a directory per service
//! in it. A service's command joins all of them before its exec (see the
//! spawn path), and they go when the unit stops, like its v2 cgroup.
//! Tracking stays with the v2 cgroup (or the process tree): v1 has no
//! `cgroup.events`. A service whose v2 cgroup cannot be frozen (none, or a
//! kernel before 5.2) joins the freezer hierarchy too, for SIGKILL by
//! freezing ([`freeze_and_kill`]).

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use super::control_group::{escape, remove_empty_tree};

/// The controllers sundial writes limits to or reads accounting from in v1,
/// and the freezer, which ends a service's processes where the kernel's
/// cgroup v2 can neither kill nor freeze a cgroup (see [`freeze_and_kill`]).
pub const CONTROLLERS: [&str; 7] = [
    "memory", "cpu", "cpuacct", "pids", "blkio", "devices", FREEZER,
];

/// The v1 freezer controller.
pub const FREEZER: &str = "freezer";

/// One v1 hierarchy the daemon may create cgroups in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hierarchy {
    /// The controllers mounted together there (`cpu,cpuacct` on many
    /// machines), those of [`CONTROLLERS`] only.
    pub controllers: Vec<String>,
    /// The daemon's own cgroup in it (absolute).
    pub own: PathBuf,
}

/// The writable v1 hierarchies with a controller of [`CONTROLLERS`], from
/// `/proc/self/mountinfo` and `/proc/self/cgroup`. blkio counts only where
/// it has a weight file (the CFQ/BFQ schedulers): otherwise there is
/// nothing of it sundial can use.
pub fn detect() -> Vec<Hierarchy> {
    let (Ok(mountinfo), Ok(own)) = (
        fs::read_to_string("/proc/self/mountinfo"),
        fs::read_to_string("/proc/self/cgroup"),
    ) else {
        return Vec::new();
    };
    hierarchies(&mountinfo, &own)
        .into_iter()
        .filter_map(|mut h| {
            if !h.own.join("blkio.weight").exists() {
                h.controllers.retain(|c| c != "blkio");
            }
            (!h.controllers.is_empty() && writable(&h.own.join("cgroup.procs"))).then_some(h)
        })
        .collect()
}

/// The hierarchies of [`CONTROLLERS`] with the daemon's own cgroup in each:
/// the v1 mounts of `mountinfo` joined with the paths of `proc_cgroup`.
pub fn hierarchies(mountinfo: &str, proc_cgroup: &str) -> Vec<Hierarchy> {
    let paths = parse_proc_cgroup(proc_cgroup);
    let mut out: Vec<Hierarchy> = Vec::new();
    for (controllers, mount) in parse_mounts(mountinfo) {
        let wanted: Vec<String> = controllers
            .iter()
            .filter(|c| CONTROLLERS.contains(&c.as_str()))
            .cloned()
            .collect();
        if wanted.is_empty() || out.iter().any(|h| h.controllers == wanted) {
            continue;
        }
        let Some((_, path)) = paths.iter().find(|(cs, _)| *cs == controllers) else {
            continue;
        };
        out.push(Hierarchy {
            controllers: wanted,
            own: mount.join(path.trim_start_matches('/')),
        });
    }
    out
}

/// The v1 cgroup mounts of a `/proc/PID/mountinfo` text: their controllers
/// (from the super options) and mount points.
pub fn parse_mounts(mountinfo: &str) -> Vec<(Vec<String>, PathBuf)> {
    mountinfo
        .lines()
        .filter_map(|l| {
            let (pre, post) = l.split_once(" - ")?;
            let mut post = post.split_whitespace();
            (post.next()? == "cgroup").then_some(())?;
            let options = post.nth(1)?;
            let mount = PathBuf::from(pre.split_whitespace().nth(4)?);
            let mut controllers: Vec<String> = options
                .split(',')
                .filter(|o| {
                    !matches!(
                        *o,
                        "rw" | "ro" | "xattr" | "noprefix" | "clone_children" | "cpuset_v2_mode"
                    ) && !o.contains('=')
                })
                .map(str::to_owned)
                .collect();
            controllers.sort();
            Some((controllers, mount))
        })
        .collect()
}

/// The v1 lines of a `/proc/PID/cgroup` text: controllers (sorted) and path.
pub fn parse_proc_cgroup(text: &str) -> Vec<(Vec<String>, String)> {
    text.lines()
        .filter_map(|l| {
            let mut parts = l.splitn(3, ':');
            let _id = parts.next()?;
            let list = parts.next()?;
            let path = parts.next()?;
            if list.is_empty() {
                return None;
            }
            let mut controllers: Vec<String> = list
                .split(',')
                .filter(|c| !c.starts_with("name="))
                .map(str::to_owned)
                .collect();
            controllers.sort();
            (!controllers.is_empty()).then(|| (controllers, path.to_owned()))
        })
        .collect()
}

/// One of a service's v1 cgroups.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct V1Dir {
    pub controllers: Vec<String>,
    pub dir: PathBuf,
}

impl V1Dir {
    pub fn has(&self, controller: &str) -> bool {
        self.controllers.iter().any(|c| c == controller)
    }
}

/// The daemon's subtrees in the v1 hierarchies.
#[derive(Debug)]
pub struct V1Groups {
    /// Each hierarchy with the daemon's subtree in it.
    subtrees: Vec<(Hierarchy, PathBuf)>,
}

impl V1Groups {
    /// Makes the subtree `name` in each hierarchy, after removing the empty
    /// leftovers of daemons that are gone; a hierarchy where it cannot is
    /// left out. None where no hierarchy is left.
    pub fn create(hierarchies: &[Hierarchy], name: &str) -> Option<V1Groups> {
        let subtrees: Vec<(Hierarchy, PathBuf)> = hierarchies
            .iter()
            .filter_map(|h| {
                super::control_group::sweep_stale(&h.own);
                let base = h.own.join(name);
                fs::create_dir_all(&base).ok()?;
                Some((h.clone(), base))
            })
            .collect();
        (!subtrees.is_empty()).then_some(V1Groups { subtrees })
    }

    /// The controllers of every hierarchy.
    pub fn controllers(&self) -> Vec<String> {
        self.subtrees
            .iter()
            .flat_map(|(h, _)| h.controllers.iter().cloned())
            .collect()
    }

    /// The subtrees (for the start-up line).
    pub fn bases(&self) -> impl Iterator<Item = &Path> {
        self.subtrees.iter().map(|(_, b)| b.as_path())
    }

    /// Makes (or finds) `unit`'s directory in each hierarchy with a
    /// controller of `wanted`.
    pub fn prepare(&self, unit: &str, wanted: &[&str]) -> io::Result<Vec<V1Dir>> {
        let name = escape(unit);
        self.subtrees
            .iter()
            .filter(|(h, _)| h.controllers.iter().any(|c| wanted.contains(&c.as_str())))
            .map(|(h, base)| {
                let dir = base.join(&name);
                fs::create_dir_all(&dir)?;
                Ok(V1Dir {
                    controllers: h.controllers.clone(),
                    dir,
                })
            })
            .collect()
    }

    /// `unit`'s directories that exist (a daemon-reexec finds them).
    pub fn existing(&self, unit: &str) -> Vec<V1Dir> {
        let name = escape(unit);
        self.subtrees
            .iter()
            .map(|(h, base)| V1Dir {
                controllers: h.controllers.clone(),
                dir: base.join(&name),
            })
            .filter(|d| d.dir.is_dir())
            .collect()
    }

    /// Removes `unit`'s directories (with cgroups the service made below
    /// them) where no process is left; whether all are gone.
    pub fn remove(&self, unit: &str) -> bool {
        let name = escape(unit);
        self.subtrees.iter().all(|(_, base)| {
            let dir = base.join(&name);
            remove_empty_tree(&dir);
            !dir.exists()
        })
    }
}

/// Rounds of [`freeze_and_kill`] before it gives up on a cgroup that does
/// not empty.
const FREEZE_ROUNDS: usize = 64;

/// How long a round waits for the freeze, then for the killed processes to
/// leave.
const FREEZE_WAIT: std::time::Duration = std::time::Duration::from_millis(100);

/// SIGKILL to every process of a v1 freezer cgroup `dir` (and the cgroups
/// below it), as a process that forks cannot outrun it: `FROZEN` into
/// `freezer.state`, SIGKILL to every process listed, `THAWED` so that they
/// die, round again until none is left. False where the cgroup cannot be
/// frozen.
pub fn freeze_and_kill(dir: &Path) -> bool {
    let state = dir.join("freezer.state");
    for _ in 0..FREEZE_ROUNDS {
        if fs::write(&state, "FROZEN").is_err() {
            return false;
        }
        // FREEZING until every task has stopped.
        let deadline = std::time::Instant::now() + FREEZE_WAIT;
        while std::time::Instant::now() < deadline
            && !fs::read_to_string(&state).is_ok_and(|t| t.trim() == "FROZEN")
        {
            std::thread::sleep(std::time::Duration::from_millis(1));
        }
        let pids = procs_below(dir);
        for pid in &pids {
            let _ = nix::sys::signal::kill(*pid, nix::sys::signal::Signal::SIGKILL);
        }
        let _ = fs::write(&state, "THAWED");
        if pids.is_empty() {
            return true;
        }
        let deadline = std::time::Instant::now() + FREEZE_WAIT;
        while !procs_below(dir).is_empty() && std::time::Instant::now() < deadline {
            std::thread::sleep(std::time::Duration::from_millis(1));
        }
        if procs_below(dir).is_empty() {
            return true;
        }
    }
    true
}

/// The processes of a v1 cgroup and of the cgroups below it.
pub fn procs_below(dir: &Path) -> Vec<nix::unistd::Pid> {
    let mut pids = fs::read_to_string(dir.join("cgroup.procs"))
        .map(|t| super::control_group::parse_pids(&t))
        .unwrap_or_default();
    if let Ok(entries) = fs::read_dir(dir) {
        for e in entries.filter_map(Result::ok) {
            if e.file_type().is_ok_and(|t| t.is_dir()) {
                pids.extend(procs_below(&e.path()));
            }
        }
    }
    pids
}

impl Drop for V1Groups {
    fn drop(&mut self) {
        for (_, base) in &self.subtrees {
            remove_empty_tree(base);
        }
    }
}

fn writable(path: &Path) -> bool {
    use std::os::unix::ffi::OsStrExt;
    let Ok(c) = std::ffi::CString::new(path.as_os_str().as_bytes()) else {
        return false;
    };
    // SAFETY: access() on a valid C string.
    unsafe { libc::access(c.as_ptr(), libc::W_OK) == 0 }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MOUNTINFO: &str = "\
30 25 0:26 / /sys/fs/cgroup ro,nosuid - tmpfs tmpfs ro,mode=755
31 30 0:27 / /sys/fs/cgroup/unified rw,nosuid - cgroup2 cgroup2 rw
33 30 0:29 / /sys/fs/cgroup/cpu,cpuacct rw,nosuid - cgroup cgroup rw,cpu,cpuacct
34 30 0:30 / /sys/fs/cgroup/memory rw,nosuid - cgroup cgroup rw,memory
35 30 0:31 / /sys/fs/cgroup/systemd rw,nosuid - cgroup cgroup rw,xattr,name=systemd
36 30 0:32 / /sys/fs/cgroup/freezer rw,nosuid - cgroup cgroup rw,freezer
37 30 0:33 / /sys/fs/cgroup/pids rw,nosuid - cgroup cgroup rw,pids
";
    const PROC_CGROUP: &str = "\
9:name=systemd:/user.slice
8:pids:/user.slice/x
4:memory:/process_api/abc
2:cpu,cpuacct:/
6:freezer:/
0::/
";

    #[test]
    fn the_daemons_own_cgroup_in_each_wanted_hierarchy() {
        let hs = hierarchies(MOUNTINFO, PROC_CGROUP);
        let got: Vec<(String, PathBuf)> = hs
            .into_iter()
            .map(|h| (h.controllers.join(","), h.own))
            .collect();
        assert_eq!(
            got,
            vec![
                ("cpu,cpuacct".into(), "/sys/fs/cgroup/cpu,cpuacct".into()),
                (
                    "memory".into(),
                    "/sys/fs/cgroup/memory/process_api/abc".into()
                ),
                ("freezer".into(), "/sys/fs/cgroup/freezer".into()),
                ("pids".into(), "/sys/fs/cgroup/pids/user.slice/x".into()),
            ]
        );
    }

    #[test]
    fn mounts_and_paths_parse() {
        let mounts = parse_mounts(MOUNTINFO);
        assert_eq!(mounts.len(), 5, "{mounts:?}");
        assert_eq!(mounts[0].0, vec!["cpu", "cpuacct"]);
        // name=systemd has no controller.
        assert!(mounts[2].0.is_empty());
        let paths = parse_proc_cgroup(PROC_CGROUP);
        assert_eq!(paths[0], (vec!["pids".to_owned()], "/user.slice/x".into()));
        assert!(paths.iter().all(|(c, _)| !c.is_empty()));
        assert_eq!(paths.len(), 4);
    }

    /// The v1 freezer's loop ends a cgroup whose processes keep forking
    /// children into sessions of their own, in a freezer cgroup of the
    /// test's own.
    #[test]
    fn freeze_and_kill_ends_a_v1_freezer_cgroup_of_forking_processes() {
        let Some(h) = detect()
            .into_iter()
            .find(|h| h.controllers.iter().any(|c| c == FREEZER))
        else {
            eprintln!("skipped: no writable cgroup v1 freezer hierarchy");
            return;
        };
        let dir = h
            .own
            .join(format!("sundial-test-{}-v1freeze", std::process::id()));
        if let Err(e) = fs::create_dir(&dir) {
            eprintln!("skipped: cannot make {}: {e}", dir.display());
            return;
        }
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
            if procs_below(&dir).len() >= 20 {
                many = true;
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
        let done = freeze_and_kill(&dir);
        let left = procs_below(&dir);
        let state = fs::read_to_string(dir.join("freezer.state")).unwrap_or_default();
        // Whatever happened, nothing is left running or behind.
        let _ = fs::write(dir.join("freezer.state"), "THAWED");
        for pid in procs_below(&dir) {
            let _ = nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGKILL);
        }
        let _ = child.kill();
        let _ = child.wait();
        for _ in 0..100 {
            if procs_below(&dir).is_empty() {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
        remove_empty_tree(&dir);
        assert!(many, "the forker did not start");
        assert!(done);
        assert!(left.is_empty(), "left: {left:?}");
        assert_eq!(state.trim(), "THAWED");
        assert!(!dir.exists(), "{} is left", dir.display());
    }

    #[test]
    fn separate_cpu_and_cpuacct_mounts_are_two_hierarchies() {
        let mi = "1 0 0:1 / /c/cpu rw - cgroup cgroup rw,cpu\n2 0 0:2 / /c/cpuacct rw - cgroup cgroup rw,cpuacct\n";
        let pc = "1:cpu:/\n2:cpuacct:/a\n";
        let hs = hierarchies(mi, pc);
        assert_eq!(hs.len(), 2);
        assert_eq!(hs[1].own, PathBuf::from("/c/cpuacct/a"));
    }
}
