//! The `hostpulse-server` binary: flags, logging, signals; the rest is the library.

use std::process::ExitCode;

use clap::Parser;
use hostpulse_server::config::Args;

fn main() -> ExitCode {
    let args = Args::parse();
    hostpulse_server::logging::init();
    match serve(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("hostpulse-server: {error:#}");
            ExitCode::FAILURE
        }
    }
}

fn serve(args: &Args) -> anyhow::Result<()> {
    let listener = hostpulse_server::bind(args.bind)?;
    actix_web::rt::System::new().block_on(hostpulse_server::run(
        listener,
        args.config(),
        shutdown_signal(),
    ))?;
    Ok(())
}

/// Resolves on Ctrl-C or SIGTERM (what systemd sends to stop a service).
async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut terminate) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = terminate.recv() => {}
                }
            }
            Err(error) => {
                tracing::warn!(%error, "cannot watch SIGTERM; stopping on Ctrl-C only");
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
