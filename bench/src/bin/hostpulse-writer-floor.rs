//! `hostpulse-writer-floor`: the fan-out floor ([`writer_floor::serve`]) as a
//! process of its own, so `hostpulse-load` measures it from outside exactly as
//! it measures the server.

use std::net::{SocketAddr, TcpListener};
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;
use clap::Parser;
use hostpulse_bench::writer_floor::{FloorConfig, serve};

/// A WebSocket server that does the least a server can per viewer: one sample
/// encoded and framed once per tick, then one blocking write per viewer. Point
/// `hostpulse-load` at it to see the latency floor of this machine's loopback
/// TCP. Runs until stopped.
#[derive(Debug, Parser)]
#[command(name = "hostpulse-writer-floor", version, about)]
struct Args {
    /// Address to listen on (port 0: any free port; the log says which).
    #[arg(long, default_value = "127.0.0.1:0")]
    bind: SocketAddr,

    /// Time between samples.
    #[arg(long, default_value_t = 1000, value_parser = clap::value_parser!(u64).range(10..))]
    interval_ms: u64,

    /// Threads writing each sample, each to its share of the viewers.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u64).range(1..=64))]
    writers: u64,
}

fn main() -> ExitCode {
    let args = Args::parse();
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("hostpulse-writer-floor: {error:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(args: &Args) -> anyhow::Result<()> {
    // As many viewers as the hard limit allows; the load generator checks the
    // count it needs against this process's limit.
    hostpulse_bench::limits::raise_nofile_to_hard().context("cannot raise the open-file limit")?;
    let listener =
        TcpListener::bind(args.bind).with_context(|| format!("cannot listen on {}", args.bind))?;
    eprintln!(
        "hostpulse-writer-floor: listening on http://{} ({} writer thread(s), a sample every {} ms)",
        listener.local_addr()?,
        args.writers,
        args.interval_ms
    );
    serve(
        listener,
        FloorConfig {
            interval: Duration::from_millis(args.interval_ms),
            writers: usize::try_from(args.writers).unwrap_or(1),
        },
    )
}
