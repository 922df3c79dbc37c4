//! A fault-injecting HTTP proxy on loopback, between devices and the server.
//!
//! Each client connection carries one request (the proxy answers `Connection: close`,
//! so the device's client opens a new connection for the next one). For each request a
//! seeded generator picks what happens to it: passed through, or dropped before it is
//! forwarded, reset half-way through its body, forwarded with its answer lost, answered
//! with a truncated response or one reset part-way through its body, delayed, dripped
//! slowly, sent to the server twice, or answered 500/503/429 (with and without
//! `Retry-After`) without or after reaching the server. The same seed gives the same
//! sequence of faults for the same sequence of requests. Faults can be switched off to
//! let everyone converge.

use std::{
    collections::BTreeMap,
    net::SocketAddr,
    sync::{
        atomic::{AtomicBool, Ordering},
        Arc, Mutex,
    },
    time::Duration,
};
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::{TcpListener, TcpStream},
};

/// What the proxy did to one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Fault {
    /// Forwarded, answer passed back whole.
    None,
    /// The connection closed before anything was forwarded.
    DropBeforeForward,
    /// Half the request body read, then the connection reset; nothing forwarded.
    ResetMidRequest,
    /// Forwarded and handled by the server; the answer never reaches the device.
    LostAnswer,
    /// Forwarded; the answer is cut off part-way (headers or body).
    TruncatedResponse,
    /// Forwarded; part-way through the answer's body the connection is reset (RST).
    ResetMidResponse,
    /// Forwarded after a delay.
    Delay,
    /// Forwarded; the answer dripped back a few bytes at a time.
    SlowDrip,
    /// Forwarded twice (a retrying middlebox); the second answer is passed back.
    Duplicated,
    /// Answered `500` without reaching the server.
    Status500,
    /// Answered `500` with `Retry-After` without reaching the server.
    Status500RetryAfter,
    /// Answered `503` without `Retry-After`, without reaching the server.
    Status503,
    /// Answered `503` with `Retry-After` without reaching the server.
    Status503RetryAfter,
    /// Answered `429` with `Retry-After` without reaching the server.
    Status429RetryAfter,
    /// Answered `429` without `Retry-After`.
    Status429,
    /// Forwarded and handled; the device is told `503`.
    Status503AfterForward,
}

const FAULTS: [Fault; 16] = [
    Fault::None,
    Fault::DropBeforeForward,
    Fault::ResetMidRequest,
    Fault::LostAnswer,
    Fault::TruncatedResponse,
    Fault::ResetMidResponse,
    Fault::Delay,
    Fault::SlowDrip,
    Fault::Duplicated,
    Fault::Status500,
    Fault::Status500RetryAfter,
    Fault::Status503,
    Fault::Status503RetryAfter,
    Fault::Status429RetryAfter,
    Fault::Status429,
    Fault::Status503AfterForward,
];

/// A small seeded generator (xorshift64*).
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    /// A generator from a seed (any value).
    pub fn new(seed: u64) -> Self {
        Rng(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1)
    }
    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    /// A number in `0..n` (`n > 0`).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n
    }
    /// True with probability `percent`/100.
    pub fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
}

struct Shared {
    upstream: SocketAddr,
    rng: Mutex<Rng>,
    enabled: AtomicBool,
    /// Percentage of requests that get a fault while enabled.
    rate: u64,
    counts: Mutex<BTreeMap<Fault, u64>>,
}

/// A running proxy. Dropping it stops it.
pub struct FaultProxy {
    /// Where devices connect.
    pub addr: SocketAddr,
    shared: Arc<Shared>,
    runtime: Option<tokio::runtime::Runtime>,
}

impl FaultProxy {
    /// Starts a proxy to `upstream` on its own runtime; `rate` percent of requests get
    /// a fault (picked evenly among the kinds) while faults are on.
    pub fn start(upstream: SocketAddr, seed: u64, rate: u64) -> FaultProxy {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("a runtime");
        let shared = Arc::new(Shared {
            upstream,
            rng: Mutex::new(Rng::new(seed)),
            enabled: AtomicBool::new(true),
            rate,
            counts: Mutex::new(BTreeMap::new()),
        });
        let listener = rt.block_on(TcpListener::bind("127.0.0.1:0")).expect("bind");
        let addr = listener.local_addr().expect("addr");
        let s = shared.clone();
        rt.spawn(async move {
            while let Ok((conn, _)) = listener.accept().await {
                let s = s.clone();
                tokio::spawn(async move {
                    let _ = handle(conn, &s).await;
                });
            }
        });
        FaultProxy {
            addr,
            shared,
            runtime: Some(rt),
        }
    }

    /// The URL devices use.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Turns faults on or off (off: every request passes through).
    pub fn set_faults(&self, on: bool) {
        self.shared.enabled.store(on, Ordering::SeqCst);
    }

    /// How many requests got each fault so far.
    pub fn counts(&self) -> BTreeMap<Fault, u64> {
        self.shared.counts.lock().expect("counts").clone()
    }
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        if let Some(rt) = self.runtime.take() {
            rt.shutdown_background();
        }
    }
}

fn pick(s: &Shared) -> Fault {
    if !s.enabled.load(Ordering::SeqCst) {
        return Fault::None;
    }
    let mut rng = s.rng.lock().expect("rng");
    if !rng.chance(s.rate) {
        return Fault::None;
    }
    FAULTS[1 + rng.below(FAULTS.len() as u64 - 1) as usize]
}

/// One request: its head (request line and headers, `Connection` rewritten to close)
/// and body.
struct Request {
    head: Vec<u8>,
    body: Vec<u8>,
}

async fn read_request(conn: &mut TcpStream) -> std::io::Result<Option<Request>> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 8192];
    let head_end = loop {
        if let Some(i) = find(&buf, b"\r\n\r\n") {
            break i + 4;
        }
        let n = conn.read(&mut chunk).await?;
        if n == 0 {
            return Ok(None);
        }
        buf.extend_from_slice(&chunk[..n]);
    };
    let head_text = String::from_utf8_lossy(&buf[..head_end]).into_owned();
    let mut length = 0usize;
    let mut head = String::new();
    for (i, line) in head_text.split("\r\n").enumerate() {
        let lower = line.to_ascii_lowercase();
        if let Some(v) = lower.strip_prefix("content-length:") {
            length = v.trim().parse().unwrap_or(0);
        }
        if lower.starts_with("connection:") || line.is_empty() {
            continue;
        }
        if i > 0 || !line.is_empty() {
            head.push_str(line);
            head.push_str("\r\n");
        }
    }
    head.push_str("Connection: close\r\n\r\n");
    let mut body = buf[head_end..].to_vec();
    while body.len() < length {
        let n = conn.read(&mut chunk).await?;
        if n == 0 {
            return Ok(None);
        }
        body.extend_from_slice(&chunk[..n]);
    }
    Ok(Some(Request {
        head: head.into_bytes(),
        body,
    }))
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// Sends the request to the server and reads its whole answer (the server closes the
/// connection after it, as asked).
async fn forward(upstream: SocketAddr, req: &Request) -> std::io::Result<Vec<u8>> {
    let mut up = TcpStream::connect(upstream).await?;
    up.write_all(&req.head).await?;
    up.write_all(&req.body).await?;
    let mut answer = Vec::new();
    up.read_to_end(&mut answer).await?;
    Ok(answer)
}

/// The answer with `Connection: close` so the client does not reuse the connection.
fn closing(answer: Vec<u8>) -> Vec<u8> {
    let Some(end) = find(&answer, b"\r\n\r\n") else {
        return answer;
    };
    let head = String::from_utf8_lossy(&answer[..end]).into_owned();
    let mut out = String::new();
    for line in head.split("\r\n") {
        if !line.to_ascii_lowercase().starts_with("connection:") {
            out.push_str(line);
            out.push_str("\r\n");
        }
    }
    out.push_str("Connection: close\r\n\r\n");
    let mut bytes = out.into_bytes();
    bytes.extend_from_slice(&answer[end + 4..]);
    bytes
}

fn status(code: u16, reason: &str, retry_after: bool) -> Vec<u8> {
    let body = format!("{{\"error\":\"injected\",\"message\":\"fault proxy: {code}\"}}");
    let retry = if retry_after {
        "Retry-After: 1\r\n"
    } else {
        ""
    };
    format!(
        "HTTP/1.1 {code} {reason}\r\nContent-Type: application/json\r\n{retry}Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

async fn handle(mut conn: TcpStream, s: &Shared) -> std::io::Result<()> {
    let fault = pick(s);
    if fault == Fault::DropBeforeForward {
        count(s, fault);
        return Ok(());
    }
    if fault == Fault::ResetMidRequest {
        // Read a little of the request, then drop the connection with unread bytes
        // (the kernel answers with a reset).
        let mut some = [0u8; 64];
        let _ = conn.read(&mut some).await;
        count(s, fault);
        drop(conn);
        return Ok(());
    }
    let Some(req) = read_request(&mut conn).await? else {
        return Ok(());
    };
    count(s, fault);
    let answer = match fault {
        Fault::Status500 => status(500, "Internal Server Error", false),
        Fault::Status500RetryAfter => status(500, "Internal Server Error", true),
        Fault::Status503 => status(503, "Service Unavailable", false),
        Fault::Status503RetryAfter => status(503, "Service Unavailable", true),
        Fault::Status429RetryAfter => status(429, "Too Many Requests", true),
        Fault::Status429 => status(429, "Too Many Requests", false),
        Fault::LostAnswer => {
            forward(s.upstream, &req).await?;
            return Ok(());
        }
        Fault::Status503AfterForward => {
            forward(s.upstream, &req).await?;
            status(503, "Service Unavailable", false)
        }
        Fault::Duplicated => {
            forward(s.upstream, &req).await?;
            closing(forward(s.upstream, &req).await?)
        }
        Fault::Delay => {
            let ms = s.rng.lock().expect("rng").below(300);
            tokio::time::sleep(Duration::from_millis(ms)).await;
            closing(forward(s.upstream, &req).await?)
        }
        _ => closing(forward(s.upstream, &req).await?),
    };
    match fault {
        Fault::TruncatedResponse => {
            let cut = s.rng.lock().expect("rng").below(answer.len().max(1) as u64) as usize;
            conn.write_all(&answer[..cut]).await?;
        }
        Fault::ResetMidResponse => {
            // The headers and part of the body, then a reset instead of a close.
            let head = answer
                .windows(4)
                .position(|w| w == b"\r\n\r\n")
                .map_or(0, |i| i + 4);
            let rest = (answer.len() - head) as u64;
            let cut = head + s.rng.lock().expect("rng").below(rest.max(1)) as usize;
            conn.write_all(&answer[..cut.min(answer.len())]).await?;
            conn.flush().await?;
            // Closed without a shutdown: with a zero linger the kernel sends a reset.
            conn.set_zero_linger()?;
            return Ok(());
        }
        Fault::SlowDrip => {
            for piece in answer.chunks(answer.len().div_ceil(8).max(1)) {
                conn.write_all(piece).await?;
                conn.flush().await?;
                tokio::time::sleep(Duration::from_millis(25)).await;
            }
        }
        _ => conn.write_all(&answer).await?,
    }
    conn.shutdown().await
}

fn count(s: &Shared, fault: Fault) {
    *s.counts.lock().expect("counts").entry(fault).or_insert(0) += 1;
}
