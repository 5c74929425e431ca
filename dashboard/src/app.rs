//! The dashboard's top level: the hosts, which one is shown, and the commands the
//! panels ask for. It routes; the panels draw and the links talk.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::{Duration, Instant};

use egui::Ui;
use hostpulse_server::BackgroundServer;

use crate::host::Host;
use crate::link::Wake;
use crate::local;
use crate::panels::add_host::AddHostForm;
use crate::panels::edit_host::{EditHostForm, TokenChange};
use crate::panels::export::ExportWindow;
use crate::panels::host_list::ListSelection;
use crate::panels::{fleet, host_list, host_view};
use crate::prefs::{Prefs, SavedHost};
use crate::view::{Theme, TimeView, Window};

mod windows;

/// How soon after a link's news the app repaints: at once, but asked with a
/// delay so that egui paints one frame, not two (see [`DashboardApp::new`]).
const WAKE_DELAY: Duration = Duration::from_millis(1);

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
    /// Show this much of the past.
    SetWindow(Window),
    /// Hold the plots still with this instant (Unix ms) at the right edge.
    Pause(u64),
    /// Follow the newest samples again.
    Resume,
    /// Switch between the dark and the light theme.
    ToggleTheme,
    /// Open the editor of a host.
    StartEdit(u64),
    /// Apply an edit: a changed address or token reconnects.
    EditHost {
        /// The host.
        id: u64,
        /// The (already validated) WebSocket URL.
        url: String,
        /// The display name; `None` shows the name the server reports.
        label: Option<String>,
        /// What to do with the token.
        token: TokenChange,
    },
    /// Show the fleet overview instead of one host.
    ShowFleet,
    /// Between the fleet overview and the selected host.
    ToggleFleet,
    /// Show or hide the keyboard shortcuts.
    ToggleHelp,
    /// Show or hide the export window.
    ToggleExport,
    /// Close the help, export and edit windows.
    CloseWindows,
    /// Save the selected host's visible time window as CSV.
    ExportCsv,
    /// Save a PNG screenshot of the window.
    Screenshot,
    /// Hold every plot on this time range (Unix ms), after a pan or a zoom.
    ShowRange {
        /// Left edge.
        start_ms: u64,
        /// Right edge.
        end_ms: u64,
    },
    /// Mark this instant (Unix ms) on every plot and list its top processes.
    Mark(u64),
    /// Remove the mark.
    ClearMark,
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
    /// The time every plot shows.
    view: TimeView,
    theme: Theme,
    /// The theme the context draws in, to apply a change once.
    applied_theme: Option<Theme>,
    /// Hosts added in the window, remembered for the next run.
    saved: BTreeSet<u64>,
    /// The fleet overview is shown instead of the selected host.
    fleet: bool,
    /// The keyboard shortcuts window is open.
    help_open: bool,
    /// The host being edited, if any.
    edit: Option<EditHostForm>,
    /// The export window and the save it runs.
    export: ExportWindow,
    /// A screenshot was asked for; it is requested once the export window has
    /// closed, so the window is not in the picture.
    screenshot_due: bool,
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
    /// An app with no hosts, repainting `ctx` (once) whenever a link has news.
    #[must_use]
    pub fn new(ctx: &egui::Context) -> Self {
        let ctx = ctx.clone();
        Self {
            hosts: Vec::new(),
            selected: None,
            next_host_id: 1,
            add_host: AddHostForm::default(),
            // Not `request_repaint()`: egui answers that with two frames (to
            // let frame-delayed responses settle), and news needs one. With
            // software GL that second frame doubled the idle app's CPU.
            wake: Arc::new(move || ctx.request_repaint_after(WAKE_DELAY)),
            local_server: None,
            startup_error: None,
            view: TimeView::default(),
            theme: Theme::default(),
            applied_theme: None,
            saved: BTreeSet::new(),
            fleet: false,
            help_open: false,
            edit: None,
            export: ExportWindow::default(),
            screenshot_due: false,
        }
    }

    /// The app as the binary starts it: the hosts and choices saved last time,
    /// plus `urls` for this run (presenting `token`), or this machine through an
    /// in-process server when neither names a host.
    #[must_use]
    pub fn start(ctx: &egui::Context, urls: &[String], token: Option<&str>, prefs: &Prefs) -> Self {
        let mut app = Self::new(ctx);
        app.view.window = prefs.window;
        app.theme = prefs.theme;
        app.fleet = prefs.fleet;
        if let Some(dir) = &prefs.export_dir {
            app.export.dir.clone_from(dir);
        }
        for saved in &prefs.hosts {
            let id = app.add_host(&saved.url, saved.label.clone(), None);
            app.saved.insert(id);
        }
        if urls.is_empty() && prefs.hosts.is_empty() {
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
            if !app.hosts.iter().any(|h| h.link.url() == url) {
                app.add_host(url, None, token.map(str::to_owned));
            }
        }
        if let Some(host) = prefs
            .selected_url
            .as_ref()
            .and_then(|url| app.hosts.iter().find(|h| h.link.url() == url))
        {
            app.selected = Some(host.id);
        }
        app
    }

    /// What to remember for the next run.
    #[must_use]
    pub fn prefs(&self) -> Prefs {
        Prefs {
            hosts: self
                .hosts
                .iter()
                .filter(|h| self.saved.contains(&h.id))
                .map(|h| SavedHost {
                    url: h.link.url().to_owned(),
                    label: h.label.clone(),
                })
                .collect(),
            window: self.view.window,
            theme: self.theme,
            selected_url: self
                .hosts
                .iter()
                .find(|h| Some(h.id) == self.selected)
                .map(|h| h.link.url().to_owned()),
            fleet: self.fleet,
            export_dir: self.export.chosen_dir(),
        }
    }

    /// The time every plot shows.
    #[must_use]
    pub fn view(&self) -> TimeView {
        self.view
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

    /// One host, to feed it (synthetic data in tests and measurements).
    pub fn host_mut(&mut self, id: u64) -> Option<&mut Host> {
        self.hosts.iter_mut().find(|h| h.id == id)
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
            let tick = now + Duration::from_secs(1);
            next = Some(next.map_or(tick, |n| n.min(tick)));
        }
        if let Some(next) = next {
            ctx.request_repaint_after(next.saturating_duration_since(now));
        }
    }

    /// Draws one frame and applies what the panels asked for.
    pub fn ui(&mut self, ui: &mut Ui) {
        if self.applied_theme != Some(self.theme) {
            self.theme.apply(ui.ctx());
            self.applied_theme = Some(self.theme);
        }
        self.export.poll();
        let mut commands = Vec::new();
        self.shortcuts(ui.ctx(), &mut commands);
        windows::window_shortcuts(ui.ctx(), &mut commands);
        egui::Panel::top("top").show(ui, |ui| {
            ui.add_space(4.0);
            ui.horizontal(|ui| {
                ui.heading("HostPulse");
                ui.separator();
                self.add_host.ui(ui, &mut commands);
                ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
                    self.top_buttons_ui(ui, &mut commands);
                });
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
                let chosen = ListSelection {
                    host_id: self.selected,
                    fleet: self.fleet,
                };
                host_list::ui(ui, &self.hosts, chosen, &mut commands);
            });
        egui::CentralPanel::default().show(ui, |ui| {
            if self.fleet {
                fleet::ui(ui, &self.hosts, &mut commands);
                return;
            }
            match self.hosts.iter().find(|h| Some(h.id) == self.selected) {
                Some(host) => host_view::ui(ui, host, self.view, &mut commands),
                None => {
                    ui.centered_and_justified(|ui| {
                        ui.label("Add a host above to start watching it.");
                    });
                }
            }
        });
        self.windows_ui(ui.ctx(), &mut commands);
        for command in commands {
            self.apply(command);
        }
        if std::mem::take(&mut self.screenshot_due) {
            self.request_screenshot(ui.ctx());
        }
    }

    /// Carries out one command.
    pub fn apply(&mut self, command: Command) {
        match command {
            Command::AddHost { url, token } => {
                let wake = self.wake();
                if let Some(existing) = self.hosts.iter_mut().find(|h| h.link.url() == url) {
                    // Added again with a token (a remembered host that wants
                    // one): connect again, presenting it.
                    if token.is_some() {
                        existing.link = crate::link::Link::connect(url, token, wake);
                    }
                    self.selected = Some(existing.id);
                } else {
                    let id = self.add_host(&url, None, token);
                    self.saved.insert(id);
                    self.selected = Some(id);
                }
            }
            Command::Remove(id) => {
                self.saved.remove(&id);
                self.hosts.retain(|h| h.id != id);
                if self.selected == Some(id) {
                    self.selected = self.hosts.first().map(|h| h.id);
                }
            }
            Command::Select(id) => {
                self.selected = Some(id);
                self.fleet = false;
            }
            Command::RetryNow(id) => {
                if let Some(host) = self.hosts.iter_mut().find(|h| h.id == id) {
                    host.link.retry_now();
                }
            }
            Command::SetWindow(window) => self.view.set_window(window),
            Command::Pause(at_ms) => self.view.paused_at_ms = Some(at_ms),
            Command::Resume => self.view.resume(),
            Command::ToggleTheme => self.theme = self.theme.toggled(),
            Command::ShowRange { start_ms, end_ms } => self.view.show_range(start_ms, end_ms),
            Command::Mark(at_ms) => self.view.marked_ms = Some(at_ms),
            Command::ClearMark => self.view.marked_ms = None,
            command => self.apply_window_command(command),
        }
    }

    /// Keys for the common actions, unless a text field has the keyboard:
    /// Space pauses and resumes, 1–5 choose the window, T switches the theme.
    fn shortcuts(&self, ctx: &egui::Context, commands: &mut Vec<Command>) {
        if ctx.egui_wants_keyboard_input() {
            return;
        }
        ctx.input(|input| {
            if input.key_pressed(egui::Key::Space) {
                commands.push(self.pause_or_resume());
            }
            if input.key_pressed(egui::Key::T) {
                commands.push(Command::ToggleTheme);
            }
            let keys = [
                egui::Key::Num1,
                egui::Key::Num2,
                egui::Key::Num3,
                egui::Key::Num4,
                egui::Key::Num5,
            ];
            for (key, window) in keys.into_iter().zip(Window::ALL) {
                if input.key_pressed(key) {
                    commands.push(Command::SetWindow(window));
                }
            }
        });
    }

    /// Pause at the selected host's newest sample, or resume.
    fn pause_or_resume(&self) -> Command {
        let newest = self
            .hosts
            .iter()
            .find(|h| Some(h.id) == self.selected)
            .and_then(|h| h.history.newest_ms());
        match (self.view.paused_at_ms, newest) {
            (None, Some(newest)) => Command::Pause(newest),
            _ => Command::Resume,
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

    fn save(&mut self, storage: &mut dyn eframe::Storage) {
        self.prefs().save(storage);
    }
}
