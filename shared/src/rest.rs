//! The bodies of the REST answers beside the stream that are not stream
//! messages themselves (`/api/v1/host` is a [`crate::Hello`] and
//! `/api/v1/snapshot` a [`crate::Sample`]). They live here, with the
//! messages, so the contract's OpenAPI document is generated from the same
//! types as its stream schemas, and a Rust client can read them.

use serde::{Deserialize, Serialize};

use crate::{AlertEvent, Sample};

/// The body of every non-2xx HTTP answer, as `application/json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct HttpError {
    /// A sentence for a person: what is wrong and what to do.
    pub error: String,
    /// The query parameter at fault, when one is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parameter: Option<String>,
}

/// `GET /api/v1/history`: past samples of the current epoch.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct HistoryPage {
    /// The server's epoch: the samples' `seq`s belong to it. A `since_seq`
    /// taken from another epoch means nothing here (pass `epoch` with it to
    /// have the server refuse such a request).
    pub epoch: u64,
    /// The samples, oldest first.
    pub samples: Vec<Sample>,
}

/// `POST /api/v1/ws-ticket`: a single-use credential for opening `/ws` from
/// a web page, whose WebSocket API cannot send an `Authorization` header.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct WsTicket {
    /// Pass as `/ws?ticket=…`: opens one stream, once, from the origin that
    /// asked for it. 64 lower-case hexadecimal digits.
    pub ticket: String,
    /// How long the ticket stays valid after this answer.
    pub expires_in_ms: u64,
}

/// `GET /healthz`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Health {
    /// `ok` (status 200) while samples flow; otherwise the answer is 503.
    pub status: HealthStatus,
    /// Age of the newest sample; absent before the first one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_sample_age_ms: Option<u64>,
    /// WebSocket viewers connected now.
    pub clients: u64,
    /// The history on disk; absent from servers without one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub history: Option<HistoryHealth>,
}

/// What `/healthz` says about the history on disk. Neither `not_writable` nor
/// `memory_only` fails the check: sampling and viewers go on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum HistoryHealth {
    /// Every sample reaches the disk.
    Ok,
    /// The store cannot write (a full disk, say); the history waits for
    /// space and resumes on its own.
    NotWritable,
    /// Started with `--history-memory-only` (or without a data folder): the
    /// history is the in-memory ring, lost on restart.
    MemoryOnly,
    /// A state this build does not know.
    #[serde(other)]
    #[cfg_attr(feature = "schema", schemars(skip))]
    Unknown,
}

/// What `/healthz` says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum HealthStatus {
    /// Samples keep coming.
    Ok,
    /// No sample yet (within one interval of the start).
    Starting,
    /// The newest sample is more than five intervals old (never less than 5 s).
    Stalled,
    /// A status this build does not know.
    #[serde(other)]
    #[cfg_attr(feature = "schema", schemars(skip))]
    Unknown,
}

/// `GET /api/v1/alerts/history`: alert transitions, oldest first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct AlertHistory {
    /// As in `alert` messages, without `type`.
    pub events: Vec<AlertEvent>,
}
