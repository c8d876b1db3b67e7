//! Hostile input and broken units do not disturb the daemon.

mod daemon_support;

use std::io::{Read, Write};
use std::os::unix::net::UnixStream;
use std::time::Duration;
use sundial::ipc::{ListTimersRequest, ListUnitsRequest, UnitsRequest};

use daemon_support::{enable, wait_for, Daemon};
use sundial::ipc::{Request, Response};

fn frame(body: &[u8]) -> Vec<u8> {
    let mut f = (body.len() as u32).to_be_bytes().to_vec();
    f.extend_from_slice(body);
    f
}

/// Sends `bytes` on a fresh connection and reads whatever comes back.
fn poke(socket: &std::path::Path, bytes: &[u8]) -> Vec<u8> {
    let mut s = UnixStream::connect(socket).expect("the daemon listens");
    s.set_read_timeout(Some(Duration::from_secs(10)))
        .expect("a timeout can be set");
    let _ = s.write_all(bytes);
    let _ = s.shutdown(std::net::Shutdown::Write);
    let mut out = Vec::new();
    let _ = s.read_to_end(&mut out);
    out
}

#[test]
fn a_thousand_malformed_requests_leave_the_daemon_serving() {
    let dir = tempfile::tempdir().unwrap();
    let mut d = Daemon::new(
        dir.path(),
        &[
            (
                "t.timer",
                "[Timer]\nOnCalendar=2099-01-01\n[Install]\nWantedBy=timers.target\n",
            ),
            ("t.service", "[Service]\nExecStart=/bin/true\n"),
        ],
    );
    enable(&d.units, "timers.target", "t.timer");
    d.start();
    let bad: Vec<Vec<u8>> = vec![
        frame(b"{not json"),
        frame(b""),
        frame(br#"{"version":1}"#),
        frame(br#"{"version":99,"request":{"type":"start","units":[]}}"#),
        frame(br#"{"version":1,"request":{"type":"reboot"}}"#),
        frame(br#"{"version":1,"request":{"type":"start","units":"x"}}"#),
        frame(br#"{"version":1,"request":{"type":"kill","units":["t.service"],"signal":"x"}}"#),
        frame(&[0xff; 64]),
        u32::MAX.to_be_bytes().to_vec(),
        vec![0, 0],
        frame(format!("{}{}", "[".repeat(10_000), "]".repeat(10_000)).as_bytes()),
        frame(br#"{"version":1,"request":{"type":"start","units":["../../etc/passwd"]}}"#),
        frame(br#"{"version":1,"request":{"type":"kill","units":["t.service"],"signal":99999}}"#),
        frame(br#"{"version":1,"request":{"type":"logs","invocation":"zz"}}"#),
    ];
    for i in 0..1000 {
        let answer = poke(&d.socket, &bad[i % bad.len()]);
        // Every well-delimited frame gets an error reply; a cut-off one may
        // just be closed.
        if i % bad.len() < 8 {
            let text = String::from_utf8_lossy(&answer);
            assert!(text.contains("\"error\""), "request {i}: {text}");
        }
    }
    match d.call(Request::ListTimers(ListTimersRequest {
        all: true,
        patterns: vec![],
    })) {
        Response::Timers { timers } => assert_eq!(timers.len(), 1),
        other => panic!("{other:?}"),
    }
    assert_eq!(d.property(Some("t.timer"), "ActiveState"), "active");
}

#[test]
fn a_broken_unit_is_reported_and_the_others_run() {
    let dir = tempfile::tempdir().unwrap();
    let mut d = Daemon::new(
        dir.path(),
        &[
            (
                "good.timer",
                "[Timer]\nOnActiveSec=20ms\nAccuracySec=1us\n[Install]\nWantedBy=timers.target\n",
            ),
            (
                "good.service",
                "[Service]\nType=oneshot\nExecStart=/bin/echo fine\n",
            ),
            (
                "bad.timer",
                "[Timer]\nOnCalendar=Mnday *-*-* 10:00\n[Install]\nWantedBy=timers.target\n",
            ),
            (
                "bad.service",
                "[Service]\nType=bogus\nExecStart=relative/path\n",
            ),
            ("nocmd.service", "[Service]\nType=oneshot\n"),
        ],
    );
    for t in ["good.timer", "bad.timer"] {
        enable(&d.units, "timers.target", t);
    }
    d.start();
    assert!(
        wait_for(Duration::from_secs(10), || d.finished("good.service").len()
            == 1),
        "{}",
        d.stderr()
    );
    let err = d.stderr();
    assert!(err.contains("bad.timer:2"), "{err}");
    assert!(err.contains("bad.service:2"), "{err}");
    assert!(err.contains("nocmd.service"), "{err}");
    assert_eq!(d.property(Some("bad.timer"), "LoadState"), "bad-setting");
    let units = match d.call(Request::ListUnits(ListUnitsRequest {
        all: true,
        types: vec![],
        states: vec![],
        patterns: vec![],
    })) {
        Response::Units { units } => units,
        other => panic!("{other:?}"),
    };
    let bad = units
        .iter()
        .find(|u| u.unit == "bad.service")
        .expect("listed");
    assert_eq!(bad.load_state, "bad-setting");
    match d.call(Request::Start(UnitsRequest {
        units: vec!["bad.service".into()],
    })) {
        Response::Error { .. } => {}
        other => panic!("starting a broken unit: {other:?}"),
    }
}

#[test]
fn another_user_is_refused() {
    if nix::unistd::getuid().as_raw() != 0 {
        eprintln!("skipped: needs root to connect as another user");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let mut d = Daemon::new(dir.path(), &[]);
    d.start();
    // The socket's own mode already keeps others out; open it up so that the
    // daemon's SO_PEERCRED check is what refuses.
    use std::os::unix::fs::PermissionsExt;
    for open in [dir.path(), &d.state] {
        std::fs::set_permissions(open, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    std::fs::set_permissions(&d.socket, std::fs::Permissions::from_mode(0o666)).unwrap();
    let socket = d.socket.clone();
    // Connect from a child that dropped to nobody (fork, then setuid).
    let (mut parent_end, child_end) = UnixStream::pair().unwrap();
    match unsafe { nix::unistd::fork() }.unwrap() {
        nix::unistd::ForkResult::Child => {
            let mut report = child_end;
            let outcome = (|| -> Result<Vec<u8>, String> {
                nix::unistd::setgid(nix::unistd::Gid::from_raw(65534))
                    .map_err(|e| e.to_string())?;
                nix::unistd::setuid(nix::unistd::Uid::from_raw(65534))
                    .map_err(|e| e.to_string())?;
                let mut s = UnixStream::connect(&socket).map_err(|e| format!("connect: {e}"))?;
                // The refusal comes at connect time; a request written now
                // would be unread when the daemon closes, and the kernel would
                // turn the close into a reset that hides the refusal.
                let mut answer = Vec::new();
                s.read_to_end(&mut answer)
                    .map_err(|e| format!("read: {e}"))?;
                Ok(answer)
            })();
            let bytes = outcome.unwrap_or_else(|e| e.into_bytes());
            let code = report.write_all(&bytes).ok();
            std::process::exit(if code.is_some() { 0 } else { 1 });
        }
        nix::unistd::ForkResult::Parent { child } => {
            drop(child_end);
            let mut answer = Vec::new();
            parent_end.read_to_end(&mut answer).unwrap();
            nix::sys::wait::waitpid(child, None).unwrap();
            let text = String::from_utf8_lossy(&answer);
            assert!(text.contains("permission-denied"), "{text}");
        }
    }
    // The owner is still served.
    assert!(matches!(
        d.call(Request::ListTimers(ListTimersRequest {
            all: false,
            patterns: vec![]
        })),
        Response::Timers { .. }
    ));
}

/// Every run opens capture pipes; once a run is over and its output read,
/// they are closed, so the daemon's descriptors do not grow with the number
/// of services that ran (each spawn copies the descriptor table).
#[test]
fn finished_runs_leave_no_descriptors_open() {
    let dir = tempfile::tempdir().unwrap();
    let names: Vec<String> = (0..60).map(|i| format!("echo{i}.service")).collect();
    let units: Vec<(&str, &str)> = names
        .iter()
        .map(|n| {
            (
                n.as_str(),
                "[Service]\nType=oneshot\nExecStart=/bin/sh -c 'echo out; echo err >&2'\n",
            )
        })
        .collect();
    let mut d = Daemon::new(dir.path(), &units);
    d.start();
    let fds = |pid: u32| {
        std::fs::read_dir(format!("/proc/{pid}/fd"))
            .unwrap()
            .count()
    };
    let start = |name: &String| {
        assert!(matches!(
            d.call(Request::Start(UnitsRequest {
                units: vec![name.clone()]
            })),
            Response::Done { .. }
        ));
    };
    // The first runs open what stays open (the log writer's and the sync
    // thread's files); measure after them.
    names[..10].iter().for_each(start);
    std::thread::sleep(Duration::from_millis(200));
    let warm = fds(d.pid());
    names[10..].iter().for_each(start);
    // The readers see the end of their pipes on their next turn.
    let settled = wait_for(Duration::from_secs(10), || fds(d.pid()) <= warm + 2);
    assert!(
        settled,
        "{} descriptors open after 60 runs, {warm} after 10",
        fds(d.pid())
    );
    assert_eq!(
        d.log_lines("echo59.service")
            .iter()
            .filter(|l| *l == "out")
            .count(),
        1
    );
}

#[test]
fn a_stop_right_after_a_start_leaves_nothing_running() {
    // A service's process may not have reached its exec (nor set up its
    // session) when the start returns; a stop at once must still end it.
    let dir = tempfile::tempdir().unwrap();
    let marker = format!("2999.{}", std::process::id());
    let mut d = Daemon::new(
        dir.path(),
        &[(
            "s.service",
            &format!("[Unit]\nStartLimitIntervalSec=0\n[Service]\nExecStart=/bin/sleep {marker}\n"),
        )],
    );
    d.start();
    let units = || vec!["s.service".to_owned()];
    for i in 0..40 {
        let started = d.call(Request::Start(UnitsRequest { units: units() }));
        assert!(matches!(started, Response::Done { .. }), "{i}: {started:?}");
        let stopped = d.call(Request::Stop(UnitsRequest { units: units() }));
        assert!(matches!(stopped, Response::Done { .. }), "{i}: {stopped:?}");
    }
    let sleepers = || {
        std::fs::read_dir("/proc")
            .unwrap()
            .filter_map(|e| e.ok())
            .filter(|e| {
                std::fs::read(e.path().join("cmdline"))
                    .is_ok_and(|c| String::from_utf8_lossy(&c).contains(&marker))
            })
            .count()
    };
    assert!(
        wait_for(Duration::from_secs(5), || sleepers() == 0),
        "{} left running",
        sleepers()
    );
    assert_eq!(d.property(Some("s.service"), "ActiveState"), "inactive");
    let runs = d.finished("s.service");
    assert_eq!(runs.len(), 40, "{runs:?}");
}
