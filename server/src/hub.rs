//! The meeting point of the sampler and the sessions: it holds the latest sample,
//! encodes each sample once, and fans the same bytes out to every session.
//!
//! The broadcast channel is bounded; a session that falls behind skips to newer
//! samples instead of growing a queue (DESIGN invariant 3).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, RwLock};

use bytestring::ByteString;
use hostpulse_shared::codec::encode_json;
use hostpulse_shared::{Hello, Sample, ServerMessageRef};
use tokio::sync::{broadcast, watch};

/// Samples kept for sessions that are momentarily behind. Beyond this a session
/// skips ahead: a live view wants the newest sample, not a backlog.
const BROADCAST_CAPACITY: usize = 8;

/// One sample, encoded once and shared by every session that sends it.
#[derive(Debug, Clone)]
pub struct Frame {
    /// The sample's sequence number, so a session can skip what it already sent.
    pub seq: u64,
    /// The JSON text frame. Cloning it shares the bytes.
    pub json: ByteString,
}

/// Shared state between the sampler thread, the HTTP routes and the sessions.
#[derive(Debug)]
pub struct Hub {
    hello_json: ByteString,
    interval_ms: u64,
    /// Latest sample and its frame, read by new sessions and REST. A std lock:
    /// it is held only to clone two `Arc`s, never across an await.
    latest: RwLock<Option<Latest>>,
    frames: broadcast::Sender<Frame>,
    shutdown: watch::Sender<bool>,
    clients: AtomicUsize,
}

/// The most recent sample, decoded for REST and encoded for the stream.
#[derive(Debug, Clone)]
pub struct Latest {
    /// The sample itself.
    pub sample: Arc<Sample>,
    /// When it was published, for health checks.
    pub published_at: std::time::Instant,
    /// Its encoded frame.
    pub frame: Frame,
}

/// A message could not be encoded. Our own types always encode; this would be a bug.
#[derive(Debug, thiserror::Error)]
#[error("cannot encode a server message: {0}")]
pub struct EncodeError(#[from] hostpulse_shared::CodecError);

impl Hub {
    /// A hub for a server that greets every viewer with `hello`.
    pub fn new(hello: &Hello) -> Result<Self, EncodeError> {
        let hello_json = encode_json(&ServerMessageRef::Hello(hello))?.into();
        Ok(Self {
            hello_json,
            interval_ms: hello.interval_ms,
            latest: RwLock::new(None),
            frames: broadcast::channel(BROADCAST_CAPACITY).0,
            shutdown: watch::channel(false).0,
            clients: AtomicUsize::new(0),
        })
    }

    /// Encodes `sample` once and hands the frame to every session.
    pub fn publish(&self, sample: Sample) -> Result<(), EncodeError> {
        let json: ByteString = encode_json(&ServerMessageRef::Sample(&sample))?.into();
        let frame = Frame {
            seq: sample.seq,
            json,
        };
        let latest = Latest {
            sample: Arc::new(sample),
            published_at: std::time::Instant::now(),
            frame: frame.clone(),
        };
        *self
            .latest
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(latest);
        // An error only means no session is listening right now.
        let _ = self.frames.send(frame);
        Ok(())
    }

    /// The hello frame every session starts with.
    #[must_use]
    pub fn hello_json(&self) -> ByteString {
        self.hello_json.clone()
    }

    /// The sampling interval announced in the hello.
    #[must_use]
    pub fn interval_ms(&self) -> u64 {
        self.interval_ms
    }

    /// The most recent sample, if any was taken yet.
    #[must_use]
    pub fn latest(&self) -> Option<Latest> {
        self.latest
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    /// A receiver of every frame published from now on.
    #[must_use]
    pub fn subscribe(&self) -> broadcast::Receiver<Frame> {
        self.frames.subscribe()
    }

    /// Tells every session to close with "going away".
    pub fn shut_down(&self) {
        self.shutdown.send_replace(true);
    }

    /// Resolves once [`Hub::shut_down`] has been called.
    #[must_use]
    pub fn shutdown_signal(&self) -> watch::Receiver<bool> {
        self.shutdown.subscribe()
    }

    /// Counts a session for as long as the returned guard lives.
    #[must_use]
    pub fn client_guard(self: &Arc<Self>) -> ClientGuard {
        self.clients.fetch_add(1, Ordering::Relaxed);
        ClientGuard(Arc::clone(self))
    }

    /// Number of WebSocket sessions open now.
    #[must_use]
    pub fn client_count(&self) -> usize {
        self.clients.load(Ordering::Relaxed)
    }
}

/// Keeps a session counted in [`Hub::client_count`] until dropped.
#[derive(Debug)]
pub struct ClientGuard(Arc<Hub>);

impl Drop for ClientGuard {
    fn drop(&mut self) {
        self.0.clients.fetch_sub(1, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn publishing_encodes_once_and_every_subscriber_gets_the_same_bytes() {
        let hub = Arc::new(Hub::new(&Hello::default()).unwrap());
        let mut first = hub.subscribe();
        let mut second = hub.subscribe();
        hub.publish(Sample {
            seq: 3,
            ..Sample::default()
        })
        .unwrap();

        let a = first.try_recv().unwrap();
        let b = second.try_recv().unwrap();
        assert_eq!(a.seq, 3);
        // Same allocation, not two encodings of the same value.
        assert_eq!(a.json.as_bytes().as_ptr(), b.json.as_bytes().as_ptr());
        assert_eq!(
            hub.latest().unwrap().frame.json.as_bytes().as_ptr(),
            a.json.as_bytes().as_ptr()
        );
    }

    #[test]
    fn a_slow_subscriber_skips_instead_of_queueing() {
        let hub = Hub::new(&Hello::default()).unwrap();
        let mut slow = hub.subscribe();
        for seq in 0..100 {
            hub.publish(Sample {
                seq,
                ..Sample::default()
            })
            .unwrap();
        }
        assert!(matches!(
            slow.try_recv(),
            Err(broadcast::error::TryRecvError::Lagged(_))
        ));
        let next = slow.try_recv().unwrap();
        assert_eq!(next.seq, 100 - BROADCAST_CAPACITY as u64);
    }

    #[test]
    fn client_guards_count_sessions() {
        let hub = Arc::new(Hub::new(&Hello::default()).unwrap());
        let one = hub.client_guard();
        let two = hub.client_guard();
        assert_eq!(hub.client_count(), 2);
        drop(one);
        drop(two);
        assert_eq!(hub.client_count(), 0);
    }
}
