//! `sundial daemon`: the program that joins the pieces.
//!
//! At start it opens the store, binds the control socket, loads the units,
//! takes over or closes the runs a crash left in flight ([`adopt`]), starts
//! what the default targets want
//! (enabled timers and services), lets Persistent= timers catch up, and enters
//! the [`event_loop`], which alone owns the state from then on.
//!
//! - [`paths`], [`config`]: where things are, and the TOML settings.
//! - [`clock`], [`timerfd`]: reading and waiting for the three clocks.
//! - [`signals`]: SIGTERM/SIGINT (stop and exit), SIGHUP (reload).
//! - [`state`]: the owned state and the glue between scheduler, supervisor
//!   and store; [`runs`] (run rows), [`output`] (captured lines), [`waits`]
//!   (clients waiting for jobs), [`stats`].
//! - [`reload`]: daemon-reload; [`reexec`]: daemon-reexec; [`handlers`]:
//!   one file per request family.
//! - [`transient`]: the units `sundial run` makes, kept until they are done.
//! - [`localtime`]: noticing a new local time zone (/etc/localtime replaced).
//! - [`crontabs`]: crontabs run as they are (`--crontab`, the own crontab),
//!   re-read when [`file_watch`] sees them change.
//! - [`manager_env`]: the environment every service starts from.
//! - [`heap`]: freed memory handed back after loading units.
//! - [`backlog`]: timer starts and large requests worked off a slice per
//!   loop turn; [`report`](mod@report): the daemon's own log lines.

pub mod adopt;
pub mod backlog;
pub mod clock;
pub mod cluster;
pub mod cluster_singletons;
pub mod cluster_task;
pub mod config;
pub mod crontabs;
pub mod dashboard;
pub mod event_loop;
pub mod file_watch;
pub mod handlers;
pub mod heap;
pub mod http;
pub mod localtime;
pub mod lock;
pub mod manager_env;
pub mod metrics;
pub mod output;
pub mod path_watch;
pub mod paths;
pub mod reexec;
pub mod reload;
pub mod report;
pub mod runs;
pub mod signals;
pub mod socket_commands;
pub mod socket_lifecycle;
pub mod socket_open;
pub mod socket_units;
pub mod sockets;
pub mod state;
pub mod stats;
pub mod timerfd;
pub mod transient;
pub mod units;
pub mod waits;

use std::collections::BTreeSet;
use std::io;
use std::os::fd::RawFd;
use std::time::Duration;

use sundial_calendar::zone::{local_zone, SystemZones};
use tokio::sync::mpsc::{self, UnboundedReceiver};

use crate::activation::Activation;
use crate::ipc::server::SocketFile;
use crate::ipc::{BindError, Incoming, Policy, Server, ServerConfig};
use crate::scheduler::clock::{Boottime, Clock, ClockSnapshot, ManualClock, Monotonic};
use crate::scheduler::random::{HostIdentity, SplitMix64};
use crate::scheduler::{Scheduler, SchedulerConfig};
use crate::store::{DaemonRecord, Store, StoreError};
use crate::supervisor::{Supervisor, SupervisorConfig};
use crate::unit::{host, LoadContext, Scope, UnitType};
use clock::{
    clock_socket, serve_manual_clock, ClockCommand, DaemonClock, RealClock,
    MANUAL_CLOCK_BOOT_ID_ENV, MANUAL_CLOCK_ENV, MANUAL_CLOCK_START_ENV, MANUAL_CLOCK_UPTIME_ENV,
};
use config::{Config, ConfigError};
use localtime::{LocalTimeFile, LocalTimeWatch};
use output::{channel_sink, LogPipe, SinkItem};
use paths::{DaemonPaths, HostEnv, PathError, PathFlags};
use runs::RunTracker;
use state::{report, State};
use units::UnitSet;

/// What `sundial daemon` was asked to do.
#[derive(Debug, Clone)]
pub struct DaemonOptions {
    /// System or user manager.
    pub scope: Scope,
    /// `--unit-dir`, `--state-dir`, `--socket`, `--config`.
    pub paths: PathFlags,
    /// `--log-stdout`: echo captured output with the unit name in front.
    pub log_stdout: bool,
    /// `--clock=manual` (tests only; see [`clock`]).
    pub manual_clock: bool,
    /// `--crontab FILE`: crontabs to run as they are.
    pub crontabs: Vec<std::path::PathBuf>,
    /// `--cgroup PATH`: the cgroup v2 directory to use as the daemon's
    /// subtree (over the config's `[manager] cgroup`).
    pub cgroup: Option<std::path::PathBuf>,
    /// `--metrics-listen ADDR` (over the config's `[manager]
    /// metrics_listen`).
    pub metrics_listen: Option<http::ListenAddress>,
    /// `--http-listen ADDR` (over the config's `[manager] http_listen`).
    pub http_listen: Option<http::ListenAddress>,
}

/// Why the daemon could not start or had to stop.
#[derive(Debug, thiserror::Error)]
pub enum DaemonError {
    /// The paths could not be worked out.
    #[error(transparent)]
    Paths(#[from] PathError),
    /// The config file is unusable.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// Another daemon uses the state database.
    #[error(transparent)]
    Lock(#[from] lock::LockError),
    /// The state database could not be opened.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The control socket could not be bound.
    #[error(transparent)]
    Bind(#[from] BindError),
    /// The metrics or dashboard address could not be bound.
    #[error(transparent)]
    Http(#[from] http::BindError),
    /// A `--crontab` file is missing or has errors at start.
    #[error("{0}")]
    Crontab(String),
    /// The handover of `daemon-reexec` cannot be read.
    #[error("cannot take over from the previous program: {0}")]
    Reexec(reexec::ReexecError),
    /// The cgroup `--cgroup` or `[manager] cgroup` names is unusable.
    #[error(transparent)]
    Cgroup(#[from] crate::supervisor::NamedCgroupError),
    /// `--clock=manual` without the test variable.
    #[error("--clock=manual is for tests and needs {MANUAL_CLOCK_ENV}=1 in the environment")]
    ManualClockRefused,
    /// An OS facility failed (runtime, signals, timerfds, notify socket).
    #[error("{what}: {source}")]
    Io {
        /// What the daemon was setting up or doing.
        what: &'static str,
        /// The OS error.
        source: io::Error,
    },
}

fn io_error(what: &'static str) -> impl FnOnce(io::Error) -> DaemonError {
    move |source| DaemonError::Io { what, source }
}

/// Runs the daemon until SIGTERM or SIGINT has stopped its services.
pub fn run(options: DaemonOptions) -> Result<(), DaemonError> {
    if options.manual_clock && std::env::var(MANUAL_CLOCK_ENV).as_deref() != Ok("1") {
        return Err(DaemonError::ManualClockRefused);
    }
    // Before anything reads the environment: the variable is not for
    // services.
    let handover = reexec::take_handover().map_err(DaemonError::Reexec)?;
    // As systemd's manager: what the daemon itself creates (generated and
    // transient units, its state) is never group- or world-writable, whatever
    // umask it was started with.
    nix::sys::stat::umask(nix::sys::stat::Mode::from_bits_truncate(0o022));
    let env = HostEnv::from_process();
    let paths = DaemonPaths::resolve(options.scope, &options.paths, &env)?;
    let mut config = Config::load(&paths.config, paths.config_required)?;
    if let Some(cgroup) = &options.cgroup {
        config.cgroup = Some(cgroup.clone());
    }
    if let Some(address) = &options.metrics_listen {
        config.metrics_listen = Some(address.clone());
    }
    if let Some(address) = &options.http_listen {
        config.http_listen = Some(address.clone());
    }
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(io_error("cannot start the async runtime"))?;
    runtime.block_on(start(options, paths, config, env, handover))
}

async fn start(
    options: DaemonOptions,
    paths: DaemonPaths,
    config: Config,
    env: HostEnv,
    handover: Option<reexec::Handover>,
) -> Result<(), DaemonError> {
    // Handlers first, so that a SIGTERM during start-up is not lost.
    let signals =
        signals::Signals::install().map_err(io_error("cannot install signal handlers"))?;
    if let Some(warning) = proc_namespace_mismatch() {
        report(warning);
    }
    let clock = daemon_clock(options.manual_clock);
    let boot_id = boot_id(options.manual_clock);
    let now = clock.now();
    // A re-executed daemon started when its first program did.
    let started = handover.as_ref().map_or(now, |h| h.started.into());

    // Before the store is touched: settling "abandoned" runs would close
    // those of a daemon that is alive.
    let _state_lock = lock::StateLock::acquire(&paths.database)?;
    let mut store = open_store(&paths, &config, now)?;

    // Before the socket: a crontab that does not translate stops the start.
    let crontabs = crontab_feed(&options, &paths, &env)?;
    let crontab_watch = watch_crontabs(&crontabs);
    let socket = control_socket(&paths, handover.as_ref(), options.manual_clock)?;
    let scrapes = metrics_listener(&config).await?;
    let dashboard = dashboard_listener(&config, &paths).await?;

    let mut phases = StartPhases::new();
    let (cx, transient) = load_context(&options, &paths, &crontabs, &store);
    let (localtime, zone_watch) = local_time_watch(&paths, cx.local_zone_from_tz);
    let killed_daemon_start = record_daemon(&mut store, &paths, &cx.load, started, &handover);
    phases.mark("context");
    let units = UnitSet::load(cx.load);
    phases.mark("units");
    // Said after the scan, which counted them: not a second read of each
    // directory.
    report(format!(
        "reading unit files from {}",
        units.index.describe_dirs(&paths.search_path.dirs)
    ));
    for d in units.diagnostics() {
        report(d.to_string());
    }

    let (supervisor, sink_rx) = supervisor(&paths, &config, &env, &units)?;
    if handover.is_some() {
        // The handlers exist now: signals held across the exec come in.
        reexec::release_signals();
    }
    phases.mark("supervisor");
    let mut scheduler = scheduler(&paths, &units, started);
    phases.mark("scheduler");
    scheduler.set_cluster_seed(config.cluster.as_ref().map(|c| c.seed()));
    let flush = Duration::from_micros(config.log_flush_interval.as_usec().min(60_000_000));
    let timers = if options.manual_clock {
        None
    } else {
        Some(timerfd::ClockTimers::new().map_err(io_error("cannot create the clock timerfds"))?)
    };
    let log_store = store.another_connection()?;
    let logs = LogPipe::new(flush, options.log_stdout, log_store)
        .map_err(io_error("cannot start the log writer thread"))?;
    // Before the units start: a singleton or a cluster timer's first
    // elapse goes to the cluster thread.
    let cluster_side = cluster::start(
        &config.cluster,
        config
            .retention
            .max_age
            .map(|age| Duration::from_micros(age.as_usec())),
    )
    .map_err(|e| DaemonError::Io {
        what: "cannot start the cluster",
        source: io::Error::other(e),
    })?;
    let mut state = State {
        clock,
        scheduler,
        supervisor,
        store,
        units,
        paths,
        config,
        runs: handover
            .as_ref()
            .map_or_else(RunTracker::default, |h| RunTracker::restore(&h.runs)),
        logs,
        sink: sink_rx,
        waits: waits::JobWaits::default(),
        run_waits: waits::RunWaits::default(),
        transient,
        active_targets: BTreeSet::new(),
        stats: stats::Stats::default(),
        shutting_down: false,
        exit_request: None,
        commits_deferred: false,
        debug: std::env::var("SUNDIAL_DEBUG").is_ok_and(|v| v == "1"),
        started,
        localtime,
        boot_id,
        crontabs,
        reexec: reexec::Reexec::new(Some(socket.listener_fd)),
        backlog: backlog::Backlog::default(),
        metrics: metrics::Metrics::default(),
        sockets: socket_units::SocketUnits::default(),
        path_units: path_watch::PathUnits::default(),
        cluster: cluster_side,
    };

    // A singleton starts only under its lease, whatever starts it.
    state.supervisor.set_cluster(state.cluster.config.is_some());
    let reexecuted = handover.is_some();
    phases.mark("threads");
    take_over(&mut state, handover, killed_daemon_start);
    phases.mark("take-over");
    heap::release_free_pages();
    phases.mark("trim");
    report_started(&state, reexecuted);
    if state.debug {
        report(format!("start-up phases: {phases}"));
    }

    let sources = event_loop::Sources {
        requests: socket.requests,
        timers,
        clock_commands: socket.clock_commands,
        signals,
        zone_watch,
        crontab_watch,
        scrapes,
        dashboard,
    };
    let result = event_loop::run(&mut state, sources).await;
    // Only our own socket: if the file was replaced, another daemon owns the path now.
    if let Some(file) = socket.file {
        file.remove_if_ours();
    }
    result.map_err(io_error("event loop"))
}

/// The clock phase: the real clocks, or under `--clock=manual` a clock the
/// tests move, starting where the test variables say.
fn daemon_clock(manual: bool) -> DaemonClock {
    if !manual {
        return DaemonClock::Real(RealClock);
    }
    let mut start = RealClock.now();
    if let Some(t) = std::env::var(MANUAL_CLOCK_START_ENV)
        .ok()
        .and_then(|v| v.parse().ok())
    {
        start.realtime = sundial_calendar::Timestamp::from_usec(t);
    }
    if let Some(t) = std::env::var(MANUAL_CLOCK_UPTIME_ENV)
        .ok()
        .and_then(|v| v.parse().ok())
    {
        start.monotonic = Monotonic::from_usec(t);
        start.boottime = Boottime::from_usec(t);
    }
    DaemonClock::Manual(ManualClock::new(start))
}

/// This boot's id (a test's, under the manual clock).
fn boot_id(manual: bool) -> String {
    match std::env::var(MANUAL_CLOCK_BOOT_ID_ENV) {
        Ok(id) if manual => id,
        _ => std::fs::read_to_string(BOOT_ID_FILE)
            .map(|id| id.trim().to_owned())
            .unwrap_or_default(),
    }
}

/// The store phase (under the state lock): the database opened, old log
/// lines pruned, writes batched and synced on the store's own thread.
fn open_store(
    paths: &DaemonPaths,
    config: &Config,
    now: ClockSnapshot,
) -> Result<Store, DaemonError> {
    let mut store = Store::open(&paths.database)?;
    store.set_log_retention(config.retention);
    // The runs a crashed daemon left in flight are taken over or closed
    // once the units are loaded (`adopt::recover`, before anything starts);
    // after a re-execution they are still running.
    if let Err(e) = store.prune_logs(now.realtime) {
        report(format!("cannot prune old log lines: {e}"));
    }
    // From here on, stamps and run rows are committed once per loop turn
    // (see `event_loop`) and before the starts that stamps precede, and the
    // fsyncs and checkpoints happen on the store's own thread, so that the
    // loop never waits for the disk.
    store.set_batching(true)?;
    store.sync_in_background()?;
    Ok(store)
}

/// The control socket as served: requests come in on `requests`.
struct ControlSocket {
    /// The socket's file, removed at exit if it is still ours.
    file: Option<SocketFile>,
    /// The listening socket, kept open across `daemon-reexec`.
    listener_fd: RawFd,
    requests: mpsc::Receiver<Incoming>,
    /// The manual clock's commands, under `--clock=manual`.
    clock_commands: Option<mpsc::Receiver<ClockCommand>>,
}

/// The control socket phase: bound (or inherited from the program before a
/// re-execution) and served; the manual clock's socket too.
fn control_socket(
    paths: &DaemonPaths,
    handover: Option<&reexec::Handover>,
    manual_clock: bool,
) -> Result<ControlSocket, DaemonError> {
    let policy = match paths.scope {
        Scope::System => Policy::System,
        Scope::User => Policy::User {
            owner: nix::unistd::getuid().as_raw(),
        },
    };
    let server = match handover {
        Some(h) => Server::from_inherited(
            reexec::listener(h),
            &paths.socket,
            policy,
            ServerConfig::default(),
        )?,
        None => Server::bind(&paths.socket, policy, ServerConfig::default())?,
    };
    let file = server.socket_file().cloned();
    let listener_fd = server.listener_fd();
    let (requests_tx, requests) = mpsc::channel(64);
    tokio::spawn(server.serve(requests_tx));
    let clock_commands = if manual_clock {
        let path = clock_socket(&paths.runtime_dir);
        Some(serve_manual_clock(&path).map_err(io_error("cannot bind the manual clock socket"))?)
    } else {
        None
    };
    Ok(ControlSocket {
        file,
        listener_fd,
        requests,
        clock_commands,
    })
}

/// The metrics phase: binds `metrics_listen` where one is set (a bind
/// that fails stops the start, as the control socket's does) and serves
/// it; the loop answers the scrapes.
async fn metrics_listener(
    config: &Config,
) -> Result<Option<mpsc::Receiver<metrics::server::Scrape>>, DaemonError> {
    let Some(address) = &config.metrics_listen else {
        return Ok(None);
    };
    let listener = http::Listener::bind(address, "metrics").await?;
    match listener.local_addr() {
        Some(bound) => report(format!("metrics: http://{bound}/metrics")),
        None => report(format!("metrics: {address}")),
    }
    let (tx, rx) = mpsc::channel(8);
    tokio::spawn(metrics::server::serve(listener, tx));
    Ok(Some(rx))
}

/// The dashboard phase: binds `http_listen` where one is set and serves
/// it; the pages ask the daemon over its control socket, the picture asks
/// the loop for the timers.
async fn dashboard_listener(
    config: &Config,
    paths: &DaemonPaths,
) -> Result<Option<mpsc::Receiver<dashboard::TimersAsk>>, DaemonError> {
    let Some(address) = &config.http_listen else {
        return Ok(None);
    };
    let listener = http::Listener::bind(address, "the dashboard").await?;
    match listener.local_addr() {
        Some(bound) => report(format!("dashboard: http://{bound}/")),
        None => report(format!("dashboard: {address}")),
    }
    let (tx, rx) = mpsc::channel(8);
    let sources = dashboard::Sources {
        control: paths.socket.clone(),
        scope: match paths.scope {
            Scope::System => "system",
            Scope::User => "user",
        },
        timers: tx,
    };
    tokio::spawn(dashboard::serve(listener, sources));
    Ok(Some(rx))
}

/// Where units are loaded from and how, before they are.
struct UnitsContext {
    load: LoadContext<'static>,
    /// Whether `TZ` set the local zone (then /etc/localtime is not watched).
    local_zone_from_tz: bool,
}

/// The units' context: the search path (transient units first, crontabs
/// last), specifiers, and the local zone; the transient units restored from
/// the store, whose files the search path finds.
fn load_context(
    options: &DaemonOptions,
    paths: &DaemonPaths,
    crontabs: &crontabs::Crontabs,
    store: &Store,
) -> (UnitsContext, transient::TransientUnits) {
    // The zone source lives as long as the process: unit snapshots and the
    // supervisor's loader borrow it.
    let zones: &'static SystemZones = Box::leak(Box::new(
        crate::unit::host::system_zones().with_localtime(&paths.localtime),
    ));
    // Before the units are loaded: their files come from the store.
    let transient_dir = transient::directory(&paths.runtime_dir);
    let transient = transient::TransientUnits::restore(transient_dir.clone(), store);
    // First in the search path, as systemd's /run/systemd/transient; not in
    // `paths.search_path`, whose first directory is where `enable` links.
    let mut search_path = paths.search_path.clone();
    search_path.dirs.insert(0, transient_dir);
    let tz = std::env::var("TZ").ok();
    let mut cx = LoadContext {
        search_path,
        specifiers: host::specifier_context(paths.scope),
        local_zone: local_zone(tz.as_deref(), zones),
        zones,
    };
    // A missing directory of the search path is no error (systemd skips
    // them too), but one named with --unit-dir is most likely a typo.
    for dir in &options.paths.unit_dirs {
        if !dir.is_dir() {
            report(format!("--unit-dir {}: no such directory", dir.display()));
        }
    }
    cx.search_path.dirs.push(crontabs.dir().to_path_buf());
    let context = UnitsContext {
        load: cx,
        local_zone_from_tz: tz.is_some(),
    };
    (context, transient)
}

/// The local zone file and its watch: glibc reads the file only while TZ
/// is unset; then it is watched.
fn local_time_watch(
    paths: &DaemonPaths,
    zone_from_tz: bool,
) -> (Option<LocalTimeFile>, Option<LocalTimeWatch>) {
    if zone_from_tz {
        return (None, None);
    }
    let file = LocalTimeFile::new(&paths.localtime, std::env::var("TZDIR").ok());
    let watch = match LocalTimeWatch::new(&paths.localtime) {
        Ok(w) => Some(w),
        Err(e) => {
            report(format!(
                "cannot watch {} for time zone changes (daemon-reload still notices them): {e}",
                paths.localtime.display()
            ));
            None
        }
    };
    (Some(file), watch)
}

/// Records this daemon in the store: what a client reads when it is not
/// running (where its units and socket are; it looks at the same unit
/// files). Returns when a daemon that did not stop in order started: what
/// it started is looked for.
fn record_daemon(
    store: &mut Store,
    paths: &DaemonPaths,
    cx: &LoadContext<'_>,
    started: ClockSnapshot,
    handover: &Option<reexec::Handover>,
) -> Option<sundial_calendar::Timestamp> {
    let killed_daemon_start = match store.daemon_record() {
        Ok(Some(previous)) if previous.stopped.is_none() && handover.is_none() => {
            Some(previous.started)
        }
        _ => None,
    };
    let record = DaemonRecord {
        pid: std::process::id(),
        socket: paths.socket.clone(),
        unit_path: cx.search_path.dirs.clone(),
        // A re-executed daemon runs since its first program started.
        started: started.realtime,
        stopped: None,
    };
    if let Err(e) = store
        .set_daemon_started(&record)
        .and_then(|()| store.commit())
    {
        report(format!(
            "cannot record this daemon in the state database: {e}"
        ));
    }
    killed_daemon_start
}

/// The supervisor phase: its settings from the config and the environment,
/// the services' manager environment, and the units it resolves names in.
fn supervisor(
    paths: &DaemonPaths,
    config: &Config,
    env: &HostEnv,
    units: &UnitSet,
) -> Result<(Supervisor, UnboundedReceiver<SinkItem>), DaemonError> {
    let mut supervisor_config = SupervisorConfig::new(&paths.runtime_dir);
    supervisor_config.defaults = config.defaults;
    supervisor_config.system_manager = paths.scope == Scope::System;
    supervisor_config.default_tasks_max = config.default_tasks_max;
    supervisor_config.log_rate_limit = config.log_rate_limit;
    // `SUNDIAL_CGROUPS=off`: processes are tracked by the process tree even
    // where a cgroup v2 tree is writable (see supervisor::ownership).
    supervisor_config.cgroups = cgroups_wanted(std::env::var("SUNDIAL_CGROUPS").ok().as_deref());
    // Test aid: the freeze-and-kill loop of kernels without cgroup.kill,
    // on a kernel with it.
    use crate::supervisor::{act_without_cgroup_kill, NO_CGROUP_KILL_ENV};
    match std::env::var(NO_CGROUP_KILL_ENV).as_deref() {
        Ok("1") => {
            act_without_cgroup_kill(false);
            report(format!(
                "cgroups: acting as if the kernel had no cgroup.kill: SIGKILL by freezing the cgroup ({}=1, a test aid)",
                NO_CGROUP_KILL_ENV
            ));
        }
        Ok("freeze") => {
            act_without_cgroup_kill(true);
            report(format!(
                "cgroups: acting as if the kernel had no cgroup.kill or cgroup.freeze: SIGKILL by the v1 freezer ({}=freeze, a test aid)",
                NO_CGROUP_KILL_ENV
            ));
        }
        _ => {}
    }
    // Test aid: the BPF device program on a host with a v1 devices
    // controller.
    if std::env::var(crate::supervisor::DEVICES_BY_BPF_ENV).as_deref() == Ok("1") {
        crate::supervisor::act_without_v1_devices();
        report(format!(
            "cgroups: DevicePolicy=/DeviceAllow= by a BPF program on cgroup v2, not the v1 devices controller ({}=1, a test aid)",
            crate::supervisor::DEVICES_BY_BPF_ENV
        ));
    }
    // A cgroup named for the subtree is used or the daemon does not start.
    if let Some(named) = &config.cgroup {
        supervisor_config.set_named_cgroup(named)?;
    }
    // Variables that are no Unicode cannot be a locale or a path we pass on.
    let process_env = std::env::vars_os()
        .filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?)))
        .collect();
    supervisor_config
        .default_environment
        .extend(manager_env::manager_environment(
            paths.scope,
            &process_env,
            manager_env::Account::of_process().as_ref(),
        ));
    supervisor_config
        .default_environment
        .extend(config.default_environment.iter().cloned());
    // Commands a service runs (`sundial status`, the crontab mailer) talk
    // to the daemon that started it, as systemctl in a unit talks to its
    // own manager.
    supervisor_config.default_environment.push((
        "SUNDIAL_SOCKET".to_owned(),
        paths.socket.display().to_string(),
    ));
    supervisor_config.exec_roots = exec_roots(paths, env);
    // UtmpIdentifier= records: the system's files, or those the
    // environment names (tests, images built in a tree).
    let system = crate::supervisor::utmp::UtmpFiles::system();
    let named = |var: &str| {
        std::env::var_os(var)
            .map(std::path::PathBuf::from)
            .filter(|p| p.is_absolute())
    };
    supervisor_config.utmp = crate::supervisor::utmp::UtmpFiles {
        utmp: named(UTMP_ENV).unwrap_or(system.utmp),
        wtmp: named(WTMP_ENV).unwrap_or(system.wtmp),
    };
    if paths.scope == Scope::User {
        // systemd (unit_patch_contexts): a user manager's services start in
        // its home, "missing ok".
        supervisor_config.default_working_directory = env.home.clone();
        supervisor_config.default_working_directory_missing_ok = true;
    }
    let (sink, sink_rx) = channel_sink();
    let mut supervisor = Supervisor::new(supervisor_config, Box::new(sink)).map_err(io_error(
        "cannot set up the supervisor (notify socket, SIGCHLD, cgroup subtree)",
    ))?;
    supervisor.set_resolver(units.resolver());
    report(supervisor.process_tracking());
    Ok((supervisor, sink_rx))
}

/// The variables that name the utmp and wtmp files UtmpIdentifier= writes
/// to (absolute paths; the system's /var/run/utmp and /var/log/wtmp
/// otherwise).
pub const UTMP_ENV: &str = "SUNDIAL_UTMP";
pub const WTMP_ENV: &str = "SUNDIAL_WTMP";

/// The variable that moves the system manager's directory roots (`/run`,
/// `/var/lib`, `/var/cache`, `/var/log`, `/etc`) under another directory,
/// for RuntimeDirectory=, StateDirectory= ...: tests and images built
/// in a directory tree.
pub const DIRECTORY_PREFIX_ENV: &str = "SUNDIAL_DIRECTORY_PREFIX";

/// Where RuntimeDirectory=, StateDirectory= ... go: the system roots
/// (under `$SUNDIAL_DIRECTORY_PREFIX`), or a user's XDG directories, as
/// systemd 252's user manager takes them.
fn exec_roots(paths: &DaemonPaths, env: &HostEnv) -> crate::supervisor::exec_dirs::ExecRoots {
    use crate::supervisor::exec_dirs::ExecRoots;
    match paths.scope {
        Scope::System => {
            let prefix = std::env::var_os(DIRECTORY_PREFIX_ENV)
                .map(std::path::PathBuf::from)
                .filter(|p| p.is_absolute())
                .unwrap_or_else(|| std::path::PathBuf::from("/"));
            ExecRoots::system(&prefix)
        }
        Scope::User => {
            let home = env
                .home
                .clone()
                .unwrap_or_else(|| std::path::PathBuf::from("/"));
            let cache = std::env::var_os("XDG_CACHE_HOME")
                .map(std::path::PathBuf::from)
                .filter(|p| p.is_absolute())
                .unwrap_or_else(|| home.join(".cache"));
            ExecRoots::user(
                env.runtime_dir
                    .clone()
                    .unwrap_or_else(|| paths.runtime_dir.clone()),
                env.state_home
                    .clone()
                    .unwrap_or_else(|| home.join(".local/state")),
                cache,
                env.config_home
                    .clone()
                    .unwrap_or_else(|| home.join(".config")),
            )
        }
    }
}

/// The status the daemon exits with once [`run`] returns: 0 unless a
/// unit's `SuccessAction=exit`/`FailureAction=exit` set one.
pub fn exit_status() -> i32 {
    event_loop::EXIT_STATUS.load(std::sync::atomic::Ordering::Relaxed)
}

/// Carries out a SuccessAction=/FailureAction= reboot or power-off that a
/// unit asked for, once the daemon has stopped its services and closed its
/// state (PID 1 only: other daemons refuse to start such units). In a
/// container's PID namespace the kernel ends the namespace, not the
/// machine. Returns only if the call failed.
pub fn carry_out_machine_action() -> Option<io::Error> {
    use nix::sys::reboot::{reboot, RebootMode};
    let mode = match event_loop::MACHINE_ACTION.load(std::sync::atomic::Ordering::Relaxed) {
        1 => RebootMode::RB_AUTOBOOT,
        2 => RebootMode::RB_POWER_OFF,
        _ => return None,
    };
    if std::process::id() != 1 {
        return None;
    }
    nix::unistd::sync();
    reboot(mode).err().map(io::Error::from)
}

/// The scheduler, in the units' local zone.
fn scheduler(paths: &DaemonPaths, units: &UnitSet, started: ClockSnapshot) -> Scheduler {
    Scheduler::new(
        SchedulerConfig {
            host: host_identity(paths.scope),
            zone: units.cx.local_zone.clone(),
            startup: started,
            in_container: in_container(),
            tick_usec: 1,
        },
        Box::new(SplitMix64::new(random_seed())),
    )
}

/// The adoption phase: after a re-execution the runs go on as they were;
/// after a crash what was in flight is taken over or closed, then what the
/// default targets want starts.
fn take_over(
    state: &mut State,
    handover: Option<reexec::Handover>,
    killed_daemon_start: Option<sundial_calendar::Timestamp>,
) {
    match handover {
        // The units' problems are in their logs since the first start.
        Some(handover) => reexec::restore(state, handover),
        None => {
            reload::record_problems(state);
            adopt::recover(state, killed_daemon_start);
            start_default_targets(state);
        }
    }
}

/// How long each phase of a start took, for `SUNDIAL_DEBUG=1`.
struct StartPhases {
    last: std::time::Instant,
    done: Vec<(&'static str, Duration)>,
}

impl StartPhases {
    fn new() -> StartPhases {
        StartPhases {
            last: std::time::Instant::now(),
            done: Vec::new(),
        }
    }

    fn mark(&mut self, phase: &'static str) {
        let now = std::time::Instant::now();
        self.done.push((phase, now - self.last));
        self.last = now;
    }
}

impl std::fmt::Display for StartPhases {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for (i, (phase, took)) in self.done.iter().enumerate() {
            let sep = if i == 0 { "" } else { ", " };
            write!(f, "{sep}{phase} {:.1} ms", took.as_secs_f64() * 1e3)?;
        }
        Ok(())
    }
}

/// The line that says the daemon is up.
fn report_started(state: &State, reexecuted: bool) {
    report(format!(
        "{}: {} units loaded, {} timers active; control socket {}",
        if reexecuted { "re-executed" } else { "started" },
        state.units.loaded.units.len(),
        state
            .scheduler
            .timers()
            .filter(|t| t.state.is_active())
            .count(),
        state.paths.socket.display()
    ));
}

/// Loads the timers, starts what the default targets want, then fires what
/// is due now: OnBootSec= values already passed, Persistent= catch-up.
fn start_default_targets(state: &mut State) {
    state.load_timers();
    // Every stamp in one query rather than one per timer.
    let stamps: std::collections::HashMap<String, sundial_calendar::Timestamp> =
        match state.store.stamps() {
            Ok(stamps) => stamps.into_iter().collect(),
            Err(e) => {
                report(format!("cannot read the timer stamps: {e}"));
                Default::default()
            }
        };
    state.commits_deferred = true;
    for name in state.units.wanted_at_start() {
        let ty = state
            .units
            .get(&name)
            .map_or(UnitType::Other, |u| u.name().unit_type());
        match ty {
            UnitType::Target => {
                state.active_targets.insert(name);
            }
            UnitType::Timer => {
                let stamp = stamps.get(&name).copied();
                state.start_timer_with(&name, stamp, None);
            }
            UnitType::Service if cluster::is_singleton(state, &name) => {
                cluster_singletons::want_singleton(state, &name);
            }
            UnitType::Service => {
                let by = Activation::dependency("default.target");
                state.start_pulled_sockets(&name);
                if let Err(e) = state.supervisor.start_with(&name, by) {
                    report(format!("{name}: cannot start: {e}"));
                }
            }
            // Its errors are reported where they happen.
            UnitType::Socket => {
                let _ = state.start_socket(&name);
            }
            UnitType::Path => {
                if let Err(e) = path_watch::start(state, &name) {
                    report(format!("{name}: cannot start: {e}"));
                }
            }
            UnitType::Other => {}
        }
    }
    state.commits_deferred = false;
    state.commit_writes();
    // Before anything settles: a transient timer not started yet would look
    // done.
    transient::resume_timers(state);
    state.advance();
}

/// The crontabs to run: `--crontab` files and the scope's own crontab,
/// translated once before anything else so that a broken one named on the
/// command line stops the start with its errors.
fn crontab_feed(
    options: &DaemonOptions,
    paths: &DaemonPaths,
    env: &HostEnv,
) -> Result<crontabs::Crontabs, DaemonError> {
    let own = crate::crontab::own_crontab_path(
        paths.scope,
        env.config_home.as_deref(),
        env.home.as_deref(),
    );
    let translate = crate::crontab::TranslateOptions::for_daemon(paths.scope);
    let feed = crontabs::Crontabs::new(
        paths.runtime_dir.join("crontab-units"),
        &options.crontabs,
        own,
        translate,
    );
    let mut feed = feed;
    feed.set_shadowing_dirs(paths.search_path.dirs.clone());
    feed.clear_dir()
        .map_err(io_error("cannot prepare the directory of crontab units"))?;
    let refresh = feed.refresh();
    let failed: Vec<_> = refresh
        .failed
        .iter()
        .filter(|p| options.crontabs.contains(p))
        .collect();
    if !failed.is_empty() {
        return Err(DaemonError::Crontab(refresh.messages.join("\n")));
    }
    for m in refresh.messages {
        report(m);
    }
    Ok(feed)
}

/// Watches the crontab files' directories; where that is impossible the
/// crontab is still read again at daemon-reload, which is said.
fn watch_crontabs(feed: &crontabs::Crontabs) -> Option<file_watch::FileWatch> {
    let paths = feed.paths();
    if paths.is_empty() {
        return None;
    }
    match file_watch::FileWatch::new(&paths) {
        Ok((watch, failed)) => {
            for (dir, e) in failed {
                if e.kind() != io::ErrorKind::NotFound {
                    report(format!(
                        "cannot watch {} for crontab changes (daemon-reload still reads them): {e}",
                        dir.display()
                    ));
                }
            }
            watch
        }
        Err(e) => {
            report(format!(
                "cannot watch crontabs for changes (daemon-reload still reads them): {e}"
            ));
            None
        }
    }
}

/// The kernel's id of the current boot.
const BOOT_ID_FILE: &str = "/proc/sys/kernel/random/boot_id";

/// The host as the scheduler's per-unit hashes see it.
fn host_identity(scope: Scope) -> HostIdentity {
    let hex16 = |path: &str| -> [u8; 16] {
        let text = std::fs::read_to_string(path).unwrap_or_default();
        let digits: Vec<u8> = text.trim().bytes().filter(u8::is_ascii_hexdigit).collect();
        let mut out = [0u8; 16];
        if digits.len() == 32 {
            for (i, pair) in digits.chunks(2).enumerate() {
                let s = std::str::from_utf8(pair).unwrap_or("00");
                out[i] = u8::from_str_radix(s, 16).unwrap_or(0);
            }
        }
        out
    };
    HostIdentity {
        machine_id: hex16("/etc/machine-id"),
        boot_id: hex16(BOOT_ID_FILE),
        system: scope == Scope::System,
        uid: nix::unistd::getuid().as_raw(),
    }
}

/// systemd's container detection, reduced to what container managers leave
/// behind: `$container`, /.dockerenv, /run/.containerenv.
fn in_container() -> bool {
    std::env::var_os("container").is_some_and(|v| !v.is_empty())
        || std::path::Path::new("/.dockerenv").exists()
        || std::path::Path::new("/run/.containerenv").exists()
}

fn random_seed() -> u64 {
    let mut bytes = [0u8; 8];
    if let Ok(mut f) = std::fs::File::open("/dev/urandom") {
        use std::io::Read;
        let _ = f.read_exact(&mut bytes);
    }
    u64::from_ne_bytes(bytes)
}

/// A warning when /proc was mounted for another PID namespace (a container
/// started with the host's /proc): the process ids /proc lists are then not
/// the ones this process sees, so processes that daemonize out of a service
/// cannot be found, stopped or reaped.
fn proc_namespace_mismatch() -> Option<String> {
    let own = std::process::id();
    let seen = std::fs::read_link("/proc/self").ok()?;
    let seen: u32 = seen.to_str()?.parse().ok()?;
    (seen != own).then(|| {
        format!(
            "warning: /proc belongs to another PID namespace (it calls this process {seen}, \
             the kernel {own}): processes that leave a service cannot be tracked or reaped; \
             mount /proc for this namespace (unshare --mount-proc, a container's own /proc)"
        )
    })
}

/// Whether services get cgroups of their own, from `$SUNDIAL_CGROUPS`:
/// `off` (or `0`, `no`, `false`) turns them off; anything else, or nothing,
/// leaves them on where a cgroup v2 tree is writable.
fn cgroups_wanted(value: Option<&str>) -> bool {
    !matches!(value, Some("off" | "0" | "no" | "false"))
}

#[cfg(test)]
mod cgroup_switch_tests {
    #[test]
    fn sundial_cgroups_off_turns_them_off() {
        assert!(super::cgroups_wanted(None));
        assert!(super::cgroups_wanted(Some("on")));
        assert!(super::cgroups_wanted(Some("")));
        for off in ["off", "0", "no", "false"] {
            assert!(!super::cgroups_wanted(Some(off)), "{off}");
        }
    }
}
