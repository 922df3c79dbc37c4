//! Photos both ways, against the reference server on loopback (docs/photos.md): a
//! worker reports with camera photos, which the store scales down, gives thumbnails
//! and takes out of the camera's temporary files; a supervisor's device pulls the case
//! and gets the thumbnails, opens one photo full size (resumed after a cut connection,
//! and through a proxy that breaks answers), never downloads what it holds again,
//! refuses a photo whose bytes do not match its name, asks again for a photo the
//! server lacks only after a wait, and the cache's budget evicts synced photos only.
#![allow(clippy::unwrap_used, missing_docs)]

use gridwork_core::{
    model::Role,
    store::{PhotoSettings, PhotoState},
    sync::{
        self, CancelToken, HttpRequest, HttpResponse, SyncError, Transport, TransportError,
        DOWNLOAD_CHUNK, MISSING_PHOTO_RETRY_MS,
    },
    Store,
};
use gridwork_tests::{fault_proxy::FaultProxy, http, Device, TestServer};
use sha2::{Digest, Sha256};
use std::{
    path::{Path, PathBuf},
    sync::{
        atomic::{AtomicI64, Ordering},
        Arc, Mutex,
    },
};

const STREET: &str = "320508001";

/// A camera's JPEG of `w`×`h` pixels of noise (so it compresses badly and is large).
fn camera_jpeg(dir: &Path, name: &str, w: u32, h: u32, seed: u32) -> PathBuf {
    let mut state = seed.wrapping_mul(2_654_435_761).max(1);
    let img = image::RgbImage::from_fn(w, h, |x, y| {
        state ^= state << 13;
        state ^= state >> 17;
        state ^= state << 5;
        let [a, b, c, _] = state.to_le_bytes();
        image::Rgb([a ^ (x % 256) as u8, b ^ (y % 256) as u8, c])
    });
    let path = dir.join(name);
    img.save_with_format(&path, image::ImageFormat::Jpeg)
        .unwrap();
    path
}

/// Width and height of an image file (named by its hash: no extension to go by).
fn dimensions(path: &Path) -> (u32, u32) {
    image::ImageReader::open(path)
        .unwrap()
        .with_guessed_format()
        .unwrap()
        .into_dimensions()
        .unwrap()
}

fn sha_of(path: &Path) -> String {
    hex::encode(Sha256::digest(std::fs::read(path).unwrap()))
}

/// The real HTTP transport, noting the `Range` of every blob `GET`; it cuts the
/// connection on the blob `GET` numbered `cut_at` (1-based), when set.
#[derive(Default)]
struct Watched {
    ranges: Mutex<Vec<String>>,
    cut_at: Option<usize>,
}

impl Watched {
    fn ranges(&self) -> Vec<String> {
        self.ranges.lock().unwrap().clone()
    }
}

impl Transport for Watched {
    fn send(&self, request: &HttpRequest) -> Result<HttpResponse, TransportError> {
        if request.url.contains("/v1/blobs/") && request.method == sync::Method::Get {
            let n = {
                let mut ranges = self.ranges.lock().unwrap();
                ranges.push(request.header("Range").unwrap_or("").to_string());
                ranges.len()
            };
            if self.cut_at == Some(n) {
                return Err(TransportError::Interrupted("cut by the test".into()));
            }
        }
        http().send(request)
    }
}

fn worker_with_photos(server: &TestServer) -> (Device, Vec<String>) {
    let li = Device::new("li", Role::Worker, "phone-li");
    li.login(server, &server.account("li", Role::Worker, STREET));
    li.store
        .set_photo_settings(&PhotoSettings {
            max_edge: 1024,
            remove_sources: true,
            ..PhotoSettings::default()
        })
        .unwrap();
    let shots = vec![
        camera_jpeg(li.dir.path(), "cam-1.jpg", 1600, 1200, 1),
        camera_jpeg(li.dir.path(), "cam-2.jpg", 900, 700, 2),
    ];
    let mut draft = li.draft("manhole cover missing");
    draft.photos = shots.clone();
    let id = li.store.report(&draft).unwrap();
    // The camera's temporary files are gone once the report holds its copies.
    for shot in &shots {
        assert!(!shot.exists(), "{} was left behind", shot.display());
    }
    let case = li.store.case(id).unwrap().case;
    let shas: Vec<String> = case.photos.iter().map(|p| p.sha256.clone()).collect();
    // Scaled down to the store's maximum edge (the smaller one kept its size), each
    // with a thumbnail.
    let first = li.store.photo(&shas[0]).unwrap();
    assert_eq!(first.state, PhotoState::Local);
    assert_eq!(dimensions(first.path.as_ref().unwrap()), (1024, 768));
    let second = li.store.photo(&shas[1]).unwrap();
    assert_eq!(dimensions(second.path.as_ref().unwrap()), (900, 700));
    for p in &case.photos {
        assert!(p.thumb.is_some(), "photo {} has no thumbnail", p.sha256);
    }
    let report = li.sync();
    assert_eq!(report.error, None);
    // Two photos and two thumbnails went up.
    assert_eq!(report.uploaded_photos, 4);
    (li, shas)
}

#[test]
fn a_supervisor_sees_a_workers_photos_thumbnails_first_then_full_size_resumed() {
    let server = TestServer::start();
    let (_li, shas) = worker_with_photos(&server);

    let wang = Device::new("wang", Role::Supervisor, "phone-wang");
    wang.login(&server, &server.account("wang", Role::Supervisor, "*"));
    let report = wang.sync();
    assert_eq!(report.error, None);
    assert_eq!(report.downloaded_thumbnails, 2);
    for sha in &shas {
        let view = wang.store.photo(sha).unwrap();
        assert_eq!(view.state, PhotoState::ThumbnailOnly);
        assert_eq!(view.path, None);
        let (w, h) = dimensions(view.thumbnail.as_ref().unwrap());
        assert!(w.max(h) <= 320, "a thumbnail of {w}x{h}");
    }

    // Full size on demand; the connection is cut during the second chunk.
    let size = wang.store.photo(&shas[0]).unwrap().size.unwrap();
    assert!(
        size > 2 * DOWNLOAD_CHUNK,
        "a photo of {size} bytes needs no resuming"
    );
    let cutting = Watched {
        cut_at: Some(2),
        ..Watched::default()
    };
    let cancel = CancelToken::new();
    let err = sync::fetch_photo(&wang.store, &cutting, &shas[0], &cancel).unwrap_err();
    assert!(matches!(err, SyncError::Transport(_)), "{err:?}");
    assert_eq!(
        wang.store.photo(&shas[0]).unwrap().state,
        PhotoState::Downloading
    );
    let resumed = Watched::default();
    let path = sync::fetch_photo(&wang.store, &resumed, &shas[0], &cancel).unwrap();
    assert_eq!(
        resumed.ranges()[0],
        format!("bytes={DOWNLOAD_CHUNK}-{}", 2 * DOWNLOAD_CHUNK - 1),
        "the download did not resume where it was cut"
    );
    assert_eq!(sha_of(&path), shas[0]);
    let view = wang.store.photo(&shas[0]).unwrap();
    assert_eq!(view.state, PhotoState::Local);
    assert_eq!(view.path.as_deref(), Some(path.as_path()));

    // What the device holds is never downloaded again.
    let again = Watched::default();
    sync::fetch_photo(&wang.store, &again, &shas[0], &cancel).unwrap();
    let report = wang.sync_with(&again);
    assert_eq!(report.downloaded_thumbnails, 0);
    assert!(again.ranges().is_empty(), "{:?}", again.ranges());
}

#[test]
fn a_download_through_a_proxy_that_breaks_answers_completes_intact() {
    let server = TestServer::start();
    let (_li, shas) = worker_with_photos(&server);
    let proxy = FaultProxy::start(server.addr, 13, 60);
    proxy.set_faults(false);
    let wang = Device::new("wang", Role::Supervisor, "phone-wang");
    wang.login_at(&proxy.url(), &server.account("wang", Role::Supervisor, "*"));
    assert_eq!(wang.sync().error, None);
    proxy.set_faults(true);
    let cancel = CancelToken::new();
    let mut fetched = None;
    for _ in 0..200 {
        match sync::fetch_photo(&wang.store, &http(), &shas[0], &cancel) {
            Ok(path) => {
                fetched = Some(path);
                break;
            }
            Err(e) => assert!(
                !matches!(e, SyncError::Store(_)),
                "a broken answer hurt the store: {e}"
            ),
        }
    }
    proxy.set_faults(false);
    let path = fetched.expect("the photo never came down");
    assert_eq!(sha_of(&path), shas[0]);
    assert!(
        proxy.counts().len() > 1,
        "the proxy broke nothing: {:?}",
        proxy.counts()
    );
}

#[test]
fn a_corrupted_blob_is_refused_and_never_shown() {
    let server = TestServer::start();
    let (_li, shas) = worker_with_photos(&server);
    // The server's copy rots: same size, other bytes.
    let blob = server.dir.path().join("blobs").join(&shas[1]);
    let len = std::fs::metadata(&blob).unwrap().len() as usize;
    std::fs::write(&blob, vec![0x5a; len]).unwrap();

    let wang = Device::new("wang", Role::Supervisor, "phone-wang");
    wang.login(&server, &server.account("wang", Role::Supervisor, "*"));
    wang.sync();
    let watched = Watched::default();
    let err = sync::fetch_photo(&wang.store, &watched, &shas[1], &CancelToken::new()).unwrap_err();
    assert!(matches!(err, SyncError::Unexpected(_)), "{err:?}");
    // Tried again from scratch once, then given up; nothing left under its name.
    assert!(
        watched
            .ranges()
            .iter()
            .filter(|r| r.starts_with("bytes=0-"))
            .count()
            == 2
    );
    let view = wang.store.photo(&shas[1]).unwrap();
    assert_eq!(view.state, PhotoState::ThumbnailOnly);
    assert_eq!(view.path, None);
    let leftovers: Vec<_> = std::fs::read_dir(wang.store.photos_dir())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
        .filter(|n| n.contains(&shas[1]))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[test]
fn the_cache_budget_evicts_synced_photos_and_keeps_unsynced_ones() {
    let server = TestServer::start();
    let (li, synced) = worker_with_photos(&server);
    // A second report, not synced yet.
    let mut draft = li.draft("bench broken");
    draft.photos = vec![camera_jpeg(li.dir.path(), "cam-3.jpg", 800, 600, 3)];
    let id = li.store.report(&draft).unwrap();
    let pending = li.store.case(id).unwrap().case.photos[0].clone();

    let settings = li.store.photo_settings().unwrap();
    li.store
        .set_photo_settings(&PhotoSettings {
            cache_budget_bytes: 0,
            ..settings
        })
        .unwrap();
    for sha in &synced {
        assert_eq!(li.store.photo(sha).unwrap().state, PhotoState::Missing);
    }
    let kept = li.store.photo(&pending.sha256).unwrap();
    assert_eq!(kept.state, PhotoState::Local);
    assert!(kept.thumbnail.unwrap().is_file());

    // Uploaded, the photo may go as well; an evicted one comes back on demand.
    let report = li.sync();
    assert_eq!(report.uploaded_photos, 2);
    // No room for thumbnails in a budget of 0: none comes down to be evicted again.
    assert_eq!(report.downloaded_thumbnails, 0);
    assert_eq!(
        li.store.photo(&pending.sha256).unwrap().state,
        PhotoState::Missing
    );
    let path = sync::fetch_photo(&li.store, &http(), &synced[0], &CancelToken::new()).unwrap();
    assert_eq!(sha_of(&path), synced[0]);
}

/// A photo no case of the store names is not looked for.
#[test]
fn a_photo_no_case_names_is_not_fetched() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    store.init("li", Role::Worker).unwrap();
    let err = sync::fetch_photo(&store, &http(), &"a".repeat(64), &CancelToken::new()).unwrap_err();
    assert!(
        matches!(err, SyncError::Store(gridwork_core::Error::NotFound { .. })),
        "{err:?}"
    );
}

/// The real HTTP transport that loses every photo upload (the device's photos stay
/// pending; its events go through).
struct NoPhotoUploads;

impl Transport for NoPhotoUploads {
    fn send(&self, request: &HttpRequest) -> Result<HttpResponse, TransportError> {
        if request.url.contains("/v1/blobs/") && request.method != sync::Method::Get {
            return Err(TransportError::Interrupted(
                "photo upload lost by the test".into(),
            ));
        }
        http().send(request)
    }
}

/// A case whose photos the server does not hold yet (its worker's phone has not
/// uploaded them): a supervisor's tablet asks for their thumbnails once, then not at
/// each sync, and again after a wait, when the photos are there.
#[test]
fn a_photo_the_server_lacks_is_asked_for_again_only_after_a_wait() {
    let server = TestServer::start();
    let li = Device::new("li", Role::Worker, "phone-li");
    li.login(&server, &server.account("li", Role::Worker, STREET));
    let mut draft = li.draft("rubbish heap");
    draft.photos = vec![
        camera_jpeg(li.dir.path(), "cam-1.jpg", 640, 480, 3),
        camera_jpeg(li.dir.path(), "cam-2.jpg", 640, 480, 4),
    ];
    li.store.report(&draft).unwrap();
    let report = li.sync_with(&NoPhotoUploads);
    assert_eq!(
        (report.pushed, report.uploaded_photos),
        (1, 0),
        "{report:?}"
    );

    let now = Arc::new(AtomicI64::new(gridwork_core::store::system_now_ms()));
    let clock = now.clone();
    let wang = Device::with_clock(
        "wang",
        Role::Supervisor,
        "tablet-wang",
        Arc::new(move || clock.load(Ordering::SeqCst)),
    );
    wang.login(&server, &server.account("wang", Role::Supervisor, "*"));
    let first = Watched::default();
    let report = wang.sync_with(&first);
    assert_eq!((report.pulled, report.downloaded_thumbnails), (1, 0));
    assert_eq!(first.ranges().len(), 2, "one try for each thumbnail");

    // The next syncs do not ask again while the wait runs.
    for _ in 0..3 {
        now.fetch_add(10_000, Ordering::SeqCst);
        let again = Watched::default();
        let report = wang.sync_with(&again);
        assert_eq!(report.error, None);
        assert!(
            again.ranges().is_empty(),
            "asked again: {:?}",
            again.ranges()
        );
    }

    // The worker's phone uploads them; after the wait the tablet gets both.
    let report = li.sync();
    assert_eq!(report.uploaded_photos, 4, "{report:?}");
    now.fetch_add(MISSING_PHOTO_RETRY_MS, Ordering::SeqCst);
    let report = wang.sync();
    assert_eq!(report.downloaded_thumbnails, 2, "{report:?}");
    let cases = wang.cases();
    for p in &cases[0].photos {
        assert_eq!(
            wang.store.photo(&p.sha256).unwrap().state,
            PhotoState::ThumbnailOnly
        );
    }
    // Nothing is wanted any more: a later sync asks for nothing.
    now.fetch_add(10 * MISSING_PHOTO_RETRY_MS, Ordering::SeqCst);
    let after = Watched::default();
    wang.sync_with(&after);
    assert!(after.ranges().is_empty(), "{:?}", after.ranges());
}
