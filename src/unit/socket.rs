//! The typed `.socket` unit (systemd.socket(5)): its `[Socket]` section
//! parsed from text, no socket opened here (that is the daemon's
//! `socket_units` edge).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::path::PathBuf;

use sundial_calendar::Timespan;

use super::directives::DirectiveCx;
use super::exec::ExecCommand;
use super::install::InstallSection;
use super::list::List;
use super::name::UnitName;
use super::source::UnitSource;
use super::unit::UnitSection;
use super::values::{check_abs_path, parse_environment, parse_size, parse_timespan, parse_user};
use super::ValueError;

/// What kind of socket (or file) a `Listen*=` line opens.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ListenKind {
    /// `ListenStream=`: SOCK_STREAM.
    Stream,
    /// `ListenDatagram=`: SOCK_DGRAM.
    Datagram,
    /// `ListenSequentialPacket=`: SOCK_SEQPACKET (Unix sockets only).
    SequentialPacket,
    /// `ListenFIFO=`: a named pipe, made if missing.
    Fifo,
    /// `ListenSpecial=`: a special file opened as it is (a character
    /// device, a file in /proc or /sys).
    Special,
    /// `ListenNetlink=`: an AF_NETLINK socket (SOCK_RAW) of a family,
    /// subscribed to multicast groups.
    Netlink,
}

impl ListenKind {
    /// The directive that makes this kind.
    pub fn directive(self) -> &'static str {
        match self {
            ListenKind::Stream => "ListenStream",
            ListenKind::Datagram => "ListenDatagram",
            ListenKind::SequentialPacket => "ListenSequentialPacket",
            ListenKind::Fifo => "ListenFIFO",
            ListenKind::Special => "ListenSpecial",
            ListenKind::Netlink => "ListenNetlink",
        }
    }

    /// The type word `list-sockets` shows (systemd's `socket_port_type_to_string`).
    pub fn type_word(self) -> &'static str {
        match self {
            ListenKind::Stream => "Stream",
            ListenKind::Datagram => "Datagram",
            ListenKind::SequentialPacket => "SequentialPacket",
            ListenKind::Fifo => "FIFO",
            ListenKind::Special => "Special",
            ListenKind::Netlink => "Netlink",
        }
    }

    /// Whether a connection is accepted on it (Accept=yes is possible).
    pub fn accepts(self) -> bool {
        matches!(self, ListenKind::Stream | ListenKind::SequentialPacket)
    }
}

/// Where a `Listen*=` line listens.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ListenAddress {
    /// A file system path: a Unix socket, a FIFO, a special file.
    Path(PathBuf),
    /// `@name`: a socket in the abstract namespace (without the `@`).
    Abstract(String),
    /// An address and port (`127.0.0.1:80`, `[::1]:80`).
    Inet(SocketAddr),
    /// A port alone: every address, IPv6 and IPv4 (as BindIPv6Only= says).
    AnyPort(u16),
    /// `ListenNetlink=FAMILY GROUP`.
    Netlink(NetlinkAddress),
}

/// A netlink family (the socket's protocol) and the multicast groups bound
/// (`nl_groups`, a bit mask: `route 1361` is RTMGRP_LINK and four more).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct NetlinkAddress {
    /// NETLINK_ROUTE (0) and the others.
    pub family: u32,
    /// The group mask, 0 for none.
    pub groups: u32,
}

/// The family names systemd reads and writes, by number; other families
/// are read and written as numbers.
const NETLINK_FAMILIES: [(u32, &str); 18] = [
    (0, "route"),
    (3, "firewall"),
    (4, "inet-diag"),
    (5, "nflog"),
    (6, "xfrm"),
    (7, "selinux"),
    (8, "iscsi"),
    (9, "audit"),
    (10, "fib-lookup"),
    (11, "connector"),
    (12, "netfilter"),
    (13, "ip6-fw"),
    (14, "dnrtmsg"),
    (15, "kobject-uevent"),
    (16, "generic"),
    (18, "scsitransport"),
    (19, "ecryptfs"),
    (20, "rdma"),
];

impl NetlinkAddress {
    /// `FAMILY [GROUP]`: a family by name or number (at most i32::MAX, the
    /// kernel's protocol is an int), then the group mask (default 0).
    pub fn parse(s: &str) -> Result<NetlinkAddress, AddressError> {
        let bad = || AddressError::Unparsable(s.to_owned());
        let mut words = s.split_whitespace();
        let family_word = words.next().ok_or_else(bad)?;
        let family = match NETLINK_FAMILIES.iter().find(|(_, n)| *n == family_word) {
            Some((number, _)) => *number,
            None => family_word
                .parse::<u32>()
                .ok()
                .filter(|n| i32::try_from(*n).is_ok())
                .ok_or_else(bad)?,
        };
        let groups = match words.next() {
            Some(g) => g.parse::<u32>().map_err(|_| bad())?,
            None => 0,
        };
        if words.next().is_some() {
            return Err(bad());
        }
        Ok(NetlinkAddress { family, groups })
    }
}

impl std::fmt::Display for NetlinkAddress {
    /// `route 1361`; a family without a name by its number.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match NETLINK_FAMILIES.iter().find(|(n, _)| *n == self.family) {
            Some((_, name)) => write!(f, "{name} {}", self.groups),
            None => write!(f, "{} {}", self.family, self.groups),
        }
    }
}

impl std::fmt::Display for ListenAddress {
    /// As systemd writes it back (`/run/x.sock`, `@name`, `127.0.0.1:80`,
    /// `[::]:80`).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ListenAddress::Path(p) => write!(f, "{}", p.display()),
            ListenAddress::Abstract(name) => write!(f, "@{name}"),
            ListenAddress::Inet(addr) => write!(f, "{addr}"),
            ListenAddress::AnyPort(port) => write!(f, "[::]:{port}"),
            ListenAddress::Netlink(n) => write!(f, "{n}"),
        }
    }
}

/// One `Listen*=` line.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Listen {
    /// The directive.
    pub kind: ListenKind,
    /// Where.
    pub address: ListenAddress,
}

/// `BindIPv6Only=`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum BindIpv6Only {
    /// `default`: the kernel's setting (net.ipv6.bindv6only).
    #[default]
    Default,
    /// `both`: IPv6 and IPv4.
    Both,
    /// `ipv6-only`.
    Ipv6Only,
}

/// Why a `Listen*=` value is not an address.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AddressError {
    /// Nothing sundial can listen on.
    #[error("failed to parse address value '{0}'")]
    Unparsable(String),
    /// Port 0 or beyond 65535.
    #[error("invalid port in '{0}'")]
    Port(String),
    /// `vsock:` addresses and interface suffixes (`%eth0`).
    #[error("address '{0}' is not supported by sundial")]
    Unsupported(String),
}

/// systemd's `socket_address_parse` for the kinds sundial opens: `/path`,
/// `@abstract`, `[v6]:port`, `v4:port`, `port`.
pub fn parse_address(s: &str) -> Result<ListenAddress, AddressError> {
    let bad = || AddressError::Unparsable(s.to_owned());
    let port = |p: &str| -> Result<u16, AddressError> {
        match p.parse::<u16>() {
            Ok(0) | Err(_) => Err(AddressError::Port(s.to_owned())),
            Ok(n) => Ok(n),
        }
    };
    if s.starts_with('/') {
        return check_abs_path(s)
            .map(ListenAddress::Path)
            .map_err(|_| bad());
    }
    if let Some(name) = s.strip_prefix('@') {
        // sun_path holds 108 bytes, the leading NUL included.
        if name.is_empty() || name.len() > 107 {
            return Err(bad());
        }
        return Ok(ListenAddress::Abstract(name.to_owned()));
    }
    if s.starts_with("vsock:") || s.contains('%') {
        return Err(AddressError::Unsupported(s.to_owned()));
    }
    if let Some(rest) = s.strip_prefix('[') {
        let (addr, tail) = rest.split_once(']').ok_or_else(bad)?;
        let p = tail.strip_prefix(':').ok_or_else(bad)?;
        let ip: Ipv6Addr = addr.parse().map_err(|_| bad())?;
        return Ok(ListenAddress::Inet(SocketAddr::new(
            IpAddr::V6(ip),
            port(p)?,
        )));
    }
    if let Some((addr, p)) = s.rsplit_once(':') {
        let ip: Ipv4Addr = addr.parse().map_err(|_| bad())?;
        return Ok(ListenAddress::Inet(SocketAddr::new(
            IpAddr::V4(ip),
            port(p)?,
        )));
    }
    if s.bytes().all(|b| b.is_ascii_digit()) && !s.is_empty() {
        return port(s).map(ListenAddress::AnyPort);
    }
    Err(bad())
}

/// The `[Socket]` section.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SocketSection {
    /// `ListenStream=` and the others, in file order (the order of the
    /// descriptors passed).
    pub listen: List<Listen>,
    /// `Accept=` (default no).
    pub accept: bool,
    /// `Service=`.
    pub service: Option<UnitName>,
    /// `SocketMode=` (default 0666).
    pub socket_mode: u32,
    /// `DirectoryMode=` (default 0755).
    pub directory_mode: u32,
    /// `SocketUser=`.
    pub socket_user: Option<String>,
    /// `SocketGroup=`.
    pub socket_group: Option<String>,
    /// `Backlog=` (default SOMAXCONN, 4096).
    pub backlog: u32,
    /// `BindIPv6Only=`.
    pub bind_ipv6_only: BindIpv6Only,
    /// `ReusePort=`.
    pub reuse_port: bool,
    /// `FreeBind=`.
    pub free_bind: bool,
    /// `Transparent=` (needs CAP_NET_ADMIN).
    pub transparent: bool,
    /// `PassCredentials=`.
    pub pass_credentials: bool,
    /// `PassSecurity=`.
    pub pass_security: bool,
    /// `KeepAlive=`.
    pub keep_alive: bool,
    /// `NoDelay=`.
    pub no_delay: bool,
    /// `ReceiveBuffer=`.
    pub receive_buffer: Option<u64>,
    /// `SendBuffer=`.
    pub send_buffer: Option<u64>,
    /// `RemoveOnStop=` (default no).
    pub remove_on_stop: bool,
    /// `Symlinks=`.
    pub symlinks: List<PathBuf>,
    /// `FileDescriptorName=` (default the unit's name without suffix).
    pub file_descriptor_name: Option<String>,
    /// `MaxConnections=` (default 64).
    pub max_connections: u32,
    /// `MaxConnectionsPerSource=` (default MaxConnections=).
    pub max_connections_per_source: Option<u32>,
    /// `TriggerLimitIntervalSec=` (default 2s).
    pub trigger_limit_interval: Timespan,
    /// `TriggerLimitBurst=` (default 20, 200 with Accept=yes).
    pub trigger_limit_burst: Option<u32>,
    /// `KeepAliveTimeSec=` (TCP_KEEPIDLE, whole seconds).
    pub keep_alive_time: Option<u32>,
    /// `KeepAliveIntervalSec=` (TCP_KEEPINTVL, whole seconds).
    pub keep_alive_interval: Option<u32>,
    /// `KeepAliveProbes=` (TCP_KEEPCNT).
    pub keep_alive_probes: Option<u32>,
    /// `DeferAcceptSec=` (TCP_DEFER_ACCEPT, whole seconds).
    pub defer_accept: Option<u32>,
    /// `BindToDevice=` (SO_BINDTODEVICE).
    pub bind_to_device: Option<String>,
    /// `Writable=`: ListenSpecial= files open read-write.
    pub writable: bool,
    /// `Mark=` (SO_MARK, needs CAP_NET_ADMIN).
    pub mark: Option<u32>,
    /// `IPTOS=` (IP_TOS).
    pub ip_tos: Option<u8>,
    /// `IPTTL=` (IP_TTL or IPV6_UNICAST_HOPS).
    pub ip_ttl: Option<u8>,
    /// `Priority=` (SO_PRIORITY).
    pub priority: Option<i32>,
    /// `PipeSize=` of ListenFIFO= (F_SETPIPE_SZ).
    pub pipe_size: Option<u64>,
    /// `Timestamping=`.
    pub timestamping: Timestamping,
    /// `PassPacketInfo=`: IP_PKTINFO, IPV6_RECVPKTINFO or NETLINK_PKTINFO.
    pub pass_packet_info: bool,
    /// `ExecStartPre=`, run before the sockets open.
    pub exec_start_pre: List<ExecCommand>,
    /// `ExecStartPost=`, run after they open, before they listen.
    pub exec_start_post: List<ExecCommand>,
    /// `ExecStopPre=`, run before they close.
    pub exec_stop_pre: List<ExecCommand>,
    /// `ExecStopPost=`, run after they close.
    pub exec_stop_post: List<ExecCommand>,
    /// `User=` the commands run as.
    pub user: Option<String>,
    /// `Group=` the commands run as.
    pub group: Option<String>,
    /// `Environment=` of the commands.
    pub environment: List<(String, String)>,
    /// `WorkingDirectory=` of the commands.
    pub working_directory: Option<PathBuf>,
    /// `TimeoutSec=`, bounding each command (none: the manager's
    /// DefaultTimeoutStartSec=).
    pub timeout: Option<Timespan>,
    /// A `Listen*=` line sundial cannot open was given (ListenMessageQueue=,
    /// ListenUSBFunction=, a vsock address): reported
    /// as not supported; the unit still loads, as it does in systemd.
    pub unsupported_listen: bool,
}

impl Default for SocketSection {
    fn default() -> SocketSection {
        SocketSection {
            listen: List::new(),
            accept: false,
            service: None,
            socket_mode: 0o666,
            directory_mode: 0o755,
            socket_user: None,
            socket_group: None,
            // systemd 252: SOMAXCONN, 4096 since Linux 5.4.
            backlog: 4096,
            bind_ipv6_only: BindIpv6Only::Default,
            reuse_port: false,
            free_bind: false,
            transparent: false,
            pass_credentials: false,
            pass_security: false,
            keep_alive: false,
            no_delay: false,
            receive_buffer: None,
            send_buffer: None,
            remove_on_stop: false,
            symlinks: List::new(),
            file_descriptor_name: None,
            max_connections: 64,
            max_connections_per_source: None,
            trigger_limit_interval: Timespan::from_secs(2),
            trigger_limit_burst: None,
            keep_alive_time: None,
            keep_alive_interval: None,
            keep_alive_probes: None,
            defer_accept: None,
            bind_to_device: None,
            writable: false,
            mark: None,
            ip_tos: None,
            ip_ttl: None,
            priority: None,
            pipe_size: None,
            timestamping: Timestamping::Off,
            pass_packet_info: false,
            exec_start_pre: List::new(),
            exec_start_post: List::new(),
            exec_stop_pre: List::new(),
            exec_stop_post: List::new(),
            user: None,
            group: None,
            environment: List::new(),
            working_directory: None,
            timeout: None,
            unsupported_listen: false,
        }
    }
}

impl SocketSection {
    /// Cuts the lists to their length.
    pub fn shrink_to_fit(&mut self) {
        self.listen.shrink_to_fit();
        self.symlinks.shrink_to_fit();
        self.exec_start_pre.shrink_to_fit();
        self.exec_start_post.shrink_to_fit();
        self.exec_stop_pre.shrink_to_fit();
        self.exec_stop_post.shrink_to_fit();
        self.environment.shrink_to_fit();
    }

    /// TriggerLimitBurst=, or systemd's default for the Accept= mode.
    pub fn trigger_burst(&self) -> u32 {
        self.trigger_limit_burst
            .unwrap_or(if self.accept { 200 } else { 20 })
    }

    /// MaxConnectionsPerSource=, or MaxConnections= (systemd's default).
    pub fn per_source_limit(&self) -> u32 {
        self.max_connections_per_source
            .unwrap_or(self.max_connections)
    }
}

/// `Timestamping=`: the timestamps received datagrams carry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Timestamping {
    /// None asked for.
    Off,
    /// SO_TIMESTAMP.
    Microseconds,
    /// SO_TIMESTAMPNS.
    Nanoseconds,
}

/// A `*Sec=` socket option in whole seconds, rounded up as systemd does
/// (`DIV_ROUND_UP(usec, USEC_PER_SEC)`); too large is an error.
fn whole_seconds(value: &str) -> Result<u32, ValueError> {
    let t = parse_timespan(value)?;
    u32::try_from(t.as_usec().div_ceil(1_000_000))
        .map_err(|_| ValueError::Invalid(format!("value too large, ignoring: {value}")))
}

/// `IPTOS=`: a number 0-255 or one of systemd's names (ip_tos_to_string).
fn parse_ip_tos(value: &str) -> Option<u8> {
    match value {
        "low-delay" => Some(0x10),
        "throughput" => Some(0x08),
        "reliability" => Some(0x04),
        "low-cost" => Some(0x02),
        other => other.parse().ok(),
    }
}

/// A loaded, validated `.socket` unit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SocketUnit {
    /// The unit's name.
    pub name: UnitName,
    /// Where it was loaded from.
    pub source: UnitSource,
    /// `[Unit]`.
    pub unit: UnitSection,
    /// `[Socket]`.
    pub socket: SocketSection,
    /// `[Install]`.
    pub install: InstallSection,
    /// The service it starts: `Service=`, the socket's own name with
    /// `.service`, or with Accept=yes the template `name@.service`.
    pub triggers: UnitName,
}

impl SocketUnit {
    /// The name passed in `$LISTEN_FDNAMES` for its descriptors.
    pub fn fd_name(&self) -> String {
        self.socket
            .file_descriptor_name
            .clone()
            .unwrap_or_else(|| self.name.without_suffix().to_owned())
    }
}

/// Applies a `[Socket]` directive; `false` for one sundial does not model
/// (reported by the caller as not supported or unknown).
pub fn apply_socket(s: &mut SocketSection, cx: &mut DirectiveCx<'_>, value: &str) -> bool {
    let key = cx.key;
    let kind = match key {
        "ListenStream" => Some(ListenKind::Stream),
        "ListenDatagram" => Some(ListenKind::Datagram),
        "ListenSequentialPacket" => Some(ListenKind::SequentialPacket),
        "ListenFIFO" => Some(ListenKind::Fifo),
        "ListenSpecial" => Some(ListenKind::Special),
        "ListenNetlink" => Some(ListenKind::Netlink),
        _ => None,
    };
    if let Some(kind) = kind {
        // systemd: an empty assignment resets every Listen*= line.
        if value.is_empty() {
            s.listen.clear();
            return true;
        }
        let Some(v) = cx.expand(value) else {
            return true;
        };
        let address = match kind {
            ListenKind::Fifo | ListenKind::Special => check_abs_path(&v).map(ListenAddress::Path),
            ListenKind::Netlink => NetlinkAddress::parse(&v)
                .map(ListenAddress::Netlink)
                .map_err(|e| ValueError::Invalid(e.to_string())),
            _ => parse_address(&v).map_err(|e| ValueError::Invalid(e.to_string())),
        };
        match address {
            Ok(ListenAddress::Abstract(_) | ListenAddress::Inet(_) | ListenAddress::AnyPort(_))
                if kind == ListenKind::SequentialPacket =>
            {
                cx.warn(ValueError::Invalid(format!(
                    "sequential packet sockets are Unix sockets only, ignoring: {v}"
                )));
            }
            Ok(address) => s.listen.push(Listen { kind, address }),
            Err(ValueError::Invalid(msg)) if msg.contains("not supported by sundial") => {
                s.unsupported_listen = true;
                cx.warn(ValueError::Invalid(msg));
            }
            Err(e) => cx.warn(e),
        }
        return true;
    }
    if let Some(list) = exec_list(s, key) {
        super::service_directives::apply_exec(list, cx, value);
        return true;
    }
    if matches!(key, "ListenMessageQueue" | "ListenUSBFunction") {
        s.unsupported_listen |= !value.is_empty();
        return false;
    }
    match key {
        "Accept" => set_bool(cx, &mut s.accept, value),
        "Service" => {
            if value.is_empty() {
                s.service = None;
            } else if let Some(v) = cx.expand(value) {
                match UnitName::parse(&v) {
                    Ok(n) if n.as_str().ends_with(".service") && !n.is_template() => {
                        s.service = Some(n);
                    }
                    Ok(_) => cx.warn(ValueError::Invalid(format!(
                        "unit must be of type service and not a template, ignoring: {v}"
                    ))),
                    Err(e) => cx.warn(e.into()),
                }
            }
        }
        "SocketMode" => set_mode(cx, &mut s.socket_mode, value),
        "DirectoryMode" => set_mode(cx, &mut s.directory_mode, value),
        "SocketUser" | "SocketGroup" => {
            let slot = if key == "SocketUser" {
                &mut s.socket_user
            } else {
                &mut s.socket_group
            };
            if value.is_empty() {
                *slot = None;
            } else {
                match parse_user(value, &cx.specifiers) {
                    Ok(u) => *slot = Some(u),
                    Err(e) => cx.warn(e),
                }
            }
        }
        "Backlog" => set_u32(cx, &mut s.backlog, value),
        "BindIPv6Only" => match value {
            "default" => s.bind_ipv6_only = BindIpv6Only::Default,
            "both" => s.bind_ipv6_only = BindIpv6Only::Both,
            "ipv6-only" => s.bind_ipv6_only = BindIpv6Only::Ipv6Only,
            // systemd also takes a boolean: yes = ipv6-only, no = both.
            other => match cx.bool(other) {
                Some(true) => s.bind_ipv6_only = BindIpv6Only::Ipv6Only,
                Some(false) => s.bind_ipv6_only = BindIpv6Only::Both,
                None => {}
            },
        },
        "ReusePort" => set_bool(cx, &mut s.reuse_port, value),
        "FreeBind" => set_bool(cx, &mut s.free_bind, value),
        "Transparent" => set_bool(cx, &mut s.transparent, value),
        "PassCredentials" => set_bool(cx, &mut s.pass_credentials, value),
        "PassSecurity" => set_bool(cx, &mut s.pass_security, value),
        "KeepAlive" => set_bool(cx, &mut s.keep_alive, value),
        "NoDelay" => set_bool(cx, &mut s.no_delay, value),
        "RemoveOnStop" => set_bool(cx, &mut s.remove_on_stop, value),
        "ReceiveBuffer" | "SendBuffer" => {
            let slot = if key == "ReceiveBuffer" {
                &mut s.receive_buffer
            } else {
                &mut s.send_buffer
            };
            match parse_size(value) {
                Ok(n) => *slot = Some(n),
                Err(e) => cx.warn(e),
            }
        }
        "Symlinks" => {
            if value.is_empty() {
                s.symlinks.clear();
                return true;
            }
            for word in value.split_whitespace() {
                let Some(w) = cx.expand(word) else { continue };
                match check_abs_path(&w) {
                    Ok(p) => s.symlinks.push(p),
                    Err(e) => cx.warn(e),
                }
            }
        }
        "FileDescriptorName" => {
            if value.is_empty() {
                s.file_descriptor_name = None;
            } else if let Some(v) = cx.expand(value) {
                // systemd: fdname_is_valid, printable ASCII without ':',
                // at most 255 bytes.
                let valid =
                    v.len() <= 255 && v.bytes().all(|b| (0x21..0x7f).contains(&b) && b != b':');
                if valid {
                    s.file_descriptor_name = Some(v);
                } else {
                    cx.warn(ValueError::Invalid(format!(
                        "invalid file descriptor name, ignoring: {v}"
                    )));
                }
            }
        }
        "MaxConnections" => set_u32(cx, &mut s.max_connections, value),
        "MaxConnectionsPerSource" => {
            let mut n = 0;
            if parse_u32(value).map(|v| n = v).is_some() {
                s.max_connections_per_source = Some(n);
            } else {
                cx.warn(ValueError::Number(value.to_owned()));
            }
        }
        "KeepAliveTimeSec" | "KeepAliveIntervalSec" | "DeferAcceptSec" => {
            let slot = match key {
                "KeepAliveTimeSec" => &mut s.keep_alive_time,
                "KeepAliveIntervalSec" => &mut s.keep_alive_interval,
                _ => &mut s.defer_accept,
            };
            match whole_seconds(value) {
                // systemd: 0 leaves the kernel's default.
                Ok(0) => *slot = None,
                Ok(n) => *slot = Some(n),
                Err(e) => cx.warn(e),
            }
        }
        "KeepAliveProbes" => match parse_u32(value) {
            Some(0) => s.keep_alive_probes = None,
            Some(n) => s.keep_alive_probes = Some(n),
            None => cx.warn(ValueError::Number(value.to_owned())),
        },
        "BindToDevice" => {
            if value.is_empty() {
                s.bind_to_device = None;
            } else if let Some(v) = cx.expand(value) {
                // systemd: ifname_valid, at most IFNAMSIZ-1 bytes, no '/',
                // ':' or white space, not "." or "..".
                let valid = !v.is_empty()
                    && v.len() < 16
                    && v != "."
                    && v != ".."
                    && v.bytes()
                        .all(|b| b.is_ascii_graphic() && b != b'/' && b != b':');
                if valid {
                    s.bind_to_device = Some(v);
                } else {
                    cx.warn(ValueError::Invalid(format!(
                        "invalid interface name, ignoring: {v}"
                    )));
                }
            }
        }
        "Writable" => set_bool(cx, &mut s.writable, value),
        "Mark" => match parse_u32(value) {
            Some(n) => s.mark = Some(n),
            None => cx.warn(ValueError::Number(value.to_owned())),
        },
        "IPTOS" => match parse_ip_tos(value) {
            Some(n) => s.ip_tos = Some(n),
            None => cx.warn(ValueError::Invalid(format!(
                "failed to parse IP TOS value, ignoring: {value}"
            ))),
        },
        "IPTTL" => match value.trim().parse::<u8>() {
            Ok(n) if n > 0 => s.ip_ttl = Some(n),
            _ => cx.warn(ValueError::Invalid(format!(
                "failed to parse IP TTL value, ignoring: {value}"
            ))),
        },
        "Priority" => match value.trim().parse::<i32>() {
            Ok(n) => s.priority = Some(n),
            Err(_) => cx.warn(ValueError::Number(value.to_owned())),
        },
        "PipeSize" => match parse_size(value) {
            Ok(n) => s.pipe_size = Some(n),
            Err(e) => cx.warn(e),
        },
        "PassPacketInfo" => set_bool(cx, &mut s.pass_packet_info, value),
        "Timestamping" => match value {
            "off" => s.timestamping = Timestamping::Off,
            "us" | "usec" | "µs" => s.timestamping = Timestamping::Microseconds,
            "ns" | "nsec" => s.timestamping = Timestamping::Nanoseconds,
            _ => cx.warn(ValueError::Invalid(format!(
                "failed to parse timestamping precision, ignoring: {value}"
            ))),
        },
        "User" | "Group" => {
            let slot = if key == "User" {
                &mut s.user
            } else {
                &mut s.group
            };
            if value.is_empty() {
                *slot = None;
            } else {
                match parse_user(value, &cx.specifiers) {
                    Ok(u) => *slot = Some(u),
                    Err(e) => cx.warn(e),
                }
            }
        }
        "Environment" => {
            if value.is_empty() {
                s.environment.clear();
            } else {
                match parse_environment(value, &cx.specifiers) {
                    Ok((vars, errors)) => {
                        cx.warn_all(errors);
                        s.environment.extend(vars);
                    }
                    Err(e) => cx.warn(e),
                }
            }
        }
        "WorkingDirectory" => {
            if value.is_empty() {
                s.working_directory = None;
            } else if let Some(v) = cx.expand(value) {
                match check_abs_path(&v) {
                    Ok(p) => s.working_directory = Some(p),
                    Err(e) => cx.warn(e),
                }
            }
        }
        "TimeoutSec" => match parse_timespan(value) {
            // systemd: 0 turns the timeout off.
            Ok(t) => s.timeout = Some(t),
            Err(e) => cx.warn(e),
        },
        "TriggerLimitIntervalSec" => match parse_timespan(value) {
            Ok(t) => s.trigger_limit_interval = t,
            Err(e) => cx.warn(e),
        },
        "TriggerLimitBurst" => match parse_u32(value) {
            Some(n) => s.trigger_limit_burst = Some(n),
            None => cx.warn(ValueError::Number(value.to_owned())),
        },
        _ => return false,
    }
    true
}

fn exec_list<'s>(s: &'s mut SocketSection, key: &str) -> Option<&'s mut List<ExecCommand>> {
    Some(match key {
        "ExecStartPre" => &mut s.exec_start_pre,
        "ExecStartPost" => &mut s.exec_start_post,
        "ExecStopPre" => &mut s.exec_stop_pre,
        "ExecStopPost" => &mut s.exec_stop_post,
        _ => return None,
    })
}

fn parse_u32(value: &str) -> Option<u32> {
    value.trim().parse().ok()
}

fn set_u32(cx: &mut DirectiveCx<'_>, slot: &mut u32, value: &str) {
    match parse_u32(value) {
        Some(n) => *slot = n,
        None => cx.warn(ValueError::Number(value.to_owned())),
    }
}

fn set_bool(cx: &mut DirectiveCx<'_>, slot: &mut bool, value: &str) {
    if let Some(b) = cx.bool(value) {
        *slot = b;
    }
}

fn set_mode(cx: &mut DirectiveCx<'_>, slot: &mut u32, value: &str) {
    match u32::from_str_radix(value, 8) {
        Ok(m) if m <= 0o7777 => *slot = m,
        _ => cx.warn(ValueError::Invalid(format!(
            "failed to parse mode value, ignoring: {value}"
        ))),
    }
}

/// systemd's `socket_verify`: a socket that cannot work is refused with
/// systemd's words.
pub fn check_socket(name: &UnitName, s: &SocketSection) -> Result<(), String> {
    if s.listen.is_empty() && !s.unsupported_listen {
        return Err(format!(
            "{name}: Unit has no Listen setting (ListenStream=, ListenDatagram=, ListenFIFO=, ...). Refusing."
        ));
    }
    if s.accept && s.listen.iter().any(|l| !l.kind.accepts()) {
        return Err(format!(
            "{name}: Unit configured for accepting sockets, but sockets are non-accepting. Refusing."
        ));
    }
    if s.accept && s.max_connections == 0 {
        return Err(format!(
            "{name}: MaxConnection= setting too small. Refusing."
        ));
    }
    if s.accept && s.service.is_some() {
        return Err(format!(
            "{name}: Explicit service configuration for accepting socket units not supported. Refusing."
        ));
    }
    Ok(())
}

/// The service a socket starts: `Service=`, else `name.service`, or with
/// Accept=yes the template `name@.service`.
pub fn triggered_service(name: &UnitName, s: &SocketSection) -> Result<UnitName, String> {
    if let Some(service) = &s.service {
        return Ok(service.clone());
    }
    let made = if s.accept {
        UnitName::parse(&format!("{}@.service", name.prefix()))
    } else {
        name.with_suffix("service")
    };
    made.map_err(|e| format!("{name}: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_parse_as_systemd_reads_them() {
        assert_eq!(
            parse_address("/run/x.sock"),
            Ok(ListenAddress::Path("/run/x.sock".into()))
        );
        assert_eq!(
            parse_address("@sundial/test"),
            Ok(ListenAddress::Abstract("sundial/test".into()))
        );
        assert_eq!(
            parse_address("127.0.0.1:8080"),
            Ok(ListenAddress::Inet(
                "127.0.0.1:8080".parse().expect("valid")
            ))
        );
        assert_eq!(
            parse_address("[::1]:53"),
            Ok(ListenAddress::Inet("[::1]:53".parse().expect("valid")))
        );
        assert_eq!(parse_address("2375"), Ok(ListenAddress::AnyPort(2375)));
        assert_eq!(parse_address("0"), Err(AddressError::Port("0".into())));
        assert_eq!(
            parse_address("1.2.3.4:70000"),
            Err(AddressError::Port("1.2.3.4:70000".into()))
        );
        assert_eq!(
            parse_address("localhost:80"),
            Err(AddressError::Unparsable("localhost:80".into()))
        );
        assert!(matches!(
            parse_address("vsock:2:1234"),
            Err(AddressError::Unsupported(_))
        ));
    }

    use crate::unit::test_text;
    use crate::unit::Unit;

    fn load(name: &str, body: &str) -> (Option<std::sync::Arc<SocketUnit>>, Vec<String>) {
        match test_text::unit(name, body) {
            (Some(Unit::Socket(s)), diags) => (Some(s), diags),
            (_, diags) => (None, diags),
        }
    }

    #[test]
    fn socket_options_are_read_as_systemd_reads_them() {
        let (s, diags) = load(
            "opt.socket",
            "[Socket]\nListenStream=80\nKeepAliveTimeSec=1min\nKeepAliveIntervalSec=1500ms\n\
             KeepAliveProbes=5\nDeferAcceptSec=0\nBindToDevice=eth0\nWritable=yes\n\
             Mark=7\nIPTOS=low-delay\nIPTTL=64\nPriority=6\nPipeSize=64K\n\
             Timestamping=nsec\nIPTTL=0\nBindToDevice=a/b\nIPTOS=x\n",
        );
        let s = s.expect("loads").socket.clone();
        assert_eq!(s.keep_alive_time, Some(60));
        // Rounded up to whole seconds.
        assert_eq!(s.keep_alive_interval, Some(2));
        assert_eq!(s.keep_alive_probes, Some(5));
        assert_eq!(s.defer_accept, None);
        assert_eq!(s.bind_to_device.as_deref(), Some("eth0"));
        assert!(s.writable);
        assert_eq!(s.mark, Some(7));
        assert_eq!(s.ip_tos, Some(0x10));
        assert_eq!(s.ip_ttl, Some(64));
        assert_eq!(s.priority, Some(6));
        assert_eq!(s.pipe_size, Some(64 << 10));
        assert_eq!(s.timestamping, Timestamping::Nanoseconds);
        assert_eq!(diags.len(), 3, "{diags:?}");
        assert!(diags[0].contains(":15: IPTTL="), "{diags:?}");
        assert!(diags[1].contains(":16: BindToDevice="), "{diags:?}");
        assert!(diags[2].contains(":17: IPTOS="), "{diags:?}");
    }

    #[test]
    fn the_socket_s_commands_and_their_settings_are_read() {
        let (s, diags) = load(
            "cmd.socket",
            "[Socket]\nListenStream=/run/x.sock\nExecStartPre=-/bin/false\n\
             ExecStartPre=/bin/echo %n\nExecStopPost=/bin/true\nExecStopPost=\n\
             User=nobody\nEnvironment=A=1 B=2\nTimeoutSec=5s\nWorkingDirectory=rel\n",
        );
        let s = s.expect("loads");
        let pre = &s.socket.exec_start_pre;
        assert_eq!(pre.len(), 2);
        assert!(pre[0].ignore_failure);
        assert_eq!(pre[1].argv, ["/bin/echo", "cmd.socket"]);
        // An empty assignment resets the list.
        assert!(s.socket.exec_stop_post.is_empty());
        assert_eq!(s.socket.user.as_deref(), Some("nobody"));
        assert_eq!(s.socket.environment.len(), 2);
        assert_eq!(s.socket.timeout, Some(Timespan::from_secs(5)));
        assert_eq!(s.socket.working_directory, None);
        assert_eq!(diags.len(), 1, "{diags:?}");
        assert!(diags[0].contains(":10: WorkingDirectory="), "{diags:?}");
    }

    #[test]
    fn directives_are_read_in_order_and_bad_ones_named_by_line() {
        let (s, diags) = load(
            "web.socket",
            "[Socket]\nListenStream=127.0.0.1:8080\nListenDatagram=@%p-dgram\n\
             ListenSequentialPacket=/run/%p.seq\nListenFIFO=/run/%p.fifo\n\
             SocketMode=0660\nDirectoryMode=0700\nBacklog=12\nNoDelay=yes\n\
             BindIPv6Only=ipv6-only\nReceiveBuffer=1M\nFileDescriptorName=http\n\
             SocketMode=999\nListenStream=host:80\nMaxConnections=x\n\
             ListenSequentialPacket=127.0.0.1:9\nSmackLabel=x\n",
        );
        let s = s.expect("loads");
        let kinds: Vec<_> = s.socket.listen.iter().map(|l| l.kind).collect();
        assert_eq!(
            kinds,
            [
                ListenKind::Stream,
                ListenKind::Datagram,
                ListenKind::SequentialPacket,
                ListenKind::Fifo
            ]
        );
        assert_eq!(
            s.socket.listen[1].address,
            ListenAddress::Abstract("web-dgram".into())
        );
        assert_eq!(s.socket.listen[2].address.to_string(), "/run/web.seq");
        assert_eq!(s.socket.socket_mode, 0o660);
        assert_eq!(s.socket.directory_mode, 0o700);
        assert_eq!(s.socket.backlog, 12);
        assert!(s.socket.no_delay);
        assert_eq!(s.socket.bind_ipv6_only, BindIpv6Only::Ipv6Only);
        assert_eq!(s.socket.receive_buffer, Some(1 << 20));
        assert_eq!(s.fd_name(), "http");
        assert_eq!(s.triggers.as_str(), "web.service");
        assert_eq!(
            diags,
            [
                "/units/web.socket:13: SocketMode=: failed to parse mode value, ignoring: 999",
                "/units/web.socket:14: ListenStream=: failed to parse address value 'host:80'",
                "/units/web.socket:15: MaxConnections=: invalid number 'x'",
                "/units/web.socket:16: ListenSequentialPacket=: sequential packet sockets are Unix sockets only, ignoring: 127.0.0.1:9",
                "/units/web.socket:17: SmackLabel=: not supported, ignoring",
            ]
        );
    }

    #[test]
    fn accept_yes_triggers_the_template_and_an_empty_listen_resets() {
        let (s, diags) = load(
            "echo.socket",
            "[Socket]\nListenStream=/run/a\nListenStream=\nListenStream=7\nAccept=yes\n",
        );
        let s = s.expect("loads");
        assert!(diags.is_empty(), "{diags:?}");
        assert_eq!(s.socket.listen.len(), 1);
        assert_eq!(s.triggers.as_str(), "echo@.service");
        assert_eq!(s.socket.trigger_burst(), 200);
        assert_eq!(s.socket.per_source_limit(), 64);
        assert_eq!(s.fd_name(), "echo");
    }

    #[test]
    fn sockets_that_cannot_work_are_refused_as_systemd_refuses_them() {
        let refusal = |body: &str| {
            let (s, diags) = load("r.socket", &format!("[Socket]\n{body}\n"));
            assert!(s.is_none(), "{body}");
            diags.last().cloned().unwrap_or_default()
        };
        assert!(refusal("Accept=yes").ends_with("Unit has no Listen setting (ListenStream=, ListenDatagram=, ListenFIFO=, ...). Refusing."));
        assert!(refusal("ListenDatagram=/run/d\nAccept=yes").ends_with(
            "Unit configured for accepting sockets, but sockets are non-accepting. Refusing."
        ));
        assert!(refusal("ListenStream=/run/s\nAccept=yes\nService=x.service")
            .ends_with("Explicit service configuration for accepting socket units not supported. Refusing."));
        // A Listen line of a kind sundial cannot open: loads, as in systemd.
        let (s, diags) = load("n.socket", "[Socket]\nListenMessageQueue=/q\n");
        assert!(s.is_some());
        assert_eq!(
            diags,
            ["/units/n.socket:2: ListenMessageQueue=: not supported, ignoring"]
        );
    }

    #[test]
    fn netlink_lines_name_a_family_and_a_group_mask() {
        let parse = NetlinkAddress::parse;
        assert_eq!(
            parse("route 1361"),
            Ok(NetlinkAddress {
                family: 0,
                groups: 1361
            })
        );
        assert_eq!(
            parse("kobject-uevent 1"),
            Ok(NetlinkAddress {
                family: 15,
                groups: 1
            })
        );
        // A number for a family without a name; no group: none.
        assert_eq!(
            parse("2"),
            Ok(NetlinkAddress {
                family: 2,
                groups: 0
            })
        );
        for bad in ["", "routing 1", "route -1", "route 1 2", "2147483648 0"] {
            assert!(parse(bad).is_err(), "{bad}");
        }
        assert_eq!(parse("audit 1").expect("parses").to_string(), "audit 1");
        assert_eq!(parse("2 5").expect("parses").to_string(), "2 5");
        let (s, diags) = load(
            "n.socket",
            "[Socket]\nListenNetlink=route 1361\nPassPacketInfo=yes\nListenNetlink=bogus\n",
        );
        let s = s.expect("loads");
        assert_eq!(
            s.socket.listen.iter().collect::<Vec<_>>(),
            [&Listen {
                kind: ListenKind::Netlink,
                address: ListenAddress::Netlink(NetlinkAddress {
                    family: 0,
                    groups: 1361
                })
            }]
        );
        assert!(s.socket.pass_packet_info);
        assert_eq!(diags.len(), 1, "{diags:?}");
        assert!(
            diags[0].starts_with("/units/n.socket:4: ListenNetlink=:"),
            "{diags:?}"
        );
    }

    #[test]
    fn addresses_print_back_as_they_parse() {
        for text in ["/run/x.sock", "@abs", "127.0.0.1:80", "[::1]:80"] {
            assert_eq!(parse_address(text).expect("parses").to_string(), text);
        }
    }
}
