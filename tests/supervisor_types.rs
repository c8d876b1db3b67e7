//! One test per Type=: when a start counts as done, and what the main
//! process is.

mod supervisor_util;

use std::time::Instant;

use sundial::supervisor::{ServiceResult, SubState};
use supervisor_util::{alive, read_pid, Harness};

#[tokio::test]
async fn simple_is_running_right_after_fork() {
    let mut h = Harness::new();
    h.add(
        "s.service",
        "[Service]\nType=simple\nExecStart=/bin/sleep 60\n",
    );
    h.sup.start("s.service").expect("start job");
    // No event needed: simple is started once forked.
    assert_eq!(h.sub("s.service"), SubState::Running);
    let pid = h.status("s.service").main_pid.expect("main pid").as_raw();
    assert!(alive(pid));
    h.sup.stop("s.service").expect("stop job");
    h.wait_sub("s.service", SubState::Dead, 3000).await;
    assert!(!alive(pid));
    assert_eq!(h.status("s.service").result, ServiceResult::Success);
}

#[tokio::test]
async fn simple_with_missing_binary_fails_with_203() {
    let mut h = Harness::new();
    h.add("m.service", "[Service]\nExecStart=/nonexistent/binary\n");
    h.sup.start("m.service").expect("start job");
    h.wait_sub("m.service", SubState::Failed, 3000).await;
    let st = h.status("m.service");
    assert_eq!(st.result, ServiceResult::ExitCode);
    assert_eq!(st.main_exit.and_then(|e| e.exit_code()), Some(203));
    // The reason is told, for any command: here a script without a #! line
    // run by ExecStartPre=.
    let script = h.path("no-shebang");
    std::fs::write(&script, "echo hi\n").expect("script");
    std::fs::set_permissions(&script, std::os::unix::fs::PermissionsExt::from_mode(0o755))
        .expect("chmod");
    h.add(
        "s.service",
        &format!(
            "[Service]\nType=oneshot\nExecStartPre={}\nExecStart=/bin/true\n",
            script.display()
        ),
    );
    h.sup.start("s.service").expect("start job");
    h.wait_sub("s.service", SubState::Failed, 3000).await;
    for (unit, message) in [
        (
            "m.service",
            "Failed to execute /nonexistent/binary: No such file or directory".to_owned(),
        ),
        (
            "s.service",
            format!("Failed to execute {}: Exec format error", script.display()),
        ),
    ] {
        let told = h
            .wait(3000, |_, sink| {
                sink.messages_of(unit).iter().any(|m| m.contains(&message))
            })
            .await;
        assert!(told, "{unit}: {:?}", h.sink.messages_of(unit));
    }
}

#[tokio::test]
async fn exec_is_started_once_its_exec_is_reported_and_fails_when_exec_fails() {
    let mut h = Harness::new();
    h.add(
        "e.service",
        "[Service]\nType=exec\nExecStart=/bin/sleep 60\n",
    );
    h.sup.start("e.service").expect("start job");
    // Started once the exec is reported, which the loop does not wait for.
    assert_eq!(h.sub("e.service"), SubState::Start);
    h.wait_sub("e.service", SubState::Running, 3000).await;
    let out = h.path("post");
    h.add(
        "bad.service",
        &format!(
            "[Service]\nType=exec\nExecStart=/nonexistent/binary\nExecStartPost=/bin/touch {}\n",
            out.display()
        ),
    );
    h.sup.start("bad.service").expect("start job");
    h.wait_sub("bad.service", SubState::Failed, 3000).await;
    assert_eq!(
        h.status("bad.service")
            .main_exit
            .and_then(|e| e.exit_code()),
        Some(203)
    );
    // The failure is told as systemd tells it, and nothing after ran.
    let message = "Failed to execute /nonexistent/binary: No such file or directory";
    let told = h
        .wait(3000, |_, sink| {
            sink.messages_of("bad.service")
                .iter()
                .any(|m| m.contains(message))
        })
        .await;
    assert!(told, "{:?}", h.sink.messages_of("bad.service"));
    assert!(!out.exists());
    h.sup.stop("e.service").expect("stop job");
    h.wait_sub("e.service", SubState::Dead, 3000).await;
}

#[tokio::test]
async fn oneshot_runs_every_exec_start_in_turn() {
    let mut h = Harness::new();
    let out = h.path("out");
    h.add(
        "o.service",
        &format!(
            "[Service]\nType=oneshot\nExecStart=/bin/sh -c 'sleep 0.05; echo one >> {0}'\nExecStart=/bin/sh -c 'echo two >> {0}'\nExecStartPost=/bin/sh -c 'echo post >> {0}'\n",
            out.display()
        ),
    );
    h.sup.start("o.service").expect("start job");
    assert_eq!(h.sub("o.service"), SubState::Start);
    h.wait_sub("o.service", SubState::Dead, 3000).await;
    assert_eq!(
        std::fs::read_to_string(&out).expect("output"),
        "one\ntwo\npost\n"
    );
    // A failing ExecStart stops the list and fails the unit.
    h.add(
        "f.service",
        "[Service]\nType=oneshot\nExecStart=/bin/false\nExecStart=/bin/touch /nonexistent-never\n",
    );
    h.sup.start("f.service").expect("start job");
    h.wait_sub("f.service", SubState::Failed, 3000).await;
}

#[tokio::test]
async fn forking_with_pid_file() {
    let mut h = Harness::new();
    let pidfile = h.path("daemon.pid");
    h.add(
        "f.service",
        &format!(
            "[Service]\nType=forking\nPIDFile={0}\nExecStart=/bin/sh -c 'sleep 60 & echo $! > {0}'\n",
            pidfile.display()
        ),
    );
    h.sup.start("f.service").expect("start job");
    h.wait_sub("f.service", SubState::Running, 3000).await;
    let daemon = read_pid(&pidfile);
    assert_eq!(
        h.status("f.service").main_pid.map(|p| p.as_raw()),
        Some(daemon)
    );
    // The daemon dying ends the service.
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(daemon),
        nix::sys::signal::Signal::SIGKILL,
    )
    .expect("kill daemon");
    h.wait_sub("f.service", SubState::Failed, 3000).await;
    assert_eq!(h.status("f.service").result, ServiceResult::Signal);
}

#[tokio::test]
async fn forking_with_guessed_main_pid() {
    let mut h = Harness::new();
    let pidfile = h.path("daemon.pid");
    // Double fork: the daemon ends up re-parented to the supervisor.
    h.add(
        "g.service",
        &format!(
            "[Service]\nType=forking\nExecStart=/bin/sh -c '(sleep 60 & echo $! > {0}) ; exit 0'\n",
            pidfile.display()
        ),
    );
    h.sup.start("g.service").expect("start job");
    h.wait_sub("g.service", SubState::Running, 3000).await;
    let daemon = read_pid(&pidfile);
    assert_eq!(
        h.status("g.service").main_pid.map(|p| p.as_raw()),
        Some(daemon)
    );
    h.sup.stop("g.service").expect("stop job");
    h.wait_sub("g.service", SubState::Dead, 3000).await;
    assert!(!alive(daemon));
}

/// A notify client: sends `message` to $NOTIFY_SOCKET after `delay`
/// seconds, then sleeps.
fn notify_script(h: &Harness, message: &str, delay: f64) -> std::path::PathBuf {
    let path = h.path("notify.py");
    std::fs::write(
        &path,
        format!(
            "import os, socket, time\n\
             time.sleep({delay})\n\
             s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)\n\
             s.connect(os.environ['NOTIFY_SOCKET'])\n\
             s.send({message:?}.encode())\n\
             time.sleep(60)\n"
        ),
    )
    .expect("write script");
    path
}

#[tokio::test]
async fn notify_waits_for_ready_and_takes_status() {
    let mut h = Harness::new();
    let script = notify_script(&h, "STATUS=serving\nREADY=1", 0.15);
    h.add(
        "n.service",
        &format!(
            "[Service]\nType=notify\nExecStart=/usr/bin/python3 {}\n",
            script.display()
        ),
    );
    let t0 = Instant::now();
    h.sup.start("n.service").expect("start job");
    assert_eq!(h.sub("n.service"), SubState::Start);
    h.wait_sub("n.service", SubState::Running, 5000).await;
    assert!(t0.elapsed().as_millis() >= 150);
    assert_eq!(
        h.status("n.service").status_text.as_deref(),
        Some("serving")
    );
    h.sup.stop("n.service").expect("stop job");
    h.wait_sub("n.service", SubState::Dead, 3000).await;
}

#[tokio::test]
async fn notify_exit_before_ready_is_a_protocol_failure() {
    let mut h = Harness::new();
    h.add("p.service", "[Service]\nType=notify\nExecStart=/bin/true\n");
    h.sup.start("p.service").expect("start job");
    h.wait_sub("p.service", SubState::Failed, 3000).await;
    assert_eq!(h.status("p.service").result, ServiceResult::Protocol);
}

#[tokio::test]
async fn notify_from_a_child_needs_notify_access_all() {
    let mut h = Harness::new();
    let script = notify_script(&h, "READY=1", 0.0);
    // The sender is a child of the main process: NotifyAccess=main (the
    // default) ignores it, so the start times out.
    h.add(
        "main.service",
        &format!(
            "[Service]\nType=notify\nTimeoutStartSec=400ms\nExecStart=/bin/sh -c '/usr/bin/python3 {}; exec sleep 60'\n",
            script.display()
        ),
    );
    h.sup.start("main.service").expect("start job");
    h.wait_sub("main.service", SubState::Failed, 3000).await;
    assert_eq!(h.status("main.service").result, ServiceResult::Timeout);
    h.add(
        "all.service",
        &format!(
            "[Service]\nType=notify\nNotifyAccess=all\nExecStart=/bin/sh -c '/usr/bin/python3 {} & exec sleep 60'\n",
            script.display()
        ),
    );
    h.sup.start("all.service").expect("start job");
    h.wait_sub("all.service", SubState::Running, 3000).await;
    h.sup.stop("all.service").expect("stop job");
    h.wait_sub("all.service", SubState::Dead, 3000).await;
}

#[tokio::test]
async fn idle_behaves_as_simple() {
    let mut h = Harness::new();
    h.add(
        "i.service",
        "[Service]\nType=idle\nExecStart=/bin/sleep 60\n",
    );
    h.sup.start("i.service").expect("start job");
    assert_eq!(h.sub("i.service"), SubState::Running);
    h.sup.stop("i.service").expect("stop job");
    h.wait_sub("i.service", SubState::Dead, 3000).await;
}

#[tokio::test]
async fn exec_condition_skips_without_failing() {
    let mut h = Harness::new();
    let ran = h.path("ran");
    h.add(
        "c.service",
        &format!(
            "[Service]\nType=oneshot\nExecCondition=/bin/sh -c 'exit 1'\nExecStart=/bin/touch {}\nExecStopPost=/bin/true\n",
            ran.display()
        ),
    );
    h.sup.start("c.service").expect("start job");
    h.wait_sub("c.service", SubState::Dead, 3000).await;
    assert_eq!(h.status("c.service").result, ServiceResult::ExecCondition);
    assert!(!ran.exists());
    h.add(
        "c255.service",
        "[Service]\nType=oneshot\nExecCondition=/bin/sh -c 'exit 255'\nExecStart=/bin/true\n",
    );
    h.sup.start("c255.service").expect("start job");
    h.wait_sub("c255.service", SubState::Failed, 3000).await;
}

#[tokio::test]
async fn start_of_an_active_unit_is_a_no_op() {
    let mut h = Harness::new();
    h.add("a.service", "[Service]\nExecStart=/bin/sleep 60\n");
    h.sup.start("a.service").expect("start job");
    let first = h.status("a.service");
    h.sup.start("a.service").expect("start job");
    h.run_for(50).await;
    let second = h.status("a.service");
    assert_eq!(first.main_pid, second.main_pid);
    assert_eq!(first.invocation_id, second.invocation_id);
    h.sup.stop("a.service").expect("stop job");
    h.wait_sub("a.service", SubState::Dead, 3000).await;
}
