//! Requests as the protocol wants them, and responses classified: every request
//! carries the protocol version and the bearer token; every response is checked for a
//! compatible `Gridwork-Protocol` before anything in it is used, and its status is
//! turned into a [`SyncError`] the engine can act on.

use super::{
    error::SyncError,
    progress::CancelToken,
    transport::{HttpRequest, HttpResponse, Method, Transport},
    wire::{ErrorBody, PullResponse, PROTOCOL_HEADER, PROTOCOL_VERSION},
};
use serde::{de::DeserializeOwned, Serialize};

/// A transport bound to one server, one token and one run's cancel token.
pub(crate) struct Client<'a> {
    transport: &'a dyn Transport,
    base: String,
    token: Option<String>,
    cancel: &'a CancelToken,
    now_ms: i64,
    /// The [`super::wire::DEVICE_STATE_HEADER`] value sent with every request, once set.
    device_state: std::sync::Mutex<Option<String>>,
    /// The last [`super::wire::INCARNATION_HEADER`] a response carried.
    incarnation: std::sync::Mutex<Option<String>>,
    /// The [`super::wire::DEVICE_KEY_HEADER`] value sent with every request, once set.
    device_key: std::sync::Mutex<Option<String>>,
    /// Whether the server reads this build's packed form ([`super::packed`]): known
    /// from an earlier run, then from each answer's [`super::packed::WIRE_HEADER`].
    server_packs: std::sync::atomic::AtomicBool,
}

impl<'a> Client<'a> {
    pub(crate) fn new(
        transport: &'a dyn Transport,
        server: &str,
        token: Option<String>,
        cancel: &'a CancelToken,
        now_ms: i64,
    ) -> Self {
        Client {
            transport,
            base: server.trim_end_matches('/').to_string(),
            token,
            cancel,
            now_ms,
            device_state: std::sync::Mutex::new(None),
            incarnation: std::sync::Mutex::new(None),
            device_key: std::sync::Mutex::new(None),
            server_packs: std::sync::atomic::AtomicBool::new(false),
        }
    }

    /// Whether the server reads the packed form, as far as this client knows.
    pub(crate) fn server_packs(&self) -> bool {
        self.server_packs.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Sets what an earlier run learned about the server's packed form.
    pub(crate) fn set_server_packs(&self, packs: bool) {
        self.server_packs
            .store(packs, std::sync::atomic::Ordering::Relaxed);
    }

    /// Sets the device state every later request reports.
    pub(crate) fn set_device_state(&self, state: &super::wire::DeviceState) {
        *self.device_state.lock().unwrap_or_else(|p| p.into_inner()) = Some(state.to_header());
    }

    /// Sets the device's public signing key every later request names.
    pub(crate) fn set_device_key(&self, key: Option<String>) {
        *self.device_key.lock().unwrap_or_else(|p| p.into_inner()) = key;
    }

    /// The server incarnation named by the last response that named one.
    pub(crate) fn incarnation(&self) -> Option<String> {
        self.incarnation
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// Sends a request; statuses in `allow` come back as responses, other 4xx and 5xx
    /// as errors.
    pub(crate) fn send(
        &self,
        method: Method,
        path: &str,
        headers: Vec<(String, String)>,
        body: Vec<u8>,
        allow: &[u16],
    ) -> Result<HttpResponse, SyncError> {
        if self.cancel.is_cancelled() {
            return Err(SyncError::Cancelled);
        }
        let mut all = vec![
            (PROTOCOL_HEADER.to_string(), PROTOCOL_VERSION.to_string()),
            ("Accept".to_string(), "application/json".to_string()),
            (
                super::packed::WIRE_HEADER.to_string(),
                super::packed::wire_token().to_string(),
            ),
        ];
        if let Some(token) = &self.token {
            all.push(("Authorization".to_string(), format!("Bearer {token}")));
        }
        if let Some(state) = self
            .device_state
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
        {
            all.push((super::wire::DEVICE_STATE_HEADER.to_string(), state));
        }
        if let Some(key) = self
            .device_key
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
        {
            all.push((super::wire::DEVICE_KEY_HEADER.to_string(), key));
        }
        all.extend(headers);
        let request = HttpRequest {
            method,
            url: format!("{}{path}", self.base),
            headers: all,
            body,
        };
        let response = match self.transport.send(&request) {
            Ok(r) => r,
            // The app aborted the request because the run was cancelled: a cancel, not
            // a network failure (no backoff, nothing to show).
            Err(_) if self.cancel.is_cancelled() => return Err(SyncError::Cancelled),
            Err(e) => return Err(e.into()),
        };
        if let Some(i) = response
            .header(super::wire::INCARNATION_HEADER)
            .map(super::wire::clean_incarnation)
            .filter(|i| !i.is_empty())
        {
            *self.incarnation.lock().unwrap_or_else(|p| p.into_inner()) = Some(i);
        }
        // Push and pull answers say what the server reads (other routes need not); a
        // proxy's 5xx or 429 says nothing either way.
        if path.starts_with("/v1/events")
            && response.header(PROTOCOL_HEADER).is_some()
            && response.status < 500
        {
            self.set_server_packs(super::packed::offers_packed(
                response.header(super::packed::WIRE_HEADER),
            ));
        }
        self.classify(response, allow)
    }

    fn classify(&self, resp: HttpResponse, allow: &[u16]) -> Result<HttpResponse, SyncError> {
        let status = resp.status;
        // A proxy or load balancer in front of the server answers 5xx and 429 without
        // our header: those are passing failures, not an incompatible server.
        if status >= 500 {
            return Err(SyncError::Server {
                status,
                message: error_message(&resp),
                retry_after_ms: retry_after_ms(&resp, self.now_ms),
            });
        }
        if status == 429 {
            return Err(SyncError::RateLimited {
                retry_after_ms: retry_after_ms(&resp, self.now_ms),
            });
        }
        match resp.header(PROTOCOL_HEADER).map(str::trim) {
            Some(v) if v.parse::<u32>().ok() == Some(PROTOCOL_VERSION) => {}
            Some(v) => {
                return Err(SyncError::IncompatibleServer(format!(
                    "it speaks protocol version {v:?}; this app speaks {PROTOCOL_VERSION}"
                )))
            }
            None => {
                return Err(SyncError::IncompatibleServer(format!(
                    "its answer (HTTP {status}) has no {PROTOCOL_HEADER} header"
                )))
            }
        }
        if status == 401 {
            return Err(SyncError::Unauthorized(error_message(&resp)));
        }
        if (200..300).contains(&status) || allow.contains(&status) {
            return Ok(resp);
        }
        let body: Option<ErrorBody> = serde_json::from_slice(&resp.body).ok();
        match body.as_ref().map(|b| b.error.code.as_str()) {
            Some("protocol_mismatch") => {
                return Err(SyncError::IncompatibleServer(error_message(&resp)))
            }
            // Another account's device, or another store under this device id (a
            // signing key other than the one registered): set up anew, not retried.
            Some("device_taken" | "device_key_mismatch") => {
                return Err(SyncError::DeviceConflict(error_message(&resp)))
            }
            Some("wipe_required") if status == 410 => {
                return Err(SyncError::WipeRequired(error_message(&resp)))
            }
            Some("server_restored") => return Err(SyncError::ServerRestored(error_message(&resp))),
            _ => {}
        }
        Err(SyncError::Unexpected(format!(
            "HTTP {status}: {}",
            error_message(&resp)
        )))
    }

    /// `GET` a JSON body.
    pub(crate) fn get_json<T: DeserializeOwned>(&self, path: &str) -> Result<T, SyncError> {
        let resp = self.send(Method::Get, path, Vec::new(), Vec::new(), &[])?;
        decode(&resp)
    }

    /// `POST` a JSON body and read a JSON answer.
    pub(crate) fn post_json<B: Serialize, T: DeserializeOwned>(
        &self,
        path: &str,
        body: &B,
    ) -> Result<T, SyncError> {
        let bytes = serde_json::to_vec(body)
            .map_err(|e| SyncError::Unexpected(format!("cannot encode the request: {e}")))?;
        let headers = vec![("Content-Type".to_string(), "application/json".to_string())];
        let resp = self.send(Method::Post, path, headers, bytes, &[])?;
        decode(&resp)
    }
}

/// A pull page, in whichever form the server sent it.
pub(crate) fn decode_page(resp: &HttpResponse) -> Result<PullResponse, SyncError> {
    match super::packed::is_packed(resp.header("Content-Type")) {
        Some(true) => super::packed::unpack_pull(&resp.body, MAX_UNPACKED_PAGE)
            .map_err(|e| SyncError::Unexpected(format!("a pull page: {e}"))),
        Some(false) => Err(SyncError::Unexpected(
            "a pull page packed with a dictionary this app does not have".into(),
        )),
        None => serde_json::from_slice(&resp.body)
            .map_err(|e| SyncError::Unexpected(format!("a pull page that does not parse: {e}"))),
    }
}

/// The most JSON a packed pull page may unpack to: 1,000 events of at most a few KB
/// each, with room to spare (a page that claims more is refused, not allocated).
const MAX_UNPACKED_PAGE: usize = 64 << 20;

pub(crate) fn decode<T: DeserializeOwned>(resp: &HttpResponse) -> Result<T, SyncError> {
    serde_json::from_slice(&resp.body)
        .map_err(|e| SyncError::Unexpected(format!("a body that does not parse: {e}")))
}

fn error_message(resp: &HttpResponse) -> String {
    match serde_json::from_slice::<ErrorBody>(&resp.body) {
        Ok(b) => b.error.message,
        Err(_) => String::from_utf8_lossy(&resp.body)
            .chars()
            .take(200)
            .collect(),
    }
}

/// `Retry-After` in milliseconds from `now_ms`: delay-seconds or an HTTP date.
pub(crate) fn retry_after_ms(resp: &HttpResponse, now_ms: i64) -> Option<i64> {
    let v = resp.header("Retry-After")?.trim();
    if let Ok(secs) = v.parse::<i64>() {
        return Some(secs.max(0).saturating_mul(1000));
    }
    let at = chrono::DateTime::parse_from_rfc2822(v).ok()?;
    Some((at.timestamp_millis() - now_ms).max(0))
}

/// Percent-encodes nothing: every path segment the engine builds is hex or a number.
pub(crate) fn blob_path(sha256: &str) -> String {
    format!("/v1/blobs/{sha256}")
}
