//! The daemon on a manual clock: jumping the wall clock forward and back
//! (what TFD_TIMER_CANCEL_ON_SET reports for the real clock) fires each
//! calendar elapse once, without touching the machine's clock.

mod daemon_support;

use std::time::Duration;

use daemon_support::{enable, wait_for, Daemon};

/// 2030-01-01 00:00:00 UTC.
const DAY: i64 = 1_893_456_000_000_000;
const HOUR: i64 = 3_600_000_000;
const MINUTE: i64 = 60_000_000;

#[test]
fn wall_clock_jumps_fire_each_calendar_elapse_once() {
    let dir = tempfile::tempdir().unwrap();
    let mut d = Daemon::new(
        dir.path(),
        &[
            (
                "hourly.timer",
                "[Timer]\nOnCalendar=*-*-* *:00:00\nAccuracySec=1us\n[Install]\nWantedBy=timers.target\n",
            ),
            (
                "hourly.service",
                "[Unit]\nStartLimitIntervalSec=0\n[Service]\nType=oneshot\nExecStart=/bin/true\n",
            ),
        ],
    )
    .arg("--clock=manual")
    .env("SUNDIAL_ALLOW_MANUAL_CLOCK", "1")
    .env("SUNDIAL_MANUAL_CLOCK_START", &(DAY + 10 * HOUR + 30 * MINUTE).to_string())
    .env("TZ", "UTC");
    enable(&d.units, "timers.target", "hourly.timer");
    d.start();
    let runs = |d: &Daemon| d.history("hourly.service").len();
    assert_eq!(runs(&d), 0);
    let next = d.property(Some("hourly.timer"), "NextElapseUSecRealtime");
    assert!(next.contains("2030-01-01 11:00:00"), "{next}");

    // Forward over three elapses (11:00, 12:00, 13:00): one start.
    assert_eq!(
        d.clock(&format!("set-realtime {}", DAY + 13 * HOUR + 30 * MINUTE)),
        DAY + 13 * HOUR + 30 * MINUTE
    );
    assert_eq!(runs(&d), 1, "{}", d.stderr());
    // While the service runs the timer waits for it; then 14:00 is next.
    assert!(wait_for(Duration::from_secs(10), || d
        .property(Some("hourly.timer"), "NextElapseUSecRealtime")
        .contains("2030-01-01 14:00:00")));

    // Back to 09:30: nothing fires, and 10:00 is next again.
    d.clock(&format!("set-realtime {}", DAY + 9 * HOUR + 30 * MINUTE));
    assert_eq!(runs(&d), 1);
    let next = d.property(Some("hourly.timer"), "NextElapseUSecRealtime");
    assert!(next.contains("2030-01-01 10:00:00"), "{next}");

    // Time passing: 10:00 fires once; nothing until 11:00; 11:00 once.
    d.clock(&format!("advance {}", 30 * MINUTE - 1));
    assert_eq!(runs(&d), 1);
    d.clock("advance 2");
    assert_eq!(runs(&d), 2);
    let idle = |d: &Daemon| {
        wait_for(Duration::from_secs(10), || {
            d.property(Some("hourly.timer"), "SubState") == "waiting"
        })
    };
    assert!(idle(&d));
    d.clock(&format!("advance {}", 59 * MINUTE));
    assert_eq!(runs(&d), 2);
    d.clock(&format!("advance {}", MINUTE));
    assert_eq!(runs(&d), 3);
    assert!(idle(&d));

    // A backwards step by less than an hour does not repeat 11:00.
    d.clock(&format!("set-realtime {}", DAY + 10 * HOUR + 59 * MINUTE));
    d.clock(&format!("advance {}", 2 * MINUTE));
    assert_eq!(
        runs(&d),
        4,
        "systemd fires again once the wall clock passes 11:00 again"
    );
}

#[test]
fn the_manual_clock_needs_the_test_variable() {
    let dir = tempfile::tempdir().unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_sundial"))
        .args(["daemon", "--user", "--clock=manual", "--state-dir"])
        .arg(dir.path())
        .env_remove("SUNDIAL_ALLOW_MANUAL_CLOCK")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("SUNDIAL_ALLOW_MANUAL_CLOCK=1"), "{stderr}");
}
