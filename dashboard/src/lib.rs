//! HostPulse dashboard: a native window that plots live metrics from one or many
//! HostPulse servers.
//!
//! Layout:
//! - [`app`]: the top level — hosts, selection, commands from the panels.
//! - [`cli`]: the command line, exit statuses and where preferences live.
//! - [`command`]: what the panels ask the app to do.
//! - [`host`]: one watched host — link, greeting, history, alerts.
//! - [`alerts`]: a host's alert rules, what fires and when it fired, the
//!   dashboard-wide log, the dashboard's own "unreachable" rule, and alerts
//!   in words.
//! - [`notify`]: desktop notifications, from a thread of their own.
//! - [`link`]: the WebSocket connection (ewebsock), its states and reconnects.
//! - [`backoff`]: reconnect delays, exponential with jitter.
//! - [`retry_after`]: how long a server that answered 429 wants us to wait.
//! - [`history`]: per-host columnar time series, bounded by age and count,
//!   decimated for drawing, with the top processes of each moment.
//! - [`address`]: what a person types as a host, checked and made into a URL.
//! - [`local`]: the in-process server used when no host is given.
//! - [`past`]: what a host's server keeps on disk, fetched for the time the
//!   live history does not hold: ranges for the plots, processes of moments.
//! - [`panels`]: one module per part of the window.
//! - [`paint_trace`]: when a range fetched from disk first reaches the
//!   screen, and when each frame starts, for the paint and drag benchmarks.
//! - [`status`]: a host's connection as the panels show it.
//! - [`ticks`]: where the axes put their labels, and what they say.
//! - [`view`]: the time window the plots show, pause, and the theme.
//! - [`typed_range`]: a range typed beside the presets, understood.
//! - [`prefs`]: hosts and choices remembered between runs.
//! - [`secrets`]: host tokens in the desktop's secret store, never in prefs.
//! - [`export`]: the visible time window as CSV, the window as PNG.
//! - [`range_export`]: the CSV of a window drawn from the server's disk, at
//!   its resolution.
//! - [`format`](mod@format): numbers for people.
//! - [`palette`]: the colours of every chart, checked for colour-blind readers.
//! - `synthetic`: made-up hosts for tests, measurements and screenshots
//!   (feature `test-support`, never in the shipped binary).
//!
//! Data flows one way: link → host history (and fetched past) → panels. The UI thread never waits
//! on the network: links drain with `try_recv`, and ewebsock's wake-up requests a
//! repaint only when something arrives.

pub mod address;
pub mod alerts;
pub mod app;
pub mod backoff;
pub mod cli;
pub mod command;
pub mod export;
pub mod format;
pub mod history;
pub mod host;
pub mod link;
pub mod local;
pub mod notify;
pub mod paint_trace;
pub mod palette;
pub mod panels;
pub mod past;
pub mod prefs;
pub mod range_export;
pub mod retry_after;
pub mod secrets;
pub mod status;
#[cfg(any(test, feature = "test-support"))]
pub mod synthetic;
pub mod ticks;
pub mod typed_range;
pub mod view;

pub use app::DashboardApp;
