//! The daemon notices a new local time zone when the zone file is replaced
//! (no daemon-reload): calendar elapses move to the new zone and
//! `OnTimezoneChange=yes` timers fire; with `TZ` set the file does not count.
#![allow(clippy::unwrap_used)]

mod daemon_support;

use std::os::unix::fs::symlink;
use std::path::Path;
use std::time::Duration;

use daemon_support::{enable, wait_for, Daemon};
use sundial::ipc::{Request, Response};

/// 2030-01-01 00:30:00 UTC.
const START: i64 = 1_893_457_800_000_000;

const ZONEINFO: &str = "/usr/share/zoneinfo";

/// Replaces `link` by a symlink to the zone `name`, by rename as
/// timedatectl does.
fn swap(link: &Path, name: &str) {
    let tmp = link.with_extension("new");
    symlink(Path::new(ZONEINFO).join(name), &tmp).unwrap();
    std::fs::rename(&tmp, link).unwrap();
}

fn daemon(dir: &Path) -> Daemon {
    let link = dir.join("etc/localtime");
    std::fs::create_dir_all(link.parent().unwrap()).unwrap();
    symlink(Path::new(ZONEINFO).join("UTC"), &link).unwrap();
    let d = Daemon::new(
        dir,
        &[
            (
                "nine.timer",
                "[Timer]\nOnCalendar=*-*-* 09:00:00\nAccuracySec=1us\n[Install]\nWantedBy=timers.target\n",
            ),
            ("nine.service", "[Service]\nType=oneshot\nExecStart=/bin/true\n"),
            (
                "zone.timer",
                "[Timer]\nOnTimezoneChange=yes\n[Install]\nWantedBy=timers.target\n",
            ),
            ("zone.service", "[Service]\nType=oneshot\nExecStart=/bin/true\n"),
        ],
    )
    .arg("--clock=manual")
    .arg("--localtime")
    .arg(link.to_str().unwrap())
    .env("SUNDIAL_ALLOW_MANUAL_CLOCK", "1")
    .env("SUNDIAL_MANUAL_CLOCK_START", &START.to_string());
    enable(&d.units, "timers.target", "nine.timer");
    enable(&d.units, "timers.target", "zone.timer");
    d
}

fn next_elapse(d: &Daemon) -> String {
    d.property(Some("nine.timer"), "NextElapseUSecRealtime")
}

#[test]
fn replacing_the_zone_file_moves_elapses_and_fires_on_timezone_change() {
    let dir = tempfile::tempdir().unwrap();
    let mut d = daemon(dir.path()).env_remove("TZ");
    d.start();
    let next = next_elapse(&d);
    assert!(next.contains("2030-01-01 09:00:00 UTC"), "{next}");
    assert_eq!(d.history("zone.service").len(), 0);

    // The same zone again is no change; Tokyo (UTC+9) is: it is 09:30 there,
    // so 09:00 comes tomorrow (00:00 UTC), and zone.timer fires once. Events
    // are handled in order, so had the first swap fired, there would be two.
    let link = dir.path().join("etc/localtime");
    swap(&link, "UTC");
    swap(&link, "Asia/Tokyo");
    assert!(
        wait_for(Duration::from_secs(10), || next_elapse(&d)
            .contains("2030-01-02 09:00:00 JST")),
        "{}\n{}",
        next_elapse(&d),
        d.stderr()
    );
    assert!(wait_for(Duration::from_secs(10), || d
        .finished("zone.service")
        .len()
        == 1));
    assert!(d
        .stderr()
        .contains("local time zone changed from UTC to Asia/Tokyo"));
    assert_eq!(d.history("zone.service").len(), 1);
    assert_eq!(d.history("nine.service").len(), 0);

    // The new zone is what elapses count in: 23:30 UTC more is 09:00 JST.
    d.clock(&format!(
        "advance {}",
        23 * 3_600_000_000i64 + 29 * 60_000_000
    ));
    assert_eq!(d.history("nine.service").len(), 0);
    d.clock(&format!("advance {}", 60_000_000));
    assert_eq!(d.history("nine.service").len(), 1);

    // Removing the file is not taken for UTC (ln -sf may unlink first);
    // the zone written next is.
    std::fs::remove_file(&link).unwrap();
    std::fs::copy(Path::new(ZONEINFO).join("UTC"), &link).unwrap();
    assert!(
        wait_for(Duration::from_secs(10), || d.finished("zone.service").len()
            == 2),
        "{}",
        d.stderr()
    );
    assert!(d.terminate());
    let stderr = d.stderr();
    assert_eq!(
        stderr.matches("local time zone changed").count(),
        2,
        "{stderr}"
    );
}

#[test]
fn with_tz_set_the_zone_file_does_not_count() {
    let dir = tempfile::tempdir().unwrap();
    let mut d = daemon(dir.path()).env("TZ", "UTC");
    d.start();
    swap(&dir.path().join("etc/localtime"), "Asia/Tokyo");
    // Not even daemon-reload reads the file while TZ is set.
    assert!(matches!(
        d.call(Request::DaemonReload),
        Response::Done { .. }
    ));
    let next = next_elapse(&d);
    assert!(next.contains("2030-01-01 09:00:00 UTC"), "{next}");
    assert_eq!(d.history("zone.service").len(), 0);
    assert!(!d.stderr().contains("local time zone changed"));
}
