//! The seed documents' examples, run for real.

mod supervisor_util;

use std::time::{Duration, Instant};

use sundial::supervisor::{ServiceResult, SubState};
use supervisor_util::Harness;

/// The seed runs `/usr/bin/env python`; where only `python3` is installed
/// (Debian without python-is-python3) the same line runs with python3.
fn python() -> &'static str {
    let path = std::env::var("PATH").unwrap_or_default();
    let has = |name: &str| {
        path.split(':')
            .any(|d| std::path::Path::new(d).join(name).exists())
    };
    if has("python") {
        "python"
    } else {
        "python3"
    }
}

fn with_caller_path(h: &mut sundial::supervisor::SupervisorConfig) {
    // DefaultEnvironment= of the harness: the caller's PATH, so that `env`
    // finds the same interpreter the test found.
    h.default_environment = vec![("PATH".into(), std::env::var("PATH").unwrap_or_default())];
}

#[tokio::test]
async fn pre_post_script_prints_four_lines_in_order() {
    let mut h = Harness::with_config(with_caller_path);
    let text = r#"
[Unit]
Description=pre/post script
After=multi-user.target

[Service]
Type=simple
ExecStartPre=/usr/bin/env python -c "print('Easy come, easy go, will you let me go')"
ExecStart=/usr/bin/env python -c "print('No, we will not let you go')"
ExecStartPost=/usr/bin/env python -c "print('Never let you go')"
ExecStopPost=/usr/bin/env python -c "print('Mama mia, let me go')"

[Install]
WantedBy=multi-user.target
"#
    .replace("env python ", &format!("env {} ", python()));
    h.add("pre_post_script.service", &text);
    h.sup.start("pre_post_script.service").expect("start job");
    let ok = h
        .wait(5000, |s, sink| {
            s.status("pre_post_script.service")
                .is_some_and(|st| st.sub == SubState::Dead)
                && sink.lines_of("pre_post_script.service").len() == 4
        })
        .await;
    let lines = h.lines("pre_post_script.service");
    assert!(
        ok,
        "{lines:?} {:?}",
        h.sink.messages_of("pre_post_script.service")
    );
    // ExecStartPre runs to completion before ExecStart, and ExecStopPost
    // after everything. The main process (Type=simple) and ExecStartPost run
    // at the same time, in systemd as here, so those two may swap.
    assert_eq!(lines[0], "Easy come, easy go, will you let me go");
    let mut middle = vec![lines[1].as_str(), lines[2].as_str()];
    middle.sort();
    assert_eq!(
        middle,
        vec!["Never let you go", "No, we will not let you go"]
    );
    assert_eq!(lines[3], "Mama mia, let me go");
    assert_eq!(
        h.status("pre_post_script.service").result,
        ServiceResult::Success
    );
}

#[tokio::test]
async fn oneshot_setup_teardown_remains_active_exited_and_runs_exec_stop() {
    let mut h = Harness::with_config(with_caller_path);
    let text = r#"
[Unit]
Description=Simple oneshot service
After=network.target

[Service]
Type=oneshot
ExecStart=/usr/bin/env python -c "print('Galileo setup')"
RemainAfterExit=true
ExecStop=/usr/bin/env python -c "print('Figaro teardown')"

[Install]
WantedBy=multi-user.target
"#
    .replace("env python ", &format!("env {} ", python()));
    h.add("simple_oneshot.service", &text);
    h.sup.start("simple_oneshot.service").expect("start job");
    h.wait_sub("simple_oneshot.service", SubState::Exited, 5000)
        .await;
    assert_eq!(h.active("simple_oneshot.service").as_str(), "active");
    assert!(
        h.wait(2000, |_, sink| sink
            .lines_of("simple_oneshot.service")
            .len()
            == 1)
            .await
    );
    assert_eq!(h.lines("simple_oneshot.service"), vec!["Galileo setup"]);

    h.sup.stop("simple_oneshot.service").expect("stop job");
    h.wait_sub("simple_oneshot.service", SubState::Dead, 5000)
        .await;
    assert!(
        h.wait(2000, |_, sink| sink
            .lines_of("simple_oneshot.service")
            .len()
            == 2)
            .await
    );
    assert_eq!(
        h.lines("simple_oneshot.service"),
        vec!["Galileo setup", "Figaro teardown"]
    );
}

#[tokio::test]
async fn restart_always_restarts_a_crashed_process_after_restart_sec() {
    let mut h = Harness::new();
    let marker = h.path("runs");
    // `$$` is systemd's escape for `$`: the shell's own `$$` is written `$$$$`.
    h.add(
        "gunicorn.service",
        &format!(
            "[Service]\nExecStart=/bin/sh -c 'echo run >> {}; kill -SEGV $$$$'\nRestart=always\nRestartSec=300ms\n",
            marker.display()
        ),
    );
    h.sup.start("gunicorn.service").expect("start job");
    h.wait_sub("gunicorn.service", SubState::AutoRestart, 3000)
        .await;
    let crashed = Instant::now();
    let st = h.status("gunicorn.service");
    assert!(
        matches!(st.result, ServiceResult::Signal | ServiceResult::CoreDump),
        "{st:?} {:?}",
        h.sink.messages_of("gunicorn.service")
    );
    assert!(
        h.wait(3000, |s, _| s
            .status("gunicorn.service")
            .is_some_and(|st| st.n_restarts == 1))
            .await
    );
    let waited = crashed.elapsed();
    assert!(
        waited >= Duration::from_millis(250),
        "restarted after {waited:?}"
    );
    assert!(
        h.wait(3000, |_, _| std::fs::read_to_string(&marker)
            .is_ok_and(|t| t.lines().count() >= 2))
            .await
    );
    h.sup.stop("gunicorn.service").expect("stop job");
    h.wait(3000, |s, _| {
        s.status("gunicorn.service").is_some_and(|st| {
            st.sub != SubState::AutoRestart
                && st.active.as_str() != "activating"
                && st.active.as_str() != "deactivating"
        })
    })
    .await;
}

#[tokio::test]
async fn requires_and_after_start_the_dependency_first() {
    let mut h = Harness::new();
    let order = h.path("order");
    // The redis-like dependency is a notify service that takes a moment to
    // be ready; Django must not start before it is.
    h.add(
        "redis.service",
        &format!(
            "[Service]\nType=notify\nNotifyAccess=all\nExecStart=/bin/sh -c 'sleep 0.2; echo redis >> {}; systemd-notify --ready; exec sleep 60'\n",
            order.display()
        ),
    );
    h.add(
        "django.service",
        &format!(
            "[Unit]\nDescription=Django Gunicorn Service\nAfter=network.target redis.service\nRequires=redis.service\n[Service]\nExecStart=/bin/sh -c 'echo django >> {}; exec sleep 60'\n",
            order.display()
        ),
    );
    h.sup.start("django.service").expect("start job");
    h.wait_sub("django.service", SubState::Running, 5000).await;
    assert_eq!(h.sub("redis.service"), SubState::Running);
    assert!(
        h.wait(2000, |_, _| std::fs::read_to_string(&order)
            .is_ok_and(|t| t.lines().count() == 2))
            .await
    );
    assert_eq!(
        std::fs::read_to_string(&order).expect("order file"),
        "redis\ndjango\n"
    );

    // Stopping the dependency stops the unit that requires it.
    h.sup.stop("redis.service").expect("stop job");
    h.wait_sub("django.service", SubState::Dead, 5000).await;
    h.wait_sub("redis.service", SubState::Dead, 5000).await;
}

#[tokio::test]
async fn on_failure_starts_the_named_unit_with_the_failed_units_name() {
    let mut h = Harness::new();
    let report = h.path("report");
    h.add(
        "backup.service",
        "[Unit]\nOnFailure=notify@backup.service.service\n[Service]\nType=oneshot\nExecStart=/bin/false\n",
    );
    h.add(
        "notify@backup.service.service",
        &format!(
            "[Service]\nType=oneshot\nExecStart=/bin/sh -c 'echo \"%i $MONITOR_UNIT $MONITOR_SERVICE_RESULT $MONITOR_EXIT_STATUS\" > {}'\n",
            report.display()
        ),
    );
    h.sup.start("backup.service").expect("start job");
    h.wait_sub("backup.service", SubState::Failed, 3000).await;
    assert!(
        h.wait(3000, |_, _| report.exists()
            && std::fs::read_to_string(&report)
                .is_ok_and(|t| !t.is_empty()))
            .await
    );
    assert_eq!(
        std::fs::read_to_string(&report).expect("report"),
        "backup.service backup.service exit-code 1\n"
    );
}
