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
    if identity.user == session.user {
        // The same user: kept as it is (the server judges each event by the account's
        // role, and refuses one recorded in another).
        return Ok(identity);
    }
    // A server binds the device id to the first account that signs in with it: only a
    // store that never signed in and recorded nothing takes another user.
    let never_signed_in = store
        .db()
        .read(|c| crate::store::meta_get(c, super::state::SERVER))?
        .is_none();
    if never_signed_in && own_events(store, &identity.device_id)? == 0 {
        return Ok(store.init(&session.user, session.role)?);
    }
    Err(SyncError::WrongUser {
        store_user: identity.user,
        server_user: session.user.clone(),
    })
}

fn own_events(store: &Store, device_id: &str) -> Result<u64> {
    store.db().read(|c| {
        let n: i64 = c
            .prepare_cached("SELECT COUNT(*) FROM events WHERE device_id = ?1")?
            .query_row([device_id], |r| r.get(0))?;
        Ok(n.max(0) as u64)
    })
}
