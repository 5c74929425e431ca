//! The server behind a real nginx, configured by the shipped example
//! (`assets/nginx/hostpulse.conf`) with only its addresses and certificate
//! paths replaced: viewers speak TLS to nginx on a loopback port, nginx passes
//! the WebSocket upgrade, the token and `X-Forwarded-For` on to the server, and
//! the server, trusting nginx's address, keys its wrong-token limits on the
//! client behind it.
//!
//! nginx comes from Debian's `nginx` package, which `scripts/test.sh` installs;
//! without it this test fails, saying so. Clients connect from different
//! loopback addresses (127.0.0.2, …) so that the server can tell them apart.

#![cfg(unix)]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a test fails loudly at the first surprise"
)]

mod common;

use std::io::{Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::{next_sample, read_start};
use hostpulse_server::Config;
use hostpulse_server::Secret;
use hostpulse_server::TrustedProxies;
use rustls::pki_types::ServerName;
use rustls::{ClientConfig, ClientConnection, RootCertStore, StreamOwned};
use tungstenite::client::IntoClientRequest;
use tungstenite::handshake::HandshakeError;

const TOKEN: &str = "proxy-test-token-0123456789abcdef";
/// The name in the test certificate, sent as SNI and Host.
const HOST: &str = "localhost";

type TlsStream = StreamOwned<ClientConnection, TcpStream>;

/// nginx running the example config; stopped by its PID when dropped, also
/// when the test panics.
struct Nginx {
    child: Child,
    addr: SocketAddr,
    dir: tempfile::TempDir,
}

impl Drop for Nginx {
    fn drop(&mut self) {
        // `master_process off`: this one process is all of nginx.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn nginx_binary() -> PathBuf {
    let in_path = std::env::var_os("PATH").and_then(|path| {
        std::env::split_paths(&path)
            .map(|dir| dir.join("nginx"))
            .find(|candidate| candidate.is_file())
    });
    in_path
        .or_else(|| Some(PathBuf::from("/usr/sbin/nginx")).filter(|path| path.is_file()))
        .unwrap_or_else(|| {
            panic!(
                "nginx is not installed: run scripts/test.sh, which installs it, or \
                 `apt-get install nginx` (the system service need not run)"
            )
        })
}

/// `text` with `from` replaced by `to`, where `from` must occur exactly once:
/// if the example changes, this test says so instead of testing something else.
fn replace_once(text: &str, from: &str, to: &str) -> String {
    assert_eq!(
        text.matches(from).count(),
        1,
        "assets/nginx/hostpulse.conf should contain {from:?} once"
    );
    text.replacen(from, to, 1)
}

/// A loopback port that was free a moment ago.
fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

impl Nginx {
    /// Starts nginx with the example config, proxying to `upstream`, serving
    /// `cert_pem`/`key_pem` on a free loopback port.
    fn start(upstream: SocketAddr, cert_pem: &str, key_pem: &str) -> Self {
        let binary = nginx_binary();
        let dir = tempfile::tempdir().unwrap();
        let path = |name: &str| dir.path().join(name).to_str().unwrap().to_owned();
        std::fs::write(path("cert.pem"), cert_pem).unwrap();
        std::fs::write(path("key.pem"), key_pem).unwrap();
        let port = free_port();
        let example = std::fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../assets/nginx/hostpulse.conf"),
        )
        .unwrap();
        let site = [
            ("listen 443 ssl;", format!("listen 127.0.0.1:{port} ssl;")),
            ("listen [::]:443 ssl;", String::new()),
            ("server 127.0.0.1:9470;", format!("server {upstream};")),
            ("/etc/ssl/hostpulse/fullchain.pem", path("cert.pem")),
            ("/etc/ssl/hostpulse/privkey.pem", path("key.pem")),
        ]
        .iter()
        .fold(example, |text, (from, to)| replace_once(&text, from, to));
        // The example is an `http`-block include; around it, what the system's
        // nginx.conf would give, with every path inside the temporary folder.
        let config = format!(
            "master_process off;\n\
             pid {pid};\n\
             error_log {log} info;\n\
             events {{ worker_connections 64; }}\n\
             http {{\n\
             access_log {access};\n\
             client_body_temp_path {dir}/client_body;\n\
             proxy_temp_path {dir}/proxy;\n\
             fastcgi_temp_path {dir}/fastcgi;\n\
             uwsgi_temp_path {dir}/uwsgi;\n\
             scgi_temp_path {dir}/scgi;\n\
             {site}\n\
             }}\n",
            pid = path("nginx.pid"),
            log = path("error.log"),
            access = path("access.log"),
            dir = dir.path().display(),
        );
        std::fs::write(path("nginx.conf"), config).unwrap();
        let command = |extra: &[&str]| {
            let mut command = Command::new(&binary);
            command
                .args(["-p", &path(""), "-e", &path("error.log"), "-c"])
                .arg(path("nginx.conf"))
                .args(extra);
            command
        };
        // `nginx -t` first, for a plain message if the example stops parsing.
        let check = command(&["-t"]).output().unwrap();
        assert!(
            check.status.success(),
            "nginx -t rejects the example config:\n{}",
            String::from_utf8_lossy(&check.stderr)
        );
        let child = command(&["-g", "daemon off;"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut nginx = Self {
            child,
            addr: SocketAddr::from(([127, 0, 0, 1], port)),
            dir,
        };
        nginx.wait_until_listening();
        nginx
    }

    fn wait_until_listening(&mut self) {
        let give_up = Instant::now() + Duration::from_secs(15);
        while TcpStream::connect(self.addr).is_err() {
            if let Some(status) = self.child.try_wait().unwrap() {
                panic!("nginx exited ({status}):\n{}", self.error_log());
            }
            assert!(
                Instant::now() < give_up,
                "nginx is not listening on {}:\n{}",
                self.addr,
                self.error_log()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn error_log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("error.log")).unwrap_or_default()
    }
}

/// A test certificate authority of one: a self-signed certificate for
/// [`HOST`], and a client config that trusts only it.
fn test_certificate() -> (String, String, Arc<ClientConfig>) {
    let certified = rcgen::generate_simple_self_signed(vec![HOST.to_owned()]).unwrap();
    let mut roots = RootCertStore::empty();
    roots.add(certified.cert.der().clone()).unwrap();
    let config =
        ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_root_certificates(roots)
            .with_no_client_auth();
    (
        certified.cert.pem(),
        certified.signing_key.serialize_pem(),
        Arc::new(config),
    )
}

/// A TLS connection to `to`, from the loopback address `from`.
fn connect_tls(from: Ipv4Addr, to: SocketAddr, tls: &Arc<ClientConfig>) -> TlsStream {
    use socket2::{Domain, Socket, Type};
    let socket = Socket::new(Domain::IPV4, Type::STREAM, None).unwrap();
    socket.bind(&SocketAddr::from((from, 0)).into()).unwrap();
    socket
        .connect_timeout(&to.into(), Duration::from_secs(5))
        .unwrap();
    let stream = TcpStream::from(socket);
    stream.set_read_timeout(Some(common::READ_TIMEOUT)).unwrap();
    let name = ServerName::try_from(HOST).unwrap();
    StreamOwned::new(
        ClientConnection::new(Arc::clone(tls), name).unwrap(),
        stream,
    )
}

/// The WebSocket handshake through nginx: the stream, or the refusal's status.
fn upgrade(
    nginx: &Nginx,
    tls: &Arc<ClientConfig>,
    from: Ipv4Addr,
    token: Option<&str>,
) -> Result<common::Client, u16> {
    let url = format!(
        "wss://{HOST}:{}{}",
        nginx.addr.port(),
        hostpulse_shared::WS_PATH
    );
    let mut request = url.into_client_request().unwrap();
    if let Some(token) = token {
        request
            .headers_mut()
            .insert("Authorization", format!("Bearer {token}").parse().unwrap());
    }
    let stream = tungstenite::stream::MaybeTlsStream::Rustls(connect_tls(from, nginx.addr, tls));
    match tungstenite::client::client(request, stream) {
        Ok((client, _)) => Ok(common::bound_reads(client)),
        Err(HandshakeError::Failure(tungstenite::Error::Http(response))) => {
            Err(response.status().as_u16())
        }
        Err(error) => panic!("WebSocket handshake through nginx failed: {error}"),
    }
}

/// A GET through nginx from `from`, with extra header lines: status and body.
fn get(
    nginx: &Nginx,
    tls: &Arc<ClientConfig>,
    from: Ipv4Addr,
    path: &str,
    headers: &str,
) -> (u16, String) {
    let mut stream = connect_tls(from, nginx.addr, tls);
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {HOST}\r\nConnection: close\r\n{headers}\r\n"
    )
    .unwrap();
    let mut response = Vec::new();
    // nginx may close without a TLS close_notify; what arrived is the answer.
    if let Err(error) = stream.read_to_end(&mut response) {
        assert_eq!(error.kind(), std::io::ErrorKind::UnexpectedEof, "{error}");
    }
    let response = String::from_utf8_lossy(&response).into_owned();
    let status = response
        .get(9..12)
        .and_then(|code| code.parse().ok())
        .unwrap_or_else(|| panic!("not an HTTP response: {response:?}"));
    (status, response)
}

#[test]
fn viewers_reach_the_server_through_nginx_with_tls() {
    let server = common::start_server_with(Config {
        interval: common::INTERVAL,
        token: Some(Secret::new(TOKEN)),
        trusted_proxies: TrustedProxies::parse(["127.0.0.1"]).unwrap(),
        ..Config::default()
    });
    let (cert, key, tls) = test_certificate();
    let nginx = Nginx::start(server.addr(), &cert, &key);
    let viewer = Ipv4Addr::new(127, 0, 0, 2);

    // The stream: hello, history, then live samples one seq apart.
    let mut client = upgrade(&nginx, &tls, viewer, Some(TOKEN)).expect("the token lets us in");
    let (hello, history) = read_start(&mut client);
    assert_eq!(hello.protocol_version, hostpulse_shared::PROTOCOL_VERSION);
    let (first, _) = next_sample(&mut client);
    let (second, _) = next_sample(&mut client);
    assert_eq!(second.seq, first.seq + 1, "live samples arrive in order");
    if let Some(last) = history.last() {
        assert!(first.seq > last.seq, "live samples follow the history");
    }
    client.close(None).unwrap();

    // No token, no stream, no reads; the health check stays open.
    assert_eq!(upgrade(&nginx, &tls, viewer, None).err(), Some(401));
    let (status, _) = get(&nginx, &tls, viewer, "/api/v1/host", "");
    assert_eq!(status, 401);
    let (status, body) = get(&nginx, &tls, viewer, "/healthz", "");
    assert_eq!(status, 200, "{body}");

    // Every request reaches the server from nginx's 127.0.0.1, yet the wrong
    // tokens of one viewer slow down that viewer only: the server keys on
    // the address nginx forwards.
    let guesser = Ipv4Addr::new(127, 0, 0, 3);
    let wrong = "Authorization: Bearer wrong-token-0123456789\r\n";
    for _ in 0..hostpulse_server::MAX_FAILURES {
        assert_eq!(get(&nginx, &tls, guesser, "/api/v1/host", wrong).0, 401);
    }
    let (status, body) = get(&nginx, &tls, guesser, "/api/v1/host", wrong);
    assert_eq!(status, 429, "{body}");
    let right = format!("Authorization: Bearer {TOKEN}\r\n");
    let (status, body) = get(&nginx, &tls, viewer, "/api/v1/host", &right);
    assert_eq!(status, 200, "another viewer is not slowed: {body}");
    assert!(upgrade(&nginx, &tls, viewer, Some(TOKEN)).is_ok());
    // A viewer cannot take on another's address by writing the header itself:
    // nginx appends the real one, and the server reads from the right.
    let spoofed = format!("{right}X-Forwarded-For: {guesser}\r\n");
    let (status, body) = get(
        &nginx,
        &tls,
        Ipv4Addr::new(127, 0, 0, 4),
        "/api/v1/host",
        &spoofed,
    );
    assert_eq!(status, 200, "{body}");
    // The right token always gets in, even from the slowed address (so one
    // misconfigured client behind a NAT cannot lock the others out), while
    // wrong ones from it are still refused.
    let (status, body) = get(&nginx, &tls, guesser, "/api/v1/host", &right);
    assert_eq!(
        status, 200,
        "the right token passes a slowed address: {body}"
    );
    let (status, body) = get(&nginx, &tls, guesser, "/api/v1/host", wrong);
    assert_eq!(status, 429, "wrong tokens from it still wait: {body}");
}
