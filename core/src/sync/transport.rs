//! The `Transport` trait: the one place where the sync engine touches the network.
//!
//! The engine builds each request (method, URL, headers, JSON or photo bytes) and reads
//! each response; a transport only moves bytes. That keeps the core free of HTTP
//! frameworks and async runtimes, and lets a shell hand the exchange to its platform's
//! HTTP stack (OkHttp, URLSession) through a uniffi foreign trait. The default
//! implementation is the `gridwork-http` crate (reqwest, blocking, rustls); tests use
//! scripted and faulty transports.

use thiserror::Error;

/// An HTTP method the protocol uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Method {
    /// `GET`.
    Get,
    /// `HEAD`.
    Head,
    /// `POST`.
    Post,
    /// `PUT`.
    Put,
}

impl Method {
    /// The method's name on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Head => "HEAD",
            Method::Post => "POST",
            Method::Put => "PUT",
        }
    }
}

/// One request, ready to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpRequest {
    /// The method.
    pub method: Method,
    /// The absolute URL: the server's base URL (as signed in) followed by the path and
    /// query, e.g. `https://grid.example.cn/v1/events?after=12&limit=1000`.
    pub url: String,
    /// Header names and values (`Authorization`, `Gridwork-Protocol`, `Content-Type`,
    /// `Content-Range`, ...). A transport adds its own transport-level headers
    /// (`Content-Length`, `Accept-Encoding`) and may compress the body.
    pub headers: Vec<(String, String)>,
    /// The body; empty for `GET` and `HEAD`.
    pub body: Vec<u8>,
}

impl HttpRequest {
    /// The first value of a header, by case-insensitive name.
    pub fn header(&self, name: &str) -> Option<&str> {
        find_header(&self.headers, name)
    }
}

/// One response, with its body already read and decompressed.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct HttpResponse {
    /// The status code.
    pub status: u16,
    /// Header names and values.
    pub headers: Vec<(String, String)>,
    /// The body, decompressed.
    pub body: Vec<u8>,
}

impl HttpResponse {
    /// The first value of a header, by case-insensitive name.
    pub fn header(&self, name: &str) -> Option<&str> {
        find_header(&self.headers, name)
    }
}

fn find_header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

/// Why an exchange produced no response. Any status code, even 500, is a response,
/// not a transport error.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum TransportError {
    /// No connection could be made (no network, DNS failure, refused, TLS failure).
    #[error("cannot reach the server: {0}")]
    Connect(String),
    /// The connection or a read took longer than allowed.
    #[error("the server took too long to answer: {0}")]
    Timeout(String),
    /// The connection broke during the exchange.
    #[error("the connection was interrupted: {0}")]
    Interrupted(String),
    /// The request could not be built (a malformed URL or header).
    #[error("bad request: {0}")]
    InvalidRequest(String),
}

/// Sends one HTTP request and returns its response. Implementations block until the
/// response body has been read, apply their own connect and read timeouts, and follow
/// no redirects that change the method. They must be usable from several threads.
pub trait Transport: Send + Sync {
    /// Performs the exchange.
    fn send(&self, request: &HttpRequest) -> Result<HttpResponse, TransportError>;
}

impl<T: Transport + ?Sized> Transport for std::sync::Arc<T> {
    fn send(&self, request: &HttpRequest) -> Result<HttpResponse, TransportError> {
        (**self).send(request)
    }
}

impl<T: Transport + ?Sized> Transport for &T {
    fn send(&self, request: &HttpRequest) -> Result<HttpResponse, TransportError> {
        (**self).send(request)
    }
}
