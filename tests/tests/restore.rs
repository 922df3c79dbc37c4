//! A server restored from a backup, and devices that synced after the backup was taken:
//! after everyone syncs again the server holds every event exactly once, every replica
//! folds the same cases and every photo is whole (docs/sync-protocol.md, "After a
//! server restore"; docs/operations.md, "Backup and restore").
#![allow(clippy::unwrap_used, missing_docs)]

use gridwork_core::{
    model::Role,
    store::{ActionKind, ActionRequest},
    sync::EngineState,
};
use gridwork_tests::{Device, TestServer};
use rusqlite::Connection;
use sha2::{Digest, Sha256};
use std::{collections::BTreeSet, path::Path};

const COMMUNITY: &str = "320508001001";
const STREET: &str = "320508001";

fn ro(path: &Path) -> Connection {
    // rusqlite is built with SQLCipher here; its crypto provider must be linked in.
    gridwork_sqlcipher::link();
    Connection::open(path).unwrap()
}

/// The ids of the events a device wrote itself.
fn own_events(d: &Device, device: &str) -> BTreeSet<String> {
    let c = ro(&d.dir.path().join("store").join("gridwork.db"));
    let mut s = c
        .prepare("SELECT id FROM events WHERE device_id = ?1")
        .unwrap();
    s.query_map([device], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

/// The photos a device holds, by SHA-256.
fn photos(d: &Device) -> BTreeSet<String> {
    let c = ro(&d.dir.path().join("store").join("gridwork.db"));
    let mut s = c.prepare("SELECT sha256 FROM photos").unwrap();
    s.query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

/// (events, distinct ids, quarantined) on the server.
fn server_counts(server: &TestServer) -> (i64, i64, i64) {
    let c = ro(&server.dir.path().join("server.db"));
    c.query_row(
        "SELECT (SELECT count(*) FROM events), (SELECT count(DISTINCT id) FROM events),
                (SELECT count(*) FROM quarantine)",
        [],
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
    )
    .unwrap()
}

fn server_event_ids(server: &TestServer) -> BTreeSet<String> {
    let c = ro(&server.dir.path().join("server.db"));
    let mut s = c.prepare("SELECT id FROM events").unwrap();
    s.query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

fn whole(path: &Path, sha: &str) -> bool {
    std::fs::read(path).is_ok_and(|b| hex::encode(Sha256::digest(&b)) == sha)
}

fn act(d: &Device, case: uuid::Uuid, kind: ActionKind) {
    let req = match kind {
        ActionKind::Dispatch => ActionRequest {
            department: Some("sanitation".into()),
            ..ActionRequest::new(kind)
        },
        _ => ActionRequest::new(kind),
    };
    d.store.act(case, &req).unwrap();
}

#[test]
fn devices_push_again_what_a_restored_server_lost_and_every_replica_converges() {
    gridwork_sqlcipher::link();
    let mut server = TestServer::start();
    server.admin(async |s| {
        gridwork_server::admin::import_grid(s, gridwork_tests::GRID)
            .await
            .unwrap();
        gridwork_server::admin::import_catalog(s, gridwork_tests::CATALOG)
            .await
            .unwrap();
    });
    let wang = Device::new("wang", Role::Worker, "phone-wang");
    let zhao = Device::new("zhao", Role::Worker, "phone-zhao");
    let li = Device::new("li", Role::Supervisor, "phone-li");
    let devices = [
        (
            &wang,
            "phone-wang",
            server.account("wang", Role::Worker, COMMUNITY),
        ),
        (
            &zhao,
            "phone-zhao",
            server.account("zhao", Role::Worker, COMMUNITY),
        ),
        (
            &li,
            "phone-li",
            server.account("li", Role::Supervisor, STREET),
        ),
    ];
    for (d, _, t) in &devices {
        d.login(&server, t);
    }
    let sync_all = || {
        for (d, name, _) in &devices {
            let r = d.sync();
            assert_eq!(r.state, EngineState::Synced, "{name}: {:?}", r.error);
            assert_eq!(r.rejected, 0, "{name}");
        }
    };

    // Before the backup: two reports, one registered.
    let a = wang.store.report(&wang.draft("overflowing bin")).unwrap();
    let b = zhao.store.report(&zhao.draft("broken kerb")).unwrap();
    sync_all();
    act(&li, a, ActionKind::Register);
    sync_all();

    // The backup, taken while the server serves.
    let backups = tempfile::tempdir().unwrap();
    let backup_dir = backups.path().join("b1");
    let db = server.dir.path().join("server.db");
    let blobs = server.dir.path().join("blobs");
    let manifest = gridwork_server::backup::backup(&db, &blobs, &backup_dir).unwrap();
    let (held_at_backup, _, _) = server_counts(&server);
    assert_eq!(manifest.events as i64, held_at_backup);
    assert_eq!(manifest.photos, 2);

    // After the backup: reports with photos and actions from two devices, all
    // acknowledged by the server.
    let c = wang.store.report(&wang.draft("fallen sign")).unwrap();
    act(&li, b, ActionKind::Register);
    act(&li, a, ActionKind::Dispatch);
    sync_all();
    let d = zhao.store.report(&zhao.draft("blocked drain")).unwrap();
    sync_all();
    act(&li, c, ActionKind::Register);
    act(&li, d, ActionKind::Register);
    sync_all();
    sync_all();
    let reference = li.cases();
    assert_eq!(reference.len(), 4);
    let before = server_event_ids(&server);
    for (d, name, _) in &devices {
        assert_eq!(d.cases(), reference, "{name} before the restore");
        assert_eq!(d.status().pending_events, 0);
    }
    let (held_before, _, _) = server_counts(&server);
    assert!(held_before > held_at_backup);

    // The server is stopped, restored from the backup and started again: it has
    // forgotten events every device considers acknowledged, and server_seq numbers
    // its devices' cursors have passed will be given out again.
    server.kill();
    let restored = gridwork_server::backup::restore(&backup_dir, &db, &blobs, true).unwrap();
    assert_ne!(Some(restored.incarnation.clone()), manifest.incarnation);
    assert_eq!(server_counts(&server).0, held_at_backup);
    server.restart();

    // The worker who reported after the backup syncs first, then the others; a second
    // round lets everyone pull what the others pushed again.
    sync_all();
    sync_all();

    let (events, distinct, quarantined) = server_counts(&server);
    assert_eq!(
        server_event_ids(&server),
        before,
        "the server holds every event"
    );
    assert_eq!(
        (events, distinct, quarantined),
        (held_before, held_before, 0)
    );
    let mut written = BTreeSet::new();
    for (d, name, _) in &devices {
        written.extend(own_events(d, name));
        assert_eq!(d.cases(), reference, "{name} after the restore");
        let st = d.status();
        assert_eq!(
            (st.pending_events, st.pending_photos, st.rejected_events),
            (0, 0, 0)
        );
    }
    assert_eq!(written, before);
    // Every photo of every device is on the server, whole.
    for (d, name, _) in &devices {
        for sha in photos(d) {
            assert!(whole(&blobs.join(&sha), &sha), "{name}'s photo {sha}");
        }
    }

    // A device that syncs again changes nothing.
    sync_all();
    assert_eq!(server_counts(&server), (held_before, held_before, 0));
}

#[test]
fn a_restore_checks_the_backup_and_does_not_replace_a_database_without_force() {
    gridwork_sqlcipher::link();
    let server = TestServer::start();
    let t = server.account("wang", Role::Worker, COMMUNITY);
    let wang = Device::new("wang", Role::Worker, "phone-wang");
    wang.login(&server, &t);
    wang.store.report(&wang.draft("overflowing bin")).unwrap();
    assert_eq!(wang.sync().pushed, 1);
    let db = server.dir.path().join("server.db");
    let blobs = server.dir.path().join("blobs");
    let backups = tempfile::tempdir().unwrap();
    let dir = backups.path().join("b");
    gridwork_server::backup::backup(&db, &blobs, &dir).unwrap();
    // A second backup into a folder that holds one is refused.
    assert!(gridwork_server::backup::backup(&db, &blobs, &dir).is_err());

    let target = backups.path().join("other.db");
    let other_blobs = backups.path().join("other.blobs");
    std::fs::write(&target, b"precious").unwrap();
    let err = gridwork_server::backup::restore(&dir, &target, &other_blobs, false).unwrap_err();
    assert!(err.to_string().contains("--force"), "{err}");
    assert_eq!(std::fs::read(&target).unwrap(), b"precious");

    // The running server holds its database open: refused even with --force.
    let err = gridwork_server::backup::restore(&dir, &db, &blobs, true).unwrap_err();
    assert!(err.to_string().contains("in use"), "{err}");

    // A damaged backup is refused before anything is touched.
    let damaged = backups.path().join("damaged");
    std::fs::create_dir_all(damaged.join("blobs")).unwrap();
    std::fs::copy(dir.join("backup.json"), damaged.join("backup.json")).unwrap();
    let mut bytes = std::fs::read(dir.join("server.db")).unwrap();
    let mid = bytes.len() / 2;
    for b in &mut bytes[mid..mid + 4096] {
        *b = 0x55;
    }
    std::fs::write(damaged.join("server.db"), bytes).unwrap();
    assert!(gridwork_server::backup::restore(&damaged, &target, &other_blobs, true).is_err());
    assert_eq!(std::fs::read(&target).unwrap(), b"precious");
    // Without the manifest it is not a backup.
    std::fs::remove_file(damaged.join("backup.json")).unwrap();
    let err = gridwork_server::backup::restore(&damaged, &target, &other_blobs, true).unwrap_err();
    assert!(err.to_string().contains("backup.json"), "{err}");

    // A sound one replaces the file with --force.
    let r = gridwork_server::backup::restore(&dir, &target, &other_blobs, true).unwrap();
    assert_eq!((r.manifest.events, r.photos_added), (1, 1));
    let c = ro(&target);
    let n: i64 = c
        .query_row("SELECT count(*) FROM events", [], |r| r.get(0))
        .unwrap();
    assert_eq!(n, 1);
}

#[test]
fn a_backup_taken_while_pushes_land_is_sound_and_a_prefix_of_the_log() {
    gridwork_sqlcipher::link();
    let server = TestServer::start();
    let tokens = [
        ("wang", server.account("wang", Role::Worker, COMMUNITY)),
        ("zhao", server.account("zhao", Role::Worker, COMMUNITY)),
    ];
    let url = server.url();
    let done = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let writers: Vec<_> = tokens
        .into_iter()
        .map(|(user, token)| {
            let (url, done) = (url.clone(), done.clone());
            std::thread::spawn(move || {
                let d = Device::new(user, Role::Worker, &format!("phone-{user}"));
                d.login_at(&url, &token);
                for i in 0..25 {
                    d.store
                        .report(&d.draft(&format!("{user} report {i}")))
                        .unwrap();
                    let r = d.sync();
                    assert_eq!(r.state, EngineState::Synced, "{:?}", r.error);
                }
                done.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            })
        })
        .collect();
    let db = server.dir.path().join("server.db");
    let blobs = server.dir.path().join("blobs");
    let backups = tempfile::tempdir().unwrap();
    let mut taken = Vec::new();
    while done.load(std::sync::atomic::Ordering::SeqCst) < 2 || taken.len() < 3 {
        let dir = backups.path().join(format!("b{}", taken.len()));
        let m = gridwork_server::backup::backup(&db, &blobs, &dir).unwrap();
        // The manifest matches, integrity_check passes, every photo is whole.
        assert_eq!(gridwork_server::backup::check(&dir).unwrap(), m);
        let c = ro(&dir.join("server.db"));
        // A prefix: server_seq 1..=max without a hole, every accepted report with its
        // case row, every device's chain head the last event held of it.
        let (n, max, reports, cases, heads_ok): (i64, i64, i64, i64, bool) = c
            .query_row(
                "SELECT (SELECT count(*) FROM events), (SELECT COALESCE(MAX(server_seq), 0) FROM events),
                        (SELECT count(DISTINCT stream) FROM events),
                        (SELECT count(*) FROM cases),
                        (SELECT count(*) = 0 FROM devices d WHERE d.last_seq !=
                            (SELECT MAX(device_seq) FROM events e WHERE e.device_id = d.device_id))",
                [],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)),
            )
            .unwrap();
        assert_eq!((n, max), (m.events as i64, m.events as i64));
        assert_eq!(reports, cases);
        assert!(heads_ok);
        for sha in std::fs::read_dir(dir.join("blobs")).unwrap() {
            let sha = sha.unwrap();
            let name = sha.file_name().to_string_lossy().to_string();
            assert!(whole(&sha.path(), &name));
        }
        taken.push(m.events);
    }
    for w in writers {
        w.join().unwrap();
    }
    // Taken while pushes landed: not all empty, not all complete.
    assert!(taken.iter().any(|&n| n > 0 && n < 50), "{taken:?}");
    eprintln!("backups taken during pushes held {taken:?} events");
}
