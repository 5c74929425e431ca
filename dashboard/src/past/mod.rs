//! A host's history on the server's disk, as the dashboard reads it: the
//! ranges fetched for what the live history does not hold (older, or wider
//! than it), and the top processes of moments before it.
//!
//! Requests go out through the host's link and their answers come back on
//! it, matched by the id each request carries: the UI thread never waits.
//! At most one range request and one processes request are out at a time
//! per host; what is wanted meanwhile waits its turn, replacing anything that
//! waited before it, and the answer to a request no longer wanted is dropped
//! by its id (as is any answer with an id not out). Answers are kept in a
//! cache bounded per host ([`cache`]).
//!
//! - [`plan`]: what to ask for, for the window the plots show.
//! - [`range`]: one answer, kept as the plots read it.
//! - [`cache`]: the answers of one host, least recently drawn out first.
//! - [`names`]: the server's series names for the dashboard's metrics.

pub mod cache;
pub mod names;
pub mod plan;
pub mod range;

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use hostpulse_shared::{
    ClientMessage, HistoryRange, ProcessesAt, ProcessesRequest, RangeRequest, RequestError,
};

use self::cache::RangeCache;
use self::plan::{Need, RangeWant};
use self::range::FetchedRange;

/// An answer not come in this time is taken as lost (the server answers a
/// year in well under a second), and the next request may go.
const ANSWER_TIMEOUT: Duration = Duration::from_secs(30);
/// After a refusal, this long before asking again: the server said no for a
/// reason (it keeps no history on disk, or its disk failed).
const AFTER_REFUSAL: Duration = Duration::from_secs(15);
/// The most process lists of past moments kept per host (a few KiB each).
pub const MAX_MOMENTS: usize = 16;

/// One kind of request: the one out, and the one waiting for it.
#[derive(Debug)]
struct Flight<T> {
    /// The request out: its id, what it asked, when it went.
    out: Option<(u32, T, Instant)>,
    /// Wanted while `out` was out; goes when `out` is answered.
    waiting: Option<T>,
}

impl<T> Default for Flight<T> {
    fn default() -> Self {
        Self {
            out: None,
            waiting: None,
        }
    }
}

impl<T: Copy + PartialEq> Flight<T> {
    /// Wants `what`: nothing new if it is out already, else it waits its turn
    /// and the request out, if any, is no longer wanted.
    fn want(&mut self, what: T) {
        if self.out.as_ref().is_some_and(|(_, out, _)| *out == what) {
            self.waiting = None;
        } else {
            self.waiting = Some(what);
        }
    }

    /// Whether `what` is out or waiting.
    fn pending(&self, what: &T) -> bool {
        self.waiting.as_ref() == Some(what) || self.out.as_ref().is_some_and(|(_, o, _)| o == what)
    }

    /// The answer with `id` came: what it asked, and whether that is still
    /// wanted (nothing waits behind it). `None` for an id not out: a stale
    /// answer, dropped.
    fn answered(&mut self, id: u32) -> Option<(T, bool)> {
        match self.out {
            Some((out_id, what, _)) if out_id == id => {
                self.out = None;
                Some((what, self.waiting.is_none()))
            }
            _ => None,
        }
    }

    /// Puts the request out back to wait: its answer will not come (a new
    /// connection), but it is still wanted.
    fn requeue(&mut self) {
        if let Some((_, what, _)) = self.out.take() {
            self.waiting.get_or_insert(what);
        }
    }

    /// The next request to send, if one may go now, given its id.
    fn next(&mut self, now: Instant, next_id: &mut u32) -> Option<(u32, T)> {
        if let Some((_, _, sent)) = self.out
            && now.saturating_duration_since(sent) > ANSWER_TIMEOUT
        {
            self.out = None;
        }
        if self.out.is_some() {
            return None;
        }
        let what = self.waiting.take()?;
        *next_id = next_id.wrapping_add(1);
        self.out = Some((*next_id, what, now));
        Some((*next_id, what))
    }
}

/// A fetched range as a panel draws it, and where the live history takes
/// over from it.
#[derive(Debug, Clone, Copy)]
pub struct PastPart<'a> {
    /// The range to draw from.
    pub range: &'a FetchedRange,
    /// From here on the live history draws (Unix ms): its oldest sample.
    pub until_ms: u64,
}

/// What is known about the processes of a past moment.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum MomentState<'a> {
    /// The server's answer.
    Fetched(&'a ProcessesAt),
    /// Asked for, not answered yet.
    Loading,
    /// The server refused to say, for this reason.
    Refused(&'a str),
    /// Not asked for yet.
    Unknown,
}

/// What a host's server has on disk, as fetched so far.
#[derive(Debug, Default)]
pub struct Past {
    ranges: RangeCache,
    moments: VecDeque<ProcessesAt>,
    range_flight: Flight<RangeWant>,
    moment_flight: Flight<u64>,
    /// The id the last request was given.
    last_id: u32,
    /// The server's last refusal, and when it came.
    refusal: Option<(String, Instant)>,
    /// Whether any range was answered on this connection, or refused first.
    has_archive: Option<bool>,
    /// Where the server's history starts, once an answer told.
    oldest_ms: Option<u64>,
    /// The moment whose processes the server refused, and why.
    refused_moment: Option<(u64, String)>,
}

impl Past {
    /// The ranges fetched.
    #[must_use]
    pub fn ranges(&self) -> &RangeCache {
        &self.ranges
    }

    /// Asks for `want`, unless it is kept or out already, or the server
    /// keeps no history on disk.
    pub fn want_range(&mut self, want: RangeWant) {
        if self.has_archive != Some(false) && !self.ranges.holds(&want) {
            self.range_flight.want(want);
        }
    }

    /// Asks for the top processes at `at_ms`, unless known or out already.
    pub fn want_processes(&mut self, at_ms: u64) {
        let refused = self
            .refused_moment
            .as_ref()
            .is_some_and(|(at, _)| *at == at_ms);
        if !refused && !self.moments.iter().any(|m| m.at_ms == at_ms) {
            self.moment_flight.want(at_ms);
        }
    }

    /// Whether a range is on its way: asked for, not answered yet.
    #[must_use]
    pub fn is_loading(&self) -> bool {
        self.range_flight.out.is_some()
    }

    /// Whether a range out or waiting will serve `need` when it comes.
    #[must_use]
    pub fn pending_serves(&self, need: &Need) -> bool {
        let out = self.range_flight.out.as_ref().map(|(_, want, _)| want);
        out.into_iter()
            .chain(self.range_flight.waiting.as_ref())
            .any(|want| want.serves(need))
    }

    /// The processes of the moment `at_ms`, as far as known.
    #[must_use]
    pub fn moment(&self, at_ms: u64) -> MomentState<'_> {
        if let Some(found) = self.moments.iter().find(|m| m.at_ms == at_ms) {
            MomentState::Fetched(found)
        } else if self.moment_flight.pending(&at_ms) {
            MomentState::Loading
        } else if let Some((_, why)) = self.refused_moment.as_ref().filter(|(at, _)| *at == at_ms) {
            MomentState::Refused(why)
        } else {
            MomentState::Unknown
        }
    }

    /// The server's last refusal, for a person.
    #[must_use]
    pub fn refusal(&self) -> Option<&str> {
        self.refusal.as_ref().map(|(message, _)| message.as_str())
    }

    /// Whether the server keeps history on disk: `Some(false)` when it
    /// refused before answering any range on this connection.
    #[must_use]
    pub fn has_archive(&self) -> Option<bool> {
        self.has_archive
    }

    /// Where the server's history starts, once an answer has told.
    #[must_use]
    pub fn oldest_ms(&self) -> Option<u64> {
        self.oldest_ms
    }

    /// The requests that may go now, each with a new id: at most one range
    /// and one processes request out at a time, and none for a while after a
    /// refusal.
    pub fn outgoing(&mut self, now: Instant) -> Vec<ClientMessage> {
        if self
            .refusal
            .as_ref()
            .is_some_and(|(_, at)| now.saturating_duration_since(*at) < AFTER_REFUSAL)
        {
            return Vec::new();
        }
        let mut messages = Vec::new();
        if let Some((id, want)) = self.range_flight.next(now, &mut self.last_id) {
            messages.push(ClientMessage::HistoryRange(RangeRequest {
                id,
                from_ms: want.from_ms,
                to_ms: want.to_ms,
                points: want.points(),
            }));
        }
        if let Some((id, at_ms)) = self.moment_flight.next(now, &mut self.last_id) {
            messages.push(ClientMessage::ProcessesRequest(ProcessesRequest {
                id,
                at_ms,
            }));
        }
        messages
    }

    /// Takes a range answer: kept if it answers the range request out and
    /// that is still wanted, else dropped. True when kept.
    pub fn receive_range(&mut self, answer: &HistoryRange) -> bool {
        let Some((want, wanted)) = self.range_flight.answered(answer.id) else {
            return false;
        };
        self.has_archive = Some(true);
        self.refusal = None;
        if !wanted {
            return false;
        }
        let range = FetchedRange::new(want, answer);
        if let Some(starts) = range.data_starts_ms() {
            self.oldest_ms = Some(starts);
        }
        self.ranges.insert(range);
        true
    }

    /// Takes a processes answer: kept if it answers the request out. True
    /// when kept.
    pub fn receive_processes(&mut self, answer: ProcessesAt) -> bool {
        if self.moment_flight.answered(answer.id).is_none() {
            return false;
        }
        while self.moments.len() >= MAX_MOMENTS {
            self.moments.pop_front();
        }
        self.moments.push_back(answer);
        true
    }

    /// Takes a refusal of a request out; one of an id not out is dropped. A
    /// server that refuses a range before answering any is taken to keep no
    /// history on disk, and is not asked again on this connection.
    pub fn receive_error(&mut self, error: &RequestError, now: Instant) {
        let range = self.range_flight.answered(error.id).is_some();
        let moment = self.moment_flight.answered(error.id);
        if let Some((at_ms, _)) = moment {
            self.refused_moment = Some((at_ms, error.message.clone()));
        }
        if range || moment.is_some() {
            if range && self.has_archive.is_none() {
                self.has_archive = Some(false);
            }
            self.refusal = Some((error.message.clone(), now));
        }
    }

    /// A new connection: requests out on the old one will not be answered.
    /// What waits is sent on this one; what was out is asked again, since
    /// the view still shows it.
    pub fn reconnected(&mut self) {
        self.range_flight.requeue();
        self.moment_flight.requeue();
        self.refusal = None;
        self.has_archive = None;
        self.refused_moment = None;
    }
}

#[cfg(test)]
mod tests {
    use hostpulse_shared::{RangePoint, RangeTier};

    use super::*;

    const HOUR_MS: u64 = 3_600_000;

    fn want(hour: u64) -> RangeWant {
        RangeWant {
            from_ms: hour * HOUR_MS,
            to_ms: (hour + 24) * HOUR_MS,
            column_ms: 60_000,
        }
    }

    fn answer(id: u32, want: RangeWant) -> HistoryRange {
        HistoryRange {
            id,
            tier: RangeTier::Minute,
            step_ms: 60_000,
            from_ms: want.from_ms,
            to_ms: want.to_ms,
            series: vec!["cpu.total_percent".into()],
            points: vec![RangePoint {
                time_ms: want.from_ms,
                samples: 60,
                mean: vec![Some(1.0)],
                min: vec![Some(1.0)],
                max: vec![Some(1.0)],
            }],
            gaps: Vec::new(),
        }
    }

    fn sent_id(message: &ClientMessage) -> (u32, u64) {
        match message {
            ClientMessage::HistoryRange(request) => (request.id, request.from_ms),
            ClientMessage::ProcessesRequest(request) => (request.id, request.at_ms),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn one_request_out_at_a_time_and_stale_answers_are_dropped_by_id() {
        let now = Instant::now();
        let mut past = Past::default();
        past.want_range(want(0));
        let first = past.outgoing(now);
        let (first_id, _) = sent_id(&first[0]);
        assert!(past.is_loading());
        // Wanted again: nothing new goes out.
        past.want_range(want(0));
        assert!(past.outgoing(now).is_empty());
        // The view moved twice while the first was out: only the last waits.
        past.want_range(want(100));
        past.want_range(want(200));
        assert!(past.outgoing(now).is_empty(), "one out at a time");
        // An answer with an id never sent is dropped.
        assert!(!past.receive_range(&answer(first_id + 50, want(0))));
        // The first one's answer is no longer wanted: dropped.
        assert!(!past.receive_range(&answer(first_id, want(0))));
        assert!(past.ranges().is_empty());
        let second = past.outgoing(now);
        let (second_id, from) = sent_id(&second[0]);
        assert_eq!(from, want(200).from_ms);
        assert!(past.receive_range(&answer(second_id, want(200))));
        assert_eq!(past.ranges().len(), 1);
        assert!(!past.is_loading());
        // Kept: wanting it again asks for nothing.
        past.want_range(want(200));
        assert!(past.outgoing(now).is_empty());
    }

    #[test]
    fn a_refusal_is_shown_and_asking_pauses_then_resumes() {
        let now = Instant::now();
        let mut past = Past::default();
        past.want_range(want(0));
        let (id, _) = sent_id(&past.outgoing(now)[0]);
        past.receive_error(
            &RequestError {
                id,
                message: "this server keeps no history on disk".into(),
            },
            now,
        );
        assert_eq!(past.has_archive(), Some(false));
        assert!(past.refusal().unwrap().contains("no history on disk"));
        past.want_range(want(5));
        assert!(
            past.outgoing(now + AFTER_REFUSAL * 2).is_empty(),
            "no history on disk: not asked again"
        );
        // A processes request refused is said so, and asked again only after a
        // pause.
        past.want_processes(7);
        past.want_processes(8);
        assert!(past.outgoing(now).is_empty(), "not at once after a refusal");
        let (id, at) = sent_id(&past.outgoing(now + AFTER_REFUSAL * 2)[0]);
        assert_eq!(at, 8);
        past.receive_error(
            &RequestError {
                id,
                message: "the read failed".into(),
            },
            now,
        );
        assert_eq!(past.moment(8), MomentState::Refused("the read failed"));
        past.want_processes(8);
        assert!(past.outgoing(now + AFTER_REFUSAL * 4).is_empty());
        // A new connection may answer.
        past.reconnected();
        past.want_range(want(5));
        assert_eq!(past.outgoing(now).len(), 1);
    }

    #[test]
    fn a_lost_answer_frees_the_slot_and_a_reconnect_asks_again() {
        let now = Instant::now();
        let mut past = Past::default();
        past.want_processes(42);
        let (id, at) = sent_id(&past.outgoing(now)[0]);
        assert_eq!(at, 42);
        assert_eq!(past.moment(42), MomentState::Loading);
        past.reconnected();
        let (again, at) = sent_id(&past.outgoing(now)[0]);
        assert_eq!(at, 42);
        assert_ne!(again, id);
        // The answer to the request on the old connection is stale.
        let stale = ProcessesAt {
            id,
            at_ms: 42,
            tier: None,
            time_ms: None,
            processes: Vec::new(),
        };
        assert!(!past.receive_processes(stale.clone()));
        assert!(past.receive_processes(ProcessesAt { id: again, ..stale }));
        assert!(matches!(past.moment(42), MomentState::Fetched(_)));
        // Unanswered for too long: the slot frees.
        past.want_processes(43);
        assert_eq!(past.outgoing(now).len(), 1);
        past.want_processes(44);
        assert!(past.outgoing(now).is_empty());
        assert_eq!(past.outgoing(now + ANSWER_TIMEOUT * 2).len(), 1);
    }

    #[test]
    fn moments_kept_are_bounded() {
        let now = Instant::now();
        let mut past = Past::default();
        for at_ms in 0..(MAX_MOMENTS as u64 + 5) {
            past.want_processes(at_ms);
            let (id, _) = sent_id(&past.outgoing(now)[0]);
            assert!(past.receive_processes(ProcessesAt {
                id,
                at_ms,
                tier: None,
                time_ms: None,
                processes: Vec::new(),
            }));
        }
        assert_eq!(past.moments.len(), MAX_MOMENTS);
        assert_eq!(past.moment(0), MomentState::Unknown, "the oldest went");
    }
}
