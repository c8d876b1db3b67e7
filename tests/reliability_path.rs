//! Path units under load: files from concurrent writers landing in a spool
//! are all processed and none is left, and the last change of every burst
//! on a watched file is seen by a run that started after it, with bursts
//! coalesced rather than one run per event.
//!
//! Bounded by default; `SUNDIAL_RELIABILITY_LONG=1` runs bigger counts.
//! Figures are printed with `reliability:` (see them with --nocapture).
#![allow(clippy::unwrap_used)]

mod daemon_support;

use std::fs;
use std::time::{Duration, Instant};

use daemon_support::{wait_for, Daemon};

fn long() -> bool {
    std::env::var("SUNDIAL_RELIABILITY_LONG").is_ok_and(|v| v == "1")
}

fn fds_of(pid: u32) -> usize {
    fs::read_dir(format!("/proc/{pid}/fd")).unwrap().count()
}

#[test]
fn every_file_from_concurrent_writers_is_processed() {
    let (writers, per_writer) = if long() { (8, 1000) } else { (4, 50) };
    let total = writers * per_writer;
    let tmp = tempfile::tempdir().unwrap();
    let inbox = tmp.path().join("in");
    let done = tmp.path().join("done");
    fs::create_dir(&done).unwrap();
    let path_unit = format!(
        "[Path]\nDirectoryNotEmpty={}\nMakeDirectory=yes\n",
        inbox.display()
    );
    // Writers land files as `.name` then rename them, so the service never
    // moves half a file; hidden names are left alone by the glob.
    let service = format!(
        "[Unit]\nStartLimitIntervalSec=0\n[Service]\nType=oneshot\n\
         ExecStart=/bin/sh -c 'for f in {i}/*; do [ -e \"$f\" ] && mv -- \"$f\" {d}/; done; sleep 0.02'\n",
        i = inbox.display(),
        d = done.display()
    );
    let mut d = Daemon::new(
        tmp.path(),
        &[("spool.path", &path_unit), ("spool.service", &service)],
    );
    d.start();
    d.start_unit("spool.path");
    let fds_before = fds_of(d.pid());
    let began = Instant::now();
    std::thread::scope(|s| {
        for w in 0..writers {
            let inbox = &inbox;
            s.spawn(move || {
                for i in 0..per_writer {
                    let hidden = inbox.join(format!(".{w}-{i}"));
                    fs::write(&hidden, format!("{w} {i}")).unwrap();
                    fs::rename(&hidden, inbox.join(format!("{w}-{i}"))).unwrap();
                    // Paced, so that files land while runs go on.
                    std::thread::sleep(Duration::from_millis(2));
                }
            });
        }
    });
    let all_done = wait_for(Duration::from_secs(if long() { 600 } else { 60 }), || {
        fs::read_dir(&done).unwrap().count() == total
    });
    let elapsed = began.elapsed();
    let runs = d.finished("spool.service").len();
    eprintln!(
        "reliability: path spool: {total} files from {writers} writers processed in {:.2}s by {runs} runs ({:.1} files/run)",
        elapsed.as_secs_f64(),
        total as f64 / runs.max(1) as f64
    );
    assert!(
        all_done,
        "{} of {total} processed; {}",
        fs::read_dir(&done).unwrap().count(),
        d.stderr()
    );
    assert!(wait_for(Duration::from_secs(20), || {
        d.property(Some("spool.path"), "SubState") == "waiting"
    }));
    assert_eq!(fs::read_dir(&inbox).unwrap().count(), 0, "a file was left");
    assert!(runs <= total, "{runs} runs for {total} files");
    // The watches did not grow with the events.
    let fds_after = fds_of(d.pid());
    eprintln!("reliability: path spool: daemon fds {fds_before} before, {fds_after} after");
    assert!(fds_after <= fds_before + 2, "{fds_before} -> {fds_after}");
}

#[test]
fn the_last_change_of_every_burst_is_seen_and_bursts_are_coalesced() {
    let (bursts, writes) = if long() { (200, 50) } else { (15, 20) };
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("value");
    let seen = tmp.path().join("seen");
    fs::write(&file, "start").unwrap();
    let path_unit = format!("[Path]\nPathModified={}\n", file.display());
    let service = format!(
        "[Unit]\nStartLimitIntervalSec=0\n[Service]\nType=oneshot\n\
         ExecStart=/bin/sh -c 'cat {f} >> {s}; echo >> {s}; sleep 0.05'\n",
        f = file.display(),
        s = seen.display()
    );
    let mut d = Daemon::new(
        tmp.path(),
        &[("value.path", &path_unit), ("value.service", &service)],
    );
    d.start();
    d.start_unit("value.path");
    let began = Instant::now();
    for b in 0..bursts {
        for w in 0..writes {
            fs::write(&file, format!("{b}-{w}")).unwrap();
        }
        let last = format!("{b}-{}", writes - 1);
        let ok = wait_for(Duration::from_secs(30), || {
            fs::read_to_string(&seen)
                .unwrap_or_default()
                .lines()
                .any(|l| l == last)
        });
        assert!(ok, "burst {b}: {last} never seen; {}", d.stderr());
    }
    assert!(wait_for(Duration::from_secs(20), || {
        d.property(Some("value.path"), "SubState") == "waiting"
    }));
    let runs = d.finished("value.service").len();
    let total = bursts * writes;
    eprintln!(
        "reliability: path bursts: {bursts} bursts of {writes} writes ({total} events) made {runs} runs in {:.2}s",
        began.elapsed().as_secs_f64()
    );
    assert!(runs >= bursts, "{runs} runs for {bursts} bursts");
    assert!(
        runs <= total / 2,
        "{runs} runs for {total} writes: not coalesced"
    );
}
