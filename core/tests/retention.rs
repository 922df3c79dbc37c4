//! Retention on a device: a purge forgets the closed cases and finished patrols the
//! server holds whole once they are older than the setting, with their photos, and keeps
//! everything the server does not hold yet, however old. The hash chain still verifies,
//! a sync afterwards brings nothing back, and a purge with nothing to purge (or a refused
//! setting) changes nothing, byte for byte.
#![allow(clippy::unwrap_used, missing_docs)]

mod common;

use common::{act, judge::Judge, snapshot, Device};
use gridwork_core::{
    db::ListFilter,
    model::Role,
    patrol::{Fix, Provider},
    store::{ActionKind, PurgeReport},
    Error,
};
use uuid::Uuid;

const DAY: i64 = 86_400_000;

fn fix(t: i64, lat: f64, lon: f64) -> Fix {
    Fix {
        time_ms: t,
        lat,
        lon,
        accuracy_m: 5.0,
        speed_mps: None,
        bearing_deg: None,
        altitude_m: None,
        provider: Provider::Gps,
        mock: false,
    }
}

/// A case the worker fixed on the spot (closed), with an after photo.
fn self_resolved(dev: &Device, text: &str) -> Uuid {
    let mut draft = dev.draft(text);
    draft.photos = vec![dev.photo(&format!("{text} before"))];
    let id = dev.store.report(&draft).unwrap();
    let mut fix = act(ActionKind::SelfResolve);
    fix.photos = vec![dev.photo(&format!("{text} after"))];
    dev.store.act(id, &fix).unwrap();
    id
}

/// A finished patrol with a few fixes and a check-in with a photo.
fn patrol(dev: &Device, tag: &str) -> Uuid {
    let (lat, lon, cell) = dev.point_in_first_cell();
    let id = dev.store.start_patrol(&[cell]).unwrap();
    let t = dev.clock.get();
    let fixes = (0..5)
        .map(|s| fix(t + s * 1000, lat, lon + s as f64 * 1e-5))
        .collect();
    dev.store.add_fixes(id, fixes).unwrap();
    dev.store
        .check_in(
            id,
            lat,
            lon,
            Some(format!("visited {tag}")),
            Some(&dev.photo(tag)),
        )
        .unwrap();
    dev.clock.advance(10_000);
    dev.store.finish_patrol(id).unwrap();
    id
}

fn photo_files(dev: &Device) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dev.store.photos_dir())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

fn sha_of_photo(dev: &Device, tag: &str) -> String {
    use sha2::{Digest, Sha256};
    hex::encode(Sha256::digest(std::fs::read(dev.photo(tag)).unwrap()))
}

/// Whether `needle` occurs in the database file or its write-ahead log.
fn on_disk(dev: &Device, needle: &str) -> bool {
    let db = dev.store.db().path().to_path_buf();
    let mut wal = db.clone().into_os_string();
    wal.push("-wal");
    [db, wal.into()].iter().any(|p| {
        std::fs::read(p)
            .map(|b| b.windows(needle.len()).any(|w| w == needle.as_bytes()))
            .unwrap_or(false)
    })
}

#[test]
fn a_purge_forgets_old_synced_work_and_keeps_everything_unsynced() {
    let server = Judge::new();
    let dev = Device::new("zhao", Role::Worker, "phone-zhao");
    server.sign_in(&dev.store, "zhao", Role::Worker);

    // Old and synced: purged.
    let gone = self_resolved(&dev, "leaking hydrant xylophone");
    let gone_patrol = patrol(&dev, "visit quokka");
    // Old, closed and synced, but its photo never reached the server: kept.
    let photo_pending = self_resolved(&dev, "broken bench");
    // Old and synced, but open: kept.
    let mut open = dev.draft("pothole");
    // Shares a photo with the purged case: the file stays.
    open.photos
        .push(dev.photo("leaking hydrant xylophone after"));
    let open = dev.store.report(&open).unwrap();
    assert_eq!(server.sync(&dev.store).rejected, 0);
    let pending_photo = sha_of_photo(&dev, "broken bench after");
    dev.store
        .db()
        .write(|tx| {
            tx.execute(
                "UPDATE photos SET uploaded = 0 WHERE sha256 = ?1",
                [&pending_photo],
            )?;
            Ok(())
        })
        .unwrap();
    // Old, but closed and finished offline: kept.
    dev.clock.advance(3_600_000);
    let offline = self_resolved(&dev, "graffiti");
    let offline_patrol = patrol(&dev, "visit wombat");

    // Thumbnails the pass still wants for a photo of the purged case and of a kept one.
    let gone_photo = sha_of_photo(&dev, "leaking hydrant xylophone before");
    dev.store
        .db()
        .write(|tx| {
            for (thumb, photo) in [("a", &gone_photo), ("b", &pending_photo)] {
                tx.execute(
                    "INSERT INTO photo_wanted (sha256, size, thumb, photo, seq)
                     VALUES (?1, 10, 1, ?2, 1)",
                    [thumb.repeat(64), photo.clone()],
                )?;
            }
            Ok(())
        })
        .unwrap();

    dev.clock.advance(40 * DAY);
    let before = dev.store.all_events().unwrap().len();
    let chain_events: u64 = dev.store.verify_log().unwrap().devices[0].events;
    let report = dev.store.purge_older_than(30).unwrap();
    assert_eq!(
        report,
        PurgeReport {
            cases: 1,
            patrols: 1,
            events: report.events,
            // The case's before photo and the check-in's; its after photo is shared.
            photos: 2,
            kept_unsynced: 3,
        }
    );
    assert!(report.events >= 4, "{report:?}");

    // The purged case and patrol are gone from every view.
    assert!(matches!(
        dev.store.case(gone).unwrap_err(),
        Error::NotFound { .. }
    ));
    assert!(dev.store.patrol(gone_patrol).is_err());
    let all: Vec<Uuid> = dev
        .store
        .list_all(&ListFilter::default())
        .unwrap()
        .iter()
        .map(|c| c.id)
        .collect();
    assert!(!all.contains(&gone));
    for kept in [photo_pending, open, offline] {
        assert!(all.contains(&kept), "{kept} was purged");
        dev.store.case(kept).unwrap();
    }
    dev.store.patrol(offline_patrol).unwrap();
    // The purged case's wanted thumbnail is forgotten; the kept case's stays.
    let wanted: Vec<String> = dev
        .store
        .db()
        .read(|c| {
            let mut stmt = c.prepare("SELECT photo FROM photo_wanted")?;
            let rows = stmt.query_map([], |r| r.get(0))?;
            Ok(rows.collect::<rusqlite::Result<_>>()?)
        })
        .unwrap();
    assert_eq!(wanted, vec![pending_photo.clone()]);
    let search = ListFilter {
        search: Some("xylophone".into()),
        ..ListFilter::default()
    };
    assert!(dev.store.list_all(&search).unwrap().is_empty());
    // Its words and its check-in note are not left in the file either.
    assert!(!on_disk(&dev, "xylophone"));
    assert!(!on_disk(&dev, "quokka"));
    assert!(on_disk(&dev, "wombat"));

    // Photos: the purged case's own and the check-in's go; the shared one, the one not
    // uploaded and the unsynced ones stay.
    let files = photo_files(&dev);
    assert!(!files.contains(&sha_of_photo(&dev, "leaking hydrant xylophone before")));
    assert!(!files.contains(&sha_of_photo(&dev, "visit quokka")));
    assert!(files.contains(&sha_of_photo(&dev, "leaking hydrant xylophone after")));
    assert!(files.contains(&pending_photo));
    assert!(files.contains(&sha_of_photo(&dev, "visit wombat")));
    assert!(files.contains(&sha_of_photo(&dev, "graffiti after")));

    // The chain is whole: every event still has its place, and verifies.
    let chain = dev.store.verify_log().unwrap();
    assert!(chain.is_intact(), "{chain:?}");
    assert_eq!(chain.devices[0].events, chain_events);
    assert_eq!(
        dev.store.all_events().unwrap().len() as u64,
        before as u64 - report.events
    );

    // A sync afterwards pushes what waited (and uploads the photo) and brings nothing
    // back; a case closed now is young.
    let young = self_resolved(&dev, "fallen sign");
    let r = server.sync(&dev.store);
    assert_eq!(r.rejected, 0);
    assert!(dev.store.case(gone).is_err());
    assert!(dev.store.verify_log().unwrap().is_intact());

    // Once the server holds them, the old ones go too; the young and the open stay.
    dev.clock.advance(20 * DAY);
    let second = dev.store.purge_older_than(30).unwrap();
    assert_eq!(
        (second.cases, second.patrols, second.kept_unsynced),
        (2, 1, 0),
        "{second:?}"
    );
    for kept in [open, young] {
        dev.store.case(kept).unwrap();
    }
    assert!(dev.store.patrol(offline_patrol).is_err());
    assert!(dev.store.verify_log().unwrap().is_intact());
}

#[test]
fn a_purge_with_nothing_to_purge_and_a_refused_setting_change_nothing() {
    let server = Judge::new();
    let dev = Device::new("zhao", Role::Worker, "phone-zhao");
    server.sign_in(&dev.store, "zhao", Role::Worker);
    // Old: a closed case and a finished patrol whose photos have not reached the
    // server, an open case. Young: a closed case synced, one waiting in the outbox.
    self_resolved(&dev, "old");
    patrol(&dev, "old visit");
    dev.store.report(&dev.draft("still open")).unwrap();
    server.sync(&dev.store);
    dev.clock.advance(25 * DAY);
    self_resolved(&dev, "young and synced");
    server.sync(&dev.store);
    self_resolved(&dev, "young and waiting");
    for tag in ["old after", "old visit"] {
        let sha = sha_of_photo(&dev, tag);
        dev.store
            .db()
            .write(|tx| {
                tx.execute("UPDATE photos SET uploaded = 0 WHERE sha256 = ?1", [&sha])?;
                Ok(())
            })
            .unwrap();
    }
    dev.store.set_retention(Some(30)).unwrap();
    dev.clock.advance(15 * DAY);

    let before = snapshot(&dev.store);
    let report = dev.store.purge_expired().unwrap();
    assert!(report.is_empty(), "{report:?}");
    assert_eq!(report.kept_unsynced, 2);
    assert!(dev.store.purge_older_than(30).unwrap().is_empty());
    for bad in [0, 100_000] {
        let err = dev.store.purge_older_than(bad).unwrap_err();
        assert!(matches!(err, Error::InvalidInput { .. }), "{err:?}");
        assert!(dev.store.set_retention(Some(bad)).is_err());
    }
    assert_eq!(snapshot(&dev.store), before);
    assert_eq!(dev.store.retention().unwrap(), Some(30));

    // With the setting off, even old synced work stays.
    dev.store.set_retention(None).unwrap();
    dev.clock.advance(100 * DAY);
    assert!(dev.store.purge_expired().unwrap().is_empty());

    // Emptying an event the server never accepted, the way a purge would, is caught.
    dev.store
        .db()
        .write(|tx| {
            tx.execute(
                "UPDATE events SET payload = 'null', actor_user = '', purged = 1
                 WHERE seq = (SELECT max(seq) FROM events WHERE server_seq IS NULL)",
                [],
            )?;
            Ok(())
        })
        .unwrap();
    let chain = dev.store.verify_log().unwrap();
    assert!(!chain.is_intact());
    assert!(
        chain.devices[0].problems[0].contains("purged before the server held it"),
        "{chain:?}"
    );
}
