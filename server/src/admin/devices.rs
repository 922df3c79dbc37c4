//! Devices and tokens as `gridwork admin` and the API administer them: a user's
//! devices with their sync health, token and wipe state; a device's quarantine and its
//! re-judging; tokens listed without their secret and revoked; a remote wipe asked
//! for and acknowledged. Each change writes its audit entry in its transaction.

use crate::{
    health::DeviceHealth,
    storage::{
        devices::{Rejudged, Revoke, TokenRecord},
        AuditEntry, Quarantined, Storage,
    },
    StorageError,
};
use serde::Serialize;
use std::time::Duration;

/// A token as operators see it: an id (a prefix of its SHA-256), never its secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TokenView {
    /// The first hex digits of its SHA-256 (what `revoke --token` takes).
    pub id: String,
    /// Its account.
    pub user: String,
    /// The device it speaks for (`""`: the first it pushes for).
    pub device_id: String,
    /// Issued, unix ms.
    pub created_ms: i64,
    /// Last used (to the minute), unix ms.
    pub last_used_ms: Option<i64>,
    /// When it stops being accepted, unix ms (issued + the token lifetime).
    pub expires_ms: i64,
    /// Whether that time has passed.
    pub expired: bool,
}

/// A device as an administrator sees it: its sync health, tokens and wipe state.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DeviceView {
    /// Its sync health (last contact, client, events waiting, rejected events …).
    #[serde(flatten)]
    pub health: DeviceHealth,
    /// Its tokens.
    pub tokens: Vec<TokenView>,
    /// `none`, `pending` (asked for, not acknowledged yet) or `wiped`.
    pub wipe: &'static str,
    /// When a wipe was asked for, unix ms.
    pub wipe_requested_ms: Option<i64>,
    /// By whom.
    pub wipe_requested_by: Option<String>,
    /// When the device acknowledged it, unix ms.
    pub wiped_ms: Option<i64>,
    /// Whether it registered a signing key at sign-in, so that its events must be
    /// signed (docs/signing.md).
    pub signed: bool,
    /// Why the server flagged it, when it did: it signed an event that rewrites or
    /// forks the history the server holds for it. `null` when not flagged.
    pub flagged: Option<String>,
    /// When, unix ms.
    pub flagged_ms: Option<i64>,
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

fn token_view(t: TokenRecord, ttl: Duration, now: i64) -> TokenView {
    let expires_ms = t
        .created_ms
        .saturating_add(i64::try_from(ttl.as_millis()).unwrap_or(i64::MAX));
    TokenView {
        id: t.id,
        user: t.user,
        device_id: t.device_id,
        created_ms: t.created_ms,
        last_used_ms: t.last_used_ms,
        expires_ms,
        expired: expires_ms <= now,
    }
}

/// The tokens held, of `user` only when given ([`StorageError::NotFound`] for an
/// unknown account), with their expiry under the token lifetime `ttl`.
pub async fn tokens(
    storage: &dyn Storage,
    user: Option<&str>,
    ttl: Duration,
) -> Result<Vec<TokenView>, StorageError> {
    let now = now_ms();
    Ok(storage
        .tokens(user)
        .await?
        .into_iter()
        .map(|t| token_view(t, ttl, now))
        .collect())
}

/// The devices (of `user` only, when given: [`StorageError::NotFound`] for an unknown
/// account), by id. Photos missing are those storage has not seen complete.
pub async fn devices(
    storage: &dyn Storage,
    user: Option<&str>,
    ttl: Duration,
) -> Result<Vec<DeviceView>, StorageError> {
    if let Some(user) = user {
        if storage.user(user).await?.is_none() {
            return Err(StorageError::NotFound(format!("no account named {user}")));
        }
    }
    let admin: std::collections::HashMap<String, _> = storage
        .device_admin()
        .await?
        .into_iter()
        .map(|d| (d.device_id.clone(), d))
        .collect();
    let tokens = tokens(storage, user, ttl).await?;
    let mut out = Vec::new();
    for r in storage.device_records().await? {
        if user.is_some_and(|u| u != r.owner) {
            continue;
        }
        let a = admin.get(&r.device_id);
        let health = DeviceHealth::of(&r, r.unconfirmed_photos.len() as i64, None);
        out.push(DeviceView {
            tokens: tokens
                .iter()
                .filter(|t| t.device_id == r.device_id)
                .cloned()
                .collect(),
            wipe: match a.map(|a| (a.wipe_requested_ms, a.wiped_ms)) {
                Some((_, Some(_))) => "wiped",
                Some((Some(_), None)) => "pending",
                _ => "none",
            },
            wipe_requested_ms: a.and_then(|a| a.wipe_requested_ms),
            wipe_requested_by: a.and_then(|a| a.wipe_requested_by.clone()),
            wiped_ms: a.and_then(|a| a.wiped_ms),
            signed: a.is_some_and(|a| a.signed),
            flagged: a.and_then(|a| a.flagged.clone()),
            flagged_ms: a.and_then(|a| a.flagged_ms),
            health,
        });
    }
    Ok(out)
}

async fn known_device(storage: &dyn Storage, device: &str) -> Result<(), StorageError> {
    if crate::acting::is_console_device(device) || storage.device_head(device).await?.is_none() {
        return Err(StorageError::NotFound(format!("no device {device}")));
    }
    Ok(())
}

/// A device's quarantined events with their reasons, in chain order
/// ([`StorageError::NotFound`] for an unknown device).
pub async fn quarantine(
    storage: &dyn Storage,
    device: &str,
) -> Result<Vec<Quarantined>, StorageError> {
    known_device(storage, device).await?;
    storage.quarantine(device).await
}

/// Re-judges a device's quarantine (see [`Storage::rejudge`]).
pub async fn rejudge(
    storage: &dyn Storage,
    actor: &str,
    device: &str,
) -> Result<Rejudged, StorageError> {
    storage.rejudge(device, actor).await
}

/// Marks a device lost: it is told to wipe itself on its next sync.
pub async fn wipe(storage: &dyn Storage, actor: &str, device: &str) -> Result<(), StorageError> {
    let entry = AuditEntry::now(
        actor,
        "device.wipe",
        device,
        "marked lost: the device is told to wipe its local copy on its next contact",
    );
    storage.request_wipe(device, &entry).await
}

/// Revokes tokens; returns how many.
pub async fn revoke(
    storage: &dyn Storage,
    actor: &str,
    which: &Revoke,
) -> Result<u64, StorageError> {
    let (target, detail) = match which {
        Revoke::Token(id) => (String::new(), format!("token {id}")),
        Revoke::Device(d) => (d.clone(), "every token of the device".to_string()),
        Revoke::User(u) => (u.clone(), "every token of the account".to_string()),
    };
    let entry = AuditEntry::now(actor, "token.revoke", &target, detail);
    storage.revoke_tokens(which, &entry).await
}
