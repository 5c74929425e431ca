//! Who sent a request. Behind a reverse proxy the TCP peer is the proxy, and
//! the client's address arrives in `X-Forwarded-For` — a header anyone can
//! write. So the header is read only when the peer is one of the operator's
//! `trusted_proxies`, and then from the right: each proxy appends the address
//! it received the request from, so the rightmost entry that is not itself a
//! trusted proxy is the client. Entries further left came from the client and
//! may say anything. From any other peer the header is ignored.
//!
//! The wrong-token limits ([`crate::http::auth`]) and the server's logs use the
//! address found here.

use std::fmt;
use std::net::{IpAddr, SocketAddr};

use actix_web::http::header;
use actix_web::{HttpRequest, web};
use ipnet::IpNet;

/// The proxies whose `X-Forwarded-For` is believed, as addresses and
/// networks. Empty (the default) believes no one.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrustedProxies(Vec<IpNet>);

impl TrustedProxies {
    /// Trusts `networks` (see [`parse_entry`] for checked ones).
    #[must_use]
    pub fn new(networks: Vec<IpNet>) -> Self {
        Self(networks)
    }

    /// Parses a list of entries; the error names the first bad one.
    pub fn parse<'a>(entries: impl IntoIterator<Item = &'a str>) -> Result<Self, String> {
        entries
            .into_iter()
            .map(parse_entry)
            .collect::<Result<_, _>>()
            .map(Self)
    }

    /// True when no proxy is trusted.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Whether `ip` is one of the trusted proxies.
    #[must_use]
    pub fn contains(&self, ip: IpAddr) -> bool {
        let ip = ip.to_canonical();
        self.0.iter().any(|network| network.contains(&ip))
    }

    /// The client's address, for a request from `peer` carrying the
    /// `X-Forwarded-For` header `lines` (in the order received).
    ///
    /// From an untrusted peer that is the peer. From a trusted one, the
    /// entries are walked right to left past trusted proxies; the first other
    /// address is the client. If every entry is a trusted proxy, the leftmost
    /// is the best known. A malformed entry ends the walk: nothing to its left
    /// can be believed, so the last address walked past stands.
    #[must_use]
    pub fn client_ip(&self, peer: IpAddr, lines: &[&[u8]]) -> IpAddr {
        let mut client = peer.to_canonical();
        if !self.contains(client) {
            return client;
        }
        let entries = lines
            .iter()
            .rev()
            .flat_map(|line| line.rsplit(|&byte| byte == b','))
            // An HTTP list may hold empty elements (RFC 9110, 5.6.1).
            .filter(|entry| !entry.trim_ascii().is_empty());
        for entry in entries {
            let Some(ip) = parse_forwarded(entry) else {
                break;
            };
            client = ip;
            if !self.contains(ip) {
                break;
            }
        }
        client
    }
}

/// Lists the entries as `[127.0.0.1, 10.0.0.0/8]`, single addresses without
/// their prefix length.
impl fmt::Display for TrustedProxies {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[")?;
        for (n, network) in self.0.iter().enumerate() {
            if n > 0 {
                f.write_str(", ")?;
            }
            if network.prefix_len() == network.max_prefix_len() {
                write!(f, "{}", network.addr())?;
            } else {
                write!(f, "{network}")?;
            }
        }
        f.write_str("]")
    }
}

/// One `trusted_proxies` entry: an address (`10.0.0.5`, `::1`) or a network
/// (`10.0.0.0/8`, `fd00::/8`). A network with host bits set (`10.0.0.5/8`) is
/// refused, since it is either a typo or trusts more than meant, and so is a
/// network of every address (`0.0.0.0/0`, `::/0`): trusting everyone lets any
/// client write the address its failures count against.
pub fn parse_entry(text: &str) -> Result<IpNet, String> {
    let text = text.trim();
    if text.contains('/') {
        let network: IpNet = text.parse().map_err(|_| not_an_entry(text))?;
        if network.prefix_len() == 0 {
            return Err(format!(
                "{text:?} trusts every address, so any client could choose the address \
                 X-Forwarded-For names: list your proxies' own addresses or networks instead"
            ));
        }
        if network.trunc() != network {
            return Err(format!(
                "{text:?} has host bits set: write the network, {:?}, or the single address, {:?}",
                network.trunc().to_string(),
                network.addr().to_string()
            ));
        }
        Ok(network)
    } else {
        let ip: IpAddr = text.parse().map_err(|_| not_an_entry(text))?;
        Ok(IpNet::from(ip.to_canonical()))
    }
}

fn not_an_entry(text: &str) -> String {
    format!(
        "{text:?} is not an address or network: write e.g. \"10.0.0.5\", \"10.0.0.0/8\" or \"fd00::/8\""
    )
}

/// One `X-Forwarded-For` entry: an address, perhaps with a port
/// (`192.0.2.1:4711`, `[2001:db8::1]:4711`) or brackets, as some proxies write.
fn parse_forwarded(entry: &[u8]) -> Option<IpAddr> {
    let text = std::str::from_utf8(entry.trim_ascii()).ok()?;
    let ip = text
        .parse::<IpAddr>()
        .ok()
        .or_else(|| text.parse::<SocketAddr>().ok().map(|addr| addr.ip()))
        .or_else(|| {
            text.strip_prefix('[')?
                .strip_suffix(']')?
                .parse::<IpAddr>()
                .ok()
        })?;
    Some(ip.to_canonical())
}

/// Who sent a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Client {
    /// Straight from the TCP peer (or from a trusted proxy that named no one).
    Direct(SocketAddr),
    /// Through a trusted proxy, on behalf of `ip`.
    Forwarded {
        /// The client's address, from `X-Forwarded-For`.
        ip: IpAddr,
        /// The proxy that connected to us.
        proxy: SocketAddr,
    },
}

impl Client {
    /// Resolves the client of `req` with the [`TrustedProxies`] in its app
    /// data (none trusted when absent). `None` when the peer is unknown.
    #[must_use]
    pub fn of(req: &HttpRequest) -> Option<Self> {
        let peer = req.peer_addr()?;
        let Some(trusted) = req
            .app_data::<web::Data<TrustedProxies>>()
            .filter(|trusted| trusted.contains(peer.ip()))
        else {
            return Some(Self::Direct(peer));
        };
        let lines: Vec<&[u8]> = req
            .headers()
            .get_all(header::X_FORWARDED_FOR)
            .map(header::HeaderValue::as_bytes)
            .collect();
        if lines.is_empty() {
            return Some(Self::Direct(peer));
        }
        Some(Self::Forwarded {
            ip: trusted.client_ip(peer.ip(), &lines),
            proxy: peer,
        })
    }

    /// The client's address.
    #[must_use]
    pub fn ip(&self) -> IpAddr {
        match self {
            Self::Direct(peer) => peer.ip().to_canonical(),
            Self::Forwarded { ip, .. } => *ip,
        }
    }
}

/// `192.0.2.1:4711` directly, `192.0.2.1 via 127.0.0.1:4711` through a proxy.
impl fmt::Display for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Direct(peer) => write!(f, "{peer}"),
            Self::Forwarded { ip, proxy } => write!(f, "{ip} via {proxy}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use actix_web::test::TestRequest;

    use super::*;

    fn trusted(entries: &[&str]) -> TrustedProxies {
        TrustedProxies::parse(entries.iter().copied()).unwrap()
    }

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    #[test]
    fn a_spoofed_header_from_an_untrusted_peer_is_ignored() {
        let proxies = trusted(&["10.0.0.1"]);
        let peer = ip("198.51.100.9");
        assert_eq!(proxies.client_ip(peer, &[b"203.0.113.7"]), peer);
        assert_eq!(
            TrustedProxies::default().client_ip(peer, &[b"1.2.3.4"]),
            peer
        );
    }

    #[test]
    fn the_walk_goes_right_to_left_past_trusted_proxies() {
        let proxies = trusted(&["10.0.0.0/8", "192.0.2.1"]);
        let peer = ip("10.0.0.1");
        // The client wrote the first entry; nginx appended the real address.
        let line: &[u8] = b"203.0.113.7, 198.51.100.9";
        assert_eq!(proxies.client_ip(peer, &[line]), ip("198.51.100.9"));
        // Two trusted hops before the client, spread over two header lines.
        let lines: [&[u8]; 2] = [b"6.6.6.6, 198.51.100.9", b"192.0.2.1 ,10.1.2.3"];
        assert_eq!(proxies.client_ip(peer, &lines), ip("198.51.100.9"));
        // Every entry a trusted proxy: the leftmost is the best known.
        assert_eq!(
            proxies.client_ip(peer, &[b"10.9.9.9, 192.0.2.1"]),
            ip("10.9.9.9")
        );
        // No header: the peer itself.
        assert_eq!(proxies.client_ip(peer, &[]), peer);
    }

    #[test]
    fn malformed_entries_end_the_walk() {
        let proxies = trusted(&["10.0.0.0/8"]);
        let peer = ip("10.0.0.1");
        let cases: [(&[u8], &str); 8] = [
            (b"203.0.113.7, garbage", "10.0.0.1"),
            (b"203.0.113.7, garbage, 10.0.0.2", "10.0.0.2"),
            (b"unknown", "10.0.0.1"),
            (b"203.0.113.7:4711", "203.0.113.7"),
            (b"[2001:db8::7]:4711, 10.0.0.2", "2001:db8::7"),
            (b"[2001:db8::7]", "2001:db8::7"),
            (b"203.0.113.7,, ,", "203.0.113.7"),
            (b"\xff\xfe, 10.0.0.2", "10.0.0.2"),
        ];
        for (line, expected) in cases {
            assert_eq!(
                proxies.client_ip(peer, &[line]),
                ip(expected),
                "{}",
                String::from_utf8_lossy(line)
            );
        }
    }

    #[test]
    fn ipv4_mapped_addresses_count_as_ipv4() {
        let proxies = trusted(&["127.0.0.1"]);
        assert!(proxies.contains(ip("::ffff:127.0.0.1")));
        assert_eq!(
            proxies.client_ip(ip("::ffff:127.0.0.1"), &[b"::ffff:192.0.2.7"]),
            ip("192.0.2.7")
        );
        assert!(trusted(&["::ffff:10.0.0.1"]).contains(ip("10.0.0.1")));
    }

    #[test]
    fn bad_entries_are_named() {
        for (entry, says) in [
            ("10.0.0.300", "\"10.0.0.300\" is not an address or network"),
            ("10.0.0.0/33", "\"10.0.0.0/33\" is not an address"),
            ("proxy.example.com", "\"proxy.example.com\" is not"),
            ("10.0.0.5/8", "write the network, \"10.0.0.0/8\""),
            ("0.0.0.0/0", "trusts every address"),
            ("::/0", "trusts every address"),
        ] {
            let error = parse_entry(entry).unwrap_err();
            assert!(error.contains(says), "{entry}: {error}");
        }
        let error = TrustedProxies::parse(["10.0.0.1", " fd00::/8 ", "nope"]).unwrap_err();
        assert!(error.starts_with("\"nope\""), "{error}");
    }

    #[test]
    fn the_list_prints_as_written() {
        assert_eq!(
            trusted(&["127.0.0.1", "10.0.0.0/8", "::1", "fd00::/8"]).to_string(),
            "[127.0.0.1, 10.0.0.0/8, ::1, fd00::/8]"
        );
        assert_eq!(TrustedProxies::default().to_string(), "[]");
    }

    #[test]
    fn a_request_names_its_client() {
        let proxy: SocketAddr = "127.0.0.1:4711".parse().unwrap();
        let request = |trust: &[&str], header: Option<&str>| {
            let mut request = TestRequest::default()
                .peer_addr(proxy)
                .app_data(web::Data::new(trusted(trust)));
            if let Some(value) = header {
                request = request.insert_header((header::X_FORWARDED_FOR, value));
            }
            Client::of(&request.to_http_request()).unwrap()
        };
        let forwarded = request(&["127.0.0.1"], Some("192.0.2.7"));
        assert_eq!(forwarded.ip(), ip("192.0.2.7"));
        assert_eq!(forwarded.to_string(), "192.0.2.7 via 127.0.0.1:4711");
        assert_eq!(request(&[], Some("192.0.2.7")), Client::Direct(proxy));
        assert_eq!(request(&["127.0.0.1"], None), Client::Direct(proxy));
        assert_eq!(request(&["127.0.0.1"], None).to_string(), "127.0.0.1:4711");
    }
}
