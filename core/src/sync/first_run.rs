//! Who a store records as, decided at sign-in (docs/mobile.md, "First run and
//! identity"): a device signs in before it records anything. A store nobody initialised
//! takes the server account's user and role at its first sign-in; a store initialised
//! as another user is refused ([`SyncError::WrongUser`]) and keeps its work.

use super::{error::SyncError, wire::Session};
use crate::{error::Result, store::Identity, Store};

/// The store's identity, if any, and the device id to sign in with (made on first use).
pub(crate) fn device_for_sign_in(store: &Store) -> Result<(Option<Identity>, String)> {
    match store.identity()? {
        Some(i) => {
            let id = i.device_id.clone();
            Ok((Some(i), id))
        }
        None => Ok((None, store.device_id()?)),
    }
}

/// The identity the store records as once `session` signed in.
pub(crate) fn adopt(
    store: &Store,
    identity: Option<Identity>,
    session: &Session,
) -> Result<Identity, SyncError> {
    let Some(identity) = identity else {
        return Ok(store.init(&session.user, session.role)?);
    };
    if identity.user != session.user {
        // A store belongs to one person's chain: its user changes only with
        // `Store::init`, which refuses while unsynced work would be orphaned.
        return Err(SyncError::WrongUser {
            store_user: identity.user,
            server_user: session.user.clone(),
        });
    }
    Ok(identity)
}
