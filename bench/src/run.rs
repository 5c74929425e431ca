//! One load run, start to end: an idle reading of the server, the ramp (every
//! viewer connects, at most `ramp` handshakes at a time; with
//! `stalled_after_live`, the normal viewers first, and the stalled ones once
//! every normal viewer has had a live sample), the steady run, the
//! two-step finish (see [`crate::viewer`]), the stalled viewers' final read,
//! and the report. Readings of the server are taken at each of those points and
//! every few seconds between them.

use std::sync::atomic::{AtomicU8, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use hostpulse_shared::{Codec, Secret};
use tokio::sync::{Semaphore, watch};
use tokio::task::JoinHandle;

use crate::connect::Target;
use crate::probe::{self, ProcStats};
use crate::report::{ConnectSummary, ProgressPoint, Report, ServerSummary};
use crate::stalled::{self, StallOutcome};
use crate::tally;
use crate::viewer::{self, Phase, Shared, ViewerOutcome};

/// How long viewers get, after the run, to receive the newest sample one of
/// them already has, beyond two intervals.
const FINISH_GRACE: Duration = Duration::from_secs(5);

/// How often the coordinator checks on the viewers' counts.
const POLL: Duration = Duration::from_millis(20);

/// What to run.
#[derive(Debug, Clone)]
pub struct LoadConfig {
    /// Where the viewers connect, and how.
    pub target: Target,
    /// Normal viewers: read, decode and check every sample.
    pub clients: usize,
    /// Stalled viewers: connect, then never read.
    pub stalled: usize,
    /// Connect the stalled viewers only once every normal viewer is live (has
    /// received a live sample), so that what the normal viewers measure is
    /// the joins' effect on viewers already watching, not their own replay
    /// queued behind a thousand others.
    pub stalled_after_live: bool,
    /// The steady run, once every viewer has connected.
    pub duration: Duration,
    /// Most handshakes in flight at once while connecting.
    pub ramp: usize,
    /// Wait before connecting, to read the server at rest.
    pub idle: Duration,
    /// The server's PID, to read its memory and CPU from `/proc`.
    pub server_pid: Option<u32>,
    /// Time between timeline readings.
    pub progress_every: Duration,
    /// Called with each timeline reading as it is taken.
    pub on_progress: Option<fn(&ProgressPoint)>,
}

/// A run that could not start.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// The server's PID cannot be read.
    #[error("cannot read /proc/{pid} (is --server-pid the server's PID?): {source}")]
    ServerPid {
        /// The PID given.
        pid: u32,
        /// What failed.
        source: std::io::Error,
    },
    /// Nothing to do.
    #[error("no viewers asked for: pass --clients or --stalled")]
    NoViewers,
}

/// Counts the viewer tasks keep up to date for the coordinator and timeline.
#[derive(Debug, Default)]
struct Counts {
    connects_done: AtomicUsize,
    viewers_connected: AtomicUsize,
    viewers_finished: AtomicUsize,
    stalled_connected: AtomicUsize,
    /// Index into [`PHASES`].
    phase: AtomicU8,
}

const PHASES: [&str; 4] = ["idle", "ramp", "run", "finish"];

impl Counts {
    fn enter(&self, phase: usize) {
        self.phase
            .store(u8::try_from(phase).unwrap_or(0), Ordering::Relaxed);
    }
}

/// Reads the server (and this process) at the points of the run.
#[derive(Debug, Clone)]
struct Readings {
    pid: Option<u32>,
}

impl Readings {
    fn server(&self) -> Option<(Instant, ProcStats)> {
        let pid = self.pid?;
        probe::read_proc(pid)
            .ok()
            .map(|stats| (Instant::now(), stats))
    }

    fn own() -> Option<(Instant, ProcStats)> {
        probe::read_proc(std::process::id())
            .ok()
            .map(|stats| (Instant::now(), stats))
    }
}

/// Windows shorter than this give no CPU figure: a few scheduler slices
/// would make it noise.
const MIN_CPU_WINDOW: Duration = Duration::from_millis(200);

/// CPU percent of one core between two readings.
fn cpu_between(
    from: Option<(Instant, ProcStats)>,
    to: Option<(Instant, ProcStats)>,
) -> Option<f64> {
    let ((t0, s0), (t1, s1)) = (from?, to?);
    (t1 - t0 >= MIN_CPU_WINDOW)
        .then(|| probe::cpu_percent(s1.cpu_ns.saturating_sub(s0.cpu_ns), t1 - t0))
}

/// The server read at each point of the run.
#[derive(Debug, Default, Clone, Copy)]
struct ServerReadings {
    start: Option<(Instant, ProcStats)>,
    idle: Option<(Instant, ProcStats)>,
    ramp_start: Option<(Instant, ProcStats)>,
    run_start: Option<(Instant, ProcStats)>,
    run_end: Option<(Instant, ProcStats)>,
    end: Option<(Instant, ProcStats)>,
}

impl ServerReadings {
    fn summary(&self, pid: u32, timeline: &[ProgressPoint]) -> ServerSummary {
        let rss = |reading: Option<(Instant, ProcStats)>| reading.map_or(0, |(_, s)| s.rss_bytes);
        let rss_max_sampled_bytes = timeline
            .iter()
            .filter_map(|point| point.server_rss_bytes)
            .chain(
                [self.ramp_start, self.run_start, self.run_end, self.end]
                    .into_iter()
                    .flatten()
                    .map(|(_, s)| s.rss_bytes),
            )
            .max()
            .unwrap_or(0);
        ServerSummary {
            pid,
            rss_start_bytes: rss(self.start),
            rss_idle_bytes: rss(self.idle),
            rss_max_sampled_bytes,
            rss_peak_bytes: self
                .end
                .map_or(0, |(_, s)| s.hwm_bytes)
                .max(rss_max_sampled_bytes),
            rss_end_bytes: rss(self.end),
            cpu_idle_percent: cpu_between(self.start, self.idle),
            cpu_ramp_percent: cpu_between(self.ramp_start, self.run_start),
            cpu_run_percent: cpu_between(self.run_start, self.run_end),
            open_files_limit: probe::open_files_limit(pid),
        }
    }
}

/// Runs the load and reports what every viewer received.
pub async fn run(config: &LoadConfig) -> Result<Report, RunError> {
    if config.clients + config.stalled == 0 {
        return Err(RunError::NoViewers);
    }
    let readings = Readings {
        pid: config.server_pid,
    };
    if let Some(pid) = config.server_pid {
        probe::read_proc(pid).map_err(|source| RunError::ServerPid { pid, source })?;
    }
    let started = Instant::now();
    let shared = Arc::new(Shared::default());
    let counts = Arc::new(Counts::default());
    let timeline = Arc::new(Mutex::new(Vec::new()));
    let progress = tokio::spawn(keep_timeline(
        config.clone(),
        started,
        Arc::clone(&shared),
        Arc::clone(&counts),
        Arc::clone(&timeline),
    ));
    let mut server = ServerReadings {
        start: readings.server(),
        ..ServerReadings::default()
    };
    tokio::time::sleep(config.idle).await;
    server.idle = readings.server();

    counts.enter(1);
    let ramp_started = Instant::now();
    server.ramp_start = readings.server();
    let (phase, _) = watch::channel(Phase::Running);
    let (drain, _) = watch::channel(false);
    let ramp = Arc::new(Semaphore::new(config.ramp.max(1)));
    let viewers: Vec<_> = (0..config.clients)
        .map(|_| spawn_viewer(config, &ramp, &shared, &counts, phase.subscribe()))
        .collect();
    if config.stalled_after_live {
        wait_until_live(config.clients, &shared, &counts).await;
    }
    shared.start_joins();
    let stalled: Vec<_> = (0..config.stalled)
        .map(|_| spawn_stalled(config, &ramp, &counts, drain.subscribe()))
        .collect();
    let total = config.clients + config.stalled;
    while counts.connects_done.load(Ordering::Relaxed) < total {
        tokio::time::sleep(POLL).await;
    }
    let mut connect = ConnectSummary {
        ramp_secs: ramp_started.elapsed().as_secs_f64(),
        ..ConnectSummary::default()
    };

    counts.enter(2);
    server.run_start = readings.server();
    let own_run_start = Readings::own();
    let run_started = Instant::now();
    tokio::time::sleep(config.duration).await;
    let run_secs = run_started.elapsed().as_secs_f64();
    server.run_end = readings.server();
    let own_run_end = Readings::own();

    counts.enter(3);
    let last_seq = shared.newest_seq();
    finish(&phase, last_seq, &shared, &counts).await;
    let samples = tally::viewers(join_all(viewers).await, last_seq, &mut connect);
    let _ = drain.send(true);
    let stalled_viewers = tally::stalled(join_all(stalled).await, &mut connect);
    progress.abort();
    server.end = readings.server();

    let timeline = std::mem::take(&mut *timeline.lock().unwrap_or_else(PoisonError::into_inner));
    let passed = connect.viewers_failed == 0
        && samples.missed == 0
        && samples.duplicates == 0
        && samples.viewers_missing == 0
        && samples.decode_errors == 0
        && (config.clients == 0 || samples.last_seq.is_some());
    Ok(Report {
        url: config.target.url.clone(),
        codec: codec_name(config.target.codec),
        interval_ms: shared.interval_ms(),
        clients: config.clients,
        stalled: config.stalled,
        connect,
        run_secs,
        samples,
        latency: shared.latency.summary(),
        latency_during_joins: shared.latency_during_joins.summary(),
        stalled_viewers,
        server: config.server_pid.map(|pid| server.summary(pid, &timeline)),
        load_generator_cpu_percent: cpu_between(own_run_start, own_run_end),
        timeline,
        passed,
    })
}

/// How long the normal viewers get to connect and receive a live sample
/// before the stalled ones join anyway.
const LIVE_TIMEOUT: Duration = Duration::from_mins(1);

/// Waits until every one of the `clients` normal viewers has connected (or
/// failed to) and every connected one has received a live sample, at most
/// [`LIVE_TIMEOUT`].
async fn wait_until_live(clients: usize, shared: &Shared, counts: &Counts) {
    let waiting = Instant::now();
    while (counts.connects_done.load(Ordering::Relaxed) < clients
        || shared.live_viewers() < counts.viewers_connected.load(Ordering::Relaxed))
        && waiting.elapsed() < LIVE_TIMEOUT
    {
        tokio::time::sleep(POLL).await;
    }
}

/// Asks every viewer to read up to `last_seq`, waits for them for a grace
/// period, then tells the stragglers to stop.
async fn finish(
    phase: &watch::Sender<Phase>,
    last_seq: Option<u64>,
    shared: &Shared,
    counts: &Counts,
) {
    let _ = phase.send(last_seq.map_or(Phase::Stop, Phase::FinishAt));
    let interval = Duration::from_millis(shared.interval_ms().unwrap_or(1000));
    let grace = FINISH_GRACE + interval * 2;
    let finishing = Instant::now();
    while counts.viewers_finished.load(Ordering::Relaxed)
        < counts.viewers_connected.load(Ordering::Relaxed)
        && finishing.elapsed() < grace
    {
        tokio::time::sleep(POLL).await;
    }
    let _ = phase.send(Phase::Stop);
}

/// The name of a codec as the report gives it.
#[must_use]
pub fn codec_name(codec: Codec) -> &'static str {
    match codec {
        Codec::Json => "json",
        Codec::MessagePack => "msgpack",
    }
}

fn spawn_viewer(
    config: &LoadConfig,
    ramp: &Arc<Semaphore>,
    shared: &Arc<Shared>,
    counts: &Arc<Counts>,
    phase: watch::Receiver<Phase>,
) -> JoinHandle<Result<ViewerOutcome, String>> {
    let (target, ramp, shared, counts) = (
        config.target.clone(),
        Arc::clone(ramp),
        Arc::clone(shared),
        Arc::clone(counts),
    );
    tokio::spawn(async move {
        let socket = connect(&target, &ramp).await;
        counts.connects_done.fetch_add(1, Ordering::Relaxed);
        let socket = socket?;
        counts.viewers_connected.fetch_add(1, Ordering::Relaxed);
        let outcome = viewer::watch(socket, target.codec, &shared, phase).await;
        counts.viewers_finished.fetch_add(1, Ordering::Relaxed);
        Ok(outcome)
    })
}

fn spawn_stalled(
    config: &LoadConfig,
    ramp: &Arc<Semaphore>,
    counts: &Arc<Counts>,
    drain: watch::Receiver<bool>,
) -> JoinHandle<Result<StallOutcome, String>> {
    let (target, ramp, counts) = (config.target.clone(), Arc::clone(ramp), Arc::clone(counts));
    tokio::spawn(async move {
        let connection = match ramp.acquire().await {
            Ok(_permit) => stalled::connect(&target).await,
            Err(_) => Err("the run was stopped".to_owned()),
        };
        counts.connects_done.fetch_add(1, Ordering::Relaxed);
        let connection = connection?;
        counts.stalled_connected.fetch_add(1, Ordering::Relaxed);
        Ok(stalled::hold(connection, target.codec, drain, &ramp).await)
    })
}

/// Connects once a ramp permit is free; the permit is held for the handshake only.
async fn connect(target: &Target, ramp: &Semaphore) -> Result<crate::connect::Socket, String> {
    let _permit = ramp
        .acquire()
        .await
        .map_err(|_| "the run was stopped".to_owned())?;
    target.connect().await
}

async fn join_all<T>(handles: Vec<JoinHandle<Result<T, String>>>) -> Vec<Result<T, String>> {
    let mut results = Vec::with_capacity(handles.len());
    for handle in handles {
        results.push(
            handle
                .await
                .unwrap_or_else(|error| Err(format!("viewer task failed: {error}"))),
        );
    }
    results
}

/// Takes a timeline reading every `progress_every` until aborted.
async fn keep_timeline(
    config: LoadConfig,
    started: Instant,
    shared: Arc<Shared>,
    counts: Arc<Counts>,
    timeline: Arc<Mutex<Vec<ProgressPoint>>>,
) {
    let readings = Readings {
        pid: config.server_pid,
    };
    let mut ticks = tokio::time::interval(config.progress_every.max(Duration::from_millis(100)));
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut previous = readings.server();
    loop {
        ticks.tick().await;
        let now = readings.server();
        let gauges = probe::scrape(
            config.target.addr,
            config.target.token.as_ref().map(Secret::expose),
        )
        .await;
        let point = ProgressPoint {
            elapsed_secs: started.elapsed().as_secs_f64(),
            phase: PHASES
                .get(usize::from(counts.phase.load(Ordering::Relaxed)))
                .copied()
                .unwrap_or("run"),
            viewers_connected: counts.viewers_connected.load(Ordering::Relaxed),
            stalled_connected: counts.stalled_connected.load(Ordering::Relaxed),
            newest_seq: shared.newest_seq(),
            server_rss_bytes: now.map(|(_, s)| s.rss_bytes),
            server_cpu_percent: cpu_between(previous, now),
            server_clients: gauges.map(|g| g.clients),
            server_lagged_samples: gauges.map(|g| g.lagged_samples),
            server_sample_ms: gauges.and_then(|g| g.sample_duration_ms),
        };
        previous = now;
        if let Some(report) = config.on_progress {
            report(&point);
        }
        timeline
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(point);
    }
}
