//! Range reads of the on-disk history: a viewer asks for a span of time at a
//! resolution, and gets points from the finest tier that fits, with min, mean
//! and max for aggregated tiers and the stretches without data named as gaps.
//! Additive to protocol v1: a server that does not know the request answers
//! with an `error`, and a viewer that does not know the answer skips it. (The
//! WebSocket messages carrying these types join [`crate::message`] when the
//! server serves them.)

use serde::{Deserialize, Serialize};

/// A viewer's request for the history between two times.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
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
    Unknown,
}

/// One point of every series.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
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
pub struct RangeGap {
    /// The last data before it (or the range's start), Unix ms.
    pub from_ms: u64,
    /// The first data after it (or the range's end), Unix ms.
    pub to_ms: u64,
}

/// The answer to a [`RangeRequest`] (and the body of `GET /api/v1/history`
/// with `from`, `to` and `points`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
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
