//! Opening what a socket unit's `Listen*=` lines name (the I/O edge of
//! socket activation): sockets bound and listening, FIFOs made and opened,
//! special files opened; their options applied as systemd's
//! `socket_apply_socket_options` does; and removing the files again
//! (`RemoveOnStop=`).
//!
//! Every descriptor is non-blocking and close-on-exec, as systemd's are: the
//! child gets a copy without close-on-exec on its own number.

use std::ffi::OsStr;
use std::io;
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr};
use std::os::fd::{AsRawFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
use std::path::{Path, PathBuf};

use socket2::{Domain, Protocol, SockAddr, Socket, Type};

use crate::unit::socket::{
    BindIpv6Only, Listen, ListenAddress, ListenKind, NetlinkAddress, SocketSection, Timestamping,
};

/// Why a `Listen*=` line could not be opened; names the line's address.
#[derive(Debug, thiserror::Error)]
#[error("{directive}={address}: {what}: {error}")]
pub struct OpenError {
    /// `ListenStream` and the others.
    pub directive: &'static str,
    /// The address as written back.
    pub address: String,
    /// The step that failed (`bind`, `listen`, `SO_REUSEPORT`, ...).
    pub what: &'static str,
    pub error: io::Error,
}

/// Opens one `Listen*=` line of `s`. A Unix socket's stale file is
/// replaced, as systemd does on EADDRINUSE.
pub fn open(listen: &Listen, s: &SocketSection) -> Result<OwnedFd, OpenError> {
    let fail = |what: &'static str| {
        move |error: io::Error| OpenError {
            directive: listen.kind.directive(),
            address: listen.address.to_string(),
            what,
            error,
        }
    };
    match (listen.kind, &listen.address) {
        (ListenKind::Fifo, ListenAddress::Path(p)) => open_fifo(p, s).map_err(fail("FIFO")),
        (ListenKind::Special, ListenAddress::Path(p)) => {
            open_special(p, s.writable).map_err(fail("open"))
        }
        (ListenKind::Fifo | ListenKind::Special, _) => Err(fail("open")(io::Error::new(
            io::ErrorKind::InvalidInput,
            "not a path",
        ))),
        (kind, address) => open_socket(kind, address, s, &fail),
    }
}

fn socket_type(kind: ListenKind) -> Type {
    match kind {
        ListenKind::Datagram => Type::DGRAM,
        ListenKind::SequentialPacket => Type::SEQPACKET,
        ListenKind::Netlink => Type::RAW,
        _ => Type::STREAM,
    }
}

fn open_socket<F, G>(
    kind: ListenKind,
    address: &ListenAddress,
    s: &SocketSection,
    fail: &F,
) -> Result<OwnedFd, OpenError>
where
    F: Fn(&'static str) -> G,
    G: FnOnce(io::Error) -> OpenError,
{
    let ty = socket_type(kind).nonblocking().cloexec();
    let (socket, addr) = match address {
        ListenAddress::Path(p) => {
            if let Some(dir) = p.parent() {
                // systemd: mkdir_parents_label with DirectoryMode=.
                let _ = std::fs::DirBuilder::new()
                    .recursive(true)
                    .mode(s.directory_mode)
                    .create(dir);
            }
            let addr = SockAddr::unix(p).map_err(fail("address"))?;
            (
                Socket::new(Domain::UNIX, ty, None).map_err(fail("socket"))?,
                addr,
            )
        }
        ListenAddress::Abstract(name) => {
            let bytes = [b"\0", name.as_bytes()].concat();
            let addr = SockAddr::unix(OsStr::from_bytes(&bytes)).map_err(fail("address"))?;
            (
                Socket::new(Domain::UNIX, ty, None).map_err(fail("socket"))?,
                addr,
            )
        }
        ListenAddress::Inet(a) => (
            Socket::new(Domain::for_address(*a), ty, None).map_err(fail("socket"))?,
            SockAddr::from(*a),
        ),
        ListenAddress::Netlink(n) => (
            Socket::new(
                Domain::from(libc::AF_NETLINK),
                ty,
                Some(Protocol::from(
                    libc::c_int::try_from(n.family).unwrap_or(libc::c_int::MAX),
                )),
            )
            .map_err(fail("socket"))?,
            netlink_address(*n),
        ),
        ListenAddress::AnyPort(port) => {
            // systemd: [::]:port, or 0.0.0.0:port where IPv6 is missing.
            let v6 = SocketAddr::new(Ipv6Addr::UNSPECIFIED.into(), *port);
            match Socket::new(Domain::IPV6, ty, None) {
                Ok(sock) => (sock, SockAddr::from(v6)),
                Err(_) => (
                    Socket::new(Domain::IPV4, ty, None).map_err(fail("socket"))?,
                    SockAddr::from(SocketAddr::new(Ipv4Addr::UNSPECIFIED.into(), *port)),
                ),
            }
        }
    };
    apply_options(&socket, kind, &addr, s, fail)?;
    bind(&socket, &addr, address).map_err(fail("bind"))?;
    if let ListenAddress::Path(p) = address {
        set_owner_and_mode(p, s.socket_mode, s).map_err(fail("chmod/chown"))?;
    }
    if !matches!(kind, ListenKind::Datagram | ListenKind::Netlink) {
        let backlog = i32::try_from(s.backlog).unwrap_or(i32::MAX);
        socket.listen(backlog).map_err(fail("listen"))?;
    }
    Ok(socket.into())
}

/// The `sockaddr_nl` a netlink socket binds: port id 0 (the kernel picks
/// one) and the multicast group mask.
fn netlink_address(n: NetlinkAddress) -> SockAddr {
    // SAFETY: the storage is zeroed and large enough for a sockaddr_nl,
    // whose fields are written before the length is given back.
    let ((), addr) = unsafe {
        SockAddr::try_init(|storage, len| {
            let nl = storage.cast::<libc::sockaddr_nl>();
            (*nl).nl_family = libc::AF_NETLINK as libc::sa_family_t;
            (*nl).nl_pid = 0;
            (*nl).nl_groups = n.groups;
            *len = std::mem::size_of::<libc::sockaddr_nl>() as libc::socklen_t;
            Ok(())
        })
    }
    .unwrap_or_else(|_: io::Error| unreachable!("the closure does not fail"));
    addr
}

fn bind(socket: &Socket, addr: &SockAddr, address: &ListenAddress) -> io::Result<()> {
    match socket.bind(addr) {
        Err(e) if e.raw_os_error() == Some(libc::EADDRINUSE) => {
            // systemd: a file left by an earlier life is unlinked and the
            // bind tried again; only a Unix path can be.
            let ListenAddress::Path(p) = address else {
                return Err(e);
            };
            std::fs::remove_file(p).map_err(|_| e)?;
            socket.bind(addr)
        }
        other => other,
    }
}

/// systemd's `socket_apply_socket_options`, for the options sundial
/// models. An option that needs a capability (Transparent=) fails the
/// socket with the kernel's EPERM, named.
fn apply_options<F, G>(
    socket: &Socket,
    kind: ListenKind,
    addr: &SockAddr,
    s: &SocketSection,
    fail: &F,
) -> Result<(), OpenError>
where
    F: Fn(&'static str) -> G,
    G: FnOnce(io::Error) -> OpenError,
{
    let inet = addr.is_ipv4() || addr.is_ipv6();
    if inet {
        // systemd sets SO_REUSEADDR on every IP socket.
        socket
            .set_reuse_address(true)
            .map_err(fail("SO_REUSEADDR"))?;
    }
    if addr.is_ipv6() {
        match s.bind_ipv6_only {
            BindIpv6Only::Default => {}
            BindIpv6Only::Both => socket.set_only_v6(false).map_err(fail("IPV6_V6ONLY"))?,
            BindIpv6Only::Ipv6Only => socket.set_only_v6(true).map_err(fail("IPV6_V6ONLY"))?,
        }
    }
    if s.reuse_port {
        socket.set_reuse_port(true).map_err(fail("SO_REUSEPORT"))?;
    }
    if s.free_bind && inet {
        if addr.is_ipv6() {
            socket
                .set_freebind_v6(true)
                .map_err(fail("IPV6_FREEBIND"))?;
        } else {
            socket.set_freebind_v4(true).map_err(fail("IP_FREEBIND"))?;
        }
    }
    if s.transparent && inet {
        socket
            .set_ip_transparent_v4(true)
            .map_err(fail("IP_TRANSPARENT (needs CAP_NET_ADMIN)"))?;
    }
    if s.keep_alive && kind == ListenKind::Stream {
        socket.set_keepalive(true).map_err(fail("SO_KEEPALIVE"))?;
    }
    if s.no_delay && kind == ListenKind::Stream && inet {
        socket.set_tcp_nodelay(true).map_err(fail("TCP_NODELAY"))?;
    }
    if let Some(n) = s.receive_buffer {
        let n = usize::try_from(n).unwrap_or(usize::MAX);
        socket.set_recv_buffer_size(n).map_err(fail("SO_RCVBUF"))?;
    }
    if let Some(n) = s.send_buffer {
        let n = usize::try_from(n).unwrap_or(usize::MAX);
        socket.set_send_buffer_size(n).map_err(fail("SO_SNDBUF"))?;
    }
    let netlink = kind == ListenKind::Netlink;
    if s.pass_credentials && (addr.is_unix() || netlink) {
        set_flag(socket, libc::SO_PASSCRED).map_err(fail("SO_PASSCRED"))?;
    }
    if s.pass_security && addr.is_unix() {
        set_flag(socket, libc::SO_PASSSEC).map_err(fail("SO_PASSSEC"))?;
    }
    let tcp = inet && kind == ListenKind::Stream;
    let int = |value: u32| libc::c_int::try_from(value).unwrap_or(libc::c_int::MAX);
    if tcp {
        let options = [
            (s.keep_alive_time, libc::TCP_KEEPIDLE, "TCP_KEEPIDLE"),
            (s.keep_alive_interval, libc::TCP_KEEPINTVL, "TCP_KEEPINTVL"),
            (s.keep_alive_probes, libc::TCP_KEEPCNT, "TCP_KEEPCNT"),
            (s.defer_accept, libc::TCP_DEFER_ACCEPT, "TCP_DEFER_ACCEPT"),
        ];
        for (value, option, what) in options {
            if let Some(v) = value {
                set_int(socket, libc::IPPROTO_TCP, option, int(v)).map_err(fail(what))?;
            }
        }
    }
    if let (Some(device), true) = (&s.bind_to_device, inet) {
        socket
            .bind_device(Some(device.as_bytes()))
            .map_err(fail("SO_BINDTODEVICE"))?;
    }
    if let Some(mark) = s.mark {
        set_int(socket, libc::SOL_SOCKET, libc::SO_MARK, int(mark))
            .map_err(fail("SO_MARK (needs CAP_NET_ADMIN)"))?;
    }
    if let Some(priority) = s.priority {
        set_int(socket, libc::SOL_SOCKET, libc::SO_PRIORITY, priority)
            .map_err(fail("SO_PRIORITY"))?;
    }
    // systemd sets IP_TOS on IPv4 sockets only.
    if let (Some(tos), true) = (s.ip_tos, addr.is_ipv4()) {
        set_int(socket, libc::IPPROTO_IP, libc::IP_TOS, tos.into()).map_err(fail("IP_TOS"))?;
    }
    if let Some(ttl) = s.ip_ttl {
        if addr.is_ipv4() {
            set_int(socket, libc::IPPROTO_IP, libc::IP_TTL, ttl.into()).map_err(fail("IP_TTL"))?;
        } else if addr.is_ipv6() {
            set_int(
                socket,
                libc::IPPROTO_IPV6,
                libc::IPV6_UNICAST_HOPS,
                ttl.into(),
            )
            .map_err(fail("IPV6_UNICAST_HOPS"))?;
        }
    }
    if s.pass_packet_info {
        // systemd's socket_set_recvpktinfo; it has no such option for a
        // Unix socket, FIFO or special file.
        if addr.is_ipv4() {
            set_int(socket, libc::IPPROTO_IP, libc::IP_PKTINFO, 1).map_err(fail("IP_PKTINFO"))?;
        } else if addr.is_ipv6() {
            set_int(socket, libc::IPPROTO_IPV6, libc::IPV6_RECVPKTINFO, 1)
                .map_err(fail("IPV6_RECVPKTINFO"))?;
        } else if netlink {
            set_int(socket, libc::SOL_NETLINK, libc::NETLINK_PKTINFO, 1)
                .map_err(fail("NETLINK_PKTINFO"))?;
        }
    }
    match s.timestamping {
        Timestamping::Off => {}
        Timestamping::Microseconds => {
            set_flag(socket, libc::SO_TIMESTAMP).map_err(fail("SO_TIMESTAMP"))?;
        }
        Timestamping::Nanoseconds => {
            set_flag(socket, libc::SO_TIMESTAMPNS).map_err(fail("SO_TIMESTAMPNS"))?;
        }
    }
    Ok(())
}

fn set_flag(socket: &Socket, option: libc::c_int) -> io::Result<()> {
    set_int(socket, libc::SOL_SOCKET, option, 1)
}

fn set_int(
    socket: &Socket,
    level: libc::c_int,
    option: libc::c_int,
    value: libc::c_int,
) -> io::Result<()> {
    // SAFETY: setsockopt reads an int from a pointer to a live local.
    let r = unsafe {
        libc::setsockopt(
            socket.as_raw_fd(),
            level,
            option,
            std::ptr::from_ref(&value).cast(),
            std::mem::size_of::<libc::c_int>() as libc::socklen_t,
        )
    };
    if r < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

/// SocketMode=, then SocketUser=/SocketGroup= on the file.
fn set_owner_and_mode(path: &Path, mode: u32, s: &SocketSection) -> io::Result<()> {
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))?;
    let uid = match &s.socket_user {
        Some(u) => Some(lookup_user(u)?),
        None => None,
    };
    let gid = match &s.socket_group {
        Some(g) => Some(lookup_group(g)?),
        None => None,
    };
    if uid.is_some() || gid.is_some() {
        std::os::unix::fs::lchown(path, uid, gid)?;
    }
    Ok(())
}

fn lookup_user(u: &str) -> io::Result<u32> {
    if let Ok(n) = u.parse() {
        return Ok(n);
    }
    nix::unistd::User::from_name(u)
        .ok()
        .flatten()
        .map(|e| e.uid.as_raw())
        .ok_or_else(|| io::Error::new(io::ErrorKind::NotFound, format!("no user '{u}'")))
}

fn lookup_group(g: &str) -> io::Result<u32> {
    if let Ok(n) = g.parse() {
        return Ok(n);
    }
    nix::unistd::Group::from_name(g)
        .ok()
        .flatten()
        .map(|e| e.gid.as_raw())
        .ok_or_else(|| io::Error::new(io::ErrorKind::NotFound, format!("no group '{g}'")))
}

fn open_fifo(path: &Path, s: &SocketSection) -> io::Result<OwnedFd> {
    if let Some(dir) = path.parent() {
        let _ = std::fs::DirBuilder::new()
            .recursive(true)
            .mode(s.directory_mode)
            .create(dir);
    }
    match nix::unistd::mkfifo(
        path,
        nix::sys::stat::Mode::from_bits_truncate(s.socket_mode),
    ) {
        Ok(()) | Err(nix::errno::Errno::EEXIST) => {}
        Err(e) => return Err(e.into()),
    }
    use std::os::unix::fs::{FileTypeExt, OpenOptionsExt};
    // Read-write: the FIFO never reads as ended while the daemon holds it.
    let file = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .custom_flags(libc::O_NONBLOCK | libc::O_NOFOLLOW)
        .open(path)?;
    if !file.metadata()?.file_type().is_fifo() {
        return Err(io::Error::new(
            io::ErrorKind::AlreadyExists,
            "exists and is not a FIFO",
        ));
    }
    set_owner_and_mode(path, s.socket_mode, s)?;
    if let Some(size) = s.pipe_size {
        let size = libc::c_int::try_from(size).unwrap_or(libc::c_int::MAX);
        // SAFETY: fcntl with an integer argument on a descriptor we own.
        if unsafe { libc::fcntl(file.as_raw_fd(), libc::F_SETPIPE_SZ, size) } < 0 {
            return Err(io::Error::last_os_error());
        }
    }
    Ok(file.into())
}

fn open_special(path: &Path, writable: bool) -> io::Result<OwnedFd> {
    use std::os::unix::fs::OpenOptionsExt;
    // systemd: read-only unless Writable=yes.
    let file = std::fs::OpenOptions::new()
        .read(true)
        .write(writable)
        .custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY)
        .open(path)?;
    Ok(file.into())
}

/// The files a stopped socket leaves behind: its Unix socket files and
/// FIFOs (RemoveOnStop=yes), and its Symlinks=.
pub fn remove_files(s: &SocketSection) {
    if !s.remove_on_stop {
        return;
    }
    for l in &s.listen {
        if let (
            ListenKind::Stream
            | ListenKind::Datagram
            | ListenKind::SequentialPacket
            | ListenKind::Fifo,
            ListenAddress::Path(p),
        ) = (l.kind, &l.address)
        {
            let _ = std::fs::remove_file(p);
        }
    }
    for link in &s.symlinks {
        let _ = std::fs::remove_file(link);
    }
}

/// Symlinks=: links to the socket's one file (systemd makes them only
/// when there is exactly one socket file or FIFO). An existing link is
/// replaced; failures are returned for the daemon to report.
pub fn make_symlinks(s: &SocketSection) -> Vec<String> {
    let files: Vec<&PathBuf> = s
        .listen
        .iter()
        .filter(|l| l.kind != ListenKind::Special)
        .filter_map(|l| match &l.address {
            ListenAddress::Path(p) => Some(p),
            _ => None,
        })
        .collect();
    let mut problems = Vec::new();
    if s.symlinks.is_empty() {
        return problems;
    }
    let [target] = files.as_slice() else {
        problems.push("Symlinks=: needs exactly one socket file or FIFO, not creating".into());
        return problems;
    };
    for link in &s.symlinks {
        let _ = std::fs::remove_file(link);
        if let Err(e) = std::os::unix::fs::symlink(target, link) {
            problems.push(format!("Symlinks=: {}: {e}", link.display()));
        }
    }
    problems
}

/// Whether `fd` has something to read or accept now (a level check, which
/// the event loop's edge-triggered readiness cannot give).
pub fn readable_now(fd: &OwnedFd) -> bool {
    let mut pfd = libc::pollfd {
        fd: fd.as_raw_fd(),
        events: libc::POLLIN,
        revents: 0,
    };
    // SAFETY: poll on one pollfd we own, timeout 0.
    let n = unsafe { libc::poll(&mut pfd, 1, 0) };
    n > 0 && pfd.revents & (libc::POLLIN | libc::POLLHUP | libc::POLLERR) != 0
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::unit::socket::parse_address;

    fn listen(kind: ListenKind, addr: &str) -> Listen {
        Listen {
            kind,
            address: parse_address(addr).expect("valid address"),
        }
    }

    #[test]
    fn a_unix_stream_socket_listens_with_its_mode_and_replaces_a_stale_file() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("sub/x.sock");
        let mut s = SocketSection {
            socket_mode: 0o600,
            ..SocketSection::default()
        };
        let l = listen(ListenKind::Stream, path.to_str().expect("utf-8"));
        let fd = open(&l, &s).expect("opens");
        let meta = std::fs::metadata(&path).expect("exists");
        assert_eq!(meta.permissions().mode() & 0o777, 0o600);
        assert!(!readable_now(&fd));
        let _client = std::os::unix::net::UnixStream::connect(&path).expect("connects");
        assert!(readable_now(&fd));
        drop(fd);
        // The file stays after the descriptor is closed; a new open takes
        // its place.
        let again = open(&l, &s).expect("replaces the stale file");
        drop(again);
        s.remove_on_stop = true;
        s.listen.push(l);
        remove_files(&s);
        assert!(!path.exists());
    }

    #[test]
    fn a_busy_tcp_port_is_an_error_naming_the_address() {
        let taken = std::net::TcpListener::bind("127.0.0.1:0").expect("binds");
        let port = taken.local_addr().expect("bound").port();
        let l = listen(ListenKind::Stream, &format!("127.0.0.1:{port}"));
        let e = open(&l, &SocketSection::default()).expect_err("port in use");
        assert_eq!(e.what, "bind");
        assert!(
            e.to_string()
                .starts_with(&format!("ListenStream=127.0.0.1:{port}: bind: ")),
            "{e}"
        );
    }

    #[test]
    fn a_port_alone_listens_on_every_address_with_its_options() {
        let port = {
            let l = std::net::TcpListener::bind("127.0.0.1:0").expect("binds");
            l.local_addr().expect("bound").port()
        };
        let s = SocketSection {
            bind_ipv6_only: BindIpv6Only::Both,
            reuse_port: true,
            no_delay: true,
            keep_alive: true,
            receive_buffer: Some(65536),
            backlog: 16,
            ..SocketSection::default()
        };
        let fd = open(&listen(ListenKind::Stream, &port.to_string()), &s).expect("opens");
        let sock = socket2::SockRef::from(&fd);
        assert!(sock.reuse_port().expect("reads"));
        assert!(sock.keepalive().expect("reads"));
        // IPv4 clients reach a dual-stack socket (or the IPv4 fallback).
        let _c = std::net::TcpStream::connect(("127.0.0.1", port)).expect("connects");
        assert!(readable_now(&fd));
    }

    fn get_int(fd: &OwnedFd, level: libc::c_int, option: libc::c_int) -> libc::c_int {
        let mut value: libc::c_int = 0;
        let mut len = std::mem::size_of::<libc::c_int>() as libc::socklen_t;
        // SAFETY: getsockopt writes at most `len` bytes into `value`.
        let r = unsafe {
            libc::getsockopt(
                fd.as_raw_fd(),
                level,
                option,
                std::ptr::from_mut(&mut value).cast(),
                &mut len,
            )
        };
        assert_eq!(r, 0, "getsockopt: {}", io::Error::last_os_error());
        value
    }

    #[test]
    fn tcp_options_are_set_and_read_back() {
        let port = {
            let l = std::net::TcpListener::bind("127.0.0.1:0").expect("binds");
            l.local_addr().expect("bound").port()
        };
        let s = SocketSection {
            keep_alive: true,
            keep_alive_time: Some(77),
            keep_alive_interval: Some(13),
            keep_alive_probes: Some(4),
            defer_accept: Some(5),
            ip_tos: Some(0x10),
            ip_ttl: Some(42),
            timestamping: Timestamping::Nanoseconds,
            ..SocketSection::default()
        };
        let l = listen(ListenKind::Stream, &format!("127.0.0.1:{port}"));
        let fd = open(&l, &s).expect("opens");
        assert_eq!(get_int(&fd, libc::IPPROTO_TCP, libc::TCP_KEEPIDLE), 77);
        assert_eq!(get_int(&fd, libc::IPPROTO_TCP, libc::TCP_KEEPINTVL), 13);
        assert_eq!(get_int(&fd, libc::IPPROTO_TCP, libc::TCP_KEEPCNT), 4);
        // The kernel keeps it as retransmissions and gives back the time
        // they cover: at least what was asked.
        assert!(get_int(&fd, libc::IPPROTO_TCP, libc::TCP_DEFER_ACCEPT) >= 5);
        assert_eq!(get_int(&fd, libc::IPPROTO_IP, libc::IP_TOS), 0x10);
        assert_eq!(get_int(&fd, libc::IPPROTO_IP, libc::IP_TTL), 42);
        // The kernel derives a TCP socket's priority from IP_TOS
        // (low-delay: 6, TC_PRIO_INTERACTIVE), as it does under systemd,
        // which sets IP_TOS after SO_PRIORITY too.
        assert_eq!(get_int(&fd, libc::SOL_SOCKET, libc::SO_PRIORITY), 6);
        assert_eq!(get_int(&fd, libc::SOL_SOCKET, libc::SO_TIMESTAMPNS), 1);
        assert_eq!(get_int(&fd, libc::SOL_SOCKET, libc::SO_TIMESTAMP), 0);
    }

    #[test]
    fn packet_info_is_asked_for_on_ip_and_netlink_sockets() {
        let port = free_udp_port();
        let s = SocketSection {
            pass_packet_info: true,
            ..SocketSection::default()
        };
        let l = listen(ListenKind::Datagram, &format!("127.0.0.1:{port}"));
        let fd = open(&l, &s).expect("opens");
        assert_eq!(get_int(&fd, libc::IPPROTO_IP, libc::IP_PKTINFO), 1);
        let plain = open(
            &listen(
                ListenKind::Datagram,
                &format!("127.0.0.1:{}", free_udp_port()),
            ),
            &SocketSection::default(),
        )
        .expect("opens");
        assert_eq!(get_int(&plain, libc::IPPROTO_IP, libc::IP_PKTINFO), 0);
        // NETLINK_USERSOCK (2) is open to every user.
        let l = Listen {
            kind: ListenKind::Netlink,
            address: ListenAddress::Netlink(NetlinkAddress {
                family: 2,
                groups: 0,
            }),
        };
        let fd = open(&l, &s).expect("opens");
        assert_eq!(get_int(&fd, libc::SOL_NETLINK, libc::NETLINK_PKTINFO), 1);
    }

    fn free_udp_port() -> u16 {
        let u = std::net::UdpSocket::bind("127.0.0.1:0").expect("binds");
        u.local_addr().expect("bound").port()
    }

    #[test]
    fn a_netlink_socket_is_bound_to_its_family_and_groups() {
        let l = Listen {
            kind: ListenKind::Netlink,
            address: ListenAddress::Netlink(NetlinkAddress {
                family: 2,
                groups: 0x0a00_0000,
            }),
        };
        let fd = open(&l, &SocketSection::default()).expect("opens");
        assert_eq!(
            get_int(&fd, libc::SOL_SOCKET, libc::SO_DOMAIN),
            libc::AF_NETLINK
        );
        assert_eq!(get_int(&fd, libc::SOL_SOCKET, libc::SO_PROTOCOL), 2);
        assert_eq!(
            get_int(&fd, libc::SOL_SOCKET, libc::SO_TYPE),
            libc::SOCK_RAW
        );
        let local = socket2::SockRef::from(&fd).local_addr().expect("bound");
        // SAFETY: the kernel wrote a sockaddr_nl for this AF_NETLINK socket.
        let nl = unsafe { &*local.as_ptr().cast::<libc::sockaddr_nl>() };
        assert_eq!(nl.nl_groups, 0x0a00_0000);
        assert_ne!(nl.nl_pid, 0, "the kernel gave it a port id");
        // A family the kernel does not have is an error naming the line.
        let l = Listen {
            kind: ListenKind::Netlink,
            address: ListenAddress::Netlink(NetlinkAddress {
                family: 31,
                groups: 0,
            }),
        };
        let e = open(&l, &SocketSection::default()).expect_err("no such family");
        assert!(
            e.to_string().starts_with("ListenNetlink=31 0: socket: "),
            "{e}"
        );
    }

    #[test]
    fn ipv6_hops_priority_and_microsecond_timestamps() {
        let Ok(probe) = std::net::TcpListener::bind("[::1]:0") else {
            eprintln!("skipped: no IPv6 loopback");
            return;
        };
        let port = probe.local_addr().expect("bound").port();
        drop(probe);
        let s = SocketSection {
            ip_ttl: Some(9),
            priority: Some(3),
            timestamping: Timestamping::Microseconds,
            ..SocketSection::default()
        };
        let l = listen(ListenKind::Datagram, &format!("[::1]:{port}"));
        let fd = open(&l, &s).expect("opens");
        assert_eq!(get_int(&fd, libc::IPPROTO_IPV6, libc::IPV6_UNICAST_HOPS), 9);
        assert_eq!(get_int(&fd, libc::SOL_SOCKET, libc::SO_PRIORITY), 3);
        assert_eq!(get_int(&fd, libc::SOL_SOCKET, libc::SO_TIMESTAMP), 1);
    }

    #[test]
    fn bind_to_device_and_mark_are_set_where_allowed() {
        let port = {
            let l = std::net::TcpListener::bind("127.0.0.1:0").expect("binds");
            l.local_addr().expect("bound").port()
        };
        let l = listen(ListenKind::Stream, &format!("127.0.0.1:{port}"));
        let s = SocketSection {
            bind_to_device: Some("lo".into()),
            ..SocketSection::default()
        };
        match open(&l, &s) {
            Ok(fd) => {
                let sock = socket2::SockRef::from(&fd);
                assert_eq!(sock.device().expect("reads").as_deref(), Some(&b"lo"[..]));
            }
            // Before Linux 5.7 SO_BINDTODEVICE needs CAP_NET_RAW.
            Err(e) if e.error.raw_os_error() == Some(libc::EPERM) => {
                eprintln!("skipped BindToDevice=: {e}");
            }
            Err(e) => panic!("{e}"),
        }
        let s = SocketSection {
            mark: Some(0x2a),
            ..SocketSection::default()
        };
        match open(&l, &s) {
            Ok(fd) => assert_eq!(get_int(&fd, libc::SOL_SOCKET, libc::SO_MARK), 0x2a),
            Err(e) if e.error.raw_os_error() == Some(libc::EPERM) => {
                assert_eq!(e.what, "SO_MARK (needs CAP_NET_ADMIN)");
                eprintln!("skipped Mark=: not CAP_NET_ADMIN: {e}");
            }
            Err(e) => panic!("{e}"),
        }
    }

    #[test]
    fn a_fifo_gets_its_pipe_size_and_a_special_file_opens_writable_when_asked() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("f");
        let s = SocketSection {
            pipe_size: Some(1 << 20),
            ..SocketSection::default()
        };
        let l = listen(ListenKind::Fifo, path.to_str().expect("utf-8"));
        let l = Listen {
            kind: ListenKind::Fifo,
            address: l.address,
        };
        match open(&l, &s) {
            Ok(fd) => {
                // SAFETY: fcntl F_GETPIPE_SZ on a descriptor we own.
                let size = unsafe { libc::fcntl(fd.as_raw_fd(), libc::F_GETPIPE_SZ) };
                assert_eq!(size, 1 << 20);
            }
            // An ordinary user is held to /proc/sys/fs/pipe-max-size.
            Err(e) if e.error.raw_os_error() == Some(libc::EPERM) => {
                eprintln!("skipped PipeSize=: {e}");
            }
            Err(e) => panic!("{e}"),
        }
        let file = dir.path().join("special");
        std::fs::write(&file, b"").expect("writes");
        let special = Listen {
            kind: ListenKind::Special,
            address: ListenAddress::Path(file.clone()),
        };
        let flags = |fd: &OwnedFd| {
            // SAFETY: fcntl F_GETFL on a descriptor we own.
            let flags = unsafe { libc::fcntl(fd.as_raw_fd(), libc::F_GETFL) };
            flags & libc::O_ACCMODE
        };
        let ro = open(&special, &SocketSection::default()).expect("opens");
        assert_eq!(flags(&ro), libc::O_RDONLY);
        let rw = open(
            &special,
            &SocketSection {
                writable: true,
                ..SocketSection::default()
            },
        )
        .expect("opens");
        assert_eq!(flags(&rw), libc::O_RDWR);
    }

    #[test]
    fn an_abstract_seqpacket_socket_has_no_file() {
        let name = format!("sundial-test-{}-seq", std::process::id());
        let l = listen(ListenKind::SequentialPacket, &format!("@{name}"));
        let fd = open(&l, &SocketSection::default()).expect("opens");
        let sock = socket2::SockRef::from(&fd);
        assert_eq!(sock.r#type().expect("reads"), socket2::Type::SEQPACKET);
        let addr = sock.local_addr().expect("bound");
        assert_eq!(
            addr.as_abstract_namespace(),
            Some(name.as_bytes()),
            "{addr:?}"
        );
    }

    #[test]
    fn a_fifo_is_made_and_opened() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("f");
        let l = listen(ListenKind::Fifo, path.to_str().expect("utf-8"));
        let l = Listen {
            kind: ListenKind::Fifo,
            address: l.address,
        };
        let fd = open(&l, &SocketSection::default()).expect("opens");
        assert!(!readable_now(&fd));
        std::fs::write(&path, b"x").expect("writes");
        assert!(readable_now(&fd));
    }
}
