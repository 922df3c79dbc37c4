//! The event log: appending local events to the device's hash chain, storing events
//! that came from elsewhere, reading a stream, and checking the chains.

use crate::{
    clock::Hlc,
    error::{Error, Result},
    model::{
        canonical_json,
        signing::{self, DeviceKey},
        Actor, Event, Stream, GENESIS_HASH,
    },
};
use rusqlite::{params, Connection, OptionalExtension, Row};
use serde::Serialize;
use uuid::Uuid;

/// The head of a device's chain: its last `device_seq` and that event's hash.
pub(crate) fn chain_head(conn: &Connection, device_id: &str) -> Result<(u64, String)> {
    let head = conn
        .query_row(
            "SELECT device_seq, hash FROM events WHERE device_id = ?1
             ORDER BY device_seq DESC LIMIT 1",
            [device_id],
            |r| Ok((r.get::<_, i64>(0)? as u64, r.get::<_, String>(1)?)),
        )
        .optional()?;
    Ok(head.unwrap_or_else(|| (0, GENESIS_HASH.to_string())))
}

/// The device's signing key, made (and recorded, with the first `device_seq` it signs)
/// when the store has none yet: at `init`, or at the first event of a store made
/// before devices signed.
pub(crate) fn signing_key(conn: &Connection) -> Result<DeviceKey> {
    if let Some(seed) = crate::store::meta_get(conn, "signing_key")? {
        return DeviceKey::from_hex(&seed)
            .map_err(|_| Error::Corrupt("the store's signing key is malformed".into()));
    }
    let key = DeviceKey::generate()
        .map_err(|e| Error::Io(std::io::Error::other(format!("no random source: {e}"))))?;
    let device = crate::store::meta_get(conn, "device_id")?.unwrap_or_default();
    let mut since = chain_head(conn, &device)?.0 + 1;
    // A store made before devices signed may hold own events the server has not seen:
    // they are signed now, so that the server (which wants every event of a device with
    // a key signed) takes them; what it holds already stays unsigned.
    let unsent: Vec<(i64, String, String)> = conn
        .prepare(
            "SELECT device_seq, id, hash FROM events
             WHERE device_id = ?1 AND server_seq IS NULL AND rejected IS NULL
               AND signature IS NULL ORDER BY device_seq",
        )?
        .query_map([&device], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
        .collect::<rusqlite::Result<_>>()?;
    for (seq, id, hash) in unsent {
        since = since.min(seq as u64);
        conn.execute(
            "UPDATE events SET signature = ?1 WHERE id = ?2",
            params![key.sign_hash(&hash), id],
        )?;
    }
    crate::store::meta_set(conn, "signing_key", &key.secret_hex())?;
    crate::store::meta_set(conn, "signing_since", &since.to_string())?;
    Ok(key)
}

/// Appends a local event at the head of this device's chain, signed with the device's
/// key, and returns it.
pub(crate) fn append_local(
    conn: &Connection,
    stream: Stream,
    kind: &str,
    hlc: Hlc,
    device_id: &str,
    actor: &Actor,
    payload: serde_json::Value,
) -> Result<Event> {
    let (seq, prev_hash) = chain_head(conn, device_id)?;
    let event = Event {
        id: Uuid::now_v7(),
        stream,
        kind: kind.to_string(),
        hlc,
        device_id: device_id.to_string(),
        actor: actor.clone(),
        device_seq: seq + 1,
        prev_hash,
        payload,
        server_seq: None,
        signature: None,
    };
    let hash = event.hash();
    let mut event = event;
    event.signature = Some(signing_key(conn)?.sign_hash(&hash));
    insert(conn, &event, &hash)?;
    // The chain's length and head are also kept apart from the events, so that deleting
    // the newest events, appending forged ones or re-hashing the newest (which leave no
    // broken link behind) are still detected.
    let mut set = conn.prepare_cached(
        "INSERT INTO meta (key, value) VALUES (?1, ?2)
         ON CONFLICT (key) DO UPDATE SET value = excluded.value",
    )?;
    set.execute(["own_chain_len", &event.device_seq.to_string()])?;
    set.execute(["own_chain_head", &hash])?;
    Ok(event)
}

/// What storing an event from elsewhere did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Stored {
    /// It was new here.
    New,
    /// It was here already; nothing changed.
    Known,
    /// It was here as refused by the server, and the server now serves it: it counts
    /// after all, so its stream must be folded again.
    Reinstated,
}

/// Stores an event recorded elsewhere. An event already here (same id) is not stored
/// again: delivery is idempotent.
/// `own_device` is this store's device id (read once per batch by the caller).
pub(crate) fn insert_remote(
    conn: &Connection,
    event: &Event,
    own_device: Option<&str>,
) -> Result<Stored> {
    let known: Option<(Option<i64>, Option<String>)> = conn
        .prepare_cached("SELECT server_seq, rejected FROM events WHERE id = ?1")?
        .query_row([event.id.to_string()], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    match known {
        Some((local_seq, rejected)) => {
            if local_seq.is_none() && event.server_seq.is_some() {
                conn.execute(
                    "UPDATE events SET server_seq = ?1, rejected = NULL WHERE id = ?2",
                    params![event.server_seq, event.id.to_string()],
                )?;
                if rejected.is_some() {
                    return Ok(Stored::Reinstated);
                }
            }
            Ok(Stored::Known)
        }
        None => {
            // A chain place already held by another event: not a delivery of ours but a
            // second device writing under the same id. Say so instead of failing on the
            // unique index forever.
            let holder: Option<String> = conn
                .prepare_cached("SELECT id FROM events WHERE device_id = ?1 AND device_seq = ?2")?
                .query_row(params![event.device_id, event.device_seq as i64], |r| {
                    r.get(0)
                })
                .optional()?;
            let own = holder.is_none() && own_device == Some(event.device_id.as_str());
            if holder.is_some() || own {
                return Err(Error::DeviceConflict {
                    device_id: event.device_id.clone(),
                    device_seq: event.device_seq,
                });
            }
            insert(conn, event, &event.hash())?;
            Ok(Stored::New)
        }
    }
}

fn insert(conn: &Connection, e: &Event, hash: &str) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO events (id, stream, kind, hlc_wall, hlc_counter, device_id, actor_user,
            actor_role, device_seq, prev_hash, hash, payload, server_seq, actor_department,
            signature)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)",
    )?
    .execute(params![
        e.id.to_string(),
        e.stream.to_string(),
        e.kind,
        e.hlc.wall_ms,
        e.hlc.counter,
        e.device_id,
        e.actor.user,
        e.actor.role.as_str(),
        e.device_seq as i64,
        e.prev_hash,
        hash,
        canonical_json(&e.payload),
        e.server_seq,
        e.actor.department,
        e.signature,
    ])?;
    Ok(())
}

pub(crate) const EVENT_COLUMNS: &str = "id, stream, kind, hlc_wall, hlc_counter, device_id, \
     actor_user, actor_role, device_seq, prev_hash, payload, server_seq, hash, rejected, \
     actor_department, signature";

/// One stored event with what the store knows about it beyond the envelope.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StoredEvent {
    /// The event.
    #[serde(flatten)]
    pub event: Event,
    /// The hash recorded when it was stored.
    pub hash: String,
    /// The server's reason, when the server rejected it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rejected: Option<String>,
}

pub(crate) fn row_to_stored(r: &Row<'_>) -> rusqlite::Result<Result<StoredEvent>> {
    let id: String = r.get(0)?;
    let stream: String = r.get(1)?;
    let role: String = r.get(7)?;
    let payload: String = r.get(10)?;
    let parse = || -> Result<StoredEvent> {
        let corrupt = |what: &str| Error::Corrupt(format!("event {id}: bad {what}"));
        Ok(StoredEvent {
            event: Event {
                id: Uuid::parse_str(&id).map_err(|_| corrupt("id"))?,
                stream: stream.parse().map_err(|_| corrupt("stream"))?,
                kind: r.get(2)?,
                hlc: Hlc::new(r.get(3)?, r.get(4)?),
                device_id: r.get(5)?,
                actor: Actor::new(
                    r.get::<_, String>(6)?,
                    role.parse().map_err(|_| corrupt("role"))?,
                )
                .in_department(r.get(14)?),
                device_seq: r.get::<_, i64>(8)? as u64,
                prev_hash: r.get(9)?,
                payload: serde_json::from_str(&payload).map_err(|_| corrupt("payload"))?,
                server_seq: r.get(11)?,
                signature: r.get(15)?,
            },
            hash: r.get(12)?,
            rejected: r.get(13)?,
        })
    };
    Ok(parse())
}

/// Every event of a stream, in fold order (but those a retention purge emptied).
pub(crate) fn stream_events(conn: &Connection, stream: &Stream) -> Result<Vec<StoredEvent>> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {EVENT_COLUMNS} FROM events WHERE stream = ?1 AND purged = 0
         ORDER BY hlc_wall, hlc_counter, device_id, id"
    ))?;
    let rows = stmt.query_map([stream.to_string()], row_to_stored)?;
    let mut out = Vec::new();
    for row in rows {
        out.push(row??);
    }
    Ok(out)
}

/// The check of one device's chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DeviceChain {
    /// The device.
    pub device_id: String,
    /// Events of this device held in the store.
    pub events: u64,
    /// Whether this is the store's own device (whose chain must be complete from 1).
    pub own: bool,
    /// Problems found, in chain order; empty when the chain is intact.
    pub problems: Vec<String>,
}

/// The result of checking every device chain in a store.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ChainReport {
    /// One entry per device, own device first.
    pub devices: Vec<DeviceChain>,
}

impl ChainReport {
    /// Whether no chain has a problem.
    pub fn is_intact(&self) -> bool {
        self.devices.iter().all(|d| d.problems.is_empty())
    }
}

/// Checks every device chain: each event's stored hash matches its content, and each
/// event's `prev_hash` is the hash of the device's previous event. An event a retention
/// purge emptied is not re-hashed; its recorded hash still has to link on both sides, and
/// it must be one the server accepted. The own device's
/// chain must run from 1 without a gap; other devices' chains may have gaps (a pull
/// brings only the caller's scope), but consecutive events must link.
pub(crate) fn verify_chains(conn: &Connection, own_device: &str) -> Result<ChainReport> {
    let mut stmt = conn.prepare(&format!(
        "SELECT {EVENT_COLUMNS}, purged FROM events
         ORDER BY device_id <> ?1, device_id, device_seq"
    ))?;
    let rows = stmt.query_map([own_device], |r| {
        let purged: bool = r.get(16)?;
        Ok(row_to_stored(r)?.map(|s| (s, purged)))
    })?;
    let own_key = crate::store::meta_get(conn, "signing_key")?
        .map(|seed| DeviceKey::from_hex(&seed).map(|k| k.public_hex()))
        .transpose()
        .map_err(|_| Error::Corrupt("the store's signing key is malformed".into()))?;
    // Own events from this place on must carry a valid signature; those before it were
    // recorded before the store had a key. A store with a key but no recorded start
    // signs from its first event.
    let signed_from: u64 = crate::store::meta_get(conn, "signing_since")?
        .and_then(|v| v.parse().ok())
        .unwrap_or(1);
    let mut devices: Vec<DeviceChain> = Vec::new();
    let mut prev: Option<(u64, String)> = None;
    let mut own_newest: Option<String> = None;
    for row in rows {
        let (stored, purged) = row??;
        let e = &stored.event;
        if devices.last().is_none_or(|d| d.device_id != e.device_id) {
            devices.push(DeviceChain {
                device_id: e.device_id.clone(),
                events: 0,
                own: e.device_id == own_device,
                problems: Vec::new(),
            });
            prev = None;
        }
        let Some(chain) = devices.last_mut() else {
            continue;
        };
        chain.events += 1;
        let seq = e.device_seq;
        // A purged event has no content left to hash: its recorded hash stands for it
        // and is checked by the links on both sides.
        let actual = if purged {
            stored.hash.clone()
        } else {
            e.hash()
        };
        if purged && (e.server_seq.is_none() || stored.rejected.is_some()) {
            chain.problems.push(format!(
                "event #{seq} ({}) was purged before the server held it",
                e.id
            ));
        }
        if actual != stored.hash {
            chain.problems.push(format!(
                "event #{seq} ({}) was altered: its content no longer matches its hash",
                e.id
            ));
        }
        if let (true, Some(key)) = (chain.own, &own_key) {
            let signed = e.signature.is_some() || seq >= signed_from;
            if signed
                && signing::verify_hash(key, &actual, e.signature.as_deref().unwrap_or("")).is_err()
            {
                chain.problems.push(format!(
                    "event #{seq} ({}) is not signed by this device: it was altered or forged",
                    e.id
                ));
            }
        }
        match &prev {
            None if chain.own && seq != 1 => chain
                .problems
                .push(format!("events #1 to #{} are missing", seq - 1)),
            None if seq == 1 && e.prev_hash != GENESIS_HASH => chain
                .problems
                .push("event #1 does not start from the genesis hash".to_string()),
            Some((pseq, phash)) if *pseq + 1 == seq && &e.prev_hash != phash => {
                chain.problems.push(format!(
                    "event #{seq} does not link to event #{pseq}: an event was changed, inserted or replaced"
                ))
            }
            Some((pseq, _)) if *pseq + 1 == seq => {}
            Some((pseq, _)) if chain.own => chain.problems.push(format!(
                "events #{} to #{} are missing",
                pseq + 1,
                seq - 1
            )),
            _ => {}
        }
        if chain.own {
            own_newest = Some(actual.clone());
        }
        prev = Some((seq, actual));
    }
    let meta = |key: &str| -> Result<Option<String>> {
        Ok(conn
            .query_row("SELECT value FROM meta WHERE key = ?1", [key], |r| r.get(0))
            .optional()?)
    };
    let recorded: u64 = meta("own_chain_len")?
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    // Stores written before the head was recorded have none; it appears with their
    // next own event.
    let recorded_head = meta("own_chain_head")?;
    let held = chain_head(conn, own_device)?.0;
    let own_problem = |devices: &mut Vec<DeviceChain>, problem: String| {
        if let Some(own) = devices.iter_mut().find(|d| d.own) {
            own.problems.push(problem);
        }
    };
    if held > recorded {
        own_problem(
            &mut devices,
            format!(
                "events #{} to #{held} were added behind the store's back",
                recorded + 1
            ),
        );
    } else if held == recorded && recorded > 0 {
        if let (Some(head), Some(newest)) = (&recorded_head, &own_newest) {
            if head != newest {
                own_problem(
                    &mut devices,
                    format!("the newest event #{held} was altered or replaced"),
                );
            }
        }
    }
    if held < recorded {
        let own = match devices.iter_mut().find(|d| d.own) {
            Some(own) => own,
            None => {
                devices.insert(
                    0,
                    DeviceChain {
                        device_id: own_device.to_string(),
                        events: 0,
                        own: true,
                        problems: Vec::new(),
                    },
                );
                &mut devices[0]
            }
        };
        own.problems.push(format!(
            "the newest events #{} to #{recorded} are missing",
            held + 1
        ));
    }
    Ok(ChainReport { devices })
}
