//! How many frames a session has queued that the connection has not taken yet,
//! so a viewer that reads slowly holds at most [`MAX_PENDING_FRAMES`] of them.
//!
//! actix-ws queues up to 32 messages per session, and a viewer that stops
//! reading would let that queue fill with its own history chunks. Instead, the
//! response body is wrapped to count what actix-http takes from it, and the
//! session waits for room before handing over each frame; while it waits, live
//! samples pile up in the shared broadcast, not here, and a session that falls
//! behind it catches up from the shared history. No progress for
//! [`crate::stream::ws::SEND_TIMEOUT`] means the viewer stopped reading.
//!
//! The count is conservative: a frame is counted as handed over just before it
//! is queued, and everything handed over counts as taken once the body yields
//! (actix-ws's body drains its whole queue each time it is polled). A frame
//! can be counted as taken a moment early, never as pending after it was
//! taken, so the wait can never outlast the viewer's own reading.

use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{Context, Poll};

use actix_web::HttpResponse;
use actix_web::body::{BodySize, BoxBody, MessageBody};
use actix_web::web::Bytes;
use tokio::sync::Notify;

/// Frames a session may have queued beyond what the connection has taken.
pub const MAX_PENDING_FRAMES: u64 = 2;

/// What the session handed over, and how much of it the body has yielded.
#[derive(Debug, Default)]
struct Counts {
    handed: AtomicU64,
    taken: AtomicU64,
    progress: Notify,
}

/// The session's side: counts frames handed over and waits for room.
#[derive(Debug)]
pub struct Backlog {
    counts: Arc<Counts>,
}

/// No frame was taken for the whole wait: the viewer stopped reading.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stalled;

impl Backlog {
    /// Wraps the upgrade response's body so what it yields is counted.
    #[must_use]
    pub fn watch(response: HttpResponse) -> (HttpResponse, Self) {
        let counts = Arc::new(Counts::default());
        let body_counts = Arc::clone(&counts);
        let response = response
            .map_body(move |_, inner| CountedBody {
                inner,
                counts: body_counts,
            })
            .map_into_boxed_body();
        (response, Self { counts })
    }

    /// Frames handed over and not yet taken.
    #[must_use]
    pub fn pending(&self) -> u64 {
        let handed = self.counts.handed.load(Ordering::Acquire);
        handed.saturating_sub(self.counts.taken.load(Ordering::Acquire))
    }

    /// Waits until fewer than [`MAX_PENDING_FRAMES`] are pending, then counts
    /// one more as handed over. Gives up after `patience` without progress.
    pub async fn reserve(&self, patience: std::time::Duration) -> Result<(), Stalled> {
        while self.pending() >= MAX_PENDING_FRAMES {
            // A permit stored by an earlier yield makes this return at once;
            // the loop then checks again.
            tokio::time::timeout(patience, self.counts.progress.notified())
                .await
                .map_err(|_| Stalled)?;
        }
        self.counts.handed.fetch_add(1, Ordering::AcqRel);
        Ok(())
    }
}

/// The response body, counting what actix-http takes.
struct CountedBody {
    inner: BoxBody,
    counts: Arc<Counts>,
}

impl MessageBody for CountedBody {
    type Error = <BoxBody as MessageBody>::Error;

    fn size(&self) -> BodySize {
        self.inner.size()
    }

    fn poll_next(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Bytes, Self::Error>>> {
        // Read before polling: whatever was handed over by now is in the queue
        // the inner body drains.
        let handed = self.counts.handed.load(Ordering::Acquire);
        let polled = Pin::new(&mut self.inner).poll_next(cx);
        if let Poll::Ready(Some(Ok(_))) = &polled {
            self.counts.taken.fetch_max(handed, Ordering::AcqRel);
            self.counts.progress.notify_one();
        }
        polled
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests fail loudly")]

    use std::time::Duration;

    use super::*;

    #[actix_web::test]
    async fn waits_for_the_body_to_take_frames_and_gives_up_without_progress() {
        let (response, backlog) = Backlog::watch(HttpResponse::Ok().body("frame"));
        let patience = Duration::from_millis(50);
        backlog.reserve(patience).await.unwrap();
        backlog.reserve(patience).await.unwrap();
        assert_eq!(backlog.pending(), 2);
        // Nothing reads the body: no room for a third.
        assert_eq!(backlog.reserve(patience).await, Err(Stalled));

        // The connection takes what was queued: room again.
        let body = actix_web::body::to_bytes(response.into_body())
            .await
            .unwrap();
        assert_eq!(body, "frame");
        assert_eq!(backlog.pending(), 0);
        backlog.reserve(patience).await.unwrap();
        assert_eq!(backlog.pending(), 1);
    }
}
