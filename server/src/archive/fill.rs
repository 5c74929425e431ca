//! `hostpulse-server --fill-history DAYS --data-dir DIR`: a made-up but
//! realistic history (`hostpulse_store::synthetic`) of any age in the data
//! directory's history, ending now, so a year view can be tried and measured
//! without waiting a year. A sample every second for the raw tier's
//! retention, one every 30 s before it (so each minute's min, mean and max
//! still come from two samples), for the typical host of the benchmarks
//! (4 CPUs, 2 interfaces, 2 disks, 4 sensors, 20 top processes).

use std::time::Duration;

use hostpulse_store::synthetic::{self, HostShape};
use hostpulse_store::{Store, StoreError, Tier};

use crate::service::config::Config;

/// Time between made-up samples older than the raw tier's retention.
const OLD_STEP: Duration = Duration::from_secs(30);

/// The longest history that can be made up: the most any tier keeps.
const MAX_DAYS: f64 = 36_500.0;

/// The history could not be made up.
#[derive(Debug, thiserror::Error)]
pub enum FillError {
    /// The server keeps no history on disk.
    #[error("--fill-history writes the history on disk: drop --history-memory-only")]
    MemoryOnly,
    /// Not a number of days that can be made up.
    #[error("--fill-history takes a number of days from 0 to {MAX_DAYS}, got {0}")]
    Days(f64),
    /// The store already holds history, which made-up samples would mix with.
    #[error(
        "{0} already holds history: --fill-history writes into an empty one (give another \
         --data-dir, or delete that folder)"
    )]
    NotEmpty(String),
    /// The store could not be opened.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// What was written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Filled {
    /// Bytes on disk afterwards.
    pub bytes_on_disk: u64,
}

/// Writes `days` of made-up history ending now into `config`'s history on
/// disk, telling `progress` the share done now and then. Blocking.
pub fn fill_history(
    config: &Config,
    days: f64,
    progress: impl FnMut(f64),
) -> Result<Filled, FillError> {
    let settings = config.history_store.as_ref().ok_or(FillError::MemoryOnly)?;
    if !(days > 0.0 && days <= MAX_DAYS) {
        return Err(FillError::Days(days));
    }
    let (mut store, _) = Store::open(super::store_config(settings, config.interval))?;
    if Tier::ALL
        .iter()
        .any(|&tier| store.oldest_ms(tier).is_some())
    {
        return Err(FillError::NotEmpty(settings.dir.display().to_string()));
    }
    let end_ms = crate::sampling::ticker::unix_ms(std::time::SystemTime::now());
    synthetic::fill(
        &mut store,
        HostShape::TYPICAL,
        days,
        end_ms,
        u64::try_from(OLD_STEP.as_millis()).unwrap_or(u64::MAX),
        progress,
    );
    store.close(None);
    Ok(Filled {
        bytes_on_disk: store.bytes_on_disk(),
    })
}
