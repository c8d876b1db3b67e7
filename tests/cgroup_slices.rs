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
        d.start_unit(u);
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
    assert_eq!(d.property(Some("a.service"), "Slice"), "foo-bar.slice");
    assert_eq!(d.property(Some("plain.service"), "Slice"), "-.slice");
    // ControlGroup= says the same, below the mount point.
    let mount = v2_mount().unwrap();
    let shown = d.property(Some("a.service"), "ControlGroup");
    assert_eq!(
        mount.join(shown.trim_start_matches('/')),
        cgroups[0],
        "{shown}"
    );

    d.stop_unit("a.service");
    assert!(gone(&cgroups[0]), "{} is left", cgroups[0].display());
    assert!(foo_bar.is_dir(), "b.service still runs in foo-bar.slice");
    d.stop_unit("b.service");
    assert!(gone(&foo_bar), "{} is left", foo_bar.display());
    assert!(foo.is_dir(), "c.service still runs in foo.slice");
    d.stop_unit("c.service");
    assert!(gone(&foo), "{} is left", foo.display());
    assert!(subtree.is_dir(), "plain.service still runs");
    // Started again, the nesting is made again.
    d.start_unit("b.service");
    let again = v2_cgroup_of(main_pid(&d, "b.service")).unwrap();
    assert_eq!(again, foo_bar.join("b.service"));
    assert!(d.terminate());
    for dir in [&again, &foo, &cgroups[3], &subtree] {
        assert!(gone(dir), "{} is left", dir.display());
    }
}

/// A `Slice=` that names no slice is reported and ignored, and the root
/// slice is the top of the subtree: both services run directly in the
/// subtree.
#[test]
fn a_slice_that_is_not_one_is_ignored_and_the_root_slice_is_the_top() {
    let dir = tempfile::tempdir().unwrap();
    let unit = "[Service]\nSlice=../x.service\nExecStart=/bin/sleep 60\n";
    let root = "[Service]\nSlice=-.slice\nExecStart=/bin/sleep 60\n";
    let mut d = Daemon::new(dir.path(), &[("odd.service", unit), ("root.service", root)]);
    d.start();
    let test = "Slice= invalid";
    if !tracks_in_v2(&d, test) {
        return;
    }
    d.start_unit("odd.service");
    d.start_unit("root.service");
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
    assert!(!stderr.contains("'-.slice'"), "{stderr}");
    assert!(d.terminate());
    assert!(gone(&odd) && gone(&root));
}

/// A cgroup of the test's own below its v2 cgroup, for a daemon's
/// `--cgroup`; None (printed) where the test may not make one.
fn test_cgroup(test: &str, tag: &str) -> Option<PathBuf> {
    let own = v2_cgroup_of(std::process::id())?;
    let dir = own.join(format!("sundial-test-{}-{tag}", std::process::id()));
    match fs::create_dir(&dir) {
        Ok(()) => Some(dir),
        Err(e) => {
            eprintln!("{test}: skipped: cannot make {}: {e}", dir.display());
            None
        }
    }
}

/// rmdir from the leaves up (what the test made, after its daemon is gone).
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

/// `--cgroup` (a path below the mount, as ControlGroup= shows one) is the
/// daemon's subtree: the daemon moves itself into `<subtree>/supervisor`
/// there and its services' cgroups are made there, none in its own cgroup.
#[test]
fn the_daemon_uses_the_cgroup_it_is_told() {
    let test = "--cgroup";
    let Some(mount) = v2_mount() else {
        eprintln!("{test}: skipped: no cgroup v2 mount");
        return;
    };
    let Some(named) = test_cgroup(test, "named") else {
        return;
    };
    let before = v2_cgroup_of(std::process::id()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let rel = format!("/{}", named.strip_prefix(&mount).unwrap().display());
    let mut d = Daemon::new(
        dir.path(),
        &[("told.service", "[Service]\nExecStart=/bin/sleep 60\n")],
    )
    .arg("--cgroup")
    .arg(&rel);
    d.start();
    d.start_unit("told.service");
    let svc = v2_cgroup_of(main_pid(&d, "told.service")).unwrap();
    // Read once it has started a service (its socket answers before).
    let daemon_pid = d.pid();
    let daemon_cg = v2_cgroup_of(daemon_pid).unwrap();
    let subtree = daemon_cg.parent().unwrap().to_path_buf();
    let mode = d.property(None, "CgroupMode");
    d.stop_unit("told.service");
    let svc_gone = gone(&svc);
    assert!(d.terminate());
    let leftovers: Vec<PathBuf> = fs::read_dir(&named)
        .map(|r| {
            r.filter_map(Result::ok)
                .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
                .map(|e| e.path())
                .collect()
        })
        .unwrap_or_default();
    remove_tree(&named);
    eprintln!(
        "{test}: daemon in {}, service in {}",
        daemon_cg.display(),
        svc.display()
    );
    assert!(!named.exists(), "{} is left", named.display());
    assert_ne!(mode, "none");
    assert_eq!(daemon_cg.file_name().unwrap(), "supervisor");
    assert_eq!(subtree.parent(), Some(named.as_path()));
    assert!(subtree
        .file_name()
        .unwrap()
        .to_string_lossy()
        .starts_with("sundial-"));
    assert_eq!(svc, subtree.join("told.service"));
    assert!(svc_gone, "{} is left after the stop", svc.display());
    // The daemon's leaf only (it is in it until it exits).
    assert!(leftovers.iter().all(|p| p == &subtree), "{leftovers:?}");
    // The test's own cgroup got nothing of the daemon's.
    let in_own: Vec<_> = fs::read_dir(&before)
        .unwrap()
        .filter_map(Result::ok)
        .filter(|e| {
            e.file_name()
                .to_string_lossy()
                .starts_with(&format!("sundial-{daemon_pid}-"))
        })
        .collect();
    assert!(in_own.is_empty(), "{in_own:?}");
}

/// `[manager] cgroup` in the config file does the same, as the full path.
#[test]
fn the_config_names_the_cgroup_too() {
    let test = "[manager] cgroup";
    let Some(named) = test_cgroup(test, "config") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config/sundial");
    fs::create_dir_all(&config).unwrap();
    fs::write(
        config.join("sundial.toml"),
        format!("[manager]\ncgroup = \"{}\"\n", named.display()),
    )
    .unwrap();
    let mut d = Daemon::new(
        dir.path(),
        &[("conf.service", "[Service]\nExecStart=/bin/sleep 60\n")],
    );
    d.start();
    d.start_unit("conf.service");
    let svc = v2_cgroup_of(main_pid(&d, "conf.service")).unwrap();
    assert!(d.terminate());
    remove_tree(&named);
    assert!(svc.starts_with(&named), "{}", svc.display());
    assert!(!named.exists(), "{} is left", named.display());
}

/// A named cgroup that is missing or outside the mount stops the start,
/// with a message that names it.
#[test]
fn a_cgroup_that_cannot_be_used_stops_the_start() {
    let dir = tempfile::tempdir().unwrap();
    let mut cases = vec![
        (
            format!("/sundial-no-such-{}", std::process::id()),
            "no such cgroup v2 directory",
        ),
        (
            "../etc".to_owned(),
            "not a directory below the cgroup v2 mount",
        ),
    ];
    // The root of the tree is not an ordinary user's (and root must not
    // be sent there by a test).
    if !nix::unistd::geteuid().is_root() {
        cases.push(("/".to_owned(), "not writable by this user"));
    }
    for (given, says) in cases {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_sundial"))
            .args(["daemon", "--user", "--unit-dir"])
            .arg(dir.path().join("units"))
            .arg("--state-dir")
            .arg(dir.path().join("state"))
            .arg("--socket")
            .arg(dir.path().join("control.sock"))
            .args(["--cgroup", &given])
            .env("HOME", dir.path())
            .env("XDG_CONFIG_HOME", dir.path().join("config"))
            .env_remove("XDG_RUNTIME_DIR")
            .stdin(std::process::Stdio::null())
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        if v2_mount().is_none() {
            assert!(stderr.contains("no cgroup v2 hierarchy"), "{stderr}");
            continue;
        }
        assert!(!out.status.success(), "{given}: started: {stderr}");
        assert!(stderr.contains(says), "{given}: {stderr}");
        assert!(
            stderr.contains(given.trim_start_matches("..")),
            "{given}: {stderr}"
        );
    }
}

/// Processes whose command line has `marker`.
fn count_marked(marker: &str) -> usize {
    fs::read_dir("/proc")
        .map(|r| {
            r.filter_map(Result::ok)
                .filter(|e| {
                    fs::read(e.path().join("cmdline"))
                        .is_ok_and(|c| String::from_utf8_lossy(&c).contains(marker))
                })
                .count()
        })
        .unwrap_or(0)
}

/// Where the kernel has no `cgroup.kill` (before 5.14), SIGKILL goes by
/// freezing the cgroup, killing what is in it and thawing, until it is
/// empty: forced here by the daemon's test aid, a service that keeps
/// forking children into sessions of their own (which ignore SIGTERM) is
/// fully ended by `stop`.
#[test]
fn without_cgroup_kill_a_stop_freezes_and_kills_until_empty() {
    let dir = tempfile::tempdir().unwrap();
    let marker = format!("sundial-freeze-{}", std::process::id());
    let unit = format!(
        "[Service]\nKillSignal=SIGKILL\nExecStart=/bin/sh -c 'while :; do setsid sh -c \"trap \\\"\\\" TERM; sleep 60; : {marker}\" & sleep 0.01; done; : {marker}'\n"
    );
    let mut d = Daemon::new(dir.path(), &[("forker.service", unit.as_str())])
        .env("SUNDIAL_TEST_NO_CGROUP_KILL", "1");
    d.start();
    let test = "freeze-and-kill";
    if !tracks_in_v2(&d, test) {
        assert!(d.terminate());
        return;
    }
    d.start_unit("forker.service");
    let cg = v2_cgroup_of(main_pid(&d, "forker.service")).unwrap();
    if !cg.join("cgroup.freeze").exists() {
        eprintln!("{test}: skipped: no cgroup.freeze (kernel before 5.2)");
        d.stop_unit("forker.service");
        assert!(d.terminate());
        return;
    }
    let forked = wait_for(Duration::from_secs(20), || count_marked(&marker) >= 30);
    let before = count_marked(&marker);
    d.stop_unit("forker.service");
    let state = d.property(Some("forker.service"), "ActiveState");
    let left = count_marked(&marker);
    let stderr = d.stderr();
    assert!(d.terminate());
    eprintln!("{test}: {before} processes before the stop, {left} after");
    assert!(forked, "the service did not fork: {before}");
    assert!(
        stderr.contains("acting as if the kernel had no cgroup.kill"),
        "{stderr}"
    );
    // The main process ends by SIGKILL: result `signal`, as in systemd.
    assert!(state == "inactive" || state == "failed", "{state}");
    assert_eq!(left, 0, "escaped the stop");
    assert!(gone(&cg), "{} is left", cg.display());
}

/// The cgroup v1 directory of process `pid` in the hierarchy of
/// `controller`.
fn v1_cgroup_of(pid: u32, controller: &str) -> Option<PathBuf> {
    let text = fs::read_to_string(format!("/proc/{pid}/cgroup")).ok()?;
    let path = text.lines().find_map(|l| {
        let mut parts = l.splitn(3, ':');
        parts.next()?;
        let list = parts.next()?;
        let path = parts.next()?;
        list.split(',').any(|c| c == controller).then_some(path)
    })?;
    let mounts = fs::read_to_string("/proc/self/mountinfo").ok()?;
    let mount = mounts.lines().find_map(|l| {
        let (pre, post) = l.split_once(" - ")?;
        let mut post = post.split_whitespace();
        (post.next()? == "cgroup").then_some(())?;
        let options = post.nth(1)?;
        options
            .split(',')
            .any(|o| o == controller)
            .then(|| pre.split_whitespace().nth(4).map(PathBuf::from))?
    })?;
    Some(mount.join(path.trim_start_matches('/')))
}

/// Where the kernel's cgroup v2 can neither kill nor freeze (before 5.2;
/// forced here by the daemon's test aid), a service joins the v1 freezer
/// hierarchy too and SIGKILL goes by freezing that: the forker is fully
/// ended by `stop`, and its freezer cgroup goes.
#[test]
fn without_v2_kill_or_freeze_the_v1_freezer_ends_a_stop() {
    let dir = tempfile::tempdir().unwrap();
    let marker = format!("sundial-v1freeze-{}", std::process::id());
    let unit = format!(
        "[Service]\nKillSignal=SIGKILL\nExecStart=/bin/sh -c 'while :; do setsid sh -c \"trap \\\"\\\" TERM; sleep 60; : {marker}\" & sleep 0.01; done; : {marker}'\n"
    );
    let mut d = Daemon::new(dir.path(), &[("v1forker.service", unit.as_str())])
        .env("SUNDIAL_TEST_NO_CGROUP_KILL", "freeze");
    d.start();
    let test = "v1 freezer";
    let controllers = d.property(None, "CgroupControllers");
    let has_freezer = controllers
        .split_once("v1: ")
        .is_some_and(|(_, v1)| v1.split(' ').any(|c| c == "freezer"));
    if !has_freezer {
        eprintln!("{test}: skipped: no writable v1 freezer hierarchy ({controllers})");
        assert!(d.terminate());
        return;
    }
    d.start_unit("v1forker.service");
    let pid = main_pid(&d, "v1forker.service");
    let freezer = v1_cgroup_of(pid, "freezer").unwrap();
    let forked = wait_for(Duration::from_secs(20), || count_marked(&marker) >= 30);
    let before = count_marked(&marker);
    d.stop_unit("v1forker.service");
    let state = d.property(Some("v1forker.service"), "ActiveState");
    let left = count_marked(&marker);
    let stderr = d.stderr();
    assert!(d.terminate());
    eprintln!(
        "{test}: {before} processes before the stop, {left} after; freezer cgroup {}",
        freezer.display()
    );
    assert!(forked, "the service did not fork: {before}");
    assert!(
        stderr.contains("no cgroup.kill or cgroup.freeze"),
        "{stderr}"
    );
    assert!(
        freezer.to_string_lossy().contains("/sundial-") && freezer.ends_with("v1forker.service"),
        "not in a freezer cgroup of the daemon's: {}",
        freezer.display()
    );
    assert!(state == "inactive" || state == "failed", "{state}");
    assert_eq!(left, 0, "escaped the stop");
    assert!(gone(&freezer), "{} is left", freezer.display());
}

/// A service in a slice outlives a `kill -9` of the daemon; the next daemon
/// takes it over into the same slice of its own subtree, and the killed
/// daemon's slice directories and subtree go.
#[test]
fn a_sliced_service_is_taken_over_after_a_kill_9() {
    let dir = tempfile::tempdir().unwrap();
    let unit = "[Service]\nSlice=foo-bar.slice\nExecStart=/bin/sleep 60\n";
    let mut d = Daemon::new(dir.path(), &[("kept.service", unit)]);
    d.start();
    let test = "Slice= after kill -9";
    if !tracks_in_v2(&d, test) {
        return;
    }
    d.start_unit("kept.service");
    let pid = main_pid(&d, "kept.service");
    let old = v2_cgroup_of(pid).unwrap();
    let old_subtree = old.ancestors().nth(3).unwrap().to_path_buf();
    d.kill9();
    d.start();
    let adopted = wait_for(Duration::from_secs(10), || {
        d.property(Some("kept.service"), "MainPID") == pid.to_string()
            && v2_cgroup_of(pid).is_some_and(|c| c != old)
    });
    let new = v2_cgroup_of(pid).unwrap();
    eprintln!("{test}: {} -> {}", old.display(), new.display());
    d.stop_unit("kept.service");
    assert!(d.terminate());
    assert!(adopted, "not taken over: {}", d.stderr());
    assert!(
        new.ends_with("foo.slice/foo-bar.slice/kept.service"),
        "{}",
        new.display()
    );
    assert_ne!(new.ancestors().nth(3), Some(old_subtree.as_path()));
    for gone_dir in [&old, &old_subtree, &new] {
        assert!(gone(gone_dir), "{} is left", gone_dir.display());
    }
}

/// `daemon-reexec` keeps a sliced service's cgroup; its slice directories
/// go with it at the stop afterwards.
#[test]
fn a_sliced_service_keeps_its_cgroup_across_daemon_reexec() {
    let dir = tempfile::tempdir().unwrap();
    let unit = "[Service]\nSlice=re-exec.slice\nExecStart=/bin/sleep 60\n";
    let mut d = Daemon::new(dir.path(), &[("re.service", unit)]);
    d.start();
    let test = "Slice= across daemon-reexec";
    if !tracks_in_v2(&d, test) {
        return;
    }
    d.start_unit("re.service");
    let pid = main_pid(&d, "re.service");
    let before = v2_cgroup_of(pid).unwrap();
    let shown = d.property(Some("re.service"), "ControlGroup");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_sundial"))
        .arg("--socket")
        .arg(dir.path().join("state/control.sock"))
        .arg("daemon-reexec")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let kept = wait_for(Duration::from_secs(10), || {
        d.property(Some("re.service"), "ControlGroup") == shown
    });
    let after = v2_cgroup_of(pid).unwrap();
    d.stop_unit("re.service");
    let slice = before.parent().unwrap().to_path_buf();
    assert!(d.terminate());
    assert!(
        kept,
        "{shown} became {}",
        d.property(Some("re.service"), "ControlGroup")
    );
    assert_eq!(before, after);
    assert!(
        slice.ends_with("re.slice/re-exec.slice"),
        "{}",
        slice.display()
    );
    for dir in [&before, &slice, &slice.parent().unwrap().to_path_buf()] {
        assert!(gone(dir), "{} is left", dir.display());
    }
}
