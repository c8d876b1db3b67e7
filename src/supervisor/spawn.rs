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
use std::os::fd::OwnedFd;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::{Command, Stdio};

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

impl StdioSpec {
    fn into_stdio(self) -> Stdio {
        match self {
            StdioSpec::Null => Stdio::null(),
            StdioSpec::Inherit => Stdio::inherit(),
            StdioSpec::Fd(fd) => Stdio::from(fd),
        }
    }
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

/// Starts the command. Returns once the child has exec'd (std's spawn waits
/// for exec on a close-on-exec pipe), or with the failure that prevented it.
pub fn spawn(req: SpawnRequest) -> Result<Pid, SpawnFailure> {
    let to_c = |p: &PathBuf| {
        CString::new(p.as_os_str().as_bytes()).map_err(|e| SpawnFailure {
            exit_status: exit_code::EXEC,
            error: io::Error::new(io::ErrorKind::InvalidInput, e),
        })
    };
    let setup = ChildSetup {
        credentials: req.credentials,
        working_directory: req.working_directory.as_ref().map(to_c).transpose()?,
        working_directory_missing_ok: req.working_directory_missing_ok,
        umask: req.umask.map(|m| m as libc::mode_t),
        nice: req.nice,
        limits: req.limits,
        cgroup_procs: req.cgroup_procs.as_ref().map(to_c).transpose()?,
    };

    let mut cmd = Command::new(&req.program);
    if let Some((first, rest)) = req.argv.split_first() {
        cmd.arg0(first);
        cmd.args(rest);
    }
    cmd.env_clear();
    cmd.envs(req.env);
    cmd.stdin(req.stdin.into_stdio());
    cmd.stdout(req.stdout.into_stdio());
    cmd.stderr(req.stderr.into_stdio());
    // SAFETY: the closure only makes async-signal-safe system calls on data
    // prepared before fork, and ends the child with _exit on failure.
    unsafe {
        cmd.pre_exec(move || {
            child_setup(&setup);
            Ok(())
        });
    }
    match cmd.spawn() {
        Ok(child) => {
            // The Child handle is dropped without waiting: the supervisor
            // reaps by pid, as it does for processes it did not start.
            let pid = Pid::from_raw(child.id() as i32);
            drop(child);
            Ok(pid)
        }
        Err(error) => Err(SpawnFailure { exit_status: exit_code::EXEC, error }),
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
            let lim = libc::rlimit { rlim_cur: l.soft as _, rlim_max: l.hard as _ };
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
            vec!["sh".into(), "-c".into(), "test $$ -eq $(cut -d' ' -f6 /proc/$$/stat)".into()],
        );
        let pid = spawn(req).expect("sh exists");
        assert_eq!(wait_exit(pid), 0);
    }

    #[test]
    fn missing_program_is_203() {
        let req = SpawnRequest::new("/nonexistent/prog", vec!["prog".into()]);
        let err = spawn(req).expect_err("cannot exec");
        assert_eq!(err.exit_status, exit_code::EXEC);
    }

    #[test]
    fn missing_working_directory_is_200_unless_optional() {
        let mut req = SpawnRequest::new("/bin/true", vec!["true".into()]);
        req.working_directory = Some("/nonexistent/dir".into());
        let pid = spawn(req).expect("fork works");
        assert_eq!(wait_exit(pid), exit_code::CHDIR);

        let mut req = SpawnRequest::new("/bin/true", vec!["true".into()]);
        req.working_directory = Some("/nonexistent/dir".into());
        req.working_directory_missing_ok = true;
        let pid = spawn(req).expect("fork works");
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
        req.limits.push(ResourceLimit { resource: libc::RLIMIT_NOFILE as i32, soft: 77, hard: 77 });
        let pid = spawn(req).expect("sh exists");
        assert_eq!(wait_exit(pid), 0);
    }
}
