//! The control socket under bursts and hostile clients (issue 13, items 4,
//! 6 and 8): a burst of timers due in the same second records each run's
//! own start and does not hold the socket; idle connections of another user
//! do not lock root out; one huge request does not stall everyone.
//!
//! Bounded mode runs in CI; `SUNDIAL_RELIABILITY_LONG=1` runs the issue's
//! sizes (10,000 timers). Latencies are printed (`reliability:` lines), and
//! only structural facts are asserted: the socket answered *while* a burst
//! or a large request was in progress.
#![allow(clippy::unwrap_used)]

mod daemon_support;

use std::collections::HashMap;
use std::fs;
use std::io::{BufRead, BufReader, Read, Write};
use std::os::unix::fs::PermissionsExt;
use std::os::unix::net::UnixStream;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use sundial::ipc::{HistoryRequest, ListTimersRequest, LogsRequest};

use daemon_support::{enable, wait_for, Daemon};
use sundial::ipc::{Client, Request, Response};

fn long_mode() -> bool {
    std::env::var_os("SUNDIAL_RELIABILITY_LONG").is_some_and(|v| v == "1")
}

fn now_usec() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("after 1970")
        .as_micros() as i64
}

/// Latencies of one client's requests: (answered at, realtime µs; took).
#[derive(Default)]
struct Probe {
    samples: Vec<(i64, Duration)>,
}

impl Probe {
    fn report(&self, what: &str) {
        self.report_between(what, i64::MIN, i64::MAX);
    }

    /// The latencies of the answers that came between `from` and `to`
    /// (realtime µs).
    fn report_between(&self, what: &str, from: i64, to: i64) {
        let mut took: Vec<Duration> = self
            .samples
            .iter()
            .filter(|(at, _)| *at >= from && *at <= to)
            .map(|s| s.1)
            .collect();
        took.sort();
        let max = took.last().copied().unwrap_or_default();
        let p99 = took
            .get((took.len() * 99 / 100).min(took.len().saturating_sub(1)))
            .copied()
            .unwrap_or_default();
        eprintln!(
            "reliability: {what}: {} answers, max {:.1} ms, p99 {:.1} ms",
            took.len(),
            max.as_secs_f64() * 1e3,
            p99.as_secs_f64() * 1e3
        );
    }

    /// Answers that came strictly inside (from, to), realtime µs.
    fn answered_within(&self, from: i64, to: i64) -> usize {
        self.samples
            .iter()
            .filter(|(at, _)| *at > from && *at < to)
            .count()
    }
}

/// Calls `list-timers PATTERNS` in a loop until `stop`, one connection per
/// call as the CLI does; every answer must be a timer list.
fn poll_list_timers(
    socket: std::path::PathBuf,
    patterns: Vec<String>,
    stop: Arc<AtomicBool>,
) -> thread::JoinHandle<Probe> {
    thread::spawn(move || {
        let mut probe = Probe::default();
        while !stop.load(Ordering::Relaxed) {
            let began = Instant::now();
            let mut client = Client::connect(&socket).expect("connects");
            client
                .set_timeout(Some(Duration::from_secs(60)))
                .expect("timeout");
            let response = client
                .call(&Request::ListTimers(ListTimersRequest {
                    all: false,
                    patterns: patterns.clone(),
                }))
                .expect("answers");
            assert!(
                matches!(response, Response::Timers { .. }),
                "list-timers: {response:?}"
            );
            probe.samples.push((now_usec(), began.elapsed()));
            thread::sleep(Duration::from_millis(10));
        }
        probe
    })
}

// ---- (a) a burst of timers due in the same second ------------------------

/// A whole second far enough ahead for the daemon to load `n` timers: its
/// realtime µs and its `OnCalendar=` spelling in UTC.
fn due_for(n: usize) -> (i64, String) {
    // Room for writing the files and loading them on a busy machine: an
    // elapse that passes before the daemon has scheduled it is skipped
    // (no Persistent=), and the test would see no run at all.
    let margin = 10 + (n / 1_000) as i64 * 5;
    let due = (now_usec() / 1_000_000 + margin) * 1_000_000;
    let when = Command::new("date")
        .args([
            "-u",
            "-d",
            &format!("@{}", due / 1_000_000),
            "+%Y-%m-%d %H:%M:%S UTC",
        ])
        .output()
        .expect("date runs");
    let when = String::from_utf8(when.stdout).expect("utf-8");
    (due, when.trim().to_owned())
}

#[test]
fn a_burst_of_timers_records_each_runs_own_start_and_keeps_the_socket_answering() {
    let n: usize = if long_mode() { 10_000 } else { 1_000 };
    let dir = tempfile::tempdir().unwrap();
    let mut d = Daemon::new(dir.path(), &[]).env("TZ", "UTC");
    let (due, when) = due_for(n);
    let when = when.as_str();
    for i in 0..n {
        daemon_support::write_unit(
            &d.units,
            &format!("b{i:05}.timer"),
            &format!(
                "[Timer]\nOnCalendar={when}\nAccuracySec=1us\n[Install]\nWantedBy=timers.target\n"
            ),
        );
        // The process's pid (the kernel hands them out in spawn order) and
        // its own reading of the clock, to compare the recorded start with.
        daemon_support::write_unit(
            &d.units,
            &format!("b{i:05}.service"),
            "[Service]\nType=oneshot\nExecStart=/bin/bash -c 'echo $$$$ $$EPOCHREALTIME'\n",
        );
        enable(&d.units, "timers.target", &format!("b{i:05}.timer"));
    }
    d.start();
    assert!(
        now_usec() < due,
        "the daemon took too long to load {n} timers; nothing to measure"
    );
    // The socket is up before the daemon has scheduled every timer: the
    // probe measures the burst, not the start-up.
    d.call(Request::ListTimers(ListTimersRequest {
        all: false,
        patterns: vec!["b00000.timer".into()],
    }));
    let stop = Arc::new(AtomicBool::new(false));
    // One timer's line: the request walks every timer, but its answer is
    // small, so what is measured is how soon the loop gets to it.
    let poller = poll_list_timers(
        d.socket.clone(),
        vec!["b00000.timer".into()],
        Arc::clone(&stop),
    );
    let all_runs = |d: &Daemon| match d.call(Request::History(HistoryRequest {
        unit: None,
        limit: Some(n as u32 * 2),
    })) {
        Response::Runs { runs } => runs,
        other => panic!("history: {other:?}"),
    };
    let done = wait_for(Duration::from_secs(60 + n as u64 / 50), || {
        // Not too often: a history of every run is a large answer itself.
        thread::sleep(Duration::from_millis(1_000));
        let runs = all_runs(&d);
        runs.len() == n && runs.iter().all(|r| r.end_usec.is_some())
    });
    stop.store(true, Ordering::Relaxed);
    let probe = poller.join().expect("the poller ran");
    if !done {
        let runs = all_runs(&d);
        let open: Vec<&str> = runs
            .iter()
            .filter(|r| r.end_usec.is_none())
            .map(|r| r.unit.as_str())
            .collect();
        panic!(
            "not every run finished: {} runs of {n}, {} without an end (first: {:?}); {}",
            runs.len(),
            open.len(),
            open.iter().take(5).collect::<Vec<_>>(),
            d.stderr()
        );
    }
    let runs = all_runs(&d);
    assert_eq!(runs.len(), n, "one run per timer");

    let starts: Vec<i64> = runs.iter().map(|r| r.start_usec).collect();
    let first = *starts.iter().min().expect("runs");
    let last = *starts.iter().max().expect("runs");
    let distinct = {
        let mut s = starts.clone();
        s.sort_unstable();
        s.dedup();
        s.len()
    };
    eprintln!(
        "reliability: burst of {n}: starts {:.3} s late to {:.3} s late, spread {:.3} s, {distinct} distinct start_usec",
        (first - due) as f64 / 1e6,
        (last - due) as f64 / 1e6,
        (last - first) as f64 / 1e6
    );
    probe.report(&format!(
        "list-timers b00000.timer, whole run, burst of {n}"
    ));
    probe.report_between(
        &format!("list-timers b00000.timer from the due time to the last start of a burst of {n}"),
        due,
        last,
    );
    eprintln!(
        "reliability: burst of {n}: the longest loop turn took {:.1} ms",
        d.property(None, "LoopTurnMaxUSec")
            .parse::<f64>()
            .unwrap_or(f64::NAN)
            / 1e3
    );
    assert!(
        starts.iter().all(|s| *s >= due),
        "a start before the due time"
    );
    assert!(distinct > 1, "every run has the same start_usec {first}");

    // Each process read the clock after it was spawned: the recorded start
    // is at or before that reading (a batch's common time is not).
    let mut own: HashMap<String, (i64, i64)> = HashMap::new();
    let client = Client::connect(&d.socket).unwrap();
    client.set_timeout(Some(Duration::from_secs(60))).unwrap();
    let request = Request::Logs(LogsRequest {
        units: vec![],
        follow: false,
        lines: None,
        since_usec: None,
        until_usec: None,
        invocation: None,
        priorities: None,
    });
    for response in client.stream(&request).expect("streams") {
        if let Response::Logs { lines } = response.expect("a frame") {
            for l in lines {
                let mut words = l.line.split_whitespace();
                let pid = words.next().and_then(|w| w.parse::<i64>().ok());
                let at = words
                    .next()
                    .and_then(|w| w.parse::<f64>().ok())
                    .map(|s| (s * 1e6).round() as i64);
                if let (Some(pid), Some(at)) = (pid, at) {
                    own.insert(l.unit, (pid, at));
                }
            }
        }
    }
    assert_eq!(own.len(), n, "every service printed its pid and clock");
    let late = runs
        .iter()
        .filter(|r| r.start_usec > own[&r.unit].1)
        .count();
    assert_eq!(late, 0, "runs recorded as starting after their process ran");
    // In the order of the recorded starts, the pids go up: the kernel hands
    // them out in spawn order (cyclically, wrapping at pid_max), so a start
    // recorded out of spawn order shows as a pid going back.
    let pid_max: i64 = fs::read_to_string("/proc/sys/kernel/pid_max")
        .ok()
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(32_768);
    let mut by_start: Vec<(i64, i64)> = runs
        .iter()
        .map(|r| (r.start_usec, own[&r.unit].0))
        .collect();
    by_start.sort_unstable();
    for pair in by_start.windows(2) {
        let ((t0, pid0), (t1, pid1)) = (pair[0], pair[1]);
        let forward = (pid1 - pid0).rem_euclid(pid_max) < pid_max / 2;
        assert!(
            t0 == t1 || forward,
            "pid {pid0} recorded as starting at {t0}, before pid {pid1} at {t1}, but spawned after it"
        );
    }

    // The socket answered while the burst was being started: the starts are
    // spread over several loop turns with requests served in between.
    let during = probe.answered_within(first, last);
    eprintln!("reliability: burst of {n}: {during} list-timers answered between the first and the last start");
    assert!(
        during >= 2 || last - first < 100_000,
        "no request was answered during {:.3} s of starting",
        (last - first) as f64 / 1e6
    );
}

// ---- (b) idle connections of another user --------------------------------

/// Whether `setpriv` and python3 can act as `nobody` here.
fn can_be_nobody() -> bool {
    nix::unistd::geteuid().is_root()
        && Command::new("setpriv")
            .args([
                "--reuid=65534",
                "--regid=65534",
                "--clear-groups",
                "/usr/bin/python3",
                "-c",
                "pass",
            ])
            .status()
            .is_ok_and(|s| s.success())
}

/// Opens `count` connections to `socket` as `nobody` and holds them idle
/// until stdin closes; prints how many connected.
const HOLD_IDLE: &str = r#"
import socket, sys
conns = []
for _ in range(int(sys.argv[2])):
    s = socket.socket(socket.AF_UNIX)
    try:
        s.connect(sys.argv[1])
    except OSError:
        break
    conns.append(s)
print(len(conns), flush=True)
sys.stdin.read()
"#;

fn as_nobody(script: &str, args: &[&str]) -> Child {
    Command::new("setpriv")
        .args([
            "--reuid=65534",
            "--regid=65534",
            "--clear-groups",
            "/usr/bin/python3",
            "-c",
            script,
        ])
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("setpriv and python3 run")
}

fn first_line(child: &mut Child) -> String {
    let mut line = String::new();
    BufReader::new(child.stdout.as_mut().expect("piped"))
        .read_line(&mut line)
        .expect("reads");
    line.trim().to_owned()
}

/// Makes the test's directories reachable for `nobody`.
fn open_to_others(d: &Daemon) {
    for p in [d.dir.as_path(), d.state.as_path()] {
        fs::set_permissions(p, fs::Permissions::from_mode(0o755)).unwrap();
    }
}

/// Calls `list-timers` `count` times as root; returns the latencies.
fn root_calls(d: &Daemon, count: usize) -> Probe {
    let mut probe = Probe::default();
    for _ in 0..count {
        let began = Instant::now();
        let response = d.call(Request::ListTimers(ListTimersRequest {
            all: true,
            patterns: vec![],
        }));
        assert!(
            matches!(response, Response::Timers { .. }),
            "root was refused: {response:?}"
        );
        probe.samples.push((now_usec(), began.elapsed()));
    }
    probe
}

#[test]
fn idle_connections_of_another_user_do_not_lock_out_root() {
    if !can_be_nobody() {
        eprintln!(
            "reliability: skipped: needs root, setpriv and /usr/bin/python3 to act as nobody"
        );
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let mut d = Daemon::new(
        dir.path(),
        &[("a.service", "[Service]\nExecStart=/bin/true\n")],
    )
    .system();
    d.start();
    open_to_others(&d);
    let socket = d.socket.to_str().unwrap().to_owned();
    let mut holder = as_nobody(HOLD_IDLE, &[&socket, "200"]);
    let held: usize = first_line(&mut holder).parse().expect("a count");
    eprintln!("reliability: nobody holds {held} idle connections");
    // Root is answered at once, over and over, while they are held.
    let probe = root_calls(&d, 20);
    probe.report("root's list-timers while nobody holds 200 idle connections");
    drop(holder.stdin.take());
    let _ = holder.wait();
}

#[test]
fn a_connection_that_sends_nothing_is_closed_after_the_first_request_deadline() {
    let dir = tempfile::tempdir().unwrap();
    let mut d = Daemon::new(dir.path(), &[]);
    d.start();
    let mut idle = UnixStream::connect(&d.socket).unwrap();
    idle.set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    let began = Instant::now();
    let mut buf = [0u8; 64];
    let n = idle.read(&mut buf).expect("closed, not timed out");
    eprintln!(
        "reliability: an idle connection was closed after {:.2} s ({n} bytes)",
        began.elapsed().as_secs_f64()
    );
    assert!(
        began.elapsed() < Duration::from_secs(15),
        "held for {:?}",
        began.elapsed()
    );
    // A connection that sends half a request is closed too.
    let mut half = UnixStream::connect(&d.socket).unwrap();
    half.set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    half.write_all(&[0, 0, 1, 0, b'{']).unwrap();
    let began = Instant::now();
    let _ = half.read(&mut buf);
    assert!(
        began.elapsed() < Duration::from_secs(15),
        "held for {:?}",
        began.elapsed()
    );
    // Ordinary clients are served as before.
    root_calls(&d, 3);
}

#[test]
fn a_user_daemon_serves_its_owner_while_others_knock() {
    if !can_be_nobody() {
        eprintln!(
            "reliability: skipped: needs root, setpriv and /usr/bin/python3 to act as nobody"
        );
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let mut d = Daemon::new(dir.path(), &[]);
    d.start();
    open_to_others(&d);
    // A socket left open to everyone by mistake: others reach the daemon
    // and are turned away without taking its owner's places.
    fs::set_permissions(&d.socket, fs::Permissions::from_mode(0o666)).unwrap();
    let socket = d.socket.to_str().unwrap().to_owned();
    let mut holder = as_nobody(HOLD_IDLE, &[&socket, "200"]);
    let held: usize = first_line(&mut holder).parse().expect("a count");
    eprintln!("reliability: user mode: nobody connected {held} times");
    let probe = root_calls(&d, 20);
    probe.report("the owner's list-timers while nobody knocks 200 times");
    drop(holder.stdin.take());
    let _ = holder.wait();
}

// ---- (c) one large request ------------------------------------------------

/// Sends a `status` naming `argv[2]` units as one request and reads the
/// answer; prints the answer's size and the time it took.
const LARGE_STATUS: &str = r#"
import json, socket, struct, sys, time
names = ['n-%05d.service' % i for i in range(int(sys.argv[2]))]
body = json.dumps({'version': 1, 'request': {'type': 'status', 'units': names, 'lines': 0}}).encode()
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
print(len(body), time.time(), flush=True)
s.sendall(struct.pack('>I', len(body)) + body)
head = b''
while len(head) < 4:
    head += s.recv(4 - len(head))
n = struct.unpack('>I', head)[0]
data = b''
while len(data) < n:
    data += s.recv(1 << 20)
print(n, time.time(), data[:60].decode(errors='replace'), flush=True)
"#;

#[test]
fn a_large_status_from_another_user_does_not_stall_root() {
    if !can_be_nobody() {
        eprintln!(
            "reliability: skipped: needs root, setpriv and /usr/bin/python3 to act as nobody"
        );
        return;
    }
    let names = 50_000;
    let dir = tempfile::tempdir().unwrap();
    let mut d = Daemon::new(
        dir.path(),
        &[
            (
                "t.timer",
                "[Timer]\nOnCalendar=daily\n[Install]\nWantedBy=timers.target\n",
            ),
            ("t.service", "[Service]\nExecStart=/bin/true\n"),
        ],
    )
    .system();
    enable(&d.units, "timers.target", "t.timer");
    d.start();
    open_to_others(&d);
    let socket = d.socket.to_str().unwrap().to_owned();
    let stop = Arc::new(AtomicBool::new(false));
    let poller = poll_list_timers(d.socket.clone(), vec![], Arc::clone(&stop));
    thread::sleep(Duration::from_millis(200));
    let mut sender = as_nobody(LARGE_STATUS, &[&socket, &names.to_string()]);
    let sent = first_line(&mut sender);
    let answered = first_line(&mut sender);
    stop.store(true, Ordering::Relaxed);
    let probe = poller.join().expect("the poller ran");
    let _ = sender.wait();
    let secs = |line: &str| -> i64 {
        let t: f64 = line
            .split_whitespace()
            .nth(1)
            .expect("a time")
            .parse()
            .expect("seconds");
        (t * 1e6) as i64
    };
    let (from, to) = (secs(&sent), secs(&answered));
    eprintln!(
        "reliability: status of {names} names from nobody: request {} bytes, answered in {:.2} s: {}",
        sent.split_whitespace().next().unwrap_or("?"),
        (to - from) as f64 / 1e6,
        answered.split_whitespace().skip(2).collect::<Vec<_>>().join(" ")
    );
    probe.report(&format!(
        "root's list-timers during a status of {names} names"
    ));
    let during = probe.answered_within(from, to);
    eprintln!(
        "reliability: {during} of root's list-timers answered while the status was worked on"
    );
    assert!(
        answered.contains("status") || answered.contains("error"),
        "nobody's status got no answer: {answered}"
    );
    assert!(
        during >= 3,
        "root was not served while the large status was worked on"
    );
}

/// A `kill -9` while a burst is being started loses no run of a
/// `Persistent=` timer: a start the kill cut off left the timer's previous
/// stamp, so the next daemon catches it up; one that was made is recorded
/// and not made again.
#[test]
fn a_kill_during_a_burst_loses_no_persistent_run() {
    let n: usize = if long_mode() { 4_000 } else { 800 };
    let dir = tempfile::tempdir().unwrap();
    let mut d = Daemon::new(dir.path(), &[]).env("TZ", "UTC");
    let (due, when) = due_for(n);
    for i in 0..n {
        daemon_support::write_unit(
            &d.units,
            &format!("p{i:05}.timer"),
            &format!(
                "[Timer]\nOnCalendar={when}\nPersistent=true\nAccuracySec=1us\n[Install]\nWantedBy=timers.target\n"
            ),
        );
        daemon_support::write_unit(
            &d.units,
            &format!("p{i:05}.service"),
            "[Service]\nType=oneshot\nExecStart=/bin/true\n",
        );
        enable(&d.units, "timers.target", &format!("p{i:05}.timer"));
    }
    d.start();
    let runs = |d: &Daemon| match d.call(Request::History(HistoryRequest {
        unit: None,
        limit: Some(n as u32 * 4),
    })) {
        Response::Runs { runs } => runs,
        other => panic!("history: {other:?}"),
    };
    // Wait until the burst is under way, then kill the daemon in it.
    let under_way = wait_for(Duration::from_secs(90), || {
        now_usec() > due && !runs(&d).is_empty()
    });
    assert!(under_way, "the burst did not begin: {}", d.stderr());
    d.kill9();
    d.start();
    let done = wait_for(Duration::from_secs(60 + n as u64 / 20), || {
        thread::sleep(Duration::from_millis(500));
        let mut seen: HashMap<String, usize> = HashMap::new();
        for r in runs(&d) {
            *seen.entry(r.unit).or_default() += 1;
        }
        seen.len() == n
    });
    let mut seen: HashMap<String, usize> = HashMap::new();
    for r in runs(&d) {
        *seen.entry(r.unit.clone()).or_default() += 1;
    }
    let twice = seen.values().filter(|c| **c > 1).count();
    eprintln!(
        "reliability: kill -9 during a burst of {n} Persistent= timers: {} of {n} ran, {twice} twice",
        seen.len()
    );
    assert!(done, "{} of {n} timers ran: a kill lost runs", seen.len());
    assert_eq!(twice, 0, "a run made before the kill was made again");
}
