//! What the daemon hands its services about itself: `$SUNDIAL_SOCKET`, so
//! that a command run by a service talks to the daemon that started it, and
//! the `Environment=` property that such a command can read back.

mod daemon_support;

use std::time::Duration;
use sundial::ipc::UnitsRequest;

use daemon_support::{wait_for, Daemon};
use sundial::ipc::Request;

const SERVICE: &str = "[Service]\nType=oneshot\n\
Environment=\"GREETING=hello world\" MAILTO=ops@example.com\n\
ExecStart=/bin/sh -c 'echo \"socket=$SUNDIAL_SOCKET\"; echo \"$GREETING\"'\n";

#[test]
fn services_learn_the_daemon_socket_and_show_lists_their_environment() {
    let tmp = tempfile::tempdir().unwrap();
    let mut d = Daemon::new(tmp.path(), &[("job.service", SERVICE)]);
    d.start();
    d.call(Request::Start(UnitsRequest {
        units: vec!["job.service".into()],
    }));
    assert!(
        wait_for(Duration::from_secs(20), || !d
            .finished("job.service")
            .is_empty()),
        "job never finished: {}",
        d.stderr()
    );
    let lines = d.log_lines("job.service");
    let socket = format!("socket={}", d.socket.display());
    assert!(lines.contains(&socket), "{lines:?} lacks {socket}");
    assert!(lines.iter().any(|l| l == "hello world"), "{lines:?}");
    assert_eq!(
        d.property(Some("job.service"), "Environment"),
        "\"GREETING=hello world\" MAILTO=ops@example.com"
    );
}
