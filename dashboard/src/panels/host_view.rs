//! The selected host: who it is, how the link stands, its current values, and
//! live plots of CPU, memory, network and disk over the last minutes.

use egui::{Color32, RichText, Ui};
use hostpulse_shared::Sample;

use crate::app::Command;
use crate::format;
use crate::history::Metric;
use crate::host::Host;
use crate::link::LinkState;
use crate::panels::host_list::state_dot_ui;
use crate::panels::time_plot::{Series, TimePlot, Unit};
use crate::view::{TimeView, Window};

/// Titles of the four plots, in the order they are drawn.
pub const PLOT_TITLES: [&str; 4] = [
    "CPU: total and per core",
    "Memory and swap",
    "Network: all interfaces",
    "Disk I/O: all devices",
];

const TOTAL_COLOR: Color32 = Color32::from_rgb(0x4a, 0x90, 0xe2);
const CORE_COLOR: Color32 = Color32::from_rgb(0x8a, 0x9b, 0xb0);
const SWAP_COLOR: Color32 = Color32::from_rgb(0xe0, 0x8a, 0x3c);
const RX_COLOR: Color32 = Color32::from_rgb(0x3c, 0xb3, 0x71);
const TX_COLOR: Color32 = Color32::from_rgb(0x9b, 0x59, 0xb6);

/// Draws the whole view of `host`, over the time `view` shows.
pub fn ui(ui: &mut Ui, host: &Host, view: TimeView, commands: &mut Vec<Command>) {
    header_ui(ui, host, commands);
    ui.separator();
    match host.history.latest() {
        Some(sample) => current_values_ui(ui, sample),
        None => {
            ui.label("Waiting for the first sample…");
        }
    }
    ui.add_space(4.0);
    time_bar_ui(ui, host, view, commands);
    plots_ui(ui, host, view);
}

/// The window presets, and pause, resume or back to live.
fn time_bar_ui(ui: &mut Ui, host: &Host, view: TimeView, commands: &mut Vec<Command>) {
    ui.horizontal(|ui| {
        ui.label(RichText::new("Window").weak());
        for (key, window) in Window::ALL.into_iter().enumerate() {
            let chosen = view.window == window;
            if ui
                .selectable_label(chosen, window.label())
                .on_hover_text(format!("Shortcut: {}", key + 1))
                .clicked()
            {
                commands.push(Command::SetWindow(window));
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
                ui.weak("following live");
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
                let behind_secs = newest.map_or(0, |n| n.saturating_sub(at_ms)) / 1000;
                let text = format!("paused, {} behind live", format::duration_secs(behind_secs));
                ui.label(RichText::new(text).color(ui.visuals().warn_fg_color));
            }
        }
    });
}

fn header_ui(ui: &mut Ui, host: &Host, commands: &mut Vec<Command>) {
    ui.horizontal(|ui| {
        ui.heading(host.display_name());
        ui.weak(host.link.url());
    });
    ui.horizontal(|ui| {
        let state = host.link.state();
        state_dot_ui(ui, state);
        ui.label(state_text(state, std::time::Instant::now()));
        if matches!(state, LinkState::Disconnected { .. }) && ui.button("Retry now").clicked() {
            commands.push(Command::RetryNow(host.id));
        }
    });
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

/// The state line: "live", "connecting…", or "disconnected: why — retrying in 3 s".
#[must_use]
pub fn state_text(state: &LinkState, now: std::time::Instant) -> String {
    match state {
        LinkState::Live { .. } => "live".to_owned(),
        LinkState::Connecting { .. } => "connecting…".to_owned(),
        LinkState::Disconnected { reason, retry_at } => {
            let wait = retry_at.saturating_duration_since(now).as_secs_f32().ceil();
            format!("disconnected: {reason} — retrying in {wait:.0} s")
        }
    }
}

fn current_values_ui(ui: &mut Ui, sample: &Sample) {
    ui.horizontal_wrapped(|ui| {
        let memory = &sample.memory;
        let value = |ui: &mut Ui, name: &str, text: String| {
            ui.label(RichText::new(name).weak());
            ui.label(RichText::new(text).strong());
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

fn plots_ui(ui: &mut Ui, host: &Host, view: TimeView) {
    let history = &host.history;
    let newest_ms = history.newest_ms().unwrap_or(0);
    let end_ms = view.end_ms(newest_ms);
    let start_ms = view.start_ms(history.oldest_ms().unwrap_or(0), newest_ms);
    let interval_ms = host.hello.as_ref().map_or(1000, |h| h.interval_ms);
    // Allow one late tick before calling it a gap.
    let max_step_ms = interval_ms * 5 / 2;
    let mut cpu: Vec<Series> = (0..history.core_count())
        .map(|core| Series {
            name: "each CPU".into(),
            metric: Metric::CpuCore(core),
            color: CORE_COLOR,
            width: 1.0,
        })
        .collect();
    cpu.push(series("total", Metric::CpuTotal, TOTAL_COLOR));
    let memory = [
        series("used", Metric::MemoryUsed, TOTAL_COLOR),
        series("swap used", Metric::SwapUsed, SWAP_COLOR),
    ];
    let network = [
        series("received", Metric::NetworkRx, RX_COLOR),
        series("sent", Metric::NetworkTx, TX_COLOR),
    ];
    let disk = [
        series("read", Metric::DiskRead, RX_COLOR),
        series("written", Metric::DiskWrite, TX_COLOR),
    ];
    let memory_max = host.history.latest().map(|s| s.memory.total_bytes as f64);
    let plots: [(&str, Unit, &[Series], Option<f64>); 4] = [
        (PLOT_TITLES[0], Unit::Percent, &cpu, Some(100.0)),
        (PLOT_TITLES[1], Unit::Bytes, &memory, memory_max),
        // Rates start the axis at 1 KiB/s, so an idle host shows a flat line at
        // the bottom rather than an axis centred on zero.
        (PLOT_TITLES[2], Unit::BytesPerSec, &network, Some(1024.0)),
        (PLOT_TITLES[3], Unit::BytesPerSec, &disk, Some(1024.0)),
    ];

    let spacing = ui.spacing().item_spacing;
    let title_height = ui.text_style_height(&egui::TextStyle::Body) + spacing.y;
    let plot_height = ((ui.available_height() - 2.0 * (title_height + spacing.y)) / 2.0).max(120.0);
    egui::Grid::new(("plots", host.id))
        .num_columns(2)
        .min_col_width((ui.available_width() - spacing.x) / 2.0)
        .max_col_width((ui.available_width() - spacing.x) / 2.0)
        .show(ui, |ui| {
            for (index, (title, unit, series, y_max)) in plots.into_iter().enumerate() {
                ui.vertical(|ui| {
                    ui.label(RichText::new(title).strong());
                    TimePlot {
                        id: format!("{title} {}", host.id),
                        unit,
                        series,
                        start_ms,
                        end_ms,
                        max_step_ms,
                        y_max,
                    }
                    .ui(ui, history, plot_height);
                });
                if index % 2 == 1 {
                    ui.end_row();
                }
            }
        });
}

fn series(name: &str, metric: Metric, color: Color32) -> Series {
    Series {
        name: name.into(),
        metric,
        color,
        width: 2.0,
    }
}
