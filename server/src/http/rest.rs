//! REST reads beside the stream, for one-off questions: who is this host, what
//! is the latest sample, what happened since seq N, what are the newest N,
//! what happened between two times, which processes ran at a moment. All
//! JSON; errors are JSON too and name the bad parameter.

use std::sync::Arc;

use actix_web::{HttpRequest, HttpResponse, web};
use serde::Serialize;

use crate::archive::reads::{self, Refusal};
use crate::http::error;
use crate::http::query::{Params, QueryError};
use crate::hub::{Hub, Recorded, Replay};

/// Samples returned by one history request unless `limit` says otherwise.
pub const DEFAULT_HISTORY_LIMIT: u64 = 300;
/// Most samples one history request may ask for.
pub const MAX_HISTORY_LIMIT: u64 = 3600;
/// Points per series of a range read unless `points` says otherwise.
pub const DEFAULT_RANGE_POINTS: u64 = 1000;

/// The parameters of a range read, which `since_seq` and `limit` do not mix with.
const RANGE_PARAMETERS: [&str; 3] = ["from", "to", "points"];

/// Registers `/api/v1/…`.
pub fn configure(config: &mut web::ServiceConfig) {
    config.service(
        web::scope("/api/v1")
            .wrap(actix_web::middleware::from_fn(crate::http::auth::check))
            // Resources, not bare routes: a wrong method is 405, not 404.
            .service(web::resource("/host").route(web::get().to(host)))
            .service(web::resource("/snapshot").route(web::get().to(snapshot)))
            .service(web::resource("/history").route(web::get().to(history)))
            .service(web::resource("/processes").route(web::get().to(processes)))
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
/// first, at most `limit` (default 300, at most 3600); or the newest `latest`;
/// or, with `from`, the history between two times at a resolution ([`range`]).
/// With `epoch`, only if that is still the server's epoch (409 otherwise):
/// a `since_seq` from before a restart names other samples.
async fn history(req: HttpRequest, hub: web::Data<Hub>) -> Result<HttpResponse, QueryError> {
    let params = Params::parse(
        req.query_string(),
        &[
            "since_seq",
            "limit",
            "latest",
            "epoch",
            "from",
            "to",
            "points",
        ],
    )?;
    if RANGE_PARAMETERS.iter().any(|name| params.has(name)) {
        return range(&params, &hub).await;
    }
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
    let hub = hub.into_inner();
    let samples = if let Some(latest) = params.u64_in("latest", 1..=MAX_HISTORY_LIMIT)? {
        params.refuse_with("latest", &["since_seq", "limit"])?;
        let count = usize::try_from(latest).unwrap_or(usize::MAX);
        crate::archive::replay::replay(&hub, Replay::Recent { count })
            .await
            .samples
    } else {
        let since_seq = params.u64_in("since_seq", 0..=u64::MAX)?;
        let limit = params
            .u64_in("limit", 1..=MAX_HISTORY_LIMIT)?
            .unwrap_or(DEFAULT_HISTORY_LIMIT);
        crate::archive::replay::history_after(
            &hub,
            since_seq,
            usize::try_from(limit).unwrap_or(usize::MAX),
        )
        .await
    };
    Ok(HttpResponse::Ok().json(HistoryBody {
        epoch,
        samples: &samples,
    }))
}

/// The history on disk between `from` and `to` (default: now), at most
/// `points` points per series (default 1000), from the finest tier that fits.
async fn range(params: &Params, hub: &Hub) -> Result<HttpResponse, QueryError> {
    let seq_parameters = ["since_seq", "limit", "latest", "epoch"];
    if let Some(name) = seq_parameters.into_iter().find(|n| params.has(n)) {
        return Err(QueryError {
            parameter: name.to_owned(),
            problem: "does not mix with from, to and points: ask for seqs or for times".into(),
        });
    }
    let from_ms = params.time_ms("from")?.ok_or_else(|| QueryError {
        parameter: "from".into(),
        problem: "needed for a range read: the start, as RFC 3339 or Unix seconds".into(),
    })?;
    let to_ms = match params.time_ms("to")? {
        Some(to_ms) => to_ms,
        None => crate::sampling::ticker::unix_ms(std::time::SystemTime::now()),
    };
    let points = params
        .u64_in("points", 1..=u64::from(reads::MAX_RANGE_POINTS))?
        .unwrap_or(DEFAULT_RANGE_POINTS);
    let points = u32::try_from(points).unwrap_or(reads::MAX_RANGE_POINTS);
    match reads::range(hub, 0, from_ms, to_ms, points).await {
        Ok(range) => Ok(HttpResponse::Ok().json(range)),
        Err(refusal) => refused(&refusal),
    }
}

/// The top processes nearest to `at`: a raw sample's list while raw history
/// covers it, else the processes that peaked in that minute or hour.
async fn processes(req: HttpRequest, hub: web::Data<Hub>) -> Result<HttpResponse, QueryError> {
    let params = Params::parse(req.query_string(), &["at"])?;
    let at_ms = params.time_ms("at")?.ok_or_else(|| QueryError {
        parameter: "at".into(),
        problem: "needed: the moment, as RFC 3339 or Unix seconds".into(),
    })?;
    match reads::processes(&hub, 0, at_ms).await {
        Ok(processes) => Ok(HttpResponse::Ok().json(processes)),
        Err(refusal) => refused(&refusal),
    }
}

/// A refused read: 400 naming the parameter at fault; 501 when the server
/// keeps no history on disk; 503 when the read failed.
fn refused(refusal: &Refusal) -> Result<HttpResponse, QueryError> {
    match (refusal, refusal.parameter()) {
        (_, Some(parameter)) => Err(QueryError {
            parameter: parameter.to_owned(),
            problem: refusal.to_string(),
        }),
        (Refusal::MemoryOnly, None) => Ok(error::respond(
            &mut HttpResponse::NotImplemented(),
            &refusal.to_string(),
        )),
        (_, None) => Ok(error::respond(
            HttpResponse::ServiceUnavailable().insert_header(("Retry-After", "1")),
            &refusal.to_string(),
        )),
    }
}
