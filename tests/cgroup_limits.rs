//! Resource limits written into the cgroup hierarchy that has each
//! controller (cgroup v2 where the daemon's subtree offers it, v1 in the
//! hybrid layout), and enforced: a fork loop stops at TasksMax=, a busy
//! loop keeps to CPUQuota=, a service over MemoryMax= is OOM-killed.
//!
//! The daemon makes its cgroups under its own (the test's) cgroups and
//! removes them; every test checks they are gone. Where the daemon finds no
//! writable cgroup (`CgroupMode=none`, an ordinary user without a
//! delegated tree) or not the controller a test needs, the test says so
//! and skips.

mod daemon_support;

use std::fs;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use daemon_support::{wait_for, Daemon};

/// The mount point of each cgroup hierarchy: v1 ones by controller, the v2
/// one as "".
fn mounts() -> Vec<(Vec<String>, PathBuf)> {
    let text = fs::read_to_string("/proc/self/mountinfo").unwrap_or_default();
    text.lines()
        .filter_map(|l| {
            let (pre, post) = l.split_once(" - ")?;
            let mut post = post.split_whitespace();
            let kind = post.next()?;
            let options = post.nth(1)?;
            let mount = PathBuf::from(pre.split_whitespace().nth(4)?);
            match kind {
                "cgroup2" => Some((vec![String::new()], mount)),
                "cgroup" => Some((options.split(',').map(str::to_owned).collect(), mount)),
                _ => None,
            }
        })
        .collect()
}

/// The directory of process `pid`'s cgroup in the hierarchy of
/// `controller` ("" for the v2 one).
fn cgroup_of(pid: u32, controller: &str) -> Option<PathBuf> {
    let text = fs::read_to_string(format!("/proc/{pid}/cgroup")).ok()?;
    let path = text.lines().find_map(|l| {
        let mut parts = l.splitn(3, ':');
        parts.next()?;
        let list = parts.next()?;
        let path = parts.next()?;
        list.split(',')
            .any(|c| c == controller)
            .then(|| path.to_owned())
    })?;
    let (_, mount) = mounts()
        .into_iter()
        .find(|(cs, _)| cs.iter().any(|c| c == controller))?;
    Some(mount.join(path.trim_start_matches('/')))
}

/// A cgroup file of the service whose process is `pid`: the v2 one where
/// it exists, else the v1 one of `controller`.
fn cgroup_file(pid: u32, v2: &str, controller: &str, v1: &str) -> Option<(PathBuf, String)> {
    let in_v2 = cgroup_of(pid, "").map(|d| d.join(v2));
    if let Some(p) = in_v2.filter(|p| p.exists()) {
        let text = fs::read_to_string(&p).ok()?;
        return Some((p, text.trim().to_owned()));
    }
    let p = cgroup_of(pid, controller)?.join(v1);
    let text = fs::read_to_string(&p).ok()?;
    Some((p, text.trim().to_owned()))
}

fn main_pid(d: &Daemon, unit: &str) -> u32 {
    let mut pid = 0;
    wait_for(Duration::from_secs(10), || {
        pid = d.property(Some(unit), "MainPID").parse().unwrap_or(0);
        pid != 0
    });
    assert_ne!(pid, 0, "{unit} has no main process: {}", d.stderr());
    // In its cgroups once it has exec'd (they are joined before).
    let exe = fs::canonicalize(env!("CARGO_BIN_EXE_sundial")).ok();
    wait_for(Duration::from_secs(10), || {
        fs::read_link(format!("/proc/{pid}/exe")).ok() != exe
    });
    pid
}

/// The daemon's cgroup mode, or None (printed) where it has no cgroup to
/// write limits to.
fn mode(d: &Daemon, test: &str) -> Option<String> {
    let mode = d.property(None, "CgroupMode");
    if mode == "none" {
        eprintln!("{test}: skipped: no writable cgroup (CgroupMode=none)");
        return None;
    }
    eprintln!(
        "{test}: cgroup mode {mode}, controllers {}",
        d.property(None, "CgroupControllers")
    );
    Some(mode)
}

fn has_controller(d: &Daemon, controller: &str) -> bool {
    d.property(None, "CgroupControllers")
        .split([' ', ';'])
        .any(|c| c == controller)
}

/// The service's cgroups (v2 and v1) are gone once it stopped.
fn assert_removed(dirs: &[PathBuf]) {
    for dir in dirs {
        let gone = wait_for(Duration::from_secs(5), || !dir.exists());
        assert!(gone, "{} is left", dir.display());
    }
}

/// Every cgroup directory of `pid`.
fn all_cgroups(pid: u32) -> Vec<PathBuf> {
    // Those of the daemon's subtree (not the test's own).
    let mut out: Vec<PathBuf> = ["", "memory", "cpu", "cpuacct", "pids"]
        .into_iter()
        .filter_map(|c| cgroup_of(pid, c))
        .filter(|d| d.to_string_lossy().contains("/sundial-"))
        .collect();
    out.sort();
    out.dedup();
    out
}

/// The seed's Gunicorn service (examples/units/myproject.service) with a
/// stand-in for gunicorn: both of its limits are on its cgroup while it
/// runs, and its cgroups are gone after the stop.
#[test]
fn the_seeds_gunicorn_service_has_both_limits_on_its_cgroup() {
    let seed = fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/units/myproject.service"),
    )
    .unwrap();
    assert!(seed.contains("MemoryLimit=500M") && seed.contains("CPUQuota=50%"));
    // The seed's user, directory and program exist only on a machine set
    // up as the seed describes.
    let text: String = seed
        .lines()
        .filter(|l| {
            !["User=", "Group=", "WorkingDirectory=", "ExecStart="]
                .iter()
                .any(|k| l.starts_with(k))
        })
        .map(|l| format!("{l}\n"))
        .collect::<String>()
        .replace("[Service]\n", "[Service]\nExecStart=/bin/sleep 30\n");
    let dir = tempfile::tempdir().unwrap();
    let mut d = Daemon::new(dir.path(), &[("myproject.service", &text)]);
    d.start();
    let test = "gunicorn limits";
    let Some(_) = mode(&d, test) else { return };
    if !has_controller(&d, "memory") || !has_controller(&d, "cpu") {
        eprintln!("{test}: skipped: no memory or cpu controller");
        return;
    }
    d.start_unit("myproject.service");
    let pid = main_pid(&d, "myproject.service");
    let memory = cgroup_file(pid, "memory.max", "memory", "memory.limit_in_bytes");
    let quota = cgroup_file(pid, "cpu.max", "cpu", "cpu.cfs_quota_us");
    let period = cgroup_file(pid, "cpu.max", "cpu", "cpu.cfs_period_us");
    let dirs = all_cgroups(pid);
    assert!(!dirs.is_empty());
    eprintln!("{test}: {memory:?} {quota:?} {period:?}");
    let (_, memory) = memory.expect("a memory limit file");
    assert_eq!(memory, (500u64 << 20).to_string());
    let (qpath, quota) = quota.expect("a quota file");
    if qpath.ends_with("cpu.max") {
        assert_eq!(quota, "50000 100000");
    } else {
        assert_eq!(quota, "50000");
        assert_eq!(period.expect("a period file").1, "100000");
    }
    d.stop_unit("myproject.service");
    assert_removed(&dirs);
    assert!(d.terminate());
}

/// TasksMax=20: a loop that forks 40 sleeps gets 19 (it is the 20th task
/// and becomes a sleep itself); the other forks fail.
#[test]
fn tasks_max_stops_a_fork_loop_at_its_limit() {
    let dir = tempfile::tempdir().unwrap();
    let marker = format!("{}.{}", 3000 + std::process::id() % 1000, 7);
    // perl goes on where a fork fails (dash's `&` would end the shell).
    let unit = format!(
        "[Service]\nTasksMax=20\nExecStart=/usr/bin/perl -e 'for (1..40) {{ my $$p = fork; \
         if (defined $$p && $$p == 0) {{ exec \"/bin/sleep\", \"{marker}\" }} }} \
         exec \"/bin/sleep\", \"{marker}\"'\n"
    );
    let mut d = Daemon::new(dir.path(), &[("forks.service", &unit)]);
    d.start();
    let test = "TasksMax=";
    let Some(_) = mode(&d, test) else { return };
    if !has_controller(&d, "pids") {
        eprintln!("{test}: skipped: no pids controller");
        return;
    }
    d.start_unit("forks.service");
    let pid = main_pid(&d, "forks.service");
    let (path, max) = cgroup_file(pid, "pids.max", "pids", "pids.max").expect("pids.max");
    assert_eq!(max, "20", "{}", path.display());
    let current = path.with_file_name("pids.current");
    // The loop is over once the main process is `sleep` (the exec).
    wait_for(Duration::from_secs(10), || {
        fs::read_to_string(format!("/proc/{pid}/comm")).is_ok_and(|c| c.trim() == "sleep")
    });
    let tasks: u32 = fs::read_to_string(&current)
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    // The forked children exec sleep after the main process may have.
    let mut sleeping = 0;
    wait_for(Duration::from_secs(10), || {
        sleeping = count_marked(&marker);
        sleeping >= 20
    });
    eprintln!("{test}: {tasks} tasks, {sleeping} sleeps of 41 asked for");
    let dirs = all_cgroups(pid);
    d.stop_unit("forks.service");
    assert_eq!(tasks, 20);
    assert_eq!(sleeping, 20);
    assert!(wait_for(Duration::from_secs(5), || count_marked(&marker) == 0));
    assert_removed(&dirs);
    assert!(d.terminate());
}

/// Living processes whose first argument is `marker`.
fn count_marked(marker: &str) -> usize {
    let Ok(dir) = fs::read_dir("/proc") else {
        return 0;
    };
    dir.filter_map(Result::ok)
        .filter_map(|e| e.file_name().to_str()?.parse::<i32>().ok())
        .filter(|pid| {
            fs::read(format!("/proc/{pid}/cmdline")).is_ok_and(|c| {
                let args: Vec<&[u8]> = c.split(|b| *b == 0).collect();
                args.len() >= 2 && args[1] == marker.as_bytes()
            })
        })
        .count()
}

/// The CPU time of the cgroup of `pid` in µs: cpu.stat of v2 (which every
/// v2 cgroup has), else cpuacct.usage of v1.
fn cpu_usec(pid: u32) -> Option<u64> {
    if let Some(text) = cgroup_of(pid, "").and_then(|d| fs::read_to_string(d.join("cpu.stat")).ok())
    {
        return text
            .lines()
            .find_map(|l| l.strip_prefix("usage_usec "))
            .and_then(|v| v.trim().parse().ok());
    }
    let text = fs::read_to_string(cgroup_of(pid, "cpuacct")?.join("cpuacct.usage")).ok()?;
    text.trim().parse::<u64>().ok().map(|ns| ns / 1000)
}

/// CPUQuota=20%: a busy loop gets about a fifth of one CPU over two seconds
/// (at most 30%: the quota is a ceiling; CI's busy cores may give less).
#[test]
fn cpu_quota_keeps_a_busy_loop_near_its_share() {
    let dir = tempfile::tempdir().unwrap();
    let unit = "[Service]\nCPUQuota=20%\nExecStart=/bin/sh -c 'while :; do :; done'\n";
    let mut d = Daemon::new(dir.path(), &[("busy.service", unit)]);
    d.start();
    let test = "CPUQuota=";
    let Some(_) = mode(&d, test) else { return };
    if !has_controller(&d, "cpu") {
        eprintln!("{test}: skipped: no cpu controller");
        return;
    }
    d.start_unit("busy.service");
    let pid = main_pid(&d, "busy.service");
    let dirs = all_cgroups(pid);
    std::thread::sleep(Duration::from_millis(300));
    let (t0, u0) = (Instant::now(), cpu_usec(pid).expect("CPU accounting"));
    std::thread::sleep(Duration::from_secs(2));
    let (t1, u1) = (Instant::now(), cpu_usec(pid).expect("CPU accounting"));
    let share = (u1 - u0) as f64 / (t1 - t0).as_micros() as f64;
    eprintln!(
        "{test}: a busy loop under CPUQuota=20% used {:.1}% of one CPU over {:?}",
        share * 100.0,
        t1 - t0
    );
    d.stop_unit("busy.service");
    assert!(share <= 0.30, "{share}");
    assert!(share >= 0.02, "the loop hardly ran: {share}");
    assert_removed(&dirs);
    assert!(d.terminate());
}

/// The start-up line and `show` name the cgroup mode.
#[test]
fn the_start_up_line_and_show_name_the_cgroup_mode() {
    let dir = tempfile::tempdir().unwrap();
    let mut d = Daemon::new(dir.path(), &[]);
    d.start();
    let mode = d.property(None, "CgroupMode");
    assert!(
        ["unified", "hybrid", "legacy", "none"].contains(&mode.as_str()),
        "{mode}"
    );
    let line = format!("cgroups: {mode}:");
    let said = wait_for(Duration::from_secs(10), || d.stderr().contains(&line));
    assert!(said, "no '{line}' in {}", d.stderr());
    eprintln!(
        "cgroup mode: {}",
        d.stderr().lines().find(|l| l.contains(&line)).unwrap_or("")
    );
    assert!(d.terminate());
    let dir = tempfile::tempdir().unwrap();
    let mut d = Daemon::new(dir.path(), &[]).env("SUNDIAL_CGROUPS", "off");
    d.start();
    assert_eq!(d.property(None, "CgroupMode"), "none");
    assert!(d.terminate());
}

/// LimitNOFILE= reaches the command through setrlimit.
#[test]
fn limit_nofile_is_the_commands_descriptor_limit() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("limits");
    let unit = format!(
        "[Service]\nType=oneshot\nLimitNOFILE=1234:2345\nExecStart=/bin/sh -c 'ulimit -Sn > {0}; ulimit -Hn >> {0}'\n",
        out.display()
    );
    let mut d = Daemon::new(dir.path(), &[("nofile.service", &unit)]);
    d.start();
    d.start_unit("nofile.service");
    assert!(wait_for(Duration::from_secs(10), || fs::read_to_string(
        &out
    )
    .is_ok_and(|t| t.lines().count() == 2)));
    assert_eq!(fs::read_to_string(&out).unwrap(), "1234\n2345\n");
    assert!(d.terminate());
}

/// MemoryMax=50M: a service that takes 200 MB is ended by the OOM killer;
/// the unit fails with result `oom-kill` (status, history, log), and its
/// OnFailure= unit runs with that result.
#[test]
fn a_service_over_memory_max_is_oom_killed_and_on_failure_fires() {
    let dir = tempfile::tempdir().unwrap();
    let told = dir.path().join("told");
    // tail keeps a "line" of 200 MB of zeros whole.
    let hog = "[Unit]\nOnFailure=hog-failed.service\n[Service]\nMemoryMax=50M\n\
               ExecStart=/bin/sh -c 'head -c 200M /dev/zero | tail'\n";
    let failed = format!(
        "[Service]\nType=oneshot\nExecStart=/bin/sh -c 'echo $$MONITOR_SERVICE_RESULT > {}'\n",
        told.display()
    );
    let mut d = Daemon::new(
        dir.path(),
        &[("hog.service", hog), ("hog-failed.service", &failed)],
    );
    d.start();
    let test = "MemoryMax=";
    let Some(_) = mode(&d, test) else { return };
    if !has_controller(&d, "memory") {
        eprintln!("{test}: skipped: no memory controller");
        return;
    }
    d.start_unit("hog.service");
    let pid = main_pid(&d, "hog.service");
    let dirs = all_cgroups(pid);
    let ended = wait_for(Duration::from_secs(30), || {
        d.property(Some("hog.service"), "ActiveState") == "failed"
    });
    assert!(
        ended,
        "still {}",
        d.property(Some("hog.service"), "ActiveState")
    );
    assert_eq!(d.property(Some("hog.service"), "Result"), "oom-kill");
    assert!(wait_for(Duration::from_secs(10), || fs::read_to_string(
        &told
    )
    .is_ok_and(|t| t.trim() == "oom-kill")));
    let runs = d.finished("hog.service");
    assert_eq!(
        runs[0].result.map(|r| r.as_str()),
        Some("oom-kill"),
        "{runs:?}"
    );
    // The row has the run's peak memory: up to the limit, not the 200 MB.
    let peak = runs[0].memory_peak.expect("a peak memory");
    eprintln!(
        "{test}: peak memory {peak} bytes, CPU {:?} µs",
        runs[0].cpu_usec
    );
    assert!((1 << 20..=51 << 20).contains(&peak), "{peak}");
    assert!(runs[0].cpu_usec.is_some());
    let log = d.log_lines("hog.service");
    assert!(
        log.iter().any(|l| l.contains("killed by the OOM killer")),
        "{log:?}"
    );
    assert!(
        log.iter()
            .any(|l| l.contains("Failed with result 'oom-kill'.")),
        "{log:?}"
    );
    assert_removed(&dirs);
    assert!(d.terminate());
}

/// `status` shows the cgroup as systemctl does: Tasks: with its limit,
/// Memory:, CPU: and the CGroup: tree of its processes; `show` has the
/// counters.
#[test]
fn status_shows_the_cgroup_tree_memory_and_tasks() {
    let dir = tempfile::tempdir().unwrap();
    let unit = "[Service]\nMemoryMax=64M\nTasksMax=10\nExecStart=/bin/sh -c '/bin/sleep 30 & exec /bin/sleep 31'\n";
    let mut d = Daemon::new(dir.path(), &[("shown.service", unit)]);
    d.start();
    let test = "status";
    let Some(_) = mode(&d, test) else { return };
    d.start_unit("shown.service");
    let pid = main_pid(&d, "shown.service");
    let dirs = all_cgroups(pid);
    wait_for(Duration::from_secs(10), || {
        d.property(Some("shown.service"), "TasksCurrent") == "2"
    });
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_sundial"))
        .arg("--socket")
        .arg(dir.path().join("state/control.sock"))
        .args(["status", "shown.service"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    eprintln!("{text}");
    let cgroup = d.property(Some("shown.service"), "ControlGroup");
    d.stop_unit("shown.service");
    assert!(text.contains(&format!("     CGroup: {cgroup}\n")), "{text}");
    assert!(
        text.contains(&format!("├─{pid} /bin/sleep 31"))
            || text.contains(&format!("└─{pid} /bin/sleep 31")),
        "{text}"
    );
    assert!(text.contains("/bin/sleep 30\n"), "{text}");
    if has_controller(&d, "pids") {
        assert!(text.contains("      Tasks: 2 (limit: 10)\n"), "{text}");
    } else {
        assert!(text.contains("      Tasks: 2"), "{text}");
    }
    if has_controller(&d, "memory") {
        assert!(text.contains("     Memory: "), "{text}");
    }
    assert!(text.contains("        CPU: "), "{text}");
    assert_removed(&dirs);
    assert!(d.terminate());
}

/// A daemon killed with SIGKILL leaves its cgroups (v2 and v1); once their
/// processes are gone, the next daemon started in the same cgroups removes
/// them.
#[test]
fn a_killed_daemons_cgroups_go_at_the_next_start() {
    let dir = tempfile::tempdir().unwrap();
    let unit = "[Service]\nMemoryMax=64M\nTasksMax=5\nExecStart=/bin/sleep 60\n";
    let mut d = Daemon::new(dir.path(), &[("left.service", unit)]);
    d.start();
    let test = "stale cgroups";
    let Some(_) = mode(&d, test) else { return };
    d.start_unit("left.service");
    let pid = main_pid(&d, "left.service");
    let dirs = all_cgroups(pid);
    assert!(!dirs.is_empty());
    d.kill9();
    let _ = nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(pid as i32),
        nix::sys::signal::Signal::SIGKILL,
    );
    assert!(wait_for(Duration::from_secs(10), || {
        !Path::new(&format!("/proc/{pid}")).exists()
    }));
    // Left behind until a daemon looks (another test's daemon in the same
    // cgroups may look first).
    d.start();
    eprintln!("{test}: {} cgroups of the killed daemon", dirs.len());
    // The daemon answers while it sets up: a moment for the sweep.
    assert_removed(&dirs);
    let subtrees: Vec<PathBuf> = dirs
        .iter()
        .filter_map(|d| d.parent())
        .map(Path::to_path_buf)
        .collect();
    assert_removed(&subtrees);
    assert!(d.terminate());
}

/// `[manager] default_tasks_max` is the TasksMax= of a service that sets
/// none.
#[test]
fn default_tasks_max_limits_a_service_that_sets_none() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("sundial.toml");
    fs::write(&config, "[manager]\ndefault_tasks_max = 7\n").unwrap();
    let unit = "[Service]\nExecStart=/bin/sleep 30\n";
    let mut d = Daemon::new(dir.path(), &[("plain.service", unit)])
        .arg("--config")
        .arg(config.to_str().unwrap());
    d.start();
    let test = "default_tasks_max";
    let Some(_) = mode(&d, test) else { return };
    if !has_controller(&d, "pids") {
        eprintln!("{test}: skipped: no pids controller");
        return;
    }
    d.start_unit("plain.service");
    let pid = main_pid(&d, "plain.service");
    let dirs = all_cgroups(pid);
    let max = cgroup_file(pid, "pids.max", "pids", "pids.max").map(|(_, v)| v);
    d.stop_unit("plain.service");
    assert_eq!(max.as_deref(), Some("7"));
    assert_removed(&dirs);
    assert!(d.terminate());
}

/// `Delegate=yes` with `User=`: the service's cgroup is its user's, who
/// makes a cgroup below it and moves a process there; `KillMode=process`
/// then ends the main process only and leaves the delegated child alone.
#[test]
fn a_delegated_cgroup_is_the_services_own() {
    if !nix::unistd::Uid::effective().is_root() {
        eprintln!("Delegate=: skipped: User= needs root");
        return;
    }
    let Some(mount) = mounts()
        .into_iter()
        .find(|(cs, _)| cs.iter().any(|c| c.is_empty()))
        .map(|(_, m)| m)
    else {
        eprintln!("Delegate=: skipped: no cgroup v2 mount");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let marker = format!("{}.{}", 3100 + std::process::id() % 1000, 3);
    let unit = format!(
        "[Service]\nUser=nobody\nDelegate=yes\nKillMode=process\n\
         ExecStart=/bin/sh -c 'cg={mount}$$(sed -n \"s/^0:://p\" /proc/self/cgroup); \
         mkdir $$cg/worker; /bin/sleep {marker} & \
         echo $$! > $$cg/worker/cgroup.procs; exec /bin/sleep 60'\n",
        mount = mount.display()
    );
    let mut d = Daemon::new(dir.path(), &[("delegated.service", &unit)]);
    d.start();
    let test = "Delegate=";
    let Some(_) = mode(&d, test) else { return };
    d.start_unit("delegated.service");
    let pid = main_pid(&d, "delegated.service");
    let Some(cg) = cgroup_of(pid, "") else {
        eprintln!("{test}: skipped: no cgroup v2 directory");
        return;
    };
    if !cg.to_string_lossy().contains("/sundial-") {
        eprintln!("{test}: skipped: the daemon has no cgroup v2 tree");
        return;
    }
    let worker = cg.join("worker");
    // Moved, and exec'd (its pid is in worker/cgroup.procs from before).
    let moved = wait_for(Duration::from_secs(10), || {
        fs::read_to_string(worker.join("cgroup.procs")).is_ok_and(|t| !t.trim().is_empty())
            && count_marked(&marker) == 1
    });
    use std::os::unix::fs::MetadataExt;
    let owner = fs::metadata(&cg).unwrap().uid();
    d.stop_unit("delegated.service");
    let child_lives = count_marked(&marker);
    // Clean up what the test leaves: the child, then the cgroups.
    let _ = fs::write(worker.join("cgroup.kill"), "1");
    wait_for(Duration::from_secs(5), || count_marked(&marker) == 0);
    let _ = fs::remove_dir(&worker);
    assert!(d.terminate());
    let nobody = nix::unistd::User::from_name("nobody").unwrap().unwrap().uid;
    assert_eq!(owner, nobody.as_raw(), "the cgroup is nobody's");
    assert!(
        moved,
        "the service could not move a process into its child cgroup"
    );
    assert_eq!(child_lives, 1, "KillMode=process left the child alone");
    assert_removed(&[cg]);
}

/// A setting the hierarchy with its controller cannot express is said once
/// in the unit's log (MemoryHigh= has no cgroup v1 equivalent), and the
/// others are still applied.
#[test]
fn what_cannot_be_enforced_is_said_in_the_log() {
    let dir = tempfile::tempdir().unwrap();
    let unit = "[Service]\nType=oneshot\nMemoryHigh=10M\nTasksMax=9\nExecStart=/bin/true\n";
    let mut d = Daemon::new(dir.path(), &[("high.service", unit)]);
    d.start();
    let test = "not enforced";
    let controllers = d.property(None, "CgroupControllers");
    let v2_memory = controllers
        .split(';')
        .any(|part| part.trim().starts_with("v2:") && part.split(' ').any(|c| c == "memory"));
    let expected = if v2_memory {
        eprintln!("{test}: skipped: cgroup v2 has the memory controller ({controllers})");
        return;
    } else if has_controller(&d, "memory") {
        "Resource settings not enforced: MemoryHigh= (no cgroup v1 equivalent)"
    } else {
        "Resource settings not enforced: MemoryHigh= (no memory controller)"
    };
    d.start_unit("high.service");
    let log = d.log_lines("high.service");
    assert!(log.iter().any(|l| l.contains(expected)), "{log:?}");
    assert!(d.terminate());
}

/// A service whose main process keeps running while a child of it goes
/// over MemoryMax=: the child is an orphan the daemon reaps (the subshell
/// that started it exits), so that the daemon sees the OOM kill when it
/// ends.
fn oom_child_unit(policy: &str) -> String {
    format!(
        "[Service]\nMemoryMax=50M\nOOMPolicy={policy}\n\
         ExecStart=/bin/sh -c '( (head -c 200M /dev/zero | tail) & ); exec /bin/sleep 60'\n"
    )
}

/// The kernel's count of OOM kills in the cgroup of `pid` (v2
/// memory.events, else v1 memory.oom_control).
fn oom_kill_count(pid: u32) -> Option<u64> {
    let (_, text) = cgroup_file(pid, "memory.events", "memory", "memory.oom_control")?;
    text.lines().find_map(|l| {
        let (k, v) = l.split_once(' ')?;
        (k == "oom_kill").then(|| v.trim().parse().ok())?
    })
}

/// `OOMPolicy=continue`: a child killed by the OOM killer is logged, and
/// the service goes on running with its main process.
#[test]
fn oom_policy_continue_keeps_the_service_running() {
    let dir = tempfile::tempdir().unwrap();
    let unit = oom_child_unit("continue");
    let mut d = Daemon::new(dir.path(), &[("goes-on.service", unit.as_str())]);
    d.start();
    let test = "OOMPolicy=continue";
    let Some(_) = mode(&d, test) else { return };
    if !has_controller(&d, "memory") {
        eprintln!("{test}: skipped: no memory controller");
        return;
    }
    d.start_unit("goes-on.service");
    let pid = main_pid(&d, "goes-on.service");
    let dirs = all_cgroups(pid);
    let seen = wait_for(Duration::from_secs(30), || {
        d.log_lines("goes-on.service")
            .iter()
            .any(|l| l.contains("killed by the OOM killer"))
    });
    let kills = oom_kill_count(pid);
    // A moment for a wrong policy to act.
    std::thread::sleep(Duration::from_millis(300));
    let state = d.property(Some("goes-on.service"), "ActiveState");
    let result = d.property(Some("goes-on.service"), "Result");
    let main_now = d.property(Some("goes-on.service"), "MainPID");
    let alive = Path::new(&format!("/proc/{pid}")).exists();
    eprintln!("{test}: OOM kills in its cgroup: {kills:?}");
    d.stop_unit("goes-on.service");
    assert!(
        seen,
        "no OOM kill seen: {:?}",
        d.log_lines("goes-on.service")
    );
    assert!(kills.is_some_and(|n| n >= 1), "{kills:?}");
    assert_eq!(state, "active");
    assert_eq!(result, "success");
    assert_eq!(main_now, pid.to_string());
    assert!(alive);
    assert_removed(&dirs);
    assert!(d.terminate());
}

/// `OOMPolicy=kill`: once a child is killed by the OOM killer, the rest of
/// the service (its main process here) is killed and the result is
/// `oom-kill`.
#[test]
fn oom_policy_kill_ends_the_rest_with_result_oom_kill() {
    let dir = tempfile::tempdir().unwrap();
    let unit = oom_child_unit("kill");
    let mut d = Daemon::new(dir.path(), &[("all-go.service", unit.as_str())]);
    d.start();
    let test = "OOMPolicy=kill";
    let Some(_) = mode(&d, test) else { return };
    if !has_controller(&d, "memory") {
        eprintln!("{test}: skipped: no memory controller");
        return;
    }
    d.start_unit("all-go.service");
    let pid = main_pid(&d, "all-go.service");
    let dirs = all_cgroups(pid);
    let ended = wait_for(Duration::from_secs(30), || {
        d.property(Some("all-go.service"), "ActiveState") == "failed"
    });
    let state = d.property(Some("all-go.service"), "ActiveState");
    if !ended {
        d.stop_unit("all-go.service");
    }
    assert!(ended, "still {state}: {:?}", d.log_lines("all-go.service"));
    assert_eq!(d.property(Some("all-go.service"), "Result"), "oom-kill");
    assert!(
        wait_for(Duration::from_secs(5), || !Path::new(&format!(
            "/proc/{pid}"
        ))
        .exists()),
        "the main process {pid} lives on"
    );
    let log = d.log_lines("all-go.service");
    assert!(
        log.iter().any(|l| l.contains("killed by the OOM killer")),
        "{log:?}"
    );
    assert!(
        log.iter()
            .any(|l| l.contains("Failed with result 'oom-kill'.")),
        "{log:?}"
    );
    let runs = d.finished("all-go.service");
    assert_eq!(
        runs[0].result.map(|r| r.as_str()),
        Some("oom-kill"),
        "{runs:?}"
    );
    assert_removed(&dirs);
    assert!(d.terminate());
}
