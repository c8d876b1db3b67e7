//! Reliability: services that flood their output. The daemon stays small
//! (captured lines wait in a bounded queue, a pipe without room is not read
//! and its writer blocks), keeps its timers and answers its clients between
//! reads, drops what the rate limit says and says how much, keeps the state
//! database within its configured size, and loses nothing below the limit.
//!
//! Bounded mode (CI): 20 MB of output. Long mode
//! (`SUNDIAL_RELIABILITY_LONG=1`): 200 MB, as in the issue. Figures are
//! printed with `reliability:` in front (`--nocapture` shows them).

mod daemon_support;

use std::path::Path;
use std::time::{Duration, Instant};
use sundial::ipc::{ListTimersRequest, LogsRequest, UnitsRequest};

use daemon_support::{enable, Daemon};
use sundial::ipc::client::Client;
use sundial::ipc::{Request, Response};

fn long_mode() -> bool {
    std::env::var("SUNDIAL_RELIABILITY_LONG").is_ok_and(|v| v == "1")
}

/// The most the daemon may have had resident.
const RSS_LIMIT_KIB: u64 = 128 * 1024;

/// `[logs] max_bytes` of the test's daemon: small beside the floods.
const DB_LIMIT: u64 = 8 << 20;

/// Bytes a line of the unlimited flood has (a number and padding).
const NUMBERED_LINE: u64 = 90;

const TICK_TIMER: &str = "\
[Timer]
OnCalendar=*:*:*
AccuracySec=1us
[Install]
WantedBy=timers.target
";

// Once a second is more than the default start limit (5 in 10 s) allows.
const TICK_SERVICE: &str = "\
[Unit]
StartLimitIntervalSec=0
[Service]
Type=oneshot
ExecStart=/bin/true
";

/// `/proc/PID/status`'s VmHWM: the most it has had resident, KiB.
fn peak_rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

fn file_size(path: &Path) -> u64 {
    std::fs::metadata(path).map(|m| m.len()).unwrap_or(0)
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let at = ((sorted.len() - 1) as f64 * p).round() as usize;
    sorted[at]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// `logs -n N [-u UNIT]`: the lines, all frames read.
fn logs(daemon: &Daemon, unit: Option<&str>, n: Option<u64>) -> Vec<String> {
    let client = Client::connect(&daemon.socket).expect("connects");
    client
        .set_timeout(Some(Duration::from_secs(60)))
        .expect("timeout");
    let request = Request::Logs(LogsRequest {
        units: unit.map(|u| vec![u.to_owned()]).unwrap_or_default(),
        follow: false,
        lines: n,
        since_usec: None,
        until_usec: None,
        invocation: None,
        priorities: None,
    });
    let mut lines = Vec::new();
    for response in client.stream(&request).expect("streams") {
        match response.expect("a frame") {
            Response::Logs { lines: batch } => lines.extend(batch.into_iter().map(|l| l.line)),
            other => panic!("logs: {other:?}"),
        }
    }
    lines
}

fn start(daemon: &Daemon, unit: &str) {
    if let Response::Error { message, .. } = daemon.call(Request::Start(UnitsRequest {
        units: vec![unit.into()],
    })) {
        panic!("start {unit}: {message}");
    }
}

fn finished(daemon: &Daemon, unit: &str) -> bool {
    !daemon.finished(unit).is_empty()
}

#[test]
fn a_flood_of_output_leaves_the_daemon_small_on_time_and_within_its_database() {
    let total: u64 = if long_mode() { 200_000_000 } else { 20_000_000 };
    let numbered_lines = total / NUMBERED_LINE;
    let dir = tempfile::tempdir().unwrap();
    // The rate-limited flood: `yes`, 2-byte lines, journald's default limit.
    // `yes` ends by SIGPIPE when `head` has had enough: with systemd's
    // IgnoreSIGPIPE=yes it would print one more line, its EPIPE error.
    let flood = format!(
        "[Service]\nType=oneshot\nIgnoreSIGPIPE=no\nExecStart=/bin/sh -c 'yes | head -c {total}'\n"
    );
    // The flood the rate limit lets through (a burst no window reaches):
    // numbered 90-byte lines that the store takes as fast as it can, the
    // service blocked meanwhile on its full pipe.
    let padding = ".".repeat(NUMBERED_LINE as usize - 10);
    let unlimited = format!(
        "[Service]\nType=oneshot\nLogRateLimitBurst=4000000000\n\
         ExecStart=/usr/bin/seq -f '%%09.0f {padding}' 1 {numbered_lines}\n"
    );
    let mut daemon = Daemon::new(
        dir.path(),
        &[
            ("tick.timer", TICK_TIMER),
            ("tick.service", TICK_SERVICE),
            ("flood.service", &flood),
            ("unlimited.service", &unlimited),
            (
                "numbered.service",
                "[Service]\nType=oneshot\nExecStart=/usr/bin/seq 1 1000\n",
            ),
        ],
    );
    enable(&dir.path().join("units"), "timers.target", "tick.timer");
    let config = dir.path().join("sundial.toml");
    std::fs::write(&config, format!("[logs]\nmax_bytes = {DB_LIMIT}\n")).unwrap();
    daemon = daemon.arg("--config").arg(config.to_str().unwrap());
    daemon.start();
    let db = dir.path().join("state/state.db");
    let wal = dir.path().join("state/state.db-wal");
    assert!(
        daemon_support::wait_for(Duration::from_secs(20), || finished(
            &daemon,
            "tick.service"
        )),
        "the 1-second timer never ran: {}",
        daemon.stderr()
    );

    // First the flood that the store must take line by line, then the one
    // the rate limit cuts: the second's lines, and its suppression line,
    // are then the newest, which retention keeps.
    let started = Instant::now();
    let start_usec = sundial::supervisor::now_realtime().as_usec();
    // `start` of a oneshot service answers when it has run, as systemctl's
    // does: the floods are started from a thread of their own.
    let socket = daemon.socket.clone();
    let starter = std::thread::spawn(move || {
        for unit in ["unlimited.service", "flood.service"] {
            let mut client = Client::connect(&socket).expect("connects");
            client
                .set_timeout(Some(Duration::from_secs(900)))
                .expect("timeout");
            match client.call(&Request::Start(UnitsRequest {
                units: vec![unit.into()],
            })) {
                Ok(Response::Error { message, .. }) => panic!("start {unit}: {message}"),
                Ok(_) => {}
                Err(e) => panic!("start {unit}: {e}"),
            }
        }
    });
    let deadline = started + Duration::from_secs(if long_mode() { 900 } else { 240 });
    let mut list_timers = Vec::new();
    let mut logs_n = Vec::new();
    let mut peak_db = 0u64;
    let mut peak_wal = 0u64;
    let mut turn = 0u64;
    loop {
        let at = Instant::now();
        match daemon.call(Request::ListTimers(ListTimersRequest {
            all: false,
            patterns: vec![],
        })) {
            Response::Timers { .. } => list_timers.push(at.elapsed()),
            other => panic!("list-timers: {other:?}"),
        }
        if turn % 20 == 0 {
            let at = Instant::now();
            let lines = logs(&daemon, None, Some(10));
            logs_n.push(at.elapsed());
            assert!(lines.len() <= 10, "logs -n 10 gave {} lines", lines.len());
        }
        peak_db = peak_db.max(file_size(&db));
        peak_wal = peak_wal.max(file_size(&wal));
        turn += 1;
        if starter.is_finished() {
            starter.join().expect("the floods were started");
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the floods did not end in time: {}",
            daemon.stderr()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let flood_time = started.elapsed();
    let end_usec = sundial::supervisor::now_realtime().as_usec();
    let rss_kib = peak_rss_kib(daemon.pid());

    // The timer kept its elapses meanwhile.
    let ticks = daemon
        .history("tick.service")
        .iter()
        .filter(|r| r.start_usec >= start_usec && r.start_usec <= end_usec)
        .count();
    let secs = flood_time.as_secs_f64();

    peak_db = peak_db.max(file_size(&db));
    list_timers.sort();
    logs_n.sort();
    eprintln!(
        "reliability: {} numbered {NUMBERED_LINE}-byte lines, then `yes` {} MB: {:.1} s; \
         daemon VmHWM {:.1} MiB",
        numbered_lines,
        total / 1_000_000,
        secs,
        rss_kib as f64 / 1024.0
    );
    eprintln!(
        "reliability: list-timers during the flood: {} calls, p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
        list_timers.len(),
        ms(percentile(&list_timers, 0.5)),
        ms(percentile(&list_timers, 0.99)),
        ms(percentile(&list_timers, 1.0))
    );
    eprintln!(
        "reliability: logs -n 10 during the flood: {} calls, p50 {:.1} ms, max {:.1} ms",
        logs_n.len(),
        ms(percentile(&logs_n, 0.5)),
        ms(percentile(&logs_n, 1.0))
    );
    eprintln!("reliability: 1-second timer runs during the flood: {ticks} in {secs:.1} s");
    eprintln!(
        "reliability: database peak {:.2} MiB (limit {:.2} MiB), WAL peak {:.2} MiB",
        peak_db as f64 / 1048576.0,
        DB_LIMIT as f64 / 1048576.0,
        peak_wal as f64 / 1048576.0
    );

    // Both floods ran to their end (the blocked one was read on, not cut).
    for unit in ["flood.service", "unlimited.service"] {
        let run = &daemon.finished(unit)[0];
        assert_eq!(
            run.status,
            Some(sundial::store::ExitStatus::Code(0)),
            "{unit}: {run:?}"
        );
    }
    let flooded = logs(&daemon, Some("flood.service"), None);
    let suppressed = flooded
        .iter()
        .find(|l| l.starts_with("Suppressed ") && l.ends_with(" messages from flood.service"))
        .unwrap_or_else(|| panic!("no suppression line: {:?}", flooded.last()));
    let count = |l: &String| -> Option<u64> {
        l.strip_suffix(" messages from flood.service")?
            .strip_prefix("Suppressed ")?
            .parse()
            .ok()
    };
    assert!(count(suppressed).is_some(), "{suppressed}");
    let dropped: u64 = flooded.iter().filter_map(count).sum();
    let kept = flooded.iter().filter(|l| *l == "y").count() as u64;
    // journald's default: 10,000 lines a window of 30 s; the flood fits in
    // one window unless the machine is very slow.
    assert!(kept >= 10_000, "kept {kept}");
    assert!(kept <= 10_000 * (1 + secs as u64 / 30), "kept {kept}");
    // Every line was kept or counted.
    assert_eq!(kept + dropped, total / 2, "{kept} kept + {dropped} dropped");

    // The unlimited flood lost nothing but its oldest lines to retention: what
    // is stored is an unbroken run up to its last line.
    let stored: Vec<u64> = logs(&daemon, Some("unlimited.service"), None)
        .iter()
        .filter_map(|l| l.split(' ').next().and_then(|n| n.parse().ok()))
        .collect();
    assert_eq!(stored.last().copied(), Some(numbered_lines), "last line");
    assert!(
        stored.windows(2).all(|w| w[1] == w[0] + 1),
        "a gap in the stored lines of unlimited.service"
    );

    // Below the limits nothing is lost, in order.
    start(&daemon, "numbered.service");
    assert!(daemon_support::wait_for(Duration::from_secs(60), || {
        finished(&daemon, "numbered.service")
    }));
    let numbered = daemon.log_lines("numbered.service");
    let expected: Vec<String> = (1..=1000).map(|n| n.to_string()).collect();
    let printed: Vec<String> = numbered
        .iter()
        .filter(|l| l.parse::<u64>().is_ok())
        .cloned()
        .collect();
    assert_eq!(printed, expected);
    eprintln!(
        "reliability: flood.service kept {kept}, suppressed {dropped}; \
         unlimited.service has its last {} lines stored",
        stored.len()
    );

    assert!(
        rss_kib < RSS_LIMIT_KIB,
        "the daemon had {rss_kib} KiB resident"
    );
    // The limit counts the log rows; the runs, the stamps and a page or two
    // of each table come on top.
    assert!(
        peak_db <= DB_LIMIT + DB_LIMIT / 16,
        "the database grew to {peak_db} bytes"
    );
    // The WAL starts over (it grew past 100 MiB when a flood starved the
    // checkpoints).
    assert!(peak_wal <= 32 << 20, "the WAL grew to {peak_wal} bytes");
    // On time: one run per second of the flood, with slack for a busy CI
    // machine (2 cores shared with the floods and the store's writer).
    assert!(
        ticks as f64 >= secs / 2.0 - 2.0,
        "only {ticks} timer runs in {secs:.1} s"
    );
    assert!(daemon.terminate(), "the daemon stops cleanly");
}
