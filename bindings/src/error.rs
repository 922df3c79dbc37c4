//! The one error type Kotlin, Swift and Python see, and the one function that decides
//! what each core error becomes.
//!
//! The core's [`gridwork_core::Error`] is rich (it names fields, paths, SQLite codes);
//! the foreign side needs a handful of cases a screen can act on differently — show the
//! message beside the form, ask for a sign-in, refresh a stale case, retry later — plus
//! the readable message. It is a flat error: each variant carries the message only.

use gridwork_core::{workflow::WorkflowError, Error as CoreError};

/// Why a call into the gridwork core failed. Every variant carries a readable English
/// message (`message` in Kotlin and Swift, `str(e)` in Python).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, uniffi::Error)]
#[uniffi(flat_error)]
pub enum GridworkError {
    /// A field of the input is malformed or out of range (a NaN latitude, an empty
    /// description, a bad case id, a malformed grid or catalogue file, an unknown
    /// department). Show it beside the form; nothing was written.
    #[error("{0}")]
    InvalidInput(String),
    /// The role may never take this action (a worker registering a case). Hide the
    /// button for this role; nothing was written.
    #[error("{0}")]
    NotPermitted(String),
    /// The action does not fit the case as it stands (closing a case that was never
    /// verified, a missing reason or after photo). Refresh the case; nothing was written.
    #[error("{0}")]
    Workflow(String),
    /// No case with that id on this device.
    #[error("{0}")]
    NotFound(String),
    /// The store has no user and device yet: call `init` first.
    #[error("{0}")]
    NotInitialized(String),
    /// The category is not in the imported catalogue (or no catalogue was imported).
    #[error("{0}")]
    UnknownCategory(String),
    /// A photo file to attach does not exist or cannot be read.
    #[error("{0}")]
    Photo(String),
    /// The store cannot be opened, read or written (not a gridwork store, a newer schema,
    /// a full or read-only disk, a file locked too long). Retrying later may help.
    #[error("{0}")]
    StoreUnavailable(String),
    /// An encryption key was given to a library built without SQLCipher.
    /// Nothing was opened.
    #[error("{0}")]
    EncryptionUnavailable(String),
    /// A long read was stopped by `interrupt()`, or a sign-in was cancelled.
    #[error("{0}")]
    Interrupted(String),
    /// The sync server could not be reached or failed (no network, timeout, 5xx, 429).
    /// Try again later.
    #[error("{0}")]
    Network(String),
    /// The server refused the credentials, or they belong to another user than the
    /// store's. Ask the user to sign in again.
    #[error("{0}")]
    SignInRequired(String),
    /// The server speaks another protocol version or answered outside the protocol (a
    /// wrong URL?). Check the server address, or update the app.
    #[error("{0}")]
    IncompatibleServer(String),
    /// Another device or account uses this device's id (the server refused the sign-in,
    /// or sent events of this id this device did not write). Set the device up anew.
    #[error("{0}")]
    DeviceConflict(String),
    /// A bug or stored data gridwork cannot read; report it with the message.
    #[error("{0}")]
    Internal(String),
}

impl From<CoreError> for GridworkError {
    fn from(e: CoreError) -> Self {
        map_core_error(e)
    }
}

/// The single place that decides what each core error becomes on the foreign side.
pub fn map_core_error(e: CoreError) -> GridworkError {
    let message = e.to_string();
    match e {
        CoreError::InvalidInput { .. }
        | CoreError::Model(_)
        | CoreError::Grid(_)
        | CoreError::Catalog(_)
        | CoreError::Calendar(_)
        | CoreError::UnknownDepartment(_)
        | CoreError::Patrol(_) => GridworkError::InvalidInput(message),
        CoreError::PatrolState(_) => GridworkError::Workflow(message),
        CoreError::Workflow(WorkflowError::NotPermitted { .. }) => {
            GridworkError::NotPermitted(message)
        }
        CoreError::Workflow(WorkflowError::UnknownStatus(_)) => {
            GridworkError::InvalidInput(message)
        }
        CoreError::Workflow(_) => GridworkError::Workflow(message),
        CoreError::UnknownCategory(_) | CoreError::AmbiguousCategory(_) => {
            GridworkError::UnknownCategory(message)
        }
        CoreError::NotFound { .. } => GridworkError::NotFound(message),
        CoreError::NotInitialized => GridworkError::NotInitialized(message),
        CoreError::Photo { .. } => GridworkError::Photo(message),
        CoreError::Open { .. } | CoreError::Io(_) => GridworkError::StoreUnavailable(message),
        CoreError::Interrupted => GridworkError::Interrupted(message),
        CoreError::EncryptionUnavailable => GridworkError::EncryptionUnavailable(message),
        CoreError::DeviceConflict { .. } => GridworkError::DeviceConflict(message),
        CoreError::Sqlite(ref sqlite) if is_unavailable(sqlite) => {
            GridworkError::StoreUnavailable(message)
        }
        CoreError::Sqlite(_) | CoreError::Corrupt(_) => GridworkError::Internal(message),
    }
}

/// SQLite failures that come from the device (disk full, read-only, locked), not from a
/// bug: the caller may retry later.
fn is_unavailable(e: &rusqlite::Error) -> bool {
    use rusqlite::ErrorCode::*;
    matches!(
        e.sqlite_error_code(),
        Some(
            DatabaseBusy
                | DatabaseLocked
                | DiskFull
                | ReadOnly
                | CannotOpen
                | SystemIoFailure
                | PermissionDenied
                | OutOfMemory
        )
    )
}

/// A case id that is not a UUID.
pub(crate) fn bad_case_id(id: &str) -> GridworkError {
    let shown: String = id.chars().take(60).collect();
    GridworkError::InvalidInput(format!("invalid case id {shown:?}: expected a UUID"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use gridwork_core::model::{ModelError, Role};

    #[test]
    fn a_refused_role_is_not_permitted_and_a_bad_state_is_a_workflow_error() {
        let refused = CoreError::Workflow(WorkflowError::NotPermitted {
            action: "register",
            role: Role::Worker,
        });
        assert_eq!(
            map_core_error(refused),
            GridworkError::NotPermitted("a worker may not register a case".into())
        );
        let missing = CoreError::Workflow(WorkflowError::MissingReason { action: "cancel" });
        assert!(matches!(
            map_core_error(missing),
            GridworkError::Workflow(m) if m == "cancel needs a reason"
        ));
    }

    #[test]
    fn bad_input_keeps_the_core_message() {
        let e = CoreError::Model(ModelError::UnknownRole("boss".into()));
        let mapped = map_core_error(e);
        assert!(matches!(&mapped, GridworkError::InvalidInput(m) if m.contains("boss")));
        assert!(matches!(
            map_core_error(CoreError::NotInitialized),
            GridworkError::NotInitialized(_)
        ));
        assert!(matches!(
            map_core_error(CoreError::Interrupted),
            GridworkError::Interrupted(_)
        ));
    }
}
