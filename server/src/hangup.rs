//! A way for a session to hang up on its viewer's connection.
//!
//! Closing a WebSocket only queues a close frame. A viewer that stopped
//! reading never takes it, and actix-http keeps such a connection, its buffers
//! and its socket, for as long as the peer keeps acknowledging with a zero
//! window — that is, forever. So each connection's socket is kept here (a
//! duplicate of its descriptor, closed with the connection), and a session
//! that gives up on a stalled viewer shuts the socket down, which makes
//! actix-http drop the connection at once.

use std::any::Any;
use std::sync::Arc;

use actix_web::dev::Extensions;
use actix_web::rt::net::TcpStream;

/// The socket of one connection, shared with its session.
#[derive(Debug, Clone)]
pub struct Hangup {
    #[cfg(unix)]
    socket: Arc<std::os::fd::OwnedFd>,
}

impl Hangup {
    /// For [`actix_web::HttpServer::on_connect`]: keeps the connection's socket
    /// in its extensions, plain or TLS.
    pub fn on_connect(connection: &dyn Any, extensions: &mut Extensions) {
        #[cfg(unix)]
        {
            use std::os::fd::AsFd;
            type Tls = actix_tls::accept::rustls_0_23::TlsStream<TcpStream>;
            let tcp = connection
                .downcast_ref::<TcpStream>()
                .or_else(|| connection.downcast_ref::<Tls>().map(|tls| tls.get_ref().0));
            match tcp.map(|tcp| tcp.as_fd().try_clone_to_owned()) {
                Some(Ok(socket)) => {
                    extensions.insert(Self {
                        socket: Arc::new(socket),
                    });
                }
                Some(Err(error)) => {
                    tracing::warn!(%error, "cannot keep a connection's socket: a stalled viewer will linger");
                }
                None => {}
            }
        }
    }

    /// Shuts the connection down in both directions.
    pub fn now(&self) {
        #[cfg(unix)]
        if let Err(error) = socket2::SockRef::from(&*self.socket).shutdown(std::net::Shutdown::Both)
        {
            tracing::debug!(%error, "hanging up: the connection was already gone");
        }
    }
}
