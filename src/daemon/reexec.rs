//! `daemon-reexec`: the daemon executes its program again (a new binary
//! after an upgrade) and goes on where it was, its services still running
//! under the same process ids.
//!
//! The process stays the same, so its children stay its children. What the
//! new program needs besides is handed over:
//!
//! - the listening control socket, inherited across the exec (its
//!   close-on-exec flag cleared): clients that connect meanwhile wait in its
//!   backlog and are answered by the new program;
//! - the read ends of the services' capture pipes, likewise, with the
//!   partial line read so far: a service's later output is still captured;
//! - a file in the runtime directory (named by `$SUNDIAL_REEXEC_STATE`) with
//!   the rest: every service's state, processes and last run, the timers'
//!   last triggers and starts, the open run rows, the manager environment.
//!
//! Signals that come between the exec and the new program's handlers are
//! held back (blocked across the exec, unblocked once the handlers exist).
//!
//! This is a subset of systemd's reexecution, said where it differs:
//! sundial re-executes only at rest. While a job is queued or a service is
//! between states (starting, stopping, reloading, waiting to restart) it
//! waits, up to [`WAIT`], and refuses if that does not come. Clients
//! following logs or waiting for a `run --wait` service are disconnected.
//! The notify socket is bound again (a datagram sent during the exec is
//! lost). A service whose unit file was removed meanwhile is left running
//! unsupervised. Not with the manual test clock.

use std::convert::Infallible;
use std::ffi::CString;
use std::os::fd::{BorrowedFd, OwnedFd, RawFd};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use nix::sys::signal::{pthread_sigmask, SigSet, SigmaskHow, Signal};
use serde::{Deserialize, Serialize};
use tokio::sync::oneshot;

use super::clock::DaemonClock;
use super::runs::RunsSnapshot;
use super::state::{report, State};
use crate::ipc::{ErrorCode, Reply, Response};
use crate::scheduler::snapshot::{ClockRecord, SchedulerSnapshot};
use crate::supervisor::set_cloexec;
use crate::supervisor::Event as SupervisorEvent;
use crate::supervisor::SupervisorSnapshot;

/// Names the handover file for the new program.
pub const HANDOVER_ENV: &str = "SUNDIAL_REEXEC_STATE";

/// The handover format; a program that reads another refuses it.
const VERSION: u32 = 1;

/// Why a re-execution did not happen, or why the program it started cannot
/// read its handover.
#[derive(Debug, thiserror::Error)]
pub enum ReexecError {
    #[error("no control socket to hand over")]
    NoListener,
    /// Services in the middle of a step that cannot be handed over.
    #[error("{}", .0.join(", "))]
    Busy(Vec<String>),
    #[error("cannot encode the handover: {0}")]
    Encode(serde_json::Error),
    #[error("{}: {source}", path.display())]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot find the program: {0}")]
    Program(std::io::Error),
    /// The program, an argument or a variable holds a NUL byte.
    #[error("{0}")]
    Nul(#[from] std::ffi::NulError),
    #[error("cannot block signals: {0}")]
    BlockSignals(nix::Error),
    #[error("cannot hand over a descriptor: {0}")]
    Descriptor(std::io::Error),
    #[error("cannot execute {program}: {source}")]
    Exec { program: String, source: nix::Error },
    #[error("{}: {source}", path.display())]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{}: not a handover: {source}", path.display())]
    NotAHandover {
        path: PathBuf,
        source: serde_json::Error,
    },
    #[error("{}: handover version {found} is not {VERSION}", path.display())]
    Version { path: PathBuf, found: u32 },
}

/// How long a re-execution waits for the daemon to come to rest.
pub const WAIT: Duration = Duration::from_secs(30);

/// How long the daemon stays at rest before the exec: replies handed to
/// the connection tasks (a job that just finished) are written meanwhile.
const QUIET: Duration = Duration::from_millis(50);

/// The signals held back across the exec.
const HELD: [Signal; 4] = [
    Signal::SIGTERM,
    Signal::SIGINT,
    Signal::SIGHUP,
    Signal::SIGCHLD,
];

/// What the old program hands the new one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Handover {
    /// The handover format's version.
    pub version: u32,
    /// The listening control socket.
    pub listener_fd: i32,
    /// When the daemon first started (OnStartupSec=, `show`).
    pub started: ClockRecord,
    /// The targets reached at the first start.
    pub active_targets: Vec<String>,
    /// Open run rows and state-change times.
    pub runs: RunsSnapshot,
    /// The services.
    pub supervisor: SupervisorSnapshot,
    /// The timers.
    pub scheduler: SchedulerSnapshot,
    /// The path units that watch: the new program starts them again
    /// (their levels are looked at anew; a change while the programs
    /// switched is not seen).
    #[serde(default)]
    pub path_units: Vec<String>,
    /// The runs here under a cluster lease or claim, and the singletons
    /// this node asks for.
    #[serde(default)]
    pub cluster: super::cluster::ClusterHandover,
}

/// The daemon's side of `daemon-reexec`: the listener to hand over and the
/// request waiting for the daemon to come to rest.
#[derive(Debug, Default)]
pub struct Reexec {
    /// The listening socket's descriptor.
    pub listener_fd: Option<RawFd>,
    pending: Option<Pending>,
}

#[derive(Debug)]
struct Pending {
    reply: oneshot::Sender<Reply>,
    until: Instant,
    /// When the daemon was found at rest, if it still is.
    at_rest_since: Option<Instant>,
}

impl Reexec {
    /// Ready to hand over `listener_fd`.
    pub fn new(listener_fd: Option<RawFd>) -> Reexec {
        Reexec {
            listener_fd,
            pending: None,
        }
    }

    /// Takes a request; the reply stays open until the exec (or a refusal).
    pub fn request(&mut self, reply: oneshot::Sender<Reply>) -> Result<(), oneshot::Sender<Reply>> {
        if self.pending.is_some() {
            return Err(reply);
        }
        self.pending = Some(Pending {
            reply,
            until: Instant::now() + WAIT,
            at_rest_since: None,
        });
        Ok(())
    }

    /// When the event loop must look again: the exec after a quiet moment
    /// at rest, or the end of the wait.
    pub fn deadline(&self) -> Option<Instant> {
        self.pending.as_ref().map(|p| match p.at_rest_since {
            Some(since) => (since + QUIET).min(p.until),
            None => p.until,
        })
    }
}

fn refuse(reply: oneshot::Sender<Reply>, code: ErrorCode, message: String) {
    let _ = reply.send(Reply::One(Response::error(code, message)));
}

/// Answers `daemon-reexec`: refuses what cannot be done, else waits for the
/// event loop's next [`attempt`].
pub fn request(state: &mut State, reply: oneshot::Sender<Reply>) {
    let why = if matches!(state.clock, DaemonClock::Manual(_)) {
        Some("not with the manual test clock")
    } else if state.shutting_down {
        Some("the daemon is shutting down")
    } else if state.reexec.listener_fd.is_none() {
        Some("the control socket cannot be handed over")
    } else if state.sockets.active.values().any(|s| !s.ports.is_empty()) {
        // Their descriptors would close at the exec, and a service
        // holding copies would lose its socket unit.
        Some(
            "socket units are started and their sockets cannot be handed over yet; stop them first",
        )
    } else if state.supervisor.holds_stored_fds() {
        Some(
            "services keep descriptors in their stores (FDSTORE=1), which cannot be handed over yet; stop them first",
        )
    } else {
        None
    };
    if let Some(why) = why {
        return refuse(
            reply,
            ErrorCode::Failed,
            format!("Cannot re-execute: {why}."),
        );
    }
    if let Err(reply) = state.reexec.request(reply) {
        refuse(
            reply,
            ErrorCode::Busy,
            "Cannot re-execute: a re-execution is already waiting.".into(),
        );
    }
}

/// Re-executes if a request waits and the daemon is at rest; refuses the
/// request once it has waited [`WAIT`]. Called after every wake-up.
pub fn attempt(state: &mut State) {
    if state.reexec.pending.is_none() {
        return;
    }
    let mut busy = state.supervisor.not_at_rest();
    // Deferred work is not carried into the next program.
    if state.backlog.has_work() {
        busy.push("timer starts and requests in progress".into());
    }
    busy.extend(super::cluster::not_at_rest(state));
    let now = Instant::now();
    let Some(pending) = state.reexec.pending.as_mut() else {
        return;
    };
    let until = pending.until;
    if busy.is_empty() {
        let since = *pending.at_rest_since.get_or_insert(now);
        if now < since + QUIET {
            return;
        }
        let Err(why) = execute(state);
        if let Some(p) = state.reexec.pending.take() {
            refuse(
                p.reply,
                ErrorCode::Failed,
                format!("Cannot re-execute: {why}"),
            );
        }
        return;
    }
    pending.at_rest_since = None;
    if now >= until {
        if let Some(p) = state.reexec.pending.take() {
            refuse(
                p.reply,
                ErrorCode::Busy,
                format!(
                    "Cannot re-execute: after {}s still busy: {}. Try again when its jobs are done.",
                    WAIT.as_secs(),
                    busy.join(", ")
                ),
            );
        }
    }
}

/// Writes the handover and executes the program again; returns only when
/// that failed, with the daemon as it was.
fn execute(state: &mut State) -> Result<Infallible, ReexecError> {
    let listener_fd = state.reexec.listener_fd.ok_or(ReexecError::NoListener)?;
    // Reads the capture pipes: their lines go to the store below.
    let supervisor = state.supervisor.snapshot().map_err(ReexecError::Busy)?;
    state.supervisor.drain_output();
    state.settle();
    let handover = Handover {
        version: VERSION,
        listener_fd,
        started: state.started.into(),
        active_targets: state.active_targets.iter().cloned().collect(),
        path_units: state
            .path_units
            .names()
            .filter(|n| state.path_units.state(n).is_some_and(|s| s.is_active()))
            .map(str::to_owned)
            .collect(),
        runs: state.runs.snapshot(),
        supervisor,
        scheduler: state.scheduler.snapshot(),
        cluster: super::cluster::handover(state),
    };
    state.commit_writes();
    state.sync_logs();
    if let Err(e) = state.store.checkpoint() {
        report(format!("cannot checkpoint the state database: {e}"));
    }
    let path = state.paths.runtime_dir.join("reexec.json");
    write_handover(&path, &handover)?;
    report(format!(
        "re-executing, {} services handed over",
        handover.supervisor.services.len()
    ));
    let mut fds = handover.supervisor.descriptors();
    fds.push(listener_fd);
    let error = exec_with(&path, &fds);
    let _ = std::fs::remove_file(&path);
    report(format!("re-execution failed, going on: {error}"));
    Err(error)
}

fn write_handover(path: &Path, handover: &Handover) -> Result<(), ReexecError> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let text = serde_json::to_vec(handover).map_err(ReexecError::Encode)?;
    std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)
        .and_then(|mut f| f.write_all(&text).and_then(|()| f.flush()))
        .map_err(|source| ReexecError::Write {
            path: path.to_owned(),
            source,
        })
}

/// The program file: `/proc/self/exe`, which names the file that was run;
/// replaced since (an upgrade), it reads "PATH (deleted)" and the new file
/// at PATH is the one to run.
fn program() -> Result<PathBuf, ReexecError> {
    let exe = std::env::current_exe().map_err(ReexecError::Program)?;
    let text = exe.as_os_str().as_bytes();
    Ok(match text.strip_suffix(b" (deleted)") {
        Some(path) => PathBuf::from(std::ffi::OsStr::from_bytes(path)),
        None => exe,
    })
}

/// Blocks the held signals, lets `fds` survive the exec and executes the
/// program with the same arguments and `$SUNDIAL_REEXEC_STATE=path`.
/// Returns why it could not, with all of that undone.
fn exec_with(path: &Path, fds: &[RawFd]) -> ReexecError {
    let cstring = |bytes: &[u8]| CString::new(bytes).map_err(ReexecError::Nul);
    let prepared = (|| {
        let exe = cstring(program()?.as_os_str().as_bytes())?;
        let args = std::env::args_os()
            .map(|a| cstring(a.as_bytes()))
            .collect::<Result<Vec<_>, _>>()?;
        let mut env = std::env::vars_os()
            .filter(|(k, _)| k != HANDOVER_ENV)
            .map(|(k, v)| {
                let mut pair = k.as_bytes().to_vec();
                pair.push(b'=');
                pair.extend_from_slice(v.as_bytes());
                cstring(&pair)
            })
            .collect::<Result<Vec<_>, _>>()?;
        let mut handover = format!("{HANDOVER_ENV}=").into_bytes();
        handover.extend_from_slice(path.as_os_str().as_bytes());
        env.push(cstring(&handover)?);
        Ok::<_, ReexecError>((exe, args, env))
    })();
    let (exe, args, env) = match prepared {
        Ok(p) => p,
        Err(e) => return e,
    };
    let held: SigSet = HELD.iter().copied().collect();
    let mut old = SigSet::empty();
    if let Err(e) = pthread_sigmask(SigmaskHow::SIG_BLOCK, Some(&held), Some(&mut old)) {
        return ReexecError::BlockSignals(e);
    }
    // SAFETY: each descriptor is open and owned by a live part of the
    // daemon (the server task, a pipe reader) for the duration of this call.
    let borrowed: Vec<BorrowedFd<'_>> = fds
        .iter()
        .map(|fd| unsafe { BorrowedFd::borrow_raw(*fd) })
        .collect();
    let error = match borrowed.iter().find_map(|fd| set_cloexec(fd, false).err()) {
        Some(e) => ReexecError::Descriptor(e),
        None => {
            // Not std's exec: it would clear the signal mask.
            let Err(source) = nix::unistd::execve(&exe, &args, &env);
            ReexecError::Exec {
                program: exe.to_string_lossy().into_owned(),
                source,
            }
        }
    };
    for fd in &borrowed {
        let _ = set_cloexec(fd, true);
    }
    let _ = pthread_sigmask(SigmaskHow::SIG_SETMASK, Some(&old), None);
    error
}

/// The handover of the previous program, when this one was started by
/// `daemon-reexec`; removes the variable and the file, so that neither
/// reaches services or a later start.
pub fn take_handover() -> Result<Option<Handover>, ReexecError> {
    let Some(path) = std::env::var_os(HANDOVER_ENV) else {
        return Ok(None);
    };
    std::env::remove_var(HANDOVER_ENV);
    let path = PathBuf::from(path);
    let text = std::fs::read(&path);
    let _ = std::fs::remove_file(&path);
    let text = text.map_err(|source| ReexecError::Read {
        path: path.clone(),
        source,
    })?;
    let handover: Handover =
        serde_json::from_slice(&text).map_err(|source| ReexecError::NotAHandover {
            path: path.clone(),
            source,
        })?;
    if handover.version != VERSION {
        return Err(ReexecError::Version {
            path,
            found: handover.version,
        });
    }
    Ok(Some(handover))
}

/// The inherited listening socket.
pub fn listener(handover: &Handover) -> OwnedFd {
    use std::os::fd::FromRawFd;
    // SAFETY: the previous program handed this descriptor over for the
    // listener alone; nothing else in this process owns it.
    unsafe { OwnedFd::from_raw_fd(handover.listener_fd) }
}

/// Lets the held signals through, once the handlers exist.
pub fn release_signals() {
    let held: SigSet = HELD.iter().copied().collect();
    if let Err(e) = pthread_sigmask(SigmaskHow::SIG_UNBLOCK, Some(&held), None) {
        report(format!("cannot unblock signals after re-executing: {e}"));
    }
}

/// Puts the services, timers and runs of the previous program back (the
/// units are loaded); then reaps what ended during the exec and fires what
/// came due.
pub fn restore(state: &mut State, handover: Handover) {
    state.active_targets = handover.active_targets.into_iter().collect();
    for message in state.supervisor.restore(handover.supervisor) {
        report(message);
    }
    // Before a run's end is reaped or anything starts: the leases of the
    // runs going on are this node's.
    super::cluster::inherit(state, handover.cluster);
    state.load_timers();
    let now = state.now();
    let actions = state.scheduler.restore(now, &handover.scheduler);
    state.apply_actions(actions);
    state.supervisor.handle(SupervisorEvent::ChildExited);
    state.settle();
    for name in handover.path_units {
        if let Err(e) = super::path_watch::start(state, &name) {
            report(format!("{name}: cannot start: {e}"));
        }
    }
    state.settle();
    state.advance();
}
