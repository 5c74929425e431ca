//! The selected host: who it is, how the link stands, its current values, and
//! every plot over the shared time axis — CPU (total, a heat strip per core,
//! load), memory and swap, network per interface, disk I/O per device,
//! temperatures — then disk usage and the top processes.

use egui::{Color32, RichText, ScrollArea, Ui};
use hostpulse_shared::Sample;

use crate::app::Command;
use crate::format;
use crate::history::Metric;
use crate::host::Host;
use crate::link::LinkState;
use crate::panels::host_list::state_dot_ui;
use crate::panels::time_axis::TimeAxis;
use crate::panels::time_plot::{Series, TimePlot, Unit};
use crate::panels::{disk_usage, heat_strip, processes};
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

/// Height of one plot, in points.
const PLOT_HEIGHT: f32 = 150.0;

const TOTAL_COLOR: Color32 = Color32::from_rgb(0x4a, 0x90, 0xe2);
const SWAP_COLOR: Color32 = Color32::from_rgb(0xe0, 0x8a, 0x3c);
/// One colour per interface, device or sensor, in turn.
const PALETTE: [Color32; 8] = [
    Color32::from_rgb(0x3c, 0xb3, 0x71),
    Color32::from_rgb(0x9b, 0x59, 0xb6),
    Color32::from_rgb(0x4a, 0x90, 0xe2),
    Color32::from_rgb(0xe0, 0x8a, 0x3c),
    Color32::from_rgb(0xd6, 0x4a, 0x6a),
    Color32::from_rgb(0x2a, 0xb0, 0xb0),
    Color32::from_rgb(0xc0, 0xb0, 0x30),
    Color32::from_rgb(0x8a, 0x9b, 0xb0),
];

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
    ScrollArea::vertical()
        .id_salt(("host view", host.id))
        .auto_shrink([false, false])
        .show(ui, |ui| {
            plots_ui(ui, host, view, commands);
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
                    commands,
                );
            });
        });
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

fn plots_ui(ui: &mut Ui, host: &Host, view: TimeView, commands: &mut Vec<Command>) {
    let history = &host.history;
    let axis = TimeAxis::new(history, &view);
    let interval_ms = host.hello.as_ref().map_or(1000, |h| h.interval_ms);
    // Allow one late tick before calling it a gap.
    let max_step_ms = interval_ms * 5 / 2;
    let plot = |ui: &mut Ui,
                commands: &mut Vec<Command>,
                title: &str,
                unit: Unit,
                series: &[Series],
                y_max: Option<f64>| {
        ui.label(RichText::new(title).strong());
        TimePlot {
            id: format!("{title} {}", host.id),
            unit,
            series,
            axis,
            max_step_ms,
            y_max,
        }
        .ui(ui, history, PLOT_HEIGHT, commands);
    };

    let cpu = [Series::new("total", Metric::CpuTotal, TOTAL_COLOR)];
    plot(
        ui,
        commands,
        PLOT_TITLES[0],
        Unit::Percent,
        &cpu,
        Some(100.0),
    );
    ui.label(RichText::new(PLOT_TITLES[1]).strong());
    heat_strip::ui(
        ui,
        egui::Id::NULL.with(("cpu heat strip", host.id)),
        history,
        axis,
        max_step_ms,
        commands,
    );

    let load = [
        Series::new("1 min", Metric::LoadOne, PALETTE[0]),
        Series::new("5 min", Metric::LoadFive, PALETTE[1]),
        Series::new("15 min", Metric::LoadFifteen, PALETTE[2]),
    ];
    let memory = [
        Series::new("used", Metric::MemoryUsed, TOTAL_COLOR),
        Series::new("swap used", Metric::SwapUsed, SWAP_COLOR),
    ];
    let network = paired(
        history.interfaces(),
        ("received", Metric::InterfaceRx),
        ("sent", Metric::InterfaceTx),
    );
    let disk = paired(
        history.disks(),
        ("read", Metric::DiskDeviceRead),
        ("written", Metric::DiskDeviceWrite),
    );
    let temperatures: Vec<Series> = history
        .sensors()
        .iter()
        .enumerate()
        .map(|(n, name)| {
            Series::new(
                name.as_str(),
                Metric::Temperature(n),
                PALETTE[n % PALETTE.len()],
            )
        })
        .collect();
    let memory_max = history.latest().map(|s| s.memory.total_bytes as f64);
    let plots: [(&str, Unit, &[Series], Option<f64>); 5] = [
        // Fitted to the load itself: against a 64-CPU scale a load of 2 would
        // lie flat on the axis.
        (PLOT_TITLES[2], Unit::Number, &load, None),
        (PLOT_TITLES[3], Unit::Bytes, &memory, memory_max),
        // Rates start the axis at 1 KiB/s, so an idle host shows a flat line at
        // the bottom rather than an axis centred on zero.
        (PLOT_TITLES[4], Unit::BytesPerSec, &network, Some(1024.0)),
        (PLOT_TITLES[5], Unit::BytesPerSec, &disk, Some(1024.0)),
        (PLOT_TITLES[6], Unit::Celsius, &temperatures, None),
    ];
    ui.add_space(4.0);
    ui.columns(2, |columns| {
        for (index, (title, unit, series, y_max)) in plots.into_iter().enumerate() {
            let column = &mut columns[index % 2];
            if series.is_empty() && unit == Unit::Celsius {
                // Many virtual machines have no sensor: say so, not an empty axis.
                column.label(RichText::new(title).strong());
                column.weak("No temperature sensors reported by this host.");
                continue;
            }
            plot(column, commands, title, unit, series, y_max);
        }
    });
}

/// Two lines per name (received and sent, read and written): one colour per
/// name, the second line dashed.
fn paired(
    names: &[String],
    (first, first_metric): (&str, fn(usize) -> Metric),
    (second, second_metric): (&str, fn(usize) -> Metric),
) -> Vec<Series> {
    names
        .iter()
        .enumerate()
        .flat_map(|(n, name)| {
            let color = PALETTE[n % PALETTE.len()];
            [
                Series::new(format!("{name} {first}"), first_metric(n), color),
                Series::new(format!("{name} {second}"), second_metric(n), color).dashed(),
            ]
        })
        .collect()
}
