//! How long a server that answered 429 asks us to wait. ewebsock reports a
//! refused handshake by its status line alone, so the link makes one more
//! handshake with tungstenite, on a thread of its own (the UI thread never
//! waits on the network, ARCHITECTURE.md invariant 5), and reads the
//! `Retry-After` header. The server answers a slowed-down address 429 before
//! counting anything, so asking does not lengthen the wait.

use std::sync::mpsc::{Receiver, TryRecvError, sync_channel};
use std::time::{Duration, Instant};

use hostpulse_shared::Secret;
use tungstenite::client::IntoClientRequest as _;

/// The longest wait honoured: a longer `Retry-After` is cut to this.
pub const MAX_WAIT: Duration = Duration::from_hours(1);

/// One question to a server about its `Retry-After`, asked on a thread.
#[derive(Debug)]
pub struct Probe {
    started: Instant,
    answer: Receiver<Option<Duration>>,
}

impl Probe {
    /// Asks the server at `url` (presenting `token`, as the refused attempt
    /// did) how long to wait; `done` is called when the answer is in.
    /// `None` when no thread could be started.
    pub fn start(
        url: &str,
        token: Option<&Secret>,
        done: impl FnOnce() + Send + 'static,
    ) -> Option<Self> {
        // One answer per probe: the channel never holds more.
        let (sender, answer) = sync_channel(1);
        let (url, token) = (url.to_owned(), token.cloned());
        let started = Instant::now();
        std::thread::Builder::new()
            .name("hostpulse-retry-after".into())
            .spawn(move || {
                // The link may be gone by now: nobody left to tell.
                let _ = sender.send(ask(&url, token.as_ref()));
                done();
            })
            .ok()?;
        Some(Self { started, answer })
    }

    /// `None` while the question is open; then when the server takes
    /// attempts again, if it said.
    #[must_use]
    pub fn poll(&self) -> Option<Option<Instant>> {
        match self.answer.try_recv() {
            Ok(wait) => Some(wait.map(|wait| self.started + wait)),
            Err(TryRecvError::Empty) => None,
            Err(TryRecvError::Disconnected) => Some(None),
        }
    }
}

/// How long the server at `url` wants us to wait: its `Retry-After` on a
/// 429, nothing at all once it answers anything else (the slow-down is over).
fn ask(url: &str, token: Option<&Secret>) -> Option<Duration> {
    let mut request = url.into_client_request().ok()?;
    if let Some(token) = token {
        let value = format!("Bearer {}", token.expose()).parse().ok()?;
        request.headers_mut().insert("Authorization", value);
    }
    match tungstenite::connect(request) {
        Err(tungstenite::Error::Http(response)) if response.status() == 429 => response
            .headers()
            .get("retry-after")
            .and_then(|value| value.to_str().ok())
            .and_then(parse),
        Ok((mut socket, _)) => {
            let _ = socket.close(None);
            Some(Duration::ZERO)
        }
        Err(tungstenite::Error::Http(_)) => Some(Duration::ZERO),
        Err(_) => None,
    }
}

/// A `Retry-After` in seconds (RFC 9110 also allows a date; HostPulse
/// servers send seconds), at most [`MAX_WAIT`].
#[must_use]
pub fn parse(value: &str) -> Option<Duration> {
    let secs: u64 = value.trim().parse().ok()?;
    Some(Duration::from_secs(secs).min(MAX_WAIT))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_is_read_in_seconds_and_bounded() {
        assert_eq!(parse("42"), Some(Duration::from_secs(42)));
        assert_eq!(parse(" 7 "), Some(Duration::from_secs(7)));
        assert_eq!(parse("999999"), Some(MAX_WAIT));
        assert_eq!(parse("Wed, 21 Oct 2015 07:28:00 GMT"), None);
        assert_eq!(parse("-1"), None);
    }
}
