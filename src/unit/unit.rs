//! The `[Unit]` section, shared by every unit type.

use sundial_calendar::Timespan;

use super::dependencies::Dependencies;
use super::list::List;
use super::name::UnitName;
use super::sparse::Sparse;
use super::unit_options::UnitOptions;

/// What a `Condition*=`/`Assert*=` directive checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ConditionKind {
    /// `…PathExists=`
    PathExists,
    /// `…PathExistsGlob=`
    PathExistsGlob,
    /// `…PathIsDirectory=`
    PathIsDirectory,
    /// `…PathIsSymbolicLink=`
    PathIsSymbolicLink,
    /// `…PathIsMountPoint=`
    PathIsMountPoint,
    /// `…PathIsReadWrite=`
    PathIsReadWrite,
    /// `…DirectoryNotEmpty=`
    DirectoryNotEmpty,
    /// `…FileNotEmpty=`
    FileNotEmpty,
    /// `…FileIsExecutable=`
    FileIsExecutable,
    /// `…User=`: a user name, UID, or `@system`.
    User,
    /// `…Group=`: a group name or GID.
    Group,
    /// `…Environment=`: `NAME` or `NAME=value` in the manager's environment.
    Environment,
    /// `…Capability=`: a capability in the daemon's bounding set.
    Capability,
    /// `…Virtualization=`: a boolean, `vm`, `container` or a technology.
    Virtualization,
    /// `…KernelCommandLine=`: a word or `key=value` of /proc/cmdline.
    KernelCommandLine,
    /// `…ACPower=`: a boolean, whether the machine is on mains power.
    ACPower,
    /// `…Security=`: `selinux`, `apparmor`, `smack`, `tomoyo`, `ima`,
    /// `audit`, `uefi-secureboot`, `tpm2`, `cvm`.
    Security,
    /// `…FirstBoot=`: a boolean; /etc/machine-id missing or uninitialized.
    FirstBoot,
    /// `…NeedsUpdate=`: `/etc` or `/var` older than /usr.
    NeedsUpdate,
    /// `…Memory=`: a comparison with the machine's memory (`>=4G`).
    Memory,
    /// `…CPUs=`: a comparison with the CPUs the daemon may use.
    CPUs,
    /// `…OSRelease=`: `KEY=value` comparisons with /etc/os-release.
    OSRelease,
    /// `…Credential=`: a credential the daemon was given.
    Credential,
    /// `…Architecture=`: the machine's architecture in systemd's names.
    Architecture,
    /// `…Host=`: the host name (a glob) or machine id.
    Host,
    /// `…KernelVersion=`: comparisons with the kernel's release.
    KernelVersion,
}

impl ConditionKind {
    /// The kind named by the part after `Condition`/`Assert`.
    pub fn from_suffix(s: &str) -> Option<ConditionKind> {
        Some(match s {
            "PathExists" => ConditionKind::PathExists,
            "PathExistsGlob" => ConditionKind::PathExistsGlob,
            "PathIsDirectory" => ConditionKind::PathIsDirectory,
            "PathIsSymbolicLink" => ConditionKind::PathIsSymbolicLink,
            "PathIsMountPoint" => ConditionKind::PathIsMountPoint,
            "PathIsReadWrite" => ConditionKind::PathIsReadWrite,
            "DirectoryNotEmpty" => ConditionKind::DirectoryNotEmpty,
            "FileNotEmpty" => ConditionKind::FileNotEmpty,
            "FileIsExecutable" => ConditionKind::FileIsExecutable,
            "User" => ConditionKind::User,
            "Group" => ConditionKind::Group,
            "Environment" => ConditionKind::Environment,
            "Capability" => ConditionKind::Capability,
            "Virtualization" => ConditionKind::Virtualization,
            "KernelCommandLine" => ConditionKind::KernelCommandLine,
            "ACPower" => ConditionKind::ACPower,
            "Security" => ConditionKind::Security,
            "FirstBoot" => ConditionKind::FirstBoot,
            "NeedsUpdate" => ConditionKind::NeedsUpdate,
            "Memory" => ConditionKind::Memory,
            "CPUs" => ConditionKind::CPUs,
            "OSRelease" => ConditionKind::OSRelease,
            "Credential" => ConditionKind::Credential,
            "Architecture" => ConditionKind::Architecture,
            "Host" => ConditionKind::Host,
            "KernelVersion" => ConditionKind::KernelVersion,
            _ => return None,
        })
    }

    /// Whether the value must be an absolute path.
    pub fn takes_path(self) -> bool {
        matches!(
            self,
            ConditionKind::PathExists
                | ConditionKind::PathExistsGlob
                | ConditionKind::PathIsDirectory
                | ConditionKind::PathIsSymbolicLink
                | ConditionKind::PathIsMountPoint
                | ConditionKind::PathIsReadWrite
                | ConditionKind::DirectoryNotEmpty
                | ConditionKind::FileNotEmpty
                | ConditionKind::FileIsExecutable
                | ConditionKind::NeedsUpdate
        )
    }
}

/// One `Condition*=` or `Assert*=` check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Condition {
    /// What is checked.
    pub kind: ConditionKind,
    /// `|` prefix: a triggering condition (at least one of them must hold).
    pub trigger: bool,
    /// `!` prefix: the check is negated.
    pub negate: bool,
    /// The path, user, group or variable, specifiers expanded.
    pub value: String,
}

/// `CollectMode=`: when a transient unit that ran is unloaded. Units with a
/// file of their own stay loaded whatever it says: sundial unloads only what
/// `sundial run` made.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum CollectMode {
    /// `inactive` (the default): once it is inactive; a failed unit stays
    /// until `reset-failed`.
    #[default]
    Inactive,
    /// `inactive-or-failed`: once it is inactive or failed.
    InactiveOrFailed,
}

impl CollectMode {
    /// The mode named `s`, as the directive spells it.
    pub fn parse(s: &str) -> Option<CollectMode> {
        match s {
            "inactive" => Some(CollectMode::Inactive),
            "inactive-or-failed" => Some(CollectMode::InactiveOrFailed),
            _ => None,
        }
    }
}

/// `SuccessAction=`: what systemd's manager does when the unit succeeds
/// (systemd 252's emergency actions). sundial reads it so that units which
/// have nothing but it (systemd-reboot.service) load as in systemd; it does
/// not carry the action out.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum EmergencyAction {
    /// `none` (the default).
    #[default]
    None,
    /// `reboot`
    Reboot,
    /// `reboot-force`
    RebootForce,
    /// `reboot-immediate`
    RebootImmediate,
    /// `poweroff`
    Poweroff,
    /// `poweroff-force`
    PoweroffForce,
    /// `poweroff-immediate`
    PoweroffImmediate,
    /// `exit`
    Exit,
    /// `exit-force`
    ExitForce,
}

impl EmergencyAction {
    /// The spellings systemd 252 accepts, in its order.
    pub const NAMES: &'static str = "none, reboot, reboot-force, reboot-immediate, poweroff, \
                                     poweroff-force, poweroff-immediate, exit, exit-force";

    /// Whether it acts on the machine (reboot, power off) rather than on
    /// the daemon.
    pub fn is_machine(self) -> bool {
        !matches!(
            self,
            EmergencyAction::None | EmergencyAction::Exit | EmergencyAction::ExitForce
        )
    }

    /// Whether it powers off rather than reboots (machine actions only).
    pub fn powers_off(self) -> bool {
        matches!(
            self,
            EmergencyAction::Poweroff
                | EmergencyAction::PoweroffForce
                | EmergencyAction::PoweroffImmediate
        )
    }

    /// systemd's spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            EmergencyAction::None => "none",
            EmergencyAction::Reboot => "reboot",
            EmergencyAction::RebootForce => "reboot-force",
            EmergencyAction::RebootImmediate => "reboot-immediate",
            EmergencyAction::Poweroff => "poweroff",
            EmergencyAction::PoweroffForce => "poweroff-force",
            EmergencyAction::PoweroffImmediate => "poweroff-immediate",
            EmergencyAction::Exit => "exit",
            EmergencyAction::ExitForce => "exit-force",
        }
    }

    /// Why a unit with these actions may not start under a daemon that is
    /// process `pid`: a reboot or power-off is carried out only by a
    /// daemon that is PID 1 (of the machine or of a container's PID
    /// namespace); elsewhere the start is refused rather than run with
    /// its action ignored.
    pub fn refusal(section: &UnitSection, pid: u32) -> Option<String> {
        if pid == 1 {
            return None;
        }
        [
            ("SuccessAction", section.options.success_action),
            ("FailureAction", section.options.failure_action),
        ]
        .into_iter()
        .find(|(_, a)| a.is_machine())
        .map(|(key, a)| {
            format!(
                "{key}={} would {} the machine; sundial carries that out only as PID 1 (it is process {pid})",
                a.as_str(),
                if a.powers_off() { "power off" } else { "reboot" }
            )
        })
    }

    /// The action named `s`.
    pub fn parse(s: &str) -> Option<EmergencyAction> {
        Some(match s {
            "none" => EmergencyAction::None,
            "reboot" => EmergencyAction::Reboot,
            "reboot-force" => EmergencyAction::RebootForce,
            "reboot-immediate" => EmergencyAction::RebootImmediate,
            "poweroff" => EmergencyAction::Poweroff,
            "poweroff-force" => EmergencyAction::PoweroffForce,
            "poweroff-immediate" => EmergencyAction::PoweroffImmediate,
            "exit" => EmergencyAction::Exit,
            "exit-force" => EmergencyAction::ExitForce,
            _ => return None,
        })
    }

    /// Whether a user manager can do it (systemd: `none`, `exit`,
    /// `exit-force`); a user unit asking for more gets `exit-force`.
    pub fn allowed_for_user(self) -> bool {
        matches!(
            self,
            EmergencyAction::None | EmergencyAction::Exit | EmergencyAction::ExitForce
        )
    }
}

/// The `[Unit]` section (its lists are [`List`]s: most are empty).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnitSection {
    /// `Description=`
    pub description: Option<String>,
    /// `Requires=` ... `OnSuccess=`: one pointer while all are empty.
    pub dependencies: Sparse<Dependencies>,
    /// The other options (`Documentation=`, the conditions and asserts,
    /// `DefaultDependencies=`, `RefuseManualStart=`, the actions ...): one
    /// pointer while all are at their defaults.
    pub options: Sparse<UnitOptions>,
    /// `StartLimitIntervalSec=` (also the legacy `StartLimitInterval=`);
    /// `None` = the manager's default (10 s). Zero disables the limit.
    pub start_limit_interval: Option<Timespan>,
    /// `StartLimitBurst=`; `None` = the manager's default (5).
    pub start_limit_burst: Option<u32>,
    /// The job settings (`PropagatesReloadTo=`, `JobTimeoutSec=` ...),
    /// boxed: most units set none of them.
    pub jobs: Option<Box<JobSettings>>,
}

/// The rarely set job settings of a `[Unit]` section.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobSettings {
    /// `PropagatesReloadTo=`: a reload of this unit reloads these (the
    /// active ones).
    pub propagates_reload_to: List<UnitName>,
    /// `ReloadPropagatedFrom=`: a reload of one of these reloads this unit
    /// (when it is active).
    pub reload_propagated_from: List<UnitName>,
    /// `JobTimeoutSec=`: a job not done this long after it was queued is
    /// cancelled with result `timeout`; infinity (the default) never.
    pub job_timeout: Timespan,
    /// `JobRunningTimeoutSec=`: the same, counted from when the job began
    /// to run.
    pub job_running_timeout: Timespan,
    /// `JobTimeoutAction=`: only `none` is carried out (sundial neither
    /// reboots nor powers off); another value is kept and warned about.
    pub job_timeout_action: EmergencyAction,
}

impl JobSettings {
    /// Nothing set: no propagation, no job timeouts.
    pub const DEFAULT: JobSettings = JobSettings {
        propagates_reload_to: List::new(),
        reload_propagated_from: List::new(),
        job_timeout: Timespan::INFINITY,
        job_running_timeout: Timespan::INFINITY,
        job_timeout_action: EmergencyAction::None,
    };
}

impl Default for JobSettings {
    fn default() -> JobSettings {
        JobSettings::DEFAULT
    }
}

impl UnitSection {
    /// The job settings, the defaults when none was set.
    pub fn jobs(&self) -> &JobSettings {
        static NONE: JobSettings = JobSettings::DEFAULT;
        self.jobs.as_deref().unwrap_or(&NONE)
    }

    /// The job settings to set one.
    pub fn jobs_mut(&mut self) -> &mut JobSettings {
        self.jobs.get_or_insert_with(Box::default)
    }

    /// Cuts every list to its length: a loaded unit is kept for the
    /// daemon's life, and a list grown by one push holds room for four.
    pub fn shrink_to_fit(&mut self) {
        self.dependencies.compact();
        if self.dependencies.is_boxed() {
            self.dependencies.shrink_to_fit();
        }
        self.options.compact();
        if self.options.is_boxed() {
            self.options.shrink_to_fit();
        }
    }
}

impl Default for UnitSection {
    fn default() -> UnitSection {
        UnitSection {
            description: None,
            dependencies: Sparse::new(),
            options: Sparse::new(),
            start_limit_interval: None,
            start_limit_burst: None,
            jobs: None,
        }
    }
}
