//! A real HTTP receiver on loopback for webhook tests: it accepts
//! connections on 127.0.0.1, parses each request with httparse, records it,
//! and answers as told (200, a run of 500s first, or never).

use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// One request as received.
#[derive(Debug, Clone)]
pub struct Received {
    pub method: String,
    pub path: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// When the whole request had arrived (for latency measurements).
    pub arrived_at: std::time::SystemTime,
}

impl Received {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).expect("a JSON body")
    }
}

/// How the receiver answers.
#[derive(Debug, Clone, Copy)]
pub enum Behaviour {
    /// 200 to everything.
    Accept,
    /// 500 to the first `n` requests, then 200.
    FailFirst(usize),
    /// Reads the request, records it, and never answers (until dropped).
    Hang,
}

pub struct HttpReceiver {
    pub addr: SocketAddr,
    pub requests: Receiver<Received>,
    /// Connections held open by `Hang`, released when the receiver is dropped.
    held: Arc<Mutex<Vec<TcpStream>>>,
}

impl HttpReceiver {
    pub fn start(behaviour: Behaviour) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let (sender, requests) = sync_channel(64);
        let held = Arc::new(Mutex::new(Vec::new()));
        let held_by_thread = Arc::clone(&held);
        let serving = move || {
            for (served, stream) in listener.incoming().enumerate() {
                let Ok(stream) = stream else { return };
                let failing = matches!(behaviour, Behaviour::FailFirst(n) if served < n);
                if !serve(stream, behaviour, failing, &sender, &held_by_thread) {
                    return;
                }
            }
        };
        std::thread::Builder::new()
            .name("test-receiver".into())
            .spawn(serving)
            .unwrap();
        Self {
            addr,
            requests,
            held,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// The next request, waiting at most a generous 30 s (a bound for a
    /// broken build, not a timing assertion).
    pub fn next(&self) -> Received {
        self.requests
            .recv_timeout(Duration::from_secs(30))
            .expect("the receiver got a request")
    }

    pub fn held_connections(&self) -> usize {
        self.held.lock().unwrap().len()
    }
}

impl Drop for HttpReceiver {
    /// Closes the connections a `Hang` receiver holds, so their senders see
    /// the end.
    fn drop(&mut self) {
        for stream in self.held.lock().unwrap().drain(..) {
            let _ = stream.shutdown(std::net::Shutdown::Both);
        }
    }
}

/// Serves one connection (one request per connection: the answer closes it).
/// Returns false once the test has gone.
fn serve(
    stream: TcpStream,
    behaviour: Behaviour,
    failing: bool,
    sender: &SyncSender<Received>,
    held: &Mutex<Vec<TcpStream>>,
) -> bool {
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut request_head = Vec::new();
    while !request_head.ends_with(b"\r\n\r\n") {
        let mut line = Vec::new();
        if reader.read_until(b'\n', &mut line).unwrap_or(0) == 0 {
            return true;
        }
        request_head.extend_from_slice(&line);
    }
    let mut headers = [httparse::EMPTY_HEADER; 32];
    let mut request = httparse::Request::new(&mut headers);
    request.parse(&request_head).unwrap();
    let headers: Vec<(String, String)> = request
        .headers
        .iter()
        .map(|h| {
            (
                h.name.to_owned(),
                String::from_utf8_lossy(h.value).into_owned(),
            )
        })
        .collect();
    let length = headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case("content-length"))
        .map_or(0, |(_, v)| v.parse::<usize>().unwrap());
    let mut body = vec![0; length];
    reader.read_exact(&mut body).unwrap();
    let received = Received {
        method: request.method.unwrap_or_default().to_owned(),
        path: request.path.unwrap_or_default().to_owned(),
        headers,
        body,
        arrived_at: std::time::SystemTime::now(),
    };
    let mut stream = stream;
    if let Behaviour::Hang = behaviour {
        // Held before the request is reported: a test that has seen the
        // request sees its connection held.
        held.lock().unwrap().push(stream);
        return sender.send(received).is_ok();
    }
    if sender.send(received).is_err() {
        return false;
    }
    let status = if failing {
        "500 Internal Server Error"
    } else {
        "200 OK"
    };
    let _ = write!(
        stream,
        "HTTP/1.1 {status}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
    );
    true
}
