//! The dashboard's top level: the hosts, which one is shown, and the commands the
//! panels ask for. It routes; the panels draw and the links talk.

use std::sync::Arc;
use std::time::Instant;

use egui::Ui;
use hostpulse_server::background::BackgroundServer;

use crate::host::Host;
use crate::link::Wake;
use crate::local;
use crate::panels::add_host::AddHostForm;
use crate::panels::{host_list, host_view};

/// Something a panel asks the app to do, applied after the frame is drawn.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// Watch the server at this (already validated) URL, with this token.
    AddHost {
        /// The WebSocket URL.
        url: String,
        /// The bearer token, if the server wants one.
        token: Option<String>,
    },
    /// Stop watching a host.
    Remove(u64),
    /// Show a host.
    Select(u64),
    /// Reconnect to a host now instead of waiting for the backoff.
    RetryNow(u64),
}

/// The dashboard application state.
pub struct DashboardApp {
    hosts: Vec<Host>,
    selected: Option<u64>,
    next_host_id: u64,
    add_host: AddHostForm,
    wake: Wake,
    /// The in-process server watching this machine, when no host was given.
    /// Dropping the app stops it.
    local_server: Option<BackgroundServer>,
    /// Shown at the top when the local server could not start.
    startup_error: Option<String>,
}

impl std::fmt::Debug for DashboardApp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DashboardApp")
            .field("hosts", &self.hosts)
            .field("selected", &self.selected)
            .finish_non_exhaustive()
    }
}

impl DashboardApp {
    /// An app with no hosts, repainting `ctx` whenever a link has news.
    #[must_use]
    pub fn new(ctx: &egui::Context) -> Self {
        let ctx = ctx.clone();
        Self {
            hosts: Vec::new(),
            selected: None,
            next_host_id: 1,
            add_host: AddHostForm::default(),
            wake: Arc::new(move || ctx.request_repaint()),
            local_server: None,
            startup_error: None,
        }
    }

    /// The app as the binary starts it: watching `urls` (presenting `token`), or
    /// this machine through an in-process server when `urls` is empty.
    #[must_use]
    pub fn start(ctx: &egui::Context, urls: &[String], token: Option<&str>) -> Self {
        let mut app = Self::new(ctx);
        if urls.is_empty() {
            match local::start() {
                Ok(server) => {
                    let url = server.ws_url();
                    app.add_host(&url, Some(local::LOCAL_LABEL.to_owned()), None);
                    app.local_server = Some(server);
                }
                Err(error) => {
                    app.startup_error = Some(format!(
                        "Could not watch this computer: {error}. Add a remote host above."
                    ));
                }
            }
        }
        for url in urls {
            app.add_host(url, None, token.map(str::to_owned));
        }
        app
    }

    /// The wake-up a new link should call; exposed for building detached hosts.
    #[must_use]
    pub fn wake(&self) -> Wake {
        Arc::clone(&self.wake)
    }

    /// Connects to `url` and lists it; the first host added is selected.
    pub fn add_host(&mut self, url: &str, label: Option<String>, token: Option<String>) -> u64 {
        let id = self.allocate_id();
        self.hosts
            .push(Host::connect(id, url, label, token, self.wake()));
        self.selected.get_or_insert(id);
        id
    }

    /// Lists a host built elsewhere (synthetic data in tests and screenshots).
    pub fn insert_host(&mut self, build: impl FnOnce(u64) -> Host) -> u64 {
        let id = self.allocate_id();
        self.hosts.push(build(id));
        self.selected.get_or_insert(id);
        id
    }

    fn allocate_id(&mut self) -> u64 {
        let id = self.next_host_id;
        self.next_host_id += 1;
        id
    }

    /// The hosts, in list order.
    #[must_use]
    pub fn hosts(&self) -> &[Host] {
        &self.hosts
    }

    /// The host shown in the main view.
    #[must_use]
    pub fn selected(&self) -> Option<u64> {
        self.selected
    }

    /// Drains every link and schedules the next wake-up for retries and timeouts,
    /// so an idle dashboard sleeps instead of spinning.
    pub fn poll(&mut self, ctx: &egui::Context) {
        let now = Instant::now();
        for host in &mut self.hosts {
            host.poll(now);
        }
        let mut next = self.hosts.iter().map(|h| h.link.next_deadline()).min();
        if self
            .hosts
            .iter()
            .any(|h| matches!(h.link.state(), crate::link::LinkState::Disconnected { .. }))
        {
            // The "retrying in N s" countdown changes once a second.
            let tick = now + std::time::Duration::from_secs(1);
            next = Some(next.map_or(tick, |n| n.min(tick)));
        }
        if let Some(next) = next {
            ctx.request_repaint_after(next.saturating_duration_since(now));
        }
    }

    /// Draws one frame and applies what the panels asked for.
    pub fn ui(&mut self, ui: &mut Ui) {
        let mut commands = Vec::new();
        egui::Panel::top("top").show(ui, |ui| {
            ui.add_space(4.0);
            ui.horizontal(|ui| {
                ui.heading("HostPulse");
                ui.separator();
                self.add_host.ui(ui, &mut commands);
            });
            if let Some(error) = &self.startup_error {
                ui.colored_label(ui.visuals().error_fg_color, error);
            }
            ui.add_space(2.0);
        });
        egui::Panel::left("hosts")
            .resizable(true)
            .default_size(220.0)
            .show(ui, |ui| {
                host_list::ui(ui, &self.hosts, self.selected, &mut commands);
            });
        egui::CentralPanel::default().show(ui, |ui| {
            match self.hosts.iter().find(|h| Some(h.id) == self.selected) {
                Some(host) => host_view::ui(ui, host, &mut commands),
                None => {
                    ui.centered_and_justified(|ui| {
                        ui.label("Add a host above to start watching it.");
                    });
                }
            }
        });
        for command in commands {
            self.apply(command);
        }
    }

    /// Carries out one command.
    pub fn apply(&mut self, command: Command) {
        match command {
            Command::AddHost { url, token } => {
                if let Some(existing) = self.hosts.iter().find(|h| h.link.url() == url) {
                    self.selected = Some(existing.id);
                } else {
                    let id = self.add_host(&url, None, token);
                    self.selected = Some(id);
                }
            }
            Command::Remove(id) => {
                self.hosts.retain(|h| h.id != id);
                if self.selected == Some(id) {
                    self.selected = self.hosts.first().map(|h| h.id);
                }
            }
            Command::Select(id) => self.selected = Some(id),
            Command::RetryNow(id) => {
                if let Some(host) = self.hosts.iter_mut().find(|h| h.id == id) {
                    host.link.retry_now();
                }
            }
        }
    }
}

impl eframe::App for DashboardApp {
    fn logic(&mut self, ctx: &egui::Context, _frame: &mut eframe::Frame) {
        self.poll(ctx);
    }

    fn ui(&mut self, ui: &mut Ui, _frame: &mut eframe::Frame) {
        DashboardApp::ui(self, ui);
    }
}
