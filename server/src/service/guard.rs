//! What a peer can make the server hold before it has shown a token, bounded
//! on the connection itself, between the socket and actix-http's dispatcher.
//!
//! actix-http keeps reading a connection while its answers pile up: a client
//! that pipelines requests and never reads the responses made the server
//! append response after response to a write buffer that only grew (+279 MiB
//! for 20 such clients). Its request-head limit is a fixed 128 KiB, and a head
//! after the first on a kept-alive connection has no time limit at all. So
//! every connection that is not (yet) a viewer passes through a [`Guard`]:
//!
//! - **One request at a time.** Once the bytes handed to actix hold a whole
//!   request head (two, or one and [`BODY_ALLOWANCE_BYTES`] after it), the
//!   guard reads no more until the writer has caught up — every byte of the
//!   answers so far taken by the socket. A client that does not read its
//!   answers stops being read; at most a couple of answers wait for it.
//! - **Heads of at most [`MAX_HEAD_BYTES`]**, answered 431 beyond that, and
//!   completed within [`HEAD_TIMEOUT`] of their first byte (408), the first
//!   head or any later one.
//! - **At most `max_connections` such connections at once, and
//!   `max_connections_per_address` from one address** ([`Limits`]); one more
//!   is answered 503 and closed. A connection that becomes a viewer
//!   leaves this count for the viewer cap ([`Conn::upgraded`]), and from then
//!   on the guard only passes bytes: the WebSocket session budgets its own
//!   input (`inbound`).
//!
//! The guard reads at most [`READ_CHUNK_BYTES`] at a time, so the bytes it
//! holds back (past a head it has handed on) stay that small.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::future::Future as _;
use std::io;
use std::net::IpAddr;
use std::pin::Pin;
use std::rc::Rc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll, Waker, ready};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt as _, ReadBuf};
use tokio::time::Sleep;

use crate::http::proxy::TrustedProxies;

/// The largest request head accepted; beyond it, 431. Sized for this API
/// (a token, an origin, a few cookies), an eighth of actix-http's own limit.
pub const MAX_HEAD_BYTES: usize = 16 * 1024;
/// How long a request head may take from its first byte to its end.
pub const HEAD_TIMEOUT: Duration = Duration::from_secs(5);
/// Bytes read past a head before the guard waits for its answer: room for a
/// small request body. No route takes a larger one.
pub const BODY_ALLOWANCE_BYTES: usize = 4 * 1024;
/// The most read from the socket at once.
pub const READ_CHUNK_BYTES: usize = 4 * 1024;
/// The most dropped at once from a refused connection (see [`poll_discard`]).
const DISCARD_CHUNK_BYTES: usize = 16 * 1024;
/// How long a refused connection is given to take its answer.
const REFUSAL_LINGER: Duration = Duration::from_secs(1);

/// The caps on plain HTTP connections, shared by every worker: in all, and
/// from one address (an IPv4 address or an IPv6 /64; trusted proxies are
/// exempt, since every client behind one shares its address).
#[derive(Debug)]
pub struct Limits {
    max_connections: usize,
    max_per_address: usize,
    trusted_proxies: TrustedProxies,
    open: AtomicUsize,
    by_address: Mutex<HashMap<IpAddr, usize>>,
}

impl Limits {
    /// At most `max_connections` plain HTTP connections at once, and
    /// `max_per_address` of them from one address.
    #[must_use]
    pub fn new(
        max_connections: usize,
        max_per_address: usize,
        trusted_proxies: TrustedProxies,
    ) -> Arc<Self> {
        Arc::new(Self {
            max_connections,
            max_per_address,
            trusted_proxies,
            open: AtomicUsize::new(0),
            by_address: Mutex::new(HashMap::new()),
        })
    }

    /// A slot for one more connection from `peer`, if the caps allow: each
    /// check and its count are one atomic step, so the caps are exact across
    /// workers.
    #[must_use]
    pub fn try_open(self: &Arc<Self>, peer: Option<IpAddr>) -> Option<Slot> {
        let address = peer
            .filter(|ip| !self.trusted_proxies.contains(*ip))
            .map(crate::http::auth::network_of);
        if let Some(address) = address {
            let mut by_address = self
                .by_address
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            let count = by_address.entry(address).or_insert(0);
            if *count >= self.max_per_address {
                if *count == 0 {
                    by_address.remove(&address);
                }
                return None;
            }
            *count += 1;
        }
        let counted = self
            .open
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |open| {
                (open < self.max_connections).then_some(open + 1)
            })
            .is_ok();
        let slot = Slot {
            limits: Arc::clone(self),
            address,
            counted,
        };
        // Dropping a slot that was not counted in all only undoes its address.
        counted.then_some(slot)
    }
}

/// One counted connection; dropping it frees its places.
#[derive(Debug)]
pub struct Slot {
    limits: Arc<Limits>,
    address: Option<IpAddr>,
    counted: bool,
}

impl Drop for Slot {
    fn drop(&mut self) {
        if self.counted {
            self.limits.open.fetch_sub(1, Ordering::AcqRel);
        }
        if let Some(address) = self.address {
            let mut by_address = self
                .limits
                .by_address
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            if let Some(count) = by_address.get_mut(&address) {
                *count -= 1;
                if *count == 0 {
                    by_address.remove(&address);
                }
            }
        }
    }
}

/// A connection's state shared with its requests (through actix's
/// connection data), so the WebSocket route can say it became a viewer.
#[derive(Debug, Clone)]
pub struct Conn(Rc<ConnState>);

#[derive(Debug)]
struct ConnState {
    upgraded: Cell<bool>,
    slot: RefCell<Option<Slot>>,
}

impl Conn {
    fn new(slot: Slot) -> Self {
        Self(Rc::new(ConnState {
            upgraded: Cell::new(false),
            slot: RefCell::new(Some(slot)),
        }))
    }

    /// The connection is a viewer now: its bytes pass unchecked (the session
    /// budgets them) and it leaves the plain HTTP count.
    pub fn upgraded(&self) {
        self.0.upgraded.set(true);
        self.0.slot.borrow_mut().take();
    }

    fn is_upgraded(&self) -> bool {
        self.0.upgraded.get()
    }
}

/// What was wrong with a connection the guard ended, and its answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Refusal {
    HeadTooLarge,
    HeadTooSlow,
}

impl Refusal {
    fn response(self) -> Vec<u8> {
        match self {
            Self::HeadTooLarge => canned(
                "431 Request Header Fields Too Large",
                &format!(
                    "the request head is over {} KiB: send fewer or shorter headers",
                    MAX_HEAD_BYTES / 1024
                ),
            ),
            Self::HeadTooSlow => canned(
                "408 Request Timeout",
                &format!(
                    "the request head took over {} s: send it at once",
                    HEAD_TIMEOUT.as_secs()
                ),
            ),
        }
    }

    fn error(self) -> io::Error {
        match self {
            Self::HeadTooLarge => {
                io::Error::new(io::ErrorKind::InvalidData, "request head too large")
            }
            Self::HeadTooSlow => io::Error::new(io::ErrorKind::TimedOut, "request head too slow"),
        }
    }
}

/// A whole response with a JSON error body and `Connection: close`.
fn canned(status: &str, error: &str) -> Vec<u8> {
    let body = crate::http::error::body(error);
    format!(
        "HTTP/1.1 {status}\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\
         connection: close\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

/// The 503 a connection over the cap gets.
fn over_capacity(limits: &Limits) -> Vec<u8> {
    let mut response = canned(
        "503 Service Unavailable",
        &format!(
            "this server already has its maximum of open HTTP connections ({} in all, {} \
             from one address): try again later",
            limits.max_connections, limits.max_per_address
        ),
    );
    // The status line ends at the first CRLF: put Retry-After after it.
    if let Some(at) = response.windows(2).position(|pair| pair == b"\r\n") {
        response.splice(at + 2..at + 2, b"retry-after: 5\r\n".iter().copied());
    }
    response
}

/// Answers a connection over the cap with 503 and closes it, giving the peer
/// [`REFUSAL_LINGER`] to take the answer (what it sent meanwhile is read and
/// dropped, so the close does not reset the connection under the answer).
pub async fn refuse<S: AsyncRead + AsyncWrite + Unpin>(mut stream: S, limits: &Limits) {
    let answer = over_capacity(limits);
    let _ = tokio::time::timeout(REFUSAL_LINGER, async {
        stream.write_all(&answer).await?;
        stream.shutdown().await?;
        std::future::poll_fn(|cx| poll_discard(&mut stream, cx)).await
    })
    .await;
}

/// Reads and drops what the peer of a refused connection has sent, until its
/// end (ready) or until nothing more is there yet (pending). The buffer lives
/// only for the call, not in the connection's state, so it costs nothing per
/// lingering connection, and it is large so that a peer pushing a big head
/// costs a few reads rather than one per kilobyte (1,000 strangers sending
/// 120 KB each were 120,000 reads, on the thread that also answers
/// `/healthz`).
fn poll_discard<S: AsyncRead + Unpin>(
    stream: &mut S,
    cx: &mut Context<'_>,
) -> Poll<io::Result<()>> {
    let mut sink = [0u8; DISCARD_CHUNK_BYTES];
    loop {
        let mut buf = ReadBuf::new(&mut sink);
        ready!(Pin::new(&mut *stream).poll_read(cx, &mut buf))?;
        if buf.filled().is_empty() {
            return Poll::Ready(Ok(()));
        }
    }
}

/// A plain HTTP connection's socket, as the dispatcher sees it (see the
/// module notes).
pub struct Guard<S> {
    inner: S,
    conn: Conn,
    /// Bytes handed on since the last head ended (of the head being read,
    /// or of a body after it).
    since_head_end: usize,
    /// Heads handed on since the writer last caught up.
    heads_ahead: u32,
    /// The bytes since the last line feed are carriage returns at most.
    line_ended: bool,
    /// The head being read has more than empty lines.
    head_has_text: bool,
    /// The last write left bytes the socket did not take.
    writer_behind: bool,
    /// The reader, when it was told to wait for the writer.
    paused: Option<Waker>,
    /// Bytes read from the socket but held back (at most [`READ_CHUNK_BYTES`]).
    held: Vec<u8>,
    /// The deadline of the head being read, from its first byte.
    head_deadline: Option<Pin<Box<Sleep>>>,
    refused: Option<Refusal>,
}

impl<S> Guard<S> {
    /// Guards `inner`, which holds `slot` until it closes or upgrades.
    pub fn new(inner: S, slot: Slot) -> Self {
        Self {
            inner,
            conn: Conn::new(slot),
            since_head_end: 0,
            heads_ahead: 0,
            line_ended: true,
            head_has_text: false,
            writer_behind: false,
            paused: None,
            held: Vec::new(),
            head_deadline: None,
            refused: None,
        }
    }

    /// The handle the connection's requests see.
    #[must_use]
    pub fn conn(&self) -> Conn {
        self.conn.clone()
    }

    /// Whether the reader must wait for the answers to what it has.
    fn must_wait(&self) -> bool {
        self.writer_behind
            || self.heads_ahead >= 2
            || (self.heads_ahead >= 1 && self.since_head_end >= BODY_ALLOWANCE_BYTES)
    }

    /// How many of `bytes`, which follow what was handed on before, may be
    /// handed on now; counts what they hold.
    fn admit(&mut self, bytes: &[u8]) -> usize {
        for (at, &byte) in bytes.iter().enumerate() {
            self.since_head_end += 1;
            // A head ends with an empty line, after LF or CRLF line ends (as
            // actix-http's parser accepts both); empty lines before a request
            // line are skipped, as RFC 9112 allows.
            match byte {
                b'\n' if self.line_ended && self.head_has_text => {
                    self.heads_ahead += 1;
                    self.since_head_end = 0;
                    self.head_has_text = false;
                    self.head_deadline = None;
                }
                b'\n' => self.line_ended = true,
                b'\r' => {}
                _ => {
                    self.line_ended = false;
                    self.head_has_text = true;
                }
            }
            if self.heads_ahead == 0 && self.since_head_end > MAX_HEAD_BYTES {
                self.refused = Some(Refusal::HeadTooLarge);
                return at + 1;
            }
            if self.must_wait() {
                return at + 1;
            }
        }
        bytes.len()
    }

    /// Called when the writer has caught up: the reader may go on.
    fn caught_up(&mut self) {
        self.writer_behind = false;
        self.heads_ahead = 0;
        if let Some(reader) = self.paused.take() {
            reader.wake();
        }
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> Guard<S> {
    /// Sends the refusal's answer as far as the socket takes it now, and
    /// starts the linger: what the peer still sends is read and dropped for
    /// [`REFUSAL_LINGER`], so closing does not reset the connection under
    /// the answer, then the read fails.
    fn fail(&mut self, cx: &mut Context<'_>, refusal: Refusal) -> Poll<io::Result<()>> {
        let answer = refusal.response();
        let _ = Pin::new(&mut self.inner).poll_write(cx, &answer);
        let _ = Pin::new(&mut self.inner).poll_shutdown(cx);
        tracing::debug!(?refusal, "connection refused by its guard");
        self.refused = Some(refusal);
        self.head_deadline = Some(Box::pin(tokio::time::sleep(REFUSAL_LINGER)));
        self.linger(cx, refusal)
    }

    /// Drops what the peer sends until it closes or the linger ends.
    fn linger(&mut self, cx: &mut Context<'_>, refusal: Refusal) -> Poll<io::Result<()>> {
        if poll_discard(&mut self.inner, cx).is_pending() {
            let over = self
                .head_deadline
                .as_mut()
                .is_none_or(|deadline| deadline.as_mut().poll(cx).is_ready());
            if !over {
                return Poll::Pending;
            }
        }
        Poll::Ready(Err(refusal.error()))
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> AsyncRead for Guard<S> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if this.conn.is_upgraded() {
            if this.held.is_empty() {
                return Pin::new(&mut this.inner).poll_read(cx, buf);
            }
            let n = this.held.len().min(buf.remaining());
            buf.put_slice(&this.held[..n]);
            this.held.drain(..n);
            return Poll::Ready(Ok(()));
        }
        if let Some(refusal) = this.refused {
            return this.linger(cx, refusal);
        }
        if this.must_wait() {
            this.paused = Some(cx.waker().clone());
            return Poll::Pending;
        }
        if this.held.is_empty() {
            let start = buf.filled().len();
            let room = buf.remaining().min(READ_CHUNK_BYTES);
            let mut chunk = ReadBuf::new(buf.initialize_unfilled_to(room));
            let read = Pin::new(&mut this.inner).poll_read(cx, &mut chunk);
            let n = chunk.filled().len();
            if read.is_pending() {
                // Waiting for the rest of a head: within its deadline only.
                if let Some(deadline) = &mut this.head_deadline
                    && deadline.as_mut().poll(cx).is_ready()
                {
                    return this.fail(cx, Refusal::HeadTooSlow);
                }
                return Poll::Pending;
            }
            ready!(read)?;
            buf.advance(n);
            if n == 0 {
                return Poll::Ready(Ok(()));
            }
            let keep = this.admit(&buf.filled()[start..]);
            this.held.extend_from_slice(&buf.filled()[start + keep..]);
            buf.set_filled(start + keep);
        } else {
            let offered = this.held.len().min(buf.remaining());
            let keep = {
                let held = std::mem::take(&mut this.held);
                let keep = this.admit(&held[..offered]);
                this.held = held;
                keep
            };
            buf.put_slice(&this.held[..keep]);
            this.held.drain(..keep);
        }
        if this.since_head_end > 0 && this.heads_ahead == 0 && this.head_deadline.is_none() {
            this.head_deadline = Some(Box::pin(tokio::time::sleep(HEAD_TIMEOUT)));
        }
        if let Some(refusal) = this.refused {
            return this.fail(cx, refusal);
        }
        Poll::Ready(Ok(()))
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> AsyncWrite for Guard<S> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let written = Pin::new(&mut this.inner).poll_write(cx, buf);
        match &written {
            Poll::Ready(Ok(n)) if *n == buf.len() => this.caught_up(),
            _ => this.writer_behind = true,
        }
        written
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
    }
}

/// Marks the connection `req` came on as a viewer's (see [`Conn::upgraded`]).
pub fn upgraded(req: &actix_web::HttpRequest) {
    if let Some(conn) = req.conn_data::<Conn>() {
        conn.upgraded();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(text: &str) -> Option<IpAddr> {
        text.parse().ok()
    }

    #[test]
    fn the_caps_count_in_all_and_per_address_and_free_on_drop() {
        let limits = Limits::new(3, 2, TrustedProxies::parse(["10.0.0.1"]).unwrap());
        let a1 = limits.try_open(ip("192.0.2.1")).unwrap();
        let a2 = limits.try_open(ip("192.0.2.1")).unwrap();
        assert!(
            limits.try_open(ip("192.0.2.1")).is_none(),
            "two from one address"
        );
        let b = limits.try_open(ip("192.0.2.2")).unwrap();
        assert!(limits.try_open(ip("192.0.2.3")).is_none(), "three in all");
        assert_eq!(limits.open.load(Ordering::Acquire), 3);
        drop(a1);
        let proxy = limits.try_open(ip("10.0.0.1")).unwrap();
        drop((a2, b, proxy));
        assert_eq!(limits.open.load(Ordering::Acquire), 0);
        assert!(
            limits.by_address.lock().unwrap().is_empty(),
            "nothing left behind"
        );
        // A trusted proxy has no per-address cap.
        let many: Vec<_> = (0..3)
            .map(|_| limits.try_open(ip("10.0.0.1")).unwrap())
            .collect();
        assert_eq!(many.len(), 3);
    }

    /// Feeds `bytes` through `admit` as a peer might send them, with every
    /// answer taken at once: how many heads were handed on.
    fn heads_in(bytes: &[u8]) -> u32 {
        let limits = Limits::new(1, 1, TrustedProxies::default());
        let mut guard = Guard::new((), limits.try_open(None).unwrap());
        let mut heads = 0;
        let mut rest = bytes;
        while !rest.is_empty() {
            let taken = guard.admit(rest);
            rest = &rest[taken..];
            heads += guard.heads_ahead;
            guard.caught_up();
        }
        heads
    }

    #[test]
    fn heads_end_at_an_empty_line_of_crlf_or_lf() {
        assert_eq!(heads_in(b"GET / HTTP/1.1\r\nHost: a\r\n\r\n"), 1);
        assert_eq!(heads_in(b"GET / HTTP/1.1\nHost: a\n\n"), 1);
        assert_eq!(heads_in(b"GET / HTTP/1.1\r\n\nGET / HTTP/1.1\n\r\n"), 2);
        // Empty lines before a request line are no head.
        assert_eq!(heads_in(b"\r\n\r\n\n\nGET / HTTP/1.1\r\n\r\n"), 1);
        assert_eq!(heads_in(b"GET / HTTP/1.1\r\nHost: a\r\n"), 0);
    }

    #[test]
    fn pipelined_heads_are_handed_on_two_at_a_time() {
        let limits = Limits::new(1, 1, TrustedProxies::default());
        let mut guard = Guard::new((), limits.try_open(None).unwrap());
        let pipeline = b"GET / HTTP/1.1\r\n\r\n".repeat(10);
        let taken = guard.admit(&pipeline);
        assert_eq!(taken, 2 * pipeline.len() / 10, "two heads, then wait");
        assert!(guard.must_wait());
        guard.caught_up();
        assert!(!guard.must_wait(), "the answers were taken");
    }

    #[test]
    fn a_head_over_the_limit_is_refused() {
        let limits = Limits::new(1, 1, TrustedProxies::default());
        let mut guard = Guard::new((), limits.try_open(None).unwrap());
        let mut head = b"GET / HTTP/1.1\r\nX-Padding: ".to_vec();
        head.resize(MAX_HEAD_BYTES + 10, b'a');
        let taken = guard.admit(&head);
        assert_eq!(taken, MAX_HEAD_BYTES + 1);
        assert_eq!(guard.refused, Some(Refusal::HeadTooLarge));
    }

    #[test]
    fn a_small_body_after_a_head_is_read_on() {
        let limits = Limits::new(1, 1, TrustedProxies::default());
        let mut guard = Guard::new((), limits.try_open(None).unwrap());
        let mut request = b"POST / HTTP/1.1\r\nContent-Length: 100\r\n\r\n".to_vec();
        request.resize(request.len() + 100, b'x');
        assert_eq!(guard.admit(&request), request.len());
        assert!(!guard.must_wait());
    }
}
