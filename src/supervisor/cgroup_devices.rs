//! `DevicePolicy=`, `DeviceAllow=` and the device policy `PrivateDevices=`
//! implies, as rules: of the cgroup v1 devices controller (`devices.deny`,
//! `devices.allow`) where the daemon has one, else of a BPF device program
//! on the service's cgroup v2 directory (see
//! [`super::bpf::device_program`]). Pure but for [`resolve`], which reads
//! the device nodes and /proc/devices.

use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};

use super::cgroup_limits::Write;
use crate::unit::device_access::{DeviceAllow, DevicePolicy};
use crate::unit::sandbox::Sandbox;

/// systemd 252's devices of the `closed` policy (cgroup.c, auto_devices):
/// the standard pseudo devices and the inaccessible nodes.
const CLOSED_DEVICES: [&str; 7] = [
    "/dev/null",
    "/dev/zero",
    "/dev/full",
    "/dev/random",
    "/dev/urandom",
    "/dev/tty",
    "/dev/ptmx",
];

/// The environment variable of the test aid [`act_without_v1_devices`].
pub const DEVICES_BY_BPF_ENV: &str = "SUNDIAL_TEST_DEVICES_BY_BPF";

/// Set by [`act_without_v1_devices`].
static WITHOUT_V1_DEVICES: AtomicBool = AtomicBool::new(false);

/// Test aid: from now on, act as on a host without a v1 devices controller
/// (a pure cgroup v2 host), so that the BPF device program is tested on a
/// hybrid host that has one.
pub fn act_without_v1_devices() {
    WITHOUT_V1_DEVICES.store(true, Ordering::Relaxed);
}

/// Whether the rules go to the v1 devices controller: the daemon has one
/// (`v1_offered`) and is not told to act without it.
pub fn by_v1(v1_offered: &[String]) -> bool {
    !WITHOUT_V1_DEVICES.load(Ordering::Relaxed) && v1_offered.iter().any(|c| c == "devices")
}

/// A device node: its kind (`c` or `b`), major and minor numbers.
pub type Node = (char, u32, u32);

/// One rule of the devices controller: `c 1:3 rw`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rule {
    /// `c` or `b`.
    pub kind: char,
    pub major: u32,
    /// `None`: every minor (`*`).
    pub minor: Option<u32>,
    pub access: String,
}

impl std::fmt::Display for Rule {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.minor {
            Some(m) => write!(f, "{} {}:{m} {}", self.kind, self.major, self.access),
            None => write!(f, "{} {}:* {}", self.kind, self.major, self.access),
        }
    }
}

/// The entries a service is allowed, or `None` where its devices are not
/// restricted. systemd: `PrivateDevices=yes` turns the `auto` policy into
/// `closed`; `auto` with a `DeviceAllow=` is `closed`.
pub fn allowed(sb: &Sandbox) -> Option<Vec<DeviceAllow>> {
    let policy = match sb.device_policy {
        DevicePolicy::Auto if sb.private_devices || !sb.device_allow.is_empty() => {
            DevicePolicy::Closed
        }
        p => p,
    };
    let mut entries = Vec::new();
    match policy {
        DevicePolicy::Auto => return None,
        DevicePolicy::Closed => entries.extend(CLOSED_DEVICES.iter().map(|d| DeviceAllow {
            specifier: (*d).to_owned(),
            access: "rwm".to_owned(),
        })),
        DevicePolicy::Strict => {}
    }
    entries.extend(sb.device_allow.iter().cloned());
    Some(entries)
}

/// Whether the unit itself asks for a device policy (rather than having it
/// only through `PrivateDevices=`, whose private /dev is the protection that
/// counts).
pub fn asked(sb: &Sandbox) -> bool {
    sb.device_policy != DevicePolicy::Auto || !sb.device_allow.is_empty()
}

/// The rules of `entry`: a node's own type and numbers (`lookup_node`), a
/// driver group's major numbers from `proc_devices` (the text of
/// /proc/devices). A node or group that does not exist gives none, as in
/// systemd (the entry is skipped).
pub fn rules(
    entry: &DeviceAllow,
    proc_devices: &str,
    lookup_node: &dyn Fn(&Path) -> Option<Node>,
) -> Vec<Rule> {
    let group = |kind: char, pattern: &str| {
        drivers(proc_devices)
            .into_iter()
            .filter(|(k, _, name)| *k == kind && glob_match(pattern, name))
            .map(|(kind, major, _)| Rule {
                kind,
                major,
                minor: None,
                access: entry.access.clone(),
            })
            .collect()
    };
    if let Some(name) = entry.specifier.strip_prefix("char-") {
        group('c', name)
    } else if let Some(name) = entry.specifier.strip_prefix("block-") {
        group('b', name)
    } else {
        lookup_node(Path::new(&entry.specifier))
            .map(|(kind, major, minor)| Rule {
                kind,
                major,
                minor: Some(minor),
                access: entry.access.clone(),
            })
            .into_iter()
            .collect()
    }
}

/// The writes into the service's devices cgroup: everything denied, then
/// each rule allowed.
pub fn writes(rules: &[Rule]) -> Vec<Write> {
    std::iter::once(Write {
        controller: "devices",
        file: "devices.deny",
        value: "a".to_owned(),
    })
    .chain(rules.iter().map(|r| Write {
        controller: "devices",
        file: "devices.allow",
        value: r.to_string(),
    }))
    .collect()
}

/// The rules of every entry on this machine (stat of the nodes,
/// /proc/devices).
pub fn resolve(entries: &[DeviceAllow]) -> Vec<Rule> {
    use std::os::unix::fs::{FileTypeExt, MetadataExt};
    let proc_devices = std::fs::read_to_string("/proc/devices").unwrap_or_default();
    let lookup = |p: &Path| {
        let m = std::fs::metadata(p).ok()?;
        let kind = if m.file_type().is_char_device() {
            'c'
        } else if m.file_type().is_block_device() {
            'b'
        } else {
            return None;
        };
        let rdev = m.rdev();
        Some((kind, libc::major(rdev), libc::minor(rdev)))
    };
    entries
        .iter()
        .flat_map(|e| rules(e, &proc_devices, &lookup))
        .collect()
}

/// The drivers of /proc/devices: kind, major number, name.
fn drivers(text: &str) -> Vec<(char, u32, String)> {
    let mut kind = None;
    let mut out = Vec::new();
    for line in text.lines() {
        match line.trim() {
            "Character devices:" => kind = Some('c'),
            "Block devices:" => kind = Some('b'),
            l => {
                let mut words = l.split_whitespace();
                if let (Some(k), Some(Ok(major)), Some(name)) =
                    (kind, words.next().map(str::parse::<u32>), words.next())
                {
                    out.push((k, major, name.to_owned()));
                }
            }
        }
    }
    out
}

/// Shell glob of a driver name (systemd matches them with fnmatch).
fn glob_match(pattern: &str, name: &str) -> bool {
    let (Ok(p), Ok(n)) = (
        std::ffi::CString::new(pattern),
        std::ffi::CString::new(name),
    ) else {
        return false;
    };
    // SAFETY: fnmatch reads two valid C strings.
    unsafe { libc::fnmatch(p.as_ptr(), n.as_ptr(), 0) == 0 }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::unit::device_access::parse_device_allow;

    const PROC_DEVICES: &str = "Character devices:\n  1 mem\n  4 tty\n  4 ttyS\n136 pts\n\n\
                                Block devices:\n  7 loop\n  8 sd\n";

    fn entry(v: &str) -> DeviceAllow {
        parse_device_allow(v).unwrap().unwrap()
    }

    fn node(p: &Path) -> Option<Node> {
        match p.to_str()? {
            "/dev/null" => Some(('c', 1, 3)),
            "/dev/sda" => Some(('b', 8, 0)),
            _ => None,
        }
    }

    fn sandbox(policy: DevicePolicy, allow: &[&str], private_devices: bool) -> Sandbox {
        Sandbox {
            device_policy: policy,
            device_allow: allow.iter().map(|a| entry(a)).collect(),
            private_devices,
            ..Sandbox::default()
        }
    }

    #[test]
    fn the_policy_decides_the_base_list() {
        assert_eq!(allowed(&sandbox(DevicePolicy::Auto, &[], false)), None);
        let strict = allowed(&sandbox(DevicePolicy::Strict, &["/dev/null rw"], false)).unwrap();
        assert_eq!(strict, vec![entry("/dev/null rw")]);
        let closed = allowed(&sandbox(DevicePolicy::Closed, &["/dev/sda r"], false)).unwrap();
        assert_eq!(closed.len(), CLOSED_DEVICES.len() + 1);
        assert!(closed.iter().any(|e| e.specifier == "/dev/urandom"));
        // auto with an entry is closed; PrivateDevices= makes auto closed.
        let auto = allowed(&sandbox(DevicePolicy::Auto, &["/dev/sda r"], false)).unwrap();
        assert_eq!(auto, closed);
        let private = allowed(&sandbox(DevicePolicy::Auto, &[], true)).unwrap();
        assert_eq!(private.len(), CLOSED_DEVICES.len());
        assert!(!asked(&sandbox(DevicePolicy::Auto, &[], true)));
        assert!(asked(&sandbox(DevicePolicy::Strict, &[], false)));
        // Strict with nothing allowed: everything denied.
        assert_eq!(
            allowed(&sandbox(DevicePolicy::Strict, &[], false)),
            Some(vec![])
        );
    }

    #[test]
    fn nodes_and_groups_become_rules() {
        let r = rules(&entry("/dev/null rw"), PROC_DEVICES, &node);
        assert_eq!(r[0].to_string(), "c 1:3 rw");
        let r = rules(&entry("/dev/sda"), PROC_DEVICES, &node);
        assert_eq!(r[0].to_string(), "b 8:0 rwm");
        let r: Vec<String> = rules(&entry("char-tty* r"), PROC_DEVICES, &node)
            .iter()
            .map(Rule::to_string)
            .collect();
        assert_eq!(r, ["c 4:* r", "c 4:* r"]);
        let r = rules(&entry("block-loop rw"), PROC_DEVICES, &node);
        assert_eq!(r[0].to_string(), "b 7:* rw");
        // A char group does not match block drivers, a missing node is none.
        assert!(rules(&entry("char-loop"), PROC_DEVICES, &node).is_empty());
        assert!(rules(&entry("/dev/missing"), PROC_DEVICES, &node).is_empty());
    }

    #[test]
    fn writes_deny_everything_first() {
        let w = writes(&rules(&entry("/dev/null rw"), PROC_DEVICES, &node));
        let lines: Vec<(&str, &str)> = w.iter().map(|w| (w.file, w.value.as_str())).collect();
        assert_eq!(
            lines,
            [("devices.deny", "a"), ("devices.allow", "c 1:3 rw")]
        );
    }
}
