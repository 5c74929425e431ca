//! The selected host: who it is, how the link stands, its current values, and
//! every plot over the shared time axis — CPU (total, a heat strip per core,
//! load), memory and swap, network per interface, disk I/O per device,
//! temperatures — then disk usage and the top processes.

use egui::{RichText, ScrollArea, Ui};
use hostpulse_shared::{Sample, Secret};

use crate::command::{Command, TokenChange};
use crate::format;
use crate::history::{HostHistory, Metric};
use crate::host::Host;
use crate::palette;
use crate::panels::alert_overlay::{AlertOverlay, AlertPlot};
use crate::panels::connection;
use crate::panels::time_axis::TimeAxis;
use crate::panels::time_plot::{Series, TimePlot, Unit};
use crate::panels::{disk_usage, heat_strip, past_view, processes, range_bar};
use crate::past::PastPart;
use crate::status::Connection;
use crate::view::{TimeView, Window};

/// Titles of the plots, in the order they are drawn.
pub const PLOT_TITLES: [&str; 7] = [
    "CPU: total",
    "CPU per core",
    "Load average",
    "Memory and swap",
    "Network per interface",
    "Disk I/O per device",
    "Temperatures",
];

/// The lowest a plot gets on a small window, in points.
const MIN_PLOT_HEIGHT: f32 = 90.0;
/// The highest a plot gets on a tall window, in points.
const MAX_PLOT_HEIGHT: f32 = 260.0;

/// Draws the whole view of `host`, over the time `view` shows.
pub fn ui(ui: &mut Ui, host: &Host, view: TimeView, commands: &mut Vec<Command>) {
    header_ui(ui, host, commands);
    ui.separator();
    let now = std::time::Instant::now();
    let axis = past_view::reach(
        host,
        TimeAxis::until(&host.history, &view, host.present_ms(now).unwrap_or(0)),
    );
    match host.history.latest() {
        Some(sample) => current_values_ui(ui, sample, axis.no_data_since_ms),
        None => {
            ui.label("Waiting for the first sample…");
        }
    }
    ui.add_space(4.0);
    time_bar_ui(ui, host, view, axis, commands);
    // About one point per pixel column of the widest plot, the heat strip.
    let past = past_view::part(
        ui.ctx(),
        host,
        &view,
        &axis,
        ui.available_width() - 64.0,
        commands,
    );
    let moment = past_view::moment(host, view.marked_ms, commands);
    let height = plot_height(ui.available_height(), host.history.core_count());
    let mut scroll = ScrollArea::vertical()
        .id_salt(("host view", host.id))
        .auto_shrink([false, false]);
    if ui.ctx().cumulative_frame_nr() == 0 {
        // egui remembers scroll offsets across runs: a new run starts at
        // the top, where the plots are.
        scroll = scroll.vertical_scroll_offset(0.0);
    }
    scroll.show(ui, |ui| {
        plots_ui(ui, host, axis, past, height, commands);
        ui.add_space(8.0);
        let processes_id = egui::Id::NULL.with(("processes", host.id));
        ui.columns(2, |columns| {
            columns[0].label(RichText::new("Disk usage").strong());
            if let Some(sample) = host.history.latest() {
                disk_usage::ui(&mut columns[0], sample);
            }
            processes::ui(
                &mut columns[1],
                processes_id,
                &host.history,
                view.marked_ms,
                moment,
                commands,
            );
        });
    });
}

/// The window presets, a typed range, pause, resume or back to live, and
/// whether older history is loading. Wraps on a narrow window.
fn time_bar_ui(
    ui: &mut Ui,
    host: &Host,
    view: TimeView,
    axis: TimeAxis,
    commands: &mut Vec<Command>,
) {
    ui.horizontal_wrapped(|ui| {
        ui.label(RichText::new("Window").weak());
        // A zoomed range is no preset: none is lit, and the range is named.
        let zoomed = view.span_ms.is_some();
        for (key, window) in Window::ALL.into_iter().enumerate() {
            let chosen = !zoomed && view.window == window;
            if ui
                .selectable_label(chosen, window.label())
                .on_hover_text(format!("Shortcut: {}", key + 1))
                .clicked()
            {
                commands.push(Command::SetWindow(window));
            }
        }
        range_bar::field_ui(ui, axis.origin_ms, commands);
        // What follows the field goes whole to the next row when it does not
        // fit, never split ("paused at" on one row, its time on the next).
        ui.style_mut().wrap_mode = Some(egui::TextWrapMode::Extend);
        if zoomed {
            let range = range_bar::range_text(axis.start_ms, axis.end_ms);
            ui.label(RichText::new(range).strong());
            let close = ui.small_button("×");
            close.widget_info(|| {
                egui::WidgetInfo::labeled(egui::Role::Button, true, "Back to the window")
            });
            if close
                .on_hover_text(format!("Back to the last {}, live", view.window.label()))
                .clicked()
            {
                commands.push(Command::Resume);
            }
        }
        ui.separator();
        match (view.paused_at_ms, host.history.newest_ms()) {
            (None, Some(newest)) => {
                if ui
                    .button("Pause")
                    .on_hover_text("Shortcut: Space")
                    .clicked()
                {
                    commands.push(Command::Pause(newest));
                }
                match axis.no_data_since_ms {
                    Some(since_ms) => {
                        let text = format!("no data since {}", format::time_of_day(since_ms));
                        ui.label(RichText::new(text).color(ui.visuals().warn_fg_color));
                    }
                    None => {
                        ui.weak("following live");
                    }
                }
            }
            (None, None) => {}
            (Some(at_ms), newest) => {
                if ui
                    .button("Back to live")
                    .on_hover_text("Shortcut: Space")
                    .clicked()
                {
                    commands.push(Command::Resume);
                }
                // The time held, not how far behind: that would change every
                // second while the view stands still.
                let held_ms = newest.map_or(at_ms, |n| at_ms.min(n));
                let text = format!("paused at {}", format::time_of_day(held_ms));
                ui.label(RichText::new(text).color(ui.visuals().warn_fg_color));
            }
        }
        range_bar::status_ui(ui, &host.past);
    });
}

fn state_now(host: &Host) -> Connection {
    host.connection(std::time::Instant::now())
}

/// After a 401, a token field right under the state line, with the cursor
/// in it the first time it shows: the host waits for a token rather than
/// retrying on a timer.
fn token_prompt_ui(ui: &mut Ui, host: &Host, state: &Connection, commands: &mut Vec<Command>) {
    let asked_id = egui::Id::NULL.with(("token asked", host.id));
    let draft_id = egui::Id::NULL.with(("token draft", host.id));
    if !matches!(state, Connection::Refused { .. }) {
        ui.data_mut(|d| {
            d.remove::<bool>(asked_id);
            d.remove::<String>(draft_id);
        });
        return;
    }
    ui.horizontal(|ui| {
        let label = ui.label("Host token");
        let mut draft = ui.data_mut(|d| d.get_temp::<String>(draft_id).unwrap_or_default());
        let field = ui
            .add(
                egui::TextEdit::singleline(&mut draft)
                    .password(true)
                    .hint_text("the server's token")
                    .desired_width(220.0),
            )
            .labelled_by(label.id);
        if !ui.data(|d| d.get_temp::<bool>(asked_id).unwrap_or(false)) {
            field.request_focus();
            ui.data_mut(|d| d.insert_temp(asked_id, true));
        }
        let entered = field.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
        let token = draft.trim().to_owned();
        if (ui.button("Connect").clicked() || entered) && !token.is_empty() {
            commands.push(Command::EditHost {
                id: host.id,
                url: host.url().to_owned(),
                label: host.label.clone(),
                token: TokenChange::Set(Secret::new(token)),
            });
            draft.clear();
        }
        ui.data_mut(|d| d.insert_temp(draft_id, draft));
    });
}

fn header_ui(ui: &mut Ui, host: &Host, commands: &mut Vec<Command>) {
    ui.horizontal(|ui| {
        ui.heading(host.display_name());
        ui.weak(host.url());
    });
    ui.horizontal(|ui| {
        let state = host.connection(std::time::Instant::now());
        connection::dot_ui(ui, &state);
        ui.label(state.text());
        if state.is_down() && ui.button("Retry now").clicked() {
            commands.push(Command::RetryNow(host.id));
        }
    });
    token_prompt_ui(ui, host, &state_now(host), commands);
    if let Some(hello) = &host.hello {
        let info = &hello.host;
        let uptime = host
            .history
            .latest()
            .map(|s| format!(" · up {}", format::duration_secs(s.uptime_secs)))
            .unwrap_or_default();
        ui.label(format!(
            "{} {} · kernel {} · {} · {} × {} CPUs · {} RAM{uptime}",
            info.os_name,
            info.os_version,
            info.kernel_version,
            info.architecture,
            info.cpu_model,
            info.core_count,
            format::bytes(info.memory_total_bytes as f64),
        ));
    }
}

/// The newest sample's values; greyed, and said to be the last known, when
/// no sample has come since `stale_since_ms`.
fn current_values_ui(ui: &mut Ui, sample: &Sample, stale_since_ms: Option<u64>) {
    ui.horizontal_wrapped(|ui| {
        let memory = &sample.memory;
        if let Some(since_ms) = stale_since_ms {
            ui.label(
                RichText::new(format!("Last known, at {}:", format::time_of_day(since_ms)))
                    .color(ui.visuals().warn_fg_color),
            );
        }
        let value = |ui: &mut Ui, name: &str, text: String| {
            ui.label(RichText::new(name).weak());
            if stale_since_ms.is_some() {
                ui.label(RichText::new(text).weak());
            } else {
                ui.label(RichText::new(text).strong());
            }
            ui.add_space(12.0);
        };
        value(ui, "CPU", format!("{:.1}%", sample.cpu.total_percent));
        let used_of_total = |used: u64, total: u64| {
            format!(
                "{} / {}",
                format::bytes(used as f64),
                format::bytes(total as f64)
            )
        };
        value(
            ui,
            "Memory",
            used_of_total(memory.used_bytes, memory.total_bytes),
        );
        value(
            ui,
            "Swap",
            used_of_total(memory.swap_used_bytes, memory.swap_total_bytes),
        );
        let rate = |rate: Option<f64>| rate.map_or_else(|| "–".to_owned(), format::bytes_per_sec);
        value(
            ui,
            "Net",
            format!(
                "rx {}  tx {}",
                rate(sample.network_rx_bytes_per_sec()),
                rate(sample.network_tx_bytes_per_sec())
            ),
        );
        value(
            ui,
            "Disk",
            format!(
                "R {}  W {}",
                rate(sample.disk_read_bytes_per_sec()),
                rate(sample.disk_write_bytes_per_sec())
            ),
        );
        if let Some(load) = sample.load {
            value(
                ui,
                "Load",
                format!("{:.2} {:.2} {:.2}", load.one, load.five, load.fifteen),
            );
        }
        value(ui, "Processes", sample.process_count.to_string());
    });
}

/// One plot of the host view: its title, unit, lines, the top of its axis
/// when fixed, and how many of its lines wait behind "show idle".
struct Chart<'a> {
    title: &'a str,
    unit: Unit,
    series: &'a [Series],
    y_max: Option<f64>,
    idle: usize,
}

impl<'a> Chart<'a> {
    fn new(title: &'a str, unit: Unit, series: &'a [Series], y_max: Option<f64>) -> Self {
        Self {
            title,
            unit,
            series,
            y_max,
            idle: 0,
        }
    }
}

fn plots_ui(
    ui: &mut Ui,
    host: &Host,
    axis: TimeAxis,
    past: Option<PastPart<'_>>,
    height: f32,
    commands: &mut Vec<Command>,
) {
    let history = &host.history;
    let cpu = [Series::new("total", Metric::CpuTotal, palette::series(0))];
    let load = [
        Series::new("1 min", Metric::LoadOne, palette::series(0)),
        Series::new("5 min", Metric::LoadFive, palette::series(1)),
        Series::new("15 min", Metric::LoadFifteen, palette::series(2)),
    ];
    let memory = [
        Series::new("used", Metric::MemoryUsed, palette::series(0)),
        Series::new("swap used", Metric::SwapUsed, palette::series(1)),
    ];
    let network = Pairs {
        names: history.interfaces(),
        first: ("received", "rx", Metric::InterfaceRx),
        second: ("sent", "tx", Metric::InterfaceTx),
        title: PLOT_TITLES[4],
    }
    .series(ui, history, axis, host.id);
    let disk = Pairs {
        names: history.disks(),
        first: ("read", "read", Metric::DiskDeviceRead),
        second: ("written", "write", Metric::DiskDeviceWrite),
        title: PLOT_TITLES[5],
    }
    .series(ui, history, axis, host.id);
    let temperatures: Vec<Series> = history
        .sensors()
        .iter()
        .enumerate()
        .map(|(n, name)| Series::new(name.as_str(), Metric::Temperature(n), palette::series(n)))
        .collect();
    let memory_max = history.latest().map(|s| s.memory.total_bytes as f64);
    let charts = [
        Chart::new(PLOT_TITLES[0], Unit::Percent, &cpu, Some(100.0)),
        // Fitted to the load itself: against a 64-CPU scale a load of 2 would
        // lie flat on the axis.
        Chart::new(PLOT_TITLES[2], Unit::Number, &load, None),
        Chart::new(PLOT_TITLES[3], Unit::Bytes, &memory, memory_max),
        // Rates start the axis at 2 KiB/s, so an idle host shows a flat line at
        // the bottom rather than an axis centred on zero.
        Chart {
            idle: network.idle,
            ..Chart::new(
                PLOT_TITLES[4],
                Unit::BytesPerSec,
                &network.series,
                Some(2048.0),
            )
        },
        Chart {
            idle: disk.idle,
            ..Chart::new(
                PLOT_TITLES[5],
                Unit::BytesPerSec,
                &disk.series,
                Some(2048.0),
            )
        },
        Chart::new(PLOT_TITLES[6], Unit::Celsius, &temperatures, None),
    ];
    charts_ui(ui, host, axis, past, height, &charts, commands);
}

/// Draws `charts` two a row, the per-core strip under the first row, beside
/// which it would be too narrow.
fn charts_ui(
    ui: &mut Ui,
    host: &Host,
    axis: TimeAxis,
    past: Option<PastPart<'_>>,
    height: f32,
    charts: &[Chart<'_>],
    commands: &mut Vec<Command>,
) {
    let history = &host.history;
    let interval_ms = host.hello.as_ref().map_or(1000, |h| h.interval_ms);
    // Allow one late tick before calling it a gap.
    let max_step_ms = interval_ms * 5 / 2;
    for (row, pair) in charts.chunks(2).enumerate() {
        if row == 1 {
            ui.horizontal(|ui| {
                ui.label(RichText::new(PLOT_TITLES[1]).strong());
                ui.add_space(12.0);
                heat_strip::key_ui(ui);
            });
            heat_strip::ui(
                ui,
                egui::Id::NULL.with(("cpu heat strip", host.id)),
                history,
                past,
                axis,
                max_step_ms,
                commands,
            );
        }
        ui.add_space(4.0);
        ui.columns(2, |columns| {
            for (column, chart) in columns.iter_mut().zip(pair) {
                column.horizontal(|ui| {
                    ui.label(RichText::new(chart.title).strong());
                    if chart.idle > 0 {
                        idle_toggle_ui(ui, chart.title, host.id, chart.idle);
                    }
                });
                if chart.series.is_empty() && chart.unit == Unit::Celsius {
                    // Many virtual machines have no sensor: say so, not an empty axis.
                    column.weak("No temperature sensors reported by this host.");
                    continue;
                }
                let alerts = alert_plot(chart.title).map(|plot| AlertOverlay::of(plot, host));
                // The y axis reaches the thresholds, so their lines are in view.
                let y_max = match alerts.as_ref().and_then(AlertOverlay::highest) {
                    Some(highest) => Some(chart.y_max.map_or(highest, |y| y.max(highest))),
                    None => chart.y_max,
                };
                TimePlot {
                    id: format!("{} {}", chart.title, host.id),
                    unit: chart.unit,
                    series: chart.series,
                    axis,
                    max_step_ms,
                    y_max,
                    past,
                    alerts: alerts.as_ref(),
                }
                .ui(column, history, height, commands);
            }
        });
    }
}

/// Where a plot remembers whether its idle series are shown.
fn show_idle_id(title: &str, host_id: u64) -> egui::Id {
    egui::Id::NULL.with(("show idle", title, host_id))
}

/// "show 2 idle": a checkbox beside a plot's title that brings back the
/// series with no traffic in the window.
fn idle_toggle_ui(ui: &mut Ui, title: &str, host_id: u64, idle: usize) {
    let id = show_idle_id(title, host_id);
    let mut show = ui.data_mut(|d| *d.get_persisted_mut_or_default::<bool>(id));
    if ui
        .checkbox(
            &mut show,
            RichText::new(format!("show {idle} idle")).small(),
        )
        .on_hover_text("Show the ones with no traffic in the window too")
        .changed()
    {
        ui.data_mut(|d| d.insert_persisted(id, show));
    }
}

/// Two lines per name (received and sent, read and written), for the names
/// with traffic in the window unless idle ones are asked for.
struct Pairs<'a> {
    names: &'a [String],
    /// Legend name, short legend name and metric of the first line.
    first: (&'a str, &'a str, fn(usize) -> Metric),
    /// The same for the second line, drawn dashed.
    second: (&'a str, &'a str, fn(usize) -> Metric),
    /// The plot's title, which names its "show idle" choice.
    title: &'a str,
}

/// The lines of a [`Pairs`] plot, and how many names are idle.
struct PairedSeries {
    series: Vec<Series>,
    idle: usize,
}

impl Pairs<'_> {
    fn series(&self, ui: &Ui, history: &HostHistory, axis: TimeAxis, host_id: u64) -> PairedSeries {
        let id = show_idle_id(self.title, host_id);
        let show_idle = ui.data_mut(|d| *d.get_persisted_mut_or_default::<bool>(id));
        let busy = |n: usize| {
            [self.first.2, self.second.2]
                .into_iter()
                .any(|metric| history.max_between(metric(n), axis.start_ms, axis.end_ms) > 0.0)
        };
        let (mut chosen, idle): (Vec<usize>, Vec<usize>) =
            (0..self.names.len()).partition(|&n| busy(n));
        // Every name idle: all shown, not an empty plot, and nothing to toggle.
        let idle_count = if chosen.is_empty() { 0 } else { idle.len() };
        if show_idle || chosen.is_empty() {
            chosen.extend(idle);
            chosen.sort_unstable();
        }
        let (first, first_short, first_metric) = self.first;
        let (second, second_short, second_metric) = self.second;
        let series = chosen
            .iter()
            .enumerate()
            .flat_map(|(k, &n)| {
                let name = &self.names[n];
                [
                    Series::new(
                        format!("{name} {first}"),
                        first_metric(n),
                        palette::series(2 * k),
                    )
                    .short(format!("{name} {first_short}")),
                    Series::new(
                        format!("{name} {second}"),
                        second_metric(n),
                        palette::series(2 * k + 1),
                    )
                    .short(format!("{name} {second_short}"))
                    .dashed(),
                ]
            })
            .collect();
        PairedSeries {
            series,
            idle: idle_count,
        }
    }
}

/// The plot of [`PLOT_TITLES`] titled `title`, as the alerts name it.
fn alert_plot(title: &str) -> Option<AlertPlot> {
    let plots = [
        (PLOT_TITLES[0], AlertPlot::CpuTotal),
        (PLOT_TITLES[2], AlertPlot::Load),
        (PLOT_TITLES[3], AlertPlot::Memory),
        (PLOT_TITLES[4], AlertPlot::Network),
        (PLOT_TITLES[6], AlertPlot::Temperatures),
    ];
    plots
        .into_iter()
        .find_map(|(plot_title, plot)| (plot_title == title).then_some(plot))
}

/// The height of one plot when `room` points are left for the plots and
/// what follows: three rows of plots, the per-core strip, their titles and
/// the top of the processes table fit, as panes fit a terminal's window.
#[must_use]
pub fn plot_height(room: f32, cores: usize) -> f32 {
    /// Titles, spacing, and a peek at the processes below.
    const AROUND: f32 = 4.0 * 24.0 + 120.0;
    ((room - heat_strip::height(cores) - AROUND) / 3.0).clamp(MIN_PLOT_HEIGHT, MAX_PLOT_HEIGHT)
}
