//! What the dashboard remembers between runs: the hosts added in the window
//! (with their display names) and the user's choices (theme, time window,
//! selected host, fleet overview or host, export folder, whether "This
//! computer" was removed, the alerts panel, "do not disturb" and the muted
//! hosts). Saved through eframe's storage; hosts given on the
//! command line are for one run only and are not saved. Panel sizes and window positions are egui's own memory,
//! which eframe saves beside these (`App::persist_egui_memory` is on by
//! default).
//!
//! Tokens are never saved here: eframe's storage is a plain file, and a token
//! kept there would be readable wherever the file is. They go to the desktop's
//! secret store instead ([`crate::secrets`]), unless the user chose to keep
//! them for the run only; without one, a saved host that needs a token says so
//! (401) and takes it again through its "Edit" window or "Add host".

use serde::{Deserialize, Serialize};

use crate::view::{Theme, Window};

/// The key in eframe's storage.
pub const STORAGE_KEY: &str = "hostpulse-prefs";

/// A host to watch again at the next start.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SavedHost {
    /// The WebSocket URL.
    pub url: String,
    /// The name the user gave it, if any.
    #[serde(default)]
    pub label: Option<String>,
}

/// Everything remembered.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Prefs {
    /// Hosts added in the window, in list order.
    pub hosts: Vec<SavedHost>,
    /// The plots' time window.
    pub window: Window,
    /// Light or dark.
    pub theme: Theme,
    /// The URL of the host shown last.
    pub selected_url: Option<String>,
    /// The fleet overview was shown rather than one host.
    pub fleet: bool,
    /// The folder exports were last saved in, when the user chose one.
    pub export_dir: Option<String>,
    /// The user removed "This computer" from the list; it stays away until
    /// brought back.
    pub local_removed: bool,
    /// The user chose to keep tokens for the run only, out of the desktop's
    /// secret store.
    pub tokens_for_run_only: bool,
    /// The alerts panel and the notifications.
    pub alerts: AlertPrefs,
}

/// What is remembered of alerts.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct AlertPrefs {
    /// The alerts panel was open.
    pub panel_open: bool,
    /// No desktop notifications at all ("do not disturb").
    pub do_not_disturb: bool,
    /// The hosts whose alerts notify nobody (they still show in the
    /// panel), by URL ("this-computer" for the in-process server).
    pub muted: Vec<String>,
}

impl Prefs {
    /// Reads the saved preferences, or the defaults when there are none (or
    /// they cannot be read, as after an incompatible upgrade).
    #[must_use]
    pub fn load(storage: Option<&dyn eframe::Storage>) -> Self {
        storage
            .and_then(|storage| eframe::get_value(storage, STORAGE_KEY))
            .unwrap_or_default()
    }

    /// Writes them.
    pub fn save(&self, storage: &mut dyn eframe::Storage) {
        eframe::set_value(storage, STORAGE_KEY, self);
    }
}
