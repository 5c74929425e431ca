//! Writing off the sampling path: the sampler hands each sample to a thread
//! through a bounded channel and never waits; the thread pushes it into the
//! store and flushes the journals at a fixed interval. When the channel is
//! full (the disk is very slow) the sample is counted as dropped from the
//! history, and live viewers are unaffected.
//!
//! Reads take what they need under the store's lock ([`crate::read::View`])
//! and decode it on the caller's thread, so a long read never holds the
//! writer off.

use std::ops::Range;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{self, RecvTimeoutError, SyncSender, TrySendError};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use hostpulse_shared::{ProcessSample, Sample};

use crate::query::RangeError;
use crate::store::{Store, StoreStatus};
use crate::tier::Tier;

/// Samples waiting for the writer at most.
pub const CHANNEL_CAPACITY: usize = 64;

/// How often the open rows are made durable unless told otherwise: what a
/// kill -9 or a power cut can lose at most.
pub const DEFAULT_FLUSH_INTERVAL: Duration = Duration::from_secs(5);

enum Command {
    Sample(Arc<Sample>),
    /// Close, marking the store clean if its newest sample is this one.
    Close(Option<(u64, u64)>),
}

impl std::fmt::Debug for Command {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Command::Sample(sample) => write!(f, "Sample({})", sample.seq),
            Command::Close(last) => write!(f, "Close({last:?})"),
        }
    }
}

/// A store with its writer thread; cloning shares both.
#[derive(Debug, Clone)]
pub struct History {
    store: Arc<Mutex<Store>>,
    /// The store's health as of the writer's last flush: read without
    /// waiting for the store's lock, which the writer holds while it syncs.
    status: Arc<Mutex<StoreStatus>>,
    sender: SyncSender<Command>,
    dropped_samples: Arc<AtomicU64>,
    thread: Arc<Mutex<Option<JoinHandle<()>>>>,
}

impl History {
    /// Starts the writer thread for `store`, flushing every `flush_interval`.
    pub fn start(store: Store, flush_interval: Duration) -> std::io::Result<Self> {
        let status = Arc::new(Mutex::new(store.status()));
        let store = Arc::new(Mutex::new(store));
        let (sender, receiver) = mpsc::sync_channel(CHANNEL_CAPACITY);
        let thread = std::thread::Builder::new()
            .name("history-writer".to_owned())
            .spawn({
                let store = Arc::clone(&store);
                let status = Arc::clone(&status);
                move || run(&store, &status, &receiver, flush_interval)
            })?;
        Ok(Self {
            store,
            status,
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

    fn lock(&self) -> MutexGuard<'_, Store> {
        self.store.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The history between `from_ms` and `to_ms` in at most `max_points`
    /// points per series (see [`Store::range`]).
    pub fn range(
        &self,
        from_ms: u64,
        to_ms: u64,
        max_points: usize,
    ) -> Result<crate::Range, RangeError> {
        let plan = self.lock().plan_range(from_ms, to_ms, max_points)?;
        Ok(plan.run())
    }

    /// Raw samples of `epoch` with a seq in `seqs` (see [`Store::samples`]).
    #[must_use]
    pub fn samples(&self, epoch: u64, seqs: Range<u64>) -> Vec<Sample> {
        let view = self.lock().seq_view(epoch, &seqs);
        view.samples(epoch, &seqs)
    }

    /// The process list nearest to `time_ms` (see [`Store::processes_at`]).
    #[must_use]
    pub fn processes_at(&self, time_ms: u64) -> Option<(Tier, u64, Vec<ProcessSample>)> {
        let plan = self.lock().plan_processes_at(time_ms);
        plan.run()
    }

    /// Health as of the last flush, with the samples the channel could not
    /// take. Never waits for the disk.
    #[must_use]
    pub fn status(&self) -> (StoreStatus, u64) {
        (
            *self.status.lock().unwrap_or_else(PoisonError::into_inner),
            self.dropped_samples.load(Ordering::Relaxed),
        )
    }

    /// Writes everything handed over so far and stops the thread; marks the
    /// store cleanly closed if its newest sample is `last_published` (the
    /// last sample the caller handed over or dropped), so that a restart may
    /// go on with its epoch only when nothing published is missing from the
    /// store's end. Later appends are counted as dropped.
    pub fn close(&self, last_published: Option<(u64, u64)>) {
        let _ = self.sender.send(Command::Close(last_published));
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

fn run(
    store: &Mutex<Store>,
    status: &Mutex<StoreStatus>,
    receiver: &mpsc::Receiver<Command>,
    flush_interval: Duration,
) {
    let lock = || store.lock().unwrap_or_else(PoisonError::into_inner);
    let publish = |store: &Store| {
        *status.lock().unwrap_or_else(PoisonError::into_inner) = store.status();
    };
    let mut next_flush = Instant::now() + flush_interval;
    loop {
        let wait = next_flush.saturating_duration_since(Instant::now());
        match receiver.recv_timeout(wait) {
            Ok(Command::Sample(sample)) => lock().push(&sample),
            Ok(Command::Close(last)) => {
                let mut store = lock();
                store.close(last);
                publish(&store);
                return;
            }
            // Dropped without a close: what was handed over is kept, but
            // nothing says the last published sample was among it.
            Err(RecvTimeoutError::Disconnected) => {
                lock().flush();
                return;
            }
            Err(RecvTimeoutError::Timeout) => {}
        }
        if Instant::now() >= next_flush {
            let mut store = lock();
            store.flush();
            publish(&store);
            next_flush = Instant::now() + flush_interval;
        }
    }
}
