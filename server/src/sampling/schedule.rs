//! When the sampler ticks. Ticks sit on multiples of the interval in wall-clock
//! time (a 1 s interval ticks on whole seconds, like every other tool on the
//! host), and deadlines are computed from one anchor, so they never drift however
//! long each sample takes. A tick that is already past is skipped, not bunched up.

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// The sequence of tick deadlines of a sampler.
#[derive(Debug, Clone)]
pub struct Schedule {
    anchor: Instant,
    interval: Duration,
    next_tick: u32,
}

impl Schedule {
    /// A schedule whose first tick is the next multiple of `interval` in Unix time.
    #[must_use]
    pub fn aligned(interval: Duration, now: Instant, now_wall: SystemTime) -> Self {
        let since_epoch = now_wall.duration_since(UNIX_EPOCH).unwrap_or_default();
        let interval_nanos = interval.as_nanos().max(1);
        let into_interval = since_epoch.as_nanos() % interval_nanos;
        // The remainder is below the interval, which fits a u64 of nanoseconds.
        let until_boundary =
            Duration::from_nanos(u64::try_from(interval_nanos - into_interval).unwrap_or(0));
        Self {
            anchor: now + until_boundary,
            interval,
            next_tick: 0,
        }
    }

    /// The next deadline that is not before `now`, skipping ticks already missed.
    pub fn next_deadline(&mut self, now: Instant) -> Instant {
        let mut deadline = self.deadline(self.next_tick);
        if deadline < now {
            let behind = now.duration_since(self.anchor);
            let ticks_behind = behind.as_nanos() / self.interval.as_nanos().max(1);
            self.next_tick = u32::try_from(ticks_behind + 1).unwrap_or(u32::MAX);
            deadline = self.deadline(self.next_tick);
        }
        self.next_tick = self.next_tick.saturating_add(1);
        deadline
    }

    fn deadline(&self, tick: u32) -> Instant {
        self.anchor + self.interval * tick
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECOND: Duration = Duration::from_secs(1);

    #[test]
    fn first_tick_is_on_the_next_interval_boundary() {
        let now = Instant::now();
        let wall = UNIX_EPOCH + Duration::from_millis(1_700_000_000_250);
        let mut schedule = Schedule::aligned(SECOND, now, wall);
        assert_eq!(
            schedule.next_deadline(now),
            now + Duration::from_millis(750)
        );
    }

    #[test]
    fn deadlines_do_not_drift_when_work_takes_time() {
        let now = Instant::now();
        let mut schedule = Schedule::aligned(SECOND, now, UNIX_EPOCH);
        let first = schedule.next_deadline(now);
        // Each tick's work finishes 300 ms after its deadline; the next deadline
        // still lands exactly one interval after the previous one.
        let mut previous = first;
        for _ in 0..5 {
            let next = schedule.next_deadline(previous + Duration::from_millis(300));
            assert_eq!(next, previous + SECOND);
            previous = next;
        }
    }

    #[test]
    fn missed_ticks_are_skipped() {
        let now = Instant::now();
        let mut schedule = Schedule::aligned(SECOND, now, UNIX_EPOCH);
        let first = schedule.next_deadline(now);
        // Stalled for 3.5 intervals: the next deadline is the first one still ahead.
        let late = first + Duration::from_millis(3500);
        assert_eq!(schedule.next_deadline(late), first + SECOND * 4);
        assert_eq!(schedule.next_deadline(late), first + SECOND * 5);
    }
}
