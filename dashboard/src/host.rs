//! One watched host: its link, what it told us about itself, its history and
//! its alerts.

use std::time::{Instant, SystemTime, UNIX_EPOCH};

use hostpulse_shared::{Hello, Secret};

use crate::alerts::HostAlerts;
use crate::command::TokenChange;
use crate::history::{HostHistory, Retention};
use crate::link::{Link, LinkEvent, LinkState, Wake};
use crate::past::Past;
use crate::past::plan::RangeWant;
use crate::status::Connection;

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
    /// What was fetched from the server's disk: older or wider than `history`.
    pub past: Past,
    /// Its server's alert rules, what is firing, and when alerts fired.
    pub alerts: HostAlerts,
    /// The address as shown when the host has no name yet ("host:port").
    short_url: String,
    /// The host's own name with its address, while another listed host
    /// calls itself the same (two servers on one machine).
    qualified_name: Option<String>,
    /// When the newest sample arrived here, to keep time moving while the
    /// host is silent.
    sample_arrived_at: Option<Instant>,
    /// A token to present if the server asks for one (`--token-file` for a
    /// saved host with no token of its own).
    offered_token: Option<Secret>,
}

impl Host {
    /// Starts watching the server at `url`, presenting `token` if given.
    pub fn connect(
        id: u64,
        url: &str,
        label: Option<String>,
        token: Option<Secret>,
        wake: Wake,
    ) -> Self {
        Self {
            id,
            label,
            link: Link::connect(url, token, wake),
            hello: None,
            history: HostHistory::new(Retention::default()),
            past: Past::default(),
            alerts: HostAlerts::default(),
            short_url: crate::address::short(url),
            qualified_name: None,
            sample_arrived_at: None,
            offered_token: None,
        }
    }

    /// Presents `token` if, and only if, the server refuses the host for
    /// having none: a server that wants no token never sees it.
    pub fn offer_token_when_asked(&mut self, token: Secret) {
        self.offered_token = Some(token);
    }

    /// A host fed by [`Host::apply`] rather than by a connection (see
    /// [`Link::detached`]): synthetic data in tests and screenshots.
    #[cfg(feature = "test-support")]
    #[must_use]
    pub fn detached(id: u64, link: Link) -> Self {
        Self {
            id,
            label: None,
            short_url: crate::address::short(link.url()),
            qualified_name: None,
            link,
            hello: None,
            history: HostHistory::new(Retention::default()),
            past: Past::default(),
            alerts: HostAlerts::default(),
            sample_arrived_at: None,
            offered_token: None,
        }
    }

    /// Drains the link into the history. Returns true when anything arrived.
    pub fn poll(&mut self, now: Instant) -> bool {
        let events = self.link.poll(now);
        if matches!(self.link.state(), LinkState::Refused { token_sent: false })
            && let Some(token) = self.offered_token.take()
        {
            let url = self.link.url().to_owned();
            self.link.retarget(url, Some(token));
        }
        let changed = !events.is_empty();
        for event in events {
            self.apply(event);
        }
        self.send_requests(now);
        changed
    }

    /// Asks the server for `want` from its disk, unless it is kept or on
    /// its way; the answer comes through [`Host::poll`].
    pub fn want_range(&mut self, want: RangeWant) {
        self.past.want_range(want);
        self.send_requests(Instant::now());
    }

    /// Asks the server for the top processes at `at_ms`, unless known or on
    /// their way.
    pub fn want_processes(&mut self, at_ms: u64) {
        self.past.want_processes(at_ms);
        self.send_requests(Instant::now());
    }

    /// Sends the requests that may go now, while the link is live; the rest
    /// wait for it.
    fn send_requests(&mut self, now: Instant) {
        if !self.link.can_send() {
            return;
        }
        for message in self.past.outgoing(now) {
            if !self.link.send(&message) {
                // Cannot happen while live; the answer timeout frees the slot.
                tracing::debug!(url = %self.link.url(), "request not sent");
            }
        }
    }

    /// Applies one event from the server.
    pub fn apply(&mut self, event: LinkEvent) {
        match event {
            LinkEvent::Hello(hello) => {
                self.alerts.on_hello(hello.alerts.as_ref(), unix_ms_now());
                self.hello = Some(hello);
                self.past.reconnected();
            }
            LinkEvent::History(samples) => {
                if !samples.is_empty() {
                    self.sample_arrived_at = Some(Instant::now());
                }
                for sample in samples {
                    self.history.push(sample);
                }
            }
            LinkEvent::Reset(_) => self.history.mark_gap(),
            LinkEvent::Sample(sample) => {
                self.sample_arrived_at = Some(Instant::now());
                self.history.push(sample);
            }
            LinkEvent::Range(range) => {
                self.past.receive_range(&range);
            }
            LinkEvent::Processes(processes) => {
                self.past.receive_processes(processes);
            }
            LinkEvent::RequestError(error) => self.past.receive_error(&error, Instant::now()),
            LinkEvent::Alert(event) => self.alerts.on_event(event),
        }
    }

    /// The host's present on its own clock (Unix ms) as far as we can tell:
    /// the newest sample's time while live; while not, that time plus how long
    /// ago the sample arrived, so the time axis keeps moving while the host
    /// is down. `None` before any sample.
    #[must_use]
    pub fn present_ms(&self, now: Instant) -> Option<u64> {
        let newest_ms = self.history.newest_ms()?;
        if self.is_live() {
            return Some(newest_ms);
        }
        let silent = self
            .sample_arrived_at
            .map_or(std::time::Duration::ZERO, |at| {
                now.saturating_duration_since(at)
            });
        Some(newest_ms.saturating_add(u64::try_from(silent.as_millis()).unwrap_or(u64::MAX)))
    }

    /// The name to show: the local label, else the host's own name, else
    /// the address as `host:port`.
    #[must_use]
    pub fn display_name(&self) -> &str {
        if let Some(label) = &self.label {
            return label;
        }
        if let Some(qualified) = &self.qualified_name {
            return qualified;
        }
        self.own_name().unwrap_or(&self.short_url)
    }

    /// The name the host gave itself, when the user gave it none.
    #[must_use]
    pub fn own_name(&self) -> Option<&str> {
        if self.label.is_some() {
            return None;
        }
        self.hello
            .as_ref()
            .map(|hello| hello.host.hostname.as_str())
            .filter(|name| !name.is_empty())
    }

    /// Whether another listed host calls itself the same: then the name
    /// shows with the address, `vm (10.0.0.5:9471)`.
    pub fn set_name_shared(&mut self, shared: bool) {
        let qualified = match self.own_name() {
            Some(name) if shared => Some((name, self.short_url.as_str())),
            _ => None,
        };
        // Called every frame: a new string only when the name changes.
        let same = match (&self.qualified_name, qualified) {
            (Some(old), Some((name, address))) => {
                old.strip_prefix(name)
                    .and_then(|rest| rest.strip_prefix(" ("))
                    .and_then(|rest| rest.strip_suffix(')'))
                    == Some(address)
            }
            (None, None) => true,
            _ => false,
        };
        if !same {
            self.qualified_name = qualified.map(|(name, address)| format!("{name} ({address})"));
        }
    }

    /// Applies an edit from the user. A new address may be another machine, so
    /// what is known about the old one is dropped; a new address or token
    /// reconnects at once.
    pub fn edit(&mut self, url: String, label: Option<String>, token: TokenChange) {
        self.label = label;
        // The user decides about tokens from now on.
        self.offered_token = None;
        // A token typed in is tried, even the one refused before (it may
        // have been set on the server since).
        let typed = matches!(token, TokenChange::Set(_));
        let token = match token {
            TokenChange::Keep => self.link.token().cloned(),
            TokenChange::Set(token) => Some(token),
            TokenChange::Clear => None,
        };
        let moved = url != self.link.url();
        if moved {
            self.short_url = crate::address::short(&url);
            self.hello = None;
            self.history = HostHistory::new(Retention::default());
            self.past = Past::default();
            self.alerts = HostAlerts::default();
        }
        if moved || typed || token.as_ref() != self.link.token() {
            self.link.retarget(url, token);
        }
    }

    /// True while samples flow.
    #[must_use]
    pub fn is_live(&self) -> bool {
        matches!(self.link.state(), LinkState::Live { .. })
    }

    /// How the connection stands at `now`, as the panels show it.
    #[must_use]
    pub fn connection(&self, now: Instant) -> Connection {
        match self.link.state() {
            LinkState::Connecting { .. } => Connection::Connecting,
            LinkState::Live { .. } => Connection::Live,
            LinkState::Refused { token_sent } => Connection::Refused {
                token_sent: *token_sent,
            },
            LinkState::Disconnected { reason, retry_at } => {
                let wait = retry_at.saturating_duration_since(now);
                Connection::Down {
                    reason: reason.clone(),
                    retry_in_secs: wait.as_secs() + u64::from(wait.subsec_nanos() > 0),
                }
            }
        }
    }

    /// The URL the host is watched at.
    #[must_use]
    pub fn url(&self) -> &str {
        self.link.url()
    }

    /// True when the host presents a token.
    #[must_use]
    pub fn has_token(&self) -> bool {
        self.link.has_token()
    }
}

/// This computer's clock, in Unix ms.
#[must_use]
pub fn unix_ms_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}
