//! [`NoProxy`]: the hosts a proxy is bypassed for, in curl's `no_proxy` syntax.
//!
//! This file only decides whether a host (and port) is exempt from proxying; choosing a
//! proxy is [`ProxyConfig`](super::ProxyConfig)'s job and routing requests is
//! [`Proxy`](super::Proxy)'s.
//!
//! The syntax follows curl's `NO_PROXY` / `--noproxy`:
//!
//! - `*` as the whole value exempts every host;
//! - otherwise a comma-separated list; blanks around entries and empty entries are ignored;
//! - an IP literal (`127.0.0.1`, `::1`, `[::1]`) matches that address, written in any
//!   equivalent form (`0:0::1` is `::1`); a CIDR block (`10.0.0.0/8`, `fe80::/10`) matches
//!   the addresses inside it. IP entries only ever match IP hosts, and names only names;
//! - a name matches itself and its subdomains at a label boundary, case-insensitively:
//!   `example.com` exempts `example.com` and `www.example.com`, not `nonexample.com`. One
//!   leading dot and any trailing dots of the entry are ignored (`.example.com.` is
//!   `example.com`), as are trailing dots of the host.
//!
//! Ports: curl matches host names only, so an entry without a port exempts the host on
//! every port. An entry may carry a port (`example.com:8080`, `10.0.0.1:8080`,
//! `[::1]:8080`); it then exempts that host on that port only, as most other clients
//! read such entries (curl itself never matches them). An entry whose port or prefix
//! length does not parse matches nothing, rather than something unintended.
//!
//! ```
//! use cohttp_core::client::NoProxy;
//!
//! let np = NoProxy::parse("localhost, .example.com, 10.0.0.0/8, internal:8080");
//! assert!(np.matches("www.EXAMPLE.com", 443));
//! assert!(!np.matches("nonexample.com", 443));
//! assert!(np.matches("10.1.2.3", 80));
//! assert!(np.matches("internal", 8080));
//! assert!(!np.matches("internal", 80));
//! assert!(NoProxy::parse("*").matches("anything", 1));
//! ```

use std::fmt;
use std::net::IpAddr;

/// A parsed `no_proxy` list. See the module docs for the syntax.
///
/// Cloning copies the list. The default is the empty list, which exempts nothing.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct NoProxy {
    /// `*`: every host is exempt.
    all: bool,
    entries: Vec<Entry>,
}

/// One entry of the list.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Entry {
    /// A host name (lower case, no leading or trailing dot).
    Name { name: String, port: Option<u16> },
    /// An address block: `prefix` leading bits of `addr` (the full length for a literal).
    Ip {
        addr: IpAddr,
        prefix: u8,
        port: Option<u16>,
    },
    /// An entry that can match nothing (a bad port or prefix length), kept for `Debug`.
    Invalid(String),
}

impl NoProxy {
    /// The empty list: no host is exempt.
    pub fn none() -> NoProxy {
        NoProxy::default()
    }

    /// The list that exempts every host (`*`).
    pub fn all() -> NoProxy {
        NoProxy {
            all: true,
            entries: Vec::new(),
        }
    }

    /// Parses a `no_proxy` value. Never fails: an entry that cannot be understood
    /// matches nothing.
    pub fn parse(value: &str) -> NoProxy {
        let value = value.trim();
        if value == "*" {
            return NoProxy::all();
        }
        let entries = value
            .split(',')
            .map(str::trim)
            .filter(|e| !e.is_empty())
            .map(Entry::parse)
            .collect();
        NoProxy {
            all: false,
            entries,
        }
    }

    /// Whether this list exempts nothing.
    pub fn is_empty(&self) -> bool {
        !self.all && self.entries.is_empty()
    }

    /// Whether `host` on `port` is exempt from proxying.
    ///
    /// `host` is a URI host: a name, an IPv4 literal, or an IPv6 literal with or
    /// without brackets. An empty host is never exempt (except by `*`).
    pub fn matches(&self, host: &str, port: u16) -> bool {
        if self.all {
            return true;
        }
        if host.is_empty() || self.entries.is_empty() {
            return false;
        }
        match parse_ip(host) {
            Some(ip) => self.entries.iter().any(|e| e.matches_ip(ip, port)),
            None => {
                let name = host.trim_end_matches('.');
                if name.is_empty() {
                    return false;
                }
                self.entries.iter().any(|e| e.matches_name(name, port))
            }
        }
    }
}

impl fmt::Debug for NoProxy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.all {
            return f.write_str("NoProxy(*)");
        }
        f.debug_tuple("NoProxy").field(&self.entries).finish()
    }
}

impl Entry {
    fn parse(entry: &str) -> Entry {
        let invalid = || Entry::Invalid(entry.to_string());
        // `[v6]` or `[v6]:port` or `[v6]/bits`.
        if let Some(rest) = entry.strip_prefix('[') {
            let Some((inside, after)) = rest.split_once(']') else {
                return invalid();
            };
            // The block length may be inside or after the brackets: `[fe80::/10]`, `[fe80::]/10`.
            let (ip_text, mut bits) = match inside.split_once('/') {
                Some((ip, bits)) => (ip, Some(bits)),
                None => (inside, None),
            };
            let mut port = None;
            if let Some(b) = after.strip_prefix('/') {
                if bits.is_some() {
                    return invalid();
                }
                bits = Some(b);
            } else if let Some(p) = after.strip_prefix(':') {
                match parse_port(p) {
                    Some(p) => port = Some(p),
                    None => return invalid(),
                }
            } else if !after.is_empty() {
                return invalid();
            }
            return match ip_text.parse::<IpAddr>() {
                Ok(addr) => Entry::ip(addr, bits, port).unwrap_or_else(invalid),
                Err(_) => invalid(),
            };
        }
        // An address or block without brackets: `1.2.3.4`, `::1`, `10.0.0.0/8`, `fe80::/10`.
        let (ip_text, bits) = match entry.split_once('/') {
            Some((ip, bits)) => (ip, Some(bits)),
            None => (entry, None),
        };
        if let Ok(addr) = ip_text.parse::<IpAddr>() {
            return Entry::ip(addr, bits, None).unwrap_or_else(invalid);
        }
        if bits.is_some() {
            // `1.2.3.4:80/8` and the like: a port does not go with a block.
            return invalid();
        }
        // `1.2.3.4:port` or `name:port` (a name has no colon, so at most one here).
        let (host, port) = match entry.rsplit_once(':') {
            Some((host, port)) => match parse_port(port) {
                Some(p) => (host, Some(p)),
                None => return invalid(),
            },
            None => (entry, None),
        };
        if host.contains(':') {
            return invalid();
        }
        if let Ok(addr) = host.parse::<IpAddr>() {
            return Entry::ip(addr, None, port).unwrap_or_else(invalid);
        }
        let name = host.strip_prefix('.').unwrap_or(host).trim_end_matches('.');
        if name.is_empty() {
            return invalid();
        }
        Entry::Name {
            name: name.to_ascii_lowercase(),
            port,
        }
    }

    /// An address entry; `None` when the prefix length is not a number within the
    /// address's width.
    fn ip(addr: IpAddr, bits: Option<&str>, port: Option<u16>) -> Option<Entry> {
        let width = match addr {
            IpAddr::V4(_) => 32,
            IpAddr::V6(_) => 128,
        };
        let prefix = match bits {
            None => width,
            Some(b) if !b.is_empty() && b.bytes().all(|c| c.is_ascii_digit()) => {
                let n: u8 = b.parse().ok()?;
                if n > width {
                    return None;
                }
                n
            }
            Some(_) => return None,
        };
        Some(Entry::Ip { addr, prefix, port })
    }

    fn matches_ip(&self, host: IpAddr, host_port: u16) -> bool {
        match self {
            Entry::Ip { addr, prefix, port } => {
                port_fits(*port, host_port) && in_block(host, *addr, *prefix)
            }
            _ => false,
        }
    }

    /// `host` has no trailing dot and is not empty.
    fn matches_name(&self, host: &str, host_port: u16) -> bool {
        let Entry::Name { name, port } = self else {
            return false;
        };
        if !port_fits(*port, host_port) {
            return false;
        }
        if host.len() == name.len() {
            return host.eq_ignore_ascii_case(name);
        }
        if host.len() > name.len() {
            let split = host.len() - name.len();
            // Byte-wise: `name` is ASCII-lowered, so a match means the tail is ASCII too.
            let (head, tail) = host.as_bytes().split_at(split);
            return head.last() == Some(&b'.') && tail.eq_ignore_ascii_case(name.as_bytes());
        }
        false
    }
}

fn port_fits(entry: Option<u16>, port: u16) -> bool {
    entry.map_or(true, |p| p == port)
}

fn parse_port(s: &str) -> Option<u16> {
    if s.is_empty() || !s.bytes().all(|c| c.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

/// A URI host as an address, brackets allowed around IPv6.
fn parse_ip(host: &str) -> Option<IpAddr> {
    let bare = match host.strip_prefix('[') {
        Some(rest) => rest.strip_suffix(']')?,
        None => host,
    };
    bare.parse().ok()
}

/// Whether `host` is inside `prefix` bits of `net` (same family only).
fn in_block(host: IpAddr, net: IpAddr, prefix: u8) -> bool {
    match (host, net) {
        (IpAddr::V4(h), IpAddr::V4(n)) => {
            let mask = u32::MAX.checked_shl(32 - u32::from(prefix)).unwrap_or(0);
            (u32::from(h) ^ u32::from(n)) & mask == 0
        }
        (IpAddr::V6(h), IpAddr::V6(n)) => {
            let mask = u128::MAX.checked_shl(128 - u32::from(prefix)).unwrap_or(0);
            (u128::from(h) ^ u128::from(n)) & mask == 0
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(list: &str, host: &str) -> bool {
        NoProxy::parse(list).matches(host, 80)
    }

    #[test]
    fn star_alone_exempts_everything() {
        assert!(m("*", "example.com"));
        assert!(m(" * ", "10.0.0.1"));
        assert!(m("*", "[::1]"));
        assert!(NoProxy::all().matches("x", 1));
    }

    #[test]
    fn star_inside_a_list_is_only_a_name() {
        assert!(!m("foo,*", "example.com"));
        assert!(!m("*.example.com", "www.example.com"));
    }

    #[test]
    fn empty_list_exempts_nothing() {
        assert!(NoProxy::none().is_empty());
        assert!(NoProxy::parse("").is_empty());
        assert!(NoProxy::parse(" , ,, ").is_empty());
        assert!(!m("", "example.com"));
        assert!(!m(",,", "example.com"));
    }

    #[test]
    fn empty_host_is_never_exempt_except_by_star() {
        assert!(!m("example.com", ""));
        assert!(m("*", ""));
    }

    #[test]
    fn name_matches_itself_and_subdomains_at_a_label_boundary() {
        assert!(m("example.com", "example.com"));
        assert!(m("example.com", "www.example.com"));
        assert!(m("example.com", "a.b.example.com"));
        assert!(!m("example.com", "nonexample.com"));
        assert!(!m("example.com", "example.com.evil"));
        assert!(!m("www.example.com", "example.com"));
        assert!(!m("www2.example.com, .example.net", "www.example.com"));
    }

    #[test]
    fn leading_dot_and_trailing_dots_are_ignored() {
        assert!(m(".example.com", "example.com"));
        assert!(m(".example.com", "www.example.com"));
        assert!(!m(".example.com", "nonexample.com"));
        assert!(m("example.com.", "www.example.com"));
        assert!(m(".example.com..", "www.example.com"));
        assert!(m("example.com", "www.example.com."));
        assert!(m("example.com", "example.com."));
        assert!(m("www.example.com.", "www.example.com"));
    }

    #[test]
    fn only_one_leading_dot_is_ignored() {
        assert!(!m("..example.com", "www.example.com"));
    }

    #[test]
    fn names_compare_case_insensitively() {
        assert!(m("foo, bar, ::1/64", "BAr"));
        assert!(m("Example.COM", "www.example.com"));
        assert!(m("example.com", "WWW.EXAMPLE.COM"));
    }

    #[test]
    fn list_is_comma_separated_and_trimmed() {
        assert!(m("foo,,,,,              bar, ::1/64", "bar"));
        assert!(m("localhost,127.0.0.1", "localhost"));
        assert!(m("127.0.0.1,localhost", "localhost"));
        assert!(m("\tlocalhost\t,x", "localhost"));
        assert!(m("127.0.0.1,localhost,", "127.0.0.1"));
        assert!(!m("barfoo", "foobar"));
    }

    #[test]
    fn ipv4_literal_matches_that_address_only() {
        assert!(m("127.0.0.1", "127.0.0.1"));
        assert!(!m("192.168.0.0", "192.168.0.1"));
        assert!(!m("foobar", "192.168.0.1"));
    }

    #[test]
    fn ipv4_cidr_blocks() {
        assert!(m("127.0.0.1/8", "127.0.0.1"));
        assert!(m("10.0.0.0/8", "10.200.3.4"));
        assert!(!m("10.0.0.0/8", "11.0.0.1"));
        assert!(m("192.168.0.0/16", "192.168.0.1"));
        assert!(m("192.168.0.0/24", "192.168.0.1"));
        assert!(!m("192.168.0.0/32", "192.168.0.1"));
        assert!(!m("192.168.0.0/24", "192.168.1.1"));
        assert!(!m("foo, bar, 192.168.0.0/24", "192.168.1.1"));
        assert!(m("foo, bar, 192.168.0.0/16", "192.168.1.1"));
        assert!(m("0.0.0.0/0", "8.8.8.8"));
    }

    #[test]
    fn bad_prefix_lengths_match_nothing() {
        assert!(!m("192.160.0.1/33", "192.160.0.1"));
        assert!(!m("192.160.0.1/", "192.160.0.1"));
        assert!(!m("192.160.0.1/x", "192.160.0.1"));
        assert!(!m("::1/129", "[::1]"));
        assert!(!m("10.0.0.0/-1", "10.0.0.1"));
    }

    #[test]
    fn ipv6_literals_match_equivalent_forms() {
        assert!(m("::1", "[::1]"));
        assert!(m("::1", "::1"));
        assert!(m("0:0::1", "[::1]"));
        assert!(m("0:0:0:0:0:0:7f00:1", "[::7f00:1]"));
        assert!(m("[::1]", "[0:0:0:0:0:0:0:1]"));
        assert!(!m("::2", "[::1]"));
    }

    #[test]
    fn ipv6_cidr_blocks() {
        assert!(m("foo, bar, ::1/64", "[::1]"));
        assert!(m("fe80::/10", "[fe80::ab47:4396:55c9:8474]"));
        assert!(m(
            "fe80::ab47:4396:55c9:8474/64",
            "[fe80::ab47:4396:55c9:8474]"
        ));
        assert!(!m("fe80::/10", "[2001:db8::1]"));
        assert!(m("[2001:db8::]/32", "[2001:db8:1::5]"));
        assert!(!m("foo, bar, 192.168.0.0/16", "[::1]"));
    }

    #[test]
    fn address_entries_do_not_match_names_and_back() {
        assert!(!m("127.0.0.1", "localhost"));
        assert!(!m("localhost", "127.0.0.1"));
        assert!(!m("0.0.0.0/0", "example.com"));
        assert!(!m("::/0", "127.0.0.1"));
        assert!(!m("0.0.0.0/0", "[::1]"));
    }

    #[test]
    fn entries_with_a_port_match_that_port_only() {
        let np = NoProxy::parse("internal:8080, 10.0.0.1:9000, [::1]:7000, .corp.example:443");
        assert!(np.matches("internal", 8080));
        assert!(!np.matches("internal", 80));
        assert!(np.matches("10.0.0.1", 9000));
        assert!(!np.matches("10.0.0.1", 9001));
        assert!(np.matches("[::1]", 7000));
        assert!(!np.matches("[::1]", 80));
        assert!(np.matches("www.corp.example", 443));
        assert!(!np.matches("www.corp.example", 80));
    }

    #[test]
    fn entries_without_a_port_match_every_port() {
        let np = NoProxy::parse("local.com, 127.0.0.1");
        for port in [80, 443, 8080, 1] {
            assert!(np.matches("local.com", port));
            assert!(np.matches("www.local.com", port));
            assert!(np.matches("127.0.0.1", port));
        }
    }

    #[test]
    fn entries_with_bad_ports_match_nothing() {
        assert!(!m("example.com:", "example.com"));
        assert!(!m("example.com:http", "example.com"));
        assert!(!m("example.com:70000", "example.com"));
        assert!(!m("[::1]x", "[::1]"));
        assert!(!m("[::1", "[::1]"));
        assert!(!m("10.0.0.1:80/8", "10.0.0.1"));
    }

    #[test]
    fn oversized_garbage_entries_match_nothing() {
        let long = "127.0.0.1.".repeat(20);
        assert!(!m(&format!("localhost,{long}"), "127.0.0.1"));
        assert!(!m(".", "example.com"));
        assert!(!m("...", "example.com"));
    }

    #[test]
    fn non_ascii_hosts_do_not_panic() {
        assert!(!m("é.com", "xé.com"));
        assert!(m("é.com", "x.é.com"));
        assert!(!m("example.com", "ééééééééééééé"));
    }
}
