//! The reference step of a run: download the catalogue (with its calendar) and the grid
//! when the server's reference version differs from the one the store holds.
//!
//! Every pull answer names the server's version in [`REFERENCE_HEADER`]. After the pull
//! the engine compares it with the stored one and asks `GET /v1/catalog` with
//! `If-None-Match` only when they differ, when it never downloaded them, right after a
//! sign-in, or when the server names no version (an older server): a 304 then costs one
//! short exchange. A 200 is imported atomically ([`Store::import_reference`]); a 404
//! (the server holds none) keeps what the store has and is remembered, so that a server
//! without reference data is not asked again on every run — only once it names a
//! version, or after the next sign-in. See docs/sync-protocol.md, "Reference data".

use super::{client::Client, error::SyncError, transport::Method};
use crate::{
    error::Error,
    store::{meta_get, meta_set},
    Store,
};
use rusqlite::Connection;

/// The pull answers' header naming the server's reference version: 32 hex digits that
/// change whenever the catalogue (or its calendar) or the grid changes. The ETag of
/// `GET /v1/catalog` is the same value in quotes.
pub const REFERENCE_HEADER: &str = "Gridwork-Reference";

/// Set at sign-in: the next run checks the reference data whatever the pull says.
const DUE: &str = "sync.reference_due";

/// Set when the server answered 404 (it holds no reference data) and it named no
/// version: later runs do not ask again until it names one or the user signs in.
const ABSENT: &str = "sync.reference_absent";

/// Marks the reference data to be checked by the next run (at sign-in).
pub(crate) fn mark_due(conn: &Connection) -> crate::Result<()> {
    meta_set(conn, DUE, "1")
}

/// The version a response header names, cleaned (hex digits only, at most 64).
pub(crate) fn version_in(value: Option<&str>) -> Option<String> {
    let v: String = value?
        .chars()
        .filter(char::is_ascii_hexdigit)
        .take(64)
        .collect();
    (!v.is_empty()).then_some(v)
}

/// Downloads and imports the reference data when `advertised` (the version the pull
/// named) says the store's copy is stale or unknown. Returns whether the store's
/// catalogue and grid changed.
pub(crate) fn refresh(
    store: &Store,
    client: &Client<'_>,
    advertised: Option<&str>,
) -> Result<bool, SyncError> {
    let held = store.reference_version()?;
    let due = store.db().read(|c| meta_get(c, DUE))?.is_some();
    if !due && held.is_some() && advertised.is_some() && held.as_deref() == advertised {
        return Ok(false);
    }
    if !due && advertised.is_none() && store.db().read(|c| meta_get(c, ABSENT))?.is_some() {
        return Ok(false);
    }
    let mut headers = Vec::new();
    if let Some(v) = &held {
        headers.push(("If-None-Match".to_string(), format!("\"{v}\"")));
    }
    let resp = client.send(Method::Get, "/v1/catalog", headers, Vec::new(), &[304, 404])?;
    let absent = resp.status == 404 && advertised.is_none();
    let changed = match resp.status {
        304 | 404 => false,
        _ => {
            #[derive(serde::Deserialize)]
            struct Body {
                catalog: serde_json::Value,
                grid: serde_json::Value,
            }
            let body: Body = serde_json::from_slice(&resp.body).map_err(|e| {
                SyncError::Unexpected(format!("a catalogue answer that does not parse: {e}"))
            })?;
            let version = version_in(resp.header("ETag"));
            let imported = store.import_reference(
                &body.catalog.to_string(),
                &body.grid.to_string(),
                version.as_deref(),
            );
            match imported {
                Ok(_) => true,
                Err(e @ (Error::Catalog(_) | Error::Grid(_) | Error::Calendar(_))) => {
                    return Err(SyncError::Unexpected(format!(
                        "the server's catalogue or grid cannot be used here; nothing was changed: {e}"
                    )))
                }
                Err(e) => return Err(e.into()),
            }
        }
    };
    store.db().write(|tx| {
        tx.execute("DELETE FROM meta WHERE key IN (?1, ?2)", [DUE, ABSENT])?;
        if absent {
            meta_set(tx, ABSENT, "1")?;
        }
        Ok(())
    })?;
    Ok(changed)
}
