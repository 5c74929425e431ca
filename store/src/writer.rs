//! Writing off the sampling path: the sampler hands each sample to a thread
//! through a bounded channel and never waits; the thread pushes it into the
//! store and flushes the journal at a fixed interval. When the channel is full
//! (the disk is very slow) the sample is counted as dropped from the history,
//! and live viewers are unaffected.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{self, RecvTimeoutError, SyncSender, TrySendError};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use hostpulse_shared::Sample;

use crate::store::{Store, StoreStatus};

/// Samples waiting for the writer at most.
pub const CHANNEL_CAPACITY: usize = 64;

/// How often the open rows are made durable unless told otherwise: what a
/// kill -9 or a power cut can lose at most.
pub const DEFAULT_FLUSH_INTERVAL: Duration = Duration::from_secs(5);

enum Command {
    Sample(Arc<Sample>),
    Close,
}

/// A store with its writer thread; cloning shares both.
#[derive(Debug, Clone)]
pub struct History {
    store: Arc<Mutex<Store>>,
    sender: SyncSender<Command>,
    dropped_samples: Arc<AtomicU64>,
    thread: Arc<Mutex<Option<JoinHandle<()>>>>,
}

impl std::fmt::Debug for Command {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Command::Sample(sample) => write!(f, "Sample({})", sample.seq),
            Command::Close => f.write_str("Close"),
        }
    }
}

impl History {
    /// Starts the writer thread for `store`, flushing every `flush_interval`.
    pub fn start(store: Store, flush_interval: Duration) -> std::io::Result<Self> {
        let store = Arc::new(Mutex::new(store));
        let (sender, receiver) = mpsc::sync_channel(CHANNEL_CAPACITY);
        let thread = std::thread::Builder::new()
            .name("history-writer".to_owned())
            .spawn({
                let store = Arc::clone(&store);
                move || run(&store, &receiver, flush_interval)
            })?;
        Ok(Self {
            store,
            sender,
            dropped_samples: Arc::new(AtomicU64::new(0)),
            thread: Arc::new(Mutex::new(Some(thread))),
        })
    }

    /// Hands `sample` to the writer; never blocks.
    pub fn append(&self, sample: Arc<Sample>) {
        match self.sender.try_send(Command::Sample(sample)) {
            Ok(()) => {}
            Err(TrySendError::Full(_) | TrySendError::Disconnected(_)) => {
                self.dropped_samples.fetch_add(1, Ordering::Relaxed);
            }
        }
    }

    /// Runs `read` on the store (for queries); holds the writer off meanwhile.
    pub fn read<R>(&self, read: impl FnOnce(&Store) -> R) -> R {
        read(&self.store.lock().unwrap_or_else(PoisonError::into_inner))
    }

    /// Health, with the samples the channel could not take.
    #[must_use]
    pub fn status(&self) -> (StoreStatus, u64) {
        (
            self.read(Store::status),
            self.dropped_samples.load(Ordering::Relaxed),
        )
    }

    /// Writes everything handed over so far, marks the store cleanly closed,
    /// and stops the thread. Later appends are counted as dropped.
    pub fn close(&self) {
        let _ = self.sender.send(Command::Close);
        let thread = self
            .thread
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        if let Some(thread) = thread {
            let _ = thread.join();
        }
    }
}

fn run(store: &Mutex<Store>, receiver: &mpsc::Receiver<Command>, flush_interval: Duration) {
    let lock = || store.lock().unwrap_or_else(PoisonError::into_inner);
    let mut next_flush = Instant::now() + flush_interval;
    loop {
        let wait = next_flush.saturating_duration_since(Instant::now());
        match receiver.recv_timeout(wait) {
            Ok(Command::Sample(sample)) => lock().push(&sample),
            Ok(Command::Close) | Err(RecvTimeoutError::Disconnected) => {
                lock().close();
                return;
            }
            Err(RecvTimeoutError::Timeout) => {}
        }
        if Instant::now() >= next_flush {
            lock().flush();
            next_flush = Instant::now() + flush_interval;
        }
    }
}
