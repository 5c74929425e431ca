//! The alerting part of the server's config file: `alerts = true|false`, the
//! `[[alert]]` rules and the `[[webhook]]` channels. Every mistake is refused
//! with the file, the line and what is expected; the other keys of the file
//! belong to the server and are left alone here.

use std::ops::Range;
use std::path::{Path, PathBuf};
use std::time::Duration;

use hostpulse_shared::{Comparison, Severity};
use serde::Deserialize;
use toml::Spanned;

use crate::metric::{Instances, Metric};
use crate::rule::Rule;
use crate::webhook::{Preset, SecretUrl, Webhook};

/// The default rules, as shipped (also in the example `server.toml`).
pub const DEFAULT_RULES_TOML: &str = include_str!("defaults.toml");

/// The longest `for` a rule may have.
const MAX_FOR: Duration = Duration::from_hours(7 * 24);

/// Where the rules in force came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RulesOrigin {
    /// The file has no `[[alert]]`: the built-in defaults.
    Defaults,
    /// The file's own `[[alert]]` tables.
    File,
    /// `alerts = false` or `alert = []`: no rules.
    Off,
}

/// The alerting settings, checked.
#[derive(Debug, Clone, PartialEq)]
pub struct AlertsConfig {
    /// The rules to evaluate.
    pub rules: Vec<Rule>,
    /// Where they came from.
    pub origin: RulesOrigin,
    /// Where to send each firing and resolve.
    pub webhooks: Vec<Webhook>,
}

impl Default for AlertsConfig {
    fn default() -> Self {
        Self {
            rules: default_rules(),
            origin: RulesOrigin::Defaults,
            webhooks: Vec::new(),
        }
    }
}

impl AlertsConfig {
    /// No rules and no webhooks.
    #[must_use]
    pub fn off() -> Self {
        Self {
            rules: Vec::new(),
            origin: RulesOrigin::Off,
            webhooks: Vec::new(),
        }
    }

    /// Reads the alerting keys of the config file at `path`, whose text is
    /// `text`. Webhook URLs named by `url_credential` are read from
    /// `credentials_dir` (systemd's `$CREDENTIALS_DIRECTORY`).
    pub fn parse(
        path: &Path,
        text: &str,
        credentials_dir: Option<&Path>,
    ) -> Result<Self, ConfigError> {
        let file: RawFile = toml::from_str(text).map_err(|error| ConfigError::Parse {
            path: path.to_owned(),
            message: error.to_string().trim_end().to_owned(),
        })?;
        let at = Locator { path, text };
        let enabled = file.alerts.is_none_or(|on| *on.get_ref());
        let (rules, origin) = match (enabled, file.alert) {
            (false, _) => (Vec::new(), RulesOrigin::Off),
            (true, None) => (default_rules(), RulesOrigin::Defaults),
            (true, Some(raw)) if raw.is_empty() => (Vec::new(), RulesOrigin::Off),
            (true, Some(raw)) => (check_rules(&at, raw)?, RulesOrigin::File),
        };
        let mut webhooks: Vec<Webhook> = Vec::new();
        for raw in file.webhook.unwrap_or_default() {
            let webhook = check_webhook(&at, raw, credentials_dir)?;
            webhooks.push(webhook);
        }
        Ok(Self {
            rules,
            origin,
            webhooks,
        })
    }

    /// The rule called `name`, if any.
    #[must_use]
    pub fn rule(&self, name: &str) -> Option<&Rule> {
        self.rules.iter().find(|r| r.name == name)
    }

    /// Lines for `--check-config`: every rule and every webhook, with no secret.
    #[must_use]
    pub fn describe(&self) -> Vec<String> {
        let mut lines = vec![match self.origin {
            RulesOrigin::Defaults => format!("alerts: {} default rules", self.rules.len()),
            RulesOrigin::File => format!("alerts: {} rules from the file", self.rules.len()),
            RulesOrigin::Off => "alerts: off".to_owned(),
        }];
        lines.extend(
            self.rules
                .iter()
                .map(|r| format!("  alert {}", r.summary())),
        );
        lines.extend(
            self.webhooks
                .iter()
                .map(|w| format!("  webhook {}", w.summary())),
        );
        lines
    }
}

/// The built-in rules.
#[must_use]
pub fn default_rules() -> Vec<Rule> {
    let file: RawFile = match toml::from_str(DEFAULT_RULES_TOML) {
        Ok(file) => file,
        Err(error) => {
            tracing::error!(%error, "the built-in alert rules do not parse");
            return Vec::new();
        }
    };
    let at = Locator {
        path: Path::new("built-in defaults"),
        text: DEFAULT_RULES_TOML,
    };
    check_rules(&at, file.alert.unwrap_or_default()).unwrap_or_else(|error| {
        tracing::error!(%error, "the built-in alert rules are invalid");
        Vec::new()
    })
}

/// An alerting setting that cannot be used, and where it is.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// Not valid TOML, an unknown key, or a value of the wrong type (the
    /// parser's message names the line and the key).
    #[error("{path}: {message}")]
    Parse {
        /// The file.
        path: PathBuf,
        /// The parser's message.
        message: String,
    },
    /// A value that is out of range or does not fit the rest of its table.
    #[error("{path}, line {line}: {what}: {problem}")]
    Value {
        /// The file.
        path: PathBuf,
        /// The line of the value, from 1.
        line: usize,
        /// Which table and key, e.g. "alert `cpu_busy`, `clear`".
        what: String,
        /// What is expected.
        problem: String,
    },
}

#[derive(Debug, Deserialize)]
struct RawFile {
    alerts: Option<Spanned<bool>>,
    alert: Option<Vec<Spanned<RawRule>>>,
    webhook: Option<Vec<Spanned<RawWebhook>>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRule {
    name: Spanned<String>,
    metric: Spanned<String>,
    above: Option<Spanned<f64>>,
    below: Option<Spanned<f64>>,
    clear: Option<Spanned<f64>>,
    #[serde(rename = "for")]
    for_duration: Option<Spanned<String>>,
    severity: Option<Spanned<String>>,
    description: Option<String>,
    mount: Option<Spanned<String>>,
    sensor: Option<Spanned<String>>,
    interface: Option<Spanned<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawWebhook {
    name: Spanned<String>,
    preset: Option<Spanned<String>>,
    url: Option<Spanned<String>>,
    url_file: Option<Spanned<PathBuf>>,
    url_credential: Option<Spanned<String>>,
    timeout_ms: Option<Spanned<u64>>,
    retries: Option<Spanned<u32>>,
}

/// Turns spans into file lines for error messages.
struct Locator<'a> {
    path: &'a Path,
    text: &'a str,
}

impl Locator<'_> {
    fn line(&self, span: &Range<usize>) -> usize {
        let end = span.start.min(self.text.len());
        self.text[..end].matches('\n').count() + 1
    }

    fn error(&self, span: &Range<usize>, what: String, problem: impl Into<String>) -> ConfigError {
        ConfigError::Value {
            path: self.path.to_owned(),
            line: self.line(span),
            what,
            problem: problem.into(),
        }
    }
}

fn check_rules(at: &Locator<'_>, raw: Vec<Spanned<RawRule>>) -> Result<Vec<Rule>, ConfigError> {
    let mut rules: Vec<Rule> = Vec::with_capacity(raw.len());
    let mut lines: Vec<usize> = Vec::with_capacity(raw.len());
    for table in raw {
        let span = table.span();
        let rule = check_rule(at, table.into_inner())?;
        if let Some(first) = rules.iter().position(|r| r.name == rule.name) {
            return Err(at.error(
                &span,
                format!("alert `{}`", rule.name),
                format!(
                    "the name is already used by the rule on line {}; give each rule its own name",
                    lines[first]
                ),
            ));
        }
        lines.push(at.line(&span));
        rules.push(rule);
    }
    Ok(rules)
}

fn check_rule(at: &Locator<'_>, raw: RawRule) -> Result<Rule, ConfigError> {
    let name = raw.name.get_ref().trim().to_owned();
    if name.is_empty()
        || !name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
    {
        return Err(at.error(
            &raw.name.span(),
            "alert `name`".into(),
            format!(
                "{:?} is not a rule name: use letters, digits, `_`, `-` and `.`, e.g. \"cpu_busy\"",
                raw.name.get_ref()
            ),
        ));
    }
    let what = |key: &str| format!("alert `{name}`, `{key}`");
    let metric = Metric::from_name(raw.metric.get_ref().trim()).ok_or_else(|| {
        at.error(
            &raw.metric.span(),
            what("metric"),
            format!(
                "unknown metric {:?}; the metrics are: {}",
                raw.metric.get_ref(),
                Metric::names()
            ),
        )
    })?;
    let instance = check_instance(at, &name, metric, &raw)?;
    let (comparison, threshold, clear) = check_thresholds(at, &name, metric, &raw)?;
    let for_duration = match &raw.for_duration {
        None => Duration::ZERO,
        Some(text) => parse_duration(text.get_ref())
            .filter(|d| *d <= MAX_FOR)
            .ok_or_else(|| {
                at.error(
                    &text.span(),
                    what("for"),
                    format!(
                        "{:?} is not a duration of at most 7 days: write e.g. \"30s\", \"5m\" or \"1h 30m\"",
                        text.get_ref()
                    ),
                )
            })?,
    };
    let severity = match &raw.severity {
        None => Severity::Warning,
        Some(text) => match text.get_ref().trim() {
            "warning" => Severity::Warning,
            "critical" => Severity::Critical,
            other => {
                return Err(at.error(
                    &text.span(),
                    what("severity"),
                    format!("{other:?} is not a severity: use \"warning\" or \"critical\""),
                ));
            }
        },
    };
    Ok(Rule {
        name,
        metric,
        instance,
        comparison,
        threshold,
        clear,
        for_duration,
        severity,
        description: raw.description.filter(|d| !d.trim().is_empty()),
    })
}

/// The instance key (`mount`, `sensor`, `interface`) must be the metric's own.
fn check_instance(
    at: &Locator<'_>,
    name: &str,
    metric: Metric,
    raw: &RawRule,
) -> Result<Option<String>, ConfigError> {
    let keys = [
        ("mount", &raw.mount),
        ("sensor", &raw.sensor),
        ("interface", &raw.interface),
    ];
    let mut chosen = None;
    for (key, value) in keys {
        let Some(value) = value else { continue };
        match metric.instances() {
            Instances::Each(own) if own == key => chosen = Some(value.get_ref().clone()),
            Instances::Each(own) => {
                return Err(at.error(
                    &value.span(),
                    format!("alert `{name}`, `{key}`"),
                    format!(
                        "{} picks its instance with `{own}`, not `{key}`",
                        metric.name()
                    ),
                ));
            }
            Instances::Host => {
                return Err(at.error(
                    &value.span(),
                    format!("alert `{name}`, `{key}`"),
                    format!(
                        "{} has one value for the whole host; remove `{key}`",
                        metric.name()
                    ),
                ));
            }
        }
    }
    Ok(chosen)
}

fn check_thresholds(
    at: &Locator<'_>,
    name: &str,
    metric: Metric,
    raw: &RawRule,
) -> Result<(Comparison, f64, f64), ConfigError> {
    let what = |key: &str| format!("alert `{name}`, `{key}`");
    if metric.is_flag() {
        if let Some(span) = [&raw.above, &raw.below, &raw.clear]
            .into_iter()
            .flatten()
            .map(Spanned::span)
            .next()
        {
            return Err(at.error(
                &span,
                what("above/below/clear"),
                format!(
                    "{} is a yes/no that fires while true; remove the threshold",
                    metric.name()
                ),
            ));
        }
        return Ok((Comparison::Above, 0.5, 0.5));
    }
    let (comparison, threshold) = match (&raw.above, &raw.below) {
        (Some(above), None) => (Comparison::Above, above),
        (None, Some(below)) => (Comparison::Below, below),
        (Some(_), Some(below)) => {
            return Err(at.error(
                &below.span(),
                what("below"),
                "a rule has either `above` or `below`, not both; write two rules",
            ));
        }
        (None, None) => {
            return Err(at.error(
                &raw.name.span(),
                format!("alert `{name}`"),
                format!(
                    "needs a threshold: `above = N` or `below = N` ({} takes {})",
                    metric.name(),
                    range_text(metric)
                ),
            ));
        }
    };
    let key = match comparison {
        Comparison::Above => "above",
        Comparison::Below => "below",
    };
    let (low, high) = metric.range();
    let in_range = |value: f64| value.is_finite() && (low..=high).contains(&value);
    if !in_range(*threshold.get_ref()) {
        return Err(at.error(
            &threshold.span(),
            what(key),
            format!(
                "{} is out of range: {} takes {}",
                threshold.get_ref(),
                metric.name(),
                range_text(metric)
            ),
        ));
    }
    let threshold_value = *threshold.get_ref();
    let Some(clear) = &raw.clear else {
        return Ok((comparison, threshold_value, threshold_value));
    };
    let clear_value = *clear.get_ref();
    if !in_range(clear_value) {
        return Err(at.error(
            &clear.span(),
            what("clear"),
            format!(
                "{clear_value} is out of range: {} takes {}",
                metric.name(),
                range_text(metric)
            ),
        ));
    }
    let wrong_side = match comparison {
        Comparison::Above => clear_value > threshold_value,
        Comparison::Below => clear_value < threshold_value,
    };
    if wrong_side {
        let (side, bound) = match comparison {
            Comparison::Above => ("below", "at most"),
            Comparison::Below => ("above", "at least"),
        };
        return Err(at.error(
            &clear.span(),
            what("clear"),
            format!(
                "{clear_value} is on the wrong side: the alert clears when the value comes back \
                 {side} `clear`, so with `{key} = {threshold_value}` it must be {bound} {threshold_value}"
            ),
        ));
    }
    Ok((comparison, threshold_value, clear_value))
}

fn range_text(metric: Metric) -> String {
    let (low, high) = metric.range();
    format!("values from {low} to {high}")
}

/// `"30s"`, `"5m"`, `"1h 30m"`, `"PT5M"`: jiff's friendly and ISO 8601 forms.
fn parse_duration(text: &str) -> Option<Duration> {
    let signed: jiff::SignedDuration = text.trim().parse().ok()?;
    Duration::try_from(signed).ok()
}

fn check_webhook(
    at: &Locator<'_>,
    raw: Spanned<RawWebhook>,
    credentials_dir: Option<&Path>,
) -> Result<Webhook, ConfigError> {
    let span = raw.span();
    let raw = raw.into_inner();
    let name = raw.name.get_ref().trim().to_owned();
    let what = |key: &str| format!("webhook `{name}`, `{key}`");
    let preset = match &raw.preset {
        None => Preset::Json,
        Some(text) => Preset::from_name(text.get_ref().trim()).ok_or_else(|| {
            at.error(
                &text.span(),
                what("preset"),
                format!(
                    "{:?} is not a preset: use {}",
                    text.get_ref(),
                    Preset::names()
                ),
            )
        })?,
    };
    let sources = [
        raw.url.as_ref().map(Spanned::span),
        raw.url_file.as_ref().map(Spanned::span),
        raw.url_credential.as_ref().map(Spanned::span),
    ];
    if sources.iter().flatten().count() != 1 {
        let second = sources.iter().flatten().nth(1).cloned().unwrap_or(span);
        return Err(at.error(
            &second,
            format!("webhook `{name}`"),
            "give exactly one of `url`, `url_file` (a file holding the URL) or `url_credential` \
             (a systemd credential holding it); prefer a file or credential for URLs with tokens",
        ));
    }
    let (text, origin, origin_span) = if let Some(url) = &raw.url {
        (url.get_ref().clone(), "`url`".to_owned(), url.span())
    } else if let Some(file) = &raw.url_file {
        let text = std::fs::read_to_string(file.get_ref()).map_err(|error| {
            at.error(
                &file.span(),
                what("url_file"),
                format!("cannot read {}: {error}", file.get_ref().display()),
            )
        })?;
        (
            text,
            format!("file {}", file.get_ref().display()),
            file.span(),
        )
    } else if let Some(credential) = &raw.url_credential {
        let dir = credentials_dir.ok_or_else(|| {
            at.error(
                &credential.span(),
                what("url_credential"),
                "CREDENTIALS_DIRECTORY is not set: run under systemd with \
                 LoadCredential=NAME:FILE, or use `url_file`",
            )
        })?;
        let file = dir.join(credential.get_ref());
        let text = std::fs::read_to_string(&file).map_err(|error| {
            at.error(
                &credential.span(),
                what("url_credential"),
                format!(
                    "cannot read the credential {:?}: {error}",
                    credential.get_ref()
                ),
            )
        })?;
        (
            text,
            format!("systemd credential {:?}", credential.get_ref()),
            credential.span(),
        )
    } else {
        return Err(at.error(&span, format!("webhook `{name}`"), "needs a URL"));
    };
    let url = SecretUrl::parse(text.trim(), origin)
        .map_err(|problem| at.error(&origin_span, what("url"), problem))?;
    let timeout_ms = check_number(
        at,
        raw.timeout_ms.as_ref(),
        5_000,
        100..=60_000,
        &what("timeout_ms"),
    )?;
    let retries = check_number(at, raw.retries.as_ref(), 3, 0..=10, &what("retries"))?;
    Ok(Webhook {
        name,
        preset,
        url,
        timeout: Duration::from_millis(timeout_ms),
        retries,
    })
}

fn check_number<T: Copy + PartialOrd + std::fmt::Display>(
    at: &Locator<'_>,
    value: Option<&Spanned<T>>,
    default: T,
    range: std::ops::RangeInclusive<T>,
    what: &str,
) -> Result<T, ConfigError> {
    match value {
        None => Ok(default),
        Some(value) if range.contains(value.get_ref()) => Ok(*value.get_ref()),
        Some(value) => Err(at.error(
            &value.span(),
            what.to_owned(),
            format!(
                "{} is out of range: use {} to {}",
                value.get_ref(),
                range.start(),
                range.end()
            ),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<AlertsConfig, String> {
        AlertsConfig::parse(Path::new("server.toml"), text, None).map_err(|e| e.to_string())
    }

    #[test]
    fn no_alert_tables_means_the_defaults_and_off_means_none() {
        let defaults = parse("bind = \"127.0.0.1:9470\"\n").unwrap();
        assert_eq!(defaults.origin, RulesOrigin::Defaults);
        assert_eq!(defaults.rules, default_rules());
        assert_eq!(
            defaults.rules.len(),
            6,
            "cpu, memory, file systems, swap, sensors, sampler"
        );
        assert_eq!(parse("alerts = false\n").unwrap().origin, RulesOrigin::Off);
        let empty = parse("alert = []\n").unwrap();
        assert!(empty.rules.is_empty());
        assert_eq!(empty.origin, RulesOrigin::Off);
    }

    #[test]
    fn the_example_server_toml_writes_out_exactly_the_defaults() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../assets/server.toml");
        let text = std::fs::read_to_string(&path).unwrap();
        let config = AlertsConfig::parse(&path, &text, None).unwrap();
        assert_eq!(config.origin, RulesOrigin::File);
        assert_eq!(config.rules, default_rules());
    }

    #[test]
    fn a_rule_reads_every_key() {
        let config = parse(
            "[[alert]]\nname = \"home_full\"\nmetric = \"filesystem.used_percent\"\n\
             mount = \"/home\"\nabove = 95\nclear = 90.5\nfor = \"1h 30m\"\n\
             severity = \"critical\"\ndescription = \"Home is nearly full\"\n",
        )
        .unwrap();
        assert_eq!(config.origin, RulesOrigin::File);
        assert_eq!(
            config.rules,
            [Rule {
                name: "home_full".into(),
                metric: Metric::FilesystemUsedPercent,
                instance: Some("/home".into()),
                comparison: Comparison::Above,
                threshold: 95.0,
                clear: 90.5,
                for_duration: Duration::from_mins(90),
                severity: Severity::Critical,
                description: Some("Home is nearly full".into()),
            }]
        );
    }

    #[test]
    fn bad_rules_are_refused_naming_the_file_the_line_and_the_choices() {
        let rule = |body: &str| parse(&format!("workers = 1\n\n[[alert]]\nname = \"x\"\n{body}"));
        let unknown = rule("metric = \"cpu.total\"\nabove = 5\n").unwrap_err();
        assert!(unknown.starts_with("server.toml, line 5:"), "{unknown}");
        assert!(
            unknown.contains("unknown metric \"cpu.total\"")
                && unknown.contains("cpu.total_percent, memory.available_percent"),
            "{unknown}"
        );

        let range = rule("metric = \"cpu.total_percent\"\nabove = 150\n").unwrap_err();
        assert!(
            range.contains("line 6") && range.contains("from 0 to 100"),
            "{range}"
        );

        let wrong_side =
            rule("metric = \"cpu.total_percent\"\nabove = 80\nclear = 90\n").unwrap_err();
        assert!(
            wrong_side.contains("line 7")
                && wrong_side.contains("`clear`")
                && wrong_side.contains("wrong side")
                && wrong_side.contains("at most 80"),
            "{wrong_side}"
        );
        let wrong_side_below =
            rule("metric = \"memory.available_percent\"\nbelow = 10\nclear = 5\n").unwrap_err();
        assert!(
            wrong_side_below.contains("at least 10"),
            "{wrong_side_below}"
        );

        let severity =
            rule("metric = \"cpu.total_percent\"\nabove = 80\nseverity = \"major\"\n").unwrap_err();
        assert!(
            severity.contains("line 7") && severity.contains("\"warning\" or \"critical\""),
            "{severity}"
        );
        let duration =
            rule("metric = \"cpu.total_percent\"\nabove = 80\nfor = \"soon\"\n").unwrap_err();
        assert!(
            duration.contains("line 7") && duration.contains("\"5m\""),
            "{duration}"
        );
        let no_threshold = rule("metric = \"cpu.total_percent\"\n").unwrap_err();
        assert!(
            no_threshold.contains("`above = N` or `below = N`"),
            "{no_threshold}"
        );
        let wrong_key =
            rule("metric = \"filesystem.used_percent\"\nsensor = \"x\"\nabove = 1\n").unwrap_err();
        assert!(wrong_key.contains("with `mount`"), "{wrong_key}");
        let typo = rule("metric = \"cpu.total_percent\"\nabove = 1\nfour = \"5m\"\n").unwrap_err();
        assert!(typo.contains("line 7") && typo.contains("four"), "{typo}");
    }

    #[test]
    fn two_rules_with_one_name_are_refused() {
        let error = parse(
            "[[alert]]\nname = \"a\"\nmetric = \"cpu.total_percent\"\nabove = 1\n\n\
             [[alert]]\nname = \"a\"\nmetric = \"swap.used_percent\"\nabove = 1\n",
        )
        .unwrap_err();
        assert!(
            error.contains("line 6") && error.contains("rule on line 1"),
            "{error}"
        );
    }

    #[test]
    fn webhook_urls_come_from_files_and_credentials_and_are_never_described() {
        let dir = tempfile::tempdir().unwrap();
        let secret = "https://hooks.example.com/services/T000/B000/very-secret-token";
        std::fs::write(dir.path().join("slack-url"), format!("{secret}\n")).unwrap();
        let text = format!(
            "[[webhook]]\nname = \"chat\"\npreset = \"slack\"\nurl_file = {:?}\n\n\
             [[webhook]]\nname = \"phone\"\npreset = \"ntfy\"\nurl_credential = \"slack-url\"\n",
            dir.path().join("slack-url")
        );
        let config =
            AlertsConfig::parse(Path::new("server.toml"), &text, Some(dir.path())).unwrap();
        assert_eq!(config.webhooks.len(), 2);
        assert_eq!(config.webhooks[0].url.expose(), secret);
        assert_eq!(config.webhooks[1].preset, Preset::Ntfy);
        let described = config.describe().join("\n");
        assert!(!described.contains("very-secret-token"), "{described}");
        assert!(!format!("{config:?}").contains("very-secret-token"));
        assert!(described.contains("webhook chat"), "{described}");

        let no_credentials =
            parse("[[webhook]]\nname = \"phone\"\nurl_credential = \"ntfy-url\"\n").unwrap_err();
        assert!(
            no_credentials.contains("line 3") && no_credentials.contains("CREDENTIALS_DIRECTORY"),
            "{no_credentials}"
        );
        let two =
            parse("[[webhook]]\nname = \"x\"\nurl = \"http://127.0.0.1:1/\"\nurl_file = \"/x\"\n")
                .unwrap_err();
        assert!(two.contains("exactly one of"), "{two}");
        let preset =
            parse("[[webhook]]\nname = \"x\"\npreset = \"teams\"\nurl = \"http://127.0.0.1:1/\"\n")
                .unwrap_err();
        assert!(preset.contains("json, ntfy, slack"), "{preset}");
        let scheme =
            parse("[[webhook]]\nname = \"x\"\nurl = \"ftp://example.com/\"\n").unwrap_err();
        assert!(scheme.contains("http:// or https://"), "{scheme}");
    }
}
