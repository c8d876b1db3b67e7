//! Reading the process table, and which children of this process belong to
//! which supervisor.
//!
//! Without a cgroup, a service's processes are found through what the kernel
//! tells about each process in `/proc/PID/stat` (parent, process group,
//! session) and through the children the daemon, as child subreaper, inherits
//! when a service's process dies before its own children.
//!
//! Children are reaped by pid only, never with `waitpid(-1)`: a test process
//! may run several supervisors at once, and the daemon's other children (none
//! today) must not be stolen. The claims below say which pid is whose; they are
//! process-wide because child processes are.

use std::collections::HashSet;
use std::fs;
use std::io;
use std::sync::{Mutex, MutexGuard};

use nix::unistd::Pid;

/// One line of `/proc/PID/stat`, the fields the supervisor needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProcInfo {
    pub pid: Pid,
    pub ppid: Pid,
    pub pgid: Pid,
    pub sid: Pid,
    pub zombie: bool,
}

/// Parses a `/proc/PID/stat` line. The command name is in parentheses and may
/// itself contain parentheses and spaces, so the fields after it are found
/// from the last `)`.
pub fn parse_stat(line: &str) -> Option<ProcInfo> {
    let (head, rest) = line.rsplit_once(')')?;
    let pid: i32 = head.split_once(" (")?.0.trim().parse().ok()?;
    let mut f = rest.split_whitespace();
    let state = f.next()?;
    let ppid: i32 = f.next()?.parse().ok()?;
    let pgid: i32 = f.next()?.parse().ok()?;
    let sid: i32 = f.next()?.parse().ok()?;
    Some(ProcInfo {
        pid: Pid::from_raw(pid),
        ppid: Pid::from_raw(ppid),
        pgid: Pid::from_raw(pgid),
        sid: Pid::from_raw(sid),
        zombie: state == "Z" || state == "X",
    })
}

/// The stat of one process; None once it is gone.
pub fn stat(pid: Pid) -> Option<ProcInfo> {
    let text = fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    parse_stat(&text)
}

/// Every process visible in /proc.
pub fn scan() -> Vec<ProcInfo> {
    let Ok(dir) = fs::read_dir("/proc") else {
        return Vec::new();
    };
    dir.filter_map(|e| e.ok())
        .filter_map(|e| e.file_name().to_str().and_then(|n| n.parse::<i32>().ok()))
        .filter_map(|pid| stat(Pid::from_raw(pid)))
        .collect()
}

/// The direct children of this process, living or zombie, from
/// `/proc/self/task/*/children` (cheap: one small file per thread).
pub fn own_children() -> Vec<Pid> {
    let mut out = Vec::new();
    let Ok(tasks) = fs::read_dir("/proc/self/task") else {
        return out;
    };
    for task in tasks.filter_map(|e| e.ok()) {
        if let Ok(text) = fs::read_to_string(task.path().join("children")) {
            out.extend(
                text.split_whitespace()
                    .filter_map(|p| p.parse().ok())
                    .map(Pid::from_raw),
            );
        }
    }
    out
}

/// `$INVOCATION_ID` from the environment a process was started with: how an
/// orphan that left its service's session is told apart.
pub fn invocation_id_of(pid: Pid) -> Option<String> {
    let env = fs::read(format!("/proc/{pid}/environ")).ok()?;
    env.split(|b| *b == 0)
        .find_map(|kv| kv.strip_prefix(b"INVOCATION_ID="))
        .map(|v| String::from_utf8_lossy(v).into_owned())
}

/// Makes this process the reaper of orphaned descendants, so that a service's
/// daemonized grandchildren are re-parented here and stay within reach.
pub fn set_child_subreaper() -> io::Result<()> {
    // SAFETY: prctl with integer arguments only.
    let r = unsafe { libc::prctl(libc::PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) };
    if r < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(())
    }
}

static CLAIMS: Mutex<Option<HashSet<i32>>> = Mutex::new(None);

/// The process-wide set of children some supervisor has claimed. Held while
/// spawning so that no other supervisor sees the new child unclaimed.
#[derive(Debug)]
pub struct Claims<'a> {
    guard: MutexGuard<'a, Option<HashSet<i32>>>,
}

impl Claims<'_> {
    pub fn lock() -> Claims<'static> {
        let guard = CLAIMS
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        Claims { guard }
    }

    pub fn claim(&mut self, pid: Pid) -> bool {
        self.guard
            .get_or_insert_with(HashSet::new)
            .insert(pid.as_raw())
    }

    pub fn is_claimed(&self, pid: Pid) -> bool {
        self.guard
            .as_ref()
            .is_some_and(|s| s.contains(&pid.as_raw()))
    }
}

/// Drops a claim once the child is reaped.
pub fn release(pid: Pid) {
    if let Some(set) = Claims::lock().guard.as_mut() {
        set.remove(&pid.as_raw());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stat_with_parentheses_in_the_name() {
        let p =
            parse_stat("42 (a) b) (c) S 1 42 40 0 -1 4194560 0").expect("well-formed stat line");
        assert_eq!(p.pid.as_raw(), 42);
        assert_eq!(p.ppid.as_raw(), 1);
        assert_eq!(p.pgid.as_raw(), 42);
        assert_eq!(p.sid.as_raw(), 40);
        assert!(!p.zombie);
        assert!(parse_stat("7 (x) Z 1 7 7").expect("zombie line").zombie);
        assert_eq!(parse_stat("garbage"), None);
    }

    #[test]
    fn own_stat_is_found() {
        let me = stat(nix::unistd::getpid()).expect("we exist");
        assert_eq!(me.pid, nix::unistd::getpid());
        assert!(scan().iter().any(|p| p.pid == me.pid));
    }
}
