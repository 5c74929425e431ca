//! The stream: `GET /ws`, one WebSocket session per viewer, and the bounds on
//! what a viewer may queue or send.
//!
//! - [`ws`]: the route and the session loop: hello, history, live.
//! - [`backlog`]: at most a couple of frames queued per viewer.
//! - [`inbound`]: a byte budget on what a viewer may send.
//! - [`frames`]: header-level checks on the raw frames a peer sends.
//! - [`origin`]: the web page origins allowed to open the stream, normalised.
//! - [`range`]: a viewer's reads of the history on disk (`history_range`,
//!   `processes_request`).
//! - [`replies`]: batches of past samples (replay, catch-up, reply) as
//!   `history` messages.
//! - `echo`: the session machinery as an echo for the Autobahn conformance
//!   suite; built only with the `autobahn` feature.

pub(crate) mod backlog;
#[cfg(feature = "autobahn")]
pub mod echo;
pub(crate) mod frames;
pub(crate) mod inbound;
pub(crate) mod origin;
pub(crate) mod range;
pub(crate) mod replies;
pub(crate) mod ws;
