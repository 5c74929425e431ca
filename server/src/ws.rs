//! `GET /ws`: one WebSocket session per viewer.
//!
//! The route only upgrades and spawns; the session is one `select!` over the hub's
//! frames, a heartbeat and the client's messages. It ends with a reason, and the
//! close frame is sent once, after the loop. A failed send ends the session.

use std::sync::Arc;
use std::time::{Duration, Instant};

use actix_web::{HttpRequest, HttpResponse, web};
use actix_ws::{CloseCode, CloseReason, Message, MessageStream, ProtocolError, Session};
use hostpulse_shared::ServerMessageRef;
use hostpulse_shared::codec::encode_json;
use tokio::sync::broadcast::error::RecvError;

use crate::hub::{Frame, Hub};

/// Largest client frame accepted. Viewers only ever send small control messages.
pub const MAX_CLIENT_FRAME_BYTES: usize = 4 * 1024;
/// How often the server pings a quiet viewer.
pub const PING_INTERVAL: Duration = Duration::from_secs(10);
/// A viewer that has sent nothing (not even a pong) for this long is gone.
pub const CLIENT_TIMEOUT: Duration = Duration::from_secs(30);

/// Upgrades the request and starts the session.
pub async fn route(
    req: HttpRequest,
    body: web::Payload,
    hub: web::Data<Hub>,
) -> actix_web::Result<HttpResponse> {
    let (response, session, messages) = actix_ws::handle(&req, body)?;
    let peer = req
        .peer_addr()
        .map_or_else(|| "unknown".to_owned(), |addr| addr.to_string());
    let hub = hub.into_inner();
    actix_web::rt::spawn(async move {
        let _counted = hub.client_guard();
        tracing::info!(%peer, clients = hub.client_count(), "viewer connected");
        let end = run(
            &hub,
            session,
            messages.max_frame_size(MAX_CLIENT_FRAME_BYTES),
        )
        .await;
        tracing::info!(%peer, reason = %end, "viewer disconnected");
    });
    Ok(response)
}

/// Why a session ended.
#[derive(Debug)]
enum End {
    /// The viewer sent a close frame or dropped the connection.
    ViewerLeft,
    /// A send failed: the connection is already gone.
    SendFailed,
    /// The server is shutting down.
    ServerShutdown,
    /// The viewer went silent for longer than [`CLIENT_TIMEOUT`].
    TimedOut,
    /// The viewer broke the protocol; it is told why in the close frame.
    Refused(CloseReason),
}

impl std::fmt::Display for End {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::ViewerLeft => f.write_str("viewer left"),
            Self::SendFailed => f.write_str("connection lost"),
            Self::ServerShutdown => f.write_str("server shutting down"),
            Self::TimedOut => write!(f, "no reply for {}s", CLIENT_TIMEOUT.as_secs()),
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

async fn run(hub: &Arc<Hub>, mut session: Session, mut messages: MessageStream) -> End {
    // Subscribe before reading the latest sample, so no sample published in
    // between is missed; the seq check below drops the one possible duplicate.
    let mut frames = hub.subscribe();
    let mut shutdown = hub.shutdown_signal();
    let end = async {
        session.text(hub.hello_json()).await?;
        let mut last_sent_seq = None;
        if let Some(latest) = hub.latest() {
            send_frame(&mut session, &latest.frame, &mut last_sent_seq).await?;
        }
        let mut heartbeat = tokio::time::interval(PING_INTERVAL);
        heartbeat.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut last_heard = Instant::now();
        loop {
            tokio::select! {
                frame = frames.recv() => match frame {
                    Ok(frame) => send_frame(&mut session, &frame, &mut last_sent_seq).await?,
                    Err(RecvError::Lagged(skipped)) => {
                        tracing::debug!(skipped, "viewer is slow: skipping to newer samples");
                    }
                    Err(RecvError::Closed) => return Ok(End::ServerShutdown),
                },
                message = messages.recv() => {
                    last_heard = Instant::now();
                    if let Some(end) = handle_message(&mut session, message).await? {
                        return Ok(end);
                    }
                }
                _ = heartbeat.tick() => {
                    if last_heard.elapsed() > CLIENT_TIMEOUT {
                        return Ok(End::TimedOut);
                    }
                    session.ping(b"").await?;
                }
                _ = shutdown.wait_for(|stopping| *stopping) => return Ok(End::ServerShutdown),
            }
        }
    }
    .await
    .unwrap_or_else(|end: End| end);

    let reason = match &end {
        End::ViewerLeft | End::SendFailed => None,
        End::ServerShutdown => Some(CloseCode::Away.into()),
        End::TimedOut => Some(CloseReason {
            code: CloseCode::Policy,
            description: Some("no pong within the timeout".into()),
        }),
        End::Refused(reason) => Some(reason.clone()),
    };
    if !matches!(end, End::SendFailed) {
        let _ = session.close(reason).await;
    }
    end
}

async fn send_frame(
    session: &mut Session,
    frame: &Frame,
    last_sent_seq: &mut Option<u64>,
) -> Result<(), End> {
    if last_sent_seq.is_some_and(|last| frame.seq <= last) {
        return Ok(());
    }
    session.text(frame.json.clone()).await?;
    *last_sent_seq = Some(frame.seq);
    Ok(())
}

/// Answers one message from the viewer; returns why the session ends, if it does.
async fn handle_message(
    session: &mut Session,
    message: Option<Result<Message, ProtocolError>>,
) -> Result<Option<End>, End> {
    let message = match message {
        // The connection ended, perhaps mid-frame: the viewer is gone.
        None | Some(Err(ProtocolError::Io(_))) => return Ok(Some(End::ViewerLeft)),
        Some(Err(error)) => return Ok(Some(End::Refused(protocol_close(&error)))),
        Some(Ok(message)) => message,
    };
    match message {
        Message::Ping(payload) => session.pong(&payload).await?,
        Message::Pong(_) | Message::Nop => {}
        Message::Close(_) => return Ok(Some(End::ViewerLeft)),
        Message::Text(_) | Message::Binary(_) | Message::Continuation(_) => {
            // Protocol v1 defines no client messages yet: anything sent is a
            // mistake, and the viewer is told so before the close.
            let explanation = "this server accepts no messages from viewers; \
                               connect and read the stream";
            if let Ok(json) = encode_json(&ServerMessageRef::Error {
                message: explanation,
            }) {
                session.text(json).await?;
            }
            return Ok(Some(End::Refused(CloseReason {
                code: if matches!(message, Message::Text(_)) {
                    CloseCode::Policy
                } else {
                    CloseCode::Unsupported
                },
                description: Some("unexpected message from viewer".into()),
            })));
        }
    }
    Ok(None)
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
