//! `sundial daemon --metrics-listen`: the Prometheus exposition of runs,
//! results, timers and the daemon, scraped over TCP and a Unix socket,
//! checked by promtool and scraped by a real Prometheus server where they
//! are installed (Debian's `prometheus` package).

// Test helpers: a failure should stop the test loudly.
#![allow(clippy::unwrap_used)]

mod daemon_support;

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::os::unix::fs::PermissionsExt;
use std::os::unix::net::UnixStream;
use std::process::{Command, Stdio};
use std::time::Duration;

use daemon_support::{enable, wait_for, Daemon};
use sundial::ipc::{Request, Response, UnitsRequest};

/// 2030-01-01 00:00:00 UTC.
const DAY: i64 = 1_893_456_000_000_000;
const HOUR: i64 = 3_600_000_000;

const UNITS: &[(&str, &str)] = &[
    (
        "ok.service",
        "[Service]\nType=oneshot\nExecStart=/bin/sh -c 'sleep 0.2'\n",
    ),
    (
        "bad.service",
        "[Service]\nType=oneshot\nExecStart=/bin/sh -c 'exit 3'\n",
    ),
    (
        "tick.timer",
        "[Timer]\nOnCalendar=*-*-* *:00:00\nAccuracySec=1us\n[Install]\nWantedBy=timers.target\n",
    ),
    (
        "tick.service",
        "[Service]\nType=oneshot\nExecStart=/bin/true\n",
    ),
    (
        "later.timer",
        "[Timer]\nOnCalendar=2031-06-01\n[Install]\nWantedBy=timers.target\n",
    ),
    ("later.service", "[Service]\nExecStart=/bin/true\n"),
];

/// An HTTP/1.1 exchange on `stream`: the status line and the body.
fn exchange(mut stream: impl Read + Write, request: &str) -> (String, String) {
    stream.write_all(request.as_bytes()).unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    let (head, body) = response.split_once("\r\n\r\n").expect("a response head");
    (
        head.lines().next().unwrap_or("").to_owned(),
        body.to_owned(),
    )
}

fn get(address: &str, path: &str) -> (String, String) {
    let stream = TcpStream::connect(address).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    exchange(stream, &format!("GET {path} HTTP/1.1\r\nHost: x\r\n\r\n"))
}

/// The address the daemon says it bound (`--metrics-listen 127.0.0.1:0`).
fn bound_address(d: &Daemon) -> String {
    let mut found = None;
    assert!(
        wait_for(Duration::from_secs(10), || {
            found = d
                .stderr()
                .lines()
                .find_map(|l| l.split("metrics: http://").nth(1).map(str::to_owned));
            found.is_some()
        }),
        "no metrics address in: {}",
        d.stderr()
    );
    found.unwrap().trim_end_matches("/metrics").to_owned()
}

fn value(exposition: &str, series: &str) -> Option<f64> {
    exposition
        .lines()
        .find_map(|l| l.strip_prefix(series)?.strip_prefix(' ')?.parse().ok())
}

fn daemon(dir: &std::path::Path, listen: &str) -> Daemon {
    let mut d = Daemon::new(dir, UNITS)
        .arg("--clock=manual")
        .env("SUNDIAL_ALLOW_MANUAL_CLOCK", "1")
        .env("SUNDIAL_MANUAL_CLOCK_START", &(DAY + 10 * HOUR).to_string())
        .env("TZ", "UTC")
        .arg("--metrics-listen")
        .arg(listen);
    enable(&d.units, "timers.target", "tick.timer");
    enable(&d.units, "timers.target", "later.timer");
    d.start();
    d
}

/// `start UNIT` of a unit that fails.
fn start_failing(d: &Daemon, unit: &str) {
    let response = d.call(Request::Start(UnitsRequest {
        units: vec![unit.into()],
    }));
    assert!(matches!(response, Response::Error { .. }), "{response:?}");
}

/// Runs ok (twice), bad and the timer's service once; returns the scrape.
fn run_units(d: &Daemon, address: &str) -> String {
    d.start_unit("ok.service");
    d.start_unit("ok.service");
    start_failing(d, "bad.service");
    d.clock(&format!("set-realtime {}", DAY + 11 * HOUR + 1));
    assert!(wait_for(Duration::from_secs(20), || d
        .finished("tick.service")
        .len()
        == 1));
    assert!(wait_for(Duration::from_secs(20), || d
        .finished("bad.service")
        .len()
        == 1));
    let mut body = String::new();
    assert!(wait_for(Duration::from_secs(20), || {
        body = get(address, "/metrics").1;
        value(
            &body,
            r#"sundial_unit_runs_total{unit="tick.service",result="success"}"#,
        ) == Some(1.0)
    }));
    body
}

#[test]
fn a_scrape_shows_runs_results_durations_and_timers() {
    let dir = tempfile::tempdir().unwrap();
    let d = daemon(dir.path(), "127.0.0.1:0");
    let address = bound_address(&d);
    let body = run_units(&d, &address);
    let expect = [
        (r#"sundial_unit_runs_started_total{unit="ok.service"}"#, 2.0),
        (
            r#"sundial_unit_runs_total{unit="ok.service",result="success"}"#,
            2.0,
        ),
        (
            r#"sundial_unit_runs_total{unit="bad.service",result="exit-code"}"#,
            1.0,
        ),
        (r#"sundial_unit_last_exit_status{unit="bad.service"}"#, 3.0),
        (r#"sundial_unit_last_exit_status{unit="ok.service"}"#, 0.0),
        (r#"sundial_unit_running{unit="ok.service"}"#, 0.0),
        (
            r#"sundial_unit_runs_started_total{unit="tick.service",timer="tick.timer"}"#,
            1.0,
        ),
        (r#"sundial_timer_elapses_total{timer="tick.timer"}"#, 1.0),
        // The manual clock stands still while the services run.
        (
            r#"sundial_unit_run_duration_seconds_count{unit="ok.service"}"#,
            2.0,
        ),
        (
            r#"sundial_unit_run_duration_seconds_bucket{unit="ok.service",le="0.01"}"#,
            2.0,
        ),
        // The next hour's elapse, and the one of the far timer.
        (
            r#"sundial_timer_next_elapse_timestamp_seconds{timer="later.timer"}"#,
            1_938_038_400.0,
        ),
        ("sundial_timers_waiting", 2.0),
    ];
    for (series, want) in expect {
        assert_eq!(value(&body, series), Some(want), "{series} in\n{body}");
    }
    let last = value(
        &body,
        r#"sundial_timer_last_elapse_timestamp_seconds{timer="tick.timer"}"#,
    )
    .unwrap();
    assert!(
        (last - (DAY + 11 * HOUR + 1) as f64 / 1e6).abs() < 1e-5,
        "{last}"
    );
    assert!(value(&body, "sundial_units_loaded").unwrap() >= 6.0);
    assert!(body.contains("sundial_build_info{version=\""));

    // Read-only: no other path, no other method.
    assert_eq!(get(&address, "/metrics/x").0, "HTTP/1.1 404 Not Found");
    let post = exchange(
        TcpStream::connect(&address).unwrap(),
        "POST /metrics HTTP/1.1\r\nContent-Length: 0\r\n\r\n",
    );
    assert_eq!(post.0, "HTTP/1.1 405 Method Not Allowed");
    let head = exchange(
        TcpStream::connect(&address).unwrap(),
        "HEAD /metrics HTTP/1.1\r\n\r\n",
    );
    assert_eq!((head.0.as_str(), head.1.as_str()), ("HTTP/1.1 200 OK", ""));
}

#[test]
fn metrics_on_a_unix_socket_are_the_owners_only_and_time_real_runs() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("metrics.sock");
    let mut d = Daemon::new(dir.path(), UNITS)
        .arg("--metrics-listen")
        .arg(path.to_str().unwrap());
    d.start();
    assert!(wait_for(Duration::from_secs(10), || path.exists()));
    let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    start_failing(&d, "bad.service");
    d.start_unit("ok.service");
    let (status, body) = exchange(
        UnixStream::connect(&path).unwrap(),
        "GET /metrics HTTP/1.0\r\n\r\n",
    );
    assert_eq!(status, "HTTP/1.1 200 OK");
    assert_eq!(
        value(
            &body,
            r#"sundial_unit_runs_total{unit="bad.service",result="exit-code"}"#
        ),
        Some(1.0),
        "{body}"
    );
    // The run sleeps 0.2 s on the real clock.
    let count = r#"sundial_unit_run_duration_seconds_count{unit="ok.service"}"#;
    assert_eq!(value(&body, count), Some(1.0), "{body}");
    let fast = r#"sundial_unit_run_duration_seconds_bucket{unit="ok.service",le="0.1"}"#;
    assert_eq!(value(&body, fast), Some(0.0), "{body}");
    let sum = value(
        &body,
        r#"sundial_unit_run_duration_seconds_sum{unit="ok.service"}"#,
    )
    .unwrap();
    assert!((0.2..60.0).contains(&sum), "{sum}");
    assert!(d.terminate());
    assert!(!path.exists(), "the metrics socket outlived the daemon");
}

#[test]
fn promtool_accepts_the_exposition() {
    if Command::new("promtool").arg("--version").output().is_err() {
        eprintln!("TEST: skipped: promtool not installed (Debian package prometheus)");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let d = daemon(dir.path(), "127.0.0.1:0");
    let address = bound_address(&d);
    let body = run_units(&d, &address);
    let mut check = Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    check
        .stdin
        .take()
        .unwrap()
        .write_all(body.as_bytes())
        .unwrap();
    let out = check.wait_with_output().unwrap();
    assert!(
        out.status.success() && out.stdout.is_empty() && out.stderr.is_empty(),
        "promtool: {}{}\n{body}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A free port on 127.0.0.1 (bound and released).
fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

#[test]
fn a_prometheus_server_scrapes_the_daemon() {
    if Command::new("prometheus")
        .arg("--version")
        .output()
        .is_err()
    {
        eprintln!("TEST: skipped: prometheus not installed (Debian package prometheus)");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let d = daemon(dir.path(), "127.0.0.1:0");
    let address = bound_address(&d);
    run_units(&d, &address);
    let config = dir.path().join("prometheus.yml");
    std::fs::write(
        &config,
        format!(
            "global:\n  scrape_interval: 1s\nscrape_configs:\n  - job_name: sundial\n    static_configs:\n      - targets: ['{address}']\n"
        ),
    )
    .unwrap();
    let web = format!("127.0.0.1:{}", free_port());
    let mut server = Command::new("prometheus")
        .arg(format!("--config.file={}", config.display()))
        .arg(format!(
            "--storage.tsdb.path={}",
            dir.path().join("tsdb").display()
        ))
        .arg(format!("--web.listen-address={web}"))
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(dir.path().join("prometheus.err")).unwrap())
        .spawn()
        .unwrap();
    let query = "/api/v1/query?query=sundial_unit_runs_total%7Bresult%3D%22exit-code%22%7D";
    let mut answer = String::new();
    let scraped = wait_for(Duration::from_secs(60), || {
        answer = TcpStream::connect(&web)
            .map(|s| {
                exchange(
                    s,
                    &format!("GET {query} HTTP/1.1\r\nHost: {web}\r\nConnection: close\r\n\r\n"),
                )
                .1
            })
            .unwrap_or_default();
        answer.contains("bad.service")
    });
    let _ = server.kill();
    let _ = server.wait();
    assert!(
        scraped,
        "Prometheus never had bad.service's failed run: {answer}\n{}",
        std::fs::read_to_string(dir.path().join("prometheus.err")).unwrap_or_default()
    );
    // The target is up: the scrape itself succeeded.
    assert!(answer.contains("\"job\":\"sundial\""), "{answer}");
}

#[test]
fn a_bad_or_busy_address_stops_the_start_with_a_clear_error() {
    let out = Command::new(env!("CARGO_BIN_EXE_sundial"))
        .args(["daemon", "--metrics-listen", "localhost"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("invalid listen address \"localhost\""),
        "{err}"
    );

    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("sundial.toml");
    std::fs::write(&config, "[manager]\nmetrics_listen = \"nowhere\"\n").unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_sundial"))
        .args(["daemon", "--user", "--config"])
        .arg(&config)
        .arg("--state-dir")
        .arg(dir.path().join("state"))
        .arg("--socket")
        .arg(dir.path().join("c.sock"))
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("sundial.toml: manager.metrics_listen"),
        "{err}"
    );

    let busy = TcpListener::bind("127.0.0.1:0").unwrap();
    let taken = busy.local_addr().unwrap().to_string();
    let out = Command::new(env!("CARGO_BIN_EXE_sundial"))
        .args([
            "daemon",
            "--user",
            "--metrics-listen",
            &taken,
            "--state-dir",
        ])
        .arg(dir.path().join("state2"))
        .arg("--socket")
        .arg(dir.path().join("c2.sock"))
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(&format!(
            "cannot listen for metrics on http://{taken}/metrics"
        )),
        "{err}"
    );
}
