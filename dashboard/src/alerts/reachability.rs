//! The dashboard's own alert rule: a watched host that has not answered for
//! 30 s. A host that cannot be reached cannot report that itself, so the
//! dashboard decides it from its link: dialling or down is no answer; live,
//! or refusing the token (401, 429), is an answer. The clock is an argument,
//! so the rule is tested without waiting.

use std::collections::HashMap;
use std::time::{Duration, Instant};

/// How long a host may go without answering before it counts as
/// unreachable.
pub const UNREACHABLE_AFTER: Duration = Duration::from_secs(30);

/// A change the rule announces.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    /// The host has not answered since `since_ms` (Unix ms), 30 s ago.
    Unreachable {
        /// When it stopped answering.
        since_ms: u64,
    },
    /// The host answers again, after being announced unreachable.
    Reachable {
        /// How long it had not answered.
        silent_secs: u64,
    },
}

#[derive(Debug, Clone, Copy)]
struct Silence {
    since: Instant,
    since_ms: u64,
    announced: bool,
}

/// The rule's state for every host, by host id.
#[derive(Debug, Default)]
pub struct Reachability {
    silent: HashMap<u64, Silence>,
}

impl Reachability {
    /// Takes whether host `id` answers at `now` (`now_ms` on the wall
    /// clock, the same instant) and says what changed, if anything.
    pub fn step(&mut self, id: u64, answering: bool, now: Instant, now_ms: u64) -> Option<Change> {
        if answering {
            let silence = self.silent.remove(&id)?;
            return silence.announced.then(|| Change::Reachable {
                silent_secs: now.saturating_duration_since(silence.since).as_secs(),
            });
        }
        let silence = self.silent.entry(id).or_insert(Silence {
            since: now,
            since_ms: now_ms,
            announced: false,
        });
        if silence.announced || now.saturating_duration_since(silence.since) < UNREACHABLE_AFTER {
            return None;
        }
        silence.announced = true;
        Some(Change::Unreachable {
            since_ms: silence.since_ms,
        })
    }

    /// Since when (Unix ms) host `id` is unreachable, once announced.
    #[must_use]
    pub fn unreachable_since(&self, id: u64) -> Option<u64> {
        self.silent
            .get(&id)
            .filter(|silence| silence.announced)
            .map(|silence| silence.since_ms)
    }

    /// When the next silent host reaches [`UNREACHABLE_AFTER`], so the app
    /// looks again then rather than on a timer.
    #[must_use]
    pub fn next_deadline(&self) -> Option<Instant> {
        self.silent
            .values()
            .filter(|silence| !silence.announced)
            .map(|silence| silence.since + UNREACHABLE_AFTER)
            .min()
    }

    /// Forgets a host that is no longer watched.
    pub fn forget(&mut self, id: u64) {
        self.silent.remove(&id);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thirty_seconds_without_an_answer_is_announced_once_and_the_return_too() {
        let start = Instant::now();
        let at = |secs: u64| (start + Duration::from_secs(secs), 1_000_000 + secs * 1000);
        let mut rule = Reachability::default();
        let step = |rule: &mut Reachability, answering, secs| {
            let (now, now_ms) = at(secs);
            rule.step(7, answering, now, now_ms)
        };
        assert_eq!(step(&mut rule, true, 0), None);
        assert_eq!(step(&mut rule, false, 5), None, "silent since 5 s");
        assert_eq!(rule.next_deadline(), Some(at(35).0));
        assert_eq!(step(&mut rule, false, 34), None);
        assert_eq!(
            step(&mut rule, false, 35),
            Some(Change::Unreachable {
                since_ms: 1_005_000
            })
        );
        assert_eq!(step(&mut rule, false, 90), None, "announced once");
        assert_eq!(rule.unreachable_since(7), Some(1_005_000));
        assert_eq!(rule.next_deadline(), None);
        assert_eq!(
            step(&mut rule, true, 125),
            Some(Change::Reachable { silent_secs: 120 })
        );
        assert_eq!(rule.unreachable_since(7), None);

        // A short outage is no news, either way.
        assert_eq!(step(&mut rule, false, 200), None);
        assert_eq!(step(&mut rule, true, 229), None);
        assert_eq!(step(&mut rule, false, 230), None);
        rule.forget(7);
        assert_eq!(rule.next_deadline(), None);
    }
}
