//! Opening one viewer's WebSocket the way a real viewer does: the codec offered
//! as a subprotocol, the token as a bearer header, and the whole handshake
//! bounded in time so a server that stops answering fails the connection
//! instead of hanging the run.

use std::net::{SocketAddr, ToSocketAddrs};
use std::time::Duration;

use hostpulse_shared::{Codec, Secret};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::{HeaderValue, Uri, header};
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

/// One viewer's connection.
pub type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// A stream URL that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum UrlError {
    /// Not a URL at all.
    #[error("`{url}` is not a URL: {reason}")]
    Malformed {
        /// What was given.
        url: String,
        /// What is wrong with it.
        reason: String,
    },
    /// Only plain `ws://` is spoken.
    #[error(
        "`{0}`: only ws:// URLs are supported; benchmark a TLS server through a plain \
         listener on loopback"
    )]
    Scheme(String),
    /// The host did not resolve.
    #[error("cannot resolve the host of `{0}`")]
    Resolve(String),
}

/// Where and how every viewer connects.
#[derive(Debug, Clone)]
pub struct Target {
    /// The stream URL, e.g. `ws://127.0.0.1:9470/ws?history_secs=0`.
    pub url: String,
    /// The server's address (for `/metrics` and raw handshakes).
    pub addr: SocketAddr,
    /// `host[:port]` as the `Host` header gives it.
    pub authority: String,
    /// The path and query of the stream URL.
    pub path_and_query: String,
    /// The encoding asked for.
    pub codec: Codec,
    /// The bearer token, if the server wants one.
    pub token: Option<Secret>,
    /// The most a TCP connect plus WebSocket handshake may take.
    pub timeout: Duration,
}

impl Target {
    /// Checks `url` and resolves its address.
    pub fn new(
        url: &str,
        codec: Codec,
        token: Option<Secret>,
        timeout: Duration,
    ) -> Result<Self, UrlError> {
        let uri: Uri =
            url.parse().map_err(
                |error: <Uri as std::str::FromStr>::Err| UrlError::Malformed {
                    url: url.to_owned(),
                    reason: error.to_string(),
                },
            )?;
        if uri.scheme_str() != Some("ws") {
            return Err(UrlError::Scheme(url.to_owned()));
        }
        let host = uri.host().ok_or_else(|| UrlError::Malformed {
            url: url.to_owned(),
            reason: "no host".into(),
        })?;
        let host = host.trim_start_matches('[').trim_end_matches(']');
        let port = uri.port_u16().unwrap_or(80);
        let addr = (host, port)
            .to_socket_addrs()
            .ok()
            .and_then(|mut addrs| addrs.next())
            .ok_or_else(|| UrlError::Resolve(url.to_owned()))?;
        Ok(Self {
            url: url.to_owned(),
            addr,
            authority: uri
                .authority()
                .map_or_else(|| addr.to_string(), ToString::to_string),
            path_and_query: uri
                .path_and_query()
                .map_or_else(|| "/".to_owned(), ToString::to_string),
            codec,
            token,
            timeout,
        })
    }

    /// Opens one viewer's connection; the error is a sentence for the report.
    pub async fn connect(&self) -> Result<Socket, String> {
        let mut request = self
            .url
            .as_str()
            .into_client_request()
            .map_err(|error| error.to_string())?;
        let headers = request.headers_mut();
        headers.insert(
            header::SEC_WEBSOCKET_PROTOCOL,
            HeaderValue::from_static(self.codec.subprotocol()),
        );
        if let Some(token) = &self.token {
            let value = HeaderValue::from_str(&format!("Bearer {}", token.expose()))
                .map_err(|_| "the token holds characters a header cannot carry".to_owned())?;
            headers.insert(header::AUTHORIZATION, value);
        }
        match tokio::time::timeout(self.timeout, tokio_tungstenite::connect_async(request)).await {
            Ok(Ok((socket, _response))) => Ok(socket),
            Ok(Err(error)) => Err(describe(&error)),
            Err(_) => Err(format!(
                "no handshake within {} s",
                self.timeout.as_secs_f64()
            )),
        }
    }
}

/// A connection error in words, with the HTTP status when the server refused.
fn describe(error: &tokio_tungstenite::tungstenite::Error) -> String {
    use tokio_tungstenite::tungstenite::Error;
    match error {
        Error::Http(response) => format!("refused with HTTP {}", response.status()),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target(url: &str) -> Result<Target, UrlError> {
        Target::new(url, Codec::Json, None, Duration::from_secs(1))
    }

    #[test]
    fn a_loopback_url_resolves() {
        let target = target("ws://127.0.0.1:9470/ws?history_secs=0").unwrap();
        assert_eq!(target.addr, SocketAddr::from(([127, 0, 0, 1], 9470)));
        assert_eq!(target.authority, "127.0.0.1:9470");
        assert_eq!(target.path_and_query, "/ws?history_secs=0");
        let target = self::target("ws://[::1]:19000/ws").unwrap();
        assert_eq!(target.addr.port(), 19000);
    }

    #[test]
    fn other_schemes_are_refused() {
        assert!(matches!(
            target("wss://127.0.0.1:9470/ws"),
            Err(UrlError::Scheme(_))
        ));
        assert!(matches!(
            target("not a url"),
            Err(UrlError::Malformed { .. })
        ));
    }
}
