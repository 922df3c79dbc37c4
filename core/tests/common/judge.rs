//! A small protocol v1 server in memory that judges pushes as the reference server
//! does for the cases these tests need: an event whose actor claims another role than
//! the account's, or a step on a case it holds no report of, is refused with a reason
//! and never served; everything else is accepted and served to every account.

use gridwork_core::{
    model::{Event, Role, Stream},
    sync::{
        self,
        wire::{PullResponse, PushOutcome, PushRequest, PushResponse, PushResult, Session},
        CancelToken, HttpRequest, HttpResponse, Method, NoProgress, SignIn, SyncEngine,
        SyncOptions, SyncReport, Transport, TransportError,
    },
    Store,
};
use std::{
    collections::{HashMap, HashSet},
    sync::Mutex,
};

pub const URL: &str = "http://judge.invalid";

/// Accounts by token: user and role.
type Accounts = HashMap<String, (String, Role)>;

#[derive(Default)]
pub struct Judge {
    inner: Mutex<(Accounts, Vec<Event>)>,
}

impl Judge {
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds an account `user` with `role` (its token is `t-user`) and signs `store` in.
    pub fn sign_in(&self, store: &Store, user: &str, role: Role) {
        self.inner
            .lock()
            .unwrap()
            .0
            .insert(format!("t-{user}"), (user.into(), role));
        sync::login(store, self, URL, &SignIn::Token(format!("t-{user}"))).unwrap();
    }

    /// One sync run of `store`.
    pub fn sync(&self, store: &Store) -> SyncReport {
        SyncEngine::new(SyncOptions::default())
            .run(store, self, &NoProgress, &CancelToken::new())
            .unwrap()
    }

    fn answer(&self, req: &HttpRequest) -> (u16, Vec<u8>) {
        let mut guard = self.inner.lock().unwrap();
        let (accounts, events) = &mut *guard;
        let token = req
            .header("Authorization")
            .and_then(|h| h.strip_prefix("Bearer "))
            .unwrap_or("");
        let Some((user, role)) = accounts.get(token).cloned() else {
            return (
                401,
                br#"{"error":{"code":"unauthorized","message":"no"}}"#.to_vec(),
            );
        };
        let path = &req.url[URL.len()..];
        let body = match (req.method, path.split('?').next().unwrap_or("")) {
            (Method::Get, "/v1/me") => serde_json::to_vec(&Session {
                token: None,
                user,
                role,
                scope: vec![String::new()],
            }),
            (Method::Post, "/v1/events") => {
                let push: PushRequest = serde_json::from_slice(&req.body).unwrap();
                let mut results = Vec::new();
                for mut e in push.events {
                    let reported: HashSet<Stream> = events
                        .iter()
                        .filter(|e| e.kind == "incident.reported")
                        .map(|e| e.stream)
                        .collect();
                    let outcome = if let Some(held) = events.iter().find(|h| h.id == e.id) {
                        PushOutcome::Duplicate {
                            server_seq: held.server_seq.unwrap(),
                        }
                    } else if e.actor.role != role {
                        PushOutcome::Rejected {
                            reason: format!(
                                "pushed with another role: the event names {} but {user}'s role is {role}",
                                e.actor
                            ),
                        }
                    } else if matches!(e.stream, Stream::Incident(_))
                        && e.kind != "incident.reported"
                        && !reported.contains(&e.stream)
                    {
                        PushOutcome::Rejected {
                            reason: "unknown case: the server holds no accepted report of it"
                                .into(),
                        }
                    } else {
                        let seq = events.len() as i64 + 1;
                        e.server_seq = Some(seq);
                        events.push(e.clone());
                        PushOutcome::Accepted { server_seq: seq }
                    };
                    results.push(PushResult { id: e.id, outcome });
                }
                serde_json::to_vec(&PushResponse { results })
            }
            (Method::Get, "/v1/events") => {
                let after: i64 = path
                    .split(['?', '&'])
                    .find_map(|kv| kv.strip_prefix("after="))
                    .and_then(|v| v.parse().ok())
                    .unwrap_or(0);
                let page: Vec<Event> = events.iter().skip(after as usize).cloned().collect();
                serde_json::to_vec(&PullResponse {
                    next_after: events.len() as i64,
                    events: page,
                    more: false,
                })
            }
            // Photos: the server holds every blob already.
            (Method::Head, _) => return (200, Vec::new()),
            _ => {
                return (
                    404,
                    br#"{"error":{"code":"not_found","message":"no"}}"#.to_vec(),
                )
            }
        };
        (200, body.unwrap())
    }
}

impl Transport for Judge {
    fn send(&self, req: &HttpRequest) -> Result<HttpResponse, TransportError> {
        let (status, body) = self.answer(req);
        Ok(HttpResponse {
            status,
            headers: vec![
                ("Gridwork-Protocol".into(), "1".into()),
                ("Content-Type".into(), "application/json".into()),
            ],
            body,
        })
    }
}
