//! Plain HTTP routes beside the stream: a landing text and a health check that
//! fails when the sampler stops making progress.

use actix_web::{HttpRequest, HttpResponse, web};
use serde::Serialize;

use crate::http::query::{Params, QueryError};
use crate::hub::Hub;

/// Registers the HTTP routes (the WebSocket route is registered by [`crate::stream::ws`]).
pub fn configure(config: &mut web::ServiceConfig) {
    // Resources, not bare routes: a path that exists answers a wrong method
    // with 405 rather than falling through to 404.
    config
        .service(web::resource("/").route(web::get().to(index)))
        .service(web::resource("/healthz").route(web::get().to(healthz)));
}

async fn index(req: HttpRequest) -> Result<HttpResponse, QueryError> {
    Params::parse(req.query_string(), &[])?;
    Ok(HttpResponse::Ok()
        .content_type("text/plain; charset=utf-8")
        .body(format!(
            "HostPulse server {}\n\n\
             GET /ws                live samples over WebSocket (see PROTOCOL.md)\n\
             GET /api/v1/host       host facts, versions, interval\n\
             GET /api/v1/snapshot   latest sample\n\
             GET /api/v1/history    past samples (?since_seq=&limit=), or a time range (?from=&to=&points=)\n\
             GET /api/v1/processes  top processes at a moment (?at=)\n\
             GET /metrics           Prometheus text format, node_exporter names\n\
             GET /healthz           health check\n",
            env!("CARGO_PKG_VERSION")
        )))
}

#[derive(Debug, Serialize)]
struct Health {
    status: &'static str,
    /// Age of the newest sample; absent before the first one.
    #[serde(skip_serializing_if = "Option::is_none")]
    last_sample_age_ms: Option<u64>,
    clients: usize,
    /// The history on disk: `ok`; `not_writable` (a full disk: sampling and
    /// viewers go on, the history waits for space); or `memory_only`.
    history: &'static str,
}

/// 200 while samples keep coming; 503 before the first sample and when the newest
/// is older than a few intervals (the sampler is stuck). A history on disk
/// that cannot write is reported, not failed: sampling and viewers go on.
async fn healthz(req: HttpRequest, hub: web::Data<Hub>) -> Result<HttpResponse, QueryError> {
    Params::parse(req.query_string(), &[])?;
    let stale_after = hub.stale_after();
    let age = hub.latest().map(|latest| latest.published_at.elapsed());
    let status = match age {
        None => "starting",
        Some(age) if age > stale_after => "stalled",
        Some(_) => "ok",
    };
    let body = Health {
        status,
        last_sample_age_ms: age.map(|age| u64::try_from(age.as_millis()).unwrap_or(u64::MAX)),
        clients: hub.client_count(),
        history: match hub.archive().map(|archive| archive.status().0.writable) {
            Some(true) => "ok",
            Some(false) => "not_writable",
            None => "memory_only",
        },
    };
    Ok(if status == "ok" {
        HttpResponse::Ok().json(body)
    } else {
        HttpResponse::ServiceUnavailable().json(body)
    })
}
