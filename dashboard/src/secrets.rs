//! Host tokens in the desktop's secret store (the Secret Service on Linux:
//! GNOME Keyring, `KWallet`), through keyring, and never in the preferences
//! file, which is plain text. One item per host: service
//! [`SERVICE`], user the host's URL.
//!
//! The store is reached over D-Bus, and the window never waits on I/O
//! (ARCHITECTURE.md, invariant 5): a thread of its own opens the store,
//! reads the tokens of the remembered hosts (the binary waits for those,
//! boundedly, before the window opens), then saves and deletes what the
//! app queues. Where no secret store answers, tokens are kept for the run
//! only, as they always were, and [`TokenKeeper::note`] says so.

use std::sync::mpsc::{Receiver, SyncSender, TrySendError, sync_channel};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use hostpulse_shared::Secret;
use keyring_core::{CredentialStore, Entry};

/// The service name of every item HostPulse keeps.
pub const SERVICE: &str = "hostpulse-dashboard";

/// Saves and deletions waiting for the store: a person adds hosts one at a
/// time, so a full queue means the store hangs.
const QUEUE: usize = 32;

/// Why the secret store could not be used.
#[derive(Debug, thiserror::Error)]
pub enum SecretsError {
    /// No secret store runs (or D-Bus is not there).
    #[error("no secret store answered ({0})")]
    Unavailable(String),
    /// The store answered, but refused or failed.
    #[error("the secret store failed: {0}")]
    Store(#[from] keyring_core::Error),
    /// The store has not caught up with what was asked of it.
    #[error("the secret store is not answering")]
    Busy,
}

/// The desktop's secret store, opened. Every call blocks on D-Bus: use it
/// from [`TokenKeeper`]'s thread.
pub struct SecretStore {
    store: Arc<CredentialStore>,
}

impl std::fmt::Debug for SecretStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SecretStore").finish_non_exhaustive()
    }
}

impl SecretStore {
    /// Connects to the session's Secret Service.
    pub fn open() -> Result<Self, SecretsError> {
        let store: Arc<CredentialStore> = zbus_secret_service_keyring_store::Store::new()
            .map_err(|error| SecretsError::Unavailable(error.to_string()))?;
        Ok(Self { store })
    }

    fn entry(&self, url: &str) -> Result<Entry, SecretsError> {
        Ok(Entry::new_in_store(&self.store, SERVICE, url)?)
    }

    /// Keeps `token` as the token of the host at `url`, replacing any.
    pub fn save(&self, url: &str, token: &Secret) -> Result<(), SecretsError> {
        Ok(self.entry(url)?.set_password(token.expose())?)
    }

    /// The token kept for the host at `url`, if any.
    pub fn load(&self, url: &str) -> Result<Option<Secret>, SecretsError> {
        match self.entry(url)?.get_password() {
            Ok(token) => Ok(Some(Secret::new(token))),
            Err(keyring_core::Error::NoEntry) => Ok(None),
            Err(error) => Err(error.into()),
        }
    }

    /// Drops the token kept for the host at `url`; none kept is no error.
    pub fn forget(&self, url: &str) -> Result<(), SecretsError> {
        match self.entry(url)?.delete_credential() {
            Ok(()) | Err(keyring_core::Error::NoEntry) => Ok(()),
            Err(error) => Err(error.into()),
        }
    }
}

/// What the store's thread is asked to do.
enum Job {
    Save(String, Secret),
    Forget(String),
}

/// The tokens kept for the remembered hosts, as read when the keeper started.
pub type Remembered = Result<Vec<(String, Secret)>, SecretsError>;

/// Keeps the tokens of hosts in the secret store, on a thread of its own; or,
/// where there is none or the user said no, for this run only.
#[derive(Debug)]
pub struct TokenKeeper {
    jobs: Option<SyncSender<Job>>,
    /// Why tokens are kept for this run only, or what went wrong last.
    note: Arc<Mutex<Option<String>>>,
}

impl std::fmt::Debug for Job {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Save(url, _) => f.debug_tuple("Save").field(url).finish_non_exhaustive(),
            Self::Forget(url) => f.debug_tuple("Forget").field(url).finish(),
        }
    }
}

impl TokenKeeper {
    /// Tokens for this run only, for `why` (shown where tokens are typed).
    #[must_use]
    pub fn run_only(why: Option<&str>) -> Self {
        Self {
            jobs: None,
            note: Arc::new(Mutex::new(why.map(str::to_owned))),
        }
    }

    /// Starts the store's thread: it opens the secret store, reads the
    /// tokens kept for `urls` and sends them back once, then carries out
    /// saves and deletions.
    #[must_use]
    pub fn start(urls: Vec<String>) -> (Self, Receiver<Remembered>) {
        let (jobs, queue) = sync_channel::<Job>(QUEUE);
        // One answer: the channel never holds more.
        let (answer, remembered) = sync_channel(1);
        let note = Arc::new(Mutex::new(None));
        let thread_note = Arc::clone(&note);
        let started = std::thread::Builder::new()
            .name("hostpulse-secrets".into())
            .spawn(move || {
                let store = match SecretStore::open() {
                    Ok(store) => store,
                    Err(error) => {
                        set(&thread_note, Some(run_only_note(&error)));
                        let _ = answer.send(Err(error));
                        return;
                    }
                };
                let loaded: Remembered = urls
                    .into_iter()
                    .filter_map(|url| match store.load(&url) {
                        Ok(token) => token.map(|token| Ok((url, token))),
                        Err(error) => Some(Err(error)),
                    })
                    .collect();
                if let Err(error) = &loaded {
                    set(
                        &thread_note,
                        Some(format!("{error}: remembered tokens were not read")),
                    );
                }
                // The window may have stopped waiting: then nobody reads it.
                let _ = answer.send(loaded);
                for job in queue {
                    let done = match &job {
                        Job::Save(url, token) => store.save(url, token),
                        Job::Forget(url) => store.forget(url),
                    };
                    if let Err(error) = done {
                        tracing::warn!(%error, ?job, "secret store");
                        set(
                            &thread_note,
                            Some(format!("{error}: a token may not be kept")),
                        );
                    }
                }
            });
        let mut keeper = Self {
            jobs: Some(jobs),
            note,
        };
        if let Err(error) = started {
            keeper = Self::run_only(Some(&format!(
                "cannot start the secret store's thread ({error}): tokens are kept for this run only"
            )));
        }
        (keeper, remembered)
    }

    /// Starts the keeper and waits up to `wait` for the tokens kept for
    /// `urls`: what the binary does before the window opens. Tokens the
    /// store could not give are left out, and the note says why.
    #[must_use]
    pub fn open(urls: Vec<String>, wait: Duration) -> (Self, Vec<(String, Secret)>) {
        let (keeper, remembered) = Self::start(urls);
        let tokens = match remembered.recv_timeout(wait) {
            Ok(Ok(tokens)) => tokens,
            Ok(Err(error)) => {
                set(&keeper.note, Some(run_only_note(&error)));
                Vec::new()
            }
            Err(_) => {
                set(
                    &keeper.note,
                    Some(format!(
                        "the secret store did not answer within {} s: remembered tokens were not read",
                        wait.as_secs()
                    )),
                );
                Vec::new()
            }
        };
        (keeper, tokens)
    }

    /// Whether tokens go to the secret store (as far as is known yet).
    #[must_use]
    pub fn is_keeping(&self) -> bool {
        self.jobs.is_some()
            && self
                .note
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .is_none()
    }

    /// Why tokens are kept for this run only, or what went wrong last.
    #[must_use]
    pub fn note(&self) -> Option<String> {
        self.note
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Keeps `token` for the host at `url`.
    pub fn save(&self, url: &str, token: &Secret) {
        self.queue(Job::Save(url.to_owned(), token.clone()));
    }

    /// Drops the token kept for the host at `url`.
    pub fn forget(&self, url: &str) {
        self.queue(Job::Forget(url.to_owned()));
    }

    fn queue(&self, job: Job) {
        let Some(jobs) = &self.jobs else {
            return;
        };
        match jobs.try_send(job) {
            // Disconnected: the thread ended because the store could not be
            // opened, and its note says why.
            Ok(()) | Err(TrySendError::Disconnected(_)) => {}
            Err(TrySendError::Full(_)) => set(&self.note, Some(SecretsError::Busy.to_string())),
        }
    }
}

/// The word shown where tokens are typed, when there is no secret store.
#[must_use]
pub fn run_only_note(error: &SecretsError) -> String {
    format!("{error}: tokens are kept for this run only")
}

fn set(note: &Mutex<Option<String>>, value: Option<String>) {
    *note.lock().unwrap_or_else(PoisonError::into_inner) = value;
}
