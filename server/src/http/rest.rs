//! REST reads beside the stream, for one-off questions: who is this host, what
//! is the latest sample, what happened since seq N, what are the newest N. All
//! JSON; errors are JSON too and name the bad parameter.

use std::sync::Arc;

use actix_web::{HttpRequest, HttpResponse, web};
use serde::Serialize;

use crate::http::error;
use crate::http::query::{Params, QueryError};
use crate::hub::{Hub, Recorded, Replay};

/// Samples returned by one history request unless `limit` says otherwise.
pub const DEFAULT_HISTORY_LIMIT: u64 = 300;
/// Most samples one history request may ask for.
pub const MAX_HISTORY_LIMIT: u64 = 3600;

/// Registers `/api/v1/…`.
pub fn configure(config: &mut web::ServiceConfig) {
    config.service(
        web::scope("/api/v1")
            .wrap(actix_web::middleware::from_fn(crate::http::auth::check))
            // Resources, not bare routes: a wrong method is 405, not 404.
            .service(web::resource("/host").route(web::get().to(host)))
            .service(web::resource("/snapshot").route(web::get().to(snapshot)))
            .service(web::resource("/history").route(web::get().to(history)))
            .service(web::resource("/alerts").route(web::get().to(crate::http::alerts::firing)))
            .service(
                web::resource("/alerts/history").route(web::get().to(crate::http::alerts::history)),
            ),
    );
}

/// The hello a WebSocket viewer gets now: versions, epoch, interval, host
/// facts, and the alerting summary when alerting runs.
async fn host(req: HttpRequest, hub: web::Data<Hub>) -> Result<HttpResponse, QueryError> {
    Params::parse(req.query_string(), &[])?;
    Ok(HttpResponse::Ok().json(&hub.greeting().hello))
}

/// The newest sample; 503 before the first one.
async fn snapshot(req: HttpRequest, hub: web::Data<Hub>) -> Result<HttpResponse, QueryError> {
    Params::parse(req.query_string(), &[])?;
    Ok(match hub.latest() {
        Some(latest) => HttpResponse::Ok().json(&*latest.sample),
        None => error::respond(
            HttpResponse::ServiceUnavailable().insert_header(("Retry-After", "1")),
            "no sample yet: the first is taken within one interval of start",
        ),
    })
}

/// `hostpulse_shared::rest::HistoryPage`, borrowing the hub's samples.
#[derive(Serialize)]
struct HistoryBody<'a> {
    epoch: u64,
    #[serde(serialize_with = "serialize_samples")]
    samples: &'a [Arc<Recorded>],
}

fn serialize_samples<S: serde::Serializer>(
    samples: &&[Arc<Recorded>],
    serializer: S,
) -> Result<S::Ok, S::Error> {
    serializer.collect_seq(samples.iter().map(|sample| &***sample))
}

/// Samples with a seq above `since_seq` (default: from the oldest kept), oldest
/// first, at most `limit` (default 300, at most 3600); or the newest `latest`.
/// With `epoch`, only if that is still the server's epoch (409 otherwise):
/// a `since_seq` from before a restart names other samples.
async fn history(req: HttpRequest, hub: web::Data<Hub>) -> Result<HttpResponse, QueryError> {
    let params = Params::parse(
        req.query_string(),
        &["since_seq", "limit", "latest", "epoch"],
    )?;
    let epoch = hub.hello().epoch;
    if let Some(asked) = params.u64_in("epoch", 0..=u64::MAX)?
        && asked != epoch
    {
        return Ok(error::respond_about(
            &mut HttpResponse::Conflict(),
            &format!(
                "the server restarted: its epoch is now {epoch}, not {asked}, and seqs \
                 started again at 0; read again without since_seq and epoch"
            ),
            "epoch",
        ));
    }
    let samples = if let Some(latest) = params.u64_in("latest", 1..=MAX_HISTORY_LIMIT)? {
        params.refuse_with("latest", &["since_seq", "limit"])?;
        let count = usize::try_from(latest).unwrap_or(usize::MAX);
        hub.replay(Replay::Recent { count }).samples
    } else {
        let since_seq = params.u64_in("since_seq", 0..=u64::MAX)?;
        let limit = params
            .u64_in("limit", 1..=MAX_HISTORY_LIMIT)?
            .unwrap_or(DEFAULT_HISTORY_LIMIT);
        hub.history_after(since_seq, usize::try_from(limit).unwrap_or(usize::MAX))
    };
    Ok(HttpResponse::Ok().json(HistoryBody {
        epoch,
        samples: &samples,
    }))
}
