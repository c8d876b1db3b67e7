//! `kill -9` at random moments must lose no committed run or stamp and never
//! corrupt the file.
//!
//! The test re-runs its own test binary as a child (selected by an environment
//! variable) that writes runs, stamps and log lines in a loop and reports each
//! commit on stdout once the call returned. The parent kills it with SIGKILL after
//! a random delay, reopens the file, and checks it against the reports. The
//! children share one file, so later ones start from a file a crash left behind
//! (a WAL to recover, perhaps a half-done checkpoint).

use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant, SystemTime};

use sundial_calendar::Timestamp;

use super::*;

const CHILD_ENV: &str = "SUNDIAL_STORE_CRASH_CHILD";
const KILLS: u64 = 20;
const TEST_NAME: &str = "store::crash_tests::kill_9_loses_no_committed_run_or_stamp";

/// The child: `SUNDIAL_STORE_CRASH_CHILD=<db path>:<generation>`.
fn child(spec: &str) -> ! {
    let (path, generation) = spec
        .rsplit_once(':')
        .expect("parent passes path:generation");
    let generation: u128 = generation.parse().expect("parent passes a number");
    let mut store = Store::open(path).expect("child opens the store");
    // Every other child gathers its writes in batches, as the daemon does,
    // and reports them only once the batch is committed.
    let batch = generation % 2 == 1;
    store.set_batching(batch).expect("batching");
    let mut out = std::io::stdout().lock();
    // The harness printed "test <name> ... " without a newline; end that line so
    // the first report stands on its own.
    writeln!(out).expect("pipe");
    let mut pending: Vec<String> = Vec::new();
    let report = |line: String, pending: &mut Vec<String>, out: &mut std::io::StdoutLock<'_>| {
        if batch {
            pending.push(line);
        } else {
            writeln!(out, "{line}").expect("pipe");
        }
    };
    let trigger = crate::activation::Activation::from_label("timer:crash.timer").expect("a label");
    for n in 0u128.. {
        // Unique across children, increasing within and across them.
        let seq = generation << 32 | n;
        let invocation = InvocationId::from_u128(seq);
        let now = Timestamp::from_usec(i64::try_from(seq).expect("small"));
        let run = NewRun {
            unit: "crash.service",
            invocation,
            trigger: &trigger,
            start: now,
        };
        store.start_run(&run).expect("start run");
        report(format!("started {invocation}"), &mut pending, &mut out);
        let timer = format!("t{}.timer", n % 4);
        store.set_stamp(&timer, now).expect("stamp");
        report(
            format!("stamp {timer} {}", now.as_usec()),
            &mut pending,
            &mut out,
        );
        let texts: Vec<String> = (0..20)
            .map(|i| format!("line {i} of {invocation}"))
            .collect();
        let lines: Vec<_> = texts
            .iter()
            .map(|t| NewLogLine {
                unit: "crash.service",
                invocation: Some(invocation),
                stream: Stream::Stdout,
                at: now,
                line: t,
                priority: crate::unit::SyslogLevel::Info,
            })
            .collect();
        // In a batch, only every fourth run writes lines: appending them
        // commits the batch first, and the batches should span several runs.
        if !batch || n % 4 == 3 {
            store.append_logs(&lines).expect("logs");
        }
        let outcome = RunOutcome {
            result: RunResult::Success,
            status: Some(ExitStatus::Code(0)),
        };
        store
            .finish_run(invocation, now, outcome)
            .expect("finish run");
        report(format!("finished {invocation}"), &mut pending, &mut out);
        if batch && n % 3 == 2 {
            store.commit().expect("commit");
            for line in pending.drain(..) {
                writeln!(out, "{line}").expect("pipe");
            }
        }
        if n % 8 == 7 {
            store.checkpoint().expect("checkpoint");
        }
    }
    unreachable!("the loop runs until the parent kills the child")
}

/// xorshift64*: enough randomness for kill delays without a dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
}

#[derive(Default)]
struct Reports {
    started: BTreeSet<InvocationId>,
    finished: BTreeSet<InvocationId>,
    stamps: BTreeMap<String, i64>,
}

impl Reports {
    fn read(&mut self, line: &str) {
        let mut words = line.split(' ');
        match (words.next(), words.next(), words.next()) {
            (Some("started"), Some(id), None) => {
                self.started.insert(id.parse().expect("child prints ids"));
            }
            (Some("finished"), Some(id), None) => {
                self.finished.insert(id.parse().expect("child prints ids"));
            }
            (Some("stamp"), Some(timer), Some(usec)) => {
                let usec = usec.parse().expect("child prints numbers");
                let old = self.stamps.insert(timer.to_string(), usec);
                assert!(old.is_none_or(|old| old < usec), "stamps increase");
            }
            // Anything else is the test harness's own output.
            _ => {}
        }
    }
}

#[test]
fn kill_9_loses_no_committed_run_or_stamp() {
    if let Ok(spec) = std::env::var(CHILD_ENV) {
        child(&spec);
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("state.db");
    let exe = std::env::current_exe().unwrap();
    let seed = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap()
        .as_nanos() as u64
        | 1;
    let mut rng = Rng(seed);
    let mut reports = Reports::default();
    let started_at = Instant::now();
    let mut in_loop_kills = 0;
    for generation in 1..=KILLS {
        let mut child = Command::new(&exe)
            .args([TEST_NAME, "--exact", "--nocapture", "--test-threads=1"])
            .env(CHILD_ENV, format!("{}:{generation}", path.display()))
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let (lines_tx, lines) = std::sync::mpsc::channel();
        let reader = std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if lines_tx.send(line).is_err() {
                    return;
                }
            }
        });
        let mut seen = Vec::new();
        if generation % 4 == 0 {
            // From spawn: the kill may land while the child opens (or migrates)
            // the file.
            std::thread::sleep(Duration::from_micros(rng.next() % 60_000));
        } else {
            // In the write loop: wait for the first run to start, however slow
            // the machine is, then kill within the next few commits.
            while let Ok(line) = lines.recv_timeout(Duration::from_secs(30)) {
                let started = line.starts_with("started ");
                seen.push(line);
                if started {
                    break;
                }
            }
            std::thread::sleep(Duration::from_micros(rng.next() % 30_000));
        }
        child.kill().unwrap();
        let status = child.wait().unwrap();
        assert!(
            status.code().is_none(),
            "the child was killed, not exited: {status}"
        );
        reader.join().unwrap();
        seen.extend(lines.try_iter());
        for line in &seen {
            reports.read(line);
        }
        in_loop_kills += u64::from(generation % 4 != 0);

        let store = Store::open(&path).unwrap();
        assert_eq!(
            store.integrity_check().unwrap(),
            ["ok"],
            "after kill {generation}"
        );
        for invocation in &reports.started {
            let run = store.run(*invocation).unwrap();
            let run = run.unwrap_or_else(|| panic!("started run {invocation} lost (seed {seed})"));
            if reports.finished.contains(invocation) {
                assert!(
                    run.outcome.is_some(),
                    "finished run {invocation} lost its end (seed {seed})"
                );
            }
        }
        for (timer, usec) in &reports.stamps {
            let stored = store.stamp(timer).unwrap().map(Timestamp::as_usec);
            // The child may have committed a newer stamp it did not get to report.
            assert!(
                stored.is_some_and(|s| s >= *usec),
                "stamp {timer} = {stored:?}, reported {usec} (seed {seed})"
            );
        }
        // The running totals must still equal what is in the table.
        let usage = store.log_usage().unwrap();
        let lines = store.logs(&LogQuery::default()).unwrap();
        assert_eq!(usage.rows, lines.len() as u64);
    }
    assert!(
        reports.finished.is_subset(&reports.started),
        "every finished run was reported started first"
    );
    eprintln!(
        "store crash test: {KILLS} SIGKILLs ({in_loop_kills} in the write loop) in {:?}, \
         {} runs reported committed, {} started, integrity ok after each (seed {seed})",
        started_at.elapsed(),
        reports.finished.len(),
        reports.started.len()
    );
    assert!(
        reports.started.len() as u64 >= in_loop_kills,
        "every kill in the write loop came after a started run"
    );
    assert!(
        !reports.finished.is_empty(),
        "some kill should come after a completed run"
    );
}
