//! The control socket's server side: accept, authenticate, decode, forward.
//!
//! The server owns no daemon state. Each decoded and authorized request goes to
//! the daemon's event loop as an [`Incoming`] over a channel, with a oneshot for
//! the [`Reply`]; the connection task writes the reply back. Whatever a client
//! sends, the worst outcome is an error reply and a closed connection: bad input
//! never reaches the event loop and never stops the accept loop.

use std::fs;
use std::io;
use std::os::unix::fs::{DirBuilderExt, FileTypeExt, MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::AsyncReadExt;
use tokio::net::{UnixListener, UnixStream};
use tokio::sync::{mpsc, oneshot};

use super::admission::{Admission, Limits};
use super::auth::{Peer, Policy};
use super::protocol::{
    decode_request, read_frame, write_frame, ErrorCode, FrameError, Request, Response,
    ResponseEnvelope, ResponseEnvelopeRef, MAX_REQUEST_FRAME, MAX_RESPONSE_FRAME, PROTOCOL_VERSION,
};

/// Limits of the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ServerConfig {
    /// The largest request body read.
    pub max_frame: usize,
    /// Connections served at once; more get a `busy` error.
    pub max_connections: usize,
    /// Places of `max_connections` kept for root and the daemon's own uid.
    pub reserved_connections: usize,
    /// Connections one other uid may hold at once.
    pub max_connections_per_uid: usize,
    /// How long a new connection may take to send its first whole request:
    /// short, so that idle connections do not hold places.
    pub first_request_timeout: Duration,
    /// How long a client may take to send a further request (counting from
    /// the end of the previous reply), and to take a reply off the socket.
    pub io_timeout: Duration,
}

impl Default for ServerConfig {
    fn default() -> ServerConfig {
        ServerConfig {
            max_frame: MAX_REQUEST_FRAME,
            max_connections: 128,
            reserved_connections: 32,
            max_connections_per_uid: 32,
            first_request_timeout: Duration::from_secs(2),
            io_timeout: Duration::from_secs(30),
        }
    }
}

impl ServerConfig {
    fn limits(&self) -> Limits {
        Limits {
            max_connections: self.max_connections,
            reserved: self.reserved_connections,
            per_uid: self.max_connections_per_uid,
        }
    }
}

/// The daemon's answer to one request.
#[derive(Debug)]
pub enum Reply {
    /// One response, after which the connection may carry another request.
    One(Response),
    /// Responses until the sender is dropped; then the connection closes. The
    /// receiver is dropped when the client goes away, which the sending side
    /// sees as a closed channel.
    Stream(mpsc::Receiver<Response>),
}

/// A request on its way to the event loop.
#[derive(Debug)]
pub struct Incoming {
    /// The decoded, authorized request.
    pub request: Request,
    /// Who sent it.
    pub peer: Peer,
    /// Where the reply goes; dropping it answers with an `internal` error.
    pub reply: oneshot::Sender<Reply>,
}

/// Why the socket could not be set up; every variant names it.
#[derive(Debug, thiserror::Error)]
pub enum BindError {
    /// A daemon already answers on this socket.
    #[error("{path}: another sundial daemon is already listening")]
    InUse {
        /// The socket.
        path: PathBuf,
    },
    /// Something other than a socket is at the path.
    #[error("{path}: exists and is not a socket; refusing to remove it")]
    NotASocket {
        /// The path.
        path: PathBuf,
    },
    /// The OS refused a step.
    #[error("{path}: {what}: {source}")]
    Io {
        /// The socket.
        path: PathBuf,
        /// The step.
        what: &'static str,
        /// The OS error.
        source: io::Error,
    },
}

/// The socket file a server created, as it was when bound: the path may
/// later name another daemon's socket (this one's file was removed and a new
/// daemon bound the path), which must not be removed in its place.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SocketFile {
    path: PathBuf,
    dev: u64,
    ino: u64,
}

impl SocketFile {
    /// Records the file now at `path`.
    fn record(path: &Path) -> io::Result<SocketFile> {
        let meta = fs::symlink_metadata(path)?;
        Ok(SocketFile {
            path: path.to_path_buf(),
            dev: meta.dev(),
            ino: meta.ino(),
        })
    }

    /// The path bound.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Whether `path` still names the socket created at bind time.
    pub fn is_ours(&self) -> bool {
        fs::symlink_metadata(&self.path)
            .is_ok_and(|m| m.file_type().is_socket() && m.dev() == self.dev && m.ino() == self.ino)
    }

    /// Removes the socket file if the path still names the one created at
    /// bind time; returns whether it did. (Between the check and the unlink
    /// another daemon could replace the file; it would have to remove a live
    /// socket to do so, which `Server::bind` never does.)
    pub fn remove_if_ours(&self) -> bool {
        self.is_ours() && fs::remove_file(&self.path).is_ok()
    }
}

/// A bound control socket.
#[derive(Debug)]
pub struct Server {
    listener: UnixListener,
    policy: Policy,
    config: ServerConfig,
    file: Option<SocketFile>,
}

impl Server {
    /// Binds the socket at `path`: creates its directory, replaces a stale
    /// socket left by a crashed daemon, and sets the mode for `policy`. Must be
    /// called within a tokio runtime.
    pub fn bind(path: &Path, policy: Policy, config: ServerConfig) -> Result<Server, BindError> {
        let fail = |what| {
            move |source| BindError::Io {
                path: path.to_path_buf(),
                what,
                source,
            }
        };
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            let mode = match policy {
                Policy::System => 0o755,
                Policy::User { .. } => 0o700,
            };
            fs::DirBuilder::new()
                .recursive(true)
                .mode(mode)
                .create(dir)
                .map_err(fail("cannot create the socket directory"))?;
        }
        match fs::symlink_metadata(path) {
            Ok(meta) if meta.file_type().is_socket() => {
                if std::os::unix::net::UnixStream::connect(path).is_ok() {
                    return Err(BindError::InUse {
                        path: path.to_path_buf(),
                    });
                }
                fs::remove_file(path).map_err(fail("cannot remove the stale socket"))?;
            }
            Ok(_) => {
                return Err(BindError::NotASocket {
                    path: path.to_path_buf(),
                })
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => return Err(fail("cannot inspect the socket path")(e)),
        }
        let listener = std::os::unix::net::UnixListener::bind(path).map_err(fail("cannot bind"))?;
        let file = SocketFile::record(path).map_err(fail("cannot inspect the socket path"))?;
        fs::set_permissions(path, fs::Permissions::from_mode(policy.socket_mode()))
            .map_err(fail("cannot set the socket's mode"))?;
        let mut server =
            Server::from_std(listener, policy, config).map_err(fail("cannot listen"))?;
        server.file = Some(file);
        Ok(server)
    }

    /// Serves an already bound listener (socket activation, tests); the caller
    /// keeps the socket file.
    pub fn from_std(
        listener: std::os::unix::net::UnixListener,
        policy: Policy,
        config: ServerConfig,
    ) -> io::Result<Server> {
        listener.set_nonblocking(true)?;
        Ok(Server {
            listener: UnixListener::from_std(listener)?,
            policy,
            config,
            file: None,
        })
    }

    /// Serves the listener a previous program of this daemon bound
    /// (`daemon-reexec`): `fd` was inherited across the exec, with the
    /// connections that waited in its backlog meanwhile; `path` is its
    /// socket file, which this server owns from now on.
    pub fn from_inherited(
        fd: std::os::fd::OwnedFd,
        path: &Path,
        policy: Policy,
        config: ServerConfig,
    ) -> Result<Server, BindError> {
        let fail = |what| {
            move |source| BindError::Io {
                path: path.to_path_buf(),
                what,
                source,
            }
        };
        crate::supervisor::set_cloexec(&fd, true).map_err(fail("cannot listen"))?;
        let listener = std::os::unix::net::UnixListener::from(fd);
        let file = SocketFile::record(path).map_err(fail("cannot inspect the socket path"))?;
        let mut server =
            Server::from_std(listener, policy, config).map_err(fail("cannot listen"))?;
        server.file = Some(file);
        Ok(server)
    }

    /// The listening socket's descriptor (handed to the daemon's next
    /// program by `daemon-reexec`).
    pub fn listener_fd(&self) -> std::os::fd::RawFd {
        use std::os::fd::AsRawFd;
        self.listener.as_raw_fd()
    }

    /// The socket file this server created (None for a listener it was
    /// given), for its owner to remove at exit.
    pub fn socket_file(&self) -> Option<&SocketFile> {
        self.file.as_ref()
    }

    /// Accepts connections and forwards their requests to `requests` until its
    /// receiver is dropped; then removes the socket file it created, if the
    /// path still names it.
    pub async fn serve(self, requests: mpsc::Sender<Incoming>) {
        let own_uid = nix::unistd::geteuid().as_raw();
        let table = Arc::new(Mutex::new(Admission::new(
            self.config.limits(),
            &[0, own_uid],
        )));
        loop {
            let accepted = tokio::select! {
                _ = requests.closed() => break,
                accepted = self.listener.accept() => accepted,
            };
            let stream = match accepted {
                Ok((stream, _)) => stream,
                Err(_) => {
                    // Out of file descriptors or a similar transient failure:
                    // pause instead of spinning; the daemon must keep running.
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            };
            let Ok(cred) = stream.peer_cred() else {
                continue;
            };
            let peer = Peer {
                uid: cred.uid(),
                gid: cred.gid(),
                pid: cred.pid(),
            };
            let connection = Connection {
                stream,
                peer,
                policy: self.policy,
                config: self.config,
                requests: requests.clone(),
            };
            if !self.policy.admits(peer) {
                // Turned away without taking a place.
                let message = format!("uid {} may not use this user's daemon", peer.uid);
                tokio::spawn(async move {
                    connection
                        .refuse(ErrorCode::PermissionDenied, &message)
                        .await
                });
                continue;
            }
            match Place::take(&table, peer.uid) {
                Ok(place) => {
                    tokio::spawn(async move {
                        connection.run().await;
                        drop(place);
                    });
                }
                Err(refusal) => {
                    let message = refusal.to_string();
                    tokio::spawn(async move { connection.refuse(ErrorCode::Busy, &message).await });
                }
            }
        }
        if let Some(file) = &self.file {
            // Best effort: the next bind replaces a leftover socket anyway.
            file.remove_if_ours();
        }
    }
}

/// A connection's place in the table, given back when dropped.
struct Place {
    table: Arc<Mutex<Admission>>,
    uid: u32,
}

impl Place {
    fn take(table: &Arc<Mutex<Admission>>, uid: u32) -> Result<Place, super::admission::Refusal> {
        lock(table).admit(uid)?;
        Ok(Place {
            table: Arc::clone(table),
            uid,
        })
    }
}

impl Drop for Place {
    fn drop(&mut self) {
        lock(&self.table).release(self.uid);
    }
}

/// The table, even if a task panicked while holding it: its counts are
/// changed in single steps that leave it consistent.
fn lock(table: &Mutex<Admission>) -> std::sync::MutexGuard<'_, Admission> {
    table
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// One client connection.
struct Connection {
    stream: UnixStream,
    peer: Peer,
    policy: Policy,
    config: ServerConfig,
    requests: mpsc::Sender<Incoming>,
}

impl Connection {
    async fn run(mut self) {
        let peer = self.peer;
        // A connection that has not sent a whole request soon is dropped: it
        // holds a place others may need.
        let mut deadline = self.config.first_request_timeout;
        loop {
            let read = tokio::time::timeout(
                deadline,
                read_frame(&mut self.stream, self.config.max_frame),
            )
            .await;
            deadline = self.config.io_timeout;
            let body = match read {
                Ok(Ok(Some(body))) => body,
                // Closed between requests, idle too long, or a socket error.
                Ok(Ok(None)) | Err(_) | Ok(Err(FrameError::Io(_))) => return,
                Ok(Err(e @ FrameError::TooLarge { .. })) => {
                    // The body was not read, so the stream cannot be resynchronized.
                    self.refuse(ErrorCode::FrameTooLarge, &e.to_string()).await;
                    return;
                }
                Ok(Err(e)) => {
                    self.refuse(ErrorCode::Truncated, &e.to_string()).await;
                    return;
                }
            };
            let request = match decode_request(&body) {
                Ok(request) => request,
                Err(error) => {
                    // The frame was well delimited: the connection stays usable.
                    if self.send(&error).await.is_err() {
                        return;
                    }
                    continue;
                }
            };
            if !self.policy.allows(peer, &request) {
                let error = Response::error(
                    ErrorCode::PermissionDenied,
                    format!("uid {} may only read; changing state needs root", peer.uid),
                );
                if self.send(&error).await.is_err() {
                    return;
                }
                continue;
            }
            let (reply, answer) = oneshot::channel();
            let incoming = Incoming {
                request,
                peer,
                reply,
            };
            if self.requests.send(incoming).await.is_err() {
                self.refuse(ErrorCode::Busy, "the daemon is shutting down")
                    .await;
                return;
            }
            let sent = match answer.await {
                Ok(Reply::One(response)) => self.send(&response).await,
                Ok(Reply::Stream(responses)) => {
                    self.stream_replies(responses).await;
                    return;
                }
                Err(_) => {
                    let error =
                        Response::error(ErrorCode::Internal, "the daemon dropped the request");
                    self.send(&error).await
                }
            };
            if sent.is_err() {
                return;
            }
        }
    }

    /// Writes one response, within the I/O timeout.
    async fn send(&mut self, response: &Response) -> Result<(), FrameError> {
        let envelope = ResponseEnvelopeRef {
            version: PROTOCOL_VERSION,
            response,
        };
        let write = write_frame(&mut self.stream, &envelope, MAX_RESPONSE_FRAME);
        match tokio::time::timeout(self.config.io_timeout, write).await {
            Ok(Err(FrameError::TooLarge { len, max })) => {
                let error = Response::error(
                    ErrorCode::Internal,
                    format!("the response of {len} bytes exceeds the limit of {max}"),
                );
                let envelope = ResponseEnvelope {
                    version: PROTOCOL_VERSION,
                    response: error,
                };
                write_frame(&mut self.stream, &envelope, MAX_RESPONSE_FRAME).await
            }
            Ok(result) => result,
            Err(elapsed) => Err(FrameError::Io(elapsed.into())),
        }
    }

    /// Sends one error and closes.
    async fn refuse(mut self, code: ErrorCode, message: &str) {
        let _ = self.send(&Response::error(code, message)).await;
    }

    /// Forwards streamed responses until either side ends: the event loop drops
    /// the sender, or the client closes its end (noticed even while nothing is
    /// being sent, so that a `logs -f` nobody reads stops at once).
    async fn stream_replies(mut self, mut responses: mpsc::Receiver<Response>) {
        let mut scratch = [0u8; 256];
        loop {
            tokio::select! {
                next = responses.recv() => match next {
                    Some(response) => {
                        if self.send(&response).await.is_err() {
                            return;
                        }
                    }
                    None => return,
                },
                read = self.stream.read(&mut scratch) => match read {
                    // The client sends nothing during a stream; whatever comes is
                    // dropped, and EOF or an error ends the stream.
                    Ok(0) | Err(_) => return,
                    Ok(_) => {}
                },
            }
        }
    }
}
