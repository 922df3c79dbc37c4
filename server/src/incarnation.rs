//! The database's incarnation: a random id, created with the database, that a restore
//! from a backup replaces (`gridwork admin restore` for SQLite, `gridwork admin
//! new-incarnation` after `pg_restore`). Push and pull answers name it in
//! [`INCARNATION_HEADER`]; a device naming another one in its device-state header is
//! answered 409 `server_restored` and replays its chain (docs/sync-protocol.md, "After
//! a server restore").

use crate::{Storage, StorageError};
pub use gridwork_core::sync::wire::INCARNATION_HEADER;

/// The setting holding the incarnation.
pub const SETTING: &str = "server.incarnation";

/// Gives a SQLite database without an incarnation one (run at every open).
pub(crate) const SQLITE_ENSURE: &str = "INSERT OR IGNORE INTO settings (key, value)
    VALUES ('server.incarnation', lower(hex(randomblob(16))));";

/// Gives a PostgreSQL database without an incarnation one (run at every open).
pub(crate) const POSTGRES_ENSURE: &str = "INSERT INTO settings (key, value)
    VALUES ('server.incarnation', md5(random()::text || clock_timestamp()::text))
    ON CONFLICT (key) DO NOTHING;";

/// A fresh incarnation id (32 hex digits).
pub fn new_id() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}

/// The incarnation of the database behind `storage` (`0` for a database that was
/// never opened by a server that knows incarnations).
pub async fn current(storage: &dyn Storage) -> Result<String, StorageError> {
    Ok(storage
        .setting(SETTING)
        .await?
        .unwrap_or_else(|| "0".to_string()))
}

/// Gives the database a new incarnation and returns it: what a restore does, so that
/// every device learns the server may have forgotten what it acknowledged.
pub async fn renew(storage: &dyn Storage) -> Result<String, StorageError> {
    let id = new_id();
    storage.put_setting(SETTING, &id).await?;
    Ok(id)
}
