//! The messages of the `/ws` stream. Each is tagged by `"type"`, so any
//! WebSocket client can tell them apart without knowing every field.

use serde::{Deserialize, Serialize};

use crate::range::{HistoryRange, ProcessesAt, ProcessesRequest, RangeRequest, RequestError};
use crate::{AlertEvent, AlertsSummary, HostInfo, Sample};

/// A message from a server to a viewer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ServerMessage {
    /// First message of every connection: who is speaking and how.
    Hello(Hello),
    /// Past samples, oldest first: the recent history after the hello, what a
    /// resuming viewer missed, or the answer to a [`ClientMessage::HistoryRequest`].
    History(History),
    /// A resume could not be honoured; what follows starts afresh, and the viewer
    /// should show a gap.
    Reset(Reset),
    /// One live sample, sent once per interval.
    Sample(Sample),
    /// An alert started firing or resolved, sent as it happens.
    Alert(AlertEvent),
    /// The server refused something, or is about to close, and says why.
    Error {
        /// A sentence for a person: what went wrong and what to do.
        message: String,
    },
    /// The answer to a [`ClientMessage::HistoryRange`]: the on-disk history
    /// between two times, at a resolution.
    HistoryRange(HistoryRange),
    /// The answer to a [`ClientMessage::ProcessesRequest`].
    Processes(ProcessesAt),
    /// A request with an `id` could not be served.
    RequestError(RequestError),
    /// A message type this build does not know (sent by a newer server). Readers
    /// skip it, which is what lets the protocol grow without breaking them.
    #[serde(other)]
    #[cfg_attr(feature = "schema", schemars(skip))]
    Unknown,
}

/// The greeting that opens every stream.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Hello {
    /// The protocol version the server speaks ([`crate::PROTOCOL_VERSION`]).
    pub protocol_version: u32,
    /// The server's own version, e.g. "0.1.0".
    pub server_version: String,
    /// Random per server start; the epoch every following sample carries.
    pub epoch: u64,
    /// Time between samples.
    pub interval_ms: u64,
    /// How many samples the server keeps for replay (its history span is this
    /// many intervals).
    #[serde(default)]
    pub history_capacity: u32,
    /// The host being watched.
    pub host: HostInfo,
    /// The alert rules the server evaluates and what is firing as the hello is
    /// sent; absent when the server evaluates no alerts. Each later
    /// transition comes as an `alert` message.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alerts: Option<AlertsSummary>,
}

/// Part of a batch of past samples, in `seq` order without gaps or
/// duplicates. A batch (a replay, a catch-up, or the reply to one
/// `history_request`) is one or more consecutive `history` messages, the
/// last of which says so; batches never interleave with each other or with
/// live samples.
///
/// `samples` must stay the last field: [`crate::Codec::join_history`]
/// splices pre-encoded samples into the encoding of the other fields.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct History {
    /// Why these samples are sent. Absent only from servers that predate
    /// the field.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<HistoryKind>,
    /// The `id` of the `history_request` this answers; only on replies to a
    /// request that carried one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<u32>,
    /// True on the last message of the batch (an empty batch is one empty
    /// message with `last` true).
    #[serde(default)]
    pub last: bool,
    /// The samples, oldest first.
    pub samples: Vec<Sample>,
}

/// What a batch of past samples is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum HistoryKind {
    /// The past sent after the hello (the recent history, or what a
    /// resuming viewer missed). Its seqs continue into the live samples.
    Replay,
    /// Live samples the viewer fell behind on, sent from the history
    /// instead; its seqs continue the stream where it left off.
    CatchUp,
    /// The answer to a `history_request`: older samples, below the live ones.
    Reply,
    /// A kind this build does not know.
    #[serde(other)]
    #[cfg_attr(feature = "schema", schemars(skip))]
    Unknown,
}

/// Why a resume was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum ResetReason {
    /// The server restarted since: the viewer's epoch is not the current one.
    EpochChanged,
    /// The first sample the viewer missed is older than the server's history.
    HistoryTooShort,
    /// The viewer's last seq is beyond the newest sample of the epoch: it
    /// claims samples the server never sent.
    SeqAhead,
    /// A reason this build does not know.
    #[serde(other)]
    #[cfg_attr(feature = "schema", schemars(skip))]
    Unknown,
}

/// A refused resume.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Reset {
    /// Why.
    pub reason: ResetReason,
    /// The same, for a person.
    pub message: String,
}

/// A control message from a viewer to the server. Small by design: the server
/// refuses any frame over a few KiB.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ClientMessage {
    /// Asks for samples older than what the viewer has; answered by one or more
    /// `history` messages of kind `reply`, the last marked `last`.
    HistoryRequest {
        /// Only samples with a `seq` below this.
        before_seq: u64,
        /// At most this many (the newest of them); the server caps it at
        /// its history, so any whole number is accepted.
        limit: u64,
        /// Chosen by the viewer and echoed in every message of the reply.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        id: Option<u32>,
    },
    /// Asks for the on-disk history between two times, at most `points`
    /// points per series; answered by one `history_range` (or a
    /// `request_error`) with the same `id`.
    HistoryRange(RangeRequest),
    /// Asks for the top processes at a moment; answered by one `processes`
    /// (or a `request_error`) with the same `id`.
    ProcessesRequest(ProcessesRequest),
    /// A message type this server does not know; it answers with an `error` and
    /// carries on.
    #[serde(other)]
    #[cfg_attr(feature = "schema", schemars(skip))]
    Unknown,
}

/// A borrowed [`ServerMessage`], for encoding without copying the payload. It
/// serializes to exactly the same bytes as the owned message. (`history`
/// messages are joined from samples encoded one by one instead:
/// [`crate::Codec::join_history`].)
#[derive(Debug, Clone, Copy, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ServerMessageRef<'a> {
    /// See [`ServerMessage::Hello`].
    Hello(&'a Hello),
    /// See [`ServerMessage::Reset`].
    Reset(&'a Reset),
    /// See [`ServerMessage::Sample`].
    Sample(&'a Sample),
    /// See [`ServerMessage::Alert`].
    Alert(&'a AlertEvent),
    /// See [`ServerMessage::Error`].
    Error {
        /// A sentence for a person: what went wrong and what to do.
        message: &'a str,
    },
    /// See [`ServerMessage::HistoryRange`].
    HistoryRange(&'a HistoryRange),
    /// See [`ServerMessage::Processes`].
    Processes(&'a ProcessesAt),
    /// See [`ServerMessage::RequestError`].
    RequestError(&'a RequestError),
}
