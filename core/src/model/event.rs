//! The event envelope: the unit of the local log, of sync and of the hash chain.
//!
//! Every change is an immutable event. Its `id` (UUIDv7, made on the device) is the
//! idempotency key; `device_seq` and `prev_hash` link the events of one device into a
//! SHA-256 chain, so a deleted, inserted or edited event is detectable. The hash of an
//! event is the SHA-256 of its canonical JSON (see [`Event::hash`]).

use super::{Actor, ModelError};
use crate::clock::Hlc;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use sha2::{Digest, Sha256};
use std::{fmt, str::FromStr};
use uuid::Uuid;

/// `prev_hash` of a device's first event.
pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// The aggregate an event belongs to. On the wire: `incident/<uuid>` or `patrol/<uuid>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Stream {
    /// One incident case.
    Incident(Uuid),
    /// One patrol session.
    Patrol(Uuid),
}

impl Stream {
    /// The aggregate's id.
    pub fn id(&self) -> Uuid {
        match self {
            Stream::Incident(id) | Stream::Patrol(id) => *id,
        }
    }
}

impl fmt::Display for Stream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Stream::Incident(id) => write!(f, "incident/{id}"),
            Stream::Patrol(id) => write!(f, "patrol/{id}"),
        }
    }
}

impl FromStr for Stream {
    type Err = ModelError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || ModelError::InvalidStream(s.chars().take(80).collect());
        let (family, id) = s.split_once('/').ok_or_else(bad)?;
        let id = Uuid::parse_str(id).map_err(|_| bad())?;
        match family {
            "incident" => Ok(Stream::Incident(id)),
            "patrol" => Ok(Stream::Patrol(id)),
            _ => Err(bad()),
        }
    }
}

impl Serialize for Stream {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Stream {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// One immutable event, as stored in the log and exchanged by sync.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event {
    /// UUIDv7 made on the device: the idempotency key.
    pub id: Uuid,
    /// The aggregate the event belongs to.
    pub stream: Stream,
    /// What happened, e.g. `incident.reported`, `incident.dispatched`, `patrol.track`.
    pub kind: String,
    /// Hybrid logical clock timestamp: the event's place in causal order.
    pub hlc: Hlc,
    /// The device that recorded the event.
    pub device_id: String,
    /// Who did it, in which role.
    pub actor: Actor,
    /// Position in the recording device's chain, from 1.
    pub device_seq: u64,
    /// Hash of the device's previous event ([`GENESIS_HASH`] for the first).
    pub prev_hash: String,
    /// Kind-specific data.
    pub payload: serde_json::Value,
    /// Set when the server accepted the event; `None` while it waits in the outbox.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub server_seq: Option<i64>,
    /// The recording device's Ed25519 signature over [`Event::hash`], 128 hex
    /// characters (see [`signing`](super::signing)). Not covered by the hash. `None`
    /// for events recorded before devices signed, and left out of the JSON then.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signature: Option<String>,
}

impl Event {
    /// The event's SHA-256 (lower-case hex) over its canonical JSON: the fields `id`,
    /// `stream`, `kind`, `hlc`, `device_id`, `actor`, `device_seq`, `prev_hash` and
    /// `payload`, with object keys sorted and no white space. `server_seq` is not
    /// covered (the server assigns it later), nor is `signature` (made over the hash).
    pub fn hash(&self) -> String {
        let value = serde_json::json!({
            "id": self.id,
            "stream": self.stream,
            "kind": self.kind,
            "hlc": self.hlc,
            "device_id": self.device_id,
            "actor": self.actor,
            "device_seq": self.device_seq,
            "prev_hash": self.prev_hash,
            "payload": self.payload,
        });
        hex::encode(Sha256::digest(canonical_json(&value).as_bytes()))
    }

    /// The deterministic fold order: `(hlc, device_id, id)`.
    pub fn order_key(&self) -> (Hlc, &str, Uuid) {
        (self.hlc, self.device_id.as_str(), self.id)
    }
}

/// Serialises a JSON value with object keys sorted at every level and no white space,
/// so that the same value always gives the same bytes whatever map type serde_json uses.
pub fn canonical_json(value: &serde_json::Value) -> String {
    let mut out = String::new();
    write_canonical(value, &mut out);
    out
}

fn write_canonical(value: &serde_json::Value, out: &mut String) {
    use serde_json::Value;
    match value {
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            out.push('{');
            for (i, key) in keys.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&Value::String(key.clone()).to_string());
                out.push(':');
                write_canonical(&map[key], out);
            }
            out.push('}');
        }
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_canonical(item, out);
            }
            out.push(']');
        }
        scalar => out.push_str(&scalar.to_string()),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::model::Role;

    fn sample() -> Event {
        Event {
            id: Uuid::now_v7(),
            stream: Stream::Incident(Uuid::now_v7()),
            kind: "incident.reported".into(),
            hlc: Hlc::new(1_700_000_000_000, 3),
            device_id: "phone-1".into(),
            actor: Actor::new("li", Role::Worker),
            device_seq: 1,
            prev_hash: GENESIS_HASH.into(),
            payload: serde_json::json!({"b": 1, "a": {"z": [1, 2.5, "x"], "y": null}}),
            server_seq: None,
            signature: None,
        }
    }

    #[test]
    fn stream_round_trips_and_rejects_garbage() {
        let s = Stream::Patrol(Uuid::now_v7());
        assert_eq!(s.to_string().parse::<Stream>().unwrap(), s);
        assert!("incident/nope".parse::<Stream>().is_err());
        assert!("case/0190d6a0-0000-7000-8000-000000000000"
            .parse::<Stream>()
            .is_err());
    }

    #[test]
    fn hash_is_stable_and_covers_every_signed_field() {
        let e = sample();
        let h = e.hash();
        assert_eq!(h.len(), 64);
        // Round trip through JSON text does not change the hash.
        let again: Event = serde_json::from_str(&serde_json::to_string(&e).unwrap()).unwrap();
        assert_eq!(again.hash(), h);
        // server_seq is not signed.
        let mut acked = e.clone();
        acked.server_seq = Some(42);
        assert_eq!(acked.hash(), h);
        // Any signed field changes it.
        let mut edited = e.clone();
        edited.payload["b"] = serde_json::json!(2);
        assert_ne!(edited.hash(), h);
        let mut edited = e.clone();
        edited.device_seq = 2;
        assert_ne!(edited.hash(), h);
        let mut edited = e;
        edited.actor.role = Role::Supervisor;
        assert_ne!(edited.hash(), h);
    }

    #[test]
    fn canonical_json_sorts_keys_at_every_level() {
        let v = serde_json::json!({"b": {"d": 1, "c": 2}, "a": [ {"y": 1, "x": 2} ]});
        assert_eq!(
            canonical_json(&v),
            r#"{"a":[{"x":2,"y":1}],"b":{"c":2,"d":1}}"#
        );
    }
}
