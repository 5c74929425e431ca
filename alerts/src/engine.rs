//! Alerting as a running part of a server: a thread of its own takes samples
//! from a small bounded queue (the sampler offers each one and never waits),
//! evaluates the rules, notices when samples stop coming, records each
//! transition (history and its log on disk, state file), tells the server (to broadcast it), and
//! hands it to the webhooks.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{RecvTimeoutError, SyncSender, TrySendError, sync_channel};
use std::sync::{Arc, PoisonError, RwLock, RwLockWriteGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant, SystemTime};

use hostpulse_shared::{AlertEvent, AlertRule, AlertsSummary, Comparison, Sample};

use crate::delivery::{DeliveryLog, Dispatcher, unix_ms};
use crate::evaluator::Evaluator;
use crate::history::History;
use crate::journal::Journal;
use crate::persist::StateFile;
use crate::rule::Rule;
use crate::webhook::{Notice, Webhook};

/// Samples waiting for the evaluator; a sampler far ahead drops the newest.
const QUEUE_CAPACITY: usize = 8;

/// Everything the engine needs.
#[derive(Debug, Clone)]
pub struct EngineOptions {
    /// The rules to evaluate.
    pub rules: Vec<Rule>,
    /// Where to send transitions.
    pub webhooks: Vec<Webhook>,
    /// The host's name, for notices.
    pub host: String,
    /// The sampling interval: five of them without a sample is a stall.
    pub interval: Duration,
    /// Where to keep what is firing across restarts; `None` keeps nothing.
    pub state_file: Option<StateFile>,
    /// Transitions kept in the history.
    pub history_capacity: usize,
    /// How long a transition is kept in the history; `None`: until the
    /// capacity pushes it out.
    pub history_retention: Option<Duration>,
    /// Where to keep the history across restarts; `None` keeps it in memory
    /// only.
    pub journal: Option<Journal>,
    /// The wait before a webhook's first retry.
    pub first_backoff: Duration,
}

/// Called with each transition on the engine's thread, and the status as it
/// stands after the transition (what is firing already includes it); must
/// not block.
pub type OnEvent = Box<dyn Fn(&AlertEvent, &Status) + Send>;

/// What the server reads: rules, what is firing, the history.
#[derive(Debug)]
pub struct Status {
    rules: Vec<AlertRule>,
    comparisons: Vec<(String, Comparison)>,
    firing: RwLock<Vec<AlertEvent>>,
    history: RwLock<History>,
    dropped_samples: AtomicU64,
    deliveries: Arc<DeliveryLog>,
}

impl Status {
    /// Every rule in force.
    #[must_use]
    pub fn rules(&self) -> &[AlertRule] {
        &self.rules
    }

    /// What is firing now, oldest first.
    #[must_use]
    pub fn firing(&self) -> Vec<AlertEvent> {
        self.firing
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Rules and what is firing, for the hello.
    #[must_use]
    pub fn summary(&self) -> AlertsSummary {
        AlertsSummary {
            rules: self.rules.clone(),
            firing: self.firing(),
        }
    }

    /// Transitions with `from_ms <= timestamp_ms < to_ms`, oldest first.
    #[must_use]
    pub fn history(&self, from_ms: u64, to_ms: u64) -> Vec<AlertEvent> {
        self.history
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .range(from_ms, to_ms)
    }

    /// Samples the evaluator skipped because it was behind.
    #[must_use]
    pub fn dropped_samples(&self) -> u64 {
        self.dropped_samples.load(Ordering::Relaxed)
    }

    /// The webhook delivery log.
    #[must_use]
    pub fn deliveries(&self) -> Arc<DeliveryLog> {
        Arc::clone(&self.deliveries)
    }

    fn comparison(&self, rule: &str) -> Comparison {
        self.comparisons
            .iter()
            .find(|(name, _)| name == rule)
            .map_or(Comparison::Above, |(_, c)| *c)
    }
}

/// The running engine. Dropping it stops its thread and the webhooks.
#[derive(Debug)]
pub struct Engine {
    samples: Option<SyncSender<Arc<Sample>>>,
    status: Arc<Status>,
    thread: Option<JoinHandle<()>>,
}

impl Engine {
    /// Loads what was firing (from the state file), starts the webhooks and
    /// the evaluator thread. Alerts restored from the file are firing at once
    /// and announce nothing.
    pub fn spawn(mut options: EngineOptions, on_event: OnEvent) -> std::io::Result<Self> {
        let history = load_history(&mut options);
        let dispatcher = Dispatcher::spawn(&options.webhooks, options.first_backoff)?;
        let mut evaluator = Evaluator::new(options.rules.clone());
        if let Some(state_file) = &options.state_file {
            match state_file.load() {
                Ok(firing) => {
                    let restored = evaluator.restore(firing);
                    if restored > 0 {
                        tracing::info!(restored, "alerts still firing from before the restart");
                    }
                }
                Err(error) => tracing::warn!(%error, "starting with no alert firing"),
            }
        }
        let status = Arc::new(Status {
            rules: options.rules.iter().map(Rule::to_wire).collect(),
            comparisons: options
                .rules
                .iter()
                .map(|r| (r.name.clone(), r.comparison))
                .collect(),
            firing: RwLock::new(evaluator.firing()),
            history: RwLock::new(history),
            dropped_samples: AtomicU64::new(0),
            deliveries: dispatcher.log(),
        });
        let (samples, queue) = sync_channel::<Arc<Sample>>(QUEUE_CAPACITY);
        let shared = Arc::clone(&status);
        let stall_after = (options.interval * 5).max(Duration::from_secs(5));
        let check_every = options.interval.min(Duration::from_secs(1));
        let thread = std::thread::Builder::new()
            .name("hostpulse-alerts".into())
            .spawn(move || {
                let mut run = Run {
                    evaluator,
                    dispatcher,
                    status: shared,
                    state_file: options.state_file,
                    journal: options.journal,
                    host: options.host,
                    on_event,
                    events: Vec::new(),
                };
                let mut last_sample = Instant::now();
                loop {
                    match queue.recv_timeout(check_every) {
                        Ok(sample) => {
                            last_sample = Instant::now();
                            run.evaluator.on_sample(&sample, &mut run.events);
                        }
                        Err(RecvTimeoutError::Timeout) => {}
                        Err(RecvTimeoutError::Disconnected) => break,
                    }
                    let stalled = last_sample.elapsed() > stall_after;
                    run.evaluator.on_stall_check(
                        unix_ms(SystemTime::now()),
                        stalled,
                        &mut run.events,
                    );
                    run.publish();
                }
                tracing::debug!("alert evaluator stopped");
            })?;
        Ok(Self {
            samples: Some(samples),
            status,
            thread: Some(thread),
        })
    }

    /// Hands a sample to the evaluator; never waits. If the evaluator is
    /// behind by a whole queue, the sample is skipped and counted.
    pub fn offer(&self, sample: Arc<Sample>) {
        let Some(samples) = &self.samples else { return };
        if let Err(TrySendError::Full(_) | TrySendError::Disconnected(_)) = samples.try_send(sample)
        {
            self.status.dropped_samples.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Rules, what is firing, history and deliveries.
    #[must_use]
    pub fn status(&self) -> Arc<Status> {
        Arc::clone(&self.status)
    }
}

impl Drop for Engine {
    fn drop(&mut self) {
        drop(self.samples.take());
        if let Some(thread) = self.thread.take()
            && thread.join().is_err()
        {
            tracing::error!("the alert evaluator thread panicked");
        }
    }
}

/// The history the options ask for, with what the journal kept of it
/// before this start.
fn load_history(options: &mut EngineOptions) -> History {
    let mut history =
        History::with_capacity(options.history_capacity).retaining(options.history_retention);
    if let Some(journal) = &mut options.journal {
        match journal.load_into(&mut history, unix_ms(SystemTime::now())) {
            Ok(loaded) => tracing::debug!(
                read = loaded.read,
                kept = history.len(),
                "alert log read back"
            ),
            Err(error) => {
                tracing::warn!(%error, "starting with an empty alert log");
            }
        }
    }
    history
}

/// The engine thread's own state.
struct Run {
    evaluator: Evaluator,
    dispatcher: Dispatcher,
    status: Arc<Status>,
    state_file: Option<StateFile>,
    journal: Option<Journal>,
    host: String,
    on_event: OnEvent,
    events: Vec<AlertEvent>,
}

impl Run {
    /// Records, saves, announces and sends the transitions of this step.
    fn publish(&mut self) {
        if self.events.is_empty() {
            return;
        }
        let firing = self.evaluator.firing();
        if let Some(state_file) = &self.state_file
            && let Err(error) = state_file.save(&firing)
        {
            tracing::error!(%error, "cannot save the alerts firing: a restart will announce them again");
        }
        *self
            .status
            .firing
            .write()
            .unwrap_or_else(PoisonError::into_inner) = firing;
        for event in std::mem::take(&mut self.events) {
            tracing::info!(
                rule = event.rule,
                instance = event.instance,
                state = ?event.state,
                value = event.value,
                threshold = event.threshold,
                "alert"
            );
            self.record(&event);
            (self.on_event)(&event, &self.status);
            self.dispatcher.send(Notice {
                host: self.host.clone(),
                comparison: self.status.comparison(&event.rule),
                event,
                test: false,
            });
        }
    }

    /// Adds `event` to the history, and to its log on disk (synced, outside
    /// the history's lock, so readers never wait for the disk).
    fn record(&mut self, event: &AlertEvent) {
        if let Some(journal) = &mut self.journal
            && let Err(error) = journal.append(event)
        {
            tracing::error!(%error, "cannot append to the alert log: a restart will forget this transition");
        }
        let mut history = self
            .status
            .history
            .write()
            .unwrap_or_else(PoisonError::into_inner);
        history.push(event.clone());
        if let Some(journal) = &mut self.journal
            && journal.is_due(&history)
        {
            let history = RwLockWriteGuard::downgrade(history);
            if let Err(error) = journal.rewrite(&history) {
                tracing::error!(%error, "cannot compact the alert log");
            }
        }
    }
}
