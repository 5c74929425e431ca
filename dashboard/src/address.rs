//! What a person may type as a host, turned into the WebSocket URL to dial, or an
//! error that says what is wrong and how to write it.
//!
//! Accepted: `ws://host:port/path`, `wss://…`, and the shorthands `host`,
//! `host:port` (→ `ws://host:port/ws`, default port 9470). `http(s)://` is refused
//! with a pointer to `ws(s)://`, so a pasted browser address gets a clear answer.

use hostpulse_shared::{DEFAULT_PORT, WS_PATH};
use url::Url;

/// A host address that cannot be dialled, with what to type instead.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AddressError {
    /// Nothing was typed.
    #[error("enter a host, e.g. ws://server:9470/ws or server:9470")]
    Empty,
    /// A scheme other than ws or wss.
    #[error("\"{scheme}://\" is not a WebSocket address: use ws:// (or wss:// for TLS)")]
    Scheme {
        /// The scheme that was typed.
        scheme: String,
    },
    /// Not a URL at all.
    #[error("not a valid address ({reason}): write it like ws://server:9470/ws")]
    Invalid {
        /// What the URL parser objected to.
        reason: String,
    },
    /// A URL without a host name.
    #[error("the address has no host name: write it like ws://server:9470/ws")]
    NoHost,
}

/// Parses what was typed into the URL to connect to.
pub fn parse(input: &str) -> Result<Url, AddressError> {
    let input = input.trim();
    if input.is_empty() {
        return Err(AddressError::Empty);
    }
    let with_scheme = if input.contains("://") {
        input.to_owned()
    } else {
        format!("ws://{input}")
    };
    let mut url = Url::parse(&with_scheme).map_err(|error| AddressError::Invalid {
        reason: error.to_string(),
    })?;
    if !matches!(url.scheme(), "ws" | "wss") {
        return Err(AddressError::Scheme {
            scheme: url.scheme().to_owned(),
        });
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(AddressError::NoHost);
    }
    if url.port().is_none() && url.scheme() == "ws" {
        // Only plain ws gets the HostPulse port; wss usually sits behind a proxy on 443.
        let _ = url.set_port(Some(DEFAULT_PORT));
    }
    if url.path().is_empty() || url.path() == "/" {
        url.set_path(WS_PATH);
    }
    Ok(url)
}

/// A URL as a person tells hosts apart: `"127.0.0.1:9471"`, `"db-1:9470"`
/// (the path too when it is not the usual one); the URL itself when it does
/// not parse.
#[must_use]
pub fn short(url: &str) -> String {
    let Ok(parsed) = Url::parse(url) else {
        return url.to_owned();
    };
    let Some(host) = parsed.host_str() else {
        return url.to_owned();
    };
    let mut short = match parsed.port_or_known_default() {
        Some(port) => format!("{host}:{port}"),
        None => host.to_owned(),
    };
    if parsed.path() != WS_PATH {
        short.push_str(parsed.path());
    }
    short
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_names_keep_host_and_port() {
        assert_eq!(short("ws://127.0.0.1:9471/ws"), "127.0.0.1:9471");
        assert_eq!(short("wss://db-1.example.net/ws"), "db-1.example.net:443");
        assert_eq!(short("ws://db-1:9470/stream"), "db-1:9470/stream");
        assert_eq!(short("not a url"), "not a url");
    }

    #[test]
    fn full_urls_are_kept() {
        assert_eq!(
            parse("ws://10.0.0.5:9000/ws").unwrap().as_str(),
            "ws://10.0.0.5:9000/ws"
        );
        assert_eq!(
            parse("wss://metrics.example.com/hostpulse/ws")
                .unwrap()
                .as_str(),
            "wss://metrics.example.com/hostpulse/ws"
        );
    }

    #[test]
    fn shorthands_get_the_default_port_and_path() {
        assert_eq!(parse("db-1").unwrap().as_str(), "ws://db-1:9470/ws");
        assert_eq!(parse(" db-1:9999 ").unwrap().as_str(), "ws://db-1:9999/ws");
        assert_eq!(parse("[::1]").unwrap().as_str(), "ws://[::1]:9470/ws");
    }

    #[test]
    fn bad_input_says_what_to_write() {
        assert_eq!(parse("  "), Err(AddressError::Empty));
        assert!(
            matches!(parse("http://db-1:9470"), Err(AddressError::Scheme { scheme }) if scheme == "http")
        );
        assert!(matches!(
            parse("ws://"),
            Err(AddressError::Invalid { .. } | AddressError::NoHost)
        ));
        assert!(matches!(parse("db 1"), Err(AddressError::Invalid { .. })));
        assert!(matches!(
            parse("ws://db-1:99999/ws"),
            Err(AddressError::Invalid { .. })
        ));
        assert!(parse("http://x").unwrap_err().to_string().contains("ws://"));
    }
}
