//! Bearer-token authentication, checked before anything else runs: before the
//! WebSocket upgrade, before REST reads, before `/metrics` (unless the operator
//! opened it). `/` and `/healthz` stay open so load balancers and humans can
//! check the server is up. Tokens are compared in constant time and never
//! logged. An address that keeps presenting wrong tokens is slowed down: after
//! [`MAX_FAILURES`] in [`FAILURE_WINDOW`] it gets 429 until the window ends.
//! Behind a trusted proxy the address is the client's, not the proxy's
//! ([`crate::http::proxy`]).

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header;
use actix_web::middleware::Next;
use actix_web::{HttpResponse, web};
use subtle::ConstantTimeEq;

use crate::http::error;
use crate::http::proxy::Client;
use hostpulse_shared::Secret;

/// Failed attempts an address may make in one window.
pub const MAX_FAILURES: u32 = 10;
/// How long failures are remembered, and how long a slowed address waits.
pub const FAILURE_WINDOW: Duration = Duration::from_mins(1);
/// Addresses remembered at most; past this, expired entries are dropped, and if
/// that is not enough the table starts over.
const MAX_TRACKED: usize = 4096;

/// Recent failures per address, bounded in size.
#[derive(Debug, Default)]
pub struct Failures {
    by_address: Mutex<HashMap<IpAddr, (u32, Instant)>>,
}

impl Failures {
    /// Records a failure of `address` at `now`.
    pub fn record(&self, address: IpAddr, now: Instant) {
        let address = network_of(address);
        let mut map = self
            .by_address
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if map.len() >= MAX_TRACKED && !map.contains_key(&address) {
            map.retain(|_, (_, since)| now.duration_since(*since) < FAILURE_WINDOW);
            if map.len() >= MAX_TRACKED {
                map.clear();
            }
        }
        let entry = map.entry(address).or_insert((0, now));
        if now.duration_since(entry.1) >= FAILURE_WINDOW {
            *entry = (0, now);
        }
        entry.0 += 1;
    }

    /// How long `address` must wait, if it has failed too often.
    #[must_use]
    pub fn wait(&self, address: IpAddr, now: Instant) -> Option<Duration> {
        let address = network_of(address);
        let map = self
            .by_address
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let (count, since) = *map.get(&address)?;
        let elapsed = now.duration_since(since);
        let left = FAILURE_WINDOW
            .checked_sub(elapsed)
            .filter(|left| !left.is_zero())?;
        (count >= MAX_FAILURES).then_some(left)
    }
}

/// What one party controls: an IPv4 address, or an IPv6 /64 (one host can
/// hold a whole /64, and could otherwise take a new address per try).
fn network_of(address: IpAddr) -> IpAddr {
    match address {
        IpAddr::V4(_) => address,
        IpAddr::V6(v6) => {
            let bits = u128::from(v6) & !((1u128 << 64) - 1);
            IpAddr::V6(bits.into())
        }
    }
}

/// Who may in.
#[derive(Debug, Clone)]
pub struct Auth {
    token: Option<Secret>,
    metrics_need_token: bool,
    failures: Arc<Failures>,
}

impl Auth {
    /// Requires `token` (when set) on the stream and REST reads, and on
    /// `/metrics` when `metrics_need_token`.
    #[must_use]
    pub fn new(token: Option<Secret>, metrics_need_token: bool) -> Self {
        Self {
            token,
            metrics_need_token,
            failures: Arc::default(),
        }
    }

    /// True when a token is required at all.
    #[must_use]
    pub fn enabled(&self) -> bool {
        self.token.is_some()
    }

    /// Whether an `Authorization` header value lets the request in.
    #[must_use]
    pub fn admits(&self, authorization: Option<&[u8]>) -> bool {
        let Some(token) = &self.token else {
            return true;
        };
        // The scheme name is case-insensitive (RFC 7235); the token is not.
        let presented = authorization
            .filter(|value| value.len() > 7 && value[..7].eq_ignore_ascii_case(b"bearer "))
            .map_or(&[][..], |value| &value[7..]);
        bool::from(presented.ct_eq(token.expose().as_bytes()))
    }
}

/// Middleware for the stream and the REST reads: 401 with `WWW-Authenticate`
/// without the right token. It is attached to those resources themselves (not
/// matched by path), so no spelling of a path can route around it.
pub async fn check(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, actix_web::Error> {
    enforce(req, next, false).await
}

/// Middleware for `/metrics`: like [`check`], unless the operator opened it.
pub async fn check_metrics(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, actix_web::Error> {
    enforce(req, next, true).await
}

async fn enforce(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
    metrics: bool,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, actix_web::Error> {
    let auth = req
        .app_data::<web::Data<Auth>>()
        .filter(|auth| auth.enabled() && (!metrics || auth.metrics_need_token))
        .cloned();
    let Some(auth) = auth else {
        return Ok(next.call(req).await?.map_into_left_body());
    };
    let client = Client::of(req.request());
    let now = Instant::now();
    if let Some(wait) = client.and_then(|client| auth.failures.wait(client.ip(), now)) {
        let response = error::respond(
            HttpResponse::TooManyRequests()
                .insert_header((header::RETRY_AFTER, wait.as_secs().max(1).to_string())),
            "too many wrong tokens from this address: wait, then try the right one",
        );
        return Ok(req.into_response(response).map_into_right_body());
    }
    let admitted = auth.admits(
        req.headers()
            .get(header::AUTHORIZATION)
            .map(header::HeaderValue::as_bytes),
    );
    if admitted {
        return Ok(next.call(req).await?.map_into_left_body());
    }
    if let Some(client) = client {
        auth.failures.record(client.ip(), now);
    }
    let peer = client.map(|client| client.to_string()).unwrap_or_default();
    tracing::info!(%peer, path = req.path(), "refused: missing or wrong token");
    let response = error::respond(
        HttpResponse::Unauthorized()
            .insert_header((header::WWW_AUTHENTICATE, "Bearer realm=\"hostpulse\"")),
        "missing or wrong token: send `Authorization: Bearer <token>`",
    );
    Ok(req.into_response(response).map_into_right_body())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn auth() -> Auth {
        Auth::new(Some(Secret::new("0123456789abcdef-token")), true)
    }

    #[test]
    fn only_the_exact_bearer_token_is_admitted() {
        let auth = auth();
        assert!(auth.admits(Some(b"Bearer 0123456789abcdef-token")));
        assert!(!auth.admits(Some(b"Bearer 0123456789abcdef-tokeN")));
        assert!(!auth.admits(Some(b"Bearer 0123456789abcdef-token ")));
        assert!(!auth.admits(Some(b"Basic 0123456789abcdef-token")));
        assert!(
            auth.admits(Some(b"bearer 0123456789abcdef-token")),
            "scheme in any case"
        );
        assert!(!auth.admits(Some(b"0123456789abcdef-token")));
        assert!(!auth.admits(None));
        assert!(Auth::new(None, true).admits(None), "no token set: open");
    }

    #[test]
    fn an_address_that_keeps_failing_waits_out_the_window() {
        let failures = Failures::default();
        let address: IpAddr = "192.0.2.7".parse().unwrap();
        let other: IpAddr = "192.0.2.8".parse().unwrap();
        let start = Instant::now();
        for _ in 0..MAX_FAILURES - 1 {
            failures.record(address, start);
        }
        assert_eq!(failures.wait(address, start), None, "not yet");
        failures.record(address, start);
        let later = start + Duration::from_secs(15);
        assert_eq!(failures.wait(address, later), Some(Duration::from_secs(45)));
        assert_eq!(failures.wait(other, later), None, "per address");
        assert_eq!(
            failures.wait(address, start + FAILURE_WINDOW),
            None,
            "window over"
        );

        // Addresses of one IPv6 /64 count together.
        let v6 = Failures::default();
        for n in 0..MAX_FAILURES {
            v6.record(format!("2001:db8::{n:x}").parse().unwrap(), start);
        }
        assert!(v6.wait("2001:db8::ffff".parse().unwrap(), start).is_some());
        assert!(v6.wait("2001:db8:0:1::1".parse().unwrap(), start).is_none());
    }

    #[test]
    fn the_failure_table_stays_bounded() {
        let failures = Failures::default();
        let now = Instant::now();
        for n in 0..u32::try_from(MAX_TRACKED + 100).unwrap() {
            failures.record(IpAddr::from(n.to_be_bytes()), now);
        }
        let tracked = failures.by_address.lock().unwrap().len();
        assert!(tracked <= MAX_TRACKED, "{tracked} addresses tracked");
    }
}
