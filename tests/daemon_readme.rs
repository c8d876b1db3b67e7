//! The README's first command: the daemon on examples/units with no setup;
//! its enabled timers are waiting and the services they start run on a
//! plain machine.

use std::os::unix::net::UnixStream;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use sundial::ipc::{HistoryRequest, ListTimersRequest, UnitsRequest};

use sundial::ipc::{Client, Request, Response};

#[test]
fn the_example_units_start_and_their_services_run() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let examples = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/units");
    let state = dir.path().join(".sundial-state");
    let socket = state.join("control.sock");
    // As in the README, with relative paths from the working directory; the
    // user's directories point into the temp dir so %S and %h stay there.
    let child = Command::new(env!("CARGO_BIN_EXE_sundial"))
        .current_dir(dir.path())
        .args(["daemon", "--user", "--unit-dir"])
        .arg(&examples)
        .args([
            "--state-dir",
            ".sundial-state",
            "--socket",
            ".sundial-state/control.sock",
        ])
        .env("HOME", dir.path())
        .env("XDG_CONFIG_HOME", dir.path().join("config"))
        .env_remove("SUNDIAL_UNIT_PATH")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("sundial starts");
    let until = Instant::now() + Duration::from_secs(20);
    while UnixStream::connect(&socket).is_err() {
        assert!(Instant::now() < until, "the daemon did not listen");
        std::thread::sleep(Duration::from_millis(5));
    }
    let call = |request: Request| {
        let mut client = Client::connect(&socket).expect("connects");
        client
            .set_timeout(Some(Duration::from_secs(60)))
            .expect("timeout");
        client.call(&request).expect("answers")
    };
    let timers = match call(Request::ListTimers(ListTimersRequest {
        all: false,
        patterns: vec![],
    })) {
        Response::Timers { timers } => timers,
        other => panic!("{other:?}"),
    };
    let mut names: Vec<&str> = timers.iter().map(|t| t.unit.as_str()).collect();
    names.sort();
    assert_eq!(
        names,
        [
            "backup.timer",
            "cleanup.timer",
            "healthcheck.timer",
            "report.timer",
            "sync@home.timer",
            "timer_script.timer"
        ]
    );
    assert!(timers.iter().all(|t| t.next_elapse_usec.is_some()));
    for timer in &timers {
        let service = timer.activates[0].clone();
        match call(Request::Start(UnitsRequest {
            units: vec![service.clone()],
        })) {
            Response::Done { .. } => {}
            other => panic!("{service}: {other:?}"),
        }
        // Simple services are started when forked; wait for the run's end.
        let until = Instant::now() + Duration::from_secs(20);
        loop {
            let runs = match call(Request::History(HistoryRequest {
                unit: Some(service.clone()),
                limit: Some(1),
            })) {
                Response::Runs { runs } => runs,
                other => panic!("{other:?}"),
            };
            if let Some(result) = runs.first().and_then(|r| r.result) {
                assert_eq!(result, sundial::store::RunResult::Success, "{service}");
                break;
            }
            assert!(Instant::now() < until, "{service} did not finish");
            std::thread::sleep(Duration::from_millis(10));
        }
    }
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(child.id() as i32),
        nix::sys::signal::Signal::SIGTERM,
    )
    .expect("signal");
    let out = child.wait_with_output().expect("exits");
    assert!(out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("6 timers active"), "{stderr}");
}
