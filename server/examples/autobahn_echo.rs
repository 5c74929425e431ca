//! The WebSocket echo the Autobahn conformance suite runs against
//! (`scripts/autobahn.sh`): `/ws`'s session machinery answering every message
//! with itself (see `hostpulse_server::echo`). An example rather than a route,
//! so the production server can never serve it.
//!
//! Prints `listening on ws://ADDR/ws` once bound, then serves until SIGTERM or
//! Ctrl-C.

use std::io::Write as _;
use std::net::SocketAddr;

use actix_web::{App, HttpServer};
use anyhow::Context as _;
use clap::Parser;

/// A WebSocket echo on HostPulse's session code, for the Autobahn suite.
#[derive(Debug, Parser)]
struct Args {
    /// Address to listen on; port 0 lets the OS choose one.
    #[arg(long, default_value = "127.0.0.1:0")]
    bind: SocketAddr,
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    hostpulse_server::init_logging();
    let listener = hostpulse_server::bind(args.bind)?;
    let addr = listener.local_addr()?;
    actix_web::rt::System::new().block_on(async move {
        let server = HttpServer::new(|| App::new().configure(hostpulse_server::echo::configure))
            .workers(2)
            .shutdown_timeout(1)
            .listen(listener)?
            .run();
        let mut stdout = std::io::stdout();
        writeln!(
            stdout,
            "listening on ws://{addr}{}",
            hostpulse_shared::WS_PATH
        )?;
        stdout.flush()?;
        server.await.context("the echo server failed")
    })
}
