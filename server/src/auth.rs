//! Bearer-token authentication, checked before anything else runs: before the
//! WebSocket upgrade, before REST reads, before `/metrics` (unless the operator
//! opened it). `/` and `/healthz` stay open so load balancers and humans can
//! check the server is up. Tokens are compared in constant time and never
//! logged.

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header;
use actix_web::middleware::Next;
use actix_web::{HttpResponse, web};
use serde::Serialize;
use subtle::ConstantTimeEq;

use crate::config::Secret;

/// Who may in.
#[derive(Debug, Clone)]
pub struct Auth {
    token: Option<Secret>,
    metrics_need_token: bool,
}

impl Auth {
    /// Requires `token` (when set) on the stream and REST reads, and on
    /// `/metrics` when `metrics_need_token`.
    #[must_use]
    pub fn new(token: Option<Secret>, metrics_need_token: bool) -> Self {
        Self {
            token,
            metrics_need_token,
        }
    }

    /// True when a token is required at all.
    #[must_use]
    pub fn enabled(&self) -> bool {
        self.token.is_some()
    }

    fn guards(&self, path: &str) -> bool {
        path == hostpulse_shared::WS_PATH
            || path.starts_with("/api/")
            || (path == "/metrics" && self.metrics_need_token)
    }

    /// Whether an `Authorization` header value lets the request in.
    #[must_use]
    pub fn admits(&self, authorization: Option<&[u8]>) -> bool {
        let Some(token) = &self.token else {
            return true;
        };
        let presented = authorization
            .and_then(|value| value.strip_prefix(b"Bearer "))
            .unwrap_or_default();
        bool::from(presented.ct_eq(token.expose().as_bytes()))
    }
}

#[derive(Serialize)]
struct ErrorBody {
    error: &'static str,
}

/// The middleware: 401 with `WWW-Authenticate` for a guarded path without the
/// right token.
pub async fn check(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, actix_web::Error> {
    let refused = req.app_data::<web::Data<Auth>>().is_some_and(|auth| {
        auth.guards(req.path())
            && !auth.admits(
                req.headers()
                    .get(header::AUTHORIZATION)
                    .map(header::HeaderValue::as_bytes),
            )
    });
    if refused {
        let peer = req
            .peer_addr()
            .map(|a| a.ip().to_string())
            .unwrap_or_default();
        tracing::info!(%peer, path = req.path(), "refused: missing or wrong token");
        let response = HttpResponse::Unauthorized()
            .insert_header((header::WWW_AUTHENTICATE, "Bearer realm=\"hostpulse\""))
            .json(ErrorBody {
                error: "missing or wrong token: send `Authorization: Bearer <token>`",
            });
        return Ok(req.into_response(response).map_into_right_body());
    }
    Ok(next.call(req).await?.map_into_left_body())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn auth() -> Auth {
        Auth::new(
            Some(Secret::token("0123456789abcdef-token", "test").unwrap()),
            true,
        )
    }

    #[test]
    fn only_the_exact_bearer_token_is_admitted() {
        let auth = auth();
        assert!(auth.admits(Some(b"Bearer 0123456789abcdef-token")));
        assert!(!auth.admits(Some(b"Bearer 0123456789abcdef-tokeN")));
        assert!(!auth.admits(Some(b"Bearer 0123456789abcdef-token ")));
        assert!(!auth.admits(Some(b"Basic 0123456789abcdef-token")));
        assert!(!auth.admits(Some(b"0123456789abcdef-token")));
        assert!(!auth.admits(None));
        assert!(Auth::new(None, true).admits(None), "no token set: open");
    }

    #[test]
    fn health_stays_open_and_metrics_can_be_opened() {
        let auth = auth();
        assert!(auth.guards("/ws") && auth.guards("/api/v1/host") && auth.guards("/metrics"));
        assert!(!auth.guards("/healthz") && !auth.guards("/"));
        let open_metrics = Auth::new(auth.token.clone(), false);
        assert!(!open_metrics.guards("/metrics"));
    }
}
