//! The man pages and shell completions of `hostpulse-server` and
//! `hostpulse-dashboard`, generated from the same clap definitions as their
//! `--help`, so neither can drift from it. The environment section comes
//! from the server's one list of settings, the exit statuses from the one
//! table each program exits by.
//!
//! The results are committed under `assets/` (the packages install them from
//! there, and a change to a flag shows in review as a change to its man page);
//! `tests/up_to_date.rs` fails when they are stale, and
//! `HOSTPULSE_UPDATE_DOCS=1 cargo test -p hostpulse-docgen` writes them again.

use std::io;

use clap::{Command, CommandFactory as _};
use clap_complete::Shell;
use clap_mangen::Man;
use clap_mangen::roff::{Roff, bold, roman};
use hostpulse_dashboard::cli as dashboard;
use hostpulse_server::{EnvMeaning, ExitStatus};

/// One generated file: where it goes in the source tree, and its bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Generated {
    /// Relative to the workspace root.
    pub path: String,
    /// The contents.
    pub bytes: Vec<u8>,
}

/// A term and its explanation, as a man page's `.TP` paragraph shows them.
type Entry = (String, String);

/// Every generated file: two man pages and three completions per program.
pub fn generate() -> io::Result<Vec<Generated>> {
    let server = hostpulse_server::Args::command();
    let dashboard = dashboard::Args::command();
    let mut files = vec![
        Generated {
            path: "assets/man/hostpulse-server.1".into(),
            bytes: man_page(
                &server,
                &[
                    (
                        "EXIT STATUS",
                        exit_statuses(hostpulse_server::SERVER_EXIT_STATUSES),
                    ),
                    ("ENVIRONMENT", server_environment(&server)),
                    ("FILES", server_files()),
                    (
                        "SEE ALSO",
                        see_also(&[
                            "hostpulse-dashboard(1)",
                            "systemd-run(1)",
                            "systemd.exec(5)",
                            "journalctl(1)",
                        ]),
                    ),
                ],
            )?,
        },
        Generated {
            path: "assets/man/hostpulse-dashboard.1".into(),
            bytes: man_page(
                &dashboard,
                &[
                    ("EXIT STATUS", exit_statuses(dashboard::EXIT_STATUSES)),
                    ("ENVIRONMENT", dashboard_environment()),
                    ("FILES", dashboard_files()),
                    ("SEE ALSO", see_also(&["hostpulse-server(1)"])),
                ],
            )?,
        },
    ];
    for command in [server, dashboard] {
        files.extend(completions(command));
    }
    Ok(files)
}

/// clap's NAME, SYNOPSIS, DESCRIPTION and OPTIONS, then `sections`, then
/// VERSION. (clap's own EXTRA section would repeat `--help`'s closing text,
/// which the sections here say better.)
fn man_page(command: &Command, sections: &[(&str, Vec<Entry>)]) -> io::Result<Vec<u8>> {
    let man = Man::new(command.clone()).manual("HostPulse");
    let mut out = Vec::new();
    man.render_title(&mut out)?;
    man.render_name_section(&mut out)?;
    man.render_synopsis_section(&mut out)?;
    man.render_description_section(&mut out)?;
    man.render_options_section(&mut out)?;
    let mut roff = Roff::default();
    for (title, entries) in sections {
        roff.control("SH", [*title]);
        for (term, body) in entries {
            roff.control("TP", []);
            roff.text([bold(term.as_str())]);
            roff.text([roman(body.as_str())]);
        }
    }
    roff.to_writer(&mut out)?;
    man.render_version_section(&mut out)?;
    Ok(out)
}

fn exit_statuses(statuses: &[ExitStatus]) -> Vec<Entry> {
    statuses
        .iter()
        .map(|status| (status.code.to_string(), status.meaning.to_owned()))
        .collect()
}

fn see_also(pages: &[&str]) -> Vec<Entry> {
    vec![(pages.join(", "), String::new())]
}

/// Every `HOSTPULSE_*` variable, each said as the flag it stands for, then
/// the variables systemd sets and the log filter.
fn server_environment(server: &Command) -> Vec<Entry> {
    let mut entries: Vec<Entry> = hostpulse_server::env_meanings()
        .map(|(name, meaning)| {
            let body = match meaning {
                EnvMeaning::Own(text) => text.to_owned(),
                EnvMeaning::Flag(id) => server
                    .get_arguments()
                    .find(|arg| arg.get_id() == id)
                    .map_or_else(String::new, |arg| {
                        let help = arg.get_help().map(ToString::to_string).unwrap_or_default();
                        format!("As --{}: {help}", arg.get_long().unwrap_or(id))
                    }),
            };
            (name.to_owned(), body)
        })
        .collect();
    entries.extend(owned(&[
        (
            "CREDENTIALS_DIRECTORY",
            "Set by systemd's LoadCredential=: its files token, tls-cert and tls-key are read \
             as the token, the certificate and the key. A check run by hand \
             (--check-config) has none; systemd-run --wait --pipe -p \
             LoadCredential=token:/etc/hostpulse/token hostpulse-server --check-config \
             checks with it.",
        ),
        (
            "NOTIFY_SOCKET, WATCHDOG_USEC",
            "Set by systemd for Type=notify and WatchdogSec=: READY=1 once the port is \
             bound, WATCHDOG=1 while samples keep coming.",
        ),
        (
            "JOURNAL_STREAM",
            "Set by systemd: when it names standard error, each log line carries its syslog \
             priority for the journal, and a fatal error is one entry at priority err.",
        ),
        (
            "RUST_LOG",
            "Which log lines to write (info by default), e.g. RUST_LOG=debug.",
        ),
    ]));
    entries
}

fn server_files() -> Vec<Entry> {
    owned(&[
        (
            hostpulse_server::DEFAULT_CONFIG_PATH,
            "The config file, read when --config is not given (and skipped if absent). The \
             package installs a commented example of every key.",
        ),
        (
            "/etc/hostpulse/token",
            "The usual place of the viewers' token, given to the service by \
             LoadCredential=token:/etc/hostpulse/token in a drop-in (systemctl edit \
             hostpulse-server).",
        ),
        (
            "/var/lib/hostpulse",
            "The service's state (StateDirectory=, data_dir): the alerts firing, kept \
             across restarts.",
        ),
        (
            "/usr/lib/systemd/system/hostpulse-server.service",
            "The hardened systemd unit.",
        ),
        (
            "/usr/share/doc/hostpulse-server/",
            "README.md, PROTOCOL.md (for client writers), SECURITY.md, and examples: \
             Prometheus scrape and alert rules, an nginx reverse proxy.",
        ),
    ])
}

fn dashboard_environment() -> Vec<Entry> {
    owned(&[
        (
            "SSL_CERT_FILE",
            "A PEM file of the certificate authorities to trust for wss:// hosts instead of \
             the system's, e.g. the ca.pem of hostpulse-server --make-certs.",
        ),
        (
            "XDG_DATA_HOME",
            "The folder the preferences folder is in (~/.local/share when unset).",
        ),
        (
            "RUST_LOG",
            "Which log lines to write (info by default), e.g. RUST_LOG=debug.",
        ),
    ])
}

fn dashboard_files() -> Vec<Entry> {
    vec![(
        format!(
            "$XDG_DATA_HOME/{}/{}",
            dashboard::APP_ID,
            dashboard::PREFS_FILE
        ),
        format!(
            "The preferences: hosts added in the window, theme, time window, layout \
             (~/.local/share/{}/{} when XDG_DATA_HOME is unset). Tokens are never saved.",
            dashboard::APP_ID,
            dashboard::PREFS_FILE
        ),
    )]
}

fn owned(entries: &[(&str, &str)]) -> Vec<Entry> {
    entries
        .iter()
        .map(|(term, body)| ((*term).to_owned(), (*body).to_owned()))
        .collect()
}

/// bash, zsh and fish completions of `command`, at the names each shell's
/// completion loader looks for.
fn completions(mut command: Command) -> Vec<Generated> {
    let name = command.get_name().to_owned();
    [
        (Shell::Bash, format!("{name}.bash")),
        (Shell::Zsh, format!("_{name}")),
        (Shell::Fish, format!("{name}.fish")),
    ]
    .into_iter()
    .map(|(shell, file)| {
        let mut bytes = Vec::new();
        clap_complete::generate(shell, &mut command, &name, &mut bytes);
        Generated {
            path: format!("assets/completions/{file}"),
            bytes,
        }
    })
    .collect()
}
