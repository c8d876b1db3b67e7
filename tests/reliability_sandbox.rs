//! Sandboxed starts, many times over: the host keeps its mount table, the
//! private /tmp directories go with their runs, the daemon's descriptors and
//! memory do not grow, and every run still sees its protections.
//!
//! Bounded mode: 30 runs of each unit; `SUNDIAL_RELIABILITY_LONG=1`: 500.
//! Needs root (mount and network namespaces); skipped otherwise.
#![allow(clippy::unwrap_used)]

mod daemon_support;

use std::time::Instant;

use daemon_support::Daemon;

fn long_mode() -> bool {
    std::env::var_os("SUNDIAL_RELIABILITY_LONG").is_some_and(|v| v == "1")
}

fn mount_count() -> usize {
    std::fs::read_to_string("/proc/self/mountinfo")
        .unwrap()
        .lines()
        .count()
}

fn open_fds(pid: u32) -> usize {
    std::fs::read_dir(format!("/proc/{pid}/fd"))
        .unwrap()
        .count()
}

#[test]
fn sandboxed_runs_leave_no_mounts_directories_or_descriptors_behind() {
    if !nix::unistd::geteuid().is_root() {
        eprintln!("skipped: sandboxed runs need root (mount and network namespaces)");
        return;
    }
    let runs = if long_mode() { 500 } else { 30 };
    let dir = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).unwrap();
    let sandboxed = "[Unit]\nStartLimitIntervalSec=0\n[Service]\nType=oneshot\nPrivateTmp=yes\nProtectSystem=strict\nProtectHome=yes\n\
        PrivateNetwork=yes\nPrivateDevices=yes\nProtectKernelTunables=yes\nSystemCallFilter=~@mount\n\
        SystemCallErrorNumber=EPERM\n\
        ExecStart=/bin/sh -c 'test -z \"$(ls -A /tmp)\" && touch /tmp/x && ! touch /usr/.sundial-x 2>/dev/null'\n";
    let plain =
        "[Unit]\nStartLimitIntervalSec=0\n[Service]\nType=oneshot\nExecStart=/bin/sh -c true\n";
    let mut d = Daemon::new(
        dir.path(),
        &[("boxed.service", sandboxed), ("plain.service", plain)],
    )
    .system();
    d.start();
    // One of each first: the daemon's own start-up allocations are done.
    d.start_unit("boxed.service");
    d.start_unit("plain.service");
    let (mounts, fds, rss) = (
        mount_count(),
        open_fds(d.pid()),
        daemon_support::rss_kib(d.pid()),
    );
    let mut times = Vec::new();
    for unit in ["plain.service", "boxed.service"] {
        let started = Instant::now();
        for _ in 0..runs {
            d.start_unit(unit);
        }
        times.push(started.elapsed() / runs);
    }
    let failed: Vec<_> = d
        .finished("boxed.service")
        .into_iter()
        .filter(|r| format!("{:?}", r.result) != "Some(Success)")
        .map(|r| format!("{:?} {:?}", r.result, r.status))
        .collect();
    let private = dir.path().join("state/private-tmp");
    let left = std::fs::read_dir(&private).map(|r| r.count()).unwrap_or(0);
    let (mounts_after, fds_after, rss_after) = (
        mount_count(),
        open_fds(d.pid()),
        daemon_support::rss_kib(d.pid()),
    );
    eprintln!(
        "reliability: {runs} runs each: plain {:?}/start, sandboxed {:?}/start; host mounts {mounts} -> {mounts_after}; \
         daemon fds {fds} -> {fds_after}; daemon RSS {rss} -> {rss_after} KiB; private /tmp dirs left {left}",
        times[0], times[1]
    );
    assert!(
        failed.is_empty(),
        "{} failed runs: {:?}",
        failed.len(),
        &failed[..failed.len().min(5)]
    );
    assert_eq!(mounts_after, mounts, "the host's mount table changed");
    assert_eq!(left, 0, "private /tmp directories left behind");
    assert!(fds_after <= fds + 2, "descriptors {fds} -> {fds_after}");
    // Filters and plans are freed with their children: a bound well above
    // the noise of the allocator.
    assert!(rss_after < rss + 16 * 1024, "RSS {rss} -> {rss_after} KiB");
}
