//! The data model shared by the device, the sync protocol and the server: the event
//! envelope, actors and roles, and the typed payloads of incident events.

mod actor;
mod event;
mod incident;

pub use actor::{Actor, Role};
pub use event::{canonical_json, Event, Stream, GENESIS_HASH};
pub use incident::{
    Action, IncidentEvent, PhotoRef, Report, Urgency, MAX_DESCRIPTION_CHARS, MAX_NOTE_CHARS,
};

use thiserror::Error;

/// A value of the data model that could not be parsed or does not hold together.
#[derive(Debug, Error, Clone, PartialEq)]
pub enum ModelError {
    /// A role name other than `worker`, `supervisor` or `handler`.
    #[error("unknown role {0:?} (expected worker, supervisor or handler)")]
    UnknownRole(String),
    /// A stream name that is not `incident/<uuid>` or `patrol/<uuid>`.
    #[error("invalid stream {0:?} (expected incident/<uuid> or patrol/<uuid>)")]
    InvalidStream(String),
    /// An event kind this version does not know, or a payload that does not fit its kind.
    #[error("invalid {kind} payload: {reason}")]
    InvalidPayload {
        /// The event kind.
        kind: String,
        /// What was wrong.
        reason: String,
    },
    /// A user or device name that is empty, too long or holds control characters.
    #[error("invalid {what} {value:?}: 1 to 64 printable characters expected")]
    InvalidName {
        /// What the name names (user, device).
        what: &'static str,
        /// The rejected value.
        value: String,
    },
}

/// Checks a user or device name: 1–64 characters, no control characters, no `/`.
pub fn validate_name(what: &'static str, value: &str) -> Result<(), ModelError> {
    let ok = !value.trim().is_empty()
        && value.chars().count() <= 64
        && !value.chars().any(|c| c.is_control() || c == '/');
    if ok {
        Ok(())
    } else {
        Err(ModelError::InvalidName {
            what,
            value: value.chars().take(80).collect(),
        })
    }
}
