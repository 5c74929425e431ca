//! Running as a service: settings, TLS, systemd, limits, logs, and the whole
//! server on a thread of its own for embedding.
//!
//! - [`config`]: file, environment and flags, validated into a [`crate::Config`].
//! - [`tls`]: certificate and key files to a rustls configuration.
//! - [`certs`]: a private CA and server certificate for self-signed setups.
//! - `systemd`: `READY=1`, and `WATCHDOG=1` while the sampler makes progress.
//! - [`exit`]: what each exit status means, for `main`, `--help` and the man pages.
//! - `fdlimit`: the open-file limit, raised to serve `max_clients`.
//! - [`guard`]: bounds on what a connection can make the server hold before
//!   it shows a token: one request at a time, head size and time, connection caps.
//! - [`listen`]: the HTTP stack on the listener, with the guard in front of actix-http.
//! - [`logging`]: the tracing setup both binaries use.
//! - [`background`]: the server on its own thread, for the dashboard's local mode.

pub(crate) mod background;
pub(crate) mod certs;
pub(crate) mod config;
pub(crate) mod exit;
#[cfg(target_os = "linux")]
pub(crate) mod fdlimit;
pub(crate) mod guard;
pub(crate) mod listen;
pub(crate) mod logging;
#[cfg(unix)]
pub(crate) mod systemd;
pub(crate) mod tls;
