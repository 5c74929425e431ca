//! `GET /api/v1/alerts` (the rules and what is firing now) and
//! `GET /api/v1/alerts/history?from=&to=` (the transitions in a time range),
//! read from the alert evaluator's status. With alerting off, both answer
//! with empty lists.

use actix_web::{HttpRequest, HttpResponse, web};
use hostpulse_shared::rest::AlertHistory;

use crate::http::query::{Params, QueryError};
use crate::hub::Hub;

/// The rules in force and the alerts firing now, oldest first.
pub async fn firing(req: HttpRequest, hub: web::Data<Hub>) -> Result<HttpResponse, QueryError> {
    Params::parse(req.query_string(), &[])?;
    let summary = hub
        .alerting()
        .map(|status| status.summary())
        .unwrap_or_default();
    Ok(HttpResponse::Ok().json(summary))
}

/// Transitions with `from <= timestamp_ms < to` (Unix milliseconds; default
/// everything kept), oldest first.
pub async fn history(req: HttpRequest, hub: web::Data<Hub>) -> Result<HttpResponse, QueryError> {
    let params = Params::parse(req.query_string(), &["from", "to"])?;
    let from_ms = params.u64_in("from", 0..=u64::MAX)?.unwrap_or(0);
    let to_ms = params.u64_in("to", 0..=u64::MAX)?.unwrap_or(u64::MAX);
    let events = hub
        .alerting()
        .map(|status| status.history(from_ms, to_ms))
        .unwrap_or_default();
    Ok(HttpResponse::Ok().json(AlertHistory { events }))
}
