//! An in-memory protocol v1 server implementing [`Transport`] directly, for the engine's
//! tests and benchmarks (feature `testing`). It assigns `server_seq`, answers duplicates
//! with the first result, refuses (without recording) events pushed as another user,
//! serves pulls in pages and takes resumable blob uploads. It is no reference: the real server is
//! gridwork-server; this one only has to be simple and obviously right.

use super::{
    transport::{HttpRequest, HttpResponse, Method, Transport, TransportError},
    upload::{UPLOAD_COMPLETE_HEADER, UPLOAD_OFFSET_HEADER},
    wire::{
        ErrorBody, ErrorDetail, LoginRequest, PullResponse, PushOutcome, PushRequest, PushResponse,
        PushResult, Session, MAX_PULL_LIMIT, PROTOCOL_HEADER, PROTOCOL_VERSION,
    },
};
use crate::model::{Event, Role};
use serde::Serialize;
use sha2::{Digest, Sha256};
use std::{
    collections::HashMap,
    sync::{Mutex, MutexGuard},
};
use uuid::Uuid;

/// The base URL to sign in to a [`MemoryServer`] with.
pub const MEMORY_URL: &str = "http://memory.invalid";

#[derive(Default)]
struct Inner {
    accounts: HashMap<String, (String, Role, String)>,
    events: Vec<Event>,
    results: HashMap<Uuid, PushOutcome>,
    blobs: HashMap<String, (Vec<u8>, u64)>,
    requests: Vec<(Method, String)>,
    /// Speaks only JSON, as a server from before the packed form.
    json_only: bool,
    /// Body bytes of push requests and pull answers, as sent.
    event_bytes: (u64, u64),
}

/// An in-memory sync server.
#[derive(Default)]
pub struct MemoryServer {
    inner: Mutex<Inner>,
}

impl MemoryServer {
    /// An empty server with no accounts.
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Adds an account reachable by `token` (also its password).
    pub fn add_account(&self, user: &str, role: Role, token: &str) {
        self.lock().accounts.insert(
            token.to_string(),
            (user.to_string(), role, token.to_string()),
        );
    }

    /// Makes the server speak only JSON, as one from before the packed form: it neither
    /// advertises nor reads packed bodies (a packed push is a 400, as such a server
    /// answers a body it cannot parse).
    pub fn set_json_only(&self, json_only: bool) {
        self.lock().json_only = json_only;
    }

    /// The body bytes of every push request and every pull answer so far.
    pub fn event_bytes(&self) -> (u64, u64) {
        self.lock().event_bytes
    }

    /// Every accepted event, in `server_seq` order.
    pub fn events(&self) -> Vec<Event> {
        self.lock().events.clone()
    }

    /// The bytes held for a blob, complete or not.
    pub fn blob(&self, sha256: &str) -> Option<Vec<u8>> {
        self.lock().blobs.get(sha256).map(|(b, _)| b.clone())
    }

    /// Every request seen: method and path with query.
    pub fn requests(&self) -> Vec<(Method, String)> {
        self.lock().requests.clone()
    }

    /// Forgets the requests seen so far.
    pub fn clear_requests(&self) {
        self.lock().requests.clear();
    }

    fn handle(&self, req: &HttpRequest) -> HttpResponse {
        let path = req.url.find("/v1/").map(|i| &req.url[i..]).unwrap_or("/");
        let mut inner = self.lock();
        inner.requests.push((req.method, path.to_string()));
        let (route, query) = path.split_once('?').unwrap_or((path, ""));
        if (req.method, route) == (Method::Post, "/v1/login") {
            let Ok(login) = serde_json::from_slice::<LoginRequest>(&req.body) else {
                return error(400, "bad_request", "bad login body");
            };
            return match inner
                .accounts
                .values()
                .find(|(u, _, p)| *u == login.user && *p == login.password)
            {
                Some((user, role, token)) => json(
                    200,
                    &Session {
                        token: Some(token.clone()),
                        user: user.clone(),
                        role: *role,
                        scope: vec![String::new()],
                    },
                ),
                None => error(401, "unauthorized", "wrong user or password"),
            };
        }
        let token = req
            .header("Authorization")
            .and_then(|h| h.strip_prefix("Bearer "))
            .unwrap_or("");
        let Some((user, role, _)) = inner.accounts.get(token).cloned() else {
            return error(401, "unauthorized", "unknown token");
        };
        match (req.method, route) {
            (Method::Get, "/v1/me") => json(
                200,
                &Session {
                    token: None,
                    user,
                    role,
                    scope: vec![String::new()],
                },
            ),
            (Method::Post, "/v1/events") => {
                inner.event_bytes.0 += req.body.len() as u64;
                let packed = !inner.json_only
                    && super::packed::is_packed(req.header("Content-Type")).is_some();
                let push = match packed {
                    true => super::packed::unpack_push(&req.body, 64 << 20).ok(),
                    false => serde_json::from_slice::<PushRequest>(&req.body).ok(),
                };
                let Some(push) = push else {
                    return error(400, "bad_request", "bad push body");
                };
                let mut results = Vec::new();
                for mut event in push.events {
                    // Another user's event is refused and not recorded, so its author's
                    // own push of it later is judged afresh.
                    if event.actor.user != user {
                        results.push(PushResult {
                            id: event.id,
                            outcome: PushOutcome::Rejected {
                                reason: format!(
                                    "pushed by {user}, but the event is {}'s",
                                    event.actor.user
                                ),
                            },
                        });
                        continue;
                    }
                    let outcome = match inner.results.get(&event.id) {
                        Some(PushOutcome::Accepted { server_seq }) => PushOutcome::Duplicate {
                            server_seq: *server_seq,
                        },
                        Some(other) => other.clone(),
                        None => {
                            let seq = inner.events.len() as i64 + 1;
                            event.server_seq = Some(seq);
                            inner.events.push(event.clone());
                            PushOutcome::Accepted { server_seq: seq }
                        }
                    };
                    inner.results.insert(event.id, outcome.clone());
                    results.push(PushResult {
                        id: event.id,
                        outcome,
                    });
                }
                let mut resp = json(200, &PushResponse { results });
                if !inner.json_only {
                    advertise(&mut resp);
                }
                resp
            }
            (Method::Get, "/v1/events") => {
                let arg = |k: &str| {
                    query
                        .split('&')
                        .filter_map(|kv| kv.split_once('='))
                        .find(|(key, _)| *key == k)
                        .and_then(|(_, v)| v.parse::<i64>().ok())
                };
                let after = arg("after").unwrap_or(0).max(0);
                let limit = arg("limit").unwrap_or(100).clamp(1, MAX_PULL_LIMIT as i64);
                let events: Vec<Event> = inner
                    .events
                    .iter()
                    .skip(after as usize)
                    .take(limit as usize)
                    .cloned()
                    .collect();
                let next_after = events.last().and_then(|e| e.server_seq).unwrap_or(after);
                let more = (next_after as usize) < inner.events.len();
                let page = PullResponse {
                    events,
                    next_after,
                    more,
                };
                let mut resp = json(200, &page);
                if !inner.json_only {
                    advertise(&mut resp);
                    if super::packed::offers_packed(req.header(super::packed::WIRE_HEADER)) {
                        if let Ok(body) = super::packed::pack_pull(&page) {
                            resp.body = body;
                            resp.headers.retain(|(k, _)| k != "Content-Type");
                            resp.headers.push((
                                "Content-Type".into(),
                                super::packed::content_type().into(),
                            ));
                        }
                    }
                }
                inner.event_bytes.1 += resp.body.len() as u64;
                resp
            }
            (Method::Head, r) if r.starts_with("/v1/blobs/") => {
                match inner.blobs.get(&r["/v1/blobs/".len()..]) {
                    Some((bytes, total)) => {
                        let mut resp = ok(200);
                        resp.headers
                            .push((UPLOAD_OFFSET_HEADER.into(), bytes.len().to_string()));
                        let complete = bytes.len() as u64 == *total;
                        resp.headers.push((
                            UPLOAD_COMPLETE_HEADER.into(),
                            if complete { "yes" } else { "no" }.into(),
                        ));
                        resp
                    }
                    None => error(404, "not_found", "no such blob"),
                }
            }
            (Method::Put, r) if r.starts_with("/v1/blobs/") => {
                let sha = r["/v1/blobs/".len()..].to_string();
                let Some((start, end, total)) = req.header("Content-Range").and_then(parse_range)
                else {
                    return error(400, "bad_request", "bad Content-Range");
                };
                let entry = inner
                    .blobs
                    .entry(sha.clone())
                    .or_insert((Vec::new(), total));
                let held = entry.0.len() as u64;
                if entry.1 == held && held > 0 {
                    let mut resp = ok(200);
                    resp.headers
                        .push((UPLOAD_COMPLETE_HEADER.into(), "yes".into()));
                    return resp;
                }
                if start != held || end + 1 - start != req.body.len() as u64 || total != entry.1 {
                    let mut resp = error(416, "bad_request", "range does not follow what is held");
                    resp.headers
                        .push((UPLOAD_OFFSET_HEADER.into(), held.to_string()));
                    return resp;
                }
                entry.0.extend_from_slice(&req.body);
                let held = entry.0.len() as u64;
                if held < total {
                    let mut resp = ok(202);
                    resp.headers
                        .push((UPLOAD_OFFSET_HEADER.into(), held.to_string()));
                    resp.headers
                        .push((UPLOAD_COMPLETE_HEADER.into(), "no".into()));
                    return resp;
                }
                if hex::encode(Sha256::digest(&entry.0)) != sha {
                    inner.blobs.remove(&sha);
                    return error(400, "bad_request", "content does not match its hash");
                }
                ok(201)
            }
            _ => error(404, "not_found", "no such route"),
        }
    }
}

fn parse_range(v: &str) -> Option<(u64, u64, u64)> {
    let (range, total) = v.strip_prefix("bytes ")?.split_once('/')?;
    let (a, b) = range.split_once('-')?;
    Some((a.parse().ok()?, b.parse().ok()?, total.parse().ok()?))
}

fn ok(status: u16) -> HttpResponse {
    HttpResponse {
        status,
        headers: vec![(PROTOCOL_HEADER.into(), PROTOCOL_VERSION.to_string())],
        body: Vec::new(),
    }
}

fn json<T: Serialize>(status: u16, body: &T) -> HttpResponse {
    let mut resp = ok(status);
    resp.headers
        .push(("Content-Type".into(), "application/json".into()));
    resp.body = serde_json::to_vec(body).unwrap_or_default();
    resp
}

/// Says the server reads the packed form.
fn advertise(resp: &mut HttpResponse) {
    resp.headers.push((
        super::packed::WIRE_HEADER.into(),
        super::packed::wire_token().into(),
    ));
}

fn error(status: u16, code: &str, message: &str) -> HttpResponse {
    json(
        status,
        &ErrorBody {
            error: ErrorDetail {
                code: code.into(),
                message: message.into(),
            },
        },
    )
}

impl Transport for MemoryServer {
    fn send(&self, request: &HttpRequest) -> Result<HttpResponse, TransportError> {
        Ok(self.handle(request))
    }
}
