//! Accounts against devices, end to end: a device id belongs to the account that signed
//! in with it, and a token that expired or was revoked asks the device to sign in again.
#![allow(clippy::unwrap_used, missing_docs)]

use gridwork_core::{
    model::Role,
    sync::{EngineState, SyncError},
};
use gridwork_server::{admin, Limits};
use gridwork_tests::{Device, TestServer};
use std::time::Duration;

const STREET: &str = "320508001";

#[test]
fn another_account_cannot_take_a_phone_id_and_the_owner_keeps_syncing() {
    let server = TestServer::start();
    server.account("li", Role::Worker, STREET);
    let zhao_token = server.account("zhao", Role::Worker, STREET);
    server.account("wang", Role::Supervisor, "*");
    // li's phone has a guessable id; she signs in before it has sent anything.
    let phone = Device::new("li", Role::Worker, "phone-li");
    phone.login_password(&server, "li", "pw").unwrap();

    // zhao knows the id: signing in with it is refused, clearly.
    let squatter = Device::new("zhao", Role::Worker, "phone-li");
    let err = squatter.login_password(&server, "zhao", "pw").unwrap_err();
    assert!(matches!(err, SyncError::DeviceConflict(_)), "{err}");
    // With a token of his own (issued for no device) he gets no further: the push is
    // refused, and his device stops instead of retrying.
    squatter.login(&server, &zhao_token);
    squatter
        .store
        .report(&squatter.draft("pushed under li's id"))
        .unwrap();
    let r = squatter.sync();
    assert_eq!(r.state, EngineState::DeviceConflict, "{:?}", r.error);
    assert_eq!(r.pushed, 0);

    // li's phone reports and syncs as if nothing happened, again and again.
    let case = phone.store.report(&phone.draft("overflowing bin")).unwrap();
    let r = phone.sync();
    assert_eq!(
        (r.pushed, r.rejected, r.state),
        (1, 0, EngineState::Synced),
        "{:?}",
        r.error
    );
    phone.store.report(&phone.draft("broken kerb")).unwrap();
    let r = phone.sync();
    assert_eq!(
        (r.pushed, r.rejected, r.state),
        (1, 0, EngineState::Synced),
        "{:?}",
        r.error
    );
    assert!(phone.store.verify_log().unwrap().is_intact());
    // And the supervisor sees li's cases, nothing of zhao's.
    let boss = Device::new("wang", Role::Supervisor, "desk-wang");
    boss.login_password(&server, "wang", "pw").unwrap();
    assert_eq!(boss.sync().pulled, 2);
    assert!(boss.cases().iter().any(|c| c.id == case));
    // A fresh store gets a random id: zhao can sign in on it.
    let fresh = tempfile::tempdir().unwrap();
    let store = gridwork_core::Store::open(fresh.path()).unwrap();
    let id = store.init("zhao", Role::Worker).unwrap();
    assert_ne!(id.device_id, "phone-li");
    gridwork_core::sync::login(
        &store,
        &gridwork_tests::http(),
        &server.url(),
        &gridwork_core::sync::SignIn::Password {
            user: "zhao".into(),
            password: "pw".into(),
        },
    )
    .unwrap();
}

#[test]
fn a_revoked_token_makes_the_device_sign_in_again() {
    let server = TestServer::start();
    server.account("li", Role::Worker, STREET);
    let phone = Device::new("li", Role::Worker, "phone-li");
    phone.login_password(&server, "li", "pw").unwrap();
    phone.store.report(&phone.draft("bin")).unwrap();
    assert_eq!(phone.sync().state, EngineState::Synced);
    // The operator resets li's password: every token of hers is revoked.
    server.admin(async |s| {
        admin::add_user(s, "li", Role::Worker, STREET, Some("new-pw"))
            .await
            .unwrap()
    });
    phone.store.report(&phone.draft("kerb")).unwrap();
    let r = phone.sync();
    assert_eq!(r.state, EngineState::SignInRequired, "{:?}", r.error);
    assert!(!phone.status().is_due(i64::MAX));
    // The old password no longer works; the new one does, and the report goes out.
    assert!(phone.login_password(&server, "li", "pw").is_err());
    phone.login_password(&server, "li", "new-pw").unwrap();
    let r = phone.sync();
    assert_eq!((r.pushed, r.state), (1, EngineState::Synced));
}

#[test]
fn an_expired_token_makes_the_device_sign_in_again() {
    let server = TestServer::start_with(Limits {
        token_ttl: Duration::ZERO,
        ..Limits::default()
    });
    server.account("li", Role::Worker, STREET);
    let phone = Device::new("li", Role::Worker, "phone-li");
    phone.login_password(&server, "li", "pw").unwrap();
    phone.store.report(&phone.draft("bin")).unwrap();
    let r = phone.sync();
    assert_eq!(
        (r.pushed, r.state),
        (0, EngineState::SignInRequired),
        "{:?}",
        r.error
    );
    assert!(r.error.unwrap().contains("expired"));
}
