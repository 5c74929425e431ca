//! Every setting of the server, each declared once: its help, its kind (which
//! carries its range), its default, its flag, its environment variable and its
//! config-file key. Adding a setting is one entry in [`settings!`]'s list
//! below; the flag, the variable, the file key, `--help` and `--check-config`
//! all follow from it.

use std::net::SocketAddr;

use clap::{Arg, ArgMatches};

use super::kinds::{Address, FilePath, Kind, List, Maybe, Number, Origin, Proxy, StateDir, Switch};

/// A setting as `--help`, the man page and the unknown-variable check see it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Described {
    /// The config-file key.
    pub key: &'static str,
    /// The environment variable.
    pub env: &'static str,
}

/// Declares the settings: a `Layer` (what one source sets), `Values` (every
/// setting resolved, defaults filled in) and the readers of each source.
macro_rules! settings {
    ($(
        $(#[doc = $doc:literal])+
        $name:ident: $kind:ty = $default:expr,
            flag $flag:literal $value_name:literal, env $env:literal, key $key:literal;
    )+) => {
        /// What one source (the file, the environment or the flags) sets; each
        /// value was checked where it was read.
        #[derive(Debug, Default, Clone)]
        pub(crate) struct Layer {
            $( pub(crate) $name: Option<<$kind as Kind>::Value>, )+
        }

        /// Every setting's value, from the latest source that sets it or its
        /// default.
        #[derive(Debug, Clone)]
        pub(crate) struct Values {
            $( $(#[doc = $doc])+ pub(crate) $name: <$kind as Kind>::Value, )+
        }

        impl Default for Values {
            fn default() -> Self {
                Self { $( $name: $default, )+ }
            }
        }

        /// Every setting, in declaration order.
        pub(crate) const SETTINGS: &[Described] = &[
            $( Described { key: $key, env: $env }, )+
        ];

        impl Layer {
            /// This layer, with what it leaves unset taken from `lower`.
            pub(crate) fn over(self, lower: Layer) -> Layer {
                Layer { $( $name: self.$name.or(lower.$name), )+ }
            }

            /// The values this layer sets, defaults for the rest.
            pub(crate) fn or_defaults(self) -> Values {
                let defaults = Values::default();
                Values { $( $name: self.$name.unwrap_or(defaults.$name), )+ }
            }

            /// Reads the variable `name`, if it is one of the settings'.
            pub(crate) fn read_env(&mut self, name: &str, text: &str) -> Option<Result<(), String>> {
                match name {
                    $( $env => Some(<$kind>::default().read_text(text).map(|value| {
                        self.$name = Some(value);
                    })), )+
                    _ => None,
                }
            }

            /// Reads the config file's `key`, if it is one of the settings'.
            /// A problem with one entry of a list names that entry.
            pub(crate) fn read_key(
                &mut self,
                key: &str,
                value: &toml::Value,
            ) -> Option<Result<(), (String, Option<usize>)>> {
                match key {
                    $( $key => Some(<$kind>::default().read_toml(value).map(|value| {
                        self.$name = Some(value);
                    })), )+
                    _ => None,
                }
            }

            /// The flags given on the command line.
            pub(crate) fn from_flags(matches: &ArgMatches) -> Layer {
                Layer { $( $name: <$kind>::default().read_flag(matches, $key), )+ }
            }
        }

        /// The flags, with help that names each one's default, variable and key.
        pub(crate) fn flags() -> Vec<Arg> {
            let defaults = Values::default();
            vec![$(
                <$kind>::default().flag(
                    Arg::new($key)
                        .long($flag)
                        .help(help(&[$($doc),+], &<$kind>::show(&defaults.$name), $env, $key)),
                    $value_name,
                ),
            )+]
        }

        impl Values {
            /// Each setting's key and value, as `--check-config` prints them.
            pub(crate) fn shown(&self) -> Vec<(&'static str, String)> {
                vec![$( ($key, <$kind>::show(&self.$name)), )+]
            }
        }
    };
}

/// One flag's help: its doc lines, then where else it can be set.
fn help(doc: &[&str], default: &str, env: &str, key: &str) -> String {
    let text: Vec<&str> = doc.iter().map(|line| line.trim()).collect();
    format!(
        "{} [default: {default}; env: {env}; file: {key}]",
        text.join(" ").replace('`', "")
    )
}

/// The address served when none is given: this machine only.
const LOOPBACK: SocketAddr = SocketAddr::new(
    std::net::IpAddr::V4(std::net::Ipv4Addr::LOCALHOST),
    hostpulse_shared::DEFAULT_PORT,
);

settings! {
    /// Address and port to listen on. Use 0.0.0.0:9470 or [::]:9470 to let
    /// other hosts connect.
    bind: Address = LOOPBACK,
        flag "bind" "ADDR:PORT", env "HOSTPULSE_BIND", key "bind";
    /// Time between samples, in milliseconds (at least 100).
    interval_ms: Number<100, 3_600_000> = 1000,
        flag "interval-ms" "MS", env "HOSTPULSE_INTERVAL_MS", key "interval_ms";
    /// Samples kept in memory for viewers that connect or reconnect (3600 is
    /// an hour at the default interval); older ones are read from the history
    /// on disk. Also the most one replay or `history_request` sends.
    history: Number<1, 1_000_000> = 3600,
        flag "history" "SAMPLES", env "HOSTPULSE_HISTORY", key "history.memory_samples";
    /// HTTP worker threads; one serves thousands of viewers.
    workers: Number<1, 64> = 1,
        flag "workers" "THREADS", env "HOSTPULSE_WORKERS", key "workers";
    /// Most viewers connected at once; more get 503.
    max_clients: Number<1, 1_000_000> = 16_384,
        flag "max-clients" "COUNT", env "HOSTPULSE_MAX_CLIENTS", key "max_clients";
    /// Most plain HTTP connections at once: requests, and handshakes not yet
    /// upgraded (viewers do not count); more get 503.
    max_connections: Number<1, 1_000_000> = 1024,
        flag "max-connections" "COUNT", env "HOSTPULSE_MAX_CONNECTIONS", key "max_connections";
    /// Most plain HTTP connections at once from one address (an IPv4 address
    /// or an IPv6 /64); trusted proxies are exempt. More get 503.
    max_connections_per_address: Number<1, 1_000_000> = 128,
        flag "max-connections-per-address" "COUNT", env "HOSTPULSE_MAX_CONNECTIONS_PER_ADDRESS", key "max_connections_per_address";
    /// File holding the bearer token viewers must present (also:
    /// `HOSTPULSE_TOKEN`, or the systemd credential `token`). Never pass the
    /// token itself on the command line.
    token_file: Maybe<FilePath> = None,
        flag "token-file" "FILE", env "HOSTPULSE_TOKEN_FILE", key "token_file";
    /// Serve a non-loopback address without a token. Anyone who can reach the
    /// port can then read this host's metrics.
    insecure_no_auth: Switch = false,
        flag "insecure-no-auth" "BOOL", env "HOSTPULSE_INSECURE_NO_AUTH", key "insecure_no_auth";
    /// Serve /metrics without a token even when one is set, for a Prometheus
    /// that cannot send one.
    open_metrics: Switch = false,
        flag "open-metrics" "BOOL", env "HOSTPULSE_OPEN_METRICS", key "open_metrics";
    /// A web page origin allowed to open the stream and to read /api/v1
    /// (CORS), e.g. `https://dash.example.com` (repeat the flag, or separate
    /// with commas). Native viewers send no origin and need none.
    allowed_origins: List<Origin> = Vec::new(),
        flag "allow-origin" "ORIGIN", env "HOSTPULSE_ALLOWED_ORIGINS", key "allowed_origins";
    /// Serve wss:// and https:// with this PEM certificate chain (also: the
    /// systemd credential `tls-cert`). Needs the key too.
    tls_cert: Maybe<FilePath> = None,
        flag "tls-cert" "FILE", env "HOSTPULSE_TLS_CERT", key "tls_cert";
    /// The PEM private key of the TLS certificate (also: the systemd
    /// credential `tls-key`).
    tls_key: Maybe<FilePath> = None,
        flag "tls-key" "FILE", env "HOSTPULSE_TLS_KEY", key "tls_key";
    /// A reverse proxy whose X-Forwarded-For header is believed: an address or
    /// network, e.g. 127.0.0.1 or 10.0.0.0/8 (repeat the flag, or separate
    /// with commas). The header is ignored from anyone else.
    trusted_proxies: List<Proxy> = Vec::new(),
        flag "trusted-proxy" "ADDR|CIDR", env "HOSTPULSE_TRUSTED_PROXIES", key "trusted_proxies";
    /// Directory for the server's own state: the history on disk (in
    /// `history/`), the alerts firing now and the alert log, kept across
    /// restarts. Under
    /// systemd, `StateDirectory=hostpulse` gives /var/lib/hostpulse.
    data_dir: StateDir = None,
        flag "data-dir" "DIR", env "HOSTPULSE_DATA_DIR", key "data_dir";
    /// Keep no history on disk: only the newest `history` samples and alert
    /// transitions, in memory, which a restart forgets.
    history_memory_only: Switch = false,
        flag "history-memory-only" "BOOL", env "HOSTPULSE_HISTORY_MEMORY_ONLY", key "history.memory_only";
    /// Days of raw history kept on disk: every sample, with its top processes.
    history_raw_days: Number<1, 3650> = 7,
        flag "history-raw-days" "DAYS", env "HOSTPULSE_HISTORY_RAW_DAYS", key "history.raw_days";
    /// Days of per-minute history kept on disk: each minute's min, mean and
    /// max, and the processes that peaked in it.
    history_minute_days: Number<1, 36500> = 90,
        flag "history-minute-days" "DAYS", env "HOSTPULSE_HISTORY_MINUTE_DAYS", key "history.minute_days";
    /// Days of per-hour history kept on disk: each hour's min, mean and max.
    history_hour_days: Number<1, 36500> = 730,
        flag "history-hour-days" "DAYS", env "HOSTPULSE_HISTORY_HOUR_DAYS", key "history.hour_days";
    /// The most the history may take on disk, in MiB; past it the oldest raw
    /// data goes first, then the oldest minutes, then the oldest hours.
    history_max_mib: Number<8, 1_048_576> = 256,
        flag "history-max-mib" "MIB", env "HOSTPULSE_HISTORY_MAX_MIB", key "history.max_size_mib";
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_setting_has_its_own_key_variable_and_flag() {
        for (i, a) in SETTINGS.iter().enumerate() {
            assert!(a.env.starts_with("HOSTPULSE_"), "{a:?}");
            for b in &SETTINGS[i + 1..] {
                assert!(a.key != b.key && a.env != b.env, "{a:?} {b:?}");
            }
        }
        // clap refuses two flags of one name when the command is built.
        <super::super::Args as clap::CommandFactory>::command().debug_assert();
    }

    #[test]
    fn a_layer_over_another_wins_where_it_sets_something() {
        let mut upper = Layer::default();
        upper.read_env("HOSTPULSE_WORKERS", "4").unwrap().unwrap();
        let mut lower = Layer::default();
        lower.read_env("HOSTPULSE_WORKERS", "2").unwrap().unwrap();
        lower
            .read_env("HOSTPULSE_MAX_CLIENTS", "9")
            .unwrap()
            .unwrap();
        let values = upper.over(lower).or_defaults();
        assert_eq!((values.workers, values.max_clients), (4, 9));
        assert_eq!(values.interval_ms, Values::default().interval_ms);
        assert!(Layer::default().read_env("HOSTPULSE_NOPE", "1").is_none());
    }
}
