//! Plain HTTP routes beside the stream: a landing text and a health check that
//! fails when the sampler stops making progress.

use actix_web::{HttpResponse, web};
use serde::Serialize;

use crate::hub::Hub;

/// Registers the HTTP routes (the WebSocket route is registered by [`crate::stream::ws`]).
pub fn configure(config: &mut web::ServiceConfig) {
    config
        .route("/", web::get().to(index))
        .route("/healthz", web::get().to(healthz));
}

async fn index() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/plain; charset=utf-8")
        .body(format!(
            "HostPulse server {}\n\n\
             GET /ws                live samples over WebSocket (see PROTOCOL.md)\n\
             GET /api/v1/host       host facts, versions, interval\n\
             GET /api/v1/snapshot   latest sample\n\
             GET /api/v1/history    past samples (?since_seq=&limit=)\n\
             GET /metrics           Prometheus text format, node_exporter names\n\
             GET /healthz           health check\n",
            env!("CARGO_PKG_VERSION")
        ))
}

#[derive(Debug, Serialize)]
struct Health {
    status: &'static str,
    /// Age of the newest sample; absent before the first one.
    #[serde(skip_serializing_if = "Option::is_none")]
    last_sample_age_ms: Option<u64>,
    clients: usize,
}

/// 200 while samples keep coming; 503 before the first sample and when the newest
/// is older than a few intervals (the sampler is stuck).
async fn healthz(hub: web::Data<Hub>) -> HttpResponse {
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
    };
    if status == "ok" {
        HttpResponse::Ok().json(body)
    } else {
        HttpResponse::ServiceUnavailable().json(body)
    }
}
