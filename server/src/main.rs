//! The `hostpulse-server` binary: settings, logging, signals; the rest is the
//! library.

use std::process::ExitCode;

use clap::Parser;
use hostpulse_server::{Args, EXIT_FAILURE, EXIT_USAGE, SelfSigned, fatal};

/// The name every message of this program starts with.
const PROGRAM: &str = "hostpulse-server";

/// mimalloc, not glibc's malloc: after an attack on the server ends, glibc
/// kept what its per-thread arenas had grown to (+9 MiB after 2,000 slowloris
/// connections, 20 s on), while mimalloc gives freed pages back to the
/// system (BENCHMARKS.md, "Attacks"). Built with `no_thp`: with huge pages its
/// eagerly committed arenas cost 11 MiB at rest, without them 0.3 MiB more
/// than glibc's malloc.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let args = Args::parse();
    hostpulse_server::init_logging();
    if let Some(dir) = &args.make_certs {
        return make_certs(dir, &args.cert_names);
    }
    let mut settings = match args.resolve(std::env::vars()) {
        Ok(settings) => settings,
        Err(error) => {
            fatal(PROGRAM, &format_args!("configuration error: {error}"));
            return ExitCode::from(EXIT_USAGE);
        }
    };
    if args.check_config {
        println!("{}", settings.describe());
        return ExitCode::SUCCESS;
    }
    if let Some(rule) = &args.test_alert {
        return test_alert(&settings.config.alerts, rule);
    }
    if let Some(days) = args.fill_history {
        return fill_history(&settings.config, days);
    }
    settings.config.notify_systemd = true;
    match serve(settings) {
        Ok(()) => ExitCode::SUCCESS,
        // Restarting cannot mend these (another server holds the history's
        // directory, or it cannot be written): like a configuration error.
        Err(error)
            if error
                .downcast_ref::<hostpulse_server::ServerError>()
                .is_some_and(hostpulse_server::ServerError::is_configuration) =>
        {
            eprintln!("hostpulse-server: {error:#}");
            ExitCode::from(2)
        }
        Err(error) => {
            fatal(PROGRAM, &format_args!("{error:#}"));
            ExitCode::from(EXIT_FAILURE)
        }
    }
}

/// `--fill-history DAYS`: made-up history in the data directory, with progress.
fn fill_history(config: &hostpulse_server::Config, days: f64) -> ExitCode {
    let started = std::time::Instant::now();
    let mut shown = -5_i64;
    let filled = hostpulse_server::fill_history(config, days, |done| {
        #[allow(clippy::cast_possible_truncation)] // a percentage
        let percent = (done * 100.0).floor() as i64;
        if percent / 5 != shown / 5 {
            shown = percent;
            println!(
                "hostpulse-server: filling {days} days of history: {percent} % ({:.0} s)",
                started.elapsed().as_secs_f64()
            );
        }
    });
    match filled {
        Ok(filled) => {
            println!(
                "hostpulse-server: wrote {days} days of made-up history ({:.1} MiB) in {:.0} s",
                filled.bytes_on_disk as f64 / f64::from(1 << 20),
                started.elapsed().as_secs_f64()
            );
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("hostpulse-server: {error}");
            ExitCode::from(2)
        }
    }
}

/// `--make-certs`: a private CA and a server certificate, and how to use them.
fn make_certs(dir: &std::path::Path, names: &[String]) -> ExitCode {
    let names = if names.is_empty() {
        let mut names: Vec<String> = sysinfo::System::host_name().into_iter().collect();
        names.extend(["localhost", "127.0.0.1", "::1"].map(String::from));
        names
    } else {
        names.to_vec()
    };
    let written = SelfSigned::generate(&names).and_then(|made| made.write_to(dir));
    match written {
        Ok([ca, cert, key]) => {
            println!(
                "Wrote {} (the CA), {} and {} (the server's, key readable by you only), \
                 for {}.\n\nServe with:\n  hostpulse-server --tls-cert {} --tls-key {} …\n\n\
                 Copy {} to each viewer and start the dashboard with it:\n  \
                 SSL_CERT_FILE=ca.pem hostpulse-dashboard wss://{}:{}",
                ca.display(),
                cert.display(),
                key.display(),
                names.join(", "),
                cert.display(),
                key.display(),
                ca.display(),
                names.first().map_or("localhost", String::as_str),
                hostpulse_shared::DEFAULT_PORT,
            );
            ExitCode::SUCCESS
        }
        Err(error) => {
            fatal(PROGRAM, &error);
            ExitCode::from(EXIT_FAILURE)
        }
    }
}

/// `--test-alert NAME`: one test notice through every webhook.
fn test_alert(alerts: &hostpulse_alerts::AlertsConfig, rule: &str) -> ExitCode {
    let host = sysinfo::System::host_name()
        .into_iter()
        .next()
        .unwrap_or_else(|| "this host".to_owned());
    match hostpulse_alerts::test_alert::send_test(alerts, rule, &host) {
        Ok(deliveries) => {
            let mut failed = false;
            for delivery in &deliveries {
                let outcome = match &delivery.outcome {
                    hostpulse_alerts::delivery::Outcome::Delivered { status } => {
                        format!("delivered ({status})")
                    }
                    hostpulse_alerts::delivery::Outcome::Failed { error } => {
                        failed = true;
                        format!("FAILED: {error}")
                    }
                    hostpulse_alerts::delivery::Outcome::Dropped => {
                        failed = true;
                        "dropped".to_owned()
                    }
                };
                println!(
                    "webhook {}: {outcome} after {} attempt(s), {} ms",
                    delivery.webhook, delivery.attempts, delivery.took_ms
                );
            }
            if failed {
                ExitCode::from(EXIT_FAILURE)
            } else {
                ExitCode::SUCCESS
            }
        }
        Err(error) => {
            fatal(PROGRAM, &error);
            ExitCode::from(EXIT_USAGE)
        }
    }
}

fn serve(settings: hostpulse_server::Settings) -> anyhow::Result<()> {
    #[cfg(target_os = "linux")]
    hostpulse_server::raise_fd_limit(settings.config.max_clients);
    let listener = hostpulse_server::bind(settings.bind)?;
    actix_web::rt::System::new().block_on(hostpulse_server::run(
        listener,
        settings.config,
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
