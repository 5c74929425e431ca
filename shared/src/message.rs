//! The messages of the `/ws` stream. Each is a JSON object tagged by `"type"`, so
//! any WebSocket client can tell them apart without knowing every field.

use serde::{Deserialize, Serialize};

use crate::{HostInfo, Sample};

/// A message from a server to a viewer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ServerMessage {
    /// First message of every connection: who is speaking and how.
    Hello(Hello),
    /// One live sample, sent once per interval.
    Sample(Sample),
    /// The server is about to close the connection, or refused something, and says why.
    Error {
        /// A sentence for a person: what went wrong and what to do.
        message: String,
    },
    /// A message type this build does not know (sent by a newer server). Readers
    /// skip it, which is what lets the protocol grow without breaking them.
    #[serde(other)]
    Unknown,
}

/// The greeting that opens every stream.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Hello {
    /// The protocol version the server speaks ([`crate::PROTOCOL_VERSION`]).
    pub protocol_version: u32,
    /// The server's own version, e.g. "0.1.0".
    pub server_version: String,
    /// Random per server start; the epoch every following sample carries.
    pub epoch: u64,
    /// Time between samples.
    pub interval_ms: u64,
    /// The host being watched.
    pub host: HostInfo,
}

/// A borrowed [`ServerMessage`], for encoding without copying the payload. It
/// serializes to exactly the same bytes as the owned message.
#[derive(Debug, Clone, Copy, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ServerMessageRef<'a> {
    /// See [`ServerMessage::Hello`].
    Hello(&'a Hello),
    /// See [`ServerMessage::Sample`].
    Sample(&'a Sample),
    /// See [`ServerMessage::Error`].
    Error {
        /// A sentence for a person: what went wrong and what to do.
        message: &'a str,
    },
}
