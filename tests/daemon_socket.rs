//! Two daemons in turn on one socket path: the one that exits last must not
//! take the other's sockets with it.

mod daemon_support;

use std::os::unix::fs::MetadataExt;
use std::time::Duration;
use sundial::ipc::UnitsRequest;

use daemon_support::{wait_for, Daemon};
use sundial::ipc::{Request, Response};

const SERVICE: &str = "[Service]\nType=oneshot\nExecStart=/bin/true\n";

#[test]
fn an_exiting_daemon_leaves_a_newer_daemons_sockets_alone() {
    let a_dir = tempfile::tempdir().unwrap();
    let b_dir = tempfile::tempdir().unwrap();
    let mut a = Daemon::new(a_dir.path(), &[("a.service", SERVICE)]);
    a.start();
    let socket = a.socket.clone();
    let notify = socket.with_file_name("notify");
    let a_inode = std::fs::metadata(&socket).unwrap().ino();

    // The socket file of the first daemon goes (a cleanup of the runtime
    // directory, a careless admin); a second daemon binds the same paths.
    std::fs::remove_file(&socket).unwrap();
    let mut b = Daemon::new(b_dir.path(), &[("b.service", SERVICE)]);
    b.socket = socket.clone();
    b.start();
    let b_inode = std::fs::metadata(&socket).unwrap().ino();
    assert_ne!(a_inode, b_inode);
    // The daemon listens before it sets up its services; once it answers,
    // its notify socket is bound.
    assert!(!b.property(None, "NNames").is_empty());
    let b_notify = std::fs::metadata(&notify).unwrap().ino();

    assert!(a.terminate(), "{}", a.stderr());
    assert!(
        socket.exists(),
        "the first daemon removed the second's socket"
    );
    assert_eq!(std::fs::metadata(&socket).unwrap().ino(), b_inode);
    assert_eq!(
        std::fs::metadata(&notify).map(|m| m.ino()).ok(),
        Some(b_notify),
        "the first daemon removed the second's notify socket"
    );
    // The second daemon still answers on it.
    assert!(matches!(
        b.call(Request::Start(UnitsRequest {
            units: vec!["b.service".into()]
        })),
        Response::Done { .. }
    ));

    // And it removes its own sockets when it exits.
    assert!(b.terminate(), "{}", b.stderr());
    assert!(
        wait_for(Duration::from_secs(5), || !socket.exists()
            && !notify.exists()),
        "its own sockets are removed"
    );
}
