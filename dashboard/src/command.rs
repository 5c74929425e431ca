//! What a panel can ask the app to do: the commands panels return, applied by
//! the app once, after the frame. A leaf: it names only the view's presets and
//! the shape of a history request, so panels and the app both depend on it and
//! never on each other.

use hostpulse_shared::Secret;

use crate::past::plan::RangeWant;
use crate::view::Window;

/// Something a panel asks the app to do, applied after the frame is drawn.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// Watch the server at this (already validated) URL, with this token.
    AddHost {
        /// The WebSocket URL.
        url: String,
        /// The bearer token, if the server wants one.
        token: Option<Secret>,
    },
    /// Stop watching a host (undoable for a few seconds).
    Remove(u64),
    /// Bring back the host removed last, while its "Undo" is offered.
    UndoRemove,
    /// List "This computer" again (after it was removed).
    WatchThisComputer,
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
    /// Keep tokens in the desktop's secret store (true), or for this run
    /// only (false, and the ones kept there are deleted).
    RememberTokens(bool),
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
    /// Follow the live edge over the last this many ms (a typed length).
    ShowLast(u64),
    /// Mark this instant (Unix ms) on every plot and list its top processes.
    Mark(u64),
    /// Read this range from a host's disk: the view needs it. Nothing is
    /// sent when it is kept or on its way already.
    FetchRange {
        /// The host.
        host: u64,
        /// The span and resolution.
        want: RangeWant,
    },
    /// Ask a host for its top processes at an instant (Unix ms) older than
    /// its live history.
    FetchProcesses {
        /// The host.
        host: u64,
        /// The instant.
        at_ms: u64,
    },
    /// Remove the mark.
    ClearMark,
    /// Show or hide the alerts panel.
    ToggleAlerts,
    /// Open a host at a moment (Unix ms) of its alert log: the plots hold
    /// still around it, with the moment marked.
    OpenAlert {
        /// The host.
        host_id: u64,
        /// The moment.
        at_ms: u64,
    },
    /// Stop (or start again) desktop notifications for one host; its
    /// alerts still show in the panel.
    ToggleMute(u64),
    /// Stop (or start again) every desktop notification.
    ToggleDoNotDisturb,
    /// Send one test notification to the desktop.
    TestNotification,
}

impl Command {
    /// Whether it chooses another window of time or another host to show:
    /// a one-off choice the frame that makes it should already draw. Not
    /// the ranges a drag or zoom sets, which change every frame.
    #[must_use]
    pub fn chooses_what_is_shown(&self) -> bool {
        matches!(
            self,
            Self::SetWindow(_)
                | Self::ShowLast(_)
                | Self::Resume
                | Self::Select(_)
                | Self::ShowFleet
                | Self::ToggleFleet
        )
    }
}

/// What happens to the host's token when the edit is saved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TokenChange {
    /// Keep presenting the token it has (or none).
    Keep,
    /// Present this token from now on.
    Set(Secret),
    /// Present no token any more.
    Clear,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_command_carrying_a_token_never_prints_it() {
        let add = Command::AddHost {
            url: "ws://db-1:9470/ws".into(),
            token: Some(Secret::new("hunter2-hunter2-hunter2")),
        };
        let edit = Command::EditHost {
            id: 1,
            url: "ws://db-1:9470/ws".into(),
            label: None,
            token: TokenChange::Set(Secret::new("hunter2-hunter2-hunter2")),
        };
        for printed in [format!("{add:?}"), format!("{edit:?}")] {
            assert!(!printed.contains("hunter2"), "{printed}");
            assert!(printed.contains("Secret(…)"), "{printed}");
        }
    }
}
