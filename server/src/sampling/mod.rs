//! Sampling: reading the host once per tick on a thread of its own and turning
//! the readings into one [`hostpulse_shared::Sample`].
//!
//! - [`sampler`]: owns sysinfo; one call, one sample.
//! - [`procstat`]: the per-tick process table on Linux, one `/proc/PID/stat` read each.
//! - [`mounts`]: which mounts are file systems of their own, not the sandbox's binds.
//! - [`netdev`]: byte totals per interface from one read of `/proc/net/dev`.
//! - [`counters`]: CPU seconds and disk byte totals, for Prometheus.
//! - [`rate`]: counters to bytes per second over the measured elapsed time.
//! - [`top`]: which processes a sample carries.
//! - [`schedule`]: drift-free tick deadlines aligned to the interval.
//! - [`ticker`]: the sampler's own thread, one sample per tick, published to the hub.

pub(crate) mod counters;
pub(crate) mod mounts;
pub(crate) mod netdev;
#[cfg(target_os = "linux")]
pub(crate) mod procstat;
pub(crate) mod rate;
pub(crate) mod sampler;
pub(crate) mod schedule;
pub(crate) mod ticker;
pub(crate) mod top;
