//! An echo endpoint on the same WebSocket machinery as `/ws`, so that the
//! Autobahn conformance suite (`scripts/autobahn.sh`) tests the code viewers
//! meet: the same inbound middleware (with a budget large enough for the
//! suite's big messages), the same actix-ws upgrade, the same triage of what
//! the peer sends and the same close handling. Only the part that reads
//! control messages is replaced by an echo, which also puts fragmented
//! messages back together (`/ws` refuses them).
//!
//! [`crate::run`] never routes it; only the `autobahn_echo` example serves it.

use std::convert::Infallible;

use actix_web::web::{Bytes, BytesMut};
use actix_web::{HttpRequest, HttpResponse, web};
use actix_ws::{CloseCode, Item, MessageStream, Session};
use bytestring::ByteString;

use crate::stream::inbound::Budget;
use crate::stream::ws::{CLIENT_TIMEOUT, End, Inbound, invalid_utf8, refuse, timed, triage};

/// Largest message (and frame) echoed: the suite's biggest is 16 MiB (case 9.1.6).
pub const MAX_MESSAGE_BYTES: usize = 16 * 1024 * 1024;

/// What a peer may send: the suite's round trips (cases 9.7 and 9.8) send up
/// to 64 MiB as fast as the echo comes back.
pub const BUDGET: Budget = Budget {
    burst_bytes: 64.0 * 1024.0 * 1024.0,
    refill_bytes_per_sec: 64.0 * 1024.0 * 1024.0,
    max_frame_bytes: MAX_MESSAGE_BYTES as u64,
};

/// Registers the echo at [`hostpulse_shared::WS_PATH`], behind the inbound
/// middleware with [`BUDGET`].
pub fn configure(config: &mut web::ServiceConfig) {
    config.service(
        web::resource(hostpulse_shared::WS_PATH)
            .wrap(actix_web::middleware::from_fn(|req, next| {
                crate::stream::inbound::limit_to(BUDGET, req, next)
            }))
            .route(web::get().to(route)),
    );
}

async fn route(req: HttpRequest, body: web::Payload) -> actix_web::Result<HttpResponse> {
    let (response, session, messages) = actix_ws::handle(&req, body)?;
    actix_web::rt::spawn(async move {
        let end = run(session, messages.max_frame_size(MAX_MESSAGE_BYTES)).await;
        tracing::debug!(reason = %end, "echo session ended");
    });
    Ok(response)
}

/// Echoes every message until the session ends, then closes as `/ws` does.
/// No heartbeat: the suite counts every frame it receives, a ping included.
async fn run(mut session: Session, mut messages: MessageStream) -> End {
    let Err(end) = echo(&mut session, &mut messages).await;
    crate::stream::ws::close(session, &end).await;
    end
}

async fn echo(session: &mut Session, messages: &mut MessageStream) -> Result<Infallible, End> {
    let mut reassembly = Reassembly::default();
    loop {
        let message = tokio::time::timeout(CLIENT_TIMEOUT, messages.recv())
            .await
            .map_err(|_| End::TimedOut)?;
        let whole = match triage(session, message).await? {
            Inbound::Fragment(item) => reassembly.push(item)?,
            other => Some(other),
        };
        match whole {
            Some(Inbound::Text(text)) => timed(session.text(text)).await?,
            Some(Inbound::Binary(bytes)) => timed(session.binary(bytes)).await?,
            // Answered already, or a message still coming in fragments.
            _ => {}
        }
    }
}

/// A fragmented message being put back together, at most [`MAX_MESSAGE_BYTES`].
/// Text is checked as it arrives, so a message that cannot become valid UTF-8
/// is refused at the fragment that breaks it.
#[derive(Debug, Default)]
struct Reassembly {
    text: bool,
    bytes: BytesMut,
    /// How much of `bytes` is known to be valid UTF-8 (text only).
    valid_utf8_bytes: usize,
}

impl Reassembly {
    /// Adds a fragment; the whole message once its last fragment has come.
    fn push(&mut self, item: Item) -> Result<Option<Inbound>, End> {
        let (chunk, last) = match item {
            Item::FirstText(chunk) => (self.start(true, chunk), false),
            Item::FirstBinary(chunk) => (self.start(false, chunk), false),
            Item::Continue(chunk) => (chunk, false),
            Item::Last(chunk) => (chunk, true),
        };
        if self.bytes.len() + chunk.len() > MAX_MESSAGE_BYTES {
            return Err(refuse(CloseCode::Size, "message too big"));
        }
        self.bytes.extend_from_slice(&chunk);
        if self.text {
            self.check_utf8(last)?;
        }
        if !last {
            return Ok(None);
        }
        let bytes: Bytes = std::mem::take(&mut self.bytes).freeze();
        Ok(Some(if self.text {
            // Checked above: the whole message is valid UTF-8.
            Inbound::Text(ByteString::try_from(bytes).map_err(|_| invalid_utf8())?)
        } else {
            Inbound::Binary(bytes)
        }))
    }

    /// Starts a new message (actix-http has checked that the last one ended);
    /// passes its first fragment through.
    fn start(&mut self, text: bool, first: Bytes) -> Bytes {
        self.text = text;
        self.bytes.clear();
        self.valid_utf8_bytes = 0;
        first
    }

    /// Checks the bytes added since the last call. An incomplete character at
    /// the end may still be completed, unless the message is `complete`.
    fn check_utf8(&mut self, complete: bool) -> Result<(), End> {
        match std::str::from_utf8(&self.bytes[self.valid_utf8_bytes..]) {
            Ok(_) => self.valid_utf8_bytes = self.bytes.len(),
            Err(error) if error.error_len().is_none() && !complete => {
                self.valid_utf8_bytes += error.valid_up_to();
            }
            Err(_) => return Err(invalid_utf8()),
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(kind: fn(Bytes) -> Item, bytes: &'static [u8]) -> Item {
        kind(Bytes::from_static(bytes))
    }

    #[test]
    fn fragments_become_one_message_of_the_first_fragments_kind() {
        let mut reassembly = Reassembly::default();
        assert!(
            reassembly
                .push(item(Item::FirstText, b"he"))
                .is_ok_and(|whole| whole.is_none())
        );
        assert!(
            reassembly
                .push(item(Item::Continue, b"l"))
                .is_ok_and(|whole| whole.is_none())
        );
        match reassembly.push(item(Item::Last, b"lo")) {
            Ok(Some(Inbound::Text(text))) => assert_eq!(&*text, "hello"),
            _ => panic!("expected the text \"hello\""),
        }
        assert!(reassembly.push(item(Item::FirstBinary, &[0xff])).is_ok());
        match reassembly.push(item(Item::Last, &[0xfe])) {
            Ok(Some(Inbound::Binary(bytes))) => assert_eq!(&bytes[..], &[0xff, 0xfe]),
            _ => panic!("expected binary bytes"),
        }
    }

    #[test]
    fn text_split_inside_a_character_is_accepted() {
        // "κ" is ce ba: split between its two bytes.
        let mut reassembly = Reassembly::default();
        assert!(reassembly.push(item(Item::FirstText, &[0xce])).is_ok());
        match reassembly.push(item(Item::Last, &[0xba])) {
            Ok(Some(Inbound::Text(text))) => assert_eq!(&*text, "κ"),
            _ => panic!("expected the text \"κ\""),
        }
    }

    #[test]
    fn invalid_utf8_is_refused_at_the_fragment_that_breaks_it() {
        let mut reassembly = Reassembly::default();
        assert!(reassembly.push(item(Item::FirstText, b"ok")).is_ok());
        // f4 90: above U+10FFFF, invalid whatever follows.
        let refused = reassembly.push(item(Item::Continue, &[0xf4, 0x90]));
        assert!(
            matches!(refused, Err(End::Refused(ref reason)) if reason.code == CloseCode::Invalid),
            "{refused:?}"
        );
        // A character still incomplete at the end of the message is refused too.
        let mut reassembly = Reassembly::default();
        assert!(reassembly.push(item(Item::FirstText, &[0xce])).is_ok());
        assert!(reassembly.push(item(Item::Last, b"")).is_err());
    }

    #[test]
    fn a_message_past_the_limit_is_refused_as_too_big() {
        static MEGABYTE: [u8; 1024 * 1024] = [0; 1024 * 1024];
        let mut reassembly = Reassembly::default();
        assert!(reassembly.push(item(Item::FirstBinary, &MEGABYTE)).is_ok());
        for _ in 1..16 {
            assert!(reassembly.push(item(Item::Continue, &MEGABYTE)).is_ok());
        }
        let refused = reassembly.push(item(Item::Continue, b"x"));
        assert!(
            matches!(refused, Err(End::Refused(ref reason)) if reason.code == CloseCode::Size),
            "{refused:?}"
        );
    }
}
