//! The sandboxing directives of `[Service]` (systemd.exec's "Sandboxing" and
//! "System Call Filtering"): parsed here, applied by the supervisor
//! (`supervisor::namespaces` builds the mount plan, `supervisor::seccomp`
//! the filters).

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use super::device_access::{parse_device_allow, DeviceAllow, DevicePolicy};
use super::diag::ValueError;
use super::directives::DirectiveCx;
use super::exec::split_words;
use super::ip_address::{parse_prefixes, IpPrefix};
use super::socket_bind::{apply_interfaces, parse_socket_bind, InterfaceList, SocketBindRule};
use super::syscall_groups;
use super::values::{check_abs_path, parse_bool};

/// `ProtectSystem=`
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ProtectSystem {
    #[default]
    No,
    /// /usr, /boot, /efi read-only.
    Yes,
    /// And /etc.
    Full,
    /// The whole tree but /dev, /proc, /sys.
    Strict,
}

/// `ProtectHome=`
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ProtectHome {
    #[default]
    No,
    /// /home, /root, /run/user inaccessible.
    Yes,
    ReadOnly,
    /// Empty read-only tmpfs over them.
    Tmpfs,
}

/// `ProtectProc=`: the `hidepid=` of a new /proc.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ProtectProc {
    #[default]
    Default,
    Noaccess,
    Invisible,
    Ptraceable,
}

impl ProtectProc {
    /// The kernel's `hidepid=` value.
    pub fn hidepid(self) -> Option<&'static str> {
        match self {
            ProtectProc::Default => None,
            ProtectProc::Noaccess => Some("noaccess"),
            ProtectProc::Invisible => Some("invisible"),
            ProtectProc::Ptraceable => Some("ptraceable"),
        }
    }
}

/// A path of `ReadWritePaths=`, `ReadOnlyPaths=`, `InaccessiblePaths=`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SandboxPath {
    pub path: PathBuf,
    /// `-`: a missing path is skipped.
    pub ignore_missing: bool,
    /// `+`: relative to `RootDirectory=`.
    pub in_root: bool,
}

/// One `BindPaths=`/`BindReadOnlyPaths=` entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BindPath {
    pub source: PathBuf,
    pub destination: PathBuf,
    /// `-`: a missing source is skipped.
    pub ignore_missing: bool,
    /// `rbind` (the default) rather than `norbind`.
    pub recursive: bool,
    pub read_only: bool,
}

/// One `TemporaryFileSystem=` entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TemporaryFileSystem {
    pub path: PathBuf,
    /// The mount options after the `:` (`ro`, `mode=0755`, ...).
    pub options: String,
}

/// What a system call matched by a filter gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FilterAction {
    /// systemd's default: the process is killed (SIGSYS).
    Kill,
    /// Allowed, but logged by the kernel's audit.
    Log,
    Errno(i32),
}

/// `SystemCallFilter=` (and `SystemCallLog=`) after all its lines: single
/// system calls, groups already expanded, each with the error number its
/// `name:ERRNO` entry gave.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SyscallFilter {
    /// Only the listed calls are allowed; otherwise the listed ones are
    /// denied.
    pub allow_list: bool,
    pub calls: BTreeMap<String, Option<i32>>,
}

/// `RestrictAddressFamilies=` after all its lines.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AddressFamilies {
    pub allow_list: bool,
    pub families: BTreeSet<i32>,
}

/// Every sandboxing directive of a service. Boxed in the service (most set
/// none).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Sandbox {
    pub private_tmp: bool,
    pub private_devices: bool,
    pub private_network: bool,
    pub private_ipc: bool,
    pub private_mounts: bool,
    pub protect_system: ProtectSystem,
    pub protect_home: ProtectHome,
    pub read_write_paths: Vec<SandboxPath>,
    pub read_only_paths: Vec<SandboxPath>,
    pub inaccessible_paths: Vec<SandboxPath>,
    pub temporary_file_systems: Vec<TemporaryFileSystem>,
    pub bind_paths: Vec<BindPath>,
    pub protect_kernel_tunables: bool,
    pub protect_kernel_modules: bool,
    pub protect_kernel_logs: bool,
    pub protect_control_groups: bool,
    pub protect_clock: bool,
    pub protect_hostname: bool,
    pub protect_proc: ProtectProc,
    /// `ProcSubset=pid`.
    pub proc_subset_pid: bool,
    pub system_call_filter: Option<SyscallFilter>,
    /// `SystemCallErrorNumber=`; `None`: kill.
    pub system_call_error_number: Option<FilterAction>,
    /// `SystemCallArchitectures=native` (the only one sundial filters by).
    pub system_call_architectures_native: bool,
    pub system_call_log: Option<SyscallFilter>,
    pub restrict_address_families: Option<AddressFamilies>,
    /// `RestrictNamespaces=`: the `CLONE_NEW*` flags still allowed;
    /// `None`: no restriction.
    pub restrict_namespaces: Option<u64>,
    pub restrict_realtime: bool,
    pub restrict_suid_sgid: bool,
    pub lock_personality: bool,
    pub memory_deny_write_execute: bool,
    /// `PrivateUsers=`
    pub private_users: bool,
    /// `DevicePolicy=`
    pub device_policy: DevicePolicy,
    /// `DeviceAllow=`, in order.
    pub device_allow: Vec<DeviceAllow>,
    /// `IPAddressAllow=`, in order.
    pub ip_address_allow: Vec<IpPrefix>,
    /// `IPAddressDeny=`, in order.
    pub ip_address_deny: Vec<IpPrefix>,
    /// `IPAccounting=`
    pub ip_accounting: bool,
    /// `SocketBindAllow=`, in order.
    pub socket_bind_allow: Vec<SocketBindRule>,
    /// `SocketBindDeny=`, in order.
    pub socket_bind_deny: Vec<SocketBindRule>,
    /// `RestrictNetworkInterfaces=`; `None`: no restriction.
    pub restrict_network_interfaces: Option<InterfaceList>,
}

/// The namespace names of `RestrictNamespaces=` with their clone flags.
pub const NAMESPACES: [(&str, u64); 7] = [
    ("cgroup", libc::CLONE_NEWCGROUP as u64),
    ("ipc", libc::CLONE_NEWIPC as u64),
    ("net", libc::CLONE_NEWNET as u64),
    ("mnt", libc::CLONE_NEWNS as u64),
    ("pid", libc::CLONE_NEWPID as u64),
    ("user", libc::CLONE_NEWUSER as u64),
    ("uts", libc::CLONE_NEWUTS as u64),
];

/// Every flag of [`NAMESPACES`].
pub const ALL_NAMESPACES: u64 = {
    let mut all = 0;
    let mut i = 0;
    while i < NAMESPACES.len() {
        all |= NAMESPACES[i].1;
        i += 1;
    }
    all
};

impl Sandbox {
    /// Whether the service's commands need a mount namespace.
    pub fn mounts(&self, root_directory: Option<&std::path::Path>) -> bool {
        self.private_tmp
            || self.private_devices
            || self.private_mounts
            || self.protect_system != ProtectSystem::No
            || self.protect_home != ProtectHome::No
            || !self.read_write_paths.is_empty()
            || !self.read_only_paths.is_empty()
            || !self.inaccessible_paths.is_empty()
            || !self.temporary_file_systems.is_empty()
            || !self.bind_paths.is_empty()
            || self.protect_kernel_tunables
            || self.protect_kernel_modules
            || self.protect_kernel_logs
            || self.protect_control_groups
            || self.protect_proc != ProtectProc::Default
            || self.proc_subset_pid
            || root_directory.is_some()
    }
}

/// The directives [`apply`] takes.
pub const KEYS: &[&str] = &[
    "PrivateTmp",
    "PrivateDevices",
    "PrivateNetwork",
    "PrivateIPC",
    "PrivateMounts",
    "ProtectKernelTunables",
    "ProtectKernelModules",
    "ProtectKernelLogs",
    "ProtectControlGroups",
    "ProtectClock",
    "ProtectHostname",
    "RestrictRealtime",
    "RestrictSUIDSGID",
    "LockPersonality",
    "MemoryDenyWriteExecute",
    "ProtectSystem",
    "ProtectHome",
    "ProtectProc",
    "ProcSubset",
    "ReadWritePaths",
    "ReadWriteDirectories",
    "ReadOnlyPaths",
    "ReadOnlyDirectories",
    "InaccessiblePaths",
    "InaccessibleDirectories",
    "TemporaryFileSystem",
    "BindPaths",
    "BindReadOnlyPaths",
    "SystemCallFilter",
    "SystemCallLog",
    "SystemCallErrorNumber",
    "SystemCallArchitectures",
    "RestrictAddressFamilies",
    "RestrictNamespaces",
    "DevicePolicy",
    "DeviceAllow",
    "PrivateUsers",
    "IPAddressAllow",
    "IPAddressDeny",
    "IPAccounting",
    "SocketBindAllow",
    "SocketBindDeny",
    "RestrictNetworkInterfaces",
];

/// Applies a sandboxing directive; `false` when `key` is not one.
pub fn apply(sb: &mut Sandbox, cx: &mut DirectiveCx<'_>, value: &str) -> bool {
    let flag = |cx: &mut DirectiveCx<'_>, slot: &mut bool| {
        if let Some(b) = cx.bool(value) {
            *slot = b;
        }
    };
    match cx.key {
        "PrivateTmp" => flag(cx, &mut sb.private_tmp),
        "PrivateDevices" => flag(cx, &mut sb.private_devices),
        "PrivateNetwork" => flag(cx, &mut sb.private_network),
        "PrivateIPC" => flag(cx, &mut sb.private_ipc),
        "PrivateMounts" => flag(cx, &mut sb.private_mounts),
        "PrivateUsers" => flag(cx, &mut sb.private_users),
        "ProtectKernelTunables" => flag(cx, &mut sb.protect_kernel_tunables),
        "ProtectKernelModules" => flag(cx, &mut sb.protect_kernel_modules),
        "ProtectKernelLogs" => flag(cx, &mut sb.protect_kernel_logs),
        "ProtectControlGroups" => flag(cx, &mut sb.protect_control_groups),
        "ProtectClock" => flag(cx, &mut sb.protect_clock),
        "ProtectHostname" => flag(cx, &mut sb.protect_hostname),
        "RestrictRealtime" => flag(cx, &mut sb.restrict_realtime),
        "RestrictSUIDSGID" => flag(cx, &mut sb.restrict_suid_sgid),
        "LockPersonality" => flag(cx, &mut sb.lock_personality),
        "MemoryDenyWriteExecute" => flag(cx, &mut sb.memory_deny_write_execute),
        "ProtectSystem" => match (parse_bool(value), value) {
            (Ok(b), _) => {
                sb.protect_system = [ProtectSystem::No, ProtectSystem::Yes][usize::from(b)]
            }
            (_, "full") => sb.protect_system = ProtectSystem::Full,
            (_, "strict") => sb.protect_system = ProtectSystem::Strict,
            _ => cx.warn(enum_error(value, "yes, no, full, strict")),
        },
        "ProtectHome" => match (parse_bool(value), value) {
            (Ok(b), _) => sb.protect_home = [ProtectHome::No, ProtectHome::Yes][usize::from(b)],
            (_, "read-only") => sb.protect_home = ProtectHome::ReadOnly,
            (_, "tmpfs") => sb.protect_home = ProtectHome::Tmpfs,
            _ => cx.warn(enum_error(value, "yes, no, read-only, tmpfs")),
        },
        "ProtectProc" => match value {
            "default" => sb.protect_proc = ProtectProc::Default,
            "noaccess" => sb.protect_proc = ProtectProc::Noaccess,
            "invisible" => sb.protect_proc = ProtectProc::Invisible,
            "ptraceable" => sb.protect_proc = ProtectProc::Ptraceable,
            _ => cx.warn(enum_error(
                value,
                "default, noaccess, invisible, ptraceable",
            )),
        },
        "ProcSubset" => match value {
            "all" => sb.proc_subset_pid = false,
            "pid" => sb.proc_subset_pid = true,
            _ => cx.warn(enum_error(value, "all, pid")),
        },
        "ReadWritePaths" | "ReadWriteDirectories" => paths(cx, &mut sb.read_write_paths, value),
        "ReadOnlyPaths" | "ReadOnlyDirectories" => paths(cx, &mut sb.read_only_paths, value),
        "InaccessiblePaths" | "InaccessibleDirectories" => {
            paths(cx, &mut sb.inaccessible_paths, value)
        }
        "TemporaryFileSystem" => temporary_file_systems(cx, sb, value),
        "BindPaths" => bind_paths(cx, sb, value, false),
        "BindReadOnlyPaths" => bind_paths(cx, sb, value, true),
        "SystemCallFilter" => syscall_filter(cx, &mut sb.system_call_filter, value, true),
        "SystemCallLog" => syscall_filter(cx, &mut sb.system_call_log, value, false),
        "SystemCallErrorNumber" => match parse_filter_action(value) {
            Ok(a) => sb.system_call_error_number = a,
            Err(e) => cx.warn(e),
        },
        "SystemCallArchitectures" => system_call_architectures(cx, sb, value),
        "RestrictAddressFamilies" => address_families(cx, sb, value),
        "RestrictNamespaces" => restrict_namespaces(cx, sb, value),
        "DevicePolicy" => match DevicePolicy::parse(value) {
            Some(p) => sb.device_policy = p,
            None => cx.warn(enum_error(value, DevicePolicy::EXPECTED)),
        },
        "DeviceAllow" => match parse_device_allow(value) {
            Ok(Some(entry)) => sb.device_allow.push(entry),
            Ok(None) => sb.device_allow.clear(),
            Err(e) => cx.warn(e),
        },
        "IPAddressAllow" => ip_prefixes(cx, &mut sb.ip_address_allow, value),
        "IPAddressDeny" => ip_prefixes(cx, &mut sb.ip_address_deny, value),
        "IPAccounting" => flag(cx, &mut sb.ip_accounting),
        "SocketBindAllow" => socket_bind(cx, &mut sb.socket_bind_allow, value),
        "SocketBindDeny" => socket_bind(cx, &mut sb.socket_bind_deny, value),
        "RestrictNetworkInterfaces" => {
            let errors = apply_interfaces(&mut sb.restrict_network_interfaces, value);
            cx.warn_all(errors.into_iter().map(ValueError::from).collect());
        }
        _ => return false,
    }
    true
}

/// An `IPAddressAllow=`/`IPAddressDeny=` line: its prefixes added to the
/// list, an empty value resets it; each bad word is warned about.
fn ip_prefixes(cx: &mut DirectiveCx<'_>, list: &mut Vec<IpPrefix>, value: &str) {
    if value.trim().is_empty() {
        list.clear();
        return;
    }
    let Some(value) = cx.expand(value) else {
        return;
    };
    let (prefixes, errors) = parse_prefixes(&value);
    list.extend(prefixes);
    cx.warn_all(errors.into_iter().map(ValueError::from).collect());
}

/// A `SocketBindAllow=`/`SocketBindDeny=` line: one rule added, an empty
/// value resets the list.
fn socket_bind(cx: &mut DirectiveCx<'_>, list: &mut Vec<SocketBindRule>, value: &str) {
    match parse_socket_bind(value) {
        Ok(Some(rule)) => list.push(rule),
        Ok(None) => list.clear(),
        Err(e) => cx.warn(e.into()),
    }
}

fn enum_error(value: &str, expected: &'static str) -> ValueError {
    ValueError::Enum {
        value: value.to_owned(),
        expected,
    }
}

/// The words of a list value, specifiers expanded; warns on a quoting error.
fn words(cx: &mut DirectiveCx<'_>, value: &str) -> Vec<String> {
    match split_words(value) {
        Ok((w, _)) => w.iter().filter_map(|w| cx.expand(w)).collect(),
        Err(e) => {
            cx.warn(e.into());
            Vec::new()
        }
    }
}

fn paths(cx: &mut DirectiveCx<'_>, list: &mut Vec<SandboxPath>, value: &str) {
    if value.is_empty() {
        list.clear();
        return;
    }
    for word in words(cx, value) {
        let mut rest = word.as_str();
        let ignore_missing = rest.starts_with('-');
        rest = rest.strip_prefix('-').unwrap_or(rest);
        let in_root = rest.starts_with('+');
        rest = rest.strip_prefix('+').unwrap_or(rest);
        match check_abs_path(rest) {
            Ok(path) => list.push(SandboxPath {
                path,
                ignore_missing,
                in_root,
            }),
            Err(e) => cx.warn(e),
        }
    }
}

fn temporary_file_systems(cx: &mut DirectiveCx<'_>, sb: &mut Sandbox, value: &str) {
    if value.is_empty() {
        sb.temporary_file_systems.clear();
        return;
    }
    for word in words(cx, value) {
        let (path, options) = word.split_once(':').unwrap_or((&word, ""));
        match check_abs_path(path) {
            Ok(path) => sb.temporary_file_systems.push(TemporaryFileSystem {
                path,
                options: options.to_owned(),
            }),
            Err(e) => cx.warn(e),
        }
    }
}

fn bind_paths(cx: &mut DirectiveCx<'_>, sb: &mut Sandbox, value: &str, read_only: bool) {
    if value.is_empty() {
        sb.bind_paths.retain(|b| b.read_only != read_only);
        return;
    }
    for word in words(cx, value) {
        let ignore_missing = word.starts_with('-');
        let word = word.strip_prefix('-').unwrap_or(&word);
        let mut parts = word.splitn(3, ':');
        let source = parts.next().unwrap_or_default();
        let destination = parts.next().unwrap_or(source);
        let recursive = match parts.next() {
            None | Some("") | Some("rbind") => true,
            Some("norbind") => false,
            Some(other) => {
                cx.warn(ValueError::Invalid(format!(
                    "invalid bind mount option '{other}', expected rbind or norbind"
                )));
                continue;
            }
        };
        match (check_abs_path(source), check_abs_path(destination)) {
            (Ok(source), Ok(destination)) => sb.bind_paths.push(BindPath {
                source,
                destination,
                ignore_missing,
                recursive,
                read_only,
            }),
            (Err(e), _) | (_, Err(e)) => cx.warn(e),
        }
    }
}

/// `SystemCallFilter=` as systemd merges its lines: the first decides
/// between an allow list (plain) and a deny list (`~`); later lines add to
/// the list when they share its sign and take out of it otherwise; an
/// empty value resets. An allow list always lets `@default` through.
fn syscall_filter(
    cx: &mut DirectiveCx<'_>,
    slot: &mut Option<SyscallFilter>,
    value: &str,
    with_errno: bool,
) {
    if value.is_empty() {
        *slot = None;
        return;
    }
    let (invert, list) = match value.strip_prefix('~') {
        Some(rest) => (true, rest),
        None => (false, value),
    };
    let known: Vec<&'static str> = syscall_groups::known().iter().map(|(n, _)| *n).collect();
    let filter = slot.get_or_insert_with(|| {
        let mut f = SyscallFilter {
            allow_list: !invert,
            calls: BTreeMap::new(),
        };
        if f.allow_list && with_errno {
            for call in syscall_groups::expand("@default", &known).unwrap_or_default() {
                f.calls.insert(call, None);
            }
        }
        f
    });
    let add = filter.allow_list != invert;
    for word in words(cx, list) {
        let (name, errno) = match word.split_once(':') {
            Some((name, e)) if with_errno && !invert => {
                cx.warn(ValueError::Invalid(format!(
                    "'{name}:{e}': an error number is only allowed in a ~ deny list"
                )));
                continue;
            }
            Some((name, e)) if with_errno => match parse_errno(e) {
                Ok(n) => (name.to_owned(), Some(n)),
                Err(err) => {
                    cx.warn(err);
                    continue;
                }
            },
            _ => (word.clone(), None),
        };
        let Some(calls) = syscall_groups::expand(&name, &known) else {
            cx.warn(ValueError::Invalid(format!(
                "unknown system call group '{name}', ignoring"
            )));
            continue;
        };
        if !name.starts_with('@') && !known.is_empty() && !known.contains(&name.as_str()) {
            cx.warn(ValueError::Invalid(format!(
                "unknown system call '{name}', ignoring"
            )));
            continue;
        }
        for call in calls {
            if add {
                filter.calls.insert(call, errno);
            } else {
                filter.calls.remove(&call);
            }
        }
    }
}

/// `SystemCallErrorNumber=`: an errno name or number, `kill` or `log`.
fn parse_filter_action(value: &str) -> Result<Option<FilterAction>, ValueError> {
    match value {
        "" => Ok(None),
        "kill" => Ok(Some(FilterAction::Kill)),
        "log" => Ok(Some(FilterAction::Log)),
        _ => parse_errno(value).map(|n| Some(FilterAction::Errno(n))),
    }
}

/// An error number by name (`EPERM`) or number (1-4095).
pub fn parse_errno(value: &str) -> Result<i32, ValueError> {
    if let Ok(n) = value.parse::<i32>() {
        return if (0..=4095).contains(&n) {
            Ok(n)
        } else {
            Err(ValueError::Invalid(format!(
                "error number '{value}' out of range"
            )))
        };
    }
    ERRNO_NAMES
        .iter()
        .find(|(name, _)| *name == value)
        .map(|(_, n)| *n)
        .ok_or_else(|| ValueError::Invalid(format!("unknown error number '{value}'")))
}

/// The error names a unit may give, with their numbers.
pub const ERRNO_NAMES: &[(&str, i32)] = &[
    ("EPERM", libc::EPERM),
    ("ENOENT", libc::ENOENT),
    ("ESRCH", libc::ESRCH),
    ("EINTR", libc::EINTR),
    ("EIO", libc::EIO),
    ("ENXIO", libc::ENXIO),
    ("E2BIG", libc::E2BIG),
    ("ENOEXEC", libc::ENOEXEC),
    ("EBADF", libc::EBADF),
    ("ECHILD", libc::ECHILD),
    ("EAGAIN", libc::EAGAIN),
    ("ENOMEM", libc::ENOMEM),
    ("EACCES", libc::EACCES),
    ("EFAULT", libc::EFAULT),
    ("EBUSY", libc::EBUSY),
    ("EEXIST", libc::EEXIST),
    ("EXDEV", libc::EXDEV),
    ("ENODEV", libc::ENODEV),
    ("ENOTDIR", libc::ENOTDIR),
    ("EISDIR", libc::EISDIR),
    ("EINVAL", libc::EINVAL),
    ("ENFILE", libc::ENFILE),
    ("EMFILE", libc::EMFILE),
    ("ENOTTY", libc::ENOTTY),
    ("ETXTBSY", libc::ETXTBSY),
    ("EFBIG", libc::EFBIG),
    ("ENOSPC", libc::ENOSPC),
    ("ESPIPE", libc::ESPIPE),
    ("EROFS", libc::EROFS),
    ("EMLINK", libc::EMLINK),
    ("EPIPE", libc::EPIPE),
    ("EDOM", libc::EDOM),
    ("ERANGE", libc::ERANGE),
    ("ENOSYS", libc::ENOSYS),
    ("ENOTSUP", libc::ENOTSUP),
    ("EOPNOTSUPP", libc::EOPNOTSUPP),
    ("EAFNOSUPPORT", libc::EAFNOSUPPORT),
    ("EPROTONOSUPPORT", libc::EPROTONOSUPPORT),
    ("ECONNREFUSED", libc::ECONNREFUSED),
    ("ENETUNREACH", libc::ENETUNREACH),
    ("ENOTCONN", libc::ENOTCONN),
    ("ETIMEDOUT", libc::ETIMEDOUT),
    ("ECANCELED", libc::ECANCELED),
    ("EOWNERDEAD", libc::EOWNERDEAD),
    ("EDQUOT", libc::EDQUOT),
    ("ENOMSG", libc::ENOMSG),
    ("ENODATA", libc::ENODATA),
    ("EUCLEAN", libc::EUCLEAN),
];

fn system_call_architectures(cx: &mut DirectiveCx<'_>, sb: &mut Sandbox, value: &str) {
    if value.is_empty() {
        sb.system_call_architectures_native = false;
        return;
    }
    for word in words(cx, value) {
        match word.as_str() {
            "native" => sb.system_call_architectures_native = true,
            "x86-64" if cfg!(target_arch = "x86_64") => sb.system_call_architectures_native = true,
            other => cx.warn(ValueError::Invalid(format!(
                "architecture '{other}': sundial filters by the native architecture only; \
                 its system calls are refused"
            ))),
        }
    }
}

/// The `AF_*` names `RestrictAddressFamilies=` takes.
pub const ADDRESS_FAMILIES: &[(&str, i32)] = &[
    ("AF_UNIX", libc::AF_UNIX),
    ("AF_LOCAL", libc::AF_LOCAL),
    ("AF_INET", libc::AF_INET),
    ("AF_INET6", libc::AF_INET6),
    ("AF_NETLINK", libc::AF_NETLINK),
    ("AF_PACKET", libc::AF_PACKET),
    ("AF_BLUETOOTH", libc::AF_BLUETOOTH),
    ("AF_ALG", libc::AF_ALG),
    ("AF_VSOCK", libc::AF_VSOCK),
    ("AF_CAN", libc::AF_CAN),
    ("AF_X25", libc::AF_X25),
    ("AF_AX25", libc::AF_AX25),
    ("AF_APPLETALK", libc::AF_APPLETALK),
    ("AF_IPX", libc::AF_IPX),
    ("AF_KEY", libc::AF_KEY),
    ("AF_TIPC", libc::AF_TIPC),
    ("AF_XDP", libc::AF_XDP),
    ("AF_NFC", libc::AF_NFC),
    ("AF_RDS", libc::AF_RDS),
    ("AF_SMC", 43),
    ("AF_QIPCRTR", 42),
];

/// `RestrictAddressFamilies=`: `none`, a list (allowed) or `~list`
/// (denied); lines merge as `SystemCallFilter=`'s do.
fn address_families(cx: &mut DirectiveCx<'_>, sb: &mut Sandbox, value: &str) {
    if value.is_empty() {
        sb.restrict_address_families = None;
        return;
    }
    if value == "none" {
        sb.restrict_address_families = Some(AddressFamilies {
            allow_list: true,
            families: BTreeSet::new(),
        });
        return;
    }
    let (invert, list) = match value.strip_prefix('~') {
        Some(rest) => (true, rest),
        None => (false, value),
    };
    let set = sb
        .restrict_address_families
        .get_or_insert_with(|| AddressFamilies {
            allow_list: !invert,
            families: BTreeSet::new(),
        });
    let add = set.allow_list != invert;
    for word in words(cx, list) {
        match ADDRESS_FAMILIES.iter().find(|(n, _)| *n == word) {
            Some((_, af)) if add => {
                set.families.insert(*af);
            }
            Some((_, af)) => {
                set.families.remove(af);
            }
            None => cx.warn(ValueError::Invalid(format!(
                "unknown address family '{word}', ignoring"
            ))),
        }
    }
}

/// `RestrictNamespaces=`: a boolean, a list of the namespaces allowed, or
/// `~list` of those refused.
fn restrict_namespaces(cx: &mut DirectiveCx<'_>, sb: &mut Sandbox, value: &str) {
    if value.is_empty() {
        sb.restrict_namespaces = None;
        return;
    }
    if let Ok(b) = parse_bool(value) {
        sb.restrict_namespaces = b.then_some(0);
        return;
    }
    let (invert, list) = match value.strip_prefix('~') {
        Some(rest) => (true, rest),
        None => (false, value),
    };
    let mut flags = 0;
    for word in words(cx, list) {
        match NAMESPACES.iter().find(|(n, _)| *n == word) {
            Some((_, f)) => flags |= f,
            None => cx.warn(ValueError::Invalid(format!(
                "unknown namespace type '{word}', ignoring"
            ))),
        }
    }
    let allowed = sb
        .restrict_namespaces
        .unwrap_or(if invert { ALL_NAMESPACES } else { 0 });
    sb.restrict_namespaces = Some(if invert {
        allowed & !flags
    } else {
        allowed | flags
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::unit::test_text::service_unit;

    fn sandbox(lines: &str) -> Sandbox {
        let u = service_unit(&format!("ExecStart=/bin/true\n{lines}"));
        u.service
            .rare()
            .sandbox
            .as_deref()
            .cloned()
            .unwrap_or_default()
    }

    #[test]
    fn file_system_directives() {
        let sb = sandbox(
            "PrivateTmp=yes\nProtectSystem=strict\nProtectHome=read-only\n\
             ReadWritePaths=/srv/a -/srv/b +/srv/c\nInaccessiblePaths=/x\n\
             TemporaryFileSystem=/var:ro\nBindPaths=-/a:/b:norbind /c\nBindReadOnlyPaths=/d",
        );
        assert!(sb.private_tmp);
        assert_eq!(sb.protect_system, ProtectSystem::Strict);
        assert_eq!(sb.protect_home, ProtectHome::ReadOnly);
        let rw: Vec<_> = sb
            .read_write_paths
            .iter()
            .map(|p| (p.path.to_str().unwrap_or(""), p.ignore_missing, p.in_root))
            .collect();
        assert_eq!(
            rw,
            [
                ("/srv/a", false, false),
                ("/srv/b", true, false),
                ("/srv/c", false, true)
            ]
        );
        assert_eq!(sb.inaccessible_paths.len(), 1);
        assert_eq!(sb.temporary_file_systems[0].options, "ro");
        assert_eq!(sb.bind_paths.len(), 3);
        assert!(sb.bind_paths[0].ignore_missing && !sb.bind_paths[0].recursive);
        assert_eq!(sb.bind_paths[1].destination, PathBuf::from("/c"));
        assert!(sb.bind_paths[2].read_only);
        assert!(sb.mounts(None));
        assert_eq!(
            sandbox("ProtectSystem=yes").protect_system,
            ProtectSystem::Yes
        );
        assert_eq!(
            sandbox("ProtectSystem=full").protect_system,
            ProtectSystem::Full
        );
        assert!(!sandbox("ProtectHostname=yes").mounts(None));
        // An empty assignment resets a list.
        assert!(sandbox("ReadOnlyPaths=/a\nReadOnlyPaths=")
            .read_only_paths
            .is_empty());
    }

    #[test]
    fn system_call_filters_merge_as_systemd_does() {
        let sb = sandbox(
            "SystemCallFilter=~@mount\nSystemCallFilter=~reboot:EIO\nSystemCallFilter=umount2",
        );
        let f = sb.system_call_filter.expect("set");
        assert!(!f.allow_list);
        assert_eq!(f.calls.get("mount"), Some(&None));
        assert_eq!(f.calls.get("reboot"), Some(&Some(libc::EIO)));
        // A plain name in a deny list takes it out.
        assert!(!f.calls.contains_key("umount2"));
        let sb = sandbox("SystemCallFilter=@basic-io\nSystemCallFilter=~write");
        let f = sb.system_call_filter.expect("set");
        assert!(f.allow_list);
        // @default comes with an allow list.
        assert!(f.calls.contains_key("read") && f.calls.contains_key("execve"));
        assert!(!f.calls.contains_key("write"));
        assert!(sandbox("SystemCallFilter=~@mount\nSystemCallFilter=")
            .system_call_filter
            .is_none());
    }

    #[test]
    fn error_numbers_families_and_namespaces() {
        assert_eq!(
            sandbox("SystemCallErrorNumber=EPERM").system_call_error_number,
            Some(FilterAction::Errno(libc::EPERM))
        );
        assert_eq!(
            sandbox("SystemCallErrorNumber=38").system_call_error_number,
            Some(FilterAction::Errno(38))
        );
        assert_eq!(
            sandbox("SystemCallErrorNumber=kill").system_call_error_number,
            Some(FilterAction::Kill)
        );
        assert!(parse_errno("ENOPE").is_err() && parse_errno("5000").is_err());
        let af =
            sandbox("RestrictAddressFamilies=AF_UNIX AF_INET\nRestrictAddressFamilies=~AF_INET")
                .restrict_address_families
                .expect("set");
        assert!(af.allow_list);
        assert_eq!(
            af.families.iter().copied().collect::<Vec<_>>(),
            [libc::AF_UNIX]
        );
        let af = sandbox("RestrictAddressFamilies=none").restrict_address_families;
        assert_eq!(
            af.map(|a| (a.allow_list, a.families.len())),
            Some((true, 0))
        );
        assert_eq!(
            sandbox("RestrictNamespaces=yes").restrict_namespaces,
            Some(0)
        );
        assert_eq!(sandbox("RestrictNamespaces=no").restrict_namespaces, None);
        assert_eq!(
            sandbox("RestrictNamespaces=net uts").restrict_namespaces,
            Some((libc::CLONE_NEWNET | libc::CLONE_NEWUTS) as u64)
        );
        assert_eq!(
            sandbox("RestrictNamespaces=~user").restrict_namespaces,
            Some(ALL_NAMESPACES & !(libc::CLONE_NEWUSER as u64))
        );
        assert_eq!(
            sandbox("ProtectProc=invisible\nProcSubset=pid")
                .protect_proc
                .hidepid(),
            Some("invisible")
        );
    }
}
