//! Service supervision: running `.service` units with systemd's semantics.
//!
//! [`Supervisor`] owns every service's state and is driven by one task: the
//! owner awaits [`Supervisor::next_event`] (child exits, notify datagrams,
//! captured output, deadlines) and hands the event back to
//! [`Supervisor::handle`]; requests (start, stop, ...) are plain method
//! calls. Nothing is shared behind locks, so the daemon can embed it in its
//! own event loop.

mod adopt;
mod bpf;
mod cgroup;
mod cgroup_accounting;
mod cgroup_devices;
mod cgroup_limits;
mod cgroup_v1;
mod conditions;
mod control_group;
mod credentials;
mod edge;
mod environment;
mod exec_chain;
pub mod exec_dirs;
mod exit;
mod fd_store;
mod glob;
mod host_conditions;
mod input;
mod job_engine;
mod journal;
mod kill;
mod lease_gate;
mod machine;
mod namespaces;
mod notify;
mod output;
mod output_queue;
mod ownership;
mod privileges;
mod procs;
mod rate_limit;
mod reaping;
mod restart;
mod run_environment;
mod seccomp;
mod snapshot;
pub mod socket_fds;
mod spawn;
mod state;
mod terminal;
mod user_namespace;
pub mod utmp;

// The supervisor's API beside `Supervisor`: the types its owner handles
// (states, results, jobs, log records, settings), the pure helpers the CLI
// and crontab share with it, and the looks at `/proc` of crash recovery.
pub use bpf::attach::IpTraffic;
pub use cgroup::{Mode as CgroupMode, NamedCgroupError};
pub use cgroup_accounting::{format_bytes, format_cpu, Usage};
pub use cgroup_devices::{act_without_v1_devices, DEVICES_BY_BPF_ENV};
pub use control_group::{act_without_cgroup_kill, NO_CGROUP_KILL_ENV};
pub use edge::random_id;
pub use environment::{expand_argv, valid_name, Env};
pub use exec_chain::ExecKind;
pub use exit::ProcessExit;
pub use job_engine::deps::{JobId, JobResult, JobType};
pub use kill::KillWhom;
pub use lease_gate::LeaseAnswer;
pub use machine::ManagerDefaults;
pub use output::{
    now_realtime, set_cloexec, LogRecord, LogSink, ManagerRecord, MemorySink, Stream,
};
pub use output_queue::Credit;
pub use procs::{release as release_claim, Claims};
pub use rate_limit::RateLimit;
pub use snapshot::SupervisorSnapshot;
pub use state::{ActiveState, ServiceResult, SubState, Transition};

/// What a restarted daemon needs to take over the runs a killed one left
/// (the daemon's `adopt`): the pure decision on each recorded process and
/// the looks at `/proc` it rests on.
pub mod recovery {
    pub use super::adopt::{
        identify, look, pidfd_open, plan, start_ticks, Finding, Found, Plan, TakeoverError,
        TakeoverRequest,
    };
    pub use super::kill::alive;
}

/// Reads of `/proc` the reliability tests check the daemon's processes
/// with; not an API.
#[doc(hidden)]
pub use procs::{scan as process_table, stat as process_stat};

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use nix::unistd::Pid;
use tokio::signal::unix::{signal, SignalKind};
use tokio::sync::mpsc::{unbounded_channel, UnboundedReceiver, UnboundedSender};

use crate::activation::{Activation, Monitor, MonitoredRun};
use crate::unit::{ServiceUnit, UnitName};
use edge::Edge;
use job_engine::deps::Job;
use job_engine::queue::JobQueue;
use kill::ProcessSet;
use machine::{Report, ServiceMachine};
use notify::{NotifyField, NotifyMessage, NotifySocket};
use output::{Capture, Captured, OutputTx};
use output_queue::OutputQueue;
use reaping::try_reap;
use state::ServiceState;

/// How the supervisor runs.
#[derive(Debug, Clone)]
pub struct SupervisorConfig {
    /// Where the notify socket is created.
    pub runtime_dir: PathBuf,
    pub defaults: ManagerDefaults,
    /// The environment every command starts from (PATH, ...).
    pub default_environment: Vec<(String, String)>,
    /// The daemon's own environment, for PassEnvironment=.
    pub manager_environment: Vec<(String, String)>,
    /// WorkingDirectory when the unit sets none: `/` for the system
    /// manager, the user's home for a user manager.
    pub default_working_directory: Option<PathBuf>,
    /// Whether a default that cannot be entered is passed over rather than
    /// failing the command with 200/CHDIR: systemd's user manager takes its
    /// home "missing ok" (a home that is gone, or `User=` that may not
    /// enter it).
    pub default_working_directory_missing_ok: bool,
    /// Become child subreaper (the daemon does; tests may share a process).
    pub subreaper: bool,
    /// Reap inherited children that belong to no service, and end the
    /// living ones (the daemon, see `ownership.rs`); off where other code in
    /// the process has children of its own.
    pub reap_strays: bool,
    /// The rate limit on the lines of a service that sets none (journald's
    /// RateLimitIntervalSec= and RateLimitBurst=).
    pub log_rate_limit: RateLimit,
    /// Track each service's processes in a cgroup of its own where a cgroup
    /// v2 tree is writable (see `control_group.rs`); off, they are tracked
    /// by the process tree alone (the daemon's `SUNDIAL_CGROUPS=off`).
    pub cgroups: bool,
    /// `DefaultTasksMax=`: TasksMax= of a service that sets none.
    pub default_tasks_max: Option<crate::unit::service::Limit>,
    /// The cgroup `--cgroup` names, checked (see
    /// [`SupervisorConfig::set_named_cgroup`]): the subtree is made there
    /// instead of in the daemon's own cgroup.
    pub named_cgroup: Option<cgroup::Delegation>,
    /// Where RuntimeDirectory=, StateDirectory= ... are made.
    pub exec_roots: exec_dirs::ExecRoots,
    /// The daemon's own `$CREDENTIALS_DIRECTORY` (LoadCredential=ID,
    /// ImportCredential=).
    pub passed_credentials: Option<PathBuf>,
    /// The system daemon (not a user's): services get a private session
    /// keyring unless KeyringMode= says otherwise.
    pub system_manager: bool,
    /// Where UtmpIdentifier= records go (the system's files unless the
    /// daemon's `SUNDIAL_UTMP`/`SUNDIAL_WTMP` say otherwise).
    pub utmp: utmp::UtmpFiles,
}

impl SupervisorConfig {
    /// systemd's defaults, with the notify socket in `runtime_dir`.
    pub fn new(runtime_dir: impl Into<PathBuf>) -> SupervisorConfig {
        SupervisorConfig {
            runtime_dir: runtime_dir.into(),
            defaults: ManagerDefaults::default(),
            default_environment: vec![(
                "PATH".to_owned(),
                "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin".to_owned(),
            )],
            manager_environment: std::env::vars().collect(),
            default_working_directory: Some(PathBuf::from("/")),
            default_working_directory_missing_ok: false,
            subreaper: true,
            reap_strays: true,
            log_rate_limit: RateLimit::default(),
            cgroups: true,
            default_tasks_max: None,
            named_cgroup: None,
            exec_roots: exec_dirs::ExecRoots::system(std::path::Path::new("/")),
            passed_credentials: run_environment::passed_credentials(),
            system_manager: true,
            utmp: utmp::UtmpFiles::system(),
        }
    }

    /// Makes the services' subtree in the cgroup `given` names (`--cgroup`,
    /// `[manager] cgroup`), checked now: below the cgroup v2 mount, a
    /// cgroup, writable.
    pub fn set_named_cgroup(&mut self, given: &Path) -> Result<(), NamedCgroupError> {
        self.named_cgroup = Some(cgroup::named(given)?);
        Ok(())
    }
}

/// A service as `systemctl status` would summarize it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceStatus {
    pub active: ActiveState,
    pub sub: SubState,
    pub result: ServiceResult,
    pub main_pid: Option<Pid>,
    pub main_exit: Option<ProcessExit>,
    /// The last main process of the current start, also once it has exited.
    pub exec_main_pid: Option<Pid>,
    pub invocation_id: String,
    pub n_restarts: u32,
    pub status_text: Option<String>,
}

/// A command of a service's current start that has ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EndedCommand {
    /// `ExecStartPre`, `ExecStart`, ...
    pub directive: &'static str,
    pub pid: Pid,
    /// Its argument vector, joined by spaces.
    pub command: String,
    pub exit: ProcessExit,
}

/// Why a job request was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JobError {
    #[error("Unit {0} not found.")]
    NoSuchUnit(String),
    #[error("Unit {0} cannot be reloaded: {1}")]
    NotReloadable(String, &'static str),
}

/// A service's state change, for owners that follow runs (the daemon's run
/// history and timers' `OnUnitActiveSec=`/`OnUnitInactiveSec=`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnitTransition {
    pub unit: String,
    /// The invocation id when the change was reported.
    pub invocation_id: String,
    pub transition: state::Transition,
    /// The activation of the run the change concerns; `None` for a
    /// service no job started (one taken over from an older daemon that
    /// did not hand it on).
    pub activation: Option<Activation>,
    /// When the machine that made the change began to run: for a start,
    /// just before its first process was spawned. Each of a burst of starts
    /// has its own, though their reports are passed on together.
    pub at: Instant,
}

/// Something the supervisor waited for.
#[derive(Debug)]
pub enum Event {
    ChildExited,
    /// A command's exec report was read to its end.
    Exec(ExecEvent),
    Notify(NotifyMessage),
    Output(Captured),
    Deadline,
    /// A process taken over after a daemon crash exited.
    AdoptedExited(Pid),
}

/// What a command's process reported about its exec.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExecEvent {
    pub unit: String,
    pub pid: Pid,
    pub report: spawn::ExecReport,
}

/// One service: its machine and what its current run holds.
#[derive(Debug)]
struct Service {
    machine: ServiceMachine,
    procs: ProcessSet,
    capture: Capture,
    /// What started the current (or last) run.
    activation: Option<Activation>,
    cgroup_reported: bool,
}

/// Loads a unit that is not known yet (instances of templates, units named
/// by OnFailure=); the daemon plugs its loader in.
pub type Resolver = Box<dyn FnMut(&UnitName) -> Option<Arc<ServiceUnit>> + Send>;

/// Every service and the jobs on them.
pub struct Supervisor {
    config: SupervisorConfig,
    /// By name; hashed, since every event looks services up by name and
    /// there may be a hundred thousand of them.
    services: HashMap<String, Service>,
    jobs: JobQueue,
    /// Units whose jobs need a look at the next dispatch: their machine ran
    /// or they got a job. Jobs of other units cannot have moved on.
    job_dirty: HashSet<String>,
    /// Units with After= or Before=, the only ones that can hold up a job
    /// of another unit.
    ordered_units: HashSet<String>,
    /// Units with BindsTo=, the only ones that follow another unit down:
    /// a service's end looks at these, not at every busy service.
    binding_units: HashSet<String>,
    next_job: JobId,
    finished_jobs: Vec<(JobId, String, JobType, JobResult)>,
    /// Start jobs whose Condition*= failed since the owner last asked, with
    /// what queued them.
    skipped: Vec<(String, Option<Activation>)>,
    /// Which cluster singletons may start here (their lease is this
    /// node's), and which the owner is to ask the cluster about.
    lease_gate: lease_gate::LeaseGate,
    resolver: Option<Resolver>,
    sink: Box<dyn LogSink + Send>,
    log_tx: OutputTx,
    log_rx: UnboundedReceiver<Captured>,
    exec_tx: UnboundedSender<ExecEvent>,
    exec_rx: UnboundedReceiver<ExecEvent>,
    notify: NotifySocket,
    sigchld: tokio::signal::unix::Signal,
    strays: BTreeSet<Pid>,
    delegation: Option<cgroup::Delegation>,
    /// The services' cgroups, where a cgroup v2 tree is writable.
    cgroups: Option<control_group::ControlGroups>,
    /// The v1 hierarchies and the machine's totals, for limits.
    resources: cgroup::Resources,
    /// Whose each process was when the process tree was last read, for
    /// services without a cgroup.
    ownership: ownership::OwnershipMap,
    /// When the process tree was last read for `ownership`.
    last_scan: Option<Instant>,
    /// Living strays (no unit claims them) and when they started, until a
    /// stop ends them (see `ownership`).
    suspects: BTreeMap<Pid, u64>,
    transitions: Vec<UnitTransition>,
    /// Services whose machine ran since their reports were last taken: the
    /// only ones that can have reports.
    touched: BTreeSet<String>,
    /// Services that are not at rest: between states or active, with
    /// processes, or with a deadline. A service outside this set is dead or
    /// failed with nothing running, so reaping, deadlines, notify messages
    /// and stop propagation need not look at it; with thousands of timer
    /// services mostly idle, each event then costs what is running, not
    /// what is loaded.
    busy: BTreeSet<String>,
    /// Conflicts= read backwards: a unit -> the services that name it.
    conflicted_by: BTreeMap<String, BTreeSet<String>>,
    /// Processes taken over after a daemon crash: not our children, so
    /// watched through pidfds rather than reaped.
    watches: adopt::Watches,
    /// Services whose main or control process, state or invocation changed:
    /// the daemon records their processes again (see `adopt`).
    process_changes: BTreeSet<String>,
    /// When each service in `touched` first ran since its reports were
    /// taken: the time of those reports.
    ran_at: HashMap<String, Instant>,
    /// What socket units hand each service's main command (the daemon sets
    /// them while the sockets are started).
    socket_fds: HashMap<String, Arc<socket_fds::SocketFds>>,
    /// Descriptors services keep with the daemon (`FDSTORE=1`); only
    /// services that sent some have an entry.
    fd_stores: HashMap<String, fd_store::FdStore>,
}

impl Drop for Supervisor {
    /// The daemon's last reaping: processes of its services that ended and
    /// were not reaped yet would be left to PID 1 as zombies, and keep
    /// their cgroups from being removed (the subtree goes after this).
    fn drop(&mut self) {
        if !self.config.reap_strays {
            return;
        }
        let zombies = procs::own_children()
            .into_iter()
            .filter(|pid| procs::stat(*pid).is_some_and(|p| p.zombie));
        for pid in zombies {
            let _ = try_reap(pid);
        }
    }
}

impl std::fmt::Debug for Supervisor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Supervisor")
            .field("services", &self.services.keys().collect::<Vec<_>>())
            .field("jobs", &self.jobs)
            .finish_non_exhaustive()
    }
}

impl Supervisor {
    /// Sets up the notify socket and SIGCHLD handling. Must run inside a
    /// tokio runtime.
    pub fn new(config: SupervisorConfig, sink: Box<dyn LogSink + Send>) -> io::Result<Supervisor> {
        if config.subreaper {
            procs::set_child_subreaper()?;
        }
        std::fs::create_dir_all(&config.runtime_dir)?;
        let notify = NotifySocket::bind(&config.runtime_dir.join("notify"))?;
        let sigchld = signal(SignalKind::child())?;
        let (log_tx, log_rx) = unbounded_channel();
        let (exec_tx, exec_rx) = unbounded_channel();
        // SUNDIAL_CGROUPS=off wins over a named cgroup too.
        let delegation = match (&config.named_cgroup, config.cgroups) {
            (_, false) => None,
            (Some(named), true) => Some(named.clone()),
            (None, true) => cgroup::detect(),
        };
        // Without a subtree of its own the daemon tracks processes by the
        // process tree (see `ownership`); so it does where it cannot make
        // one, unless it was told which cgroup to use.
        let subtree = control_group::new_subtree_name();
        let cgroups = match &delegation {
            Some(d) if d.named => Some(control_group::ControlGroups::create(d, &subtree)?),
            Some(d) => control_group::ControlGroups::create(d, &subtree).ok(),
            None => None,
        };
        let resources = if config.cgroups {
            cgroup::Resources::detect(&subtree, config.default_tasks_max)
        } else {
            cgroup::Resources::default()
        };
        Ok(Supervisor {
            config,
            services: HashMap::new(),
            jobs: JobQueue::default(),
            job_dirty: HashSet::new(),
            ordered_units: HashSet::new(),
            binding_units: HashSet::new(),
            next_job: 1,
            finished_jobs: Vec::new(),
            skipped: Vec::new(),
            lease_gate: lease_gate::LeaseGate::default(),
            resolver: None,
            sink,
            log_tx: OutputTx {
                tx: log_tx,
                queue: OutputQueue::default(),
            },
            log_rx,
            exec_tx,
            exec_rx,
            notify,
            sigchld,
            strays: BTreeSet::new(),
            delegation,
            cgroups,
            resources,
            ownership: ownership::OwnershipMap::default(),
            last_scan: None,
            suspects: BTreeMap::new(),
            transitions: Vec::new(),
            touched: BTreeSet::new(),
            busy: BTreeSet::new(),
            conflicted_by: BTreeMap::new(),
            watches: adopt::Watches::default(),
            process_changes: BTreeSet::new(),
            ran_at: HashMap::new(),
            socket_fds: HashMap::new(),
            fd_stores: HashMap::new(),
        })
    }

    /// The descriptors `service`'s main command gets from now on (`None`:
    /// none); a running command keeps those it got.
    pub fn set_socket_fds(&mut self, service: &str, fds: Option<socket_fds::SocketFds>) {
        match fds {
            Some(fds) => {
                self.socket_fds.insert(service.to_owned(), Arc::new(fds));
            }
            None => {
                self.socket_fds.remove(service);
            }
        }
    }

    pub fn set_resolver(&mut self, resolver: Resolver) {
        self.resolver = Some(resolver);
    }

    /// The manager environment every command starts from; later entries
    /// win over earlier ones of the same name.
    pub fn default_environment(&self) -> &[(String, String)] {
        &self.config.default_environment
    }

    /// Replaces the manager environment (`set-environment`): commands
    /// spawned from now on start from it; running ones keep theirs.
    pub fn set_default_environment(&mut self, environment: Vec<(String, String)>) {
        self.config.default_environment = environment;
    }

    /// Adds or replaces a unit; a running service keeps running and uses the
    /// new definition for the commands it spawns from now on.
    pub fn add_unit(&mut self, unit: impl Into<Arc<ServiceUnit>>) {
        let unit: Arc<ServiceUnit> = unit.into();
        let name = unit.name.as_str().to_owned();
        if unit.unit.dependencies.after.is_empty() && unit.unit.dependencies.before.is_empty() {
            self.ordered_units.remove(&name);
        } else {
            self.ordered_units.insert(name.clone());
        }
        if unit.unit.dependencies.binds_to.is_empty() {
            self.binding_units.remove(&name);
        } else {
            self.binding_units.insert(name.clone());
        }
        self.job_dirty.insert(name.clone());
        for other in &unit.unit.dependencies.conflicts {
            self.conflicted_by
                .entry(other.as_str().to_owned())
                .or_default()
                .insert(name.clone());
        }
        match self.services.get_mut(&name) {
            Some(s) => {
                for other in &s.machine.unit().unit.dependencies.conflicts {
                    if unit.unit.dependencies.conflicts.contains(other) {
                        continue;
                    }
                    if let Some(set) = self.conflicted_by.get_mut(other.as_str()) {
                        set.remove(&name);
                    }
                }
                s.machine.set_unit(unit);
            }
            None => {
                let machine = ServiceMachine::new(unit, &self.config.defaults);
                self.services.insert(
                    name,
                    Service {
                        machine,
                        procs: ProcessSet::default(),
                        capture: Capture::default(),
                        activation: None,
                        cgroup_reported: false,
                    },
                );
            }
        }
    }

    /// Swaps a service's unit for an equal one (daemon-reload's new
    /// snapshot), so that the old snapshot's copy can be freed. Nothing else
    /// changes; a changed unit goes through [`Supervisor::add_unit`].
    pub fn share_unit(&mut self, unit: Arc<ServiceUnit>) {
        if let Some(s) = self.services.get_mut(unit.name.as_str()) {
            if **s.machine.unit() == *unit {
                s.machine.set_unit(unit);
            }
        }
    }

    /// Forgets a service at rest: inactive or failed, nothing running, no
    /// job (a transient unit that is done). Returns whether it was removed;
    /// a service that is not at rest stays.
    pub fn remove_unit(&mut self, name: &str) -> bool {
        let Some(s) = self.services.get(name) else {
            return false;
        };
        // A service with reports not passed on yet has a state change its
        // owner has not seen.
        if self.busy.contains(name)
            || self.touched.contains(name)
            || self.has_job(name)
            || !s.machine.state().is_inactive()
        {
            return false;
        }
        let conflicts = s.machine.unit().unit.dependencies.conflicts.clone();
        for other in conflicts {
            if let Some(set) = self.conflicted_by.get_mut(other.as_str()) {
                set.remove(name);
                if set.is_empty() {
                    self.conflicted_by.remove(other.as_str());
                }
            }
        }
        self.services.remove(name);
        self.fd_stores.remove(name);
        self.ordered_units.remove(name);
        self.binding_units.remove(name);
        self.job_dirty.remove(name);
        true
    }

    /// How many descriptors the service keeps in its store
    /// (`NFileDescriptorStore`).
    pub fn fd_store_len(&self, name: &str) -> usize {
        self.fd_stores.get(name).map_or(0, fd_store::FdStore::len)
    }

    /// Whether a service keeps descriptors with the daemon (they cannot be
    /// handed over to a new daemon program yet).
    pub fn holds_stored_fds(&self) -> bool {
        self.fd_stores.values().any(|s| !s.is_empty())
    }

    /// Whether a job of the service is queued or running.
    pub fn has_job(&self, name: &str) -> bool {
        self.jobs.of_unit(name).next().is_some()
    }

    pub fn status(&self, name: &str) -> Option<ServiceStatus> {
        let m = &self.services.get(name)?.machine;
        Some(ServiceStatus {
            active: m.state().active_state(),
            sub: m.state().sub_state(),
            result: m.result(),
            main_pid: m.main_pid(),
            main_exit: m.main_exit(),
            exec_main_pid: m.exec_main_pid(),
            invocation_id: m.invocation_id().to_owned(),
            n_restarts: m.n_restarts(),
            status_text: m.status_text().map(str::to_owned),
        })
    }

    /// The commands of a service's current start that have ended.
    pub fn ended_commands(&self, name: &str) -> Vec<EndedCommand> {
        self.services
            .get(name)
            .map_or_else(Vec::new, |s| ended_commands(&s.machine))
    }

    /// State changes since the last call, in the order they happened.
    pub fn take_transitions(&mut self) -> Vec<UnitTransition> {
        std::mem::take(&mut self.transitions)
    }

    /// The names of every service known, in no particular order.
    pub fn service_names(&self) -> impl Iterator<Item = &str> {
        self.services.keys().map(String::as_str)
    }

    /// A service's unit as the supervisor runs it.
    pub fn unit(&self, name: &str) -> Option<&Arc<ServiceUnit>> {
        self.services.get(name).map(|s| s.machine.unit())
    }

    /// The processes of a service's current run: main, control, and the
    /// members of its process groups and adopted orphans.
    pub fn processes(&self, name: &str) -> Vec<Pid> {
        let Some(s) = self.services.get(name) else {
            return Vec::new();
        };
        let mut pids: BTreeSet<Pid> = s
            .machine
            .main_pid()
            .into_iter()
            .chain(s.machine.control_pid())
            .collect();
        if !s.procs.is_empty() {
            pids.extend(s.procs.members(&procs::scan()));
        }
        pids.into_iter().collect()
    }

    /// `systemctl kill`: sends `signal` to the chosen processes of a service;
    /// returns how many were signalled.
    pub fn kill(
        &mut self,
        name: &str,
        whom: KillWhom,
        signal: crate::unit::Signal,
    ) -> Result<usize, JobError> {
        let s = self
            .services
            .get(name)
            .ok_or_else(|| JobError::NoSuchUnit(name.to_owned()))?;
        let (main, control) = (s.machine.main_pid(), s.machine.control_pid());
        let (scope, main, control) = match whom {
            KillWhom::Main => (kill::KillScope::MainAndControl, main, None),
            KillWhom::Control => (kill::KillScope::MainAndControl, None, control),
            KillWhom::All => (kill::KillScope::All, main, control),
        };
        Ok(kill::signal_run(
            scope, signal, false, main, control, &s.procs,
        ))
    }

    /// Jobs that ended since the last call.
    pub fn take_finished_jobs(&mut self) -> Vec<(JobId, String, JobType, JobResult)> {
        std::mem::take(&mut self.finished_jobs)
    }

    /// Starts skipped since the last call (a Condition*= failed: no run,
    /// but the history records the attempt), with their activations.
    pub fn take_skipped(&mut self) -> Vec<(String, Option<Activation>)> {
        std::mem::take(&mut self.skipped)
    }

    /// Whether no job is queued and no service is between states.
    pub fn is_settled(&self) -> bool {
        self.jobs.is_empty()
            && self.busy_services().all(|(_, s)| {
                matches!(
                    s.machine.state().active_state(),
                    ActiveState::Inactive | ActiveState::Active | ActiveState::Failed
                )
            })
    }

    /// The services that are not at rest (see `busy`), by name.
    fn busy_services(&self) -> impl Iterator<Item = (&String, &Service)> {
        self.busy
            .iter()
            .filter_map(|n| self.services.get_key_value(n))
    }

    /// Notes that a service's machine or processes changed: its reports are
    /// to be passed on, and whether it is at rest is looked at again.
    fn touch(&mut self, name: &str) {
        let Some(s) = self.services.get(name) else {
            return;
        };
        let m = &s.machine;
        let busy = !m.state().is_inactive()
            || m.main_pid().is_some()
            || m.control_pid().is_some()
            || m.deadline().is_some()
            || !s.procs.orphans.is_empty()
            || !s.procs.sessions.is_empty();
        if !self.touched.contains(name) {
            self.touched.insert(name.to_owned());
        }
        if !self.job_dirty.contains(name) {
            self.job_dirty.insert(name.to_owned());
        }
        if busy {
            if !self.busy.contains(name) {
                self.busy.insert(name.to_owned());
            }
        } else {
            self.busy.remove(name);
        }
    }

    // ---- running the machines ------------------------------------------

    /// Runs `f` on a service's machine with the real runtime edge.
    fn with_machine<R>(
        &mut self,
        name: &str,
        f: impl FnOnce(&mut ServiceMachine, &mut Edge<'_>) -> R,
    ) -> Option<R> {
        let s = self.services.get_mut(name)?;
        // What the daemon records of the run (see `adopt`).
        let recorded = |m: &ServiceMachine| {
            (
                m.main_pid(),
                m.control_pid(),
                m.state().sub_state(),
                m.invocation_id().to_owned(),
            )
        };
        let before = recorded(&s.machine);
        if !self.ran_at.contains_key(name) {
            self.ran_at.insert(name.to_owned(), Instant::now());
        }
        let mut messages = Vec::new();
        // The main command gets its sockets' descriptors, then its store's.
        let with_store;
        let socket_fds = match self.fd_stores.get_mut(name).filter(|st| !st.is_empty()) {
            Some(store) => {
                store.drop_hung_up();
                let mut fds = self
                    .socket_fds
                    .get(name)
                    .map_or_else(socket_fds::SocketFds::default, |f| (**f).clone());
                fds.fds.extend(store.passed());
                with_store = fds;
                Some(&with_store)
            }
            None => self.socket_fds.get(name).map(Arc::as_ref),
        };
        let mut edge = Edge {
            config: &self.config,
            notify_socket: self.notify.path(),
            log_tx: &self.log_tx,
            exec_tx: &self.exec_tx,
            procs: &mut s.procs,
            capture: &mut s.capture,
            activation: s.activation.as_ref(),
            socket_fds,
            cgroups: self.cgroups.as_mut(),
            delegation: self.delegation.as_ref(),
            resources: &self.resources,
            cgroup_reported: &mut s.cgroup_reported,
            messages: &mut messages,
        };
        let r = f(&mut s.machine, &mut edge);
        if recorded(&s.machine) != before {
            self.process_changes.insert(name.to_owned());
        }
        self.touch(name);
        for m in messages {
            self.log_manager(name, m);
        }
        Some(r)
    }

    fn log_manager(&mut self, unit: &str, message: String) {
        self.log_line(unit, journal::Line::About(message));
    }

    fn log_line(&mut self, unit: &str, line: journal::Line) {
        let invocation_id = self
            .services
            .get(unit)
            .map(|s| s.machine.invocation_id().to_owned())
            .unwrap_or_default();
        let priority = journal::priority(&line);
        let (message, standalone) = match line {
            journal::Line::About(m) => (m, false),
            journal::Line::Sentence(m) => (m, true),
        };
        self.sink.manager(ManagerRecord {
            unit: unit.to_owned(),
            invocation_id,
            timestamp: output::now_realtime(),
            message,
            standalone,
            priority,
        });
    }

    /// The journal lines of a state change of `name`.
    fn transition_lines(&self, name: &str, t: &Transition) -> Vec<journal::Line> {
        let Some(s) = self.services.get(name) else {
            return Vec::new();
        };
        let unit = s.machine.unit();
        let label = journal::label(name, unit.unit.description.as_deref());
        journal::lines(
            t,
            journal::Context {
                label: &label,
                stopping: self.jobs.of_unit(name).any(Job::is_stop_like),
                oneshot: unit.service.service_type == crate::unit::ServiceType::Oneshot,
            },
        )
    }

    /// Passes the machines' reports on: log lines, hooks, cleanup.
    fn flush_reports(&mut self) {
        while let Some(name) = self.touched.pop_first() {
            let at = self.ran_at.remove(&name).unwrap_or_else(Instant::now);
            let reports = match self.services.get_mut(&name) {
                Some(s) => s.machine.take_reports(),
                None => continue,
            };
            for report in reports {
                match report {
                    Report::Transition(t) => {
                        let (invocation_id, activation) = self
                            .services
                            .get(&name)
                            .map(|s| (s.machine.invocation_id().to_owned(), s.activation.clone()))
                            .unwrap_or_default();
                        for line in self.transition_lines(&name, &t) {
                            self.log_line(&name, line);
                        }
                        self.transitions.push(UnitTransition {
                            unit: name.clone(),
                            invocation_id,
                            transition: t,
                            activation,
                            at,
                        });
                    }
                    Report::Message(m) => self.log_manager(&name, m),
                    Report::Abandoned(pids) => self.strays.extend(pids),
                    Report::Finished { result, restarting } => {
                        self.finished(&name, result, restarting)
                    }
                }
            }
        }
    }

    /// A cycle ended: release the run's resources, then queue the jobs
    /// that follow it (see `job_engine.rs`).
    fn finished(&mut self, name: &str, result: ServiceResult, restarting: bool) {
        let Some(s) = self.services.get_mut(name) else {
            return;
        };
        s.capture.close();
        let leftovers = std::mem::take(&mut s.procs.orphans);
        // Controllers another service's limits enabled since the run began
        // count for this one too.
        if let (Some(cg), Some(groups)) = (s.procs.cgroup.as_mut(), self.cgroups.as_ref()) {
            cg.controllers |= groups.controllers_apply(&cg.dir);
        }
        if s.procs.cgroup.is_some() || !s.procs.v1.is_empty() {
            let usage = cgroup_accounting::at_end(cgroup_accounting::Dirs {
                v2: s.procs.cgroup.as_ref(),
                v1: &s.procs.v1,
            });
            self.resources.ended.insert(name.to_owned(), usage);
        }
        let mut released = s
            .procs
            .run_environment
            .take()
            .map(|env| run_environment::release(&env, restarting))
            .unwrap_or_default();
        // systemd's exec_context_revert_tty: the terminal again after the run.
        let service = &s.machine.unit().service;
        let tty_actions = terminal::TtyActions::of(service.exec_context());
        if tty_actions.any() {
            released.extend(terminal::apply(service.tty_path(), tty_actions));
        }
        // Kept for the next run where the run ended by itself (not by a
        // stop, after which it goes at once), it is empty and nothing was
        // set in it that the next run would inherit (see
        // `ControlGroups::keep_idle`).
        let stopped = self.jobs.of_unit(name).any(Job::is_stop_like);
        let reusable = !stopped
            && s.procs.cgroup.as_ref().is_some_and(|cg| !cg.controllers)
            && s.procs.v1.is_empty()
            && s.procs.ip_counters.is_none()
            && !service.delegate
            && service.rare().sandbox.is_none()
            && s.procs.cgroup_populated() == Some(false);
        let cgroup = s.procs.cgroup.take();
        let v1 = std::mem::take(&mut s.procs.v1);
        s.procs = ProcessSet::default();
        // The v1 directories likewise, where their processes are gone.
        if !v1.is_empty() && !self.resources.v1.as_ref().is_some_and(|g| g.remove(name)) {
            s.procs.v1 = v1;
        }
        self.strays.extend(leftovers);
        edge::remove_private_tmp(&self.config.runtime_dir, name);
        // The cgroup goes once empty. Processes left behind
        // (KillMode=process or none) keep it, and the next run joins them,
        // as in systemd.
        match (cgroup, self.cgroups.as_mut()) {
            (Some(cg), Some(groups)) if reusable => groups.keep_idle(cg.dir, Instant::now()),
            (Some(cg), Some(groups)) => {
                // The kernel refuses to remove a cgroup with processes.
                if !groups.remove(&cg.dir) {
                    s.procs.cgroup = Some(cg);
                }
            }
            (cg, _) => s.procs.cgroup = cg,
        }
        let monitor = Monitor {
            unit: name.to_owned(),
            run: Some(MonitoredRun {
                result: result.as_str().to_owned(),
                exit_code: s.machine.main_exit().map(|e| e.code_name().to_owned()),
                exit_status: s.machine.main_exit().map(|e| e.status_text()),
                invocation_id: s.machine.invocation_id().to_owned(),
            }),
        };
        // The next run is Restart='s; a run a job starts gets the job's.
        if restarting {
            let first = s.activation.take();
            s.activation = Some(first.map_or(
                Activation::Restart { previous: None },
                Activation::restarted,
            ));
        }
        let unit = Arc::clone(s.machine.unit());
        self.touch(name);
        for problem in released {
            self.log_manager(name, problem);
        }
        if restarting {
            return;
        }
        self.jobs_after_run(name, result, &unit, monitor);
    }

    /// The cgroup mode: which hierarchies the services' cgroups are in.
    pub fn cgroup_mode(&self) -> cgroup::Mode {
        cgroup::Mode::of(self.cgroups.is_some(), self.resources.v1.is_some())
    }

    /// The controllers the services' limits go to: `v2:` those the v2
    /// subtree offers, `v1:` those of the writable v1 hierarchies.
    pub fn cgroup_controllers(&self) -> String {
        let v2 = self
            .delegation
            .as_ref()
            .filter(|_| self.cgroups.is_some())
            .map(|d| d.controllers.clone())
            .unwrap_or_default();
        let v1 = self.resources.v1_controllers();
        let mut parts = Vec::new();
        if !v2.is_empty() {
            parts.push(format!("v2: {}", v2.join(" ")));
        }
        if !v1.is_empty() {
            parts.push(format!("v1: {}", v1.join(" ")));
        }
        parts.join("; ")
    }

    /// How the services' processes are tracked and limited, for the
    /// daemon's start-up line: the cgroup mode, where the cgroups are, the
    /// controllers, or why there are none.
    pub fn process_tracking(&self) -> String {
        let mode = self.cgroup_mode();
        let controllers = match self.cgroup_controllers() {
            c if c.is_empty() => "none".to_owned(),
            c => c,
        };
        let v1_bases = || {
            self.resources
                .v1
                .iter()
                .flat_map(|g| g.bases())
                .map(|b| b.display().to_string())
                .collect::<Vec<_>>()
                .join(" ")
        };
        match (&self.cgroups, mode) {
            (Some(groups), cgroup::Mode::Hybrid) => format!(
                "cgroups: hybrid: each service's processes in a cgroup of its own under {} (cgroup v2), limits in cgroup v1 under {} (controllers {controllers})",
                groups.base().display(),
                v1_bases()
            ),
            (Some(groups), _) => format!(
                "cgroups: unified: each service's processes in a cgroup of its own under {} (controllers {controllers})",
                groups.base().display(),
            ),
            (None, cgroup::Mode::Legacy) => format!(
                "cgroups: legacy: services' processes tracked by the process tree (no writable cgroup v2 tree), limits in cgroup v1 under {} (controllers {controllers})",
                v1_bases()
            ),
            _ if !self.config.cgroups => {
                "cgroups: none: services' processes tracked by the process tree (SUNDIAL_CGROUPS=off)".to_owned()
            }
            _ => "cgroups: none: services' processes tracked by the process tree: no writable cgroup v2 tree or v1 controller"
                .to_owned(),
        }
    }

    /// Whether the OOM killer ended a process of `name` since the last
    /// look (its memory cgroup's count went up), looked at as a process of
    /// it ends.
    fn oom_kill_seen(&mut self, name: &str) -> bool {
        let Some(s) = self.services.get_mut(name) else {
            return false;
        };
        let Some(before) = s.procs.oom_kills else {
            return false;
        };
        let dirs = cgroup_accounting::Dirs {
            v2: s.procs.cgroup.as_ref(),
            v1: &s.procs.v1,
        };
        match cgroup_accounting::oom_kills(dirs) {
            Some(now) if now > before => {
                s.procs.oom_kills = Some(now);
                true
            }
            _ => false,
        }
    }

    /// The counters of `name`'s last run as it ended (taken once).
    pub fn ended_usage(&mut self, name: &str) -> Option<cgroup_accounting::Usage> {
        self.resources.ended.remove(name)
    }

    /// The service's cgroup counters (memory, CPU, tasks), while it has
    /// cgroups.
    pub fn usage(&self, name: &str) -> Option<cgroup_accounting::Usage> {
        let s = self.services.get(name)?;
        if s.procs.cgroup.is_none() && s.procs.v1.is_empty() {
            return None;
        }
        let mut usage = cgroup_accounting::usage(cgroup_accounting::Dirs {
            v2: s.procs.cgroup.as_ref(),
            v1: &s.procs.v1,
        });
        usage.ip = s.procs.ip_counters.as_ref().and_then(|c| c.read().ok());
        Some(usage)
    }

    /// `ControlGroup=`: the service's cgroup below the mount point, while it
    /// has one.
    pub fn control_group(&self, name: &str) -> Option<String> {
        let cg = self.services.get(name)?.procs.cgroup.as_ref()?;
        Some(self.cgroups.as_ref()?.display_path(&cg.dir))
    }

    // ---- events --------------------------------------------------------

    /// The earliest deadline of any service or job.
    pub fn next_deadline(&self) -> Option<Instant> {
        self.busy_services()
            .filter_map(|(_, s)| s.machine.deadline())
            .chain(self.next_job_deadline())
            .chain(self.cgroups.as_ref().and_then(|g| g.prune_at()))
            .min()
    }

    /// Waits for the next thing to handle. Cancel-safe, so the daemon can
    /// select on it beside its own sources.
    pub async fn next_event(&mut self) -> Event {
        let deadline = match (self.next_deadline(), self.next_scan()) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        let sleep = async {
            match deadline {
                Some(d) => tokio::time::sleep_until(tokio::time::Instant::from_std(d)).await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            biased;
            // An exec report before the exit that may follow it.
            Some(e) = self.exec_rx.recv() => Event::Exec(e),
            _ = self.sigchld.recv() => Event::ChildExited,
            msg = self.notify.recv() => match msg {
                Ok(m) => Event::Notify(m),
                Err(_) => Event::Deadline,
            },
            Some(rec) = self.log_rx.recv() => Event::Output(rec),
            pid = self.watches.next_exit() => Event::AdoptedExited(pid),
            _ = sleep => Event::Deadline,
        }
    }

    pub fn handle(&mut self, event: Event) {
        match event {
            Event::ChildExited => {
                // Datagrams sent before the exit are acted on first, as
                // systemd does: READY=1 then exit is a clean start and stop.
                while let Ok(Some(msg)) = self.notify.try_recv() {
                    self.handle_notify(msg);
                }
                while let Ok(e) = self.exec_rx.try_recv() {
                    self.handle_exec(e);
                }
                self.reap();
            }
            Event::Exec(e) => self.handle_exec(e),
            Event::Notify(msg) => self.handle_notify(msg),
            Event::Output(captured) => self.pass_on(captured),
            Event::Deadline => self.fire_deadlines(),
            Event::AdoptedExited(pid) => self.adopted_exited(pid),
        }
        self.dispatch();
    }

    /// Handles events until `done` holds or `timeout` passes; returns
    /// whether `done` held. For tests and simple embedders.
    pub async fn run_until(
        &mut self,
        timeout: Duration,
        mut done: impl FnMut(&Supervisor) -> bool,
    ) -> bool {
        let until = tokio::time::Instant::now() + timeout;
        loop {
            if done(self) {
                return true;
            }
            // SIGCHLD may have come before the handler existed or while a
            // batch was handled; a quick reap at the top makes that harmless.
            self.reap();
            self.dispatch();
            if done(self) {
                return true;
            }
            match tokio::time::timeout_at(until, self.next_event()).await {
                Ok(ev) => self.handle(ev),
                Err(_) => return done(self),
            }
        }
    }

    /// Hands over captured lines already read.
    pub fn drain_output(&mut self) {
        while let Ok(captured) = self.log_rx.try_recv() {
            self.pass_on(captured);
        }
    }

    fn pass_on(&mut self, captured: Captured) {
        match captured {
            Captured::Lines(lines) => {
                for line in lines {
                    self.sink.output(line);
                }
            }
            Captured::Suppressed(note) => self.sink.manager(note),
        }
    }

    fn handle_exec(&mut self, e: ExecEvent) {
        let now = Instant::now();
        self.with_machine(&e.unit, |m, rt| m.exec_reported(e.pid, e.report, now, rt));
    }

    fn handle_notify(&mut self, msg: NotifyMessage) {
        let Some(pid) = msg.pid else { return };
        let owner = self.owner_of(pid);
        let Some(name) = owner else { return };
        let now = Instant::now();
        let allowed = self
            .with_machine(&name, |m, rt| m.notify(pid, &msg.fields, now, rt))
            .unwrap_or(false);
        if allowed {
            self.keep_fds(&name, msg);
        }
    }

    /// `FDSTORE=1` and `FDSTOREREMOVE=1` of a datagram NotifyAccess= let
    /// in; descriptors of any other datagram are closed.
    fn keep_fds(&mut self, name: &str, msg: NotifyMessage) {
        let store = msg.fields.contains(&NotifyField::FdStore);
        let remove = msg.fields.contains(&NotifyField::FdStoreRemove);
        if !store && !remove {
            return;
        }
        let fd_name = msg.fields.iter().find_map(|f| match f {
            NotifyField::FdName(n) => Some(n.as_str()),
            _ => None,
        });
        let valid = fd_name.filter(|n| fd_store::valid_name(n));
        let max = self.services.get(name).map_or(0, |s| {
            s.machine.unit().service.rare().file_descriptor_store_max
        });
        let mut notes = Vec::new();
        let kept = self.fd_stores.entry(name.to_owned()).or_default();
        if remove {
            match valid {
                Some(n) => {
                    kept.remove(n);
                }
                None => notes.push(
                    "FDSTOREREMOVE=1 requested, but no valid file descriptor name passed, ignoring."
                        .to_owned(),
                ),
            }
        }
        if store {
            if fd_name.is_some() && valid.is_none() {
                notes.push("Passed FDNAME= name is invalid, ignoring.".to_owned());
            }
            let poll = !msg.fields.contains(&NotifyField::FdNoPoll);
            let added = kept.add(msg.fds, valid, poll, max);
            if added.over_limit > 0 {
                notes.push(format!(
                    "Cannot store more fds than FileDescriptorStoreMax={max}, closing remaining."
                ));
            }
        }
        if kept.is_empty() {
            self.fd_stores.remove(name);
        }
        for note in notes {
            self.log_manager(name, note);
        }
    }

    /// Empties the stores of services that are inactive with no job to
    /// start them again (a restart job or an automatic restart keeps them).
    pub(super) fn release_fd_stores(&mut self) {
        if self.fd_stores.is_empty() {
            return;
        }
        let idle: Vec<String> = self
            .fd_stores
            .keys()
            .filter(|name| {
                let inactive = self.services.get(name.as_str()).is_none_or(|s| {
                    matches!(
                        s.machine.state().active_state(),
                        ActiveState::Inactive | ActiveState::Failed
                    )
                });
                inactive && !self.has_job(name)
            })
            .cloned()
            .collect();
        for name in idle {
            self.fd_stores.remove(&name);
        }
    }

    fn fire_deadlines(&mut self) {
        self.refresh_ownership(ownership::SCAN_INTERVAL / 2);
        self.adopt_orphans(&[]);
        let now = Instant::now();
        let due: Vec<String> = self
            .busy_services()
            .filter(|(_, s)| s.machine.deadline().is_some_and(|d| d <= now))
            .map(|(n, _)| n.clone())
            .collect();
        for name in due {
            self.with_machine(&name, |m, rt| m.timer(now, rt));
        }
        self.fire_job_deadlines(now);
        if let Some(groups) = self.cgroups.as_mut() {
            groups.prune(now);
        }
    }
}

/// The commands of a service's current start that have ended, in systemd's
/// order (ExecCondition= first, ExecStopPost= last).
fn ended_commands(m: &ServiceMachine) -> Vec<EndedCommand> {
    let service = &m.unit().service;
    let mut runs: Vec<_> = m
        .commands_run()
        .iter()
        .filter(|r| r.exit.is_some())
        .collect();
    runs.sort_by_key(|r| (r.kind, r.index));
    runs.into_iter()
        .filter_map(|r| {
            Some(EndedCommand {
                directive: r.kind.directive(),
                pid: r.pid,
                command: r.kind.commands(service).get(r.index)?.argv.join(" "),
                exit: r.exit?,
            })
        })
        .collect()
}
