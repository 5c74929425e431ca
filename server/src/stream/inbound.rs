//! A budget on the bytes a viewer may send, enforced as they arrive.
//!
//! Viewers only ever send pongs and small control messages, so the stream of
//! a `/ws` request is wrapped in a token bucket: a burst of [`BURST_BYTES`],
//! refilled at [`REFILL_BYTES_PER_SEC`]. A peer that overdraws it gets an
//! error from its own stream, which the session turns into close 1008 (policy
//! violation): no single message can overdraw it, since a frame declaring
//! more than [`Budget::max_frame_bytes`] is refused at its header (1009), so
//! an overdraft is a flood of small frames.
//!
//! The same stream has every frame header checked before it passes (see
//! [`crate::stream::frames`]); a frame that breaks the protocol ends it with an error
//! the session turns into close 1002. The frames before the refused one still
//! reach the session first.

use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Instant;

use actix_web::HttpMessage as _;
use actix_web::body::MessageBody;
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::error::PayloadError;
use actix_web::middleware::Next;
use actix_web::web::Bytes;
use futures_core::Stream;

use crate::stream::frames::{FrameChecker, Refused, Violation};

/// Bytes a viewer may send at once.
pub const BURST_BYTES: f64 = 64.0 * 1024.0;
/// Bytes per second the allowance grows back by, up to the burst.
pub const REFILL_BYTES_PER_SEC: f64 = 16.0 * 1024.0;

/// The size of a token bucket of bytes.
#[derive(Debug, Clone, Copy)]
pub struct Budget {
    /// Bytes a peer may send at once.
    pub burst_bytes: f64,
    /// Bytes per second the allowance grows back by, up to the burst.
    pub refill_bytes_per_sec: f64,
    /// The most payload one data frame may declare; a larger one is refused
    /// at its header.
    pub max_frame_bytes: u64,
}

impl Budget {
    /// What a `/ws` viewer may send: [`BURST_BYTES`], refilled at
    /// [`REFILL_BYTES_PER_SEC`], in frames of at most
    /// [`super::ws::MAX_CLIENT_FRAME_BYTES`].
    pub const VIEWER: Self = Self {
        burst_bytes: BURST_BYTES,
        refill_bytes_per_sec: REFILL_BYTES_PER_SEC,
        max_frame_bytes: super::ws::MAX_CLIENT_FRAME_BYTES as u64,
    };
}

/// The request body stream, with a byte budget.
pub struct Budgeted<S> {
    inner: S,
    budget: Budget,
    allowance_bytes: f64,
    refilled_at: Instant,
}

impl<S> Budgeted<S> {
    /// Wraps `inner` with a full allowance of `budget`.
    pub fn new(inner: S, budget: Budget) -> Self {
        Self {
            inner,
            budget,
            allowance_bytes: budget.burst_bytes,
            refilled_at: Instant::now(),
        }
    }

    /// Takes `bytes` from the allowance at `now`; false when it does not cover them.
    fn spend(&mut self, bytes: usize, now: Instant) -> bool {
        let elapsed = now.duration_since(self.refilled_at).as_secs_f64();
        self.refilled_at = now;
        self.allowance_bytes = (self.allowance_bytes + elapsed * self.budget.refill_bytes_per_sec)
            .min(self.budget.burst_bytes);
        self.allowance_bytes -= bytes as f64;
        self.allowance_bytes >= 0.0
    }
}

impl<S> Stream for Budgeted<S>
where
    S: Stream<Item = Result<Bytes, PayloadError>> + Unpin,
{
    type Item = Result<Bytes, PayloadError>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        match Pin::new(&mut this.inner).poll_next(cx) {
            Poll::Ready(Some(Ok(bytes))) => {
                if this.spend(bytes.len(), Instant::now()) {
                    Poll::Ready(Some(Ok(bytes)))
                } else {
                    Poll::Ready(Some(Err(PayloadError::Overflow)))
                }
            }
            other => other,
        }
    }
}

/// The request body stream, passed on frame by frame as far as the frame
/// headers are allowed.
pub struct Checked<S> {
    inner: S,
    checker: FrameChecker,
    refused: Option<Refusal>,
}

/// A frame refused, and whether the reader has had a chance to take the
/// frames before it.
#[derive(Debug, Clone, Copy)]
struct Refusal {
    violation: Violation,
    yielded: bool,
}

impl<S> Checked<S> {
    /// Wraps `inner`, whose first byte starts a frame; data frames may
    /// declare at most `max_frame_bytes`.
    pub fn new(inner: S, max_frame_bytes: u64) -> Self {
        Self {
            inner,
            checker: FrameChecker::new(max_frame_bytes),
            refused: None,
        }
    }
}

impl<S> Stream for Checked<S>
where
    S: Stream<Item = Result<Bytes, PayloadError>> + Unpin,
{
    type Item = Result<Bytes, PayloadError>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        if let Some(refusal) = &mut this.refused {
            // actix-ws returns a stream error before decoding the frames it
            // has buffered: give it one empty turn to decode them first.
            if !refusal.yielded {
                refusal.yielded = true;
                cx.waker().wake_by_ref();
                return Poll::Pending;
            }
            return Poll::Ready(Some(Err(PayloadError::Io(std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                refusal.violation,
            )))));
        }
        match Pin::new(&mut this.inner).poll_next(cx) {
            Poll::Ready(Some(Ok(bytes))) => match this.checker.check(&bytes) {
                Ok(()) => Poll::Ready(Some(Ok(bytes))),
                Err(Refused {
                    frame_start,
                    violation,
                }) => {
                    this.refused = Some(Refusal {
                        violation,
                        yielded: false,
                    });
                    if frame_start > 0 {
                        Poll::Ready(Some(Ok(bytes.slice(..frame_start))))
                    } else {
                        // Nothing of these bytes passes: yield, then refuse.
                        Pin::new(this).poll_next(cx)
                    }
                }
            },
            other => other,
        }
    }
}

/// Middleware for the `/ws` resource: puts the viewer budget on the request body.
pub async fn limit(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    limit_to(Budget::VIEWER, req, next).await
}

/// Puts `budget` and the frame checks on the request body, then calls the
/// rest of the chain.
pub async fn limit_to(
    budget: Budget,
    mut req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let payload = req.take_payload();
    req.set_payload(Payload::Stream {
        // Headers first: a frame refused there costs no budget, so a frame
        // too big is told 1009 whatever came with its header.
        payload: Box::pin(Budgeted::new(
            Checked::new(payload, budget.max_frame_bytes),
            budget,
        )),
    });
    next.call(req).await
}

/// True for the error a [`Budgeted`] stream gives when overdrawn, as actix-ws
/// reports it.
#[must_use]
pub fn is_overdrawn(error: &std::io::Error) -> bool {
    error
        .get_ref()
        .and_then(|inner| inner.downcast_ref::<PayloadError>())
        .is_some_and(|payload| matches!(payload, PayloadError::Overflow))
}

/// The frame a [`Checked`] stream refused, as actix-ws reports it.
#[must_use]
pub fn violation(error: &std::io::Error) -> Option<Violation> {
    match error.get_ref()?.downcast_ref::<PayloadError>()? {
        PayloadError::Io(inner) => inner.get_ref()?.downcast_ref::<Violation>().copied(),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn the_budget_allows_a_burst_then_refills_over_time() {
        let mut budget = Budgeted::new((), Budget::VIEWER);
        let start = budget.refilled_at;
        assert!(budget.spend(60 * 1024, start));
        assert!(!budget.spend(8 * 1024, start), "the burst is spent");
        // One second later 16 KiB have come back (the overdraft is repaid first).
        let mut budget = Budgeted::new((), Budget::VIEWER);
        assert!(budget.spend(64 * 1024, start));
        assert!(budget.spend(8 * 1024, start + Duration::from_secs(1)));
        // It never refills past the burst.
        let mut budget = Budgeted::new((), Budget::VIEWER);
        assert!(!budget.spend(65 * 1024, start + Duration::from_hours(1)));
    }

    /// A stream of the given chunks.
    struct Chunks(std::collections::VecDeque<Bytes>);

    impl Stream for Chunks {
        type Item = Result<Bytes, PayloadError>;

        fn poll_next(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Option<Self::Item>> {
            Poll::Ready(self.get_mut().0.pop_front().map(Ok))
        }
    }

    fn poll(stream: &mut Checked<Chunks>) -> Poll<Option<Result<Bytes, PayloadError>>> {
        Pin::new(stream).poll_next(&mut Context::from_waker(std::task::Waker::noop()))
    }

    #[test]
    fn the_frames_before_a_refused_one_pass_then_the_stream_fails() {
        // A masked text frame "hi", then one with RSV1 set, in one chunk.
        let good: &[u8] = &[0x81, 0x82, 0, 0, 0, 0, b'h', b'i'];
        let bad: &[u8] = &[0xC1, 0x80, 0, 0, 0, 0];
        let mut stream = Checked::new(
            Chunks([Bytes::from_static(good), Bytes::from([good, bad].concat())].into()),
            u64::MAX,
        );
        assert!(matches!(poll(&mut stream), Poll::Ready(Some(Ok(b))) if b == good));
        assert!(matches!(poll(&mut stream), Poll::Ready(Some(Ok(b))) if b == good));
        assert!(
            poll(&mut stream).is_pending(),
            "a turn to decode what passed"
        );
        let Poll::Ready(Some(Err(error))) = poll(&mut stream) else {
            panic!("expected the refusal");
        };
        let wrapped = std::io::Error::other(error);
        assert_eq!(violation(&wrapped), Some(Violation::ReservedBits(0b100)));
        assert!(!is_overdrawn(&wrapped));
        assert_eq!(
            violation(&std::io::Error::other(PayloadError::Overflow)),
            None
        );
    }

    #[test]
    fn an_overdraft_is_recognised_through_actix_ws_wrapping() {
        let wrapped = std::io::Error::other(PayloadError::Overflow);
        assert!(is_overdrawn(&wrapped));
        assert!(!is_overdrawn(&std::io::Error::other("connection reset")));
    }
}
