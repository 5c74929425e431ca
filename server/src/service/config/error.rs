//! Why a setting cannot be used, said with where it came from (file and
//! line, variable, or flag) and what is expected.

use std::net::SocketAddr;
use std::path::PathBuf;

use super::layers::env_names;
use crate::service::tls::TlsError;

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
        /// The key (dotted inside a table).
        key: String,
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
    /// An alert rule or webhook cannot be used (the message names the file
    /// and the line).
    #[error(transparent)]
    Alerts(#[from] hostpulse_alerts::ConfigError),
    /// An environment variable that looks like ours but is not one.
    #[error(
        "unknown environment variable {name}: known ones are {}",
        env_names().collect::<Vec<_>>().join(", ")
    )]
    UnknownEnv {
        /// The variable.
        name: String,
    },
}
