//! The packed wire form of pull pages and push bodies: the same JSON body, with each
//! event's `prev_hash` left out where it is the hash of the previous event of the same
//! device in the same body, compressed with zstd and a dictionary shipped with the
//! protocol (docs/sync-protocol.md, "Packed wire form").
//!
//! It is negotiated: a client offers it in [`WIRE_HEADER`] and a server that can read it
//! says so in the same header of its answers; the documented JSON form stays the default,
//! so a peer that knows nothing of it never sees it. Hashes and signatures are over the
//! canonical JSON of the event, which unpacking restores exactly, so they are unaffected.

use crate::model::Event;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};
use std::{collections::HashMap, io::Read, sync::OnceLock};
use thiserror::Error;

use super::{
    packed_shape::{InPage, OutEvent, OutPage, OutPush},
    wire::{PullResponse, PushRequest},
};

/// The zstd dictionary of the packed form, trained on realistic events (its training
/// command is in docs/sync-protocol.md). Changing it changes [`wire_token`].
pub const DICTIONARY: &[u8] = include_bytes!("packed.dict");

/// The header in which a client offers the packed form and a server advertises it:
/// `Gridwork-Wire: zstd;dict=<id>` ([`wire_token`]).
pub const WIRE_HEADER: &str = "Gridwork-Wire";

/// The media type of a packed body (followed by `; dict=<id>`).
pub const PACKED_MEDIA_TYPE: &str = "application/vnd.gridwork.packed";

/// zstd level for pull pages, which the server packs: level 19 would save about 3 %
/// more and costs ten times the CPU.
const PULL_LEVEL: i32 = 9;

/// zstd level for push bodies, which the phone packs: with the dictionary, level 1 made
/// a push of 10,000 reports about 2 % larger than level 9 did and cost the device about
/// 100 ms less CPU (docs/benchmarks.md; level 3 was larger than both).
const PUSH_LEVEL: i32 = 1;

/// Why a packed body could not be made or read.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum PackError {
    /// The body is not a zstd frame made with this dictionary, or is cut short.
    #[error("a packed body that does not decompress: {0}")]
    Compression(String),
    /// The body unpacks to more than the limit allows.
    #[error("a packed body unpacks to more than {0} bytes")]
    TooLarge(usize),
    /// The unpacked body is not the JSON it should be.
    #[error("a packed body that does not parse: {0}")]
    Json(String),
    /// An event without its `prev_hash` has no earlier event of its device in the body.
    #[error(
        "event {0} leaves out its prev_hash but no earlier event of its device is in the body"
    )]
    Chain(String),
}

/// The dictionary's id: the first 16 hex digits of its SHA-256.
pub fn dictionary_id() -> &'static str {
    static ID: OnceLock<String> = OnceLock::new();
    ID.get_or_init(|| hex::encode(&Sha256::digest(DICTIONARY)[..8]))
}

/// The value of [`WIRE_HEADER`] this build offers and reads: `zstd;dict=<id>`.
pub fn wire_token() -> &'static str {
    static TOKEN: OnceLock<String> = OnceLock::new();
    TOKEN.get_or_init(|| format!("zstd;dict={}", dictionary_id()))
}

/// The `Content-Type` of a packed body: `application/vnd.gridwork.packed; dict=<id>`.
pub fn content_type() -> &'static str {
    static TYPE: OnceLock<String> = OnceLock::new();
    TYPE.get_or_init(|| format!("{PACKED_MEDIA_TYPE}; dict={}", dictionary_id()))
}

/// Whether a [`WIRE_HEADER`] value (a comma-separated list) names this build's form.
pub fn offers_packed(header: Option<&str>) -> bool {
    header.is_some_and(|h| h.split(',').any(|t| same_token(t, wire_token())))
}

/// Whether a `Content-Type` is the packed media type; `Some(false)` when it is, with
/// another dictionary than this build's.
pub fn is_packed(content_type: Option<&str>) -> Option<bool> {
    let t = content_type?;
    let (media, params) = t.split_once(';').unwrap_or((t, ""));
    if !media.trim().eq_ignore_ascii_case(PACKED_MEDIA_TYPE) {
        return None;
    }
    let dict = params
        .split(';')
        .filter_map(|p| p.split_once('='))
        .find(|(k, _)| k.trim().eq_ignore_ascii_case("dict"))
        .map(|(_, v)| v.trim().trim_matches('"'));
    Some(dict == Some(dictionary_id()))
}

fn same_token(a: &str, b: &str) -> bool {
    let norm = |s: &str| {
        s.split_whitespace()
            .collect::<String>()
            .to_ascii_lowercase()
    };
    norm(a) == norm(b)
}

/// The dictionary prepared for the pull level.
fn pull_dictionary() -> &'static zstd::dict::EncoderDictionary<'static> {
    static DICT: OnceLock<zstd::dict::EncoderDictionary<'static>> = OnceLock::new();
    DICT.get_or_init(|| zstd::dict::EncoderDictionary::copy(DICTIONARY, PULL_LEVEL))
}

/// The dictionary prepared for the push level.
fn push_dictionary() -> &'static zstd::dict::EncoderDictionary<'static> {
    static DICT: OnceLock<zstd::dict::EncoderDictionary<'static>> = OnceLock::new();
    DICT.get_or_init(|| zstd::dict::EncoderDictionary::copy(DICTIONARY, PUSH_LEVEL))
}

fn decoder_dictionary() -> &'static zstd::dict::DecoderDictionary<'static> {
    static DICT: OnceLock<zstd::dict::DecoderDictionary<'static>> = OnceLock::new();
    DICT.get_or_init(|| zstd::dict::DecoderDictionary::copy(DICTIONARY))
}

/// Packs a pull page.
pub fn pack_pull(page: &PullResponse) -> Result<Vec<u8>, PackError> {
    let events = chain_out(&page.events, |i| page.events[i].hash());
    json_then_compress(
        &OutPage {
            events,
            more: page.more,
            next_after: page.next_after,
        },
        pull_dictionary(),
    )
}

/// Packs a push body.
pub fn pack_push(body: &PushRequest) -> Result<Vec<u8>, PackError> {
    let events = chain_out(&body.events, |i| body.events[i].hash());
    json_then_compress(&OutPush { events }, push_dictionary())
}

/// Packs a push body whose events' hashes the caller holds already (a store records
/// each event's hash with it): `hashes[i]` is `body.events[i].hash()`. Saves hashing
/// every event again; a hash that is not the event's makes the receiver restore a
/// `prev_hash` the device did not sign, and the server refuse that event.
pub fn pack_push_hashed(body: &PushRequest, hashes: &[String]) -> Result<Vec<u8>, PackError> {
    if hashes.len() != body.events.len() {
        return Err(PackError::Json(format!(
            "{} hashes for {} events",
            hashes.len(),
            body.events.len()
        )));
    }
    let events = chain_out(&body.events, |i| hashes[i].clone());
    json_then_compress(&OutPush { events }, push_dictionary())
}

/// The events as written, each `prev_hash` left out where it is the hash (`hash(i)` of
/// event `i`) of the previous event of the same device in the body.
fn chain_out(events: &[Event], hash: impl Fn(usize) -> String) -> Vec<OutEvent<'_>> {
    let mut heads: HashMap<&str, String> = HashMap::new();
    let mut out = Vec::with_capacity(events.len());
    for (i, event) in events.iter().enumerate() {
        let chained = heads.get(event.device_id.as_str()) == Some(&event.prev_hash);
        out.push(OutEvent::new(event, chained));
        heads.insert(event.device_id.as_str(), hash(i));
    }
    out
}

fn json_then_compress<B: Serialize>(
    body: &B,
    dict: &zstd::dict::EncoderDictionary<'static>,
) -> Result<Vec<u8>, PackError> {
    let json = serde_json::to_vec(body).map_err(|e| PackError::Json(e.to_string()))?;
    compress_with(&json, dict)
}

/// zstd with the shipped dictionary, at the level of pull pages.
pub fn compress(json: &[u8]) -> Result<Vec<u8>, PackError> {
    compress_with(json, pull_dictionary())
}

fn compress_with(
    json: &[u8],
    dict: &zstd::dict::EncoderDictionary<'static>,
) -> Result<Vec<u8>, PackError> {
    let out = Vec::with_capacity(json.len() / 8 + 64);
    let mut enc = zstd::stream::write::Encoder::with_prepared_dictionary(out, dict)
        .map_err(|e| PackError::Compression(e.to_string()))?;
    // The frame says how long the content is, so a reader can size its buffer.
    enc.set_pledged_src_size(Some(json.len() as u64))
        .map_err(|e| PackError::Compression(e.to_string()))?;
    std::io::Write::write_all(&mut enc, json).map_err(|e| PackError::Compression(e.to_string()))?;
    enc.finish()
        .map_err(|e| PackError::Compression(e.to_string()))
}

/// Decompresses a packed body into at most `max` bytes of JSON.
pub fn decompress(packed: &[u8], max: usize) -> Result<Vec<u8>, PackError> {
    let dec = zstd::stream::read::Decoder::with_prepared_dictionary(packed, decoder_dictionary())
        .map_err(|e| PackError::Compression(e.to_string()))?;
    let mut out = Vec::with_capacity(packed.len().saturating_mul(6).min(max));
    dec.take((max as u64).saturating_add(1))
        .read_to_end(&mut out)
        .map_err(|e| PackError::Compression(e.to_string()))?;
    if out.len() > max {
        return Err(PackError::TooLarge(max));
    }
    Ok(out)
}

/// Unpacks a pull page (at most `max` bytes of JSON), its `prev_hash`es restored.
pub fn unpack_pull(packed: &[u8], max: usize) -> Result<PullResponse, PackError> {
    let page: InPage = serde_json::from_slice(&decompress(packed, max)?)
        .map_err(|e| PackError::Json(e.to_string()))?;
    let mut left_out = Vec::new();
    let mut events = Vec::with_capacity(page.events.len());
    for (i, e) in page.events.into_iter().enumerate() {
        let (event, missing) = e.into_event();
        if missing {
            left_out.push(i);
        }
        events.push(event);
    }
    restore(&mut events, &left_out)?;
    Ok(PullResponse {
        events,
        next_after: page.next_after,
        more: page.more,
    })
}

/// Fills in the `prev_hash` of `events[i]` for each `i` in `left_out` (ascending).
fn restore(events: &mut [Event], left_out: &[usize]) -> Result<(), PackError> {
    if left_out.is_empty() {
        return Ok(());
    }
    let mut last: HashMap<String, usize> = HashMap::new();
    let mut next = left_out.iter().peekable();
    for i in 0..events.len() {
        if next.peek() == Some(&&i) {
            next.next();
            let before = last
                .get(&events[i].device_id)
                .copied()
                .ok_or_else(|| PackError::Chain(events[i].id.to_string()))?;
            events[i].prev_hash = events[before].hash();
        }
        last.insert(events[i].device_id.clone(), i);
    }
    Ok(())
}

/// Unpacks a push body (at most `max` bytes of JSON) into its JSON value, `prev_hash`es
/// restored, for a server that reads each event on its own. A left-out hash whose
/// predecessor is not a readable event is an error of the whole body.
pub fn unpack_push_value(packed: &[u8], max: usize) -> Result<Value, PackError> {
    let mut value: Value = serde_json::from_slice(&decompress(packed, max)?)
        .map_err(|e| PackError::Json(e.to_string()))?;
    if let Some(list) = value.get_mut("events").and_then(Value::as_array_mut) {
        let mut last: HashMap<String, usize> = HashMap::new();
        for i in 0..list.len() {
            let device = list[i]
                .get("device_id")
                .and_then(Value::as_str)
                .map(str::to_string);
            let id = || {
                list[i]
                    .get("id")
                    .and_then(Value::as_str)
                    .unwrap_or("?")
                    .to_string()
            };
            if list[i].is_object() && list[i].get("prev_hash").is_none() {
                let before = device
                    .as_ref()
                    .and_then(|d| last.get(d))
                    .copied()
                    .ok_or_else(|| PackError::Chain(id()))?;
                let hash = Event::deserialize(&list[before])
                    .map_err(|_| PackError::Chain(id()))?
                    .hash();
                if let Some(o) = list[i].as_object_mut() {
                    o.insert("prev_hash".into(), Value::String(hash));
                }
            }
            if let Some(d) = device {
                last.insert(d, i);
            }
        }
    }
    Ok(value)
}

/// Unpacks a push body into its typed form (tests, tools).
pub fn unpack_push(packed: &[u8], max: usize) -> Result<PushRequest, PackError> {
    serde_json::from_value(unpack_push_value(packed, max)?)
        .map_err(|e| PackError::Json(e.to_string()))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::{
        clock::Hlc,
        model::{signing::DeviceKey, Actor, Role, Stream, GENESIS_HASH},
    };
    use uuid::Uuid;

    /// Found by the `packed_body` fuzz target: a caller without a limit (`usize::MAX`)
    /// overflowed the reader's bound (a panic in builds with overflow checks).
    #[test]
    fn unpacking_without_a_limit_does_not_overflow() {
        let json = br#"{"events": [], "next_after": 0, "more": false}"#;
        let packed = compress(json).unwrap();
        assert_eq!(decompress(&packed, usize::MAX).unwrap(), json);
        let page = unpack_pull(&packed, usize::MAX).unwrap();
        assert!(page.events.is_empty());
    }

    /// `n` signed events, alternating between two devices' chains.
    fn chained(n: usize) -> Vec<Event> {
        let keys = [
            DeviceKey::generate().unwrap(),
            DeviceKey::generate().unwrap(),
        ];
        let mut heads = [GENESIS_HASH.to_string(), GENESIS_HASH.to_string()];
        (0..n)
            .map(|i| {
                let d = i % 2;
                let mut e = Event {
                    id: Uuid::now_v7(),
                    stream: Stream::Incident(Uuid::now_v7()),
                    kind: "incident.reported".into(),
                    hlc: Hlc::new(1_795_395_600_000 + i as i64, 0),
                    device_id: format!("phone-{d}"),
                    actor: Actor::new(format!("w{d}"), Role::Worker),
                    device_seq: (i / 2 + 1) as u64,
                    prev_hash: heads[d].clone(),
                    payload: serde_json::json!({"description": format!("桥边垃圾堆放 {i}"), "lat": 31.3}),
                    server_seq: Some(i as i64 + 1),
                    signature: None,
                };
                keys[d].sign(&mut e);
                heads[d] = e.hash();
                e
            })
            .collect()
    }

    #[test]
    fn a_page_unpacks_to_the_same_events_with_their_hashes_and_signatures() {
        let page = PullResponse {
            events: chained(10),
            next_after: 10,
            more: false,
        };
        let packed = pack_pull(&page).unwrap();
        // Only each device's first event keeps its prev_hash on the wire.
        let json = String::from_utf8(decompress(&packed, 1 << 20).unwrap()).unwrap();
        assert_eq!(json.matches("prev_hash").count(), 2);
        let back = unpack_pull(&packed, 1 << 20).unwrap();
        assert_eq!(back, page);
        for (a, b) in back.events.iter().zip(&page.events) {
            assert_eq!(a.hash(), b.hash());
        }
        let push = PushRequest {
            events: page.events.clone(),
        };
        assert_eq!(
            unpack_push(&pack_push(&push).unwrap(), 1 << 20).unwrap(),
            push
        );
    }

    /// The packed JSON as it was made before the typed shapes: through a `Value` (sorted
    /// keys), each chained `prev_hash` removed.
    fn through_a_value<B: Serialize>(body: &B, events: &[Event]) -> Vec<u8> {
        let mut value = serde_json::to_value(body).unwrap();
        let list = value["events"].as_array_mut().unwrap();
        let mut heads: HashMap<&str, String> = HashMap::new();
        for (event, v) in events.iter().zip(list.iter_mut()) {
            if heads.get(event.device_id.as_str()) == Some(&event.prev_hash) {
                v.as_object_mut().unwrap().remove("prev_hash");
            }
            heads.insert(event.device_id.as_str(), event.hash());
        }
        serde_json::to_vec(&value).unwrap()
    }

    /// The bytes are those the dictionary was trained on: a typed shape that wrote its
    /// keys in another order, or lost a field, would change them.
    #[test]
    fn the_typed_shapes_write_the_bytes_the_value_form_wrote() {
        let mut events = chained(7);
        events[1].actor.department = Some("城管".into());
        events[3].server_seq = None;
        events[4].prev_hash = "0".repeat(64);
        let page = PullResponse {
            events: events.clone(),
            next_after: 12,
            more: true,
        };
        let packed = pack_pull(&page).unwrap();
        assert_eq!(
            decompress(&packed, 1 << 20).unwrap(),
            through_a_value(&page, &events)
        );
        assert_eq!(unpack_pull(&packed, 1 << 20).unwrap(), page);
        let push = PushRequest { events };
        let hashes: Vec<String> = push.events.iter().map(Event::hash).collect();
        for packed in [
            pack_push(&push).unwrap(),
            pack_push_hashed(&push, &hashes).unwrap(),
        ] {
            assert_eq!(
                decompress(&packed, 1 << 20).unwrap(),
                through_a_value(&push, &push.events)
            );
            assert_eq!(unpack_push(&packed, 1 << 20).unwrap(), push);
        }
        assert!(pack_push_hashed(&push, &hashes[1..]).is_err());
    }

    #[test]
    fn a_broken_chain_is_sent_as_it_is() {
        let mut events = chained(4);
        events[2].prev_hash = "0".repeat(64);
        let page = PullResponse {
            events,
            next_after: 4,
            more: false,
        };
        assert_eq!(
            unpack_pull(&pack_pull(&page).unwrap(), 1 << 20).unwrap(),
            page
        );
    }

    #[test]
    fn a_left_out_hash_without_its_predecessor_is_refused() {
        let events = chained(4);
        let page = PullResponse {
            events: events[2..].to_vec(),
            next_after: 4,
            more: false,
        };
        let mut json = serde_json::to_value(&page).unwrap();
        json["events"][0]
            .as_object_mut()
            .unwrap()
            .remove("prev_hash");
        let packed = compress(&serde_json::to_vec(&json).unwrap()).unwrap();
        assert!(matches!(
            unpack_pull(&packed, 1 << 20),
            Err(PackError::Chain(_))
        ));
        assert!(matches!(
            unpack_push_value(&packed, 1 << 20),
            Err(PackError::Chain(_))
        ));
    }

    #[test]
    fn a_body_that_unpacks_past_the_limit_is_refused_and_garbage_is_an_error() {
        let packed = compress(&vec![b' '; 100_000]).unwrap();
        assert!(packed.len() < 1000);
        assert_eq!(
            decompress(&packed, 99_999),
            Err(PackError::TooLarge(99_999))
        );
        assert_eq!(decompress(&packed, 100_000).unwrap().len(), 100_000);
        assert!(matches!(
            unpack_pull(b"not zstd", 1 << 20),
            Err(PackError::Compression(_))
        ));
    }

    #[test]
    fn the_headers_name_the_dictionary() {
        assert!(offers_packed(Some(&format!("br, {}", wire_token()))));
        assert!(!offers_packed(Some("zstd;dict=0000000000000000")));
        assert!(!offers_packed(None));
        assert_eq!(is_packed(Some(content_type())), Some(true));
        assert_eq!(
            is_packed(Some("application/vnd.gridwork.packed; dict=00")),
            Some(false)
        );
        assert_eq!(is_packed(Some("application/json")), None);
    }
}
