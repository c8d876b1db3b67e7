//! A service's resource directives as cgroup file writes, each in the
//! hierarchy that has its controller: cgroup v2 where the daemon's v2 tree
//! offers it, else cgroup v1 (the hybrid layout), else not enforced. Pure:
//! what the machine has is an argument.

use crate::unit::service::{Limit, ServiceSection};

/// One write into a service's cgroup.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Write {
    pub controller: &'static str,
    pub file: &'static str,
    pub value: String,
}

/// Where each of a service's settings goes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Plan {
    /// Into its cgroup v2 directory, in order.
    pub v2: Vec<Write>,
    /// Into its cgroup v1 directory of the write's controller, in order.
    pub v1: Vec<Write>,
    /// Directives that are not enforced, with why.
    pub not_enforced: Vec<String>,
}

impl Plan {
    #[cfg(test)]
    pub fn is_empty(&self) -> bool {
        self.v2.is_empty() && self.v1.is_empty() && self.not_enforced.is_empty()
    }
}

/// What the machine offers.
#[derive(Debug, Clone, Copy)]
pub struct Offered<'a> {
    /// Controllers the daemon's cgroup v2 subtree may enable.
    pub v2: &'a [String],
    /// Controllers of the writable v1 hierarchies.
    pub v1: &'a [String],
    /// Physical memory in bytes (for `MemoryMax=50%`).
    pub physical_memory: u64,
    /// The kernel's task maximum (for `TasksMax=15%`).
    pub tasks_total: u64,
}

impl Offered<'_> {
    fn hierarchy(&self, v2: &str, v1: &str) -> Option<Hierarchy> {
        if self.v2.iter().any(|c| c == v2) {
            Some(Hierarchy::V2)
        } else if self.v1.iter().any(|c| c == v1) {
            Some(Hierarchy::V1)
        } else {
            None
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Hierarchy {
    V2,
    V1,
}

/// systemd's default CPUQuotaPeriodSec=, and the kernel's bounds on it.
const DEFAULT_PERIOD_USEC: u64 = 100_000;
const MIN_PERIOD_USEC: u64 = 1_000;
const MAX_PERIOD_USEC: u64 = 1_000_000;
/// The kernel's smallest CFS quota.
const MIN_QUOTA_USEC: u64 = 1_000;

/// The writes for `service`; `default_tasks_max` is the manager's
/// DefaultTasksMax= (used where the unit sets no TasksMax=).
pub fn plan(
    service: &ServiceSection,
    default_tasks_max: Option<Limit>,
    offered: Offered<'_>,
) -> Plan {
    let mut plan = Plan::default();
    memory(service, offered, &mut plan);
    cpu(service, offered, &mut plan);
    let tasks = service.rare().tasks_max.or(default_tasks_max);
    if let Some(t) = tasks {
        let value = match t {
            Limit::Infinity => "max".to_owned(),
            l => absolute(l, offered.tasks_total).to_string(),
        };
        let w = Write {
            controller: "pids",
            file: "pids.max",
            value,
        };
        match offered.hierarchy("pids", "pids") {
            Some(Hierarchy::V2) => plan.v2.push(w),
            Some(Hierarchy::V1) => plan.v1.push(w),
            // A manager default is no unit's request: not worth a message.
            None if service.rare().tasks_max.is_some() => plan
                .not_enforced
                .push("TasksMax= (no pids controller)".into()),
            None => {}
        }
    }
    if let Some(w) = service.rare().io_weight {
        match offered.hierarchy("io", "blkio") {
            Some(Hierarchy::V2) => plan.v2.push(Write {
                controller: "io",
                file: "io.weight",
                value: format!("default {w}"),
            }),
            // systemd: cgroup_weight_io_to_blkio.
            Some(Hierarchy::V1) => plan.v1.push(Write {
                controller: "blkio",
                file: "blkio.weight",
                value: (w * 500 / 100).clamp(10, 1000).to_string(),
            }),
            None => plan
                .not_enforced
                .push("IOWeight= (no io or blkio weight controller)".into()),
        }
    }
    plan
}

fn memory(s: &ServiceSection, offered: Offered<'_>, plan: &mut Plan) {
    let max = s.rare().memory_max.or(s.rare().memory_limit);
    let total = offered.physical_memory;
    let v2 = |l: Limit| match l {
        Limit::Infinity => "max".to_owned(),
        l => absolute(l, total).to_string(),
    };
    match offered.hierarchy("memory", "memory") {
        Some(Hierarchy::V2) => {
            for (limit, file) in [
                (s.rare().memory_high, "memory.high"),
                (max, "memory.max"),
                (s.rare().memory_swap_max, "memory.swap.max"),
            ] {
                if let Some(l) = limit {
                    plan.v2.push(Write {
                        controller: "memory",
                        file,
                        value: v2(l),
                    });
                }
            }
        }
        Some(Hierarchy::V1) => {
            let v1 = |l: Limit| match l {
                Limit::Infinity => "-1".to_owned(),
                l => absolute(l, total).to_string(),
            };
            if let Some(l) = max {
                plan.v1.push(Write {
                    controller: "memory",
                    file: "memory.limit_in_bytes",
                    value: v1(l),
                });
            }
            // v1 limits memory and swap together (memsw >= memory).
            match (max, s.rare().memory_swap_max) {
                (_, None) => {}
                (_, Some(Limit::Infinity)) => plan.v1.push(Write {
                    controller: "memory",
                    file: "memory.memsw.limit_in_bytes",
                    value: "-1".into(),
                }),
                (Some(m), Some(swap)) if m != Limit::Infinity => plan.v1.push(Write {
                    controller: "memory",
                    file: "memory.memsw.limit_in_bytes",
                    value: (absolute(m, total) + absolute(swap, total)).to_string(),
                }),
                _ => plan.not_enforced.push(
                    "MemorySwapMax= (cgroup v1 limits memory and swap together: it needs MemoryMax= beside it)"
                        .into(),
                ),
            }
            if s.rare().memory_high.is_some() {
                plan.not_enforced
                    .push("MemoryHigh= (no cgroup v1 equivalent)".into());
            }
        }
        None => {
            for (limit, name) in [
                (s.rare().memory_max, "MemoryMax="),
                (s.rare().memory_limit, "MemoryLimit="),
                (s.rare().memory_high, "MemoryHigh="),
                (s.rare().memory_swap_max, "MemorySwapMax="),
            ] {
                if limit.is_some() {
                    plan.not_enforced
                        .push(format!("{name} (no memory controller)"));
                }
            }
        }
    }
}

fn cpu(s: &ServiceSection, offered: Offered<'_>, plan: &mut Plan) {
    let weight = s
        .rare()
        .cpu_weight
        .or(s.rare().cpu_shares.map(shares_to_weight));
    let shares = s
        .rare()
        .cpu_shares
        .or(s.rare().cpu_weight.map(weight_to_shares));
    if s.rare().cpu_quota.is_none() && weight.is_none() {
        return;
    }
    let period = period_usec(s.rare().cpu_quota_period_usec);
    let quota = s.rare().cpu_quota.map(|q| quota_usec(q, period));
    match offered.hierarchy("cpu", "cpu") {
        Some(Hierarchy::V2) => {
            if let Some(q) = quota {
                plan.v2.push(Write {
                    controller: "cpu",
                    file: "cpu.max",
                    value: format!("{q} {period}"),
                });
            }
            if let Some(w) = weight {
                plan.v2.push(Write {
                    controller: "cpu",
                    file: "cpu.weight",
                    value: w.to_string(),
                });
            }
        }
        Some(Hierarchy::V1) => {
            if let Some(q) = quota {
                plan.v1.push(Write {
                    controller: "cpu",
                    file: "cpu.cfs_period_us",
                    value: period.to_string(),
                });
                plan.v1.push(Write {
                    controller: "cpu",
                    file: "cpu.cfs_quota_us",
                    value: q.to_string(),
                });
            }
            if let Some(sh) = shares {
                plan.v1.push(Write {
                    controller: "cpu",
                    file: "cpu.shares",
                    value: sh.to_string(),
                });
            }
        }
        None => {
            for (set, name) in [
                (s.rare().cpu_quota.is_some(), "CPUQuota="),
                (s.rare().cpu_weight.is_some(), "CPUWeight="),
                (s.rare().cpu_shares.is_some(), "CPUShares="),
            ] {
                if set {
                    plan.not_enforced
                        .push(format!("{name} (no cpu controller)"));
                }
            }
        }
    }
}

/// `CPUQuotaPeriodSec=` in µs, within the kernel's bounds (systemd clamps
/// it the same way); systemd's 100 ms where none is set.
pub fn period_usec(period: Option<u64>) -> u64 {
    period
        .unwrap_or(DEFAULT_PERIOD_USEC)
        .clamp(MIN_PERIOD_USEC, MAX_PERIOD_USEC)
}

/// The CPU time per `period` for `CPUQuota=` in per ten thousand of one CPU
/// (systemd: cgroup_apply_cpu_quota).
pub fn quota_usec(permyriad: u32, period: u64) -> u64 {
    (u64::from(permyriad) * period / 10_000).max(MIN_QUOTA_USEC)
}

/// systemd: cgroup_cpu_shares_to_weight.
pub fn shares_to_weight(shares: u64) -> u64 {
    (shares * 100 / 1024).clamp(1, 10_000)
}

/// systemd: cgroup_cpu_weight_to_shares.
pub fn weight_to_shares(weight: u64) -> u64 {
    (weight * 1024 / 100).clamp(2, 262_144)
}

/// A limit's absolute value: a share of `total` for `N%`.
fn absolute(l: Limit, total: u64) -> u64 {
    match l {
        Limit::Absolute(v) => v,
        Limit::Permyriad(p) => (u128::from(total) * u128::from(p) / 10_000) as u64,
        Limit::Infinity => u64::MAX,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::unit::RareServiceOptions;

    fn offered<'a>(v2: &'a [String], v1: &'a [String]) -> Offered<'a> {
        Offered {
            v2,
            v1,
            physical_memory: 8 << 30,
            tasks_total: 4_194_304,
        }
    }

    fn with_rare(rare: RareServiceOptions) -> ServiceSection {
        ServiceSection {
            rare: Some(Box::new(rare)),
            ..Default::default()
        }
    }

    fn list(names: &[&str]) -> Vec<String> {
        names.iter().map(|s| (*s).to_owned()).collect()
    }

    fn w(controller: &'static str, file: &'static str, value: &str) -> Write {
        Write {
            controller,
            file,
            value: value.into(),
        }
    }

    #[test]
    fn cpu_quota_is_quota_and_period() {
        assert_eq!(quota_usec(5000, period_usec(None)), 50_000);
        assert_eq!(quota_usec(2000, 100_000), 20_000);
        // 200%: two CPUs' worth.
        assert_eq!(quota_usec(20_000, 100_000), 200_000);
        // Never below the kernel's 1 ms.
        assert_eq!(quota_usec(1, 100_000), 1_000);
        assert_eq!(period_usec(Some(10)), 1_000);
        assert_eq!(period_usec(Some(5_000_000)), 1_000_000);
    }

    #[test]
    fn the_seeds_gunicorn_limits_go_to_v1_in_the_hybrid_layout() {
        let s = with_rare(RareServiceOptions {
            memory_limit: Some(Limit::Absolute(500 << 20)),
            cpu_quota: Some(5000),
            ..Default::default()
        });
        let v1 = list(&["memory", "cpu", "cpuacct", "pids"]);
        let p = plan(&s, None, offered(&list(&["hugetlb"]), &v1));
        assert!(p.v2.is_empty());
        assert_eq!(
            p.v1,
            vec![
                w("memory", "memory.limit_in_bytes", "524288000"),
                w("cpu", "cpu.cfs_period_us", "100000"),
                w("cpu", "cpu.cfs_quota_us", "50000"),
            ]
        );
        assert!(p.not_enforced.is_empty());
    }

    #[test]
    fn v2_wins_where_it_offers_the_controller() {
        let s = with_rare(RareServiceOptions {
            memory_max: Some(Limit::Absolute(1 << 20)),
            memory_high: Some(Limit::Permyriad(5000)),
            memory_swap_max: Some(Limit::Infinity),
            cpu_quota: Some(5000),
            cpu_quota_period_usec: Some(10_000),
            cpu_shares: Some(2048),
            tasks_max: Some(Limit::Infinity),
            io_weight: Some(200),
            ..Default::default()
        });
        let v2 = list(&["cpu", "memory", "pids", "io"]);
        let p = plan(&s, None, offered(&v2, &list(&["memory", "cpu"])));
        assert!(p.v1.is_empty());
        assert_eq!(
            p.v2,
            vec![
                w("memory", "memory.high", &(4u64 << 30).to_string()),
                w("memory", "memory.max", "1048576"),
                w("memory", "memory.swap.max", "max"),
                w("cpu", "cpu.max", "5000 10000"),
                w("cpu", "cpu.weight", "200"),
                w("pids", "pids.max", "max"),
                w("io", "io.weight", "default 200"),
            ]
        );
    }

    #[test]
    fn v1_spellings_and_what_v1_cannot_do() {
        let s = with_rare(RareServiceOptions {
            memory_max: Some(Limit::Absolute(50 << 20)),
            memory_swap_max: Some(Limit::Absolute(10 << 20)),
            memory_high: Some(Limit::Absolute(40 << 20)),
            cpu_weight: Some(50),
            tasks_max: Some(Limit::Absolute(20)),
            io_weight: Some(1),
            ..Default::default()
        });
        let v1 = list(&["memory", "cpu", "pids", "blkio"]);
        let p = plan(&s, None, offered(&[], &v1));
        assert_eq!(
            p.v1,
            vec![
                w("memory", "memory.limit_in_bytes", "52428800"),
                w("memory", "memory.memsw.limit_in_bytes", "62914560"),
                w("cpu", "cpu.shares", "512"),
                w("pids", "pids.max", "20"),
                w("blkio", "blkio.weight", "10"),
            ]
        );
        assert_eq!(
            p.not_enforced,
            vec!["MemoryHigh= (no cgroup v1 equivalent)"]
        );
        // Swap alone cannot be said in v1.
        let swap_only = with_rare(RareServiceOptions {
            memory_swap_max: Some(Limit::Absolute(1)),
            ..Default::default()
        });
        let p = plan(&swap_only, None, offered(&[], &v1));
        assert!(p.v1.is_empty());
        assert_eq!(p.not_enforced.len(), 1);
    }

    #[test]
    fn nothing_offered_is_said_and_a_default_alone_is_quiet() {
        let s = with_rare(RareServiceOptions {
            memory_limit: Some(Limit::Absolute(1)),
            cpu_quota: Some(1),
            tasks_max: Some(Limit::Absolute(3)),
            ..Default::default()
        });
        let p = plan(&s, None, offered(&[], &[]));
        assert_eq!(
            p.not_enforced,
            vec![
                "MemoryLimit= (no memory controller)",
                "CPUQuota= (no cpu controller)",
                "TasksMax= (no pids controller)",
            ]
        );
        let plain = ServiceSection::default();
        assert!(plan(&plain, Some(Limit::Absolute(9)), offered(&[], &[])).is_empty());
        let p = plan(
            &plain,
            Some(Limit::Permyriad(1500)),
            offered(&[], &list(&["pids"])),
        );
        assert_eq!(p.v1, vec![w("pids", "pids.max", "629145")]);
    }

    #[test]
    fn shares_and_weights_convert_as_systemd_does() {
        assert_eq!(shares_to_weight(1024), 100);
        assert_eq!(shares_to_weight(2), 1);
        assert_eq!(weight_to_shares(100), 1024);
        assert_eq!(weight_to_shares(10_000), 102_400);
    }
}
