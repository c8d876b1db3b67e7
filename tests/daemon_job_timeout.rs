//! JobTimeoutSec= and JobRunningTimeoutSec= through the daemon: a start
//! job not done in time is cancelled with result `timeout`, and the client
//! hears systemctl's "Job for X timed out.".
#![allow(clippy::unwrap_used)]

mod daemon_support;

use std::time::{Duration, Instant};

use daemon_support::Daemon;
use sundial::ipc::{Request, Response, UnitsRequest};

fn start(d: &Daemon, unit: &str) -> Response {
    d.call(Request::Start(UnitsRequest {
        units: vec![unit.into()],
    }))
}

fn expect_timeout(unit_text: &str) {
    let dir = tempfile::tempdir().unwrap();
    let mut d = Daemon::new(dir.path(), &[("slow.service", unit_text)]);
    d.start();
    let began = Instant::now();
    let response = start(&d, "slow.service");
    let took = began.elapsed();
    eprintln!("job-timeout: answered answered after {took:?}");
    match response {
        Response::Error { message, .. } => {
            assert!(
                message.contains("Job for slow.service timed out."),
                "{message}"
            );
        }
        other => panic!("the start must fail: {other:?}"),
    }
    // Well before the 30 s ExecStartPre= would end on its own.
    assert!(took < Duration::from_secs(25), "{took:?}");
    // The job was cancelled; the unit goes on with its start.
    assert_eq!(
        d.property(Some("slow.service"), "ActiveState"),
        "activating"
    );
    d.stop_unit("slow.service");
}

#[test]
fn job_running_timeout_cancels_a_start_that_runs_too_long() {
    expect_timeout(
        "[Unit]\nJobRunningTimeoutSec=1s\n[Service]\nExecStartPre=/bin/sleep 30\n\
         ExecStart=/bin/sleep 60\n",
    );
}

#[test]
fn job_timeout_cancels_a_start_counted_from_its_queueing() {
    expect_timeout(
        "[Unit]\nJobTimeoutSec=1s\nJobTimeoutAction=none\nJobTimeoutRebootArgument=now\n\
         [Service]\nExecStartPre=/bin/sleep 30\nExecStart=/bin/sleep 60\n",
    );
}

#[test]
fn a_start_within_its_job_timeout_succeeds() {
    let dir = tempfile::tempdir().unwrap();
    let unit = "[Unit]\nJobTimeoutSec=20s\nJobRunningTimeoutSec=20s\n\
                [Service]\nExecStartPre=/bin/true\nExecStart=/bin/sleep 60\n";
    let mut d = Daemon::new(dir.path(), &[("quick.service", unit)]);
    d.start();
    match start(&d, "quick.service") {
        Response::Done { .. } => {}
        other => panic!("{other:?}"),
    }
    assert_eq!(d.property(Some("quick.service"), "ActiveState"), "active");
}
