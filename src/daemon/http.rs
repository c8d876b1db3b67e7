//! The daemon's small HTTP edge, shared by the metrics endpoint and the
//! dashboard: where to listen (a TCP address or a Unix socket), binding,
//! accepting with a bound on connections served at once, reading a request
//! head and writing a reply. `GET` and `HEAD` only: both are read-only.

use std::fmt;
use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::os::unix::fs::{FileTypeExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpListener, UnixListener};
use tokio::sync::Semaphore;

/// Connections served at once; more wait to be accepted.
const CONCURRENT: usize = 8;
/// The longest request head read.
const MAX_HEAD: usize = 8192;
/// How long a client may take to send its request.
const READ_TIMEOUT: Duration = Duration::from_secs(10);

/// Where to listen: `HOST:PORT` (`127.0.0.1:9558`,
/// `[::1]:9558`) or a Unix socket path (`/run/sundial/metrics.sock`, or
/// `unix:PATH`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ListenAddress {
    Tcp(SocketAddr),
    Unix(PathBuf),
}

/// A listen address that is neither.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid listen address {0:?}: expected HOST:PORT (127.0.0.1:9558, [::1]:9558), a port alone (on 127.0.0.1) or a Unix socket path (/run/sundial/metrics.sock)")]
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
        // A port alone is on the loopback address: nothing is served to
        // the network unless an address says so.
        if let Ok(port) = s.parse::<u16>() {
            return Ok(ListenAddress::Tcp(SocketAddr::from(([127, 0, 0, 1], port))));
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

/// Why a listener could not be bound; each names what it was for.
#[derive(Debug, thiserror::Error)]
pub enum BindError {
    #[error("cannot listen for {what} on {address}: {source}")]
    Bind {
        what: &'static str,
        address: String,
        source: io::Error,
    },
    #[error("cannot listen for {what} on {address}: another program answers there")]
    InUse { what: &'static str, address: String },
}

impl Listener {
    /// Binds `address` for `what` (named in errors). A Unix socket file
    /// left by a dead daemon is replaced; one another program answers on is
    /// not. The socket file is the owner's only (0600): what is served
    /// names every unit.
    pub async fn bind(address: &ListenAddress, what: &'static str) -> Result<Listener, BindError> {
        let failed = |source| BindError::Bind {
            what,
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
                    Stale::Alive => BindError::InUse {
                        what,
                        address: address.to_string(),
                    },
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

    /// Answers each connection's request head with `handle`, at most
    /// eight at once.
    pub async fn serve<H, F>(self, handle: H)
    where
        H: Fn(String) -> F + Clone + Send + 'static,
        F: Future<Output = Reply> + Send,
    {
        let permits = Arc::new(Semaphore::new(CONCURRENT));
        loop {
            let Ok(permit) = permits.clone().acquire_owned().await else {
                return;
            };
            let handle = handle.clone();
            match &self {
                Listener::Tcp(l) => match l.accept().await {
                    Ok((stream, _)) => {
                        tokio::spawn(async move {
                            answer(stream, handle).await;
                            drop(permit);
                        });
                    }
                    Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
                },
                Listener::Unix(l, _) => match l.accept().await {
                    Ok((stream, _)) => {
                        tokio::spawn(async move {
                            answer(stream, handle).await;
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

/// A reply: status line, content type and body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    pub status: &'static str,
    pub content_type: &'static str,
    pub body: Vec<u8>,
    /// A `HEAD` request: the headers without the body.
    pub head_only: bool,
}

impl Reply {
    /// `200 OK` with `body`.
    pub fn ok(content_type: &'static str, body: impl Into<Vec<u8>>) -> Reply {
        Reply {
            status: "200 OK",
            content_type,
            body: body.into(),
            head_only: false,
        }
    }

    /// A plain-text error reply.
    pub fn error(status: &'static str, text: &str) -> Reply {
        Reply {
            status,
            content_type: "text/plain; charset=utf-8",
            body: format!("{text}\n").into_bytes(),
            head_only: false,
        }
    }
}

/// A request line that can be served: its path (without the query) and
/// whether it is a `HEAD`; else the error reply.
pub fn request_target(head: &str) -> Result<(String, bool), Reply> {
    let mut parts = head.lines().next().unwrap_or("").split(' ');
    let (Some(method), Some(target), Some(version)) = (parts.next(), parts.next(), parts.next())
    else {
        return Err(Reply::error("400 Bad Request", "bad request"));
    };
    if !version.starts_with("HTTP/1.") {
        return Err(Reply::error("400 Bad Request", "bad request"));
    }
    let head_only = match method {
        "GET" => false,
        "HEAD" => true,
        _ => return Err(Reply::error("405 Method Not Allowed", "only GET and HEAD")),
    };
    let path = target.split('?').next().unwrap_or("").to_owned();
    Ok((path, head_only))
}

async fn answer<S, H, F>(mut stream: S, handle: H)
where
    S: AsyncRead + AsyncWrite + Unpin,
    H: Fn(String) -> F,
    F: Future<Output = Reply>,
{
    let head = match tokio::time::timeout(READ_TIMEOUT, read_head(&mut stream)).await {
        Ok(Ok(head)) => head,
        _ => return,
    };
    let reply = handle(head).await;
    let allow = if reply.status.starts_with("405") {
        "Allow: GET, HEAD\r\n"
    } else {
        ""
    };
    let mut bytes = format!(
        "HTTP/1.1 {}\r\nContent-Type: {}\r\nContent-Length: {}\r\nConnection: close\r\n{allow}\r\n",
        reply.status,
        reply.content_type,
        reply.body.len(),
    )
    .into_bytes();
    let _ = stream.write_all(&bytes).await;
    if !reply.head_only {
        let _ = stream.write_all(&reply.body).await;
    }
    bytes.clear();
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
        assert_eq!(
            "9558".parse(),
            Ok(ListenAddress::Tcp("127.0.0.1:9558".parse().unwrap()))
        );
        for bad in ["localhost", "99999", "unix:", "1.2.3.4"] {
            assert!(bad.parse::<ListenAddress>().is_err(), "{bad}");
        }
    }

    #[test]
    fn only_get_and_head_are_served() {
        assert_eq!(
            request_target("GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n"),
            Ok(("/metrics".into(), false))
        );
        assert_eq!(
            request_target("HEAD /unit/a?x=1 HTTP/1.0\r\n\r\n"),
            Ok(("/unit/a".into(), true))
        );
        assert_eq!(
            request_target("POST /metrics HTTP/1.1\r\n\r\n")
                .unwrap_err()
                .status,
            "405 Method Not Allowed"
        );
        assert_eq!(
            request_target("garbage").unwrap_err().status,
            "400 Bad Request"
        );
        assert_eq!(
            request_target("GET /metrics SPDY/3\r\n\r\n")
                .unwrap_err()
                .status,
            "400 Bad Request"
        );
    }
}
