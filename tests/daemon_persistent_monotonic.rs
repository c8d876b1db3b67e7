//! `X-Sundial-PersistentMonotonic=yes` in the real daemon, on the manual
//! clock: the last trigger of a monotonic timer survives a restart of the
//! daemon with the boot it happened in (docs/extensions.md). What
//! `OnBootSec=` does across restarts depends on whether the daemon runs in a
//! container (there it counts from the daemon's start, as in systemd), so
//! these tests use `OnUnitActiveSec=` alone; tests/scheduler_persistent.rs
//! covers `OnBootSec=` outside containers.
#![allow(clippy::unwrap_used)]

mod daemon_support;

use std::time::Duration;
use sundial::ipc::UnitsRequest;

use daemon_support::{enable, wait_for, Daemon};
use sundial::ipc::{Request, Response};

/// 2030-01-01 00:00:00 UTC.
const T0: i64 = 1_893_456_000_000_000;
const MINUTE: i64 = 60_000_000;
const HOUR: i64 = 60 * MINUTE;

const SERVICE: &str = "[Service]\nType=oneshot\nExecStart=/bin/true\n";

fn timer(extension: bool) -> String {
    format!(
        "[Timer]\nOnUnitActiveSec=1h\nAccuracySec=1us\n\
         X-Sundial-PersistentMonotonic={extension}\n[Install]\nWantedBy=timers.target\n"
    )
}

/// A daemon over `sync.timer` (with the extension) and `plain.timer`
/// (without), not started.
fn daemon(dir: &std::path::Path) -> Daemon {
    let sync = timer(true);
    let plain = timer(false);
    let d = Daemon::new(
        dir,
        &[
            ("sync.timer", &sync),
            ("sync.service", SERVICE),
            ("plain.timer", &plain),
            ("plain.service", SERVICE),
        ],
    )
    .arg("--clock=manual")
    .env("SUNDIAL_ALLOW_MANUAL_CLOCK", "1")
    .env("TZ", "UTC");
    enable(&d.units, "timers.target", "sync.timer");
    enable(&d.units, "timers.target", "plain.timer");
    d
}

/// Starts `d` at wall time `realtime`, `uptime` after boot `boot`.
fn start(d: Daemon, realtime: i64, uptime: i64, boot: &str) -> Daemon {
    let mut d = d
        .env("SUNDIAL_MANUAL_CLOCK_START", &realtime.to_string())
        .env("SUNDIAL_MANUAL_CLOCK_UPTIME", &uptime.to_string())
        .env("SUNDIAL_MANUAL_CLOCK_BOOT_ID", boot);
    d.start();
    d
}

/// Waits until every run of `unit` has finished; returns how many there are.
fn settled_runs(d: &Daemon, unit: &str) -> usize {
    let mut n = 0;
    let done = wait_for(Duration::from_secs(10), || {
        let all = d.history(unit);
        n = all.len();
        all.iter().all(|r| r.end_usec.is_some())
    });
    assert!(done, "{unit} did not finish: {}", d.stderr());
    n
}

/// Both services run by hand at uptime 10 min; an hour later both timers
/// fire (uptime 70 min, T0 + 1 h), then the daemon stops at uptime 80 min.
fn first_life(dir: &std::path::Path) -> Daemon {
    let mut d = start(daemon(dir), T0, 10 * MINUTE, "boot-a");
    let started = d.call(Request::Start(UnitsRequest {
        units: vec!["sync.service".into(), "plain.service".into()],
    }));
    assert!(!matches!(started, Response::Error { .. }), "{started:?}");
    assert_eq!(settled_runs(&d, "sync.service"), 1);
    assert_eq!(settled_runs(&d, "plain.service"), 1);
    d.clock(&format!("advance {HOUR}"));
    assert_eq!(settled_runs(&d, "sync.service"), 2, "{}", d.stderr());
    assert_eq!(settled_runs(&d, "plain.service"), 2);
    d.clock(&format!("advance {}", 10 * MINUTE));
    assert!(d.terminate());
    d
}

#[test]
fn a_restart_within_one_boot_keeps_the_interval_despite_a_wall_clock_step() {
    let dir = tempfile::tempdir().unwrap();
    let d = first_life(dir.path());
    // Back 10 min later in the same boot; meanwhile the wall clock was
    // stepped 2 h ahead (NTP after a bad RTC). The monotonic stamp still
    // puts the trigger at uptime 70 min: nothing is due until 130 min.
    let d = start(d, T0 + 80 * MINUTE + 2 * HOUR, 90 * MINUTE, "boot-a");
    assert_eq!(settled_runs(&d, "sync.service"), 2, "{}", d.stderr());
    d.clock(&format!("advance {}", 40 * MINUTE - 1));
    assert_eq!(settled_runs(&d, "sync.service"), 2);
    d.clock("advance 1");
    assert_eq!(settled_runs(&d, "sync.service"), 3, "{}", d.stderr());
    // Without the extension the timer has nothing to count from.
    assert_eq!(settled_runs(&d, "plain.service"), 2);
}

#[test]
fn after_a_reboot_a_passed_interval_fires_once_at_start() {
    let dir = tempfile::tempdir().unwrap();
    let d = first_life(dir.path());
    // Rebooted; up 2 min after boot, 3 h after the last trigger: the hour
    // passed while the machine was down, so it fires at once, then hourly.
    let d = start(d, T0 + 4 * HOUR, 2 * MINUTE, "boot-b");
    assert_eq!(settled_runs(&d, "sync.service"), 3, "{}", d.stderr());
    d.clock(&format!("advance {}", HOUR - 1));
    assert_eq!(settled_runs(&d, "sync.service"), 3);
    d.clock("advance 1");
    assert_eq!(settled_runs(&d, "sync.service"), 4);
    // systemd's behaviour: waiting until the unit runs again.
    assert_eq!(settled_runs(&d, "plain.service"), 2);
}

#[test]
fn a_monotonic_reading_ahead_of_the_clock_is_from_another_boot() {
    let dir = tempfile::tempdir().unwrap();
    let d = first_life(dir.path());
    // Same boot id (a container that sees its host's), but the clock reads
    // less than the trigger's: it cannot be the same boot. Measured by the
    // wall clock, 40 min of the hour are left.
    let d = start(d, T0 + 80 * MINUTE, 5 * MINUTE, "boot-a");
    assert_eq!(settled_runs(&d, "sync.service"), 2);
    d.clock(&format!("advance {}", 40 * MINUTE - 1));
    assert_eq!(settled_runs(&d, "sync.service"), 2);
    d.clock("advance 1");
    assert_eq!(settled_runs(&d, "sync.service"), 3, "{}", d.stderr());
}

#[test]
fn a_timer_that_never_fired_has_no_last_trigger() {
    let dir = tempfile::tempdir().unwrap();
    let mut d = start(daemon(dir.path()), T0, MINUTE, "boot-a");
    d.clock(&format!("advance {}", 2 * MINUTE));
    assert!(d.terminate());
    // The start created a realtime stamp; it is no trigger to count from.
    let d = start(d, T0 + 70 * MINUTE, 71 * MINUTE, "boot-a");
    d.clock(&format!("advance {}", 3 * HOUR));
    assert_eq!(settled_runs(&d, "sync.service"), 0, "{}", d.stderr());
}
