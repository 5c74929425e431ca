//! What tests, examples and benchmarks need to drive the app without a
//! network: hosts built by hand and fed directly. Only with the `test-support`
//! feature, so the shipped binary holds none of it.

use super::DashboardApp;
use crate::host::Host;
use crate::link::Wake;

impl DashboardApp {
    /// The wake-up a new link should call, for building detached hosts.
    #[must_use]
    pub fn wake(&self) -> Wake {
        self.repaint_wake()
    }

    /// Lists a host built elsewhere (synthetic data in tests and screenshots).
    pub fn insert_host(&mut self, build: impl FnOnce(u64) -> Host) -> u64 {
        let id = self.allocate_id();
        self.hosts.push(build(id));
        self.selected.get_or_insert(id);
        id
    }

    /// One host, to feed it (synthetic data in tests and measurements).
    pub fn host_mut(&mut self, id: u64) -> Option<&mut Host> {
        self.hosts.iter_mut().find(|h| h.id == id)
    }
}
