//! The whole server on a thread of its own, with its own actix system. The
//! dashboard uses it to watch the local machine through the same WebSocket path a
//! remote host uses, and tests use it to start real servers on `127.0.0.1:0`.

use std::net::{SocketAddr, TcpListener};
use std::thread::JoinHandle;

use tokio::sync::oneshot;

use crate::{Config, ServerError};

/// A server running on a background thread. Dropping it stops the server and
/// waits for it to finish.
#[derive(Debug)]
pub struct BackgroundServer {
    addr: SocketAddr,
    tls: bool,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<Result<(), ServerError>>>,
}

impl BackgroundServer {
    /// Starts serving `listener` on a new thread named `hostpulse-server`.
    pub fn spawn(listener: TcpListener, config: Config) -> Result<Self, ServerError> {
        let addr = listener.local_addr()?;
        let tls = config.tls.is_some();
        let (stop, stopped) = oneshot::channel::<()>();
        let thread = std::thread::Builder::new()
            .name("hostpulse-server".into())
            .spawn(move || {
                actix_web::rt::System::new().block_on(crate::run(listener, config, async {
                    // Either a stop request or a dropped handle ends the server.
                    let _ = stopped.await;
                }))
            })?;
        Ok(Self {
            addr,
            tls,
            stop: Some(stop),
            thread: Some(thread),
        })
    }

    /// Binds `127.0.0.1` on a port the OS chooses and starts serving it.
    pub fn spawn_on_loopback(config: Config) -> Result<Self, ServerError> {
        let listener = crate::bind(SocketAddr::from(([127, 0, 0, 1], 0)))?;
        Self::spawn(listener, config)
    }

    /// The address the server listens on.
    #[must_use]
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The URL of its WebSocket stream (`wss://` when it serves TLS).
    #[must_use]
    pub fn ws_url(&self) -> String {
        let scheme = if self.tls { "wss" } else { "ws" };
        format!("{scheme}://{}{}", self.addr, hostpulse_shared::WS_PATH)
    }

    /// Stops the server, waits for it, and returns how it ended.
    pub fn stop(mut self) -> Result<(), ServerError> {
        self.stop_and_join()
    }

    fn stop_and_join(&mut self) -> Result<(), ServerError> {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        match self.thread.take().map(JoinHandle::join) {
            Some(Ok(result)) => result,
            Some(Err(_)) => Err(ServerError::Io(std::io::Error::other(
                "the server thread panicked",
            ))),
            None => Ok(()),
        }
    }
}

impl Drop for BackgroundServer {
    fn drop(&mut self) {
        if let Err(error) = self.stop_and_join() {
            tracing::error!(%error, "background server failed");
        }
    }
}
