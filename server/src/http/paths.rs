//! Every path the server serves, in one list: the landing page shows it, a
//! 404 names it, `Allow` and CORS answers take their methods from it, and a
//! test holds the routes and the contract's OpenAPI document to it.

/// One path and what it answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Endpoint {
    /// The method that reads (or, for the ticket, makes) it.
    pub method: &'static str,
    /// The path, without query.
    pub path: &'static str,
    /// What it answers, for a person.
    pub what: &'static str,
}

/// Every path, in the order the landing page lists them.
pub const ENDPOINTS: &[Endpoint] = &[
    Endpoint {
        method: "GET",
        path: "/ws",
        what: "live samples over WebSocket (see PROTOCOL.md)",
    },
    Endpoint {
        method: "GET",
        path: "/api/v1/host",
        what: "host facts, versions, interval",
    },
    Endpoint {
        method: "GET",
        path: "/api/v1/snapshot",
        what: "latest sample",
    },
    Endpoint {
        method: "GET",
        path: "/api/v1/history",
        what: "past samples (?since_seq=&limit=, or ?latest=), or a time range (?from=&to=&points=)",
    },
    Endpoint {
        method: "GET",
        path: "/api/v1/processes",
        what: "top processes at a moment (?at=)",
    },
    Endpoint {
        method: "GET",
        path: "/api/v1/alerts",
        what: "alert rules and what is firing",
    },
    Endpoint {
        method: "GET",
        path: "/api/v1/alerts/history",
        what: "alert transitions (?from=&to=)",
    },
    Endpoint {
        method: "POST",
        path: "/api/v1/ws-ticket",
        what: "a single-use ticket for opening /ws from a web page",
    },
    Endpoint {
        method: "GET",
        path: "/metrics",
        what: "Prometheus text format, node_exporter names",
    },
    Endpoint {
        method: "GET",
        path: "/healthz",
        what: "health check",
    },
    Endpoint {
        method: "GET",
        path: "/",
        what: "this list",
    },
];

/// The methods a path takes: `allow` for an `Allow` header, `cors` for a
/// preflight's `Access-Control-Allow-Methods`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Methods {
    /// Every method the path answers, `OPTIONS` included where CORS applies.
    pub allow: &'static str,
    /// The methods a page may use across origins.
    pub cors: &'static str,
}

/// The methods `path` takes (those of a read for a path not in the list).
#[must_use]
pub fn methods_of(path: &str) -> Methods {
    let post = ENDPOINTS
        .iter()
        .any(|endpoint| endpoint.path == path && endpoint.method == "POST");
    if post {
        Methods {
            allow: "POST, OPTIONS",
            cors: "POST",
        }
    } else if path.starts_with("/api/v1/") {
        Methods {
            allow: "GET, HEAD, OPTIONS",
            cors: "GET, HEAD",
        }
    } else {
        Methods {
            allow: "GET, HEAD",
            cors: "GET, HEAD",
        }
    }
}

/// The paths, comma-separated, for a sentence.
#[must_use]
pub fn listed() -> String {
    ENDPOINTS
        .iter()
        .map(|endpoint| endpoint.path)
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn methods_follow_the_list() {
        assert_eq!(methods_of("/api/v1/ws-ticket").allow, "POST, OPTIONS");
        assert_eq!(methods_of("/api/v1/host").allow, "GET, HEAD, OPTIONS");
        assert_eq!(methods_of("/healthz").allow, "GET, HEAD");
        assert!(listed().contains("/api/v1/alerts/history"));
    }
}
