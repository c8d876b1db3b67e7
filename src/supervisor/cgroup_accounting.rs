//! What a service's cgroups count: memory (now and at its peak), CPU time,
//! tasks, and the OOM killer's kills, read from whichever hierarchy has
//! the controller (v2 files first, then the hybrid layout's v1 ones).

use std::fs;
use std::path::Path;

use super::cgroup_v1::V1Dir;
use super::control_group::{self, ServiceCgroup};

/// A service's counters; `None` where no hierarchy counts it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Usage {
    pub memory_current: Option<u64>,
    /// The most memory the run used (v2 `memory.peak`, Linux 5.19; v1
    /// `memory.max_usage_in_bytes`).
    pub memory_peak: Option<u64>,
    pub cpu_nsec: Option<u64>,
    pub tasks: Option<u64>,
    /// `pids.max` where it is not `max`.
    pub tasks_max: Option<u64>,
    /// `IPAccounting=`'s counts (read by the supervisor from the counters
    /// of its BPF programs, not from a cgroup file).
    pub ip: Option<super::bpf::attach::IpTraffic>,
}

/// The service's cgroups.
#[derive(Debug, Clone, Copy)]
pub struct Dirs<'a> {
    pub v2: Option<&'a ServiceCgroup>,
    pub v1: &'a [V1Dir],
}

impl Dirs<'_> {
    fn v2_file(&self, file: &str) -> Option<String> {
        fs::read_to_string(self.v2?.dir.join(file)).ok()
    }

    /// A file of a v2 controller (`memory.*`, `pids.*`): there only where
    /// controllers apply to the cgroup, not looked for otherwise.
    fn v2_controller_file(&self, file: &str) -> Option<String> {
        let cg = self.v2.filter(|cg| cg.controllers)?;
        fs::read_to_string(cg.dir.join(file)).ok()
    }

    /// The run's CPU time in the v2 cgroup: what `cpu.stat` counts more
    /// than before the run (a cgroup kept from an earlier run counts on).
    fn v2_cpu_usec(&self) -> Option<u64> {
        let cg = self.v2?;
        let total = stat_field(&self.v2_file("cpu.stat")?, "usage_usec")?;
        Some(total.saturating_sub(cg.cpu_usec_before))
    }

    fn v1_file(&self, controller: &str, file: &str) -> Option<String> {
        let dir = self.v1.iter().find(|d| d.has(controller))?;
        fs::read_to_string(dir.dir.join(file)).ok()
    }

    /// The v2 file where it exists, else the v1 one.
    fn either(&self, v2: &str, controller: &str, v1: &str) -> Option<String> {
        self.v2_file(v2).or_else(|| self.v1_file(controller, v1))
    }

    /// [`Dirs::either`] for the counters a run's record and its OOM watch
    /// read, per run: the v2 file only where controllers apply.
    fn either_applied(&self, v2: &str, controller: &str, v1: &str) -> Option<String> {
        self.v2_controller_file(v2)
            .or_else(|| self.v1_file(controller, v1))
    }
}

/// Reads the counters.
pub fn usage(dirs: Dirs<'_>) -> Usage {
    let number = |t: Option<String>| t.and_then(|t| t.trim().parse::<u64>().ok());
    let cpu_nsec = dirs
        .v2_cpu_usec()
        .map(|us| us * 1000)
        .or_else(|| number(dirs.v1_file("cpuacct", "cpuacct.usage")));
    // Without a pids controller, the processes of the v2 cgroup.
    let tasks = number(dirs.either("pids.current", "pids", "pids.current")).or_else(|| {
        dirs.v2
            .map(|cg| control_group::processes(&cg.dir).len() as u64)
    });
    Usage {
        memory_current: number(dirs.either("memory.current", "memory", "memory.usage_in_bytes")),
        memory_peak: number(dirs.either("memory.peak", "memory", "memory.max_usage_in_bytes")),
        cpu_nsec,
        tasks,
        tasks_max: number(dirs.either("pids.max", "pids", "pids.max")),
        ip: None,
    }
}

/// The counters a run's record keeps (its peak memory and CPU time), read
/// as it ends: not the tasks, which would take a read of every process
/// list of its cgroups, nor the figures of the moment.
pub fn at_end(dirs: Dirs<'_>) -> Usage {
    let number = |t: Option<String>| t.and_then(|t| t.trim().parse::<u64>().ok());
    Usage {
        memory_peak: number(dirs.either_applied(
            "memory.peak",
            "memory",
            "memory.max_usage_in_bytes",
        )),
        cpu_nsec: dirs
            .v2_cpu_usec()
            .map(|us| us * 1000)
            .or_else(|| number(dirs.v1_file("cpuacct", "cpuacct.usage"))),
        ..Usage::default()
    }
}

/// How many of the service's processes the OOM killer ended so far: v2
/// `memory.events`' `oom_kill`, else v1 `memory.oom_control`'s (Linux
/// 4.13 and later). None where neither is there.
pub fn oom_kills(dirs: Dirs<'_>) -> Option<u64> {
    dirs.v2_controller_file("memory.events")
        .and_then(|t| stat_field(&t, "oom_kill"))
        .or_else(|| {
            dirs.v1_file("memory", "memory.oom_control")
                .and_then(|t| stat_field(&t, "oom_kill"))
        })
}

/// `OOMPolicy=kill`: the kernel ends every process of the cgroup together
/// (v2 `memory.oom.group`); v1 has no such switch.
pub fn set_oom_group(cg: &ServiceCgroup) -> bool {
    let file = cg.dir.join("memory.oom.group");
    Path::new(&file).exists() && fs::write(&file, "1").is_ok()
}

/// A `key value` line's value in a flat keyed file (`cpu.stat`,
/// `memory.events`, `memory.oom_control`).
pub fn stat_field(text: &str, key: &str) -> Option<u64> {
    text.lines().find_map(|l| {
        let (k, v) = l.split_once(' ')?;
        (k == key).then(|| v.trim().parse().ok())?
    })
}

/// Bytes as systemctl shows them (format_bytes with FORMAT_BYTES_BELOW_POINT:
/// powers of 1024 with one decimal, truncated: `916.0K`, `1.2M`; `512B`).
pub fn format_bytes(n: u64) -> String {
    const UNITS: [(&str, u64); 6] = [
        ("E", 1 << 60),
        ("P", 1 << 50),
        ("T", 1 << 40),
        ("G", 1 << 30),
        ("M", 1 << 20),
        ("K", 1 << 10),
    ];
    for (suffix, factor) in UNITS {
        if n >= factor {
            let whole = n / factor;
            let tenth = (n % factor) / (factor / 1024) * 10 / 1024;
            return format!("{whole}.{tenth}{suffix}");
        }
    }
    format!("{n}B")
}

/// CPU time as systemctl shows it (format_timespan to the millisecond:
/// `25ms`, `1.502s`, `2min 3.1s`, trailing zeros dropped).
pub fn format_cpu(nsec: u64) -> String {
    let ms = nsec / 1_000_000;
    if ms == 0 {
        return format!("{}us", nsec / 1000);
    }
    if ms < 1000 {
        return format!("{ms}ms");
    }
    let (h, rest) = (ms / 3_600_000, ms % 3_600_000);
    let (min, rest) = (rest / 60_000, rest % 60_000);
    let (sec, milli) = (rest / 1000, rest % 1000);
    let mut parts = Vec::new();
    if h > 0 {
        parts.push(format!("{h}h"));
    }
    if min > 0 {
        parts.push(format!("{min}min"));
    }
    if milli > 0 {
        let digits = format!("{milli:03}");
        parts.push(format!("{sec}.{}s", digits.trim_end_matches('0')));
    } else if sec > 0 {
        parts.push(format!("{sec}s"));
    }
    parts.join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flat_keyed_files_parse() {
        let events = "low 0\nhigh 0\nmax 12\noom 1\noom_kill 1\noom_group_kill 0\n";
        assert_eq!(stat_field(events, "oom_kill"), Some(1));
        assert_eq!(stat_field(events, "oom"), Some(1));
        let control = "oom_kill_disable 0\nunder_oom 0\noom_kill 3\n";
        assert_eq!(stat_field(control, "oom_kill"), Some(3));
        assert_eq!(
            stat_field("usage_usec 2500\nuser_usec 2000\n", "usage_usec"),
            Some(2500)
        );
        assert_eq!(stat_field("nothing 1\n", "usage_usec"), None);
    }

    #[test]
    fn sizes_and_times_read_as_systemctl_prints_them() {
        assert_eq!(format_bytes(512), "512B");
        assert_eq!(format_bytes(1_300_000), "1.2M");
        assert_eq!(format_bytes(50 << 20), "50.0M");
        assert_eq!(format_bytes(1536), "1.5K");
        assert_eq!(format_bytes(938_000), "916.0K");
        assert_eq!(format_bytes(3 << 30), "3.0G");
        assert_eq!(format_cpu(25_000_000), "25ms");
        assert_eq!(format_cpu(1_502_300_000), "1.502s");
        assert_eq!(format_cpu(400_000), "400us");
        assert_eq!(format_cpu(123_100_000_000), "2min 3.1s");
        assert_eq!(format_cpu(3_600_000_000_000), "1h");
    }
}
