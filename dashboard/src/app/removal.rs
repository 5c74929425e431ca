//! Removing a host, undoably: the host is kept whole for a few seconds while
//! "Undo" (or Ctrl+Z) is offered, then let go with its kept token. Kept apart
//! from `app.rs`, which routes hosts and the time view.

use std::time::{Duration, Instant};

use hostpulse_server::BackgroundServer;

use super::{DashboardApp, LocalHost};
use crate::command::Command;
use crate::host::Host;
use crate::panels::undo;

/// How long a removal can be undone.
const UNDO_SHOWN: Duration = Duration::from_secs(8);

/// A host just removed, kept whole (link, history, and for "This computer"
/// its server) while its removal can be undone.
pub(super) struct Removed {
    pub(super) host: Host,
    /// Where it stood in the list.
    index: usize,
    /// It was remembered for the next run.
    saved: bool,
    /// It was "This computer": its server, still running.
    local_server: Option<BackgroundServer>,
    at: Instant,
}

impl DashboardApp {
    /// Takes host `id` out of the list, keeping it for [`UNDO_SHOWN`]; a
    /// removal still offered for undo is final from now on.
    pub(super) fn remove(&mut self, id: u64) {
        let Some(index) = self.hosts.iter().position(|h| h.id == id) else {
            return;
        };
        self.finish_removal();
        let host = self.hosts.remove(index);
        let local_server = if self.local_host() == Some(id) {
            // Removed on purpose: remembered; the server stops when the
            // undo is over.
            self.local = LocalHost::Removed;
            self.local_server.take()
        } else {
            None
        };
        let saved = self.saved.remove(&id);
        // Gone from the list, it cannot be unreachable; its mute waits for
        // the undo to be over.
        self.stop_watching_reachability(id);
        if self.selected == Some(id) {
            self.selected = self.hosts.first().map(|h| h.id);
        }
        self.removed = Some(Removed {
            host,
            index,
            saved,
            local_server,
            at: Instant::now(),
        });
    }

    /// Puts the host removed last back where it was, and shows it.
    pub(super) fn undo_remove(&mut self) {
        let Some(removed) = self.removed.take() else {
            return;
        };
        let id = removed.host.id;
        if let Some(server) = removed.local_server {
            self.local_server = Some(server);
            self.local = LocalHost::Listed(id);
        }
        if removed.saved {
            self.saved.insert(id);
        }
        self.hosts
            .insert(removed.index.min(self.hosts.len()), removed.host);
        self.selected = Some(id);
    }

    /// Offers to undo the last removal until [`UNDO_SHOWN`] has passed,
    /// then lets the host go.
    pub(super) fn undo_ui(&mut self, ctx: &egui::Context, commands: &mut Vec<Command>) {
        let Some(removed) = &self.removed else {
            return;
        };
        match UNDO_SHOWN.checked_sub(removed.at.elapsed()) {
            Some(left) => {
                undo::show(ctx, removed.host.display_name(), commands);
                ctx.request_repaint_after(left);
            }
            None => self.finish_removal(),
        }
    }

    /// Makes the last removal final: the host goes, and the token kept for
    /// it in the secret store with it.
    pub(super) fn finish_removal(&mut self) {
        let Some(removed) = self.removed.take() else {
            return;
        };
        self.forget_mute(removed.host.id);
        if removed.saved {
            self.tokens.forget(removed.host.url());
        }
    }
}
