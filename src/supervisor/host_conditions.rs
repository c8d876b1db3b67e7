//! The `Condition*=`/`Assert*=` checks about the host rather than a path:
//! Capability, Virtualization, KernelCommandLine, ACPower, Security,
//! FirstBoot, NeedsUpdate, Memory, CPUs, OSRelease, Credential,
//! Architecture, Host, KernelVersion (systemd 252's condition.c).
//!
//! The rules are pure functions of what a [`Host`] tells; [`HostFacts`]
//! reads the real machine.

use std::cmp::Ordering;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use crate::unit::ConditionKind;

/// What the host conditions look at.
pub trait Host {
    /// The daemon's capability bounding set.
    fn bounding_set(&self) -> u64;
    /// /proc/cmdline.
    fn kernel_command_line(&self) -> String;
    /// The virtualization detected: `None`, or (`vm`|`container`, name).
    fn virtualization(&self) -> Option<(&'static str, String)>;
    /// Power supplies as (type, online): `("Mains", true)` ...
    fn power_supplies(&self) -> Vec<(String, bool)>;
    /// Whether a security technology (`selinux` ...) is present.
    fn security(&self, name: &str) -> bool;
    /// /etc/machine-id's contents, `None` when missing.
    fn machine_id(&self) -> Option<String>;
    /// A file's modification time.
    fn mtime(&self, path: &Path) -> Option<SystemTime>;
    /// Physical memory in bytes.
    fn memory(&self) -> u64;
    /// CPUs the daemon may run on.
    fn cpus(&self) -> u64;
    /// os-release's fields.
    fn os_release(&self) -> Vec<(String, String)>;
    /// The daemon's `$CREDENTIALS_DIRECTORY`.
    fn credentials_directory(&self) -> Option<PathBuf>;
    /// The host name.
    fn hostname(&self) -> String;
    /// The kernel's release (`uname -r`).
    fn kernel_release(&self) -> String;
}

/// Whether the condition of `kind` with `value` holds (before `!`).
pub fn holds(kind: ConditionKind, value: &str, host: &dyn Host) -> bool {
    match kind {
        ConditionKind::Capability => crate::unit::exec_context::capability_number(value)
            .is_some_and(|n| host.bounding_set() & (1 << n) != 0),
        ConditionKind::Virtualization => virtualization(value, host.virtualization()),
        ConditionKind::KernelCommandLine => kernel_command_line(value, &host.kernel_command_line()),
        ConditionKind::ACPower => {
            let wanted = crate::unit::values::parse_bool(value).unwrap_or(true);
            on_ac_power(&host.power_supplies()) == wanted
        }
        ConditionKind::Security => host.security(value),
        ConditionKind::FirstBoot => {
            let wanted = crate::unit::values::parse_bool(value).unwrap_or(true);
            let first = host
                .machine_id()
                .is_none_or(|id| matches!(id.trim(), "" | "uninitialized"));
            first == wanted
        }
        ConditionKind::NeedsUpdate => {
            // systemd: /usr newer than the directory's .updated stamp.
            let Some(usr) = host.mtime(Path::new("/usr")) else {
                return false;
            };
            match host.mtime(&Path::new(value).join(".updated")) {
                Some(stamp) => usr > stamp,
                None => true,
            }
        }
        ConditionKind::Memory => compare_number(value, host.memory(), true),
        ConditionKind::CPUs => compare_number(value, host.cpus(), false),
        ConditionKind::OSRelease => os_release(value, &host.os_release()),
        ConditionKind::Credential => {
            crate::unit::exec_context::valid_credential_name(value)
                && host
                    .credentials_directory()
                    .is_some_and(|d| d.join(value).is_file())
        }
        ConditionKind::Architecture => {
            value == "native" || value == architecture(std::env::consts::ARCH)
        }
        ConditionKind::Host => {
            let name = host.hostname();
            let id = host.machine_id().unwrap_or_default();
            glob_match(value, &name) || (!id.trim().is_empty() && value == id.trim())
        }
        ConditionKind::KernelVersion => kernel_version(value, &host.kernel_release()),
        // The path, user and environment kinds are conditions.rs's.
        _ => false,
    }
}

/// systemd's `Virtualization=`: a boolean (any at all), `vm`,
/// `container`, or the technology's name.
fn virtualization(value: &str, found: Option<(&'static str, String)>) -> bool {
    match crate::unit::values::parse_bool(value) {
        Ok(b) => found.is_some() == b,
        Err(_) => found.is_some_and(|(class, name)| value == class || value == name),
    }
}

/// `word` matches an item equal to it or starting with `word=`;
/// `key=value` matches that item only.
fn kernel_command_line(value: &str, cmdline: &str) -> bool {
    cmdline.split_whitespace().any(|item| {
        item == value || (!value.contains('=') && item.starts_with(&format!("{value}=")))
    })
}

/// systemd's `on_ac_power`: on mains when a mains supply is online, or
/// when there is no mains supply to ask at all.
fn on_ac_power(supplies: &[(String, bool)]) -> bool {
    let mains: Vec<bool> = supplies
        .iter()
        .filter(|(ty, _)| ty == "Mains")
        .map(|(_, online)| *online)
        .collect();
    mains.is_empty() || mains.iter().any(|on| *on)
}

/// An operator at the start of `value` (`>=` before `>`), default `>=`
/// for numbers and `=` for versions.
fn operator<'v>(value: &'v str, default: &'static str) -> (&'static str, &'v str) {
    for op in ["<=", ">=", "!=", "<", ">", "="] {
        if let Some(rest) = value.strip_prefix(op) {
            return (op, rest.trim_start());
        }
    }
    (default, value)
}

fn order_holds(op: &str, ord: Ordering) -> bool {
    match op {
        "<" => ord == Ordering::Less,
        "<=" => ord != Ordering::Greater,
        "=" => ord == Ordering::Equal,
        "!=" => ord != Ordering::Equal,
        ">" => ord == Ordering::Greater,
        _ => ord != Ordering::Less,
    }
}

/// `>=4G`, `<8`: sizes in powers of 1024 for memory.
fn compare_number(value: &str, actual: u64, size: bool) -> bool {
    let (op, rest) = operator(value.trim(), ">=");
    let wanted = if size {
        crate::unit::values::parse_size(rest).ok()
    } else {
        rest.parse().ok()
    };
    wanted.is_some_and(|w| order_holds(op, actual.cmp(&w)))
}

/// `ID=debian VERSION_ID>=12`: every comparison must hold; `=`/`!=`
/// compare strings, the others versions.
fn os_release(value: &str, fields: &[(String, String)]) -> bool {
    value.split_whitespace().all(|item| {
        let Some(pos) = item.find(['<', '>', '=', '!']) else {
            return false;
        };
        let (key, rest) = item.split_at(pos);
        let (op, wanted) = operator(rest, "=");
        let actual = fields
            .iter()
            .find(|(k, _)| k == key)
            .map_or("", |(_, v)| v.as_str());
        match op {
            "=" => actual == wanted,
            "!=" => actual != wanted,
            _ => order_holds(op, version_cmp(actual, wanted)),
        }
    })
}

/// `>=5.10`, `6.1.0-13-amd64` (a glob without an operator, as systemd).
fn kernel_version(value: &str, release: &str) -> bool {
    value.split_whitespace().all(|item| {
        if item.starts_with(['<', '>', '=', '!']) {
            let (op, wanted) = operator(item, "=");
            order_holds(op, version_cmp(release, wanted))
        } else {
            glob_match(item, release)
        }
    })
}

/// Versions compared as systemd's `strverscmp_improved` does for common
/// cases: runs of digits as numbers, other characters in order.
pub fn version_cmp(a: &str, b: &str) -> Ordering {
    let parts = |s: &str| -> Vec<(bool, String)> {
        let mut out: Vec<(bool, String)> = Vec::new();
        for c in s.chars() {
            let digit = c.is_ascii_digit();
            match out.last_mut() {
                Some((d, run)) if *d == digit && digit => run.push(c),
                _ => out.push((digit, c.to_string())),
            }
        }
        out
    };
    let (pa, pb) = (parts(a), parts(b));
    for (x, y) in pa.iter().zip(&pb) {
        let ord = match (x, y) {
            ((true, m), (true, n)) => {
                let (m, n) = (m.trim_start_matches('0'), n.trim_start_matches('0'));
                m.len().cmp(&n.len()).then_with(|| m.cmp(n))
            }
            ((false, m), (false, n)) => m.cmp(n),
            // A number sorts after a separator.
            ((true, _), (false, _)) => Ordering::Greater,
            ((false, _), (true, _)) => Ordering::Less,
        };
        if ord != Ordering::Equal {
            return ord;
        }
    }
    pa.len().cmp(&pb.len())
}

/// fnmatch(3) without flags: `*`, `?`, and literal characters.
fn glob_match(pattern: &str, text: &str) -> bool {
    fn go(p: &[char], t: &[char]) -> bool {
        match p.split_first() {
            None => t.is_empty(),
            Some(('*', rest)) => (0..=t.len()).any(|i| go(rest, &t[i..])),
            Some(('?', rest)) => !t.is_empty() && go(rest, &t[1..]),
            Some((c, rest)) => t.first() == Some(c) && go(rest, &t[1..]),
        }
    }
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = text.chars().collect();
    go(&p, &t)
}

/// systemd's architecture names for Rust's.
fn architecture(rust: &str) -> &str {
    match rust {
        "x86_64" => "x86-64",
        "aarch64" => "arm64",
        "powerpc64" => {
            if cfg!(target_endian = "little") {
                "ppc64-le"
            } else {
                "ppc64"
            }
        }
        "mips64" => "mips64",
        other => other,
    }
}

/// The real machine.
#[derive(Debug, Clone, Copy, Default)]
pub struct HostFacts;

impl HostFacts {
    pub fn read() -> HostFacts {
        HostFacts
    }
}

fn read(path: &str) -> String {
    std::fs::read_to_string(path).unwrap_or_default()
}

impl Host for HostFacts {
    fn bounding_set(&self) -> u64 {
        read("/proc/self/status")
            .lines()
            .find_map(|l| l.strip_prefix("CapBnd:"))
            .and_then(|v| u64::from_str_radix(v.trim(), 16).ok())
            .unwrap_or(0)
    }

    fn kernel_command_line(&self) -> String {
        read("/proc/cmdline")
    }

    fn virtualization(&self) -> Option<(&'static str, String)> {
        // Containers first, as systemd-detect-virt.
        let env1 = std::fs::read("/proc/1/environ").unwrap_or_default();
        let container = env1
            .split(|b| *b == 0)
            .find_map(|kv| kv.strip_prefix(b"container="))
            .map(|v| String::from_utf8_lossy(v).into_owned())
            .or_else(|| std::env::var("container").ok())
            .filter(|v| !v.is_empty());
        if let Some(name) = container {
            let name = if name == "oci" { "podman".into() } else { name };
            return Some(("container", name));
        }
        if Path::new("/.dockerenv").exists() {
            return Some(("container", "docker".into()));
        }
        if Path::new("/run/.containerenv").exists() {
            return Some(("container", "podman".into()));
        }
        let osrelease = read("/proc/sys/kernel/osrelease");
        if osrelease.contains("Microsoft") || osrelease.contains("WSL") {
            return Some(("container", "wsl".into()));
        }
        let vendor = read("/sys/class/dmi/id/sys_vendor") + &read("/sys/class/dmi/id/product_name");
        let known = [
            ("KVM", "kvm"),
            ("QEMU", "qemu"),
            ("VMware", "vmware"),
            ("VirtualBox", "oracle"),
            ("innotek", "oracle"),
            ("Xen", "xen"),
            ("Microsoft Corporation", "microsoft"),
            ("Amazon EC2", "amazon"),
            ("Google", "google"),
            ("Bochs", "bochs"),
            ("Parallels", "parallels"),
        ];
        if let Some((_, name)) = known.iter().find(|(v, _)| vendor.contains(v)) {
            return Some(("vm", (*name).into()));
        }
        let hypervisor = read("/proc/cpuinfo")
            .lines()
            .any(|l| l.starts_with("flags") && l.split_whitespace().any(|f| f == "hypervisor"));
        hypervisor.then(|| ("vm", "vm-other".into()))
    }

    fn power_supplies(&self) -> Vec<(String, bool)> {
        let Ok(dir) = std::fs::read_dir("/sys/class/power_supply") else {
            return Vec::new();
        };
        dir.flatten()
            .map(|e| {
                let p = e.path();
                let ty = std::fs::read_to_string(p.join("type")).unwrap_or_default();
                let online = std::fs::read_to_string(p.join("online")).unwrap_or_default();
                (ty.trim().to_owned(), online.trim() == "1")
            })
            .collect()
    }

    fn security(&self, name: &str) -> bool {
        let exists = |p: &str| Path::new(p).exists();
        match name {
            "selinux" => exists("/sys/fs/selinux/enforce"),
            "apparmor" => read("/sys/module/apparmor/parameters/enabled").trim() == "Y",
            "smack" => exists("/sys/fs/smackfs"),
            "tomoyo" => exists("/sys/kernel/security/tomoyo/version"),
            "ima" => exists("/sys/kernel/security/ima"),
            "audit" => exists("/proc/self/loginuid"),
            "uefi-secureboot" => std::fs::read_dir("/sys/firmware/efi/efivars")
                .ok()
                .and_then(|d| {
                    d.flatten()
                        .find(|e| e.file_name().to_string_lossy().starts_with("SecureBoot-"))
                })
                .and_then(|e| std::fs::read(e.path()).ok())
                .is_some_and(|b| b.get(4) == Some(&1)),
            "tpm2" => std::fs::read_dir("/sys/class/tpmrm").is_ok_and(|mut d| d.next().is_some()),
            _ => false,
        }
    }

    fn machine_id(&self) -> Option<String> {
        std::fs::read_to_string("/etc/machine-id").ok()
    }

    fn mtime(&self, path: &Path) -> Option<SystemTime> {
        std::fs::metadata(path).ok()?.modified().ok()
    }

    fn memory(&self) -> u64 {
        read("/proc/meminfo")
            .lines()
            .find_map(|l| l.strip_prefix("MemTotal:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
            .map_or(0, |kb| kb * 1024)
    }

    fn cpus(&self) -> u64 {
        nix::sched::sched_getaffinity(nix::unistd::Pid::from_raw(0))
            .map(|set| {
                (0..nix::sched::CpuSet::count())
                    .filter(|i| set.is_set(*i).unwrap_or(false))
                    .count() as u64
            })
            .unwrap_or(1)
    }

    fn os_release(&self) -> Vec<(String, String)> {
        let text = std::fs::read_to_string("/etc/os-release")
            .or_else(|_| std::fs::read_to_string("/usr/lib/os-release"))
            .unwrap_or_default();
        text.lines()
            .filter_map(|l| l.split_once('='))
            .map(|(k, v)| {
                (
                    k.trim().to_owned(),
                    v.trim().trim_matches(['"', '\'']).to_owned(),
                )
            })
            .collect()
    }

    fn credentials_directory(&self) -> Option<PathBuf> {
        super::run_environment::passed_credentials()
    }

    fn hostname(&self) -> String {
        read("/proc/sys/kernel/hostname").trim().to_owned()
    }

    fn kernel_release(&self) -> String {
        read("/proc/sys/kernel/osrelease").trim().to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Fake {
        virt: Option<(&'static str, String)>,
        supplies: Vec<(String, bool)>,
        machine_id: Option<String>,
        usr: SystemTime,
        stamp: Option<SystemTime>,
    }

    impl Host for Fake {
        fn bounding_set(&self) -> u64 {
            !(1 << 13)
        }
        fn kernel_command_line(&self) -> String {
            "BOOT_IMAGE=/vmlinuz root=/dev/sda1 quiet splash=silent".into()
        }
        fn virtualization(&self) -> Option<(&'static str, String)> {
            self.virt.clone()
        }
        fn power_supplies(&self) -> Vec<(String, bool)> {
            self.supplies.clone()
        }
        fn security(&self, name: &str) -> bool {
            name == "apparmor"
        }
        fn machine_id(&self) -> Option<String> {
            self.machine_id.clone()
        }
        fn mtime(&self, path: &Path) -> Option<SystemTime> {
            if path == Path::new("/usr") {
                Some(self.usr)
            } else {
                self.stamp
            }
        }
        fn memory(&self) -> u64 {
            8 << 30
        }
        fn cpus(&self) -> u64 {
            4
        }
        fn os_release(&self) -> Vec<(String, String)> {
            vec![
                ("ID".into(), "debian".into()),
                ("VERSION_ID".into(), "12".into()),
            ]
        }
        fn credentials_directory(&self) -> Option<PathBuf> {
            None
        }
        fn hostname(&self) -> String {
            "build-03".into()
        }
        fn kernel_release(&self) -> String {
            "6.1.0-13-amd64".into()
        }
    }

    fn fake() -> Fake {
        Fake {
            virt: None,
            supplies: Vec::new(),
            machine_id: Some("0123456789abcdef0123456789abcdef\n".into()),
            usr: SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(100),
            stamp: None,
        }
    }

    #[test]
    fn capability_and_kernel_command_line() {
        let h = fake();
        assert!(holds(ConditionKind::Capability, "CAP_SYS_ADMIN", &h));
        assert!(!holds(ConditionKind::Capability, "CAP_NET_RAW", &h));
        assert!(!holds(ConditionKind::Capability, "CAP_NOPE", &h));
        let cmdline = |v| holds(ConditionKind::KernelCommandLine, v, &h);
        assert!(cmdline("quiet") && cmdline("root") && cmdline("root=/dev/sda1"));
        assert!(!cmdline("root=/dev/sdb1") && !cmdline("splash=yes") && !cmdline("qui"));
    }

    #[test]
    fn virtualization_power_and_first_boot() {
        let mut h = fake();
        let virt = |h: &Fake, v| holds(ConditionKind::Virtualization, v, h);
        assert!(virt(&h, "no") && !virt(&h, "yes") && !virt(&h, "container"));
        h.virt = Some(("container", "docker".into()));
        assert!(virt(&h, "yes") && virt(&h, "container") && virt(&h, "docker"));
        assert!(!virt(&h, "vm") && !virt(&h, "lxc"));
        // No supply to ask: on mains.
        assert!(holds(ConditionKind::ACPower, "true", &h));
        h.supplies = vec![("Battery".into(), false), ("Mains".into(), false)];
        assert!(holds(ConditionKind::ACPower, "false", &h));
        h.supplies[1].1 = true;
        assert!(holds(ConditionKind::ACPower, "true", &h));
        assert!(holds(ConditionKind::FirstBoot, "no", &h));
        h.machine_id = Some("uninitialized\n".into());
        assert!(holds(ConditionKind::FirstBoot, "yes", &h));
        assert!(holds(ConditionKind::Security, "apparmor", &h));
        assert!(!holds(ConditionKind::Security, "selinux", &h));
    }

    #[test]
    fn needs_update_compares_with_the_stamp() {
        let mut h = fake();
        assert!(holds(ConditionKind::NeedsUpdate, "/etc", &h), "no stamp");
        h.stamp = Some(h.usr + std::time::Duration::from_secs(1));
        assert!(!holds(ConditionKind::NeedsUpdate, "/etc", &h));
        h.stamp = Some(h.usr - std::time::Duration::from_secs(1));
        assert!(holds(ConditionKind::NeedsUpdate, "/etc", &h));
    }

    #[test]
    fn comparisons() {
        let h = fake();
        let c = |k, v| holds(k, v, &h);
        assert!(c(ConditionKind::Memory, "4G") && c(ConditionKind::Memory, ">=8G"));
        assert!(!c(ConditionKind::Memory, ">8G") && c(ConditionKind::Memory, "<16G"));
        assert!(c(ConditionKind::CPUs, ">=2") && !c(ConditionKind::CPUs, "<4"));
        assert!(c(ConditionKind::CPUs, "=4") && c(ConditionKind::CPUs, "!=3"));
        assert!(c(ConditionKind::OSRelease, "ID=debian"));
        assert!(c(ConditionKind::OSRelease, "ID=debian VERSION_ID>=11"));
        assert!(!c(ConditionKind::OSRelease, "ID=debian VERSION_ID>12"));
        assert!(c(ConditionKind::OSRelease, "ID!=fedora"));
        assert!(c(ConditionKind::KernelVersion, ">=5.10"));
        assert!(!c(ConditionKind::KernelVersion, "<6"));
        assert!(c(ConditionKind::KernelVersion, "6.1.*"));
        assert!(c(ConditionKind::Host, "build-*"));
        assert!(c(ConditionKind::Host, "0123456789abcdef0123456789abcdef"));
        assert!(!c(ConditionKind::Host, "web-*"));
        assert!(c(ConditionKind::Architecture, "native"));
        assert_eq!(version_cmp("6.10", "6.9"), Ordering::Greater);
        assert_eq!(version_cmp("12", "12"), Ordering::Equal);
        assert_eq!(version_cmp("1.2", "1.2.1"), Ordering::Less);
    }
}
