//! The range and processes reads, the same for `GET /api/v1/history?from=`,
//! `GET /api/v1/processes?at=` and the stream's `history_range` and
//! `processes_request`: what is refused, and the answer on the wire.

use hostpulse_shared::{HistoryRange, ProcessesAt};
use hostpulse_store::RangeError;

use crate::hub::Hub;

/// The most points per series one range read may ask for: more than a wide
/// screen has pixels.
pub const MAX_RANGE_POINTS: u32 = 10_000;

/// Why a read was refused; each names the parameter (the REST query
/// parameter, the message field) at fault, if one is.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// The server keeps no history on disk.
    #[error(
        "this server keeps no history on disk (it runs with --history-memory-only): range and \
         processes reads need it"
    )]
    MemoryOnly,
    /// `points` out of range.
    #[error("expected 1 to {MAX_RANGE_POINTS} points per series, got {0}")]
    Points(u32),
    /// The end is before the start.
    #[error("the end ({to_ms} ms) is before the start ({from_ms} ms): swap them")]
    Backwards {
        /// Start asked.
        from_ms: u64,
        /// End asked.
        to_ms: u64,
    },
    /// The read itself failed.
    #[error("{0}")]
    Failed(String),
}

impl Refusal {
    /// The query parameter at fault, for REST.
    #[must_use]
    pub fn parameter(&self) -> Option<&'static str> {
        match self {
            Self::Points(_) => Some("points"),
            Self::Backwards { .. } => Some("to"),
            Self::MemoryOnly | Self::Failed(_) => None,
        }
    }

    /// The request's field at fault, for the stream.
    #[must_use]
    pub fn field(&self) -> Option<&'static str> {
        match self {
            Self::Points(_) => Some("points"),
            Self::Backwards { .. } => Some("to_ms"),
            Self::MemoryOnly | Self::Failed(_) => None,
        }
    }
}

/// The history between `from_ms` and `to_ms` in at most `points` points per
/// series, answering the request `id`.
pub async fn range(
    hub: &Hub,
    id: u32,
    from_ms: u64,
    to_ms: u64,
    points: u32,
) -> Result<HistoryRange, Refusal> {
    let archive = hub.archive().ok_or(Refusal::MemoryOnly)?;
    if !(1..=MAX_RANGE_POINTS).contains(&points) {
        return Err(Refusal::Points(points));
    }
    if to_ms < from_ms {
        return Err(Refusal::Backwards { from_ms, to_ms });
    }
    let read = archive
        .read(move |archive| archive.range(from_ms, to_ms, points as usize))
        .await
        .map_err(|error| Refusal::Failed(error.to_string()))?;
    match read {
        Ok(range) => Ok(range.into_wire(id, from_ms, to_ms)),
        Err(RangeError::Backwards { from_ms, to_ms }) => Err(Refusal::Backwards { from_ms, to_ms }),
        Err(RangeError::NoPoints) => Err(Refusal::Points(0)),
    }
}

/// The top processes nearest to `at_ms`, answering the request `id`.
pub async fn processes(hub: &Hub, id: u32, at_ms: u64) -> Result<ProcessesAt, Refusal> {
    let archive = hub.archive().ok_or(Refusal::MemoryOnly)?;
    let found = archive
        .read(move |archive| archive.processes_at(at_ms))
        .await
        .map_err(|error| Refusal::Failed(error.to_string()))?;
    Ok(match found {
        Some((tier, time_ms, processes)) => ProcessesAt {
            id,
            at_ms,
            tier: Some(tier.wire()),
            time_ms: Some(time_ms),
            processes,
        },
        None => ProcessesAt {
            id,
            at_ms,
            tier: None,
            time_ms: None,
            processes: Vec::new(),
        },
    })
}
