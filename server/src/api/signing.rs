//! Device signing keys in the API (docs/signing.md): the key a sign-in registers for
//! its device, and the events a device relays for another, which the server takes
//! when the recording device's registered key verifies them.

use super::{ApiError, AppState};
use crate::account::Account;
use gridwork_core::model::{signing, Event};
use std::collections::HashMap;

fn mismatch(device_id: &str) -> ApiError {
    ApiError::Conflict {
        code: "device_key_mismatch",
        message: format!(
            "device {device_id} signed in before with another signing key: \
             a device's key never changes (a reinstalled app is a new device)"
        ),
    }
}

/// Before a sign-in of `user`: the key must be well formed, and a device of `user`'s
/// that registered a key may not sign in with another (409 `device_key_mismatch`). A
/// sign-in that names no key (an older client, a script) is let in: its token cannot
/// push anything for the device that the registered key does not sign. Another
/// account's device is left to the sign-in's own refusal (409 `device_taken`).
pub(crate) async fn check_key(
    state: &AppState,
    user: &str,
    device_id: &str,
    key: Option<&str>,
) -> Result<(), ApiError> {
    if let Some(key) = key {
        signing::check_public_key(key)
            .map_err(|e| ApiError::BadRequest(format!("device_key: {e}")))?;
    }
    let held = state.storage.device_signing(device_id).await?;
    let own = held.filter(|d| d.owner == user || d.owner.is_empty());
    if let (Some(bound), Some(key)) = (own.and_then(|d| d.public_key), key) {
        if key != bound {
            tracing::warn!(device = %device_id, "sign-in refused: another signing key");
            return Err(mismatch(device_id));
        }
    }
    Ok(())
}

/// After a sign-in registered the device: binds its key (the first one wins).
pub(crate) async fn bind_key(state: &AppState, device_id: &str, key: &str) -> Result<(), ApiError> {
    match state.storage.bind_device_key(device_id, key).await? {
        Some(bound) if bound != key => Err(mismatch(device_id)),
        _ => Ok(()),
    }
}

/// A request of the token's device named its key ([`DEVICE_KEY_HEADER`]): registered
/// when the device holds none yet (a device signed in with an operator's token), else
/// ignored — events signed with another key than the registered one are refused anyway.
/// Best effort, like the contact it comes with.
///
/// [`DEVICE_KEY_HEADER`]: gridwork_core::sync::wire::DEVICE_KEY_HEADER
pub(crate) async fn key_named(state: &AppState, device_id: &str, key: &str) {
    if signing::check_public_key(key).is_err() {
        return;
    }
    let held = match state.storage.device_signing(device_id).await {
        Ok(held) => held,
        Err(e) => {
            tracing::warn!(device = %device_id, "device key not looked up: {e}");
            return;
        }
    };
    if held.is_some_and(|d| d.public_key.is_none() && !d.owner.is_empty()) {
        if let Err(e) = state.storage.bind_device_key(device_id, key).await {
            tracing::warn!(device = %device_id, "device key not registered: {e}");
        }
    }
}

/// Who relayed events are judged as: the account their recording device belongs to,
/// when that device registered a key and the event's signature verifies with it.
/// Looked up once per device and push.
#[derive(Default)]
pub(crate) struct Relays {
    devices: HashMap<String, Option<(Account, String)>>,
}

impl Relays {
    /// The account `event` (of a device other than the pusher's) is pushed for, or the
    /// reason to refuse it: `fallback` when its device has no registered key.
    pub(crate) async fn owner(
        &mut self,
        state: &AppState,
        event: &Event,
        fallback: String,
    ) -> Result<Result<Account, String>, ApiError> {
        if !self.devices.contains_key(&event.device_id) {
            let found = match state.storage.device_signing(&event.device_id).await? {
                Some(s) if !s.owner.is_empty() => match s.public_key {
                    Some(key) => state.storage.account(&s.owner).await?.map(|a| (a, key)),
                    None => None,
                },
                _ => None,
            };
            self.devices.insert(event.device_id.clone(), found);
        }
        let Some(Some((account, key))) = self.devices.get(&event.device_id) else {
            return Ok(Err(fallback));
        };
        Ok(match signing::verify_event(key, event) {
            Ok(()) => Ok(account.clone()),
            Err(e) => Err(format!(
                "bad signature: {e}; a relayed event must be exactly as device {} signed it",
                event.device_id
            )),
        })
    }
}
