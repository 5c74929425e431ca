//! `hostpulse-floor`: the floor of the server-cost benchmark as a process of
//! its own, so it can be measured from outside like the servers beside it.
//! Ticks aligned to the interval, one [`Floor::collect`] per tick, until killed.

use std::hint::black_box;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use clap::Parser;
use hostpulse_bench::floor::Floor;

/// Asks sysinfo every interval for everything a HostPulse sample carries,
/// rescanning every list, and does nothing else: the cost any sysinfo-based
/// agent starts from. Runs until stopped.
#[derive(Debug, Parser)]
#[command(name = "hostpulse-floor", version, about)]
struct Args {
    /// Time between ticks.
    #[arg(long, default_value_t = 1000, value_parser = clap::value_parser!(u64).range(10..))]
    interval_ms: u64,
}

fn main() -> ExitCode {
    let args = Args::parse();
    let mut floor = match Floor::new() {
        Ok(floor) => floor,
        Err(error) => {
            eprintln!("hostpulse-floor: cannot read system information: {error}");
            return ExitCode::FAILURE;
        }
    };
    let interval = Duration::from_millis(args.interval_ms);
    let start = Instant::now();
    let mut next = start + interval;
    loop {
        std::thread::sleep(next.saturating_duration_since(Instant::now()));
        black_box(floor.collect());
        next += interval;
        // After a stall (a suspended machine), skip the ticks that were missed.
        let now = Instant::now();
        while next <= now {
            next += interval;
        }
    }
}
