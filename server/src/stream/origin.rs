//! The web page origins allowed to open the stream, compared as origins, not
//! as strings: `url` parses each one (the configured ones at start, the
//! browser's `Origin` on every upgrade) into scheme, host and port with the
//! scheme's default port made explicit, so `https://host:443` in the
//! configuration matches the `https://host` a browser sends, and case or a
//! trailing slash make no difference.

use url::Url;

/// One origin: scheme, lower-case host, port (the default one filled in).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin {
    scheme: String,
    host: String,
    port: u16,
}

impl Origin {
    /// Parses `text` as an origin: `http` or `https`, a host, perhaps a port,
    /// and no path, query, fragment or credentials.
    pub(crate) fn parse(text: &str) -> Result<Self, String> {
        let not_an_origin = |why: &str| {
            format!(
                "{text:?} is not an origin ({why}): write it as a browser sends it, e.g. \
                 \"https://dash.example.com\" or \"http://10.0.0.5:8080\""
            )
        };
        let url = Url::parse(text.trim()).map_err(|error| not_an_origin(&error.to_string()))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(not_an_origin("the scheme must be http or https"));
        }
        if url.path() != "/" || url.query().is_some() || url.fragment().is_some() {
            return Err(not_an_origin("an origin has no path, query or fragment"));
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err(not_an_origin("an origin has no user name or password"));
        }
        let host = url
            .host_str()
            .ok_or_else(|| not_an_origin("it has no host"))?
            .to_ascii_lowercase();
        let port = url
            .port_or_known_default()
            .ok_or_else(|| not_an_origin("it has no port"))?;
        Ok(Self {
            scheme: url.scheme().to_owned(),
            host,
            port,
        })
    }
}

/// `scheme://host:port`, the port always written.
impl std::fmt::Display for Origin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}://{}:{}", self.scheme, self.host, self.port)
    }
}

/// The allowed origins. Empty (the default) allows no web page; native
/// viewers send no `Origin` and need none.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Origins(Vec<Origin>);

impl Origins {
    /// Allows `origins`.
    #[must_use]
    pub fn new(origins: Vec<Origin>) -> Self {
        Self(origins)
    }

    /// Parses the configured origins; the error names the first bad one.
    pub fn parse<'a>(texts: impl IntoIterator<Item = &'a str>) -> Result<Self, String> {
        texts
            .into_iter()
            .map(Origin::parse)
            .collect::<Result<_, _>>()
            .map(Self)
    }

    /// Whether a page whose `Origin` header is `header` may connect. An
    /// origin that does not parse (`null`, say) is not allowed.
    #[must_use]
    pub fn allows(&self, header: &str) -> bool {
        self.find(header).is_some()
    }

    /// The origin `header` names, if it is allowed.
    #[must_use]
    pub fn find(&self, header: &str) -> Option<Origin> {
        Origin::parse(header)
            .ok()
            .filter(|origin| self.0.contains(origin))
    }

    /// True when no web page may connect.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// Lists the origins as `scheme://host:port`.
impl std::fmt::Display for Origins {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("[")?;
        for (n, origin) in self.0.iter().enumerate() {
            if n > 0 {
                f.write_str(", ")?;
            }
            write!(f, "{origin}")?;
        }
        f.write_str("]")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn origins(texts: &[&str]) -> Origins {
        Origins::parse(texts.iter().copied()).unwrap()
    }

    #[test]
    fn default_ports_case_and_a_trailing_slash_make_no_difference() {
        let allowed = origins(&["https://Dash.Example.com:443", "http://10.0.0.5:8080/"]);
        for header in [
            "https://dash.example.com",
            "https://dash.example.com:443",
            "HTTPS://DASH.EXAMPLE.COM",
            "http://10.0.0.5:8080",
        ] {
            assert!(allowed.allows(header), "{header}");
        }
        for header in [
            "http://dash.example.com",
            "https://dash.example.com:8443",
            "https://evil.example",
            "http://10.0.0.5",
            "null",
            "",
        ] {
            assert!(!allowed.allows(header), "{header}");
        }
        assert!(origins(&["http://example.com"]).allows("http://example.com:80"));
    }

    #[test]
    fn what_is_not_an_origin_is_refused_with_the_reason() {
        for (text, says) in [
            ("dash.example.com", "not an origin"),
            ("ftp://dash.example.com", "http or https"),
            ("https://dash.example.com/app", "no path"),
            ("https://dash.example.com/?x=1", "no path, query"),
            ("https://user@dash.example.com", "no user name"),
        ] {
            let error = Origins::parse([text]).unwrap_err();
            assert!(error.contains(says), "{text}: {error}");
        }
    }

    #[test]
    fn the_list_prints_with_explicit_ports() {
        assert_eq!(
            origins(&["https://dash.example.com", "http://h:8080"]).to_string(),
            "[https://dash.example.com:443, http://h:8080]"
        );
    }
}
