//! `.path` units under the real daemon, in temp dirs: a change burst makes
//! one run and one more after it, a spool directory is worked off, paths
//! that do not exist yet (nor their parents) are picked up when they
//! appear, and every run records which path unit started it.
#![allow(clippy::unwrap_used)]

mod daemon_support;

use std::fs;
use std::path::Path;
use std::time::Duration;

use daemon_support::{enable, wait_for, Daemon};
use sundial::ipc::{Request, Response, UnitsRequest};

const WAIT: Duration = Duration::from_secs(20);

/// `sundial ARGS...` against the test's daemon: its stdout.
fn cli(d: &Daemon, args: &[&str]) -> String {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_sundial"))
        .args(args)
        .arg("--no-pager")
        .env("SUNDIAL_SOCKET", &d.socket)
        .env("TZ", "UTC")
        .output()
        .unwrap();
    String::from_utf8(out.stdout).unwrap()
}

fn runs(d: &Daemon, unit: &str) -> usize {
    d.finished(unit).len()
}

fn wait_runs(d: &Daemon, unit: &str, n: usize) {
    assert!(
        wait_for(WAIT, || runs(d, unit) >= n),
        "{unit}: {} runs of {n}; daemon said:\n{}",
        runs(d, unit),
        d.stderr()
    );
}

fn sub_state(d: &Daemon, unit: &str) -> String {
    d.property(Some(unit), "SubState")
}

/// Writes `text` to `path` and closes it: one IN_CLOSE_WRITE.
fn write(path: &Path, text: &str) {
    fs::write(path, text).unwrap();
}

#[test]
fn path_changed_runs_once_per_burst_and_once_more_for_changes_during_the_run() {
    let tmp = tempfile::tempdir().unwrap();
    let conf = tmp.path().join("app.conf");
    write(&conf, "v0");
    let marks = tmp.path().join("marks");
    let path_unit = format!(
        "[Path]\nPathChanged={}\n[Install]\nWantedBy=paths.target\n",
        conf.display()
    );
    // Each run marks its start, then takes long enough for a burst to land
    // while it runs.
    let service = format!(
        "[Service]\nType=oneshot\nExecStart=/bin/sh -c 'echo \"$TRIGGER_UNIT $TRIGGER_PATH\" >> {m}; sleep 2'\n",
        m = marks.display()
    );
    let mut d = Daemon::new(
        tmp.path(),
        &[("conf.path", &path_unit), ("conf.service", &service)],
    );
    enable(&d.units, "paths.target", "conf.path");
    d.start();
    assert!(wait_for(WAIT, || sub_state(&d, "conf.path") == "waiting"));
    // An existing file is no change: nothing runs at start.
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(d.history("conf.service").len(), 0);

    write(&conf, "v1");
    wait_runs(&d, "conf.service", 1);
    let line = fs::read_to_string(&marks).unwrap();
    assert_eq!(line.trim(), format!("conf.path {}", conf.display()));
    assert_eq!(
        d.history("conf.service")[0].trigger.label(),
        "path:conf.path"
    );

    // A change starts run 2; a burst of 30 during it makes run 3 only.
    write(&conf, "v2");
    assert!(wait_for(WAIT, || d.history("conf.service").len() == 2));
    assert!(wait_for(WAIT, || sub_state(&d, "conf.service") == "start"));
    for i in 0..30 {
        write(&conf, &format!("burst {i}"));
    }
    wait_runs(&d, "conf.service", 3);
    // Quiet now: no fourth run follows.
    std::thread::sleep(Duration::from_millis(1500));
    assert_eq!(
        runs(&d, "conf.service"),
        3,
        "{:?}",
        fs::read_to_string(&marks)
    );
    assert_eq!(sub_state(&d, "conf.path"), "waiting");
}

#[test]
fn the_spool_example_works_off_the_directory_and_waits_for_more() {
    let tmp = tempfile::tempdir().unwrap();
    let examples = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/units");
    let example = |name: &str| fs::read_to_string(examples.join(name)).unwrap();
    let (path_unit, service) = (example("spool.path"), example("spool.service"));
    let mut d = Daemon::new(
        tmp.path(),
        &[("spool.path", &path_unit), ("spool.service", &service)],
    );
    // %S of a user daemon is its $XDG_CONFIG_HOME (systemd 252), which the
    // test daemon has in the temp dir.
    let spool = tmp.path().join("config/sundial-spool");
    enable(&d.units, "paths.target", "spool.path");
    d.start();
    // MakeDirectory= made the spool with DirectoryMode=.
    let inbox = spool.join("in");
    assert!(wait_for(WAIT, || inbox.is_dir()));
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(
        fs::metadata(&inbox).unwrap().permissions().mode() & 0o777,
        0o750
    );
    assert!(wait_for(WAIT, || sub_state(&d, "spool.path") == "waiting"));
    assert_eq!(
        d.history("spool.service").len(),
        0,
        "an empty spool runs nothing"
    );

    // A file lands: one run moves it out.
    write(&inbox.join("a.job"), "a");
    wait_runs(&d, "spool.service", 1);
    assert!(wait_for(WAIT, || spool.join("done/a.job").exists()));
    assert!(fs::read_dir(&inbox).unwrap().next().is_none());
    let run = &d.history("spool.service")[0];
    assert_eq!(run.trigger.label(), "path:spool.path");
    assert!(d
        .log_lines("spool.service")
        .iter()
        .any(|l| l.contains("processing a.job (spool.path)")));

    // What list-paths and status say.
    let inbox_text = inbox.display().to_string();
    let table = cli(&d, &["list-paths"]);
    let row = table
        .lines()
        .find(|l| l.starts_with(&inbox_text))
        .unwrap_or_else(|| panic!("{table}"));
    assert_eq!(
        row.split_whitespace().collect::<Vec<_>>(),
        [
            inbox_text.as_str(),
            "DirectoryNotEmpty",
            "spool.path",
            "spool.service"
        ]
    );
    assert!(table.starts_with("PATH"), "{table}");
    assert!(table.contains("1 paths listed."), "{table}");
    let status = cli(&d, &["status", "spool.path"]);
    assert!(status.contains("Active: active (waiting)"), "{status}");
    assert!(status.contains("Triggers: ● spool.service"), "{status}");
    assert!(
        status.contains(&format!("Path: {inbox_text} (DirectoryNotEmpty)")),
        "{status}"
    );
    let status = cli(&d, &["status", "spool.service"]);
    assert!(status.contains("TriggeredBy: ● spool.path"), "{status}");
    let history = cli(&d, &["history", "spool.service"]);
    assert!(history.contains("path:spool.path"), "{history}");

    // Many files at once: the spool is worked off, none is left.
    for i in 0..20 {
        write(&inbox.join(format!("{i}.job")), "x");
    }
    assert!(wait_for(WAIT, || fs::read_dir(spool.join("done"))
        .unwrap()
        .count()
        == 21));
    assert!(wait_for(WAIT, || sub_state(&d, "spool.path") == "waiting"));
    assert!(fs::read_dir(&inbox).unwrap().next().is_none());
    let after_burst = runs(&d, "spool.service");
    assert!(after_burst >= 2, "{after_burst}");
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(
        runs(&d, "spool.service"),
        after_burst,
        "an empty spool runs nothing more"
    );
}

#[test]
fn a_level_condition_that_still_holds_after_the_run_triggers_again() {
    let tmp = tempfile::tempdir().unwrap();
    let inbox = tmp.path().join("in");
    fs::create_dir(&inbox).unwrap();
    for i in 0..3 {
        write(&inbox.join(format!("{i}")), "");
    }
    // Each run takes one file away.
    let service = format!(
        "[Service]\nType=oneshot\nExecStart=/bin/sh -c 'rm -- \"$(ls -d {}/* | head -n 1)\"'\n",
        inbox.display()
    );
    let path_unit = format!("[Path]\nDirectoryNotEmpty={}\n", inbox.display());
    let mut d = Daemon::new(
        tmp.path(),
        &[("one.path", &path_unit), ("one.service", &service)],
    );
    d.start();
    d.start_unit("one.path");
    wait_runs(&d, "one.service", 3);
    assert!(wait_for(WAIT, || sub_state(&d, "one.path") == "waiting"));
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(runs(&d, "one.service"), 3, "one run per file, then none");
}

#[test]
fn paths_that_do_not_exist_yet_are_picked_up_when_they_appear() {
    let tmp = tempfile::tempdir().unwrap();
    let flag = tmp.path().join("later/deeper/flag");
    let conf = tmp.path().join("other/dir/conf");
    let units = [
        (
            "flag.path",
            format!("[Path]\nPathExists={}\n", flag.display()),
        ),
        (
            "flag.service",
            "[Service]\nType=oneshot\nExecStart=/bin/true\n".to_owned(),
        ),
        (
            "conf.path",
            format!("[Path]\nPathChanged={}\n", conf.display()),
        ),
        (
            "conf.service",
            "[Service]\nType=oneshot\nExecStart=/bin/sh -c 'echo \"$TRIGGER_PATH\"'\n".to_owned(),
        ),
    ];
    let units: Vec<(&str, &str)> = units.iter().map(|(n, t)| (*n, t.as_str())).collect();
    let mut d = Daemon::new(tmp.path(), &units);
    d.start();
    d.start_unit("flag.path");
    d.start_unit("conf.path");
    assert_eq!(sub_state(&d, "flag.path"), "waiting");

    // The parents first, one by one: nothing fires yet.
    fs::create_dir(tmp.path().join("later")).unwrap();
    fs::create_dir(tmp.path().join("later/deeper")).unwrap();
    fs::create_dir_all(conf.parent().unwrap()).unwrap();
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(d.history("flag.service").len(), 0);
    assert_eq!(d.history("conf.service").len(), 0);

    write(&flag, "");
    write(&conf, "x");
    wait_runs(&d, "flag.service", 1);
    wait_runs(&d, "conf.service", 1);
    let conf_line = conf.display().to_string();
    assert!(d.log_lines("conf.service").contains(&conf_line));
    // PathExists= is a level: it holds, so the service runs again after
    // each run, up to the trigger limit (200 in 2s by default), which
    // fails the path unit.
    fs::remove_file(&flag).unwrap();
    assert!(wait_for(WAIT, || {
        let s = sub_state(&d, "flag.path");
        s == "waiting" || s == "failed"
    }));
}

#[test]
fn the_trigger_limit_fails_the_path_unit_and_a_start_resets_it() {
    let tmp = tempfile::tempdir().unwrap();
    let flag = tmp.path().join("flag");
    write(&flag, "");
    let path_unit = format!(
        "[Path]\nPathExists={}\nTriggerLimitIntervalSec=1h\nTriggerLimitBurst=3\n",
        flag.display()
    );
    let mut d = Daemon::new(
        tmp.path(),
        &[
            ("lim.path", &path_unit),
            (
                "lim.service",
                "[Service]\nType=oneshot\nExecStart=/bin/true\n",
            ),
        ],
    );
    d.start();
    d.start_unit("lim.path");
    assert!(
        wait_for(WAIT, || sub_state(&d, "lim.path") == "failed"),
        "{} runs, {}; {}",
        runs(&d, "lim.service"),
        sub_state(&d, "lim.path"),
        d.stderr()
    );
    assert_eq!(runs(&d, "lim.service"), 3);
    assert_eq!(d.property(Some("lim.path"), "ActiveState"), "failed");
    assert!(d
        .stderr()
        .contains("lim.path: Trigger limit hit, refusing further activation."));
    // Started again: a new window of three.
    fs::remove_file(&flag).unwrap();
    d.start_unit("lim.path");
    assert_eq!(sub_state(&d, "lim.path"), "waiting");
    write(&flag, "");
    assert!(
        wait_for(WAIT, || sub_state(&d, "lim.path") == "failed"),
        "{} runs, {}; {}",
        runs(&d, "lim.service"),
        sub_state(&d, "lim.path"),
        d.stderr()
    );
    assert_eq!(runs(&d, "lim.service"), 6);
}

#[test]
fn a_stopped_path_unit_watches_no_more() {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("file");
    let path_unit = format!("[Path]\nPathModified={}\n", file.display());
    let mut d = Daemon::new(
        tmp.path(),
        &[
            ("mod.path", &path_unit),
            (
                "mod.service",
                "[Service]\nType=oneshot\nExecStart=/bin/true\n",
            ),
        ],
    );
    d.start();
    d.start_unit("mod.path");
    // Creation is a change.
    write(&file, "a");
    wait_runs(&d, "mod.service", 1);
    assert!(wait_for(WAIT, || sub_state(&d, "mod.path") == "waiting"));
    d.stop_unit("mod.path");
    assert_eq!(sub_state(&d, "mod.path"), "dead");
    // An inactive path unit is listed with --all only.
    assert!(!cli(&d, &["list-paths"]).contains("mod.path"));
    assert!(cli(&d, &["list-paths", "--all"]).contains("PathModified"));
    assert_eq!(d.property(Some("mod.path"), "ActiveState"), "inactive");
    write(&file, "b");
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(d.history("mod.service").len(), 1);
    // A stop of an unknown path unit is refused like any unit's.
    match d.call(Request::Start(UnitsRequest {
        units: vec!["missing.path".into()],
    })) {
        Response::Error { .. } => {}
        other => panic!("{other:?}"),
    }
}

#[test]
fn the_services_start_limit_fails_the_path_unit() {
    let tmp = tempfile::tempdir().unwrap();
    let inbox = tmp.path().join("in");
    let path_unit = format!(
        "[Path]\nDirectoryNotEmpty={}\nMakeDirectory=yes\n",
        inbox.display()
    );
    // The service never empties the directory; its start limit (systemd's
    // default, 5 starts in 10s) ends the loop before the path unit's.
    let mut d = Daemon::new(
        tmp.path(),
        &[
            ("stuck.path", &path_unit),
            (
                "stuck.service",
                "[Service]\nType=oneshot\nExecStart=/bin/true\n",
            ),
        ],
    );
    d.start();
    d.start_unit("stuck.path");
    write(&inbox.join("never-moved"), "");
    assert!(
        wait_for(WAIT, || sub_state(&d, "stuck.path") == "failed"),
        "{}",
        d.stderr()
    );
    assert_eq!(
        d.property(Some("stuck.service"), "Result"),
        "start-limit-hit"
    );
    assert_eq!(
        d.property(Some("stuck.path"), "Result"),
        "unit-start-limit-hit"
    );
}

#[test]
fn a_path_unit_started_by_hand_watches_on_after_daemon_reexec() {
    let tmp = tempfile::tempdir().unwrap();
    let inbox = tmp.path().join("in");
    fs::create_dir(&inbox).unwrap();
    let path_unit = format!("[Path]\nDirectoryNotEmpty={}\n", inbox.display());
    let service = format!(
        "[Service]\nType=oneshot\nExecStart=/bin/sh -c 'rm -f {}/*'\n",
        inbox.display()
    );
    let mut d = Daemon::new(
        tmp.path(),
        &[("re.path", &path_unit), ("re.service", &service)],
    );
    d.start();
    d.start_unit("re.path");
    write(&inbox.join("1"), "");
    wait_runs(&d, "re.service", 1);
    // The connection ends with the exec.
    let mut client = sundial::ipc::Client::connect(&d.socket).unwrap();
    let _ = client.call(&Request::DaemonReexec);
    assert!(wait_for(WAIT, || d.stderr().contains("re-executed:")));
    assert_eq!(sub_state(&d, "re.path"), "waiting");
    write(&inbox.join("2"), "");
    wait_runs(&d, "re.service", 2);
}

#[test]
fn enable_links_into_paths_target_and_reload_takes_a_changed_unit() {
    let tmp = tempfile::tempdir().unwrap();
    let first = tmp.path().join("first");
    let second = tmp.path().join("second");
    let unit = |p: &Path| {
        format!(
            "[Path]\nPathExists={}\n[Install]\nWantedBy=paths.target\n",
            p.display()
        )
    };
    let mut d = Daemon::new(
        tmp.path(),
        &[
            ("en.path", &unit(&first)),
            (
                "en.service",
                "[Service]\nType=oneshot\nRemainAfterExit=yes\nExecStart=/bin/true\n",
            ),
        ],
    );
    d.start();
    cli(&d, &["enable", "--now", "en.path"]);
    let link = d.units.join("paths.target.wants/en.path");
    assert!(link.symlink_metadata().is_ok(), "no {}", link.display());
    assert_eq!(sub_state(&d, "en.path"), "waiting");

    // Now it watches another path.
    fs::write(d.units.join("en.path"), unit(&second)).unwrap();
    match d.call(Request::DaemonReload) {
        Response::Done { .. } => {}
        other => panic!("{other:?}"),
    }
    assert_eq!(sub_state(&d, "en.path"), "waiting");
    write(&first, "");
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(
        d.history("en.service").len(),
        0,
        "the old path is not watched"
    );
    write(&second, "");
    // RemainAfterExit=: the service stays active, the path unit runs.
    assert!(wait_for(WAIT, || sub_state(&d, "en.path") == "running"));
    assert_eq!(d.history("en.service").len(), 1);
    assert_eq!(d.property(Some("en.service"), "TriggeredBy"), "en.path");
}

#[test]
fn a_stopping_daemon_starts_nothing_more_for_a_path_that_still_holds() {
    let tmp = tempfile::tempdir().unwrap();
    let flag = tmp.path().join("flag");
    write(&flag, "");
    let marks = tmp.path().join("marks");
    let path_unit = format!("[Path]\nPathExists={}\n", flag.display());
    let service = format!(
        "[Service]\nExecStart=/bin/sh -c 'echo start >> {}; exec sleep 30'\n",
        marks.display()
    );
    let mut d = Daemon::new(
        tmp.path(),
        &[("hold.path", &path_unit), ("hold.service", &service)],
    );
    d.start();
    d.start_unit("hold.path");
    // Its mark written: the run is under way.
    assert!(wait_for(WAIT, || fs::read_to_string(&marks)
        .is_ok_and(|m| m == "start\n")));
    // SIGTERM; a daemon that started the service again would not come to
    // an end: bounded, so that the test fails rather than hangs.
    let pid = d.pid();
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(pid as i32),
        nix::sys::signal::Signal::SIGTERM,
    )
    .unwrap();
    let exited = wait_for(WAIT, || {
        fs::read_to_string(format!("/proc/{pid}/stat")).map_or(true, |s| {
            s.rsplit(')')
                .next()
                .unwrap_or("")
                .trim_start()
                .starts_with('Z')
        })
    });
    assert_eq!(fs::read_to_string(&marks).unwrap(), "start\n");
    assert!(exited, "the daemon did not exit: {}", d.stderr());
    assert_eq!(d.wait_exit(), Some(0));
}
