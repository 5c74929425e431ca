//! The raw layers: what the config file and the environment say, each value
//! checked where it was read, so an error names the file and line or the
//! variable. The flags' layer comes from clap (see [`super::settings`]).

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use hostpulse_shared::Secret;
use toml::de::{DeTable, DeValue};

use super::ConfigError;
use super::settings::{Layer, SETTINGS};

/// The variables that are not settings of their own: the config file's path
/// and the token itself.
pub(crate) const ENV_CONFIG: &str = "HOSTPULSE_CONFIG";
pub(crate) const ENV_TOKEN: &str = "HOSTPULSE_TOKEN";

/// What a `HOSTPULSE_*` variable sets, as the man page tells it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EnvMeaning {
    /// The same as the flag with this id (a setting's file key, or `config`).
    Flag(&'static str),
    /// A meaning of its own, said in full.
    Own(&'static str),
}

/// Every `HOSTPULSE_*` variable the server reads, and what it sets.
pub fn env_meanings() -> impl Iterator<Item = (&'static str, EnvMeaning)> {
    SETTINGS
        .iter()
        .map(|setting| (setting.env, EnvMeaning::Flag(setting.key)))
        .chain([
            (ENV_CONFIG, EnvMeaning::Flag("config")),
            (
                ENV_TOKEN,
                EnvMeaning::Own(
                    "The bearer token itself, rather than a file holding it. A file is safer: \
                     token_file, --token-file, or the systemd credential `token`.",
                ),
            ),
        ])
}

/// Every `HOSTPULSE_*` variable the server reads.
pub fn env_names() -> impl Iterator<Item = &'static str> {
    env_meanings().map(|(name, _)| name)
}

/// What the environment says: the settings' variables, plus the config path,
/// an inline token, and the files systemd's `LoadCredential=` provides.
#[derive(Debug, Default)]
pub(crate) struct EnvLayer {
    pub layer: Layer,
    pub config: Option<PathBuf>,
    pub token: Option<Secret>,
    pub credentials: Credentials,
}

/// Files in `$CREDENTIALS_DIRECTORY` (systemd's `LoadCredential=token:…`,
/// `tls-cert:…`, `tls-key:…`), the last layer before the file.
#[derive(Debug, Default)]
pub(crate) struct Credentials {
    pub token: Option<PathBuf>,
    pub tls_cert: Option<PathBuf>,
    pub tls_key: Option<PathBuf>,
}

/// Reads and checks the `HOSTPULSE_*` variables of `env`; any other
/// `HOSTPULSE_*` name is refused, since it is most likely a typo.
pub(crate) fn env_layer(
    env: impl IntoIterator<Item = (String, String)>,
) -> Result<EnvLayer, ConfigError> {
    let mut read = EnvLayer::default();
    for (name, value) in env {
        if name == "CREDENTIALS_DIRECTORY" {
            let existing = |name: &str| Some(Path::new(&value).join(name)).filter(|p| p.exists());
            read.credentials = Credentials {
                token: existing("token"),
                tls_cert: existing("tls-cert"),
                tls_key: existing("tls-key"),
            };
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
        match name.as_str() {
            ENV_CONFIG => read.config = Some(PathBuf::from(&value)),
            ENV_TOKEN => read.token = Some(super::parse_token(&value, ENV_TOKEN)?),
            _ => match read.layer.read_env(&name, &value) {
                Some(result) => result.map_err(bad)?,
                None => return Err(ConfigError::UnknownEnv { name }),
            },
        }
    }
    Ok(read)
}

/// Reads and checks the config file.
pub(crate) fn file_layer(path: &Path) -> Result<Layer, ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
        path: path.to_owned(),
        source,
    })?;
    parse_file(path, &text)
}

/// Checks every key of a config file's text. Tables other than settings'
/// are read as dotted keys (`[history]` then `raw_days` is `history.raw_days`).
pub(crate) fn parse_file(path: &Path, text: &str) -> Result<Layer, ConfigError> {
    let parse_error = |message: String| ConfigError::Parse {
        path: path.to_owned(),
        message: message.trim_end().to_owned(),
    };
    let table: toml::Table = toml::from_str(text).map_err(|e| parse_error(e.to_string()))?;
    let spanned = DeTable::parse(text).map_err(|e| parse_error(e.to_string()))?;
    let mut lines = HashMap::new();
    line_of_each_value(text, spanned.get_ref(), "", &mut lines);
    let mut layer = Layer::default();
    read_table(
        &mut layer,
        &table,
        "",
        &|key: &str, index: Option<usize>| {
            let at = index.map_or_else(|| key.to_owned(), |i| format!("{key}[{i}]"));
            lines
                .get(&at)
                .or_else(|| lines.get(key))
                .copied()
                .unwrap_or(1)
        },
    )
    .map_err(|(key, line, problem)| ConfigError::FileValue {
        path: path.to_owned(),
        line,
        key,
        problem,
    })?;
    Ok(layer)
}

/// The top-level key that was the in-memory history's size and is now the
/// `[history]` table.
const LEGACY_HISTORY_KEY: &str = "history";

/// The top-level keys that belong to alerting, not to the settings.
const ALERTING_KEYS: [&str; 3] = ["alerts", "alert", "webhook"];

/// Where a file problem is: the key, its line, and what is wrong.
type FileProblem = (String, usize, String);

fn read_table(
    layer: &mut Layer,
    table: &toml::Table,
    prefix: &str,
    line: &dyn Fn(&str, Option<usize>) -> usize,
) -> Result<(), FileProblem> {
    for (name, value) in table {
        let key = if prefix.is_empty() {
            name.clone()
        } else {
            format!("{prefix}.{name}")
        };
        // Alerting's tables and switch are read by hostpulse-alerts, from
        // the same text (`Args::resolve`).
        if prefix.is_empty() && ALERTING_KEYS.contains(&name.as_str()) {
            continue;
        }
        // `history = N` is the in-memory history's spelling from before the
        // `[history]` table, still read as `history.memory_samples`.
        let setting = if prefix.is_empty() && name == LEGACY_HISTORY_KEY && value.is_integer() {
            format!("{LEGACY_HISTORY_KEY}.memory_samples")
        } else {
            key.clone()
        };
        match layer.read_key(&setting, value) {
            Some(Ok(())) => {}
            Some(Err((problem, index))) => return Err((setting, line(&key, index), problem)),
            None => {
                let toml::Value::Table(inner) = value else {
                    let known: Vec<&str> = SETTINGS.iter().map(|s| s.key).collect();
                    return Err((
                        key.clone(),
                        line(&key, None),
                        format!("unknown key: known keys are {}", known.join(", ")),
                    ));
                };
                read_table(layer, inner, &key, line)?;
            }
        }
    }
    Ok(())
}

/// The line (from 1) of every value in `table`, by dotted key, and of every
/// entry of a list as `key[i]`.
fn line_of_each_value(
    text: &str,
    table: &DeTable<'_>,
    prefix: &str,
    lines: &mut HashMap<String, usize>,
) {
    let line_at = |offset: usize| text[..offset.min(text.len())].lines().count().max(1);
    for (name, value) in table {
        let key = if prefix.is_empty() {
            name.get_ref().to_string()
        } else {
            format!("{prefix}.{}", name.get_ref())
        };
        lines.insert(key.clone(), line_at(value.span().start));
        match value.get_ref() {
            DeValue::Table(inner) => line_of_each_value(text, inner, &key, lines),
            DeValue::Array(entries) => {
                for (i, entry) in entries.iter().enumerate() {
                    lines.insert(format!("{key}[{i}]"), line_at(entry.span().start));
                }
            }
            _ => {}
        }
    }
}
