//! What each exit status of a HostPulse program means, declared once for
//! `main`, `--help` and the man pages.

use std::fmt::Write as _;

/// Ran to the end: stopped cleanly, or a one-off action succeeded.
pub const EXIT_OK: u8 = 0;
/// Failed while running; trying again may work.
pub const EXIT_FAILURE: u8 = 1;
/// A configuration or usage error, clap's own status for bad arguments:
/// trying again cannot mend it. The systemd unit stops restarting on it
/// (`RestartPreventExitStatus=2`).
pub const EXIT_USAGE: u8 = 2;

/// One exit status and what it means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExitStatus {
    /// The status.
    pub code: u8,
    /// What it means, one sentence.
    pub meaning: &'static str,
}

/// The server's exit statuses.
pub const SERVER_EXIT_STATUSES: &[ExitStatus] = &[
    ExitStatus {
        code: EXIT_OK,
        meaning: "Stopped cleanly (SIGTERM or Ctrl-C), or --check-config, --make-certs or \
                  --test-alert succeeded.",
    },
    ExitStatus {
        code: EXIT_FAILURE,
        meaning: "Failed while running: cannot listen on the address, cannot write the \
                  certificates, or a --test-alert delivery failed.",
    },
    ExitStatus {
        code: EXIT_USAGE,
        meaning: "A configuration or usage error (a bad flag, variable, config key or value, \
                  an unreadable token): the message says what to change. Restarting cannot \
                  mend it, so the systemd unit fails at once instead of restarting.",
    },
];

/// The closing paragraph of `--help` that lists `statuses`.
#[must_use]
pub fn exit_status_help(statuses: &[ExitStatus]) -> String {
    let mut text = String::from("Exit status:");
    for status in statuses {
        // Writing to a String cannot fail.
        let _ = write!(text, "\n  {}  {}", status.code, status.meaning);
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_help_lists_every_status_once() {
        let help = exit_status_help(SERVER_EXIT_STATUSES);
        for code in [EXIT_OK, EXIT_FAILURE, EXIT_USAGE] {
            assert_eq!(help.matches(&format!("\n  {code}  ")).count(), 1, "{help}");
        }
    }
}
