//! Links in a unit directory that lead nowhere (issue 13, item 10): the
//! daemon's log, `start` and `verify` say what they are instead of only
//! "not found".
#![allow(clippy::unwrap_used)]

mod daemon_support;

use std::os::unix::fs::symlink;
use std::process::Command;
use sundial::ipc::UnitsRequest;

use daemon_support::Daemon;
use sundial::ipc::{Request, Response};

const OK: &str = "[Service]\nType=oneshot\nExecStart=/bin/true\n";

/// A unit directory with every kind of broken link beside a good unit.
fn broken_dir(units: &std::path::Path) {
    // A link to a file of the same name that does not exist.
    symlink(
        "/nonexistent-sundial/dangling.service",
        units.join("dangling.service"),
    )
    .unwrap();
    // A link to itself.
    symlink("looping.service", units.join("looping.service")).unwrap();
    // Two aliases of each other.
    symlink("round-b.service", units.join("round-a.service")).unwrap();
    symlink("round-a.service", units.join("round-b.service")).unwrap();
    // An alias to a unit that exists nowhere.
    symlink(
        "/nonexistent-sundial/elsewhere.service",
        units.join("alias.service"),
    )
    .unwrap();
}

#[test]
fn the_daemon_log_and_start_say_what_a_broken_link_is() {
    let tmp = tempfile::tempdir().unwrap();
    let mut d = Daemon::new(tmp.path(), &[("ok.service", OK)]);
    broken_dir(&d.units);
    d.start();
    // The log is written as the units load; wait for the last of them.
    daemon_support::wait_for(std::time::Duration::from_secs(10), || {
        d.stderr().matches("symlink").count() >= 4
    });
    let log = d.stderr();
    for (name, what) in [
        (
            "dangling.service",
            "dangling symlink to /nonexistent-sundial/dangling.service",
        ),
        ("looping.service", "symlink loop"),
        ("round-a.service", "symlink loop"),
        (
            "alias.service",
            "dangling symlink to /nonexistent-sundial/elsewhere.service",
        ),
    ] {
        let path = d.units.join(name);
        assert!(
            log.lines()
                .any(|l| l.contains(&path.display().to_string()) && l.contains(what)),
            "the daemon's log does not name {name} as a {what}:\n{log}"
        );
        match d.call(Request::Start(UnitsRequest {
            units: vec![name.into()],
        })) {
            Response::Error { message, .. } => {
                assert!(message.contains("not found"), "{message}");
                assert!(message.contains(what), "{name}: {message}");
            }
            other => panic!("starting {name}: {other:?}"),
        }
    }
    // The good unit is unaffected.
    if let Response::Error { message, .. } = d.call(Request::Start(UnitsRequest {
        units: vec!["ok.service".into()],
    })) {
        panic!("ok.service: {message}");
    }
}

#[test]
fn verify_names_the_broken_link_behind_a_missing_dependency() {
    let tmp = tempfile::tempdir().unwrap();
    let units = tmp.path().join("units");
    std::fs::create_dir_all(&units).unwrap();
    broken_dir(&units);
    std::fs::write(
        units.join("needs.service"),
        "[Unit]\nRequires=dangling.service\n[Service]\nExecStart=/bin/true\n",
    )
    .unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_sundial"))
        .args(["verify", "--unit-dir"])
        .arg(&units)
        .arg(units.join("needs.service"))
        .env_remove("SUNDIAL_UNIT_PATH")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{stderr}");
    assert!(
        stderr.contains("dangling symlink to /nonexistent-sundial/dangling.service"),
        "{stderr}"
    );
}
