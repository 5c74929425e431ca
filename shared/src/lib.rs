//! The HostPulse wire schema, shared by the server and the dashboard so the two
//! cannot drift apart.
//!
//! Layout:
//! - [`sample`]: one measurement of a host ([`Sample`]) and its parts.
//! - [`host`]: facts about a host that do not change between samples ([`HostInfo`]).
//! - [`message`]: the tagged messages that travel over the WebSocket.
//! - [`codec`]: turning messages into frames and back.
//! - [`alert`]: alert rules, what is firing, and alert transitions.
//! - [`range`]: reads of the on-disk history: a span of time at a
//!   resolution, the processes at a moment.
//! - [`rest`]: the bodies of the REST answers that are not stream messages.
//! - [`secret`]: the bearer token type, which never prints itself.
//!
//! This crate does no I/O and knows nothing of sysinfo, actix or egui: it is plain
//! data with serde derives, so third-party readers can depend on it cheaply.
//!
//! Units are in the field names: `_bytes`, `_bytes_per_sec`, `_percent` (0–100 per
//! core), `_celsius`, `_secs`, `_ms` (Unix milliseconds for timestamps).

pub mod alert;
pub mod codec;
pub mod host;
pub mod joined;
pub mod message;
pub mod range;
pub mod rest;
pub mod sample;
pub mod secret;

pub use alert::{AlertEvent, AlertRule, AlertState, AlertsSummary, Comparison, Severity};
pub use codec::{Codec, CodecError};
pub use host::HostInfo;
pub use message::{
    ClientMessage, Hello, History, HistoryKind, Reset, ResetReason, ServerMessage, ServerMessageRef,
};
pub use range::{
    HistoryRange, ProcessesAt, ProcessesRequest, RangeGap, RangePoint, RangeRequest, RangeTier,
    RequestError,
};
pub use sample::{
    CpuSample, DiskSample, LoadAverage, MemorySample, NetworkSample, ProcessSample, Sample,
    TemperatureSample,
};
pub use secret::Secret;

/// Version of the wire protocol. Additive changes keep it; a breaking change bumps
/// it, and the server's hello says which one it speaks.
pub const PROTOCOL_VERSION: u32 = 1;

/// The TCP port a HostPulse server listens on unless told otherwise.
pub const DEFAULT_PORT: u16 = 9470;

/// Default span of the history batch sent after the hello: 15 minutes.
pub const DEFAULT_HISTORY_SECS: u64 = 15 * 60;

/// The HTTP path of the WebSocket stream.
pub const WS_PATH: &str = "/ws";
