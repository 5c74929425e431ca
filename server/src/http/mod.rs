//! HTTP beside the stream: who may ask, who is asking, and the one-off reads.
//!
//! - [`auth`]: the bearer token, checked before the upgrade and every read.
//! - [`ticket`]: single-use tickets, how a web page opens the stream.
//! - [`cors`]: which web pages may read the REST answers.
//! - [`paths`]: every path served, in one list.
//! - [`proxy`]: the client's address, from `X-Forwarded-For` via trusted proxies.
//! - [`health`]: the landing text and `/healthz`.
//! - [`rest`]: `/api/v1` reads: host, latest sample, history.
//! - [`alerts`]: `/api/v1/alerts` reads: rules, what is firing, transitions.
//! - [`query`]: strict query-string parsing for the stream and the reads.
//! - [`error`]: the one JSON error body every endpoint answers with.
//! - [`fallback`]: 404, 405 and `HEAD` in that shape, for every path.
//! - [`metrics`]: `/metrics` in the Prometheus text format.

pub(crate) mod alerts;
pub(crate) mod auth;
pub(crate) mod cors;
pub(crate) mod error;
pub(crate) mod fallback;
pub(crate) mod health;
pub(crate) mod metrics;
pub(crate) mod paths;
pub(crate) mod proxy;
pub(crate) mod query;
pub(crate) mod rest;
pub(crate) mod ticket;
