//! The read-only dashboard (`--http-listen`): its pages over plain HTTP,
//! and rendered by a real browser (headless Chromium, Debian's `chromium`
//! package) whose DOM is checked: the timers by name, a failed run marked
//! failed. A screenshot is written where `SUNDIAL_DASHBOARD_SCREENSHOT`
//! names a file.

// Test helpers: a failure should stop the test loudly.
#![allow(clippy::unwrap_used)]

mod daemon_support;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::Command;
use std::time::Duration;

use daemon_support::{enable, wait_for, Daemon};
use sundial::ipc::{Request, Response, UnitsRequest};

const UNITS: &[(&str, &str)] = &[
    (
        "backup.timer",
        // Every six hours: whatever the time of the test, elapses (and
        // their delay windows) fall inside the schedule's next 24 hours.
        // Once a day at 03:00 left none there between 03:00 and 03:30
        // when the delay drawn put tomorrow's past the window's end.
        "[Timer]\nOnCalendar=*-*-* 00/6:00\nRandomizedDelaySec=30min\n[Install]\nWantedBy=timers.target\n",
    ),
    (
        "backup.service",
        "[Service]\nType=oneshot\nExecStart=/bin/sh -c 'echo copying; echo disk full >&2; exit 4'\n",
    ),
    (
        "report.timer",
        "[Timer]\nOnCalendar=hourly\n[Install]\nWantedBy=timers.target\n",
    ),
    (
        "report.service",
        "[Service]\nType=oneshot\nExecStart=/bin/echo report done\n",
    ),
];

fn get(address: &str, path: &str) -> (String, String) {
    let mut stream = TcpStream::connect(address).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    stream
        .write_all(format!("GET {path} HTTP/1.1\r\nHost: x\r\n\r\n").as_bytes())
        .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    let (head, body) = response.split_once("\r\n\r\n").unwrap();
    (head.lines().next().unwrap().to_owned(), body.to_owned())
}

fn dashboard() -> (tempfile::TempDir, Daemon, String) {
    let dir = tempfile::tempdir().unwrap();
    let mut d = Daemon::new(dir.path(), UNITS)
        .arg("--http-listen")
        .arg("0")
        .env("TZ", "UTC");
    enable(&d.units, "timers.target", "backup.timer");
    enable(&d.units, "timers.target", "report.timer");
    d.start();
    let failed = d.call(Request::Start(UnitsRequest {
        units: vec!["backup.service".into()],
    }));
    assert!(matches!(failed, Response::Error { .. }), "{failed:?}");
    d.start_unit("report.service");
    let mut address = None;
    assert!(wait_for(Duration::from_secs(10), || {
        address = d.stderr().lines().find_map(|l| {
            l.split("dashboard: http://")
                .nth(1)
                .map(|a| a.trim_end_matches('/').to_owned())
        });
        address.is_some()
    }));
    (dir, d, address.unwrap())
}

#[test]
fn the_pages_show_timers_runs_lines_and_the_schedule() {
    let (_dir, _d, address) = dashboard();
    assert!(
        address.starts_with("127.0.0.1:"),
        "a port alone is on the loopback: {address}"
    );
    let (status, page) = get(&address, "/");
    assert_eq!(status, "HTTP/1.1 200 OK");
    assert!(
        page.contains("<td>backup.timer</td>") && page.contains("<td>report.timer</td>"),
        "{page}"
    );
    assert_eq!(
        page.matches("<tr class=\"run failed\">").count(),
        1,
        "{page}"
    );
    assert_eq!(
        page.matches("<tr class=\"run success\">").count(),
        1,
        "{page}"
    );
    let (status, unit) = get(&address, "/unit/backup.service");
    assert_eq!(status, "HTTP/1.1 200 OK");
    assert!(
        unit.contains("disk full") && unit.contains("exit 4"),
        "{unit}"
    );
    let (status, svg) = get(&address, "/schedule.svg");
    assert_eq!(status, "HTTP/1.1 200 OK");
    assert!(
        svg.contains(">backup.timer<") && svg.contains("RandomizedDelaySec=30min"),
        "{svg}"
    );
    // Read-only, and nothing else is served.
    assert_eq!(get(&address, "/nothing").0, "HTTP/1.1 404 Not Found");
    let mut post = TcpStream::connect(&address).unwrap();
    post.write_all(b"POST /unit/backup.service HTTP/1.1\r\nContent-Length: 0\r\n\r\n")
        .unwrap();
    let mut answer = String::new();
    post.read_to_string(&mut answer).unwrap();
    assert!(answer.starts_with("HTTP/1.1 405"), "{answer}");
}

#[test]
fn chromium_renders_the_dashboard() {
    let Some(browser) = ["chromium", "chromium-browser", "google-chrome"]
        .into_iter()
        .find(|b| {
            Command::new(b)
                .arg("--version")
                .output()
                .is_ok_and(|o| o.status.success())
        })
    else {
        eprintln!("TEST: skipped: no Chromium (Debian package chromium)");
        return;
    };
    let (dir, _d, address) = dashboard();
    let profile = dir.path().join("chromium-profile");
    let run = |extra: &[&str]| {
        Command::new(browser)
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--no-first-run",
            ])
            .arg(format!("--user-data-dir={}", profile.display()))
            .args(extra)
            .arg(format!("http://{address}/"))
            .output()
            .unwrap()
    };
    let dom = run(&["--dump-dom"]);
    let dom_text = String::from_utf8_lossy(&dom.stdout);
    assert!(
        dom.status.success(),
        "{}",
        String::from_utf8_lossy(&dom.stderr)
    );
    // The DOM as the browser built it: a table row per timer, the failed
    // run marked, the picture in place.
    assert!(dom_text.contains("<td>backup.timer</td>"), "{dom_text}");
    assert!(dom_text.contains("<td>report.timer</td>"), "{dom_text}");
    assert!(
        dom_text.contains("<tr class=\"run failed\">") && dom_text.contains("exit-code"),
        "{dom_text}"
    );
    assert!(
        dom_text.contains("<img src=\"/schedule.svg\""),
        "{dom_text}"
    );
    if let Ok(file) = std::env::var("SUNDIAL_DASHBOARD_SCREENSHOT") {
        let shot = run(&["--window-size=1280,900", &format!("--screenshot={file}")]);
        assert!(
            shot.status.success(),
            "{}",
            String::from_utf8_lossy(&shot.stderr)
        );
        eprintln!("TEST: screenshot in {file}");
    }
}
