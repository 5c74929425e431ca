//! What kinds of value a setting can hold, and how each is read from a flag, an
//! environment variable and the config file — so every setting of one kind is
//! checked the same way, wherever it was written.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Arg, ArgAction, ArgMatches};
use ipnet::IpNet;

/// A kind of setting value: how to read it from text (a flag or a variable)
/// and from a TOML value, how to declare its flag, and how to show it.
pub(crate) trait Kind: Clone + Send + Sync + 'static {
    /// The checked value.
    type Value: Clone + std::fmt::Debug + Send + Sync + 'static;

    /// Reads a flag's or a variable's text.
    fn read_text(&self, text: &str) -> Result<Self::Value, String>;

    /// Reads a value of the config file. `Err((problem, Some(i)))` blames the
    /// list's entry `i`, so the error can name that entry's line.
    fn read_toml(&self, value: &toml::Value) -> Result<Self::Value, (String, Option<usize>)>;

    /// Declares the flag: how many values it takes and how they are checked.
    fn flag(&self, arg: Arg, value_name: &'static str) -> Arg {
        let kind = self.clone();
        arg.action(ArgAction::Set)
            .value_name(value_name)
            .value_parser(move |text: &str| kind.read_text(text))
    }

    /// The flag's value, when it was given.
    fn read_flag(&self, matches: &ArgMatches, id: &str) -> Option<Self::Value> {
        matches.get_one::<Self::Value>(id).cloned()
    }

    /// The value as `--check-config` and `--help` show it.
    fn show(value: &Self::Value) -> String;
}

/// A whole number from `MIN` to `MAX`.
#[derive(Debug, Clone, Default)]
pub(crate) struct Number<const MIN: u64, const MAX: u64>;

impl<const MIN: u64, const MAX: u64> Number<MIN, MAX> {
    fn check(value: u64) -> Result<u64, String> {
        if (MIN..=MAX).contains(&value) {
            Ok(value)
        } else {
            Err(format!("{value} is out of range: expected {MIN} to {MAX}"))
        }
    }
}

impl<const MIN: u64, const MAX: u64> Kind for Number<MIN, MAX> {
    type Value = u64;

    fn read_text(&self, text: &str) -> Result<u64, String> {
        let value = text
            .trim()
            .parse::<u64>()
            .map_err(|_| format!("expected a whole number from {MIN} to {MAX}"))?;
        Self::check(value)
    }

    fn read_toml(&self, value: &toml::Value) -> Result<u64, (String, Option<usize>)> {
        let number = value
            .as_integer()
            .and_then(|n| u64::try_from(n).ok())
            .ok_or_else(|| {
                format!(
                    "expected a whole number from {MIN} to {MAX}, found {}",
                    value.type_str()
                )
            });
        number.and_then(Self::check).map_err(|p| (p, None))
    }

    fn show(value: &u64) -> String {
        value.to_string()
    }
}

/// A setting that may be left unset (no default): `none` until a layer sets it.
#[derive(Debug, Clone, Default)]
pub(crate) struct Maybe<K>(pub K);

impl<K: Kind> Kind for Maybe<K> {
    type Value = Option<K::Value>;

    fn read_text(&self, text: &str) -> Result<Self::Value, String> {
        self.0.read_text(text).map(Some)
    }

    fn read_toml(&self, value: &toml::Value) -> Result<Self::Value, (String, Option<usize>)> {
        self.0.read_toml(value).map(Some)
    }

    fn show(value: &Self::Value) -> String {
        value.as_ref().map_or_else(|| "none".to_owned(), K::show)
    }
}

/// On or off. A flag turns it on; a variable and the file say `true` or `false`.
#[derive(Debug, Clone, Default)]
pub(crate) struct Switch;

impl Kind for Switch {
    type Value = bool;

    fn read_text(&self, text: &str) -> Result<bool, String> {
        match text.trim().to_ascii_lowercase().as_str() {
            "1" | "true" | "yes" | "on" => Ok(true),
            "0" | "false" | "no" | "off" => Ok(false),
            _ => Err("expected true or false".to_owned()),
        }
    }

    fn read_toml(&self, value: &toml::Value) -> Result<bool, (String, Option<usize>)> {
        value.as_bool().ok_or_else(|| {
            (
                format!("expected true or false, found {}", value.type_str()),
                None,
            )
        })
    }

    fn flag(&self, arg: Arg, _value_name: &'static str) -> Arg {
        arg.action(ArgAction::SetTrue)
    }

    fn read_flag(&self, matches: &ArgMatches, id: &str) -> Option<bool> {
        matches.get_flag(id).then_some(true)
    }

    fn show(value: &bool) -> String {
        value.to_string()
    }
}

/// An address and port to listen on.
#[derive(Debug, Clone, Default)]
pub(crate) struct Address;

impl Kind for Address {
    type Value = SocketAddr;

    fn read_text(&self, text: &str) -> Result<SocketAddr, String> {
        text.trim().parse().map_err(|_| {
            format!("{text:?} is not an address and port, e.g. \"0.0.0.0:9470\" or \"[::1]:9470\"")
        })
    }

    fn read_toml(&self, value: &toml::Value) -> Result<SocketAddr, (String, Option<usize>)> {
        string(value).and_then(|text| self.read_text(text).map_err(|p| (p, None)))
    }

    fn show(value: &SocketAddr) -> String {
        value.to_string()
    }
}

/// A file's path.
#[derive(Debug, Clone, Default)]
pub(crate) struct FilePath;

impl Kind for FilePath {
    type Value = PathBuf;

    fn read_text(&self, text: &str) -> Result<PathBuf, String> {
        if text.is_empty() {
            Err("expected a file's path".to_owned())
        } else {
            Ok(PathBuf::from(text))
        }
    }

    fn read_toml(&self, value: &toml::Value) -> Result<PathBuf, (String, Option<usize>)> {
        string(value).and_then(|text| self.read_text(text).map_err(|p| (p, None)))
    }

    fn show(value: &PathBuf) -> String {
        value.display().to_string()
    }
}

/// The state directory: a path, or (unset) the one systemd or the XDG base
/// directories give, which [`super::Args::resolve`] fills in.
#[derive(Debug, Clone, Default)]
pub(crate) struct StateDir;

impl Kind for StateDir {
    type Value = Option<PathBuf>;

    fn read_text(&self, text: &str) -> Result<Self::Value, String> {
        FilePath.read_text(text).map(Some)
    }

    fn read_toml(&self, value: &toml::Value) -> Result<Self::Value, (String, Option<usize>)> {
        FilePath.read_toml(value).map(Some)
    }

    fn show(value: &Self::Value) -> String {
        value.as_ref().map_or_else(
            || {
                "$STATE_DIRECTORY, else $XDG_STATE_HOME/hostpulse (~/.local/state/hostpulse)"
                    .to_owned()
            },
            FilePath::show,
        )
    }
}

/// A web page origin as browsers send it: `scheme://host[:port]`, parsed by
/// `url` so the default port and case do not matter.
#[derive(Debug, Clone, Default)]
pub(crate) struct Origin;

impl Kind for Origin {
    type Value = crate::stream::origin::Origin;

    fn read_text(&self, text: &str) -> Result<Self::Value, String> {
        crate::stream::origin::Origin::parse(text)
    }

    fn read_toml(&self, value: &toml::Value) -> Result<Self::Value, (String, Option<usize>)> {
        string(value).and_then(|text| self.read_text(text).map_err(|p| (p, None)))
    }

    fn show(value: &Self::Value) -> String {
        value.to_string()
    }
}

/// A trusted proxy: an address or a network.
#[derive(Debug, Clone, Default)]
pub(crate) struct Proxy;

impl Kind for Proxy {
    type Value = IpNet;

    fn read_text(&self, text: &str) -> Result<IpNet, String> {
        crate::http::proxy::parse_entry(text)
    }

    fn read_toml(&self, value: &toml::Value) -> Result<IpNet, (String, Option<usize>)> {
        string(value).and_then(|text| self.read_text(text).map_err(|p| (p, None)))
    }

    /// A single address is shown as written, without its `/32` or `/128`.
    fn show(value: &IpNet) -> String {
        if value.prefix_len() == value.max_prefix_len() {
            value.addr().to_string()
        } else {
            value.to_string()
        }
    }
}

/// Several values of one kind: a repeated flag, a comma-separated variable, a
/// TOML array.
#[derive(Debug, Clone, Default)]
pub(crate) struct List<K>(pub K);

impl<K: Kind> Kind for List<K> {
    type Value = Vec<K::Value>;

    fn read_text(&self, text: &str) -> Result<Self::Value, String> {
        text.split(',')
            .filter(|entry| !entry.trim().is_empty())
            .map(|entry| self.0.read_text(entry))
            .collect()
    }

    fn read_toml(&self, value: &toml::Value) -> Result<Self::Value, (String, Option<usize>)> {
        let entries = value.as_array().ok_or_else(|| {
            (
                format!(
                    "expected a list such as [\"…\"], found {}",
                    value.type_str()
                ),
                None,
            )
        })?;
        entries
            .iter()
            .enumerate()
            .map(|(index, entry)| {
                self.0
                    .read_toml(entry)
                    .map_err(|(problem, _)| (problem, Some(index)))
            })
            .collect()
    }

    fn flag(&self, arg: Arg, value_name: &'static str) -> Arg {
        let kind = self.0.clone();
        arg.action(ArgAction::Append)
            .value_name(value_name)
            .value_parser(move |text: &str| kind.read_text(text))
    }

    fn read_flag(&self, matches: &ArgMatches, id: &str) -> Option<Self::Value> {
        matches
            .get_many::<K::Value>(id)
            .map(|values| values.cloned().collect())
    }

    fn show(value: &Self::Value) -> String {
        let shown: Vec<String> = value.iter().map(K::show).collect();
        format!("[{}]", shown.join(", "))
    }
}

fn string(value: &toml::Value) -> Result<&str, (String, Option<usize>)> {
    value.as_str().ok_or_else(|| {
        (
            format!("expected a string, found {}", value.type_str()),
            None,
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_number_out_of_range_names_the_range() {
        let kind = Number::<1, 64>;
        assert_eq!(kind.read_text(" 8 "), Ok(8));
        assert!(kind.read_text("65").unwrap_err().contains("1 to 64"));
        assert!(
            kind.read_text("eight")
                .unwrap_err()
                .contains("whole number")
        );
        let (problem, entry) = kind
            .read_toml(&toml::Value::String("8".into()))
            .unwrap_err();
        assert!(problem.contains("found string"), "{problem}");
        assert_eq!(entry, None);
    }

    #[test]
    fn a_list_blames_the_entry_that_is_wrong() {
        let kind = List(Origin);
        let value: toml::Value =
            toml::Value::Array(vec!["https://a.example".into(), "a.example".into()]);
        let (problem, entry) = kind.read_toml(&value).unwrap_err();
        assert!(problem.contains("not an origin"), "{problem}");
        assert_eq!(entry, Some(1));
        let read: Vec<String> = kind
            .read_text("HTTPS://A.example, http://b:8080,")
            .unwrap()
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(read, ["https://a.example:443", "http://b:8080"]);
    }

    #[test]
    fn a_switch_reads_the_usual_spellings() {
        assert_eq!(Switch.read_text("Yes"), Ok(true));
        assert_eq!(Switch.read_text("0"), Ok(false));
        assert!(Switch.read_text("maybe").is_err());
    }
}
