//! HostPulse benchmarks. The load generator: many viewers in one process
//! against one server, to check that every viewer gets every sample however
//! many there are, and that viewers which stop reading are closed without
//! costing the others or the server's memory. And the server-cost benchmark:
//! what hostpulse-server costs its host beside the sysinfo floor and its peers.
//!
//! Layout:
//! - [`connect`]: one viewer's handshake (codec, token), bounded in time.
//! - [`viewer`]: a normal viewer: decode everything, follow seqs, time samples.
//! - [`stalled`]: a viewer that never reads; at the end, how it was closed.
//! - [`seq`]: did a stream have every seq, once?
//! - [`latency`]: tick-to-receipt latency in one HDR histogram.
//! - [`probe`]: the server's RSS and CPU from `/proc`, its viewer count from
//!   `/metrics`.
//! - [`limits`]: open files and local ports, the limits thousands of
//!   connections run into.
//! - [`run`]: one run start to end: idle, ramp, steady run, finish, report.
//! - [`tally`]: each viewer's outcome into the run's totals.
//! - [`report`]: the figures, as a table or JSON.
//! - [`http`]: a bounded one-shot HTTP GET (`/metrics`, the peers' REST).
//! - [`cost`]: server cost side by side: start a peer, poll it, measure it.
//! - [`floor`]: the sysinfo floor, everything a sample carries and no more.
//! - [`writer_floor`]: the fan-out floor, a WebSocket server that only writes.
//!
//! The `hostpulse-load` binary is a thin command-line shell over [`run::run`];
//! the integration test calls the same function against an in-process server.
//! `hostpulse-cost` is the same over [`cost::measure::measure`], and
//! `hostpulse-floor` runs [`floor::Floor`] once a second, and
//! `hostpulse-writer-floor` serves [`writer_floor::serve`].

pub mod connect;
pub mod cost;
pub mod floor;
pub mod http;
pub mod latency;
pub mod limits;
pub mod probe;
pub mod report;
pub mod run;
pub mod seq;
pub mod stalled;
pub mod tally;
pub mod viewer;
pub mod writer_floor;

pub use connect::Target;
pub use report::Report;
pub use run::{LoadConfig, RunError, run};
