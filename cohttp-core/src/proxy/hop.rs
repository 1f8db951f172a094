//! Hop-by-hop fields and `Via` (RFC 9110 §7.6.1, §7.6.3): what a proxy removes from a
//! message before it forwards it, and the `Via` entry it adds.
//!
//! This file edits header maps; it sends nothing.
//!
//! ```
//! use cohttp_core::proxy::{add_via, remove_hop_by_hop};
//! use http::{HeaderMap, Version};
//!
//! let mut h = HeaderMap::new();
//! h.insert("connection", "close, x-trace".parse().unwrap());
//! h.insert("x-trace", "1".parse().unwrap());
//! h.insert("keep-alive", "timeout=5".parse().unwrap());
//! h.insert("accept", "*/*".parse().unwrap());
//! remove_hop_by_hop(&mut h);
//! add_via(&mut h, Version::HTTP_11, "edge");
//! assert_eq!(h.len(), 2);
//! assert_eq!(h["via"], "1.1 edge");
//! ```

use http::header::{
    HeaderName, HeaderValue, CONNECTION, TE, TRAILER, TRANSFER_ENCODING, UPGRADE, VIA,
};
use http::{HeaderMap, Version};

/// The fields that are hop-by-hop whatever `Connection` says: those RFC 9110 §7.6.1
/// names, and the legacy `Keep-Alive`, `Proxy-Connection`, `Proxy-Authenticate` and
/// `Proxy-Authorization` (meant for this proxy, not the next hop).
pub const HOP_BY_HOP: [&str; 8] = [
    "connection",
    "keep-alive",
    "proxy-connection",
    "proxy-authenticate",
    "proxy-authorization",
    "te",
    "trailer",
    "transfer-encoding",
];

/// Removes the hop-by-hop fields from `headers`: every field named by a `Connection`
/// field (tokens matched case-insensitively, in comma lists, across every `Connection`
/// line), then [`HOP_BY_HOP`] and `Upgrade`.
pub fn remove_hop_by_hop(headers: &mut HeaderMap) {
    let named: Vec<HeaderName> = headers
        .get_all(CONNECTION)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|token| HeaderName::from_bytes(token.trim().as_bytes()).ok())
        .collect();
    for name in named {
        headers.remove(name);
    }
    for name in HOP_BY_HOP {
        headers.remove(name);
    }
    for name in [CONNECTION, TE, TRAILER, TRANSFER_ENCODING, UPGRADE] {
        headers.remove(name);
    }
}

/// Appends this hop to `Via`: `1.1 <pseudonym>` for a message received as HTTP/1.1
/// (`1.0 ...` for HTTP/1.0), after any existing entries.
pub fn add_via(headers: &mut HeaderMap, received: Version, pseudonym: &str) {
    let protocol = if received == Version::HTTP_10 {
        "1.0"
    } else {
        "1.1"
    };
    if let Ok(v) = HeaderValue::try_from(format!("{protocol} {pseudonym}")) {
        headers.append(VIA, v);
    }
}

/// Whether a `Via` field already names `pseudonym` as a hop: the message went through
/// this proxy before, a loop.
pub fn via_names(headers: &HeaderMap, pseudonym: &str) -> bool {
    headers
        .get_all(VIA)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|entry| {
            let mut words = entry.split_whitespace();
            let _protocol = words.next();
            words.next() == Some(pseudonym)
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_named_in_connection_go_whatever_their_case() {
        let mut h = HeaderMap::new();
        h.append("connection", "X-One ,keep-alive".parse().unwrap());
        h.append("connection", "x-two".parse().unwrap());
        h.insert("x-one", "1".parse().unwrap());
        h.insert("x-two", "2".parse().unwrap());
        h.insert("x-three", "3".parse().unwrap());
        h.insert("te", "trailers".parse().unwrap());
        h.insert("upgrade", "websocket".parse().unwrap());
        h.insert("proxy-authorization", "Basic eDp5".parse().unwrap());
        h.insert("transfer-encoding", "chunked".parse().unwrap());
        remove_hop_by_hop(&mut h);
        let left: Vec<_> = h.keys().map(|k| k.as_str()).collect();
        assert_eq!(left, ["x-three"]);
    }

    #[test]
    fn via_is_appended_and_recognised() {
        let mut h = HeaderMap::new();
        h.insert(
            "via",
            "1.0 fred, 1.1 p.example (Apache/1.1)".parse().unwrap(),
        );
        assert!(!via_names(&h, "me"));
        assert!(via_names(&h, "p.example"));
        add_via(&mut h, Version::HTTP_10, "me");
        assert!(via_names(&h, "me"));
        let all: Vec<_> = h.get_all("via").iter().collect();
        assert_eq!(all[1], "1.0 me");
    }
}
