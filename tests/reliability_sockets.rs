//! Reliability of Accept=yes socket activation: many concurrent
//! connections, each served by its own instance of the template, none
//! lost, every instance forgotten once its connection ends. Bounded in CI;
//! `SUNDIAL_RELIABILITY_LONG=1` runs more clients.

mod daemon_support;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use daemon_support::{wait_for, Daemon};
use sundial::ipc::{Request, Response};

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

/// A shell service that answers one connection on stdin/stdout with its
/// instance name and environment.
const ECHO_SERVICE: &str = "[Service]\nStandardInput=socket\nExecStart=/bin/sh -c 'read line; echo \"$line %i $LISTEN_FDS $REMOTE_ADDR\"; sleep 0.3'\n";

#[test]
fn accept_yes_serves_each_connection_by_its_own_instance() {
    let dir = tempfile::tempdir().expect("tempdir");
    let port = free_port();
    let long = std::env::var("SUNDIAL_RELIABILITY_LONG").is_ok_and(|v| v == "1");
    let clients = if long { 200 } else { 50 };
    let mut d = Daemon::new(
        dir.path(),
        &[
            (
                "echo.socket",
                &format!(
                    "[Socket]\nListenStream=127.0.0.1:{port}\nAccept=yes\nMaxConnections=1000\n"
                ),
            ),
            ("echo@.service", ECHO_SERVICE),
        ],
    );
    d.start();
    d.start_unit("echo.socket");
    let started = std::time::Instant::now();
    let threads: Vec<_> = (0..clients)
        .map(|i| {
            std::thread::spawn(move || {
                let mut s = TcpStream::connect(("127.0.0.1", port)).expect("connects");
                s.set_read_timeout(Some(Duration::from_secs(60)))
                    .expect("timeout");
                writeln!(s, "hello{i}").expect("sends");
                let local = s.local_addr().expect("bound").port();
                (i, local, read_all(s))
            })
        })
        .collect();
    let mut instances = std::collections::BTreeSet::new();
    for t in threads {
        let (i, local, answer) = t.join().expect("client");
        let words: Vec<&str> = answer.split_whitespace().collect();
        assert_eq!(words.len(), 4, "{answer:?}");
        assert_eq!(words[0], format!("hello{i}"));
        // N-LOCAL-REMOTE, as systemd names the instance.
        let (n, rest) = words[1].split_once('-').expect("N-...");
        assert!(n.parse::<u32>().is_ok(), "{answer}");
        assert_eq!(rest, format!("127.0.0.1:{port}-127.0.0.1:{local}"));
        assert_eq!(&words[2..], ["1", "127.0.0.1"]);
        instances.insert(words[1].to_owned());
    }
    eprintln!(
        "reliability: accept=yes {clients} concurrent connections served in {:?}",
        started.elapsed()
    );
    assert_eq!(instances.len(), clients, "one instance per connection");
    assert_eq!(
        d.property(Some("echo.socket"), "NAccepted"),
        clients.to_string()
    );
    // Every instance ends and is forgotten.
    assert!(
        wait_for(Duration::from_secs(30), || d
            .property(Some("echo.socket"), "NConnections")
            == "0"),
        "connections left: {}",
        d.property(Some("echo.socket"), "NConnections")
    );
    let listed = match d.call(Request::ListUnits(sundial::ipc::ListUnitsRequest {
        all: true,
        types: Vec::new(),
        states: Vec::new(),
        patterns: Vec::new(),
    })) {
        Response::Units { units } => units,
        other => panic!("list-units: {other:?}"),
    };
    let left: Vec<_> = listed
        .iter()
        .filter(|u| u.unit.starts_with("echo@"))
        .map(|u| u.unit.clone())
        .collect();
    assert!(left.is_empty(), "instances left: {left:?}");
}
