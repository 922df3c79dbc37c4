//! The JSON bodies of sync protocol v1. The device's engine and the reference server
//! both use these types, so they cannot drift apart; docs/sync-protocol.md and
//! docs/openapi.yaml describe the same shapes for implementers in other languages.

use crate::model::Event;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// The protocol version this build speaks. Sent in the `Gridwork-Protocol` header of
/// every request and response; a peer with another major version stops before
/// touching anything.
pub const PROTOCOL_VERSION: u32 = 1;

/// The header carrying [`PROTOCOL_VERSION`].
pub const PROTOCOL_HEADER: &str = "Gridwork-Protocol";

/// Most events in one push.
pub const MAX_PUSH_EVENTS: usize = 500;

/// Most events in one pull page.
pub const MAX_PULL_LIMIT: u32 = 1000;

/// `POST /v1/events`: a batch of events from one device, oldest first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PushRequest {
    /// The events, in the device's chain order.
    pub events: Vec<Event>,
}

/// What the server did with one pushed event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum PushOutcome {
    /// Stored; served to others from `server_seq` on.
    Accepted {
        /// The event's place in the server's log.
        server_seq: i64,
    },
    /// Already stored by an earlier push: the same result again.
    Duplicate {
        /// The event's place in the server's log.
        server_seq: i64,
    },
    /// Refused: malformed or not allowed. Kept in quarantine, never served.
    Rejected {
        /// Why, in words a user can read.
        reason: String,
    },
}

/// One entry of a push response.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PushResult {
    /// The event id.
    pub id: Uuid,
    /// What happened to it.
    #[serde(flatten)]
    pub outcome: PushOutcome,
}

/// The response to `POST /v1/events`: one result per pushed event, in order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PushResponse {
    /// The results.
    pub results: Vec<PushResult>,
}

/// The response to `GET /v1/events?after=SEQ&limit=N`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PullResponse {
    /// Events of the caller's scope with `server_seq > after`, ascending, each with its
    /// `server_seq` set.
    pub events: Vec<Event>,
    /// The cursor to ask with next: the highest `server_seq` this page covers (it may
    /// be above the last event's when events out of scope were skipped).
    pub next_after: i64,
    /// Whether more events are ready now.
    pub more: bool,
}

/// `POST /v1/login`: trade a user name and password for a bearer token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoginRequest {
    /// The account name.
    pub user: String,
    /// The password.
    pub password: String,
    /// The device asking, for the audit log.
    pub device_id: String,
}

/// The response to a login, and to `GET /v1/me`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Session {
    /// The bearer token (only in the login response).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token: Option<String>,
    /// The account name.
    pub user: String,
    /// The account's role.
    pub role: crate::model::Role,
    /// Grid-code prefixes the account may see and act in.
    pub scope: Vec<String>,
}

/// An error body: `{"error": {"code": "...", "message": "..."}}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    /// The error.
    pub error: ErrorDetail,
}

/// The machine-readable code and the human message of an error.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorDetail {
    /// A stable code: `unauthorized`, `forbidden`, `bad_request`, `too_large`,
    /// `not_found`, `protocol_mismatch`, `rate_limited`, `internal`.
    pub code: String,
    /// What went wrong, for people.
    pub message: String,
}
