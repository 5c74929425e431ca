//! HostPulse server: samples this host once per interval and pushes every sample
//! to every connected viewer over WebSocket.
//!
//! Layout, one folder per part (ARCHITECTURE.md walks the data flow):
//! - `hub`: history ring, encode once per codec, bounded broadcast to
//!   sessions; the meeting point that every part reaches.
//! - `replay_blocks`: the ring's samples as `history` messages encoded once
//!   for every session's replay, and how any batch is cut into messages.
//! - `archive/`: the history on disk (`hostpulse-store`): the epoch at
//!   start, replays past the ring, range reads, `--fill-history`.
//! - `sampling/`: the sampler thread and what it reads.
//! - `stream/`: `/ws`, one WebSocket session per viewer, and its bounds.
//! - `http/`: the token, the client's address, REST reads, `/metrics`, `/healthz`.
//! - `service/`: settings, TLS, systemd, limits, logging, embedding.
//!
//! [`run`] is the entry point: the caller binds the listener and supplies the
//! shutdown future, so tests bind `127.0.0.1:0` and the binary passes Ctrl-C.
//! What the binaries, the dashboard and the tests use is re-exported here;
//! everything else is private to the crate.

mod archive;
mod http;
mod hub;
mod replay_blocks;
mod sampling;
mod service;
mod stream;

use std::future::Future;
use std::net::{SocketAddr, TcpListener};
use std::sync::Arc;
use std::time::Duration;

use actix_web::{App, web};
use hostpulse_shared::Hello;

pub use crate::archive::fill::fill_history;
pub use crate::http::auth::{MAX_FAILURES, MAX_TRACKED};
pub use crate::http::proxy::TrustedProxies;
pub use crate::service::background::BackgroundServer;
pub use crate::service::certs::SelfSigned;
pub use crate::service::config::{
    Args, Config, ConfigError, DEFAULT_CONFIG_PATH, EnvMeaning, HistoryStore, Settings,
    env_meanings, env_names,
};
pub use crate::service::exit::{
    EXIT_FAILURE, EXIT_OK, EXIT_USAGE, ExitStatus, SERVER_EXIT_STATUSES, exit_status_help,
};
#[cfg(target_os = "linux")]
pub use crate::service::fdlimit::raise as raise_fd_limit;
pub use crate::service::logging::{fatal, init as init_logging};
pub use crate::service::tls::Tls;
#[cfg(feature = "autobahn")]
pub use crate::stream::echo;
pub use crate::stream::origin::Origins;
pub use hostpulse_shared::Secret;

/// Internals that the crate's own integration tests and benchmarks drive
/// directly (the hub without a server, the sampler alone, the watchdog).
/// Built only with the `test-support` feature, never into the shipped binary.
#[cfg(feature = "test-support")]
pub mod test_support {
    pub use crate::hub::Hub;
    pub use crate::sampling::counters::Counters;
    pub use crate::sampling::sampler::Sampler;
    #[cfg(unix)]
    pub use crate::service::systemd::{Notifier, watchdog};
}

use crate::http::{auth, cors, fallback, health, metrics, rest, ticket};
use crate::hub::Hub;
use crate::sampling::sampler::{self, Sampler};
use crate::sampling::ticker::Ticker;
#[cfg(unix)]
use crate::service::systemd;
use crate::service::{guard, listen};
use crate::stream::ws;

/// How long a client may take to send its request head.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(5);

/// The kernel's send buffer per connection. Left to autotuning, Linux lets a
/// viewer that stops reading park up to 4 MB in the kernel before the server
/// notices; this bounds that and makes a stall show within
/// [`ws::SEND_TIMEOUT`]. Still ample: a second of samples is a few kilobytes.
const SEND_BUFFER_BYTES: usize = 128 * 1024;

/// How many connections the kernel completes for the listener before the
/// server has accepted them. The standard library listens with 128: a burst
/// of connections that arrives faster than the accept thread runs (1,000
/// strangers at once, on two busy cores) overflowed it, and the kernel dropped
/// the SYN of whoever came next, a health check included, which then waited a
/// second for its retransmission. The kernel lowers this to its own
/// `net.core.somaxconn` (4096 by default); each waiting connection holds only
/// its kernel buffers, and SYN cookies cover a SYN flood.
const LISTEN_BACKLOG: i32 = 1024;

/// How much actix-http takes from a response body into its own write buffer
/// before it waits for the socket. Its default, 32 KiB, lets every stalled
/// viewer pin a buffer grown to 64 KiB; with 4 KiB a stalled viewer holds one
/// or two ~2 KiB frames there and the buffer stays at its initial 8 KiB. A
/// larger response (a long `/metrics` page) is simply written in more rounds.
const WRITE_BUFFER_BYTES: usize = 4 * 1024;

/// How long open sessions get to close when the server stops.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(2);

/// Why the server could not start or keep running.
#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    /// The listening socket could not be opened.
    #[error("cannot listen on {addr}: {source}; {hint}")]
    Bind {
        /// The address asked for.
        addr: SocketAddr,
        /// What the OS said.
        source: std::io::Error,
        /// What to do about it.
        hint: &'static str,
    },
    /// sysinfo could not be initialised.
    #[error(transparent)]
    Sampler(#[from] sampler::SamplerError),
    /// The hello could not be encoded (a bug).
    #[error(transparent)]
    Encode(#[from] hub::EncodeError),
    /// The HTTP server or the sampler thread failed.
    #[error("server I/O failed: {0}")]
    Io(#[from] std::io::Error),
    /// The history on disk could not be opened (another server holds it, or
    /// its directory cannot be written).
    #[error(transparent)]
    History(#[from] hostpulse_store::StoreError),
}

impl ServerError {
    /// Whether restarting cannot help until the configuration changes (the
    /// binary exits with status 2 for these, as for a configuration error).
    #[must_use]
    pub fn is_configuration(&self) -> bool {
        matches!(self, Self::History(_))
    }
}

/// Opens the listening socket, with an error that says what to do when it fails.
pub fn bind(addr: SocketAddr) -> Result<TcpListener, ServerError> {
    TcpListener::bind(addr).map_err(|source| {
        let hint = match source.kind() {
            std::io::ErrorKind::AddrInUse => {
                "another program (perhaps another HostPulse server) uses that port: stop it or pass --bind with another port"
            }
            std::io::ErrorKind::PermissionDenied => {
                "ports below 1024 need privileges: pass --bind with a port of 1024 or above"
            }
            std::io::ErrorKind::AddrNotAvailable => {
                "that address is not on this machine: pass --bind with one of its addresses, or 0.0.0.0"
            }
            _ => "pass --bind with another address",
        };
        ServerError::Bind { addr, source, hint }
    })
}

/// The URL schemes served (`http`/`ws` or `https`/`wss`); warns when a network
/// address is served in clear text.
fn schemes(config: &Config, local_addr: SocketAddr) -> (&'static str, &'static str) {
    if config.tls.is_some() {
        return ("https", "wss");
    }
    if !local_addr.ip().is_loopback() {
        tracing::warn!(
            "serving {local_addr} without TLS: the token and the metrics cross the network in \
             clear text. Set tls_cert and tls_key, or put a TLS proxy in front"
        );
    }
    ("http", "ws")
}

/// Sets the listener's backlog ([`LISTEN_BACKLOG`]; listening again on a
/// listening socket only changes it, whoever bound it) and what every
/// connection the listener accepts inherits: a bounded kernel send buffer,
/// and on Linux a user timeout, so that a viewer whose
/// window stays shut (it stopped reading) is dropped by the kernel
/// [`ws::HANGUP_GRACE`] after the session gives up on it. Closing a WebSocket
/// only queues a close frame, which such a viewer never takes, and
/// actix-http would otherwise keep its connection for as long as the peer
/// keeps answering the window probes: forever.
fn tune_listener(listener: &TcpListener) {
    let socket = socket2::SockRef::from(listener);
    if let Err(error) = socket.listen(LISTEN_BACKLOG) {
        tracing::warn!(%error, "cannot raise the listen backlog: a burst of connections may wait a second");
    }
    if let Err(error) = socket.set_send_buffer_size(SEND_BUFFER_BYTES) {
        tracing::warn!(%error, "cannot bound the send buffer: stalled viewers are noticed later");
    }
    #[cfg(target_os = "linux")]
    if let Err(error) = socket.set_tcp_user_timeout(Some(ws::SEND_TIMEOUT + ws::HANGUP_GRACE)) {
        tracing::warn!(%error, "cannot set a TCP user timeout: stalled viewers linger");
    }
}

/// How the listener is served: the timeouts and buffers above, TLS, and the
/// plain HTTP connection caps.
fn listen_settings(config: &Config) -> listen::Settings {
    listen::Settings {
        workers: config.workers,
        handshake_timeout: HANDSHAKE_TIMEOUT,
        write_buffer_bytes: WRITE_BUFFER_BYTES,
        shutdown_grace: SHUTDOWN_GRACE,
        tls: config.tls.as_ref().map(|tls| Arc::new(tls.server_config())),
        limits: guard::Limits::new(
            config.max_connections,
            config.max_connections_per_address,
            config.trusted_proxies.clone(),
        ),
    }
}

/// Serves `listener` until `shutdown` resolves, then closes every session with
/// "going away" and returns.
///
/// Must be called inside an actix system (`actix_web::rt::System`).
pub async fn run(
    listener: TcpListener,
    config: Config,
    shutdown: impl Future<Output = ()>,
) -> Result<(), ServerError> {
    let (sampler, host, archive, start) = open_sampler_and_history(&config).await?;
    let epoch = start.epoch;
    let interval_ms = u64::try_from(config.interval.as_millis()).unwrap_or(u64::MAX);
    let hello = Hello {
        protocol_version: hostpulse_shared::PROTOCOL_VERSION,
        server_version: env!("CARGO_PKG_VERSION").to_owned(),
        epoch,
        interval_ms,
        history_capacity: u32::try_from(config.history_capacity).unwrap_or(u32::MAX),
        host,
        alerts: None,
    };
    let host_name = hello.host.hostname.clone();
    let hub = Arc::new(Hub::new(hello)?);
    if let Some(archive) = archive {
        hub.attach_archive(archive);
    }
    let alerting = start_alerting(&config, &hub, &host_name)?;
    let ticker = Ticker::spawn(sampler, Arc::clone(&hub), start, config.interval)?;

    let data = web::Data::from(Arc::clone(&hub));
    let auth = auth::Auth::new(config.token.clone(), config.metrics_need_token);
    let auth_state = if auth.enabled() { "token" } else { "none" };
    let auth = web::Data::new(auth);
    let gate = web::Data::new(ws::Gate {
        allowed_origins: config.allowed_origins.clone(),
        max_clients: config.max_clients,
    });
    let proxies = web::Data::new(config.trusted_proxies.clone());
    let tickets = web::Data::new(ticket::Tickets::default());
    let local_addr = listener.local_addr()?;
    tune_listener(&listener);
    let (http_scheme, ws_scheme) = schemes(&config, local_addr);
    let server = listen::serve(listener, listen_settings(&config), move || {
        App::new()
            .app_data(data.clone())
            .app_data(auth.clone())
            .app_data(gate.clone())
            .app_data(proxies.clone())
            .app_data(tickets.clone())
            .configure(health::configure)
            // Before the REST scope, which would otherwise take its path.
            .configure(ticket::configure)
            .configure(rest::configure)
            .configure(metrics::configure)
            .configure(ws::configure)
            .configure(fallback::configure)
            .wrap(actix_web::middleware::from_fn(fallback::shape))
            // Outermost: CORS headers go on every answer in its final shape.
            .wrap(actix_web::middleware::from_fn(cors::cors))
    })?;
    let handle = server.handle();
    tracing::info!(
        addr = %local_addr,
        interval_ms,
        history = config.history_capacity,
        workers = config.workers,
        auth = auth_state,
        tls = if config.tls.is_some() { "on" } else { "off" },
        epoch,
        "HostPulse server listening on {http_scheme}://{local_addr} (WebSocket at {ws_scheme}://{local_addr}{})",
        hostpulse_shared::WS_PATH
    );
    #[cfg(unix)]
    let notifier = config
        .notify_systemd
        .then(|| systemd::announce_ready(&hub, &format!("{http_scheme}://{local_addr}")))
        .flatten();

    let mut server = std::pin::pin!(server);
    let outcome = tokio::select! {
        result = &mut server => result,
        () = shutdown => {
            tracing::info!(clients = hub.client_count(), "shutting down");
            #[cfg(unix)]
            if let Some(notifier) = &notifier {
                notifier.notify("STOPPING=1");
            }
            hub.shut_down();
            // The server future handles the stop command, so it must keep being
            // polled while the stop is awaited.
            let stop = async {
                // Give sessions a moment to send their close frames first.
                tokio::time::sleep(Duration::from_millis(50)).await;
                handle.stop(true).await;
            };
            tokio::join!(stop, &mut server).1
        }
    };
    drop(ticker);
    drop(alerting);
    close_archive(&hub).await;
    Ok(outcome?)
}

/// The sampler, the host's facts, the history on disk (unless in memory
/// only) and where sampling starts. sysinfo blocks on /proc and /sys, and
/// opening the history reads files: both stay off the executor
/// (ARCHITECTURE.md, invariant 4).
async fn open_sampler_and_history(
    config: &Config,
) -> Result<
    (
        Sampler,
        hostpulse_shared::HostInfo,
        Option<archive::Archive>,
        archive::Start,
    ),
    ServerError,
> {
    let history_store = config.history_store.clone();
    let interval = config.interval;
    let (sampler, host, archive) = tokio::task::spawn_blocking(move || {
        let archive = match history_store {
            Some(settings) => match archive::open(&settings, interval) {
                Ok(opened) => Some(opened),
                Err(error) if !settings.required => {
                    tracing::warn!("{error}; keeping the history in memory only");
                    None
                }
                Err(error) => return Err(error.into()),
            },
            None => None,
        };
        let sampler = Sampler::new()?;
        let host = sampler.host_info();
        Ok::<_, ServerError>((sampler, host, archive))
    })
    .await
    .map_err(|_| std::io::Error::other("the sampler failed to start"))??;
    if let Some((archive, start)) = archive {
        return Ok((sampler, host, Some(archive), start));
    }
    tracing::info!("history: in memory only, a restart forgets it");
    Ok((sampler, host, None, archive::Start::fresh()))
}

/// Makes the history on disk whole and marks the clean stop after the last
/// sample published (the sampler has stopped), so the next start goes on
/// with this epoch.
async fn close_archive(hub: &Arc<Hub>) {
    let Some(archive) = hub.archive().cloned() else {
        return;
    };
    let last = hub.latest().map(|l| (l.sample.epoch, l.sample.seq));
    if tokio::task::spawn_blocking(move || archive.close(last))
        .await
        .is_err()
    {
        tracing::error!("closing the history on disk failed");
    }
}

/// Starts the alert evaluator (unless there is nothing to evaluate) and
/// attaches it to the hub, which offers it every sample; the rules and what
/// is firing go into the hello, and transitions are broadcast to the
/// sessions as `alert` messages.
fn start_alerting(
    config: &Config,
    hub: &Arc<Hub>,
    host_name: &str,
) -> Result<Option<Arc<hostpulse_alerts::Engine>>, ServerError> {
    if config.alerts.rules.is_empty() {
        return Ok(None);
    }
    let options = hostpulse_alerts::EngineOptions {
        rules: config.alerts.rules.clone(),
        webhooks: config.alerts.webhooks.clone(),
        host: host_name.to_owned(),
        interval: config.interval,
        state_file: config
            .data_dir
            .as_deref()
            .map(hostpulse_alerts::StateFile::in_dir),
        history_capacity: hostpulse_alerts::history::DEFAULT_CAPACITY,
        // The alert log lives beside the history on disk, kept as long as
        // its longest tier; with the history in memory only, so is the log.
        history_retention: config.history_store.as_ref().map(|s| s.hour_retention),
        journal: config
            .history_store
            .as_ref()
            .and(config.data_dir.as_deref())
            .map(hostpulse_alerts::Journal::in_dir),
        first_backoff: hostpulse_alerts::delivery::FIRST_BACKOFF,
    };
    // The engine outlives no server: the hub it holds is dropped with it.
    let weak = Arc::downgrade(hub);
    let engine = Arc::new(hostpulse_alerts::Engine::spawn(
        options,
        Box::new(move |event, status| {
            if let Some(hub) = weak.upgrade() {
                hub.publish_alert(event, status.summary());
            }
        }),
    )?);
    // Before the first viewer: the hello lists the rules, and what was
    // still firing before a restart.
    hub.set_alerts(engine.status().summary())?;
    hub.attach_alerting(Arc::clone(&engine));
    Ok(Some(engine))
}
