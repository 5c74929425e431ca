//! What a host's alerts add to its plots: each rule's threshold drawn as a
//! dashed line on the plot of its metric, and the stretches of time its
//! alerts fired shaded across that plot. A rule is drawn where its metric
//! is plotted, in the plot's own unit: `memory.available_percent` below 10
//! as memory used at 90 % of the total, `load.1m_per_core` times the CPUs,
//! `temperature.below_critical_celsius` as the critical temperature less
//! the threshold, per sensor that reports one. File systems and the sampler
//! have no time plot, so their rules are in the alerts panel only.

use egui::Color32;
use egui_plot::{HLine, LineStyle, PlotUi, Span};
use hostpulse_shared::{AlertRule, Severity};

use crate::alerts::{FiringSpan, describe};
use crate::host::Host;
use crate::panels::alert_mark;
use crate::panels::time_axis::TimeAxis;

/// The plots a rule can be drawn on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AlertPlot {
    /// "CPU: total", in percent.
    CpuTotal,
    /// "Load average", in runnable tasks.
    Load,
    /// "Memory and swap", in bytes.
    Memory,
    /// "Network per interface", in bytes per second.
    Network,
    /// "Temperatures", in degrees Celsius.
    Temperatures,
}

impl AlertPlot {
    /// The plot a metric is drawn on, if any.
    #[must_use]
    pub fn of(metric: &str) -> Option<Self> {
        match metric {
            "cpu.total_percent" => Some(Self::CpuTotal),
            "load.1m_per_core" => Some(Self::Load),
            "memory.available_percent" | "swap.used_percent" => Some(Self::Memory),
            "network.rx_bytes_per_sec" | "network.tx_bytes_per_sec" => Some(Self::Network),
            "temperature.celsius" | "temperature.below_critical_celsius" => {
                Some(Self::Temperatures)
            }
            _ => None,
        }
    }
}

/// One threshold line, in the plot's unit.
#[derive(Debug, Clone, PartialEq)]
pub struct Threshold {
    /// Where, on the y axis.
    pub value: f64,
    /// The legend's words: the rule as written.
    pub label: String,
    /// Its colour's severity.
    pub severity: Severity,
}

/// A stretch of time an alert fired (Unix ms, the host's clock).
#[derive(Debug, Clone, PartialEq)]
pub struct Shade {
    /// When it started.
    pub start_ms: u64,
    /// When it ended; `None` while it fires (the shade runs to the edge).
    pub end_ms: Option<u64>,
    /// The legend's words: the rule, firing.
    pub label: String,
    /// Its colour's severity.
    pub severity: Severity,
}

/// Everything the alerts add to one plot.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AlertOverlay {
    /// The rules' threshold lines.
    pub thresholds: Vec<Threshold>,
    /// The stretches their alerts fired.
    pub shades: Vec<Shade>,
}

/// The shade of a firing stretch: the severity's colour, faint.
#[must_use]
pub fn shade_color(severity: Severity) -> Color32 {
    alert_mark::color(severity).gamma_multiply(0.18)
}

impl AlertOverlay {
    /// What `host`'s alerts add to `plot`.
    #[must_use]
    pub fn of(plot: AlertPlot, host: &Host) -> Self {
        let rules = host.alerts.rules();
        let on_plot = |metric: &str| AlertPlot::of(metric) == Some(plot);
        let mut thresholds = Vec::new();
        for rule in rules.iter().filter(|rule| on_plot(&rule.metric)) {
            for value in in_plot_units(rule, host) {
                let threshold = Threshold {
                    value,
                    label: describe::rule(rule),
                    severity: rule.severity,
                };
                if !thresholds.contains(&threshold) {
                    thresholds.push(threshold);
                }
            }
        }
        let shades = host
            .alerts
            .spans()
            .filter(|span| on_plot(&span.metric))
            .map(|span| shade(&span))
            .collect();
        Self { thresholds, shades }
    }

    /// The highest threshold, so the y axis reaches it.
    #[must_use]
    pub fn highest(&self) -> Option<f64> {
        self.thresholds
            .iter()
            .map(|t| t.value)
            .filter(|v| v.is_finite())
            .reduce(f64::max)
    }

    /// Draws the shades under everything, then the lines, inside a plot on
    /// `axis`.
    pub fn draw(&self, plot_ui: &mut PlotUi<'_>, axis: &TimeAxis) {
        for shade in &self.shades {
            let end_ms = shade.end_ms.unwrap_or(axis.end_ms).max(shade.start_ms);
            if end_ms < axis.start_ms || shade.start_ms > axis.end_ms {
                continue;
            }
            plot_ui.span(
                Span::new(
                    shade.label.as_str(),
                    axis.x(shade.start_ms)..=axis.x(end_ms),
                )
                .fill(shade_color(shade.severity))
                .border_width(0.0),
            );
        }
        for threshold in &self.thresholds {
            plot_ui.hline(
                HLine::new(threshold.label.as_str(), threshold.value)
                    .color(alert_mark::color(threshold.severity))
                    .width(1.5)
                    .style(LineStyle::dashed_dense())
                    .allow_hover(false),
            );
        }
    }
}

fn shade(span: &FiringSpan) -> Shade {
    let label = if span.instance.is_empty() {
        format!("{} firing", span.rule)
    } else {
        format!("{} firing ({})", span.rule, span.instance)
    };
    Shade {
        start_ms: span.start_ms,
        end_ms: span.end_ms,
        label,
        severity: span.severity,
    }
}

/// Where `rule`'s threshold falls in its plot's unit, once per line to draw
/// (none when the host has not said enough yet, e.g. its memory size).
fn in_plot_units(rule: &AlertRule, host: &Host) -> Vec<f64> {
    let latest = host.history.latest();
    let threshold = rule.threshold;
    match rule.metric.as_str() {
        "cpu.total_percent"
        | "temperature.celsius"
        | "network.rx_bytes_per_sec"
        | "network.tx_bytes_per_sec" => vec![threshold],
        "load.1m_per_core" => {
            let cores = host.history.core_count();
            if cores == 0 {
                Vec::new()
            } else {
                vec![threshold * cores as f64]
            }
        }
        // The plot shows memory used; "available below 10 %" is about
        // "used above 90 %" of the total (used and available need not add
        // up to the total, so the line is a guide, not the rule itself).
        "memory.available_percent" => latest
            .map(|s| s.memory.total_bytes as f64)
            .filter(|total| *total > 0.0)
            .map(|total| total * (1.0 - threshold / 100.0))
            .into_iter()
            .collect(),
        "swap.used_percent" => latest
            .map(|s| s.memory.swap_total_bytes as f64)
            .filter(|total| *total > 0.0)
            .map(|total| total * threshold / 100.0)
            .into_iter()
            .collect(),
        "temperature.below_critical_celsius" => {
            let Some(sample) = latest else {
                return Vec::new();
            };
            sample
                .sensors()
                .filter(|(name, _)| rule.instance.as_deref().is_none_or(|only| only == name))
                .filter_map(|(_, sensor)| sensor.critical_celsius)
                .map(|critical| f64::from(critical) - threshold)
                .collect()
        }
        _ => Vec::new(),
    }
}
