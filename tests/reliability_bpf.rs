//! Starts with eBPF cgroup programs, many times over: every run is
//! protected, the daemon keeps no program or map descriptor once a run is
//! over (the kernel detaches the programs with the removed cgroup), its
//! descriptors and memory do not grow, and the cost of loading and
//! attaching per start is printed (the commands differ too: the guarded
//! one runs three probes; `cargo test --lib -- bpf::attach --nocapture`
//! prints the loading and attaching alone).
//!
//! Bounded mode: 25 runs of each unit; `SUNDIAL_RELIABILITY_LONG=1`: 500.
//! Needs root (bpf(2)); skipped otherwise.
#![allow(clippy::unwrap_used)]

mod daemon_support;

use std::time::Instant;

use daemon_support::Daemon;

fn long_mode() -> bool {
    std::env::var_os("SUNDIAL_RELIABILITY_LONG").is_some_and(|v| v == "1")
}

/// The daemon's descriptors: all, and those of BPF programs and maps.
fn fds(pid: u32) -> (usize, usize) {
    let mut all = 0;
    let mut bpf = 0;
    for e in std::fs::read_dir(format!("/proc/{pid}/fd"))
        .unwrap()
        .flatten()
    {
        all += 1;
        let target = std::fs::read_link(e.path()).unwrap_or_default();
        if target.to_string_lossy().starts_with("anon_inode:bpf") {
            bpf += 1;
        }
    }
    (all, bpf)
}

/// The datagrams waiting on `socket`.
fn datagrams(socket: &std::net::UdpSocket) -> usize {
    socket.set_nonblocking(true).unwrap();
    let mut buf = [0u8; 64];
    std::iter::from_fn(|| socket.recv(&mut buf).ok()).count()
}

#[test]
fn runs_with_bpf_programs_leave_no_descriptors_behind() {
    if !nix::unistd::geteuid().is_root() {
        eprintln!("skipped: bpf(2) cgroup programs need root");
        return;
    }
    let runs = if long_mode() { 500 } else { 25 };
    let dir = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).unwrap();
    // Each run checks that it is protected: a datagram to 127.0.0.2 is
    // refused (sendmsg fails at once with EPERM, where a dropped TCP SYN
    // would be retried), /dev/kmsg cannot be opened; and that the
    // loopback it is allowed still works.
    let listener = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let guarded = format!(
        "[Unit]\nStartLimitIntervalSec=0\n[Service]\nType=oneshot\n\
         IPAddressDeny=any\nIPAddressAllow=127.0.0.1 ::1\nIPAccounting=yes\n\
         RestrictNetworkInterfaces=lo\nSocketBindDeny=any\nDevicePolicy=closed\n\
         ExecStart=/bin/bash -c '! (echo x > /dev/udp/127.0.0.2/{port}) 2>/dev/null && \
         (echo x > /dev/udp/127.0.0.1/{port}) && ! (: < /dev/kmsg) 2>/dev/null'\n"
    );
    // The control: the same datagram goes out without the programs.
    let plain = format!(
        "[Unit]\nStartLimitIntervalSec=0\n[Service]\nType=oneshot\n\
         ExecStart=/bin/bash -c 'echo x > /dev/udp/127.0.0.2/{port}'\n"
    );
    let mut d = Daemon::new(
        dir.path(),
        &[("guarded.service", &guarded), ("plain.service", &plain)],
    )
    .system()
    .env("SUNDIAL_TEST_DEVICES_BY_BPF", "1");
    d.start();
    d.start_unit("guarded.service");
    d.start_unit("plain.service");
    let ((fds_before, _), rss) = (fds(d.pid()), daemon_support::rss_kib(d.pid()));
    let mut times = Vec::new();
    for unit in ["plain.service", "guarded.service"] {
        let started = Instant::now();
        for _ in 0..runs {
            d.start_unit(unit);
        }
        times.push(started.elapsed() / runs);
    }
    let failed: Vec<_> = d
        .finished("guarded.service")
        .into_iter()
        .chain(d.finished("plain.service"))
        .filter(|r| format!("{:?}", r.result) != "Some(Success)")
        .map(|r| format!("{:?} {:?}", r.result, r.status))
        .collect();
    let ((fds_after, bpf_after), rss_after) = (fds(d.pid()), daemon_support::rss_kib(d.pid()));
    let cgroup_left = d.property(Some("guarded.service"), "ControlGroup");
    eprintln!(
        "reliability: {runs} runs each: plain {:?}/start, with 7 BPF programs {:?}/start; \
         daemon fds {fds_before} -> {fds_after} ({bpf_after} of BPF); RSS {rss} -> {rss_after} KiB; \
         {} datagrams reached the allowed address",
        times[0],
        times[1],
        datagrams(&listener)
    );
    if !failed.is_empty() {
        eprintln!("{}", d.log_lines("guarded.service").join("\n"));
    }
    assert!(
        failed.is_empty(),
        "{} unprotected or failed runs of {}: {:?}",
        failed.len(),
        runs + 1,
        &failed[..failed.len().min(5)]
    );
    assert_eq!(d.finished("guarded.service").len(), runs as usize + 1);
    assert_eq!(d.finished("plain.service").len(), runs as usize + 1);
    assert_eq!(
        bpf_after, 0,
        "program or map descriptors kept after the runs"
    );
    assert!(
        fds_after <= fds_before + 2,
        "descriptors {fds_before} -> {fds_after}"
    );
    assert_eq!(cgroup_left, "", "the cgroup (and its programs) stayed");
    assert!(rss_after < rss + 16 * 1024, "RSS {rss} -> {rss_after} KiB");
}
