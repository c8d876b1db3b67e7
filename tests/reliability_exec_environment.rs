//! Many runs of a service with a runtime directory and credentials: each
//! run gets them and leaves nothing behind (no directory, no tmpfs mount),
//! and what they cost per start is printed beside a plain service's.
//! Bounded in CI; `SUNDIAL_RELIABILITY_LONG=1` runs ten times as many.
#![allow(clippy::unwrap_used)]

mod daemon_support;

use std::path::Path;
use std::time::Instant;

use daemon_support::Daemon;
use sundial::store::RunResult;

fn long_mode() -> bool {
    std::env::var("SUNDIAL_RELIABILITY_LONG").is_ok_and(|v| v == "1")
}

/// Mount points under `dir` in this process's mount table.
fn mounts_under(dir: &Path) -> usize {
    let table = std::fs::read_to_string("/proc/self/mountinfo").unwrap();
    let dir = dir.to_string_lossy();
    table
        .lines()
        .filter_map(|l| l.split(' ').nth(4))
        .filter(|m| m.starts_with(dir.as_ref()))
        .count()
}

#[test]
fn repeated_runs_leave_no_directory_or_mount_behind() {
    let runs = if long_mode() { 2000 } else { 200 };
    let tmp = tempfile::tempdir().unwrap();
    let roots = tmp.path().join("roots");
    let run_root = if nix::unistd::geteuid().is_root() {
        roots.join("run")
    } else {
        roots.join("xdg-run")
    };
    std::fs::create_dir_all(&run_root).unwrap();
    let with = "[Unit]\nStartLimitIntervalSec=0\n[Service]\nType=oneshot\nRuntimeDirectory=r\nSetCredential=k:v\nLoadCredential=f:/etc/hostname\n\
        ExecStart=/bin/sh -c 'test -d \"$RUNTIME_DIRECTORY\" && test -r \"$CREDENTIALS_DIRECTORY/k\"'\n";
    let plain = "[Unit]\nStartLimitIntervalSec=0\n[Service]\nType=oneshot\nExecStart=/bin/true\n";
    let mut d = Daemon::new(
        tmp.path(),
        &[("with.service", with), ("plain.service", plain)],
    );
    d = if nix::unistd::geteuid().is_root() {
        d.system()
            .env("SUNDIAL_DIRECTORY_PREFIX", roots.to_str().unwrap())
    } else {
        d.env("XDG_RUNTIME_DIR", run_root.to_str().unwrap())
    };
    d.start();
    let timed = |unit: &str| {
        let t0 = Instant::now();
        for _ in 0..runs {
            d.start_unit(unit);
        }
        t0.elapsed()
    };
    let plain_time = timed("plain.service");
    let with_time = timed("with.service");
    let finished = d.finished("with.service");
    assert_eq!(finished.len(), runs);
    let failed: Vec<_> = finished
        .iter()
        .filter(|r| r.result != Some(RunResult::Success))
        .collect();
    assert!(
        failed.is_empty(),
        "{} failed: {:?}",
        failed.len(),
        failed.first()
    );
    assert!(!run_root.join("r").exists(), "a runtime directory was left");
    let left: Vec<_> = std::fs::read_dir(run_root.join("credentials"))
        .map(|d| d.flatten().map(|e| e.file_name()).collect())
        .unwrap_or_default();
    assert!(left.is_empty(), "credentials left: {left:?}");
    assert_eq!(
        mounts_under(tmp.path()),
        0,
        "a credentials tmpfs was left mounted"
    );
    let per = |t: std::time::Duration| t.as_secs_f64() * 1000.0 / runs as f64;
    eprintln!(
        "reliability: {runs} starts each: plain {:.2} ms/start, with a runtime directory and two credentials {:.2} ms/start{}",
        per(plain_time),
        per(with_time),
        if nix::unistd::geteuid().is_root() {
            " (tmpfs per run)"
        } else {
            " (plain directory)"
        }
    );
}
