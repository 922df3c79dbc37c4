//! The data model shared by the device, the sync protocol and the server: the event
//! envelope, actors and roles, and the typed payloads of incident events.

mod actor;
mod event;
mod incident;
pub mod signing;
mod source;

pub use actor::{Actor, Role};
pub use event::{canonical_json, Event, Stream, GENESIS_HASH};
pub use incident::{
    Action, ConflictDecision, Exception, IncidentEvent, PhotoRef, Report, Thumbnail, Urgency,
    MAX_ADDRESS_CHARS, MAX_DESCRIPTION_CHARS, MAX_NOTE_CHARS, MAX_PHOTOS,
};
pub use source::Source;

use thiserror::Error;

/// A value of the data model that could not be parsed or does not hold together.
#[derive(Debug, Error, Clone, PartialEq)]
pub enum ModelError {
    /// A role name that does not exist.
    #[error("unknown role {0:?} (expected worker, supervisor, handler, intake, dispatcher, shift_lead or integration)")]
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
    /// A user or device name that is empty, too long, or holds control characters,
    /// `/`, or invisible formatting characters (bidirectional overrides, zero-width
    /// characters) that would make it display as another name.
    #[error("invalid {what} {value:?}: 1 to 64 printable characters expected, without invisible or direction-changing ones")]
    InvalidName {
        /// What the name names (user, device).
        what: &'static str,
        /// The rejected value.
        value: String,
    },
}

/// Checks a user or device name: 1–64 characters, no control characters, no `/`, and
/// none of the invisible formatting characters (Unicode category Cf: bidirectional
/// marks and overrides, zero-width spaces and joiners, the BOM, soft hyphens …) that
/// let one name display as another.
pub fn validate_name(what: &'static str, value: &str) -> Result<(), ModelError> {
    let ok = !value.trim().is_empty()
        && value.chars().count() <= 64
        && !value
            .chars()
            .any(|c| c.is_control() || c == '/' || is_invisible_format(c));
    if ok {
        Ok(())
    } else {
        Err(ModelError::InvalidName {
            what,
            value: value.chars().take(80).collect(),
        })
    }
}

/// Whether `c` is an invisible formatting character (Unicode general category Cf, or
/// another character that renders as nothing): bidirectional marks, embeddings,
/// overrides and isolates, zero-width space/joiners, word joiner and invisible
/// operators, the byte-order mark, soft hyphen, and the Mongolian vowel separator.
fn is_invisible_format(c: char) -> bool {
    matches!(c,
        '\u{00AD}' | '\u{061C}' | '\u{180E}'
        | '\u{200B}'..='\u{200F}'
        | '\u{202A}'..='\u{202E}'
        | '\u{2060}'..='\u{2064}'
        | '\u{2066}'..='\u{206F}'
        | '\u{FEFF}'
        | '\u{FFF9}'..='\u{FFFB}'
        | '\u{E0001}' | '\u{E0020}'..='\u{E007F}')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_that_display_as_other_names_are_refused() {
        assert!(validate_name("device", "phone-li").is_ok());
        assert!(validate_name("user", "李明").is_ok());
        // "phone-li" + RTL override + reversed text displays as something else.
        for spoof in [
            "phone-\u{202E}il",
            "phone\u{200B}-li",
            "\u{FEFF}phone-li",
            "li\u{2066}x",
            "li\u{00AD}",
            "a\u{200D}b",
        ] {
            assert!(validate_name("device", spoof).is_err(), "{spoof:?}");
        }
        assert!(validate_name("device", "a/b").is_err());
        assert!(validate_name("device", &"x".repeat(65)).is_err());
    }
}
