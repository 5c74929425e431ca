//! "No host given" means "watch this machine": a HostPulse server runs inside the
//! dashboard on a loopback port the OS picks, and the dashboard connects to it over
//! WebSocket, the same path as any remote host. It keeps its history on disk in
//! the dashboard's data folder, so this machine's history outlives the app.

use std::path::PathBuf;

use hostpulse_server::{BackgroundServer, Config, HistoryStore};

/// Label of the in-process host in the host list.
pub const LOCAL_LABEL: &str = "This computer";

/// Starts the in-process server. It stops when the returned handle is dropped.
pub fn start() -> Result<BackgroundServer, hostpulse_server::ServerError> {
    BackgroundServer::spawn_on_loopback(config())
}

/// The in-process server's settings: the defaults, with the history in the
/// dashboard's data folder (`~/.local/share/hostpulse-dashboard/history` on
/// Linux), or in memory only when there is none or another dashboard
/// holds it.
fn config() -> Config {
    let data_dir: Option<PathBuf> = dirs::data_dir().map(|dir| dir.join("hostpulse-dashboard"));
    Config {
        history_store: data_dir.as_deref().map(|dir| HistoryStore {
            required: false,
            ..HistoryStore::in_data_dir(dir)
        }),
        data_dir,
        ..Config::default()
    }
}
