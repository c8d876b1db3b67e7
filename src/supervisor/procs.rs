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
    /// When it started, in clock ticks since boot: with the pid, names one
    /// process for good (a pid is reused, the pair is not). 0 if unknown.
    pub start: u64,
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
    // Field 22, fifteen after the session.
    let start = f.nth(15).and_then(|v| v.parse().ok()).unwrap_or(0);
    Some(ProcInfo {
        pid: Pid::from_raw(pid),
        ppid: Pid::from_raw(ppid),
        pgid: Pid::from_raw(pgid),
        sid: Pid::from_raw(sid),
        zombie: state == "Z" || state == "X",
        start,
    })
}

/// The stat of one process; None once it is gone.
pub fn stat(pid: Pid) -> Option<ProcInfo> {
    let text = fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    parse_stat(&text)
}

/// The boot clock in clock ticks, the unit of a process's start time in
/// `/proc/PID/stat` (the kernel's `nsec_to_clock_t` of its boot-time
/// clock, in this process's time namespace like the reading here).
pub fn boot_ticks() -> Option<u64> {
    // SAFETY: sysconf has no preconditions.
    let hz = u64::try_from(unsafe { libc::sysconf(libc::_SC_CLK_TCK) }).ok()?;
    let now = nix::time::clock_gettime(nix::time::ClockId::CLOCK_BOOTTIME).ok()?;
    let nsec =
        u64::try_from(now.tv_sec()).ok()? * 1_000_000_000 + u64::try_from(now.tv_nsec()).ok()?;
    (hz > 0 && 1_000_000_000 % hz == 0).then(|| nsec / (1_000_000_000 / hz))
}

/// Whether [`start_of_new`] may trust the boot clock: 0 not checked yet,
/// 1 it agreed with /proc, 2 it did not (read /proc from then on).
static BOOT_TICKS_AGREE: std::sync::atomic::AtomicU8 = std::sync::atomic::AtomicU8::new(0);

/// The start time of the process `pid` just created, with `before` the
/// [`boot_ticks`] read just before its creation: where the boot clock
/// shows the same tick before and after, that tick is its start (the
/// kernel stamps it between the two), without a read of its
/// `/proc/PID/stat`. The first time, both are taken and compared; a
/// kernel that disagrees gets its /proc read every time.
pub fn start_of_new(pid: Pid, before: Option<u64>) -> Option<u64> {
    use std::sync::atomic::Ordering;
    let same_tick = before.filter(|b| boot_ticks() == Some(*b));
    let agree = BOOT_TICKS_AGREE.load(Ordering::Relaxed);
    if let (Some(tick), 1) = (same_tick, agree) {
        return Some(tick);
    }
    let read = stat(pid).map(|p| p.start);
    if let (Some(tick), 0, Some(start)) = (same_tick, agree, read) {
        BOOT_TICKS_AGREE.store(if tick == start { 1 } else { 2 }, Ordering::Relaxed);
    }
    read
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

/// The pipes on a process's standard input, output and error, by inode:
/// a process that left its service's session and cleared its environment
/// usually still writes to the service's output pipe.
pub fn stdio_pipes(pid: Pid) -> Vec<u64> {
    (0..3)
        .filter_map(|fd| fs::read_link(format!("/proc/{pid}/fd/{fd}")).ok())
        .filter_map(|link| pipe_inode(&link.to_string_lossy()))
        .collect()
}

/// The inode of a `pipe:[N]` descriptor link.
pub fn pipe_inode(link: &str) -> Option<u64> {
    link.strip_prefix("pipe:[")?.strip_suffix(']')?.parse().ok()
}

/// The inode of a descriptor that is a pipe, to compare with
/// [`stdio_pipes`].
pub fn pipe_inode_of(fd: &impl std::os::fd::AsFd) -> Option<u64> {
    let st = nix::sys::stat::fstat(fd).ok()?;
    (st.st_mode & libc::S_IFMT == libc::S_IFIFO).then_some(st.st_ino)
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

    /// The start time taken from the boot clock around a process's
    /// creation is the one /proc tells, first checked, then trusted.
    #[test]
    fn a_new_process_s_start_from_the_boot_clock_is_the_one_proc_tells() {
        // Twenty checks, and more until one process was made within one
        // tick (a loaded machine can straddle ticks many times in a row).
        let agreed = || BOOT_TICKS_AGREE.load(std::sync::atomic::Ordering::Relaxed) == 1;
        for round in 0..1000 {
            if round >= 20 && agreed() {
                break;
            }
            let before = boot_ticks();
            assert!(before.is_some(), "no boot clock");
            let mut child = std::process::Command::new("/bin/sleep")
                .arg("5")
                .spawn()
                .expect("spawn sleep");
            let pid = Pid::from_raw(child.id() as i32);
            let start = start_of_new(pid, before);
            let read = stat(pid).map(|p| p.start);
            let _ = child.kill();
            let _ = child.wait();
            assert_eq!(start, read);
        }
        assert_eq!(
            BOOT_TICKS_AGREE.load(std::sync::atomic::Ordering::Relaxed),
            1,
            "the boot clock never agreed with /proc"
        );
    }

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
        let full = "9 (sleep) S 1 9 9 0 -1 4194560 100 0 0 0 0 0 0 0 20 0 1 0 123456 2232320 240";
        assert_eq!(parse_stat(full).expect("full line").start, 123456);
        assert_eq!(pipe_inode("pipe:[4026]"), Some(4026));
        assert_eq!(pipe_inode("/dev/null"), None);
        assert_eq!(parse_stat("garbage"), None);
    }

    #[test]
    fn own_stat_is_found() {
        let me = stat(nix::unistd::getpid()).expect("we exist");
        assert_eq!(me.pid, nix::unistd::getpid());
        assert!(scan().iter().any(|p| p.pid == me.pid));
    }
}
