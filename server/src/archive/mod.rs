//! The history on disk (`hostpulse-store`) in the server: opened before the
//! first sample, since it decides the epoch; fed every published sample by
//! the hub without ever waiting; read past the in-memory ring for replays,
//! and for range reads and the processes at a moment; closed at a clean
//! stop, so the next start goes on with the same epoch.
//!
//! - this module: [`Archive`], the handle, and [`open`].
//! - [`replay`]: replays and REST pages that reach past the ring.
//! - [`reads`]: range reads and the processes at a moment, for REST and the
//!   stream alike.
//! - [`fill`]: `--fill-history`, a synthetic history of any age.
//!
//! How a restart shows up to a resuming viewer (PROTOCOL.md, *Resuming*):
//! after a clean stop the epoch goes on and the seqs continue, so a resume
//! gets what it missed across the restart, with the time the server was
//! down showing as a jump in `timestamp_ms`; after a crash the store cannot
//! tell whether samples published after its last flush were lost, so a new
//! epoch starts and a resume gets a reset.

pub mod fill;
pub(crate) mod reads;
pub(crate) mod replay;

use std::sync::Arc;
use std::time::Duration;

use hostpulse_shared::{ProcessSample, Sample};
use hostpulse_store::{
    History, Range, RangeError, Store, StoreConfig, StoreError, StoreStatus, Tier,
};
use tokio::sync::Semaphore;

use crate::service::config::HistoryStore;

/// Reads of the store running at once, server-wide: a range read decodes for
/// up to tens of milliseconds, and many viewers asking at once must not take
/// every core from the sampler and the live stream.
const MAX_CONCURRENT_READS: usize = 2;

/// Where sampling starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Start {
    /// The epoch every sample carries.
    pub epoch: u64,
    /// The seq of the first sample.
    pub first_seq: u64,
}

impl Start {
    /// A new epoch at seq 0: random, below 2^53 so it survives JSON readers
    /// that parse numbers as doubles (JavaScript), and never 0.
    #[must_use]
    pub fn fresh() -> Self {
        Self {
            epoch: fastrand::u64(1..(1 << 53)),
            first_seq: 0,
        }
    }
}

/// The history on disk, shared by the hub, the sessions and the REST reads.
#[derive(Debug, Clone)]
pub struct Archive {
    history: History,
    reads: Arc<Semaphore>,
}

/// A read could not run: the blocking pool refused it or the read panicked.
#[derive(Debug, thiserror::Error)]
#[error("the history read failed: {0}")]
pub struct ReadFailed(String);

/// Opens the store in `settings.dir` and starts its writer: the epoch goes
/// on after a clean stop, a new one starts otherwise. Blocking.
pub fn open(settings: &HistoryStore, interval: Duration) -> Result<(Archive, Start), StoreError> {
    let (store, recovered) = Store::open(store_config(settings, interval))?;
    let start = match recovered.newest {
        Some((epoch, seq, _)) if recovered.clean => Start {
            epoch,
            first_seq: seq + 1,
        },
        _ => Start::fresh(),
    };
    match recovered.newest {
        Some((epoch, seq, _)) if recovered.clean => tracing::info!(
            epoch,
            "history: {} was closed cleanly after seq {seq}: going on with its epoch",
            settings.dir.display()
        ),
        Some(_) => tracing::info!(
            "history: {} was not closed cleanly: a new epoch starts",
            settings.dir.display()
        ),
        None => tracing::info!("history: {} is new", settings.dir.display()),
    }
    let history = History::start(store, hostpulse_store::writer::DEFAULT_FLUSH_INTERVAL).map_err(
        |source| StoreError::Io {
            path: settings.dir.clone(),
            source,
        },
    )?;
    Ok((
        Archive {
            history,
            reads: Arc::new(Semaphore::new(MAX_CONCURRENT_READS)),
        },
        start,
    ))
}

/// The store's configuration for the server's settings.
pub(crate) fn store_config(settings: &HistoryStore, interval: Duration) -> StoreConfig {
    let millis = |span: Duration| u64::try_from(span.as_millis()).unwrap_or(u64::MAX);
    StoreConfig {
        dir: settings.dir.clone(),
        raw_retention_ms: millis(settings.raw_retention),
        minute_retention_ms: millis(settings.minute_retention),
        hour_retention_ms: millis(settings.hour_retention),
        max_bytes: settings.max_bytes,
        interval_ms: millis(interval).max(1),
    }
}

impl Archive {
    /// Hands a published sample to the writer; never waits.
    pub fn append(&self, sample: Arc<Sample>) {
        self.history.append(sample);
    }

    /// Health, with the samples the writer could not take.
    #[must_use]
    pub fn status(&self) -> (StoreStatus, u64) {
        self.history.status()
    }

    /// Writes what was handed over and marks a clean stop after
    /// `last_published`. Blocking.
    pub fn close(&self, last_published: Option<(u64, u64)>) {
        self.history.close(last_published);
    }

    /// Raw samples of `epoch` with a seq in `seqs`. Blocking.
    pub(crate) fn samples(&self, epoch: u64, seqs: std::ops::Range<u64>) -> Vec<Sample> {
        self.history.samples(epoch, seqs)
    }

    /// Runs `read` on the blocking pool, at most [`MAX_CONCURRENT_READS`]
    /// at once server-wide.
    pub async fn read<R: Send + 'static>(
        &self,
        read: impl FnOnce(&Archive) -> R + Send + 'static,
    ) -> Result<R, ReadFailed> {
        let _permit = self
            .reads
            .acquire()
            .await
            .map_err(|error| ReadFailed(error.to_string()))?;
        let archive = self.clone();
        tokio::task::spawn_blocking(move || read(&archive))
            .await
            .map_err(|error| ReadFailed(error.to_string()))
    }

    /// The history between two times at a resolution (see
    /// [`hostpulse_store::Store::range`]). Blocking.
    pub fn range(&self, from_ms: u64, to_ms: u64, points: usize) -> Result<Range, RangeError> {
        self.history.range(from_ms, to_ms, points)
    }

    /// The process list nearest to `at_ms`. Blocking.
    #[must_use]
    pub fn processes_at(&self, at_ms: u64) -> Option<(Tier, u64, Vec<ProcessSample>)> {
        self.history.processes_at(at_ms)
    }
}
