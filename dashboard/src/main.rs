//! The `hostpulse-dashboard` binary: flags, logging and the native window; the
//! rest is the library.

use std::process::ExitCode;

use clap::Parser;
use hostpulse_dashboard::prefs::Prefs;
use hostpulse_dashboard::secrets::TokenKeeper;
use hostpulse_dashboard::{DashboardApp, address};

/// How long the window waits for the secret store before it opens.
const SECRET_STORE_WAIT: std::time::Duration = std::time::Duration::from_secs(5);

/// `hostpulse-dashboard`: plots live metrics from HostPulse servers. With no host,
/// it watches this computer.
#[derive(Debug, Parser)]
#[command(name = "hostpulse-dashboard", version, about, long_about = None)]
struct Args {
    #[arg(
        value_name = "HOST",
        help = "Servers to watch: ws://host:9470/ws, wss://host/ws, host or host:port"
    )]
    hosts: Vec<String>,

    /// File holding the bearer token of servers started with a token. It is
    /// presented to the hosts named here, and to every remembered host that
    /// has no token of its own once that host asks for one (answers 401);
    /// a server that wants no token never sees it. The token itself never
    /// goes on the command line.
    #[arg(long, value_name = "FILE")]
    token_file: Option<std::path::PathBuf>,
}

fn main() -> ExitCode {
    let args = Args::parse();
    hostpulse_server::init_logging();

    let mut urls = Vec::new();
    for host in &args.hosts {
        match address::parse(host) {
            Ok(url) => urls.push(String::from(url)),
            Err(error) => {
                eprintln!("hostpulse-dashboard: {host:?}: {error}");
                return ExitCode::FAILURE;
            }
        }
    }

    let mut viewport = egui::ViewportBuilder::default()
        .with_title("HostPulse")
        .with_app_id("hostpulse-dashboard")
        .with_inner_size([1280.0, 800.0])
        .with_min_inner_size([640.0, 400.0]);
    match eframe::icon_data::from_png_bytes(include_bytes!("../../assets/hostpulse.png")) {
        Ok(icon) => viewport = viewport.with_icon(icon),
        Err(error) => tracing::warn!(%error, "cannot decode the window icon"),
    }
    let token = match &args.token_file {
        Some(path) => match std::fs::read_to_string(path) {
            Ok(text) => Some(hostpulse_shared::Secret::new(text.trim())),
            Err(error) => {
                eprintln!(
                    "hostpulse-dashboard: cannot read --token-file {}: {error}",
                    path.display()
                );
                return ExitCode::FAILURE;
            }
        },
        None => None,
    };
    let options = eframe::NativeOptions {
        // glow (OpenGL) costs far less than wgpu under software rendering.
        renderer: eframe::Renderer::Glow,
        viewport,
        ..eframe::NativeOptions::default()
    };
    let result = eframe::run_native(
        "HostPulse",
        options,
        Box::new(move |cc| {
            let prefs = Prefs::load(cc.storage);
            let (keeper, remembered) = if prefs.tokens_for_run_only {
                (TokenKeeper::run_only(None), Vec::new())
            } else {
                let saved = prefs.hosts.iter().map(|h| h.url.clone()).collect();
                TokenKeeper::open(saved, SECRET_STORE_WAIT)
            };
            Ok(Box::new(DashboardApp::start_keeping(
                &cc.egui_ctx,
                &urls,
                token.as_ref(),
                &prefs,
                keeper,
                &remembered,
            )))
        }),
    );
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("hostpulse-dashboard: cannot open the window: {error}");
            ExitCode::FAILURE
        }
    }
}
