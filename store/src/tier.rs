//! The three tiers and the time spans they cut data into: rows per bucket,
//! rows per block (the unit of compression), blocks per segment file (the
//! unit of deletion for retention and the size cap).

use serde::{Deserialize, Serialize};

const MINUTE_MS: u64 = 60_000;
const HOUR_MS: u64 = 60 * MINUTE_MS;
const DAY_MS: u64 = 24 * HOUR_MS;

/// One resolution of the history.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Tier {
    /// Every sample.
    Raw,
    /// Min, mean and max per minute.
    Minute,
    /// Min, mean and max per hour.
    Hour,
}

impl Tier {
    /// Finest first.
    pub const ALL: [Tier; 3] = [Tier::Raw, Tier::Minute, Tier::Hour];

    /// Its place in [`Tier::ALL`].
    #[must_use]
    pub fn index(self) -> usize {
        match self {
            Tier::Raw => 0,
            Tier::Minute => 1,
            Tier::Hour => 2,
        }
    }

    /// The tier as the wire names it.
    #[must_use]
    pub fn wire(self) -> hostpulse_shared::RangeTier {
        use hostpulse_shared::RangeTier;
        match self {
            Tier::Raw => RangeTier::Raw,
            Tier::Minute => RangeTier::Minute,
            Tier::Hour => RangeTier::Hour,
        }
    }

    /// The folder and the name in answers.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Tier::Raw => "raw",
            Tier::Minute => "minute",
            Tier::Hour => "hour",
        }
    }

    /// The span of one row; `None` for raw (one row per sample).
    #[must_use]
    pub fn bucket_ms(self) -> Option<u64> {
        match self {
            Tier::Raw => None,
            Tier::Minute => Some(MINUTE_MS),
            Tier::Hour => Some(HOUR_MS),
        }
    }

    /// Columns per series in a block: one value, or min, mean and max.
    #[must_use]
    pub fn stats(self) -> usize {
        match self {
            Tier::Raw => 1,
            Tier::Minute | Tier::Hour => 3,
        }
    }

    /// The span one block covers, aligned to multiples of it since 1970.
    /// Each series of a block is compressed on its own, and pco sets up a
    /// decoder per column: the aggregated tiers' blocks are long (360 and
    /// 168 rows) so that a day or a year is read in a few dozen blocks, not
    /// hundreds. The open block's rows are journaled, so its length costs
    /// nothing at start.
    #[must_use]
    pub fn block_ms(self) -> u64 {
        match self {
            Tier::Raw => 15 * MINUTE_MS,
            Tier::Minute => 6 * HOUR_MS,
            Tier::Hour => 7 * DAY_MS,
        }
    }

    /// The span one segment file covers, aligned the same way.
    #[must_use]
    pub fn segment_ms(self) -> u64 {
        match self {
            Tier::Raw => 6 * HOUR_MS,
            Tier::Minute => 7 * DAY_MS,
            Tier::Hour => 91 * DAY_MS,
        }
    }

    /// The tier one step coarser, which this one feeds.
    #[must_use]
    pub fn coarser(self) -> Option<Tier> {
        match self {
            Tier::Raw => Some(Tier::Minute),
            Tier::Minute => Some(Tier::Hour),
            Tier::Hour => None,
        }
    }
}

/// The start of the span of `span_ms` that holds `time_ms`.
#[must_use]
pub fn align(time_ms: u64, span_ms: u64) -> u64 {
    time_ms - time_ms % span_ms
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_nest_in_segments_and_buckets_in_blocks() {
        for tier in Tier::ALL {
            assert_eq!(tier.segment_ms() % tier.block_ms(), 0, "{tier:?}");
            if let Some(bucket) = tier.bucket_ms() {
                assert_eq!(tier.block_ms() % bucket, 0, "{tier:?}");
            }
        }
        assert_eq!(align(3_599_999, HOUR_MS), 0);
        assert_eq!(align(3_600_000, HOUR_MS), 3_600_000);
    }
}
