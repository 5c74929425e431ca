//! Helpers shared by the dashboard's end-to-end tests: every wait is bounded,
//! so a broken build fails instead of hanging.

use std::time::{Duration, Instant};

use hostpulse_dashboard::host::Host;

/// Upper bound on each wait.
pub const PATIENCE: Duration = Duration::from_secs(20);

/// Polls `host` as the UI would, until `done` holds or patience runs out.
pub fn poll_until(host: &mut Host, mut done: impl FnMut(&Host) -> bool) -> bool {
    let give_up = Instant::now() + PATIENCE;
    while Instant::now() < give_up {
        host.poll(Instant::now());
        if done(host) {
            return true;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    false
}
