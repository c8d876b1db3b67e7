//! What started a run, under the real daemon: the activation the job
//! engine attached when it queued the start is the run's trigger in the
//! history and its commands' environment, where guessing afterwards from
//! the units around it went wrong (a unit wanted by two starting units, a
//! hook that waits for an ordered unit), a Restart= run keeps its timer's
//! $TRIGGER_* and a live crontab's job names its file and line.
#![allow(clippy::unwrap_used)]

mod daemon_support;

use std::fs;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use daemon_support::{enable, wait_for, Daemon};
use sundial::ipc::{Request, UnitsRequest};

/// `sundial start UNIT` in the background: its job takes a while.
fn start_in_background(d: &Daemon, unit: &str) -> Child {
    Command::new(env!("CARGO_BIN_EXE_sundial"))
        .args(["start", unit])
        .env("SUNDIAL_SOCKET", &d.socket)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

fn triggers(d: &Daemon, unit: &str) -> Vec<String> {
    // Newest first: oldest first reads better.
    let mut labels: Vec<String> = d.history(unit).iter().map(|r| r.trigger.label()).collect();
    labels.reverse();
    labels
}

fn end(mut child: Child) {
    if wait_for(Duration::from_secs(20), || {
        child.try_wait().unwrap().is_some()
    }) {
        return;
    }
    let _ = child.kill();
    let _ = child.wait();
}

/// a.service and b.service both want c.service. While a is still starting,
/// b is started and pulls c in again: that run of c is b's. The guess took
/// the first by name of the starting units that want c, a.
#[test]
fn a_unit_wanted_by_two_starting_units_records_the_one_that_pulled_it() {
    let tmp = tempfile::tempdir().unwrap();
    let mut d = Daemon::new(
        tmp.path(),
        &[
            (
                "a.service",
                "[Unit]\nWants=c.service\n[Service]\nType=oneshot\nExecStart=/bin/sleep 4\n",
            ),
            (
                "b.service",
                "[Unit]\nWants=c.service\n[Service]\nType=oneshot\nExecStart=/bin/sleep 0.2\n",
            ),
            (
                "c.service",
                "[Service]\nType=oneshot\nExecStart=/bin/true\n",
            ),
        ],
    );
    d.start();
    let a = start_in_background(&d, "a.service");
    assert!(
        wait_for(Duration::from_secs(10), || d.finished("c.service").len()
            == 1),
        "c did not run with a: {}",
        d.stderr()
    );
    assert_eq!(d.history("a.service")[0].end_usec, None, "a ended too soon");
    d.start_unit("b.service");
    assert!(
        wait_for(Duration::from_secs(10), || d.finished("c.service").len()
            == 2),
        "c did not run with b: {}",
        d.stderr()
    );
    assert_eq!(d.history("a.service")[0].end_usec, None, "a ended too soon");
    assert_eq!(
        triggers(&d, "c.service"),
        ["dependency:a.service", "dependency:b.service"]
    );
    assert_eq!(triggers(&d, "b.service"), ["manual"]);
    end(a);
}

/// x.service fails; its OnFailure= hook is ordered after slow.service,
/// whose start is still running, so the hook starts seconds later, in
/// another batch of state changes than the failure. The guess looked for
/// the failure in the hook's own batch only and said `manual`; the hook's
/// commands get $MONITOR_* all the same.
#[test]
fn an_on_failure_hook_that_waits_for_an_ordered_unit_records_the_failed_unit() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("monitor");
    let hook = format!(
        "[Unit]\nAfter=slow.service\n[Service]\nType=oneshot\n\
         ExecStart=/bin/sh -c 'echo $MONITOR_UNIT $MONITOR_SERVICE_RESULT $MONITOR_EXIT_STATUS > {}'\n",
        out.display()
    );
    let mut d = Daemon::new(
        tmp.path(),
        &[
            (
                "slow.service",
                "[Service]\nType=oneshot\nExecStart=/bin/sleep 2\n",
            ),
            (
                "x.service",
                "[Unit]\nOnFailure=hook.service\n[Service]\nType=oneshot\nExecStart=/bin/sh -c 'exit 3'\n",
            ),
            ("hook.service", &hook),
        ],
    );
    d.start();
    let slow = start_in_background(&d, "slow.service");
    assert!(
        wait_for(Duration::from_secs(10), || d.history("slow.service").len()
            == 1),
        "slow did not start: {}",
        d.stderr()
    );
    let _ = d.call(Request::Start(UnitsRequest {
        units: vec!["x.service".into()],
    }));
    assert!(
        wait_for(Duration::from_secs(15), || d.finished("hook.service").len()
            == 1),
        "the hook did not run: {}",
        d.stderr()
    );
    let hook_run = &d.history("hook.service")[0];
    let slow_run = &d.history("slow.service")[0];
    assert!(
        hook_run.start_usec >= slow_run.end_usec.expect("slow ended"),
        "the hook did not wait for slow.service"
    );
    assert_eq!(triggers(&d, "hook.service"), ["on-failure:x.service"]);
    assert_eq!(fs::read_to_string(&out).unwrap(), "x.service exit-code 3\n");
    end(slow);
}

/// A live crontab's job: its runs name the crontab file and line, and its
/// command gets the generated timer as $TRIGGER_UNIT, as a timer's service
/// does.
#[test]
fn a_live_crontab_job_records_its_file_and_line() {
    let tmp = tempfile::tempdir().unwrap();
    let crontab = tmp.path().join("crontab");
    fs::write(
        &crontab,
        "# Every second.\n# ticker\n* * * * * * echo \"unit=$TRIGGER_UNIT\"\n",
    )
    .unwrap();
    let mut d = Daemon::new(tmp.path(), &[])
        .arg("--crontab")
        .arg(crontab.to_str().unwrap())
        .arg("--log-stdout");
    d.start();
    assert!(
        wait_for(Duration::from_secs(15), || !d
            .finished("ticker.service")
            .is_empty()),
        "no run: stdout {:?}, stderr {:?}",
        d.stdout(),
        d.stderr()
    );
    let label = format!("crontab:{}:3", crontab.display());
    assert_eq!(triggers(&d, "ticker.service")[0], label);
    assert!(
        wait_for(Duration::from_secs(5), || d
            .stdout()
            .contains("ticker.service: unit=ticker.timer")),
        "stdout {:?}",
        d.stdout()
    );
}

/// A timer's service that fails once: its Restart= run is recorded as
/// `restart` and its commands still get the timer's $TRIGGER_*, as systemd
/// keeps a unit's activation details across automatic restarts.
#[test]
fn a_restart_keeps_the_timers_environment_and_is_recorded_as_restart() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("triggers");
    let service = format!(
        "[Service]\nType=oneshot\nRestart=on-failure\nRestartSec=100ms\n\
         ExecStart=/bin/sh -c 'echo \"$TRIGGER_UNIT $TRIGGER_TIMER_REALTIME_USEC\" >> {0}; \
         test $(wc -l < {0}) -ge 2'\n",
        out.display()
    );
    let mut d = Daemon::new(
        tmp.path(),
        &[
            ("t.service", &service),
            (
                "t.timer",
                "[Timer]\nOnActiveSec=1s\nAccuracySec=1us\n[Install]\nWantedBy=timers.target\n",
            ),
        ],
    );
    enable(&d.units, "timers.target", "t.timer");
    d.start();
    assert!(
        wait_for(Duration::from_secs(15), || d.finished("t.service").len()
            == 2),
        "no restart: {}",
        d.stderr()
    );
    assert_eq!(triggers(&d, "t.service"), ["timer:t.timer", "restart"]);
    let text = fs::read_to_string(&out).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 2, "{text:?}");
    assert!(lines[0].starts_with("t.timer "), "{text:?}");
    assert!(
        lines[0].len() > "t.timer ".len(),
        "no elapse time: {text:?}"
    );
    assert_eq!(lines[0], lines[1], "the restart's environment differs");
}
