//! Restart= per value against real exits, and the start limit.

mod supervisor_util;

use sundial::supervisor::{ServiceResult, SubState};
use supervisor_util::Harness;

/// How the main process ends.
#[derive(Debug, Clone, Copy)]
enum End {
    Clean,
    ExitCode,
    Signal,
    Watchdog,
}

impl End {
    fn unit(self, restart: &str) -> String {
        // RestartSec=1h: a restart shows as the auto-restart state without
        // happening during the test.
        let exec = match self {
            End::Clean => "ExecStart=/bin/sh -c 'exit 0'",
            End::ExitCode => "ExecStart=/bin/sh -c 'exit 3'",
            End::Signal => "ExecStart=/bin/sh -c 'kill -KILL $$$$'",
            End::Watchdog => "WatchdogSec=100ms\nExecStart=/bin/sleep 60",
        };
        format!("[Service]\n{exec}\nRestart={restart}\nRestartSec=1h\n")
    }

    fn result(self) -> ServiceResult {
        match self {
            End::Clean => ServiceResult::Success,
            End::ExitCode => ServiceResult::ExitCode,
            End::Signal => ServiceResult::Signal,
            End::Watchdog => ServiceResult::Watchdog,
        }
    }
}

async fn restarts(restart: &str, end: End) -> bool {
    let mut h = Harness::new();
    h.add("r.service", &end.unit(restart));
    h.sup.start("r.service").expect("start job");
    let ok = h
        .wait(3000, |s, _| {
            s.status("r.service").is_some_and(|st| {
                matches!(
                    st.sub,
                    SubState::AutoRestart | SubState::Dead | SubState::Failed
                )
            })
        })
        .await;
    let st = h.status("r.service");
    assert!(ok, "{restart} {end:?}: {st:?}");
    assert_eq!(st.result, end.result(), "{restart} {end:?}");
    let restarting = st.sub == SubState::AutoRestart;
    if restarting {
        h.sup.stop("r.service").expect("stop job");
        assert_eq!(h.sub("r.service"), SubState::Dead);
    }
    restarting
}

const ENDS: [End; 4] = [End::Clean, End::ExitCode, End::Signal, End::Watchdog];

async fn check(restart: &str, expected: [bool; 4]) {
    for (end, want) in ENDS.iter().zip(expected) {
        assert_eq!(
            restarts(restart, *end).await,
            want,
            "Restart={restart} after {end:?}"
        );
    }
}

#[tokio::test]
async fn restart_no() {
    check("no", [false, false, false, false]).await;
}

#[tokio::test]
async fn restart_always() {
    check("always", [true, true, true, true]).await;
}

#[tokio::test]
async fn restart_on_success() {
    check("on-success", [true, false, false, false]).await;
}

#[tokio::test]
async fn restart_on_failure() {
    check("on-failure", [false, true, true, true]).await;
}

#[tokio::test]
async fn restart_on_abnormal() {
    check("on-abnormal", [false, false, true, true]).await;
}

#[tokio::test]
async fn restart_on_abort() {
    check("on-abort", [false, false, true, false]).await;
}

#[tokio::test]
async fn restart_on_watchdog() {
    check("on-watchdog", [false, false, false, true]).await;
}

#[tokio::test]
async fn prevent_and_force_exit_status() {
    let mut h = Harness::new();
    h.add(
        "p.service",
        "[Service]\nExecStart=/bin/sh -c 'exit 3'\nRestart=always\nRestartPreventExitStatus=3\n",
    );
    h.sup.start("p.service").expect("start job");
    h.wait_sub("p.service", SubState::Failed, 3000).await;
    h.add(
        "f.service",
        "[Service]\nExecStart=/bin/sh -c 'exit 0'\nRestart=no\nRestartForceExitStatus=0\nRestartSec=1h\n",
    );
    h.sup.start("f.service").expect("start job");
    h.wait_sub("f.service", SubState::AutoRestart, 3000).await;
    h.sup.stop("f.service").expect("stop job");
}

#[tokio::test]
async fn success_exit_status_counts_as_clean() {
    let mut h = Harness::new();
    h.add(
        "s.service",
        "[Service]\nExecStart=/bin/sh -c 'exit 75'\nSuccessExitStatus=TEMPFAIL\n",
    );
    h.sup.start("s.service").expect("start job");
    h.wait_sub("s.service", SubState::Dead, 3000).await;
    assert_eq!(h.status("s.service").result, ServiceResult::Success);
}

#[tokio::test]
async fn start_limit_burst_stops_a_crash_loop() {
    let mut h = Harness::new();
    let runs = h.path("runs");
    h.add(
        "loop.service",
        &format!(
            "[Unit]\nStartLimitIntervalSec=10s\nStartLimitBurst=3\nOnFailure=report.service\n[Service]\nExecStart=/bin/sh -c 'echo x >> {}; exit 1'\nRestart=always\nRestartSec=20ms\n",
            runs.display()
        ),
    );
    let report = h.path("report");
    h.add(
        "report.service",
        &format!(
            "[Service]\nType=oneshot\nExecStart=/bin/sh -c 'echo $MONITOR_SERVICE_RESULT > {}'\n",
            report.display()
        ),
    );
    h.sup.start("loop.service").expect("start job");
    h.wait(3000, |s, _| {
        s.status("loop.service")
            .is_some_and(|st| st.result == ServiceResult::StartLimitHit)
    })
    .await;
    let st = h.status("loop.service");
    assert_eq!(st.sub, SubState::Failed);
    assert_eq!(st.result, ServiceResult::StartLimitHit);
    assert_eq!(
        std::fs::read_to_string(&runs)
            .expect("runs")
            .lines()
            .count(),
        3
    );
    // OnFailure= fires once, for the final failure only.
    assert!(
        h.wait(3000, |_, _| std::fs::read_to_string(&report)
            .is_ok_and(|t| !t.is_empty()))
            .await
    );
    assert_eq!(
        std::fs::read_to_string(&report).expect("report"),
        "start-limit-hit\n"
    );
    // reset-failed clears the limit.
    h.sup.reset_failed("loop.service");
    h.sup.start("loop.service").expect("start job");
    h.wait(3000, |s, _| {
        s.status("loop.service")
            .is_some_and(|st| st.result == ServiceResult::StartLimitHit)
    })
    .await;
    assert_eq!(
        std::fs::read_to_string(&runs)
            .expect("runs")
            .lines()
            .count(),
        6
    );
}

#[tokio::test]
async fn failure_that_restarts_does_not_fire_on_failure() {
    let mut h = Harness::new();
    let fired = h.path("fired");
    h.add(
        "c.service",
        "[Unit]\nOnFailure=hook.service\n[Service]\nExecStart=/bin/false\nRestart=on-failure\nRestartSec=1h\n",
    );
    h.add(
        "hook.service",
        &format!(
            "[Service]\nType=oneshot\nExecStart=/bin/touch {}\n",
            fired.display()
        ),
    );
    h.sup.start("c.service").expect("start job");
    h.wait_sub("c.service", SubState::AutoRestart, 3000).await;
    h.run_for(100).await;
    assert!(!fired.exists());
    assert_eq!(h.sub("hook.service"), SubState::Dead);
    h.sup.stop("c.service").expect("stop job");
}
