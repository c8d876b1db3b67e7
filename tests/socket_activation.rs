//! Socket activation through the real daemon: socket units opened at start,
//! the service started by the first connection with the descriptors passed
//! as sd_listen_fds(3) expects them, the socket listening again once the
//! service ends, and the run recorded as `socket:NAME`.

mod daemon_support;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::os::unix::net::{UnixDatagram, UnixStream};
use std::path::Path;
use std::time::Duration;

use daemon_support::{enable, wait_for, Daemon};
use sundial::ipc::{Request, Response, UnitsRequest};

fn python() -> Option<&'static str> {
    ["/usr/bin/python3", "/bin/python3"]
        .into_iter()
        .find(|p| Path::new(p).exists())
}

/// A port nothing listens on now (a unit cannot ask for port 0).
fn free_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").expect("binds");
    l.local_addr().expect("bound").port()
}

/// Reads everything the peer sends until it closes.
fn read_all(mut s: impl Read) -> String {
    let mut out = String::new();
    s.read_to_string(&mut out).expect("reads");
    out
}

/// A service that answers every connection on each passed stream socket
/// with what sd_listen_fds(3) told it, then exits after `serve` answers.
const LISTENER: &str = r#"
import os, socket, sys, select
pid = int(os.environ["LISTEN_PID"])
n = int(os.environ["LISTEN_FDS"])
names = os.environ.get("LISTEN_FDNAMES", "").split(":")
assert pid == os.getpid(), (pid, os.getpid())
socks = [socket.socket(fileno=3 + i) for i in range(n)]
for s in socks:
    s.setblocking(True)
left = int(sys.argv[1])
while left > 0:
    ready, _, _ = select.select(socks, [], [])
    for s in ready:
        i = socks.index(s)
        if s.type == socket.SOCK_DGRAM:
            data, _ = s.recvfrom(100)
            continue
        conn, _ = s.accept()
        conn.sendall(f"fd={3 + i} n={n} names={':'.join(names)} pid={os.getpid()}\n".encode())
        conn.close()
        left -= 1
"#;

#[test]
fn tcp_and_named_unix_sockets_are_passed_in_file_order() {
    let Some(python) = python() else {
        eprintln!("skipped: no python3 to read LISTEN_FDS");
        return;
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let port = free_port();
    let web = dir.path().join("run/web.sock");
    let admin = dir.path().join("run/admin.sock");
    let script = dir.path().join("listener.py");
    std::fs::write(&script, LISTENER).expect("writes");
    let mut d = Daemon::new(
        dir.path(),
        &[
            (
                "app.socket",
                &format!(
                    "[Socket]\nListenStream=127.0.0.1:{port}\nListenStream={}\nFileDescriptorName=web\n[Install]\nWantedBy=sockets.target\n",
                    web.display()
                ),
            ),
            (
                "app-admin.socket",
                &format!(
                    "[Socket]\nListenStream={}\nSocketMode=0600\nService=app.service\nFileDescriptorName=admin\n[Install]\nWantedBy=sockets.target\n",
                    admin.display()
                ),
            ),
            (
                "app.service",
                &format!(
                    "[Service]\nExecStart={python} {} 3\n",
                    script.display()
                ),
            ),
        ],
    );
    enable(&d.units, "sockets.target", "app.socket");
    enable(&d.units, "sockets.target", "app-admin.socket");
    d.start();
    // The sockets are open before anything runs (a request is answered
    // after the start-up).
    assert!(d.history("app.service").is_empty());
    assert_eq!(
        std::fs::metadata(&admin)
            .map(|m| std::os::unix::fs::PermissionsExt::mode(&m.permissions()) & 0o777)
            .ok(),
        Some(0o600)
    );
    assert!(d.history("app.service").is_empty());

    // The first connection starts the service; it is not lost.
    let first = read_all(TcpStream::connect(("127.0.0.1", port)).expect("connects"));
    // The sockets in name order (app-admin.socket, then app.socket), each
    // socket's in the order of its lines.
    assert!(
        first.starts_with("fd=4 n=3 names=admin:web:web pid="),
        "{first}"
    );
    let pid = first.trim().rsplit('=').next().expect("a pid").to_owned();
    let second = read_all(UnixStream::connect(&web).expect("connects"));
    assert_eq!(second, format!("fd=5 n=3 names=admin:web:web pid={pid}\n"));
    let third = read_all(UnixStream::connect(&admin).expect("connects"));
    assert_eq!(third, format!("fd=3 n=3 names=admin:web:web pid={pid}\n"));

    // The service has ended: the socket listens again and the next
    // connection starts a new run, with the same descriptors.
    assert!(wait_for(Duration::from_secs(10), || d
        .finished("app.service")
        .len()
        == 1));
    let again = read_all(UnixStream::connect(&admin).expect("connects"));
    assert!(
        again.starts_with("fd=3 n=3 names=admin:web:web pid="),
        "{again}"
    );
    assert_ne!(again, third, "a new process");
    let runs = d.history("app.service");
    assert_eq!(runs.len(), 2);
    assert_eq!(runs[1].trigger.label(), "socket:app.socket");
    assert_eq!(runs[0].trigger.label(), "socket:app-admin.socket");
}

#[test]
fn a_datagram_wakes_the_service_and_the_socket_follows_its_state() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("dgram.sock");
    let out = dir.path().join("out");
    let mut d = Daemon::new(
        dir.path(),
        &[
            (
                "log.socket",
                &format!("[Socket]\nListenDatagram={}\n", path.display()),
            ),
            (
                "log.service",
                // Reads one datagram from fd 3 (dd reads one packet per block).
                &format!(
                    "[Service]\nExecStart=/bin/sh -c 'dd bs=100 count=1 <&3 2>/dev/null > {}; echo \"$LISTEN_FDS $LISTEN_FDNAMES\" >> {}'\n",
                    out.display(),
                    out.display()
                ),
            ),
        ],
    );
    d.start();
    d.start_unit("log.socket");
    let active = |d: &Daemon| d.property(Some("log.socket"), "SubState");
    assert_eq!(active(&d), "listening");
    let client = UnixDatagram::unbound().expect("socket");
    client.send_to(b"hello", &path).expect("sends");
    assert!(wait_for(Duration::from_secs(10), || d
        .finished("log.service")
        .len()
        == 1));
    assert_eq!(
        std::fs::read_to_string(&out).expect("written"),
        "hello1 log\n"
    );
    assert!(wait_for(Duration::from_secs(5), || active(&d) == "listening"));
    // Stopping the socket closes it.
    d.stop_unit("log.socket");
    assert_eq!(d.property(Some("log.socket"), "ActiveState"), "inactive");
    assert!(client.send_to(b"x", &path).is_err());
}

#[test]
fn a_service_that_requires_its_socket_starts_it_first() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("req.sock");
    let mut d = Daemon::new(
        dir.path(),
        &[
            (
                "req.socket",
                &format!("[Socket]\nListenStream={}\n", path.display()),
            ),
            (
                "req.service",
                "[Unit]\nRequires=req.socket\n[Service]\nType=oneshot\nExecStart=/bin/sh -c 'test \"$LISTEN_FDS\" = 1 && test -S /proc/self/fd/3 || test -e /proc/self/fd/3'\n",
            ),
        ],
    );
    d.start();
    assert!(!path.exists());
    match d.call(Request::Start(UnitsRequest {
        units: vec!["req.service".into()],
    })) {
        Response::Done { .. } => {}
        other => panic!("start: {other:?}"),
    }
    assert!(path.exists());
    let runs = d.finished("req.service");
    assert_eq!(runs.len(), 1);
    assert_eq!(
        runs[0].result,
        Some(sundial::store::RunResult::Success),
        "{runs:?}"
    );
    let mut c = UnixStream::connect(&path).expect("the socket listens");
    let _ = c.write_all(b"x");
}

#[test]
fn max_connections_closes_what_is_beyond_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("max.sock");
    let mut d = Daemon::new(
        dir.path(),
        &[
            (
                "max.socket",
                &format!(
                    "[Socket]\nListenStream={}\nAccept=yes\nMaxConnections=2\n",
                    path.display()
                ),
            ),
            (
                "max@.service",
                "[Service]\nStandardInput=socket\nExecStart=/bin/sh -c 'echo busy; read line; echo \"done $line\"'\n",
            ),
        ],
    );
    d.start();
    d.start_unit("max.socket");
    let connect = || {
        let s = UnixStream::connect(&path).expect("connects");
        s.set_read_timeout(Some(Duration::from_secs(30)))
            .expect("timeout");
        s
    };
    let read_line = |s: &mut UnixStream| {
        let mut line = Vec::new();
        let mut byte = [0u8; 1];
        while let Ok(1) = s.read(&mut byte) {
            if byte[0] == b'\n' {
                break;
            }
            line.push(byte[0]);
        }
        String::from_utf8_lossy(&line).into_owned()
    };
    let mut a = connect();
    assert_eq!(read_line(&mut a), "busy");
    let mut b = connect();
    assert_eq!(read_line(&mut b), "busy");
    // Two run: the third is accepted and closed at once.
    let c = connect();
    assert_eq!(read_all(c), "");
    assert!(d
        .stderr()
        .contains("max.socket: Too many incoming connections (2), dropping connection."));
    let status = std::process::Command::new(env!("CARGO_BIN_EXE_sundial"))
        .args(["status", "--no-pager", "--socket"])
        .arg(&d.socket)
        .arg("max.socket")
        .output()
        .expect("status runs");
    let text = String::from_utf8_lossy(&status.stdout);
    assert!(
        text.contains(&format!("     Listen: {} (Stream)\n", path.display())),
        "{text}"
    );
    assert!(
        text.contains("   Accepted: 2; Connected: 2; Refused: 1\n"),
        "{text}"
    );
    assert!(text.contains("   Triggers: ● max@0-"), "{text}");
    // One ends: there is room again.
    writeln!(a, "a").expect("sends");
    assert_eq!(read_line(&mut a), "done a");
    assert!(wait_for(Duration::from_secs(10), || d
        .property(Some("max.socket"), "NConnections")
        == "1"));
    let mut e = connect();
    assert_eq!(read_line(&mut e), "busy");
    writeln!(b, "b").expect("sends");
    writeln!(e, "e").expect("sends");
    assert_eq!(read_line(&mut b), "done b");
    assert_eq!(read_line(&mut e), "done e");
}

#[test]
fn max_connections_per_source_counts_a_unix_peer_by_its_uid() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("src.sock");
    let mut d = Daemon::new(
        dir.path(),
        &[
            (
                "src.socket",
                &format!(
                    "[Socket]\nListenStream={}\nAccept=yes\nMaxConnections=5\nMaxConnectionsPerSource=1\n",
                    path.display()
                ),
            ),
            (
                "src@.service",
                "[Service]\nStandardInput=socket\nExecStart=/bin/sh -c 'echo busy; read line'\n",
            ),
        ],
    );
    d.start();
    d.start_unit("src.socket");
    let mut first = UnixStream::connect(&path).expect("connects");
    first
        .set_read_timeout(Some(Duration::from_secs(30)))
        .expect("timeout");
    let mut busy = [0u8; 5];
    first.read_exact(&mut busy).expect("served");
    assert_eq!(&busy, b"busy\n");
    // The same user again: beyond MaxConnectionsPerSource=1, closed.
    let second = UnixStream::connect(&path).expect("connects");
    assert_eq!(read_all(second), "");
    assert!(d.stderr().contains("from source, dropping connection"));
    writeln!(first, "bye").expect("sends");
    assert_eq!(read_all(first), "");
}

#[test]
fn a_socket_triggered_too_often_fails_with_trigger_limit_hit() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("loop.sock");
    let mut d = Daemon::new(
        dir.path(),
        &[
            (
                "loop.socket",
                &format!(
                    "[Socket]\nListenStream={}\nTriggerLimitIntervalSec=1min\nTriggerLimitBurst=3\n",
                    path.display()
                ),
            ),
            // Never accepts: the waiting connection triggers it again each
            // time it ends.
            ("loop.service", "[Service]\nExecStart=/bin/true\n"),
        ],
    );
    d.start();
    d.start_unit("loop.socket");
    let _waiting = UnixStream::connect(&path).expect("connects");
    assert!(
        wait_for(Duration::from_secs(20), || d
            .property(Some("loop.socket"), "ActiveState")
            == "failed"),
        "{}",
        d.stderr()
    );
    assert_eq!(
        d.property(Some("loop.socket"), "Result"),
        "trigger-limit-hit"
    );
    assert_eq!(d.history("loop.service").len(), 3);
    assert!(UnixStream::connect(&path).is_err(), "closed");
    // reset-failed forgets the failure; a start opens it again.
    match d.call(Request::ResetFailed(sundial::ipc::ResetFailedRequest {
        units: vec!["loop.socket".into()],
    })) {
        Response::Done { .. } => {}
        other => panic!("reset-failed: {other:?}"),
    }
    assert_eq!(d.property(Some("loop.socket"), "ActiveState"), "inactive");
    d.start_unit("loop.socket");
    assert_eq!(d.property(Some("loop.socket"), "SubState"), "listening");
}

#[test]
fn a_fifo_with_a_symlink_triggers_and_its_files_go_with_remove_on_stop() {
    let dir = tempfile::tempdir().expect("tempdir");
    let fifo = dir.path().join("run/in.fifo");
    let link = dir.path().join("in.link");
    let out = dir.path().join("out");
    let mut d = Daemon::new(
        dir.path(),
        &[
            (
                "in.socket",
                &format!(
                    "[Socket]\nListenFIFO={}\nSymlinks={}\nRemoveOnStop=yes\nSocketMode=0640\n",
                    fifo.display(),
                    link.display()
                ),
            ),
            (
                "in.service",
                &format!(
                    "[Service]\nType=oneshot\nExecStart=/bin/sh -c 'read line <&3; echo \"$line $LISTEN_FDNAMES\" > {}'\n",
                    out.display()
                ),
            ),
        ],
    );
    d.start();
    d.start_unit("in.socket");
    let meta = std::fs::metadata(&fifo).expect("made");
    assert!(std::os::unix::fs::FileTypeExt::is_fifo(&meta.file_type()));
    assert_eq!(
        std::os::unix::fs::PermissionsExt::mode(&meta.permissions()) & 0o777,
        0o640
    );
    assert_eq!(std::fs::read_link(&link).expect("a link"), fifo);
    std::fs::write(&link, "through the link\n").expect("writes");
    assert!(wait_for(Duration::from_secs(10), || d
        .finished("in.service")
        .len()
        == 1));
    assert_eq!(
        std::fs::read_to_string(&out).expect("written"),
        "through the link in\n"
    );
    d.stop_unit("in.socket");
    assert!(!fifo.exists());
    assert!(std::fs::symlink_metadata(&link).is_err());
}

#[test]
fn enable_now_links_a_socket_into_sockets_target_and_opens_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("en.sock");
    let mut d = Daemon::new(
        dir.path(),
        &[
            (
                "en.socket",
                &format!(
                    "[Socket]\nListenStream={}\n[Install]\nWantedBy=sockets.target\n",
                    path.display()
                ),
            ),
            ("en.service", "[Service]\nExecStart=/bin/true\n"),
        ],
    );
    d.start();
    match d.call(Request::Enable(sundial::ipc::EnablementRequest {
        units: vec!["en.socket".into()],
        now: true,
    })) {
        Response::FileChanges { .. } => {}
        other => panic!("enable: {other:?}"),
    }
    let link = d.units.join("sockets.target.wants/en.socket");
    assert!(std::fs::symlink_metadata(&link).is_ok(), "linked");
    assert_eq!(d.property(Some("en.socket"), "SubState"), "listening");
    assert!(path.exists());
    // A new daemon opens it at start, from sockets.target.
    d.kill9();
    std::fs::remove_file(&path).expect("removes");
    let mut d2 = Daemon::new(dir.path(), &[]);
    d2.start();
    assert_eq!(d2.property(Some("en.socket"), "SubState"), "listening");
    assert!(path.exists());
}

#[test]
fn a_connection_outlives_its_stopped_socket_and_closes_with_its_instance() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("keep.sock");
    let mut d = Daemon::new(
        dir.path(),
        &[
            (
                "keep.socket",
                &format!("[Socket]\nListenStream={}\nAccept=yes\n", path.display()),
            ),
            (
                "keep@.service",
                "[Service]\nStandardInput=socket\nExecStart=/bin/sh -c 'echo busy; read line; echo \"done $line\"'\n",
            ),
        ],
    );
    d.start();
    d.start_unit("keep.socket");
    let mut c = UnixStream::connect(&path).expect("connects");
    // A daemon that kept its copy of the connection would leave the read
    // below waiting: the timeout makes that a failure.
    c.set_read_timeout(Some(Duration::from_secs(20)))
        .expect("timeout");
    let mut busy = [0u8; 5];
    c.read_exact(&mut busy).expect("served");
    d.stop_unit("keep.socket");
    assert!(UnixStream::connect(&path).is_err(), "the socket is closed");
    writeln!(c, "x").expect("the connection lives on");
    assert_eq!(read_all(c), "done x\n");
}

/// The port ids of the netlink sockets of `family` bound to exactly
/// `groups` (/proc/net/netlink: `sk Eth Pid Groups ...`, groups in hex).
fn netlink_port_ids(family: u32, groups: u32) -> Vec<u32> {
    let table = std::fs::read_to_string("/proc/net/netlink").expect("readable");
    table
        .lines()
        .skip(1)
        .filter_map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            let eth: u32 = f.get(1)?.parse().ok()?;
            let port: u32 = f.get(2)?.parse().ok()?;
            let g = u32::from_str_radix(f.get(3)?, 16).ok()?;
            (eth == family && g == groups).then_some(port)
        })
        .collect()
}

/// Sends `data` to the netlink socket of `family` with port id `port`.
fn send_netlink(family: i32, port: u32, data: &[u8]) {
    // SAFETY: a plain socket(2); the descriptor is owned at once.
    let fd = unsafe {
        libc::socket(
            libc::AF_NETLINK,
            libc::SOCK_RAW | libc::SOCK_CLOEXEC,
            family,
        )
    };
    assert!(fd >= 0, "socket: {}", std::io::Error::last_os_error());
    // SAFETY: fd was just opened and nothing else owns it.
    let fd = unsafe { <std::os::fd::OwnedFd as std::os::fd::FromRawFd>::from_raw_fd(fd) };
    // SAFETY: an all-zero sockaddr_nl is valid; its fields are set below.
    let mut to: libc::sockaddr_nl = unsafe { std::mem::zeroed() };
    to.nl_family = libc::AF_NETLINK as libc::sa_family_t;
    to.nl_pid = port;
    // SAFETY: the buffer and address outlive the call; lengths are theirs.
    let sent = unsafe {
        libc::sendto(
            std::os::fd::AsRawFd::as_raw_fd(&fd),
            data.as_ptr().cast(),
            data.len(),
            0,
            std::ptr::from_ref(&to).cast(),
            std::mem::size_of::<libc::sockaddr_nl>() as libc::socklen_t,
        )
    };
    assert_eq!(
        sent,
        data.len() as isize,
        "sendto: {}",
        std::io::Error::last_os_error()
    );
}

#[test]
fn a_netlink_message_wakes_the_service_that_reads_it_from_fd_3() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("out");
    // NETLINK_USERSOCK (2), which every user may open and send on; a group
    // mask of this process's own makes the socket easy to find.
    let groups = 0x0100_0000 | (std::process::id() & 0x00ff_ffff);
    let mut d = Daemon::new(
        dir.path(),
        &[
            (
                "nl.socket",
                &format!("[Socket]\nListenNetlink=2 {groups}\nPassPacketInfo=yes\n"),
            ),
            (
                "nl.service",
                &format!(
                    "[Service]\nExecStart=/bin/sh -c 'dd bs=4096 count=1 <&3 2>/dev/null > {}; echo \" $LISTEN_FDS $LISTEN_FDNAMES\" >> {}'\n",
                    out.display(),
                    out.display()
                ),
            ),
        ],
    );
    d.start();
    d.start_unit("nl.socket");
    assert_eq!(d.property(Some("nl.socket"), "SubState"), "listening");
    let ports = netlink_port_ids(2, groups);
    assert_eq!(ports.len(), 1, "one socket bound to {groups:#x}: {ports:?}");
    let listed = d.call(Request::ListSockets(sundial::ipc::ListTimersRequest {
        all: true,
        patterns: Vec::new(),
    }));
    let text = format!("{listed:?}");
    assert!(
        text.contains(&format!("2 {groups}")) && text.contains("Netlink"),
        "{text}"
    );
    send_netlink(2, ports[0], b"ping over netlink");
    assert!(wait_for(Duration::from_secs(10), || d
        .finished("nl.service")
        .len()
        == 1));
    assert_eq!(
        std::fs::read_to_string(&out).expect("written"),
        "ping over netlink 1 nl\n"
    );
    d.stop_unit("nl.socket");
    assert!(netlink_port_ids(2, groups).is_empty(), "closed at stop");
}
