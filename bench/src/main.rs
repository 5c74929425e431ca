//! `hostpulse-load`: the command-line shell over [`hostpulse_bench::run`]. It
//! turns flags into a checked [`LoadConfig`], raises the open-file limit, runs
//! the load on a multi-threaded runtime, prints the report, and exits non-zero
//! when a viewer missed a sample.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context, bail};
use clap::{Parser, ValueEnum};
use hostpulse_bench::report::ProgressPoint;
use hostpulse_bench::{LoadConfig, Target, limits, probe};
use hostpulse_shared::{Codec, Secret};

/// Many HostPulse viewers in one process against one server: checks every
/// viewer gets every sample, times each sample from its tick to its receipt,
/// and reads the server's CPU and memory. Loopback benchmarking tool.
#[derive(Debug, Parser)]
#[command(name = "hostpulse-load", version, about)]
struct Args {
    /// The server's stream, e.g. `ws://127.0.0.1:9470/ws`; add
    /// `?history_secs=0` to skip the replay of past samples at connect.
    #[arg(long)]
    url: String,

    /// Normal viewers: each reads, decodes and checks every sample.
    #[arg(long, default_value_t = 1)]
    clients: usize,

    /// Stalled viewers: each completes the handshake, then never reads.
    #[arg(long, default_value_t = 0)]
    stalled: usize,

    /// Connect the stalled viewers only once every normal viewer has
    /// received a live sample (by default all connect at once).
    #[arg(long)]
    stalled_after_live: bool,

    /// Length of the steady run, once every viewer has connected.
    #[arg(long, default_value_t = 30)]
    duration_secs: u64,

    /// Most handshakes in flight at once while connecting.
    #[arg(long, default_value_t = 64, value_parser = clap::value_parser!(u64).range(1..=10_000))]
    ramp: u64,

    /// Wait before connecting, to read the server at rest.
    #[arg(long, default_value_t = 3)]
    idle_secs: u64,

    /// The most one connection's TCP connect and handshake may take.
    #[arg(long, default_value_t = 10)]
    connect_timeout_secs: u64,

    /// The encoding the viewers ask for.
    #[arg(long, value_enum, default_value_t = CodecArg::Msgpack)]
    codec: CodecArg,

    /// The server's PID, to read its memory and CPU time from /proc.
    #[arg(long, value_name = "PID")]
    server_pid: Option<u32>,

    /// File holding the server's bearer token.
    #[arg(long, value_name = "FILE")]
    token_file: Option<PathBuf>,

    /// Also write the report as JSON to FILE; `-` prints it instead of the table.
    #[arg(long, value_name = "FILE")]
    json: Option<PathBuf>,

    /// Seconds between progress lines on standard error (0: none).
    #[arg(long, default_value_t = 5)]
    progress_secs: u64,

    /// Runtime worker threads [default: one per CPU].
    #[arg(long)]
    threads: Option<usize>,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum CodecArg {
    Json,
    Msgpack,
}

fn main() -> ExitCode {
    let args = Args::parse();
    match run(&args) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(1),
        Err(error) => {
            eprintln!("hostpulse-load: {error:#}");
            ExitCode::from(2)
        }
    }
}

/// Runs the load; true when every viewer got every sample.
fn run(args: &Args) -> anyhow::Result<bool> {
    if args.clients + args.stalled == 0 {
        bail!("no viewers asked for: pass --clients or --stalled");
    }
    let config = load_config(args)?;
    let connections = (args.clients + args.stalled) as u64;
    let fd_limit = limits::raise_open_files(connections)?;
    if let Some(ports) = limits::local_port_count()
        && connections > ports
    {
        bail!(
            "{connections} connections to one address need as many local ports, but the \
             kernel hands out {ports} (net.ipv4.ip_local_port_range): widen the range or ask \
             for fewer clients"
        );
    }
    if let Some(pid) = args.server_pid
        && let Some(server_limit) = probe::open_files_limit(pid)
        && server_limit < connections + limits::FD_RESERVE
    {
        bail!(
            "the server (PID {pid}) may open only {server_limit} files, too few for \
             {connections} viewers: restart it with a higher limit (ulimit -n, or \
             LimitNOFILE= under systemd)"
        );
    }
    eprintln!(
        "hostpulse-load: {} viewers + {} stalled for {} s at {} (open-file limit {fd_limit})",
        args.clients, args.stalled, args.duration_secs, args.url
    );
    let mut runtime = tokio::runtime::Builder::new_multi_thread();
    if let Some(threads) = args.threads {
        runtime.worker_threads(threads.max(1));
    }
    let runtime = runtime
        .thread_name("hostpulse-load")
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    let report = runtime.block_on(hostpulse_bench::run(&config))?;
    // Open connections end with the runtime; there is nothing left to wait for.
    runtime.shutdown_timeout(Duration::from_secs(1));

    let json = serde_json::to_string_pretty(&report).context("cannot write the report")?;
    match args.json.as_deref() {
        Some(path) if path.as_os_str() == "-" => println!("{json}"),
        Some(path) => {
            std::fs::write(path, json + "\n")
                .with_context(|| format!("cannot write {}", path.display()))?;
            print!("{report}");
        }
        None => print!("{report}"),
    }
    Ok(report.passed)
}

/// The flags, checked and made ready for [`hostpulse_bench::run`].
fn load_config(args: &Args) -> anyhow::Result<LoadConfig> {
    let token = args
        .token_file
        .as_deref()
        .map(|path| {
            std::fs::read_to_string(path)
                .map(|text| Secret::new(text.trim()))
                .with_context(|| format!("cannot read the token file {}", path.display()))
        })
        .transpose()?;
    let codec = match args.codec {
        CodecArg::Json => Codec::Json,
        CodecArg::Msgpack => Codec::MessagePack,
    };
    let target = Target::new(
        &args.url,
        codec,
        token,
        Duration::from_secs(args.connect_timeout_secs.max(1)),
    )?;
    Ok(LoadConfig {
        target,
        clients: args.clients,
        stalled: args.stalled,
        stalled_after_live: args.stalled_after_live,
        duration: Duration::from_secs(args.duration_secs),
        ramp: usize::try_from(args.ramp).unwrap_or(usize::MAX),
        idle: Duration::from_secs(args.idle_secs),
        server_pid: args.server_pid,
        progress_every: Duration::from_secs(args.progress_secs.max(1)),
        on_progress: (args.progress_secs > 0).then_some(print_progress as fn(&ProgressPoint)),
    })
}

fn print_progress(point: &ProgressPoint) {
    eprintln!("{point}");
}
