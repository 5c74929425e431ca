//! The alert transitions of this server's life, newest kept, bounded by
//! count. This is an in-memory log: it starts empty at each start (what is
//! firing survives a restart through `persist`, the log does not).

use std::collections::VecDeque;

use hostpulse_shared::AlertEvent;

/// Transitions kept; older ones are dropped first.
pub const DEFAULT_CAPACITY: usize = 1000;

/// A bounded log of alert transitions, oldest first.
#[derive(Debug, Clone)]
pub struct History {
    capacity: usize,
    events: VecDeque<AlertEvent>,
}

impl Default for History {
    fn default() -> Self {
        Self::with_capacity(DEFAULT_CAPACITY)
    }
}

impl History {
    /// A log keeping at most `capacity` transitions (at least one).
    #[must_use]
    pub fn with_capacity(capacity: usize) -> Self {
        let capacity = capacity.max(1);
        Self {
            capacity,
            events: VecDeque::with_capacity(capacity.min(64)),
        }
    }

    /// Adds a transition, dropping the oldest when full.
    pub fn push(&mut self, event: AlertEvent) {
        if self.events.len() == self.capacity {
            self.events.pop_front();
        }
        self.events.push_back(event);
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
    use hostpulse_shared::{AlertState, Severity};

    use super::*;

    fn at(timestamp_ms: u64) -> AlertEvent {
        AlertEvent {
            rule: "r".into(),
            metric: "cpu.total_percent".into(),
            instance: String::new(),
            state: AlertState::Firing,
            severity: Severity::Warning,
            value: 1.0,
            threshold: 0.0,
            timestamp_ms,
            firing_since_ms: timestamp_ms,
            description: None,
        }
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
}
