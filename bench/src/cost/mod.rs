//! Server cost side by side: what a metrics agent costs its host while it does
//! its everyday job, measured from outside the agent. Each agent (a "peer":
//! `hostpulse-server`, the sysinfo floor, `socktop_agent`, `node_exporter`, Glances)
//! is started by this process on a free loopback port, polled the way its own
//! client would poll it, and measured over a window after a warm-up; the
//! polling runs here, so its cost never lands on the peer's figures.
//!
//! Layout:
//! - [`peer`]: start a program on a free port, wait until it listens, kill it.
//! - [`poller`]: keep it busy as its client would (stream, socktop, HTTP).
//! - [`measure`]: warm-up, then CPU time and peak memory over the window.

pub mod measure;
pub mod peer;
pub mod poller;
