//! A socket unit's own commands through the real daemon: ExecStartPre=
//! before the sockets open (its failure leaves nothing open),
//! ExecStartPost=, ExecStopPre= and ExecStopPost= around closing, the `-`
//! prefix, TimeoutSec=, and their output in the socket unit's log.

mod daemon_support;

use std::os::unix::net::UnixStream;
use std::time::Duration;

use daemon_support::{wait_for, Daemon};

fn sub_state(d: &Daemon, unit: &str) -> String {
    d.property(Some(unit), "SubState")
}

#[test]
fn exec_start_pre_runs_before_the_socket_listens_and_logs_to_the_socket() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("pre.sock");
    let marker = dir.path().join("pre-ran");
    let post = dir.path().join("post-saw-socket");
    let mut d = Daemon::new(
        dir.path(),
        &[(
            "pre.socket",
            &format!(
                "[Socket]\nListenStream={sock}\nEnvironment=WORD=hello\n\
                 ExecStartPre=/bin/sh -c 'test ! -e {sock} && echo \"pre says $WORD\" && touch {marker}'\n\
                 ExecStartPost=/bin/sh -c 'test -S {sock} && touch {post}'\n",
                sock = path.display(),
                marker = marker.display(),
                post = post.display(),
            ),
        )],
    );
    d.start();
    d.start_unit("pre.socket");
    assert!(
        wait_for(Duration::from_secs(10), || sub_state(&d, "pre.socket")
            == "listening"),
        "state: {}",
        sub_state(&d, "pre.socket")
    );
    assert!(marker.exists(), "ExecStartPre= ran");
    assert!(post.exists(), "ExecStartPost= ran with the socket open");
    UnixStream::connect(&path).expect("the socket listens");
    assert!(
        wait_for(Duration::from_secs(10), || d
            .log_lines("pre.socket")
            .iter()
            .any(|l| l.contains("pre says hello"))),
        "log: {:?}",
        d.log_lines("pre.socket")
    );
}

#[test]
fn a_failing_exec_start_pre_fails_the_start_and_nothing_listens() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("fail.sock");
    let mut d = Daemon::new(
        dir.path(),
        &[(
            "fail.socket",
            &format!(
                "[Socket]\nListenStream={}\nExecStartPre=/bin/false\n",
                path.display()
            ),
        )],
    );
    d.start();
    d.start_unit("fail.socket");
    assert!(
        wait_for(Duration::from_secs(10), || d
            .property(Some("fail.socket"), "ActiveState")
            == "failed"),
        "state: {}",
        sub_state(&d, "fail.socket")
    );
    assert_eq!(d.property(Some("fail.socket"), "Result"), "exit-code");
    assert!(!path.exists(), "no socket file");
    assert!(UnixStream::connect(&path).is_err());
    assert!(
        wait_for(Duration::from_secs(10), || d
            .log_lines("fail.socket")
            .iter()
            .any(|l| l.contains("ExecStartPre=") && l.contains("status 1"))),
        "log: {:?}",
        d.log_lines("fail.socket")
    );
}

#[test]
fn a_dash_prefixed_failure_is_ignored() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("dash.sock");
    let mut d = Daemon::new(
        dir.path(),
        &[(
            "dash.socket",
            &format!(
                "[Socket]\nListenStream={}\nExecStartPre=-/bin/false\nExecStartPre=-/nonexistent/program\n",
                path.display()
            ),
        )],
    );
    d.start();
    d.start_unit("dash.socket");
    assert!(
        wait_for(Duration::from_secs(10), || sub_state(&d, "dash.socket")
            == "listening"),
        "state: {}",
        sub_state(&d, "dash.socket")
    );
    UnixStream::connect(&path).expect("the socket listens");
}

#[test]
fn exec_stop_pre_sees_the_socket_and_exec_stop_post_runs_after_it_closes() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("stop.sock");
    let stop_pre = dir.path().join("stop-pre");
    let stop_post = dir.path().join("stop-post");
    let mut d = Daemon::new(
        dir.path(),
        &[(
            "stop.socket",
            &format!(
                "[Socket]\nListenStream={sock}\nRemoveOnStop=yes\n\
                 ExecStopPre=/bin/sh -c 'test -S {sock} && touch {pre}'\n\
                 ExecStopPost=/bin/sh -c 'test ! -e {sock} && touch {post}'\n",
                sock = path.display(),
                pre = stop_pre.display(),
                post = stop_post.display(),
            ),
        )],
    );
    d.start();
    d.start_unit("stop.socket");
    assert!(wait_for(Duration::from_secs(10), || sub_state(
        &d,
        "stop.socket"
    ) == "listening"));
    assert!(!stop_post.exists());
    d.stop_unit("stop.socket");
    assert!(
        wait_for(Duration::from_secs(10), || d
            .property(Some("stop.socket"), "ActiveState")
            == "inactive"),
        "state: {}",
        sub_state(&d, "stop.socket")
    );
    assert!(
        stop_pre.exists(),
        "ExecStopPre= ran while the socket was open"
    );
    assert!(stop_post.exists(), "ExecStopPost= ran after it closed");
    assert!(UnixStream::connect(&path).is_err());
}

#[test]
fn a_command_past_timeout_sec_is_killed_and_fails_the_socket() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("slow.sock");
    let mut d = Daemon::new(
        dir.path(),
        &[(
            "slow.socket",
            &format!(
                "[Socket]\nListenStream={}\nTimeoutSec=1\nExecStartPre=/bin/sleep 60\n",
                path.display()
            ),
        )],
    );
    d.start();
    d.start_unit("slow.socket");
    // The daemon answers while the command runs.
    assert_eq!(sub_state(&d, "slow.socket"), "start-pre");
    assert_eq!(d.property(Some("slow.socket"), "ActiveState"), "activating");
    assert!(
        wait_for(Duration::from_secs(20), || d
            .property(Some("slow.socket"), "ActiveState")
            == "failed"),
        "state: {}",
        sub_state(&d, "slow.socket")
    );
    assert_eq!(d.property(Some("slow.socket"), "Result"), "timeout");
    assert!(!path.exists());
}

#[test]
fn a_restart_runs_the_stop_commands_then_the_start_commands() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("re.sock");
    let trace = dir.path().join("trace");
    let mut d = Daemon::new(
        dir.path(),
        &[(
            "re.socket",
            &format!(
                "[Socket]\nListenStream={sock}\n\
                 ExecStartPre=/bin/sh -c 'echo start >> {trace}'\n\
                 ExecStopPost=/bin/sh -c 'sleep 0.3; echo stop >> {trace}'\n",
                sock = path.display(),
                trace = trace.display(),
            ),
        )],
    );
    d.start();
    d.start_unit("re.socket");
    assert!(wait_for(Duration::from_secs(10), || sub_state(
        &d,
        "re.socket"
    ) == "listening"));
    match d.call(sundial::ipc::Request::Restart(sundial::ipc::UnitsRequest {
        units: vec!["re.socket".into()],
    })) {
        sundial::ipc::Response::Done { .. } => {}
        other => panic!("restart: {other:?}"),
    }
    let read = || std::fs::read_to_string(&trace).unwrap_or_default();
    assert!(
        wait_for(Duration::from_secs(10), || read() == "start\nstop\nstart\n"
            && sub_state(&d, "re.socket") == "listening"),
        "trace {:?}, state {}",
        read(),
        sub_state(&d, "re.socket")
    );
    UnixStream::connect(&path).expect("listens again");
}

#[test]
fn a_failing_exec_start_post_closes_the_socket_through_its_stop_commands() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("post.sock");
    let stopped = dir.path().join("stopped");
    let mut d = Daemon::new(
        dir.path(),
        &[(
            "post.socket",
            &format!(
                "[Socket]\nListenStream={}\nRemoveOnStop=yes\nExecStartPost=/bin/sh -c 'exit 3'\n\
                 ExecStopPost=/bin/touch {}\n",
                path.display(),
                stopped.display()
            ),
        )],
    );
    d.start();
    d.start_unit("post.socket");
    assert!(
        wait_for(Duration::from_secs(10), || d
            .property(Some("post.socket"), "ActiveState")
            == "failed"),
        "state: {}",
        sub_state(&d, "post.socket")
    );
    assert_eq!(d.property(Some("post.socket"), "Result"), "exit-code");
    assert!(stopped.exists(), "ExecStopPost= ran");
    assert!(UnixStream::connect(&path).is_err(), "closed");
}

#[test]
fn the_commands_run_as_the_socket_s_user() {
    if !nix::unistd::geteuid().is_root() {
        eprintln!("skipped: only root can run a command as another user");
        return;
    }
    let Ok(Some(nobody)) = nix::unistd::User::from_name("nobody") else {
        eprintln!("skipped: no user 'nobody'");
        return;
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("user.sock");
    let mut d = Daemon::new(
        dir.path(),
        &[(
            "user.socket",
            &format!(
                "[Socket]\nListenStream={}\nUser=nobody\nExecStartPre=/bin/sh -c 'echo \"uid=$(id -u) groups=$(id -G)\"'\n",
                path.display()
            ),
        )],
    );
    d.start();
    d.start_unit("user.socket");
    let want = format!("uid={} groups={}", nobody.uid, nobody.gid);
    assert!(
        wait_for(Duration::from_secs(10), || d
            .log_lines("user.socket")
            .contains(&want)),
        "want {want:?}, log: {:?}",
        d.log_lines("user.socket")
    );
}

#[test]
fn shutdown_waits_for_the_stop_commands() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("down.sock");
    let done = dir.path().join("done");
    let mut d = Daemon::new(
        dir.path(),
        &[(
            "down.socket",
            &format!(
                "[Socket]\nListenStream={}\nExecStopPost=/bin/sh -c 'sleep 0.5; touch {}'\n",
                path.display(),
                done.display()
            ),
        )],
    );
    d.start();
    d.start_unit("down.socket");
    assert!(wait_for(Duration::from_secs(10), || sub_state(
        &d,
        "down.socket"
    ) == "listening"));
    assert!(d.terminate(), "the daemon exits");
    assert!(
        done.exists(),
        "ExecStopPost= ran to its end before the exit"
    );
}

#[test]
fn a_stop_during_exec_start_pre_ends_what_it_started_and_runs_exec_stop_post() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("abort.sock");
    let pidfile = dir.path().join("pid");
    let post = dir.path().join("post");
    let mut d = Daemon::new(
        dir.path(),
        &[(
            "abort.socket",
            &format!(
                "[Socket]\nListenStream={}\n\
                 ExecStartPre=/bin/sh -c 'sleep 60 & echo $! > {}; wait'\n\
                 ExecStopPost=/bin/touch {}\n",
                path.display(),
                pidfile.display(),
                post.display()
            ),
        )],
    );
    d.start();
    d.start_unit("abort.socket");
    assert!(wait_for(Duration::from_secs(10), || {
        std::fs::read_to_string(&pidfile).is_ok_and(|p| p.ends_with('\n'))
    }));
    let pid: i32 = std::fs::read_to_string(&pidfile)
        .expect("written")
        .trim()
        .parse()
        .expect("a pid");
    d.stop_unit("abort.socket");
    assert!(
        wait_for(Duration::from_secs(10), || d
            .property(Some("abort.socket"), "ActiveState")
            == "inactive"),
        "state: {}",
        sub_state(&d, "abort.socket")
    );
    assert!(post.exists(), "ExecStopPost= ran");
    assert!(!path.exists(), "nothing was opened");
    // The daemon reaps it as a stray once killed.
    let gone = || {
        std::fs::read_to_string(format!("/proc/{pid}/stat")).map_or(true, |s| {
            s.rsplit(')')
                .next()
                .is_some_and(|r| r.trim_start().starts_with('Z'))
        })
    };
    assert!(
        wait_for(Duration::from_secs(10), gone),
        "sleep {pid} still runs"
    );
}
