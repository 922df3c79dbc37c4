//! Retention against the reference server on loopback: a worker's phone syncs a case
//! closed on the spot and a patrol, photos uploaded byte for byte, and records more
//! offline; forty days on, a purge forgets what the server holds and keeps what it does
//! not; the next sync sends what waited and brings nothing purged back, and a
//! supervisor's tablet still gets every case whole from the server.
#![allow(clippy::unwrap_used, missing_docs)]

use gridwork_core::{
    model::Role,
    store::{ActionKind, ActionRequest},
    Error, Store,
};
use gridwork_server::admin;
use gridwork_tests::{Device, TestServer, GRID};
use std::sync::Arc;

const DAY: i64 = 86_400_000;

fn fixed_on_the_spot(dev: &Device, text: &str) -> uuid::Uuid {
    let mut draft = dev.draft(text);
    draft.photos = vec![dev.photo(&format!("{text} before"))];
    let id = dev.store.report(&draft).unwrap();
    let mut fix = ActionRequest::new(ActionKind::SelfResolve);
    fix.photos = vec![dev.photo(&format!("{text} after"))];
    dev.store.act(id, &fix).unwrap();
    id
}

#[test]
fn a_purge_keeps_what_the_server_lacks_and_the_server_keeps_everything() {
    let server = TestServer::start();
    server.admin(async |s| admin::import_grid(s, GRID).await.unwrap());
    let t_li = server.account("li", Role::Worker, "320508001");
    let t_wang = server.account("wang", Role::Supervisor, "*");
    let mut li = Device::new("li", Role::Worker, "phone-li");
    li.login(&server, &t_li);

    let gone = fixed_on_the_spot(&li, "leaking hydrant");
    let grid = li.store.grid().unwrap();
    let cell = grid.cells()[0].code.as_str().to_string();
    let patrol = li.store.start_patrol(&[cell]).unwrap();
    li.store.finish_patrol(patrol).unwrap();
    let open = li.store.report(&li.draft("pothole")).unwrap();
    li.sync();
    // Photos go up in the run after their events were accepted.
    li.sync();
    assert_eq!(
        (li.status().pending_events, li.status().pending_photos),
        (0, 0)
    );
    let waiting = fixed_on_the_spot(&li, "graffiti");
    assert!(li.status().pending_events > 0);

    // Forty days later (the phone's clock; the server is not asked).
    let later = gridwork_core::store::system_now_ms() + 40 * DAY;
    let path = li.store.dir().to_path_buf();
    drop(std::mem::replace(
        &mut li.store,
        Store::open_with_clock(&path, Arc::new(move || later)).unwrap(),
    ));
    let report = li.store.purge_older_than(30).unwrap();
    assert_eq!(
        (
            report.cases,
            report.patrols,
            report.photos,
            report.kept_unsynced
        ),
        (1, 1, 2, 1),
        "{report:?}"
    );
    assert!(matches!(
        li.store.case(gone).unwrap_err(),
        Error::NotFound { .. }
    ));
    li.store.case(open).unwrap();
    li.store.case(waiting).unwrap();
    assert!(li.store.verify_log().unwrap().is_intact());

    // Back to the real clock: the next sync sends what waited and brings nothing back.
    drop(std::mem::replace(
        &mut li.store,
        Store::open(&path).unwrap(),
    ));
    let r = li.sync();
    assert_eq!((r.rejected, r.pulled), (0, 0), "{r:?}");
    li.sync();
    assert_eq!(
        (li.status().pending_events, li.status().pending_photos),
        (0, 0)
    );
    assert!(li.store.case(gone).is_err());
    assert!(li.store.verify_log().unwrap().is_intact());

    // The server still holds the purged case whole, photos included.
    let wang = Device::new("wang", Role::Supervisor, "tablet-wang");
    wang.login(&server, &t_wang);
    wang.sync();
    let held = wang.store.case(gone).unwrap();
    assert_eq!(held.case.report.description, "leaking hydrant");
    assert_eq!(held.case.report.photos.len(), 1);
    let sha = &held.case.report.photos[0].sha256;
    assert_eq!(
        std::fs::read(server.dir.path().join("blobs").join(sha)).unwrap(),
        std::fs::read(li.photo("leaking hydrant before")).unwrap(),
        "the photo the phone purged is on the server, whole"
    );
    assert!(wang.store.patrol(patrol).is_ok());
}
