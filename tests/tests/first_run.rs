//! First run and identity (docs/mobile.md), against the reference server's actor rule (an event must
//! name the token's user, in the account's role): a device signs in before it records
//! anything, and its first sign-in makes the store the account's; a placeholder
//! identity a shell set before sign-in is refused until the shell sets the account's
//! user; signing out keeps
//! unsynced work, shown as pending, until the next sign-in pushes it; and another user
//! cannot take over a store holding unsynced work (refused, the work kept).
#![allow(clippy::unwrap_used, missing_docs)]

use gridwork_core::{
    model::Role,
    store::SyncState,
    sync::{self, EngineState, SignIn, SyncError},
    Error, Store,
};
use gridwork_server::admin;
use gridwork_tests::{draft_for, http, TestServer, CATALOG, GRID};

const STREET: &str = "320508001";

fn server() -> TestServer {
    let server = TestServer::start();
    server.admin(async |s| {
        admin::import_grid(s, GRID).await.unwrap();
        admin::import_catalog(s, CATALOG).await.unwrap();
    });
    server.account("wang", Role::Worker, STREET);
    server.account("zhao", Role::Worker, STREET);
    server.account("li", Role::Supervisor, STREET);
    server
}

fn password(store: &Store, server: &TestServer, user: &str) -> Result<(), SyncError> {
    sync::login(
        store,
        &http(),
        &server.url(),
        &SignIn::Password {
            user: user.into(),
            password: "pw".into(),
        },
    )
    .map(|_| ())
}

fn run(store: &Store) -> sync::SyncReport {
    sync::SyncEngine::new(sync::SyncOptions::default())
        .run(store, &http(), &sync::NoProgress, &sync::CancelToken::new())
        .unwrap()
}

fn report(store: &Store, dir: &tempfile::TempDir, text: &str) -> Result<uuid::Uuid, Error> {
    store.report(&draft_for(store, dir.path(), text))
}

/// A store with the sample city imported by hand and nobody initialised.
fn unsigned() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path().join("store")).unwrap();
    store.import_grid(GRID).unwrap();
    store.import_catalog(CATALOG).unwrap();
    (dir, store)
}

/// What the server holds of `user`'s device: accepted events, read by a supervisor's
/// fresh tablet.
fn cases_on_server(server: &TestServer) -> usize {
    let dir = tempfile::tempdir().unwrap();
    let tablet = Store::open(dir.path()).unwrap();
    password(&tablet, server, "li").unwrap();
    run(&tablet);
    tablet.list_all(&Default::default()).unwrap().len()
}

#[test]
fn a_device_signs_in_before_it_records_and_its_first_sign_in_makes_the_store_the_accounts() {
    let server = server();
    let (dir, store) = unsigned();
    // Nothing is recorded before sign-in.
    assert!(matches!(
        report(&store, &dir, "too early"),
        Err(Error::NotInitialized)
    ));
    assert!(store.all_events().unwrap().is_empty());

    password(&store, &server, "wang").unwrap();
    let me = store.identity().unwrap().unwrap();
    assert_eq!((me.user.as_str(), me.role), ("wang", Role::Worker));
    assert_eq!(me.device_id.len(), 36, "a random UUID: {}", me.device_id);

    report(&store, &dir, "after sign-in").unwrap();
    let r = run(&store);
    assert_eq!((r.pushed, r.rejected), (1, 0), "{r:?}");
    assert_eq!(cases_on_server(&server), 1);
}

#[test]
fn a_placeholder_identity_is_refused_at_sign_in_until_the_shell_sets_the_account() {
    let server = server();
    let (dir, store) = unsigned();
    // What the shells did on first run: a demo worker.
    let placeholder = store.init("demo", Role::Worker).unwrap();
    let err = password(&store, &server, "li").unwrap_err();
    assert!(matches!(err, SyncError::WrongUser { .. }), "{err}");
    // Nothing recorded and never signed in: the shell may set the account's user.
    store.init("li", Role::Supervisor).unwrap();
    password(&store, &server, "li").unwrap();
    let me = store.identity().unwrap().unwrap();
    assert_eq!((me.user.as_str(), me.role), ("li", Role::Supervisor));
    assert_eq!(me.device_id, placeholder.device_id);

    report(&store, &dir, "supervisor's own report").unwrap();
    let r = run(&store);
    assert_eq!((r.pushed, r.rejected), (1, 0), "{r:?}");
}

#[test]
fn reports_recorded_as_someone_else_before_sign_in_are_refused_at_sign_in_and_kept() {
    let server = server();
    let (dir, store) = unsigned();
    store.init("demo", Role::Worker).unwrap();
    let id = report(&store, &dir, "recorded as demo").unwrap();
    let err = password(&store, &server, "wang").unwrap_err();
    assert!(matches!(err, SyncError::WrongUser { .. }), "{err}");
    assert_eq!(store.identity().unwrap().unwrap().user, "demo");
    assert_eq!(sync::status(&store).unwrap().pending_events, 1);
    assert_eq!(store.case(id).unwrap().case.id, id);
    assert!(!sync::status(&store).unwrap().signed_in);
}

#[test]
fn signing_out_keeps_unsynced_work_shown_as_pending_and_the_next_sign_in_pushes_it() {
    let server = server();
    let (dir, store) = unsigned();
    password(&store, &server, "wang").unwrap();
    run(&store);
    let a = report(&store, &dir, "one").unwrap();
    let b = report(&store, &dir, "two").unwrap();

    sync::logout(&store).unwrap();
    let status = sync::status(&store).unwrap();
    assert!(!status.signed_in);
    assert_eq!(status.pending_events, 2);
    for id in [a, b] {
        let detail = store.case(id).unwrap();
        assert!(detail.timeline.iter().all(|e| e.sync == SyncState::Pending));
    }
    // A run while signed out touches nothing.
    let r = run(&store);
    assert_eq!(r.state, EngineState::NotSignedIn, "{r:?}");
    assert_eq!(sync::status(&store).unwrap().pending_events, 2);
    assert_eq!(cases_on_server(&server), 0);

    password(&store, &server, "wang").unwrap();
    let r = run(&store);
    assert_eq!((r.pushed, r.rejected), (2, 0), "{r:?}");
    assert_eq!(cases_on_server(&server), 2);
}

#[test]
fn another_user_cannot_take_over_a_store_with_unsynced_work_and_the_work_goes_up_later() {
    let server = server();
    let (dir, store) = unsigned();
    password(&store, &server, "wang").unwrap();
    report(&store, &dir, "wang's").unwrap();
    sync::logout(&store).unwrap();

    // Another worker picks up the phone: every way in is refused.
    let err = password(&store, &server, "zhao").unwrap_err();
    assert!(
        matches!(
            err,
            SyncError::DeviceConflict(_) | SyncError::WrongUser { .. }
        ),
        "{err}"
    );
    let t_zhao = server.admin(async |s| admin::issue_token(s, "zhao", "").await.unwrap());
    let err = sync::login(&store, &http(), &server.url(), &SignIn::Token(t_zhao)).unwrap_err();
    assert!(matches!(err, SyncError::WrongUser { .. }), "{err}");
    let err = store.init("zhao", Role::Worker).unwrap_err();
    assert!(err.to_string().contains("not synced"), "{err}");
    let me = store.identity().unwrap().unwrap();
    assert_eq!(me.user, "wang");
    assert_eq!(sync::status(&store).unwrap().pending_events, 1);

    // Wang signs in again and the report goes up as wang's.
    password(&store, &server, "wang").unwrap();
    let r = run(&store);
    assert_eq!((r.pushed, r.rejected), (1, 0), "{r:?}");
    assert_eq!(cases_on_server(&server), 1);
}
