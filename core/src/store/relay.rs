//! Relaying another device's events: a phone that cannot reach the server hands its
//! not-yet-pushed events to a device that can (a supervisor's tablet), offline, as a
//! signed bundle. The carrier stores them, shows them, and pushes them for the phone;
//! it cannot alter or forge them, because each is signed with the phone's key, which
//! the server registered at the phone's sign-in (docs/signing.md).

use super::{read_identity, Store};
use crate::{
    db::{self, events::row_to_stored, events::EVENT_COLUMNS},
    error::{Error, Result},
    model::{signing, Event},
};
use rusqlite::params;
use serde::{Deserialize, Serialize};

/// The format tag of a relay bundle.
pub const RELAY_FORMAT: &str = "gridwork-relay/1";

/// A device's signed events, oldest first, as handed to a relaying device.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RelayBundle {
    /// Always [`RELAY_FORMAT`].
    pub format: String,
    /// The device that recorded the events.
    pub device_id: String,
    /// Its public key (hex), for the carrier's own check; the server checks against the
    /// key it registered, not this one.
    pub public_key: String,
    /// The events, each with its signature.
    pub events: Vec<Event>,
}

/// What importing a relay bundle did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct RelayImport {
    /// Events new to this store (they are pushed at its next sync).
    pub imported: u64,
    /// Events it held already.
    pub known: u64,
}

fn bad(reason: impl Into<String>) -> Error {
    Error::invalid("relay bundle", reason.into())
}

impl Store {
    /// This device's events the server has not acknowledged yet (neither accepted nor
    /// refused), signed, as a bundle (JSON text) for another device to carry.
    pub fn export_outbox_bundle(&self) -> Result<String> {
        let bundle = self.db.write(|tx| {
            let identity = self.require_identity(tx)?;
            let public_key = db::events::signing_key(tx)?.public_hex();
            let mut stmt = tx.prepare(&format!(
                "SELECT {EVENT_COLUMNS} FROM events
                 WHERE server_seq IS NULL AND rejected IS NULL AND device_id = ?1
                 ORDER BY device_seq"
            ))?;
            let rows = stmt.query_map(params![identity.device_id], row_to_stored)?;
            let mut events = Vec::new();
            for row in rows {
                events.push(row??.event);
            }
            Ok(RelayBundle {
                format: RELAY_FORMAT.into(),
                device_id: identity.device_id,
                public_key,
                events,
            })
        })?;
        serde_json::to_string(&bundle).map_err(|e| Error::Corrupt(e.to_string()))
    }

    /// Stores another device's bundle for relaying: every event must be that device's
    /// and carry a signature that verifies with the bundle's key, else nothing is
    /// stored. The events are folded like pulled ones and pushed at the next sync; the
    /// server judges them as the recording device's own.
    pub fn import_relay_bundle(&self, json: &str) -> Result<RelayImport> {
        let bundle: RelayBundle =
            serde_json::from_str(json).map_err(|e| bad(format!("not a relay bundle: {e}")))?;
        if bundle.format != RELAY_FORMAT {
            return Err(bad(format!("unknown format {:?}", bundle.format)));
        }
        signing::check_public_key(&bundle.public_key).map_err(|e| bad(e.to_string()))?;
        for e in &bundle.events {
            if e.device_id != bundle.device_id {
                return Err(bad(format!(
                    "event {} names device {}, not the bundle's",
                    e.id, e.device_id
                )));
            }
            signing::verify_event(&bundle.public_key, e)
                .map_err(|err| bad(format!("event {}: {err}", e.id)))?;
        }
        let mut events = bundle.events;
        for e in &mut events {
            e.server_seq = None;
        }
        self.db.write(|tx| {
            let own = read_identity(tx)?.ok_or(Error::NotInitialized)?.device_id;
            if own == bundle.device_id {
                return Err(bad("a device cannot relay its own events"));
            }
            let (new, _) = super::apply_remote_in(self, tx, &events)?;
            Ok(RelayImport {
                imported: new as u64,
                known: (events.len() - new) as u64,
            })
        })
    }
}
