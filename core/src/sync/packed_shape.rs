//! The shapes the packed form writes and reads its bodies in, straight from and into
//! typed events: no `serde_json::Value` copy of a page on either side.
//!
//! The keys are written in sorted order at every level, which is what the packed form
//! wrote when it went through `Value` (whose maps are sorted) and what the shipped
//! dictionary was trained on; a test compares the bytes with that older form.

use crate::{
    clock::Hlc,
    model::{Actor, Event, Role, Stream},
};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use uuid::Uuid;

/// A pull page as the packed form writes it.
#[derive(Serialize)]
pub(super) struct OutPage<'a> {
    pub(super) events: Vec<OutEvent<'a>>,
    pub(super) more: bool,
    pub(super) next_after: i64,
}

/// A push body as the packed form writes it.
#[derive(Serialize)]
pub(super) struct OutPush<'a> {
    pub(super) events: Vec<OutEvent<'a>>,
}

/// One event, its `prev_hash` left out when `chained`.
#[derive(Serialize)]
pub(super) struct OutEvent<'a> {
    actor: OutActor<'a>,
    device_id: &'a str,
    device_seq: u64,
    hlc: OutHlc,
    id: &'a Uuid,
    kind: &'a str,
    payload: &'a Value,
    #[serde(skip_serializing_if = "Option::is_none")]
    prev_hash: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    server_seq: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    signature: Option<&'a str>,
    stream: &'a Stream,
}

#[derive(Serialize)]
struct OutActor<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    department: Option<&'a str>,
    role: &'a Role,
    user: &'a str,
}

#[derive(Serialize)]
struct OutHlc {
    counter: u32,
    wall_ms: i64,
}

impl<'a> OutEvent<'a> {
    /// `event` as written, with its `prev_hash` left out when `chained` says the
    /// previous event of its device in the body hashes to it.
    pub(super) fn new(event: &'a Event, chained: bool) -> Self {
        // Every field of `Event` is named here: a field added there and not here
        // would be lost on the packed wire (the round-trip tests compare whole events).
        let Event {
            id,
            stream,
            kind,
            hlc,
            device_id,
            actor,
            device_seq,
            prev_hash,
            payload,
            server_seq,
            signature,
        } = event;
        let Actor {
            user,
            role,
            department,
        } = actor;
        OutEvent {
            actor: OutActor {
                department: department.as_deref(),
                role,
                user,
            },
            device_id,
            device_seq: *device_seq,
            hlc: OutHlc {
                counter: hlc.counter,
                wall_ms: hlc.wall_ms,
            },
            id,
            kind,
            payload,
            prev_hash: (!chained).then_some(prev_hash.as_str()),
            server_seq: *server_seq,
            signature: signature.as_deref(),
            stream,
        }
    }
}

/// A pull page as read from a packed body.
#[derive(Deserialize)]
pub(super) struct InPage {
    pub(super) events: Vec<InEvent>,
    pub(super) next_after: i64,
    pub(super) more: bool,
}

/// One event as read, its `prev_hash` `None` where the body left it out.
#[derive(Deserialize)]
pub(super) struct InEvent {
    id: Uuid,
    stream: Stream,
    kind: String,
    hlc: Hlc,
    device_id: String,
    actor: Actor,
    device_seq: u64,
    #[serde(default)]
    prev_hash: Option<String>,
    payload: Value,
    #[serde(default)]
    server_seq: Option<i64>,
    #[serde(default)]
    signature: Option<String>,
}

impl InEvent {
    /// The event, and whether its `prev_hash` was left out (then it is empty and has
    /// to be restored from the event before it).
    pub(super) fn into_event(self) -> (Event, bool) {
        let left_out = self.prev_hash.is_none();
        let event = Event {
            id: self.id,
            stream: self.stream,
            kind: self.kind,
            hlc: self.hlc,
            device_id: self.device_id,
            actor: self.actor,
            device_seq: self.device_seq,
            prev_hash: self.prev_hash.unwrap_or_default(),
            payload: self.payload,
            server_seq: self.server_seq,
            signature: self.signature,
        };
        (event, left_out)
    }
}
