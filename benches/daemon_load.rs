//! The daemon under load: start-up time, resident memory, idle wake-ups,
//! elapse lateness at 1,000 elapses per second, and list-timers latency, with
//! 10,000 and 100,000 loaded timers.
//!
//! ```sh
//! cargo bench --bench daemon_load
//! BENCH_SIZES=10000 BENCH_IDLE_SECS=10 BENCH_LOAD_SECS=10 cargo bench --bench daemon_load
//! BENCH_STATE_BASE=/dev/shm cargo bench --bench daemon_load   # state.db on tmpfs
//! BENCH_FAST=100 cargo bench --bench daemon_load   # 100 elapses/s instead of 1,000
//! BENCH_SUNDIAL=/tmp/sundial-old cargo bench --bench daemon_load   # another build
//! BENCH_SETTLE_MS=2000 cargo bench --bench daemon_load   # a pause between list-timers and the load
//! BENCH_FAST_KIND=calendar cargo bench --bench daemon_load   # fast timers at fixed points of each second
//! BENCH_SHAPE=persistent-half cargo bench --bench daemon_load   # Persistent=true, half the timers enabled
//! ```
//!
//! A daemon that does not answer within BENCH_STALL_SECS (default 60) after
//! the load phase is reported as stalled instead of ending the run.
//!
//! Each size gets a fresh directory with N enabled calendar timers (daily, at
//! times spread over the day but none in the next hour, so nothing is due
//! while idle) and their oneshot services, plus 1,000 "fast" timers
//! (OnActiveSec=1s+i ms, OnUnitActiveSec=1s, AccuracySec=1us) that are loaded
//! but started only for the lateness phase. Lateness is what the daemon
//! measures itself: from an elapse's due time to the return of the clone that
//! starts its service, read with `show` (TimerLatenessP50USec...).
//!
//! `BENCH_SHAPE=persistent-half` gives every calendar timer `Persistent=true`
//! and links only the even-numbered half into `timers.target.wants/`, so
//! half of them are loaded but never started (the shape of issue 14's
//! memory figures); `list-timers` then answers with the enabled half.

// A benchmark: a failure should stop it loudly.
#![allow(clippy::unwrap_used)]

use std::fs;
use std::os::unix::fs::symlink;
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use sundial::ipc::{ListTimersRequest, ShowRequest, UnitsRequest};

use sundial::ipc::{Client, Request, Response};

fn env_num(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// `BENCH_SHAPE=persistent-half`: Persistent=true and half the timers enabled.
fn persistent_half() -> bool {
    std::env::var("BENCH_SHAPE").is_ok_and(|v| v == "persistent-half")
}

fn write_units(units: &Path, n: usize, fast: usize) {
    let persistent = persistent_half();
    let wants = units.join("timers.target.wants");
    fs::create_dir_all(&wants).unwrap();
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let day_secs = (now % 86_400) as usize;
    let service = "[Unit]\nStartLimitIntervalSec=0\n[Service]\nType=oneshot\nExecStart=/bin/true\n";
    for i in 0..n {
        // From one hour ahead, spread over the following 22 hours (UTC).
        let t = (day_secs + 3600 + i * 79_200 / n.max(1)) % 86_400;
        let name = format!("idle{i:06}");
        fs::write(
            units.join(format!("{name}.timer")),
            format!(
                "[Timer]\nOnCalendar=*-*-* {:02}:{:02}:{:02} UTC\n{}[Install]\nWantedBy=timers.target\n",
                t / 3600,
                t / 60 % 60,
                t % 60,
                if persistent { "Persistent=true\n" } else { "" },
            ),
        )
        .unwrap();
        fs::write(units.join(format!("{name}.service")), service).unwrap();
        if persistent && i % 2 == 1 {
            continue;
        }
        symlink(
            units.join(format!("{name}.timer")),
            wants.join(format!("{name}.timer")),
        )
        .unwrap();
    }
    // BENCH_FAST_KIND=calendar: each fast timer elapses at a fixed point of every
    // second (`*:*:00.123/1`), in the realtime queue beside the idle timers,
    // so that a delay is not carried into the next second, as it is with
    // OnUnitActiveSec= (which counts from the service's activation).
    let calendar = std::env::var("BENCH_FAST_KIND").is_ok_and(|v| v == "calendar");
    for i in 0..fast {
        let name = format!("fast{i:04}");
        let timer = if calendar {
            format!(
                "[Timer]\nOnCalendar=*:*:00.{:06}/1\nAccuracySec=1us\n",
                i * 1_000_000 / fast.max(1)
            )
        } else {
            format!(
                "[Timer]\nOnActiveSec={}ms\nOnUnitActiveSec=1s\nAccuracySec=1us\n",
                1000 + i
            )
        };
        fs::write(units.join(format!("{name}.timer")), timer).unwrap();
        fs::write(units.join(format!("{name}.service")), service).unwrap();
    }
}

fn call(socket: &Path, request: Request) -> Response {
    try_call(socket, request, Duration::from_secs(300)).unwrap()
}

fn try_call(socket: &Path, request: Request, timeout: Duration) -> Option<Response> {
    let mut client = Client::connect(socket).unwrap();
    client.set_timeout(Some(timeout)).unwrap();
    client.call(&request).ok()
}

fn manager_property(socket: &Path, name: &str) -> String {
    try_manager_property(socket, name, Duration::from_secs(300)).unwrap()
}

fn try_manager_property(socket: &Path, name: &str, timeout: Duration) -> Option<String> {
    match try_call(
        socket,
        Request::Show(ShowRequest {
            units: vec![],
            properties: vec![name.into()],
        }),
        timeout,
    )? {
        Response::Properties { units } => Some(
            units[0]
                .properties
                .first()
                .map(|p| p.value.clone())
                .unwrap_or_default(),
        ),
        other => panic!("{other:?}"),
    }
}

fn proc_status(pid: u32, key: &str) -> u64 {
    // Summed over threads for context switches; VmRSS is per process.
    let mut total = 0;
    let dirs: Vec<PathBuf> = if key == "VmRSS:" {
        vec![PathBuf::from(format!("/proc/{pid}"))]
    } else {
        fs::read_dir(format!("/proc/{pid}/task"))
            .unwrap()
            .flatten()
            .map(|e| e.path())
            .collect()
    };
    for dir in dirs {
        let text = fs::read_to_string(dir.join("status")).unwrap_or_default();
        if let Some(line) = text.lines().find(|l| l.starts_with(key)) {
            total += line
                .split_whitespace()
                .nth(1)
                .and_then(|v| v.parse::<u64>().ok())
                .unwrap_or(0);
        }
    }
    total
}

struct Run {
    child: Child,
}

impl Drop for Run {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn bench(n: usize, fast: usize, idle_secs: u64, load_secs: u64, state_base: &Path) {
    let dir = tempfile::tempdir().unwrap();
    let state_dir = tempfile::tempdir_in(state_base).unwrap();
    let units = dir.path().join("units");
    write_units(&units, n, fast);
    let socket = state_dir.path().join("control.sock");
    let started = Instant::now();
    let binary =
        std::env::var("BENCH_SUNDIAL").unwrap_or_else(|_| env!("CARGO_BIN_EXE_sundial").into());
    let child = Command::new(binary)
        .args(["daemon", "--user", "--unit-dir"])
        .arg(&units)
        .arg("--state-dir")
        .arg(state_dir.path())
        .arg("--socket")
        .arg(&socket)
        .env("HOME", dir.path())
        .env("TZ", "UTC")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let run = Run { child };
    let pid = run.child.id();
    while UnixStream::connect(&socket).is_err() {
        std::thread::sleep(Duration::from_millis(2));
    }
    // Listening comes before loading; the first answer comes after.
    let _ = manager_property(&socket, "NNames");
    let startup = started.elapsed();
    let rss_kib = proc_status(pid, "VmRSS:");
    let active = match call(
        &socket,
        Request::ListTimers(ListTimersRequest {
            all: false,
            patterns: vec![],
        }),
    ) {
        Response::Timers { timers } => timers.len(),
        other => panic!("{other:?}"),
    };
    let enabled = if persistent_half() { n.div_ceil(2) } else { n };
    assert_eq!(active, enabled, "every enabled idle timer is waiting");

    // Idle: nothing due; count loop iterations and context switches.
    std::thread::sleep(Duration::from_millis(200));
    let loops_before: u64 = manager_property(&socket, "LoopIterations").parse().unwrap();
    let ctx_before = proc_status(pid, "voluntary_ctxt_switches:");
    std::thread::sleep(Duration::from_secs(idle_secs));
    let ctx_after = proc_status(pid, "voluntary_ctxt_switches:");
    let loops_after: u64 = manager_property(&socket, "LoopIterations").parse().unwrap();
    // The second `show` itself costs wake-ups (accept, request, reply).
    let idle_loops = loops_after - loops_before;

    let mut latencies: Vec<Duration> = (0..5)
        .map(|_| {
            let t = Instant::now();
            let r = call(
                &socket,
                Request::ListTimers(ListTimersRequest {
                    all: true,
                    patterns: vec![],
                }),
            );
            assert!(matches!(r, Response::Timers { .. }));
            t.elapsed()
        })
        .collect();
    latencies.sort();
    // Optionally let the daemon settle after the listings before the load.
    std::thread::sleep(Duration::from_millis(env_num("BENCH_SETTLE_MS", 0)));

    // Load: `fast` timers each elapsing once a second.
    let load = if fast == 0 {
        "skipped".to_owned()
    } else {
        let names: Vec<String> = (0..fast).map(|i| format!("fast{i:04}.timer")).collect();
        let elapses_before: u64 = manager_property(&socket, "TimerElapses").parse().unwrap();
        assert!(matches!(
            call(&socket, Request::Start(UnitsRequest { units: names })),
            Response::Done { .. }
        ));
        std::thread::sleep(Duration::from_secs(load_secs + 1));
        let stall = Duration::from_secs(env_num("BENCH_STALL_SECS", 60));
        match try_manager_property(&socket, "TimerElapses", stall) {
            None => format!(
                "{fast} timers: stalled (no answer within {} s)",
                stall.as_secs()
            ),
            Some(elapses) => {
                let elapses = elapses.parse::<u64>().unwrap() - elapses_before;
                let p50 = manager_property(&socket, "TimerLatenessP50USec");
                let p99 = manager_property(&socket, "TimerLatenessP99USec");
                let max = manager_property(&socket, "TimerLatenessMaxUSec");
                format!(
                    "{fast} timers: {:.1} elapses/s, p50 {p50} µs, p99 {p99} µs, max {max} µs",
                    elapses as f64 / (load_secs + 1) as f64
                )
            }
        }
    };
    println!(
        "| {n:>7} | {:>7.2} s | {:>6} MiB | {:>3} loops, {:>3} ctxsw in {idle_secs} s | {:>7.1} ms | {load} |",
        startup.as_secs_f64(),
        rss_kib / 1024,
        idle_loops,
        ctx_after - ctx_before,
        latencies[latencies.len() / 2].as_secs_f64() * 1000.0,
    );
}

fn main() {
    // `cargo bench` passes --bench; `cargo test --benches` runs this too, so
    // a quick size keeps that cheap.
    let quick = !std::env::args().any(|a| a == "--bench");
    let sizes: Vec<usize> = std::env::var("BENCH_SIZES")
        .unwrap_or_else(|_| {
            if quick {
                "200".into()
            } else {
                "10000,100000".into()
            }
        })
        .split(',')
        .filter_map(|s| s.trim().parse().ok())
        .collect();
    let idle = env_num("BENCH_IDLE_SECS", if quick { 1 } else { 10 });
    let load = env_num("BENCH_LOAD_SECS", if quick { 1 } else { 10 });
    let base = std::env::var("BENCH_STATE_BASE")
        .map(PathBuf::from)
        .unwrap_or_else(|_| std::env::temp_dir());
    println!("state database under {}", base.display());
    if persistent_half() {
        println!("shape: Persistent=true, half the calendar timers enabled");
    }
    let fast = env_num("BENCH_FAST", 1000) as usize;
    println!("| timers | start-up | RSS | idle wake-ups | list-timers --all (median of 5) | timers elapsing once a second: rate, lateness |");
    println!("|---|---|---|---|---|---|");
    for n in sizes {
        bench(n, fast, idle, load, &base);
    }
}
