//! The `hostpulse-dashboard` binary: flags, logging and the native window; the
//! rest is the library.

use std::process::ExitCode;

use clap::{CommandFactory as _, Parser as _};
use hostpulse_dashboard::DashboardApp;
use hostpulse_dashboard::cli::{APP_ID, Args};
use hostpulse_dashboard::notify::{Desktop, Freedesktop, test_notice};
use hostpulse_dashboard::prefs::Prefs;
use hostpulse_dashboard::secrets::TokenKeeper;
use hostpulse_server::{EXIT_FAILURE, fatal};

/// How long the window waits for the secret store before it opens.
const SECRET_STORE_WAIT: std::time::Duration = std::time::Duration::from_secs(5);

fn main() -> ExitCode {
    let args = Args::parse();
    hostpulse_server::init_logging();
    if args.test_notification {
        return test_notification();
    }

    let urls = args.hosts;

    let mut viewport = egui::ViewportBuilder::default()
        .with_title("HostPulse")
        .with_app_id(APP_ID)
        .with_inner_size([1280.0, 800.0])
        .with_min_inner_size([640.0, 400.0]);
    match eframe::icon_data::from_png_bytes(include_bytes!("../../assets/hostpulse.png")) {
        Ok(icon) => viewport = viewport.with_icon(icon),
        Err(error) => tracing::warn!(%error, "cannot decode the window icon"),
    }
    let token = match &args.token_file {
        Some(path) => match std::fs::read_to_string(path) {
            Ok(text) => Some(hostpulse_shared::Secret::new(text.trim())),
            // A usage error, reported and ended (status 2) by clap like the others.
            Err(error) => Args::command()
                .error(
                    clap::error::ErrorKind::Io,
                    format!("cannot read --token-file {}: {error}", path.display()),
                )
                .exit(),
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
            let mut app = DashboardApp::start_keeping(
                &cc.egui_ctx,
                &urls,
                token.as_ref(),
                &prefs,
                keeper,
                &remembered,
            );
            app.notify_desktop();
            Ok(Box::new(app))
        }),
    );
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            fatal(
                "hostpulse-dashboard",
                &format_args!("cannot open the window: {error}"),
            );
            ExitCode::from(EXIT_FAILURE)
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
            ExitCode::from(hostpulse_server::EXIT_OK)
        }
        Err(error) => {
            eprintln!(
                "hostpulse-dashboard: {error}. Alerts show in the dashboard's alerts panel only; \
                 for desktop notifications, run a notification service (most desktops have one; \
                 e.g. dunst) on this session's D-Bus"
            );
            ExitCode::from(EXIT_FAILURE)
        }
    }
}
