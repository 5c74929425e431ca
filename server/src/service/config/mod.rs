//! Where the server's settings come from, checked in one place: built-in
//! defaults, then the TOML file (`/etc/hostpulse/server.toml` or `--config`),
//! then `HOSTPULSE_*` environment variables, then command-line flags — each
//! layer overriding the one before. A mistake anywhere is refused at start with
//! where it is (file and line, variable, or flag) and what is expected.
//!
//! - [`settings`]: each setting declared once (default, range, flag, variable, key).
//! - [`kinds`]: how each kind of value is read from text and from TOML.
//! - [`layers`]: the file's and the environment's raw layers.
//! - [`error`]: what a refusal says.
//! - this module: the layers resolved into a validated [`Config`].

mod error;
mod kinds;
mod layers;
mod settings;

use std::fmt::Write as _;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use clap::Parser;
use hostpulse_alerts::AlertsConfig;
use hostpulse_shared::Secret;

pub use self::error::ConfigError;
use self::layers::{EnvLayer, env_layer, file_layer};
pub use self::layers::{EnvMeaning, env_meanings, env_names};
use self::settings::{Layer, Values};
use crate::http::proxy::TrustedProxies;
use crate::service::tls::Tls;

/// The file read when `--config` is not given (and skipped if absent).
pub const DEFAULT_CONFIG_PATH: &str = "/etc/hostpulse/server.toml";

/// `hostpulse-server`: samples this host and streams the samples to viewers.
///
/// Settings come from the config file, then `HOSTPULSE_*` environment variables,
/// then these flags; later ones win.
#[derive(Debug, Default, Parser)]
#[command(
    name = "hostpulse-server",
    version,
    about,
    long_about = None,
    after_help = crate::service::exit::exit_status_help(crate::service::exit::SERVER_EXIT_STATUSES)
)]
pub struct Args {
    /// Config file (TOML) [default: /etc/hostpulse/server.toml, if present;
    /// env: `HOSTPULSE_CONFIG`].
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// Check the configuration, print the settings in force, and exit. Run by
    /// hand it cannot see systemd credentials; to check as the service does:
    /// systemd-run --wait --pipe -p LoadCredential=token:/etc/hostpulse/token
    /// hostpulse-server --check-config
    #[arg(long)]
    pub check_config: bool,

    /// Send one test notification for the alert rule NAME through every
    /// webhook, say how each went, and exit (non-zero if any failed).
    #[arg(long, value_name = "NAME")]
    pub test_alert: Option<String>,

    /// Write DAYS of made-up but realistic history, ending now, into the
    /// history on disk of the data directory (which must hold none yet), say
    /// how far it got as it goes, and exit: for trying long views and
    /// measuring them.
    #[arg(long, value_name = "DAYS")]
    pub fill_history: Option<f64>,

    /// Make a private CA and a server certificate signed by it in DIR
    /// (`ca.pem`, `cert.pem`, `key.pem`) for a self-signed TLS setup, and exit.
    #[arg(long, value_name = "DIR")]
    pub make_certs: Option<PathBuf>,

    /// A name (DNS name or IP address) viewers dial, for --make-certs (repeat
    /// for several) [default: this host's name, localhost, 127.0.0.1, `::1`].
    #[arg(long = "cert-name", value_name = "NAME", requires = "make_certs")]
    pub cert_names: Vec<String>,

    /// Every setting's flag, declared in [`settings`].
    #[command(flatten)]
    flags: Flags,
}

/// The settings' flags, built from their declarations.
#[derive(Debug, Default, Clone)]
struct Flags(Layer);

impl clap::FromArgMatches for Flags {
    fn from_arg_matches(matches: &clap::ArgMatches) -> Result<Self, clap::Error> {
        Ok(Self(Layer::from_flags(matches)))
    }

    fn update_from_arg_matches(&mut self, matches: &clap::ArgMatches) -> Result<(), clap::Error> {
        self.0 = Layer::from_flags(matches).over(std::mem::take(&mut self.0));
        Ok(())
    }
}

impl clap::Args for Flags {
    fn augment_args(command: clap::Command) -> clap::Command {
        command.args(settings::flags())
    }

    fn augment_args_for_update(command: clap::Command) -> clap::Command {
        command.args(settings::flags())
    }
}

/// Everything [`crate::run`] needs, already validated.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    /// Time between samples.
    pub interval: Duration,
    /// Samples kept in the history ring.
    pub history_capacity: usize,
    /// HTTP worker threads.
    pub workers: usize,
    /// Tell systemd when the server is ready and while the sampler is alive
    /// (`sd_notify`), when `NOTIFY_SOCKET` is set. Off for embedded servers.
    pub notify_systemd: bool,
    /// The bearer token viewers must present; `None` lets anyone in.
    pub token: Option<Secret>,
    /// Whether `/metrics` also needs the token (when there is one).
    pub metrics_need_token: bool,
    /// Web page origins allowed to open the stream (`scheme://host[:port]`).
    pub allowed_origins: crate::Origins,
    /// Most viewers connected at once.
    pub max_clients: usize,
    /// Most plain HTTP connections at once (viewers do not count).
    pub max_connections: usize,
    /// Most plain HTTP connections at once from one address.
    pub max_connections_per_address: usize,
    /// Certificate and key for `wss://` and `https://`; `None` serves plain text.
    pub tls: Option<Tls>,
    /// Reverse proxies whose `X-Forwarded-For` names the client.
    pub trusted_proxies: TrustedProxies,
    /// The alert rules and webhooks.
    pub alerts: AlertsConfig,
    /// Where the server keeps its state (what is firing); `None` keeps none.
    pub data_dir: Option<PathBuf>,
    /// The history on disk; `None` keeps only the in-memory history.
    pub history_store: Option<HistoryStore>,
}

/// Where the history on disk lives and how much of it is kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HistoryStore {
    /// Its directory (`history/` in the data directory).
    pub dir: PathBuf,
    /// How long every raw sample is kept.
    pub raw_retention: Duration,
    /// How long the per-minute rows are kept.
    pub minute_retention: Duration,
    /// How long the per-hour rows are kept.
    pub hour_retention: Duration,
    /// The most its files may take.
    pub max_bytes: u64,
    /// Whether the server refuses to start when the history cannot be opened
    /// (a service: another server holds it, the directory cannot be
    /// written), or runs with its history in memory only, saying why (an
    /// embedded server, such as a second dashboard's).
    pub required: bool,
}

impl HistoryStore {
    /// The history in `data_dir`'s `history/` folder, kept as the settings'
    /// defaults say.
    #[must_use]
    pub fn in_data_dir(data_dir: &Path) -> Self {
        Self::from_values(data_dir, &Values::default())
    }

    fn from_values(data_dir: &Path, values: &Values) -> Self {
        let days = |n: u64| Duration::from_secs(n.saturating_mul(86_400));
        Self {
            dir: data_dir.join("history"),
            raw_retention: days(values.history_raw_days),
            minute_retention: days(values.history_minute_days),
            hour_retention: days(values.history_hour_days),
            max_bytes: values.history_max_mib.saturating_mul(1 << 20),
            required: true,
        }
    }
}

/// The data directory when none is set: systemd's `$STATE_DIRECTORY` (the
/// first, if it names several), else `$XDG_STATE_HOME/hostpulse`, else
/// `~/.local/state/hostpulse`.
fn default_data_dir(env: &[(String, String)]) -> Option<PathBuf> {
    let var = |name: &str| {
        env.iter()
            .find(|(n, value)| n == name && !value.is_empty())
            .map(|(_, value)| value.as_str())
    };
    if let Some(dirs) = var("STATE_DIRECTORY") {
        return dirs.split(':').next().map(PathBuf::from);
    }
    if let Some(state) = var("XDG_STATE_HOME").filter(|dir| Path::new(dir).is_absolute()) {
        return Some(Path::new(state).join("hostpulse"));
    }
    var("HOME").map(|home| Path::new(home).join(".local/state/hostpulse"))
}

impl Config {
    /// The config of `values`, with the token and TLS resolved beside it.
    fn from_values(values: &Values, token: Option<Secret>, tls: Option<Tls>) -> Self {
        let size = |n: u64| usize::try_from(n).unwrap_or(usize::MAX);
        Self {
            interval: Duration::from_millis(values.interval_ms),
            history_capacity: size(values.history),
            workers: size(values.workers),
            notify_systemd: false,
            token,
            metrics_need_token: !values.open_metrics,
            allowed_origins: crate::Origins::new(values.allowed_origins.clone()),
            max_clients: size(values.max_clients),
            max_connections: size(values.max_connections),
            max_connections_per_address: size(values.max_connections_per_address),
            tls,
            trusted_proxies: TrustedProxies::new(values.trusted_proxies.clone()),
            alerts: AlertsConfig::default(),
            data_dir: values.data_dir.clone(),
            history_store: values
                .data_dir
                .as_deref()
                .filter(|_| !values.history_memory_only)
                .map(|dir| HistoryStore::from_values(dir, values)),
        }
    }
}

impl Default for Config {
    /// Every setting's declared default.
    fn default() -> Self {
        Self::from_values(&Values::default(), None, None)
    }
}

/// Shortest token accepted: 128 bits as hex, so guessing stays hopeless even
/// though the right token passes an address slowed for wrong ones.
pub(crate) const MIN_TOKEN_LEN: usize = 32;

/// Checks a token read from `origin` (named in the error) and wraps it.
pub(crate) fn parse_token(text: &str, origin: &str) -> Result<Secret, ConfigError> {
    let token = text.trim();
    if token.len() < MIN_TOKEN_LEN || token.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(ConfigError::Token {
            origin: origin.to_owned(),
            problem: format!(
                "a token must be at least {MIN_TOKEN_LEN} characters with no spaces; make one \
                 with `openssl rand -hex 32`"
            ),
        });
    }
    Ok(Secret::new(token))
}

/// The settings in force, and where they were read from.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Where to listen.
    pub bind: SocketAddr,
    /// Everything else.
    pub config: Config,
    /// The config file read, if any.
    pub file: Option<PathBuf>,
    /// Every declared setting's value, for [`Settings::describe`].
    values: Values,
    /// `--check-config` outside systemd found no token where serving needs
    /// one: it may come from the credential only the service sees.
    token_unseen: bool,
}

impl Settings {
    /// One line with every setting in force, as `--check-config` prints it;
    /// the token is only said to be set, never shown.
    #[must_use]
    pub fn describe(&self) -> String {
        let file = self
            .file
            .as_ref()
            .map(|path| format!(" ({})", path.display()))
            .unwrap_or_default();
        let mut shown: Vec<String> = self
            .values
            .shown()
            .into_iter()
            .map(|(key, value)| format!("{key} = {value}"))
            .collect();
        shown.push(format!(
            "history = {}",
            self.config.history_store.as_ref().map_or_else(
                || "in memory only".to_owned(),
                |store| format!("on disk in {}", store.dir.display())
            )
        ));
        shown.push(format!(
            "token = {}",
            if self.config.token.is_some() {
                "set"
            } else {
                "none"
            }
        ));
        shown.push(format!(
            "tls = {}",
            self.config.tls.as_ref().map_or_else(
                || "off".to_owned(),
                |tls| format!(
                    "on (cert {}, key {})",
                    tls.cert_path.display(),
                    tls.key_path.display()
                )
            )
        ));
        let mut text = format!("configuration OK{file}: {}", shown.join(", "));
        if self.token_unseen {
            // Writing to a String cannot fail.
            let _ = write!(
                text,
                "\nnote: serving {} needs a token, and none is visible to this check: run by \
                 hand, it cannot see the systemd credential `token` (LoadCredential=) that \
                 only the service gets. Check as the service does with:\n  systemd-run \
                 --wait --pipe -p LoadCredential=token:/etc/hostpulse/token hostpulse-server \
                 --check-config",
                self.bind
            );
        }
        for line in self.config.alerts.describe() {
            text.push('\n');
            text.push_str(&line);
        }
        text
    }
}

impl Args {
    /// Resolves the settings from the file, `env` (the process environment, as
    /// name–value pairs) and these flags.
    pub fn resolve(
        &self,
        env: impl IntoIterator<Item = (String, String)>,
    ) -> Result<Settings, ConfigError> {
        let env_pairs: Vec<(String, String)> = env.into_iter().collect();
        let env = &env_pairs;
        let credentials_dir = env
            .iter()
            .find(|(name, _)| name == "CREDENTIALS_DIRECTORY")
            .map(|(_, dir)| PathBuf::from(dir));
        let env = env_layer(env.iter().cloned())?;
        let (file, file_path) = match self.config.clone().or_else(|| env.config.clone()) {
            Some(path) => (file_layer(&path)?, Some(path)),
            None if Path::new(DEFAULT_CONFIG_PATH).exists() => {
                let path = PathBuf::from(DEFAULT_CONFIG_PATH);
                (file_layer(&path)?, Some(path))
            }
            None => (Layer::default(), None),
        };
        let flags = &self.flags.0;
        let token = resolve_token(flags, &env, &file)?;
        let tls = resolve_tls([flags, &env.layer, &file], &env)?;
        let mut values = flags.clone().over(env.layer).over(file).or_defaults();
        // None at all (no HOME either): the history stays in memory, which
        // the start's log line and --check-config say.
        if values.data_dir.is_none() {
            values.data_dir = default_data_dir(&env_pairs);
        }
        let token_unseen =
            token.is_none() && !values.bind.ip().is_loopback() && !values.insecure_no_auth;
        // A check run by hand has no $CREDENTIALS_DIRECTORY: the token the
        // service gets by LoadCredential= is out of its sight, not missing.
        if token_unseen && !(self.check_config && credentials_dir.is_none()) {
            return Err(ConfigError::Insecure { bind: values.bind });
        }
        let alerts = match &file_path {
            Some(path) => {
                let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
                    path: path.clone(),
                    source,
                })?;
                AlertsConfig::parse(path, &text, credentials_dir.as_deref())?
            }
            None => AlertsConfig::default(),
        };
        Ok(Settings {
            bind: values.bind,
            config: Config {
                alerts,
                ..Config::from_values(&values, token, tls)
            },
            file: file_path,
            values,
            token_unseen,
        })
    }
}

/// The token of the latest layer that names one: a file from the flags, the
/// inline `HOSTPULSE_TOKEN` or a file from the environment, the systemd
/// credential, or the config file's `token_file`. Only the winner's file is
/// read, so a stale setting that loses cannot stop the server.
fn resolve_token(
    flags: &Layer,
    env: &EnvLayer,
    file: &Layer,
) -> Result<Option<Secret>, ConfigError> {
    if let Some(Some(path)) = &flags.token_file {
        return read_token(path, "--token-file").map(Some);
    }
    if let Some(token) = &env.token {
        return Ok(Some(token.clone()));
    }
    if let Some(Some(path)) = &env.layer.token_file {
        return read_token(path, "HOSTPULSE_TOKEN_FILE").map(Some);
    }
    if let Some(path) = &env.credentials.token {
        return read_token(path, "the systemd credential `token`").map(Some);
    }
    if let Some(Some(path)) = &file.token_file {
        return read_token(path, "token_file").map(Some);
    }
    Ok(None)
}

/// The certificate and key, as a pair from the latest layer with either; the
/// systemd credentials count as part of the environment's layer.
fn resolve_tls(layers: [&Layer; 3], env: &EnvLayer) -> Result<Option<Tls>, ConfigError> {
    let pair = |layer: &Layer| {
        (
            layer.tls_cert.clone().flatten(),
            layer.tls_key.clone().flatten(),
        )
    };
    let credentials = (
        env.credentials.tls_cert.clone(),
        env.credentials.tls_key.clone(),
    );
    let [flags, env_layer, file] = layers.map(pair);
    let chosen = [flags, env_layer, credentials, file]
        .into_iter()
        .find(|(cert, key)| cert.is_some() || key.is_some());
    match chosen {
        None => Ok(None),
        Some((Some(cert), Some(key))) => Ok(Some(Tls::load(&cert, &key)?)),
        Some((Some(_), None)) => Err(ConfigError::TlsHalf {
            given: "certificate",
        }),
        Some((None, _)) => Err(ConfigError::TlsHalf { given: "key" }),
    }
}

/// Reads a token file named by `origin`.
fn read_token(path: &Path, origin: &str) -> Result<Secret, ConfigError> {
    let origin = format!("{origin} {}", path.display());
    let text = std::fs::read_to_string(path).map_err(|error| ConfigError::Token {
        origin: origin.clone(),
        problem: format!("cannot read it: {error}"),
    })?;
    parse_token(&text, &origin)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    fn write(dir: &tempfile::TempDir, text: &str) -> PathBuf {
        let path = dir.path().join("server.toml");
        std::fs::write(&path, text).unwrap();
        path
    }

    fn args(flags: &[&str]) -> Args {
        Args::try_parse_from(std::iter::once("hostpulse-server").chain(flags.iter().copied()))
            .unwrap()
    }

    #[test]
    fn tls_comes_as_a_pair_from_one_layer_or_the_credentials() {
        let dir = tempfile::tempdir().unwrap();
        let made = crate::service::certs::SelfSigned::generate(&["localhost".into()]).unwrap();
        let [_, cert, key] = made.write_to(&dir.path().join("pki")).unwrap();
        let (cert, key) = (cert.to_str().unwrap(), key.to_str().unwrap());
        let tls = |flags: &[&str], vars: &[(&str, &str)]| {
            let mut all = flags.to_vec();
            if !flags.contains(&"--config") {
                all.extend(["--config", "/dev/null"]);
            }
            args(&all)
                .resolve(env(vars))
                .map(|s| s.config.tls.map(|t| t.cert_path))
                .map_err(|e| e.to_string())
        };
        assert_eq!(tls(&[], &[]), Ok(None));
        let from_env = tls(
            &[],
            &[("HOSTPULSE_TLS_CERT", cert), ("HOSTPULSE_TLS_KEY", key)],
        );
        assert_eq!(from_env, Ok(Some(PathBuf::from(cert))));
        let from_flags = tls(&["--tls-cert", cert, "--tls-key", key], &[]);
        assert_eq!(from_flags, Ok(Some(PathBuf::from(cert))));
        // systemd's LoadCredential=tls-cert:… and tls-key:….
        let credentials = tempfile::tempdir().unwrap();
        std::fs::copy(cert, credentials.path().join("tls-cert")).unwrap();
        std::fs::copy(key, credentials.path().join("tls-key")).unwrap();
        let from_credentials = tls(
            &[],
            &[(
                "CREDENTIALS_DIRECTORY",
                credentials.path().to_str().unwrap(),
            )],
        );
        assert_eq!(
            from_credentials,
            Ok(Some(credentials.path().join("tls-cert")))
        );

        let half = tls(&[], &[("HOSTPULSE_TLS_CERT", cert)]).unwrap_err();
        assert!(half.contains("only the certificate is set"), "{half}");
        let file = write(&dir, &format!("tls_key = {key:?}\n"));
        let half = tls(&["--config", file.to_str().unwrap()], &[]).unwrap_err();
        assert!(half.contains("only the key is set"), "{half}");
        let swapped = tls(
            &[],
            &[("HOSTPULSE_TLS_CERT", key), ("HOSTPULSE_TLS_KEY", cert)],
        )
        .unwrap_err();
        assert!(swapped.contains("TLS certificate"), "{swapped}");
    }

    #[test]
    fn defaults_listen_on_loopback_every_second() {
        let settings = Args {
            config: Some(PathBuf::from("/dev/null")),
            ..Args::default()
        }
        .resolve(env(&[]))
        .unwrap();
        assert_eq!(settings.bind, "127.0.0.1:9470".parse().unwrap());
        assert_eq!(settings.config.interval, Duration::from_secs(1));
        assert_eq!(settings.config.history_capacity, 3600);
    }

    #[test]
    fn flags_beat_environment_beats_file_beats_defaults() {
        let dir = tempfile::tempdir().unwrap();
        let path = write(
            &dir,
            "bind = \"0.0.0.0:1111\"\ninsecure_no_auth = true\ninterval_ms = 2000\nhistory = 10\nworkers = 3\n",
        );
        let path = path.to_str().unwrap();

        let file_only = args(&["--config", path]).resolve(env(&[])).unwrap();
        assert_eq!(file_only.bind, "0.0.0.0:1111".parse().unwrap());
        assert_eq!(file_only.config.workers, 3);

        let with_env = args(&["--config", path])
            .resolve(env(&[
                ("HOSTPULSE_INTERVAL_MS", "500"),
                ("HOSTPULSE_HISTORY", "20"),
            ]))
            .unwrap();
        assert_eq!(with_env.config.interval, Duration::from_millis(500));
        assert_eq!(with_env.config.history_capacity, 20);
        assert_eq!(with_env.config.workers, 3, "the file still counts");

        let with_flags = args(&[
            "--config",
            path,
            "--interval-ms",
            "250",
            "--bind",
            "[::1]:2222",
        ])
        .resolve(env(&[
            ("HOSTPULSE_INTERVAL_MS", "500"),
            ("HOSTPULSE_BIND", "127.0.0.1:3333"),
        ]))
        .unwrap();
        assert_eq!(with_flags.config.interval, Duration::from_millis(250));
        assert_eq!(with_flags.bind, "[::1]:2222".parse().unwrap());
        assert_eq!(with_flags.config.history_capacity, 10);
    }

    #[test]
    fn the_config_file_can_come_from_the_environment() {
        let dir = tempfile::tempdir().unwrap();
        let path = write(&dir, "workers = 5\n");
        let settings = args(&[])
            .resolve(env(&[("HOSTPULSE_CONFIG", path.to_str().unwrap())]))
            .unwrap();
        assert_eq!(settings.config.workers, 5);
        assert_eq!(settings.file, Some(path));
    }

    #[test]
    fn file_errors_name_the_file_the_line_and_the_key() {
        let dir = tempfile::tempdir().unwrap();
        let check = |text: &str| {
            let path = write(&dir, text);
            args(&["--config", path.to_str().unwrap()])
                .resolve(env(&[]))
                .unwrap_err()
                .to_string()
        };
        let unknown = check("bind = \"0.0.0.0:9470\"\nintervall_ms = 5\n");
        assert!(unknown.contains("server.toml"), "{unknown}");
        assert!(unknown.contains("line 2"), "{unknown}");
        assert!(unknown.contains("intervall_ms"), "{unknown}");

        let range = check("# comment\n\ninterval_ms = 50\n");
        assert!(range.contains("line 3"), "{range}");
        assert!(range.contains("`interval_ms`"), "{range}");
        assert!(range.contains("100 to 3600000"), "{range}");

        let wrong_type = check("workers = \"two\"\n");
        assert!(
            wrong_type.contains("line 1") && wrong_type.contains("workers"),
            "{wrong_type}"
        );

        let bad_bind = check("bind = \"localhost\"\n");
        assert!(
            bad_bind.contains("`bind`") && bad_bind.contains("0.0.0.0:9470"),
            "{bad_bind}"
        );

        let syntax = check("bind = \n");
        assert!(syntax.contains("line 1"), "{syntax}");
    }

    #[test]
    fn a_missing_explicit_file_is_an_error() {
        let error = args(&["--config", "/nonexistent/server.toml"])
            .resolve(env(&[]))
            .unwrap_err()
            .to_string();
        assert!(
            error.contains("cannot read /nonexistent/server.toml"),
            "{error}"
        );
    }

    #[test]
    fn environment_errors_name_the_variable() {
        let error = args(&["--config", "/dev/null"])
            .resolve(env(&[("HOSTPULSE_WORKERS", "0")]))
            .unwrap_err()
            .to_string();
        assert!(error.contains("HOSTPULSE_WORKERS=\"0\""), "{error}");
        let error = args(&["--config", "/dev/null"])
            .resolve(env(&[("HOSTPULSE_INTERVAL", "5")]))
            .unwrap_err()
            .to_string();
        assert!(
            error.contains("unknown environment variable HOSTPULSE_INTERVAL"),
            "{error}"
        );
    }

    #[test]
    fn bad_flags_are_refused_with_the_flag_named() {
        let too_fast =
            Args::try_parse_from(["hostpulse-server", "--interval-ms", "50"]).unwrap_err();
        assert!(too_fast.to_string().contains("--interval-ms"), "{too_fast}");
        let bad_bind =
            Args::try_parse_from(["hostpulse-server", "--bind", "localhost"]).unwrap_err();
        assert!(bad_bind.to_string().contains("--bind"), "{bad_bind}");
    }

    #[test]
    fn a_public_address_needs_a_token_or_an_explicit_opt_out() {
        let error = args(&["--config", "/dev/null", "--bind", "0.0.0.0:9470"])
            .resolve(env(&[]))
            .unwrap_err()
            .to_string();
        assert!(
            error.contains("refusing to serve 0.0.0.0:9470 without a token"),
            "{error}"
        );
        let open = args(&[
            "--config",
            "/dev/null",
            "--bind",
            "0.0.0.0:9470",
            "--insecure-no-auth",
        ])
        .resolve(env(&[]))
        .unwrap();
        assert_eq!(open.config.token, None);
        let with_token = args(&["--config", "/dev/null", "--bind", "0.0.0.0:9470"])
            .resolve(env(&[(
                "HOSTPULSE_TOKEN",
                "0123456789abcdef0123456789abcdef",
            )]))
            .unwrap();
        assert_eq!(
            with_token.config.token.as_ref().map(Secret::expose),
            Some("0123456789abcdef0123456789abcdef")
        );
        assert!(
            !format!("{with_token:?}").contains("0123456789abcdef"),
            "never printed"
        );
    }

    #[test]
    fn tokens_come_from_files_credentials_and_the_environment() {
        let dir = tempfile::tempdir().unwrap();
        let token_path = dir.path().join("token");
        std::fs::write(&token_path, "from-a-file-0123456789abcdef-01234\n").unwrap();
        let credentials = tempfile::tempdir().unwrap();
        std::fs::write(
            credentials.path().join("token"),
            "from-a-credential-0123456789abcdef",
        )
        .unwrap();
        let config = write(
            &dir,
            &format!("token_file = {:?}\n", token_path.to_str().unwrap()),
        );
        let config = config.to_str().unwrap();
        let token = |flags: &[&str], vars: &[(&str, &str)]| {
            args(flags)
                .resolve(env(vars))
                .unwrap()
                .config
                .token
                .map(|t| t.expose().to_owned())
        };
        assert_eq!(
            token(&["--config", config], &[]).as_deref(),
            Some("from-a-file-0123456789abcdef-01234")
        );
        let credential = [(
            "CREDENTIALS_DIRECTORY",
            credentials.path().to_str().unwrap(),
        )];
        assert_eq!(
            token(&["--config", config], &credential).as_deref(),
            Some("from-a-credential-0123456789abcdef"),
            "the environment beats the file"
        );
        let weak = args(&["--config", "/dev/null"])
            .resolve(env(&[("HOSTPULSE_TOKEN", "short")]))
            .unwrap_err()
            .to_string();
        assert!(
            weak.contains("HOSTPULSE_TOKEN") && weak.contains("openssl rand"),
            "{weak}"
        );
        // 31 characters (the old minimum was 16) are refused too, saying the rule.
        let weak = args(&["--config", "/dev/null"])
            .resolve(env(&[(
                "HOSTPULSE_TOKEN",
                "0123456789abcdef0123456789abcde",
            )]))
            .unwrap_err()
            .to_string();
        assert!(
            weak.contains("at least 32 characters") && weak.contains("openssl rand -hex 32"),
            "{weak}"
        );
        let missing = args(&[
            "--config",
            "/dev/null",
            "--token-file",
            "/nonexistent/token",
        ])
        .resolve(env(&[]))
        .unwrap_err()
        .to_string();
        assert!(
            missing.contains("--token-file /nonexistent/token"),
            "{missing}"
        );
    }

    #[test]
    fn origins_and_client_caps_come_from_every_layer() {
        let dir = tempfile::tempdir().unwrap();
        let path = write(
            &dir,
            "allowed_origins = [\"https://Dash.example.com\"]\nmax_clients = 50\n",
        );
        let path = path.to_str().unwrap();
        let settings = args(&["--config", path]).resolve(env(&[])).unwrap();
        assert_eq!(
            settings.config.allowed_origins.to_string(),
            "[https://dash.example.com:443]"
        );
        assert_eq!(settings.config.max_clients, 50);
        let settings = args(&["--config", path, "--allow-origin", "http://localhost:8080"])
            .resolve(env(&[(
                "HOSTPULSE_ALLOWED_ORIGINS",
                "https://a.example,https://b.example",
            )]))
            .unwrap();
        assert_eq!(
            settings.config.allowed_origins.to_string(),
            "[http://localhost:8080]"
        );

        let bad = write(&dir, "\nallowed_origins = [\"dash.example.com/path\"]\n");
        let error = args(&["--config", bad.to_str().unwrap()])
            .resolve(env(&[]))
            .unwrap_err()
            .to_string();
        assert!(
            error.contains("line 2") && error.contains("allowed_origins"),
            "{error}"
        );
        assert!(error.contains("https://dash.example.com"), "{error}");
    }

    #[test]
    fn trusted_proxies_come_from_every_layer_and_bad_entries_are_named() {
        let dir = tempfile::tempdir().unwrap();
        let path = write(
            &dir,
            "trusted_proxies = [\n  \"127.0.0.1\",\n  \"10.0.0.0/8\",\n]\n",
        );
        let path = path.to_str().unwrap();
        let proxies = |flags: &[&str], vars: &[(&str, &str)]| {
            let mut all = vec!["--config", path];
            all.extend_from_slice(flags);
            args(&all)
                .resolve(env(vars))
                .unwrap()
                .config
                .trusted_proxies
                .to_string()
        };
        assert_eq!(proxies(&[], &[]), "[127.0.0.1, 10.0.0.0/8]");
        let from_env = [("HOSTPULSE_TRUSTED_PROXIES", "192.0.2.1, fd00::/8")];
        assert_eq!(proxies(&[], &from_env), "[192.0.2.1, fd00::/8]");
        assert_eq!(
            proxies(
                &["--trusted-proxy", "::1", "--trusted-proxy", "192.0.2.0/24"],
                &from_env
            ),
            "[::1, 192.0.2.0/24]"
        );
        assert_eq!(
            proxies(&[], &[("HOSTPULSE_TRUSTED_PROXIES", "")]),
            "[]",
            "an empty variable trusts no one"
        );
        let defaults = args(&["--config", "/dev/null"]).resolve(env(&[])).unwrap();
        assert!(
            defaults.config.trusted_proxies.is_empty(),
            "no one by default"
        );

        let bad = write(
            &dir,
            "trusted_proxies = [\n  \"127.0.0.1\",\n  \"10.0.0.1/8\",\n]\n",
        );
        let error = args(&["--config", bad.to_str().unwrap()])
            .resolve(env(&[]))
            .unwrap_err()
            .to_string();
        assert!(
            error.contains("line 3") && error.contains("`trusted_proxies`"),
            "{error}"
        );
        assert!(
            error.contains("\"10.0.0.1/8\" has host bits set"),
            "{error}"
        );
        let error = args(&["--config", "/dev/null"])
            .resolve(env(&[("HOSTPULSE_TRUSTED_PROXIES", "127.0.0.1,proxy.lan")]))
            .unwrap_err()
            .to_string();
        assert!(
            error.contains("HOSTPULSE_TRUSTED_PROXIES") && error.contains("\"proxy.lan\" is not"),
            "{error}"
        );
        let error = Args::try_parse_from(["hostpulse-server", "--trusted-proxy", "10.0.0.256"])
            .unwrap_err();
        assert!(
            error.to_string().contains("--trusted-proxy")
                && error.to_string().contains("\"10.0.0.256\" is not"),
            "{error}"
        );
    }

    #[test]
    fn the_documented_example_config_parses() {
        let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../assets/server.toml");
        let settings = args(&["--config", path.to_str().unwrap()])
            .resolve(env(&[]))
            .unwrap();
        assert_eq!(settings.config.interval, Duration::from_secs(1));
    }
}
