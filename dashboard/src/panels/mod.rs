//! One file per part of the window. Panels read the hosts and return
//! [`crate::command::Command`]s; the app applies them once, after the frame.

pub mod add_host;
pub mod alert_mark;
pub mod alert_overlay;
pub mod alerts;
pub mod connection;
pub mod disk_usage;
pub mod edit_host;
pub mod export;
pub mod fleet;
pub mod heat_strip;
pub mod help;
pub mod host_list;
pub mod host_view;
pub mod past_view;
pub mod processes;
pub mod range_bar;
pub mod time_axis;
pub mod time_plot;
pub mod undo;
