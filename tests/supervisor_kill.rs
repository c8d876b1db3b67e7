//! Stopping: KillMode= per value, daemonized grandchildren, TimeoutStopSec=
//! escalation, ExecStop= with $MAINPID and the result variables.

mod supervisor_util;

use std::time::Instant;

use nix::sys::signal::{kill, Signal};
use nix::unistd::Pid;
use sundial::supervisor::{ServiceResult, SubState};
use supervisor_util::{alive, read_pid, Harness};

/// A main process with one child; the child's pid goes to `pidfile`.
/// `child_ignores_term`: the child survives SIGTERM.
fn family(pidfile: &std::path::Path, kill_mode: &str, child_ignores_term: bool) -> String {
    let trap = if child_ignores_term {
        "trap \"\" TERM; "
    } else {
        ""
    };
    format!(
        "[Service]\nKillMode={kill_mode}\nTimeoutStopSec=2s\nExecStart=/bin/sh -c '/bin/sh -c \"{trap}echo \\$$$$ > {}; while :; do sleep 0.05; done\" & wait'\n",
        pidfile.display()
    )
}

async fn start_family(h: &mut Harness, name: &str, pidfile: &std::path::Path) -> (i32, i32) {
    h.sup.start(name).expect("start job");
    assert!(
        h.wait(3000, |_, _| pidfile.exists()
            && std::fs::read_to_string(pidfile)
                .is_ok_and(|t| t.ends_with('\n')))
            .await
    );
    let child = read_pid(pidfile);
    let main = h.status(name).main_pid.expect("main pid").as_raw();
    (main, child)
}

#[tokio::test]
async fn kill_mode_control_group_kills_everything() {
    let mut h = Harness::new();
    let pidfile = h.path("child");
    h.add("cg.service", &family(&pidfile, "control-group", false));
    let (main, child) = start_family(&mut h, "cg.service", &pidfile).await;
    h.sup.stop("cg.service").expect("stop job");
    h.wait_sub("cg.service", SubState::Dead, 3000).await;
    assert!(!alive(main) && !alive(child));
}

#[tokio::test]
async fn kill_mode_mixed_terms_main_and_kills_the_rest() {
    let mut h = Harness::new();
    let pidfile = h.path("child");
    h.add("mixed.service", &family(&pidfile, "mixed", true));
    let (main, child) = start_family(&mut h, "mixed.service", &pidfile).await;
    let t0 = Instant::now();
    h.sup.stop("mixed.service").expect("stop job");
    h.wait_sub("mixed.service", SubState::Dead, 3000).await;
    assert!(!alive(main) && !alive(child));
    // The child ignored SIGTERM, yet did not hold up the stop until
    // TimeoutStopSec: the final round SIGKILLs it at once.
    assert!(t0.elapsed().as_millis() < 1500, "{:?}", t0.elapsed());
}

#[tokio::test]
async fn kill_mode_process_leaves_the_children() {
    let mut h = Harness::new();
    let pidfile = h.path("child");
    h.add("proc.service", &family(&pidfile, "process", false));
    let (main, child) = start_family(&mut h, "proc.service", &pidfile).await;
    h.sup.stop("proc.service").expect("stop job");
    h.wait_sub("proc.service", SubState::Dead, 3000).await;
    assert!(!alive(main));
    assert!(
        alive(child),
        "KillMode=process must leave the child running"
    );
    kill(Pid::from_raw(child), Signal::SIGKILL).expect("clean up child");
    // The leftover, re-parented to us, is still reaped: no zombie remains.
    h.run_for(100).await;
    assert!(!std::path::Path::new(&format!("/proc/{child}")).exists());
}

#[tokio::test]
async fn kill_mode_none_kills_nothing() {
    let mut h = Harness::new();
    let pidfile = h.path("child");
    h.add("none.service", &family(&pidfile, "none", false));
    let (main, child) = start_family(&mut h, "none.service", &pidfile).await;
    h.sup.stop("none.service").expect("stop job");
    h.wait_sub("none.service", SubState::Dead, 3000).await;
    assert!(alive(main) && alive(child));
    kill(Pid::from_raw(child), Signal::SIGKILL).expect("clean up child");
    kill(Pid::from_raw(main), Signal::SIGKILL).expect("clean up main");
    h.run_for(100).await;
    assert!(!std::path::Path::new(&format!("/proc/{main}")).exists());
}

#[tokio::test]
async fn daemonized_grandchild_is_gone_after_stop() {
    let mut h = Harness::new();
    let pidfile = h.path("daemon");
    // The classic double fork with setsid: the grandchild leaves the
    // service's session and its parent exits at once.
    h.add(
        "d.service",
        &format!(
            "[Service]\nExecStart=/bin/sh -c '( setsid /bin/sh -c \"echo \\$$$$ > {}; exec sleep 60\" & ) ; exec sleep 60'\n",
            pidfile.display()
        ),
    );
    h.sup.start("d.service").expect("start job");
    assert!(
        h.wait(3000, |_, _| std::fs::read_to_string(&pidfile)
            .is_ok_and(|t| t.ends_with('\n')))
            .await
    );
    let daemon = read_pid(&pidfile);
    assert!(alive(daemon));
    h.sup.stop("d.service").expect("stop job");
    h.wait_sub("d.service", SubState::Dead, 3000).await;
    h.run_for(50).await;
    assert!(
        !std::path::Path::new(&format!("/proc/{daemon}")).exists(),
        "daemon {daemon} left behind"
    );
}

/// A process that appears while the stop's SIGTERM round is under way (here
/// the main process starts a daemon from its TERM trap and exits) was not
/// there when the round signalled the service's processes; it becomes an
/// orphan of the supervisor and must get the round's signal when it is
/// found, rather than keep the stop waiting for TimeoutStopSec=.
#[tokio::test]
async fn a_daemon_started_during_the_stop_gets_the_signal_too() {
    let mut h = Harness::new();
    // A sleep no other test runs, to find the daemon by.
    let marker = "61.4142";
    h.add(
        "late.service",
        &format!(
            "[Service]\nTimeoutStopSec=20s\nExecStart=/bin/sh -c 'trap \"( setsid /bin/sleep {marker} & ); sleep 0.2; exit 0\" TERM; while :; do sleep 0.05; done'\n"
        ),
    );
    h.sup.start("late.service").expect("start job");
    h.wait_sub("late.service", SubState::Running, 3000).await;
    h.sup.stop("late.service").expect("stop job");
    h.wait_sub("late.service", SubState::Dead, 5000).await;
    h.run_for(50).await;
    let left: Vec<String> = std::fs::read_dir("/proc")
        .unwrap()
        .flatten()
        .filter_map(|e| std::fs::read(e.path().join("cmdline")).ok())
        .map(|c| String::from_utf8_lossy(&c).replace('\0', " "))
        .filter(|c| c.contains(marker))
        .collect();
    assert!(left.is_empty(), "left behind: {left:?}");
}

#[tokio::test]
async fn timeout_stop_sec_escalates_to_sigkill() {
    let mut h = Harness::new();
    h.add(
        "stubborn.service",
        "[Service]\nTimeoutStopSec=300ms\nExecStart=/bin/sh -c 'trap \"\" TERM; while :; do sleep 0.05; done'\n",
    );
    h.sup.start("stubborn.service").expect("start job");
    let main = h
        .status("stubborn.service")
        .main_pid
        .expect("main")
        .as_raw();
    h.run_for(100).await;
    let t0 = Instant::now();
    h.sup.stop("stubborn.service").expect("stop job");
    h.wait_sub("stubborn.service", SubState::StopSigterm, 1000)
        .await;
    h.wait_sub("stubborn.service", SubState::Failed, 3000).await;
    let waited = t0.elapsed().as_millis();
    assert!((300..2000).contains(&waited), "{waited} ms");
    assert_eq!(h.status("stubborn.service").result, ServiceResult::Timeout);
    assert!(!alive(main));
    let log = h.sink.messages_of("stubborn.service");
    assert!(
        log.iter()
            .any(|m| m.contains("stop-sigterm") && m.contains("Killing")),
        "{log:?}"
    );
}

#[tokio::test]
async fn exec_stop_sees_mainpid_and_stop_post_sees_the_result() {
    let mut h = Harness::new();
    let out = h.path("out");
    h.add(
        "s.service",
        &format!(
            "[Service]\nExecStart=/bin/sleep 60\nExecStop=/bin/sh -c 'echo stop $MAINPID >> {0}; kill $MAINPID'\nExecStopPost=/bin/sh -c 'echo post $SERVICE_RESULT $EXIT_CODE $EXIT_STATUS >> {0}'\n",
            out.display()
        ),
    );
    h.sup.start("s.service").expect("start job");
    let main = h.status("s.service").main_pid.expect("main").as_raw();
    h.sup.stop("s.service").expect("stop job");
    h.wait_sub("s.service", SubState::Dead, 3000).await;
    assert_eq!(
        std::fs::read_to_string(&out).expect("out"),
        format!("stop {main}\npost success killed TERM\n")
    );
}

#[tokio::test]
async fn failed_start_pre_skips_exec_stop_but_runs_stop_post() {
    let mut h = Harness::new();
    let out = h.path("out");
    h.add(
        "f.service",
        &format!(
            "[Service]\nExecStartPre=/bin/false\nExecStart=/bin/sleep 60\nExecStop=/bin/sh -c 'echo stop >> {0}'\nExecStopPost=/bin/sh -c 'echo post $SERVICE_RESULT >> {0}'\n",
            out.display()
        ),
    );
    h.sup.start("f.service").expect("start job");
    h.wait_sub("f.service", SubState::Failed, 3000).await;
    assert_eq!(
        std::fs::read_to_string(&out).expect("out"),
        "post exit-code\n"
    );
}
