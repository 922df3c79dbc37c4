//! The sync engine's errors, and the classification that decides what happens next:
//! retry later, ask the user to sign in again, or stop until the app is updated.

use super::transport::TransportError;
use serde::{Deserialize, Serialize};
use thiserror::Error;

/// Why an exchange with the server failed.
#[derive(Debug, Error)]
pub enum SyncError {
    /// No response: no network, a timeout or a cut connection.
    #[error(transparent)]
    Transport(#[from] TransportError),
    /// The server answered 5xx.
    #[error("the server failed (HTTP {status}): {message}")]
    Server {
        /// The status code.
        status: u16,
        /// The server's message, if it sent one.
        message: String,
        /// The server's `Retry-After`, in milliseconds.
        retry_after_ms: Option<i64>,
    },
    /// The server answered 429: too many requests.
    #[error("the server is busy (HTTP 429); retrying later")]
    RateLimited {
        /// The server's `Retry-After`, in milliseconds.
        retry_after_ms: Option<i64>,
    },
    /// The server answered 401: the token is missing, expired or revoked.
    #[error("the server refused the sign-in: {0}; sign in again")]
    Unauthorized(String),
    /// The server speaks another protocol version (or is not a gridwork server).
    #[error("the server is not compatible with this app: {0}")]
    IncompatibleServer(String),
    /// The server answered something the protocol does not allow.
    #[error("unexpected answer from the server: {0}")]
    Unexpected(String),
    /// The signed-in account is not the store's user.
    #[error("this store belongs to {store_user:?}, but the server signed in {server_user:?}")]
    WrongUser {
        /// The store's user.
        store_user: String,
        /// The account the server signed in.
        server_user: String,
    },
    /// The store has no server or token yet.
    #[error("not signed in to a sync server; run login first")]
    NotSignedIn,
    /// This device's id is used by another device or account: the server refused the
    /// sign-in (409 `device_taken`) or sent an event of this id that this device did not
    /// write. Not passing: nothing is retried until the device is set up anew.
    #[error("this device's id is taken: {0}")]
    DeviceConflict(String),
    /// The server says an administrator marked this device lost (410
    /// `wipe_required`): the engine acknowledges and wipes the store.
    #[error("this device was marked lost: {0}")]
    WipeRequired(String),
    /// The server's database was restored from a backup since this device last synced
    /// (409 `server_restored`): the engine replays its own chain and pulls from the
    /// start, then carries on (docs/sync-protocol.md, "After a server restore").
    #[error("the server was restored from a backup: {0}")]
    ServerRestored(String),
    /// The caller cancelled the run.
    #[error("sync was cancelled")]
    Cancelled,
    /// The local store failed.
    #[error(transparent)]
    Store(crate::Error),
}

impl From<crate::Error> for SyncError {
    fn from(e: crate::Error) -> Self {
        match e {
            e @ crate::Error::DeviceConflict { .. } => SyncError::DeviceConflict(e.to_string()),
            other => SyncError::Store(other),
        }
    }
}

/// The family of a failure, kept with the sync status so a UI can explain it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FailureKind {
    /// No connection could be made or it broke.
    Network,
    /// The server took too long.
    Timeout,
    /// The server failed (5xx).
    Server,
    /// The server asked to slow down (429).
    RateLimited,
    /// The sign-in was refused (401).
    Unauthorized,
    /// The server speaks another protocol version.
    Incompatible,
    /// The server answered outside the protocol.
    Unexpected,
    /// The local store failed.
    Store,
    /// Another device or account uses this device's id.
    DeviceConflict,
    /// The device was marked lost and told to wipe itself.
    WipeRequired,
}

impl SyncError {
    /// The family of this failure.
    pub fn kind(&self) -> FailureKind {
        match self {
            SyncError::Transport(TransportError::Timeout(_)) => FailureKind::Timeout,
            SyncError::Transport(TransportError::InvalidRequest(_)) => FailureKind::Unexpected,
            SyncError::Transport(_) => FailureKind::Network,
            SyncError::Server { .. } | SyncError::ServerRestored(_) => FailureKind::Server,
            SyncError::RateLimited { .. } => FailureKind::RateLimited,
            SyncError::Unauthorized(_) | SyncError::NotSignedIn | SyncError::WrongUser { .. } => {
                FailureKind::Unauthorized
            }
            SyncError::IncompatibleServer(_) => FailureKind::Incompatible,
            SyncError::Unexpected(_) | SyncError::Cancelled => FailureKind::Unexpected,
            SyncError::Store(_) => FailureKind::Store,
            SyncError::DeviceConflict(_) => FailureKind::DeviceConflict,
            SyncError::WipeRequired(_) => FailureKind::WipeRequired,
        }
    }

    /// The delay the server asked for, if any.
    pub fn retry_after_ms(&self) -> Option<i64> {
        match self {
            SyncError::Server { retry_after_ms, .. }
            | SyncError::RateLimited { retry_after_ms } => *retry_after_ms,
            _ => None,
        }
    }
}
