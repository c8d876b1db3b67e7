//! One service's programs, made and attached to its cgroup v2 directory
//! before its first command is placed there: the device program, the
//! ingress and egress programs of its IP address lists and accounting and
//! of its network interfaces, and the bind programs of its bind rules.
//! Whatever an earlier run (or an earlier daemon) attached to the same
//! directory is detached first; the kernel detaches the rest when the
//! directory is removed. The program descriptors are closed once attached
//! (the attachment holds the program); the counters' maps are kept while
//! the service runs, to be read.

use std::os::fd::{AsFd, AsRawFd, OwnedFd};
use std::path::Path;

use super::ip_program::{self, Direction, Family, List, Lookup};
use super::syscall::{self, BpfError, Hook};
use super::{bind_program, device_program, interface_program};
use crate::supervisor::cgroup_devices::Rule;
use crate::unit::ip_address::IpPrefix;
use crate::unit::socket_bind::{BindFamily, SocketBindRule};

/// Attaches the device program allowing `rules` to the cgroup `dir`.
pub fn devices(dir: &Path, rules: &[Rule]) -> Result<(), BpfError> {
    let cgroup = syscall::open_cgroup(dir)?;
    let prog = syscall::load(Hook::Device, "sd_devices", &device_program::program(rules))?;
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

/// A service's network programs: its IP address lists and accounting,
/// its interfaces, its bind rules; each `None` where not asked for.
#[derive(Debug, Clone, Copy, Default)]
pub struct NetworkPolicy<'a> {
    pub ip: Option<IpFilter<'a>>,
    /// `RestrictNetworkInterfaces=`: the indexes of the named interfaces
    /// that exist, and whether they are an allow list.
    pub interfaces: Option<(&'a [u32], bool)>,
    /// `SocketBindAllow=` and `SocketBindDeny=`.
    pub bind: Option<(&'a [SocketBindRule], &'a [SocketBindRule])>,
}

/// Why a service's network programs could not be attached: the
/// directives concerned and the kernel's answer.
#[derive(Debug, thiserror::Error)]
#[error("{directive}: {source}")]
pub struct NetworkError {
    pub directive: &'static str,
    pub source: BpfError,
}

/// A program loaded for its hook.
type Loaded = (Hook, OwnedFd);

/// The hooks of the network programs.
const NETWORK_HOOKS: [Hook; 4] = [Hook::Ingress, Hook::Egress, Hook::Bind4, Hook::Bind6];

/// Loads the programs of `policy` and attaches them to the cgroup `dir`,
/// after detaching what was attached at those hooks before (a policy of
/// nothing only detaches); the counters where accounting is asked for.
pub fn network(dir: &Path, policy: NetworkPolicy<'_>) -> Result<Option<IpCounters>, NetworkError> {
    const IP: &str = "IPAddressAllow=/IPAddressDeny=/IPAccounting=";
    const IFACES: &str = "RestrictNetworkInterfaces=";
    const BIND: &str = "SocketBindAllow=/SocketBindDeny=";
    let first = policy
        .ip
        .map(|_| IP)
        .or(policy.interfaces.map(|_| IFACES))
        .or(policy.bind.map(|_| BIND))
        .unwrap_or(IP);
    let on = |directive: &'static str| move |source| NetworkError { directive, source };
    let cgroup = syscall::open_cgroup(dir).map_err(on(first))?;
    let mut progs: Vec<Loaded> = Vec::new();
    let mut counters = None;
    if let Some(filter) = policy.ip {
        let (ip_progs, c) = ip_programs(filter).map_err(on(IP))?;
        progs.extend(ip_progs);
        counters = c;
    }
    if let Some((indexes, allow_list)) = policy.interfaces {
        let program = interface_program::program(indexes, allow_list);
        for (hook, name) in [
            (Hook::Ingress, "sd_restrictif_i"),
            (Hook::Egress, "sd_restrictif_e"),
        ] {
            progs.push((
                hook,
                syscall::load(hook, name, &program).map_err(on(IFACES))?,
            ));
        }
    }
    if let Some((allow, deny)) = policy.bind {
        for (hook, family, name) in [
            (Hook::Bind4, BindFamily::Ipv4, "sd_bind4"),
            (Hook::Bind6, BindFamily::Ipv6, "sd_bind6"),
        ] {
            let program = bind_program::program(family, allow, deny);
            progs.push((hook, syscall::load(hook, name, &program).map_err(on(BIND))?));
        }
    }
    for hook in NETWORK_HOOKS {
        syscall::detach_all(cgroup.as_fd(), hook).map_err(on(first))?;
    }
    for (hook, prog) in &progs {
        let directive = match hook {
            Hook::Bind4 | Hook::Bind6 => BIND,
            _ if policy.ip.is_some() => IP,
            _ => IFACES,
        };
        syscall::attach(cgroup.as_fd(), prog.as_fd(), *hook).map_err(on(directive))?;
    }
    Ok(counters)
}

/// The ingress and egress programs of `filter`, loaded, and their
/// counters where accounting is asked for.
fn ip_programs(filter: IpFilter<'_>) -> Result<(Vec<Loaded>, Option<IpCounters>), BpfError> {
    // The maps stay alive with the programs that name them.
    let mut maps = Vec::new();
    let mut lookups = Vec::new();
    for (list, prefixes) in [(List::Allow, filter.allow), (List::Deny, filter.deny)] {
        for family in [Family::V4, Family::V6] {
            if let Some(map) = prefix_map(prefixes, family)? {
                lookups.push(Lookup {
                    family,
                    list,
                    map_fd: map.as_raw_fd(),
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
    for (hook, direction, name) in [
        (Hook::Ingress, Direction::Ingress, "sd_fw_ingress"),
        (Hook::Egress, Direction::Egress, "sd_fw_egress"),
    ] {
        let account = counters.as_ref().map(|c| match direction {
            Direction::Ingress => c.ingress.as_raw_fd(),
            Direction::Egress => c.egress.as_raw_fd(),
        });
        let program = ip_program::program(direction, &lookups, account);
        progs.push((hook, syscall::load(hook, name, &program)?));
    }
    Ok((progs, counters))
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
        let dir = d
            .root
            .join(format!("sundial-test-{}-{tag}", std::process::id()));
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
        let ifaces = [1u32];
        let bind = crate::unit::socket_bind::parse_socket_bind("tcp:1-1023")
            .unwrap()
            .into_iter()
            .collect::<Vec<_>>();
        let policy = NetworkPolicy {
            ip: Some(filter),
            interfaces: Some((&ifaces, true)),
            bind: Some((&[], &bind)),
        };
        let first = network(&dir, policy);
        if let Err(NetworkError {
            source: BpfError::Refused { source, .. } | BpfError::Syscall { source, .. },
            ..
        }) = &first
        {
            if source.raw_os_error() == Some(libc::EPERM) {
                let _ = std::fs::remove_dir(&dir);
                eprintln!("skipped: bpf(2) not allowed here: {source}");
                return;
            }
        }
        let result = (|| {
            let counters = first.map_err(|e| e.source)?.expect("accounting asked for");
            let started = std::time::Instant::now();
            network(&dir, policy).map_err(|e| e.source)?;
            let network_took = started.elapsed();
            devices(&dir, &rules)?;
            eprintln!(
                "6 network programs (4 LPM tries, 2 counter maps) loaded and attached again in {network_took:?}, \
                 the device program in {:?}",
                started.elapsed() - network_took
            );
            devices(&dir, &rules)?;
            let cg = syscall::open_cgroup(&dir)?;
            let counts = [
                syscall::attached(cg.as_fd(), Hook::Ingress)?,
                syscall::attached(cg.as_fd(), Hook::Egress)?,
                syscall::attached(cg.as_fd(), Hook::Device)?,
                syscall::attached(cg.as_fd(), Hook::Bind4)?,
                syscall::attached(cg.as_fd(), Hook::Bind6)?,
            ];
            let traffic = counters.read()?;
            network(&dir, NetworkPolicy::default()).map_err(|e| e.source)?;
            let after = syscall::attached(cg.as_fd(), Hook::Egress)?;
            Ok::<_, BpfError>((counts, traffic, after))
        })();
        let _ = network(&dir, NetworkPolicy::default());
        if let Ok(cg) = syscall::open_cgroup(&dir) {
            let _ = syscall::detach_all(cg.as_fd(), Hook::Device);
        }
        let _ = std::fs::remove_dir(&dir);
        let (counts, traffic, after) = result.expect("attached");
        // The IP and the interface programs on each of ingress and egress.
        assert_eq!(counts, [2, 2, 1, 1, 1]);
        assert_eq!(traffic, IpTraffic::default());
        assert_eq!(after, 0);
        assert!(!dir.exists());
    }
}
