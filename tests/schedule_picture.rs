//! `sundial simulate --svg`: the schedule as a picture, checked as XML by
//! Python's parser: a mark per start, the RandomizedDelaySec= windows, the
//! expected runs (from --run-time, or the median of a daemon's recorded
//! runs), and the local clock's change.

// Test helpers: a failure should stop the test loudly.
#![allow(clippy::unwrap_used)]

mod daemon_support;

use std::path::Path;
use std::process::Command;

use daemon_support::{write_unit, Daemon};

/// Python's reading of the SVG: the classes of its marks and its texts.
fn inspect(svg: &Path) -> Option<String> {
    let out = Command::new("python3")
        .arg("-c")
        .arg(concat!(
            "import sys, collections, xml.etree.ElementTree as ET\n",
            "root = ET.parse(sys.argv[1]).getroot()\n",
            "ns = '{http://www.w3.org/2000/svg}'\n",
            "assert root.tag == ns + 'svg'\n",
            "c = collections.Counter(e.get('class') for e in root.iter() if e.get('class'))\n",
            "print(dict(sorted(c.items())))\n",
            "for t in root.iter(ns + 'text'): print(t.text)\n",
            "for t in root.iter(ns + 'title'): print(t.text)\n",
        ))
        .arg(svg)
        .output()
        .ok()?;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    Some(String::from_utf8_lossy(&out.stdout).into_owned())
}

#[test]
fn a_week_with_a_clock_change_as_a_picture() {
    let dir = tempfile::tempdir().unwrap();
    let units = dir.path().join("units");
    write_unit(
        &units,
        "backup.timer",
        "[Timer]\nOnCalendar=*-*-* 04:30\nRandomizedDelaySec=45min\n",
    );
    write_unit(&units, "backup.service", "[Service]\nExecStart=/bin/true\n");
    write_unit(
        &units,
        "report.timer",
        "[Timer]\nOnCalendar=Mon..Fri 09:00\n",
    );
    write_unit(&units, "report.service", "[Service]\nExecStart=/bin/true\n");
    let svg = dir.path().join("week.svg");
    let out = Command::new(env!("CARGO_BIN_EXE_sundial"))
        .args([
            "simulate",
            "--from",
            "2026-03-28 00:00",
            "--for",
            "3d",
            "--run-time",
            "20min",
        ])
        .arg("--unit-dir")
        .arg(&units)
        .arg("--svg")
        .arg(&svg)
        .env("TZ", "Europe/Berlin")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let listed = String::from_utf8_lossy(&out.stdout);
    assert!(listed.contains("4 starts listed."), "{listed}");
    let Some(report) = inspect(&svg) else {
        eprintln!("TEST: skipped the XML check: python3 cannot be run");
        return;
    };
    // Three backups with their windows, one report (Monday), each a mark
    // and a run; the legend has one of each besides.
    for class in ["'elapse': 5", "'window': 4", "'run': 5", "'dst': 1"] {
        assert!(report.contains(class), "{class} in {report}");
    }
    assert!(
        report.contains("clocks +1h: local 02:00–03:00 skipped"),
        "{report}"
    );
    assert!(
        report.contains("backup.timer: RandomizedDelaySec=45min"),
        "{report}"
    );
    assert!(report.contains("Run times: --run-time 20min"), "{report}");
}

#[test]
fn expected_runs_come_from_the_recorded_history() {
    let dir = tempfile::tempdir().unwrap();
    let mut d = Daemon::new(
        dir.path(),
        &[
            (
                "job.service",
                "[Service]\nType=oneshot\nExecStart=/bin/sleep 0.3\n",
            ),
            ("job.timer", "[Timer]\nOnCalendar=hourly\n"),
        ],
    );
    d.start();
    d.start_unit("job.service");
    d.start_unit("job.service");
    let svg = dir.path().join("day.svg");
    let out = Command::new(env!("CARGO_BIN_EXE_sundial"))
        .args(["simulate", "--user", "--for", "6h", "--unit-dir"])
        .arg(&d.units)
        .arg("--socket")
        .arg(&d.socket)
        .arg("--svg")
        .arg(&svg)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let Some(report) = inspect(&svg) else {
        eprintln!("TEST: skipped the XML check: python3 cannot be run");
        return;
    };
    assert!(
        report.contains("Run times: median of the recorded runs (1 of 1 units have some)"),
        "{report}"
    );
    assert!(report.contains("job.service runs about "), "{report}");
}

#[test]
fn analyze_schedule_writes_the_picture_to_stdout() {
    let dir = tempfile::tempdir().unwrap();
    let units = dir.path().join("units");
    write_unit(&units, "tick.timer", "[Timer]\nOnCalendar=*:0/30\n");
    write_unit(&units, "tick.service", "[Service]\nExecStart=/bin/true\n");
    let out = Command::new(env!("CARGO_BIN_EXE_sundial"))
        .args([
            "analyze",
            "schedule",
            "--from",
            "2030-01-01 00:00",
            "--for",
            "2h",
            "--unit-dir",
        ])
        .arg(&units)
        .env("TZ", "UTC")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let svg = String::from_utf8_lossy(&out.stdout);
    assert!(
        svg.starts_with("<?xml") && svg.trim_end().ends_with("</svg>"),
        "{svg}"
    );
    // 00:30, 01:00 and 01:30: the window's start and end are not elapses.
    assert!(svg.contains(": 3 starts of 1 timers"), "{svg}");
}
