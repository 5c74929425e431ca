//! `hostpulse-cost`: the command-line shell over [`measure`]. Starts one peer,
//! polls it as its client would, measures it, stops it by PID, and prints its
//! figures (or writes them as JSON for `scripts/benchmarks.sh`).

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;
use clap::{Parser, ValueEnum};
use hostpulse_bench::cost::measure::{CostConfig, CostReport, measure};
use hostpulse_bench::cost::peer::Peer;
use hostpulse_bench::cost::poller::Poll;

/// Measures what one metrics agent costs its host: CPU as percent of one core
/// (per-thread schedstat over the window) and peak resident memory (`VmHWM`),
/// while it is polled the way its own client polls it. `{port}` in the
/// command becomes a free loopback port.
#[derive(Debug, Parser)]
#[command(name = "hostpulse-cost", version, about)]
struct Args {
    /// How the peer is kept busy.
    #[arg(long, value_enum)]
    poll: PollArg,

    /// The path for `--poll http`, e.g. `/metrics`.
    #[arg(long, default_value = "/metrics")]
    path: String,

    /// The token for `--poll socktop` (the agent's `SOCKTOP_TOKEN`).
    #[arg(long)]
    token: Option<String>,

    /// The measurement window.
    #[arg(long, default_value_t = 60)]
    duration_secs: u64,

    /// Polled but not measured, once the peer listens.
    #[arg(long, default_value_t = 5)]
    warmup_secs: u64,

    /// Time between polls.
    #[arg(long, default_value_t = 1000, value_parser = clap::value_parser!(u64).range(10..))]
    period_ms: u64,

    /// How long the peer may take to accept connections.
    #[arg(long, default_value_t = 60)]
    ready_timeout_secs: u64,

    /// Where the peer's output goes [default: discarded].
    #[arg(long, value_name = "FILE")]
    log: Option<PathBuf>,

    /// Also write the figures as JSON to FILE.
    #[arg(long, value_name = "FILE")]
    json: Option<PathBuf>,

    /// The peer's program and arguments.
    #[arg(last = true, required = true, value_name = "COMMAND")]
    command: Vec<String>,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum PollArg {
    /// Nothing (the floor works on its own).
    None,
    /// One HostPulse viewer on the live stream.
    Hostpulse,
    /// socktop's client cadence.
    Socktop,
    /// An HTTP GET of --path each period.
    Http,
}

fn main() -> ExitCode {
    let args = Args::parse();
    match run(&args) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(1),
        Err(error) => {
            eprintln!("hostpulse-cost: {error:#}");
            ExitCode::from(2)
        }
    }
}

fn run(args: &Args) -> anyhow::Result<bool> {
    let config = CostConfig {
        poll: match args.poll {
            PollArg::None => Poll::Nothing,
            PollArg::Hostpulse => Poll::HostPulseStream,
            PollArg::Socktop => Poll::Socktop {
                token: args.token.clone(),
            },
            PollArg::Http => Poll::Http {
                path: args.path.clone(),
            },
        },
        period: Duration::from_millis(args.period_ms),
        warmup: Duration::from_secs(args.warmup_secs),
        window: Duration::from_secs(args.duration_secs),
        ready_timeout: Duration::from_secs(args.ready_timeout_secs),
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    let report = runtime.block_on(async {
        let mut peer = Peer::spawn(&args.command, args.log.as_deref())?;
        eprintln!(
            "hostpulse-cost: {} (PID {}){}: {} s warm-up, {} s window",
            peer.program(),
            peer.pid,
            peer.addr
                .map_or_else(String::new, |addr| format!(" on {addr}")),
            args.warmup_secs,
            args.duration_secs
        );
        // Interrupted, the peer is still stopped: dropping it kills it.
        let report = tokio::select! {
            report = measure(&mut peer, &config) => report?,
            () = interrupted() => anyhow::bail!("interrupted; {} stopped", peer.program()),
        };
        peer.stop();
        anyhow::Ok(report)
    })?;

    if let Some(path) = &args.json {
        let json = serde_json::to_string_pretty(&report).context("cannot write the figures")?;
        std::fs::write(path, json + "\n")
            .with_context(|| format!("cannot write {}", path.display()))?;
    }
    print_report(&report);
    Ok(report.passed)
}

/// Ctrl-C or SIGTERM.
async fn interrupted() {
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).ok();
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        Some(()) = async { term.as_mut()?.recv().await } => {}
    }
}

fn print_report(report: &CostReport) {
    let mib = |bytes: u64| bytes as f64 / f64::from(1 << 20);
    let poll = &report.poll;
    println!(
        "{}: CPU {:.3} % of one core over {:.1} s (ticks: {:.2} %{}), peak RSS {:.1} MiB, \
         RSS at the end {:.1} MiB; polls: {} requests, {} answers, {} bytes, {} errors{}",
        report.program,
        report.cpu_percent,
        report.window_secs,
        report.stat_cpu_percent,
        if report.exited_threads_suspected {
            ", more than schedstat: threads exited in the window"
        } else {
            ""
        },
        mib(report.peak_rss_bytes),
        mib(report.rss_end_bytes),
        poll.requests,
        poll.responses,
        poll.bytes_received,
        poll.errors,
        poll.first_error
            .as_deref()
            .map_or_else(String::new, |error| format!(" (first: {error})")),
    );
}
