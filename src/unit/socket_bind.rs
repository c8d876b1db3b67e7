//! `SocketBindAllow=`/`SocketBindDeny=` and `RestrictNetworkInterfaces=`
//! (systemd.resource-control(5)): which ports a service's sockets may bind,
//! and which network interfaces its packets may cross. Parsed here;
//! `supervisor::bpf` makes cgroup programs of them.

use std::collections::BTreeSet;
use std::fmt;

/// The address family a bind rule is limited to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum BindFamily {
    Ipv4,
    Ipv6,
}

/// The transport protocol a bind rule is limited to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Transport {
    Tcp,
    Udp,
}

impl Transport {
    /// Its IP protocol number (`IPPROTO_TCP`, `IPPROTO_UDP`).
    pub fn number(self) -> u32 {
        match self {
            Transport::Tcp => 6,
            Transport::Udp => 17,
        }
    }
}

/// One bind rule: `[ipv4|ipv6:][tcp|udp:](PORT|FIRST-LAST|any)`; a part left
/// out matches everything.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct SocketBindRule {
    pub family: Option<BindFamily>,
    pub protocol: Option<Transport>,
    /// First and last port, inclusive; `None`: any.
    pub ports: Option<(u16, u16)>,
}

impl fmt::Display for SocketBindRule {
    /// systemd's form: `ipv4:tcp:8000-8080`, `any`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.family {
            Some(BindFamily::Ipv4) => f.write_str("ipv4:")?,
            Some(BindFamily::Ipv6) => f.write_str("ipv6:")?,
            None => {}
        }
        match self.protocol {
            Some(Transport::Tcp) => f.write_str("tcp:")?,
            Some(Transport::Udp) => f.write_str("udp:")?,
            None => {}
        }
        match self.ports {
            None => f.write_str("any"),
            Some((a, b)) if a == b => write!(f, "{a}"),
            Some((a, b)) => write!(f, "{a}-{b}"),
        }
    }
}

/// Why a value of these directives does not parse; each names the value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NetworkRuleError {
    #[error("invalid bind rule '{0}': expected [ipv4:|ipv6:][tcp:|udp:] then a port, a range FIRST-LAST of ports 1-65535, or any")]
    Bind(String),
    #[error("invalid network interface name '{0}'")]
    Interface(String),
}

/// A `SocketBindAllow=`/`SocketBindDeny=` value; empty resets the list
/// (`None`).
pub fn parse_socket_bind(value: &str) -> Result<Option<SocketBindRule>, NetworkRuleError> {
    let value = value.trim();
    if value.is_empty() {
        return Ok(None);
    }
    let bad = || NetworkRuleError::Bind(value.to_owned());
    let mut rest = value;
    let mut rule = SocketBindRule {
        family: None,
        protocol: None,
        ports: None,
    };
    if let Some((head, tail)) = rest.split_once(':') {
        let family = match head {
            "ipv4" => Some(BindFamily::Ipv4),
            "ipv6" => Some(BindFamily::Ipv6),
            _ => None,
        };
        if family.is_some() {
            rule.family = family;
            rest = tail;
        }
    }
    if let Some((head, tail)) = rest.split_once(':') {
        rule.protocol = Some(match head {
            "tcp" => Transport::Tcp,
            "udp" => Transport::Udp,
            _ => return Err(bad()),
        });
        rest = tail;
    }
    if rest != "any" {
        let port = |p: &str| p.parse::<u16>().ok().filter(|p| *p > 0);
        let (first, last) = match rest.split_once('-') {
            Some((a, b)) => (port(a).ok_or_else(bad)?, port(b).ok_or_else(bad)?),
            None => {
                let p = port(rest).ok_or_else(bad)?;
                (p, p)
            }
        };
        if first > last {
            return Err(bad());
        }
        rule.ports = Some((first, last));
    }
    Ok(Some(rule))
}

/// `RestrictNetworkInterfaces=` after all its lines.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct InterfaceList {
    /// Only the listed interfaces (else: all but them).
    pub allow_list: bool,
    pub names: BTreeSet<String>,
}

/// Whether `name` can be a network interface's name (the kernel's rule:
/// 1-15 bytes, no `/`, `:` or white space, not `.` or `..`).
pub fn interface_name_valid(name: &str) -> bool {
    !name.is_empty()
        && name.len() < 16
        && name != "."
        && name != ".."
        && !name
            .chars()
            .any(|c| c == '/' || c == ':' || c.is_whitespace())
}

/// One `RestrictNetworkInterfaces=` line applied to `list`, as systemd 252
/// merges them: empty resets; the first line decides allow (`NAME...`) or
/// deny (`~NAME...`); a later line of the same kind adds its names, one of
/// the other kind takes them out. The names that are not valid are
/// returned as errors (the others still apply).
pub fn apply_interfaces(list: &mut Option<InterfaceList>, value: &str) -> Vec<NetworkRuleError> {
    let value = value.trim();
    if value.is_empty() {
        *list = None;
        return Vec::new();
    }
    let (allow, names) = match value.strip_prefix('~') {
        Some(rest) => (false, rest),
        None => (true, value),
    };
    let l = list.get_or_insert_with(|| InterfaceList {
        allow_list: allow,
        names: BTreeSet::new(),
    });
    if l.names.is_empty() {
        l.allow_list = allow;
    }
    let mut errors = Vec::new();
    for name in names.split_whitespace() {
        if !interface_name_valid(name) {
            errors.push(NetworkRuleError::Interface(name.to_owned()));
        } else if l.allow_list == allow {
            l.names.insert(name.to_owned());
        } else {
            l.names.remove(name);
        }
    }
    errors
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(v: &str) -> String {
        parse_socket_bind(v).unwrap().unwrap().to_string()
    }

    #[test]
    fn bind_rules_parse_and_print_back() {
        for v in [
            "any",
            "8080",
            "ipv4:8000-8080",
            "ipv6:udp:53",
            "tcp:any",
            "ipv4:tcp:1-1023",
        ] {
            assert_eq!(rule(v), v);
        }
        assert_eq!(rule("ipv4:any"), "ipv4:any");
        assert_eq!(rule("100-100"), "100");
        assert_eq!(parse_socket_bind("").unwrap(), None);
    }

    #[test]
    fn bad_bind_rules_are_named() {
        for v in [
            "0",
            "65536",
            "10-5",
            "sctp:80",
            "ipv5:80",
            "x",
            "tcp:",
            "ipv4:tcp:udp:1",
        ] {
            let e = parse_socket_bind(v).unwrap_err().to_string();
            assert!(e.contains(&format!("'{v}'")), "{v}: {e}");
        }
    }

    #[test]
    fn interface_lines_merge_as_systemd_merges_them() {
        let mut l = None;
        assert!(apply_interfaces(&mut l, "lo eth0").is_empty());
        assert!(apply_interfaces(&mut l, "~eth0").is_empty());
        let got = l.clone().unwrap();
        assert!(got.allow_list);
        assert_eq!(got.names.into_iter().collect::<Vec<_>>(), ["lo"]);
        // A deny list first.
        let mut d = None;
        apply_interfaces(&mut d, "~wlan0");
        apply_interfaces(&mut d, "~eth1");
        let got = d.clone().unwrap();
        assert!(!got.allow_list);
        assert_eq!(got.names.len(), 2);
        apply_interfaces(&mut d, "");
        assert_eq!(d, None);
        let e = apply_interfaces(&mut l, "a/b lo2 thisnameistoolong0");
        assert_eq!(e.len(), 2);
        assert_eq!(e[0].to_string(), "invalid network interface name 'a/b'");
        assert!(l.unwrap().names.contains("lo2"));
    }
}
