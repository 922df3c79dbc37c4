//! The query string of the supervisor API's case list, decoded as the server does
//! (form encoding, then the filter parser and the keyset cursor), for a supervisor
//! and for a worker with a narrow scope.
#![no_main]

use gridwork_core::model::Role;
use gridwork_server::{account::Account, query};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(pairs) = serde_urlencoded::from_bytes::<Vec<(String, String)>>(data) else {
        return;
    };
    for (role, scope) in [(Role::Supervisor, ""), (Role::Worker, "320508001")] {
        let caller = Account {
            user: "wang".into(),
            role,
            scope: vec![scope.into()],
            password_hash: None,
        };
        let _ = query::parse(&pairs, &caller, 1_795_395_600_000);
    }
    for (_, v) in &pairs {
        let _ = query::Cursor::decode(v);
    }
});
