//! Remote wipe (docs/sync-protocol.md, "Remote wipe"): when the server answers 410
//! `wipe_required`, the engine sends one authenticated acknowledgement
//! (`POST /v1/me/wiped`) and then destroys the store's data:
//!
//! 1. every row of every table is deleted in one transaction, with `secure_delete` on
//!    so the freed pages are overwritten (the open store then reads as a store never
//!    set up: no identity, no events, no token);
//! 2. the photo folder is removed with everything in it (staged photos too);
//! 3. the database file and its `-wal`, `-shm` and `-journal` companions are removed.
//!
//! Opening the folder again makes a new, empty store. Nothing else in the folder is
//! touched.

use super::{client::Client, transport::Method};
use crate::{db::DB_FILE, error::Result, Error, Store};

/// The path of the acknowledgement.
pub const WIPED_PATH: &str = "/v1/me/wiped";

/// Tells the server the device is wiping itself; whether it answered 204.
pub(crate) fn acknowledge(client: &Client<'_>) -> bool {
    match client.send(Method::Post, WIPED_PATH, Vec::new(), Vec::new(), &[]) {
        Ok(_) => true,
        Err(e) => {
            tracing::warn!("the wipe was not acknowledged: {e}");
            false
        }
    }
}

/// Deletes the store's data and photos as the module describes. The `Store` stays
/// usable but empty; its files are gone.
pub fn wipe_store(store: &Store) -> Result<()> {
    store.db().write(|tx| {
        tx.pragma_update(None, "secure_delete", "ON")?;
        let tables: Vec<(String, String)> = tx
            .prepare(
                "SELECT name, COALESCE(sql, '') FROM sqlite_master
                 WHERE type = 'table' AND name NOT LIKE 'sqlite_%'",
            )?
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<rusqlite::Result<_>>()?;
        let virtual_tables: Vec<&str> = tables
            .iter()
            .filter(|(_, sql)| sql.starts_with("CREATE VIRTUAL TABLE"))
            .map(|(name, _)| name.as_str())
            .collect();
        for (name, _) in &tables {
            // A virtual table's shadow tables are emptied through it.
            let shadow = virtual_tables
                .iter()
                .any(|v| name.len() > v.len() + 1 && name.starts_with(&format!("{v}_")));
            if !shadow {
                tx.execute(
                    &format!("DELETE FROM \"{}\"", name.replace('"', "\"\"")),
                    [],
                )?;
            }
        }
        Ok(())
    })?;
    let gone = |r: std::io::Result<()>| match r {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(Error::Io(e)),
        _ => Ok(()),
    };
    gone(std::fs::remove_dir_all(store.photos_dir()))?;
    let db = store.dir().join(DB_FILE);
    for suffix in ["", "-wal", "-shm", "-journal"] {
        let mut path = db.clone().into_os_string();
        path.push(suffix);
        gone(std::fs::remove_file(&path))?;
    }
    Ok(())
}
