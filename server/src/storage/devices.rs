//! What operators see and do to devices and tokens (`gridwork admin devices`,
//! `quarantine`, `rejudge`, `tokens`, `revoke`, `wipe`, and the same in the API): each
//! device's token and wipe state, tokens listed without their secret, revocation, a
//! remote wipe, and re-judging a device's quarantine after a scope or catalogue was
//! fixed. Every change writes its audit entry in the same transaction.

use super::{AuditEntry, Quarantined};

/// How many leading hex digits of a token's SHA-256 name it to operators: enough to
/// tell tokens apart, nothing that lets anyone use one (the digest is not the token).
pub const TOKEN_ID_CHARS: usize = 12;

/// Fewest hex digits `revoke --token` accepts.
pub const MIN_TOKEN_ID_CHARS: usize = 8;

/// A device's administrative state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceAdmin {
    /// The device id.
    pub device_id: String,
    /// The account it belongs to (`""` when unknown).
    pub owner: String,
    /// Tokens the server holds for it (revoked ones are deleted; expired ones stay
    /// until revoked, see [`TokenRecord`]).
    pub tokens: i64,
    /// When an administrator marked it lost (a wipe asked for), unix ms.
    pub wipe_requested_ms: Option<i64>,
    /// Who did.
    pub wipe_requested_by: Option<String>,
    /// When the device acknowledged the wipe, unix ms.
    pub wiped_ms: Option<i64>,
    /// Whether it registered a signing key at sign-in (its events must be signed).
    pub signed: bool,
    /// Why it was flagged: it signed an event that rewrites or forks its history.
    pub flagged: Option<String>,
    /// When, unix ms.
    pub flagged_ms: Option<i64>,
}

/// A token as operators see it: never its secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenRecord {
    /// The first [`TOKEN_ID_CHARS`] hex digits of its SHA-256.
    pub id: String,
    /// Its account.
    pub user: String,
    /// The device it speaks for (`""`: binds to the first device it pushes for).
    pub device_id: String,
    /// When it was issued, unix ms.
    pub created_ms: i64,
    /// When it was last used (to the minute), unix ms.
    pub last_used_ms: Option<i64>,
}

/// Which tokens to revoke.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Revoke {
    /// The one token whose id starts with these hex digits.
    Token(String),
    /// Every token of a device.
    Device(String),
    /// Every token of an account.
    User(String),
}

/// What re-judging a device's quarantine did.
#[derive(Debug, Clone, PartialEq)]
pub struct Rejudged {
    /// The events accepted now, in chain order, with their new `server_seq`.
    pub accepted: Vec<(uuid::Uuid, i64)>,
    /// The first event that still fails, with its reason now (it and every event
    /// after it stay quarantined).
    pub still_failing: Option<Quarantined>,
    /// Events left in quarantine.
    pub remaining: u64,
}

/// The audit entry of a wipe the device acknowledged.
pub fn wiped_entry(device_id: &str, owner: &str) -> AuditEntry {
    AuditEntry::now(
        owner,
        "device.wiped",
        device_id,
        "the device acknowledged the wipe; its tokens are revoked",
    )
}

/// The refusal for a hex id too short or not hex.
pub(crate) fn check_token_id(id: &str) -> Result<String, crate::StorageError> {
    let id = id.trim().to_ascii_lowercase();
    if id.len() < MIN_TOKEN_ID_CHARS || !id.chars().all(|c| c.is_ascii_hexdigit()) {
        return Err(crate::StorageError::Invalid(format!(
            "a token id is at least {MIN_TOKEN_ID_CHARS} hex digits (as `gridwork admin tokens` shows it)"
        )));
    }
    Ok(id)
}

/// What a re-judging did, for the audit log.
pub(crate) fn rejudge_detail(r: &Rejudged) -> String {
    let mut s = format!(
        "{} accepted, {} still quarantined",
        r.accepted.len(),
        r.remaining
    );
    if let Some(q) = &r.still_failing {
        s.push_str(&format!(
            "; first still failing {}: {}",
            q.event.id, q.reason
        ));
    }
    s
}
