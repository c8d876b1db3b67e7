//! The HTTP edge of the metrics: `GET /metrics` on a TCP address or a Unix
//! socket. Each connection asks the event loop for a [`Snapshot`] and renders it
//! on the blocking pool, so a scrape of many units never holds up the loop.
//! Only `GET`/`HEAD` of `/metrics` (and `/`) are served: read-only, no
//! control.

use std::fmt;
use std::io;
use std::net::SocketAddr;
use std::os::unix::fs::{FileTypeExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpListener, UnixListener};
use tokio::sync::{mpsc, oneshot, Semaphore};

use super::{exposition, Snapshot};

/// Connections served at once; more wait to be accepted.
const CONCURRENT: usize = 8;
/// The longest request head read.
const MAX_HEAD: usize = 8192;
/// How long a client may take to send its request.
const READ_TIMEOUT: Duration = Duration::from_secs(10);

/// A scrape's request to the event loop: the snapshot goes back on the
/// channel.
pub type Scrape = oneshot::Sender<Snapshot>;

/// Where the metrics are served: `HOST:PORT` (`127.0.0.1:9558`,
/// `[::1]:9558`) or a Unix socket path (`/run/sundial/metrics.sock`, or
/// `unix:PATH`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ListenAddress {
    Tcp(SocketAddr),
    Unix(PathBuf),
}

/// A listen address that is neither.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid metrics listen address {0:?}: expected HOST:PORT (127.0.0.1:9558, [::1]:9558) or a Unix socket path (/run/sundial/metrics.sock)")]
pub struct InvalidListenAddress(pub String);

impl FromStr for ListenAddress {
    type Err = InvalidListenAddress;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if let Some(path) = s.strip_prefix("unix:") {
            if path.is_empty() {
                return Err(InvalidListenAddress(s.to_owned()));
            }
            return Ok(ListenAddress::Unix(PathBuf::from(path)));
        }
        if s.starts_with('/') {
            return Ok(ListenAddress::Unix(PathBuf::from(s)));
        }
        s.parse()
            .map(ListenAddress::Tcp)
            .map_err(|_| InvalidListenAddress(s.to_owned()))
    }
}

impl fmt::Display for ListenAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ListenAddress::Tcp(a) => write!(f, "http://{a}/metrics"),
            ListenAddress::Unix(p) => write!(f, "unix:{}", p.display()),
        }
    }
}

/// A bound listener, not yet serving.
#[derive(Debug)]
pub enum Listener {
    Tcp(TcpListener),
    Unix(UnixListener, PathBuf),
}

/// Why the metrics listener could not be bound.
#[derive(Debug, thiserror::Error)]
pub enum BindError {
    #[error("cannot listen for metrics on {address}: {source}")]
    Bind { address: String, source: io::Error },
    #[error("cannot listen for metrics on {0}: another program answers there")]
    InUse(String),
}

impl Listener {
    /// Binds `address`. A Unix socket file left by a dead daemon is
    /// replaced; one another program answers on is not. The socket file is
    /// the owner's only (0600): metrics name every unit.
    pub async fn bind(address: &ListenAddress) -> Result<Listener, BindError> {
        let failed = |source| BindError::Bind {
            address: address.to_string(),
            source,
        };
        match address {
            ListenAddress::Tcp(a) => TcpListener::bind(a)
                .await
                .map(Listener::Tcp)
                .map_err(failed),
            ListenAddress::Unix(path) => {
                remove_stale(path).await.map_err(|e| match e {
                    Stale::Alive => BindError::InUse(address.to_string()),
                    Stale::Io(source) => failed(source),
                })?;
                let listener = UnixListener::bind(path).map_err(failed)?;
                std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))
                    .map_err(failed)?;
                Ok(Listener::Unix(listener, path.clone()))
            }
        }
    }

    /// The TCP address bound (port 0 picks one).
    pub fn local_addr(&self) -> Option<SocketAddr> {
        match self {
            Listener::Tcp(l) => l.local_addr().ok(),
            Listener::Unix(..) => None,
        }
    }

    /// Serves scrapes; each asks the loop through `scrapes` (once the loop
    /// has ended, connections are closed unanswered).
    pub async fn serve(self, scrapes: mpsc::Sender<Scrape>) {
        let permits = Arc::new(Semaphore::new(CONCURRENT));
        loop {
            let Ok(permit) = permits.clone().acquire_owned().await else {
                return;
            };
            let scrapes = scrapes.clone();
            match &self {
                Listener::Tcp(l) => match l.accept().await {
                    Ok((stream, _)) => {
                        tokio::spawn(async move {
                            serve_one(stream, scrapes).await;
                            drop(permit);
                        });
                    }
                    Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
                },
                Listener::Unix(l, _) => match l.accept().await {
                    Ok((stream, _)) => {
                        tokio::spawn(async move {
                            serve_one(stream, scrapes).await;
                            drop(permit);
                        });
                    }
                    Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
                },
            }
        }
    }
}

impl Drop for Listener {
    fn drop(&mut self) {
        if let Listener::Unix(_, path) = self {
            let _ = std::fs::remove_file(path);
        }
    }
}

enum Stale {
    Alive,
    Io(io::Error),
}

/// Removes a socket file no one answers on; leaves a missing path alone.
async fn remove_stale(path: &Path) -> Result<(), Stale> {
    match std::fs::symlink_metadata(path) {
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(Stale::Io(e)),
        Ok(meta) if !meta.file_type().is_socket() => Err(Stale::Io(io::Error::new(
            io::ErrorKind::AlreadyExists,
            "the path exists and is not a socket",
        ))),
        Ok(_) => match tokio::net::UnixStream::connect(path).await {
            Ok(_) => Err(Stale::Alive),
            Err(_) => std::fs::remove_file(path).map_err(Stale::Io),
        },
    }
}

/// What a request asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Route {
    /// `GET /metrics` (`head`: without the body).
    Metrics {
        head: bool,
    },
    /// `GET /`: a pointer to /metrics.
    Index {
        head: bool,
    },
    NotFound,
    MethodNotAllowed,
    BadRequest,
}

/// Routes a request head (its first line is all that matters).
pub fn route(head: &str) -> Route {
    let mut parts = head.lines().next().unwrap_or("").split(' ');
    let (Some(method), Some(target), Some(version)) = (parts.next(), parts.next(), parts.next())
    else {
        return Route::BadRequest;
    };
    if !version.starts_with("HTTP/1.") {
        return Route::BadRequest;
    }
    let head = match method {
        "GET" => false,
        "HEAD" => true,
        _ => return Route::MethodNotAllowed,
    };
    let path = target.split('?').next().unwrap_or("");
    match path {
        "/metrics" => Route::Metrics { head },
        "/" => Route::Index { head },
        _ => Route::NotFound,
    }
}

async fn serve_one<S: AsyncRead + AsyncWrite + Unpin>(
    mut stream: S,
    scrapes: mpsc::Sender<Scrape>,
) {
    let head = match tokio::time::timeout(READ_TIMEOUT, read_head(&mut stream)).await {
        Ok(Ok(head)) => head,
        _ => return,
    };
    let (status, content_type, body, head_only) = match route(&head) {
        Route::Metrics { head } => {
            let (tx, rx) = oneshot::channel();
            if scrapes.send(tx).await.is_err() {
                return;
            }
            let Ok(snapshot) = rx.await else {
                return;
            };
            let rendered = tokio::task::spawn_blocking(move || {
                let mut out = String::new();
                exposition::render(&snapshot, &mut out);
                out
            })
            .await;
            let Ok(body) = rendered else {
                return;
            };
            ("200 OK", exposition::CONTENT_TYPE, body, head)
        }
        Route::Index { head } => (
            "200 OK",
            "text/plain; charset=utf-8",
            "sundial: metrics are at /metrics\n".to_owned(),
            head,
        ),
        Route::NotFound => (
            "404 Not Found",
            "text/plain; charset=utf-8",
            "not found\n".to_owned(),
            false,
        ),
        Route::MethodNotAllowed => (
            "405 Method Not Allowed",
            "text/plain; charset=utf-8",
            "only GET and HEAD\n".to_owned(),
            false,
        ),
        Route::BadRequest => (
            "400 Bad Request",
            "text/plain; charset=utf-8",
            "bad request\n".to_owned(),
            false,
        ),
    };
    let mut response = format!(
        "HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n{}\r\n",
        body.len(),
        if status.starts_with("405") { "Allow: GET, HEAD\r\n" } else { "" }
    )
    .into_bytes();
    if !head_only {
        response.extend_from_slice(body.as_bytes());
    }
    let _ = stream.write_all(&response).await;
    let _ = stream.shutdown().await;
}

/// Reads up to the blank line that ends a request head.
async fn read_head<S: AsyncRead + Unpin>(stream: &mut S) -> io::Result<String> {
    let mut buf = Vec::with_capacity(1024);
    let mut chunk = [0u8; 1024];
    loop {
        let n = stream.read(&mut chunk).await?;
        if n == 0 {
            break;
        }
        buf.extend_from_slice(&chunk[..n]);
        if buf.windows(4).any(|w| w == b"\r\n\r\n") || buf.windows(2).any(|w| w == b"\n\n") {
            break;
        }
        if buf.len() > MAX_HEAD {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                "request head too long",
            ));
        }
    }
    Ok(String::from_utf8_lossy(&buf).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_are_tcp_or_unix_paths() {
        assert_eq!(
            "127.0.0.1:9558".parse(),
            Ok(ListenAddress::Tcp("127.0.0.1:9558".parse().unwrap()))
        );
        assert_eq!(
            "[::1]:9558".parse(),
            Ok(ListenAddress::Tcp("[::1]:9558".parse().unwrap()))
        );
        assert_eq!(
            "/run/m.sock".parse(),
            Ok(ListenAddress::Unix("/run/m.sock".into()))
        );
        assert_eq!(
            "unix:rel.sock".parse(),
            Ok(ListenAddress::Unix("rel.sock".into()))
        );
        for bad in ["localhost", "9558", "unix:", "1.2.3.4"] {
            assert!(bad.parse::<ListenAddress>().is_err(), "{bad}");
        }
    }

    #[test]
    fn only_get_and_head_of_metrics_and_the_index_are_served() {
        assert_eq!(
            route("GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n"),
            Route::Metrics { head: false }
        );
        assert_eq!(
            route("HEAD /metrics?x=1 HTTP/1.0\r\n\r\n"),
            Route::Metrics { head: true }
        );
        assert_eq!(
            route("GET / HTTP/1.1\r\n\r\n"),
            Route::Index { head: false }
        );
        assert_eq!(route("GET /other HTTP/1.1\r\n\r\n"), Route::NotFound);
        assert_eq!(
            route("POST /metrics HTTP/1.1\r\n\r\n"),
            Route::MethodNotAllowed
        );
        assert_eq!(route("garbage"), Route::BadRequest);
        assert_eq!(route("GET /metrics SPDY/3\r\n\r\n"), Route::BadRequest);
    }
}
