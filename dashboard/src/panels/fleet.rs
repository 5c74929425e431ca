//! The fleet overview: one row per host with its state (and a mark when
//! alerts fire on it), sparklines of CPU, memory and network over the last
//! few minutes, the current values, load and the fullest disk, so twenty
//! machines fit on one screen. A click on a row opens that host; a click on
//! a header sorts the rows by it (again: the other way), kept for the run
//! like the processes table's order.
//!
//! Sparklines are painted directly (a few hundred line segments per host), not
//! built as plots: sixteen hosts × three plots would cost more than the whole
//! host view.

use egui::{Color32, Id, Pos2, Rect, RichText, Sense, Ui, UiBuilder, vec2};

use crate::command::Command;
use crate::format;
use crate::history::{HostHistory, Metric, segments};
use crate::host::Host;
use crate::palette;
use crate::panels::time_plot::picture::{self, ScreenLine};
use crate::panels::{alert_mark, connection};

/// How much of the past each sparkline shows.
pub const SPARKLINE_MS: u64 = 5 * 60 * 1000;
/// The title above the rows.
pub const TITLE: &str = "All hosts";

const ROW_HEIGHT: f32 = 46.0;
const SPARKLINE_HEIGHT: f32 = 30.0;
/// Space between columns.
const GAP: f32 = 12.0;

/// The colours the host view gives the same lines: first and second of a chart.
const CPU_COLOR: Color32 = palette::SERIES[0];
const MEMORY_COLOR: Color32 = palette::SERIES[0];
const RX_COLOR: Color32 = palette::SERIES[0];
const TX_COLOR: Color32 = palette::SERIES[1];

/// A column the rows can be sorted by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortBy {
    /// The host's name, A to Z.
    Name,
    /// Total CPU use.
    Cpu,
    /// Memory in use, as a share of the host's memory.
    Memory,
    /// The one-minute load average.
    Load,
    /// The fullest file system's used share.
    Disk,
}

/// The order of the rows; no column keeps the order of the host list.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Order {
    /// The column sorted by, if any.
    pub by: Option<SortBy>,
    /// Highest (or Z) first.
    pub descending: bool,
}

impl Order {
    /// The order after a click on `column`'s header: that column, names A
    /// to Z and metrics highest first; the other way when sorted by it already.
    #[must_use]
    pub fn clicked(self, column: SortBy) -> Self {
        if self.by == Some(column) {
            Self {
                descending: !self.descending,
                ..self
            }
        } else {
            Self {
                by: Some(column),
                descending: column != SortBy::Name,
            }
        }
    }

    /// `hosts` in this order; hosts with no sample yet come last either way.
    #[must_use]
    pub fn sorted(self, hosts: &[Host]) -> Vec<&Host> {
        let mut sorted: Vec<&Host> = hosts.iter().collect();
        let Some(by) = self.by else {
            return sorted;
        };
        if by == SortBy::Name {
            sorted.sort_by_cached_key(|h| h.display_name().to_lowercase());
            if self.descending {
                sorted.reverse();
            }
            return sorted;
        }
        let key = |host: &Host| -> Option<f64> {
            let sample = host.history.latest()?;
            match by {
                SortBy::Cpu => Some(f64::from(sample.cpu.total_percent)),
                SortBy::Memory => share(sample.memory.used_bytes, sample.memory.total_bytes),
                SortBy::Load => sample.load.map(|l| l.one),
                SortBy::Disk => fullest_disk(sample),
                SortBy::Name => None,
            }
        };
        sorted.sort_by(|a, b| match (key(a), key(b)) {
            (Some(a), Some(b)) if self.descending => b.total_cmp(&a),
            (Some(a), Some(b)) => a.total_cmp(&b),
            (Some(_), None) => std::cmp::Ordering::Less,
            (None, Some(_)) => std::cmp::Ordering::Greater,
            (None, None) => std::cmp::Ordering::Equal,
        });
        sorted
    }
}

/// `part` of `whole` as a fraction; `None` when `whole` is zero.
fn share(part: u64, whole: u64) -> Option<f64> {
    (whole > 0).then(|| part as f64 / whole as f64)
}

/// The used share of the fullest file system of `sample`.
fn fullest_disk(sample: &hostpulse_shared::Sample) -> Option<f64> {
    sample
        .disks
        .iter()
        .filter_map(|d| {
            share(
                d.total_bytes.saturating_sub(d.available_bytes),
                d.total_bytes,
            )
        })
        .max_by(f64::total_cmp)
}

/// Where the rows' order is kept between frames.
fn order_id() -> egui::Id {
    egui::Id::NULL.with("fleet order")
}

/// Draws the overview of `hosts`.
pub fn ui(ui: &mut Ui, hosts: &[Host], commands: &mut Vec<Command>) {
    ui.heading(TITLE);
    ui.weak(format!(
        "The last {} minutes of each host. Click a row to open the host.",
        SPARKLINE_MS / 60_000
    ));
    ui.add_space(6.0);
    if hosts.is_empty() {
        ui.label("No hosts yet: add one above.");
        return;
    }
    let columns = Columns::fitting(ui.available_width());
    let order = ui.data(|d| d.get_temp::<Order>(order_id()).unwrap_or_default());
    if let Some(column) = header_ui(ui, columns, order) {
        ui.data_mut(|d| d.insert_temp(order_id(), order.clicked(column)));
    }
    let now = std::time::Instant::now();
    egui::ScrollArea::vertical()
        .auto_shrink([false, true])
        .show(ui, |ui| {
            for host in order.sorted(hosts) {
                row_ui(ui, host, columns, now, commands);
            }
        });
}

/// Column widths, shared by the header and the rows so they line up.
#[derive(Debug, Clone, Copy)]
struct Columns {
    name: f32,
    sparkline: f32,
    value: f32,
}

/// The width of the load and disk columns, values without a sparkline.
const SMALL: f32 = 64.0;

impl Columns {
    /// Widths that fill `width`: the name gets about a fifth, load and disk
    /// a narrow column each, and each sparkline metric the same share of the
    /// rest, half of it sparkline and half value.
    fn fitting(width: f32) -> Self {
        let name = (width * 0.18).clamp(140.0, 240.0);
        let metric = ((width - name - 2.0 * SMALL - 8.0) / 3.0).max(150.0);
        let sparkline = (metric * 0.5).min(220.0);
        Self {
            name,
            sparkline,
            value: metric - sparkline - 2.0 * GAP,
        }
    }

    fn metric(self) -> f32 {
        self.sparkline + self.value + 2.0 * GAP
    }

    /// The name column, the three sparkline columns, load and disk of a row
    /// at `rect`.
    fn split(self, rect: Rect) -> [Rect; 6] {
        let inner = rect.shrink2(vec2(4.0, 0.0));
        let column = |left: f32, width: f32| {
            Rect::from_min_max(
                egui::pos2(left, inner.top()),
                egui::pos2(left + width, inner.bottom()),
            )
        };
        let metrics_left = inner.left() + self.name;
        let small_left = metrics_left + 3.0 * self.metric();
        [
            column(inner.left(), self.name),
            column(metrics_left, self.metric()),
            column(metrics_left + self.metric(), self.metric()),
            column(metrics_left + 2.0 * self.metric(), self.metric()),
            column(small_left, SMALL),
            column(small_left + SMALL, SMALL),
        ]
    }
}

/// The column titles, those that sort as buttons; returns the one clicked.
fn header_ui(ui: &mut Ui, columns: Columns, order: Order) -> Option<SortBy> {
    let height = ui.spacing().interact_size.y;
    let (rect, _) = ui.allocate_exact_size(vec2(ui.available_width(), height), Sense::hover());
    let titles = [
        ("Host", Some(SortBy::Name)),
        ("CPU", Some(SortBy::Cpu)),
        ("Memory", Some(SortBy::Memory)),
        ("Network received / sent", None),
        ("Load", Some(SortBy::Load)),
        ("Disk", Some(SortBy::Disk)),
    ];
    let mut clicked = None;
    for ((title, sort), rect) in titles.into_iter().zip(columns.split(rect)) {
        let mut column = column_ui(ui, rect);
        let Some(sort) = sort else {
            column.weak(title);
            continue;
        };
        let arrow = match (order.by == Some(sort), order.descending) {
            (false, _) => "",
            (true, true) => " ↓",
            (true, false) => " ↑",
        };
        // Monospace: its font has arrows, the proportional one not.
        let text = RichText::new(format!("{title}{arrow}")).monospace();
        if column
            .selectable_label(order.by == Some(sort), text)
            .on_hover_text("Sort by this column; click again to reverse")
            .clicked()
        {
            clicked = Some(sort);
        }
    }
    clicked
}

/// A child `Ui` filling one column, left to right, vertically centred.
fn column_ui(ui: &mut Ui, rect: Rect) -> Ui {
    ui.new_child(
        UiBuilder::new()
            .max_rect(rect)
            .layout(egui::Layout::left_to_right(egui::Align::Center)),
    )
}

/// One host: the whole row is a button that opens it.
fn row_ui(
    ui: &mut Ui,
    host: &Host,
    columns: Columns,
    now: std::time::Instant,
    commands: &mut Vec<Command>,
) {
    let width = ui.available_width();
    let (rect, response) = ui.allocate_exact_size(vec2(width, ROW_HEIGHT), Sense::click());
    let name = host.display_name();
    let open = format!("Open {name}");
    response.widget_info(|| egui::WidgetInfo::labeled(egui::Role::Button, true, &open));
    if response.hovered() {
        ui.painter()
            .rect_filled(rect, 4.0, ui.visuals().widgets.hovered.weak_bg_fill);
    }
    ui.painter().hline(
        rect.x_range(),
        rect.bottom(),
        ui.visuals().widgets.noninteractive.bg_stroke,
    );
    let [name_rect, cpu_rect, ..] = columns.split(rect);
    name_ui(&mut column_ui(ui, name_rect), host, now);
    let mut metrics = column_ui(ui, cpu_rect.with_max_x(rect.right()));
    // The metric columns bring their own gaps.
    metrics.spacing_mut().item_spacing.x = 0.0;
    metrics_ui(&mut metrics, host, columns);
    if response.on_hover_text(host.url()).clicked() {
        commands.push(Command::Select(host.id));
    }
}

fn name_ui(ui: &mut Ui, host: &Host, now: std::time::Instant) {
    let connection = host.connection(now);
    ui.scope(|ui| {
        ui.style_mut().wrap_mode = Some(egui::TextWrapMode::Truncate);
        connection::dot_ui(ui, &connection);
        ui.vertical(|ui| {
            ui.add(egui::Label::new(RichText::new(host.display_name()).strong()).truncate());
            ui.horizontal(|ui| {
                alert_mark::ui(ui, host);
                // The whole state, reason and retry included: a row is where
                // a down host is noticed.
                let text = connection.text();
                ui.add(egui::Label::new(RichText::new(&text).weak()).truncate())
                    .on_hover_text(text);
            });
        });
    });
}

fn metrics_ui(ui: &mut Ui, host: &Host, columns: Columns) {
    let history = &host.history;
    let latest = history.latest();
    let interval_ms = host.hello.as_ref().map_or(1000, |h| h.interval_ms);
    let spark = Sparkline {
        host_id: host.id,
        history,
        max_step_ms: interval_ms * 5 / 2,
        size: vec2(columns.sparkline, SPARKLINE_HEIGHT),
    };
    let live = host.is_live();
    let value_ui = |ui: &mut Ui, text: String| {
        ui.add_space(GAP);
        ui.allocate_ui_with_layout(
            vec2(columns.value, ROW_HEIGHT - 8.0),
            egui::Layout::left_to_right(egui::Align::Center),
            |ui| {
                ui.set_width(columns.value);
                // A silent host's values are the last known: greyed.
                if live {
                    ui.label(RichText::new(text).strong());
                } else {
                    ui.weak(text);
                }
            },
        );
        ui.add_space(GAP);
    };
    let unknown = || "–".to_owned();

    spark.ui(ui, &[(Metric::CpuTotal, CPU_COLOR)], Some(100.0));
    value_ui(
        ui,
        latest.map_or_else(unknown, |s| format!("{:.1}%", s.cpu.total_percent)),
    );

    let memory_total = latest.map(|s| s.memory.total_bytes as f64);
    spark.ui(ui, &[(Metric::MemoryUsed, MEMORY_COLOR)], memory_total);
    value_ui(
        ui,
        latest.map_or_else(unknown, |s| {
            format!(
                "{} of {}",
                format::bytes(s.memory.used_bytes as f64),
                format::bytes(s.memory.total_bytes as f64)
            )
        }),
    );

    spark.ui(
        ui,
        &[(Metric::NetworkRx, RX_COLOR), (Metric::NetworkTx, TX_COLOR)],
        None,
    );
    let rate = |rate: Option<f64>| rate.map_or_else(unknown, format::bytes_per_sec);
    value_ui(
        ui,
        latest.map_or_else(unknown, |s| {
            format!(
                "{} / {}",
                rate(s.network_rx_bytes_per_sec()),
                rate(s.network_tx_bytes_per_sec())
            )
        }),
    );

    let small_ui = |ui: &mut Ui, text: String, hint: &str| {
        ui.allocate_ui_with_layout(
            vec2(SMALL, ROW_HEIGHT - 8.0),
            egui::Layout::left_to_right(egui::Align::Center),
            |ui| {
                ui.set_width(SMALL);
                let text = if live {
                    RichText::new(text).strong()
                } else {
                    RichText::new(text).weak()
                };
                ui.label(text).on_hover_text(hint);
            },
        );
    };
    let load = latest.and_then(|s| s.load).map(|l| format!("{:.2}", l.one));
    small_ui(
        ui,
        load.unwrap_or_else(unknown),
        "Load average over one minute",
    );
    let disk = latest
        .and_then(fullest_disk)
        .map(|used| format!("{:.0}%", used * 100.0));
    small_ui(
        ui,
        disk.unwrap_or_else(unknown),
        "Used space of the fullest file system",
    );
}

/// The unbroken stretches of one series: `(timestamp_ms, value)` points.
type Runs = Vec<Vec<(u64, f32)>>;

/// Small line charts from one host's history, ending at its newest sample.
struct Sparkline<'a> {
    /// The host's id in the app, which keeps its charts' images apart.
    host_id: u64,
    history: &'a HostHistory,
    /// Samples further apart than this are not joined.
    max_step_ms: u64,
    /// Width and height of each chart.
    size: egui::Vec2,
}

impl Sparkline<'_> {
    /// Draws `series` on one set of axes from 0 to `y_max` (or to the highest
    /// value shown, at least 1 KiB/s, when `None`).
    fn ui(&self, ui: &mut Ui, series: &[(Metric, Color32)], y_max: Option<f64>) {
        let (rect, _) = ui.allocate_exact_size(self.size, Sense::hover());
        ui.painter()
            .rect_filled(rect, 2.0, ui.visuals().extreme_bg_color);
        let Some(newest_ms) = self.history.newest_ms() else {
            return;
        };
        let since_ms = newest_ms.saturating_sub(SPARKLINE_MS);
        let runs: Vec<(Color32, Runs)> = series
            .iter()
            .map(|&(metric, color)| {
                let points = self.history.points(metric, since_ms);
                (color, segments(points, self.max_step_ms))
            })
            .collect();
        let y_max = y_max.unwrap_or_else(|| {
            runs.iter()
                .flat_map(|(_, runs)| runs.iter().flatten())
                .map(|&(_, v)| f64::from(v))
                .fold(1024.0, f64::max)
        });
        let frame = SparkFrame {
            since_ms,
            y_max,
            rect,
        };
        // One image, rasterised again only when a sample arrives: under
        // software GL sixteen hosts' lines cost more than the rest of the
        // window (see `time_plot::picture`).
        let frame = &frame;
        let lines = runs
            .into_iter()
            .flat_map(|(color, runs)| {
                runs.into_iter().map(move |run| ScreenLine {
                    points: run.into_iter().map(|p| frame.to_screen(p)).collect(),
                    color,
                    width: 1.5,
                    dashed: false,
                })
            })
            .collect();
        let id = Id::NULL.with(("sparkline", self.host_id, series[0].0));
        if let Some(image) = picture::lines_image(ui.ctx(), id, rect, lines) {
            ui.painter_at(rect).add(image);
        }
    }
}

/// Where a sparkline's points land: time across (the last [`SPARKLINE_MS`]
/// up to the newest sample), value up from 0 to `y_max`.
struct SparkFrame {
    since_ms: u64,
    y_max: f64,
    rect: egui::Rect,
}

impl SparkFrame {
    /// The screen position of one `(timestamp_ms, value)`; a value above
    /// `y_max` stays at the top edge, keeping one pixel of margin.
    fn to_screen(&self, (timestamp_ms, value): (u64, f32)) -> Pos2 {
        let x = timestamp_ms.saturating_sub(self.since_ms) as f64 / SPARKLINE_MS as f64;
        let y = (f64::from(value) / self.y_max).clamp(0.0, 1.0);
        #[allow(
            clippy::cast_possible_truncation,
            reason = "screen positions are f32; both factors are in 0..=1"
        )]
        let (x, y) = (x as f32, y as f32);
        let rect = self.rect;
        Pos2::new(
            rect.left() + x * rect.width(),
            rect.bottom() - 1.0 - y * (rect.height() - 2.0),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_click_turns_the_order_around() {
        let order = Order::default().clicked(SortBy::Cpu);
        assert_eq!(order.by, Some(SortBy::Cpu));
        assert!(order.descending, "busiest first");
        assert!(!order.clicked(SortBy::Cpu).descending);
        let by_name = order.clicked(SortBy::Name);
        assert_eq!(by_name.by, Some(SortBy::Name));
        assert!(!by_name.descending, "names A to Z");
    }

    #[test]
    fn sparkline_points_span_the_time_across_and_the_value_up() {
        let frame = SparkFrame {
            since_ms: 1_000_000,
            y_max: 100.0,
            rect: Rect::from_min_size(egui::pos2(10.0, 20.0), vec2(150.0, 32.0)),
        };
        // The oldest instant at the bottom left, the newest at the right.
        assert_eq!(frame.to_screen((1_000_000, 0.0)), egui::pos2(10.0, 51.0));
        let newest = frame.to_screen((1_000_000 + SPARKLINE_MS, 50.0));
        assert_eq!(newest, egui::pos2(160.0, 36.0));
        // Out of range values stay inside the chart.
        assert_eq!(frame.to_screen((1_000_000, 250.0)), egui::pos2(10.0, 21.0));
        assert_eq!(frame.to_screen((999_000, -5.0)), egui::pos2(10.0, 51.0));
    }
}
