//! The server against good clients, hostile input and other users.

use crate::ipc::{LogsRequest, StatusRequest, UnitsRequest};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::UnixStream;
use tokio::sync::mpsc;

use super::protocol::{read_frame, write_frame, RequestEnvelope, ResponseEnvelope};
use super::types::LogLine;
use super::*;
use crate::store::Stream;

/// A server with a stand-in event loop, in a temp dir.
struct Fixture {
    _dir: tempfile::TempDir,
    socket: PathBuf,
    /// Dropping it stops the event loop, and so the server.
    _owner: tokio::task::JoinHandle<()>,
}

fn log_line(n: i64) -> LogLine {
    LogLine {
        cursor: n,
        unit: "a.service".into(),
        invocation: None,
        stream: Stream::Stdout,
        timestamp_usec: n,
        line: format!("line {n}"),
        priority: 6,
    }
}

/// The stand-in event loop: `status` answers with an empty status, `logs -f`
/// streams three batches and then waits for the client to leave (reporting that
/// on `gone`), `cat` drops the reply, everything else is `done` with the uid.
async fn owner(mut requests: mpsc::Receiver<Incoming>, gone: mpsc::Sender<()>) {
    while let Some(incoming) = requests.recv().await {
        let reply = match incoming.request {
            Request::Status(StatusRequest { .. }) => Reply::One(Response::Status { units: vec![] }),
            Request::Logs(LogsRequest { follow: true, .. }) => {
                let (tx, rx) = mpsc::channel(1);
                let gone = gone.clone();
                tokio::spawn(async move {
                    for n in 0..3 {
                        let batch = Response::Logs {
                            lines: vec![log_line(n)],
                        };
                        if tx.send(batch).await.is_err() {
                            return;
                        }
                    }
                    tx.closed().await;
                    let _ = gone.send(()).await;
                });
                Reply::Stream(rx)
            }
            Request::Cat(UnitsRequest { .. }) => continue,
            _ => Reply::One(Response::Done {
                messages: vec![format!("uid {}", incoming.peer.uid)],
            }),
        };
        let _ = incoming.reply.send(reply);
    }
}

fn start(policy: Policy) -> (Fixture, mpsc::Receiver<()>) {
    let dir = tempfile::tempdir().unwrap();
    let socket = dir.path().join("run/sundial/control.sock");
    let server = Server::bind(&socket, policy, ServerConfig::default()).unwrap();
    let (tx, rx) = mpsc::channel(16);
    let (gone_tx, gone_rx) = mpsc::channel(1);
    tokio::spawn(server.serve(tx));
    let owner = tokio::spawn(owner(rx, gone_tx));
    (
        Fixture {
            _dir: dir,
            socket,
            _owner: owner,
        },
        gone_rx,
    )
}

fn me() -> Policy {
    Policy::User {
        owner: nix::unistd::getuid().as_raw(),
    }
}

async fn raw(socket: &Path) -> UnixStream {
    UnixStream::connect(socket).await.unwrap()
}

async fn send_raw(stream: &mut UnixStream, bytes: &[u8]) {
    stream.write_all(bytes).await.unwrap();
}

async fn send_body(stream: &mut UnixStream, body: &[u8]) {
    let mut frame = (body.len() as u32).to_be_bytes().to_vec();
    frame.extend_from_slice(body);
    send_raw(stream, &frame).await;
}

/// The next response; `None` at the end of the connection, which is a reset
/// when the server closed with unread input (Linux reports ECONNRESET after the
/// queued replies).
async fn receive(stream: &mut UnixStream) -> Option<Response> {
    let body = match read_frame(stream, protocol::MAX_RESPONSE_FRAME).await {
        Ok(body) => body?,
        Err(protocol::FrameError::Io(e)) if e.kind() == std::io::ErrorKind::ConnectionReset => {
            return None
        }
        Err(e) => panic!("{e}"),
    };
    let envelope: ResponseEnvelope = serde_json::from_slice(&body).unwrap();
    assert_eq!(envelope.version, PROTOCOL_VERSION);
    Some(envelope.response)
}

fn code_of(response: Option<Response>) -> ErrorCode {
    match response {
        Some(Response::Error { code, .. }) => code,
        other => panic!("expected an error response, got {other:?}"),
    }
}

async fn good_request(stream: &mut UnixStream) -> Response {
    let envelope = RequestEnvelope {
        version: PROTOCOL_VERSION,
        request: Request::DaemonReload,
    };
    write_frame(stream, &envelope, protocol::MAX_REQUEST_FRAME)
        .await
        .unwrap();
    receive(stream).await.unwrap()
}

/// Runs the blocking client off the runtime's thread.
async fn blocking<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    tokio::task::spawn_blocking(f).await.unwrap()
}

#[tokio::test]
async fn client_round_trip_and_several_requests_per_connection() {
    let (fx, _) = start(me());
    let socket = fx.socket.clone();
    let replies = blocking(move || {
        let mut client = Client::connect(&socket).unwrap();
        client.set_timeout(Some(Duration::from_secs(10))).unwrap();
        let a = client
            .call(&Request::Status(StatusRequest {
                units: vec![],
                lines: None,
            }))
            .unwrap();
        let b = client
            .call(&Request::Start(UnitsRequest {
                units: vec!["a.service".into()],
            }))
            .unwrap();
        (a, b)
    })
    .await;
    assert_eq!(replies.0, Response::Status { units: vec![] });
    let uid = nix::unistd::getuid().as_raw();
    assert_eq!(
        replies.1,
        Response::Done {
            messages: vec![format!("uid {uid}")]
        }
    );
}

#[tokio::test]
async fn socket_mode_and_stale_socket_and_second_daemon() {
    let (fx, _) = start(me());
    let mode = std::fs::metadata(&fx.socket).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    let dir_mode = std::fs::metadata(fx.socket.parent().unwrap())
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(dir_mode & 0o777, 0o700);
    // A second daemon on a live socket is refused...
    let err = Server::bind(&fx.socket, me(), ServerConfig::default()).unwrap_err();
    assert!(matches!(err, BindError::InUse { .. }), "{err}");
    assert!(err.to_string().contains("control.sock"), "{err}");
    // ...a stale one (nobody listening) is replaced...
    let stale = fx.socket.with_file_name("stale.sock");
    drop(std::os::unix::net::UnixListener::bind(&stale).unwrap());
    Server::bind(&stale, me(), ServerConfig::default()).unwrap();
    // ...and a regular file is left alone.
    let file = fx.socket.with_file_name("file");
    std::fs::write(&file, "keep").unwrap();
    let err = Server::bind(&file, me(), ServerConfig::default()).unwrap_err();
    assert!(matches!(err, BindError::NotASocket { .. }), "{err}");
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "keep");
}

#[tokio::test]
async fn huge_length_prefix_is_refused_without_reading() {
    let (fx, _) = start(me());
    let mut stream = raw(&fx.socket).await;
    send_raw(&mut stream, &[0xff, 0xff, 0xff, 0xff, b'{']).await;
    assert_eq!(
        code_of(receive(&mut stream).await),
        ErrorCode::FrameTooLarge
    );
    // The connection is closed: it cannot be resynchronized.
    assert!(receive(&mut stream).await.is_none());
    // One byte over the limit is too large as well.
    let mut stream = raw(&fx.socket).await;
    send_raw(
        &mut stream,
        &((protocol::MAX_REQUEST_FRAME + 1) as u32).to_be_bytes(),
    )
    .await;
    assert_eq!(
        code_of(receive(&mut stream).await),
        ErrorCode::FrameTooLarge
    );
    let mut stream = raw(&fx.socket).await;
    assert!(matches!(
        good_request(&mut stream).await,
        Response::Done { .. }
    ));
}

#[tokio::test]
async fn lying_length_gets_truncated_reply() {
    let (fx, _) = start(me());
    let mut stream = raw(&fx.socket).await;
    // Announces 100 bytes, sends 10, then closes its sending side.
    send_raw(&mut stream, &100u32.to_be_bytes()).await;
    send_raw(&mut stream, b"{\"version\"").await;
    stream.shutdown().await.unwrap();
    assert_eq!(code_of(receive(&mut stream).await), ErrorCode::Truncated);
    // Half a length prefix.
    let mut stream = raw(&fx.socket).await;
    send_raw(&mut stream, &[0, 0]).await;
    stream.shutdown().await.unwrap();
    assert_eq!(code_of(receive(&mut stream).await), ErrorCode::Truncated);
    let mut stream = raw(&fx.socket).await;
    assert!(matches!(
        good_request(&mut stream).await,
        Response::Done { .. }
    ));
}

#[tokio::test]
async fn bad_bodies_get_error_replies_and_the_connection_stays() {
    let (fx, _) = start(me());
    let mut stream = raw(&fx.socket).await;
    let cases: [(&[u8], ErrorCode); 5] = [
        (b"\x00\xffgarbage", ErrorCode::BadRequest),
        (b"", ErrorCode::BadRequest),
        (
            br#"{"version":1,"request":{"type":"shutdown-the-moon"}}"#,
            ErrorCode::UnknownRequest,
        ),
        (
            br#"{"version":99,"request":{"type":"daemon-reload"}}"#,
            ErrorCode::UnsupportedVersion,
        ),
        (
            br#"{"version":1,"request":{"type":"start","units":"a"}}"#,
            ErrorCode::BadRequest,
        ),
    ];
    for (body, expected) in cases {
        send_body(&mut stream, body).await;
        assert_eq!(code_of(receive(&mut stream).await), expected, "{body:?}");
    }
    assert!(matches!(
        good_request(&mut stream).await,
        Response::Done { .. }
    ));
}

#[tokio::test]
async fn a_thousand_malformed_requests_then_a_good_one() {
    let (fx, _) = start(me());
    // On one connection, well-framed garbage of every kind...
    let mut stream = raw(&fx.socket).await;
    for n in 0..1000u32 {
        let body = match n % 4 {
            0 => format!("{{{n}"),
            // Every version but ours.
            1 => format!(
                r#"{{"version":{},"request":{{"type":"start","units":[]}}}}"#,
                n + 2
            ),
            2 => format!(r#"{{"version":1,"request":{{"type":"x{n}"}}}}"#),
            _ => "\u{0}".repeat(n as usize),
        };
        send_body(&mut stream, body.as_bytes()).await;
        let _ = code_of(receive(&mut stream).await);
    }
    assert!(matches!(
        good_request(&mut stream).await,
        Response::Done { .. }
    ));
    // ...and on fresh connections, frames that end the connection.
    for n in 0..100u32 {
        let mut stream = raw(&fx.socket).await;
        match n % 3 {
            0 => send_raw(&mut stream, &u32::MAX.to_be_bytes()).await,
            1 => send_raw(&mut stream, &[0, 0, 1]).await,
            _ => {}
        }
        drop(stream);
    }
    let mut stream = raw(&fx.socket).await;
    assert!(matches!(
        good_request(&mut stream).await,
        Response::Done { .. }
    ));
}

#[tokio::test]
async fn dropped_reply_is_an_internal_error() {
    let (fx, _) = start(me());
    let socket = fx.socket.clone();
    let response = blocking(move || {
        Client::connect(&socket)
            .unwrap()
            .call(&Request::Cat(UnitsRequest { units: vec![] }))
            .unwrap()
    })
    .await;
    assert!(matches!(
        response,
        Response::Error {
            code: ErrorCode::Internal,
            ..
        }
    ));
}

#[tokio::test]
async fn follow_streams_until_the_client_leaves() {
    let (fx, mut gone) = start(me());
    let socket = fx.socket.clone();
    let follow = Request::Logs(LogsRequest {
        units: vec![],
        follow: true,
        lines: None,
        since_usec: None,
        until_usec: None,
        invocation: None,
        priorities: None,
    });
    let received = blocking(move || {
        let client = Client::connect(&socket).unwrap();
        client.set_timeout(Some(Duration::from_secs(10))).unwrap();
        let stream = client.stream(&follow).unwrap();
        // Take three batches, then drop the connection as Ctrl-C would.
        stream
            .take(3)
            .map(|r| match r.unwrap() {
                Response::Logs { lines } => lines[0].line.clone(),
                other => panic!("{other:?}"),
            })
            .collect::<Vec<_>>()
    })
    .await;
    assert_eq!(received, ["line 0", "line 1", "line 2"]);
    // The event loop's sender learns that nobody listens any more.
    tokio::time::timeout(Duration::from_secs(10), gone.recv())
        .await
        .expect("the stream's sender sees the client leave")
        .unwrap();
}

#[tokio::test]
async fn stopped_event_loop_stops_the_server() {
    let dir = tempfile::tempdir().unwrap();
    let socket = dir.path().join("control.sock");
    let server = Server::bind(&socket, me(), ServerConfig::default()).unwrap();
    let (tx, rx) = mpsc::channel(1);
    let serving = tokio::spawn(server.serve(tx));
    drop(rx);
    tokio::time::timeout(Duration::from_secs(10), serving)
        .await
        .expect("serve returns once the event loop is gone")
        .unwrap();
    assert!(!socket.exists(), "the socket file is removed");
}

#[tokio::test]
async fn silent_and_slow_clients_are_dropped_after_the_timeout() {
    let dir = tempfile::tempdir().unwrap();
    let socket = dir.path().join("control.sock");
    let config = ServerConfig {
        first_request_timeout: Duration::from_millis(50),
        io_timeout: Duration::from_millis(50),
        ..ServerConfig::default()
    };
    let server = Server::bind(&socket, me(), config).unwrap();
    let (tx, rx) = mpsc::channel(16);
    let (gone, _gone_rx) = mpsc::channel(1);
    tokio::spawn(server.serve(tx));
    tokio::spawn(owner(rx, gone));
    let mut silent = raw(&socket).await;
    // Half a frame, then nothing: a slowloris holding a slot.
    let mut slow = raw(&socket).await;
    send_raw(&mut slow, &[0, 0, 0, 50, b'{']).await;
    let mut buf = [0u8; 1];
    for stream in [&mut silent, &mut slow] {
        let read = tokio::time::timeout(Duration::from_secs(10), stream.read(&mut buf)).await;
        match read.expect("the server closes the connection") {
            Ok(n) => assert_eq!(n, 0, "no reply, just the close"),
            Err(e) => assert_eq!(e.kind(), std::io::ErrorKind::ConnectionReset),
        }
    }
    let mut stream = raw(&socket).await;
    assert!(matches!(
        good_request(&mut stream).await,
        Response::Done { .. }
    ));
}

#[tokio::test]
async fn too_many_connections_get_busy() {
    let dir = tempfile::tempdir().unwrap();
    let socket = dir.path().join("control.sock");
    let config = ServerConfig {
        max_connections: 2,
        ..ServerConfig::default()
    };
    let server = Server::bind(&socket, me(), config).unwrap();
    let (tx, rx) = mpsc::channel(16);
    let (gone, _gone_rx) = mpsc::channel(1);
    tokio::spawn(server.serve(tx));
    tokio::spawn(owner(rx, gone));
    let mut first = raw(&socket).await;
    let mut second = raw(&socket).await;
    // Both are served (and so hold their slots) before the third comes.
    assert!(matches!(
        good_request(&mut first).await,
        Response::Done { .. }
    ));
    assert!(matches!(
        good_request(&mut second).await,
        Response::Done { .. }
    ));
    let mut third = raw(&socket).await;
    assert_eq!(code_of(receive(&mut third).await), ErrorCode::Busy);
    drop(first);
    // The slot frees up once the server notices the close.
    let mut served = false;
    for _ in 0..200 {
        let mut next = raw(&socket).await;
        let envelope = RequestEnvelope {
            version: PROTOCOL_VERSION,
            request: Request::DaemonReload,
        };
        write_frame(&mut next, &envelope, protocol::MAX_REQUEST_FRAME)
            .await
            .unwrap();
        if matches!(receive(&mut next).await, Some(Response::Done { .. })) {
            served = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    assert!(served);
    let mut buf = [0u8; 1];
    assert_eq!(
        third.read(&mut buf).await.unwrap(),
        0,
        "the busy connection was closed"
    );
}

// --- Other users: needs root to run a child process under another uid. ---

const PEER_CHILD_ENV: &str = "SUNDIAL_IPC_PEER_CHILD";
/// `nobody` on Debian and most distributions.
const OTHER_UID: u32 = 65534;

/// In the child (running as [`OTHER_UID`]): send a read and a write request and
/// print each reply's JSON on its own line after `REPLY `.
fn peer_child(socket: &str) {
    let mut client = match Client::connect(socket) {
        Ok(client) => client,
        Err(e) => {
            println!("\nCONNECT-ERROR {e}");
            return;
        }
    };
    for request in [
        Request::Status(StatusRequest {
            units: vec![],
            lines: None,
        }),
        Request::Start(UnitsRequest {
            units: vec!["a.service".into()],
        }),
    ] {
        let reply = match client.call(&request) {
            Ok(response) => serde_json::to_string(&response).unwrap(),
            Err(e) => format!("\"{e}\""),
        };
        println!("\nREPLY {reply}");
    }
}

/// Runs this test binary's `test` as [`OTHER_UID`] against `socket`; returns
/// the replies it printed, or `None` when not root.
async fn run_as_other_user(test: &str, socket: &Path) -> Option<Vec<String>> {
    if !nix::unistd::getuid().is_root() {
        eprintln!("skipped: switching to uid {OTHER_UID} needs root");
        return None;
    }
    // The child must reach the socket through the temp dirs.
    let mut dir = socket.parent();
    while let Some(d) =
        dir.filter(|d| d.starts_with(std::env::temp_dir()) && *d != std::env::temp_dir())
    {
        std::fs::set_permissions(d, std::fs::Permissions::from_mode(0o755)).unwrap();
        dir = d.parent();
    }
    let exe = std::env::current_exe().unwrap();
    let socket = socket.to_path_buf();
    let test = test.to_string();
    let output = blocking(move || {
        use std::os::unix::process::CommandExt;
        Command::new(exe)
            .args([&test, "--exact", "--nocapture", "--test-threads=1"])
            .env(PEER_CHILD_ENV, &socket)
            .uid(OTHER_UID)
            .gid(OTHER_UID)
            .stdin(Stdio::null())
            .stderr(Stdio::inherit())
            .output()
            .unwrap()
    })
    .await;
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(output.status.success(), "child failed: {stdout}");
    Some(
        stdout
            .lines()
            .filter(|l| l.starts_with("REPLY ") || l.starts_with("CONNECT-ERROR "))
            .map(str::to_string)
            .collect(),
    )
}

#[tokio::test]
async fn user_mode_refuses_another_uid() {
    if let Ok(socket) = std::env::var(PEER_CHILD_ENV) {
        return peer_child(&socket);
    }
    let (fx, _) = start(me());
    // The kernel's check: a 0600 socket cannot even be opened by others.
    let replies = run_as_other_user(
        "ipc::server_tests::user_mode_refuses_another_uid",
        &fx.socket,
    )
    .await;
    let Some(replies) = replies else { return };
    assert_eq!(replies.len(), 1, "{replies:?}");
    assert!(
        replies[0].starts_with("CONNECT-ERROR") && replies[0].contains("ermission denied"),
        "{replies:?}"
    );
    // Ours, behind it: with the mode opened up, SO_PEERCRED still refuses.
    std::fs::set_permissions(&fx.socket, std::fs::Permissions::from_mode(0o666)).unwrap();
    let replies = run_as_other_user(
        "ipc::server_tests::user_mode_refuses_another_uid",
        &fx.socket,
    )
    .await
    .unwrap();
    assert!(!replies.is_empty(), "{replies:?}");
    assert!(replies[0].contains("permission-denied"), "{replies:?}");
    assert!(
        replies[0].contains(&format!("uid {OTHER_UID}")),
        "{replies:?}"
    );
    // The daemon still serves its owner.
    let mut stream = raw(&fx.socket).await;
    assert!(matches!(
        good_request(&mut stream).await,
        Response::Done { .. }
    ));
}

#[tokio::test]
async fn system_mode_lets_others_read_but_not_write() {
    if let Ok(socket) = std::env::var(PEER_CHILD_ENV) {
        return peer_child(&socket);
    }
    let (fx, _) = start(Policy::System);
    let mode = std::fs::metadata(&fx.socket).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o666);
    let replies = run_as_other_user(
        "ipc::server_tests::system_mode_lets_others_read_but_not_write",
        &fx.socket,
    )
    .await;
    let Some(replies) = replies else { return };
    assert_eq!(replies.len(), 2, "{replies:?}");
    assert_eq!(replies[0], r#"REPLY {"type":"status","units":[]}"#);
    assert!(replies[1].contains("permission-denied"), "{replies:?}");
    assert!(replies[1].contains("needs root"), "{replies:?}");
}

#[tokio::test]
async fn a_server_leaves_alone_a_socket_that_replaced_its_own() {
    let dir = tempfile::tempdir().unwrap();
    let socket = dir.path().join("control.sock");
    let first = Server::bind(&socket, me(), ServerConfig::default()).unwrap();
    let first_file = first.socket_file().cloned().unwrap();
    assert_eq!(first_file.path(), socket);
    assert!(first_file.is_ours());
    // The file goes (removed by hand, by a cleanup of the runtime directory)
    // and another daemon binds the path.
    std::fs::remove_file(&socket).unwrap();
    let second = Server::bind(&socket, me(), ServerConfig::default()).unwrap();
    assert!(!first_file.is_ours());
    // The first one stops: the second one's socket stays.
    let (tx, rx) = mpsc::channel(1);
    let serving = tokio::spawn(first.serve(tx));
    drop(rx);
    tokio::time::timeout(Duration::from_secs(10), serving)
        .await
        .expect("serve returns once the event loop is gone")
        .unwrap();
    assert!(!first_file.remove_if_ours());
    assert!(socket.exists(), "the other daemon's socket is kept");
    std::os::unix::net::UnixStream::connect(&socket).expect("the second daemon still listens");
    // The second one removes its own when it stops.
    let (tx, rx) = mpsc::channel(1);
    let serving = tokio::spawn(second.serve(tx));
    drop(rx);
    tokio::time::timeout(Duration::from_secs(10), serving)
        .await
        .expect("serve returns once the event loop is gone")
        .unwrap();
    assert!(!socket.exists(), "its own socket file is removed");
}
