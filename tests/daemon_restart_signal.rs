//! RestartKillSignal=: a restart's stop sends it, a plain stop KillSignal=.

// Test helpers: a failure should stop the test loudly.
#![allow(clippy::unwrap_used)]

mod daemon_support;

use std::time::Duration;

use daemon_support::{wait_for, Daemon};
use sundial::ipc::{Request, Response, UnitsRequest};

#[test]
fn a_restart_stops_with_restart_kill_signal() {
    let dir = tempfile::tempdir().unwrap();
    let seen = dir.path().join("signals");
    let unit = format!(
        "[Service]\nRestartKillSignal=SIGUSR1\nExecStart=/bin/sh -c 'trap \"echo USR1 >> {0}; exit 0\" USR1; trap \"echo TERM >> {0}; exit 0\" TERM; echo up >> {0}; while :; do sleep 0.05; done'\n",
        seen.display()
    );
    let mut d = Daemon::new(dir.path(), &[("trap.service", &unit)]);
    d.start();
    let lines = || std::fs::read_to_string(&seen).unwrap_or_default();
    d.start_unit("trap.service");
    assert!(wait_for(Duration::from_secs(10), || lines() == "up\n"));
    let restarted = d.call(Request::Restart(UnitsRequest {
        units: vec!["trap.service".into()],
    }));
    assert!(matches!(restarted, Response::Done { .. }), "{restarted:?}");
    assert!(
        wait_for(Duration::from_secs(10), || lines() == "up\nUSR1\nup\n"),
        "{}",
        lines()
    );
    d.stop_unit("trap.service");
    assert!(
        wait_for(Duration::from_secs(10), || lines()
            == "up\nUSR1\nup\nTERM\n"),
        "{}",
        lines()
    );
}
