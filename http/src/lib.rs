//! gridwork-http: the default [`Transport`] of the sync engine, on reqwest's blocking
//! client over rustls.
//!
//! The core has no HTTP client and no async runtime; this small crate supplies one for
//! the CLI, the server's tests and any shell that does not bring its own (a mobile
//! shell may instead implement `Transport` through uniffi with OkHttp or URLSession).
//! TLS is rustls with the `ring` crypto provider, which cross-compiles to Android and
//! iOS without the C toolchain aws-lc-rs needs. Responses are decompressed from gzip;
//! request bodies above a threshold are gzipped (`Content-Encoding: gzip`). Redirects
//! are not followed: a redirect that turns a `POST` into a `GET` would lose a push.

use flate2::{write::GzEncoder, Compression};
use gridwork_core::sync::{HttpRequest, HttpResponse, Method, Transport, TransportError};
use reqwest_blocking as reqwest;
use std::{io::Write, time::Duration};
use thiserror::Error;

/// How the transport behaves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpOptions {
    /// Longest wait for a connection (TCP and TLS).
    pub connect_timeout: Duration,
    /// Longest wait for a whole exchange, from connecting to the last byte of the
    /// response. The blocking client has no separate per-read timeout, so this also
    /// bounds a stalled read.
    pub timeout: Duration,
    /// Whether to gzip request bodies of at least `gzip_min_bytes` (the reference
    /// server accepts `Content-Encoding: gzip`; turn it off for a server that does not).
    pub gzip_requests: bool,
    /// Smallest body worth compressing.
    pub gzip_min_bytes: usize,
    /// The `User-Agent`.
    pub user_agent: String,
    /// PEM bundles of root certificates trusted besides the Mozilla roots: a city's own
    /// certificate authority (docs/operations.md).
    pub extra_roots_pem: Vec<Vec<u8>>,
}

impl Default for HttpOptions {
    fn default() -> Self {
        HttpOptions {
            connect_timeout: Duration::from_secs(10),
            timeout: Duration::from_secs(60),
            gzip_requests: true,
            gzip_min_bytes: 1024,
            user_agent: format!("gridwork/{}", env!("CARGO_PKG_VERSION")),
            extra_roots_pem: Vec::new(),
        }
    }
}

/// The transport could not be built.
#[derive(Debug, Error)]
#[error("cannot set up the HTTP client: {0}")]
pub struct HttpError(String);

/// The reqwest-based transport. Cheap to clone; share one per process.
#[derive(Debug, Clone)]
pub struct HttpTransport {
    client: reqwest::blocking::Client,
    options: HttpOptions,
}

/// Makes ring the process's rustls crypto provider unless one is installed already.
pub fn install_crypto_provider() {
    // `Err` means a provider is already installed, which is all we need.
    let _ = rustls::crypto::ring::default_provider().install_default();
}

impl HttpTransport {
    /// A transport with the given options.
    ///
    /// Must not be called from inside an async runtime (reqwest's blocking client runs
    /// its own); the CLI and shells call it from plain threads.
    pub fn new(options: HttpOptions) -> Result<HttpTransport, HttpError> {
        install_crypto_provider();
        let mut builder = reqwest::blocking::Client::builder();
        for pem in &options.extra_roots_pem {
            let certs = reqwest::Certificate::from_pem_bundle(pem)
                .map_err(|e| HttpError(format!("extra root certificates: {e}")))?;
            if certs.is_empty() {
                return Err(HttpError(
                    "extra root certificates: no PEM certificate found".into(),
                ));
            }
            for cert in certs {
                builder = builder.add_root_certificate(cert);
            }
        }
        let client = builder
            .connect_timeout(options.connect_timeout)
            .timeout(options.timeout)
            .gzip(true)
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(options.user_agent.clone())
            .build()
            .map_err(|e| HttpError(e.to_string()))?;
        Ok(HttpTransport { client, options })
    }

    fn method(m: Method) -> reqwest::Method {
        match m {
            Method::Get => reqwest::Method::GET,
            Method::Head => reqwest::Method::HEAD,
            Method::Post => reqwest::Method::POST,
            Method::Put => reqwest::Method::PUT,
        }
    }

    fn should_gzip(&self, request: &HttpRequest) -> bool {
        self.options.gzip_requests
            && request.body.len() >= self.options.gzip_min_bytes
            && request.header("Content-Encoding").is_none()
            // Photo chunks are already compressed images, and their Content-Range
            // counts the bytes of the file, not of a compressed body.
            && request.header("Content-Range").is_none()
            // A packed sync body is zstd already (docs/sync-protocol.md).
            && !request
                .header("Content-Type")
                .is_some_and(|t| t.starts_with(gridwork_core::sync::packed::PACKED_MEDIA_TYPE))
    }
}

fn gzip(body: &[u8]) -> std::io::Result<Vec<u8>> {
    let mut enc = GzEncoder::new(Vec::with_capacity(body.len() / 4), Compression::fast());
    enc.write_all(body)?;
    enc.finish()
}

fn classify(e: reqwest::Error) -> TransportError {
    // The whole chain of causes: a TLS failure ("invalid peer certificate: UnknownIssuer")
    // sits several levels below reqwest's "client error (Connect)".
    let mut detail = e.to_string();
    let mut cause = std::error::Error::source(&e);
    while let Some(c) = cause {
        let text = c.to_string();
        if !detail.ends_with(&text) {
            detail = format!("{detail}: {text}");
        }
        cause = c.source();
    }
    if e.is_timeout() {
        TransportError::Timeout(detail)
    } else if e.is_connect() {
        TransportError::Connect(detail)
    } else if e.is_builder() {
        TransportError::InvalidRequest(detail)
    } else {
        TransportError::Interrupted(detail)
    }
}

impl Transport for HttpTransport {
    fn send(&self, request: &HttpRequest) -> Result<HttpResponse, TransportError> {
        let mut builder = self
            .client
            .request(Self::method(request.method), &request.url);
        for (k, v) in &request.headers {
            builder = builder.header(k.as_str(), v.as_str());
        }
        if !request.body.is_empty() {
            if self.should_gzip(request) {
                let body = gzip(&request.body)
                    .map_err(|e| TransportError::InvalidRequest(e.to_string()))?;
                builder = builder.header("Content-Encoding", "gzip").body(body);
            } else {
                builder = builder.body(request.body.clone());
            }
        }
        let response = builder.send().map_err(classify)?;
        let status = response.status().as_u16();
        let headers = response
            .headers()
            .iter()
            .filter_map(|(k, v)| Some((k.as_str().to_string(), v.to_str().ok()?.to_string())))
            .collect();
        let body = response.bytes().map_err(classify)?.to_vec();
        Ok(HttpResponse {
            status,
            headers,
            body,
        })
    }
}

#[cfg(test)]
mod tests;
