//! `sundial simulate` end to end, and its agreement with `sundial calendar`
//! on when calendar specs elapse.

use std::fs;
use std::path::Path;
use std::process::Command;

const SPECS: &[&str] = &[
    "daily",
    "hourly",
    "Mon..Fri *-*-* 09:00",
    "*-*-1/5 12:30",
    "Sat *-*-* 23:59:59",
    "*:0/20",
    "*-*-* 02:30",
    "*-02-29 12:00",
    "quarterly",
    "*-*-* 06:00 Asia/Tokyo",
];

const ITERATIONS: usize = 12;

fn sundial(args: &[&str], tz: &str) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_sundial"))
        .args(args)
        .env("TZ", tz)
        .env_remove("SUNDIAL_UNIT_PATH")
        .output()
        .expect("run sundial");
    assert!(
        out.status.success(),
        "sundial {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("utf-8 output")
}

fn write_timers(dir: &Path) {
    for (i, spec) in SPECS.iter().enumerate() {
        let timer = format!("[Timer]\nAccuracySec=1us\nOnCalendar={spec}\n");
        fs::write(dir.join(format!("t{i:02}.timer")), timer).expect("write timer");
    }
}

/// The elapses `sundial calendar` prints: "Next elapse:" and "Iter. #n:" lines.
fn calendar_elapses(spec: &str, base: &str, tz: &str) -> Vec<String> {
    let iterations = format!("--iterations={ITERATIONS}");
    let base = format!("--base-time={base}");
    sundial(&["calendar", &iterations, &base, spec], tz)
        .lines()
        .filter_map(|l| {
            let (key, value) = l.split_once(": ")?;
            let key = key.trim();
            (key == "Next elapse" || key.starts_with("Iter. #")).then(|| value.trim().to_owned())
        })
        .collect()
}

#[test]
fn simulate_agrees_with_calendar() {
    let dir = tempfile::tempdir().expect("temp dir");
    write_timers(dir.path());
    let unit_dir = dir.path().to_str().expect("utf-8 path");
    for tz in ["UTC", "Europe/Berlin"] {
        let base = "2024-02-27 13:14:15";
        let json = sundial(
            &[
                "simulate",
                "--unit-dir",
                unit_dir,
                "--from",
                base,
                "--until",
                "2025-03-01 00:00",
                "--output",
                "json",
            ],
            tz,
        );
        let starts: serde_json::Value = serde_json::from_str(&json).expect("JSON output");
        let starts = starts.as_array().expect("an array");
        for (i, spec) in SPECS.iter().enumerate() {
            let timer = format!("t{i:02}.timer");
            let simulated: Vec<String> = starts
                .iter()
                .filter(|s| s["timer"] == timer.as_str())
                .take(ITERATIONS)
                .map(|s| {
                    // Started on time: no delay applies with AccuracySec=1us.
                    assert_eq!(s["delay_usec"], 0, "{spec}: {s}");
                    s["start"].as_str().expect("start").to_owned()
                })
                .collect();
            // How many elapses fall into the year-long window.
            let in_window = match *spec {
                "*-02-29 12:00" => 1,
                "quarterly" => 4,
                _ => ITERATIONS,
            };
            let calendar = calendar_elapses(spec, base, tz);
            assert_eq!(calendar.len(), ITERATIONS, "{spec}");
            assert_eq!(simulated, calendar[..in_window], "{spec} in {tz}");
        }
    }
}

#[test]
fn simulate_table_shows_triggers_and_delays() {
    let dir = tempfile::tempdir().expect("temp dir");
    fs::write(
        dir.path().join("backup.timer"),
        "[Timer]\nOnCalendar=*-*-* 03:00\nAccuracySec=1us\n",
    )
    .expect("write");
    fs::write(
        dir.path().join("poll.timer"),
        "[Timer]\nOnBootSec=10min\nOnUnitActiveSec=12h\nAccuracySec=1us\n",
    )
    .expect("write");
    let out = sundial(
        &[
            "simulate",
            "--unit-dir",
            dir.path().to_str().expect("utf-8 path"),
            "--from",
            "2024-06-03 00:00",
            "--for",
            "1d",
            "--run-time",
            "1min",
        ],
        "UTC",
    );
    let lines: Vec<&str> = out.lines().collect();
    assert!(lines[0].starts_with("START"), "{out}");
    assert!(
        lines[1]
            .contains("Mon 2024-06-03 00:10:00 UTC  poll.timer    poll.service    OnBootSec=10min"),
        "{out}"
    );
    assert!(
        lines[2].contains(
            "Mon 2024-06-03 03:00:00 UTC  backup.timer  backup.service  OnCalendar=*-*-* 03:00:00"
        ),
        "{out}"
    );
    assert!(
        lines[3].contains(
            "Mon 2024-06-03 12:10:00 UTC  poll.timer    poll.service    OnUnitActiveSec=12h"
        ),
        "{out}"
    );
    assert_eq!(lines.last(), Some(&"3 starts listed."), "{out}");
}

#[test]
fn simulate_rejects_an_unknown_timer() {
    let dir = tempfile::tempdir().expect("temp dir");
    let out = Command::new(env!("CARGO_BIN_EXE_sundial"))
        .args([
            "simulate",
            "--unit-dir",
            dir.path().to_str().expect("path"),
            "nope.timer",
        ])
        .output()
        .expect("run sundial");
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("no timer nope.timer is loaded"));
}
