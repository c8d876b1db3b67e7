//! `kill -9` of the daemon while runs are in flight: nothing committed is
//! lost, the file stays sound, runs cut off are closed, and a Persistent=
//! timer that missed its elapse while the daemon was down catches up once.

mod daemon_support;

use std::collections::BTreeSet;
use std::time::Duration;

use daemon_support::{enable, wait_for, Daemon};
use sundial::ipc::types::RunRow;
use sundial::store::Store;
use sundial_calendar::{Timespan, Timestamp};

const FAST_TIMER: &str = "\
[Timer]
OnActiveSec=10ms
OnUnitActiveSec=30ms
AccuracySec=1us
[Install]
WantedBy=timers.target
";

// Without StartLimitIntervalSec=0 the start limit (5 starts in 10 s) would
// stop a timer this fast, in sundial as in systemd.
const FAST_SERVICE: &str = "\
[Unit]
StartLimitIntervalSec=0
[Service]
Type=oneshot
ExecStart=/bin/sh -c 'echo run; sleep 0.02'
";

const DAILY_TIMER: &str = "\
[Timer]
OnCalendar=daily
Persistent=true
AccuracySec=1us
[Install]
WantedBy=timers.target
";

const DAILY_SERVICE: &str = "\
[Service]
Type=oneshot
ExecStart=/bin/echo caught up
";

fn finished_ids(runs: &[RunRow]) -> BTreeSet<String> {
    runs.iter()
        .filter(|r| r.end_usec.is_some())
        .map(|r| r.invocation.to_string())
        .collect()
}

#[test]
fn kill_9_loses_no_finished_run_and_persistent_catches_up_once() {
    let dir = tempfile::tempdir().unwrap();
    let mut d = Daemon::new(
        dir.path(),
        &[
            ("fast.timer", FAST_TIMER),
            ("fast.service", FAST_SERVICE),
            ("daily.timer", DAILY_TIMER),
            ("daily.service", DAILY_SERVICE),
        ],
    );
    enable(&d.units, "timers.target", "fast.timer");
    enable(&d.units, "timers.target", "daily.timer");
    d.start();
    assert!(
        wait_for(Duration::from_secs(20), || d.finished("fast.service").len()
            >= 8),
        "{}",
        d.stderr()
    );
    // A run is in flight most of the time (20 ms of every 30 ms); kill in the
    // middle of one.
    assert!(wait_for(Duration::from_secs(5), || d
        .history("fast.service")
        .first()
        .is_some_and(|r| r.end_usec.is_none())));
    let before = finished_ids(&d.history("fast.service"));
    d.kill9();

    let db = d.state.join("state.db");
    let cut_off = {
        let mut store = Store::open(&db).unwrap();
        assert_eq!(store.integrity_check().unwrap(), ["ok"]);
        let stored: Vec<RunRow> = store
            .history(Some("fast.service"), 100_000)
            .unwrap()
            .into_iter()
            .map(RunRow::from)
            .collect();
        let after = finished_ids(&stored);
        let lost: Vec<_> = before.difference(&after).collect();
        assert!(lost.is_empty(), "finished runs lost: {lost:?}");
        // The daily timer stamped its start; pretend its last trigger was two
        // days ago, so that the daemon was down across at least one midnight.
        assert!(store.stamp("daily.timer").unwrap().is_some());
        let now = Timestamp::from_usec(
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_micros() as i64,
        );
        store
            .set_stamp("daily.timer", now - Timespan::from_secs(2 * 86_400))
            .unwrap();
        assert!(store.history(Some("daily.service"), 10).unwrap().is_empty());
        store.in_flight_runs().unwrap()
    };

    d.start();
    assert!(
        wait_for(Duration::from_secs(10), || !d
            .finished("daily.service")
            .is_empty()),
        "{}",
        d.stderr()
    );
    // Once, not once per missed day; and not again.
    std::thread::sleep(Duration::from_millis(200));
    let daily = d.history("daily.service");
    assert_eq!(daily.len(), 1, "{daily:?}");
    assert_eq!(daily[0].trigger.label(), "timer:daily.timer");
    // The run the kill cut off was closed at the restart.
    let store = Store::open(&db).unwrap();
    for run in &cut_off {
        let now = store.run(run.invocation).unwrap().unwrap();
        assert!(now.end.is_some(), "{now:?} is still open");
    }
    if !cut_off.is_empty() {
        assert!(d.stderr().contains("cut off"), "{}", d.stderr());
    }
    assert_eq!(store.integrity_check().unwrap(), ["ok"]);
}
