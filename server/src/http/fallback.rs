//! What the routes themselves never answer, in the one error shape: a path
//! nobody serves (404), a method a path does not take (405 with `Allow`), and
//! `HEAD`, which is answered as the `GET` it asks about, without the body.
//! Wraps the whole app, so no route can forget it.

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::{Method, StatusCode, header};
use actix_web::middleware::Next;
use actix_web::{HttpResponse, web};

use crate::http::{error, paths};

/// Registers the answer for paths no route serves.
pub fn configure(config: &mut web::ServiceConfig) {
    config.default_service(web::to(not_found));
}

async fn not_found(req: actix_web::HttpRequest) -> HttpResponse {
    no_such_path(req.path())
}

/// 404, naming every path the server serves.
pub(crate) fn no_such_path(path: &str) -> HttpResponse {
    error::respond(
        &mut HttpResponse::NotFound(),
        &format!(
            "no such path: {path}; the server serves {} (see PROTOCOL.md)",
            paths::listed()
        ),
    )
}

/// Middleware: `HEAD` runs as `GET` (actix-http then sends the head alone),
/// and a bare 405 from a resource becomes the JSON error with `Allow`.
pub async fn shape(
    mut req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, actix_web::Error> {
    if req.method() == Method::HEAD {
        req.head_mut().method = Method::GET;
    }
    let response = next.call(req).await?;
    if response.status() != StatusCode::METHOD_NOT_ALLOWED
        || response.headers().contains_key(header::CONTENT_TYPE)
    {
        return Ok(response.map_into_left_body());
    }
    let method = response.request().method().clone();
    let allow = paths::methods_of(response.request().path()).allow;
    let answer = error::respond(
        HttpResponse::MethodNotAllowed().insert_header((header::ALLOW, allow)),
        &format!("{method} is not served here: this path takes {allow} only"),
    );
    Ok(response.into_response(answer).map_into_right_body())
}
