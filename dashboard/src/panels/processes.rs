//! The top processes table: the newest sample's, or those of the instant
//! picked on a plot ("which process caused that spike?"), sortable by CPU,
//! memory, name or pid by clicking a column header. An instant the live
//! history holds no list near is answered by the server from its disk: a
//! sample's own list while its raw tier reaches back that far, else the
//! processes that peaked in that minute or hour.

use egui::{Id, RichText, Ui};
use egui_extras::{Column, TableBuilder};
use hostpulse_shared::{ProcessSample, RangeTier};

use crate::command::Command;
use crate::format;
use crate::history::HostHistory;
use crate::history::processes::Moment;
use crate::past::MomentState;

/// A list in the live history this close to the instant picked answers for
/// it (older than an hour, it keeps one list per 10 s); farther, the server
/// is asked.
const NEAR_MS: u64 = 15_000;

/// The live history's list for the instant `at_ms`, if it keeps one near it.
#[must_use]
pub fn live_moment(history: &HostHistory, at_ms: u64) -> Option<Moment> {
    history
        .processes_near(at_ms)
        .filter(|m| m.timestamp_ms.abs_diff(at_ms) <= NEAR_MS)
}

/// What the table is sorted by.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum SortBy {
    /// CPU usage.
    #[default]
    Cpu,
    /// Resident memory.
    Memory,
    /// Executable name.
    Name,
    /// Process id.
    Pid,
}

impl SortBy {
    /// The column header's text.
    #[must_use]
    pub fn label(self) -> &'static str {
        match self {
            Self::Cpu => "CPU",
            Self::Memory => "Memory",
            Self::Name => "Name",
            Self::Pid => "PID",
        }
    }

    /// Numbers read best largest first, names and pids smallest first.
    fn descending_first(self) -> bool {
        matches!(self, Self::Cpu | Self::Memory)
    }
}

/// The table's order, kept in egui's memory between frames.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sort {
    /// The column.
    pub by: SortBy,
    /// Largest first.
    pub descending: bool,
}

impl Default for Sort {
    fn default() -> Self {
        Self {
            by: SortBy::Cpu,
            descending: true,
        }
    }
}

impl Sort {
    /// After a click on `by`'s header: that column, or the other direction if
    /// it already was.
    #[must_use]
    pub fn clicked(self, by: SortBy) -> Self {
        if self.by == by {
            Self {
                by,
                descending: !self.descending,
            }
        } else {
            Self {
                by,
                descending: by.descending_first(),
            }
        }
    }

    /// Puts `processes` in this order.
    pub fn apply(self, processes: &mut [ProcessSample]) {
        processes.sort_by(|a, b| {
            let ascending = match self.by {
                SortBy::Cpu => a.cpu_percent.total_cmp(&b.cpu_percent),
                SortBy::Memory => a.memory_bytes.cmp(&b.memory_bytes),
                // As a person reads names: "Xorg" between "xargs" and "zsh".
                SortBy::Name => a
                    .name
                    .to_lowercase()
                    .cmp(&b.name.to_lowercase())
                    .then(a.pid.cmp(&b.pid)),
                SortBy::Pid => a.pid.cmp(&b.pid),
            };
            if self.descending {
                ascending.reverse()
            } else {
                ascending
            }
        });
    }
}

/// Draws the table of the newest sample, or of the sample nearest
/// `marked_ms` when an instant is picked: from the live history, or as
/// `fetched` from the server's disk.
pub fn ui(
    ui: &mut Ui,
    id: Id,
    history: &HostHistory,
    marked_ms: Option<u64>,
    fetched: MomentState<'_>,
    commands: &mut Vec<Command>,
) {
    let mut processes = if let Some(at_ms) = marked_ms {
        moment_heading_ui(ui, history, at_ms, fetched, commands)
    } else {
        ui.horizontal(|ui| {
            ui.label(RichText::new("Top processes now").strong());
            ui.weak("click a plot to see them at that moment");
        });
        history
            .latest()
            .map(|s| s.top_processes.clone())
            .unwrap_or_default()
    };
    let sort_id = id.with("sort");
    let mut sort: Sort = ui.data(|d| d.get_temp(sort_id)).unwrap_or_default();
    sort.apply(&mut processes);
    let row_height = ui.text_style_height(&egui::TextStyle::Body) + 4.0;
    TableBuilder::new(ui)
        .id_salt(id)
        .striped(true)
        .vscroll(false)
        .cell_layout(egui::Layout::left_to_right(egui::Align::Center))
        .column(Column::exact(80.0))
        .column(Column::remainder().at_least(160.0))
        .column(Column::exact(90.0))
        .column(Column::exact(110.0))
        .header(row_height + 4.0, |mut header| {
            for by in [SortBy::Pid, SortBy::Name, SortBy::Cpu, SortBy::Memory] {
                header.col(|ui| {
                    let arrow = match (sort.by == by, sort.descending) {
                        (false, _) => "",
                        (true, true) => " ↓",
                        (true, false) => " ↑",
                    };
                    // Monospace: its font has arrows, the proportional one not.
                    let text = RichText::new(format!("{}{arrow}", by.label())).monospace();
                    if ui
                        .selectable_label(sort.by == by, text)
                        .on_hover_text("Sort by this column; click again to reverse")
                        .clicked()
                    {
                        sort = sort.clicked(by);
                    }
                });
            }
        })
        .body(|body| {
            body.rows(row_height, processes.len(), |mut row| {
                let process = &processes[row.index()];
                row.col(|ui| {
                    ui.label(process.pid.to_string());
                });
                row.col(|ui| {
                    ui.label(&process.name);
                });
                row.col(|ui| {
                    ui.label(format!("{:.1}%", process.cpu_percent));
                });
                row.col(|ui| {
                    ui.label(format::bytes(process.memory_bytes as f64));
                });
            });
        });
    ui.data_mut(|d| d.insert_temp(sort_id, sort));
}

/// "Top processes at 14:03:27 CET (-2:31)" and a button to clear the pick;
/// returns that moment's processes.
fn moment_heading_ui(
    ui: &mut Ui,
    history: &HostHistory,
    at_ms: u64,
    fetched: MomentState<'_>,
    commands: &mut Vec<Command>,
) -> Vec<ProcessSample> {
    let newest_ms = history.newest_ms().unwrap_or(at_ms);
    let ago = |ms: u64| format::seconds_ago((ms as f64 - newest_ms as f64) / 1000.0);
    let (heading, processes) = match (live_moment(history, at_ms), fetched) {
        (Some(moment), _) => (
            format!(
                "Top processes at {} ({})",
                format::clock(moment.timestamp_ms),
                ago(moment.timestamp_ms)
            ),
            moment.processes,
        ),
        (None, MomentState::Fetched(answer)) => match (answer.tier, answer.time_ms) {
            (Some(tier), Some(time_ms)) => {
                let what = match tier {
                    RangeTier::Minute => "Peak processes of the minute from",
                    RangeTier::Hour => "Peak processes of the hour from",
                    RangeTier::Raw | RangeTier::Unknown => "Top processes at",
                };
                (
                    format!("{what} {}", format::date_time_seconds(time_ms)),
                    answer.processes.clone(),
                )
            }
            _ => (
                format!(
                    "The server keeps no process list near {}",
                    format::date_time_seconds(at_ms)
                ),
                Vec::new(),
            ),
        },
        (None, MomentState::Refused(why)) => (
            format!("The server cannot list the processes then: {why}"),
            Vec::new(),
        ),
        (None, MomentState::Loading) => (
            format!(
                "Loading the processes at {}…",
                format::date_time_seconds(at_ms)
            ),
            Vec::new(),
        ),
        (None, MomentState::Unknown) => (
            "No process list kept near that moment".to_owned(),
            Vec::new(),
        ),
    };
    ui.horizontal(|ui| {
        ui.label(RichText::new(heading).strong());
        if ui
            .button("Clear")
            .on_hover_text("Back to the newest sample's processes")
            .clicked()
        {
            commands.push(Command::ClearMark);
        }
    });
    processes
}

#[cfg(test)]
mod tests {
    use super::*;

    fn process(pid: u32, name: &str, cpu_percent: f32, memory_bytes: u64) -> ProcessSample {
        ProcessSample {
            pid,
            name: name.into(),
            cpu_percent,
            memory_bytes,
        }
    }

    #[test]
    fn each_column_sorts_and_a_second_click_reverses() {
        let mut list = vec![
            process(30, "beta", 5.0, 300),
            process(10, "gamma", 50.0, 100),
            process(20, "alpha", 0.5, 900),
        ];
        let pids = |list: &[ProcessSample]| list.iter().map(|p| p.pid).collect::<Vec<_>>();
        let mut sort = Sort::default();
        sort.apply(&mut list);
        assert_eq!(pids(&list), [10, 30, 20]);
        sort = sort.clicked(SortBy::Memory);
        sort.apply(&mut list);
        assert_eq!(pids(&list), [20, 30, 10]);
        sort = sort.clicked(SortBy::Name);
        sort.apply(&mut list);
        assert_eq!(pids(&list), [20, 30, 10]);
        sort = sort.clicked(SortBy::Name);
        sort.apply(&mut list);
        assert_eq!(pids(&list), [10, 30, 20]);
        sort = sort.clicked(SortBy::Pid);
        sort.apply(&mut list);
        assert_eq!(pids(&list), [10, 20, 30]);
    }
}
