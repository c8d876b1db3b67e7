//! `sundial isolate` against a real daemon: the unit and what it pulls in
//! run, every other running unit is stopped unless it says
//! IgnoreOnIsolate=yes, and a unit without AllowIsolate=yes is refused with
//! a clear error and changes nothing.
#![allow(clippy::unwrap_used)]

mod daemon_support;

use std::process::Command;

use daemon_support::Daemon;
use sundial::ipc::{IsolateRequest, Request, Response};

const SLEEP: &str = "[Service]\nExecStart=/bin/sleep 300\n";

fn active(d: &Daemon, unit: &str) -> String {
    d.property(Some(unit), "ActiveState")
}

fn states(d: &Daemon, units: &[&str]) -> Vec<String> {
    units
        .iter()
        .map(|u| format!("{u}={}", active(d, u)))
        .collect()
}

#[test]
fn isolate_keeps_the_units_pulled_in_and_ignoring_ones_and_stops_the_rest() {
    let dir = tempfile::tempdir().unwrap();
    let keep = format!("[Unit]\nIgnoreOnIsolate=yes\n{SLEEP}");
    let mut d = Daemon::new(
        dir.path(),
        &[
            (
                "maint.target",
                "[Unit]\nAllowIsolate=yes\nWants=maint.service\nRequires=base.target\n",
            ),
            ("base.target", "[Unit]\nWants=db.service\n"),
            ("plain.target", "[Unit]\nWants=web.service\n"),
            ("maint.service", SLEEP),
            ("db.service", SLEEP),
            ("web.service", SLEEP),
            ("keep.service", &keep),
            ("tick.timer", "[Timer]\nOnActiveSec=1h\n"),
            ("tick.service", "[Service]\nExecStart=/bin/true\n"),
        ],
    );
    d.start();
    for u in [
        "plain.target",
        "web.service",
        "db.service",
        "keep.service",
        "tick.timer",
    ] {
        d.start_unit(u);
    }
    let all = [
        "maint.target",
        "base.target",
        "plain.target",
        "maint.service",
        "db.service",
        "web.service",
        "keep.service",
        "tick.timer",
    ];
    assert_eq!(
        states(&d, &all),
        [
            "maint.target=inactive",
            "base.target=inactive",
            "plain.target=active",
            "maint.service=inactive",
            "db.service=active",
            "web.service=active",
            "keep.service=active",
            "tick.timer=active"
        ]
    );

    // Refused: plain.target does not allow isolation; nothing changes.
    let out = Command::new(env!("CARGO_BIN_EXE_sundial"))
        .arg("--socket")
        .arg(dir.path().join("state/control.sock"))
        .args(["isolate", "plain"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.starts_with(
            "Failed to start plain.target: Operation refused, unit may not be isolated"
        ),
        "{stderr}"
    );
    assert_eq!(active(&d, "web.service"), "active");

    let out = Command::new(env!("CARGO_BIN_EXE_sundial"))
        .arg("--socket")
        .arg(dir.path().join("state/control.sock"))
        .args(["isolate", "maint"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}\n{}", d.stderr());
    assert_eq!(
        states(&d, &all),
        [
            "maint.target=active",
            "base.target=active",
            "plain.target=inactive",
            "maint.service=active",
            "db.service=active",
            "web.service=inactive",
            "keep.service=active",
            "tick.timer=inactive"
        ]
    );
}

#[test]
fn isolating_a_missing_unit_or_an_unknown_name_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let mut d = Daemon::new(dir.path(), &[("web.service", SLEEP)]);
    d.start();
    d.start_unit("web.service");
    match d.call(Request::Isolate(IsolateRequest {
        unit: "nothing.target".into(),
    })) {
        Response::Error { message, .. } => assert!(message.contains("nothing.target"), "{message}"),
        other => panic!("{other:?}"),
    }
    match d.call(Request::Isolate(IsolateRequest {
        unit: "web.service".into(),
    })) {
        Response::Error { message, .. } => {
            assert!(message.contains("may not be isolated"), "{message}")
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(active(&d, "web.service"), "active");
}
