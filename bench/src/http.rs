//! The smallest HTTP/1.1 GET the benchmarks need: one request per connection
//! (`Connection: close`), bounded in time, the status and the body handed back
//! whole. It reads `/metrics` of the server under load and polls the peers of
//! the server-cost benchmark, so neither needs an HTTP client crate.

use std::net::SocketAddr;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// One answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    /// The status code, e.g. 200.
    pub status: u16,
    /// Everything after the header (as sent: a chunked body keeps its chunk lines).
    pub body: Vec<u8>,
}

/// Why a GET failed, in words for a report.
#[derive(Debug, thiserror::Error)]
pub enum GetError {
    /// Connecting, writing or reading failed.
    #[error("{0}")]
    Io(#[from] std::io::Error),
    /// No answer within the time allowed.
    #[error("no answer within {0:?}")]
    Timeout(Duration),
    /// The answer was not HTTP.
    #[error("not an HTTP/1.x answer")]
    Malformed,
}

/// GETs `path` from `addr`, with an `Authorization: Bearer` header when
/// `token` is given, taking at most `timeout`.
pub async fn get(
    addr: SocketAddr,
    path: &str,
    token: Option<&str>,
    timeout: Duration,
) -> Result<Response, GetError> {
    let fetch = async {
        let mut stream = tokio::net::TcpStream::connect(addr).await?;
        let auth = token.map_or_else(String::new, |token| {
            format!("Authorization: Bearer {token}\r\n")
        });
        let request =
            format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\n{auth}Connection: close\r\n\r\n");
        stream.write_all(request.as_bytes()).await?;
        let mut response = Vec::new();
        stream.read_to_end(&mut response).await?;
        parse(response).ok_or(GetError::Malformed)
    };
    tokio::time::timeout(timeout, fetch)
        .await
        .map_err(|_| GetError::Timeout(timeout))?
}

/// Splits a raw answer into its status and body.
fn parse(mut response: Vec<u8>) -> Option<Response> {
    let head_end = response.windows(4).position(|w| w == b"\r\n\r\n")?;
    let head = std::str::from_utf8(&response[..head_end]).ok()?;
    let status = head
        .strip_prefix("HTTP/1.")?
        .get(2..)?
        .split_whitespace()
        .next()?
        .parse()
        .ok()?;
    let body = response.split_off(head_end + 4);
    Some(Response { status, body })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_answer_splits_into_status_and_body() {
        let raw = b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello".to_vec();
        assert_eq!(
            parse(raw),
            Some(Response {
                status: 200,
                body: b"hello".to_vec()
            })
        );
        let raw = b"HTTP/1.0 401 Unauthorized\r\n\r\n".to_vec();
        assert_eq!(parse(raw).map(|r| r.status), Some(401));
    }

    #[test]
    fn anything_else_is_refused() {
        assert_eq!(parse(b"SSH-2.0-OpenSSH\r\n\r\n".to_vec()), None);
        assert_eq!(parse(b"HTTP/1.1 200 OK\r\n".to_vec()), None);
    }
}
