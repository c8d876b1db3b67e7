//! A service's Sockets=: the listed socket units are started with it
//! (Wants=, After=) and their descriptors passed, though they name another
//! service.

// Test helpers: a failure should stop the test loudly.
#![allow(clippy::unwrap_used)]

mod daemon_support;

use std::time::Duration;

use daemon_support::{wait_for, Daemon};

#[test]
fn sockets_listed_by_a_service_come_with_it() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let sock = dir.path().join("extra.sock");
    let units = [
        (
            "extra.socket",
            format!(
                "[Socket]\nListenStream={}\nFileDescriptorName=extra\nService=other.service\n",
                sock.display()
            ),
        ),
        ("other.service", "[Service]\nExecStart=/bin/sleep 30\n".to_owned()),
        (
            "app.service",
            format!(
                "[Unit]\nDescription=app\n[Service]\nSockets=extra.socket\nExecStart=/bin/sh -c 'echo \"$LISTEN_FDS $LISTEN_FDNAMES\" > {}; sleep 30'\n",
                out.display()
            ),
        ),
        (
            "bad.service",
            "[Service]\nSockets=other.service\nExecStart=/bin/true\n".to_owned(),
        ),
    ];
    let refs: Vec<(&str, &str)> = units.iter().map(|(n, t)| (*n, t.as_str())).collect();
    let mut d = Daemon::new(dir.path(), &refs);
    d.start();
    d.start_unit("app.service");
    assert!(wait_for(Duration::from_secs(10), || {
        std::fs::read_to_string(&out).is_ok_and(|t| !t.is_empty())
    }));
    assert_eq!(std::fs::read_to_string(&out).unwrap(), "1 extra\n");
    assert!(sock.exists(), "the listed socket was opened");
    assert_eq!(d.property(Some("extra.socket"), "ActiveState"), "active");
    assert!(d
        .property(Some("app.service"), "After")
        .contains("extra.socket"));
    // A name that is not a socket is refused with the file's line.
    let verify = std::process::Command::new(env!("CARGO_BIN_EXE_sundial"))
        .args(["verify", "--unit-dir"])
        .arg(&d.units)
        .arg("bad.service")
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&verify.stderr);
    assert!(
        err.contains("bad.service:2") && err.contains("other.service is not a socket unit"),
        "{err}"
    );
}
