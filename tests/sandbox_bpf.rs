//! The eBPF cgroup programs through the daemon: `IPAddressAllow=`,
//! `IPAddressDeny=` and `IPAccounting=` (cgroup_skb programs on the
//! service's cgroup v2 directory) and `DevicePolicy=`/`DeviceAllow=` by the
//! BPF device program (forced on this hybrid host with the daemon's test
//! aid `SUNDIAL_TEST_DEVICES_BY_BPF=1`, which makes it act as on a host
//! without a v1 devices controller). Each service is a shell one-liner that
//! connects or opens and prints what it could; the test reads its output.
//!
//! The programs attach only to the services' cgroups below the test
//! daemon's own subtree, removed when the units stop; the servers the
//! services connect to are the test's own, on loopback addresses. Needs
//! root (bpf(2) and attaching take CAP_BPF/CAP_NET_ADMIN) and a writable
//! cgroup v2 tree: elsewhere each test prints why it is skipped, except the
//! refusal tests, which run everywhere.
#![allow(clippy::unwrap_used)]

mod daemon_support;

use std::net::TcpListener;
use std::path::Path;
use std::time::Duration;

use daemon_support::Daemon;
use sundial::ipc::{Request, UnitsRequest};

/// Why the programs cannot be had here, if they cannot.
fn bpf_missing() -> Option<String> {
    if !nix::unistd::geteuid().is_root() {
        return Some("bpf(2) cgroup programs need root".into());
    }
    let mountinfo = std::fs::read_to_string("/proc/self/mountinfo").unwrap_or_default();
    if !mountinfo.lines().any(|l| l.contains(" - cgroup2 ")) {
        return Some("no cgroup v2 hierarchy is mounted".into());
    }
    None
}

fn skip(test: &str) -> bool {
    match bpf_missing() {
        Some(why) => {
            eprintln!("skipped {test}: {why}");
            true
        }
        None => false,
    }
}

/// Runs a oneshot with `body` in `[Service]` through a system daemon with
/// `env`; its output lines, its result, and the daemon (for its
/// messages) with its directory.
fn run(name: &str, body: &str, env: &[(&str, &str)]) -> (Vec<String>, String, Ran) {
    let dir = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).unwrap();
    let unit = format!("[Service]\nType=oneshot\nRemainAfterExit=yes\n{body}\n");
    let mut d = Daemon::new(dir.path(), &[(name, &unit)]).system();
    for (k, v) in env {
        d = d.env(k, v);
    }
    d.start();
    let started = d.call(Request::Start(UnitsRequest {
        units: vec![name.into()],
    }));
    assert!(
        daemon_support::wait_for(Duration::from_secs(60), || !d.finished(name).is_empty()
            || d.property(Some(name), "SubState") == "exited"),
        "{name} did not run: {started:?}\n{}",
        d.stderr()
    );
    // The run's row is written as it ends (a RemainAfterExit= unit: at
    // its stop).
    let counters = d.property(Some(name), "IPIngressBytes");
    d.stop_unit(name);
    assert!(daemon_support::wait_for(Duration::from_secs(30), || !d
        .finished(name)
        .is_empty()));
    let row = &d.finished(name)[0];
    let result = format!("{:?} {:?}", row.result, row.status);
    let lines = d.log_lines(name);
    eprintln!(
        "{name}: {result} (IPIngressBytes={counters})\n{}",
        lines.join("\n")
    );
    (lines, result, Ran { d, _dir: dir })
}

/// A daemon that ran a unit, and its directory (removed with it).
struct Ran {
    d: Daemon,
    _dir: tempfile::TempDir,
}

fn has(lines: &[String], line: &str) -> bool {
    lines.iter().any(|l| l == line)
}

/// A shell line printing `NAME-ok` or `NAME-denied` for a TCP connection
/// to `host`:`port` within 3 s (a dropped SYN is retried, not refused).
fn connect(name: &str, host: &str, port: u16) -> String {
    format!(
        "timeout 3 bash -c \"exec 3<>/dev/tcp/{host}/{port}\" 2>/dev/null && echo {name}-ok || echo {name}-denied"
    )
}

/// Two TCP servers of the test's own: on 127.0.0.1 and 127.0.0.2 (the
/// kernel answers for all of 127.0.0.0/8 on the loopback device).
fn servers() -> (TcpListener, TcpListener) {
    (
        TcpListener::bind("127.0.0.1:0").unwrap(),
        TcpListener::bind("127.0.0.2:0").unwrap(),
    )
}

fn port(l: &TcpListener) -> u16 {
    l.local_addr().unwrap().port()
}

/// The control: without address lists both servers are reached, so a
/// denial below is the lists' doing.
#[test]
fn without_address_lists_both_servers_are_reached() {
    if skip("without_address_lists_both_servers_are_reached") {
        return;
    }
    let (one, two) = servers();
    let script = [
        connect("one", "127.0.0.1", port(&one)),
        connect("two", "127.0.0.2", port(&two)),
    ]
    .join("; ");
    let (lines, result, _d) = run(
        "ip-open.service",
        &format!("ExecStart=/bin/bash -c '{script}'"),
        &[],
    );
    assert!(result.contains("Success"), "{result}");
    assert!(has(&lines, "one-ok") && has(&lines, "two-ok"), "{lines:?}");
}

#[test]
fn deny_any_with_one_address_allowed_reaches_only_that_address() {
    if skip("deny_any_with_one_address_allowed_reaches_only_that_address") {
        return;
    }
    let (one, two) = servers();
    let v6 = TcpListener::bind("[::1]:0").ok();
    let mut probes = vec![
        connect("one", "127.0.0.1", port(&one)),
        connect("two", "127.0.0.2", port(&two)),
    ];
    if let Some(v6) = &v6 {
        probes.push(connect("six", "::1", port(v6)));
    }
    let (lines, result, _d) = run(
        "ip-allow-one.service",
        &format!(
            "IPAddressDeny=any\nIPAddressAllow=127.0.0.1\nExecStart=/bin/bash -c '{}'",
            probes.join("; ")
        ),
        &[],
    );
    assert!(result.contains("Success"), "{result}");
    assert!(has(&lines, "one-ok"), "{lines:?}");
    assert!(has(&lines, "two-denied"), "{lines:?}");
    if v6.is_some() {
        assert!(has(&lines, "six-denied"), "{lines:?}");
    } else {
        eprintln!("no IPv6 loopback here: the ::1 probe is left out");
    }
}

#[test]
fn a_denied_prefix_cannot_be_reached_and_others_can() {
    if skip("a_denied_prefix_cannot_be_reached_and_others_can") {
        return;
    }
    let (one, _two) = servers();
    let v6 = TcpListener::bind("[::1]:0").ok();
    let mut probes = vec![connect("one", "127.0.0.1", port(&one))];
    if let Some(v6) = &v6 {
        probes.push(connect("six", "::1", port(v6)));
    }
    let (lines, result, _d) = run(
        "ip-deny-prefix.service",
        &format!(
            "IPAddressDeny=127.0.0.0/8\nExecStart=/bin/bash -c '{}'",
            probes.join("; ")
        ),
        &[],
    );
    assert!(result.contains("Success"), "{result}");
    assert!(has(&lines, "one-denied"), "{lines:?}");
    if v6.is_some() {
        // Not in the list: allowed.
        assert!(has(&lines, "six-ok"), "{lines:?}");
    }
}

/// An ordinary user, a host without cgroup v2, or (here) a daemon told to
/// use no cgroups: the unit does not run unprotected, and says why.
#[test]
fn address_lists_that_cannot_be_applied_refuse_the_start() {
    let dir = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).unwrap();
    let ip = "[Service]\nType=oneshot\nIPAddressDeny=any\nExecStart=/bin/echo ran\n";
    let dev = "[Service]\nType=oneshot\nDevicePolicy=strict\nExecStart=/bin/echo ran\n";
    let mut d = Daemon::new(dir.path(), &[("ip.service", ip), ("dev.service", dev)])
        .env("SUNDIAL_CGROUPS", "off")
        .env("SUNDIAL_TEST_DEVICES_BY_BPF", "1");
    d.start();
    for (unit, says) in [
        (
            "ip.service",
            "IPAddressAllow=/IPAddressDeny=: cannot be applied, not started",
        ),
        (
            "dev.service",
            "DevicePolicy=/DeviceAllow=: cannot be applied, not started",
        ),
    ] {
        let _ = d.call(Request::Start(UnitsRequest {
            units: vec![unit.into()],
        }));
        assert!(
            daemon_support::wait_for(Duration::from_secs(20), || !d.finished(unit).is_empty()),
            "{unit} did not finish"
        );
        let row = &d.finished(unit)[0];
        assert_eq!(
            format!("{:?} {:?}", row.result, row.status),
            "Some(ExitCode) Some(Code(219))",
            "{unit}"
        );
        let logs = d.log_lines(unit).join("\n");
        assert!(logs.contains(says), "{unit}: {logs}");
        assert!(!logs.contains("ran"), "{unit} ran: {logs}");
    }
}

/// A shell line printing `NAME-ok` or `NAME-denied` for opening `node`
/// with the redirection `redir` (`<` to read, `>` to write).
fn probe(name: &str, redir: &str, node: &str) -> String {
    format!("(: {redir} {node}) && echo {name}-ok || echo {name}-denied")
}

const BY_BPF: [(&str, &str); 1] = [("SUNDIAL_TEST_DEVICES_BY_BPF", "1")];

#[test]
fn closed_by_the_bpf_program_allows_the_pseudo_devices_only() {
    let test = "closed_by_the_bpf_program_allows_the_pseudo_devices_only";
    if skip(test) {
        return;
    }
    if !Path::new("/dev/kmsg").exists() {
        eprintln!("skipped {test}: no /dev/kmsg");
        return;
    }
    let script = [
        probe("null-read", "<", "/dev/null"),
        probe("null-write", ">", "/dev/null"),
        probe("zero", "<", "/dev/zero"),
        probe("kmsg", "<", "/dev/kmsg"),
    ]
    .join("; ");
    let (lines, result, d) = run(
        "bpf-closed.service",
        &format!("DevicePolicy=closed\nExecStart=/bin/sh -c '{script}'"),
        &BY_BPF,
    );
    assert!(
        d.d.stderr().contains("SUNDIAL_TEST_DEVICES_BY_BPF=1"),
        "{}",
        d.d.stderr()
    );
    assert!(result.contains("Success"), "{result}");
    assert!(has(&lines, "null-read-ok"), "{lines:?}");
    assert!(has(&lines, "null-write-ok"), "{lines:?}");
    // systemd 252: closed allows null, zero, full, random, urandom, tty, ptmx.
    assert!(has(&lines, "zero-ok"), "{lines:?}");
    assert!(has(&lines, "kmsg-denied"), "{lines:?}");
}

#[test]
fn strict_by_the_bpf_program_allows_the_listed_node_and_access() {
    if skip("strict_by_the_bpf_program_allows_the_listed_node_and_access") {
        return;
    }
    let script = [
        probe("zero-read", "<", "/dev/zero"),
        probe("zero-write", ">", "/dev/zero"),
        probe("null", "<", "/dev/null"),
        probe("urandom", "<", "/dev/urandom"),
    ]
    .join("; ");
    let (lines, result, _d) = run(
        "bpf-strict.service",
        &format!(
            "DevicePolicy=strict\nDeviceAllow=/dev/zero r\nExecStart=/bin/sh -c 'exec 2>&1; {script}'"
        ),
        &BY_BPF,
    );
    assert!(result.contains("Success"), "{result}");
    assert!(has(&lines, "zero-read-ok"), "{lines:?}");
    assert!(has(&lines, "zero-write-denied"), "{lines:?}");
    assert!(has(&lines, "null-denied"), "{lines:?}");
    assert!(has(&lines, "urandom-denied"), "{lines:?}");
}

/// `IPAccounting=yes`: what the service sends and receives is counted by
/// its programs, shown by `show` (IPIngressBytes= ...) and by `status`
/// (`IP: X in, Y out`); a service without it has no data.
#[test]
fn ip_accounting_counts_the_traffic_of_the_service() {
    if skip("ip_accounting_counts_the_traffic_of_the_service") {
        return;
    }
    let server = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = port(&server);
    // The test's server reads 5,000 bytes and answers 3,000.
    let serving = std::thread::spawn(move || {
        use std::io::{Read, Write};
        let (mut c, _) = server.accept().unwrap();
        let mut got = vec![0u8; 5000];
        c.read_exact(&mut got).unwrap();
        c.write_all(&[7u8; 3000]).unwrap();
        c
    });
    let dir = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).unwrap();
    let counted = format!(
        "[Service]\nIPAccounting=yes\nExecStart=/bin/bash -c 'exec 3<>/dev/tcp/127.0.0.1/{port}; \
         head -c 5000 /dev/zero >&3; head -c 3000 <&3 >/dev/null; exec sleep 30'\n"
    );
    let plain = "[Service]\nExecStart=/bin/sleep 30\n";
    let mut d = Daemon::new(
        dir.path(),
        &[("counted.service", &counted), ("plain.service", plain)],
    )
    .system();
    d.start();
    d.start_unit("counted.service");
    d.start_unit("plain.service");
    let show = |p: &str| d.property(Some("counted.service"), p);
    let number = |p: &str| show(p).parse::<u64>().unwrap_or(0);
    let done = daemon_support::wait_for(Duration::from_secs(20), || {
        number("IPEgressBytes") >= 5000 && number("IPIngressBytes") >= 3000
    });
    let _conn = serving.join().unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_sundial"))
        .arg("--socket")
        .arg(dir.path().join("state/control.sock"))
        .args(["status", "counted.service"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let figures = [
        "IPIngressBytes",
        "IPIngressPackets",
        "IPEgressBytes",
        "IPEgressPackets",
    ]
    .map(|p| format!("{p}={}", show(p)));
    eprintln!("{}\n{text}\n{}", figures.join(" "), d.stderr());
    assert!(done, "{figures:?}");
    // Headers and handshakes besides the payload, in packets of at most
    // the loopback MTU.
    assert!(number("IPEgressBytes") < 20_000, "{figures:?}");
    assert!((1..100).contains(&number("IPEgressPackets")), "{figures:?}");
    assert!(
        (1..100).contains(&number("IPIngressPackets")),
        "{figures:?}"
    );
    let ip_line = text
        .lines()
        .find(|l| l.trim_start().starts_with("IP: "))
        .unwrap_or_else(|| panic!("no IP: line in\n{text}"));
    assert!(
        ip_line.contains(" in, ") && ip_line.ends_with(" out"),
        "{ip_line}"
    );
    assert_eq!(
        d.property(Some("plain.service"), "IPIngressBytes"),
        "[no data]"
    );
    d.stop_unit("counted.service");
    d.stop_unit("plain.service");
}

/// `RestrictNetworkInterfaces=`: the loopback interface allowed, denied,
/// and an allow list of an interface that does not exist (nothing passes).
#[test]
fn restrict_network_interfaces_allows_and_denies_the_loopback() {
    if skip("restrict_network_interfaces_allows_and_denies_the_loopback") {
        return;
    }
    let (one, _two) = servers();
    let probe = connect("lo", "127.0.0.1", port(&one));
    for (name, setting, want) in [
        ("if-allow.service", "lo", "lo-ok"),
        ("if-deny.service", "~lo", "lo-denied"),
        ("if-none.service", "sundialnone0", "lo-denied"),
    ] {
        let (lines, result, _d) = run(
            name,
            &format!("RestrictNetworkInterfaces={setting}\nExecStart=/bin/bash -c '{probe}'"),
            &[],
        );
        assert!(result.contains("Success"), "{name}: {result}");
        assert!(has(&lines, want), "{name}: {lines:?}");
    }
}

/// `SocketBindAllow=`/`SocketBindDeny=`: with a TCP port allowed and
/// everything else denied, only a TCP bind to that port succeeds.
#[test]
fn socket_bind_rules_allow_only_the_listed_port() {
    let test = "socket_bind_rules_allow_only_the_listed_port";
    if skip(test) {
        return;
    }
    if !Path::new("/usr/bin/python3").exists() {
        eprintln!("skipped {test}: no /usr/bin/python3 to bind with");
        return;
    }
    // Two free ports (taken and let go at once).
    let free = || port(&TcpListener::bind("127.0.0.1:0").unwrap());
    let (allowed, other) = (free(), free());
    let dir = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).unwrap();
    let script = dir.path().join("bind.py");
    std::fs::write(
        &script,
        "import socket, sys\n\
         for name, kind, port in [('tcp', socket.SOCK_STREAM, int(sys.argv[1])),\n\
                                  ('other', socket.SOCK_STREAM, int(sys.argv[2])),\n\
                                  ('udp', socket.SOCK_DGRAM, int(sys.argv[1]))]:\n\
         \x20   s = socket.socket(socket.AF_INET, kind)\n\
         \x20   try:\n\
         \x20       s.bind(('127.0.0.1', port))\n\
         \x20       print(name + '-ok')\n\
         \x20   except PermissionError:\n\
         \x20       print(name + '-denied')\n\
         \x20   s.close()\n",
    )
    .unwrap();
    let exec = format!(
        "ExecStart=/usr/bin/python3 {} {allowed} {other}",
        script.display()
    );
    let (open, result, _d) = run("bind-open.service", &exec, &[]);
    assert!(result.contains("Success"), "{result}");
    assert!(
        has(&open, "tcp-ok") && has(&open, "other-ok") && has(&open, "udp-ok"),
        "{open:?}"
    );
    let (lines, result, _d) = run(
        "bind-rules.service",
        &format!("SocketBindAllow=tcp:{allowed}\nSocketBindDeny=any\n{exec}"),
        &[],
    );
    assert!(result.contains("Success"), "{result}");
    assert!(has(&lines, "tcp-ok"), "{lines:?}");
    assert!(has(&lines, "other-denied"), "{lines:?}");
    assert!(has(&lines, "udp-denied"), "{lines:?}");
}
