//! The descriptor store through the real daemon: a service keeps
//! descriptors with `FDSTORE=1` (up to `FileDescriptorStoreMax=`), gets them
//! back at its next start after an automatic restart or a `restart` job, can
//! drop them by name (`FDSTOREREMOVE=1`), and loses them when it stops for
//! good; a descriptor that hung up is not passed on.

mod daemon_support;

use std::path::Path;
use std::time::Duration;

use daemon_support::{wait_for, Daemon};
use sundial::ipc::{Request, Response, UnitsRequest};

fn python() -> Option<&'static str> {
    ["/usr/bin/python3", "/bin/python3"]
        .into_iter()
        .find(|p| Path::new(p).exists())
}

/// A notify service that records what it got from the store (`RUN n names
/// content-of-the-first`) in argv[1], then acts as argv[2] says:
/// `store-and-fail` keeps a memfd and both ends of a pipe (the limit is 2)
/// and exits 3; `finish` exits 0; `remove-and-wait` drops the name `state`
/// and stays; `store-and-wait` keeps a memfd and stays.
const SERVICE: &str = r#"
import os, socket, sys, time
out, mode = sys.argv[1], sys.argv[2]
n = int(os.environ.get("LISTEN_FDS", "0"))
names = os.environ.get("LISTEN_FDNAMES", "")
first = ""
if n > 0:
    os.lseek(3, 0, 0)
    first = os.read(3, 100).decode()
with open(out, "a") as f:
    f.write(f"RUN {n} {names} {first}\n")
addr = os.environ["NOTIFY_SOCKET"]
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.connect(addr)
def memfd(text):
    m = os.memfd_create("state")
    os.write(m, text.encode())
    return m
if mode == "store-and-fail":
    socket.send_fds(s, [b"FDSTORE=1\nFDNAME=state"], [memfd("counter=41")])
    r, w = os.pipe()
    socket.send_fds(s, [b"FDSTORE=1\nFDNAME=pipe"], [r, w])
    s.send(b"READY=1")
    time.sleep(0.2)
    sys.exit(3)
if mode == "store-and-wait":
    socket.send_fds(s, [b"FDSTORE=1\nFDNAME=state"], [memfd("kept")])
if mode == "remove-and-wait":
    s.send(b"FDSTOREREMOVE=1\nFDNAME=state")
s.send(b"READY=1")
if mode == "finish":
    sys.exit(0)
while True:
    time.sleep(1)
"#;

fn unit(script: &Path, out: &Path, mode_file: &Path, extra: &str) -> String {
    format!(
        "[Service]\nType=notify\nFileDescriptorStoreMax=2\n{extra}\
         ExecStart=/bin/sh -c 'exec {} {} {} \"$(cat {})\"'\n",
        python().unwrap_or("python3"),
        script.display(),
        out.display(),
        mode_file.display()
    )
}

fn runs(out: &Path) -> Vec<String> {
    std::fs::read_to_string(out)
        .unwrap_or_default()
        .lines()
        .map(str::to_owned)
        .collect()
}

/// The service's files and its started daemon.
struct Setup {
    dir: tempfile::TempDir,
    out: std::path::PathBuf,
    mode: std::path::PathBuf,
    d: Daemon,
}

/// keep.service in its first `mode`, with `extra` [Service] lines, and a
/// daemon started over it; `None` (said) without python3.
fn setup(first_mode: &str, extra: &str) -> Option<Setup> {
    if python().is_none() {
        eprintln!("skipped: python3 is not installed");
        return None;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let script = dir.path().join("svc.py");
    std::fs::write(&script, SERVICE).expect("writes");
    let out = dir.path().join("out");
    let mode = dir.path().join("mode");
    std::fs::write(&mode, first_mode).expect("writes");
    let text = unit(&script, &out, &mode, extra);
    let mut d = Daemon::new(dir.path(), &[("keep.service", &text)]);
    d.start();
    Some(Setup { dir, out, mode, d })
}

#[test]
fn stored_descriptors_come_back_after_an_automatic_restart_and_go_at_the_end() {
    let Some(Setup {
        dir: _dir,
        out,
        mode,
        d,
    }) = setup("store-and-fail", "Restart=on-failure\nRestartSec=1s\n")
    else {
        return;
    };
    d.start_unit("keep.service");
    assert!(wait_for(Duration::from_secs(10), || d
        .property(Some("keep.service"), "SubState")
        == "auto-restart"));
    // The memfd and the pipe's read end were kept, the write end refused
    // (limit 2); the read end hung up when the service's copy of the write
    // end closed at its exit.
    assert_eq!(
        d.property(Some("keep.service"), "NFileDescriptorStore"),
        "1"
    );
    assert_eq!(
        d.property(Some("keep.service"), "FileDescriptorStoreMax"),
        "2"
    );
    std::fs::write(&mode, "finish").expect("writes");
    assert!(wait_for(Duration::from_secs(15), || runs(&out).len() == 2));
    assert_eq!(
        runs(&out),
        ["RUN 0  ", "RUN 1 state counter=41"],
        "the second run got the memfd, named"
    );
    assert!(wait_for(Duration::from_secs(10), || d
        .property(Some("keep.service"), "ActiveState")
        == "inactive"));
    assert!(wait_for(Duration::from_secs(5), || d
        .property(Some("keep.service"), "NFileDescriptorStore")
        == "0"));
    let log = d.log_lines("keep.service").join("\n");
    assert!(
        log.contains("Cannot store more fds than FileDescriptorStoreMax=2, closing remaining."),
        "{log}"
    );
}

#[test]
fn a_restart_job_keeps_the_store_and_fdstoreremove_empties_it() {
    let Some(Setup {
        dir: _dir,
        out,
        mode,
        d,
    }) = setup("store-and-wait", "")
    else {
        return;
    };
    if let Response::Error { message, .. } = d.call(Request::Start(UnitsRequest {
        units: vec!["keep.service".into()],
    })) {
        panic!("{message}: {:?}", d.log_lines("keep.service"));
    }
    assert!(wait_for(Duration::from_secs(10), || d
        .property(Some("keep.service"), "NFileDescriptorStore")
        == "1"));
    std::fs::write(&mode, "remove-and-wait").expect("writes");
    match d.call(Request::Restart(UnitsRequest {
        units: vec!["keep.service".into()],
    })) {
        Response::Done { .. } => {}
        other => panic!("restart: {other:?}"),
    }
    assert!(wait_for(Duration::from_secs(10), || runs(&out).len() == 2));
    assert_eq!(runs(&out)[1], "RUN 1 state kept");
    assert!(wait_for(Duration::from_secs(10), || d
        .property(Some("keep.service"), "NFileDescriptorStore")
        == "0"));
    d.stop_unit("keep.service");
}
