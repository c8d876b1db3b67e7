//! The `$NOTIFY_SOCKET` protocol: a datagram socket on which services send
//! `READY=1`, `STATUS=...` and friends; the kernel adds the sender's pid
//! (SO_PASSCRED), which decides whom the message is from, and the
//! descriptors sent with `FDSTORE=1` (SCM_RIGHTS).

use std::io::{self, IoSliceMut};
use std::os::fd::{FromRawFd, OwnedFd, RawFd};
use std::os::unix::net::UnixDatagram;
use std::path::{Path, PathBuf};

use nix::sys::socket::{recvmsg, setsockopt, sockopt, ControlMessageOwned, MsgFlags, UnixAddr};
use nix::unistd::Pid;
use tokio::io::Interest;

/// One assignment of a notify datagram that the supervisor acts on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NotifyField {
    Ready,
    Reloading,
    Stopping,
    Status(String),
    MainPid(Pid),
    Watchdog,
    /// `WATCHDOG=trigger`: the service asks to be treated as hung.
    WatchdogTrigger,
    WatchdogUsec(u64),
    /// `FDSTORE=1`: keep the descriptors sent with the datagram.
    FdStore,
    /// `FDSTOREREMOVE=1`: drop the kept descriptors named by `FDNAME=`.
    FdStoreRemove,
    /// `FDNAME=`: the name of the descriptors stored or removed.
    FdName(String),
    /// `FDPOLL=0`: keep them even when they hang up.
    FdNoPoll,
}

/// A datagram with its sender.
#[derive(Debug)]
pub struct NotifyMessage {
    /// The sender as the kernel reports it; None if credentials were missing.
    pub pid: Option<Pid>,
    pub fields: Vec<NotifyField>,
    /// Descriptors sent with it; closed when dropped unless stored.
    pub fds: Vec<OwnedFd>,
}

/// Parses a datagram: newline-separated `KEY=VALUE` assignments; unknown keys
/// and malformed values are ignored, as systemd ignores them.
pub fn parse(datagram: &[u8]) -> Vec<NotifyField> {
    let text = String::from_utf8_lossy(datagram);
    text.split('\n')
        .filter_map(|line| {
            let (key, value) = line.split_once('=')?;
            Some(match (key, value) {
                ("READY", "1") => NotifyField::Ready,
                ("RELOADING", "1") => NotifyField::Reloading,
                ("STOPPING", "1") => NotifyField::Stopping,
                ("STATUS", v) => NotifyField::Status(v.to_owned()),
                ("MAINPID", v) => {
                    let pid: i32 = v.parse().ok().filter(|p| *p > 0)?;
                    NotifyField::MainPid(Pid::from_raw(pid))
                }
                ("WATCHDOG", "1") => NotifyField::Watchdog,
                ("WATCHDOG", "trigger") => NotifyField::WatchdogTrigger,
                ("WATCHDOG_USEC", v) => NotifyField::WatchdogUsec(v.parse().ok()?),
                ("FDSTORE", "1") => NotifyField::FdStore,
                ("FDSTOREREMOVE", "1") => NotifyField::FdStoreRemove,
                ("FDNAME", v) => NotifyField::FdName(v.to_owned()),
                ("FDPOLL", "0") => NotifyField::FdNoPoll,
                _ => return None,
            })
        })
        .collect()
}

/// The bound socket.
#[derive(Debug)]
pub struct NotifySocket {
    socket: tokio::net::UnixDatagram,
    path: PathBuf,
    /// Device and inode of the socket file bound, removed at drop only if
    /// the path still names it.
    file: (u64, u64),
}

impl NotifySocket {
    /// Binds at `path` (an old socket file there is replaced). Must be called
    /// inside a tokio runtime.
    pub fn bind(path: &Path) -> io::Result<NotifySocket> {
        let _ = std::fs::remove_file(path);
        let socket = UnixDatagram::bind(path)?;
        let file = file_identity(path)?;
        socket.set_nonblocking(true)?;
        setsockopt(&socket, sockopt::PassCred, &true).map_err(io::Error::from)?;
        Ok(NotifySocket {
            socket: tokio::net::UnixDatagram::from_std(socket)?,
            path: path.to_owned(),
            file,
        })
    }

    /// The value for `$NOTIFY_SOCKET`.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Waits for the next datagram. Cancel-safe.
    pub async fn recv(&self) -> io::Result<NotifyMessage> {
        loop {
            self.socket.readable().await?;
            let got = self
                .socket
                .try_io(Interest::READABLE, || match self.receive() {
                    Ok(Some(msg)) => Ok(msg),
                    Ok(None) => Err(io::ErrorKind::WouldBlock.into()),
                    Err(e) => Err(e),
                });
            match got {
                Ok(msg) => return Ok(msg),
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => continue,
                Err(e) => return Err(e),
            }
        }
    }

    /// A datagram if one is queued.
    pub fn try_recv(&self) -> io::Result<Option<NotifyMessage>> {
        match self
            .socket
            .try_io(Interest::READABLE, || match self.receive() {
                Ok(Some(msg)) => Ok(msg),
                Ok(None) => Err(io::ErrorKind::WouldBlock.into()),
                Err(e) => Err(e),
            }) {
            Ok(msg) => Ok(Some(msg)),
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => Ok(None),
            Err(e) => Err(e),
        }
    }

    fn receive(&self) -> io::Result<Option<NotifyMessage>> {
        // systemd's limit for one notify datagram is a page or so; longer ones
        // are cut, which at worst truncates a STATUS= text.
        let mut buf = [0u8; 4096];
        let mut iov = [IoSliceMut::new(&mut buf)];
        // SCM_MAX_FD: the kernel passes at most 253 descriptors at once.
        let mut cmsg = nix::cmsg_space!(nix::sys::socket::UnixCredentials, [RawFd; 253]);
        let mut fds = Vec::new();
        let (len, pid) = match recvmsg::<UnixAddr>(
            std::os::fd::AsRawFd::as_raw_fd(&self.socket),
            &mut iov,
            Some(&mut cmsg),
            MsgFlags::MSG_DONTWAIT | MsgFlags::MSG_CMSG_CLOEXEC,
        ) {
            Ok(msg) => {
                let mut pid = None;
                for c in msg.cmsgs().into_iter().flatten() {
                    match c {
                        ControlMessageOwned::ScmCredentials(cred) => {
                            pid = Some(Pid::from_raw(cred.pid()));
                        }
                        ControlMessageOwned::ScmRights(raw) => {
                            // SAFETY: the kernel just installed these
                            // descriptors in this process; nothing else
                            // owns them.
                            fds.extend(
                                raw.into_iter()
                                    .map(|fd| unsafe { OwnedFd::from_raw_fd(fd) }),
                            );
                        }
                        _ => {}
                    }
                }
                (msg.bytes, pid)
            }
            Err(nix::errno::Errno::EAGAIN) => return Ok(None),
            Err(e) => return Err(e.into()),
        };
        Ok(Some(NotifyMessage {
            pid,
            fields: parse(&buf[..len]),
            fds,
        }))
    }
}

/// Device and inode of the file at `path`.
fn file_identity(path: &Path) -> io::Result<(u64, u64)> {
    use std::os::unix::fs::MetadataExt;
    let meta = std::fs::symlink_metadata(path)?;
    Ok((meta.dev(), meta.ino()))
}

impl Drop for NotifySocket {
    fn drop(&mut self) {
        // Only the socket bound here: another daemon using the same runtime
        // directory may have bound the path since.
        if file_identity(&self.path).is_ok_and(|id| id == self.file) {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_known_assignments() {
        let got =
            parse(b"READY=1\nSTATUS=Serving 3 clients\nMAINPID=42\nWATCHDOG=1\nX=y\nMAINPID=zz");
        assert_eq!(
            got,
            vec![
                NotifyField::Ready,
                NotifyField::Status("Serving 3 clients".into()),
                NotifyField::MainPid(Pid::from_raw(42)),
                NotifyField::Watchdog,
            ]
        );
        assert_eq!(parse(b"READY=0"), vec![]);
        assert_eq!(
            parse(b"FDSTORE=1\nFDNAME=conn\nFDPOLL=0\nFDSTOREREMOVE=1\nFDPOLL=1"),
            vec![
                NotifyField::FdStore,
                NotifyField::FdName("conn".into()),
                NotifyField::FdNoPoll,
                NotifyField::FdStoreRemove,
            ]
        );
    }

    #[tokio::test]
    async fn drop_removes_only_its_own_socket_file() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("notify");
        let first = NotifySocket::bind(&path).expect("bind");
        // Another supervisor binds the same path (it replaces the file).
        let second = NotifySocket::bind(&path).expect("bind again");
        drop(first);
        assert!(path.exists(), "the newer socket is kept");
        drop(second);
        assert!(!path.exists(), "its own file is removed");
    }

    #[tokio::test]
    async fn receives_with_sender_pid() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("notify");
        let sock = NotifySocket::bind(&path).expect("bind");
        let client = UnixDatagram::unbound().expect("socket");
        client.send_to(b"READY=1\nSTATUS=up", &path).expect("send");
        let msg = sock.recv().await.expect("a datagram");
        assert_eq!(msg.pid, Some(nix::unistd::getpid()));
        assert_eq!(
            msg.fields,
            vec![NotifyField::Ready, NotifyField::Status("up".into())]
        );
        assert!(msg.fds.is_empty());
    }

    #[tokio::test]
    async fn receives_the_descriptors_sent_with_a_datagram() {
        use nix::sys::socket::{sendmsg, ControlMessage};
        use std::io::IoSlice;
        use std::os::fd::AsRawFd;
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("notify");
        let sock = NotifySocket::bind(&path).expect("bind");
        let client = UnixDatagram::unbound().expect("socket");
        let (r, w) = nix::unistd::pipe().expect("pipe");
        let raw = [r.as_raw_fd(), w.as_raw_fd()];
        let to = UnixAddr::new(&path).expect("address");
        sendmsg(
            client.as_raw_fd(),
            &[IoSlice::new(b"FDSTORE=1\nFDNAME=pipe")],
            &[ControlMessage::ScmRights(&raw)],
            MsgFlags::empty(),
            Some(&to),
        )
        .expect("sends");
        let msg = sock.recv().await.expect("a datagram");
        assert_eq!(msg.fds.len(), 2);
        // The received copies are new descriptors of the same pipe.
        nix::unistd::write(&msg.fds[1], b"x").expect("writes");
        let mut b = [0u8; 1];
        nix::unistd::read(&r, &mut b).expect("reads");
        assert_eq!(&b, b"x");
    }
}
