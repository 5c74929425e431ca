//! Sending notices to webhooks without ever holding up the caller: each
//! webhook has its own thread and a bounded queue, every attempt has a
//! timeout, failures are retried with doubling waits, and every outcome goes
//! to a bounded delivery log (and to the server's log). A receiver that hangs
//! or answers 500 costs its own thread time and nothing else; when its queue
//! is full, newer notices for it are dropped and logged.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, RecvTimeoutError, SyncSender, TrySendError, sync_channel};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use hostpulse_shared::AlertState;

use crate::webhook::{Notice, Webhook};

/// Notices waiting per webhook; more are dropped (and logged) while it is slow.
pub const QUEUE_CAPACITY: usize = 64;

/// Deliveries kept in the log.
pub const LOG_CAPACITY: usize = 256;

/// The wait before the first retry; each further retry waits twice as long.
pub const FIRST_BACKOFF: Duration = Duration::from_secs(1);

/// The longest wait between two attempts.
const MAX_BACKOFF: Duration = Duration::from_mins(1);

/// How one notice fared on one webhook.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The receiver answered 2xx.
    Delivered {
        /// The status it answered.
        status: u16,
    },
    /// Every attempt failed; the last error.
    Failed {
        /// What went wrong, for a person (never the URL).
        error: String,
    },
    /// The webhook's queue was full: the notice was not sent.
    Dropped,
}

/// One entry of the delivery log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery {
    /// The webhook's name.
    pub webhook: String,
    /// The rule of the notice.
    pub rule: String,
    /// The instance of the notice.
    pub instance: String,
    /// Firing or resolved.
    pub state: AlertState,
    /// Whether it was a `--test-alert`.
    pub test: bool,
    /// Attempts made.
    pub attempts: u32,
    /// How it ended.
    pub outcome: Outcome,
    /// When it ended, in Unix milliseconds.
    pub finished_ms: u64,
    /// From the first attempt to the end.
    pub took_ms: u64,
}

/// The bounded delivery log, shared by every webhook thread.
#[derive(Debug, Default)]
pub struct DeliveryLog {
    entries: Mutex<VecDeque<Delivery>>,
}

impl DeliveryLog {
    fn push(&self, delivery: Delivery) {
        match &delivery.outcome {
            Outcome::Delivered { status } => tracing::info!(
                webhook = delivery.webhook,
                rule = delivery.rule,
                instance = delivery.instance,
                status,
                attempts = delivery.attempts,
                took_ms = delivery.took_ms,
                "alert delivered"
            ),
            Outcome::Failed { error } => tracing::warn!(
                webhook = delivery.webhook,
                rule = delivery.rule,
                instance = delivery.instance,
                attempts = delivery.attempts,
                %error,
                "alert not delivered"
            ),
            Outcome::Dropped => tracing::warn!(
                webhook = delivery.webhook,
                rule = delivery.rule,
                "alert dropped: the webhook's queue is full (its receiver is slow or down)"
            ),
        }
        let mut entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        if entries.len() == LOG_CAPACITY {
            entries.pop_front();
        }
        entries.push_back(delivery);
    }

    /// Every entry kept, oldest first.
    #[must_use]
    pub fn entries(&self) -> Vec<Delivery> {
        self.entries
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .iter()
            .cloned()
            .collect()
    }
}

/// Sends `notice` to `webhook` on the calling thread, retrying as configured;
/// `stop` ends the waits between attempts early (a disconnected or signalled
/// receiver means stop).
#[must_use]
pub fn deliver(
    webhook: &Webhook,
    agent: &ureq::Agent,
    notice: &Notice,
    first_backoff: Duration,
    stop: Option<&Receiver<()>>,
) -> Delivery {
    let started = Instant::now();
    let mut attempts = 0;
    let mut backoff = first_backoff;
    let outcome = loop {
        attempts += 1;
        let (outcome, retry) = attempt(webhook, agent, notice);
        if !retry || attempts > webhook.retries {
            break outcome;
        }
        tracing::debug!(webhook = webhook.name, attempts, ?outcome, "retrying");
        let stopped = if let Some(stop) = stop {
            !matches!(stop.recv_timeout(backoff), Err(RecvTimeoutError::Timeout))
        } else {
            std::thread::sleep(backoff);
            false
        };
        if stopped {
            break outcome;
        }
        backoff = (backoff * 2).min(MAX_BACKOFF);
    };
    Delivery {
        webhook: webhook.name.clone(),
        rule: notice.event.rule.clone(),
        instance: notice.event.instance.clone(),
        state: notice.event.state,
        test: notice.test,
        attempts,
        outcome,
        finished_ms: unix_ms(SystemTime::now()),
        took_ms: u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
    }
}

/// One request; also says whether a failure is worth retrying (no answer,
/// 408, 429 or 5xx; a 4xx means the request itself is wrong).
fn attempt(webhook: &Webhook, agent: &ureq::Agent, notice: &Notice) -> (Outcome, bool) {
    let request = match notice.request(webhook.preset) {
        Ok(request) => request,
        Err(error) => {
            return (
                Outcome::Failed {
                    error: format!("cannot encode the notice: {error}"),
                },
                false,
            );
        }
    };
    let mut builder = agent
        .post(webhook.url.expose())
        .header("Content-Type", request.content_type)
        .header(
            "User-Agent",
            concat!("hostpulse-server/", env!("CARGO_PKG_VERSION")),
        );
    for (name, value) in &request.headers {
        builder = builder.header(*name, value);
    }
    match builder.send(&request.body[..]) {
        Ok(response) => {
            let status = response.status().as_u16();
            if (200..300).contains(&status) {
                (Outcome::Delivered { status }, false)
            } else {
                let retry = status >= 500 || status == 408 || status == 429;
                (
                    Outcome::Failed {
                        error: format!("the receiver answered {status}"),
                    },
                    retry,
                )
            }
        }
        // ureq's errors name the host at most, never the path or query.
        Err(error) => (
            Outcome::Failed {
                error: error.to_string(),
            },
            true,
        ),
    }
}

/// An agent for one webhook: the whole attempt is bounded by its timeout, and
/// error statuses come back as answers to log, not as errors.
#[must_use]
pub fn agent(webhook: &Webhook) -> ureq::Agent {
    ureq::Agent::config_builder()
        .timeout_global(Some(webhook.timeout))
        .http_status_as_error(false)
        .max_redirects(0)
        .build()
        .into()
}

struct Channel {
    name: String,
    jobs: Option<SyncSender<Arc<Notice>>>,
    stop: Option<SyncSender<()>>,
    thread: Option<JoinHandle<()>>,
}

/// The webhook threads. Dropping it lets each finish its current attempt
/// (bounded by its timeout) and stops them.
pub struct Dispatcher {
    channels: Vec<Channel>,
    log: Arc<DeliveryLog>,
    dropped: AtomicU64,
}

impl std::fmt::Debug for Dispatcher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Dispatcher")
            .field(
                "webhooks",
                &self.channels.iter().map(|c| &c.name).collect::<Vec<_>>(),
            )
            .finish_non_exhaustive()
    }
}

impl Dispatcher {
    /// Starts one thread per webhook; `first_backoff` is the wait before the
    /// first retry ([`FIRST_BACKOFF`] outside tests).
    pub fn spawn(webhooks: &[Webhook], first_backoff: Duration) -> std::io::Result<Self> {
        let log = Arc::new(DeliveryLog::default());
        let mut channels = Vec::with_capacity(webhooks.len());
        for webhook in webhooks {
            let (jobs, queue) = sync_channel::<Arc<Notice>>(QUEUE_CAPACITY);
            let (stop, stopped) = sync_channel::<()>(1);
            let webhook = webhook.clone();
            let name = webhook.name.clone();
            let log = Arc::clone(&log);
            let thread = std::thread::Builder::new()
                .name(format!("hostpulse-webhook-{name}"))
                .spawn(move || {
                    let agent = agent(&webhook);
                    while let Ok(notice) = queue.recv() {
                        log.push(deliver(
                            &webhook,
                            &agent,
                            &notice,
                            first_backoff,
                            Some(&stopped),
                        ));
                        if !matches!(
                            stopped.try_recv(),
                            Err(std::sync::mpsc::TryRecvError::Empty)
                        ) {
                            break;
                        }
                    }
                })?;
            channels.push(Channel {
                name,
                jobs: Some(jobs),
                stop: Some(stop),
                thread: Some(thread),
            });
        }
        Ok(Self {
            channels,
            log,
            dropped: AtomicU64::new(0),
        })
    }

    /// Queues `notice` on every webhook; never waits.
    pub fn send(&self, notice: Notice) {
        let notice = Arc::new(notice);
        for channel in &self.channels {
            let Some(jobs) = &channel.jobs else { continue };
            match jobs.try_send(Arc::clone(&notice)) {
                Ok(()) => {}
                Err(TrySendError::Full(_) | TrySendError::Disconnected(_)) => {
                    self.dropped.fetch_add(1, Ordering::Relaxed);
                    self.log.push(Delivery {
                        webhook: channel.name.clone(),
                        rule: notice.event.rule.clone(),
                        instance: notice.event.instance.clone(),
                        state: notice.event.state,
                        test: notice.test,
                        attempts: 0,
                        outcome: Outcome::Dropped,
                        finished_ms: unix_ms(SystemTime::now()),
                        took_ms: 0,
                    });
                }
            }
        }
    }

    /// How many webhooks there are.
    #[must_use]
    pub fn len(&self) -> usize {
        self.channels.len()
    }

    /// Whether there is none.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.channels.is_empty()
    }

    /// Notices dropped because a webhook's queue was full.
    #[must_use]
    pub fn dropped_count(&self) -> u64 {
        self.dropped.load(Ordering::Relaxed)
    }

    /// The delivery log.
    #[must_use]
    pub fn log(&self) -> Arc<DeliveryLog> {
        Arc::clone(&self.log)
    }
}

impl Drop for Dispatcher {
    fn drop(&mut self) {
        for channel in &mut self.channels {
            drop(channel.jobs.take());
            drop(channel.stop.take());
        }
        for channel in &mut self.channels {
            if let Some(thread) = channel.thread.take()
                && thread.join().is_err()
            {
                tracing::error!(webhook = channel.name, "a webhook thread panicked");
            }
        }
    }
}

/// Milliseconds since the Unix epoch (0 for a clock set before 1970).
#[must_use]
pub fn unix_ms(time: SystemTime) -> u64 {
    time.duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}
