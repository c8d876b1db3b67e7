//! Processes that leave their service's session and clear their environment
//! (`(env -i setsid sleep N &)`) do not outlive `stop`: with a cgroup per
//! service where one can be made (as root here), by the process tree the
//! daemon saw and the strays it inherits as subreaper without one
//! (`SUNDIAL_CGROUPS=off`, and a real ordinary user).
//!
//! Bounded mode: 100 escaping processes per run; `SUNDIAL_RELIABILITY_LONG=1`:
//! 1,000.

mod daemon_support;

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};
use sundial::ipc::UnitsRequest;

use daemon_support::{wait_for, Daemon};
use sundial::ipc::{Request, Response};

fn long_mode() -> bool {
    std::env::var_os("SUNDIAL_RELIABILITY_LONG").is_some_and(|v| v == "1")
}

/// A number no other process on the machine has in its command line: the
/// sleep time of every escaping process of one test.
fn unique_marker(tag: u32) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    format!("{}{}.{:09}", 4000 + tag, std::process::id() % 1000, nanos)
}

/// The pids of living (not zombie) processes running `sleep <marker>`.
fn marked(marker: &str) -> Vec<i32> {
    let Ok(dir) = fs::read_dir("/proc") else {
        return Vec::new();
    };
    dir.filter_map(Result::ok)
        .filter_map(|e| e.file_name().to_str()?.parse::<i32>().ok())
        .filter(|pid| {
            // A zombie's command line reads empty.
            fs::read(format!("/proc/{pid}/cmdline")).is_ok_and(|c| {
                let args: Vec<&[u8]> = c.split(|b| *b == 0).collect();
                args.len() >= 2 && args[1] == marker.as_bytes()
            })
        })
        .collect()
}

/// Kills every process of the marker when the test ends, passed or not,
/// and the services' main processes (`sleep <marker>9`).
struct MarkerGuard(String);

impl Drop for MarkerGuard {
    fn drop(&mut self) {
        let main = format!("{}9", self.0);
        for pid in marked(&self.0).into_iter().chain(marked(&main)) {
            let _ = nix::sys::signal::kill(
                nix::unistd::Pid::from_raw(pid),
                nix::sys::signal::Signal::SIGKILL,
            );
        }
    }
}

/// The test's daemon's cgroup subtree is gone at the end, passed or not:
/// what still runs in it (a failed test's) is killed, then it is removed.
struct CgroupGuard(Option<PathBuf>);

impl Drop for CgroupGuard {
    fn drop(&mut self) {
        let Some(dir) = &self.0 else { return };
        if let Ok(entries) = fs::read_dir(dir) {
            for e in entries.filter_map(Result::ok) {
                let _ = fs::write(e.path().join("cgroup.kill"), "1");
            }
        }
        wait_for(Duration::from_secs(5), || {
            fs::read_to_string(dir.join("cgroup.events"))
                .map_or(true, |t| t.contains("populated 0"))
        });
        remove_tree(dir);
    }
}

fn remove_tree(dir: &Path) {
    if let Ok(entries) = fs::read_dir(dir) {
        for e in entries.filter_map(Result::ok) {
            if e.file_type().is_ok_and(|t| t.is_dir()) {
                remove_tree(&e.path());
            }
        }
    }
    let _ = fs::remove_dir(dir);
}

/// A service that starts `n` processes that leave its session and clear
/// their environment; every other one also closes its output (so that it
/// cannot be told by its standard streams either). `$$` and `%%` are the
/// unit file's escapes for `$` and `%`.
fn escaping_unit(marker: &str, n: usize) -> String {
    format!(
        "[Service]\nExecStart=/bin/sh -c 'i=0; while [ $$i -lt {n} ]; do \
         if [ $$((i %% 2)) = 0 ]; then (env -i setsid /bin/sleep {marker} &); \
         else (env -i setsid /bin/sleep {marker} >/dev/null 2>&1 </dev/null &); fi; \
         i=$$((i+1)); done; exec /bin/sleep {marker}9'\n"
    )
}

fn control_group(d: &Daemon, unit: &str) -> Option<PathBuf> {
    let path = d.property(Some(unit), "ControlGroup");
    if path.is_empty() {
        return None;
    }
    cgroup2_mount().map(|m| m.join(path.trim_start_matches('/')))
}

fn cgroup2_mount() -> Option<PathBuf> {
    let text = fs::read_to_string("/proc/self/mountinfo").ok()?;
    text.lines().find_map(|l| {
        let (pre, post) = l.split_once(" - ")?;
        post.starts_with("cgroup2 ")
            .then(|| pre.split_whitespace().nth(4).map(PathBuf::from))?
    })
}

/// What one run saw.
struct Outcome {
    escaped: usize,
    cgroup: Option<PathBuf>,
}

/// Starts the escaping service, waits for all its processes, stops it and
/// counts the survivors.
fn run(mut d: Daemon, tag: u32, label: &str) -> Outcome {
    let n = if long_mode() { 1000 } else { 100 };
    let marker = unique_marker(tag);
    let _guard = MarkerGuard(marker.clone());
    daemon_support::write_unit(&d.units, "escape.service", &escaping_unit(&marker, n));
    d.start();
    let mut cgroups = CgroupGuard(None);
    match d.call(Request::Start(UnitsRequest {
        units: vec!["escape.service".into()],
    })) {
        Response::Done { .. } => {}
        other => panic!("start: {other:?}"),
    }
    let t0 = Instant::now();
    let all_up = wait_for(Duration::from_secs(120), || marked(&marker).len() >= n);
    assert!(
        all_up,
        "{label}: only {} of {n} started: {}",
        marked(&marker).len(),
        d.stderr()
    );
    let started = t0.elapsed();
    // A tick of the daemon's tree reading finds the strays among them; they
    // are not ended while their service runs.
    std::thread::sleep(Duration::from_millis(1500));
    assert_eq!(
        marked(&marker).len(),
        n,
        "{label}: processes were ended before the stop"
    );
    // What the daemon's tree reading costs with the service's processes up.
    let t2 = Instant::now();
    let table = sundial::supervisor::process_table().len();
    let scan = t2.elapsed();
    let cgroup = control_group(&d, "escape.service");
    if let Some(dir) = &cgroup {
        cgroups.0 = dir.parent().map(Path::to_path_buf);
        assert!(dir.is_dir(), "{label}: {} is not there", dir.display());
    }
    let t1 = Instant::now();
    match d.call(Request::Stop(UnitsRequest {
        units: vec!["escape.service".into()],
    })) {
        Response::Done { .. } => {}
        other => panic!("stop: {other:?}"),
    }
    let stopped = t1.elapsed();
    // Whatever is signalled is gone within moments; give stragglers that.
    wait_for(Duration::from_secs(3), || marked(&marker).is_empty());
    let escaped = marked(&marker).len();
    eprintln!(
        "reliability: escape {label}: {n} escaping processes up in {started:?}, stop took \
         {stopped:?}, {escaped} survived the stop; cgroup {:?}; a read of the process tree \
         ({table} processes) took {scan:?}",
        cgroup
    );
    assert_eq!(
        d.property(Some("escape.service"), "ActiveState"),
        "inactive"
    );
    if let Some(dir) = &cgroup {
        assert!(!dir.exists(), "{label}: {} is left", dir.display());
    }
    assert!(d.terminate(), "{label}: the daemon exits cleanly");
    if let Some(base) = &cgroups.0 {
        assert!(!base.exists(), "{label}: {} is left", base.display());
    }
    Outcome { escaped, cgroup }
}

/// A service whose processes leave everything behind only after the daemon
/// could see them in its process tree: their parent lives a few seconds.
fn slowly_escaping_unit(marker: &str, n: usize) -> String {
    format!(
        "[Service]\nExecStart=/bin/sh -c 'i=0; while [ $$i -lt {n} ]; do \
         (env -i setsid /bin/sleep {marker} >/dev/null 2>&1 </dev/null & exec /bin/sleep 3) & \
         i=$$((i+1)); done; exec /bin/sleep {marker}9'\n"
    )
}

fn parent_of(pid: i32) -> Option<i32> {
    sundial::supervisor::process_stat(nix::unistd::Pid::from_raw(pid)).map(|p| p.ppid.as_raw())
}

/// Processes that were the service's while their parent lived stay the
/// service's once orphaned (by the cgroup, or by the process tree the
/// daemon read), until the stop ends them: they are not taken for strays.
fn escape_after_a_while(mut d: Daemon, tag: u32, label: &str) {
    let n = 5;
    let marker = unique_marker(tag);
    let _guard = MarkerGuard(marker.clone());
    daemon_support::write_unit(&d.units, "slow.service", &slowly_escaping_unit(&marker, n));
    d.start();
    let mut cgroups = CgroupGuard(None);
    match d.call(Request::Start(UnitsRequest {
        units: vec!["slow.service".into()],
    })) {
        Response::Done { .. } => {}
        other => panic!("start: {other:?}"),
    }
    if let Some(dir) = control_group(&d, "slow.service") {
        cgroups.0 = dir.parent().map(Path::to_path_buf);
    }
    let daemon = d.pid() as i32;
    // The wrapper (setpriv) execs the daemon: same pid.
    let orphaned = wait_for(Duration::from_secs(20), || {
        let pids = marked(&marker);
        pids.len() == n && pids.iter().all(|p| parent_of(*p) == Some(daemon))
    });
    assert!(
        orphaned,
        "{label}: the processes were not orphaned: {}",
        d.stderr()
    );
    // Two ticks of the daemon's tree reading, which finds them.
    std::thread::sleep(Duration::from_millis(2500));
    let alive = marked(&marker).len();
    assert_eq!(
        alive, n,
        "{label}: the service's processes were ended before its stop"
    );
    match d.call(Request::Stop(UnitsRequest {
        units: vec!["slow.service".into()],
    })) {
        Response::Done { .. } => {}
        other => panic!("stop: {other:?}"),
    }
    wait_for(Duration::from_secs(3), || marked(&marker).is_empty());
    let left = marked(&marker).len();
    eprintln!("reliability: escape {label}: {n} processes orphaned after a scan, {alive} lived until the stop, {left} survived it");
    assert_eq!(left, 0, "{label}");
    assert!(d.terminate(), "{label}: the daemon exits cleanly");
    if let Some(base) = &cgroups.0 {
        assert!(!base.exists(), "{label}: {} is left", base.display());
    }
}

fn cgroups_writable() -> bool {
    nix::unistd::geteuid().is_root() && cgroup2_mount().is_some()
}

#[test]
fn escaping_processes_end_with_the_service_in_its_cgroup() {
    if !cgroups_writable() {
        eprintln!("reliability: skipped: no writable cgroup v2 tree (not root)");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let d = Daemon::new(dir.path(), &[]);
    let out = run(d, 1, "cgroup");
    assert!(out.cgroup.is_some(), "the service had a cgroup");
    assert_eq!(out.escaped, 0);
    let dir = tempfile::tempdir().unwrap();
    escape_after_a_while(Daemon::new(dir.path(), &[]), 4, "cgroup, slowly");
}

#[test]
fn escaping_processes_end_with_the_service_without_cgroups() {
    let dir = tempfile::tempdir().unwrap();
    let d = Daemon::new(dir.path(), &[]).env("SUNDIAL_CGROUPS", "off");
    let out = run(d, 2, "no-cgroups");
    assert!(out.cgroup.is_none(), "cgroups were off");
    assert_eq!(out.escaped, 0);
    let dir = tempfile::tempdir().unwrap();
    let d = Daemon::new(dir.path(), &[]).env("SUNDIAL_CGROUPS", "off");
    escape_after_a_while(d, 5, "no-cgroups, slowly");
}

/// What a read of the process tree costs, the one the daemon makes every
/// second while a service without a cgroup has processes (and once more a
/// second at most at exits, once per stop).
#[test]
fn reading_the_process_tree_costs() {
    let rounds = 20;
    let t0 = Instant::now();
    let mut n = 0;
    for _ in 0..rounds {
        n = sundial::supervisor::process_table().len();
    }
    let each = t0.elapsed() / rounds;
    eprintln!("reliability: escape: one read of the process tree ({n} processes) takes {each:?}");
    assert!(n > 0);
}

#[test]
fn escaping_processes_end_with_the_service_of_an_ordinary_user() {
    if !nix::unistd::geteuid().is_root() {
        // Already an ordinary user: the test above is this case.
        eprintln!("reliability: skipped: not root, cannot become nobody");
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    fs::set_permissions(tmp.path(), fs::Permissions::from_mode(0o777)).unwrap();
    let dir = tmp.path().join("home");
    fs::create_dir(&dir).unwrap();
    nix::unistd::chown(
        &dir,
        Some(nix::unistd::Uid::from_raw(65534)),
        Some(nix::unistd::Gid::from_raw(65534)),
    )
    .unwrap();
    // As the system manager: its clients are not only its own user (root
    // asks here), and nobody has no cgroup to write to.
    let d = Daemon::new(&dir, &[]).system().wrapped(&[
        "setpriv",
        "--reuid=65534",
        "--regid=65534",
        "--clear-groups",
    ]);
    for sub in ["units", "state"] {
        let p = dir.join(sub);
        fs::create_dir_all(&p).unwrap();
        nix::unistd::chown(
            &p,
            Some(nix::unistd::Uid::from_raw(65534)),
            Some(nix::unistd::Gid::from_raw(65534)),
        )
        .unwrap();
    }
    let out = run(d, 3, "nobody");
    assert!(out.cgroup.is_none(), "nobody has no cgroup to write to");
    assert_eq!(out.escaped, 0);
}

/// Each run of a service that restarts has its cgroup: the processes a run
/// leaves end with it, and none is left after the stop.
#[test]
fn every_run_of_a_restarting_service_has_its_cgroup() {
    if !cgroups_writable() {
        eprintln!("reliability: skipped: no writable cgroup v2 tree (not root)");
        return;
    }
    let marker = unique_marker(6);
    let _guard = MarkerGuard(marker.clone());
    let dir = tempfile::tempdir().unwrap();
    let mut d = Daemon::new(
        dir.path(),
        &[(
            "again.service",
            &format!(
                "[Unit]\nStartLimitIntervalSec=0\n[Service]\nRestart=always\nRestartSec=100ms\n\
                 ExecStart=/bin/sh -c '(env -i setsid /bin/sleep {marker} \
                 >/dev/null 2>&1 </dev/null &); sleep 0.3; exit 1'\n"
            ),
        )],
    );
    d.start();
    let mut cgroups = CgroupGuard(None);
    match d.call(Request::Start(UnitsRequest {
        units: vec!["again.service".into()],
    })) {
        Response::Done { .. } => {}
        other => panic!("start: {other:?}"),
    }
    let restarted = wait_for(Duration::from_secs(20), || {
        d.property(Some("again.service"), "NRestarts")
            .parse::<u32>()
            .is_ok_and(|n| n >= 3)
            && d.property(Some("again.service"), "ActiveState") == "active"
    });
    assert!(restarted, "{}", d.stderr());
    let cgroup = control_group(&d, "again.service");
    cgroups.0 = cgroup
        .as_ref()
        .and_then(|c| c.parent().map(Path::to_path_buf));
    assert!(cgroup.is_some(), "a restarted run has a cgroup");
    // Each run's process ended with its run.
    let alive = marked(&marker).len();
    assert!(alive <= 1, "{alive} processes of earlier runs live on");
    match d.call(Request::Stop(UnitsRequest {
        units: vec!["again.service".into()],
    })) {
        Response::Done { .. } => {}
        other => panic!("stop: {other:?}"),
    }
    wait_for(Duration::from_secs(3), || marked(&marker).is_empty());
    assert_eq!(marked(&marker).len(), 0);
    assert!(d.terminate());
    if let Some(base) = &cgroups.0 {
        assert!(!base.exists(), "{} is left", base.display());
    }
}

/// A service that makes cgroups of its own below its cgroup (as one with
/// `Delegate=` does) has the processes there stopped too, and those cgroups
/// removed with its own.
#[test]
fn the_cgroups_a_service_makes_go_with_it() {
    if !cgroups_writable() {
        eprintln!("reliability: skipped: no writable cgroup v2 tree (not root)");
        return;
    }
    let mount = cgroup2_mount().unwrap();
    let marker = unique_marker(7);
    let _guard = MarkerGuard(marker.clone());
    let dir = tempfile::tempdir().unwrap();
    let mut d = Daemon::new(
        dir.path(),
        &[(
            "nest.service",
            &format!(
                "[Service]\nExecStart=/bin/sh -c 'd={}$$(sed -n s/^0:://p /proc/self/cgroup); \
                 mkdir $$d/sub && /bin/sh -c \"echo 0 > $$d/sub/cgroup.procs; \
                 exec /bin/sleep {marker}\" & exec /bin/sleep {marker}9'\n",
                mount.display()
            ),
        )],
    );
    d.start();
    let mut cgroups = CgroupGuard(None);
    match d.call(Request::Start(UnitsRequest {
        units: vec!["nest.service".into()],
    })) {
        Response::Done { .. } => {}
        other => panic!("start: {other:?}"),
    }
    let cgroup = control_group(&d, "nest.service").expect("a cgroup");
    cgroups.0 = cgroup.parent().map(Path::to_path_buf);
    let nested = wait_for(Duration::from_secs(10), || {
        marked(&marker).first().is_some_and(|pid| {
            fs::read_to_string(format!("/proc/{pid}/cgroup"))
                .is_ok_and(|t| t.contains("/nest.service/sub\n"))
        })
    });
    assert!(
        nested,
        "the service's process is in its own cgroup: {}",
        d.stderr()
    );
    match d.call(Request::Stop(UnitsRequest {
        units: vec!["nest.service".into()],
    })) {
        Response::Done { .. } => {}
        other => panic!("stop: {other:?}"),
    }
    wait_for(Duration::from_secs(3), || marked(&marker).is_empty());
    assert_eq!(marked(&marker).len(), 0);
    assert!(!cgroup.exists(), "{} is left", cgroup.display());
    assert!(d.terminate());
}

/// A daemon that re-executes itself keeps its services in their cgroups:
/// the stop after it still ends every process.
#[test]
fn a_re_executed_daemon_keeps_its_services_cgroups() {
    if !cgroups_writable() {
        eprintln!("reliability: skipped: no writable cgroup v2 tree (not root)");
        return;
    }
    let n = 10;
    let marker = unique_marker(8);
    let _guard = MarkerGuard(marker.clone());
    let dir = tempfile::tempdir().unwrap();
    let mut d = Daemon::new(dir.path(), &[]);
    daemon_support::write_unit(&d.units, "escape.service", &escaping_unit(&marker, n));
    d.start();
    let mut cgroups = CgroupGuard(None);
    match d.call(Request::Start(UnitsRequest {
        units: vec!["escape.service".into()],
    })) {
        Response::Done { .. } => {}
        other => panic!("start: {other:?}"),
    }
    assert!(wait_for(Duration::from_secs(20), || marked(&marker).len() == n));
    let before = control_group(&d, "escape.service").expect("a cgroup");
    cgroups.0 = before.parent().map(Path::to_path_buf);
    // The daemon execs with the request's connection open: no reply.
    let mut client = sundial::ipc::Client::connect(&d.socket).expect("connects");
    if let Ok(Response::Error { message, .. }) = client.call(&Request::DaemonReexec) {
        panic!("daemon-reexec: {message}");
    }
    assert!(
        wait_for(Duration::from_secs(20), || d
            .stderr()
            .contains("sundial: re-executed:")),
        "{}",
        d.stderr()
    );
    assert_eq!(control_group(&d, "escape.service"), Some(before.clone()));
    match d.call(Request::Stop(UnitsRequest {
        units: vec!["escape.service".into()],
    })) {
        Response::Done { .. } => {}
        other => panic!("stop: {other:?}"),
    }
    wait_for(Duration::from_secs(3), || marked(&marker).is_empty());
    assert_eq!(marked(&marker).len(), 0);
    assert!(!before.exists(), "{} is left", before.display());
    assert!(d.terminate());
    if let Some(base) = &cgroups.0 {
        assert!(!base.exists(), "{} is left", base.display());
    }
}

/// The daemon's start-up line says how it tracks services' processes.
#[test]
fn the_start_up_line_says_how_processes_are_tracked() {
    let says = |d: &mut Daemon, what: &str| {
        d.start();
        let found = daemon_support::wait_for(Duration::from_secs(10), || d.stderr().contains(what));
        assert!(found, "no '{what}' in the daemon's log:\n{}", d.stderr());
        assert!(d.terminate());
    };
    let dir = tempfile::tempdir().unwrap();
    let mut d = Daemon::new(dir.path(), &[]).env("SUNDIAL_CGROUPS", "off");
    says(&mut d, "tracked by the process tree (SUNDIAL_CGROUPS=off)");
    let dir = tempfile::tempdir().unwrap();
    let mut d = Daemon::new(dir.path(), &[]);
    if cgroups_writable() {
        says(
            &mut d,
            "each service's processes in a cgroup of its own under /",
        );
    } else {
        // An ordinary user may still have a delegated tree (a systemd user
        // session): either line, but one of them.
        says(&mut d, " processes ");
        let log = d.stderr();
        assert!(
            log.contains("no writable cgroup v2 tree") || log.contains("in a cgroup of its own"),
            "{log}"
        );
    }
}
