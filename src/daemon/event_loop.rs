//! The one event loop: it owns the [`State`] and waits on every source at
//! once: signals, the supervisor (child exits, notify messages, captured
//! output, service deadlines), the clock timerfds (or the manual clock's
//! commands), client requests, metrics scrapes, the log flush deadline, and
//! the directory of the local zone file. Each wake-up is
//! handled to the end before the next wait, so nothing else ever touches the
//! state. When nothing is due, every source is idle and the process sleeps.

use std::io;
use std::time::Instant;

use tokio::sync::mpsc;

use super::backlog::REQUESTS_BETWEEN_SLICES;
use super::clock::{ClockCommand, DaemonClock};
use super::file_watch::FileWatch;
use super::handlers;
use super::localtime::LocalTimeWatch;
use super::metrics::server::Scrape;
use super::reexec;
use super::reload;
use super::signals::{DaemonSignal, Signals};
use super::socket_units::SocketWake;
use super::state::{report, State};
use super::timerfd::{ClockTimers, Fired};
use crate::ipc::Incoming;
use crate::scheduler::clock::Clock;
use crate::supervisor::ActiveState;
use crate::supervisor::Event as SupervisorEvent;

/// What woke the loop.
enum Wake {
    Signal(DaemonSignal),
    Supervisor(SupervisorEvent),
    Timer(io::Result<Fired>),
    Clock(ClockCommand),
    Request(Incoming),
    Flush,
    Zone(io::Result<()>),
    Crontab(io::Result<()>),
    ReexecDeadline,
    Backlog,
    Scrape(Scrape),
    Dashboard(super::dashboard::TimersAsk),
    Socket(SocketWake),
    Path(Vec<super::path_watch::PathWake>),
    Cluster(super::cluster_task::ClusterEvent),
}

async fn wait_timers(timers: Option<&mut ClockTimers>) -> io::Result<Fired> {
    match timers {
        Some(t) => t.wait().await,
        None => std::future::pending().await,
    }
}

async fn wait_zone(watch: Option<&mut LocalTimeWatch>) -> io::Result<()> {
    match watch {
        Some(w) => w.wait().await,
        None => std::future::pending().await,
    }
}

async fn wait_crontabs(watch: Option<&mut FileWatch>) -> io::Result<()> {
    match watch {
        Some(w) => w.wait().await,
        None => std::future::pending().await,
    }
}

/// The next item on a channel the loop may not have (`None`: never); a
/// closed channel is never ready again.
async fn next_from<T>(rx: Option<&mut mpsc::Receiver<T>>) -> T {
    match rx {
        Some(rx) => match rx.recv().await {
            Some(s) => s,
            None => std::future::pending().await,
        },
        None => std::future::pending().await,
    }
}

async fn sleep_until(at: Option<Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at.into()).await,
        None => std::future::pending().await,
    }
}

/// The sources besides the state.
#[derive(Debug)]
pub struct Sources {
    /// Client requests from the control socket server.
    pub requests: mpsc::Receiver<Incoming>,
    /// The clock timerfds (real clock) ...
    pub timers: Option<ClockTimers>,
    /// ... or the manual clock's commands.
    pub clock_commands: Option<mpsc::Receiver<ClockCommand>>,
    /// SIGTERM, SIGINT, SIGHUP.
    pub signals: Signals,
    /// The directory of the local zone file, while `TZ` is unset.
    pub zone_watch: Option<LocalTimeWatch>,
    /// The directories of the crontab files.
    pub crontab_watch: Option<FileWatch>,
    /// Metrics scrapes, under `--metrics-listen`.
    pub scrapes: Option<mpsc::Receiver<Scrape>>,
    /// The dashboard's questions, under `--http-listen`.
    pub dashboard: Option<mpsc::Receiver<super::dashboard::TimersAsk>>,
}

/// Runs until the services are stopped after SIGTERM/SIGINT.
pub async fn run(state: &mut State, mut sources: Sources) -> io::Result<()> {
    // When the last wake-up came: a turn lasts until its writes are committed.
    let mut turn: Option<Instant> = None;
    loop {
        // Elapses that came due while the last turn ran start now, before
        // its bookkeeping is committed and before the select's pick among
        // the ready events: a start's lateness is then the turn it waited
        // for, not also the commit and another turn. Their rows go into
        // the same commit.
        if !state.shutting_down && state.elapse_due() {
            state.advance();
        }
        // The last turn's stamps and run rows, in one transaction. Replies
        // reach clients only while the loop waits below, so none tells of a
        // row that is not committed.
        state.commit_writes();
        if let Some(began) = turn.take() {
            state.stats.turn(began.elapsed());
        }
        state.stats.loop_iterations += 1;
        // The connection tasks share this thread: they run only while this
        // loop waits. In a burst some event is always ready, so the select
        // below would never wait; yield once a turn so that requests are
        // read (and then served below) between turns.
        tokio::task::yield_now().await;
        if let Some(timers) = sources.timers.as_mut() {
            timers.arm(&state.scheduler.wakeups())?;
        }
        let flush_at = state.logs.deadline();
        let reexec_at = state.reexec.deadline();
        let accepting = !state.shutting_down;
        let working = state.backlog.has_work();
        let wake = tokio::select! {
            s = sources.signals.recv() => Wake::Signal(s),
            e = state.supervisor.next_event() => Wake::Supervisor(e),
            f = wait_timers(sources.timers.as_mut()) => Wake::Timer(f),
            c = next_from(sources.clock_commands.as_mut()) => Wake::Clock(c),
            Some(r) = sources.requests.recv(), if accepting => Wake::Request(r),
            () = sleep_until(flush_at) => Wake::Flush,
            z = wait_zone(sources.zone_watch.as_mut()) => Wake::Zone(z),
            c = wait_crontabs(sources.crontab_watch.as_mut()) => Wake::Crontab(c),
            p = state.path_units.next_wakes() => Wake::Path(p),
            () = sleep_until(reexec_at) => Wake::ReexecDeadline,
            s = next_from(sources.scrapes.as_mut()) => Wake::Scrape(s),
            d = next_from(sources.dashboard.as_mut()) => Wake::Dashboard(d),
            r = state.sockets.ready(accepting) => Wake::Socket(r),
            c = state.cluster.next_event() => Wake::Cluster(c),
            // Yields first, so that the connection tasks run before the next
            // slice: a future that is always ready would starve them.
            () = tokio::task::yield_now(), if working => Wake::Backlog,
        };
        turn = Some(Instant::now());
        match wake {
            Wake::Signal(DaemonSignal::Terminate(name)) => {
                if state.shutting_down {
                    report(format!(
                        "{name} again: exiting without waiting for services"
                    ));
                    break;
                }
                report(format!("{name}: stopping services"));
                begin_shutdown(state);
            }
            Wake::Signal(DaemonSignal::Reload) => {
                report("SIGHUP: reloading unit files");
                reload::reload(state);
            }
            Wake::Supervisor(event) => {
                state.supervisor.handle(event);
                state.settle();
            }
            Wake::Timer(fired) => match fired? {
                Fired::ClockChanged => state.clock_changed(),
                Fired::Elapsed(_) => state.advance(),
            },
            Wake::Clock(command) => {
                let jumped = match &mut state.clock {
                    DaemonClock::Manual(clock) => command.action.apply(clock),
                    DaemonClock::Real(_) => false,
                };
                if jumped {
                    state.clock_changed();
                } else {
                    state.advance();
                }
                let _ = command.reply.send(state.clock.now());
            }
            Wake::Request(incoming) => handlers::handle(state, incoming),
            Wake::Flush => state.flush_logs(),
            Wake::Zone(Ok(())) => state.check_local_zone(),
            Wake::Zone(Err(e)) => {
                // Not fatal: daemon-reload still reads the file again.
                report(format!("stopped watching for time zone changes: {e}"));
                sources.zone_watch = None;
            }
            Wake::Crontab(Ok(())) => reload::crontabs_changed(state),
            Wake::Crontab(Err(e)) => {
                report(format!(
                    "stopped watching crontabs for changes (daemon-reload still reads them): {e}"
                ));
                sources.crontab_watch = None;
            }
            // Looked at below, as after every wake-up.
            Wake::ReexecDeadline => {}
            // A client that has gone takes nothing.
            Wake::Scrape(reply) => state.begin_scrape(reply),
            // The loaded timers (shared, not copied) and the zone.
            Wake::Dashboard(reply) => drop(reply.send((
                state.units.loaded.timers().cloned().collect(),
                state.scheduler.zone().clone(),
            ))),
            Wake::Socket(SocketWake::Ready(ready)) => state.socket_ready(ready),
            Wake::Socket(SocketWake::Commands(done)) => state.socket_commands_done(done),
            Wake::Path(wake) => super::path_watch::woke(state, wake),
            Wake::Cluster(event) => super::cluster::woke(state, event),
            Wake::Backlog => {
                state.start_backlogged();
                handlers::work_slice(state);
                state.gather_scrapes();
                state.settle();
            }
        }
        // Requests that came meanwhile are served after every wake-up, not
        // only when the select picks them among a burst's many events (a
        // large request joins the backlog itself).
        for _ in 0..REQUESTS_BETWEEN_SLICES {
            if state.shutting_down {
                break;
            }
            match sources.requests.try_recv() {
                Ok(incoming) => handlers::handle(state, incoming),
                Err(_) => break,
            }
        }
        if let Some((code, force)) = state.exit_request {
            EXIT_STATUS.store(code, std::sync::atomic::Ordering::Relaxed);
            if force {
                break;
            }
            if !state.shutting_down {
                begin_shutdown(state);
            }
        }
        // A daemon-reexec waits for the daemon to come to rest.
        reexec::attempt(state);
        if state.shutting_down && all_stopped(state) {
            break;
        }
    }
    // A client that finds no daemon says since when (see `store::daemon_record`).
    let stopped = state.now().realtime;
    if let Err(e) = state.store.set_daemon_stopped(stopped) {
        report(format!("cannot record the daemon's stop: {e}"));
    }
    state.commit_writes();
    state.flush_logs();
    state.logs.close();
    if let Err(e) = state.store.checkpoint() {
        report(format!("cannot checkpoint the state database: {e}"));
    }
    Ok(())
}

/// The status the daemon exits with: 0, or what a unit's
/// `SuccessAction=exit`/`FailureAction=exit` set.
pub static EXIT_STATUS: std::sync::atomic::AtomicI32 = std::sync::atomic::AtomicI32::new(0);

/// A machine action to carry out once the loop has ended (PID 1 only):
/// 0 none, 1 reboot, 2 power off.
pub static MACHINE_ACTION: std::sync::atomic::AtomicU8 = std::sync::atomic::AtomicU8::new(0);

/// Stops every service that is not inactive; the supervisor orders the stops
/// by After=/Before= reversed and enforces each TimeoutStopSec=.
pub fn begin_shutdown(state: &mut State) {
    state.shutting_down = true;
    state.backlog.drop_starts();
    // Nothing is started from now on; RemoveOnStop= files go.
    let sockets: Vec<String> = state.sockets.active.keys().cloned().collect();
    for name in sockets {
        state.stop_socket(&name);
    }
    super::path_watch::stop_all(state);
    let running: Vec<String> = state
        .supervisor
        .service_names()
        .filter(|n| {
            state
                .supervisor
                .status(n)
                .is_some_and(|s| !matches!(s.active, ActiveState::Inactive | ActiveState::Failed))
        })
        .map(str::to_owned)
        .collect();
    for name in running {
        if let Err(e) = state.supervisor.stop(&name) {
            report(format!("{name}: cannot stop: {e}"));
        }
    }
    state.settle();
}

fn all_stopped(state: &State) -> bool {
    // A socket's ExecStopPre=/ExecStopPost= run to their end.
    state.sockets.commands.is_empty()
        && state.supervisor.is_settled()
        && state.supervisor.service_names().all(|n| {
            state
                .supervisor
                .status(n)
                .is_none_or(|s| matches!(s.active, ActiveState::Inactive | ActiveState::Failed))
        })
}
