//! `GET /ws`: one WebSocket session per viewer.
//!
//! The route only checks the request, upgrades and spawns; the session is one
//! `select!` over the hub's frames, a heartbeat and the viewer's messages. It ends
//! with a reason, and the close frame is sent once, after the loop. A failed send
//! ends the session.
//!
//! A session starts with a `hello`, then one or more `history` messages (the
//! recent past, or exactly what a resuming viewer missed, after a `reset` if that
//! cannot be done), then live `sample`s. Subscribing to the live frames before
//! reading the history, and skipping seqs already sent, leaves neither a gap nor
//! a duplicate where the two meet. Batches of history go out message by
//! message ([`crate::stream::replies`]); between two messages the session
//! looks, without waiting, at what the viewer sent, so a viewer that closes
//! during a long replay is answered at once rather than after it.

use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

use actix_web::web::Bytes;
use actix_web::{HttpRequest, HttpResponse, http::header, web};
use actix_ws::{CloseCode, CloseReason, Item, Message, MessageStream, ProtocolError, Session};
use bytestring::ByteString;
use futures_core::Stream as _;
use hostpulse_shared::{ClientMessage, Codec, Reset, ResetReason, ServerMessageRef};
use tokio::sync::broadcast::error::RecvError;

use crate::http::error;
use crate::http::query::{Params, QueryError};
use crate::hub::{EncodeError, Encoded, Hub, Replay};
use crate::replay_blocks::Outgoing;
use crate::stream::backlog::Backlog;
use crate::stream::replies::Batch;

/// Largest client frame accepted. Viewers only ever send small control messages.
pub const MAX_CLIENT_FRAME_BYTES: usize = 4 * 1024;
/// How often the server pings a quiet viewer.
pub const PING_INTERVAL: Duration = Duration::from_secs(10);
/// A viewer that has sent nothing (not even a pong) for this long is gone.
pub const CLIENT_TIMEOUT: Duration = Duration::from_secs(30);
/// A send that cannot complete in this time means the viewer stopped reading.
pub const SEND_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a viewer declared stalled has to take its close frame before the
/// kernel drops its connection (the TCP user timeout is
/// [`SEND_TIMEOUT`] + this).
pub const HANGUP_GRACE: Duration = Duration::from_secs(5);

/// Who may open the stream besides holding the token: which web pages, and how
/// many viewers at once.
#[derive(Debug, Clone)]
pub struct Gate {
    /// Origins whose pages may connect. A request without an `Origin` header
    /// is a native viewer and needs none.
    pub allowed_origins: crate::stream::origin::Origins,
    /// Most viewers at once; more get 503.
    pub max_clients: usize,
}

/// Registers `/ws`, behind the token check and the inbound byte budget.
pub fn configure(config: &mut web::ServiceConfig) {
    config.service(
        web::resource(hostpulse_shared::WS_PATH)
            .wrap(actix_web::middleware::from_fn(
                crate::stream::inbound::limit,
            ))
            .wrap(actix_web::middleware::from_fn(
                crate::http::auth::check_stream,
            ))
            .route(web::get().to(route)),
    );
}

/// Upgrades the request and starts the session.
pub async fn route(
    req: HttpRequest,
    body: web::Payload,
    hub: web::Data<Hub>,
    gate: web::Data<Gate>,
) -> actix_web::Result<HttpResponse> {
    if let Some(origin) = req.headers().get(header::ORIGIN) {
        let origin = origin.to_str().unwrap_or_default();
        if !gate.allowed_origins.allows(origin) {
            return Ok(crate::http::cors::forbidden_origin(origin));
        }
    }
    // Counted from here, before the upgrade, in one atomic step with the
    // check: the cap holds exactly, however many workers upgrade at once.
    let Some(counted) = hub.try_client_guard(gate.max_clients) else {
        return Ok(error::respond(
            HttpResponse::ServiceUnavailable().insert_header((header::RETRY_AFTER, "5")),
            &format!(
                "this server already serves its maximum of {} viewers: try again later",
                gate.max_clients
            ),
        ));
    };
    let replay = replay_from_query(req.query_string(), &hub)?;
    if req.version() != actix_web::http::Version::HTTP_11 {
        // RFC 6455 §4.1: the opening handshake is an HTTP/1.1 request.
        return Ok(error::respond(
            &mut HttpResponse::BadRequest(),
            &format!(
                "a WebSocket upgrade needs HTTP/1.1, and this request is {:?}",
                req.version()
            ),
        ));
    }
    if !asks_for_websocket(&req) {
        return Ok(error::respond(
            HttpResponse::build(actix_web::http::StatusCode::UPGRADE_REQUIRED)
                .insert_header((header::UPGRADE, "websocket")),
            "this is the WebSocket stream: connect with a WebSocket client \
             (`Upgrade: websocket`); one-off reads are under /api/v1 (see PROTOCOL.md)",
        ));
    }
    let codec = negotiate(&req);
    let chosen = codec.map(Codec::subprotocol);
    let (response, session, messages) =
        match actix_ws::handle_with_protocols(&req, body, chosen.as_slice()) {
            Ok(upgraded) => upgraded,
            Err(refused) => {
                return Ok(error::respond(
                    &mut HttpResponse::BadRequest(),
                    &format!("not a valid WebSocket handshake: {refused}"),
                ));
            }
        };
    let (response, backlog) = Backlog::watch(response);
    let peer = crate::http::proxy::Client::of(&req)
        .map_or_else(|| "unknown".to_owned(), |client| client.to_string());
    let hub = hub.into_inner();
    // A viewer now: it leaves the count of plain HTTP connections.
    crate::service::guard::upgraded(&req);
    let codec = codec.unwrap_or_default();
    actix_web::rt::spawn(async move {
        let _counted = counted;
        tracing::info!(%peer, ?codec, clients = hub.client_count(), "viewer connected");
        let messages = messages.max_frame_size(MAX_CLIENT_FRAME_BYTES);
        let out = Sender {
            session,
            codec,
            backlog,
        };
        let end = run(&hub, out, messages, replay).await;
        tracing::info!(%peer, reason = %end, "viewer disconnected");
        if matches!(end, End::Stalled) {
            // It cannot take its close frame; the kernel drops the connection
            // HANGUP_GRACE later (see `tune_listener`).
            hub.count_stalled();
        }
    });
    Ok(response)
}

/// Whether the request asks to become a WebSocket at all (a browser's plain
/// visit or `curl` does not), as opposed to a broken handshake.
fn asks_for_websocket(req: &HttpRequest) -> bool {
    req.headers()
        .get(header::UPGRADE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.eq_ignore_ascii_case("websocket"))
}

/// The codec named by the first subprotocol the viewer offers that we speak.
fn negotiate(req: &HttpRequest) -> Option<Codec> {
    req.headers()
        .get_all(header::SEC_WEBSOCKET_PROTOCOL)
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .find_map(Codec::from_subprotocol)
}

/// What the stream starts with, from `history_secs` or
/// `resume_epoch` + `resume_after_seq`.
fn replay_from_query(query: &str, hub: &Hub) -> Result<Replay, QueryError> {
    // `ticket` is a web page's credential, redeemed by `http::auth` already.
    let params = Params::parse(
        query,
        &["history_secs", "resume_epoch", "resume_after_seq", "ticket"],
    )?;
    let interval_ms = hub.hello().interval_ms.max(1);
    let span_secs = (hub.history_capacity() as u64).saturating_mul(interval_ms) / 1000;
    let history_secs = params
        .u64_in("history_secs", 0..=u64::from(u32::MAX))?
        .unwrap_or(hostpulse_shared::DEFAULT_HISTORY_SECS);
    // Asking for more than the server keeps gets all of it.
    let count = usize::try_from(history_secs.min(span_secs + 1).saturating_mul(1000) / interval_ms)
        .unwrap_or(usize::MAX)
        .min(hub.history_capacity());
    let epoch = params.u64_in("resume_epoch", 0..=u64::MAX)?;
    let after_seq = params.u64_in("resume_after_seq", 0..=u64::MAX)?;
    match (epoch, after_seq) {
        (Some(epoch), Some(after_seq)) => Ok(Replay::Resume {
            epoch,
            after_seq,
            fallback_count: count,
        }),
        (None, None) => Ok(Replay::Recent { count }),
        (Some(_), None) => Err(QueryError {
            parameter: "resume_after_seq".into(),
            problem: "needed with resume_epoch: the seq of the last sample received".into(),
        }),
        (None, Some(_)) => Err(QueryError {
            parameter: "resume_epoch".into(),
            problem: "needed with resume_after_seq: the epoch of the last sample received".into(),
        }),
    }
}

/// Why a session ended.
#[derive(Debug)]
pub(crate) enum End {
    /// The viewer sent a close frame, with this status code if it gave one;
    /// the server's close frame echoes it (RFC 6455 §5.5.1).
    ViewerClosed(Option<CloseCode>),
    /// The connection ended without a close frame: the viewer's end closed
    /// or reset it, or the kernel gave up on it (TCP user timeout).
    ConnectionDied(String),
    /// A send failed: the connection is already gone.
    SendFailed,
    /// The server is shutting down.
    ServerShutdown,
    /// The viewer went silent for longer than [`CLIENT_TIMEOUT`].
    TimedOut,
    /// The viewer stopped reading: a send did not complete in [`SEND_TIMEOUT`].
    Stalled,
    /// The viewer broke the protocol; it is told why in the close frame.
    Refused(CloseReason),
}

impl std::fmt::Display for End {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::ViewerClosed(code) => write!(f, "viewer closed ({code:?})"),
            Self::ConnectionDied(how) => write!(f, "connection died without a close frame ({how})"),
            Self::SendFailed => f.write_str("connection lost: a send failed"),
            Self::ServerShutdown => f.write_str("server shutting down"),
            Self::TimedOut => write!(f, "no reply for {}s", CLIENT_TIMEOUT.as_secs()),
            Self::Stalled => write!(f, "not reading for {}s", SEND_TIMEOUT.as_secs()),
            Self::Refused(reason) => write!(
                f,
                "refused ({:?}: {})",
                reason.code,
                reason.description.as_deref().unwrap_or("")
            ),
        }
    }
}

impl From<actix_ws::Closed> for End {
    fn from(_: actix_ws::Closed) -> Self {
        Self::SendFailed
    }
}

/// The session's outgoing half, speaking its negotiated codec. Every frame
/// waits for room in the backlog first.
struct Sender {
    session: Session,
    codec: Codec,
    backlog: Backlog,
}

impl Sender {
    /// Waits until the viewer has taken enough of what was sent to queue one
    /// more frame; a viewer that takes nothing for [`SEND_TIMEOUT`] is stalled.
    async fn room(&self) -> Result<(), End> {
        self.backlog
            .reserve(SEND_TIMEOUT)
            .await
            .map_err(|_| End::Stalled)
    }

    async fn ping(&mut self) -> Result<(), End> {
        self.room().await?;
        timed(self.session.ping(b"")).await
    }

    /// Sends a message encoded once for everyone.
    async fn shared(&mut self, encoded: &Encoded) -> Result<(), End> {
        self.room().await?;
        match self.codec {
            Codec::Json => timed(self.session.text(encoded.json.clone())).await,
            Codec::MessagePack => timed(self.session.binary(encoded.msgpack.clone())).await,
        }
    }

    /// Encodes and sends a message for this session only.
    async fn own(&mut self, message: &ServerMessageRef<'_>) -> Result<(), End> {
        let encoded = self
            .codec
            .encode(message)
            .map_err(EncodeError::from)
            .and_then(|payload| Outgoing::new(self.codec, payload));
        match encoded {
            Ok(frame) => self.frame(frame).await,
            Err(error) => {
                tracing::error!(%error, "cannot encode a message for a viewer");
                Ok(())
            }
        }
    }

    /// Sends a message already encoded in this session's codec.
    async fn frame(&mut self, frame: Outgoing) -> Result<(), End> {
        self.room().await?;
        match frame {
            Outgoing::Binary(bytes) => timed(self.session.binary(bytes)).await,
            Outgoing::Text(text) => timed(self.session.text(text)).await,
        }
    }

    /// Sends `batch`, message by message. Between two messages, whatever the
    /// viewer has sent meanwhile is looked at without waiting: a ping is
    /// answered, a close or a broken frame ends the session at once (a replay
    /// nobody will read is not finished first), and a control message waits
    /// in `deferred` until the batch is out, so batches never interleave.
    async fn batch(
        &mut self,
        mut batch: Batch,
        messages: &mut MessageStream,
        deferred: &mut Option<Inbound>,
    ) -> Result<(), End> {
        loop {
            let frame = match batch.next_message(self.codec) {
                Ok(Some(frame)) => frame,
                Ok(None) => return Ok(()),
                Err(error) => {
                    tracing::error!(%error, "cannot encode the history for a viewer");
                    return Ok(());
                }
            };
            self.frame(frame).await?;
            while deferred.is_none()
                && let Poll::Ready(message) = arrived(messages)
            {
                match triage(&mut self.session, message).await? {
                    Inbound::Handled => {}
                    inbound => *deferred = Some(inbound),
                }
            }
        }
    }
}

/// The viewer's next message if it has already arrived, without waiting.
fn arrived(messages: &mut MessageStream) -> Poll<Option<Result<Message, ProtocolError>>> {
    // Polled with a waker that does nothing: the session's `select!` polls
    // the stream again, with its own waker, before it waits.
    Pin::new(messages).poll_next(&mut Context::from_waker(Waker::noop()))
}

async fn run(hub: &Arc<Hub>, mut out: Sender, mut messages: MessageStream, replay: Replay) -> End {
    // Subscribe before reading the history, so no sample published in between is
    // missed; the seq check drops the ones sent twice.
    let mut frames = hub.subscribe();
    let mut alerts = hub.subscribe_alerts();
    let mut shutdown = hub.shutdown_signal();
    let end = async {
        out.shared(&hub.greeting().encoded).await?;
        let replayed = crate::archive::replay::replay(hub, replay).await;
        if let Some(reason) = replayed.reset {
            out.own(&ServerMessageRef::Reset(&reset(reason))).await?;
        }
        let replay = Batch::replay(hub, replayed.samples);
        // Live samples continue after the replay, or, when it was empty, after
        // the newest the server had (never after a seq it has not reached).
        let mut last_sent_seq = replay.last_seq().or(replayed.newest_seq);
        // A control message that arrived while a batch was going out.
        let mut deferred = None;
        out.batch(replay, &mut messages, &mut deferred).await?;

        let mut heartbeat = tokio::time::interval(PING_INTERVAL);
        heartbeat.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut last_heard = Instant::now();
        loop {
            if let Some(inbound) = deferred.take() {
                handle_message(hub, &mut out, &mut messages, &mut deferred, inbound).await?;
                continue;
            }
            tokio::select! {
                frame = frames.recv() => match frame {
                    Ok(frame) => {
                        if last_sent_seq.is_none_or(|last| frame.seq > last) {
                            out.shared(&frame.encoded).await?;
                            last_sent_seq = Some(frame.seq);
                        }
                    }
                    Err(RecvError::Lagged(skipped)) => {
                        // Nothing is queued per viewer: what it skipped is sent
                        // from the shared history, so its stream keeps no hole.
                        tracing::debug!(skipped, "viewer fell behind: catching up from history");
                        hub.count_lagged(skipped);
                        let missed = hub.history_after(last_sent_seq, hub.history_capacity());
                        let catch_up = Batch::catch_up(missed);
                        if let Some(last) = catch_up.last_seq() {
                            out.batch(catch_up, &mut messages, &mut deferred).await?;
                            last_sent_seq = Some(last);
                        }
                    }
                    Err(RecvError::Closed) => return Ok(End::ServerShutdown),
                },
                alert = alerts.recv() => match alert {
                    Ok(encoded) => out.shared(&encoded).await?,
                    // Alerts come a few at a time; one skipped stays readable
                    // at /api/v1/alerts.
                    Err(RecvError::Lagged(skipped)) => {
                        tracing::warn!(skipped, "viewer fell behind on alert messages");
                    }
                    Err(RecvError::Closed) => return Ok(End::ServerShutdown),
                },
                message = messages.recv() => {
                    last_heard = Instant::now();
                    let inbound = triage(&mut out.session, message).await?;
                    handle_message(hub, &mut out, &mut messages, &mut deferred, inbound).await?;
                }
                _ = heartbeat.tick() => {
                    if last_heard.elapsed() > CLIENT_TIMEOUT {
                        return Ok(End::TimedOut);
                    }
                    out.ping().await?;
                }
                _ = shutdown.wait_for(|stopping| *stopping) => return Ok(End::ServerShutdown),
            }
        }
    }
    .await
    .unwrap_or_else(|end: End| end);

    close(out.session, &end).await;
    end
}

/// Sends the close frame that tells the viewer why `end` ended its session;
/// nothing when the connection is already gone.
pub(crate) async fn close(session: Session, end: &End) {
    let reason = match end {
        End::SendFailed | End::ConnectionDied(_) => None,
        End::ViewerClosed(code) => code.map(CloseReason::from),
        End::ServerShutdown => Some(CloseCode::Away.into()),
        End::TimedOut => Some(CloseReason {
            code: CloseCode::Policy,
            description: Some("no pong within the timeout".into()),
        }),
        End::Stalled => Some(CloseReason {
            code: CloseCode::Policy,
            description: Some("too slow: not reading".into()),
        }),
        End::Refused(reason) => Some(reason.clone()),
    };
    if !matches!(end, End::SendFailed | End::ConnectionDied(_)) {
        // Bounded too: a stalled viewer's queue may have no room for the close.
        let _ = tokio::time::timeout(Duration::from_secs(1), session.close(reason)).await;
    }
}

/// A send, given at most [`SEND_TIMEOUT`]: a viewer that stops reading is
/// closed rather than holding its session open until TCP gives up.
pub(crate) async fn timed(
    send: impl std::future::Future<Output = Result<(), actix_ws::Closed>>,
) -> Result<(), End> {
    match tokio::time::timeout(SEND_TIMEOUT, send).await {
        Ok(result) => Ok(result?),
        Err(_) => Err(End::Stalled),
    }
}

fn reset(reason: ResetReason) -> Reset {
    let message = match reason {
        ResetReason::EpochChanged => "the server restarted since your last sample: starting afresh",
        ResetReason::HistoryTooShort => {
            "your last sample is older than the server's history: starting afresh"
        }
        ResetReason::SeqAhead => {
            "your last seq is beyond the newest sample this server has taken: starting afresh"
        }
        ResetReason::Unknown => "cannot resume: starting afresh",
    };
    Reset {
        reason,
        message: message.into(),
    }
}

/// What a viewer sent, once the checks every session shares are done: pings
/// are answered and pongs noted here, and a close, a dropped connection or a
/// broken frame ends the session (as the `Err` of [`triage`]).
#[derive(Debug)]
pub(crate) enum Inbound {
    /// A whole text message.
    Text(ByteString),
    /// A whole binary message.
    Binary(Bytes),
    /// A part of a fragmented message. Only the Autobahn echo reassembles
    /// them; a viewer's session refuses fragments without reading them.
    Fragment(
        #[cfg_attr(
            not(feature = "autobahn"),
            expect(dead_code, reason = "read only by the autobahn echo")
        )]
        Item,
    ),
    /// Nothing left to do: a ping was answered, or a pong arrived.
    Handled,
}

/// Sorts one message from the viewer; `Err` says why the session ends.
pub(crate) async fn triage(
    session: &mut Session,
    message: Option<Result<Message, ProtocolError>>,
) -> Result<Inbound, End> {
    match message {
        Some(Err(ProtocolError::Io(error))) => Err(read_failed(&error)),
        Some(Ok(Message::Close(reason))) => {
            Err(End::ViewerClosed(reason.map(|reason| reason.code)))
        }
        None => Err(End::ConnectionDied("closed".into())),
        Some(Err(error)) => Err(End::Refused(protocol_close(&error))),
        Some(Ok(Message::Ping(payload))) => {
            timed(session.pong(&payload)).await?;
            Ok(Inbound::Handled)
        }
        Some(Ok(Message::Pong(_) | Message::Nop)) => Ok(Inbound::Handled),
        Some(Ok(Message::Continuation(item))) => Ok(Inbound::Fragment(item)),
        Some(Ok(Message::Text(text))) => Ok(Inbound::Text(text)),
        Some(Ok(Message::Binary(bytes))) => Ok(Inbound::Binary(bytes)),
    }
}

/// Why reading from the viewer failed.
fn read_failed(error: &std::io::Error) -> End {
    use crate::stream::frames::Violation;
    if crate::stream::inbound::is_overdrawn(error) {
        // No single frame can overdraw the budget (a large one is refused at
        // its header): this is a flood of small ones.
        refuse(CloseCode::Policy, "sent more than a viewer may")
    } else if let Some(violation) = crate::stream::inbound::violation(error) {
        let code = match violation {
            Violation::TooBig { .. } => CloseCode::Size,
            Violation::CloseReasonNotUtf8 => CloseCode::Invalid,
            _ => CloseCode::Protocol,
        };
        refuse(code, &violation.to_string())
    } else if matches!(error.get_ref(), Some(inner) if inner.is::<std::str::Utf8Error>()) {
        // actix-ws found a text message that is not UTF-8.
        invalid_utf8()
    } else {
        // The connection ended, perhaps mid-frame: the viewer is gone.
        End::ConnectionDied(died_how(error))
    }
}

/// What ended a connection, for the log: the socket's error when actix
/// passed it on ("reset by peer", "timed out"), else that it ended.
fn died_how(error: &std::io::Error) -> String {
    use actix_web::error::PayloadError;
    match error
        .get_ref()
        .and_then(|inner| inner.downcast_ref::<PayloadError>())
    {
        Some(PayloadError::Incomplete(Some(cause))) => cause.to_string(),
        Some(PayloadError::Incomplete(None)) => "ended mid-frame".into(),
        _ => error.to_string(),
    }
}

/// A text message that is not UTF-8 (RFC 6455 §8.1).
pub(crate) fn invalid_utf8() -> End {
    refuse(CloseCode::Invalid, "text is not valid UTF-8")
}

/// Answers one message from the viewer (see [`triage`]); `Err` says why the
/// session ends.
async fn handle_message(
    hub: &Arc<Hub>,
    out: &mut Sender,
    messages: &mut MessageStream,
    deferred: &mut Option<Inbound>,
    inbound: Inbound,
) -> Result<(), End> {
    let (codec, payload) = match inbound {
        Inbound::Handled => return Ok(()),
        Inbound::Fragment(_) => {
            return Err(refuse(
                CloseCode::Unsupported,
                "fragmented messages are not accepted",
            ));
        }
        Inbound::Text(text) => (Codec::Json, text.into_bytes()),
        Inbound::Binary(bytes) => (Codec::MessagePack, bytes),
    };
    match codec.decode::<ClientMessage>(&payload) {
        Ok(ClientMessage::HistoryRequest {
            before_seq,
            limit,
            id,
        }) => {
            let limit = usize::try_from(limit)
                .unwrap_or(usize::MAX)
                .min(hub.history_capacity());
            let replayed =
                crate::archive::replay::replay(hub, Replay::Before { before_seq, limit }).await;
            out.batch(Batch::reply(id, replayed.samples), messages, deferred)
                .await
        }
        Ok(ClientMessage::HistoryRange(request)) => {
            let answer = crate::stream::range::history_range(hub, request).await;
            out.own(&answer.message()).await
        }
        Ok(ClientMessage::ProcessesRequest(request)) => {
            let answer = crate::stream::range::processes(hub, request).await;
            out.own(&answer.message()).await
        }
        Ok(ClientMessage::Unknown) => {
            // Perhaps a newer viewer: say so, and carry on.
            out.own(&ServerMessageRef::Error {
                message: "unknown message type: ignored",
            })
            .await
        }
        Err(error) => {
            let explanation = format!(
                "cannot read your message ({error}); send {} control messages such as \
                 {{\"type\":\"history_request\",\"before_seq\":100,\"limit\":60}}",
                if codec.is_binary() {
                    "MessagePack"
                } else {
                    "JSON"
                }
            );
            out.own(&ServerMessageRef::Error {
                message: &explanation,
            })
            .await?;
            Err(refuse(CloseCode::Invalid, "malformed control message"))
        }
    }
}

pub(crate) fn refuse(code: CloseCode, description: &str) -> End {
    End::Refused(CloseReason {
        code,
        description: Some(description.into()),
    })
}

/// The close frame for a frame that broke the WebSocket protocol.
fn protocol_close(error: &ProtocolError) -> CloseReason {
    let code = match error {
        ProtocolError::Overflow => CloseCode::Size,
        _ => CloseCode::Protocol,
    };
    CloseReason {
        code,
        description: Some(error.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use std::io::{Error, ErrorKind};

    use actix_web::error::PayloadError;

    use super::*;
    use crate::stream::frames::Violation;

    /// The close code `read_failed` answers `error` with; `None` for none.
    fn close_code(error: &Error) -> Option<CloseCode> {
        match read_failed(error) {
            End::Refused(reason) => Some(reason.code),
            End::ConnectionDied(_) => None,
            other => panic!("unexpected end {other:?}"),
        }
    }

    #[test]
    fn read_errors_become_the_close_codes_rfc_6455_asks_for() {
        // As actix-ws wraps what the inbound stream and its own decoding report.
        let refused_frame = Error::other(PayloadError::Io(Error::new(
            ErrorKind::InvalidData,
            Violation::ReservedBits(0b100),
        )));
        assert_eq!(close_code(&refused_frame), Some(CloseCode::Protocol));
        let overdrawn = Error::other(PayloadError::Overflow);
        assert_eq!(close_code(&overdrawn), Some(CloseCode::Policy));
        let too_big = Error::other(PayloadError::Io(Error::new(
            ErrorKind::InvalidData,
            Violation::TooBig {
                declared_bytes: 1 << 30,
                limit_bytes: 4096,
            },
        )));
        assert_eq!(close_code(&too_big), Some(CloseCode::Size));
        let bad_reason = Error::other(PayloadError::Io(Error::new(
            ErrorKind::InvalidData,
            Violation::CloseReasonNotUtf8,
        )));
        assert_eq!(close_code(&bad_reason), Some(CloseCode::Invalid));
        let bytes = vec![b'a', 0xff];
        let not_utf8 = Error::new(
            ErrorKind::InvalidData,
            std::str::from_utf8(&bytes).unwrap_err(),
        );
        assert_eq!(close_code(&not_utf8), Some(CloseCode::Invalid));
        let dropped = Error::other(PayloadError::Incomplete(None));
        assert_eq!(close_code(&dropped), None);
        let reset = Error::other(PayloadError::Incomplete(Some(Error::from(
            ErrorKind::ConnectionReset,
        ))));
        let End::ConnectionDied(how) = read_failed(&reset) else {
            panic!("a reset is a connection that died");
        };
        assert!(how.contains("reset"), "{how}");
    }
}
