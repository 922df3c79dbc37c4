//! The core's error type: one enum a caller can match on, with a readable message.

use crate::{model::ModelError, workflow::WorkflowError};
use std::path::PathBuf;
use thiserror::Error;

/// Everything that can go wrong in the core. Bad input is refused with one of these
/// before anything is written.
#[derive(Debug, Error)]
pub enum Error {
    /// A field of the caller's input is out of range or malformed.
    #[error("invalid {field}: {reason}")]
    InvalidInput {
        /// Which field.
        field: &'static str,
        /// What is wrong with it.
        reason: String,
    },
    /// A model value (role, stream, payload, name) did not parse.
    #[error(transparent)]
    Model(#[from] ModelError),
    /// The workflow refused a step.
    #[error(transparent)]
    Workflow(#[from] WorkflowError),
    /// A grid file or cell code was refused.
    #[error(transparent)]
    Grid(#[from] crate::geo::GridError),
    /// A catalogue file or category was refused.
    #[error(transparent)]
    Catalog(#[from] crate::catalog::CatalogError),
    /// A working calendar could not compute a deadline.
    #[error(transparent)]
    Calendar(#[from] crate::calendar::CalendarError),
    /// A patrol fix, batch, check-in or GPX file was refused.
    #[error(transparent)]
    Patrol(#[from] crate::patrol::PatrolError),
    /// The patrol is not in a state that allows this (finished, paused, another open).
    #[error("{0}")]
    PatrolState(String),
    /// A category code that is not in the store's catalogue.
    #[error("unknown category {0:?}: import a catalogue that has it")]
    UnknownCategory(String),
    /// A bare old-scheme code that is both a component and an event class in the
    /// store's catalogue: the report must say which (`component/0101`, `event/0101`).
    #[error("ambiguous category {0:?}: it is both a component and an event; give component/{0} or event/{0}")]
    AmbiguousCategory(String),
    /// A department id that is not in the store's catalogue.
    #[error("unknown department {0:?}")]
    UnknownDepartment(String),
    /// No case, patrol or event with that id.
    #[error("no {what} with id {id}")]
    NotFound {
        /// What was looked for.
        what: &'static str,
        /// The id given.
        id: String,
    },
    /// An event recorded elsewhere claims this device's place: it names this store's
    /// device id (or a chain place held by another event) but this store did not write
    /// it. Another account or phone uses the same device id; syncing cannot go on
    /// until the device gets a new store (and so a new, random id).
    #[error(
        "another device uses this device's id {device_id:?}: it sent event {device_seq} of that \
         id, which this device did not write; this store cannot sync until it is set up anew"
    )]
    DeviceConflict {
        /// The device id in conflict.
        device_id: String,
        /// The chain place claimed by the foreign event.
        device_seq: u64,
    },
    /// The store has no identity yet: run `init` first.
    #[error("the store has no user and device yet; initialise it first")]
    NotInitialized,
    /// A photo file to attach does not exist or cannot be read.
    #[error("cannot read photo {path}: {source}")]
    Photo {
        /// The path given.
        path: PathBuf,
        /// Why it could not be read.
        source: std::io::Error,
    },
    /// The store could not be opened (not a gridwork store, newer schema, unreadable).
    #[error("cannot open store at {path}: {reason}")]
    Open {
        /// The store's folder or file.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// An encryption key was given to a build without SQLCipher (feature `encryption`).
    #[error(
        "this build cannot encrypt a store: it was built without SQLCipher (feature `encryption`)"
    )]
    EncryptionUnavailable,
    /// A long query was interrupted by the caller.
    #[error("the operation was interrupted")]
    Interrupted,
    /// The database failed.
    #[error("database error: {0}")]
    Sqlite(rusqlite::Error),
    /// A file operation failed.
    #[error("i/o error: {0}")]
    Io(#[from] std::io::Error),
    /// Stored data that does not parse: the store was edited outside gridwork.
    #[error("corrupt store: {0}")]
    Corrupt(String),
}

impl From<rusqlite::Error> for Error {
    fn from(e: rusqlite::Error) -> Self {
        match e {
            rusqlite::Error::SqliteFailure(f, _)
                if f.code == rusqlite::ErrorCode::OperationInterrupted =>
            {
                Error::Interrupted
            }
            other => Error::Sqlite(other),
        }
    }
}

impl Error {
    /// An [`Error::InvalidInput`].
    pub fn invalid(field: &'static str, reason: impl Into<String>) -> Self {
        Error::InvalidInput {
            field,
            reason: reason.into(),
        }
    }
}

/// The core's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;
