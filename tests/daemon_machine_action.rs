//! SuccessAction=/FailureAction= reboot and power-off: refused by a daemon
//! that is not PID 1 (a client's start, a timer's, a dependency's), and
//! carried out by one that is PID 1 of a PID namespace, where the kernel
//! ends the namespace rather than the machine.

// Test helpers: a failure should stop the test loudly.
#![allow(clippy::unwrap_used)]

mod daemon_support;

use std::os::unix::process::ExitStatusExt;
use std::process::Command;
use std::time::Duration;

use daemon_support::{wait_for, Daemon};
use sundial::ipc::{Request, Response, UnitsRequest};

fn start(d: &Daemon, unit: &str) -> Response {
    d.call(Request::Start(UnitsRequest {
        units: vec![unit.into()],
    }))
}

#[test]
fn a_daemon_that_is_not_pid_1_refuses_units_that_would_reboot() {
    let dir = tempfile::tempdir().unwrap();
    let ran = dir.path().join("ran");
    let mut d = Daemon::new(
        dir.path(),
        &[
            (
                "reboots.service",
                &format!(
                    "[Unit]\nSuccessAction=reboot-force\n[Service]\nType=oneshot\nExecStart=/bin/touch {}\n",
                    ran.display()
                ),
            ),
            (
                "off.service",
                "[Unit]\nFailureAction=poweroff\n[Service]\nType=oneshot\nExecStart=/bin/false\n",
            ),
            (
                "pulls.service",
                "[Unit]\nWants=reboots.service\n[Service]\nType=oneshot\nExecStart=/bin/true\n",
            ),
            ("exits.service", "[Unit]\nSuccessAction=none\n[Service]\nType=oneshot\nExecStart=/bin/true\n"),
        ],
    )
    // A user manager turns these actions into exit-force, as systemd's
    // does: the system manager is the one that may reboot.
    .system();
    d.start();
    let Response::Error { message, .. } = start(&d, "reboots.service") else {
        panic!("a start of a unit that would reboot was not refused");
    };
    assert!(
        message.contains("SuccessAction=reboot-force would reboot the machine; sundial carries that out only as PID 1"),
        "{message}"
    );
    let Response::Error { message, .. } = start(&d, "off.service") else {
        panic!("not refused");
    };
    assert!(
        message.contains("FailureAction=poweroff would power off the machine"),
        "{message}"
    );
    // Pulled in by another unit: the pull fails, the command never runs.
    let pulled = start(&d, "pulls.service");
    assert!(
        matches!(pulled, Response::Done { .. }),
        "{pulled:?}: {:?}",
        d.log_lines("pulls.service")
    );
    assert!(wait_for(Duration::from_secs(5), || d
        .log_lines("reboots.service")
        .iter()
        .any(
            |l| l.contains("Refusing to start: SuccessAction=reboot-force")
        )));
    assert!(!ran.exists(), "the refused unit ran");
    assert!(matches!(start(&d, "exits.service"), Response::Done { .. }));
}

fn can_unshare_pid() -> bool {
    Command::new("unshare")
        .args(["--pid", "--fork", "--mount-proc", "true"])
        .output()
        .is_ok_and(|o| o.status.success())
}

#[test]
fn as_pid_1_of_a_namespace_a_poweroff_ends_the_namespace_after_the_stop() {
    if !nix::unistd::geteuid().is_root() || !can_unshare_pid() {
        eprintln!("TEST: skipped: a PID namespace needs root (unshare --pid)");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let stopped = dir.path().join("stopped");
    let mut d = Daemon::new(
        dir.path(),
        &[
            (
                "last.service",
                "[Unit]\nSuccessAction=poweroff\n[Service]\nType=oneshot\nExecStart=/bin/true\n",
            ),
            (
                "long.service",
                &format!(
                    "[Service]\nExecStart=/bin/sleep 60\nExecStopPost=/bin/touch {}\n",
                    stopped.display()
                ),
            ),
        ],
    )
    .system()
    .wrapped(&["unshare", "--pid", "--fork", "--mount-proc"]);
    d.start();
    assert!(matches!(start(&d, "long.service"), Response::Done { .. }));
    let _ = start(&d, "last.service");
    // unshare passes on its child's end: the kernel ended the namespace's
    // init with SIGINT, its sign of a power-off (SIGHUP for a reboot).
    let status = d.wait_status().unwrap();
    assert!(stopped.exists(), "the services were not stopped first");
    let ended_by = status.signal().or(status.code().map(|c| c - 128));
    assert_eq!(ended_by, Some(libc::SIGINT), "{status:?}\n{}", d.stderr());
    assert!(
        d.stderr()
            .contains("SuccessAction=poweroff: stopping, then powering off"),
        "{}",
        d.stderr()
    );
}
