//! Tickets: how a web page opens the stream of a server that has a token.
//!
//! A browser's WebSocket API cannot set an `Authorization` header. So a page
//! asks `POST /api/v1/ws-ticket` first, with the token in that header (`fetch`
//! can send it, and CORS lets the allowed origins read the answer), and opens
//! `/ws?ticket=…` within [`TICKET_TTL`]. A ticket opens one stream, once, from
//! the origin that asked for it (or from no origin, for a native client), so
//! a ticket copied from an access log or a proxy is spent or expired by the
//! time anyone could use it, and the long-lived token never travels in a URL.
//! SECURITY.md weighs this against sending the token as a WebSocket
//! subprotocol.
//!
//! The table is bounded: at most [`MAX_TICKETS`] outstanding, expired ones
//! dropped whenever it is touched, and a full table drops its oldest ticket,
//! which only a holder of the token can have asked for. Presented tickets are
//! compared with every outstanding one in constant time.

use std::collections::VecDeque;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use hostpulse_shared::rest::WsTicket;
use subtle::ConstantTimeEq;

use crate::http::cors::forbidden_origin;
use crate::http::error;
use crate::http::query::{Params, QueryError};
use crate::stream::origin::Origin;
use crate::stream::ws::Gate;

/// How long a ticket stays valid: long enough for a page to open its
/// WebSocket right after the answer, short enough that a copy is worthless.
pub const TICKET_TTL: Duration = Duration::from_secs(10);
/// Tickets outstanding at most.
pub const MAX_TICKETS: usize = 1024;
/// Random bytes per ticket (256 bits): guessing one is hopeless.
const TICKET_BYTES: usize = 32;
/// The path tickets are asked for at.
pub const TICKET_PATH: &str = "/api/v1/ws-ticket";

/// The tickets issued and not yet used or expired, oldest first.
#[derive(Debug, Default)]
pub struct Tickets {
    issued: Mutex<VecDeque<Issued>>,
}

#[derive(Debug)]
struct Issued {
    secret: [u8; TICKET_BYTES],
    /// The page origin that asked; `None` for a client that sent no `Origin`.
    origin: Option<Origin>,
    expires: Instant,
}

/// The system's random source failed; no ticket can be made.
#[derive(Debug, thiserror::Error)]
#[error("cannot draw a random ticket: {0}")]
pub struct NoRandomness(getrandom::Error);

impl Tickets {
    /// A new ticket for `origin`, valid until `now` + [`TICKET_TTL`], as
    /// 64 lower-case hexadecimal digits.
    pub fn issue(&self, origin: Option<Origin>, now: Instant) -> Result<String, NoRandomness> {
        let mut secret = [0u8; TICKET_BYTES];
        getrandom::fill(&mut secret).map_err(NoRandomness)?;
        let mut issued = self.issued.lock().unwrap_or_else(PoisonError::into_inner);
        forget_expired(&mut issued, now);
        if issued.len() >= MAX_TICKETS {
            issued.pop_front();
        }
        issued.push_back(Issued {
            secret,
            origin,
            expires: now + TICKET_TTL,
        });
        Ok(hex(&secret))
    }

    /// Whether `presented` is an outstanding ticket issued to `origin`. A
    /// ticket that matches is spent either way: presented from another
    /// origin, it is refused and cannot be tried again.
    pub fn redeem(&self, presented: &str, origin: Option<&Origin>, now: Instant) -> bool {
        let Some(presented) = unhex(presented) else {
            return false;
        };
        let mut issued = self.issued.lock().unwrap_or_else(PoisonError::into_inner);
        forget_expired(&mut issued, now);
        // Every outstanding ticket is compared, so the time taken says
        // nothing about which bytes matched.
        let mut found = None;
        for (index, ticket) in issued.iter().enumerate() {
            if bool::from(ticket.secret.ct_eq(&presented)) {
                found = Some(index);
            }
        }
        found
            .and_then(|index| issued.remove(index))
            .is_some_and(|ticket| ticket.origin.as_ref() == origin)
    }
}

/// Drops the tickets past their time (they are in issue order, and all
/// live equally long).
fn forget_expired(issued: &mut VecDeque<Issued>, now: Instant) {
    while issued.front().is_some_and(|ticket| ticket.expires <= now) {
        issued.pop_front();
    }
}

fn hex(bytes: &[u8; TICKET_BYTES]) -> String {
    use std::fmt::Write as _;
    bytes
        .iter()
        .fold(String::with_capacity(2 * TICKET_BYTES), |mut text, byte| {
            let _ = write!(text, "{byte:02x}");
            text
        })
}

/// The bytes of a ticket as [`hex`] writes it; `None` for anything else.
fn unhex(text: &str) -> Option<[u8; TICKET_BYTES]> {
    let digits = text.as_bytes();
    if digits.len() != 2 * TICKET_BYTES {
        return None;
    }
    let mut bytes = [0u8; TICKET_BYTES];
    for (byte, pair) in bytes.iter_mut().zip(digits.chunks_exact(2)) {
        let pair = std::str::from_utf8(pair).ok()?;
        if pair.bytes().any(|digit| digit.is_ascii_uppercase()) {
            return None;
        }
        *byte = u8::from_str_radix(pair, 16).ok()?;
    }
    Some(bytes)
}

/// Registers `POST /api/v1/ws-ticket`, behind the token check. Registered
/// before the REST reads' scope, which would otherwise take the path.
pub fn configure(config: &mut web::ServiceConfig) {
    config.service(
        web::resource(TICKET_PATH)
            .wrap(actix_web::middleware::from_fn(crate::http::auth::check))
            .route(web::post().to(issue)),
    );
}

/// Issues a ticket to the origin asking (which must be allowed), or to a
/// client without one.
async fn issue(
    req: HttpRequest,
    tickets: web::Data<Tickets>,
    gate: web::Data<Gate>,
) -> Result<HttpResponse, QueryError> {
    Params::parse(req.query_string(), &[])?;
    let origin = match req.headers().get(header::ORIGIN) {
        None => None,
        Some(value) => {
            let text = value.to_str().unwrap_or_default();
            match gate.allowed_origins.find(text) {
                Some(origin) => Some(origin),
                None => return Ok(forbidden_origin(text)),
            }
        }
    };
    Ok(match tickets.issue(origin, Instant::now()) {
        Ok(ticket) => HttpResponse::Ok()
            // A ticket is for the one who asked: never from a cache.
            .insert_header((header::CACHE_CONTROL, "no-store"))
            .json(WsTicket {
                ticket,
                expires_in_ms: u64::try_from(TICKET_TTL.as_millis()).unwrap_or(u64::MAX),
            }),
        Err(failure) => {
            tracing::error!(%failure, "no ticket issued");
            error::respond(
                HttpResponse::ServiceUnavailable().insert_header((header::RETRY_AFTER, "1")),
                "cannot make a ticket now (the system's random source failed): try again",
            )
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn origin(text: &str) -> Origin {
        Origin::parse(text).unwrap()
    }

    #[test]
    fn a_ticket_opens_once_from_its_own_origin_and_only_in_time() {
        let tickets = Tickets::default();
        let now = Instant::now();
        let page = origin("http://127.0.0.1:8080");
        let ticket = tickets.issue(Some(page.clone()), now).unwrap();
        assert_eq!(ticket.len(), 64);
        assert!(tickets.redeem(&ticket, Some(&page), now));
        assert!(!tickets.redeem(&ticket, Some(&page), now), "single use");

        let ticket = tickets.issue(Some(page.clone()), now).unwrap();
        let other = origin("http://127.0.0.1:8081");
        assert!(
            !tickets.redeem(&ticket, Some(&other), now),
            "another origin"
        );
        assert!(
            !tickets.redeem(&ticket, Some(&page), now),
            "spent by the wrong origin's try"
        );
        let ticket = tickets.issue(Some(page.clone()), now).unwrap();
        assert!(
            !tickets.redeem(&ticket, None, now),
            "no origin is another one"
        );

        let native = tickets.issue(None, now).unwrap();
        assert!(!tickets.redeem(&native, None, now + TICKET_TTL), "expired");
        let native = tickets.issue(None, now).unwrap();
        assert!(tickets.redeem(&native, None, now + TICKET_TTL / 2));
    }

    #[test]
    fn what_is_not_a_ticket_is_refused() {
        let tickets = Tickets::default();
        let now = Instant::now();
        let ticket = tickets.issue(None, now).unwrap();
        for wrong in [
            "",
            "0",
            &ticket[..63],
            &format!("{ticket}0"),
            &ticket.to_ascii_uppercase(),
            &"g".repeat(64),
            &"é".repeat(32),
        ] {
            assert!(!tickets.redeem(wrong, None, now), "{wrong:?}");
        }
        assert!(tickets.redeem(&ticket, None, now), "still outstanding");
    }

    #[test]
    fn the_table_stays_bounded_and_drops_its_oldest() {
        let tickets = Tickets::default();
        let now = Instant::now();
        let oldest = tickets.issue(None, now).unwrap();
        let mut newest = String::new();
        for _ in 0..MAX_TICKETS {
            newest = tickets.issue(None, now).unwrap();
        }
        assert_eq!(tickets.issued.lock().unwrap().len(), MAX_TICKETS);
        assert!(!tickets.redeem(&oldest, None, now), "dropped for room");
        assert!(tickets.redeem(&newest, None, now));
        // Expired ones go as soon as the table is touched.
        tickets.issue(None, now + TICKET_TTL).unwrap();
        assert_eq!(tickets.issued.lock().unwrap().len(), 1);
    }
}
