//! The connection to one server: an ewebsock socket wrapped in a small state
//! machine (connecting → live → disconnected → connecting …) that decodes what
//! arrives and reconnects with backoff. It asks for the MessagePack encoding, and
//! on reconnect resumes after the last sample it saw, so a short outage loses
//! nothing.
//!
//! ewebsock does the I/O of every link on one runtime thread; the UI thread
//! only drains events with `try_recv` (ARCHITECTURE.md). ewebsock has no
//! connect timeout, so the link applies one, and it treats a server silent
//! for too long as gone.

use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use ewebsock::{WsEvent, WsMessage, WsReceiver, WsSender};
use hostpulse_shared::{
    AlertEvent, ClientMessage, Codec, Hello, HistoryRange, PROTOCOL_VERSION, ProcessesAt,
    RequestError, Reset, Sample, Secret, ServerMessage,
};

use crate::backoff::random_reconnect_delay;
use crate::retry_after::Probe;

/// Give up on a connection attempt that has not opened in this time.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// A live server pings every 10 s and samples every interval; this much silence
/// means the connection is dead even if TCP has not noticed.
pub const SILENCE_TIMEOUT: Duration = Duration::from_secs(35);
/// Largest frame accepted from a server: a sample is a few KiB.
const MAX_INCOMING_FRAME_BYTES: usize = 16 * 1024 * 1024;

/// The runtime every link's connection runs on (ewebsock's tokio backend):
/// one thread that sleeps until a socket has data or a message is to be
/// sent. ewebsock's own backend kept a thread per host that woke every 20 ms
/// to look for messages to send: about the cost of a whole idle window per
/// host, and most of a fleet overview's (BENCHMARKS.md).
fn runtime() -> Result<&'static tokio::runtime::Runtime, String> {
    static RUNTIME: OnceLock<Result<tokio::runtime::Runtime, String>> = OnceLock::new();
    RUNTIME
        .get_or_init(|| {
            tokio::runtime::Builder::new_multi_thread()
                .worker_threads(1)
                .thread_name("links")
                .enable_all()
                .build()
                .map_err(|error| format!("cannot start the network thread: {error}"))
        })
        .as_ref()
        .map_err(Clone::clone)
}
/// How long to wait after a 429 until the server's `Retry-After` is known
/// (or if it never is): the server counts failed attempts per minute, so a
/// minute clears them.
const TOO_MANY_ATTEMPTS_WAIT: Duration = Duration::from_mins(1);

/// Where a link stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LinkState {
    /// Dialling; no answer yet.
    Connecting {
        /// When this attempt started.
        since: Instant,
    },
    /// Open, and the server greeted us.
    Live {
        /// When the connection opened.
        since: Instant,
    },
    /// Not connected; the next attempt is scheduled.
    Disconnected {
        /// Why, in words for a person.
        reason: String,
        /// When the next attempt starts.
        retry_at: Instant,
    },
    /// The server refused the token (or the lack of one) with 401. Retrying
    /// with the same token cannot help, and each try counts against the
    /// server's limit on failed attempts, so the link waits for a new token
    /// (or the user's "Retry now").
    Refused {
        /// Whether a token was presented.
        token_sent: bool,
    },
}

/// Something that arrived from the server, decoded.
#[derive(Debug, Clone, PartialEq)]
pub enum LinkEvent {
    /// The server's greeting: a new connection (and perhaps a restarted server).
    Hello(Hello),
    /// Past samples, oldest first: the recent history, or what was missed.
    History(Vec<Sample>),
    /// The server could not resume where the link left off: there is a gap.
    Reset(Reset),
    /// A live sample.
    Sample(Sample),
    /// The answer to a `history_range` request.
    Range(HistoryRange),
    /// The answer to a `processes_request`.
    Processes(ProcessesAt),
    /// A request that could not be served, and why.
    RequestError(RequestError),
    /// An alert started firing or resolved on the server.
    Alert(AlertEvent),
}

/// Wakes the UI thread when an event arrives.
pub type Wake = Arc<dyn Fn() + Send + Sync>;

/// A connection to one server, reconnecting by itself.
pub struct Link {
    url: String,
    wake: Wake,
    state: LinkState,
    socket: Option<(WsSender, WsReceiver)>,
    failed_attempts: u32,
    last_heard: Instant,
    /// `(epoch, seq)` of the newest sample received, to resume from on reconnect.
    last_seen: Option<(u64, u64)>,
    /// Sent as `Authorization: Bearer …`; never shown or logged.
    token: Option<Secret>,
    /// After a 429: asking the server how long it wants us to wait.
    retry_probe: Option<Probe>,
}

impl std::fmt::Debug for Link {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Link")
            .field("url", &self.url)
            .field("state", &self.state)
            .finish_non_exhaustive()
    }
}

impl Link {
    /// Starts connecting to `url` at once, presenting `token` if given.
    pub fn connect(url: impl Into<String>, token: Option<Secret>, wake: Wake) -> Self {
        let now = Instant::now();
        let mut link = Self {
            url: url.into(),
            wake,
            state: LinkState::Connecting { since: now },
            socket: None,
            failed_attempts: 0,
            last_heard: now,
            last_seen: None,
            token,
            retry_probe: None,
        };
        link.dial(now);
        link
    }

    /// A link in the given state that has not dialled and will not until a retry
    /// falls due: for hosts shown from recorded or synthetic data.
    #[cfg(any(test, feature = "test-support"))]
    pub fn detached(url: impl Into<String>, state: LinkState, wake: Wake) -> Self {
        Self {
            url: url.into(),
            wake,
            state,
            socket: None,
            failed_attempts: 0,
            last_heard: Instant::now(),
            last_seen: None,
            token: None,
            retry_probe: None,
        }
    }

    /// True when the link presents a token.
    #[must_use]
    pub fn has_token(&self) -> bool {
        self.token.is_some()
    }

    /// The URL this link dials.
    #[must_use]
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Where the link stands now.
    #[must_use]
    pub fn state(&self) -> &LinkState {
        &self.state
    }

    /// Points the link at `url` with `token` (the user edited the host) and
    /// dials at once. The resume point is kept only when the URL is the same:
    /// another address may be another server.
    pub fn retarget(&mut self, url: String, token: Option<Secret>) {
        if url != self.url {
            self.last_seen = None;
        }
        self.url = url;
        self.token = token;
        self.failed_attempts = 0;
        self.retry_now();
    }

    /// The token presented, if any (to carry it over when the host is edited).
    #[must_use]
    pub fn token(&self) -> Option<&Secret> {
        self.token.as_ref()
    }

    /// How many attempts in a row have failed since the last greeting.
    #[must_use]
    pub fn failed_attempts(&self) -> u32 {
        self.failed_attempts
    }

    /// Whether [`Link::send`] can send now: live, on a connection.
    #[must_use]
    pub fn can_send(&self) -> bool {
        matches!(self.state, LinkState::Live { .. }) && self.socket.is_some()
    }

    /// Sends a control message (a request for the history on disk) on the
    /// open connection, as JSON. Never blocks: the links' thread writes it.
    /// False when it cannot ([`Link::can_send`]): the caller asks again later.
    pub fn send(&mut self, message: &ClientMessage) -> bool {
        let (LinkState::Live { .. }, Some((sender, _))) = (&self.state, &mut self.socket) else {
            return false;
        };
        match hostpulse_shared::codec::encode_json(message) {
            Ok(text) => match runtime() {
                Ok(runtime) => {
                    // ewebsock spawns the send on the runtime it is called in.
                    let _entered = runtime.enter();
                    sender.send(WsMessage::Text(text));
                    true
                }
                Err(_) => false,
            },
            Err(error) => {
                tracing::warn!(url = %self.url, %error, "cannot encode a request");
                false
            }
        }
    }

    /// Drops any connection and dials again now (the user asked to retry).
    pub fn retry_now(&mut self) {
        self.socket = None;
        self.dial(Instant::now());
    }

    /// When the link next needs [`Link::poll`] even if nothing arrives: a retry or
    /// a timeout; `None` while refused, waiting for the user. The UI schedules
    /// a repaint for then instead of spinning.
    #[must_use]
    pub fn next_deadline(&self) -> Option<Instant> {
        match &self.state {
            LinkState::Connecting { since } => Some(*since + CONNECT_TIMEOUT),
            LinkState::Live { .. } => Some(self.last_heard + SILENCE_TIMEOUT),
            LinkState::Disconnected { retry_at, .. } => Some(*retry_at),
            LinkState::Refused { .. } => None,
        }
    }

    /// Drains what arrived, applies timeouts and retries. Never blocks.
    pub fn poll(&mut self, now: Instant) -> Vec<LinkEvent> {
        let mut events = Vec::new();
        while let Some(event) = self.socket.as_ref().and_then(|(_, rx)| rx.try_recv()) {
            if let Err(reason) = self.handle(event, now, &mut events) {
                self.fail(&reason, now);
                break;
            }
        }
        if let Some(answer) = self.retry_probe.as_ref().and_then(Probe::poll) {
            self.retry_probe = None;
            if let (Some(at), LinkState::Disconnected { retry_at, .. }) = (answer, &mut self.state)
            {
                // The countdown shows what the server said.
                *retry_at = at;
            }
        }
        match &self.state {
            LinkState::Connecting { since } if now.duration_since(*since) > CONNECT_TIMEOUT => {
                self.fail(
                    &format!("no answer within {} s", CONNECT_TIMEOUT.as_secs()),
                    now,
                );
            }
            LinkState::Live { .. } if now.duration_since(self.last_heard) > SILENCE_TIMEOUT => {
                self.fail(
                    &format!("server silent for {} s", SILENCE_TIMEOUT.as_secs()),
                    now,
                );
            }
            LinkState::Disconnected { retry_at, .. } if now >= *retry_at => self.dial(now),
            _ => {}
        }
        events
    }

    fn handle(
        &mut self,
        event: WsEvent,
        now: Instant,
        events: &mut Vec<LinkEvent>,
    ) -> Result<(), String> {
        self.last_heard = now;
        match event {
            WsEvent::Opened => {
                tracing::info!(url = %self.url, "connected");
                Ok(())
            }
            WsEvent::Message(WsMessage::Text(text)) => {
                self.receive(Codec::Json, text.as_bytes(), now, events)
            }
            WsEvent::Message(WsMessage::Binary(bytes)) => {
                self.receive(Codec::MessagePack, &bytes, now, events)
            }
            WsEvent::Message(_) => Ok(()),
            WsEvent::Error(error) => Err(error),
            WsEvent::Closed => Err("the server closed the connection".to_owned()),
        }
    }

    /// Decodes one frame and turns it into events.
    fn receive(
        &mut self,
        codec: Codec,
        payload: &[u8],
        now: Instant,
        events: &mut Vec<LinkEvent>,
    ) -> Result<(), String> {
        let message: ServerMessage = codec
            .decode(payload)
            .map_err(|e| format!("the server sent {e}"))?;
        match message {
            ServerMessage::Hello(hello) => {
                if hello.protocol_version != PROTOCOL_VERSION {
                    return Err(format!(
                        "the server speaks protocol v{}, this dashboard v{PROTOCOL_VERSION}: \
                         update the older one",
                        hello.protocol_version
                    ));
                }
                self.state = LinkState::Live { since: now };
                self.failed_attempts = 0;
                events.push(LinkEvent::Hello(hello));
            }
            ServerMessage::History(history) => {
                if let Some(last) = history.samples.last() {
                    self.advance_last_seen(last);
                }
                events.push(LinkEvent::History(history.samples));
            }
            ServerMessage::Reset(reset) => {
                tracing::info!(url = %self.url, message = %reset.message, "history reset");
                events.push(LinkEvent::Reset(reset));
            }
            ServerMessage::Sample(sample) => {
                self.advance_last_seen(&sample);
                events.push(LinkEvent::Sample(sample));
            }
            ServerMessage::Error { message } => {
                tracing::warn!(url = %self.url, %message, "server reported an error");
            }
            ServerMessage::HistoryRange(range) => events.push(LinkEvent::Range(range)),
            ServerMessage::Processes(processes) => events.push(LinkEvent::Processes(processes)),
            ServerMessage::RequestError(error) => {
                tracing::info!(url = %self.url, id = error.id, message = %error.message, "request refused");
                events.push(LinkEvent::RequestError(error));
            }
            ServerMessage::Alert(event) => events.push(LinkEvent::Alert(event)),
            ServerMessage::Unknown => {}
        }
        Ok(())
    }

    /// Moves the resume point forward: within an epoch it never moves back (an
    /// answer to a history request carries older samples); a new epoch replaces it.
    fn advance_last_seen(&mut self, sample: &Sample) {
        match self.last_seen {
            Some((epoch, seq)) if epoch == sample.epoch && seq >= sample.seq => {}
            _ => self.last_seen = Some((sample.epoch, sample.seq)),
        }
    }

    /// The URL to dial now: with a resume point once samples have arrived, so the
    /// server sends exactly what was missed.
    fn dial_url(&self) -> String {
        let Some((epoch, seq)) = self.last_seen else {
            return self.url.clone();
        };
        match url::Url::parse(&self.url) {
            Ok(mut url) => {
                url.query_pairs_mut()
                    .append_pair("resume_epoch", &epoch.to_string())
                    .append_pair("resume_after_seq", &seq.to_string());
                url.into()
            }
            Err(_) => self.url.clone(),
        }
    }

    fn dial(&mut self, now: Instant) {
        let wake = Arc::clone(&self.wake);
        let options = ewebsock::Options {
            max_incoming_frame_size: MAX_INCOMING_FRAME_BYTES,
            read_timeout: None,
            // The compact encoding; a server that does not offer it sends JSON.
            subprotocols: vec![Codec::MessagePack.subprotocol().to_owned()],
            additional_headers: self
                .token
                .iter()
                .map(|token| {
                    (
                        "Authorization".to_owned(),
                        format!("Bearer {}", token.expose()),
                    )
                })
                .collect(),
        };
        let runtime = match runtime() {
            Ok(runtime) => runtime,
            Err(error) => return self.fail(&error, now),
        };
        // ewebsock spawns the connection on the runtime it is called in.
        let _entered = runtime.enter();
        match ewebsock::connect_with_wakeup(self.dial_url(), options, move || wake()) {
            Ok(socket) => {
                self.socket = Some(socket);
                self.state = LinkState::Connecting { since: now };
                self.last_heard = now;
            }
            Err(error) => self.fail(&error, now),
        }
    }

    /// Ends the attempt for `error` (ewebsock's words, or ours): refused on
    /// a 401, the server's `Retry-After` on a 429 (a minute until it is
    /// known), else a retry after the backoff.
    fn fail(&mut self, error: &str, now: Instant) {
        // Dropping the sender ends the connection's task, which closes the socket.
        self.socket = None;
        let lower = error.to_ascii_lowercase();
        if lower.contains("http error: 401") {
            tracing::info!(url = %self.url, token_sent = self.token.is_some(), "token refused");
            self.state = LinkState::Refused {
                token_sent: self.token.is_some(),
            };
            return;
        }
        let reason = explain(error);
        let delay = if lower.contains("http error: 429") {
            let wake = Arc::clone(&self.wake);
            self.retry_probe = Probe::start(&self.url, self.token.as_ref(), move || wake());
            TOO_MANY_ATTEMPTS_WAIT
        } else {
            random_reconnect_delay(self.failed_attempts)
        };
        self.failed_attempts = self.failed_attempts.saturating_add(1);
        tracing::info!(url = %self.url, %reason, retry_in_ms = delay.as_millis(), "disconnected");
        self.state = LinkState::Disconnected {
            reason,
            retry_at: now + delay,
        };
    }
}

/// ewebsock's error strings, made into advice where we can tell the cause.
fn explain(error: &str) -> String {
    let lower = error.to_ascii_lowercase();
    if lower.contains("connection refused") || lower.contains("unable to connect") {
        // tungstenite says "Unable to connect" for a refused or unreachable address.
        "cannot reach the server: is hostpulse-server running there, on that port?".to_owned()
    } else if lower.contains("failed to lookup") || lower.contains("name or service not known") {
        "host name not found: check the address".to_owned()
    } else if lower.contains("connection reset") || lower.contains("broken pipe") {
        "connection lost".to_owned()
    } else if lower.contains("http error: 429") {
        "too many wrong tokens from this address (429): the server takes a token again \
         when the countdown ends"
            .to_owned()
    } else if lower.contains("invalid http version") {
        // A TLS server answers plain HTTP with a TLS alert.
        "the server did not answer in plain HTTP: if it serves TLS, use wss://".to_owned()
    } else if lower.contains("invalidcontenttype") {
        // A plain server answers a TLS hello with plain HTTP.
        "the server does not speak TLS: use ws:// (or check the port)".to_owned()
    } else if lower.contains("invalid peer certificate") {
        explain_certificate(&lower)
    } else if lower.contains("http error: 404") {
        "no HostPulse stream at that path (404): the usual path is /ws".to_owned()
    } else {
        error.trim_start_matches("Connect: ").to_owned()
    }
}

/// What to do about a certificate rustls refused.
fn explain_certificate(lower: &str) -> String {
    if lower.contains("unknownissuer") || lower.contains("badsignature") {
        "the server's certificate is not trusted: if it comes from a private CA (such as \
         hostpulse-server --make-certs), start the dashboard with SSL_CERT_FILE=<that ca.pem>"
            .to_owned()
    } else if lower.contains("notvalidforname") {
        "the server's certificate is not for this name: connect by a name it was made for"
            .to_owned()
    } else if lower.contains("expired") {
        "the server's certificate has expired (or this computer's clock is wrong)".to_owned()
    } else {
        format!("the server's certificate was refused: {lower}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn common_errors_become_advice() {
        assert!(
            explain("Connect: URL error: Unable to connect to ws://127.0.0.1:1/ws")
                .contains("is hostpulse-server running")
        );
        assert_eq!(explain("Connect: something odd"), "something odd");
    }

    #[test]
    fn an_unreachable_host_is_disconnected_with_a_reason_and_retried() {
        // Port 1 on loopback: nothing listens there, so the OS refuses at once.
        let mut link = Link::connect("ws://127.0.0.1:1/ws", None, Arc::new(|| {}));
        let deadline = Instant::now() + Duration::from_secs(10);
        while matches!(link.state(), LinkState::Connecting { .. }) && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(20));
            link.poll(Instant::now());
        }
        let LinkState::Disconnected { reason, retry_at } = link.state().clone() else {
            panic!("expected disconnected, got {:?}", link.state());
        };
        assert!(reason.contains("cannot reach the server"), "{reason}");
        assert_eq!(link.next_deadline(), Some(retry_at));

        // Once the retry time passes, the link dials again.
        link.poll(retry_at + Duration::from_millis(1));
        assert!(matches!(link.state(), LinkState::Connecting { .. }));
    }

    #[test]
    fn a_server_that_never_answers_times_out_and_backs_off() {
        // A listener that never accepts: the OS completes the TCP handshake from
        // its backlog, but no WebSocket answer ever comes, so only the link's own
        // timeout can end the attempt.
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("ws://{}/ws", listener.local_addr().unwrap());
        let mut link = Link::connect(url, None, Arc::new(|| {}));
        let LinkState::Connecting { since } = link.state().clone() else {
            panic!("expected connecting, got {:?}", link.state());
        };
        assert_eq!(link.next_deadline(), Some(since + CONNECT_TIMEOUT));

        // Polled as the UI would once the deadline has passed (no waiting here:
        // the clock is the argument).
        let late = since + CONNECT_TIMEOUT + Duration::from_millis(1);
        link.poll(late);
        let LinkState::Disconnected { reason, retry_at } = link.state().clone() else {
            panic!("expected disconnected, got {:?}", link.state());
        };
        assert_eq!(reason, "no answer within 10 s");
        let first_delay = retry_at - late;
        assert!(
            first_delay >= Duration::from_millis(400) && first_delay <= Duration::from_millis(600)
        );
        assert_eq!(link.failed_attempts(), 1);

        // The retry dials again and, unanswered, waits ~1.6 times longer.
        link.poll(retry_at);
        assert!(matches!(link.state(), LinkState::Connecting { .. }));
        let late = retry_at + CONNECT_TIMEOUT + Duration::from_millis(1);
        link.poll(late);
        let LinkState::Disconnected { retry_at, .. } = link.state().clone() else {
            panic!("expected disconnected, got {:?}", link.state());
        };
        let second_delay = retry_at - late;
        assert!(
            second_delay >= Duration::from_millis(640)
                && second_delay <= Duration::from_millis(960)
        );
        assert_eq!(link.failed_attempts(), 2);
        drop(listener);
    }

    #[test]
    fn retargeting_keeps_the_resume_point_only_for_the_same_url() {
        let mut link = Link::detached(
            "ws://127.0.0.1:1/ws",
            LinkState::Live {
                since: Instant::now(),
            },
            Arc::new(|| {}),
        );
        link.last_seen = Some((7, 41));
        link.retarget("ws://127.0.0.1:1/ws".into(), Some(Secret::new("t0ken")));
        assert_eq!(link.token().map(Secret::expose), Some("t0ken"));
        assert!(link.dial_url().contains("resume_after_seq=41"));
        assert!(matches!(link.state(), LinkState::Connecting { .. }));

        link.retarget("ws://127.0.0.1:2/ws".into(), None);
        assert_eq!(link.url(), "ws://127.0.0.1:2/ws");
        assert_eq!(link.token(), None);
        assert_eq!(link.dial_url(), "ws://127.0.0.1:2/ws");
    }
}
