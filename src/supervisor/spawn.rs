//! Starting one command: fork and exec with the service's execution
//! environment applied in the child between the two.
//!
//! Everything that may allocate or read files (user lookups, group lists,
//! C strings) is prepared in the parent: the daemon is multi-threaded, and
//! between fork and exec only async-signal-safe calls are allowed. A setup step
//! that fails in the child ends it with systemd's exit code for that step
//! (200 CHDIR, 216 GROUP, 217 USER, ...), so the failure reaches the state
//! machine the way systemd reports it: as the process's exit status.

use std::ffi::{CString, OsString};
use std::io;
use std::os::fd::{AsRawFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::path::PathBuf;

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

/// Data the child needs, converted to C types before fork.
struct ChildSetup {
    credentials: Option<Credentials>,
    working_directory: Option<CString>,
    working_directory_missing_ok: bool,
    umask: Option<libc::mode_t>,
    nice: Option<i32>,
    limits: Vec<ResourceLimit>,
    cgroup_procs: Option<CString>,
}

fn cstring(bytes: &[u8]) -> Result<CString, SpawnFailure> {
    CString::new(bytes).map_err(|e| SpawnFailure {
        exit_status: exit_code::EXEC,
        error: io::Error::new(io::ErrorKind::InvalidInput, e),
    })
}

/// Starts the command with fork and execve.
///
/// With `wait_for_exec` (Type=exec) the call returns once the child has
/// exec'd, learning of a failed exec through a close-on-exec pipe; without,
/// it returns right after fork and a failed exec shows up as the child's exit
/// status 203, as systemd reports it for Type=simple. Not waiting saves a
/// round trip through the scheduler per command.
pub fn spawn(req: SpawnRequest, wait_for_exec: bool) -> Result<Pid, SpawnFailure> {
    let to_c = |p: &PathBuf| cstring(p.as_os_str().as_bytes());
    let setup = ChildSetup {
        credentials: req.credentials,
        working_directory: req.working_directory.as_ref().map(to_c).transpose()?,
        working_directory_missing_ok: req.working_directory_missing_ok,
        umask: req.umask.map(|m| m as libc::mode_t),
        nice: req.nice,
        limits: req.limits,
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

    let io_err = |e: io::Error| SpawnFailure {
        exit_status: exit_code::EXEC,
        error: e,
    };
    // Descriptors for 0, 1, 2 (None = leave the daemon's own).
    let null = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open("/dev/null")
        .map_err(io_err)?;
    let null = OwnedFd::from(null);
    let pick = |spec: &StdioSpec| -> Option<i32> {
        match spec {
            StdioSpec::Null => Some(null.as_raw_fd()),
            StdioSpec::Inherit => None,
            StdioSpec::Fd(fd) => Some(fd.as_raw_fd()),
        }
    };
    let stdio = [pick(&req.stdin), pick(&req.stdout), pick(&req.stderr)];
    let exec_pipe = if wait_for_exec {
        Some(pipe().map_err(io_err)?)
    } else {
        None
    };
    let report_fd = exec_pipe.as_ref().map_or(-1, |(_, w)| w.as_raw_fd());

    // SAFETY: between fork and exec the child only makes async-signal-safe
    // calls on memory prepared above, and leaves with execve or _exit.
    let pid = unsafe { libc::fork() };
    if pid < 0 {
        return Err(io_err(io::Error::last_os_error()));
    }
    if pid == 0 {
        // SAFETY: see above; this is the child.
        unsafe {
            child_stdio(&stdio);
            child_setup(&setup);
            libc::execve(program.as_ptr(), argv_ptrs.as_ptr(), envp_ptrs.as_ptr());
            if report_fd >= 0 {
                let errno = *libc::__errno_location();
                libc::write(report_fd, (&errno as *const i32).cast(), 4);
            }
            libc::_exit(exit_code::EXEC);
        }
    }
    let pid = Pid::from_raw(pid);
    drop(null);
    drop((req.stdin, req.stdout, req.stderr));
    if let Some((read, write)) = exec_pipe {
        drop(write);
        let mut buf = [0u8; 4];
        let n = loop {
            match nix::unistd::read(&read, &mut buf) {
                Err(nix::errno::Errno::EINTR) => continue,
                other => break other.unwrap_or(0),
            }
        };
        if n == 4 {
            // The child is gone; reap it here, the caller never saw its pid.
            let _ = nix::sys::wait::waitpid(pid, None);
            return Err(SpawnFailure {
                exit_status: exit_code::EXEC,
                error: io::Error::from_raw_os_error(i32::from_ne_bytes(buf)),
            });
        }
    }
    Ok(pid)
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

/// Runs in the child between fork and exec; exits the child on failure.
fn child_setup(s: &ChildSetup) {
    // SAFETY (whole function): plain system calls on valid pointers to data
    // owned by `s`, which lives until exec.
    unsafe {
        // Signals ignored by the supervisor stay ignored across exec; systemd
        // starts every service with default dispositions.
        for sig in 1..libc::SIGRTMIN() {
            if sig != libc::SIGKILL && sig != libc::SIGSTOP {
                libc::signal(sig, libc::SIG_DFL);
            }
        }
        // Its own session and process group: the unit of killing.
        if libc::setsid() < 0 {
            libc::_exit(exit_code::SETSID);
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
