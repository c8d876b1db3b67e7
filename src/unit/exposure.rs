//! How exposed a service is, rated as `systemd-analyze security` rates it:
//! one row per hardening setting with systemd 252's weight and range
//! (`analyze-security.c`), a badness from 0 (hardened) to the range, and an
//! overall exposure from 0.0 to 10.0 with systemd's label. Settings sundial
//! does not apply (`RestrictFileSystems=`, ...) count as not
//! set, whatever the unit says: they protect nothing here. Of systemd's
//! capability rows there are three: the bounding set keeping CAP_SYS_ADMIN,
//! CAP_SYS_RAWIO and CAP_MKNOD (the two `PrivateDevices=` drops) or not.

use super::device_access::DevicePolicy;
use super::sandbox::{ProtectHome, ProtectProc, ProtectSystem, Sandbox, NAMESPACES};
use super::service::NotifyAccess;
use super::syscall_groups;
use super::ServiceUnit;

/// One row of the table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    /// The setting, as systemd names the row (`PrivateTmp=`,
    /// `SystemCallFilter=~@mount`).
    pub name: String,
    pub description: String,
    pub weight: u64,
    pub range: u64,
    /// `None`: does not apply (a root service's `SupplementaryGroups=`).
    pub badness: Option<u64>,
}

/// The rating of one service.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Assessment {
    pub rows: Vec<Row>,
    /// 0-100, shown as 0.0-10.0.
    pub exposure: u64,
}

impl Assessment {
    /// systemd's word for the exposure.
    pub fn label(&self) -> &'static str {
        match self.exposure {
            100.. => "DANGEROUS",
            90.. => "UNSAFE",
            75.. => "EXPOSED",
            50.. => "MEDIUM",
            10.. => "OK",
            1.. => "SAFE",
            0 => "PERFECT",
        }
    }
}

/// Rates `unit`.
pub fn assess(unit: &ServiceUnit) -> Assessment {
    let s = &unit.service;
    let default_sandbox = Sandbox::default();
    let sb = s.rare().sandbox.as_deref().unwrap_or(&default_sandbox);
    let root = s.rare().root_directory.as_deref();
    let user = s.process.user.as_deref().unwrap_or("");
    let privileged = matches!(user, "" | "0" | "root");
    let mut rows = Vec::new();
    let mut row = |name: &str, weight: u64, range: u64, badness: Option<u64>, what: &str| {
        rows.push(Row {
            name: name.to_owned(),
            description: what.to_owned(),
            weight,
            range,
            badness,
        });
    };
    let flag = |set: bool| Some(u64::from(!set));

    let (b, d) = match user {
        "nobody" => (
            9,
            "Service runs as 'nobody', which should not be used for services",
        ),
        "" | "0" | "root" => (10, "Service runs as root user"),
        _ => (0, "Service runs under a static non-root user identity"),
    };
    row("User=/DynamicUser=", 2000, 10, Some(b), d);
    row(
        "SupplementaryGroups=",
        200,
        1,
        (!privileged).then_some(u64::from(!s.process.supplementary_groups.is_empty())),
        "Service runs with supplementary groups",
    );
    row(
        "PrivateDevices=",
        1000,
        1,
        flag(sb.private_devices),
        "Service has no access to hardware devices",
    );
    row(
        "PrivateMounts=",
        1000,
        1,
        flag(sb.mounts(root)),
        "Service cannot install system mounts",
    );
    row(
        "PrivateNetwork=",
        2500,
        1,
        flag(sb.private_network),
        "Service has no access to the host's network",
    );
    row(
        "PrivateTmp=",
        1000,
        1,
        flag(sb.private_tmp),
        "Service has no access to other software's temporary files",
    );
    row(
        "PrivateUsers=",
        1000,
        1,
        flag(sb.private_users),
        "Service has access to other users",
    );
    row(
        "ProtectControlGroups=",
        1000,
        1,
        flag(sb.protect_control_groups),
        "Service cannot modify the control group file system",
    );
    row(
        "ProtectKernelModules=",
        1000,
        1,
        flag(sb.protect_kernel_modules),
        "Service cannot load or read kernel modules",
    );
    row(
        "ProtectKernelTunables=",
        1000,
        1,
        flag(sb.protect_kernel_tunables),
        "Service cannot alter kernel tunables (/proc/sys, ...)",
    );
    row(
        "ProtectKernelLogs=",
        1000,
        1,
        flag(sb.protect_kernel_logs),
        "Service cannot read from or write to the kernel log ring buffer",
    );
    row(
        "ProtectClock=",
        1000,
        1,
        flag(sb.protect_clock),
        "Service cannot write to the hardware clock or system clock",
    );
    let (b, d) = match sb.protect_home {
        ProtectHome::No => (10, "Service has full access to home directories"),
        ProtectHome::ReadOnly => (5, "Service has read-only access to home directories"),
        ProtectHome::Tmpfs => (1, "Service has access to fake empty home directories"),
        ProtectHome::Yes => (0, "Service has no access to home directories"),
    };
    row("ProtectHome=", 1000, 10, Some(b), d);
    row(
        "ProtectHostname=",
        50,
        1,
        flag(sb.protect_hostname),
        "Service cannot change system host/domainname",
    );
    let (b, d) = match sb.protect_system {
        ProtectSystem::No => (10, "Service has full access to the OS file hierarchy"),
        ProtectSystem::Yes => (
            5,
            "Service has limited write access to the OS file hierarchy",
        ),
        ProtectSystem::Full => (
            3,
            "Service has very limited write access to the OS file hierarchy",
        ),
        ProtectSystem::Strict => (
            0,
            "Service has strict read-only access to the OS file hierarchy",
        ),
    };
    row("ProtectSystem=", 1000, 10, Some(b), d);
    row(
        "RootDirectory=/RootImage=",
        200,
        1,
        flag(root.is_some()),
        "Service runs within the host's root directory",
    );
    row(
        "LockPersonality=",
        100,
        1,
        flag(sb.lock_personality),
        "Service cannot change ABI personality",
    );
    row(
        "MemoryDenyWriteExecute=",
        100,
        1,
        flag(sb.memory_deny_write_execute),
        "Service cannot create writable executable memory mappings",
    );
    let ec = s.exec_context();
    row(
        "NoNewPrivileges=",
        1000,
        1,
        flag(ec.no_new_privileges),
        if ec.no_new_privileges {
            "Service processes cannot acquire new privileges"
        } else {
            "Service processes may acquire new privileges"
        },
    );
    // One row for the bounding set (systemd rates each capability on its
    // own): CAP_SYS_ADMIN (21) kept is what counts most.
    let keeps_sys_admin = ec
        .capability_bounding_set
        .is_none_or(|mask| mask & (1 << 21) != 0);
    row(
        "CapabilityBoundingSet=",
        1500,
        1,
        Some(u64::from(privileged && keeps_sys_admin)),
        if keeps_sys_admin {
            "Service keeps CAP_SYS_ADMIN in its bounding set"
        } else {
            "Service has no CAP_SYS_ADMIN in its bounding set"
        },
    );
    // systemd's rows for the two capabilities PrivateDevices= also drops.
    for (cap, name, weight, kept, dropped) in [
        (
            17,
            "CapabilityBoundingSet=~CAP_SYS_RAWIO",
            1000,
            "Service has raw I/O access",
            "Service has no raw I/O access",
        ),
        (
            27,
            "CapabilityBoundingSet=~CAP_MKNOD",
            500,
            "Service may create device nodes",
            "Service cannot create device nodes",
        ),
    ] {
        let keeps = ec
            .capability_bounding_set
            .is_none_or(|mask| mask & (1 << cap) != 0);
        row(
            name,
            weight,
            1,
            Some(u64::from(privileged && keeps)),
            if keeps { kept } else { dropped },
        );
    }
    let umask = s.process.umask;
    let (b, d) = if umask & 0o002 == 0 {
        (10, "Files created by service are world-writable by default")
    } else if umask & 0o004 == 0 {
        (5, "Files created by service are world-readable by default")
    } else if umask & 0o020 == 0 {
        (2, "Files created by service are group-writable by default")
    } else if umask & 0o040 == 0 {
        (1, "Files created by service are group-readable by default")
    } else {
        (
            0,
            "Files created by service are accessible only by service's own user by default",
        )
    };
    row("UMask=", 100, 10, Some(b), d);
    let b = match sb.protect_proc {
        ProtectProc::Default => 3,
        ProtectProc::Noaccess => 1,
        ProtectProc::Invisible | ProtectProc::Ptraceable => 0,
    };
    row(
        "ProtectProc=",
        1000,
        3,
        Some(b),
        "Service has access to other processes' /proc entries",
    );
    row(
        "ProcSubset=",
        10,
        1,
        flag(sb.proc_subset_pid),
        "Service has access to non-process /proc files",
    );
    row(
        "NotifyAccess=",
        1000,
        1,
        Some(u64::from(s.notify_access == Some(NotifyAccess::All))),
        "Service child processes may alter service state",
    );
    row(
        "Delegate=",
        100,
        1,
        Some(u64::from(s.delegate)),
        "Service maintains its own delegated control group subtree",
    );
    row(
        "RestrictRealtime=",
        500,
        1,
        flag(sb.restrict_realtime),
        "Service cannot acquire realtime scheduling",
    );
    row(
        "RestrictSUIDSGID=",
        1000,
        1,
        flag(sb.restrict_suid_sgid),
        "Service cannot create SUID/SGID files",
    );
    for (name, weight) in [
        ("user", 1500),
        ("mnt", 500),
        ("ipc", 500),
        ("pid", 500),
        ("cgroup", 500),
        ("net", 500),
        ("uts", 100),
    ] {
        let f = NAMESPACES
            .iter()
            .find(|(n, _)| *n == name)
            .map_or(0, |(_, f)| *f);
        let allowed = sb.restrict_namespaces.is_none_or(|a| a & f != 0);
        row(
            &format!("RestrictNamespaces=~{name}"),
            weight,
            1,
            Some(u64::from(allowed)),
            &format!("Service may create {name} namespaces"),
        );
    }
    let family_allowed = |af: i32| match &sb.restrict_address_families {
        None => true,
        Some(a) => a.families.contains(&af) == a.allow_list,
    };
    for (name, weight, families) in [
        (
            "AF_(INET|INET6)",
            1500,
            &[libc::AF_INET, libc::AF_INET6][..],
        ),
        ("AF_UNIX", 25, &[libc::AF_UNIX][..]),
        ("AF_NETLINK", 200, &[libc::AF_NETLINK][..]),
        ("AF_PACKET", 1000, &[libc::AF_PACKET][..]),
    ] {
        row(
            &format!("RestrictAddressFamilies=~{name}"),
            weight,
            1,
            Some(u64::from(families.iter().any(|f| family_allowed(*f)))),
            &format!("Service may allocate {name} sockets"),
        );
    }
    let others_restricted = sb
        .restrict_address_families
        .as_ref()
        .is_some_and(|a| a.allow_list);
    row(
        "RestrictAddressFamilies=~…",
        1250,
        1,
        flag(others_restricted),
        "Service may allocate exotic sockets",
    );
    row(
        "SystemCallArchitectures=",
        1000,
        10,
        Some(if sb.system_call_architectures_native {
            0
        } else {
            10
        }),
        "Service may execute system calls with all ABIs",
    );
    for (group, weight) in [
        ("@swap", 1000),
        ("@obsolete", 250),
        ("@clock", 1000),
        ("@cpu-emulation", 250),
        ("@debug", 1000),
        ("@mount", 1000),
        ("@module", 1000),
        ("@raw-io", 1000),
        ("@reboot", 1000),
        ("@privileged", 700),
        ("@resources", 700),
    ] {
        let calls = syscall_groups::expand(group, &[]).unwrap_or_default();
        // systemd: an allow list that lets one of the group through is 9,
        // a deny list that misses one is 10.
        let b = match &sb.system_call_filter {
            None => 10,
            Some(f) if f.allow_list => u64::from(calls.iter().any(|c| f.calls.contains_key(c))) * 9,
            Some(f) => u64::from(!calls.iter().all(|c| f.calls.contains_key(c))) * 10,
        };
        row(
            &format!("SystemCallFilter=~{group}"),
            weight,
            10,
            Some(b),
            &format!("Service may call {group} system calls"),
        );
    }
    let (badness, what) = ip_address_badness(sb);
    row("IPAddressDeny=", 1000, 10, Some(badness), what);
    let (badness, what) = device_acl_badness(sb);
    row("DeviceAllow=", 1000, 10, Some(badness), &what);
    // systemd: the sum of each row's badness scaled to its weight, over
    // the sum of the weights, both rounded up.
    let (mut badness_sum, mut weight_sum) = (0u64, 0u64);
    for r in &rows {
        if let Some(b) = r.badness {
            badness_sum += (b * r.weight).div_ceil(r.range);
            weight_sum += r.weight;
        }
    }
    let exposure = (badness_sum * 100).div_ceil(weight_sum.max(1)).min(100);
    Assessment { rows, exposure }
}

/// systemd 252 (assess_ip_address_allow): no deny-everything list is 10,
/// an allow list with other than localhost entries 5, one of localhost
/// only 2, everything blocked 0.
fn ip_address_badness(sb: &Sandbox) -> (u64, &'static str) {
    use super::ip_address::covers_everything;
    if !covers_everything(&sb.ip_address_deny) {
        (10, "Service defines no IP address allow list")
    } else if !sb.ip_address_allow.iter().all(|p| p.is_localhost()) {
        (
            5,
            "Service defines IP address allow list with non-localhost entries",
        )
    } else if !sb.ip_address_allow.is_empty() {
        (
            2,
            "Service defines IP address allow list with only localhost entries",
        )
    } else {
        (0, "Service blocks all IP address ranges")
    }
}

/// systemd 252 (assess_device_allow): a strict or closed policy (which
/// `PrivateDevices=` makes of `auto`) is a minimal ACL, or one with some
/// special devices where it lists any; anything else is no ACL.
fn device_acl_badness(sb: &Sandbox) -> (u64, String) {
    let policy = match sb.device_policy {
        DevicePolicy::Auto if sb.private_devices => DevicePolicy::Closed,
        p => p,
    };
    match policy {
        DevicePolicy::Auto => (10, "Service has no device ACL".to_owned()),
        _ if sb.device_allow.is_empty() => (0, "Service has a minimal device ACL".to_owned()),
        _ => {
            let list: Vec<String> = sb
                .device_allow
                .iter()
                .map(|d| format!("{}:{}", d.specifier, d.access))
                .collect();
            (
                5,
                format!(
                    "Service has a device ACL with some special devices: {}",
                    list.join(" ")
                ),
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::unit::test_text::service_unit;

    #[test]
    fn private_devices_clears_the_raw_io_and_device_node_rows() {
        let badness = |body: &str, row: &str| {
            assess(&service_unit(&format!("ExecStart=/bin/true\n{body}")))
                .rows
                .into_iter()
                .find(|r| r.name == row)
                .and_then(|r| r.badness)
        };
        for row in [
            "CapabilityBoundingSet=~CAP_SYS_RAWIO",
            "CapabilityBoundingSet=~CAP_MKNOD",
        ] {
            assert_eq!(badness("", row), Some(1), "{row}");
            assert_eq!(badness("PrivateDevices=yes", row), Some(0), "{row}");
            assert_eq!(badness("User=nobody", row), Some(0), "{row}");
        }
        let plain = assess(&service_unit("ExecStart=/bin/true"));
        let private = assess(&service_unit("ExecStart=/bin/true\nPrivateDevices=yes"));
        assert!(private.exposure < plain.exposure);
    }

    #[test]
    fn hardening_lowers_the_exposure() {
        let plain = assess(&service_unit("ExecStart=/bin/true"));
        assert!(plain.exposure >= 90, "{}", plain.exposure);
        assert_eq!(
            plain.label(),
            if plain.exposure >= 100 {
                "DANGEROUS"
            } else {
                "UNSAFE"
            }
        );
        let hardened = assess(&service_unit(
            "ExecStart=/bin/true\nUser=daemon\nPrivateTmp=yes\nPrivateDevices=yes\nPrivateNetwork=yes\n\
             ProtectSystem=strict\nProtectHome=yes\nProtectKernelTunables=yes\nProtectKernelModules=yes\n\
             ProtectKernelLogs=yes\nProtectControlGroups=yes\nProtectClock=yes\nProtectHostname=yes\n\
             RestrictNamespaces=yes\nRestrictAddressFamilies=AF_UNIX\nRestrictRealtime=yes\n\
             RestrictSUIDSGID=yes\nLockPersonality=yes\nMemoryDenyWriteExecute=yes\n\
             SystemCallArchitectures=native\nSystemCallFilter=@system-service\n\
             SystemCallFilter=~@privileged @resources\nProtectProc=invisible\nProcSubset=pid\nUMask=0077",
        ));
        assert!(hardened.exposure < plain.exposure);
        assert!(hardened.exposure < 50, "{}", hardened.exposure);
        let row =
            |a: &Assessment, n: &str| a.rows.iter().find(|r| r.name == n).and_then(|r| r.badness);
        assert_eq!(row(&plain, "PrivateTmp="), Some(1));
        assert_eq!(row(&hardened, "PrivateTmp="), Some(0));
        assert_eq!(row(&hardened, "SystemCallFilter=~@mount"), Some(0));
        assert_eq!(row(&plain, "SupplementaryGroups="), None);
    }

    #[test]
    fn the_ip_address_row_rates_the_lists_as_systemd() {
        let badness = |body: &str| {
            assess(&service_unit(&format!("ExecStart=/bin/true\n{body}")))
                .rows
                .iter()
                .find(|r| r.name == "IPAddressDeny=")
                .and_then(|r| r.badness)
        };
        assert_eq!(badness(""), Some(10));
        assert_eq!(badness("IPAddressDeny=10.0.0.0/8"), Some(10));
        assert_eq!(badness("IPAddressDeny=any"), Some(0));
        assert_eq!(
            badness("IPAddressDeny=any\nIPAddressAllow=localhost"),
            Some(2)
        );
        assert_eq!(
            badness("IPAddressDeny=any\nIPAddressAllow=localhost 10.0.0.1"),
            Some(5)
        );
        let open = assess(&service_unit("ExecStart=/bin/true"));
        let closed = assess(&service_unit("ExecStart=/bin/true\nIPAddressDeny=any"));
        assert!(closed.exposure < open.exposure);
    }

    #[test]
    fn the_device_row_says_which_acl_the_service_has() {
        let row = |body: &str| {
            let a = assess(&service_unit(&format!("ExecStart=/bin/true\n{body}")));
            let r = a
                .rows
                .into_iter()
                .find(|r| r.name == "DeviceAllow=")
                .unwrap();
            (r.badness, r.description)
        };
        assert_eq!(row(""), (Some(10), "Service has no device ACL".to_owned()));
        assert_eq!(
            row("DevicePolicy=closed"),
            (Some(0), "Service has a minimal device ACL".to_owned())
        );
        assert_eq!(
            row("DevicePolicy=strict\nDeviceAllow=/dev/zero r"),
            (
                Some(5),
                "Service has a device ACL with some special devices: /dev/zero:r".to_owned()
            )
        );
    }
}
