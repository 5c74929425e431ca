//! One watched host: its link, what it told us about itself, and its history.

use std::time::Instant;

use hostpulse_shared::Hello;

use crate::history::{HostHistory, Retention};
use crate::link::{Link, LinkEvent, LinkState, Wake};
use crate::panels::edit_host::TokenChange;

/// A server the dashboard watches.
#[derive(Debug)]
pub struct Host {
    /// Stable id for UI state (selection, plot ids) while the app runs.
    pub id: u64,
    /// Shown instead of the URL when set (the in-process local server).
    pub label: Option<String>,
    /// The connection.
    pub link: Link,
    /// The server's greeting on the current or last connection.
    pub hello: Option<Hello>,
    /// Recent samples.
    pub history: HostHistory,
}

impl Host {
    /// Starts watching the server at `url`, presenting `token` if given.
    pub fn connect(
        id: u64,
        url: &str,
        label: Option<String>,
        token: Option<String>,
        wake: Wake,
    ) -> Self {
        Self {
            id,
            label,
            link: Link::connect(url, token, wake),
            hello: None,
            history: HostHistory::new(Retention::default()),
        }
    }

    /// A host fed by [`Host::apply`] rather than by a connection (see
    /// [`Link::detached`]): synthetic data in tests and screenshots.
    #[must_use]
    pub fn detached(id: u64, link: Link) -> Self {
        Self {
            id,
            label: None,
            link,
            hello: None,
            history: HostHistory::new(Retention::default()),
        }
    }

    /// Drains the link into the history. Returns true when anything arrived.
    pub fn poll(&mut self, now: Instant) -> bool {
        let events = self.link.poll(now);
        let changed = !events.is_empty();
        for event in events {
            self.apply(event);
        }
        changed
    }

    /// Applies one event from the server.
    pub fn apply(&mut self, event: LinkEvent) {
        match event {
            LinkEvent::Hello(hello) => self.hello = Some(hello),
            LinkEvent::History(samples) => {
                for sample in samples {
                    self.history.push(sample);
                }
            }
            LinkEvent::Reset(_) => self.history.mark_gap(),
            LinkEvent::Sample(sample) => self.history.push(sample),
        }
    }

    /// The name to show: the local label, else the host's own name, else the URL.
    #[must_use]
    pub fn display_name(&self) -> &str {
        if let Some(label) = &self.label {
            return label;
        }
        match &self.hello {
            Some(hello) if !hello.host.hostname.is_empty() => &hello.host.hostname,
            _ => self.link.url(),
        }
    }

    /// Applies an edit from the user. A new address may be another machine, so
    /// what is known about the old one is dropped; a new address or token
    /// reconnects at once.
    pub fn edit(&mut self, url: String, label: Option<String>, token: TokenChange) {
        self.label = label;
        let token = match token {
            TokenChange::Keep => self.link.token().map(str::to_owned),
            TokenChange::Set(token) => Some(token),
            TokenChange::Clear => None,
        };
        let moved = url != self.link.url();
        if moved {
            self.hello = None;
            self.history = HostHistory::new(Retention::default());
        }
        if moved || token.as_deref() != self.link.token() {
            self.link.retarget(url, token);
        }
    }

    /// True while samples flow.
    #[must_use]
    pub fn is_live(&self) -> bool {
        matches!(self.link.state(), LinkState::Live { .. })
    }
}
