//! Reads of the on-disk history: a viewer asks for a span of time at a
//! resolution, and gets points from the finest tier that fits, with min, mean
//! and max for aggregated tiers and the stretches without data named as gaps;
//! or it asks for the top processes at a moment. Each request carries an `id`
//! its answer echoes. Additive to protocol v1: a server that does not know the
//! request answers with an `error`, and a viewer that does not know the answer
//! skips it. The same bodies answer `GET /api/v1/history?from=&to=&points=`
//! and `GET /api/v1/processes?at=`.

use serde::{Deserialize, Serialize};

use crate::ProcessSample;

/// A viewer's request for the history between two times.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct RangeRequest {
    /// Echoed in the answer, so a viewer can match answers to requests.
    pub id: u32,
    /// Start, Unix ms, inclusive.
    pub from_ms: u64,
    /// End, Unix ms, inclusive.
    pub to_ms: u64,
    /// Most points per series.
    pub points: u32,
}

/// Where the points of a [`HistoryRange`] come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum RangeTier {
    /// Every sample.
    Raw,
    /// One row per minute: min, mean, max.
    Minute,
    /// One row per hour: min, mean, max.
    Hour,
    /// A tier this build does not know.
    #[serde(other)]
    #[cfg_attr(feature = "schema", schemars(skip))]
    Unknown,
}

/// One point of every series.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct RangePoint {
    /// Start of the point's span (a raw sample's own time), Unix ms.
    pub time_ms: u64,
    /// Samples behind the point.
    pub samples: u32,
    /// Per series, in [`HistoryRange::series`] order; `null` where unknown.
    /// For raw points this is the value itself.
    pub mean: Vec<Option<f64>>,
    /// Per series; absent for raw points (equal to `mean`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub min: Vec<Option<f64>>,
    /// Per series; absent for raw points (equal to `mean`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub max: Vec<Option<f64>>,
}

/// A stretch without data: the server was down, or the store lost it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct RangeGap {
    /// The last data before it (or the range's start), Unix ms.
    pub from_ms: u64,
    /// The first data after it (or the range's end), Unix ms.
    pub to_ms: u64,
}

/// The answer to a [`RangeRequest`] (and the body of `GET /api/v1/history`
/// with `from`, `to` and `points`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct HistoryRange {
    /// The request's id (0 over REST).
    #[serde(default)]
    pub id: u32,
    /// The tier the points come from.
    pub tier: RangeTier,
    /// The span one point covers.
    pub step_ms: u64,
    /// Start asked, Unix ms.
    pub from_ms: u64,
    /// End asked, Unix ms.
    pub to_ms: u64,
    /// Series names with their unit: `cpu.total_percent`,
    /// `network.eth0.rx_bytes_per_sec`, `disk./.available_bytes`, ...
    pub series: Vec<String>,
    /// Oldest first.
    pub points: Vec<RangePoint>,
    /// Stretches of the range without data.
    #[serde(default)]
    pub gaps: Vec<RangeGap>,
}

/// A viewer's request for the top processes at a moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct ProcessesRequest {
    /// Echoed in the answer, so a viewer can match answers to requests.
    pub id: u32,
    /// The moment, Unix ms.
    pub at_ms: u64,
}

/// The answer to a [`ProcessesRequest`] (and the body of
/// `GET /api/v1/processes?at=`): the list of the row nearest to the moment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct ProcessesAt {
    /// The request's id (0 over REST).
    #[serde(default)]
    pub id: u32,
    /// The moment asked, Unix ms.
    pub at_ms: u64,
    /// Where the list comes from: `raw`, a sample's own top list, while raw
    /// history covers the moment; `minute` or `hour`, the processes that
    /// peaked in CPU and in memory in that minute or hour. Absent when the
    /// history holds nothing near the moment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tier: Option<RangeTier>,
    /// When that row was taken (a sample's time, or the start of its minute
    /// or hour), Unix ms; absent with `tier`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time_ms: Option<u64>,
    /// The processes, as in a sample's `top_processes` (for a minute or an
    /// hour: each one's peak CPU and peak memory); empty when none.
    #[serde(default)]
    pub processes: Vec<ProcessSample>,
}

/// A request (`history_range`, `processes_request`) that could not be
/// served, and why; the stream goes on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct RequestError {
    /// The request's id.
    pub id: u32,
    /// A sentence for a person: what was wrong and what to do.
    pub message: String,
}
