//! Starting one command: a child process (vfork-style, or fork for a change
//! of credentials) with the service's execution environment applied before
//! exec.
//!
//! Everything that may allocate or read files (user lookups, group lists,
//! C strings) is prepared in the parent: the daemon is multi-threaded, and
//! between fork and exec only async-signal-safe calls are allowed; a vfork
//! child shares the daemon's memory besides. A setup step
//! that fails in the child ends it with systemd's exit code for that step
//! (200 CHDIR, 216 GROUP, 217 USER, ...), so the failure reaches the state
//! machine the way systemd reports it: as the process's exit status.

use std::ffi::{CString, OsString};
use std::io;
use std::os::fd::{AsRawFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::path::PathBuf;
use std::sync::atomic::{AtomicI32, Ordering};

use nix::unistd::Pid;

/// systemd's exit codes for a child that failed before exec (exit-status.h).
pub mod exit_code {
    pub const CHDIR: i32 = 200;
    pub const NICE: i32 = 201;
    pub const EXEC: i32 = 203;
    pub const LIMITS: i32 = 205;
    pub const SIGNAL_MASK: i32 = 207;
    pub const STDIN: i32 = 208;
    pub const STDOUT: i32 = 209;
    pub const GROUP: i32 = 216;
    pub const USER: i32 = 217;
    pub const CGROUP: i32 = 219;
    pub const SETSID: i32 = 220;
    pub const STDERR: i32 = 222;
}

/// Where one of the three standard streams of the child goes.
#[derive(Debug)]
pub enum StdioSpec {
    Null,
    /// The supervisor's own stream (StandardOutput=inherit for stdout means
    /// "the same as stdin" in systemd; the caller resolves that).
    Inherit,
    Fd(OwnedFd),
}

/// How a command whose stdin is a terminal takes it as its controlling
/// terminal (StandardInput=tty, tty-force, tty-fail).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ControllingTerminal {
    /// Take it if no other session has it; run without one otherwise
    /// (systemd waits until it is released).
    IfFree,
    /// Take it from whichever session has it (needs CAP_SYS_ADMIN when
    /// another session holds it).
    Force,
    /// Fail the command (208/STDIN) when another session has it.
    OrFail,
}

/// Resolved User=/Group=/SupplementaryGroups=: numeric ids only.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Credentials {
    pub uid: u32,
    pub gid: u32,
    /// The full supplementary group list (the user database's list, as
    /// initgroups(3) would set it, plus SupplementaryGroups=).
    pub groups: Vec<u32>,
}

/// One `Limit*=` setting, already turned into setrlimit's terms.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ResourceLimit {
    /// `libc::RLIMIT_*`.
    pub resource: i32,
    pub soft: u64,
    pub hard: u64,
}

/// Everything needed to start one command.
#[derive(Debug)]
pub struct SpawnRequest {
    /// The file executed.
    pub program: PathBuf,
    /// The full argument vector, argv[0] first (the `@` prefix makes it differ
    /// from `program`).
    pub argv: Vec<OsString>,
    /// The complete environment; nothing of the supervisor's leaks in.
    pub env: Vec<(OsString, OsString)>,
    pub credentials: Option<Credentials>,
    pub working_directory: Option<PathBuf>,
    /// `WorkingDirectory=-/path`: a missing directory is not fatal.
    pub working_directory_missing_ok: bool,
    pub umask: Option<u32>,
    pub nice: Option<i32>,
    pub limits: Vec<ResourceLimit>,
    pub stdin: StdioSpec,
    pub stdout: StdioSpec,
    pub stderr: StdioSpec,
    /// Makes stdin, a terminal, the controlling terminal of the command's
    /// new session.
    pub controlling_terminal: Option<ControllingTerminal>,
    /// A cgroup.procs file the child writes itself into before exec.
    pub cgroup_procs: Option<PathBuf>,
}

impl SpawnRequest {
    /// A request with systemd's defaults: no credential change, `/dev/null`
    /// for all three streams.
    pub fn new(program: impl Into<PathBuf>, argv: Vec<OsString>) -> Self {
        SpawnRequest {
            program: program.into(),
            argv,
            env: Vec::new(),
            credentials: None,
            working_directory: None,
            working_directory_missing_ok: false,
            umask: None,
            nice: None,
            limits: Vec::new(),
            stdin: StdioSpec::Null,
            stdout: StdioSpec::Null,
            stderr: StdioSpec::Null,
            controlling_terminal: None,
            cgroup_procs: None,
        }
    }
}

/// A command that could not be started. `exit_status` is what systemd would
/// have reported as the exit status of its child (203 when exec failed).
#[derive(Debug)]
pub struct SpawnFailure {
    pub exit_status: i32,
    pub error: io::Error,
}

/// Data the child needs, converted to C types before the child exists.
struct ChildSetup {
    credentials: Option<Credentials>,
    working_directory: Option<CString>,
    working_directory_missing_ok: bool,
    umask: Option<libc::mode_t>,
    nice: Option<i32>,
    limits: Vec<ResourceLimit>,
    controlling_terminal: Option<ControllingTerminal>,
    cgroup_procs: Option<CString>,
}

/// Everything the child touches, prepared by the parent: pointers into
/// memory the parent keeps alive until the child has exec'd or exited.
struct ChildImage<'a> {
    program: &'a CString,
    argv: *const *const libc::c_char,
    envp: *const *const libc::c_char,
    /// Descriptors for 0, 1, 2 (None = leave the daemon's own).
    stdio: [Option<i32>; 3],
    setup: &'a ChildSetup,
}

fn cstring(bytes: &[u8]) -> Result<CString, SpawnFailure> {
    CString::new(bytes).map_err(|e| SpawnFailure {
        exit_status: exit_code::EXEC,
        error: io::Error::new(io::ErrorKind::InvalidInput, e),
    })
}

fn io_failure(error: io::Error) -> SpawnFailure {
    SpawnFailure {
        exit_status: exit_code::EXEC,
        error,
    }
}

/// Starts the command: its own session, the execution environment applied,
/// then execve.
///
/// The child shares the daemon's memory until execve (clone with
/// `CLONE_VM | CLONE_VFORK`, as posix_spawn does), so starting a command
/// costs the same whatever the daemon's size: fork would copy the page tables
/// of every timer the daemon holds, and take a copy-on-write fault for every
/// page either side writes until the exec. The exception is a command run
/// under other credentials (User=, Group=): a child already running as the
/// service's user could be stopped by that user before its exec, and a
/// stopped vfork child holds the daemon still; those get a plain fork.
///
/// With `wait_for_exec` (Type=exec) the call returns once the child has
/// exec'd and reports a failed exec as an error (203); without, a failed exec
/// shows up as the child's exit status 203, as systemd reports it for
/// Type=simple. A setup step that fails ends the child with its own code
/// either way.
pub fn spawn(req: SpawnRequest, wait_for_exec: bool) -> Result<Pid, SpawnFailure> {
    let to_c = |p: &PathBuf| cstring(p.as_os_str().as_bytes());
    let setup = ChildSetup {
        credentials: req.credentials,
        working_directory: req.working_directory.as_ref().map(to_c).transpose()?,
        working_directory_missing_ok: req.working_directory_missing_ok,
        umask: req.umask.map(|m| m as libc::mode_t),
        nice: req.nice,
        limits: req.limits,
        controlling_terminal: req.controlling_terminal,
        cgroup_procs: req.cgroup_procs.as_ref().map(to_c).transpose()?,
    };
    let program = to_c(&req.program)?;
    let argv: Vec<CString> = req
        .argv
        .iter()
        .map(|a| cstring(a.as_bytes()))
        .collect::<Result<_, _>>()?;
    let envp: Vec<CString> = req
        .env
        .iter()
        .map(|(k, v)| cstring(&[k.as_bytes(), b"=", v.as_bytes()].concat()))
        .collect::<Result<_, _>>()?;
    let mut argv_ptrs: Vec<*const libc::c_char> = argv.iter().map(|a| a.as_ptr()).collect();
    argv_ptrs.push(std::ptr::null());
    let mut envp_ptrs: Vec<*const libc::c_char> = envp.iter().map(|e| e.as_ptr()).collect();
    envp_ptrs.push(std::ptr::null());

    let null = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open("/dev/null")
        .map_err(io_failure)?;
    let null = OwnedFd::from(null);
    let pick = |spec: &StdioSpec| -> Option<i32> {
        match spec {
            StdioSpec::Null => Some(null.as_raw_fd()),
            StdioSpec::Inherit => None,
            StdioSpec::Fd(fd) => Some(fd.as_raw_fd()),
        }
    };
    let image = ChildImage {
        program: &program,
        argv: argv_ptrs.as_ptr(),
        envp: envp_ptrs.as_ptr(),
        stdio: [pick(&req.stdin), pick(&req.stdout), pick(&req.stderr)],
        setup: &setup,
    };
    let started = if setup.credentials.is_none() {
        vfork_exec(&image)
    } else {
        fork_exec(&image, wait_for_exec)
    };
    drop(null);
    drop((req.stdin, req.stdout, req.stderr));
    let (pid, exec_errno) = started.map_err(io_failure)?;
    if let Some(errno) = exec_errno.filter(|_| wait_for_exec) {
        // The child is gone; reap it here, the caller never saw its pid.
        let _ = nix::sys::wait::waitpid(pid, None);
        return Err(SpawnFailure {
            exit_status: exit_code::EXEC,
            error: io::Error::from_raw_os_error(errno),
        });
    }
    Ok(pid)
}

/// What the child does: stdio, setup, execve. Returns only if execve failed,
/// with its errno; a setup failure ends the child with systemd's code.
///
/// Only async-signal-safe system calls on memory the parent prepared: the
/// child is either a fork of a multi-threaded process or shares the parent's
/// memory, and must neither allocate nor take a lock.
unsafe fn exec_child(image: &ChildImage<'_>) -> i32 {
    child_stdio(&image.stdio);
    child_setup(image.setup);
    libc::execve(image.program.as_ptr(), image.argv, image.envp);
    *libc::__errno_location()
}

/// The stack a vfork child runs on (it must not use the parent's, which the
/// parent's frame still owns): anonymous memory with a guard page below.
struct ChildStack {
    base: *mut libc::c_void,
    len: usize,
}

impl ChildStack {
    /// Enough for `exec_child`, whose frames are small and fixed.
    const SIZE: usize = 64 * 1024;

    fn new() -> io::Result<ChildStack> {
        // SAFETY: sysconf has no preconditions.
        let page = usize::try_from(unsafe { libc::sysconf(libc::_SC_PAGESIZE) }).unwrap_or(4096);
        let len = Self::SIZE + page;
        // SAFETY: a fresh private anonymous mapping; no existing memory involved.
        let base = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                len,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_STACK,
                -1,
                0,
            )
        };
        if base == libc::MAP_FAILED {
            return Err(io::Error::last_os_error());
        }
        let stack = ChildStack { base, len };
        // The stack grows down: an overflow faults instead of writing below.
        // SAFETY: the first page of the mapping made above.
        if unsafe { libc::mprotect(base, page, libc::PROT_NONE) } < 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(stack)
    }

    /// The initial stack pointer: the end of the mapping (page-aligned).
    fn top(&self) -> *mut libc::c_void {
        // SAFETY: one past the end of the mapping, which is what clone wants.
        unsafe { self.base.cast::<u8>().add(self.len).cast() }
    }
}

impl Drop for ChildStack {
    fn drop(&mut self) {
        // SAFETY: the mapping made in `new`; the child has exec'd or exited
        // (CLONE_VFORK), so nothing runs on it any more.
        unsafe { libc::munmap(self.base, self.len) };
    }
}

/// What the parent hands the vfork child, and where the child leaves the
/// errno of a failed execve (the memory is shared until then).
struct VforkShared<'a> {
    image: &'a ChildImage<'a>,
    exec_errno: AtomicI32,
}

extern "C" fn vfork_child(arg: *mut libc::c_void) -> libc::c_int {
    // SAFETY: `arg` points to the VforkShared on the parent's frame, which
    // stays put: the parent is suspended until this child execs or exits.
    unsafe {
        let shared = &*arg.cast::<VforkShared<'_>>();
        let errno = exec_child(shared.image);
        shared.exec_errno.store(errno.max(1), Ordering::SeqCst);
        libc::_exit(exit_code::EXEC)
    }
}

/// clone(CLONE_VM | CLONE_VFORK): returns once the child has exec'd (errno
/// None) or died, with the errno of a failed execve.
fn vfork_exec(image: &ChildImage<'_>) -> io::Result<(Pid, Option<i32>)> {
    let stack = ChildStack::new()?;
    let shared = VforkShared {
        image,
        exec_errno: AtomicI32::new(0),
    };
    // Every signal blocked across the clone: a handler of the daemon must not
    // run in the child, on the daemon's memory. The child inherits the mask,
    // resets every disposition, then clears the mask before exec.
    // SAFETY: sigset_t is plain data; sigfillset initializes it.
    let (pid, clone_error) = unsafe {
        let mut all: libc::sigset_t = std::mem::zeroed();
        let mut old: libc::sigset_t = std::mem::zeroed();
        libc::sigfillset(&mut all);
        libc::pthread_sigmask(libc::SIG_SETMASK, &all, &mut old);
        let pid = libc::clone(
            vfork_child,
            stack.top(),
            libc::CLONE_VM | libc::CLONE_VFORK | libc::SIGCHLD,
            std::ptr::from_ref(&shared).cast_mut().cast(),
        );
        let clone_error = io::Error::last_os_error();
        libc::pthread_sigmask(libc::SIG_SETMASK, &old, std::ptr::null_mut());
        (pid, clone_error)
    };
    if pid < 0 {
        return Err(clone_error);
    }
    let errno = shared.exec_errno.load(Ordering::SeqCst);
    Ok((Pid::from_raw(pid), (errno != 0).then_some(errno)))
}

/// fork: for commands that change credentials. With `wait_for_exec` a
/// close-on-exec pipe tells a failed exec from a successful one; without, the
/// call returns right after fork.
fn fork_exec(image: &ChildImage<'_>, wait_for_exec: bool) -> io::Result<(Pid, Option<i32>)> {
    let exec_pipe = if wait_for_exec { Some(pipe()?) } else { None };
    let report_fd = exec_pipe.as_ref().map_or(-1, |(_, w)| w.as_raw_fd());
    // SAFETY: between fork and exec the child only makes async-signal-safe
    // calls on memory prepared by the parent, and leaves with execve or _exit.
    let pid = unsafe { libc::fork() };
    if pid < 0 {
        return Err(io::Error::last_os_error());
    }
    if pid == 0 {
        // SAFETY: see above; this is the child.
        unsafe {
            let errno = exec_child(image);
            if report_fd >= 0 {
                libc::write(report_fd, (&errno as *const i32).cast(), 4);
            }
            libc::_exit(exit_code::EXEC);
        }
    }
    let pid = Pid::from_raw(pid);
    let Some((read, write)) = exec_pipe else {
        return Ok((pid, None));
    };
    drop(write);
    let mut buf = [0u8; 4];
    let n = loop {
        match nix::unistd::read(&read, &mut buf) {
            Err(nix::errno::Errno::EINTR) => continue,
            other => break other.unwrap_or(0),
        }
    };
    Ok((pid, (n == 4).then(|| i32::from_ne_bytes(buf))))
}

/// Puts the chosen descriptors on 0, 1 and 2. They are first moved above 2
/// so that one landing on another's target number cannot be overwritten.
unsafe fn child_stdio(stdio: &[Option<i32>; 3]) {
    let mut moved = [-1; 3];
    for (i, fd) in stdio.iter().enumerate() {
        if let Some(fd) = fd {
            moved[i] = libc::fcntl(*fd, libc::F_DUPFD, 3);
            if moved[i] < 0 {
                libc::_exit([exit_code::STDIN, exit_code::STDOUT, exit_code::STDERR][i]);
            }
        }
    }
    for (i, fd) in moved.iter().enumerate() {
        if *fd >= 0 && libc::dup2(*fd, i as i32) < 0 {
            libc::_exit([exit_code::STDIN, exit_code::STDOUT, exit_code::STDERR][i]);
        }
    }
    for fd in moved.iter().filter(|fd| **fd >= 0) {
        libc::close(*fd);
    }
}

/// The kernel's number of signals (`_NSIG`): the last one is 64.
const NSIG: libc::c_int = 64;

/// Runs in the child between fork and exec; exits the child on failure.
fn child_setup(s: &ChildSetup) {
    // SAFETY (whole function): plain system calls on valid pointers to data
    // owned by `s`, which lives until exec.
    unsafe {
        // Signals ignored by the supervisor stay ignored across exec; systemd
        // starts every service with default dispositions. Handled ones too,
        // before the mask is cleared below: a vfork child must not run the
        // daemon's handlers.
        // The system call itself: the C library refuses the signals it keeps
        // for itself (32, 33), which may be ignored all the same. A zeroed
        // kernel sigaction is SIG_DFL with no flags on every architecture.
        let default_action = [0u64; 8];
        for sig in 1..=NSIG {
            if sig != libc::SIGKILL && sig != libc::SIGSTOP {
                libc::syscall(
                    libc::SYS_rt_sigaction,
                    libc::c_long::from(sig),
                    default_action.as_ptr(),
                    std::ptr::null_mut::<libc::c_void>(),
                    (NSIG / 8) as libc::size_t,
                );
            }
        }
        // Its own session and process group: the unit of killing.
        if libc::setsid() < 0 {
            libc::_exit(exit_code::SETSID);
        }
        if let Some(mode) = s.controlling_terminal {
            // Only a session leader without a terminal may take one: right
            // after setsid().
            let force = libc::c_int::from(mode == ControllingTerminal::Force);
            if libc::ioctl(0, libc::TIOCSCTTY, force) < 0 && mode != ControllingTerminal::IfFree {
                libc::_exit(exit_code::STDIN);
            }
        }
        if let Some(path) = &s.cgroup_procs {
            let fd = libc::open(path.as_ptr(), libc::O_WRONLY | libc::O_CLOEXEC);
            if fd < 0 || libc::write(fd, b"0\n".as_ptr().cast(), 2) < 0 {
                libc::_exit(exit_code::CGROUP);
            }
            libc::close(fd);
        }
        for l in &s.limits {
            let lim = libc::rlimit {
                rlim_cur: l.soft as _,
                rlim_max: l.hard as _,
            };
            if libc::setrlimit(l.resource as _, &lim) < 0 {
                libc::_exit(exit_code::LIMITS);
            }
        }
        if let Some(nice) = s.nice {
            if libc::setpriority(libc::PRIO_PROCESS, 0, nice) < 0 {
                libc::_exit(exit_code::NICE);
            }
        }
        if let Some(mask) = s.umask {
            libc::umask(mask);
        }
        if let Some(c) = &s.credentials {
            let groups: &[u32] = &c.groups;
            if libc::setgroups(groups.len() as _, groups.as_ptr()) < 0 {
                libc::_exit(exit_code::GROUP);
            }
            if libc::setresgid(c.gid, c.gid, c.gid) < 0 {
                libc::_exit(exit_code::GROUP);
            }
            if libc::setresuid(c.uid, c.uid, c.uid) < 0 {
                libc::_exit(exit_code::USER);
            }
        }
        // After the credential change, as systemd does: the directory must be
        // reachable by the service's user.
        if let Some(dir) = &s.working_directory {
            if libc::chdir(dir.as_ptr()) < 0 && !s.working_directory_missing_ok {
                libc::_exit(exit_code::CHDIR);
            }
        }
        let empty: libc::sigset_t = std::mem::zeroed();
        let mut set = empty;
        libc::sigemptyset(&mut set);
        if libc::pthread_sigmask(libc::SIG_SETMASK, &set, std::ptr::null_mut()) != 0 {
            libc::_exit(exit_code::SIGNAL_MASK);
        }
    }
}

/// A pipe whose ends are both close-on-exec (the child gets a dup2'd copy).
pub fn pipe() -> io::Result<(OwnedFd, OwnedFd)> {
    let (r, w) = nix::unistd::pipe2(nix::fcntl::OFlag::O_CLOEXEC).map_err(io::Error::from)?;
    Ok((r, w))
}

/// Duplicates a descriptor for handing one copy to a child.
pub fn dup(fd: &OwnedFd) -> io::Result<OwnedFd> {
    fd.try_clone()
}

#[cfg(test)]
mod tests {
    use super::*;
    use nix::sys::wait::{waitpid, WaitStatus};

    fn wait_exit(pid: Pid) -> i32 {
        match waitpid(pid, None).expect("our child") {
            WaitStatus::Exited(_, code) => code,
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn child_gets_its_own_session() {
        let req = SpawnRequest::new(
            "/bin/sh",
            vec![
                "sh".into(),
                "-c".into(),
                "test $$ -eq $(cut -d' ' -f6 /proc/$$/stat)".into(),
            ],
        );
        let pid = spawn(req, false).expect("sh exists");
        assert_eq!(wait_exit(pid), 0);
    }

    #[test]
    fn missing_program_is_203() {
        let req = SpawnRequest::new("/nonexistent/prog", vec!["prog".into()]);
        let err = spawn(req, true).expect_err("cannot exec");
        assert_eq!(err.exit_status, exit_code::EXEC);
        assert_eq!(err.error.raw_os_error(), Some(libc::ENOENT));
        // Without waiting for exec, the failure is the child's exit status.
        let req = SpawnRequest::new("/nonexistent/prog", vec!["prog".into()]);
        let pid = spawn(req, false).expect("fork works");
        assert_eq!(wait_exit(pid), exit_code::EXEC);
    }

    #[test]
    fn missing_working_directory_is_200_unless_optional() {
        let mut req = SpawnRequest::new("/bin/true", vec!["true".into()]);
        req.working_directory = Some("/nonexistent/dir".into());
        let pid = spawn(req, false).expect("fork works");
        assert_eq!(wait_exit(pid), exit_code::CHDIR);

        let mut req = SpawnRequest::new("/bin/true", vec!["true".into()]);
        req.working_directory = Some("/nonexistent/dir".into());
        req.working_directory_missing_ok = true;
        let pid = spawn(req, false).expect("fork works");
        assert_eq!(wait_exit(pid), 0);
    }

    #[test]
    fn signals_start_at_their_defaults_and_unblocked() {
        // The test harness ignores SIGPIPE, as the daemon does; the child must
        // not inherit that, nor the mask the spawn holds around the clone.
        // The program reads its own status (a shell would block signals of
        // its own while it waits for a command).
        // SAFETY: SIG_IGN for SIGUSR2, which nothing in the test process
        // handles: one more ignored signal the reset must undo.
        let old = unsafe { libc::signal(libc::SIGUSR2, libc::SIG_IGN) };
        let pids: Vec<Pid> = ["SigBlk", "SigIgn"]
            .iter()
            .map(|field| {
                let req = SpawnRequest::new(
                    "/usr/bin/grep",
                    vec![
                        "grep".into(),
                        "-qE".into(),
                        format!("^{field}:[[:space:]]+0+$").into(),
                        "/proc/self/status".into(),
                    ],
                );
                spawn(req, true).expect("grep exists")
            })
            .collect();
        // SAFETY: restores the disposition read above.
        unsafe { libc::signal(libc::SIGUSR2, old) };
        for pid in pids {
            assert_eq!(wait_exit(pid), 0);
        }
    }

    #[test]
    fn spawns_from_many_threads_at_once() {
        let threads: Vec<_> = (0..4)
            .map(|_| {
                std::thread::spawn(|| {
                    for _ in 0..25 {
                        let mut req = SpawnRequest::new(
                            "/bin/sh",
                            vec!["sh".into(), "-c".into(), "exit $X".into()],
                        );
                        req.env.push(("X".into(), "7".into()));
                        let pid = spawn(req, true).expect("sh exists");
                        assert_eq!(wait_exit(pid), 7);
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().expect("no spawn failed");
        }
    }

    #[test]
    fn credentials_take_the_fork_path() {
        let root = nix::unistd::geteuid().is_root();
        // As root: become nobody. Otherwise setgroups() is refused: 216.
        let (uid, gid) = if root {
            (65534, 65534)
        } else {
            (
                nix::unistd::geteuid().as_raw(),
                nix::unistd::getegid().as_raw(),
            )
        };
        let mut req = SpawnRequest::new(
            "/bin/sh",
            vec![
                "sh".into(),
                "-c".into(),
                format!("test $(id -u) = {uid} && test $(id -g) = {gid}").into(),
            ],
        );
        req.credentials = Some(Credentials {
            uid,
            gid,
            groups: vec![gid],
        });
        let pid = spawn(req, true).expect("sh exists");
        assert_eq!(wait_exit(pid), if root { 0 } else { exit_code::GROUP });
        if root {
            // Type=exec learns of a failed exec through the pipe.
            let mut req = SpawnRequest::new("/nonexistent/prog", vec!["prog".into()]);
            req.credentials = Some(Credentials {
                uid,
                gid,
                groups: vec![gid],
            });
            let err = spawn(req, true).expect_err("cannot exec");
            assert_eq!(err.exit_status, exit_code::EXEC);
            assert_eq!(err.error.raw_os_error(), Some(libc::ENOENT));
        }
    }

    #[test]
    fn umask_nice_and_limits_apply() {
        let mut req = SpawnRequest::new(
            "/bin/sh",
            vec![
                "sh".into(),
                "-c".into(),
                "test $(umask) = 0077 && test $(ulimit -n) = 77 && test $(cut -d' ' -f19 /proc/$$/stat) = 5"
                    .into(),
            ],
        );
        req.umask = Some(0o077);
        req.nice = Some(5);
        req.limits.push(ResourceLimit {
            resource: libc::RLIMIT_NOFILE as i32,
            soft: 77,
            hard: 77,
        });
        let pid = spawn(req, false).expect("sh exists");
        assert_eq!(wait_exit(pid), 0);
    }
}
