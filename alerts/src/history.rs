//! The alert transitions kept for `GET /api/v1/alerts/history`, newest
//! kept, bounded by count and, when a retention is set, by age. This is the
//! log in memory; `journal` keeps it on disk so that it survives restarts
//! (without a data directory, or with the history in memory only, a restart
//! starts it empty).

use std::collections::VecDeque;
use std::time::Duration;

use hostpulse_shared::AlertEvent;

/// Transitions kept; older ones are dropped first.
pub const DEFAULT_CAPACITY: usize = 1000;

/// A bounded log of alert transitions, oldest first.
#[derive(Debug, Clone)]
pub struct History {
    capacity: usize,
    retention_ms: Option<u64>,
    events: VecDeque<AlertEvent>,
}

impl Default for History {
    fn default() -> Self {
        Self::with_capacity(DEFAULT_CAPACITY)
    }
}

impl History {
    /// A log keeping at most `capacity` transitions (at least one), of any
    /// age.
    #[must_use]
    pub fn with_capacity(capacity: usize) -> Self {
        let capacity = capacity.max(1);
        Self {
            capacity,
            retention_ms: None,
            events: VecDeque::with_capacity(capacity.min(64)),
        }
    }

    /// The same log, also forgetting transitions older than `retention`
    /// before the newest one (`None`: kept whatever their age).
    #[must_use]
    pub fn retaining(mut self, retention: Option<Duration>) -> Self {
        self.retention_ms = retention.map(|r| u64::try_from(r.as_millis()).unwrap_or(u64::MAX));
        self
    }

    /// The most transitions it keeps.
    #[must_use]
    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// Adds a transition, dropping the oldest when full and any past the
    /// retention.
    pub fn push(&mut self, event: AlertEvent) {
        let now_ms = event.timestamp_ms;
        if self.events.len() == self.capacity {
            self.events.pop_front();
        }
        self.events.push_back(event);
        self.forget_before(now_ms);
    }

    /// Drops the transitions past the retention as of `now_ms`.
    pub fn forget_before(&mut self, now_ms: u64) {
        let Some(retention_ms) = self.retention_ms else {
            return;
        };
        let oldest_kept_ms = now_ms.saturating_sub(retention_ms);
        while self
            .events
            .front()
            .is_some_and(|e| e.timestamp_ms < oldest_kept_ms)
        {
            self.events.pop_front();
        }
    }

    /// Transitions with `from_ms <= timestamp_ms < to_ms`, oldest first.
    #[must_use]
    pub fn range(&self, from_ms: u64, to_ms: u64) -> Vec<AlertEvent> {
        self.events
            .iter()
            .filter(|e| (from_ms..to_ms).contains(&e.timestamp_ms))
            .cloned()
            .collect()
    }

    /// Every transition kept, oldest first.
    pub fn iter(&self) -> impl Iterator<Item = &AlertEvent> {
        self.events.iter()
    }

    /// How many transitions are kept now.
    #[must_use]
    pub fn len(&self) -> usize {
        self.events.len()
    }

    /// Whether none is.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.events.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(timestamp_ms: u64) -> AlertEvent {
        crate::testing::firing("r", timestamp_ms)
    }

    #[test]
    fn the_log_is_bounded_and_answers_half_open_ranges() {
        let mut history = History::with_capacity(3);
        for t in [10, 20, 30, 40] {
            history.push(at(t));
        }
        assert_eq!(history.len(), 3, "the oldest was dropped");
        let times = |from, to| -> Vec<u64> {
            history
                .range(from, to)
                .iter()
                .map(|e| e.timestamp_ms)
                .collect()
        };
        assert_eq!(times(0, u64::MAX), [20, 30, 40]);
        assert_eq!(times(20, 40), [20, 30]);
        assert!(times(41, 50).is_empty());
    }

    #[test]
    fn transitions_past_the_retention_are_forgotten() {
        let mut history = History::with_capacity(10).retaining(Some(Duration::from_millis(15)));
        for t in [10, 20, 30] {
            history.push(at(t));
        }
        let times: Vec<u64> = history.iter().map(|e| e.timestamp_ms).collect();
        assert_eq!(times, [20, 30], "10 is more than 15 ms before 30");
        history.forget_before(100);
        assert!(history.is_empty());
    }
}
