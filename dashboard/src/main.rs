//! The `hostpulse-dashboard` binary: flags, logging and the native window; the
//! rest is the library.

use std::process::ExitCode;

use clap::Parser;
use hostpulse_dashboard::notify::{Desktop, Freedesktop, test_notice};
use hostpulse_dashboard::prefs::Prefs;
use hostpulse_dashboard::{DashboardApp, address};

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

    /// File holding the bearer token the hosts given here want (for servers
    /// started with a token). The token itself never goes on the command line.
    #[arg(long, value_name = "FILE")]
    token_file: Option<std::path::PathBuf>,

    /// Send one test notification to the desktop's notification service and
    /// exit: 0 when it was taken, 1 (saying why) when no service answers.
    #[arg(long)]
    test_notification: bool,
}

fn main() -> ExitCode {
    let args = Args::parse();
    hostpulse_server::init_logging();
    if args.test_notification {
        return test_notification();
    }

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
            let mut app = DashboardApp::start(&cc.egui_ctx, &urls, token.as_ref(), &prefs);
            app.notify_desktop();
            Ok(Box::new(app))
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

/// `--test-notification`: one notice through the desktop's notification
/// service, and what became of it.
fn test_notification() -> ExitCode {
    let mut desktop = Freedesktop;
    let shown = desktop
        .probe()
        .and_then(|server| desktop.show(&test_notice()).map(|()| server));
    match shown {
        Ok(server) => {
            println!("desktop notification: shown by {server}");
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!(
                "hostpulse-dashboard: {error}. Alerts show in the dashboard's alerts panel only; \
                 for desktop notifications, run a notification service (most desktops have one; \
                 e.g. dunst) on this session's D-Bus"
            );
            ExitCode::FAILURE
        }
    }
}
