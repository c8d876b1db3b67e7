//! `IPAddressAllow=` and `IPAddressDeny=` (systemd.resource-control(5)):
//! lists of address prefixes, IPv4 and IPv6, with the symbolic names
//! `any`, `localhost`, `link-local` and `multicast`. Parsed here;
//! `supervisor::bpf` turns them into LPM-trie maps looked up by a cgroup
//! program.

use std::fmt;
use std::net::IpAddr;

/// One prefix: an address with its first `len` bits significant (the rest
/// zeroed when parsed).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct IpPrefix {
    pub addr: IpAddr,
    pub len: u8,
}

impl IpPrefix {
    /// The address's bytes: 4 for IPv4, 16 for IPv6.
    pub fn bytes(&self) -> Vec<u8> {
        match self.addr {
            IpAddr::V4(a) => a.octets().to_vec(),
            IpAddr::V6(a) => a.octets().to_vec(),
        }
    }

    /// Whether this prefix is all the addresses of its family.
    pub fn is_any(&self) -> bool {
        self.len == 0
    }

    /// Whether every address of the prefix is a loopback address.
    pub fn is_localhost(&self) -> bool {
        match self.addr {
            IpAddr::V4(a) => a.octets()[0] == 127 && self.len >= 8,
            IpAddr::V6(a) => a.is_loopback() && self.len == 128,
        }
    }
}

impl fmt::Display for IpPrefix {
    /// systemd's form: `10.0.0.0/8`, `::1/128`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.addr, self.len)
    }
}

/// Why a word of an `IPAddressAllow=`/`IPAddressDeny=` value is not a
/// prefix.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IpPrefixError {
    #[error("invalid address prefix '{0}': expected an IPv4 or IPv6 address with an optional /LENGTH, or any, localhost, link-local, multicast")]
    Address(String),
    #[error("invalid prefix length in '{word}': at most {max} for this address family")]
    Length { word: String, max: u8 },
}

/// The prefixes a symbolic name stands for (systemd 252,
/// config_parse_in_addr_prefixes).
fn symbolic(word: &str) -> Option<&'static [(&'static str, u8)]> {
    Some(match word {
        "any" => &[("0.0.0.0", 0), ("::", 0)],
        "localhost" => &[("127.0.0.0", 8), ("::1", 128)],
        "link-local" => &[("169.254.0.0", 16), ("fe80::", 64)],
        "multicast" => &[("224.0.0.0", 4), ("ff00::", 8)],
        _ => return None,
    })
}

/// One word: a symbolic name or `ADDRESS[/LENGTH]` (a full-length prefix
/// without a length).
pub fn parse_prefix_word(word: &str) -> Result<Vec<IpPrefix>, IpPrefixError> {
    if let Some(list) = symbolic(word) {
        return Ok(list
            .iter()
            .map(|(a, len)| {
                normalized(
                    a.parse()
                        .expect("the symbolic prefixes are valid addresses"),
                    *len,
                )
            })
            .collect());
    }
    let (addr, len) = match word.split_once('/') {
        Some((a, l)) => (a, Some(l)),
        None => (word, None),
    };
    let addr: IpAddr = addr
        .parse()
        .map_err(|_| IpPrefixError::Address(word.to_owned()))?;
    let max = if addr.is_ipv4() { 32 } else { 128 };
    let len = match len {
        None => max,
        Some(l) => l
            .parse::<u8>()
            .ok()
            .filter(|l| *l <= max)
            .ok_or(IpPrefixError::Length {
                word: word.to_owned(),
                max,
            })?,
    };
    Ok(vec![normalized(addr, len)])
}

/// The words of a value, each parsed: the prefixes of those that parse,
/// and the errors of the others (systemd warns about a bad word and keeps
/// the rest). An empty value is no words (the caller resets its list).
pub fn parse_prefixes(value: &str) -> (Vec<IpPrefix>, Vec<IpPrefixError>) {
    let mut prefixes = Vec::new();
    let mut errors = Vec::new();
    for word in value.split_whitespace() {
        match parse_prefix_word(word) {
            Ok(p) => prefixes.extend(p),
            Err(e) => errors.push(e),
        }
    }
    (prefixes, errors)
}

/// The address with the bits past `len` cleared.
fn normalized(addr: IpAddr, len: u8) -> IpPrefix {
    let mask = |bytes: &mut [u8]| {
        for (i, b) in bytes.iter_mut().enumerate() {
            let keep = usize::from(len).saturating_sub(i * 8).min(8);
            *b &= if keep == 0 { 0 } else { 0xffu8 << (8 - keep) };
        }
    };
    let addr = match addr {
        IpAddr::V4(a) => {
            let mut o = a.octets();
            mask(&mut o);
            IpAddr::from(o)
        }
        IpAddr::V6(a) => {
            let mut o = a.octets();
            mask(&mut o);
            IpAddr::from(o)
        }
    };
    IpPrefix { addr, len }
}

/// Whether `prefixes` hold every IPv4 and every IPv6 address
/// (`IPAddressDeny=any`).
pub fn covers_everything(prefixes: &[IpPrefix]) -> bool {
    let any = |v4: bool| {
        prefixes
            .iter()
            .any(|p| p.is_any() && p.addr.is_ipv4() == v4)
    };
    any(true) && any(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(value: &str) -> Vec<String> {
        let (p, e) = parse_prefixes(value);
        assert!(e.is_empty(), "{e:?}");
        p.iter().map(ToString::to_string).collect()
    }

    #[test]
    fn symbolic_names_stand_for_both_families() {
        assert_eq!(words("any"), ["0.0.0.0/0", "::/0"]);
        assert_eq!(words("localhost"), ["127.0.0.0/8", "::1/128"]);
        assert_eq!(words("link-local"), ["169.254.0.0/16", "fe80::/64"]);
        assert_eq!(words("multicast"), ["224.0.0.0/4", "ff00::/8"]);
    }

    #[test]
    fn addresses_and_prefixes_parse_and_are_normalized() {
        assert_eq!(words("127.0.0.1"), ["127.0.0.1/32"]);
        assert_eq!(
            words("10.1.2.3/8 192.168.7.9/20"),
            ["10.0.0.0/8", "192.168.0.0/20"]
        );
        assert_eq!(words("2001:db8::1/32 ::1"), ["2001:db8::/32", "::1/128"]);
        assert_eq!(words("10.255.255.255/9"), ["10.128.0.0/9"]);
        assert_eq!(words("0.0.0.0/0"), ["0.0.0.0/0"]);
        assert!(words("").is_empty());
    }

    #[test]
    fn a_bad_word_is_named_and_the_others_kept() {
        let (p, e) = parse_prefixes("10.0.0.0/8 nowhere 10.0.0.0/33 ::/129 1.2.3.4/x");
        assert_eq!(p.len(), 1);
        let text: Vec<String> = e.iter().map(ToString::to_string).collect();
        assert!(text[0].contains("'nowhere'"), "{text:?}");
        assert_eq!(
            text[1],
            "invalid prefix length in '10.0.0.0/33': at most 32 for this address family"
        );
        assert!(text[2].contains("at most 128"), "{text:?}");
        assert!(text[3].contains("'1.2.3.4/x'"), "{text:?}");
    }

    #[test]
    fn any_and_localhost_are_told() {
        let (p, _) = parse_prefixes("any");
        assert!(covers_everything(&p));
        let (p, _) = parse_prefixes("0.0.0.0/0");
        assert!(!covers_everything(&p));
        let (p, _) = parse_prefixes("localhost 127.0.0.1");
        assert!(p.iter().all(IpPrefix::is_localhost));
        let (p, _) = parse_prefixes("10.0.0.1 ::2");
        assert!(!p.iter().any(IpPrefix::is_localhost));
    }
}
