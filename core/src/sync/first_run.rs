//! Who a store records as, decided at sign-in (docs/mobile.md, "First run and
//! identity"): a device signs in before it records anything. A store nobody initialised
//! takes the server account's user and role at its first sign-in; a store initialised
//! locally (a shell's placeholder) that never signed in and holds none of its own events
//! takes them too; a store that recorded or signed in as another user is refused
//! ([`SyncError::WrongUser`]) and keeps its work.

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
    if identity.user == session.user && identity.role == session.role {
        return Ok(identity);
    }
    let fresh = own_events(store, &identity.device_id)? == 0;
    // A server binds the device id to the first account that signs in with it: a store
    // that signed in once stays its user's (a phone handed on gets a fresh store).
    let never_signed_in = store
        .db()
        .read(|c| crate::store::meta_get(c, super::state::SERVER))?
        .is_none();
    if fresh && (never_signed_in || identity.user == session.user) {
        return Ok(store.init(&session.user, session.role)?);
    }
    if identity.user != session.user {
        return Err(SyncError::WrongUser {
            store_user: identity.user,
            server_user: session.user.clone(),
        });
    }
    // The same user in another role with events recorded: kept as before; the server
    // judges each event by the account's role.
    Ok(identity)
}

fn own_events(store: &Store, device_id: &str) -> Result<u64> {
    store.db().read(|c| {
        let n: i64 = c
            .prepare_cached("SELECT COUNT(*) FROM events WHERE device_id = ?1")?
            .query_row([device_id], |r| r.get(0))?;
        Ok(n.max(0) as u64)
    })
}
