//! Plain HTTP routes beside the stream: a landing text and a health check that
//! fails when the sampler stops making progress.

use actix_web::{HttpRequest, HttpResponse, web};
use hostpulse_shared::rest::{Health, HealthStatus, HistoryHealth};

use crate::http::paths::ENDPOINTS;
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
    use std::fmt::Write as _;
    Params::parse(req.query_string(), &[])?;
    let mut text = format!("HostPulse server {}\n\n", env!("CARGO_PKG_VERSION"));
    for endpoint in ENDPOINTS {
        let _ = writeln!(
            text,
            "{:<4} {:<24} {}",
            endpoint.method, endpoint.path, endpoint.what
        );
    }
    Ok(HttpResponse::Ok()
        .content_type("text/plain; charset=utf-8")
        .body(text))
}

/// 200 while samples keep coming; 503 before the first sample and when the newest
/// is older than a few intervals (the sampler is stuck). A history on disk
/// that cannot write is reported, not failed: sampling and viewers go on.
async fn healthz(req: HttpRequest, hub: web::Data<Hub>) -> Result<HttpResponse, QueryError> {
    Params::parse(req.query_string(), &[])?;
    let stale_after = hub.stale_after();
    let age = hub.latest().map(|latest| latest.published_at.elapsed());
    let status = match age {
        None => HealthStatus::Starting,
        Some(age) if age > stale_after => HealthStatus::Stalled,
        Some(_) => HealthStatus::Ok,
    };
    let body = Health {
        status,
        last_sample_age_ms: age.map(|age| u64::try_from(age.as_millis()).unwrap_or(u64::MAX)),
        clients: u64::try_from(hub.client_count()).unwrap_or(u64::MAX),
        history: Some(
            match hub.archive().map(|archive| archive.status().0.writable) {
                Some(true) => HistoryHealth::Ok,
                Some(false) => HistoryHealth::NotWritable,
                None => HistoryHealth::MemoryOnly,
            },
        ),
    };
    Ok(if status == HealthStatus::Ok {
        HttpResponse::Ok().json(body)
    } else {
        HttpResponse::ServiceUnavailable().json(body)
    })
}
