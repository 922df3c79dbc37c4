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
    /// The device's Ed25519 public key (64 hex characters). The server binds it to the
    /// device id with the first sign-in that sends one and refuses a later sign-in of
    /// that device id with another key. Older clients send none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device_key: Option<String>,
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

/// The optional request header in which a device says what it holds that the server
/// cannot see: sent by the engine on push, upload and pull (see [`DeviceState`]).
pub const DEVICE_STATE_HEADER: &str = "Gridwork-Device-State";

/// What a device reports about itself in [`DEVICE_STATE_HEADER`]:
/// `outbox=3; photos=1; head=17; client=gridwork-core/0.1.0`. Every field is optional
/// and unknown fields are ignored, so both sides can grow it; a server treats a header
/// it cannot read as absent (older clients send none).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceState {
    /// The device's own events still waiting to be pushed.
    pub outbox: Option<u64>,
    /// Photos still waiting to be uploaded.
    pub photos: Option<u64>,
    /// The `device_seq` of the device's last own event (its chain head).
    pub head: Option<u64>,
    /// The client software and version, `name/version`.
    pub client: Option<String>,
    /// The server incarnation the device last synced with ([`INCARNATION_HEADER`]); a
    /// server with another one answers 409 `server_restored` to push and pull.
    #[serde(default)]
    pub incarnation: Option<String>,
}

/// The optional request header in which a device names its Ed25519 public key (64 hex
/// characters), sent by the engine with push, upload and pull: a server that holds no
/// key for the token's device yet registers it, as a password sign-in does (so a device
/// signed in with an operator's token gets its key registered too). Ignored when the
/// device has a key already (docs/signing.md).
pub const DEVICE_KEY_HEADER: &str = "Gridwork-Device-Key";

/// The response header of push and pull naming the server database's incarnation: a
/// random id that changes when the database is restored from a backup
/// (docs/sync-protocol.md, "After a server restore").
pub const INCARNATION_HEADER: &str = "Gridwork-Incarnation";

/// Keeps the characters an incarnation id may hold (ASCII letters, digits, `-`), at
/// most 64 of them.
pub fn clean_incarnation(s: &str) -> String {
    s.chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '-')
        .take(64)
        .collect()
}

impl DeviceState {
    /// The header value.
    pub fn to_header(&self) -> String {
        let mut parts = Vec::new();
        let mut num = |k: &str, v: Option<u64>| {
            if let Some(v) = v {
                parts.push(format!("{k}={v}"));
            }
        };
        num("outbox", self.outbox);
        num("photos", self.photos);
        num("head", self.head);
        if let Some(c) = &self.client {
            let clean: String = c
                .chars()
                .filter(|c| c.is_ascii_graphic() && *c != ';')
                .take(100)
                .collect();
            parts.push(format!("client={clean}"));
        }
        if let Some(i) = &self.incarnation {
            parts.push(format!("incarnation={}", clean_incarnation(i)));
        }
        parts.join("; ")
    }

    /// Reads a header value; `None` when it is not one (a field that does not parse
    /// makes the whole header unreadable, so no half-read figures are recorded).
    pub fn parse(value: &str) -> Option<DeviceState> {
        let mut s = DeviceState::default();
        for part in value.split(';').map(str::trim).filter(|p| !p.is_empty()) {
            let (k, v) = part.split_once('=')?;
            let (k, v) = (k.trim(), v.trim());
            match k {
                "outbox" => s.outbox = Some(v.parse().ok()?),
                "photos" => s.photos = Some(v.parse().ok()?),
                "head" => s.head = Some(v.parse().ok()?),
                "client" => s.client = Some(v.chars().take(100).collect()),
                "incarnation" => s.incarnation = Some(clean_incarnation(v)),
                _ => {}
            }
        }
        Some(s)
    }
}

#[cfg(test)]
mod device_state_tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn the_device_state_header_round_trips_and_tolerates_what_it_does_not_know() {
        let s = DeviceState {
            outbox: Some(3),
            photos: Some(1),
            head: Some(17),
            client: Some("gridwork-core/0.1.0".into()),
            incarnation: None,
        };
        assert_eq!(
            s.to_header(),
            "outbox=3; photos=1; head=17; client=gridwork-core/0.1.0"
        );
        assert_eq!(DeviceState::parse(&s.to_header()), Some(s));
        let later = DeviceState::parse("outbox=2; battery=40").unwrap();
        assert_eq!(later.outbox, Some(2));
        assert_eq!(later.head, None);
        assert_eq!(DeviceState::parse("outbox=lots"), None);
        assert_eq!(DeviceState::parse("nonsense"), None);
    }
}
