//! What a Prometheus scrape costs at 10,000 and 100,000 timers.
//!
//! ```sh
//! cargo bench --bench metrics_scrape
//! BENCH_SIZES=100000 BENCH_SCRAPES=10 cargo bench --bench metrics_scrape
//! ```
//!
//! Two parts per size:
//! - **render**: the exposition of N units that each ran twice and N
//!   timers that each elapsed once, built with the daemon's own `Metrics`
//!   (the work a scrape does off the event loop): time per unit and bytes.
//! - **daemon**: a real `sundial daemon --metrics-listen 127.0.0.1:0` over N
//!   enabled calendar timers and their services; scrapes over HTTP (median
//!   wall time, bytes), and the event loop's longest turn (the daemon's
//!   `LoopTurnMaxUSec`, read twice before the first scrape, since the
//!   reading is a turn too, and after the last): whether a scrape held up
//!   the loop longer than anything before it.

// A benchmark: a failure should stop it loudly.
#![allow(clippy::unwrap_used)]

use std::fs;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::os::unix::fs::symlink;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use sundial::daemon::metrics::{exposition, DaemonFigures, Metrics, RunEnded, RunStarted};
use sundial::ipc::{Client, Request, Response, ShowRequest};
use sundial::store::{ExitStatus, RunResult};
use sundial_calendar::Timestamp;

fn env_num(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn render_bench(n: usize) {
    let mut m = Metrics::default();
    let at = |s: i64| Timestamp::from_usec(1_900_000_000_000_000 + s * 1_000_000);
    for i in 0..n {
        let unit = format!("job{i:06}.service");
        let timer = format!("job{i:06}.timer");
        for run in 0..2 {
            m.run_started(&RunStarted {
                unit: unit.clone(),
                at: at(run * 100),
                timer: Some(timer.clone()),
            });
            m.run_ended(&RunEnded {
                unit: unit.clone(),
                at: at(run * 100 + (i % 50) as i64),
                result: if run == 0 {
                    RunResult::Success
                } else {
                    RunResult::ExitCode
                },
                status: Some(ExitStatus::Code(run as i32)),
                ran: true,
            });
        }
        m.timer_elapsed(&timer, Some(Duration::from_micros(200)));
    }
    let mut times = Vec::new();
    let mut snapshot_times = Vec::new();
    let mut bytes = 0;
    for _ in 0..5 {
        let began = Instant::now();
        let snapshot = m.snapshot(Vec::new(), DaemonFigures::default());
        snapshot_times.push(began.elapsed());
        let began = Instant::now();
        let mut out = String::new();
        exposition::render(&snapshot, &mut out);
        times.push(began.elapsed());
        bytes = out.len();
    }
    times.sort();
    snapshot_times.sort();
    let median = times[times.len() / 2];
    println!(
        "render  {n:>7} units: snapshot {:>8.1} µs, render {:>8.1} ms ({:.2} µs/unit), {:.1} MiB",
        snapshot_times[2].as_secs_f64() * 1e6,
        median.as_secs_f64() * 1e3,
        median.as_secs_f64() * 1e6 / n as f64,
        bytes as f64 / (1 << 20) as f64,
    );
}

fn write_units(units: &Path, n: usize) {
    let wants = units.join("timers.target.wants");
    fs::create_dir_all(&wants).unwrap();
    let service = "[Service]\nType=oneshot\nExecStart=/bin/true\n";
    for i in 0..n {
        let name = format!("job{i:06}");
        // Daily, spread over the day, never within the bench's minute.
        fs::write(
            units.join(format!("{name}.timer")),
            format!(
                "[Timer]\nOnCalendar=2040-01-01 {:02}:{:02}:00 UTC\n[Install]\nWantedBy=timers.target\n",
                i % 24,
                i / 24 % 60
            ),
        )
        .unwrap();
        fs::write(units.join(format!("{name}.service")), service).unwrap();
        symlink(
            units.join(format!("{name}.timer")),
            wants.join(format!("{name}.timer")),
        )
        .unwrap();
    }
}

struct Run(Child);

impl Drop for Run {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn longest_turn(socket: &Path) -> u64 {
    let mut client = Client::connect(socket).unwrap();
    let Response::Properties { units } = client
        .call(&Request::Show(ShowRequest {
            units: vec![],
            properties: vec!["LoopTurnMaxUSec".into()],
        }))
        .unwrap()
    else {
        panic!("no properties");
    };
    units[0].properties[0].value.parse().unwrap()
}

fn daemon_bench(n: usize, scrapes: usize) {
    let dir = tempfile::tempdir().unwrap();
    let units = dir.path().join("units");
    write_units(&units, n);
    let socket = dir.path().join("control.sock");
    let err = dir.path().join("daemon.err");
    let _daemon = Run(Command::new(env!("CARGO_BIN_EXE_sundial"))
        .args([
            "daemon",
            "--user",
            "--metrics-listen",
            "127.0.0.1:0",
            "--unit-dir",
        ])
        .arg(&units)
        .arg("--state-dir")
        .arg(dir.path().join("state"))
        .arg("--socket")
        .arg(&socket)
        .env("HOME", dir.path())
        .stdout(Stdio::null())
        .stderr(fs::File::create(&err).unwrap())
        .spawn()
        .unwrap());
    let began = Instant::now();
    let address = loop {
        assert!(
            began.elapsed() < Duration::from_secs(300),
            "the daemon did not start"
        );
        let text = fs::read_to_string(&err).unwrap_or_default();
        if let Some(a) = text
            .lines()
            .find_map(|l| l.split("metrics: http://").nth(1))
        {
            if Client::connect(&socket).is_ok() {
                break a.trim_end_matches("/metrics").to_owned();
            }
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    // The start-up's own long turns are over once the socket answers; the
    // first `show` is a turn of its own (its manager figures count the
    // timers), so the second reading is the one to compare with.
    longest_turn(&socket);
    let before = longest_turn(&socket);
    let mut times = Vec::new();
    let mut bytes = 0;
    for _ in 0..scrapes {
        let began = Instant::now();
        let mut stream = TcpStream::connect(&address).unwrap();
        stream
            .write_all(b"GET /metrics HTTP/1.1\r\nHost: bench\r\n\r\n")
            .unwrap();
        let mut body = Vec::new();
        stream.read_to_end(&mut body).unwrap();
        times.push(began.elapsed());
        bytes = body.len();
    }
    let after = longest_turn(&socket);
    times.sort();
    println!(
        "daemon  {n:>7} timers: scrape median {:>7.1} ms ({:.2} µs/timer), {:.1} MiB; \
         longest loop turn before scrapes {:.1} ms, after {scrapes} {:.1} ms",
        times[times.len() / 2].as_secs_f64() * 1e3,
        times[times.len() / 2].as_secs_f64() * 1e6 / n as f64,
        bytes as f64 / (1 << 20) as f64,
        before as f64 / 1e3,
        after as f64 / 1e3,
    );
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let sizes: Vec<usize> = std::env::var("BENCH_SIZES")
        .unwrap_or_else(|_| "10000,100000".into())
        .split(',')
        .filter_map(|s| s.trim().parse().ok())
        .collect();
    let scrapes = env_num("BENCH_SCRAPES", 5) as usize;
    for n in sizes {
        render_bench(n);
        daemon_bench(n, scrapes);
    }
}
