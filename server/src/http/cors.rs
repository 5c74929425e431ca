//! CORS for the `/api/v1` reads and the ticket, for the origins in
//! `allowed_origins` only: a page from one of them may `fetch()` them with
//! the token, and a page from anywhere else gets nothing it can read.
//!
//! - A preflight (`OPTIONS` with `Origin` and `Access-Control-Request-Method`)
//!   from an allowed origin is answered 204 with the methods the path takes
//!   and `Authorization` as the one header a page may add; from any other
//!   origin, 403. Preflights carry no credentials (the Fetch standard), so
//!   they are answered here, before the token check, and say nothing but
//!   what the path takes. A plain `OPTIONS` gets 204 with `Allow`.
//! - Every other answer under `/api/v1`, refusals included, carries
//!   `Access-Control-Allow-Origin` naming the page's origin when it is
//!   allowed, so the page can read the JSON error too.
//!
//! No cookies are involved (`Access-Control-Allow-Credentials` is never
//! sent): the token travels in `Authorization`, set by the page's own code.
//! `/`, `/healthz`, `/metrics` and `/ws` get no CORS headers; a WebSocket is
//! not subject to CORS, and `/ws` checks the `Origin` itself.

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderValue};
use actix_web::http::{Method, StatusCode};
use actix_web::middleware::Next;
use actix_web::{HttpResponse, web};

use crate::http::{error, fallback, paths};
use crate::stream::ws::Gate;

/// The paths CORS applies to.
const API_PREFIX: &str = "/api/v1/";
/// How long a browser may keep a preflight's answer.
const PREFLIGHT_MAX_AGE_SECS: &str = "600";
/// Answer headers a page may read besides the simple ones.
const EXPOSED_HEADERS: &str = "retry-after, www-authenticate";

/// 403 for a page whose origin is not in `allowed_origins`, on `/ws`, the
/// ticket and a preflight alike.
pub(crate) fn forbidden_origin(origin: &str) -> HttpResponse {
    error::respond(
        &mut HttpResponse::Forbidden(),
        &format!(
            "pages from {origin} may not use this server: add the origin to \
             allowed_origins in the server's configuration"
        ),
    )
}

/// Middleware over the whole app (outermost, so it sees every answer in its
/// final shape).
pub async fn cors(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, actix_web::Error> {
    if !req.path().starts_with(API_PREFIX) {
        return Ok(next.call(req).await?.map_into_left_body());
    }
    let origin = req
        .headers()
        .get(header::ORIGIN)
        .map(|value| value.to_str().unwrap_or_default().to_owned());
    let allowed = origin.clone().filter(|origin| {
        req.app_data::<web::Data<Gate>>()
            .is_some_and(|gate| gate.allowed_origins.allows(origin))
    });
    if req.method() == Method::OPTIONS {
        let answer = options(&req, origin.as_deref(), allowed.as_deref());
        return Ok(req.into_response(answer).map_into_right_body());
    }
    let mut response = next.call(req).await?;
    let headers = response.headers_mut();
    // Whatever the origin: a cache must not hand one origin's answer to another.
    headers.append(header::VARY, HeaderValue::from_static("origin"));
    if let Some(origin) = allowed
        && let Ok(value) = HeaderValue::from_str(&origin)
    {
        headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, value);
        headers.insert(
            header::ACCESS_CONTROL_EXPOSE_HEADERS,
            HeaderValue::from_static(EXPOSED_HEADERS),
        );
    }
    Ok(response.map_into_left_body())
}

/// The answer to `OPTIONS` on an `/api/v1` path.
fn options(req: &ServiceRequest, origin: Option<&str>, allowed: Option<&str>) -> HttpResponse {
    let path = req.path();
    if !req.request().resource_map().has_resource(path) {
        return fallback::no_such_path(path);
    }
    let methods = paths::methods_of(path);
    let preflight = req
        .headers()
        .contains_key(header::ACCESS_CONTROL_REQUEST_METHOD);
    match (origin, allowed) {
        (Some(_), Some(allowed)) if preflight => HttpResponse::NoContent()
            .insert_header((header::ALLOW, methods.allow))
            .insert_header((header::ACCESS_CONTROL_ALLOW_ORIGIN, allowed))
            .insert_header((header::ACCESS_CONTROL_ALLOW_METHODS, methods.cors))
            .insert_header((header::ACCESS_CONTROL_ALLOW_HEADERS, "authorization"))
            .insert_header((header::ACCESS_CONTROL_MAX_AGE, PREFLIGHT_MAX_AGE_SECS))
            .insert_header((header::VARY, "origin"))
            .finish(),
        (Some(origin), None) => forbidden_origin(origin),
        _ => HttpResponse::build(StatusCode::NO_CONTENT)
            .insert_header((header::ALLOW, methods.allow))
            .finish(),
    }
}
