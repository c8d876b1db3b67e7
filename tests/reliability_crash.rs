//! Reliability: `kill -9` of the daemon while services run. The restarted
//! daemon adopts what still runs as the same invocation, so that exactly
//! one copy of each service runs after every restart and none after a clean
//! stop; it ends a run cut off mid-chain; and it leaves alone a process that
//! was given a recorded pid since. A service that writes to its captured
//! stdout lives through the kills (no SIGPIPE) and its lines go on being
//! stored under the same invocation; a stop of an adopted run ends when its
//! last process does.
//!
//! Bounded mode: 5 kills (3 for the output). `SUNDIAL_RELIABILITY_LONG=1`:
//! 100 (20 for the output).

mod daemon_support;

use std::path::Path;
use std::time::{Duration, Instant};
use sundial::ipc::{LogsRequest, UnitsRequest};

use daemon_support::{enable, wait_for, Daemon};
use sundial::ipc::types::{LogLine, RunRow};
use sundial::ipc::{Client, Request, Response};
use sundial::store::{ProcessRole, RunResult, Store, Stream};

fn long_mode() -> bool {
    std::env::var("SUNDIAL_RELIABILITY_LONG").is_ok_and(|v| v == "1")
}

/// A `sleep` argument no other test (or engineer) on the machine uses:
/// 1000 seconds and a fraction made of this process's id and a counter.
fn marker(n: u32) -> String {
    format!("1000.{}{n:02}", std::process::id())
}

/// The living processes whose command line is exactly `sleep MARKER`.
fn copies(marker: &str) -> Vec<i32> {
    running(b"sleep", marker.as_bytes())
}

/// The living processes whose command line is exactly two words, the
/// first ending in `program`, the second `arg`.
fn running(program: &[u8], arg: &[u8]) -> Vec<i32> {
    let mut found = Vec::new();
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return found;
    };
    for entry in dir.filter_map(Result::ok) {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|n| n.parse::<i32>().ok())
        else {
            continue;
        };
        // A zombie's command line is empty.
        let Ok(cmdline) = std::fs::read(entry.path().join("cmdline")) else {
            continue;
        };
        let args: Vec<&[u8]> = cmdline
            .split(|b| *b == 0)
            .filter(|a| !a.is_empty())
            .collect();
        if args.len() == 2 && args[0].ends_with(program) && args[1] == arg {
            found.push(pid);
        }
    }
    found
}

fn open_runs(runs: &[RunRow]) -> usize {
    runs.iter().filter(|r| r.end_usec.is_none()).count()
}

/// Ends processes this test is responsible for, whoever their parent is now.
fn kill_all(pids: &[i32]) {
    for pid in pids {
        let _ = nix::sys::signal::kill(
            nix::unistd::Pid::from_raw(*pid),
            nix::sys::signal::Signal::SIGKILL,
        );
    }
}

/// Kills what is left of the test's markers when the test ends, also when
/// it fails half-way (the adopted processes are nobody's children).
struct Cleanup(Vec<String>);

impl Drop for Cleanup {
    fn drop(&mut self) {
        for m in &self.0 {
            kill_all(&copies(m));
            kill_all(&running(b"sh", m.as_bytes()));
        }
    }
}

fn simple_unit(marker: &str) -> String {
    format!("[Service]\nType=simple\nExecStart=/bin/sleep {marker}\n[Install]\nWantedBy=default.target\n")
}

fn job_units(marker: &str) -> (String, String) {
    (
        "[Timer]\nOnActiveSec=1ms\nAccuracySec=1us\n[Install]\nWantedBy=timers.target\n".to_owned(),
        format!("[Service]\nType=oneshot\nExecStart=/bin/sleep {marker}\n"),
    )
}

#[test]
fn every_kill_9_is_followed_by_adoption_and_exactly_one_copy_runs() {
    let kills = if long_mode() { 100 } else { 5 };
    let dir = tempfile::tempdir().unwrap();
    let (daemon_m, job_m) = (marker(1), marker(2));
    let _cleanup = Cleanup(vec![daemon_m.clone(), job_m.clone()]);
    let (timer, job) = job_units(&job_m);
    let mut d = Daemon::new(
        dir.path(),
        &[
            ("daemon.service", &simple_unit(&daemon_m)),
            ("job.timer", &timer),
            ("job.service", &job),
        ],
    );
    enable(&d.units, "default.target", "daemon.service");
    enable(&d.units, "timers.target", "job.timer");
    d.start();
    assert!(
        wait_for(Duration::from_secs(20), || copies(&daemon_m).len() == 1
            && copies(&job_m).len() == 1),
        "{}",
        d.stderr()
    );
    let first = (d.history("daemon.service"), d.history("job.service"));
    assert_eq!((first.0.len(), first.1.len()), (1, 1));
    let main_pid = d.property(Some("daemon.service"), "MainPID");
    let job_pid = d.property(Some("job.service"), "MainPID");
    assert_eq!(main_pid, copies(&daemon_m)[0].to_string());

    let mut restart_ms = Vec::new();
    for kill in 1..=kills {
        d.kill9();
        let t0 = Instant::now();
        d.start();
        // The first answer comes from the event loop, after the takeover
        // and the default targets' starts.
        let runs = (d.history("daemon.service"), d.history("job.service"));
        restart_ms.push(t0.elapsed().as_secs_f64() * 1e3);
        // Long enough for the job's timer (OnActiveSec=1ms) to elapse and
        // find its service active.
        std::thread::sleep(Duration::from_millis(50));
        let (a, b) = (copies(&daemon_m), copies(&job_m));
        assert_eq!(
            (a.len(), b.len()),
            (1, 1),
            "after kill {kill}: {a:?} {b:?}\n{}",
            d.stderr()
        );
        // One invocation, going on: no run per kill.
        for (runs, first) in [(&runs.0, &first.0), (&runs.1, &first.1)] {
            assert_eq!(runs.len(), 1, "after kill {kill}: {runs:?}");
            assert_eq!(runs[0].invocation, first[0].invocation);
            assert_eq!(open_runs(runs), 1);
        }
        assert_eq!(d.property(Some("daemon.service"), "MainPID"), main_pid);
        assert_eq!(d.property(Some("job.service"), "MainPID"), job_pid);
        assert_eq!(
            d.property(Some("daemon.service"), "InvocationID"),
            first.0[0].invocation.to_string()
        );
        assert_eq!(d.property(Some("daemon.service"), "ActiveState"), "active");
        assert_eq!(d.property(Some("job.service"), "SubState"), "start");
    }
    restart_ms.sort_by(f64::total_cmp);
    eprintln!(
        "reliability: {kills} kill -9 + restart cycles, restart to first answer median {:.1} ms, max {:.1} ms",
        restart_ms[restart_ms.len() / 2],
        restart_ms[restart_ms.len() - 1]
    );

    // The job ends on its own: the adopted run is closed as `unknown`
    // (the daemon is not its parent and cannot read its status).
    kill_all(&copies(&job_m));
    assert!(
        wait_for(Duration::from_secs(10), || open_runs(
            &d.history("job.service")
        ) == 0),
        "{}",
        d.stderr()
    );
    let job_runs = d.history("job.service");
    assert_eq!(job_runs.len(), 1);
    assert_eq!(job_runs[0].result, Some(RunResult::Unknown));
    assert_eq!(job_runs[0].status, None);
    assert_eq!(d.property(Some("job.service"), "ActiveState"), "inactive");

    // `stop` reaches the adopted process; then a clean stop of the daemon.
    d.stop_unit("daemon.service");
    assert!(
        wait_for(Duration::from_secs(10), || copies(&daemon_m).is_empty()),
        "{}",
        d.stderr()
    );
    assert_eq!(
        d.history("daemon.service")[0].result,
        Some(RunResult::Unknown)
    );
    assert!(d.terminate(), "{}", d.stderr());
    assert_eq!((copies(&daemon_m).len(), copies(&job_m).len()), (0, 0));
}

#[test]
fn a_clean_stop_after_kills_leaves_no_copy() {
    let kills = if long_mode() { 20 } else { 3 };
    let dir = tempfile::tempdir().unwrap();
    let m = marker(3);
    let _cleanup = Cleanup(vec![m.clone()]);
    let mut d = Daemon::new(dir.path(), &[("daemon.service", &simple_unit(&m))]);
    enable(&d.units, "default.target", "daemon.service");
    d.start();
    assert!(wait_for(Duration::from_secs(20), || copies(&m).len() == 1));
    for _ in 0..kills {
        // The first kill may come before the start's rows were committed:
        // then the new daemon ends that copy and starts one of its own,
        // which takes a moment to exec.
        d.kill9();
        d.start();
        assert_eq!(d.history("daemon.service").len(), 1);
        assert!(
            wait_for(Duration::from_secs(10), || copies(&m).len() == 1),
            "{:?}\n{}",
            copies(&m),
            d.stderr()
        );
        std::thread::sleep(Duration::from_millis(20));
        assert_eq!(copies(&m).len(), 1, "{}", d.stderr());
    }
    // SIGTERM: the daemon stops its services, the adopted one included.
    assert!(d.terminate(), "{}", d.stderr());
    assert!(
        wait_for(Duration::from_secs(5), || copies(&m).is_empty()),
        "left running: {:?}",
        copies(&m)
    );
}

/// Rewrites the recorded pid of `unit`'s main process in a stopped
/// daemon's database.
fn record_pid(db: &Path, unit: &str, pid: i32) {
    let mut store = Store::open(db).expect("the stopped daemon's database opens");
    let mut rows: Vec<_> = store
        .run_processes()
        .expect("its process rows read")
        .into_iter()
        .filter(|r| r.unit == unit)
        .collect();
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!(rows[0].role, ProcessRole::Main);
    rows[0].pid = pid;
    store
        .set_run_processes(unit, &rows)
        .expect("the rewritten row is stored");
}

#[test]
fn a_recorded_pid_given_to_another_process_is_neither_adopted_nor_signalled() {
    let dir = tempfile::tempdir().unwrap();
    let (m, decoy_m) = (marker(4), marker(5));
    let _cleanup = Cleanup(vec![m.clone(), decoy_m.clone()]);
    let mut d = Daemon::new(dir.path(), &[("daemon.service", &simple_unit(&m))]);
    enable(&d.units, "default.target", "daemon.service");
    d.start();
    assert!(wait_for(Duration::from_secs(20), || copies(&m).len() == 1));
    let old = d.history("daemon.service");
    d.kill9();
    // The service's process ends while no daemon runs, and its pid goes
    // to an unrelated process (here: the row is pointed at one, which
    // started later than the recorded start time).
    kill_all(&copies(&m));
    assert!(wait_for(Duration::from_secs(5), || copies(&m).is_empty()));
    let mut decoy = std::process::Command::new("sleep")
        .arg(&decoy_m)
        .spawn()
        .unwrap();
    record_pid(
        &d.state.join("state.db"),
        "daemon.service",
        decoy.id() as i32,
    );

    d.start();
    let runs = d.history("daemon.service");
    // The old run is closed as cut off, without an exit status; the unit,
    // wanted by default.target, runs again under a new invocation.
    let closed = runs
        .iter()
        .find(|r| r.invocation == old[0].invocation)
        .unwrap();
    assert_eq!(closed.result, Some(RunResult::DaemonCrash));
    assert_eq!(closed.status, None);
    assert!(wait_for(Duration::from_secs(10), || copies(&m).len() == 1));
    assert_ne!(
        d.property(Some("daemon.service"), "MainPID"),
        decoy.id().to_string()
    );
    assert!(d.stderr().contains("another process now"), "{}", d.stderr());
    // The decoy was not signalled, neither now nor by the clean stop.
    assert!(d.terminate());
    assert_eq!(decoy.try_wait().unwrap(), None, "the decoy was killed");
    decoy.kill().unwrap();
    decoy.wait().unwrap();
}

#[test]
fn a_run_cut_off_mid_chain_is_ended_and_recorded_as_such() {
    let dir = tempfile::tempdir().unwrap();
    let (main_m, post_m) = (marker(6), marker(7));
    let _cleanup = Cleanup(vec![main_m.clone(), post_m.clone()]);
    // ExecStartPost= never ends: the run stays in start-post.
    let unit = format!(
        "[Service]\nType=simple\nExecStart=/bin/sleep {main_m}\nExecStartPost=/bin/sleep {post_m}\nTimeoutStartSec=infinity\n"
    );
    let mut d = Daemon::new(dir.path(), &[("chain.service", &unit)]);
    d.start();
    // `start` waits for the start job; send it without waiting.
    let socket = d.socket.clone();
    std::thread::spawn(move || {
        if let Ok(mut c) = sundial::ipc::Client::connect(&socket) {
            let _ = c.set_timeout(Some(Duration::from_secs(2)));
            let _ = c.call(&Request::Start(UnitsRequest {
                units: vec!["chain.service".into()],
            }));
        }
    });
    assert!(wait_for(Duration::from_secs(20), || copies(&main_m).len()
        == 1
        && copies(&post_m).len() == 1));
    let old = d.history("chain.service");
    d.kill9();
    d.start();
    // Both processes get SIGTERM; nothing starts the unit again.
    assert!(
        wait_for(Duration::from_secs(10), || copies(&main_m).is_empty()
            && copies(&post_m).is_empty()),
        "{}",
        d.stderr()
    );
    assert!(wait_for(Duration::from_secs(10), || open_runs(
        &d.history("chain.service")
    ) == 0));
    let runs = d.history("chain.service");
    assert_eq!(runs.len(), 1, "{runs:?}");
    assert_eq!(runs[0].invocation, old[0].invocation);
    assert_eq!(runs[0].result, Some(RunResult::DaemonCrash));
    assert_eq!(runs[0].status, None);
    assert_eq!(d.property(Some("chain.service"), "ActiveState"), "inactive");
    assert!(d.terminate());
}

#[test]
fn processes_started_in_the_turn_the_daemon_was_killed_in_are_ended() {
    let dir = tempfile::tempdir().unwrap();
    let m = marker(8);
    let _cleanup = Cleanup(vec![m.clone()]);
    let mut d = Daemon::new(dir.path(), &[("daemon.service", &simple_unit(&m))]);
    enable(&d.units, "default.target", "daemon.service");
    d.start();
    assert!(wait_for(Duration::from_secs(20), || copies(&m).len() == 1));
    let old = d.history("daemon.service");
    let old_pid = copies(&m)[0];
    d.kill9();
    // What a kill between the spawn and the end of that loop turn leaves:
    // a process of the daemon's, and neither its run nor its process rows.
    {
        let conn = rusqlite::Connection::open(d.state.join("state.db")).unwrap();
        conn.execute_batch("DELETE FROM runs; DELETE FROM run_processes;")
            .unwrap();
    }
    d.start();
    assert!(
        wait_for(Duration::from_secs(10), || copies(&m) != [old_pid]
            && copies(&m).len() == 1),
        "{:?}\n{}",
        copies(&m),
        d.stderr()
    );
    assert!(d.stderr().contains("did not record"), "{}", d.stderr());
    let runs = d.history("daemon.service");
    assert_eq!(runs.len(), 1);
    assert_ne!(runs[0].invocation, old[0].invocation);
    assert!(d.terminate());
    assert!(copies(&m).is_empty());
}

#[test]
fn an_adopted_run_is_handed_over_by_daemon_reexec() {
    let dir = tempfile::tempdir().unwrap();
    let m = marker(9);
    let _cleanup = Cleanup(vec![m.clone()]);
    let mut d = Daemon::new(dir.path(), &[("daemon.service", &simple_unit(&m))]);
    enable(&d.units, "default.target", "daemon.service");
    d.start();
    assert!(wait_for(Duration::from_secs(20), || copies(&m).len() == 1));
    // Answered after the commit of the run and its processes.
    assert_eq!(open_runs(&d.history("daemon.service")), 1);
    d.kill9();
    d.start();
    let adopted = d.history("daemon.service");
    assert_eq!(open_runs(&adopted), 1);
    // The connection ends with the exec, as `sundial daemon-reexec` expects.
    let mut client = sundial::ipc::Client::connect(&d.socket).unwrap();
    let _ = client.call(&Request::DaemonReexec);
    assert!(wait_for(Duration::from_secs(10), || d
        .stderr()
        .contains("re-executed:")));
    assert_eq!(
        d.property(Some("daemon.service"), "MainPID"),
        copies(&m)[0].to_string()
    );
    // Its end is still seen through the watch, and still has no status.
    kill_all(&copies(&m));
    assert!(
        wait_for(Duration::from_secs(10), || open_runs(
            &d.history("daemon.service")
        ) == 0),
        "{}",
        d.stderr()
    );
    let runs = d.history("daemon.service");
    assert_eq!(runs[0].invocation, adopted[0].invocation);
    assert_eq!(runs[0].result, Some(RunResult::Unknown));
    assert_eq!(runs[0].status, None);
    assert!(d.terminate());
}

/// Every captured line of `unit`, with its invocation, in the log's order.
fn logs(d: &Daemon, unit: &str) -> Vec<LogLine> {
    let client = Client::connect(&d.socket).expect("connects");
    let request = Request::Logs(LogsRequest {
        units: vec![unit.into()],
        follow: false,
        lines: None,
        since_usec: None,
        until_usec: None,
        invocation: None,
        priorities: None,
    });
    let mut lines = Vec::new();
    for response in client.stream(&request).expect("streams") {
        match response.expect("a frame") {
            Response::Logs { lines: batch } => lines.extend(batch),
            other => panic!("logs: {other:?}"),
        }
    }
    lines
}

/// The numbers of the `PREFIX-N` lines among `lines` from `stream`, in
/// the log's order.
fn numbers(lines: &[LogLine], prefix: &str, stream: Stream) -> Vec<u64> {
    lines
        .iter()
        .filter(|l| l.stream == stream)
        .filter_map(|l| l.line.strip_prefix(prefix)?.split(' ').next()?.parse().ok())
        .collect()
}

/// A service that writes numbered lines every 50 ms, for ever: `PREFIX-N`
/// on stdout, and as `err-N` on stderr too when `stderr` (then a pipe of
/// its own, StandardError=journal); or, when `flood`, lines of 2 KB every
/// 10 ms, which fill the pipe's buffer (64 KiB) while no daemon runs.
struct Talker {
    unit: &'static str,
    /// Its script's path: the shell running it is found by its command
    /// line.
    script: String,
    prefix: &'static str,
    stderr: bool,
    flood: bool,
}

impl Talker {
    fn new(dir: &Path, unit: &'static str, stderr: bool, flood: bool) -> Talker {
        let script = dir.join(format!("{unit}.sh"));
        let prefix = match (stderr, flood) {
            (true, _) => "out-",
            (_, true) => "big-",
            _ => "line-",
        };
        let err = if stderr { "; echo err-$i >&2" } else { "" };
        let (print, pause) = if flood {
            ("printf '%s%d %2000s\\n' {prefix} $i x", "0.01")
        } else {
            ("echo {prefix}$i", "0.05")
        };
        let print = print.replace("{prefix}", prefix);
        std::fs::write(
            &script,
            format!("i=0\nwhile :; do i=$((i+1)); {print}{err}; sleep {pause}; done\n"),
        )
        .expect("the script is written");
        Talker {
            unit,
            script: script.display().to_string(),
            prefix,
            stderr,
            flood,
        }
    }

    fn unit_text(&self) -> String {
        let err = if self.stderr {
            "StandardError=journal\n"
        } else {
            ""
        };
        // Every line kept: the numbers show what was lost.
        let err = if self.flood {
            "LogRateLimitBurst=1000000\n"
        } else {
            err
        };
        format!(
            "[Service]\nType=simple\nExecStart=/bin/sh {}\n{err}[Install]\nWantedBy=default.target\n",
            self.script
        )
    }

    /// The shells running its script, less the children a shell forked
    /// that did not exec yet (their command line is still the script's).
    fn running(&self) -> Vec<i32> {
        let all = running(b"sh", self.script.as_bytes());
        let parent = |pid: i32| {
            sundial::supervisor::process_stat(nix::unistd::Pid::from_raw(pid))
                .map(|p| p.ppid.as_raw())
        };
        all.iter()
            .copied()
            .filter(|p| !parent(*p).is_some_and(|pp| all.contains(&pp)))
            .collect()
    }

    /// Its streams: the prefix of their lines and the stream.
    fn streams(&self) -> Vec<(&'static str, Stream)> {
        let mut all = vec![(self.prefix, Stream::Stdout)];
        if self.stderr {
            all.push(("err-", Stream::Stderr));
        }
        all
    }

    /// The last number stored of each stream.
    fn last(&self, d: &Daemon) -> Vec<u64> {
        let lines = logs(d, self.unit);
        self.streams()
            .into_iter()
            .map(|(p, s)| numbers(&lines, p, s).last().copied().unwrap_or(0))
            .collect()
    }

    /// Waits until each stream has a line numbered `more` beyond `before`.
    fn wait_beyond(&self, d: &Daemon, before: &[u64], more: u64) -> bool {
        wait_for(Duration::from_secs(10), || {
            self.last(d)
                .iter()
                .zip(before)
                .all(|(now, then)| *now > then + more)
        })
    }
}

#[test]
fn an_adopted_service_goes_on_writing_and_its_lines_are_stored() {
    let kills = if long_mode() { 20 } else { 3 };
    let dir = tempfile::tempdir().unwrap();
    // stdout and stderr on one pipe (the default), on two, and a service
    // that fills its pipe while no daemon runs (and waits, not dies).
    let talkers = [
        Talker::new(dir.path(), "talk.service", false, false),
        Talker::new(dir.path(), "split.service", true, false),
        Talker::new(dir.path(), "flood.service", false, true),
    ];
    let _cleanup = Cleanup(talkers.iter().map(|t| t.script.clone()).collect());
    let texts: Vec<String> = talkers.iter().map(Talker::unit_text).collect();
    let mut d = Daemon::new(
        dir.path(),
        &[
            ("talk.service", &texts[0]),
            ("split.service", &texts[1]),
            ("flood.service", &texts[2]),
        ],
    );
    for t in &talkers {
        enable(&d.units, "default.target", t.unit);
    }
    d.start();
    for t in &talkers {
        assert!(
            t.wait_beyond(&d, &[0, 0][..t.streams().len()], 2),
            "{}",
            d.stderr()
        );
    }
    let first: Vec<(String, sundial::store::InvocationId)> = talkers
        .iter()
        .map(|t| {
            let pid = d.property(Some(t.unit), "MainPID");
            assert_eq!(t.running(), [pid.parse::<i32>().unwrap()]);
            (pid, d.history(t.unit)[0].invocation)
        })
        .collect();
    let mut lost = vec![0; talkers.len()];
    for kill in 1..=kills {
        let before: Vec<Vec<u64>> = talkers.iter().map(|t| t.last(&d)).collect();
        d.kill9();
        // The services write on with nobody reading their pipes; the
        // flood fills its pipe and waits.
        std::thread::sleep(Duration::from_millis(500));
        let flood_pid = &first[2].0;
        let wchan =
            || std::fs::read_to_string(format!("/proc/{flood_pid}/wchan")).unwrap_or_default();
        if wchan() == "0" || wchan().is_empty() {
            eprintln!("reliability: /proc/PID/wchan says nothing here: the flood's wait on its full pipe is not checked");
        } else {
            assert!(
                wait_for(Duration::from_secs(5), || wchan().ends_with("pipe_write")),
                "after kill {kill}: the flood does not wait on its pipe: {}",
                wchan()
            );
        }
        d.start();
        std::thread::sleep(Duration::from_secs(2));
        for ((t, (pid, invocation)), before) in talkers.iter().zip(&first).zip(&before) {
            let runs = d.history(t.unit);
            assert_eq!(runs.len(), 1, "after kill {kill}: {runs:?}\n{}", d.stderr());
            assert_eq!(open_runs(&runs), 1);
            // Alive, the same process, adopted.
            assert_eq!(
                t.running(),
                [pid.parse::<i32>().unwrap()],
                "{} after kill {kill}\n{}",
                t.unit,
                d.stderr()
            );
            assert_eq!(&d.property(Some(t.unit), "MainPID"), pid);
            assert_eq!(d.property(Some(t.unit), "ActiveState"), "active");
            // What it writes now is stored: lines written a second after
            // the restart and later.
            assert!(
                t.wait_beyond(&d, before, 20),
                "{} after kill {kill}: nothing stored after {before:?}\n{}",
                t.unit,
                d.stderr()
            );
            let lines = logs(&d, t.unit);
            assert!(
                lines
                    .iter()
                    .filter(|l| l.stream != Stream::Manager)
                    .all(|l| l.invocation == Some(*invocation)),
                "{} after kill {kill}: a line of another invocation",
                t.unit
            );
            for (prefix, stream) in t.streams() {
                let n = numbers(&lines, prefix, stream);
                // In order, none twice; the lines the killed daemon had
                // read and not stored are lost with it: at most one gap
                // per kill.
                assert!(
                    n.windows(2).all(|w| w[0] < w[1]),
                    "after kill {kill}: {n:?}"
                );
                assert_eq!(n[0], 1);
                let gaps: Vec<(u64, u64)> = n
                    .windows(2)
                    .filter(|w| w[1] != w[0] + 1)
                    .map(|w| (w[0], w[1]))
                    .collect();
                assert!(gaps.len() <= kill, "after kill {kill}: gaps {gaps:?}");
                if stream == Stream::Stdout {
                    let i = talkers.iter().position(|x| x.unit == t.unit).unwrap();
                    lost[i] = gaps.iter().map(|(a, b)| b - a - 1).sum::<u64>();
                }
            }
        }
    }
    eprintln!(
        "reliability: {kills} kill -9 of a daemon capturing three services' output: all lived on; stdout lines lost with the killed daemons, in all (talk, split, flood): {lost:?}"
    );

    // An adopted run's pipes are handed over by daemon-reexec too.
    let before: Vec<Vec<u64>> = talkers.iter().map(|t| t.last(&d)).collect();
    let mut client = Client::connect(&d.socket).unwrap();
    let _ = client.call(&Request::DaemonReexec);
    assert!(wait_for(Duration::from_secs(10), || d
        .stderr()
        .contains("re-executed:")));
    for (t, before) in talkers.iter().zip(&before) {
        assert!(t.wait_beyond(&d, before, 20), "{}\n{}", t.unit, d.stderr());
    }

    // The stop waits for the shell's `sleep` too, which is not the
    // daemon's child either.
    for t in &talkers {
        d.stop_unit(t.unit);
        assert!(
            wait_for(Duration::from_secs(10), || t.running().is_empty()),
            "{}",
            d.stderr()
        );
    }
    assert!(d.terminate(), "{}", d.stderr());
}

#[test]
fn a_stop_of_an_adopted_run_ends_when_its_last_process_does() {
    let dir = tempfile::tempdir().unwrap();
    let m = marker(10);
    let _cleanup = Cleanup(vec![m.clone()]);
    // The main process (`sleep MARKER`) leaves a process that outlives it
    // by a moment, SIGTERM or not; neither is the new daemon's child.
    let script = dir.path().join("leave.sh");
    let left = dir.path().join("left.pid");
    std::fs::write(
        &script,
        format!(
            "sh -c 'trap \"\" TERM; while kill -0 '$$' 2>/dev/null; do sleep 0.1; done; sleep 0.3' &\necho $! > {}\nexec /bin/sleep {m}\n",
            left.display()
        ),
    )
    .unwrap();
    let unit = format!(
        "[Service]\nType=simple\nExecStart=/bin/sh {}\nTimeoutStopSec=60\n[Install]\nWantedBy=default.target\n",
        script.display()
    );
    let mut d = Daemon::new(dir.path(), &[("leave.service", &unit)]);
    enable(&d.units, "default.target", "leave.service");
    d.start();
    assert!(wait_for(Duration::from_secs(20), || copies(&m).len() == 1
        && left.exists()));
    // Answered after the commit of the run and its processes.
    assert_eq!(open_runs(&d.history("leave.service")), 1);
    let leftover: i32 = std::fs::read_to_string(&left)
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    let _leftover_cleanup = KillOnDrop(leftover);
    d.kill9();
    d.start();
    assert_eq!(
        d.property(Some("leave.service"), "MainPID"),
        copies(&m)[0].to_string()
    );
    // Without a watch on the leftover, the stop would wait for
    // TimeoutStopSec= (and the call time out).
    let t0 = Instant::now();
    d.stop_unit("leave.service");
    eprintln!(
        "reliability: stop of an adopted run with a process outliving its main one: {:.0} ms",
        t0.elapsed().as_secs_f64() * 1e3
    );
    assert!(copies(&m).is_empty());
    assert!(wait_for(Duration::from_secs(2), || !alive(leftover)));
    assert_eq!(d.property(Some("leave.service"), "ActiveState"), "inactive");
    assert!(d.terminate(), "{}", d.stderr());
}

/// Whether `pid` names a process that has not ended (a zombie has).
fn alive(pid: i32) -> bool {
    sundial::supervisor::process_stat(nix::unistd::Pid::from_raw(pid)).is_some_and(|p| !p.zombie)
}

/// SIGKILL to a process when the test ends, also when it fails half-way.
struct KillOnDrop(i32);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        kill_all(&[self.0]);
    }
}
