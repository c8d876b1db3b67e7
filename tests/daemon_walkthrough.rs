//! The seed documents' walkthrough against a real daemon: a timer firing
//! repeatedly with its output in the logs, list-timers, enable/disable,
//! daemon-reload, status.

mod daemon_support;

use std::fs;
use std::time::Duration;
use sundial::ipc::{EnablementRequest, ListTimersRequest, StatusRequest, UnitsRequest};

use daemon_support::{enable, wait_for, write_unit, Daemon};
use sundial::ipc::types::FileChangeKind;
use sundial::ipc::{Request, Response};
use sundial::store::{RunResult, Stream};

const TIMER_SCRIPT_TIMER: &str = "\
[Unit]
Description=Timer trigger

[Timer]
OnBootSec=50ms
OnUnitActiveSec=100ms
AccuracySec=1us

[Install]
WantedBy=timers.target
";

const TIMER_SCRIPT_SERVICE: &str = "\
[Unit]
Description=A simple script

[Service]
Type=simple
ExecStart=/bin/sh -c 'echo \"Too late, my time has come.\"'
";

#[test]
fn timer_script_fires_repeatedly_and_its_output_is_stored() {
    let dir = tempfile::tempdir().unwrap();
    let mut d = Daemon::new(
        dir.path(),
        &[
            ("timer_script.timer", TIMER_SCRIPT_TIMER),
            ("timer_script.service", TIMER_SCRIPT_SERVICE),
        ],
    )
    .arg("--log-stdout");
    enable(&d.units, "timers.target", "timer_script.timer");
    d.start();
    let fired = wait_for(Duration::from_secs(10), || {
        d.finished("timer_script.service").len() >= 3
    });
    assert!(fired, "fewer than 3 runs: {}", d.stderr());
    let runs = d.finished("timer_script.service");
    for run in &runs {
        assert_eq!(run.trigger.label(), "timer:timer_script.timer");
        assert_eq!(run.result, Some(RunResult::Success));
    }
    // OnUnitActiveSec=100ms counts from each activation: the runs are spaced
    // by at least the interval.
    let starts: Vec<i64> = runs.iter().rev().map(|r| r.start_usec).collect();
    for pair in starts.windows(2) {
        assert!(pair[1] - pair[0] >= 100_000, "{starts:?}");
    }
    assert!(wait_for(Duration::from_secs(5), || {
        d.log_lines("timer_script.service")
            .iter()
            .filter(|l| *l == "Too late, my time has come.")
            .count()
            >= 3
    }));
    // --log-stdout echoes each line with the unit name in front.
    assert!(wait_for(Duration::from_secs(5), || d
        .stdout()
        .contains("timer_script.service: Too late, my time has come.")));

    // list-timers: NEXT in the future, LAST in the past, RESULT success.
    let timers = match d.call(Request::ListTimers(ListTimersRequest {
        all: false,
        patterns: vec![],
    })) {
        Response::Timers { timers } => timers,
        other => panic!("{other:?}"),
    };
    assert_eq!(timers.len(), 1);
    let row = &timers[0];
    assert_eq!(row.unit, "timer_script.timer");
    assert_eq!(row.activates, ["timer_script.service"]);
    let last = row.last_trigger_usec.expect("LAST");
    let next = row.next_elapse_usec.expect("NEXT");
    assert!(next > last, "next {next} last {last}");
    assert_eq!(row.last_result, Some(RunResult::Success));
    assert!(d.terminate(), "clean exit on SIGTERM: {}", d.stderr());
}

#[test]
fn enable_and_disable_create_and_remove_the_wants_link() {
    let dir = tempfile::tempdir().unwrap();
    let timer = "[Timer]\nOnCalendar=daily\n\n[Install]\nWantedBy=timers.target\n";
    let mut d = Daemon::new(
        dir.path(),
        &[
            ("nightly.timer", timer),
            ("nightly.service", "[Service]\nExecStart=/bin/true\n"),
        ],
    );
    d.start();
    let link = d.units.join("timers.target.wants/nightly.timer");
    let state = |d: &Daemon| match d.call(Request::IsEnabled(UnitsRequest {
        units: vec!["nightly.timer".into()],
    })) {
        Response::States { states } => states[0].state.clone(),
        other => panic!("{other:?}"),
    };
    assert_eq!(state(&d), "disabled");
    match d.call(Request::Enable(EnablementRequest {
        units: vec!["nightly.timer".into()],
        now: true,
    })) {
        Response::FileChanges { changes, .. } => {
            assert_eq!(changes.len(), 1);
            assert_eq!(changes[0].kind, FileChangeKind::Symlink);
            assert_eq!(changes[0].path, link.display().to_string());
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(fs::read_link(&link).unwrap(), d.units.join("nightly.timer"));
    assert_eq!(state(&d), "enabled");
    // --now started it.
    assert_eq!(d.property(Some("nightly.timer"), "ActiveState"), "active");
    match d.call(Request::Disable(EnablementRequest {
        units: vec!["nightly.timer".into()],
        now: true,
    })) {
        Response::FileChanges { changes, .. } => {
            assert_eq!(changes.len(), 1);
            assert_eq!(changes[0].kind, FileChangeKind::Unlink);
        }
        other => panic!("{other:?}"),
    }
    assert!(fs::symlink_metadata(&link).is_err());
    assert_eq!(state(&d), "disabled");
    assert_eq!(d.property(Some("nightly.timer"), "ActiveState"), "inactive");
}

#[test]
fn daemon_reload_picks_up_an_edited_unit_and_keeps_running_ones() {
    let dir = tempfile::tempdir().unwrap();
    let mut d = Daemon::new(
        dir.path(),
        &[
            (
                "edit.timer",
                "[Unit]\nDescription=before\n[Timer]\nOnCalendar=2099-01-01\n[Install]\nWantedBy=timers.target\n",
            ),
            ("edit.service", "[Service]\nExecStart=/bin/true\n"),
            (
                "steady.timer",
                "[Timer]\nOnCalendar=2098-06-01\n[Install]\nWantedBy=timers.target\n",
            ),
            ("steady.service", "[Service]\nExecStart=/bin/true\n"),
            (
                "long.service",
                "[Service]\nExecStart=/bin/sh -c 'echo up; exec sleep 30'\n",
            ),
        ],
    );
    enable(&d.units, "timers.target", "edit.timer");
    enable(&d.units, "timers.target", "steady.timer");
    d.start();
    assert!(matches!(
        d.call(Request::Start(UnitsRequest {
            units: vec!["long.service".into()]
        })),
        Response::Done { .. }
    ));
    let pid_before = d.property(Some("long.service"), "MainPID");
    let steady_next = d.property(Some("steady.timer"), "NextElapseUSecRealtime");
    assert!(steady_next.contains("2098-06-01"), "{steady_next}");
    assert_eq!(d.property(Some("edit.timer"), "Description"), "before");

    write_unit(
        &d.units,
        "edit.timer",
        "[Unit]\nDescription=after\n[Timer]\nOnCalendar=2097-03-04\n[Install]\nWantedBy=timers.target\n",
    );
    write_unit(&d.units, "new.service", "[Service]\nExecStart=/bin/true\n");
    assert!(matches!(
        d.call(Request::DaemonReload),
        Response::Done { .. }
    ));

    assert_eq!(d.property(Some("edit.timer"), "Description"), "after");
    let next = d.property(Some("edit.timer"), "NextElapseUSecRealtime");
    assert!(next.contains("2097-03-04"), "{next}");
    assert_eq!(d.property(Some("edit.timer"), "ActiveState"), "active");
    assert_eq!(
        d.property(Some("steady.timer"), "NextElapseUSecRealtime"),
        steady_next
    );
    assert_eq!(d.property(Some("long.service"), "SubState"), "running");
    assert_eq!(d.property(Some("long.service"), "MainPID"), pid_before);
    assert_eq!(d.property(Some("new.service"), "LoadState"), "loaded");
    // SIGTERM stops the running service before the daemon exits.
    assert!(d.terminate(), "{}", d.stderr());
    let runs = sundial::store::Store::open(d.state.join("state.db"))
        .unwrap()
        .history(Some("long.service"), 10)
        .unwrap();
    assert_eq!(runs.len(), 1);
    assert!(runs[0].end.is_some(), "the run was completed at shutdown");
}

#[test]
fn status_shows_pre_post_script_lines() {
    let dir = tempfile::tempdir().unwrap();
    let unit = fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("examples/units/pre_post_script.service"),
    )
    .unwrap();
    let mut d = Daemon::new(dir.path(), &[("pre_post_script.service", &unit)]);
    d.start();
    assert!(matches!(
        d.call(Request::Start(UnitsRequest {
            units: vec!["pre_post_script".into()]
        })),
        Response::Done { .. }
    ));
    let expected = [
        "Easy come, easy go, will you let me go",
        "No, we will not let you go",
        "Never let you go",
        "Mama mia, let me go",
    ];
    let mut last = None;
    let shown = wait_for(Duration::from_secs(10), || {
        let response = d.call(Request::Status(StatusRequest {
            units: vec!["pre_post_script.service".into()],
            lines: None,
        }));
        let Response::Status { units } = response else {
            panic!("{response:?}");
        };
        // The service's own lines; sundial's about it come in between.
        let lines: Vec<String> = units[0]
            .recent_logs
            .iter()
            .filter(|l| l.stream != Stream::Manager)
            .map(|l| l.line.clone())
            .collect();
        // Type=simple: ExecStartPost= runs beside the main process, as in
        // systemd, so their lines may come in either order.
        let mut middle = lines.get(1..3).map(<[String]>::to_vec).unwrap_or_default();
        middle.sort();
        let ok = lines.len() == 4
            && lines[0] == expected[0]
            && middle == [expected[2], expected[1]]
            && lines[3] == expected[3]
            && units[0].active_state == "inactive";
        last = Some(units[0].clone());
        ok
    });
    assert!(shown, "{last:#?}");
    let block = last.unwrap();
    assert_eq!(block.description, "pre/post script");
    assert_eq!(block.last_result, Some(RunResult::Success));
    assert!(block
        .fragment_path
        .unwrap()
        .ends_with("pre_post_script.service"));
}

#[test]
fn unknown_units_are_reported_as_not_found() {
    let dir = tempfile::tempdir().unwrap();
    let mut d = Daemon::new(dir.path(), &[]);
    d.start();
    match d.call(Request::Start(UnitsRequest {
        units: vec!["nope.service".into()],
    })) {
        Response::Error { code, message } => {
            assert_eq!(code, sundial::ipc::ErrorCode::NoSuchUnit);
            assert_eq!(message, "Unit nope.service not found.");
        }
        other => panic!("{other:?}"),
    }
}

/// list-timers' RESULT after a restart comes from the store (one query for
/// every service): the failed run of one service, the success of another,
/// nothing for a service that never ran.
#[test]
fn list_timers_results_come_back_from_the_store_after_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let timer = |service: &str| {
        format!("[Timer]\nOnCalendar=daily\nUnit={service}\n[Install]\nWantedBy=timers.target\n")
    };
    let units = [
        ("fails.timer", timer("fails.service")),
        (
            "fails.service",
            "[Service]\nType=oneshot\nExecStart=/bin/sh -c 'exit 3'\n".to_owned(),
        ),
        ("works.timer", timer("works.service")),
        (
            "works.service",
            "[Service]\nType=oneshot\nExecStart=/bin/true\n".to_owned(),
        ),
        ("idle.timer", timer("idle.service")),
        (
            "idle.service",
            "[Service]\nType=oneshot\nExecStart=/bin/true\n".to_owned(),
        ),
    ];
    let units: Vec<(&str, &str)> = units.iter().map(|(n, t)| (*n, t.as_str())).collect();
    let mut d = Daemon::new(dir.path(), &units);
    for t in ["fails.timer", "works.timer", "idle.timer"] {
        enable(&dir.path().join("units"), "timers.target", t);
    }
    d.start();
    let results = |d: &Daemon| -> Vec<(String, Option<RunResult>)> {
        match d.call(Request::ListTimers(ListTimersRequest {
            all: true,
            patterns: vec![],
        })) {
            Response::Timers { timers } => timers
                .into_iter()
                .map(|t| (t.unit, t.last_result))
                .collect(),
            other => panic!("{other:?}"),
        }
    };
    // Asked before any run: the results are read (none), then runs add theirs.
    assert!(results(&d).iter().all(|(_, r)| r.is_none()));
    for service in ["fails.service", "works.service"] {
        // A oneshot's start waits for its end: the failing one answers
        // with an error.
        let answer = d.call(Request::Start(UnitsRequest {
            units: vec![service.into()],
        }));
        let failed = matches!(answer, Response::Error { .. });
        assert_eq!(failed, service == "fails.service", "{answer:?}");
    }
    let want = vec![
        ("fails.timer".to_owned(), Some(RunResult::ExitCode)),
        ("idle.timer".to_owned(), None),
        ("works.timer".to_owned(), Some(RunResult::Success)),
    ];
    assert!(
        wait_for(Duration::from_secs(10), || results(&d) == want),
        "{:?}",
        results(&d)
    );
    assert!(d.terminate(), "clean exit on SIGTERM: {}", d.stderr());
    d.start();
    assert_eq!(results(&d), want);
}
