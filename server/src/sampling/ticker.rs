//! The sampler's own named thread: it waits for each tick of the [`Schedule`],
//! takes one sample, brings it to the resolution the history on disk keeps,
//! and publishes it to the hub. Exactly one sampling per tick,
//! whatever the number of viewers (ARCHITECTURE.md, invariant 1); nothing async runs here.

use std::sync::Arc;
use std::sync::mpsc::{RecvTimeoutError, SyncSender, sync_channel};
use std::thread::JoinHandle;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use crate::archive::Start;
use crate::hub::Hub;
use crate::sampling::sampler::Sampler;
use crate::sampling::schedule::Schedule;

/// The running sampler thread. Dropping it stops the thread and waits for it.
#[derive(Debug)]
pub struct Ticker {
    /// Dropping the sender wakes the thread from its wait and ends it.
    stop: Option<SyncSender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl Ticker {
    /// Starts sampling every `interval` into `hub`, as samples of
    /// `start.epoch` counted from `start.first_seq`.
    pub fn spawn(
        mut sampler: Sampler,
        hub: Arc<Hub>,
        start: Start,
        interval: Duration,
    ) -> std::io::Result<Self> {
        let (stop, stopped) = sync_channel::<()>(1);
        let thread = std::thread::Builder::new()
            .name("hostpulse-sampler".into())
            .spawn(move || {
                let mut schedule = Schedule::aligned(interval, Instant::now(), SystemTime::now());
                for seq in start.first_seq.. {
                    let deadline = schedule.next_deadline(Instant::now());
                    let wait = deadline.saturating_duration_since(Instant::now());
                    match stopped.recv_timeout(wait) {
                        Err(RecvTimeoutError::Timeout) => {}
                        Ok(()) | Err(RecvTimeoutError::Disconnected) => break,
                    }
                    let started = Instant::now();
                    let sample = sampler.sample(start.epoch, seq, unix_ms(SystemTime::now()));
                    // Published as the history on disk keeps it, so a sample
                    // read back later is the very one viewers got live.
                    let sample = hostpulse_store::series::quantize(&sample);
                    let mut counters = sampler.counters();
                    let took = started.elapsed();
                    counters.sample_duration_secs = took.as_secs_f64();
                    tracing::trace!(seq, took_us = took.as_micros(), "sampled");
                    if let Err(error) = hub.publish(sample, counters) {
                        tracing::error!(%error, "dropping a sample");
                    }
                }
                tracing::debug!("sampler stopped");
            })?;
        Ok(Self {
            stop: Some(stop),
            thread: Some(thread),
        })
    }
}

impl Drop for Ticker {
    fn drop(&mut self) {
        drop(self.stop.take());
        if let Some(thread) = self.thread.take()
            && thread.join().is_err()
        {
            tracing::error!("the sampler thread panicked");
        }
    }
}

/// Milliseconds since the Unix epoch (0 for a clock set before 1970).
#[must_use]
pub fn unix_ms(time: SystemTime) -> u64 {
    time.duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}
