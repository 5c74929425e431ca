//! Did a viewer get every sample? The protocol promises that `seq` rises by one
//! with no gap and no duplicate across a viewer's whole stream (history, then
//! live). [`SeqTracker`] follows one viewer's stream and keeps just enough to
//! say, at the end of a run, how many samples it missed up to a given seq and
//! how many it got twice — without storing the samples.

use std::ops::RangeInclusive;

/// One viewer's stream of `(epoch, seq)`.
#[derive(Debug, Default, Clone)]
pub struct SeqTracker {
    epoch: Option<u64>,
    first: Option<u64>,
    last: Option<u64>,
    /// Seqs skipped, as inclusive ranges in rising order.
    gaps: Vec<RangeInclusive<u64>>,
    duplicates: u64,
    epoch_changes: u64,
}

/// What one observed sample meant for the stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Seen {
    /// The next seq, or the first one.
    Next,
    /// A seq at or below the last one: sent twice (or out of order).
    Duplicate,
    /// This many seqs were skipped before this one.
    Gap(u64),
    /// Another epoch: the server restarted. The stream starts afresh here.
    EpochChanged,
}

impl SeqTracker {
    /// Follows a new stream.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Takes note of one received sample.
    pub fn observe(&mut self, epoch: u64, seq: u64) -> Seen {
        if self.epoch.is_some_and(|known| known != epoch) {
            self.epoch_changes += 1;
            self.epoch = Some(epoch);
            self.first = Some(seq);
            self.last = Some(seq);
            self.gaps.clear();
            return Seen::EpochChanged;
        }
        self.epoch = Some(epoch);
        let Some(last) = self.last else {
            self.first = Some(seq);
            self.last = Some(seq);
            return Seen::Next;
        };
        if seq <= last {
            self.duplicates += 1;
            return Seen::Duplicate;
        }
        self.last = Some(seq);
        if seq == last + 1 {
            Seen::Next
        } else {
            self.gaps.push(last + 1..=seq - 1);
            Seen::Gap(seq - last - 1)
        }
    }

    /// The newest seq received, if any.
    #[must_use]
    pub fn last(&self) -> Option<u64> {
        self.last
    }

    /// The first seq received (of the current epoch), if any.
    #[must_use]
    pub fn first(&self) -> Option<u64> {
        self.first
    }

    /// Samples received twice.
    #[must_use]
    pub fn duplicates(&self) -> u64 {
        self.duplicates
    }

    /// How often the epoch changed mid-stream.
    #[must_use]
    pub fn epoch_changes(&self) -> u64 {
        self.epoch_changes
    }

    /// Samples this viewer should have had from its first seq up to `target`
    /// inclusive (0 if it received nothing, or started after `target`).
    #[must_use]
    pub fn expected_up_to(&self, target: u64) -> u64 {
        match self.first {
            Some(first) if first <= target => target - first + 1,
            _ => 0,
        }
    }

    /// Samples missing from its first seq up to `target` inclusive: the gaps
    /// below `target`, plus everything after its last seq if it stopped short.
    #[must_use]
    pub fn missed_up_to(&self, target: u64) -> u64 {
        let Some(last) = self.last else {
            return 0;
        };
        let in_gaps: u64 = self
            .gaps
            .iter()
            .filter(|gap| *gap.start() <= target)
            .map(|gap| (*gap.end()).min(target) - gap.start() + 1)
            .sum();
        in_gaps + target.saturating_sub(last)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tracker(seqs: &[u64]) -> SeqTracker {
        let mut tracker = SeqTracker::new();
        for &seq in seqs {
            tracker.observe(7, seq);
        }
        tracker
    }

    #[test]
    fn a_contiguous_stream_misses_nothing() {
        let tracker = tracker(&[40, 41, 42, 43]);
        assert_eq!(tracker.expected_up_to(43), 4);
        assert_eq!(tracker.missed_up_to(43), 0);
        assert_eq!(tracker.duplicates(), 0);
    }

    #[test]
    fn gaps_and_a_short_tail_count_as_missed() {
        let mut tracker = SeqTracker::new();
        assert_eq!(tracker.observe(7, 10), Seen::Next);
        assert_eq!(tracker.observe(7, 13), Seen::Gap(2));
        assert_eq!(tracker.observe(7, 14), Seen::Next);
        assert_eq!(tracker.observe(7, 20), Seen::Gap(5));
        // Up to 22: 11, 12, 15..=19, 21, 22.
        assert_eq!(tracker.expected_up_to(22), 13);
        assert_eq!(tracker.missed_up_to(22), 9);
        // Up to 16: 11, 12, 15, 16; the rest lies beyond the target.
        assert_eq!(tracker.missed_up_to(16), 4);
    }

    #[test]
    fn repeats_are_duplicates() {
        let mut tracker = tracker(&[1, 2, 3]);
        assert_eq!(tracker.observe(7, 3), Seen::Duplicate);
        assert_eq!(tracker.observe(7, 1), Seen::Duplicate);
        assert_eq!(tracker.duplicates(), 2);
        assert_eq!(tracker.missed_up_to(3), 0);
    }

    #[test]
    fn a_new_epoch_starts_the_stream_afresh() {
        let mut tracker = tracker(&[100, 101]);
        assert_eq!(tracker.observe(8, 0), Seen::EpochChanged);
        assert_eq!(tracker.observe(8, 1), Seen::Next);
        assert_eq!(tracker.epoch_changes(), 1);
        assert_eq!(tracker.first(), Some(0));
        assert_eq!(tracker.missed_up_to(1), 0);
    }

    #[test]
    fn nothing_received_expects_nothing() {
        let tracker = SeqTracker::new();
        assert_eq!(tracker.expected_up_to(5), 0);
        assert_eq!(tracker.missed_up_to(5), 0);
        assert_eq!(tracker.last(), None);
    }
}
