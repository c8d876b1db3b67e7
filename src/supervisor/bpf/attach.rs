//! One service's programs, made and attached to its cgroup v2 directory
//! before its first command is placed there: the device program, and the
//! ingress and egress programs of its IP address lists and accounting.
//! Whatever an earlier run (or an earlier daemon) attached to the same
//! directory is detached first; the kernel detaches the rest when the
//! directory is removed. The program descriptors are closed once attached
//! (the attachment holds the program); the counters' maps are kept while
//! the service runs, to be read.

use std::os::fd::{AsFd, OwnedFd};
use std::path::Path;

use super::device_program;
use super::ip_program::{self, Direction, Family, List, Lookup};
use super::syscall::{self, BpfError, Hook};
use crate::supervisor::cgroup_devices::Rule;
use crate::unit::ip_address::IpPrefix;

/// Attaches the device program allowing `rules` to the cgroup `dir`.
pub fn devices(dir: &Path, rules: &[Rule]) -> Result<(), BpfError> {
    let cgroup = syscall::open_cgroup(dir)?;
    let prog = syscall::load(Hook::Device, &device_program::program(rules))?;
    syscall::detach_all(cgroup.as_fd(), Hook::Device)?;
    syscall::attach(cgroup.as_fd(), prog.as_fd(), Hook::Device)
}

/// What the IP programs of a service check and count.
#[derive(Debug, Clone, Copy)]
pub struct IpFilter<'a> {
    pub allow: &'a [IpPrefix],
    pub deny: &'a [IpPrefix],
    pub accounting: bool,
}

/// The counters of `IPAccounting=`: one array map per direction.
#[derive(Debug)]
pub struct IpCounters {
    ingress: OwnedFd,
    egress: OwnedFd,
}

/// Bytes and packets a service received and sent.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct IpTraffic {
    pub ingress_bytes: u64,
    pub ingress_packets: u64,
    pub egress_bytes: u64,
    pub egress_packets: u64,
}

impl IpCounters {
    /// The counts so far.
    pub fn read(&self) -> Result<IpTraffic, BpfError> {
        Ok(IpTraffic {
            ingress_bytes: syscall::counter(self.ingress.as_fd(), 0)?,
            ingress_packets: syscall::counter(self.ingress.as_fd(), 1)?,
            egress_bytes: syscall::counter(self.egress.as_fd(), 0)?,
            egress_packets: syscall::counter(self.egress.as_fd(), 1)?,
        })
    }
}

/// The LPM-trie map of the prefixes of one family of a list, `None`
/// where the list has none of that family.
fn prefix_map(prefixes: &[IpPrefix], family: Family) -> Result<Option<OwnedFd>, BpfError> {
    let mine: Vec<&IpPrefix> = prefixes
        .iter()
        .filter(|p| p.addr.is_ipv4() == (family == Family::V4))
        .collect();
    if mine.is_empty() {
        return Ok(None);
    }
    let map = syscall::lpm_trie(family.len(), mine.len())?;
    for p in mine {
        let mut key = u32::from(p.len).to_ne_bytes().to_vec();
        key.extend(p.bytes());
        syscall::update(map.as_fd(), &key, &1u64.to_ne_bytes())?;
    }
    Ok(Some(map))
}

/// Attaches the ingress and egress programs of `filter` to the cgroup
/// `dir`; their counters where accounting is asked for.
pub fn ip(dir: &Path, filter: IpFilter<'_>) -> Result<Option<IpCounters>, BpfError> {
    let cgroup = syscall::open_cgroup(dir)?;
    // The maps stay alive with the programs that name them.
    let mut maps = Vec::new();
    let mut lookups = Vec::new();
    for (list, prefixes) in [(List::Allow, filter.allow), (List::Deny, filter.deny)] {
        for family in [Family::V4, Family::V6] {
            if let Some(map) = prefix_map(prefixes, family)? {
                lookups.push(Lookup {
                    family,
                    list,
                    map_fd: std::os::fd::AsRawFd::as_raw_fd(&map),
                });
                maps.push(map);
            }
        }
    }
    let counters = if filter.accounting {
        Some(IpCounters {
            ingress: syscall::counters(2)?,
            egress: syscall::counters(2)?,
        })
    } else {
        None
    };
    let mut progs = Vec::new();
    for (hook, direction) in [
        (Hook::Ingress, Direction::Ingress),
        (Hook::Egress, Direction::Egress),
    ] {
        let account = counters.as_ref().map(|c| {
            let fd = match direction {
                Direction::Ingress => &c.ingress,
                Direction::Egress => &c.egress,
            };
            std::os::fd::AsRawFd::as_raw_fd(fd)
        });
        let program = ip_program::program(direction, &lookups, account);
        progs.push((hook, syscall::load(hook, &program)?));
    }
    for (hook, prog) in &progs {
        syscall::detach_all(cgroup.as_fd(), *hook)?;
        syscall::attach(cgroup.as_fd(), prog.as_fd(), *hook)?;
    }
    Ok(counters)
}

/// Detaches the programs at `hooks` of a cgroup that outlived a run that
/// had them (processes left behind) when the next run has none; quiet
/// where there are none or they cannot be looked at.
pub fn detach(dir: &Path, hooks: &[Hook]) {
    let Ok(cgroup) = syscall::open_cgroup(dir) else {
        return;
    };
    for hook in hooks {
        let _ = syscall::detach_all(cgroup.as_fd(), *hook);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::unit::ip_address::parse_prefixes;

    /// A cgroup of the test's own below the writable v2 tree, removed at
    /// the end; None (with the reason printed) where there is none or
    /// bpf(2) is not allowed.
    fn test_cgroup(tag: &str) -> Option<std::path::PathBuf> {
        let Some(d) = crate::supervisor::cgroup::detect() else {
            eprintln!("skipped: no writable cgroup v2 tree");
            return None;
        };
        let dir = d.root.join(format!("sundial-test-{}-{tag}", std::process::id()));
        if let Err(e) = std::fs::create_dir(&dir) {
            eprintln!("skipped: cannot make {}: {e}", dir.display());
            return None;
        }
        Some(dir)
    }

    /// The programs load, pass the verifier and attach; a second attach
    /// replaces the first rather than stacking.
    #[test]
    fn programs_attach_to_a_cgroup_and_replace_the_earlier_ones() {
        let Some(dir) = test_cgroup("attach") else {
            return;
        };
        let (allow, _) = parse_prefixes("127.0.0.1 ::1 10.0.0.0/8");
        let (deny, _) = parse_prefixes("any");
        let filter = IpFilter {
            allow: &allow,
            deny: &deny,
            accounting: true,
        };
        let rules = [Rule {
            kind: 'c',
            major: 1,
            minor: Some(3),
            access: "rw".into(),
        }];
        let first = ip(&dir, filter);
        if let Err(BpfError::Refused { source, .. } | BpfError::Syscall { source, .. }) = &first {
            if source.raw_os_error() == Some(libc::EPERM) {
                let _ = std::fs::remove_dir(&dir);
                eprintln!("skipped: bpf(2) not allowed here: {source}");
                return;
            }
        }
        let result = (|| {
            let counters = first?.expect("accounting asked for");
            ip(&dir, filter)?;
            devices(&dir, &rules)?;
            devices(&dir, &rules)?;
            let cg = syscall::open_cgroup(&dir)?;
            let counts = [
                syscall::attached(cg.as_fd(), Hook::Ingress)?,
                syscall::attached(cg.as_fd(), Hook::Egress)?,
                syscall::attached(cg.as_fd(), Hook::Device)?,
            ];
            let traffic = counters.read()?;
            detach(&dir, &[Hook::Ingress, Hook::Egress, Hook::Device]);
            let after = syscall::attached(cg.as_fd(), Hook::Egress)?;
            Ok::<_, BpfError>((counts, traffic, after))
        })();
        detach(&dir, &[Hook::Ingress, Hook::Egress, Hook::Device]);
        let _ = std::fs::remove_dir(&dir);
        let (counts, traffic, after) = result.expect("attached");
        assert_eq!(counts, [1, 1, 1]);
        assert_eq!(traffic, IpTraffic::default());
        assert_eq!(after, 0);
        assert!(!dir.exists());
    }
}
