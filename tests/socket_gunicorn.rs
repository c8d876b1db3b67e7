//! The seeds' socket example with the real gunicorn: gunicorn.socket on a
//! Unix path, gunicorn.service of Type=notify started by the first HTTP
//! request, which it answers; the second request is served by the same
//! process, and `status` shows what triggered the service.

mod daemon_support;

use std::io::{Read, Write};
use std::os::unix::net::UnixStream;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

use daemon_support::{enable, Daemon};

const APP: &str = r#"
import os

def application(environ, start_response):
    body = ("hello from %d\n" % os.getpid()).encode()
    start_response("200 OK", [("Content-Type", "text/plain"),
                              ("Content-Length", str(len(body)))])
    return [body]
"#;

/// One HTTP/1.0 request over the Unix socket; the whole answer.
fn get(path: &Path) -> String {
    let mut s = UnixStream::connect(path).expect("connects");
    s.set_read_timeout(Some(Duration::from_secs(60)))
        .expect("timeout");
    s.write_all(b"GET / HTTP/1.0\r\nHost: localhost\r\n\r\n")
        .expect("sends");
    let mut answer = String::new();
    s.read_to_string(&mut answer).expect("reads");
    answer
}

#[test]
fn gunicorn_is_started_by_the_first_request_and_serves_the_next() {
    let Some(gunicorn) = ["/usr/bin/gunicorn", "/usr/local/bin/gunicorn"]
        .into_iter()
        .find(|p| Path::new(p).exists())
    else {
        eprintln!("skipped: gunicorn is not installed (Debian package gunicorn)");
        return;
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let app_dir = dir.path().join("app");
    std::fs::create_dir_all(&app_dir).expect("mkdir");
    std::fs::write(app_dir.join("myapp.py"), APP).expect("writes");
    let sock = dir.path().join("run/gunicorn.sock");
    let mut d = Daemon::new(
        dir.path(),
        &[
            (
                "gunicorn.socket",
                &format!(
                    "[Unit]\nDescription=gunicorn socket\n\n[Socket]\nListenStream={}\n\n[Install]\nWantedBy=sockets.target\n",
                    sock.display()
                ),
            ),
            (
                "gunicorn.service",
                &format!(
                    "[Unit]\nDescription=gunicorn daemon\nRequires=gunicorn.socket\nAfter=network.target\n\n\
                     [Service]\nType=notify\nWorkingDirectory={}\n\
                     ExecStart={gunicorn} --access-logfile - --workers 1 myapp:application\n\
                     ExecReload=/bin/kill -s HUP $MAINPID\nKillMode=mixed\nTimeoutStopSec=5\n",
                    app_dir.display()
                ),
            ),
        ],
    );
    enable(&d.units, "sockets.target", "gunicorn.socket");
    d.start();
    assert_eq!(d.property(Some("gunicorn.socket"), "SubState"), "listening");
    assert_eq!(
        d.property(Some("gunicorn.service"), "ActiveState"),
        "inactive"
    );

    let started = std::time::Instant::now();
    let first = get(&sock);
    eprintln!(
        "socket: the first request, gunicorn started by it, answered in {:?}",
        started.elapsed()
    );
    assert!(
        first.starts_with("HTTP/1.0 200 OK") || first.starts_with("HTTP/1.1 200 OK"),
        "{first}"
    );
    assert_eq!(
        d.property(Some("gunicorn.service"), "ActiveState"),
        "active"
    );
    assert_eq!(d.property(Some("gunicorn.socket"), "SubState"), "running");
    let main_pid = d.property(Some("gunicorn.service"), "MainPID");
    assert_ne!(main_pid, "0");

    let again = std::time::Instant::now();
    let second = get(&sock);
    eprintln!(
        "socket: the second request answered in {:?}",
        again.elapsed()
    );
    assert!(second.contains("200 OK"), "{second}");
    assert_eq!(d.property(Some("gunicorn.service"), "MainPID"), main_pid);
    // One worker answered both: the same process, started once.
    let worker = |answer: &str| answer.lines().last().map(str::to_owned);
    assert_eq!(worker(&first), worker(&second));
    let runs = d.history("gunicorn.service");
    assert_eq!(runs.len(), 1);
    assert_eq!(runs[0].trigger.label(), "socket:gunicorn.socket");

    let status = Command::new(env!("CARGO_BIN_EXE_sundial"))
        .args(["status", "--no-pager", "--socket"])
        .arg(&d.socket)
        .arg("gunicorn.service")
        .output()
        .expect("status runs");
    let text = String::from_utf8_lossy(&status.stdout);
    assert!(text.contains("TriggeredBy: ● gunicorn.socket"), "{text}");
    assert!(text.contains("Active: active (running)"), "{text}");
    let socket_status = Command::new(env!("CARGO_BIN_EXE_sundial"))
        .args(["status", "--no-pager", "--socket"])
        .arg(&d.socket)
        .arg("gunicorn.socket")
        .output()
        .expect("status runs");
    let text = String::from_utf8_lossy(&socket_status.stdout);
    assert!(text.contains("Triggers: ● gunicorn.service"), "{text}");

    // Stopped, the service gives the socket back; the next request starts
    // it again.
    d.stop_unit("gunicorn.service");
    assert_eq!(d.property(Some("gunicorn.socket"), "SubState"), "listening");
    let third = get(&sock);
    assert!(third.contains("200 OK"), "{third}");
    assert_ne!(d.property(Some("gunicorn.service"), "MainPID"), main_pid);
    d.stop_unit("gunicorn.service");
}
