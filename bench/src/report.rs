//! What a run found, in one serializable value: as a table for a person, as
//! JSON for a script (the soak checks its figures from the JSON).

use std::collections::BTreeMap;
use std::fmt;

use serde::Serialize;

use crate::latency::LatencySummary;

/// Everything a run measured.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// The stream URL.
    pub url: String,
    /// `json` or `msgpack`.
    pub codec: &'static str,
    /// The server's sampling interval, from its hello.
    pub interval_ms: Option<u64>,
    /// Normal viewers asked for.
    pub clients: usize,
    /// Stalled viewers asked for.
    pub stalled: usize,
    /// Connecting.
    pub connect: ConnectSummary,
    /// The steady run, after every viewer connected, in seconds.
    pub run_secs: f64,
    /// What the normal viewers received.
    pub samples: SampleSummary,
    /// Tick-to-receipt latency of live samples.
    pub latency: LatencySummary,
    /// The same, of the live samples received while the stalled viewers
    /// joined (within [`crate::viewer::JOIN_WINDOW`] of their first connect).
    pub latency_during_joins: LatencySummary,
    /// How the stalled viewers ended.
    pub stalled_viewers: StalledSummary,
    /// The server's memory and CPU, when its PID was given.
    pub server: Option<ServerSummary>,
    /// This process's CPU during the steady run, percent of one core.
    pub load_generator_cpu_percent: Option<f64>,
    /// Readings taken every few seconds through the run.
    pub timeline: Vec<ProgressPoint>,
    /// Every normal viewer connected and got every sample, once.
    pub passed: bool,
}

/// Connecting the viewers.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ConnectSummary {
    /// Normal viewers connected.
    pub viewers_connected: usize,
    /// Normal viewers that could not connect.
    pub viewers_failed: usize,
    /// Stalled viewers connected.
    pub stalled_connected: usize,
    /// Stalled viewers that could not connect.
    pub stalled_failed: usize,
    /// From the first connect to the last one done, in seconds.
    pub ramp_secs: f64,
    /// Connection errors, by text.
    pub errors: BTreeMap<String, usize>,
}

/// What the normal viewers received, summed over them.
#[derive(Debug, Clone, Default, Serialize)]
pub struct SampleSummary {
    /// The newest seq when the run ended: every viewer should have it.
    pub last_seq: Option<u64>,
    /// Samples the viewers should have had: for each, from its first seq to
    /// `last_seq`.
    pub expected: u64,
    /// Of those, the ones that arrived.
    pub received: u64,
    /// Of those, the ones that did not.
    pub missed: u64,
    /// Samples that arrived twice.
    pub duplicates: u64,
    /// Viewers that missed at least one.
    pub viewers_missing: usize,
    /// Viewers whose connection ended before the run did.
    pub viewers_ended_early: usize,
    /// Samples sent as catch-up `history` after a viewer fell behind.
    pub caught_up: u64,
    /// Epoch changes seen (the server restarted mid-run).
    pub epoch_changes: u64,
    /// `reset` messages received.
    pub resets: u64,
    /// `error` messages received.
    pub server_errors: u64,
    /// Frames that did not decode.
    pub decode_errors: u64,
    /// The first problem a viewer reported, for a start on why.
    pub first_problem: Option<String>,
}

/// How the stalled viewers ended.
#[derive(Debug, Clone, Default, Serialize)]
pub struct StalledSummary {
    /// Count per ending, e.g. `closed 1008 too slow: not reading`.
    pub ends: BTreeMap<String, usize>,
    /// Count per close code.
    pub close_codes: BTreeMap<u16, usize>,
    /// Bytes waiting for a stalled viewer when it read at the end: mean.
    pub drained_bytes_mean: u64,
    /// The same: largest.
    pub drained_bytes_max: u64,
}

/// The server's memory and CPU.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ServerSummary {
    /// Its PID.
    pub pid: u32,
    /// Resident memory when the load generator started.
    pub rss_start_bytes: u64,
    /// Resident memory after the idle wait, before any viewer connected.
    pub rss_idle_bytes: u64,
    /// Highest resident memory among the timeline's readings.
    pub rss_max_sampled_bytes: u64,
    /// Peak resident memory: `VmHWM` (the peak since the server started) at
    /// the end, or the highest reading if higher (the kernel updates `VmHWM`
    /// lazily).
    pub rss_peak_bytes: u64,
    /// Resident memory at the end, after every viewer left.
    pub rss_end_bytes: u64,
    /// CPU during the idle wait, percent of one core (none for a wait too
    /// short to measure).
    pub cpu_idle_percent: Option<f64>,
    /// CPU while the viewers connected.
    pub cpu_ramp_percent: Option<f64>,
    /// CPU during the steady run.
    pub cpu_run_percent: Option<f64>,
    /// Its open-file limit, when readable.
    pub open_files_limit: Option<u64>,
}

/// One reading through the run.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ProgressPoint {
    /// Seconds since the load generator started.
    pub elapsed_secs: f64,
    /// `idle`, `ramp`, `run` or `finish`.
    pub phase: &'static str,
    /// Normal viewers connected so far.
    pub viewers_connected: usize,
    /// Stalled viewers connected so far.
    pub stalled_connected: usize,
    /// The newest seq a viewer has received.
    pub newest_seq: Option<u64>,
    /// Server resident memory.
    pub server_rss_bytes: Option<u64>,
    /// Server CPU since the previous reading, percent of one core.
    pub server_cpu_percent: Option<f64>,
    /// Viewers the server counts (`hostpulse_clients` on `/metrics`).
    pub server_clients: Option<u64>,
    /// Samples viewers fell behind on, so far (`hostpulse_lagged_samples_total`).
    pub server_lagged_samples: Option<u64>,
    /// How long the server's latest sampling took, in ms.
    pub server_sample_ms: Option<f64>,
}

/// Bytes as MiB with one decimal.
fn mib(bytes: u64) -> String {
    format!("{:.1} MiB", bytes as f64 / (1024.0 * 1024.0))
}

/// Bytes in KiB below a MiB, in MiB above.
fn size(bytes: u64) -> String {
    if bytes < 1024 * 1024 {
        format!("{:.1} KiB", bytes as f64 / 1024.0)
    } else {
        mib(bytes)
    }
}

/// A percentage, or `-` when the window was too short to measure.
fn percent(value: Option<f64>) -> String {
    value.map_or_else(|| "-".into(), |value| format!("{value:.1} %"))
}

impl fmt::Display for ProgressPoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:>7.1} s  {:<6} viewers {:>5}  stalled {:>5}  seq {:>6}",
            self.elapsed_secs,
            self.phase,
            self.viewers_connected,
            self.stalled_connected,
            self.newest_seq
                .map_or_else(|| "-".into(), |seq| seq.to_string()),
        )?;
        if let Some(rss) = self.server_rss_bytes {
            write!(f, "  server RSS {:>10}", mib(rss))?;
        }
        if let Some(cpu) = self.server_cpu_percent {
            write!(f, "  CPU {cpu:>5.1} %")?;
        }
        if let Some(clients) = self.server_clients {
            write!(f, "  server viewers {clients:>5}")?;
        }
        if let Some(lagged) = self.server_lagged_samples {
            write!(f, "  lagged {lagged}")?;
        }
        if let Some(ms) = self.server_sample_ms {
            write!(f, "  sampling {ms:.1} ms")?;
        }
        Ok(())
    }
}

/// One row of the table: a name and its value.
fn row(f: &mut fmt::Formatter<'_>, name: &str, value: impl fmt::Display) -> fmt::Result {
    writeln!(f, "  {name:<28} {value}")
}

impl Report {
    fn connect_rows(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let connect = &self.connect;
        row(
            f,
            "viewers",
            format_args!(
                "{} connected of {} ({} failed)",
                connect.viewers_connected, self.clients, connect.viewers_failed
            ),
        )?;
        row(
            f,
            "stalled viewers",
            format_args!(
                "{} connected of {} ({} failed)",
                connect.stalled_connected, self.stalled, connect.stalled_failed
            ),
        )?;
        for (error, count) in &connect.errors {
            row(f, "  connect error", format_args!("{count} × {error}"))?;
        }
        row(
            f,
            "ramp / steady run",
            format_args!("{:.1} s / {:.1} s", connect.ramp_secs, self.run_secs),
        )
    }

    fn sample_rows(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let samples = &self.samples;
        row(
            f,
            "samples expected / received",
            format_args!(
                "{} / {} (up to seq {})",
                samples.expected,
                samples.received,
                samples
                    .last_seq
                    .map_or_else(|| "-".into(), |seq| seq.to_string())
            ),
        )?;
        row(
            f,
            "missed / duplicates",
            format_args!(
                "{} / {} ({} viewers missing some, {} ended early)",
                samples.missed,
                samples.duplicates,
                samples.viewers_missing,
                samples.viewers_ended_early
            ),
        )?;
        if samples.caught_up + samples.epoch_changes + samples.resets + samples.decode_errors > 0 {
            row(
                f,
                "caught up / resets / bad",
                format_args!(
                    "{} samples from history after falling behind, {} epoch changes, {} resets, \
                     {} undecodable frames",
                    samples.caught_up, samples.epoch_changes, samples.resets, samples.decode_errors
                ),
            )?;
        }
        latency_row(f, "latency p50 / p99 / max", &self.latency)?;
        if self.stalled > 0 {
            latency_row(f, "  while the stalled joined", &self.latency_during_joins)?;
        }
        Ok(())
    }

    fn resource_rows(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(server) = &self.server {
            row(
                f,
                "server CPU (% of one core)",
                format_args!(
                    "idle {}, ramp {}, run {}",
                    percent(server.cpu_idle_percent),
                    percent(server.cpu_ramp_percent),
                    percent(server.cpu_run_percent)
                ),
            )?;
            row(
                f,
                "server RSS",
                format_args!(
                    "idle {}, peak {} (+{}), highest seen {}, end {}",
                    mib(server.rss_idle_bytes),
                    mib(server.rss_peak_bytes),
                    mib(server.rss_peak_bytes.saturating_sub(server.rss_idle_bytes)),
                    mib(server.rss_max_sampled_bytes),
                    mib(server.rss_end_bytes)
                ),
            )?;
        }
        if self.stalled > 0 {
            for (end, count) in &self.stalled_viewers.ends {
                row(f, "stalled viewers' end", format_args!("{count} × {end}"))?;
            }
            row(
                f,
                "waiting for a stalled viewer",
                format_args!(
                    "mean {}, max {}",
                    size(self.stalled_viewers.drained_bytes_mean),
                    size(self.stalled_viewers.drained_bytes_max)
                ),
            )?;
        }
        row(
            f,
            "load generator CPU",
            format_args!(
                "{} of one core during the run",
                percent(self.load_generator_cpu_percent)
            ),
        )
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "HostPulse load: {} ({}, server interval {})",
            self.url,
            self.codec,
            self.interval_ms
                .map_or_else(|| "unknown".into(), |ms| format!("{ms} ms"))
        )?;
        self.connect_rows(f)?;
        self.sample_rows(f)?;
        self.resource_rows(f)?;
        if self.passed {
            row(f, "result", "PASS: every viewer got every sample, once")
        } else {
            row(
                f,
                "result",
                format_args!(
                    "FAIL: {}",
                    self.samples
                        .first_problem
                        .as_deref()
                        .unwrap_or("some viewer did not get every sample")
                ),
            )
        }
    }
}

/// One row of latency percentiles.
fn latency_row(f: &mut fmt::Formatter<'_>, label: &str, latency: &LatencySummary) -> fmt::Result {
    row(
        f,
        label,
        format_args!(
            "{:.2} / {:.2} / {:.2} ms ({} live samples; p90 {:.2}, p99.9 {:.2})",
            latency.p50_ms,
            latency.p99_ms,
            latency.max_ms,
            latency.count,
            latency.p90_ms,
            latency.p999_ms
        ),
    )
}
