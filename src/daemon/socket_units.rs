//! Socket units in the daemon: each started socket's open descriptors, its
//! state, and the readiness the event loop waits on. The loop owns them
//! like everything else; a socket is watched while it is `listening` and
//! not while the service it started runs (systemd's socket.c).
//!
//! - Accept=no: the first connection or datagram starts the service, which
//!   gets every descriptor of every started socket that triggers it
//!   (`$LISTEN_FDS`); the socket is `running` and unwatched until the
//!   service is at rest again, then `listening`: a connection that came
//!   meanwhile and was not taken starts it again. The descriptors stay open
//!   across the service's runs, so no connection is lost.
//! - Accept=yes: the daemon accepts each connection and starts an instance
//!   of `name@.service` for it (`name@N-LOCAL-REMOTE.service`), which gets
//!   the connection alone; MaxConnections= and MaxConnectionsPerSource=
//!   close connections beyond them, as systemd does.
//! - TriggerLimitIntervalSec=/TriggerLimitBurst=: a socket triggered more
//!   often fails with `trigger-limit-hit`.
//! - The socket's own commands (see [`super::socket_commands`]): a start
//!   goes `start-pre` (ExecStartPre=, nothing open), `start-post` (open,
//!   unwatched), `listening`; a stop `stop-pre` (still open), `stop-post`
//!   (closed), inactive. A failed ExecStartPre= fails the socket at once;
//!   a failed ExecStartPost= stops it through its stop commands, then it
//!   is failed (systemd's socket.c).

use std::collections::{BTreeMap, VecDeque};
use std::os::fd::{AsRawFd, OwnedFd, RawFd};
use std::sync::Arc;
use std::task::Poll;
use std::time::{Duration, Instant};

use tokio::io::unix::AsyncFd;

use super::socket_commands::CommandsDone;
use super::socket_open;
use crate::supervisor::socket_fds::{PassedFd, SocketFds};
use crate::unit::socket::ListenKind;
use crate::unit::{SocketUnit, UnitName};

/// A descriptor shared with the services it is passed to.
#[derive(Debug)]
pub struct SharedFd(pub Arc<OwnedFd>);

impl AsRawFd for SharedFd {
    fn as_raw_fd(&self) -> RawFd {
        self.0.as_raw_fd()
    }
}

/// One open `Listen*=` line.
#[derive(Debug)]
pub struct Port {
    /// Its kind, for the type column of `list-sockets`.
    pub kind: ListenKind,
    /// As written back (`/run/x.sock`, `127.0.0.1:80`).
    pub address: String,
    /// Registered with the event loop; `None` where the file cannot be
    /// watched (a regular file as ListenSpecial=).
    pub watch: Option<AsyncFd<SharedFd>>,
    /// The descriptor itself.
    pub fd: Arc<OwnedFd>,
}

/// systemd's socket states (the ones sundial reaches).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SocketState {
    /// ExecStartPre= runs; nothing is open yet.
    StartPre,
    /// Open; ExecStartPost= runs, unwatched.
    StartPost,
    /// Open and watched.
    Listening,
    /// Open; the service it started runs (Accept=no), unwatched.
    Running,
    /// Stopping: ExecStopPre= runs, the ports still open.
    StopPre,
    /// Stopping: closed; ExecStopPost= runs.
    StopPost,
    /// Closed after a failure, with systemd's result word.
    Failed(&'static str),
}

impl SocketState {
    /// systemd's SubState.
    pub fn sub(&self) -> &'static str {
        match self {
            SocketState::StartPre => "start-pre",
            SocketState::StartPost => "start-post",
            SocketState::StopPre => "stop-pre",
            SocketState::StopPost => "stop-post",
            SocketState::Listening => "listening",
            SocketState::Running => "running",
            SocketState::Failed(_) => "failed",
        }
    }

    /// A command list of the socket's own runs (the socket is activating
    /// or deactivating).
    pub fn is_control(&self) -> bool {
        matches!(
            self,
            SocketState::StartPre
                | SocketState::StartPost
                | SocketState::StopPre
                | SocketState::StopPost
        )
    }
}

/// One started socket unit.
#[derive(Debug)]
pub struct ActiveSocket {
    pub unit: Arc<SocketUnit>,
    pub state: SocketState,
    pub ports: Vec<Port>,
    /// Connections accepted so far (Accept=yes), the `N` of instance names.
    pub n_accepted: u64,
    /// Connections closed at once for MaxConnections=/MaxConnectionsPerSource=.
    pub n_refused: u64,
    /// Instances running for accepted connections, with their source.
    pub instances: BTreeMap<String, Source>,
    /// Recent triggers, for TriggerLimit*=.
    pub triggers: VecDeque<Instant>,
    /// Look at the descriptors' level at the next wait: readiness may
    /// have been taken before the socket stopped watching.
    pub recheck: bool,
    /// The task running its commands now (a stop aborts a start's).
    pub control: Option<tokio::task::AbortHandle>,
    /// A failure to report once the stop's commands have run (systemd's
    /// result word): a failed ExecStartPost= stops the socket, then it is
    /// failed.
    pub failure: Option<&'static str>,
    /// A start came while it was stopping (a restart): it starts again
    /// once stopped.
    pub start_after_stop: bool,
}

/// Who connected, for MaxConnectionsPerSource=.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Source {
    /// An IP peer's address.
    Ip(std::net::IpAddr),
    /// A Unix peer's uid.
    Uid(u32),
    /// Not known.
    Unknown,
}

impl ActiveSocket {
    /// Whether the loop waits on its descriptors now.
    pub fn watching(&self) -> bool {
        self.state == SocketState::Listening
    }

    /// Records a trigger; `false` when it is one too many for
    /// TriggerLimitIntervalSec=/TriggerLimitBurst= (0 turns either off).
    pub fn allow_trigger(&mut self, now: Instant) -> bool {
        let s = &self.unit.socket;
        let burst = s.trigger_burst();
        let interval = Duration::from_micros(s.trigger_limit_interval.as_usec());
        if burst == 0 || interval.is_zero() {
            return true;
        }
        while self
            .triggers
            .front()
            .is_some_and(|t| now.duration_since(*t) >= interval)
        {
            self.triggers.pop_front();
        }
        if self.triggers.len() >= burst as usize {
            return false;
        }
        self.triggers.push_back(now);
        true
    }

    /// The descriptors it passes, named.
    pub fn passed(&self) -> Vec<PassedFd> {
        let name = self.unit.fd_name();
        self.ports
            .iter()
            .map(|p| PassedFd {
                fd: Arc::clone(&p.fd),
                name: name.clone(),
            })
            .collect()
    }

    /// Connections open now from `source`.
    pub fn from_source(&self, source: &Source) -> usize {
        if *source == Source::Unknown {
            return 0;
        }
        self.instances.values().filter(|s| *s == source).count()
    }
}

/// What the sockets woke the loop for.
#[derive(Debug)]
pub enum SocketWake {
    /// A port can be read or accepted.
    Ready(Ready),
    /// A socket's command list ended.
    Commands(CommandsDone),
}

/// Which port of which socket is ready.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ready {
    pub socket: String,
    pub port: usize,
}

/// Every started (or failed) socket unit, by name.
#[derive(Debug, Default)]
pub struct SocketUnits {
    pub active: BTreeMap<String, ActiveSocket>,
    /// Instances of ended connections the supervisor could not forget yet
    /// (their last reports were not taken): tried again at each settle.
    pub ended_instances: std::collections::BTreeSet<String>,
    /// Instances still running for connections of a socket that was
    /// stopped or failed since: their connections close when they end.
    pub detached_instances: std::collections::BTreeSet<String>,
    /// The sockets' command lists running now.
    pub commands: tokio::task::JoinSet<CommandsDone>,
}

impl SocketUnits {
    /// Waits until a command list ends or (with `watch`) a watched port
    /// has something to read or accept. A port's readiness is taken when
    /// it is reported; the handler looks at the level itself.
    pub async fn ready(&mut self, watch: bool) -> SocketWake {
        std::future::poll_fn(|cx| {
            if let Poll::Ready(Some(done)) = self.commands.poll_join_next(cx) {
                match done {
                    Ok(done) => return Poll::Ready(SocketWake::Commands(done)),
                    // Aborted by a stop, which has moved on.
                    Err(_) => cx.waker().wake_by_ref(),
                }
            }
            if !watch {
                return Poll::Pending;
            }
            for (name, s) in self.active.iter_mut() {
                if !s.watching() {
                    continue;
                }
                if std::mem::take(&mut s.recheck) {
                    if let Some(i) = s
                        .ports
                        .iter()
                        .position(|p| socket_open::readable_now(&p.fd))
                    {
                        return Poll::Ready(SocketWake::Ready(Ready {
                            socket: name.clone(),
                            port: i,
                        }));
                    }
                }
                for (i, port) in s.ports.iter().enumerate() {
                    let Some(watch) = &port.watch else { continue };
                    match watch.poll_read_ready(cx) {
                        Poll::Ready(Ok(mut guard)) => {
                            guard.clear_ready();
                            return Poll::Ready(SocketWake::Ready(Ready {
                                socket: name.clone(),
                                port: i,
                            }));
                        }
                        // An error of the registration: the handler's
                        // level check finds nothing and the port is
                        // left unwatched.
                        Poll::Ready(Err(_)) => {
                            return Poll::Ready(SocketWake::Ready(Ready {
                                socket: name.clone(),
                                port: i,
                            }));
                        }
                        Poll::Pending => {}
                    }
                }
            }
            Poll::Pending
        })
        .await
    }

    /// The descriptors of every started Accept=no socket that triggers
    /// `service` or that its Sockets= lists (`listed`), in name order
    /// (systemd collects them over the service's TriggeredBy= sockets).
    pub fn fds_for(&self, service: &str, listed: &[UnitName]) -> Option<SocketFds> {
        let fds: Vec<PassedFd> = self
            .active
            .values()
            .filter(|s| {
                !s.unit.socket.accept
                    && (s.unit.triggers.as_str() == service || listed.contains(&s.unit.name))
            })
            .filter(|s| !matches!(s.state, SocketState::Failed(_)) && !s.ports.is_empty())
            .flat_map(ActiveSocket::passed)
            .collect();
        (!fds.is_empty()).then(|| SocketFds {
            fds,
            env: Vec::new(),
            connection: false,
        })
    }

    /// The failed sockets' names.
    pub fn failed(&self) -> impl Iterator<Item = &str> {
        self.active
            .iter()
            .filter(|(_, s)| matches!(s.state, SocketState::Failed(_)))
            .map(|(n, _)| n.as_str())
    }

    /// The sockets that trigger `service` (TriggeredBy=).
    pub fn triggering(&self, service: &str) -> Vec<String> {
        self.active
            .values()
            .filter(|s| s.unit.triggers.as_str() == service || s.instances.contains_key(service))
            .map(|s| s.unit.name.as_str().to_owned())
            .collect()
    }
}

/// systemd's instance name of an accepted connection (socket.c
/// `instance_from_socket`): `N-LOCAL-REMOTE` for IP, `N-PID-UID` for a Unix
/// peer, `N-unknown` otherwise.
pub fn instance_name(n: u64, conn: &socket2::Socket) -> (String, Source, Vec<(String, String)>) {
    let local = conn.local_addr().ok().and_then(|a| a.as_socket());
    let peer = conn.peer_addr().ok().and_then(|a| a.as_socket());
    if let (Some(l), Some(p)) = (local, peer) {
        let ip = |a: std::net::SocketAddr| -> String {
            match a.ip() {
                std::net::IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
                    Some(v4) => v4.to_string(),
                    None => v6.to_string(),
                },
                v4 => v4.to_string(),
            }
        };
        let env = vec![
            ("REMOTE_ADDR".to_owned(), ip(p)),
            ("REMOTE_PORT".to_owned(), p.port().to_string()),
        ];
        return (
            format!("{n}-{}:{}-{}:{}", ip(l), l.port(), ip(p), p.port()),
            Source::Ip(p.ip()),
            env,
        );
    }
    match peer_credentials(conn) {
        Some((pid, uid)) => (format!("{n}-{pid}-{uid}"), Source::Uid(uid), Vec::new()),
        None => (format!("{n}-unknown"), Source::Unknown, Vec::new()),
    }
}

fn peer_credentials(conn: &socket2::Socket) -> Option<(i32, u32)> {
    let mut cred = libc::ucred {
        pid: 0,
        uid: 0,
        gid: 0,
    };
    let mut len = std::mem::size_of::<libc::ucred>() as libc::socklen_t;
    // SAFETY: getsockopt writes at most `len` bytes into `cred`.
    let r = unsafe {
        libc::getsockopt(
            conn.as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_PEERCRED,
            std::ptr::from_mut(&mut cred).cast(),
            &mut len,
        )
    };
    (r == 0 && cred.pid > 0).then_some((cred.pid, cred.uid))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn socket(body: &str) -> ActiveSocket {
        let unit = crate::unit::test_text::socket_unit(body);
        ActiveSocket {
            unit,
            state: SocketState::Listening,
            ports: Vec::new(),
            n_accepted: 0,
            n_refused: 0,
            instances: BTreeMap::new(),
            triggers: VecDeque::new(),
            recheck: false,
            control: None,
            failure: None,
            start_after_stop: false,
        }
    }

    #[test]
    fn the_trigger_limit_counts_within_its_interval() {
        let mut s = socket("ListenStream=/x\nTriggerLimitBurst=3\nTriggerLimitIntervalSec=10s");
        let t0 = Instant::now();
        assert!(s.allow_trigger(t0));
        assert!(s.allow_trigger(t0 + Duration::from_secs(1)));
        assert!(s.allow_trigger(t0 + Duration::from_secs(2)));
        assert!(!s.allow_trigger(t0 + Duration::from_secs(3)));
        // The first has left the interval.
        assert!(s.allow_trigger(t0 + Duration::from_secs(10)));
        let mut off = socket("ListenStream=/x\nTriggerLimitBurst=0");
        assert!((0..1000).all(|_| off.allow_trigger(t0)));
    }

    #[test]
    fn tcp_connections_are_named_as_systemd_names_them() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("binds");
        let port = listener.local_addr().expect("bound").port();
        let client = std::net::TcpStream::connect(("127.0.0.1", port)).expect("connects");
        let cport = client.local_addr().expect("bound").port();
        let (conn, _) = listener.accept().expect("accepts");
        let conn = socket2::Socket::from(conn);
        let (name, source, env) = instance_name(7, &conn);
        assert_eq!(name, format!("7-127.0.0.1:{port}-127.0.0.1:{cport}"));
        assert_eq!(source, Source::Ip("127.0.0.1".parse().expect("valid")));
        assert_eq!(
            env,
            [
                ("REMOTE_ADDR".to_owned(), "127.0.0.1".to_owned()),
                ("REMOTE_PORT".to_owned(), cport.to_string())
            ]
        );
    }

    #[test]
    fn unix_connections_are_named_by_the_peer_s_pid_and_uid() {
        let (a, _b) = std::os::unix::net::UnixStream::pair().expect("pair");
        let conn = socket2::Socket::from(OwnedFd::from(a));
        let (name, source, env) = instance_name(0, &conn);
        let uid = nix::unistd::geteuid().as_raw();
        assert_eq!(name, format!("0-{}-{uid}", std::process::id()));
        assert_eq!(source, Source::Uid(uid));
        assert!(env.is_empty());
    }
}
