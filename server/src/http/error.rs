//! The one error body every endpoint answers with, so a client parses every
//! refusal the same way: `{"error": "<what is wrong and what to do>"}`, plus
//! `"parameter"` when one query parameter is at fault.
//!
//! The body is `hostpulse_shared::rest::HttpError`, the type the contract's
//! `http-error.schema.json` and OpenAPI document are generated from.

use actix_web::{HttpResponse, HttpResponseBuilder};
use hostpulse_shared::rest::HttpError;

/// The error body as JSON text, for the answers written below actix (the
/// connection guard's 408, 431 and 503).
pub(crate) fn body(error: &str) -> String {
    serde_json::to_string(&HttpError {
        error: error.to_owned(),
        parameter: None,
    })
    .unwrap_or_else(|_| String::from(r#"{"error":"internal error"}"#))
}

/// Finishes `response` (its status and any headers already set) with the
/// error body saying `error`.
pub(crate) fn respond(response: &mut HttpResponseBuilder, error: &str) -> HttpResponse {
    response.json(HttpError {
        error: error.to_owned(),
        parameter: None,
    })
}

/// Like [`respond`], naming the query parameter at fault.
pub(crate) fn respond_about(
    response: &mut HttpResponseBuilder,
    error: &str,
    parameter: &str,
) -> HttpResponse {
    response.json(HttpError {
        error: error.to_owned(),
        parameter: Some(parameter.to_owned()),
    })
}

#[cfg(test)]
mod tests {
    use actix_web::body::MessageBody;
    use actix_web::http::StatusCode;

    use super::*;

    fn body_of(response: HttpResponse) -> serde_json::Value {
        let bytes = response.into_body().try_into_bytes().unwrap();
        serde_json::from_slice(&bytes).unwrap()
    }

    #[test]
    fn an_error_names_the_parameter_only_when_there_is_one() {
        let plain = respond(&mut HttpResponse::NotFound(), "no such thing");
        assert_eq!(plain.status(), StatusCode::NOT_FOUND);
        assert_eq!(
            plain.headers().get("content-type").unwrap(),
            "application/json"
        );
        assert_eq!(
            body_of(plain),
            serde_json::json!({"error": "no such thing"})
        );
        let about = respond_about(&mut HttpResponse::BadRequest(), "too big", "limit");
        assert_eq!(
            body_of(about),
            serde_json::json!({"error": "too big", "parameter": "limit"})
        );
    }
}
