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

use nix::unistd::Pid;

mod child;
mod clone;
pub mod privileges;
mod raw;

use child::exec_child;
use clone::clone_exec;
pub use privileges::Privileges;

/// systemd's exit codes for a child that failed before exec (exit-status.h).
pub mod exit_code {
    pub const CHDIR: i32 = 200;
    pub const NICE: i32 = 201;
    pub const EXEC: i32 = 203;
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
    pub const PAM: i32 = 224;
    pub const NO_NEW_PRIVILEGES: i32 = 227;
    pub const CREDENTIALS: i32 = 243;
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
    /// Where to report the exec (an [`ExecReport`]), above 2.
    exec_report: Option<i32>,
    setup: ChildSetup,
}

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
            privileges: privileges::Prepared::new(req.privileges.clone()),
        };
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
        let pointers = |strings: &[CString]| -> Vec<*const libc::c_char> {
            let mut ptrs: Vec<_> = strings.iter().map(|s| s.as_ptr()).collect();
            ptrs.push(std::ptr::null());
            ptrs
        };
        Ok(ChildImage {
            program: to_c(&req.program)?,
            argv: pointers(&argv),
            envp: pointers(&envp),
            _argv: argv,
            _envp: envp,
            stdio,
            exec_report: req.exec_report.as_ref().map(AsRawFd::as_raw_fd),
            setup,
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
/// A failed exec shows up as the child's exit status 203, a setup step that
/// fails as its own code, as systemd reports them. The caller learns of the
/// exec (Type=exec waits for it) and of why it failed through
/// [`SpawnRequest::exec_report`], without waiting here.
pub fn spawn(mut req: SpawnRequest) -> Result<Pid, SpawnFailure> {
    // The child writes its report after setting up 0, 1 and 2.
    if let Some(fd) = req.exec_report.take() {
        req.exec_report = Some(above_stdio(fd).map_err(io_failure)?);
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

/// `fd` itself if it is above 2, else a close-on-exec copy that is.
fn above_stdio(fd: OwnedFd) -> io::Result<OwnedFd> {
    if fd.as_raw_fd() > 2 {
        return Ok(fd);
    }
    let copy = nix::fcntl::fcntl(&fd, nix::fcntl::FcntlArg::F_DUPFD_CLOEXEC(3))
        .map_err(io::Error::from)?;
    // SAFETY: a descriptor fcntl just made, owned by nothing else.
    Ok(unsafe { <OwnedFd as std::os::fd::FromRawFd>::from_raw_fd(copy) })
}

/// How far a child got towards its exec, as it wrote to its exec-report
/// pipe ([`SpawnRequest::exec_report`]) before the pipe closed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExecReport {
    /// It called execve and the pipe closed with the exec: the program runs.
    Execd,
    /// Its execve failed with this errno; it exits 203.
    Failed(i32),
    /// It ended before trying: a setup step failed, its exit code says which.
    Died,
}

impl ExecReport {
    /// One byte 1 just before execve; then, if execve fails, its errno.
    pub fn from_bytes(bytes: &[u8]) -> ExecReport {
        match bytes {
            [1] => ExecReport::Execd,
            [1, a, b, c, d] => ExecReport::Failed(i32::from_ne_bytes([*a, *b, *c, *d])),
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
