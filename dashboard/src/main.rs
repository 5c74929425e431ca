//! The `hostpulse-dashboard` binary: flags, logging and the native window; the
//! rest is the library.

use std::process::ExitCode;

use clap::{CommandFactory as _, Parser as _};
use hostpulse_dashboard::DashboardApp;
use hostpulse_dashboard::cli::{APP_ID, Args};
use hostpulse_dashboard::prefs::Prefs;
use hostpulse_server::{EXIT_FAILURE, fatal};

fn main() -> ExitCode {
    let args = Args::parse();
    hostpulse_server::init_logging();

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
            Ok(Box::new(DashboardApp::start(
                &cc.egui_ctx,
                &urls,
                token.as_ref(),
                &prefs,
            )))
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
