//! "No host given" means "watch this machine": a HostPulse server runs inside the
//! dashboard on a loopback port the OS picks, and the dashboard connects to it over
//! WebSocket, the same path as any remote host.

use hostpulse_server::BackgroundServer;
use hostpulse_server::Config;

/// Label of the in-process host in the host list.
pub const LOCAL_LABEL: &str = "This computer";

/// Starts the in-process server. It stops when the returned handle is dropped.
pub fn start() -> Result<BackgroundServer, hostpulse_server::ServerError> {
    BackgroundServer::spawn_on_loopback(Config::default())
}
