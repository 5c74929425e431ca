//! Bearer-token authentication, checked before anything else runs: before the
//! WebSocket upgrade, before REST reads, before `/metrics` (unless the operator
//! opened it). `/` and `/healthz` stay open so load balancers and humans can
//! check the server is up. Tokens are compared in constant time and never
//! logged. An address that keeps presenting wrong tokens is slowed down: after
//! [`MAX_FAILURES`] in [`FAILURE_WINDOW`] its wrong tokens get 429 until the
//! window ends. Only wrong tokens count: a request with no token is answered
//! 401 and forgotten, and the right token is let in even from a slowed
//! address, so one misconfigured client behind a NAT does not lock out
//! everyone else there. What keeps guessing hopeless is the token's length
//! (at least 32 characters, see `Secret`), not the slow-down.
//! Behind a trusted proxy the address is the client's, not the proxy's
//! ([`crate::http::proxy`]).
//!
//! The stream also takes a ticket (`/ws?ticket=`, [`crate::http::ticket`])
//! instead of the header, for web pages, which cannot set one on a
//! WebSocket. A ticket counts like a token: the right one passes, a wrong or
//! spent one counts as a wrong token.

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
use crate::http::ticket::Tickets;
use crate::stream::origin::Origin;
use hostpulse_shared::Secret;

/// Failed attempts an address may make in one window.
pub const MAX_FAILURES: u32 = 10;
/// How long failures are remembered, and how long a slowed address waits.
pub const FAILURE_WINDOW: Duration = Duration::from_mins(1);
/// Addresses remembered at most. When the table is full, a new address
/// takes the place of an expired entry, else of the oldest entry that is not
/// slowed, else of the oldest slowed one: a spray of single failures from
/// fresh addresses only ever replaces other unslowed ones, and flushing a
/// slowed address takes as many slowed ones.
pub const MAX_TRACKED: usize = 4096;

/// Recent failures per address, bounded in size.
#[derive(Debug, Default)]
pub struct Failures {
    by_address: Mutex<HashMap<IpAddr, Record>>,
}

/// An address's failures in its current window.
#[derive(Debug, Clone, Copy)]
struct Record {
    count: u32,
    since: Instant,
}

impl Record {
    fn expired(&self, now: Instant) -> bool {
        now.duration_since(self.since) >= FAILURE_WINDOW
    }

    fn slowed(&self, now: Instant) -> bool {
        self.count >= MAX_FAILURES && !self.expired(now)
    }
}

/// The entry a new address replaces in a full table (see [`MAX_TRACKED`]).
fn evictee(map: &HashMap<IpAddr, Record>, now: Instant) -> Option<IpAddr> {
    map.iter()
        .min_by_key(|(_, record)| (!record.expired(now), record.slowed(now), record.since))
        .map(|(address, _)| *address)
}

impl Failures {
    /// Records a failure of `address` at `now`.
    pub fn record(&self, address: IpAddr, now: Instant) {
        let address = network_of(address);
        let mut map = self
            .by_address
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if map.len() >= MAX_TRACKED
            && !map.contains_key(&address)
            && let Some(evicted) = evictee(&map, now)
        {
            map.remove(&evicted);
        }
        let record = map.entry(address).or_insert(Record {
            count: 0,
            since: now,
        });
        if record.expired(now) {
            *record = Record {
                count: 0,
                since: now,
            };
        }
        record.count += 1;
    }

    /// How long `address` must wait, if it has failed too often.
    #[must_use]
    pub fn wait(&self, address: IpAddr, now: Instant) -> Option<Duration> {
        let address = network_of(address);
        let map = self
            .by_address
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let record = *map.get(&address)?;
        let left = FAILURE_WINDOW
            .checked_sub(now.duration_since(record.since))
            .filter(|left| !left.is_zero())?;
        record.slowed(now).then_some(left)
    }
}

/// What one party controls: an IPv4 address, or an IPv6 /64 (one host can
/// hold a whole /64, and could otherwise take a new address per try).
pub(crate) fn network_of(address: IpAddr) -> IpAddr {
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

    /// What an `Authorization` header value amounts to.
    #[must_use]
    pub fn judge(&self, authorization: Option<&[u8]>) -> Presented {
        let Some(token) = &self.token else {
            return Presented::Right;
        };
        let Some(value) = authorization else {
            return Presented::Nothing;
        };
        // The scheme name is case-insensitive (RFC 7235); the token is not.
        let presented = if value.len() > 7 && value[..7].eq_ignore_ascii_case(b"bearer ") {
            &value[7..]
        } else {
            &[][..]
        };
        if bool::from(presented.ct_eq(token.expose().as_bytes())) {
            Presented::Right
        } else {
            Presented::Wrong
        }
    }
}

/// What a request presented, as far as the token goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Presented {
    /// The right token (or none is needed).
    Right,
    /// No `Authorization` header: answered 401, not counted.
    Nothing,
    /// A wrong token, or a header of another scheme: counted.
    Wrong,
}

/// Middleware for the stream and the REST reads: 401 with `WWW-Authenticate`
/// without the right token. It is attached to those resources themselves (not
/// matched by path), so no spelling of a path can route around it.
pub async fn check(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, actix_web::Error> {
    enforce(req, next, Guarded::Reads).await
}

/// Middleware for `/ws`: like [`check`], and a ticket passes too.
pub async fn check_stream(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, actix_web::Error> {
    enforce(req, next, Guarded::Stream).await
}

/// Middleware for `/metrics`: like [`check`], unless the operator opened it.
pub async fn check_metrics(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, actix_web::Error> {
    enforce(req, next, Guarded::Metrics).await
}

/// What a request asks for, as far as credentials go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Guarded {
    /// REST reads and the ticket: the token.
    Reads,
    /// The stream: the token or a ticket.
    Stream,
    /// `/metrics`: the token, unless opened.
    Metrics,
}

/// What the `ticket` query parameter of a stream request amounts to, if
/// there is one: redeemed, it is [`Presented::Right`], and wrong, spent,
/// expired or presented from another origin, [`Presented::Wrong`].
fn ticket_of(req: &ServiceRequest, now: Instant) -> Option<Presented> {
    let (_, ticket) =
        form_urlencoded::parse(req.query_string().as_bytes()).find(|(name, _)| name == "ticket")?;
    let origin = match req.headers().get(header::ORIGIN) {
        None => None,
        Some(value) => match value.to_str().ok().map(Origin::parse) {
            Some(Ok(origin)) => Some(origin),
            _ => return Some(Presented::Wrong),
        },
    };
    let redeemed = req
        .app_data::<web::Data<Tickets>>()
        .is_some_and(|tickets| tickets.redeem(&ticket, origin.as_ref(), now));
    Some(if redeemed {
        Presented::Right
    } else {
        Presented::Wrong
    })
}

async fn enforce(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
    guarded: Guarded,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, actix_web::Error> {
    let auth = req
        .app_data::<web::Data<Auth>>()
        .filter(|auth| auth.enabled() && (guarded != Guarded::Metrics || auth.metrics_need_token))
        .cloned();
    let Some(auth) = auth else {
        return Ok(next.call(req).await?.map_into_left_body());
    };
    let client = Client::of(req.request());
    let now = Instant::now();
    let presented = match auth.judge(
        req.headers()
            .get(header::AUTHORIZATION)
            .map(header::HeaderValue::as_bytes),
    ) {
        Presented::Nothing if guarded == Guarded::Stream => {
            ticket_of(&req, now).unwrap_or(Presented::Nothing)
        }
        presented => presented,
    };
    match presented {
        // The right token passes even a slowed address.
        Presented::Right => return Ok(next.call(req).await?.map_into_left_body()),
        Presented::Wrong => {
            if let Some(wait) = client.and_then(|client| auth.failures.wait(client.ip(), now)) {
                let response = error::respond(
                    HttpResponse::TooManyRequests()
                        .insert_header((header::RETRY_AFTER, wait.as_secs().max(1).to_string())),
                    "too many wrong tokens from this address: wait, then try the right one",
                );
                return Ok(req.into_response(response).map_into_right_body());
            }
            if let Some(client) = client {
                auth.failures.record(client.ip(), now);
            }
        }
        Presented::Nothing => {}
    }
    let peer = client.map(|client| client.to_string()).unwrap_or_default();
    let refused = match presented {
        Presented::Nothing => "refused: no token",
        _ => "refused: wrong token or ticket",
    };
    tracing::info!(%peer, path = req.path(), "{refused}");
    let what_to_do = if guarded == Guarded::Stream {
        "missing or wrong token: send `Authorization: Bearer <token>`, or, from a web \
         page, a ticket from POST /api/v1/ws-ticket as /ws?ticket=<ticket>"
    } else {
        "missing or wrong token: send `Authorization: Bearer <token>`"
    };
    let response = error::respond(
        HttpResponse::Unauthorized()
            .insert_header((header::WWW_AUTHENTICATE, "Bearer realm=\"hostpulse\"")),
        what_to_do,
    );
    Ok(req.into_response(response).map_into_right_body())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn auth() -> Auth {
        Auth::new(
            Some(Secret::new("0123456789abcdef-0123456789abcdef-token")),
            true,
        )
    }

    #[test]
    fn only_the_exact_bearer_token_is_admitted() {
        let auth = auth();
        assert_eq!(
            auth.judge(Some(b"Bearer 0123456789abcdef-0123456789abcdef-token")),
            Presented::Right
        );
        assert_ne!(
            auth.judge(Some(b"Bearer 0123456789abcdef-0123456789abcdef-tokeN")),
            Presented::Right
        );
        assert_ne!(
            auth.judge(Some(b"Bearer 0123456789abcdef-0123456789abcdef-token ")),
            Presented::Right
        );
        assert_ne!(
            auth.judge(Some(b"Basic 0123456789abcdef-0123456789abcdef-token")),
            Presented::Right
        );
        assert_eq!(
            auth.judge(Some(b"bearer 0123456789abcdef-0123456789abcdef-token")),
            Presented::Right,
            "scheme in any case"
        );
        assert_ne!(
            auth.judge(Some(b"0123456789abcdef-0123456789abcdef-token")),
            Presented::Right
        );
        assert_ne!(auth.judge(None), Presented::Right);
        assert_eq!(
            Auth::new(None, true).judge(None),
            Presented::Right,
            "no token set: open"
        );
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
    fn no_header_is_nothing_and_another_scheme_is_wrong() {
        let auth = auth();
        assert_eq!(auth.judge(None), Presented::Nothing);
        assert_eq!(auth.judge(Some(b"Basic abc")), Presented::Wrong);
        assert_eq!(auth.judge(Some(b"")), Presented::Wrong);
        assert_eq!(Auth::new(None, true).judge(None), Presented::Right);
    }

    #[test]
    fn the_failure_table_stays_bounded_and_keeps_slowed_addresses() {
        let failures = Failures::default();
        let now = Instant::now();
        let slowed: IpAddr = "192.0.2.7".parse().unwrap();
        for _ in 0..MAX_FAILURES {
            failures.record(slowed, now);
        }
        for n in 0..u32::try_from(MAX_TRACKED + 100).unwrap() {
            failures.record(IpAddr::from(((n + 1) << 8).to_be_bytes()), now);
        }
        let tracked = failures.by_address.lock().unwrap().len();
        assert!(tracked <= MAX_TRACKED, "{tracked} addresses tracked");
        assert!(failures.wait(slowed, now).is_some(), "flushed by the spray");
    }

    #[test]
    fn a_full_table_replaces_expired_then_unslowed_then_the_oldest_slowed() {
        let start = Instant::now();
        let now = start + FAILURE_WINDOW;
        let later = now + Duration::from_secs(1);
        let record = |count, since| Record { count, since };
        let address = |n: u8| IpAddr::from([192, 0, 2, n]);
        let mut map = HashMap::new();
        map.insert(address(1), record(MAX_FAILURES, now));
        map.insert(address(2), record(MAX_FAILURES, later));
        map.insert(address(3), record(1, later));
        map.insert(address(4), record(1, start));
        let at = later + Duration::from_secs(1);
        assert_eq!(evictee(&map, at), Some(address(4)), "expired first");
        map.remove(&address(4));
        assert_eq!(evictee(&map, at), Some(address(3)), "then not slowed");
        map.remove(&address(3));
        assert_eq!(
            evictee(&map, at),
            Some(address(1)),
            "then the oldest slowed"
        );
    }
}
