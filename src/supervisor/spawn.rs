//! Starting one command: a child process (a clone sharing the daemon's
//! memory until exec, or a fork for a change of credentials) with the
//! service's execution environment applied before exec.
//!
//! Everything that may allocate or read files (user lookups, group lists,
//! C strings) is prepared in the parent: the daemon is multi-threaded, and
//! between fork and exec only async-signal-safe calls are allowed; a cloned
//! child also runs on the daemon's memory, beside the daemon's threads, so
//! it makes its system calls without the C library (the private `raw` module). A setup
//! step that fails in the child ends it with systemd's exit code for that
//! step (200 CHDIR, 216 GROUP, 217 USER, ...), so the failure reaches the
//! state machine the way systemd reports it: as the process's exit status.

use std::ffi::{CString, OsString};
use std::io;
use std::os::fd::{AsRawFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::path::PathBuf;
use std::sync::Arc;

use nix::unistd::Pid;

mod child;
mod clone;
pub mod privileges;
mod raw;
mod sandbox_child;

pub use sandbox_child::SandboxRequest;

use child::exec_child;
use clone::clone_exec;
pub use privileges::Privileges;

/// systemd's exit codes for a child that failed before exec (exit-status.h).
pub mod exit_code {
    pub const CHDIR: i32 = 200;
    pub const NICE: i32 = 201;
    pub const EXEC: i32 = 203;
    pub const FDS: i32 = 202;
    pub const LIMITS: i32 = 205;
    pub const OOM_ADJUST: i32 = 206;
    pub const SIGNAL_MASK: i32 = 207;
    pub const STDIN: i32 = 208;
    pub const STDOUT: i32 = 209;
    pub const IOPRIO: i32 = 211;
    pub const SECUREBITS: i32 = 213;
    pub const SETSCHEDULER: i32 = 214;
    pub const CPUAFFINITY: i32 = 215;
    pub const GROUP: i32 = 216;
    pub const USER: i32 = 217;
    pub const CAPABILITIES: i32 = 218;
    pub const CGROUP: i32 = 219;
    pub const SETSID: i32 = 220;
    pub const STDERR: i32 = 222;
    pub const NAMESPACE: i32 = 226;
    pub const SECCOMP: i32 = 228;
    pub const PAM: i32 = 224;
    pub const NO_NEW_PRIVILEGES: i32 = 227;
    pub const CREDENTIALS: i32 = 243;
    pub const KEYRING: i32 = 237;
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
    /// The full argument vector, `argv[0]` first (the `@` prefix makes it differ
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
    /// The cgroup.procs files the child writes itself into before exec:
    /// its cgroup v2 one and its v1 ones (one per hierarchy).
    pub cgroup_procs: Vec<PathBuf>,
    /// Whether controllers apply to that cgroup (see [`spawn`]).
    pub cgroup_controllers: bool,
    /// The write end of a close-on-exec pipe through which the child tells
    /// how far it got (see [`ExecReport`]): the caller learns of the exec,
    /// or why it failed, without waiting for it.
    pub exec_report: Option<OwnedFd>,
    /// Namespaces, mounts and seccomp filters (`PrivateTmp=`,
    /// `SystemCallFilter=`, ...).
    pub sandbox: Option<SandboxRequest>,
    /// Socket activation: descriptors the child gets as 3, 4, ... in this
    /// order, with `$LISTEN_PID` set to its own pid (sd_listen_fds(3)).
    /// The caller puts `$LISTEN_FDS` and `$LISTEN_FDNAMES` in `env`.
    pub passed_fds: Vec<Arc<OwnedFd>>,
    /// Scheduling, capabilities, no_new_privs, SIGPIPE (see
    /// [`privileges`]).
    pub privileges: Privileges,
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
            cgroup_procs: Vec::new(),
            cgroup_controllers: false,
            exec_report: None,
            sandbox: None,
            passed_fds: Vec::new(),
            privileges: Privileges::NONE,
        }
    }
}

/// A command that could not be started (no child: the daemon could not
/// prepare or clone it). `exit_status` is what systemd would report for it,
/// 203/EXEC.
#[derive(Debug)]
pub struct SpawnFailure {
    pub exit_status: i32,
    pub error: io::Error,
}

/// Data the child needs, converted to C types before the child exists.
///
/// A cloned child shares the daemon's memory: nothing it does may change
/// state that belongs to that memory rather than to the task (credentials,
/// `oom_score_adj`, prctl's PR_SET_DUMPABLE/THP/MM, moves into a cgroup
/// with controllers). Settings that do, like the two `spawn` already knows,
/// must take the fork path.
struct ChildSetup {
    credentials: Option<Credentials>,
    working_directory: Option<CString>,
    working_directory_missing_ok: bool,
    umask: Option<libc::mode_t>,
    nice: Option<i32>,
    limits: Vec<ResourceLimit>,
    controlling_terminal: Option<ControllingTerminal>,
    cgroup_procs: Vec<CString>,
    sandbox: Option<sandbox_child::SandboxImage>,
    privileges: privileges::Prepared,
}

/// Everything the child reads between clone and exec, prepared and owned by
/// the parent, which keeps it until the child has exec'd or ended.
struct ChildImage {
    program: CString,
    /// Pointers into `_argv` and `_envp`, each ending in a null pointer.
    argv: Vec<*const libc::c_char>,
    envp: Vec<*const libc::c_char>,
    _argv: Vec<CString>,
    _envp: Vec<CString>,
    /// Descriptors for 0, 1, 2 (None = leave the daemon's own).
    stdio: [Option<i32>; 3],
    /// Where to report the exec (an [`ExecReport`]), above the passed
    /// descriptors' numbers.
    exec_report: Option<i32>,
    setup: ChildSetup,
    /// Socket activation: the descriptors for 3, 4, ...
    passed_fds: Vec<i32>,
    /// Where the child writes its pid's digits: inside `_listen_pid`, the
    /// `LISTEN_PID=` entry of `envp` (room for any pid and the NUL).
    listen_pid_digits: Option<*mut u8>,
    _listen_pid: Vec<u8>,
}

/// `LISTEN_PID=` and room for the longest pid (pid_max is at most 2^22,
/// but a u32 is written) and its NUL.
const LISTEN_PID: &[u8] = b"LISTEN_PID=";
const LISTEN_PID_ROOM: usize = 11;

impl ChildImage {
    fn new(req: &SpawnRequest, stdio: [Option<i32>; 3]) -> Result<ChildImage, SpawnFailure> {
        let to_c = |p: &PathBuf| cstring(p.as_os_str().as_bytes());
        let setup = ChildSetup {
            credentials: req.credentials.clone(),
            working_directory: req.working_directory.as_ref().map(to_c).transpose()?,
            working_directory_missing_ok: req.working_directory_missing_ok,
            umask: req.umask.map(|m| m as libc::mode_t),
            nice: req.nice,
            limits: req.limits.clone(),
            controlling_terminal: req.controlling_terminal,
            cgroup_procs: req
                .cgroup_procs
                .iter()
                .map(to_c)
                .collect::<Result<_, _>>()?,
            sandbox: req
                .sandbox
                .as_ref()
                .map(|sb| {
                    let report = req.exec_report.as_ref().map(AsRawFd::as_raw_fd);
                    sandbox_child::SandboxImage::new(sb, report)
                })
                .transpose()?,
            privileges: privileges::Prepared::new(req.privileges.clone()),
        };
        let argv: Vec<CString> = req
            .argv
            .iter()
            .map(|a| cstring(a.as_bytes()))
            .collect::<Result<_, _>>()?;
        let passing = !req.passed_fds.is_empty();
        let envp: Vec<CString> = req
            .env
            .iter()
            // The child's own LISTEN_PID replaces any other.
            .filter(|(k, _)| !(passing && k == "LISTEN_PID"))
            .map(|(k, v)| cstring(&[k.as_bytes(), b"=", v.as_bytes()].concat()))
            .collect::<Result<_, _>>()?;
        let pointers = |strings: &[CString]| -> Vec<*const libc::c_char> {
            let mut ptrs: Vec<_> = strings.iter().map(|s| s.as_ptr()).collect();
            ptrs.push(std::ptr::null());
            ptrs
        };
        let mut envp_ptrs = pointers(&envp);
        let mut listen_pid = Vec::new();
        let mut listen_pid_digits = None;
        if passing {
            listen_pid = [LISTEN_PID, &[0u8; LISTEN_PID_ROOM]].concat();
            // A Vec's buffer stays where it is when the Vec moves.
            listen_pid_digits = Some(listen_pid[LISTEN_PID.len()..].as_mut_ptr());
            envp_ptrs.insert(envp_ptrs.len() - 1, listen_pid.as_ptr().cast());
        }
        Ok(ChildImage {
            program: to_c(&req.program)?,
            argv: pointers(&argv),
            envp: envp_ptrs,
            _argv: argv,
            _envp: envp,
            stdio,
            exec_report: req.exec_report.as_ref().map(AsRawFd::as_raw_fd),
            setup,
            passed_fds: req.passed_fds.iter().map(|fd| fd.as_raw_fd()).collect(),
            listen_pid_digits,
            _listen_pid: listen_pid,
        })
    }
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
/// The child shares the daemon's memory until execve (clone with `CLONE_VM`),
/// so starting a command costs the same whatever the daemon's size: fork
/// would copy the page tables of every timer the daemon holds, and take a
/// copy-on-write fault for every page either side writes until the exec.
/// Unlike posix_spawn (and vfork), the call does not wait for the exec: the
/// child runs beside the daemon on memory the daemon leaves alone until the
/// child has exec'd, so a child that waits for a CPU does not hold up the
/// event loop (on x86-64; elsewhere it waits, see the `raw` module).
///
/// Two kinds of command get a plain fork instead. One run under other
/// credentials (User=, Group=): changing them in a child that shares the
/// daemon's memory changes that memory's dumpable flag, and a child running
/// as the service's user could be stopped by that user before its exec. And
/// one placed in a cgroup with controllers: moving a task into such a cgroup
/// can rebind or migrate its memory (the cpuset controller), which would be
/// the daemon's. A cgroup without controllers (the one every service gets
/// for tracking its processes) only records membership, so its commands
/// are cloned like any other.
///
/// A sandboxed command is cloned too: the namespaces it enters (mount,
/// network, UTS, IPC), its mounts and its seccomp filters belong to the
/// task, not to the memory it shares, and the kernel lets a task that
/// shares its memory unshare those. Not a user namespace
/// (`PrivateUsers=`): the kernel refuses it to a task that shares its
/// memory, so such a command is forked.
///
/// A failed exec shows up as the child's exit status 203, a setup step that
/// fails as its own code, as systemd reports them. The caller learns of the
/// exec (Type=exec waits for it) and of why it failed through
/// [`SpawnRequest::exec_report`], without waiting here.
pub fn spawn(mut req: SpawnRequest) -> Result<Pid, SpawnFailure> {
    // The child writes its report after setting up 0, 1, 2 and the
    // passed descriptors from 3 on: it must be above all of them.
    if let Some(fd) = req.exec_report.take() {
        let lowest = 3 + req.passed_fds.len() as i32;
        req.exec_report = Some(above(fd, lowest).map_err(io_failure)?);
    }
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
    let stdio = [pick(&req.stdin), pick(&req.stdout), pick(&req.stderr)];
    let image = ChildImage::new(&req, stdio)?;
    let forked_cgroup = !image.setup.cgroup_procs.is_empty() && req.cgroup_controllers;
    let started = if image.setup.credentials.is_none()
        && !forked_cgroup
        && !image.setup.privileges.needs_fork()
        && !image
            .setup
            .sandbox
            .as_ref()
            .is_some_and(sandbox_child::SandboxImage::needs_fork)
    {
        clone_exec(image)
    } else {
        fork_exec(&image)
    };
    // The child has its own copy of the descriptor table, made at the clone.
    drop(null);
    drop((req.stdin, req.stdout, req.stderr, req.exec_report));
    started.map_err(io_failure)
}

/// The calling thread's signal mask, with every signal the C library lets
/// a program block blocked, until dropped. (It keeps two for itself, 32 and
/// 33, unblocked; their handlers do nothing for a signal the child did not
/// send itself, and the child resets them.)
pub(super) struct BlockedSignals(libc::sigset_t);

impl BlockedSignals {
    pub(super) fn all() -> BlockedSignals {
        // SAFETY: sigset_t is plain data; sigfillset initializes it, and
        // pthread_sigmask writes the old mask into `old`.
        unsafe {
            let mut all: libc::sigset_t = std::mem::zeroed();
            let mut old: libc::sigset_t = std::mem::zeroed();
            libc::sigfillset(&mut all);
            libc::pthread_sigmask(libc::SIG_SETMASK, &all, &mut old);
            BlockedSignals(old)
        }
    }
}

impl Drop for BlockedSignals {
    fn drop(&mut self) {
        // SAFETY: restores the mask saved in `all`.
        unsafe { libc::pthread_sigmask(libc::SIG_SETMASK, &self.0, std::ptr::null_mut()) };
    }
}

/// fork: for commands that change credentials or cgroup; returns right
/// after the fork.
fn fork_exec(image: &ChildImage) -> io::Result<Pid> {
    // As for a clone: the daemon's handlers must not run in the child before
    // it resets them (they would write to descriptors it shares).
    let blocked = BlockedSignals::all();
    // SAFETY: between fork and exec the child only makes raw system calls on
    // memory prepared by the parent, and leaves with execve or exit.
    let pid = unsafe { libc::fork() };
    if pid < 0 {
        return Err(io::Error::last_os_error());
    }
    if pid == 0 {
        // SAFETY: see above; this is the child.
        unsafe { exec_child(image) }
    }
    drop(blocked);
    Ok(Pid::from_raw(pid))
}

/// `fd` itself if it is at `lowest` or above, else a close-on-exec copy
/// that is.
fn above(fd: OwnedFd, lowest: i32) -> io::Result<OwnedFd> {
    if fd.as_raw_fd() >= lowest {
        return Ok(fd);
    }
    let copy = nix::fcntl::fcntl(&fd, nix::fcntl::FcntlArg::F_DUPFD_CLOEXEC(lowest))
        .map_err(io::Error::from)?;
    // SAFETY: a descriptor fcntl just made, owned by nothing else.
    Ok(unsafe { <OwnedFd as std::os::fd::FromRawFd>::from_raw_fd(copy) })
}

/// How far a child got towards its exec, as it wrote to its exec-report
/// pipe ([`SpawnRequest::exec_report`]) before the pipe closed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExecReport {
    /// It called execve and the pipe closed with the exec: the program runs.
    Execd,
    /// Its execve failed with this errno; it exits 203.
    Failed(i32),
    /// A sandbox step failed (226/NAMESPACE): what it was setting up (a
    /// path, `unshare`, `lo`) and the kernel's errno.
    Namespace { what: String, errno: i32 },
    /// Installing a seccomp filter failed (228/SECCOMP).
    Seccomp(i32),
    /// It ended before trying: a setup step failed, its exit code says which.
    Died,
}

impl ExecReport {
    /// One byte 1 just before execve; then, if execve fails, its errno. A
    /// sandbox that could not be set up writes 2, the errno, then what
    /// failed; a filter that could not be installed 3 and the errno.
    pub fn from_bytes(bytes: &[u8]) -> ExecReport {
        let errno = |b: &[u8]| i32::from_ne_bytes([b[0], b[1], b[2], b[3]]);
        match bytes {
            [1] => ExecReport::Execd,
            [1, rest @ ..] if rest.len() == 4 => ExecReport::Failed(errno(rest)),
            [2, rest @ ..] if rest.len() >= 4 => ExecReport::Namespace {
                errno: errno(rest),
                what: String::from_utf8_lossy(&rest[4..]).into_owned(),
            },
            [1, 3, rest @ ..] if rest.len() == 4 => ExecReport::Seccomp(errno(rest)),
            _ => ExecReport::Died,
        }
    }
}

/// A pipe whose ends are both close-on-exec (the child gets a dup2'd copy).
pub fn pipe() -> io::Result<(OwnedFd, OwnedFd)> {
    let (r, w) = nix::unistd::pipe2(nix::fcntl::OFlag::O_CLOEXEC).map_err(io::Error::from)?;
    Ok((r, w))
}

#[cfg(test)]
mod tests {
    use super::*;
    use nix::sys::wait::{waitpid, WaitStatus};

    #[test]
    fn exec_reports_read_back() {
        assert_eq!(ExecReport::from_bytes(&[1]), ExecReport::Execd);
        let e = libc::ENOENT.to_ne_bytes();
        assert_eq!(
            ExecReport::from_bytes(&[1, e[0], e[1], e[2], e[3]]),
            ExecReport::Failed(libc::ENOENT)
        );
        assert_eq!(
            ExecReport::from_bytes(&[2, e[0], e[1], e[2], e[3], b'/', b'x']),
            ExecReport::Namespace {
                what: "/x".into(),
                errno: libc::ENOENT
            }
        );
        assert_eq!(
            ExecReport::from_bytes(&[1, 3, e[0], e[1], e[2], e[3]]),
            ExecReport::Seccomp(libc::ENOENT)
        );
        assert_eq!(ExecReport::from_bytes(&[]), ExecReport::Died);
    }

    /// Starts `req` with an exec report and reads the report to its end.
    fn spawn_reporting(mut req: SpawnRequest) -> (Pid, ExecReport) {
        let (read, write) = pipe().expect("pipe");
        req.exec_report = Some(write);
        let pid = spawn(req).expect("started");
        let mut bytes = Vec::new();
        std::io::Read::read_to_end(&mut std::fs::File::from(read), &mut bytes).expect("read");
        (pid, ExecReport::from_bytes(&bytes))
    }

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
        let pid = spawn(req).expect("sh exists");
        assert_eq!(wait_exit(pid), 0);
    }

    #[test]
    fn the_daemon_s_descriptors_are_not_inherited() {
        // A descriptor without close-on-exec (dup sets none): not passed on
        // either, as in systemd; the exec report still works.
        let file = std::fs::File::open("/dev/null").expect("opens");
        // SAFETY: dup of a descriptor we own; closed below.
        let leaked = unsafe { libc::dup(file.as_raw_fd()) };
        assert!(leaked > 2);
        let req = SpawnRequest::new(
            "/bin/sh",
            vec![
                "sh".into(),
                "-c".into(),
                format!("test ! -e /proc/self/fd/{leaked}").into(),
            ],
        );
        let (pid, report) = spawn_reporting(req);
        // SAFETY: the descriptor dup'd above.
        unsafe { libc::close(leaked) };
        assert_eq!(report, ExecReport::Execd);
        assert_eq!(wait_exit(pid), 0);
    }

    #[test]
    fn missing_program_is_203() {
        let req = SpawnRequest::new("/nonexistent/prog", vec!["prog".into()]);
        let (pid, report) = spawn_reporting(req);
        assert_eq!(report, ExecReport::Failed(libc::ENOENT));
        assert_eq!(wait_exit(pid), exit_code::EXEC);
        // A setup step that fails ends the child before it tries.
        let mut req = SpawnRequest::new("/bin/true", vec!["true".into()]);
        req.working_directory = Some("/nonexistent/dir".into());
        let (pid, report) = spawn_reporting(req);
        assert_eq!(report, ExecReport::Died);
        assert_eq!(wait_exit(pid), exit_code::CHDIR);
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
                spawn(req).expect("grep exists")
            })
            .collect();
        // SAFETY: restores the disposition read above.
        unsafe { libc::signal(libc::SIGUSR2, old) };
        for pid in pids {
            assert_eq!(wait_exit(pid), 0);
        }
    }

    #[test]
    fn the_exec_report_ends_at_the_exec_not_at_the_exit() {
        // The pipe closes with the exec: a long-running program is reported
        // while it runs.
        let req = SpawnRequest::new("/bin/sleep", vec!["sleep".into(), "30".into()]);
        let t0 = std::time::Instant::now();
        let (pid, report) = spawn_reporting(req);
        assert_eq!(report, ExecReport::Execd);
        assert!(t0.elapsed() < std::time::Duration::from_secs(10));
        assert_eq!(
            nix::sys::wait::waitpid(pid, Some(nix::sys::wait::WaitPidFlag::WNOHANG)),
            Ok(WaitStatus::StillAlive)
        );
        nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGKILL).expect("our child");
        assert!(matches!(
            waitpid(pid, None),
            Ok(WaitStatus::Signaled(
                _,
                nix::sys::signal::Signal::SIGKILL,
                _
            ))
        ));
    }

    #[test]
    fn children_that_have_not_exec_d_keep_what_they_read() {
        // Many starts without waiting, each with its own argv and
        // environment: every child must see its own, though the parent has
        // moved on (and freed or reused the previous ones' memory).
        let pids: Vec<(Pid, i32)> = (0..200)
            .map(|i| {
                let mut req = SpawnRequest::new(
                    "/bin/sh",
                    vec![
                        "sh".into(),
                        "-c".into(),
                        format!("test \"$X\" = v{i} && exit {}", i % 100).into(),
                    ],
                );
                req.env.push(("X".into(), format!("v{i}").into()));
                (spawn(req).expect("sh exists"), i % 100)
            })
            .collect();
        for (pid, code) in pids {
            assert_eq!(wait_exit(pid), code);
        }
        // Theirs are retired at the next check (other tests running at the
        // same time may have a few of their own in flight).
        assert!(clone::in_flight() < 50);
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
                        let pid = spawn(req).expect("sh exists");
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
        let pid = spawn(req).expect("sh exists");
        assert_eq!(wait_exit(pid), if root { 0 } else { exit_code::GROUP });
        if root {
            // Type=exec learns of a failed exec through the pipe.
            let mut req = SpawnRequest::new("/nonexistent/prog", vec!["prog".into()]);
            req.credentials = Some(Credentials {
                uid,
                gid,
                groups: vec![gid],
            });
            let (pid, report) = spawn_reporting(req);
            assert_eq!(report, ExecReport::Failed(libc::ENOENT));
            assert_eq!(wait_exit(pid), exit_code::EXEC);
        }
    }

    #[test]
    fn passed_descriptors_land_on_3_and_up_with_the_child_s_own_listen_pid() {
        // Two descriptors whose numbers are not 3 and 4, an exec report
        // above them, and a descriptor of the daemon that must not leak.
        let (r1, _w1) = pipe().expect("pipe");
        let (r2, _w2) = pipe().expect("pipe");
        let ino = |fd: &OwnedFd| nix::sys::stat::fstat(fd).expect("fstat").st_ino.to_string();
        let (i1, i2) = (ino(&r1), ino(&r2));
        let script = format!(
            "test \"$LISTEN_PID\" = $$ && test \"$LISTEN_FDS\" = 2 \
             && stat -L -c %i /proc/self/fd/3 | grep -qx {i1} \
             && stat -L -c %i /proc/self/fd/4 | grep -qx {i2} \
             && test ! -e /proc/$$/fd/5"
        );
        for credentials in [false, true] {
            let mut req = SpawnRequest::new(
                "/bin/sh",
                vec!["sh".into(), "-c".into(), script.clone().into()],
            );
            req.env.push(("LISTEN_FDS".into(), "2".into()));
            // A stale value is replaced by the child's own pid.
            req.env.push(("LISTEN_PID".into(), "1".into()));
            req.passed_fds = vec![
                Arc::new(r1.try_clone().expect("dup")),
                Arc::new(r2.try_clone().expect("dup")),
            ];
            if credentials {
                // The fork path: the daemon's own ids, a no-op change.
                let (uid, gid) = (
                    nix::unistd::geteuid().as_raw(),
                    nix::unistd::getegid().as_raw(),
                );
                if uid != 0 {
                    continue;
                }
                req.credentials = Some(Credentials {
                    uid,
                    gid,
                    groups: vec![gid],
                });
            }
            let (pid, report) = spawn_reporting(req);
            assert_eq!(report, ExecReport::Execd);
            assert_eq!(wait_exit(pid), 0, "credentials: {credentials}");
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
        let pid = spawn(req).expect("sh exists");
        assert_eq!(wait_exit(pid), 0);
    }
}
