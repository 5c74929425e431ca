//! Where the server's settings come from, checked in one place: built-in
//! defaults, then the TOML file (`/etc/hostpulse/server.toml` or `--config`),
//! then `HOSTPULSE_*` environment variables, then command-line flags — each
//! layer overriding the one before. A mistake anywhere is refused at start with
//! where it is (file and line, variable, or flag) and what is expected.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use clap::Parser;
use ipnet::IpNet;
use serde::Deserialize;
use toml::Spanned;

use crate::http::proxy::TrustedProxies;
use hostpulse_shared::Secret;
use crate::service::tls::{Tls, TlsError};

/// The file read when `--config` is not given (and skipped if absent).
pub const DEFAULT_CONFIG_PATH: &str = "/etc/hostpulse/server.toml";

/// `hostpulse-server`: samples this host and streams the samples to viewers.
///
/// Settings come from the config file, then `HOSTPULSE_*` environment variables,
/// then these flags; later ones win.
#[derive(Debug, Default, Parser)]
#[command(name = "hostpulse-server", version, about, long_about = None)]
pub struct Args {
    /// Config file (TOML) [default: /etc/hostpulse/server.toml, if present;
    /// env: `HOSTPULSE_CONFIG`].
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// Check the configuration, print the settings in force, and exit.
    #[arg(long)]
    pub check_config: bool,

    /// Make a private CA and a server certificate signed by it in DIR
    /// (`ca.pem`, `cert.pem`, `key.pem`) for a self-signed TLS setup, and exit.
    #[arg(long, value_name = "DIR")]
    pub make_certs: Option<PathBuf>,

    /// A name (DNS name or IP address) viewers dial, for --make-certs (repeat
    /// for several) [default: this host's name, localhost, 127.0.0.1, `::1`].
    #[arg(long = "cert-name", value_name = "NAME", requires = "make_certs")]
    pub cert_names: Vec<String>,

    /// Address and port to listen on [default: 127.0.0.1:9470]. Use
    /// 0.0.0.0:9470 or [::]:9470 to let other hosts connect.
    #[arg(long, value_name = "ADDR:PORT")]
    pub bind: Option<SocketAddr>,

    /// Time between samples, in milliseconds [default: 1000; at least 100].
    #[arg(long, value_name = "MS", value_parser = clap::value_parser!(u64).range(100..=3_600_000))]
    pub interval_ms: Option<u64>,

    /// Samples kept for viewers that connect or reconnect [default: 3600, an
    /// hour at the default interval].
    #[arg(long, value_name = "SAMPLES", value_parser = clap::value_parser!(u64).range(1..=1_000_000))]
    pub history: Option<u64>,

    /// HTTP worker threads [default: 1; one serves thousands of viewers].
    #[arg(long, value_name = "THREADS", value_parser = clap::value_parser!(u64).range(1..=64))]
    pub workers: Option<u64>,

    /// File holding the bearer token viewers must present (also: `token_file`
    /// in the config, `HOSTPULSE_TOKEN_FILE`, `HOSTPULSE_TOKEN`, or the systemd
    /// credential `token`). Never pass the token itself on the command line.
    #[arg(long, value_name = "FILE")]
    pub token_file: Option<PathBuf>,

    /// Serve a non-loopback address without a token. Anyone who can reach the
    /// port can then read this host's metrics.
    #[arg(long)]
    pub insecure_no_auth: bool,

    /// Serve /metrics without a token even when one is set, for a Prometheus
    /// that cannot send one.
    #[arg(long)]
    pub open_metrics: bool,

    /// A web page origin allowed to open the stream, e.g.
    /// `https://dash.example.com` (repeat for several). Native viewers send
    /// no origin and need none.
    #[arg(long = "allow-origin", value_name = "ORIGIN")]
    pub allowed_origins: Vec<String>,

    /// Most viewers connected at once; more get 503 [default: 16384].
    #[arg(long, value_name = "COUNT", value_parser = clap::value_parser!(u64).range(1..=1_000_000))]
    pub max_clients: Option<u64>,

    /// Serve `wss://` and `https://` with this PEM certificate chain (also:
    /// `tls_cert`, `HOSTPULSE_TLS_CERT`, the systemd credential `tls-cert`).
    /// Needs --tls-key.
    #[arg(long, value_name = "FILE", requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,

    /// The PEM private key of --tls-cert (also: `tls_key`, `HOSTPULSE_TLS_KEY`,
    /// the systemd credential `tls-key`).
    #[arg(long, value_name = "FILE", requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,

    /// A reverse proxy whose `X-Forwarded-For` header is believed: an address
    /// or network, e.g. `127.0.0.1` or `10.0.0.0/8` (repeat for several). The
    /// header is ignored from anyone else [default: none].
    #[arg(long = "trusted-proxy", value_name = "ADDR|CIDR", value_parser = crate::http::proxy::parse_entry)]
    pub trusted_proxies: Vec<IpNet>,
}

/// Everything [`crate::run`] needs, already validated.
#[derive(Debug, Clone, PartialEq, Eq)]
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
    pub allowed_origins: Vec<String>,
    /// Most viewers connected at once.
    pub max_clients: usize,
    /// Certificate and key for `wss://` and `https://`; `None` serves plain text.
    pub tls: Option<Tls>,
    /// Reverse proxies whose `X-Forwarded-For` names the client.
    pub trusted_proxies: TrustedProxies,
}

/// Shortest token accepted: shorter ones can be guessed.
pub(crate) const MIN_TOKEN_LEN: usize = 16;

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

impl Default for Config {
    fn default() -> Self {
        Self {
            interval: Duration::from_secs(1),
            history_capacity: 3600,
            workers: 1,
            notify_systemd: false,
            token: None,
            metrics_need_token: true,
            allowed_origins: Vec::new(),
            max_clients: 16_384,
            tls: None,
            trusted_proxies: TrustedProxies::default(),
        }
    }
}

/// The settings in force, and where they were read from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    /// Where to listen.
    pub bind: SocketAddr,
    /// Everything else.
    pub config: Config,
    /// The config file read, if any.
    pub file: Option<PathBuf>,
}

/// A setting that cannot be used, and where it came from.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The config file could not be read.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// What the OS said.
        source: std::io::Error,
    },
    /// The config file is not valid TOML, or has an unknown key or a value of the
    /// wrong type (the parser's message names the line and the key).
    #[error("{path}: {message}")]
    Parse {
        /// The file.
        path: PathBuf,
        /// The parser's message.
        message: String,
    },
    /// A key of the config file has a value out of range.
    #[error("{path}, line {line}: `{key}`: {problem}")]
    FileValue {
        /// The file.
        path: PathBuf,
        /// The line of the value, from 1.
        line: usize,
        /// The key.
        key: &'static str,
        /// What is expected.
        problem: String,
    },
    /// An environment variable has a bad value.
    #[error("environment variable {name}={value:?}: {problem}")]
    EnvValue {
        /// The variable.
        name: String,
        /// Its value.
        value: String,
        /// What is expected.
        problem: String,
    },
    /// A token could not be read or is too weak.
    #[error("token from {origin}: {problem}")]
    Token {
        /// Where it was read from.
        origin: String,
        /// What is wrong.
        problem: String,
    },
    /// A command-line flag has a bad value (clap checks most flags itself).
    #[error("{flag}: {problem}")]
    Flag {
        /// The flag.
        flag: &'static str,
        /// What is expected.
        problem: String,
    },
    /// A non-loopback address without a token.
    #[error(
        "refusing to serve {bind} without a token: anyone who reaches it could read this \
         host's metrics. Set token_file (or --token-file, HOSTPULSE_TOKEN_FILE, the systemd \
         credential `token`), bind to 127.0.0.1, or pass --insecure-no-auth if the network \
         is trusted"
    )]
    Insecure {
        /// The address asked for.
        bind: SocketAddr,
    },
    /// Only one of the certificate and the key was given.
    #[error(
        "TLS needs both a certificate and a key, but only the {given} is set: set tls_cert and \
         tls_key (or --tls-cert and --tls-key, HOSTPULSE_TLS_CERT and HOSTPULSE_TLS_KEY)"
    )]
    TlsHalf {
        /// The one that was given.
        given: &'static str,
    },
    /// The certificate or key cannot be used.
    #[error(transparent)]
    Tls(#[from] TlsError),
    /// An environment variable that looks like ours but is not one.
    #[error("unknown environment variable {name}: known ones are {}", ENV_NAMES.join(", "))]
    UnknownEnv {
        /// The variable.
        name: String,
    },
}

/// The environment variables the server reads.
pub const ENV_NAMES: [&str; 12] = [
    "HOSTPULSE_ALLOWED_ORIGINS",
    "HOSTPULSE_MAX_CLIENTS",
    "HOSTPULSE_CONFIG",
    "HOSTPULSE_BIND",
    "HOSTPULSE_INTERVAL_MS",
    "HOSTPULSE_HISTORY",
    "HOSTPULSE_WORKERS",
    "HOSTPULSE_TOKEN",
    "HOSTPULSE_TOKEN_FILE",
    "HOSTPULSE_TLS_CERT",
    "HOSTPULSE_TLS_KEY",
    "HOSTPULSE_TRUSTED_PROXIES",
];

/// One setting from any layer, before validation.
#[derive(Debug, Default)]
struct Layer {
    bind: Option<SocketAddr>,
    interval_ms: Option<u64>,
    history: Option<u64>,
    workers: Option<u64>,
    token: Option<TokenSource>,
    insecure_no_auth: Option<bool>,
    open_metrics: Option<bool>,
    allowed_origins: Option<Vec<String>>,
    max_clients: Option<u64>,
    tls_cert: Option<PathBuf>,
    tls_key: Option<PathBuf>,
    trusted_proxies: Option<TrustedProxies>,
}

/// Where a layer's token comes from. Files are read only for the layer that
/// wins, so a stale setting that loses cannot stop the server.
#[derive(Debug, Clone)]
enum TokenSource {
    /// Given directly (`HOSTPULSE_TOKEN`).
    Inline(Secret),
    /// A file, and how to name the setting in an error.
    File { path: PathBuf, origin: String },
}

impl TokenSource {
    fn read(self) -> Result<Secret, ConfigError> {
        match self {
            Self::Inline(secret) => Ok(secret),
            Self::File { path, origin } => read_token(&path, &origin),
        }
    }
}

/// The keys a config file may hold; anything else is refused.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    bind: Option<Spanned<String>>,
    interval_ms: Option<Spanned<u64>>,
    history: Option<Spanned<u64>>,
    workers: Option<Spanned<u64>>,
    token_file: Option<Spanned<PathBuf>>,
    insecure_no_auth: Option<bool>,
    open_metrics: Option<bool>,
    allowed_origins: Option<Spanned<Vec<String>>>,
    max_clients: Option<Spanned<u64>>,
    tls_cert: Option<PathBuf>,
    tls_key: Option<PathBuf>,
    trusted_proxies: Option<Vec<Spanned<String>>>,
}

/// Valid ranges, shared by every layer.
const INTERVAL_MS: std::ops::RangeInclusive<u64> = 100..=3_600_000;
const HISTORY: std::ops::RangeInclusive<u64> = 1..=1_000_000;
const WORKERS: std::ops::RangeInclusive<u64> = 1..=64;
const MAX_CLIENTS: std::ops::RangeInclusive<u64> = 1..=1_000_000;

/// An origin as browsers send it: `scheme://host[:port]`, lower case, no path.
fn check_origin(value: &str) -> Result<String, String> {
    let origin = value.trim().to_ascii_lowercase();
    let rest = origin
        .strip_prefix("https://")
        .or_else(|| origin.strip_prefix("http://"));
    match rest {
        Some(host) if !host.is_empty() && !host.contains('/') => Ok(origin),
        _ => Err(format!(
            "{value:?} is not an origin: write it as a browser sends it, e.g. \"https://dash.example.com\""
        )),
    }
}

fn check_origins<'a>(values: impl IntoIterator<Item = &'a str>) -> Result<Vec<String>, String> {
    values.into_iter().map(check_origin).collect()
}

fn check_range(value: u64, range: &std::ops::RangeInclusive<u64>) -> Result<u64, String> {
    if range.contains(&value) {
        Ok(value)
    } else {
        Err(format!(
            "{value} is out of range: expected {} to {}",
            range.start(),
            range.end()
        ))
    }
}

fn check_bind(value: &str) -> Result<SocketAddr, String> {
    value.parse().map_err(|_| {
        format!("{value:?} is not an address and port, e.g. \"0.0.0.0:9470\" or \"[::1]:9470\"")
    })
}

impl Args {
    /// Resolves the settings from the file, `env` (the process environment, as
    /// name–value pairs) and these flags.
    pub fn resolve(
        &self,
        env: impl IntoIterator<Item = (String, String)>,
    ) -> Result<Settings, ConfigError> {
        let env = env_layer(env)?;
        let explicit_file = self.config.clone().or(env.1);
        let (file, file_path) = match explicit_file {
            Some(path) => (file_layer(&path)?, Some(path)),
            None if Path::new(DEFAULT_CONFIG_PATH).exists() => {
                let path = PathBuf::from(DEFAULT_CONFIG_PATH);
                (file_layer(&path)?, Some(path))
            }
            None => (Layer::default(), None),
        };
        let env = env.0;
        let flags = Layer {
            bind: self.bind,
            interval_ms: self.interval_ms,
            history: self.history,
            workers: self.workers,
            token: self.token_file.clone().map(|path| TokenSource::File {
                path,
                origin: "--token-file".into(),
            }),
            insecure_no_auth: self.insecure_no_auth.then_some(true),
            open_metrics: self.open_metrics.then_some(true),
            allowed_origins: if self.allowed_origins.is_empty() {
                None
            } else {
                Some(
                    check_origins(self.allowed_origins.iter().map(String::as_str)).map_err(
                        |problem| ConfigError::Flag {
                            flag: "--allow-origin",
                            problem,
                        },
                    )?,
                )
            },
            max_clients: self.max_clients,
            tls_cert: self.tls_cert.clone(),
            tls_key: self.tls_key.clone(),
            trusted_proxies: (!self.trusted_proxies.is_empty())
                .then(|| TrustedProxies::new(self.trusted_proxies.clone())),
        };
        // Later layers win; every value was validated where it was read.
        let pick = |f: fn(&Layer) -> Option<u64>, default: u64| {
            f(&flags).or(f(&env)).or(f(&file)).unwrap_or(default)
        };
        let bind = flags
            .bind
            .or(env.bind)
            .or(file.bind)
            .unwrap_or(SocketAddr::from((
                [127, 0, 0, 1],
                hostpulse_shared::DEFAULT_PORT,
            )));
        let flag =
            |f: fn(&Layer) -> Option<bool>| f(&flags).or(f(&env)).or(f(&file)).unwrap_or(false);
        let token = flags
            .token
            .clone()
            .or_else(|| env.token.clone())
            .or_else(|| file.token.clone())
            .map(TokenSource::read)
            .transpose()?;
        if token.is_none() && !bind.ip().is_loopback() && !flag(|l| l.insecure_no_auth) {
            return Err(ConfigError::Insecure { bind });
        }
        let tls = resolve_tls([&flags, &env, &file])?;
        let defaults = Config::default();
        Ok(Settings {
            bind,
            config: Config {
                interval: Duration::from_millis(pick(|l| l.interval_ms, 1000)),
                history_capacity: usize::try_from(pick(|l| l.history, 3600)).unwrap_or(usize::MAX),
                workers: usize::try_from(pick(|l| l.workers, 1)).unwrap_or(1),
                notify_systemd: defaults.notify_systemd,
                token,
                metrics_need_token: !flag(|l| l.open_metrics),
                allowed_origins: flags
                    .allowed_origins
                    .clone()
                    .or_else(|| env.allowed_origins.clone())
                    .or_else(|| file.allowed_origins.clone())
                    .unwrap_or_default(),
                max_clients: usize::try_from(pick(|l| l.max_clients, 16_384)).unwrap_or(usize::MAX),
                tls,
                trusted_proxies: flags
                    .trusted_proxies
                    .clone()
                    .or_else(|| env.trusted_proxies.clone())
                    .or_else(|| file.trusted_proxies.clone())
                    .unwrap_or_default(),
            },
            file: file_path,
        })
    }
}

/// The certificate and key, as a pair from the latest layer with either.
fn resolve_tls(layers: [&Layer; 3]) -> Result<Option<Tls>, ConfigError> {
    let chosen = layers
        .into_iter()
        .find(|l| l.tls_cert.is_some() || l.tls_key.is_some());
    match chosen.map(|l| (&l.tls_cert, &l.tls_key)) {
        None => Ok(None),
        Some((Some(cert), Some(key))) => Ok(Some(Tls::load(cert, key)?)),
        Some((Some(_), None)) => Err(ConfigError::TlsHalf {
            given: "certificate",
        }),
        Some((None, _)) => Err(ConfigError::TlsHalf { given: "key" }),
    }
}

/// Reads and checks the `HOSTPULSE_*` variables; also returns `HOSTPULSE_CONFIG`.
fn env_layer(
    env: impl IntoIterator<Item = (String, String)>,
) -> Result<(Layer, Option<PathBuf>), ConfigError> {
    let mut layer = Layer::default();
    let mut config = None;
    let mut token_file = None;
    let mut credential = None;
    let mut tls_credentials = (None, None);
    for (name, value) in env {
        if name == "CREDENTIALS_DIRECTORY" {
            // systemd's LoadCredential=token:… (and tls-cert:…, tls-key:…) put
            // the secrets here.
            let existing = |name: &str| Some(Path::new(&value).join(name)).filter(|p| p.exists());
            credential = existing("token");
            tls_credentials = (existing("tls-cert"), existing("tls-key"));
            continue;
        }
        if !name.starts_with("HOSTPULSE_") {
            continue;
        }
        let bad = |problem: String| ConfigError::EnvValue {
            name: name.clone(),
            value: value.clone(),
            problem,
        };
        let number = |range: &std::ops::RangeInclusive<u64>| {
            value
                .trim()
                .parse::<u64>()
                .map_err(|_| {
                    format!(
                        "expected a whole number from {} to {}",
                        range.start(),
                        range.end()
                    )
                })
                .and_then(|n| check_range(n, range))
                .map_err(bad)
        };
        match name.as_str() {
            "HOSTPULSE_CONFIG" => config = Some(PathBuf::from(&value)),
            "HOSTPULSE_BIND" => layer.bind = Some(check_bind(value.trim()).map_err(bad)?),
            "HOSTPULSE_INTERVAL_MS" => layer.interval_ms = Some(number(&INTERVAL_MS)?),
            "HOSTPULSE_HISTORY" => layer.history = Some(number(&HISTORY)?),
            "HOSTPULSE_WORKERS" => layer.workers = Some(number(&WORKERS)?),
            "HOSTPULSE_TOKEN" => {
                layer.token = Some(TokenSource::Inline(parse_token(
                    &value,
                    "HOSTPULSE_TOKEN",
                )?));
            }
            "HOSTPULSE_TOKEN_FILE" => token_file = Some(PathBuf::from(&value)),
            "HOSTPULSE_ALLOWED_ORIGINS" => {
                layer.allowed_origins = Some(
                    check_origins(value.split(',').filter(|o| !o.trim().is_empty()))
                        .map_err(bad)?,
                );
            }
            "HOSTPULSE_MAX_CLIENTS" => layer.max_clients = Some(number(&MAX_CLIENTS)?),
            "HOSTPULSE_TLS_CERT" => layer.tls_cert = Some(PathBuf::from(&value)),
            "HOSTPULSE_TLS_KEY" => layer.tls_key = Some(PathBuf::from(&value)),
            "HOSTPULSE_TRUSTED_PROXIES" => {
                layer.trusted_proxies = Some(
                    TrustedProxies::parse(value.split(',').filter(|e| !e.trim().is_empty()))
                        .map_err(bad)?,
                );
            }
            _ => return Err(ConfigError::UnknownEnv { name }),
        }
    }
    if layer.token.is_none() {
        layer.token = match (token_file, credential) {
            (Some(path), _) => Some(TokenSource::File {
                path,
                origin: "HOSTPULSE_TOKEN_FILE".into(),
            }),
            (None, Some(path)) => Some(TokenSource::File {
                path,
                origin: "the systemd credential `token`".into(),
            }),
            (None, None) => None,
        };
    }
    if layer.tls_cert.is_none() && layer.tls_key.is_none() {
        (layer.tls_cert, layer.tls_key) = tls_credentials;
    }
    Ok((layer, config))
}

/// Reads and checks the config file.
fn file_layer(path: &Path) -> Result<Layer, ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
        path: path.to_owned(),
        source,
    })?;
    parse_file(path, &text)
}

fn parse_file(path: &Path, text: &str) -> Result<Layer, ConfigError> {
    let file: FileConfig = toml::from_str(text).map_err(|error| ConfigError::Parse {
        path: path.to_owned(),
        message: error.to_string().trim_end().to_owned(),
    })?;
    let line_of =
        |span: std::ops::Range<usize>| text[..span.start.min(text.len())].lines().count().max(1);
    let bad =
        |key: &'static str, span: std::ops::Range<usize>, problem: String| ConfigError::FileValue {
            path: path.to_owned(),
            line: line_of(span),
            key,
            problem,
        };
    let number = |key: &'static str, value: Option<Spanned<u64>>, range| {
        value
            .map(|v| {
                let span = v.span();
                check_range(v.into_inner(), &range).map_err(|p| bad(key, span, p))
            })
            .transpose()
    };
    let bind = file
        .bind
        .map(|v| {
            let span = v.span();
            let value = v.into_inner();
            check_bind(&value).map_err(|p| bad("bind", span, p))
        })
        .transpose()?;
    let token = file.token_file.map(|v| {
        let line = line_of(v.span());
        TokenSource::File {
            origin: format!("token_file ({}, line {line})", path.display()),
            path: v.into_inner(),
        }
    });
    let allowed_origins = file
        .allowed_origins
        .map(|v| {
            let span = v.span();
            check_origins(v.get_ref().iter().map(String::as_str))
                .map_err(|p| bad("allowed_origins", span, p))
        })
        .transpose()?;
    // Each entry is checked on its own line, so the error points at it.
    let trusted_proxies = file
        .trusted_proxies
        .map(|entries| {
            entries
                .iter()
                .map(|entry| {
                    crate::http::proxy::parse_entry(entry.get_ref())
                        .map_err(|p| bad("trusted_proxies", entry.span(), p))
                })
                .collect::<Result<Vec<_>, _>>()
                .map(TrustedProxies::new)
        })
        .transpose()?;
    Ok(Layer {
        bind,
        interval_ms: number("interval_ms", file.interval_ms, INTERVAL_MS)?,
        history: number("history", file.history, HISTORY)?,
        workers: number("workers", file.workers, WORKERS)?,
        max_clients: number("max_clients", file.max_clients, MAX_CLIENTS)?,
        allowed_origins,
        token,
        insecure_no_auth: file.insecure_no_auth,
        open_metrics: file.open_metrics,
        tls_cert: file.tls_cert,
        tls_key: file.tls_key,
        trusted_proxies,
    })
}

/// Reads a token file named by `origin`.
fn read_token(path: &Path, origin: &str) -> Result<Secret, ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|error| ConfigError::Token {
        origin: format!("{origin} {}", path.display()),
        problem: format!("cannot read it: {error}"),
    })?;
    parse_token(&text, &format!("{origin} {}", path.display()))
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
            .resolve(env(&[("HOSTPULSE_TOKEN", "0123456789abcdef0123")]))
            .unwrap();
        assert_eq!(
            with_token.config.token.as_ref().map(Secret::expose),
            Some("0123456789abcdef0123")
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
        std::fs::write(&token_path, "from-a-file-0123456789\n").unwrap();
        let credentials = tempfile::tempdir().unwrap();
        std::fs::write(credentials.path().join("token"), "from-a-credential-0123").unwrap();
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
            Some("from-a-file-0123456789")
        );
        let credential = [(
            "CREDENTIALS_DIRECTORY",
            credentials.path().to_str().unwrap(),
        )];
        assert_eq!(
            token(&["--config", config], &credential).as_deref(),
            Some("from-a-credential-0123"),
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
            settings.config.allowed_origins,
            ["https://dash.example.com"]
        );
        assert_eq!(settings.config.max_clients, 50);
        let settings = args(&["--config", path, "--allow-origin", "http://localhost:8080"])
            .resolve(env(&[(
                "HOSTPULSE_ALLOWED_ORIGINS",
                "https://a.example,https://b.example",
            )]))
            .unwrap();
        assert_eq!(settings.config.allowed_origins, ["http://localhost:8080"]);

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
