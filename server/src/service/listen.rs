//! The HTTP stack on the listening socket: each accepted connection is
//! counted against the plain HTTP cap, goes through TLS when it is on, and
//! reaches actix-http's dispatcher through its [`Guard`].
//!
//! This is what `actix_web::HttpServer` assembles, built by hand because
//! `HttpServer` cannot put anything between a socket and its dispatcher, and
//! the guard must sit exactly there (see [`crate::service::guard`]).

use std::fmt;
use std::io;
use std::net::{SocketAddr, TcpListener};
use std::sync::Arc;
use std::time::Duration;

use actix_http::{HttpService, Protocol, Request, Response, body::MessageBody};
use actix_server::Server;
use actix_service::{
    IntoServiceFactory, Service, ServiceFactory, ServiceFactoryExt as _, fn_service, map_config,
};
use actix_web::dev::AppConfig;
use actix_web::rt::net::TcpStream;

use crate::service::guard::{Guard, Limits, refuse};

/// How the listener is served.
pub struct Settings {
    /// Worker threads.
    pub workers: usize,
    /// How long a client may take to send its first request head.
    pub handshake_timeout: Duration,
    /// How much of a response body actix-http takes into its write buffer at once.
    pub write_buffer_bytes: usize,
    /// How long open connections get to finish when the server stops.
    pub shutdown_grace: Duration,
    /// TLS, when on.
    pub tls: Option<Arc<rustls::ServerConfig>>,
    /// The plain HTTP connection cap.
    pub limits: Arc<Limits>,
}

/// How long a TLS handshake may take.
const TLS_HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(3);
/// How long a closing connection gets to take its last bytes (actix-web's default).
const DISCONNECT_TIMEOUT: Duration = Duration::from_secs(1);

/// The dispatcher for a guarded connection over `S`.
fn http_service<S, F, I, T, B>(
    app: &F,
    local_addr: SocketAddr,
    settings: &Settings,
) -> impl ServiceFactory<
    (Guard<S>, Protocol, Option<SocketAddr>),
    Config = (),
    Response = (),
    Error = actix_http::error::DispatchError,
    InitError = (),
> + use<S, F, I, T, B>
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + 'static,
    F: Fn() -> I,
    I: IntoServiceFactory<T, Request>,
    T: ServiceFactory<Request, Config = AppConfig> + 'static,
    T::Error: Into<actix_web::Error> + 'static,
    T::InitError: fmt::Debug,
    T::Response: Into<Response<B>> + 'static,
    <T::Service as Service<Request>>::Future: 'static,
    B: MessageBody + 'static,
{
    let factory = app()
        .into_factory()
        .map_err(|error| error.into().error_response());
    HttpService::build()
        .client_request_timeout(settings.handshake_timeout)
        .client_disconnect_timeout(DISCONNECT_TIMEOUT)
        .h1_write_buffer_size(settings.write_buffer_bytes)
        .local_addr(local_addr)
        .on_connect_ext(|io: &Guard<S>, data: &mut actix_http::Extensions| {
            data.insert(io.conn());
        })
        .finish(map_config(factory, |()| AppConfig::default()))
}

/// Serves `listener` with the app `app` builds (once per worker).
pub fn serve<F, I, T, B>(listener: TcpListener, settings: Settings, app: F) -> io::Result<Server>
where
    F: Fn() -> I + Send + Clone + 'static,
    I: IntoServiceFactory<T, Request>,
    T: ServiceFactory<Request, Config = AppConfig> + 'static,
    T::Error: Into<actix_web::Error> + 'static,
    T::InitError: fmt::Debug,
    T::Response: Into<Response<B>> + 'static,
    <T::Service as Service<Request>>::Future: 'static,
    B: MessageBody + 'static,
{
    let local_addr = listener.local_addr()?;
    let builder = Server::build()
        .workers(settings.workers)
        .disable_signals()
        .shutdown_timeout(settings.shutdown_grace.as_secs());
    let settings = Arc::new(settings);
    let builder = match settings.tls.clone() {
        None => builder.listen("hostpulse-http", listener, move || {
            let limits = Arc::clone(&settings.limits);
            fn_service(move |tcp: TcpStream| {
                let limits = Arc::clone(&limits);
                async move {
                    let peer = tcp.peer_addr().ok();
                    if let Some(slot) = limits.try_open(peer.map(|peer| peer.ip())) {
                        Ok((Guard::new(tcp, slot), Protocol::Http1, peer))
                    } else {
                        refuse(tcp, &limits).await;
                        Err(over_capacity())
                    }
                }
            })
            .and_then(http_service(&app, local_addr, &settings))
        })?,
        Some(tls) => {
            let acceptor = tokio_rustls::TlsAcceptor::from(tls);
            builder.listen("hostpulse-https", listener, move || {
                let limits = Arc::clone(&settings.limits);
                let acceptor = acceptor.clone();
                fn_service(move |tcp: TcpStream| {
                    let limits = Arc::clone(&limits);
                    let acceptor = acceptor.clone();
                    async move {
                        let peer = tcp.peer_addr().ok();
                        // Over the cap, a TLS connection is closed before its
                        // handshake: an answer would cost the handshake first.
                        let slot = limits
                            .try_open(peer.map(|peer| peer.ip()))
                            .ok_or_else(over_capacity)?;
                        let tls = tokio::time::timeout(TLS_HANDSHAKE_TIMEOUT, acceptor.accept(tcp))
                            .await
                            .map_err(|_| {
                                actix_http::error::DispatchError::Io(io::Error::new(
                                    io::ErrorKind::TimedOut,
                                    "TLS handshake timed out",
                                ))
                            })?
                            .map_err(actix_http::error::DispatchError::Io)?;
                        Ok((Guard::new(tls, slot), Protocol::Http1, peer))
                    }
                })
                .and_then(http_service(&app, local_addr, &settings))
            })?
        }
    };
    Ok(builder.run())
}

fn over_capacity() -> actix_http::error::DispatchError {
    actix_http::error::DispatchError::Io(io::Error::other("over the connection cap"))
}
