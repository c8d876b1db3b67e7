//! From a service's [`ExecContext`] to the [`Privileges`] its commands'
//! children apply: which capabilities leave the bounding set, which sets a
//! `capset` installs for `AmbientCapabilities=`, the scheduler, I/O
//! priority, CPU mask and OOM score. Pure: the daemon's own capabilities
//! come in as [`HostCaps`].
//!
//! Where a setting cannot be applied by this daemon (no ambient capability
//! support, a capability the daemon does not hold), the plan is refused
//! with a message and the command does not start: never a run without what
//! the unit asked for.

use crate::unit::exec_context::{capability_names, CpuPolicy, ExecContext, IoClass};

use super::spawn::privileges::{CapSets, Scheduler, SECBIT_KEEP_CAPS};
use super::spawn::{exit_code, Privileges};

const CAP_SETPCAP: u32 = 8;
const CAP_SYS_NICE: u32 = 23;
const CAP_SYS_RESOURCE: u32 = 24;

/// What the daemon's process holds, read once per spawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HostCaps {
    pub effective: u64,
    pub permitted: u64,
    pub inheritable: u64,
    /// The highest capability number the kernel knows.
    pub last_cap: u32,
    /// Whether the kernel has ambient capabilities (4.3+).
    pub ambient_supported: bool,
}

impl HostCaps {
    /// This process's.
    pub fn of_process() -> HostCaps {
        let mask = |set| {
            caps::read(None, set)
                .map(|s| s.iter().fold(0u64, |m, c| m | c.bitmask()))
                .unwrap_or(0)
        };
        let last_cap = std::fs::read_to_string("/proc/sys/kernel/cap_last_cap")
            .ok()
            .and_then(|s| s.trim().parse().ok())
            .unwrap_or_else(|| {
                caps::runtime::thread_all_supported()
                    .iter()
                    .map(|c| u32::from(c.index()))
                    .max()
                    .unwrap_or(0)
            });
        HostCaps {
            effective: mask(caps::CapSet::Effective),
            permitted: mask(caps::CapSet::Permitted),
            inheritable: mask(caps::CapSet::Inheritable),
            last_cap,
            ambient_supported: caps::runtime::ambient_set_supported().is_ok(),
        }
    }
}

/// Why a service's privileges cannot be set up; each names the directive.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PrivilegeError {
    #[error("AmbientCapabilities= needs ambient capabilities, which this kernel lacks")]
    NoAmbient,
    #[error("AmbientCapabilities=: the daemon does not hold {0}, so cannot pass it on")]
    NotHeld(String),
    #[error("{directive}= needs {capability}, which the daemon does not hold (run it as root)")]
    Needs {
        directive: &'static str,
        capability: &'static str,
    },
    #[error(
        "CPUSchedulingPriority={priority} is outside {range} for CPUSchedulingPolicy={policy}"
    )]
    Priority {
        priority: u8,
        policy: &'static str,
        range: &'static str,
    },
}

impl PrivilegeError {
    /// systemd's exit status for the failure.
    pub fn exit_status(&self) -> i32 {
        match self {
            PrivilegeError::Priority { .. } => exit_code::SETSCHEDULER,
            PrivilegeError::Needs {
                directive: "OOMScoreAdjust",
                ..
            } => exit_code::OOM_ADJUST,
            PrivilegeError::Needs {
                directive: "CPUSchedulingPolicy",
                ..
            } => exit_code::SETSCHEDULER,
            _ => exit_code::CAPABILITIES,
        }
    }
}

/// The privileges of a command of a service with `c`. `new_uid`: the uid
/// the command changes to (`None`: it keeps the daemon's).
pub fn plan(
    c: &ExecContext,
    new_uid: Option<u32>,
    host: &HostCaps,
) -> Result<Privileges, PrivilegeError> {
    let holds = |cap: u32| host.effective & (1 << cap) != 0;
    let needs = |directive, capability| {
        Err(PrivilegeError::Needs {
            directive,
            capability,
        })
    };
    // Checked here rather than left to fail in the child, for a message
    // that says why.
    if c.oom_score_adjust.is_some_and(|n| n < 0) && !holds(CAP_SYS_RESOURCE) {
        return needs("OOMScoreAdjust", "CAP_SYS_RESOURCE");
    }
    if c.capability_bounding_set.is_some() && !holds(CAP_SETPCAP) {
        return needs("CapabilityBoundingSet", "CAP_SETPCAP");
    }
    if c.cpu_scheduling_policy.is_some_and(CpuPolicy::is_realtime) && !holds(CAP_SYS_NICE) {
        return needs("CPUSchedulingPolicy", "CAP_SYS_NICE");
    }
    let mut p = Privileges {
        oom_score_adj: c.oom_score_adjust,
        ignore_sigpipe: c.ignore_sigpipe,
        no_new_privs: c.no_new_privileges,
        ..Privileges::NONE
    };
    if c.io_scheduling_class.is_some() || c.io_scheduling_priority.is_some() {
        // systemd: best-effort 4 unless told; idle and none take no level.
        let class = c.io_scheduling_class.unwrap_or(IoClass::BestEffort);
        let data = match class {
            IoClass::Idle | IoClass::None => 0,
            _ => i32::from(c.io_scheduling_priority.unwrap_or(4)),
        };
        p.ioprio = Some(class.number() << 13 | data);
    }
    if c.cpu_scheduling_policy.is_some()
        || c.cpu_scheduling_priority.is_some()
        || c.cpu_scheduling_reset_on_fork
    {
        let policy = c.cpu_scheduling_policy.unwrap_or(CpuPolicy::Other);
        let given = c.cpu_scheduling_priority;
        let priority = match (policy.is_realtime(), given) {
            (true, None) => 1,
            (true, Some(n)) if n >= 1 => n,
            (false, None | Some(0)) => 0,
            (realtime, Some(n)) => {
                return Err(PrivilegeError::Priority {
                    priority: n,
                    policy: policy_name(policy),
                    range: if realtime { "1..99" } else { "0" },
                })
            }
        };
        p.scheduler = Some(Scheduler {
            policy: policy.number(),
            priority: i32::from(priority),
            reset_on_fork: c.cpu_scheduling_reset_on_fork,
        });
    }
    if let Some(cpus) = &c.cpu_affinity {
        let words = cpus.last().map_or(1, |max| *max as usize / 64 + 1);
        let mut mask = vec![0u64; words];
        for cpu in cpus {
            mask[*cpu as usize / 64] |= 1 << (cpu % 64);
        }
        p.cpu_affinity = Some(mask);
    }
    if let Some(keep) = c.capability_bounding_set {
        p.bounding_drop = (0..=host.last_cap.min(63))
            .filter(|cap| keep & (1 << cap) == 0)
            .collect();
    }
    let mut secure_bits = c.secure_bits;
    let ambient = c.ambient_capabilities;
    if ambient != 0 {
        if !host.ambient_supported {
            return Err(PrivilegeError::NoAmbient);
        }
        let missing = ambient & !host.permitted;
        if missing != 0 {
            return Err(PrivilegeError::NotHeld(capability_names(missing).join(" ")));
        }
        p.cap_sets = Some(match new_uid {
            // systemd (exec_child): keep the permitted set through the
            // change of uid, then narrow it to the ambient set, which the
            // kernel requires in both permitted and inheritable.
            Some(uid) if uid != 0 => {
                secure_bits |= SECBIT_KEEP_CAPS;
                CapSets {
                    effective: ambient,
                    permitted: ambient,
                    inheritable: ambient,
                }
            }
            _ => CapSets {
                effective: host.effective,
                permitted: host.permitted,
                inheritable: host.inheritable | ambient,
            },
        });
        p.ambient = (0..64).filter(|cap| ambient & (1 << cap) != 0).collect();
    }
    if secure_bits != 0 {
        p.secure_bits = Some(secure_bits);
    }
    Ok(p)
}

fn policy_name(p: CpuPolicy) -> &'static str {
    match p {
        CpuPolicy::Other => "other",
        CpuPolicy::Batch => "batch",
        CpuPolicy::Idle => "idle",
        CpuPolicy::Fifo => "fifo",
        CpuPolicy::Rr => "rr",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ROOT: HostCaps = HostCaps {
        effective: (1 << 41) - 1,
        permitted: (1 << 41) - 1,
        inheritable: 0,
        last_cap: 40,
        ambient_supported: true,
    };

    fn context(body: &str) -> ExecContext {
        crate::unit::test_text::service_unit(&format!("ExecStart=/bin/true\n{body}"))
            .service
            .exec_context()
            .clone()
    }

    #[test]
    fn nothing_asked_nothing_changed() {
        let p = plan(&context(""), None, &ROOT).expect("plans");
        assert!(!p.needs_fork());
        assert!(p.ignore_sigpipe);
    }

    #[test]
    fn the_bounding_set_drops_all_but_the_kept() {
        let p = plan(&context("CapabilityBoundingSet=~CAP_NET_RAW"), None, &ROOT).expect("ok");
        assert_eq!(p.bounding_drop, [13]);
        let p = plan(&context("CapabilityBoundingSet=CAP_NET_RAW"), None, &ROOT).expect("ok");
        assert_eq!(p.bounding_drop.len(), 40);
        assert!(!p.bounding_drop.contains(&13));
        assert!(p.needs_fork());
    }

    #[test]
    fn ambient_capabilities_for_another_user_keep_caps_through_the_change() {
        let c = context("AmbientCapabilities=CAP_NET_RAW CAP_NET_BIND_SERVICE");
        let p = plan(&c, Some(65534), &ROOT).expect("ok");
        let set = 1 << 13 | 1 << 10;
        assert_eq!(
            p.cap_sets,
            Some(CapSets {
                effective: set,
                permitted: set,
                inheritable: set
            })
        );
        assert_eq!(p.ambient, [10, 13]);
        assert_eq!(p.secure_bits, Some(SECBIT_KEEP_CAPS));
        // Staying root: the sets kept, the ambient ones inheritable.
        let p = plan(&c, None, &ROOT).expect("ok");
        assert_eq!(p.cap_sets.expect("set").inheritable, set);
        assert_eq!(p.secure_bits, None);
        // A daemon without them cannot give them.
        let user = HostCaps {
            effective: 0,
            permitted: 0,
            ..ROOT
        };
        assert_eq!(
            plan(&c, None, &user),
            Err(PrivilegeError::NotHeld(
                "CAP_NET_BIND_SERVICE CAP_NET_RAW".into()
            ))
        );
        let old = HostCaps {
            ambient_supported: false,
            ..ROOT
        };
        assert_eq!(plan(&c, None, &old), Err(PrivilegeError::NoAmbient));
    }

    #[test]
    fn what_the_daemon_cannot_do_is_refused_with_its_reason() {
        let user = HostCaps {
            effective: 0,
            permitted: 0,
            ..ROOT
        };
        let refused = |body: &str| plan(&context(body), None, &user).map_err(|e| e.to_string());
        assert_eq!(
            refused("CapabilityBoundingSet=~CAP_NET_RAW"),
            Err("CapabilityBoundingSet= needs CAP_SETPCAP, which the daemon does not hold (run it as root)".into())
        );
        assert!(refused("OOMScoreAdjust=-5").is_err());
        assert!(refused("OOMScoreAdjust=5").is_ok(), "raising needs nothing");
        assert!(refused("CPUSchedulingPolicy=fifo").is_err());
        assert!(refused("CPUSchedulingPolicy=batch").is_ok());
        assert!(refused("NoNewPrivileges=yes").is_ok());
    }

    #[test]
    fn scheduling_values() {
        let p = plan(
            &context("IOSchedulingClass=idle\nCPUSchedulingPolicy=rr\nCPUAffinity=1 65\nOOMScoreAdjust=100"),
            None,
            &ROOT,
        )
        .expect("ok");
        assert_eq!(p.ioprio, Some(3 << 13));
        assert_eq!(
            p.scheduler,
            Some(Scheduler {
                policy: libc::SCHED_RR,
                priority: 1,
                reset_on_fork: false
            })
        );
        assert_eq!(p.cpu_affinity, Some(vec![1 << 1, 1 << 1]));
        assert_eq!(p.oom_score_adj, Some(100));
        let p = plan(&context("IOSchedulingPriority=2"), None, &ROOT).expect("ok");
        assert_eq!(p.ioprio, Some(2 << 13 | 2));
        let e = plan(
            &context("CPUSchedulingPolicy=batch\nCPUSchedulingPriority=5"),
            None,
            &ROOT,
        );
        assert_eq!(
            e.map_err(|e| e.to_string()),
            Err("CPUSchedulingPriority=5 is outside 0 for CPUSchedulingPolicy=batch".into())
        );
    }
}
