//! The dashboard's command line: its flags, its exit statuses and where it
//! keeps its preferences, declared once for `main`, `--help` and the man page.

use std::path::PathBuf;

use clap::Parser;
use hostpulse_server::{EXIT_FAILURE, EXIT_OK, EXIT_USAGE, ExitStatus};

/// The app id: the window's Wayland/X11 class, the desktop entry's name, and
/// the folder eframe keeps the preferences in.
pub const APP_ID: &str = "hostpulse-dashboard";

/// Where the preferences are kept, as `--help` and the man page say it (the
/// folder is eframe's `storage_dir`, checked by this module's tests).
pub const PREFS_LOCATION: &str = "$XDG_DATA_HOME/hostpulse-dashboard/app.ron \
     (~/.local/share/hostpulse-dashboard/app.ron when XDG_DATA_HOME is unset)";

/// The file eframe keeps its storage in, inside its folder for [`APP_ID`].
pub const PREFS_FILE: &str = "app.ron";

/// The dashboard's exit statuses.
pub const EXIT_STATUSES: &[ExitStatus] = &[
    ExitStatus {
        code: EXIT_OK,
        meaning: "The window was closed; with --test-notification, the notice was taken.",
    },
    ExitStatus {
        code: EXIT_FAILURE,
        meaning: "The window could not be opened (no display, no OpenGL); with \
                  --test-notification, no notification service answered.",
    },
    ExitStatus {
        code: EXIT_USAGE,
        meaning: "A usage error: a host that is not an address, an unreadable --token-file, \
                  an unknown flag. The message says what to change.",
    },
];

/// `--help`'s closing paragraphs: the preferences' file and the exit statuses.
fn after_help() -> String {
    format!(
        "Preferences (hosts added in the window, theme, time window) are kept in \
         {PREFS_LOCATION}; the tokens of remembered hosts in the desktop's secret \
         store (Secret Service), never in that file.\n\n{}",
        hostpulse_server::exit_status_help(EXIT_STATUSES)
    )
}

/// `hostpulse-dashboard`: plots live metrics from HostPulse servers. With no host,
/// it watches this computer.
#[derive(Debug, Parser)]
#[command(name = "hostpulse-dashboard", version, about, long_about = None, after_help = after_help())]
pub struct Args {
    /// The servers to watch, as the URLs to dial.
    #[arg(
        value_name = "HOST",
        value_parser = parse_host,
        help = "Servers to watch: ws://host:9470/ws, wss://host/ws, host or host:port"
    )]
    pub hosts: Vec<String>,

    /// File holding the bearer token of servers started with a token. It is
    /// presented to the hosts named here, and to every remembered host that
    /// has no token of its own once that host asks for one (answers 401);
    /// a server that wants no token never sees it. The token itself never
    /// goes on the command line.
    #[arg(long, value_name = "FILE")]
    pub token_file: Option<PathBuf>,

    /// Send one test notification to the desktop's notification service and
    /// exit: 0 when it was taken, 1 (saying why) when no service answers.
    #[arg(long)]
    pub test_notification: bool,
}

/// A host as typed, checked and made into the URL to dial; clap reports a
/// bad one with the address module's explanation and exit status 2.
fn parse_host(input: &str) -> Result<String, crate::address::AddressError> {
    crate::address::parse(input).map(String::from)
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory as _;

    #[test]
    fn a_bad_host_is_a_usage_error_that_says_what_to_type() {
        let error = Args::try_parse_from(["hostpulse-dashboard", "http://server"]).unwrap_err();
        assert_eq!(error.exit_code(), i32::from(EXIT_USAGE));
        assert!(error.to_string().contains("use ws://"), "{error}");
        let args = Args::try_parse_from(["hostpulse-dashboard", "server:1234"]).unwrap();
        assert_eq!(args.hosts, ["ws://server:1234/ws"]);
    }

    #[test]
    fn help_names_the_preferences_file_eframe_uses_and_the_exit_statuses() {
        let help = Args::command().render_help().to_string();
        assert!(
            help.contains(".local/share/hostpulse-dashboard/app.ron"),
            "{help}"
        );
        assert!(help.contains("Exit status:"), "{help}");
        // eframe's own idea of the folder, from XDG_DATA_HOME or the home.
        let folder = eframe::storage_dir(APP_ID).expect("a home folder");
        match std::env::var_os("XDG_DATA_HOME").filter(|v| !v.is_empty()) {
            Some(data) => assert_eq!(folder, PathBuf::from(data).join(APP_ID)),
            None => assert!(
                folder.ends_with(".local/share/hostpulse-dashboard"),
                "{folder:?}"
            ),
        }
        assert!(PREFS_LOCATION.contains(&format!("{APP_ID}/{PREFS_FILE}")));
    }
}
