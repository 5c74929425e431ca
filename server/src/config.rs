//! Command-line flags, parsed and checked in one place into a ready-to-use
//! [`Config`].

use std::net::SocketAddr;
use std::time::Duration;

use clap::Parser;

/// Shortest sampling interval: below this, sampling itself becomes the load.
pub const MIN_INTERVAL_MS: u64 = 100;

/// `hostpulse-server`: samples this host and streams the samples to viewers.
#[derive(Debug, Parser)]
#[command(name = "hostpulse-server", version, about, long_about = None)]
pub struct Args {
    /// Address and port to listen on. Use 0.0.0.0:9470 or [::]:9470 to let other
    /// hosts connect.
    #[arg(long, default_value_t = SocketAddr::from(([127, 0, 0, 1], hostpulse_shared::DEFAULT_PORT)))]
    pub bind: SocketAddr,

    /// Time between samples, in milliseconds (at least 100).
    #[arg(long, default_value_t = 1000, value_parser = clap::value_parser!(u64).range(100..=3_600_000))]
    pub interval_ms: u64,

    /// Samples kept for viewers that connect or reconnect (3600 = one hour at the
    /// default interval).
    #[arg(long, default_value_t = 3600, value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
    pub history: u32,

    /// HTTP worker threads. One serves thousands of viewers.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u16).range(1..=64))]
    pub workers: u16,
}

/// Everything [`crate::run`] needs, already validated.
#[derive(Debug, Clone)]
pub struct Config {
    /// Time between samples.
    pub interval: Duration,
    /// Samples kept in the history ring.
    pub history_capacity: usize,
    /// HTTP worker threads.
    pub workers: usize,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            interval: Duration::from_secs(1),
            history_capacity: 3600,
            workers: 1,
        }
    }
}

impl Args {
    /// The validated configuration these flags describe.
    #[must_use]
    pub fn config(&self) -> Config {
        Config {
            interval: Duration::from_millis(self.interval_ms),
            history_capacity: self.history as usize,
            workers: usize::from(self.workers),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_listen_on_loopback_every_second() {
        let args = Args::try_parse_from(["hostpulse-server"]).unwrap();
        assert_eq!(args.bind, "127.0.0.1:9470".parse().unwrap());
        assert_eq!(args.config().interval, Duration::from_secs(1));
    }

    #[test]
    fn bad_flags_are_refused_with_the_flag_named() {
        let too_fast =
            Args::try_parse_from(["hostpulse-server", "--interval-ms", "50"]).unwrap_err();
        assert!(too_fast.to_string().contains("--interval-ms"), "{too_fast}");
        let bad_bind =
            Args::try_parse_from(["hostpulse-server", "--bind", "localhost"]).unwrap_err();
        assert!(bad_bind.to_string().contains("--bind"), "{bad_bind}");
    }
}
