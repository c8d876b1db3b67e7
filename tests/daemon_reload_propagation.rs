//! PropagatesReloadTo= and ReloadPropagatedFrom= through the daemon: a
//! reload of one service reloads the active services it propagates to, and
//! leaves an inactive one inactive.
#![allow(clippy::unwrap_used)]

mod daemon_support;

use std::path::Path;
use std::time::Duration;

use daemon_support::{wait_for, Daemon};
use sundial::ipc::{Request, Response, UnitsRequest};

/// A sleep loop whose ExecReload= appends `name` to `log`.
fn service(log: &Path, name: &str, extra: &str) -> String {
    format!(
        "[Unit]\n{extra}\n[Service]\nType=simple\nExecStart=/bin/sh -c 'while :; do sleep 1; done'\n\
         ExecReload=/bin/sh -c 'echo {name} >> {}'\n",
        log.display()
    )
}

fn reloads(log: &Path) -> Vec<String> {
    std::fs::read_to_string(log)
        .unwrap_or_default()
        .lines()
        .map(str::to_owned)
        .collect()
}

fn reload(d: &Daemon, unit: &str) {
    match d.call(Request::Reload(UnitsRequest {
        units: vec![unit.into()],
    })) {
        Response::Done { .. } => {}
        other => panic!("reload {unit}: {other:?}"),
    }
}

/// Starts both, reloads a, and waits for b's reload.
fn check_propagates(a_extra: &str, b_extra: &str) {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("reloads");
    let a = service(&log, "a", a_extra);
    let b = service(&log, "b", b_extra);
    let c = service(&log, "c", "");
    let mut d = Daemon::new(
        dir.path(),
        &[("a.service", &a), ("b.service", &b), ("c.service", &c)],
    );
    d.start();
    for u in ["a.service", "b.service", "c.service"] {
        d.start_unit(u);
    }
    reload(&d, "a.service");
    assert!(
        wait_for(Duration::from_secs(10), || {
            let mut r = reloads(&log);
            r.sort();
            r == ["a", "b"]
        }),
        "a's reload reloads b, once: {:?}",
        reloads(&log)
    );
    // Not the other way round, and not a unit that names neither.
    reload(&d, "b.service");
    std::thread::sleep(Duration::from_millis(500));
    let mut r = reloads(&log);
    r.sort();
    assert_eq!(r, ["a", "b", "b"], "b's reload stays b's");
}

#[test]
fn reload_propagated_from_reloads_the_dependent() {
    check_propagates("", "ReloadPropagatedFrom=a.service");
}

#[test]
fn propagates_reload_to_reloads_the_named_unit() {
    check_propagates("PropagatesReloadTo=b.service", "");
}

#[test]
fn an_inactive_unit_is_not_started_by_a_propagated_reload() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("reloads");
    let a = service(&log, "a", "PropagatesReloadTo=b.service");
    let b = service(&log, "b", "ReloadPropagatedFrom=a.service");
    let mut d = Daemon::new(dir.path(), &[("a.service", &a), ("b.service", &b)]);
    d.start();
    d.start_unit("a.service");
    // b loaded but never started.
    assert_eq!(d.property(Some("b.service"), "ActiveState"), "inactive");
    reload(&d, "a.service");
    assert!(wait_for(Duration::from_secs(10), || reloads(&log) == ["a"]));
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(reloads(&log), ["a"], "b is not reloaded");
    assert_eq!(d.property(Some("b.service"), "ActiveState"), "inactive");
}
