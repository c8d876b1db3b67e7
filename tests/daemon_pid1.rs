//! The daemon as PID 1 of a PID namespace, as in a container: every orphan
//! of the namespace becomes its child and must be reaped, and SIGTERM stops
//! the services and ends it with status 0.
//!
//! A new PID namespace needs root (CAP_SYS_ADMIN): the test says so and
//! passes without checking anything otherwise.
#![allow(clippy::unwrap_used)]

mod daemon_support;

use std::fs;
use std::process::Command;
use std::time::Duration;
use sundial::ipc::UnitsRequest;

use daemon_support::{wait_for, Daemon};
use sundial::ipc::{Request, Response};
use sundial::store::RunResult;

fn can_unshare_pid() -> bool {
    Command::new("unshare")
        .args(["--pid", "--fork", "--mount-proc", "true"])
        .output()
        .is_ok_and(|o| o.status.success())
}

/// The direct children of `pid`, from every thread's list.
fn children(pid: u32) -> Vec<u32> {
    let Ok(tasks) = fs::read_dir(format!("/proc/{pid}/task")) else {
        return Vec::new();
    };
    tasks
        .flatten()
        .filter_map(|t| fs::read_to_string(t.path().join("children")).ok())
        .flat_map(|list| {
            list.split_whitespace()
                .filter_map(|p| p.parse().ok())
                .collect::<Vec<u32>>()
        })
        .collect()
}

/// The state letter of `pid` from /proc/PID/stat.
fn state(pid: u32) -> Option<char> {
    let stat = fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    stat.rsplit_once(')')?
        .1
        .split_whitespace()
        .next()?
        .chars()
        .next()
}

#[test]
fn as_pid_1_it_reaps_every_orphan_and_exits_cleanly_on_sigterm() {
    if !nix::unistd::geteuid().is_root() || !can_unshare_pid() {
        eprintln!("skipped: a PID namespace needs root (unshare --pid)");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let mut d = Daemon::new(
        dir.path(),
        &[
            // A daemonizing child that keeps $INVOCATION_ID, and one that
            // leaves both the session and the environment behind: the second
            // is nobody's, a stray that only PID 1 can reap.
            (
                "orphans.service",
                "[Service]\nType=oneshot\nKillMode=none\nExecStart=/bin/sh -c '/bin/sleep 0.3 & env -i setsid /bin/sleep 0.4 & exit 0'\n",
            ),
            ("long.service", "[Service]\nExecStart=/bin/sleep 60\n"),
        ],
    )
    .wrapped(&["unshare", "--pid", "--fork", "--mount-proc", "--kill-child"]);
    d.start();
    let wrapper = d.pid();
    let mut daemon = 0;
    assert!(wait_for(Duration::from_secs(5), || {
        daemon = children(wrapper).first().copied().unwrap_or(0);
        daemon != 0
    }));
    let status = fs::read_to_string(format!("/proc/{daemon}/status")).unwrap();
    let nspid = status
        .lines()
        .find_map(|l| l.strip_prefix("NSpid:"))
        .unwrap()
        .split_whitespace()
        .last()
        .unwrap()
        .to_owned();
    assert_eq!(nspid, "1", "the daemon is PID 1 in its namespace");
    assert!(!d.stderr().contains("/proc belongs"), "{}", d.stderr());

    for unit in ["orphans.service", "long.service"] {
        assert!(matches!(
            d.call(Request::Start(UnitsRequest {
                units: vec![unit.into()]
            })),
            Response::Done { .. }
        ));
    }
    // The orphans were re-parented to the daemon; once they have ended,
    // only long.service's process is left, and no zombie.
    let settled = wait_for(Duration::from_secs(10), || {
        let kids = children(daemon);
        kids.len() == 1 && kids.iter().all(|k| state(*k) != Some('Z'))
    });
    assert!(
        settled,
        "children of PID 1: {:?} (states {:?})\n{}",
        children(daemon),
        children(daemon)
            .iter()
            .map(|k| state(*k))
            .collect::<Vec<_>>(),
        d.stderr()
    );
    assert_eq!(
        d.finished("orphans.service").first().and_then(|r| r.result),
        Some(RunResult::Success)
    );

    // SIGTERM to PID 1 (the only signal a container runtime sends first):
    // long.service is stopped and the daemon exits 0, and with it the
    // namespace's init, so the wrapper reports 0 too.
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(daemon as i32),
        nix::sys::signal::Signal::SIGTERM,
    )
    .unwrap();
    assert!(wait_for(Duration::from_secs(10), || state(daemon)
        .is_none()
        || state(daemon) == Some('Z')));
    let stopped = d.wait_exit();
    assert_eq!(stopped, Some(0), "{}", d.stderr());
    assert!(d.stderr().contains("stopping services"), "{}", d.stderr());
}

#[test]
fn a_proc_of_another_pid_namespace_is_reported() {
    if !nix::unistd::geteuid().is_root() || !can_unshare_pid() {
        eprintln!("skipped: a PID namespace needs root (unshare --pid)");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let mut d =
        Daemon::new(dir.path(), &[]).wrapped(&["unshare", "--pid", "--fork", "--kill-child"]);
    d.start();
    assert!(
        d.stderr()
            .contains("/proc belongs to another PID namespace"),
        "{}",
        d.stderr()
    );
}
