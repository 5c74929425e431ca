//! The dashboard's top level: the hosts, which one is shown, and the commands the
//! panels ask for. It routes; the panels draw and the links talk.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::{Duration, Instant};

use egui::Ui;
use hostpulse_server::BackgroundServer;
use hostpulse_shared::Secret;

use crate::command::{Command, TokenChange};
use crate::host::Host;
use crate::link::Wake;
use crate::local;
use crate::panels::add_host::AddHostForm;
use crate::panels::edit_host::EditHostForm;
use crate::panels::export::ExportWindow;
use crate::panels::host_list::ListSelection;
use crate::panels::{fleet, host_list, host_view};
use crate::prefs::{Prefs, SavedHost};
use crate::secrets::TokenKeeper;
use crate::view::{Theme, TimeView};
use removal::Removed;

mod alerting;
mod keys;
mod removal;
#[cfg(feature = "test-support")]
mod test_support;
mod windows;

/// How soon after a link's news the app repaints. Asked with a delay, not at
/// once, so that egui paints one frame, not two (see [`DashboardApp::new`]);
/// and long enough that news from hosts sampling within the same few tens of
/// milliseconds (servers tick on whole seconds) shares one frame: a fleet of
/// 16 painted 1.8 frames a second with 1 ms, the second frame 12–30 ms after
/// the first. Short beside a second, and beside the time a fetched range
/// takes to arrive.
const WAKE_DELAY: Duration = Duration::from_millis(35);

/// The top bar's width (points) from which its buttons stand on it rather
/// than in a menu: what the fields and the buttons take side by side.
const WIDE_TOP_BAR: f32 = 960.0;

/// Where "This computer" stands in the list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum LocalHost {
    /// Listed, as the host with this id.
    Listed(u64),
    /// The user removed it; remembered for the next run.
    Removed,
    /// Not listed yet, or its server could not start.
    Off,
}

/// The dashboard application state.
#[expect(
    clippy::struct_excessive_bools,
    reason = "independent switches (fleet shown, help open, screenshot due, tokens for the run only), not states of one thing"
)]
pub struct DashboardApp {
    hosts: Vec<Host>,
    selected: Option<u64>,
    next_host_id: u64,
    add_host: AddHostForm,
    wake: Wake,
    /// The in-process server watching this machine, when no host was given.
    /// Dropping the app stops it.
    local_server: Option<BackgroundServer>,
    /// Whether "This computer" is listed, and if not, why.
    local: LocalHost,
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
    /// The host removed last, while "Undo" is offered.
    removed: Option<Removed>,
    /// Where the tokens of saved hosts are kept.
    tokens: TokenKeeper,
    /// The user chose to keep tokens for the run only.
    tokens_for_run_only: bool,
    /// The alert log, the "unreachable" rule, desktop notifications, mutes.
    alerting: alerting::Alerting,
    /// The window is cleared to the panels' colour before each frame (as
    /// eframe does, see [`eframe::App::clear_color`]), so the panels need
    /// not fill it: under software OpenGL a fill of the whole window cost
    /// half of what the rasterizer did per frame. Off where something else
    /// draws the app (tests' harnesses).
    window_cleared: bool,
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
            local: LocalHost::Off,
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
            removed: None,
            tokens: TokenKeeper::run_only(None),
            tokens_for_run_only: false,
            alerting: alerting::Alerting::new(),
            window_cleared: false,
        }
    }

    /// A panel's frame, without its fill when the window is already cleared
    /// to that colour.
    fn panel_frame(&self, frame: egui::Frame) -> egui::Frame {
        if self.window_cleared {
            frame.fill(egui::Color32::TRANSPARENT)
        } else {
            frame
        }
    }

    /// The app with the hosts and choices saved last time, plus `urls` for
    /// this run (presenting `token`), or this machine through an in-process
    /// server when neither names a host; tokens are kept for this run only
    /// (see [`DashboardApp::start_keeping`]).
    #[must_use]
    pub fn start(
        ctx: &egui::Context,
        urls: &[String],
        token: Option<&Secret>,
        prefs: &Prefs,
    ) -> Self {
        Self::start_keeping(ctx, urls, token, prefs, TokenKeeper::run_only(None), &[])
    }

    /// The app as the binary starts it: like [`DashboardApp::start`], with
    /// `remembered`, the tokens `tokens` had kept for saved hosts, and
    /// `tokens` keeping new ones.
    ///
    /// `token` (from `--token-file`) is presented to the hosts in `urls`, and
    /// to every saved host without a token of its own once that host asks
    /// for one (answers 401), never before: a server that wants no token is
    /// never shown it.
    #[must_use]
    pub fn start_keeping(
        ctx: &egui::Context,
        urls: &[String],
        token: Option<&Secret>,
        prefs: &Prefs,
        tokens: TokenKeeper,
        remembered: &[(String, Secret)],
    ) -> Self {
        let mut app = Self::new(ctx);
        app.tokens = tokens;
        app.tokens_for_run_only = prefs.tokens_for_run_only;
        app.view.window = prefs.window;
        app.theme = prefs.theme;
        app.fleet = prefs.fleet;
        if let Some(dir) = &prefs.export_dir {
            app.export.dir.clone_from(dir);
        }
        // This computer first, unless the user removed it: adding other
        // hosts does not make it go away.
        if prefs.local_removed {
            app.local = LocalHost::Removed;
        } else {
            app.watch_this_computer();
        }
        for saved in &prefs.hosts {
            let own = remembered
                .iter()
                .find(|(url, _)| *url == saved.url)
                .map(|(_, token)| token.clone());
            let id = app.add_host(&saved.url, saved.label.clone(), own.clone());
            app.saved.insert(id);
            if own.is_none()
                && let (Some(token), Some(host)) = (token, app.hosts.last_mut())
            {
                host.offer_token_when_asked(token.clone());
            }
        }
        for url in urls {
            let token = token.cloned();
            match app.hosts.iter_mut().find(|h| h.link.url() == url) {
                // Remembered already: the token given now applies to it too.
                Some(existing) => {
                    if token.is_some() {
                        existing.link.retarget(url.clone(), token);
                    }
                }
                None => {
                    app.add_host(url, None, token);
                }
            }
        }
        if let Some(host) = prefs
            .selected_url
            .as_ref()
            .and_then(|url| app.hosts.iter().find(|h| h.link.url() == url))
        {
            app.selected = Some(host.id);
        }
        // A host named on the command line is the one to show.
        if let Some(first) = urls
            .first()
            .and_then(|url| app.hosts.iter().find(|h| h.link.url() == url))
        {
            app.selected = Some(first.id);
        }
        app.restore_alerting(&prefs.alerts);
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
            local_removed: self.local == LocalHost::Removed,
            tokens_for_run_only: self.tokens_for_run_only,
            alerts: self.alert_prefs(),
        }
    }

    /// The time every plot shows.
    #[must_use]
    pub fn view(&self) -> TimeView {
        self.view
    }

    /// The wake-up a new link or a save calls when it has news.
    fn repaint_wake(&self) -> Wake {
        Arc::clone(&self.wake)
    }

    /// The host that is this computer, while it is listed.
    fn local_host(&self) -> Option<u64> {
        match self.local {
            LocalHost::Listed(id) => Some(id),
            LocalHost::Removed | LocalHost::Off => None,
        }
    }

    /// Starts the in-process server and lists "This computer" first; says
    /// why on the top bar when the server cannot start.
    fn watch_this_computer(&mut self) {
        if self.local_host().is_some() {
            return;
        }
        match local::start() {
            Ok(server) => {
                let url = server.ws_url();
                let id = self.allocate_id();
                let host = Host::connect(
                    id,
                    &url,
                    Some(local::LOCAL_LABEL.to_owned()),
                    None,
                    self.repaint_wake(),
                );
                self.hosts.insert(0, host);
                self.selected.get_or_insert(id);
                self.local_server = Some(server);
                self.local = LocalHost::Listed(id);
                self.startup_error = None;
            }
            Err(error) => {
                self.startup_error = Some(format!(
                    "Could not watch this computer: {error}. Add a remote host above."
                ));
            }
        }
    }

    /// Connects to `url` and lists it; the first host added is selected.
    pub fn add_host(&mut self, url: &str, label: Option<String>, token: Option<Secret>) -> u64 {
        let id = self.allocate_id();
        self.hosts
            .push(Host::connect(id, url, label, token, self.repaint_wake()));
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
        self.watch_alerts(now);
        let mut next = self
            .hosts
            .iter()
            .filter_map(|h| h.link.next_deadline())
            .chain(self.alerts_deadline())
            .min();
        if self
            .hosts
            .iter()
            .any(|h| h.connection(now).is_down() || (!h.is_live() && !h.history.is_empty()))
        {
            // The "retrying in N s" countdown changes once a second, and a
            // silent host's time axis moves on.
            let tick = now + Duration::from_secs(1);
            next = Some(next.map_or(tick, |n| n.min(tick)));
        }
        if let Some(next) = next {
            ctx.request_repaint_after(next.saturating_duration_since(now));
        }
    }

    /// Two hosts that call themselves the same (two servers on one machine,
    /// or machines left with one hostname) show their addresses too.
    fn tell_shared_names_apart(&mut self) {
        let names: Vec<Option<&str>> = self.hosts.iter().map(Host::own_name).collect();
        let shared: Vec<bool> = names
            .iter()
            .map(|name| name.is_some() && names.iter().filter(|other| *other == name).count() > 1)
            .collect();
        for (host, shared) in self.hosts.iter_mut().zip(shared) {
            host.set_name_shared(shared);
        }
    }

    /// Draws one frame and applies what the panels asked for.
    pub fn ui(&mut self, ui: &mut Ui) {
        self.tell_shared_names_apart();
        if self.applied_theme != Some(self.theme) {
            self.theme.apply(ui.ctx());
            self.applied_theme = Some(self.theme);
        }
        self.export.poll();
        // Also here, not only in `poll`: hosts fed directly (tests) have
        // their alerts taken up in the frame that draws them.
        self.watch_alerts(Instant::now());
        let mut commands = Vec::new();
        self.shortcuts(ui.ctx(), &mut commands);
        windows::window_shortcuts(ui.ctx(), self.edit.is_some(), &mut commands);
        let side_frame = self.panel_frame(egui::Frame::side_top_panel(ui.style()));
        egui::Panel::top("top").frame(side_frame).show(ui, |ui| {
            ui.add_space(4.0);
            // Below this the buttons on the right go into a menu, so nothing
            // on the bar covers anything else.
            let narrow = ui.available_width() < WIDE_TOP_BAR;
            ui.horizontal(|ui| {
                ui.heading("HostPulse");
                ui.separator();
                self.add_host.ui(ui, narrow, &mut commands);
                ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
                    self.top_buttons_ui(ui, narrow, &mut commands);
                });
            });
            // Messages get a line of their own, in full.
            self.add_host.error_ui(ui);
            self.export_status_ui(ui);
            if let Some(error) = &self.startup_error {
                ui.colored_label(ui.visuals().error_fg_color, error);
            }
            ui.add_space(2.0);
        });
        egui::Panel::left("hosts")
            .resizable(true)
            .default_size(220.0)
            .frame(side_frame)
            .show(ui, |ui| {
                let chosen = ListSelection {
                    host_id: self.selected,
                    fleet: self.fleet,
                };
                host_list::ui(ui, &self.hosts, chosen, &mut commands);
                if self.local_host().is_none() {
                    ui.add_space(6.0);
                    if ui
                        .small_button("+ This computer")
                        .on_hover_text("Watch this computer again")
                        .clicked()
                    {
                        commands.push(Command::WatchThisComputer);
                    }
                }
            });
        self.alerts_panel_ui(ui, &mut commands);
        let central_frame = self.panel_frame(egui::Frame::central_panel(ui.style()));
        egui::CentralPanel::default()
            .frame(central_frame)
            .show(ui, |ui| {
                if self.fleet {
                    fleet::ui(ui, &self.hosts, &mut commands);
                    return;
                }
                match self.hosts.iter().find(|h| Some(h.id) == self.selected) {
                    Some(host) => host_view::ui(ui, host, self.view, &mut commands),
                    None => {
                        ui.vertical_centered(|ui| {
                            ui.add_space(ui.available_height() / 3.0);
                            ui.label("Add a host above to start watching it.");
                            if self.local_host().is_none()
                                && ui.button("Watch this computer").clicked()
                            {
                                commands.push(Command::WatchThisComputer);
                            }
                        });
                    }
                }
            });
        self.windows_ui(ui.ctx(), &mut commands);
        self.undo_ui(ui.ctx(), &mut commands);
        let chosen = commands.iter().any(Command::chooses_what_is_shown);
        for command in commands {
            self.apply(command);
        }
        if chosen {
            // Drawn in this frame, not the next: egui runs the pass again
            // (this one is not shown), which also asks for a window's
            // history a frame sooner.
            ui.ctx().request_discard("a window or host was chosen");
        }
        if std::mem::take(&mut self.screenshot_due) {
            self.request_screenshot(ui.ctx());
        }
    }

    /// Carries out one command.
    pub fn apply(&mut self, command: Command) {
        match command {
            Command::AddHost { url, token } => self.add_or_show(&url, token.as_ref()),
            Command::Remove(id) => self.remove(id),
            Command::UndoRemove => self.undo_remove(),
            Command::WatchThisComputer => {
                // A new server for this computer: the removed one's undo is over.
                self.finish_removal();
                self.local = LocalHost::Off;
                self.watch_this_computer();
                if let Some(id) = self.local_host() {
                    self.selected = Some(id);
                    self.fleet = false;
                }
            }
            Command::Select(id) => {
                // A marked instant stays only where the other host has samples.
                if let (Some(marked), Some(host)) =
                    (self.view.marked_ms, self.hosts.iter().find(|h| h.id == id))
                {
                    let (oldest, newest) = (host.history.oldest_ms(), host.history.newest_ms());
                    if !oldest
                        .zip(newest)
                        .is_some_and(|(o, n)| (o..=n).contains(&marked))
                    {
                        self.view.marked_ms = None;
                    }
                }
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
            Command::ShowLast(span_ms) => self.view.show_last(span_ms),
            Command::FetchRange { host, want } => {
                if let Some(host) = self.hosts.iter_mut().find(|h| h.id == host) {
                    host.want_range(want);
                }
            }
            Command::FetchProcesses { host, at_ms } => {
                if let Some(host) = self.hosts.iter_mut().find(|h| h.id == host) {
                    host.want_processes(at_ms);
                }
            }
            Command::Mark(at_ms) => self.view.marked_ms = Some(at_ms),
            Command::ClearMark => self.view.marked_ms = None,
            Command::StartEdit(id) => self.start_edit(id),
            Command::EditHost {
                id,
                url,
                label,
                token,
            } => self.edit_host(id, url, label, token),
            Command::RememberTokens(remember) => self.remember_tokens(remember),
            Command::ShowFleet => self.fleet = true,
            Command::ToggleFleet => self.fleet = !self.fleet,
            Command::ToggleHelp => self.help_open = !self.help_open,
            Command::ToggleExport => self.export.open = !self.export.open,
            Command::CloseWindows => self.close_windows(),
            Command::ExportCsv => self.export_csv(),
            Command::Screenshot => self.screenshot_soon(),
            Command::ToggleAlerts => self.toggle_alerts_panel(),
            Command::OpenAlert { host_id, at_ms } => self.open_alert(host_id, at_ms),
            Command::ToggleMute(id) => self.toggle_mute(id),
            Command::ToggleDoNotDisturb => self.toggle_do_not_disturb(),
            Command::TestNotification => self.test_notification(),
        }
    }

    /// Adds the host at `url`, or shows it when it is listed already (then
    /// connecting again when a token comes with it: a remembered host that
    /// wants one); a token for a remembered host goes to the secret store.
    fn add_or_show(&mut self, url: &str, token: Option<&Secret>) {
        // Added again, it must not come back twice.
        if self
            .removed
            .as_ref()
            .is_some_and(|r| r.host.link.url() == url)
        {
            self.finish_removal();
        }
        let wake = self.repaint_wake();
        if let Some(existing) = self.hosts.iter_mut().find(|h| h.link.url() == url) {
            if token.is_some() {
                existing.link = crate::link::Link::connect(url.to_owned(), token.cloned(), wake);
            } else {
                self.add_host.error = Some(format!(
                    "{} is already in the list: it is shown now",
                    existing.display_name()
                ));
            }
            self.selected = Some(existing.id);
            self.fleet = false;
        } else {
            let id = self.add_host(url, None, token.cloned());
            self.saved.insert(id);
            self.selected = Some(id);
        }
        let saved = self
            .hosts
            .iter()
            .any(|h| h.link.url() == url && self.saved.contains(&h.id));
        if let (Some(token), true) = (token, saved) {
            self.tokens.save(url, token);
        }
    }

    /// Applies the edit window's changes to host `id`; the secret store
    /// follows a remembered host: its token under the address it has now,
    /// none under the one it left.
    fn edit_host(&mut self, id: u64, url: String, label: Option<String>, token: TokenChange) {
        let saved = self.saved.contains(&id);
        let Some(host) = self.hosts.iter_mut().find(|h| h.id == id) else {
            return;
        };
        let old_url = host.url().to_owned();
        host.edit(url, label, token);
        if !saved {
            return;
        }
        if old_url != host.url() {
            self.tokens.forget(&old_url);
        }
        match host.link.token() {
            Some(token) => self.tokens.save(host.url(), token),
            None => self.tokens.forget(host.url()),
        }
    }

    /// Turns keeping tokens in the secret store on (saving the tokens the
    /// hosts have now) or off (deleting them there).
    fn remember_tokens(&mut self, remember: bool) {
        self.tokens_for_run_only = !remember;
        if remember && !self.tokens.is_keeping() {
            self.tokens = TokenKeeper::start(Vec::new()).0;
        }
        for host in self.hosts.iter().filter(|h| self.saved.contains(&h.id)) {
            match (remember, host.link.token()) {
                (true, Some(token)) => self.tokens.save(host.url(), token),
                _ => self.tokens.forget(host.url()),
            }
        }
        if !remember {
            self.tokens = TokenKeeper::run_only(None);
        }
    }
}

impl eframe::App for DashboardApp {
    fn raw_input_hook(&mut self, ctx: &egui::Context, _raw_input: &mut egui::RawInput) {
        // Called as a frame starts, so after the last one was painted.
        crate::paint_trace::painted(ctx);
    }

    fn logic(&mut self, ctx: &egui::Context, _frame: &mut eframe::Frame) {
        self.poll(ctx);
    }

    fn ui(&mut self, ui: &mut Ui, _frame: &mut eframe::Frame) {
        self.window_cleared = true;
        DashboardApp::ui(self, ui);
    }

    fn clear_color(&self, visuals: &egui::Visuals) -> [f32; 4] {
        visuals.panel_fill.to_normalized_gamma_f32()
    }

    fn save(&mut self, storage: &mut dyn eframe::Storage) {
        self.prefs().save(storage);
    }
}
