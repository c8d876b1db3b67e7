//! The BPF programs of a service's cgroup v2 directory, from the edge's
//! side: the device program where the v1 devices controller is not used,
//! and the network programs; a protection that cannot be attached keeps
//! the run from starting (219/CGROUP), with the directive named.

use std::sync::Arc;

use super::Edge;
use crate::supervisor::bpf;
use crate::supervisor::cgroup_devices::{self, Rule};
use crate::supervisor::spawn::exit_code;

/// Why a BPF program has nowhere to go.
const NO_V2_CGROUP: &str = "the service has no cgroup v2 directory to attach its BPF program to \
     (the daemon needs a writable cgroup v2 tree, and SUNDIAL_CGROUPS not off)";

/// Every directive of the network programs.
const ALL_NETWORK: &str =
    "IPAddressAllow=/IPAddressDeny=/RestrictNetworkInterfaces=/SocketBindAllow=/SocketBindDeny=";

/// The directives of the network programs `policy` asks for, for a
/// message.
fn network_directives(policy: &bpf::attach::NetworkPolicy<'_>) -> &'static str {
    let addresses = policy
        .ip
        .is_some_and(|f| !f.allow.is_empty() || !f.deny.is_empty());
    match (
        addresses,
        policy.interfaces.is_some(),
        policy.bind.is_some(),
    ) {
        (true, false, false) => "IPAddressAllow=/IPAddressDeny=",
        (false, true, false) => "RestrictNetworkInterfaces=",
        (false, false, true) => "SocketBindAllow=/SocketBindDeny=",
        _ => ALL_NETWORK,
    }
}

/// The index of the network interface `name`, where it exists.
fn interface_index(name: &str) -> Option<u32> {
    let c = std::ffi::CString::new(name).ok()?;
    // SAFETY: if_nametoindex reads a valid C string.
    let index = unsafe { libc::if_nametoindex(c.as_ptr()) };
    (index != 0).then_some(index)
}

impl Edge<'_> {
    /// The device program allowing `rules` on the service's v2 cgroup.
    /// `PrivateDevices=` alone keeps quiet where it cannot be had: its
    /// private /dev is the protection that counts.
    pub(super) fn attach_device_program(
        &mut self,
        sb: &crate::unit::sandbox::Sandbox,
        rules: &[Rule],
    ) -> Result<(), i32> {
        let attached = match &self.procs.cgroup {
            Some(cg) => bpf::attach::devices(&cg.dir, rules).map_err(|e| e.to_string()),
            None => Err(NO_V2_CGROUP.to_owned()),
        };
        match attached {
            Err(why) if cgroup_devices::asked(sb) => {
                Err(self.not_applied("DevicePolicy=/DeviceAllow=", &why))
            }
            _ => Ok(()),
        }
    }

    /// The network programs on the service's v2 cgroup:
    /// `IPAddressAllow=`, `IPAddressDeny=` and `IPAccounting=`,
    /// `RestrictNetworkInterfaces=`, `SocketBindAllow=`/`SocketBindDeny=`. A
    /// cgroup that outlived a run with them (processes left behind) loses
    /// them when this run has none.
    pub(super) fn attach_network_programs(
        &mut self,
        sb: &crate::unit::sandbox::Sandbox,
    ) -> Result<(), i32> {
        let filtered = !sb.ip_address_allow.is_empty() || !sb.ip_address_deny.is_empty();
        let ip = (filtered || sb.ip_accounting).then_some(bpf::attach::IpFilter {
            allow: &sb.ip_address_allow,
            deny: &sb.ip_address_deny,
            accounting: sb.ip_accounting,
        });
        // An interface that does not exist is left out, as systemd does.
        let ifaces = sb.restrict_network_interfaces.as_ref().map(|l| {
            let indexes: Vec<u32> = l.names.iter().filter_map(|n| interface_index(n)).collect();
            (indexes, l.allow_list)
        });
        let binds = !sb.socket_bind_allow.is_empty() || !sb.socket_bind_deny.is_empty();
        let policy = bpf::attach::NetworkPolicy {
            ip,
            interfaces: ifaces.as_ref().map(|(i, allow)| (i.as_slice(), *allow)),
            bind: binds.then_some((
                sb.socket_bind_allow.as_slice(),
                sb.socket_bind_deny.as_slice(),
            )),
        };
        let protects = filtered || policy.interfaces.is_some() || binds;
        let Some(cg) = &self.procs.cgroup else {
            return match (protects, ip.is_some()) {
                (true, _) => Err(self.not_applied(network_directives(&policy), NO_V2_CGROUP)),
                (false, true) => {
                    self.messages
                        .push(format!("IPAccounting=: not counted: {NO_V2_CGROUP}"));
                    Ok(())
                }
                (false, false) => Ok(()),
            };
        };
        match bpf::attach::network(&cg.dir, policy) {
            Ok(counters) => {
                self.procs.ip_counters = counters.map(Arc::new);
                Ok(())
            }
            Err(e) if protects => Err(self.not_applied(e.directive, &e.source.to_string())),
            // Accounting alone protects nothing (or a leftover program
            // could not be detached): told, and the run goes on.
            Err(e) => {
                if ip.is_some() {
                    self.messages
                        .push(format!("IPAccounting=: not counted: {}", e.source));
                }
                Ok(())
            }
        }
    }

    /// A protection the unit asks for that cannot be applied: told with the
    /// directive and the reason, and the run does not start.
    fn not_applied(&mut self, directive: &str, why: &str) -> i32 {
        self.messages.push(format!(
            "{directive}: cannot be applied, not started: {why}"
        ));
        exit_code::CGROUP
    }
}
