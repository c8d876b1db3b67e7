//! `sundial run` against a real daemon: transient services and timers as
//! systemd-run makes them, listed while they wait, gone when done, kept in
//! the state database across restarts of the daemon (SIGTERM and SIGKILL)
//! with their original deadline. Timers run on the daemon's manual clock,
//! except one short span on the real one.
#![allow(clippy::unwrap_used)]

mod daemon_support;

use std::fs;
use std::path::Path;
use std::process::{Command, Output};
use std::time::Duration;
use sundial::ipc::{HistoryRequest, ListTimersRequest, ListUnitsRequest};

use daemon_support::{wait_for, Daemon};
use sundial::ipc::types::{TimerRow, UnitRow};
use sundial::ipc::{ErrorCode, Request, Response};

/// 2030-01-01 00:00:00 UTC.
const T0: i64 = 1_893_456_000_000_000;
const SECOND: i64 = 1_000_000;
const MINUTE: i64 = 60 * SECOND;
const HOUR: i64 = 60 * MINUTE;

/// A daemon on the manual clock at `realtime`, `uptime` after boot `boot`,
/// over `units`; started.
fn manual(dir: &Path, units: &[(&str, &str)], realtime: i64, uptime: i64, boot: &str) -> Daemon {
    let mut d = Daemon::new(dir, units)
        .arg("--clock=manual")
        .env("SUNDIAL_ALLOW_MANUAL_CLOCK", "1")
        .env("TZ", "UTC")
        .env("SUNDIAL_MANUAL_CLOCK_START", &realtime.to_string())
        .env("SUNDIAL_MANUAL_CLOCK_UPTIME", &uptime.to_string())
        .env("SUNDIAL_MANUAL_CLOCK_BOOT_ID", boot);
    d.start();
    d
}

/// `sundial ARGS` against `d`.
fn sundial(d: &Daemon, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_sundial"))
        .args(args)
        .env("SUNDIAL_SOCKET", &d.socket)
        .env("TZ", "UTC")
        .output()
        .unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// The unit named on the line starting with `prefix` of `sundial run`'s
/// stderr.
fn named(o: &Output, prefix: &str) -> String {
    stderr(o)
        .lines()
        .find_map(|l| l.strip_prefix(prefix))
        .unwrap_or_else(|| panic!("no {prefix:?} in {}", stderr(o)))
        .to_owned()
}

fn timers(d: &Daemon) -> Vec<TimerRow> {
    match d.call(Request::ListTimers(ListTimersRequest {
        all: true,
        patterns: vec![],
    })) {
        Response::Timers { timers } => timers,
        other => panic!("list-timers: {other:?}"),
    }
}

fn units(d: &Daemon) -> Vec<UnitRow> {
    match d.call(Request::ListUnits(ListUnitsRequest {
        all: true,
        types: vec![],
        states: vec![],
        patterns: vec![],
    })) {
        Response::Units { units } => units,
        other => panic!("list-units: {other:?}"),
    }
}

fn listed(d: &Daemon, name: &str) -> bool {
    units(d).iter().any(|u| u.unit == name) || timers(d).iter().any(|t| t.unit == name)
}

/// Waits until `name` is neither in list-units nor in list-timers.
fn wait_gone(d: &Daemon, name: &str) {
    let gone = wait_for(Duration::from_secs(10), || !listed(d, name));
    assert!(gone, "{name} is still listed: {}", d.stderr());
}

/// Waits until `unit` has `n` finished runs and none in flight.
fn wait_runs(d: &Daemon, unit: &str, n: usize) {
    let done = wait_for(Duration::from_secs(10), || {
        let runs = d.history(unit);
        runs.len() == n && runs.iter().all(|r| r.end_usec.is_some())
    });
    assert!(done, "{unit}: {:?} {}", d.history(unit), d.stderr());
}

/// How often `unit` printed `line`.
fn printed(d: &Daemon, unit: &str, line: &str) -> usize {
    d.log_lines(unit).iter().filter(|l| *l == line).count()
}

fn transient_files(d: &Daemon) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(d.state.join("transient"))
        .map(|entries| {
            entries
                .flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

#[test]
fn a_transient_timer_is_listed_runs_once_and_is_gone() {
    let dir = tempfile::tempdir().unwrap();
    let d = manual(dir.path(), &[], T0, 10 * MINUTE, "boot-a");
    let out = sundial(&d, &["run", "--on-active=1s", "--", "sh", "-c", "echo hi"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let timer = named(&out, "Running timer as unit: ");
    let service = named(&out, "Will run service as unit: ");
    assert!(
        timer.starts_with("run-r") && timer.ends_with(".timer"),
        "{timer}"
    );
    assert_eq!(service, timer.replace(".timer", ".service"));
    // Before it runs: listed with its deadline (up to AccuracySec=1min late).
    let row = timers(&d).into_iter().find(|t| t.unit == timer).unwrap();
    assert_eq!(row.activates, std::slice::from_ref(&service));
    let next = row.next_elapse_usec.unwrap();
    assert!(
        (T0 + SECOND..=T0 + SECOND + MINUTE).contains(&next),
        "{next}"
    );
    assert_eq!(transient_files(&d), [service.clone(), timer.clone()]);
    assert!(d.history(&service).is_empty());

    d.clock(&format!("advance {}", 2 * MINUTE));
    wait_runs(&d, &service, 1);
    assert_eq!(printed(&d, &service, "hi"), 1);
    wait_gone(&d, &timer);
    wait_gone(&d, &service);
    assert!(transient_files(&d).is_empty());
    // Once, and never again.
    d.clock(&format!("advance {}", 2 * HOUR));
    std::thread::sleep(Duration::from_millis(100));
    assert_eq!(d.history(&service).len(), 1);
}

#[test]
fn the_acceptance_example_on_a_short_real_span() {
    let dir = tempfile::tempdir().unwrap();
    let mut d = Daemon::new(dir.path(), &[]).env("TZ", "UTC");
    d.start();
    let out = sundial(
        &d,
        &[
            "run",
            "--on-active=1s",
            "--timer-property=AccuracySec=10ms",
            "--",
            "sh",
            "-c",
            "echo hi",
        ],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let timer = named(&out, "Running timer as unit: ");
    let service = named(&out, "Will run service as unit: ");
    let listing = sundial(&d, &["list-timers"]);
    assert!(
        String::from_utf8_lossy(&listing.stdout).contains(&timer),
        "{listing:?}"
    );
    wait_runs(&d, &service, 1);
    let logs = sundial(&d, &["logs", "-u", &service, "-o", "cat"]);
    assert!(
        String::from_utf8_lossy(&logs.stdout)
            .lines()
            .any(|l| l == "hi"),
        "{logs:?}"
    );
    wait_gone(&d, &timer);
    wait_gone(&d, &service);
}

#[test]
fn wait_exits_with_the_commands_status_and_says_how_it_ended() {
    let dir = tempfile::tempdir().unwrap();
    let mut d = Daemon::new(dir.path(), &[]);
    d.start();
    let out = sundial(&d, &["run", "--wait", "--", "sh", "-c", "exit 3"]);
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    let text = stderr(&out);
    let service = named(&out, "Running as unit: ");
    assert!(text.contains("Finished with result: exit-code\n"), "{text}");
    assert!(
        text.contains("Main processes terminated with: code=exited/status=3\n"),
        "{text}"
    );
    assert!(text.contains("Service runtime: "), "{text}");
    // Failed, so it stays until reset-failed (no --collect).
    assert!(listed(&d, &service));

    let out = sundial(&d, &["run", "--wait", "--", "true"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stderr(&out).contains("Finished with result: success\n"));
    wait_gone(&d, &named(&out, "Running as unit: "));

    // SuccessExitStatus= makes 3 a success, and the exit status 0.
    let out = sundial(
        &d,
        &[
            "run",
            "--wait",
            "-p",
            "SuccessExitStatus=3",
            "sh",
            "-c",
            "exit 3",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    // Killed by a signal: 1, with the signal's name.
    let out = sundial(&d, &["run", "--wait", "sh", "-c", "kill -KILL $$$$"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("Main processes terminated with: code=killed/status=KILL\n"),
        "{}",
        stderr(&out)
    );
    // -q: nothing but the status.
    let out = sundial(&d, &["run", "--wait", "-q", "sh", "-c", "exit 5"]);
    assert_eq!(out.status.code(), Some(5));
    assert_eq!(stderr(&out), "");

    // A timer's service runs later, if ever: refused, nothing made.
    let out = sundial(&d, &["run", "--wait", "--on-active=1s", "true"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("--wait"), "{}", stderr(&out));
    assert!(timers(&d).is_empty());
}

#[test]
fn without_a_timer_the_service_starts_now_and_goes_when_done() {
    let dir = tempfile::tempdir().unwrap();
    let mut d = Daemon::new(dir.path(), &[]);
    d.start();
    let out = sundial(
        &d,
        &[
            "run",
            "--unit=greet",
            "-E",
            "WHO=100% world",
            "-p",
            "Environment=MORE=yes",
            "--",
            "sh",
            "-c",
            "echo \"hello $WHO $MORE\" 'it''s' \"%n\"",
        ],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(stderr(&out), "Running as unit: greet.service\n");
    wait_runs(&d, "greet.service", 1);
    assert_eq!(
        printed(&d, "greet.service", "hello 100% world yes its %n"),
        1
    );
    wait_gone(&d, "greet.service");
    // The name is free again; the runs stay.
    let out = sundial(&d, &["run", "--unit=greet", "--wait", "true"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(d.history("greet.service").len(), 2);
}

/// A timer made at uptime 10 min (T0) to elapse an hour later; the daemon
/// stops 20 min in, by `stop`, and comes back 10 min later (T0 + 30 min,
/// uptime `uptime` in boot `boot`).
fn restarted(stop: fn(&mut Daemon), uptime: i64, boot: &str) -> (tempfile::TempDir, Daemon) {
    let dir = tempfile::tempdir().unwrap();
    let mut d = manual(dir.path(), &[], T0, 10 * MINUTE, "boot-a");
    let out = sundial(
        &d,
        &[
            "run",
            "--unit=later",
            "--on-active=1h",
            "--timer-property=AccuracySec=1us",
            "--",
            "sh",
            "-c",
            "echo fired",
        ],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    d.clock(&format!("advance {}", 20 * MINUTE));
    stop(&mut d);
    let d = manual(dir.path(), &[], T0 + 30 * MINUTE, uptime, boot);
    (dir, d)
}

/// It still elapses at T0 + 1 h, once, and then is gone.
fn fires_at_its_original_deadline(d: &Daemon) {
    let row = timers(d).into_iter().find(|t| t.unit == "later.timer");
    let row = row.unwrap_or_else(|| panic!("later.timer is gone: {}", d.stderr()));
    assert_eq!(row.next_elapse_usec, Some(T0 + HOUR), "{}", d.stderr());
    d.clock(&format!("advance {}", 30 * MINUTE - 1));
    std::thread::sleep(Duration::from_millis(100));
    assert!(d.history("later.service").is_empty());
    d.clock("advance 1");
    wait_runs(d, "later.service", 1);
    assert_eq!(printed(d, "later.service", "fired"), 1);
    wait_gone(d, "later.timer");
    wait_gone(d, "later.service");
    d.clock(&format!("advance {}", 3 * HOUR));
    std::thread::sleep(Duration::from_millis(100));
    assert_eq!(d.history("later.service").len(), 1);
}

#[test]
fn a_pending_timer_keeps_its_deadline_across_sigterm() {
    let (_dir, d) = restarted(|d| assert!(d.terminate()), 40 * MINUTE, "boot-a");
    fires_at_its_original_deadline(&d);
}

#[test]
fn a_pending_timer_keeps_its_deadline_across_sigkill() {
    let (_dir, d) = restarted(Daemon::kill9, 40 * MINUTE, "boot-a");
    fires_at_its_original_deadline(&d);
}

#[test]
fn after_a_reboot_the_wall_clock_carries_the_deadline() {
    // Up 2 min in a new boot: the monotonic reading at creation means
    // nothing now; half an hour of the hour is left by the wall clock.
    let (_dir, d) = restarted(|d| assert!(d.terminate()), 2 * MINUTE, "boot-b");
    fires_at_its_original_deadline(&d);
}

#[test]
fn a_one_shot_timer_that_fired_before_a_crash_does_not_fire_again() {
    let dir = tempfile::tempdir().unwrap();
    let mut d = manual(dir.path(), &[], T0, 10 * MINUTE, "boot-a");
    let out = sundial(
        &d,
        &[
            "run",
            "--unit=slow",
            "--on-active=1min",
            "--timer-property=AccuracySec=1us",
            "--",
            "sh",
            "-c",
            "echo started; sleep 5",
        ],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    d.clock(&format!("advance {MINUTE}"));
    // Running its command: a process killed with the daemon before its
    // exec would hold the daemon's files for a moment.
    let running = wait_for(Duration::from_secs(10), || {
        printed(&d, "slow.service", "started") == 1
    });
    assert!(running, "{}", d.stderr());
    // Killed while its service runs: both units are still in the store.
    d.kill9();
    let d = manual(dir.path(), &[], T0 + 2 * MINUTE, 12 * MINUTE, "boot-a");
    wait_gone(&d, "slow.timer");
    wait_gone(&d, "slow.service");
    d.clock(&format!("advance {HOUR}"));
    std::thread::sleep(Duration::from_millis(100));
    // The run cut off by the crash, closed; no second one.
    wait_runs(&d, "slow.service", 1);
}

#[test]
fn a_calendar_timer_repeats_until_stopped() {
    let dir = tempfile::tempdir().unwrap();
    let d = manual(dir.path(), &[], T0, 10 * MINUTE, "boot-a");
    let out = sundial(
        &d,
        &[
            "run",
            "--unit=hourly",
            "--on-calendar=hourly",
            "--timer-property=AccuracySec=1us",
            "true",
        ],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    for n in 1..=2 {
        d.clock(&format!("advance {HOUR}"));
        wait_runs(&d, "hourly.service", n);
    }
    assert!(listed(&d, "hourly.timer"));
    assert_eq!(d.property(Some("hourly.timer"), "Transient"), "yes");
    assert_eq!(d.property(Some("hourly.service"), "Transient"), "yes");
    assert_eq!(
        d.property(Some("hourly.service"), "CollectMode"),
        "inactive"
    );
    assert!(d
        .property(None, "UnitPath")
        .starts_with(&d.state.join("transient").display().to_string()));
    // daemon-reload reads the transient files like any other: the pair and
    // its schedule stay.
    let next = |d: &Daemon| {
        timers(d)
            .into_iter()
            .find(|t| t.unit == "hourly.timer")
            .and_then(|t| t.next_elapse_usec)
    };
    let before = next(&d);
    assert!(sundial(&d, &["daemon-reload"]).status.success());
    assert_eq!(next(&d), before);
    d.clock(&format!("advance {HOUR}"));
    wait_runs(&d, "hourly.service", 3);
    let out = sundial(&d, &["stop", "hourly.timer"]);
    assert!(out.status.success(), "{}", stderr(&out));
    wait_gone(&d, "hourly.timer");
    wait_gone(&d, "hourly.service");
    assert!(transient_files(&d).is_empty());
}

#[test]
fn a_bad_property_is_refused_naming_it_and_nothing_is_made() {
    let dir = tempfile::tempdir().unwrap();
    let mut d = manual(dir.path(), &[], T0, 10 * MINUTE, "boot-a");
    let cases: [(&[&str], &str); 5] = [
        (
            &["-p", "Nice=abc"],
            "bad.service:5: Nice=: invalid nice priority 'abc'",
        ),
        (
            &["-p", "NoSuchThing=1"],
            "bad.service:5: Unknown key 'NoSuchThing' in section [Service]",
        ),
        (
            &["--on-calendar=Mnday"],
            "bad.timer:5: OnCalendar=: failed to parse calendar specification 'Mnday'",
        ),
        (
            &["-p", "Nice"],
            "invalid assignment 'Nice': expected KEY=VALUE",
        ),
        (&["--service-type=simpel"], "Type=: invalid value 'simpel'"),
    ];
    for (options, expected) in cases {
        let mut args = vec!["run", "--unit=bad"];
        args.extend_from_slice(options);
        args.extend(["--", "true"]);
        let out = sundial(&d, &args);
        assert_eq!(out.status.code(), Some(1), "{options:?}");
        assert!(
            stderr(&out).contains(expected),
            "{options:?}: {}",
            stderr(&out)
        );
        assert!(!listed(&d, "bad.service") && !listed(&d, "bad.timer"));
        assert!(transient_files(&d).is_empty(), "{options:?}");
    }
    // Never ran: the daemon knows nothing of it.
    let history = d.call(Request::History(HistoryRequest {
        unit: Some("bad.service".into()),
        limit: None,
    }));
    assert!(
        matches!(
            history,
            Response::Error {
                code: ErrorCode::NoSuchUnit,
                ..
            }
        ),
        "{history:?}"
    );
    // Nothing was stored either.
    d.kill9();
    let d = manual(dir.path(), &[], T0, 11 * MINUTE, "boot-a");
    assert!(!listed(&d, "bad.service"));
    assert!(transient_files(&d).is_empty());
    // A directive sundial does not implement is only reported.
    let out = sundial(&d, &["run", "--wait", "-p", "AllowedCPUs=0", "true"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("AllowedCPUs=: not supported, ignoring"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn a_name_that_is_taken_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let service = "[Service]\nExecStart=/bin/true\n";
    let d = manual(
        dir.path(),
        &[("taken.service", service), ("tmpl@.service", service)],
        T0,
        10 * MINUTE,
        "boot-a",
    );
    for unit in ["taken", "taken.service", "tmpl@x"] {
        let out = sundial(&d, &["run", &format!("--unit={unit}"), "true"]);
        assert_eq!(out.status.code(), Some(1), "{unit}");
        assert!(stderr(&out).contains("already exists"), "{}", stderr(&out));
    }
    let pair = ["run", "--unit=dup", "--on-active=1h", "true"];
    assert!(sundial(&d, &pair).status.success());
    let again = sundial(&d, &pair);
    assert_eq!(again.status.code(), Some(1));
    assert!(stderr(&again).contains("Unit dup.service already exists"));
    let service_only = sundial(&d, &["run", "--unit=dup.service", "true"]);
    assert_eq!(service_only.status.code(), Some(1));
    // The timer is untouched.
    assert!(listed(&d, "dup.timer"));
    assert_eq!(transient_files(&d), ["dup.service", "dup.timer"]);
}

#[test]
fn collect_removes_a_failed_service_and_without_it_it_stays_until_reset() {
    let dir = tempfile::tempdir().unwrap();
    let mut d = Daemon::new(dir.path(), &[]);
    d.start();
    let kept = sundial(&d, &["run", "--unit=kept", "sh", "-c", "exit 3"]);
    assert!(kept.status.success(), "{}", stderr(&kept));
    let collected = sundial(&d, &["run", "--unit=collected", "-G", "sh", "-c", "exit 3"]);
    assert!(collected.status.success(), "{}", stderr(&collected));
    wait_runs(&d, "kept.service", 1);
    wait_runs(&d, "collected.service", 1);
    wait_gone(&d, "collected.service");
    assert_eq!(d.property(Some("kept.service"), "CollectMode"), "inactive");
    let failed = wait_for(Duration::from_secs(10), || {
        units(&d)
            .iter()
            .any(|u| u.unit == "kept.service" && u.active_state == "failed")
    });
    assert!(failed, "{:?}", units(&d));
    assert_eq!(transient_files(&d), ["kept.service"]);
    // Both runs stay in the history.
    let run = &d.history("collected.service")[0];
    assert_eq!(run.result, Some(sundial::store::RunResult::ExitCode));
    let reset = sundial(&d, &["reset-failed", "kept.service"]);
    assert!(reset.status.success(), "{}", stderr(&reset));
    wait_gone(&d, "kept.service");
    assert!(transient_files(&d).is_empty());
}

#[test]
fn a_running_transient_service_stops_with_the_daemon_and_is_done() {
    let dir = tempfile::tempdir().unwrap();
    let mut d = Daemon::new(dir.path(), &[]);
    d.start();
    let out = sundial(&d, &["run", "--unit=long", "sleep", "600"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let running = wait_for(Duration::from_secs(10), || {
        units(&d)
            .iter()
            .any(|u| u.unit == "long.service" && u.active_state == "active")
    });
    assert!(running);
    assert!(d.terminate());
    d.start();
    assert!(!listed(&d, "long.service"));
    wait_runs(&d, "long.service", 1);
}
