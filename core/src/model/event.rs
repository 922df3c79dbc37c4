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
        // The canonical JSON of the object above, written field by field in key order
        // (the payload without a copy of it), then hashed.
        let mut out = Vec::with_capacity(256 + self.kind.len());
        let value = |out: &mut Vec<u8>, v: serde_json::Result<serde_json::Value>| match v {
            Ok(v) => write_canonical(&v, out),
            Err(_) => out.extend_from_slice(b"null"),
        };
        out.extend_from_slice(b"{\"actor\":");
        value(&mut out, serde_json::to_value(&self.actor));
        out.extend_from_slice(b",\"device_id\":");
        write_str(&self.device_id, &mut out);
        out.extend_from_slice(b",\"device_seq\":");
        out.extend_from_slice(self.device_seq.to_string().as_bytes());
        out.extend_from_slice(b",\"hlc\":");
        value(&mut out, serde_json::to_value(self.hlc));
        out.extend_from_slice(b",\"id\":");
        write_str(&self.id.to_string(), &mut out);
        out.extend_from_slice(b",\"kind\":");
        write_str(&self.kind, &mut out);
        out.extend_from_slice(b",\"payload\":");
        write_canonical(&self.payload, &mut out);
        out.extend_from_slice(b",\"prev_hash\":");
        write_str(&self.prev_hash, &mut out);
        out.extend_from_slice(b",\"stream\":");
        write_str(&self.stream.to_string(), &mut out);
        out.push(b'}');
        hex::encode(Sha256::digest(&out))
    }

    /// The deterministic fold order: `(hlc, device_id, id)`.
    pub fn order_key(&self) -> (Hlc, &str, Uuid) {
        (self.hlc, self.device_id.as_str(), self.id)
    }
}

/// Serialises a JSON value with object keys sorted at every level and no white space,
/// so that the same value always gives the same bytes whatever map type serde_json uses.
pub fn canonical_json(value: &serde_json::Value) -> String {
    let mut out = Vec::new();
    write_canonical(value, &mut out);
    // serde_json writes UTF-8 only, so the lossy path is never taken.
    String::from_utf8(out).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}

/// A JSON string as serde_json writes it (the same escapes).
fn write_str(s: &str, out: &mut Vec<u8>) {
    // Writing into a Vec cannot fail.
    let _ = serde_json::to_writer(&mut *out, s);
}

fn write_canonical(value: &serde_json::Value, out: &mut Vec<u8>) {
    use serde_json::Value;
    match value {
        Value::Object(map) => {
            out.push(b'{');
            let mut write = |i: usize, key: &String, value: &Value| {
                if i > 0 {
                    out.push(b',');
                }
                write_str(key, out);
                out.push(b':');
                write_canonical(value, out);
            };
            // serde_json's map is ordered by key unless its `preserve_order` feature
            // is on somewhere in the build; sort only then.
            if map.keys().is_sorted() {
                for (i, (key, value)) in map.iter().enumerate() {
                    write(i, key, value);
                }
            } else {
                let mut entries: Vec<(&String, &Value)> = map.iter().collect();
                entries.sort_by(|a, b| a.0.cmp(b.0));
                for (i, (key, value)) in entries.into_iter().enumerate() {
                    write(i, key, value);
                }
            }
            out.push(b'}');
        }
        Value::Array(items) => {
            out.push(b'[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_canonical(item, out);
            }
            out.push(b']');
        }
        scalar => {
            let _ = serde_json::to_writer(&mut *out, scalar);
        }
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

    /// The hash as it was first written: the canonical JSON of a `json!` object of the
    /// signed fields (slow; the reference the fast one must equal byte for byte).
    fn reference_hash(e: &Event) -> String {
        fn canonical(value: &serde_json::Value, out: &mut String) {
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
                        canonical(&map[key], out);
                    }
                    out.push('}');
                }
                Value::Array(items) => {
                    out.push('[');
                    for (i, item) in items.iter().enumerate() {
                        if i > 0 {
                            out.push(',');
                        }
                        canonical(item, out);
                    }
                    out.push(']');
                }
                scalar => out.push_str(&scalar.to_string()),
            }
        }
        let value = serde_json::json!({
            "id": e.id, "stream": e.stream, "kind": e.kind, "hlc": e.hlc,
            "device_id": e.device_id, "actor": e.actor, "device_seq": e.device_seq,
            "prev_hash": e.prev_hash, "payload": e.payload,
        });
        let mut text = String::new();
        canonical(&value, &mut text);
        hex::encode(Sha256::digest(text.as_bytes()))
    }

    /// A fixed event's hash, as every store and server since the first computes it:
    /// a change here breaks every chain already recorded.
    #[test]
    fn hash_of_a_fixed_event_never_changes() {
        let e = Event {
            id: Uuid::parse_str("0190d6a0-1234-7000-8000-00000000abcd").unwrap(),
            stream: Stream::Incident(
                Uuid::parse_str("0190d6a0-1234-7000-8000-000000000001").unwrap(),
            ),
            kind: "incident.reported".into(),
            hlc: Hlc::new(1_700_000_000_000, 3),
            device_id: "phone-\"1\"".into(),
            actor: Actor::new("李四", Role::Worker),
            device_seq: 7,
            prev_hash: GENESIS_HASH.into(),
            payload: serde_json::json!({
                "description": "井盖缺失 \n\t \u{1}",
                "lat": 39.9042, "lon": 116.4074, "n": -3, "big": 1e300,
                "photos": [{"sha256": "ab", "size": 12}], "z": null, "a": true,
            }),
            server_seq: Some(9),
            signature: Some("ff".into()),
        };
        assert_eq!(e.hash(), reference_hash(&e));
        assert_eq!(e.hash(), GOLDEN);
    }
    const GOLDEN: &str = "d68cea59cc01dda05c10fd2897554aa771fb6f331c8603099102c74a90838e3b";

    proptest::proptest! {
        /// The hash equals the reference for any payload, key order and text.
        #[test]
        fn hash_equals_the_reference(
            kind in "\\PC{0,12}",
            device in "\\PC{0,12}",
            keys in proptest::collection::vec("\\PC{0,6}", 0..6),
            texts in proptest::collection::vec("\\PC{0,10}", 0..6),
            numbers in proptest::collection::vec(proptest::num::f64::NORMAL, 0..4),
            seq in 0u64..u64::MAX,
        ) {
            let mut payload = serde_json::Map::new();
            for (i, k) in keys.iter().enumerate() {
                let v = match i % 3 {
                    0 => serde_json::json!(texts.get(i).cloned().unwrap_or_default()),
                    1 => serde_json::json!(numbers.get(i).copied().unwrap_or(0.5)),
                    _ => serde_json::json!({"inner": texts.clone(), k.clone(): numbers.clone()}),
                };
                payload.insert(k.clone(), v);
            }
            let mut e = sample();
            e.kind = kind;
            e.device_id = device;
            e.device_seq = seq;
            e.payload = serde_json::Value::Object(payload);
            proptest::prop_assert_eq!(e.hash(), reference_hash(&e));
        }
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
