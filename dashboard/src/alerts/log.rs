//! The dashboard's log of alert transitions across every watched host:
//! what the servers reported and what the dashboard's own rule decided
//! (a host unreachable, then reachable again). Bounded; the alerts panel
//! lists it newest first, under what is firing now.

use std::collections::VecDeque;

use hostpulse_shared::AlertEvent;

/// Entries kept; the oldest go first.
pub const CAPACITY: usize = 500;

/// What happened.
#[derive(Debug, Clone, PartialEq)]
pub enum Happening {
    /// A transition the host's server reported.
    Server(AlertEvent),
    /// The dashboard's own rule: the host has not answered for 30 s.
    Unreachable {
        /// Why, as the connection says it.
        reason: String,
    },
    /// The host answers again.
    Reachable {
        /// How long it had not.
        silent_secs: u64,
    },
}

/// One line of the log.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    /// The host it happened on.
    pub host_id: u64,
    /// Its name when it happened.
    pub host_name: String,
    /// When (Unix ms): the sample's time for a server transition, this
    /// computer's clock for the dashboard's own rule.
    pub at_ms: u64,
    /// What.
    pub happening: Happening,
}

/// The log, oldest first inside, bounded by [`CAPACITY`].
#[derive(Debug, Default)]
pub struct AlertLog {
    entries: VecDeque<Entry>,
}

impl AlertLog {
    /// Adds an entry, dropping the oldest when full.
    pub fn push(&mut self, entry: Entry) {
        if self.entries.len() == CAPACITY {
            self.entries.pop_front();
        }
        self.entries.push_back(entry);
    }

    /// Every entry, newest first.
    pub fn newest_first(&self) -> impl Iterator<Item = &Entry> {
        self.entries.iter().rev()
    }

    /// How many entries are kept.
    #[must_use]
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether nothing happened yet.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_log_is_bounded_and_read_newest_first() {
        let mut log = AlertLog::default();
        for n in 0..(CAPACITY as u64 + 3) {
            log.push(Entry {
                host_id: 1,
                host_name: "db-1".into(),
                at_ms: n,
                happening: Happening::Reachable { silent_secs: n },
            });
        }
        assert_eq!(log.len(), CAPACITY);
        let times: Vec<u64> = log.newest_first().map(|e| e.at_ms).take(2).collect();
        assert_eq!(times, [CAPACITY as u64 + 2, CAPACITY as u64 + 1]);
        assert_eq!(log.newest_first().last().map(|e| e.at_ms), Some(3));
    }
}
