//! Over HTTP with the reference server and real device stores: a worker's report
//! outside their scope is quarantined, the administrator widens the scope and re-judges
//! the device, the worker's next sync shows the report accepted and a supervisor's
//! tablet pulls it; and a device marked lost is told to wipe itself on its next sync,
//! acknowledges, and its store's files are gone, while a device never marked is not
//! touched.
#![allow(clippy::unwrap_used, missing_docs)]

use gridwork_core::{
    db::DB_FILE,
    model::Role,
    store::SyncState,
    sync::{EngineState, FailureKind},
    Store,
};
use gridwork_server::admin::{self, devices as dev, UserChange};
use gridwork_tests::{Device, TestServer, GRID};
use std::time::Duration;

const TTL: Duration = Duration::from_secs(30 * 24 * 3600);

#[test]
fn a_report_outside_the_scope_is_accepted_after_the_scope_is_fixed_and_rejudged() {
    let server = TestServer::start();
    server.admin(async |s| admin::import_grid(s, GRID).await.unwrap());
    // The first grid cell (where the devices report) lies in street 320508001.
    let t_li = server.account("li", Role::Worker, "320508002");
    let t_wang = server.account("wang", Role::Supervisor, "*");
    let li = Device::new("li", Role::Worker, "phone-li");
    let wang = Device::new("wang", Role::Supervisor, "tablet-wang");
    li.login(&server, &t_li);
    wang.login(&server, &t_wang);

    let case = li.store.report(&li.draft("broken street lamp")).unwrap();
    let r = li.sync();
    assert_eq!((r.pushed, r.rejected), (0, 1), "{r:?}");
    assert_eq!(li.status().rejected_events, 1);
    assert_eq!(wang.sync().pulled, 0);
    let listed = server.admin(async |s| dev::quarantine(s, "phone-li").await.unwrap());
    assert_eq!(listed.len(), 1);
    assert!(listed[0].reason.contains("scope"), "{}", listed[0].reason);

    // The administrator fixes the scope and re-judges the device.
    let r = server.admin(async |s| {
        admin::change_user(
            s,
            "cli:root",
            "li",
            UserChange {
                scope: Some("320508001,320508002".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
        dev::rejudge(s, "cli:root", "phone-li").await.unwrap()
    });
    assert_eq!(r.accepted.len(), 1);
    assert_eq!(r.remaining, 0);

    // A scope change signed li's phone out: it signs in again, and its next sync shows
    // the report accepted.
    assert_eq!(li.sync().state, EngineState::SignInRequired);
    li.login_password(&server, "li", "pw").unwrap();
    let r = li.sync();
    assert_eq!(r.state, EngineState::Synced, "{r:?}");
    assert_eq!(li.status().rejected_events, 0);
    let timeline = li.store.case(case).unwrap().timeline;
    assert!(
        timeline.iter().all(|t| t.sync == SyncState::Synced),
        "{timeline:?}"
    );
    // The supervisor's tablet pulls it, once.
    assert_eq!(wang.sync().pulled, 1);
    assert_eq!(
        wang.store.case(case).unwrap().case,
        li.store.case(case).unwrap().case
    );
    assert_eq!(wang.sync().pulled, 0);
}

#[test]
fn a_device_marked_lost_wipes_itself_on_its_next_sync_and_others_do_not() {
    let server = TestServer::start();
    let t_li = server.account("li", Role::Worker, "*");
    let t_zhao = server.account("zhao", Role::Worker, "*");
    let li = Device::new("li", Role::Worker, "phone-li");
    let zhao = Device::new("zhao", Role::Worker, "phone-zhao");
    li.login(&server, &t_li);
    zhao.login(&server, &t_zhao);
    li.store
        .report(&li.draft("synced before the loss"))
        .unwrap();
    zhao.store.report(&zhao.draft("zhao's report")).unwrap();
    assert_eq!(li.sync().pushed, 1);
    assert_eq!(zhao.sync().pushed, 1);
    // Something recorded after the last sync: the wipe takes it too (the phone is lost).
    li.store.report(&li.draft("not synced")).unwrap();
    let store_dir = li.store.dir().to_path_buf();
    assert!(store_dir.join(DB_FILE).exists());
    assert!(std::fs::read_dir(li.store.photos_dir()).unwrap().count() > 0);

    server.admin(async |s| dev::wipe(s, "cli:root", "phone-li").await.unwrap());
    let r = li.sync();
    assert_eq!(r.state, EngineState::Wiped, "{r:?}");
    assert_eq!(r.acknowledged_wipe, Some(true));
    assert_eq!(
        r.pushed, 0,
        "nothing more is sent once the server says wipe"
    );
    for suffix in ["", "-wal", "-shm"] {
        let f = store_dir.join(format!("{DB_FILE}{suffix}"));
        assert!(!f.exists(), "{} is gone", f.display());
    }
    assert!(
        !store_dir.join("photos").exists(),
        "the photo folder is gone"
    );
    // The open store is empty, and opening the folder again finds no data.
    assert!(li.store.identity().unwrap().is_none());
    let reopened = Store::open(&store_dir).unwrap();
    assert!(reopened.identity().unwrap().is_none());
    assert!(reopened.list_all(&Default::default()).unwrap().is_empty());
    assert_eq!(std::fs::read_dir(reopened.photos_dir()).unwrap().count(), 0);

    // The server lists the device as wiped, its tokens revoked.
    let views = server.admin(async |s| dev::devices(s, Some("li"), TTL).await.unwrap());
    assert_eq!(views.len(), 1);
    assert_eq!(views[0].wipe, "wiped");
    assert!(views[0].wiped_ms.is_some());
    assert!(views[0].tokens.is_empty());
    let audit = server.admin(async |s| s.audit_log(10).await.unwrap());
    assert!(audit
        .iter()
        .any(|e| e.action == "device.wiped" && e.target == "phone-li"));

    // A device never marked is unaffected.
    let r = zhao.sync();
    assert_eq!(r.state, EngineState::Synced, "{r:?}");
    assert!(zhao.store.dir().join(DB_FILE).exists());
    assert_eq!(zhao.cases().len(), 2);
    assert_ne!(
        zhao.status().last_error.map(|e| e.kind),
        Some(FailureKind::WipeRequired)
    );
}
