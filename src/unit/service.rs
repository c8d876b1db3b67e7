//! The typed `.service` unit.

use std::path::PathBuf;

use sundial_calendar::Timespan;

use super::exec::ExecCommand;
use super::exec_context::ExecContext;
use super::exit_status::ExitStatusSet;
use super::install::InstallSection;
use super::list::List;
use super::name::UnitName;
use super::service_process::ProcessOptions;
use super::service_stop::StopOptions;
use super::signal::Signal;
use super::source::UnitSource;
use super::sparse::Sparse;
use super::unit::UnitSection;

/// `Type=`: when a started service counts as "started".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ServiceType {
    /// Started right after fork.
    Simple,
    /// Started after a successful execve.
    Exec,
    /// Started when the ExecStart process exits successfully; the main
    /// process is the one it left behind.
    Forking,
    /// Started after the last ExecStart exits successfully.
    Oneshot,
    /// Started when the bus name appears (sundial: unsupported at run time).
    Dbus,
    /// Started on `READY=1`.
    Notify,
    /// Like notify; reload by signal (systemd 253).
    NotifyReload,
    /// Like simple, with the exec delayed until the job queue is idle.
    Idle,
}

impl ServiceType {
    /// The spellings `Type=` accepts, for messages.
    pub const EXPECTED: &'static str =
        "simple, exec, forking, oneshot, dbus, notify, notify-reload, idle";

    /// Parses a `Type=` value.
    pub fn parse(s: &str) -> Option<ServiceType> {
        Some(match s {
            "simple" => ServiceType::Simple,
            "exec" => ServiceType::Exec,
            "forking" => ServiceType::Forking,
            "oneshot" => ServiceType::Oneshot,
            "dbus" => ServiceType::Dbus,
            "notify" => ServiceType::Notify,
            "notify-reload" => ServiceType::NotifyReload,
            "idle" => ServiceType::Idle,
            _ => return None,
        })
    }
}

/// `Restart=`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum RestartPolicy {
    /// `no` (default).
    #[default]
    No,
    /// `always`.
    Always,
    /// `on-success`.
    OnSuccess,
    /// `on-failure`.
    OnFailure,
    /// `on-abnormal`.
    OnAbnormal,
    /// `on-abort`.
    OnAbort,
    /// `on-watchdog`.
    OnWatchdog,
}

impl RestartPolicy {
    /// The spellings `Restart=` accepts, for messages.
    pub const EXPECTED: &'static str =
        "no, always, on-success, on-failure, on-abnormal, on-abort, on-watchdog";

    /// Parses a `Restart=` value.
    pub fn parse(s: &str) -> Option<RestartPolicy> {
        Some(match s {
            "no" => RestartPolicy::No,
            "always" => RestartPolicy::Always,
            "on-success" => RestartPolicy::OnSuccess,
            "on-failure" => RestartPolicy::OnFailure,
            "on-abnormal" => RestartPolicy::OnAbnormal,
            "on-abort" => RestartPolicy::OnAbort,
            "on-watchdog" => RestartPolicy::OnWatchdog,
            _ => return None,
        })
    }
}

/// `KillMode=`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum KillMode {
    /// `control-group` (default): every process of the service.
    #[default]
    ControlGroup,
    /// `mixed`: KillSignal to the main process, SIGKILL to all.
    Mixed,
    /// `process`: the main process only.
    Process,
    /// `none`: nothing is killed (deprecated).
    None,
}

impl KillMode {
    /// The spellings `KillMode=` accepts, for messages.
    pub const EXPECTED: &'static str = "control-group, mixed, process, none";

    /// Parses a `KillMode=` value.
    pub fn parse(s: &str) -> Option<KillMode> {
        Some(match s {
            "control-group" => KillMode::ControlGroup,
            "mixed" => KillMode::Mixed,
            "process" => KillMode::Process,
            "none" => KillMode::None,
            _ => return None,
        })
    }
}

/// `NotifyAccess=`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NotifyAccess {
    /// `none`
    None,
    /// `main`
    Main,
    /// `exec`
    Exec,
    /// `all`
    All,
}

impl NotifyAccess {
    /// The spellings `NotifyAccess=` accepts, for messages.
    pub const EXPECTED: &'static str = "none, main, exec, all";

    /// Parses a `NotifyAccess=` value.
    pub fn parse(s: &str) -> Option<NotifyAccess> {
        Some(match s {
            "none" => NotifyAccess::None,
            "main" => NotifyAccess::Main,
            "exec" => NotifyAccess::Exec,
            "all" => NotifyAccess::All,
            _ => return None,
        })
    }
}

/// `WorkingDirectory=`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkingDirectory {
    /// The directory; `None` means `~`, the home of User=.
    pub path: Option<PathBuf>,
    /// `-` prefix: a missing directory is not an error.
    pub missing_ok: bool,
}

/// One `EnvironmentFile=` entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnvironmentFile {
    /// Absolute path, possibly a glob.
    pub path: PathBuf,
    /// `-` prefix: a missing file is silently ignored.
    pub optional: bool,
}

/// `StandardInput=`. `fd:NAME` is not supported: it is reported at load
/// time and read as `null`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum StandardInput {
    /// `null` (default).
    #[default]
    Null,
    /// `tty`: the terminal of TTYPath=, as controlling terminal if it is free.
    Tty,
    /// `tty-force`: the terminal, taken from its controlling process.
    TtyForce,
    /// `tty-fail`: the terminal; the command fails if it is controlled.
    TtyFail,
    /// `data`: the bytes of StandardInputText=/StandardInputData=.
    Data,
    /// `file:PATH`
    File(PathBuf),
    /// `socket`: the connection an Accept=yes socket accepted (the main
    /// command only; the others read /dev/null, as in systemd).
    Socket,
}

impl StandardInput {
    /// `tty`, `tty-force` or `tty-fail`.
    pub fn is_terminal(&self) -> bool {
        matches!(
            self,
            StandardInput::Tty | StandardInput::TtyForce | StandardInput::TtyFail
        )
    }
}

/// systemd's TTYPath= default.
pub const DEFAULT_TTY_PATH: &str = "/dev/console";

/// `StandardOutput=` / `StandardError=`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StandardOutput {
    /// `inherit`: stdout from stdin's target, stderr from stdout's.
    Inherit,
    /// `null`
    Null,
    /// `tty`
    Tty,
    /// `journal` (also `syslog`): sundial captures the lines into its store.
    Journal,
    /// `kmsg`
    Kmsg,
    /// `journal+console` (also `syslog+console`)
    JournalConsole,
    /// `kmsg+console`
    KmsgConsole,
    /// `file:PATH`: opened without truncation, written from the start.
    File(PathBuf),
    /// `append:PATH`
    Append(PathBuf),
    /// `truncate:PATH`
    Truncate(PathBuf),
    /// `socket`
    Socket,
    /// `fd:NAME`
    Fd(String),
}

/// `OOMPolicy=` (systemd.service(5)): when the kernel's OOM killer ends a
/// process of the service, `stop` stops the whole unit (result `oom-kill`),
/// `kill` has the OOM killer end every process of the cgroup (the unit goes
/// down with result `oom-kill` as its processes end), `continue` lets the
/// rest run (only logged).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum OomPolicy {
    Continue,
    #[default]
    Stop,
    Kill,
}

impl OomPolicy {
    pub const EXPECTED: &'static str = "continue, stop, kill";

    pub fn parse(s: &str) -> Option<OomPolicy> {
        Some(match s {
            "continue" => OomPolicy::Continue,
            "stop" => OomPolicy::Stop,
            "kill" => OomPolicy::Kill,
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            OomPolicy::Continue => "continue",
            OomPolicy::Stop => "stop",
            OomPolicy::Kill => "kill",
        }
    }
}

/// A limit that may be absolute, relative to physical memory or the system
/// maximum, or infinite (MemoryMax=, TasksMax=).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Limit {
    /// An absolute value (bytes or tasks).
    Absolute(u64),
    /// Per ten thousand of the total (`50%` = 5000).
    Permyriad(u32),
    /// `infinity`
    Infinity,
}

/// The `Limit*=` resources.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Resource {
    /// `LimitCPU=` (seconds)
    Cpu,
    /// `LimitFSIZE=`
    Fsize,
    /// `LimitDATA=`
    Data,
    /// `LimitSTACK=`
    Stack,
    /// `LimitCORE=`
    Core,
    /// `LimitRSS=`
    Rss,
    /// `LimitNOFILE=`
    Nofile,
    /// `LimitAS=`
    As,
    /// `LimitNPROC=`
    Nproc,
    /// `LimitMEMLOCK=`
    Memlock,
    /// `LimitLOCKS=`
    Locks,
    /// `LimitSIGPENDING=`
    Sigpending,
    /// `LimitMSGQUEUE=`
    Msgqueue,
    /// `LimitNICE=`
    Nice,
    /// `LimitRTPRIO=`
    Rtprio,
    /// `LimitRTTIME=` (microseconds)
    Rttime,
}

impl Resource {
    /// The resource a `Limit…=` key names.
    pub fn from_key(key: &str) -> Option<Resource> {
        Some(match key.strip_prefix("Limit")? {
            "CPU" => Resource::Cpu,
            "FSIZE" => Resource::Fsize,
            "DATA" => Resource::Data,
            "STACK" => Resource::Stack,
            "CORE" => Resource::Core,
            "RSS" => Resource::Rss,
            "NOFILE" => Resource::Nofile,
            "AS" => Resource::As,
            "NPROC" => Resource::Nproc,
            "MEMLOCK" => Resource::Memlock,
            "LOCKS" => Resource::Locks,
            "SIGPENDING" => Resource::Sigpending,
            "MSGQUEUE" => Resource::Msgqueue,
            "NICE" => Resource::Nice,
            "RTPRIO" => Resource::Rtprio,
            "RTTIME" => Resource::Rttime,
            _ => return None,
        })
    }
}

/// A soft and hard `rlimit`; `None` is `infinity`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ResourceLimit {
    /// The resource.
    pub resource: Resource,
    /// Soft limit.
    pub soft: Option<u64>,
    /// Hard limit.
    pub hard: Option<u64>,
}

/// The `[Service]` section.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceSection {
    /// `Type=`, with systemd's default resolved: `simple` when ExecStart= is
    /// set, `oneshot` otherwise.
    pub service_type: ServiceType,
    /// `RemainAfterExit=` (default no).
    pub remain_after_exit: bool,
    /// `GuessMainPID=` (default yes).
    pub guess_main_pid: bool,
    /// `PIDFile=`
    pub pid_file: Option<PathBuf>,
    /// `ExecCondition=`
    pub exec_condition: List<ExecCommand>,
    /// `ExecStartPre=`
    pub exec_start_pre: List<ExecCommand>,
    /// `ExecStart=`
    pub exec_start: List<ExecCommand>,
    /// `ExecStartPost=`
    pub exec_start_post: List<ExecCommand>,
    /// `ExecReload=`
    pub exec_reload: List<ExecCommand>,
    /// `Restart=` (default no).
    pub restart: RestartPolicy,
    /// `TimeoutStartSec=` (or `TimeoutSec=`); `None` = the manager default,
    /// 90 s, or infinity for oneshot. `0` is stored as infinity.
    pub timeout_start: Option<Timespan>,
    /// How the service is stopped and when it counts as ended well
    /// (`ExecStop=`, `KillMode=`, the signals and timeouts,
    /// `SuccessExitStatus=`, `RestartSec=` ...): one pointer while all are
    /// at their defaults.
    pub stop: Sparse<StopOptions>,
    /// `Environment=`: assignments in order; a later one for the same name
    /// wins. `$` is not special here.
    pub environment: List<(String, String)>,
    /// How the processes are started (`User=`, `WorkingDirectory=`, the
    /// limits, standard input and output ...): one pointer while all are at
    /// their defaults.
    pub process: Sparse<ProcessOptions>,
    /// `NotifyAccess=`; `None` = `main` for notify services, `none` otherwise.
    pub notify_access: Option<NotifyAccess>,
    /// `Slice=`: the slice whose cgroup the service's goes in (nested by
    /// the dashes of its name, `a-b.slice` in `a.slice`); `None`: directly
    /// in the daemon's subtree.
    pub slice: Option<super::name::UnitName>,
    /// `Delegate=`: the service manages its own cgroup subtree. sundial
    /// never touches cgroups below a service's, so that holds for every
    /// service; with `User=`, a delegated service's cgroups are also handed
    /// to that user (see `supervisor::cgroup::delegate_to`). Controllers are
    /// not enabled below it.
    pub delegate: bool,
    /// The options a typical service leaves unset, in one box: `None` when
    /// all are unset. Read them with [`ServiceSection::rare`].
    pub rare: Option<Box<RareServiceOptions>>,
    /// The controllers `Delegate=` names (all of them for `yes`), in
    /// systemd's order ([`CGROUP_CONTROLLERS`]).
    pub delegate_controllers: List<&'static str>,
}

/// The `[Service]` options a typical service leaves unset (exit statuses
/// that force or prevent a restart, the cgroup resource limits,
/// RootDirectory=, SyslogIdentifier=): boxed apart, so that a service that
/// sets none of them (most of the 100,000 a daemon may hold) costs a pointer
/// for them, not about 300 bytes.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RareServiceOptions {
    /// `RestartPreventExitStatus=`
    pub restart_prevent_exit_status: ExitStatusSet,
    /// `RestartForceExitStatus=`
    pub restart_force_exit_status: ExitStatusSet,
    /// `RootDirectory=`
    pub root_directory: Option<PathBuf>,
    /// `SyslogIdentifier=`
    pub syslog_identifier: Option<String>,
    /// `MemoryMax=`
    pub memory_max: Option<Limit>,
    /// `MemoryLimit=` (the cgroup v1 spelling).
    pub memory_limit: Option<Limit>,
    /// `CPUQuota=` in per ten thousand of one CPU (`50%` = 5000).
    pub cpu_quota: Option<u32>,
    /// `TasksMax=`
    pub tasks_max: Option<Limit>,
    /// `MemoryHigh=`
    pub memory_high: Option<Limit>,
    /// `MemorySwapMax=`
    pub memory_swap_max: Option<Limit>,
    /// `CPUQuotaPeriodSec=` in microseconds; `None`: systemd's 100 ms.
    pub cpu_quota_period_usec: Option<u64>,
    /// `CPUWeight=` (1-10000).
    pub cpu_weight: Option<u64>,
    /// `CPUShares=` (2-262144, the cgroup v1 spelling).
    pub cpu_shares: Option<u64>,
    /// `IOWeight=` (1-10000).
    pub io_weight: Option<u64>,
    /// The sandboxing directives (`PrivateTmp=`, `SystemCallFilter=`, ...).
    pub sandbox: Option<Box<super::sandbox::Sandbox>>,
    /// Directories, credentials, privileges and scheduling
    /// ([`ExecContext`]), boxed again: `None` for a service that sets none
    /// of them.
    pub exec_context: Option<Box<ExecContext>>,
    /// `RestartKillSignal=`: the stop signal when the stop is a restart
    /// job's; `None`: KillSignal=.
    pub restart_kill_signal: Option<Signal>,
    /// `Sockets=`: socket units whose descriptors the service gets besides
    /// those that name it (Wants= and After= on them are implied).
    pub sockets: Vec<UnitName>,
    /// `FileDescriptorStoreMax=`: how many descriptors the service may keep
    /// with the daemon (sd_notify's `FDSTORE=1`); 0 (the default): none.
    pub file_descriptor_store_max: u32,
    /// `X-Sundial-Cluster=` (sundial's): `singleton` runs the service on
    /// one node of the cluster at a time.
    pub cluster: super::extensions::ClusterMode,
}

/// Every option of [`RareServiceOptions`] unset.
static NO_RARE_OPTIONS: RareServiceOptions = RareServiceOptions {
    restart_prevent_exit_status: ExitStatusSet::EMPTY,
    restart_force_exit_status: ExitStatusSet::EMPTY,
    root_directory: None,
    syslog_identifier: None,
    memory_max: None,
    memory_limit: None,
    cpu_quota: None,
    tasks_max: None,
    memory_high: None,
    memory_swap_max: None,
    cpu_quota_period_usec: None,
    cpu_weight: None,
    cpu_shares: None,
    io_weight: None,
    sandbox: None,
    exec_context: None,
    restart_kill_signal: None,
    sockets: Vec::new(),
    file_descriptor_store_max: 0,
    cluster: super::extensions::ClusterMode::Local,
};

/// The cgroup controllers systemd 252 knows, in its order
/// (`cgroup_controller_table`): what `Delegate=` may name.
pub const CGROUP_CONTROLLERS: [&str; 13] = [
    "cpu",
    "cpuacct",
    "cpuset",
    "io",
    "blkio",
    "memory",
    "devices",
    "pids",
    "bpf-firewall",
    "bpf-devices",
    "bpf-foreign",
    "bpf-socket-bind",
    "bpf-restrict-network-interfaces",
];

impl Default for ServiceSection {
    fn default() -> ServiceSection {
        ServiceSection {
            service_type: ServiceType::Simple,
            remain_after_exit: false,
            guess_main_pid: true,
            pid_file: None,
            exec_condition: List::new(),
            exec_start_pre: List::new(),
            exec_start: List::new(),
            exec_start_post: List::new(),
            exec_reload: List::new(),
            restart: RestartPolicy::No,
            timeout_start: None,
            stop: Sparse::new(),
            environment: List::new(),
            process: Sparse::new(),
            notify_access: None,
            slice: None,
            delegate: false,
            delegate_controllers: List::new(),
            rare: None,
        }
    }
}

impl ServiceSection {
    /// Cuts every list to its length, the commands' argument lists included.
    pub fn shrink_to_fit(&mut self) {
        for commands in [
            &mut self.exec_condition,
            &mut self.exec_start_pre,
            &mut self.exec_start,
            &mut self.exec_start_post,
            &mut self.exec_reload,
        ] {
            commands.shrink_to_fit();
            for command in commands {
                command.argv.shrink_to_fit();
            }
        }
        self.environment.shrink_to_fit();
        self.stop.compact();
        if self.stop.is_boxed() {
            self.stop.shrink_to_fit();
        }
        self.process.compact();
        if self.process.is_boxed() {
            self.process.shrink_to_fit();
        }
        if self.rare.as_deref() == Some(&NO_RARE_OPTIONS) {
            self.rare = None;
        }
    }

    /// The rarely set options ([`RareServiceOptions`]), all unset when none
    /// was given.
    pub fn rare(&self) -> &RareServiceOptions {
        self.rare.as_deref().unwrap_or(&NO_RARE_OPTIONS)
    }

    /// The execution-environment directives ([`ExecContext`]), their
    /// defaults when none was given.
    pub fn exec_context(&self) -> &ExecContext {
        static DEFAULT: ExecContext = ExecContext::DEFAULT;
        self.rare().exec_context.as_deref().unwrap_or(&DEFAULT)
    }

    /// The execution-environment directives, to set one.
    pub fn exec_context_mut(&mut self) -> &mut ExecContext {
        self.rare_mut()
            .exec_context
            .get_or_insert_with(Box::default)
    }

    /// The rarely set options, to set one (their box is made on the first).
    pub fn rare_mut(&mut self) -> &mut RareServiceOptions {
        self.rare.get_or_insert_with(Box::default)
    }

    /// The start timeout with defaults applied: `default` (the manager's
    /// DefaultTimeoutStartSec=, 90 s) unless set, infinity for oneshot.
    pub fn timeout_start_or(&self, default: Timespan) -> Timespan {
        match self.timeout_start {
            Some(t) => t,
            None if self.service_type == ServiceType::Oneshot => Timespan::INFINITY,
            None => default,
        }
    }

    /// The stop timeout with the manager's default applied.
    pub fn timeout_stop_or(&self, default: Timespan) -> Timespan {
        self.stop.timeout_stop.unwrap_or(default)
    }

    /// The terminal of StandardInput=tty and StandardOutput=tty.
    pub fn tty_path(&self) -> &std::path::Path {
        self.process
            .tty_path
            .as_deref()
            .unwrap_or(std::path::Path::new(DEFAULT_TTY_PATH))
    }

    /// The value of the environment variable `name` after all `Environment=`
    /// assignments (the last one wins).
    pub fn environment_value(&self, name: &str) -> Option<&str> {
        self.environment
            .iter()
            .rev()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// A loaded, validated `.service` unit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceUnit {
    /// The unit's name.
    pub name: UnitName,
    /// Where it was loaded from.
    pub source: UnitSource,
    /// `[Unit]`.
    pub unit: UnitSection,
    /// `[Service]`.
    pub service: ServiceSection,
    /// `[Install]`.
    pub install: InstallSection,
}
