//! A normal viewer: it reads every message as the dashboard would, decodes it
//! with the shared crate's codec, follows its `(epoch, seq)` stream, and times
//! every live sample from its timestamp to its receipt.
//!
//! A run ends in two steps, so that stopping cannot itself look like a missed
//! sample: the coordinator first names the newest seq any viewer has seen, and
//! each viewer reads on until it has that one too (or is told to stop after a
//! grace period, when whatever it lacks counts as missed).

use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime};

use futures_util::StreamExt;
use hostpulse_shared::{Codec, ServerMessage};
use tokio::sync::watch;
use tokio_tungstenite::tungstenite::Message;

use crate::connect::Socket;
use crate::latency::Latency;
use crate::seq::SeqTracker;

/// How long a viewer's goodbye (its close frame) may take.
const CLOSE_TIMEOUT: Duration = Duration::from_secs(1);

/// What every viewer of a run shares.
#[derive(Debug, Default)]
pub struct Shared {
    /// Latency of every live sample.
    pub latency: Latency,
    /// The newest seq any viewer has received, plus one (0: none yet).
    newest_seq_plus_one: AtomicU64,
    /// The server's interval, from the first hello.
    interval_ms: OnceLock<u64>,
}

impl Shared {
    /// The newest seq any viewer has received.
    #[must_use]
    pub fn newest_seq(&self) -> Option<u64> {
        self.newest_seq_plus_one
            .load(Ordering::Relaxed)
            .checked_sub(1)
    }

    /// The server's sampling interval, once a hello has arrived.
    #[must_use]
    pub fn interval_ms(&self) -> Option<u64> {
        self.interval_ms.get().copied()
    }

    fn saw(&self, seq: u64) {
        self.newest_seq_plus_one
            .fetch_max(seq.saturating_add(1), Ordering::Relaxed);
    }

    /// Notes the server's interval (the first hello wins).
    pub fn set_interval_ms(&self, interval_ms: u64) {
        let _ = self.interval_ms.set(interval_ms);
    }
}

/// Where the run is, as the viewers see it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// Keep reading.
    Running,
    /// Read until this seq has arrived, then leave.
    FinishAt(u64),
    /// Leave now.
    Stop,
}

/// What one viewer received.
#[derive(Debug, Default, Clone)]
pub struct ViewerOutcome {
    /// Its `(epoch, seq)` stream.
    pub seqs: SeqTracker,
    /// Live `sample` messages (each also timed).
    pub live: u64,
    /// Samples that came in `history` messages after the first live sample:
    /// the server's catch-up for a viewer that fell behind.
    pub caught_up: u64,
    /// `reset` messages.
    pub resets: u64,
    /// `error` messages from the server.
    pub server_errors: u64,
    /// Frames the shared codec could not decode (the first error is kept).
    pub decode_errors: u64,
    /// The first decoding error.
    pub first_decode_error: Option<String>,
    /// How the connection ended before the run did, if it did (close code and
    /// reason, or the error).
    pub ended_early: Option<String>,
}

/// Reads `socket` until the run says stop.
pub async fn watch(
    mut socket: Socket,
    codec: Codec,
    shared: &Shared,
    mut phase: watch::Receiver<Phase>,
) -> ViewerOutcome {
    let mut outcome = ViewerOutcome::default();
    loop {
        let done = match *phase.borrow_and_update() {
            Phase::Running => false,
            Phase::FinishAt(target) => outcome.seqs.last().is_some_and(|last| last >= target),
            Phase::Stop => true,
        };
        if done {
            break;
        }
        tokio::select! {
            message = socket.next() => match message {
                Some(Ok(message)) => {
                    if let Some(end) = outcome.take(&message, codec, shared) {
                        outcome.ended_early = Some(end);
                        return outcome;
                    }
                }
                Some(Err(error)) => {
                    outcome.ended_early = Some(error.to_string());
                    return outcome;
                }
                None => {
                    outcome.ended_early = Some("connection ended".into());
                    return outcome;
                }
            },
            changed = phase.changed() => {
                if changed.is_err() {
                    break;
                }
            }
        }
    }
    let _ = tokio::time::timeout(CLOSE_TIMEOUT, socket.close(None)).await;
    outcome
}

impl ViewerOutcome {
    /// Takes in one message; returns how the connection ended, if it did.
    fn take(&mut self, message: &Message, codec: Codec, shared: &Shared) -> Option<String> {
        let received = SystemTime::now();
        let payload: &[u8] = match message {
            Message::Text(text) => text.as_bytes(),
            Message::Binary(bytes) => bytes,
            Message::Close(frame) => {
                return Some(frame.as_ref().map_or_else(
                    || "closed without a code".to_owned(),
                    |frame| format!("closed {} {}", u16::from(frame.code), frame.reason),
                ));
            }
            Message::Ping(_) | Message::Pong(_) | Message::Frame(_) => return None,
        };
        let decoded = match codec.decode::<ServerMessage>(payload) {
            Ok(decoded) => decoded,
            Err(error) => {
                self.decode_errors += 1;
                self.first_decode_error
                    .get_or_insert_with(|| error.to_string());
                return None;
            }
        };
        match decoded {
            ServerMessage::Hello(hello) => shared.set_interval_ms(hello.interval_ms),
            ServerMessage::History(history) => {
                for sample in &history.samples {
                    self.seqs.observe(sample.epoch, sample.seq);
                    shared.saw(sample.seq);
                    if self.live > 0 {
                        self.caught_up += 1;
                    }
                }
            }
            ServerMessage::Sample(sample) => {
                self.seqs.observe(sample.epoch, sample.seq);
                shared.saw(sample.seq);
                shared.latency.record(sample.timestamp_ms, received);
                self.live += 1;
            }
            ServerMessage::Reset(_) => self.resets += 1,
            ServerMessage::Error { .. } => self.server_errors += 1,
            ServerMessage::Unknown => {}
        }
        None
    }
}
