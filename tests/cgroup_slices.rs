//! Where services' cgroups go and how they end: `Slice=` nests a service's
//! cgroup in its slice's directories (by the dashes of the slice's name)
//! under the daemon's subtree, and the slice's directories go with its last
//! service; `--cgroup` names the subtree the daemon works in; the
//! freeze-and-kill loop of kernels without `cgroup.kill`; `OOMPolicy=`.
//!
//! The daemons make their cgroups under the test's own cgroup (or one the
//! test made there) and every test checks they are gone. Where the daemon
//! finds no writable cgroup v2 tree (an ordinary user without a delegated
//! tree), a test says so and skips.

mod daemon_support;

use std::fs;
use std::path::{Path, PathBuf};
use std::time::Duration;

use daemon_support::{wait_for, Daemon};
use sundial::ipc::{Request, Response, UnitsRequest};

fn start(d: &Daemon, unit: &str) {
    match d.call(Request::Start(UnitsRequest {
        units: vec![unit.into()],
    })) {
        Response::Done { .. } => {}
        other => panic!("start {unit}: {other:?}"),
    }
}

fn stop(d: &Daemon, unit: &str) {
    match d.call(Request::Stop(UnitsRequest {
        units: vec![unit.into()],
    })) {
        Response::Done { .. } => {}
        other => panic!("stop {unit}: {other:?}"),
    }
}

/// The cgroup v2 mount point.
fn v2_mount() -> Option<PathBuf> {
    let text = fs::read_to_string("/proc/self/mountinfo").ok()?;
    text.lines().find_map(|l| {
        let (pre, post) = l.split_once(" - ")?;
        post.starts_with("cgroup2 ")
            .then(|| pre.split_whitespace().nth(4).map(PathBuf::from))?
    })
}

/// The v2 cgroup directory of process `pid`.
fn v2_cgroup_of(pid: u32) -> Option<PathBuf> {
    let text = fs::read_to_string(format!("/proc/{pid}/cgroup")).ok()?;
    let rel = text.lines().find_map(|l| l.strip_prefix("0::"))?;
    Some(v2_mount()?.join(rel.trim_start_matches('/')))
}

/// Whether the daemon tracks services in cgroup v2 (hybrid or unified);
/// says why not otherwise.
fn tracks_in_v2(d: &Daemon, test: &str) -> bool {
    let mode = d.property(None, "CgroupMode");
    let ok = mode == "unified" || mode == "hybrid";
    if !ok {
        eprintln!("{test}: skipped: no writable cgroup v2 tree (CgroupMode={mode})");
    }
    ok
}

fn main_pid(d: &Daemon, unit: &str) -> u32 {
    let mut pid = 0;
    wait_for(Duration::from_secs(10), || {
        pid = d.property(Some(unit), "MainPID").parse().unwrap_or(0);
        pid != 0
    });
    assert_ne!(pid, 0, "{unit} has no main process: {}", d.stderr());
    let exe = fs::canonicalize(env!("CARGO_BIN_EXE_sundial")).ok();
    wait_for(Duration::from_secs(10), || {
        fs::read_link(format!("/proc/{pid}/exe")).ok() != exe
    });
    pid
}

fn gone(dir: &Path) -> bool {
    wait_for(Duration::from_secs(5), || !dir.exists())
}

/// `Slice=foo-bar.slice` puts the service's cgroup in
/// `<subtree>/foo.slice/foo-bar.slice/`, `Slice=foo.slice` in
/// `<subtree>/foo.slice/`; a slice's directory stays while a service of it
/// (or of a slice below it) runs and goes with the last one.
#[test]
fn slices_nest_by_dashes_and_go_with_their_last_service() {
    let dir = tempfile::tempdir().unwrap();
    let svc = |slice: &str| format!("[Service]\nSlice={slice}\nExecStart=/bin/sleep 60\n");
    let (a, b, c) = (svc("foo-bar.slice"), svc("foo-bar.slice"), svc("foo.slice"));
    let mut d = Daemon::new(
        dir.path(),
        &[
            ("a.service", a.as_str()),
            ("b.service", b.as_str()),
            ("c.service", c.as_str()),
            ("plain.service", "[Service]\nExecStart=/bin/sleep 60\n"),
        ],
    );
    d.start();
    let test = "Slice=";
    if !tracks_in_v2(&d, test) {
        return;
    }
    for u in ["a.service", "b.service", "c.service", "plain.service"] {
        start(&d, u);
    }
    let pids: Vec<u32> = ["a.service", "b.service", "c.service", "plain.service"]
        .iter()
        .map(|u| main_pid(&d, u))
        .collect();
    let cgroups: Vec<PathBuf> = pids.iter().map(|p| v2_cgroup_of(*p).unwrap()).collect();
    eprintln!("{test}: {cgroups:?}");
    // plain.service is directly in the daemon's subtree.
    let subtree = cgroups[3].parent().unwrap().to_path_buf();
    assert!(
        subtree
            .file_name()
            .unwrap()
            .to_string_lossy()
            .starts_with("sundial-"),
        "{}",
        subtree.display()
    );
    let foo = subtree.join("foo.slice");
    let foo_bar = foo.join("foo-bar.slice");
    assert_eq!(cgroups[0], foo_bar.join("a.service"));
    assert_eq!(cgroups[1], foo_bar.join("b.service"));
    assert_eq!(cgroups[2], foo.join("c.service"));
    // ControlGroup= says the same, below the mount point.
    let mount = v2_mount().unwrap();
    let shown = d.property(Some("a.service"), "ControlGroup");
    assert_eq!(
        mount.join(shown.trim_start_matches('/')),
        cgroups[0],
        "{shown}"
    );

    stop(&d, "a.service");
    assert!(gone(&cgroups[0]), "{} is left", cgroups[0].display());
    assert!(foo_bar.is_dir(), "b.service still runs in foo-bar.slice");
    stop(&d, "b.service");
    assert!(gone(&foo_bar), "{} is left", foo_bar.display());
    assert!(foo.is_dir(), "c.service still runs in foo.slice");
    stop(&d, "c.service");
    assert!(gone(&foo), "{} is left", foo.display());
    assert!(subtree.is_dir(), "plain.service still runs");
    // Started again, the nesting is made again.
    start(&d, "b.service");
    let again = v2_cgroup_of(main_pid(&d, "b.service")).unwrap();
    assert_eq!(again, foo_bar.join("b.service"));
    assert!(d.terminate());
    for dir in [&again, &foo, &cgroups[3], &subtree] {
        assert!(gone(dir), "{} is left", dir.display());
    }
}

/// A `Slice=` that names no slice (or the root slice, which holds no
/// service) is reported and ignored: the service runs directly in the
/// subtree.
#[test]
fn a_slice_that_is_not_one_is_ignored() {
    let dir = tempfile::tempdir().unwrap();
    let unit = "[Service]\nSlice=../x.service\nExecStart=/bin/sleep 60\n";
    let root = "[Service]\nSlice=-.slice\nExecStart=/bin/sleep 60\n";
    let mut d = Daemon::new(dir.path(), &[("odd.service", unit), ("root.service", root)]);
    d.start();
    let test = "Slice= invalid";
    if !tracks_in_v2(&d, test) {
        return;
    }
    start(&d, "odd.service");
    start(&d, "root.service");
    let odd = v2_cgroup_of(main_pid(&d, "odd.service")).unwrap();
    let root = v2_cgroup_of(main_pid(&d, "root.service")).unwrap();
    assert_eq!(odd.parent(), root.parent());
    assert!(odd
        .parent()
        .unwrap()
        .file_name()
        .unwrap()
        .to_string_lossy()
        .starts_with("sundial-"));
    let stderr = d.stderr();
    assert!(stderr.contains("'../x.service' is not a slice"), "{stderr}");
    assert!(stderr.contains("'-.slice' is not a slice"), "{stderr}");
    assert!(d.terminate());
    assert!(gone(&odd) && gone(&root));
}
