//! Shared set-up for the integration tests: a store in a temp folder with the sample
//! K city grid and catalogue, a clock the test controls, and photo files.
#![allow(dead_code, clippy::unwrap_used, missing_docs)]

pub mod judge;

use geo::Centroid;
use gridwork_core::{
    model::Role,
    store::{ActionKind, ActionRequest, ReportDraft},
    Store,
};
use std::{
    path::{Path, PathBuf},
    sync::{
        atomic::{AtomicI64, Ordering},
        Arc,
    },
};
use tempfile::TempDir;

pub const GRID: &str = include_str!("../../../data/kcity-grid.geojson");
pub const CATALOG: &str = include_str!("../../../data/kcity-catalog.json");

/// Monday 2026-11-23 09:00 in UTC+8, a working morning.
pub const MONDAY_9AM: i64 = 1_795_395_600_000;

/// A clock the test moves by hand.
#[derive(Clone)]
pub struct TestClock(Arc<AtomicI64>);

impl TestClock {
    pub fn new(ms: i64) -> Self {
        Self(Arc::new(AtomicI64::new(ms)))
    }
    pub fn set(&self, ms: i64) {
        self.0.store(ms, Ordering::SeqCst);
    }
    pub fn advance(&self, ms: i64) {
        self.0.fetch_add(ms, Ordering::SeqCst);
    }
    pub fn get(&self) -> i64 {
        self.0.load(Ordering::SeqCst)
    }
}

pub struct Device {
    pub dir: TempDir,
    pub store: Store,
    pub clock: TestClock,
}

impl Device {
    /// A fresh store with the sample grid and catalogue, signed in as `user`.
    pub fn new(user: &str, role: Role, device: &str) -> Device {
        let dir = tempfile::tempdir().unwrap();
        let clock = TestClock::new(MONDAY_9AM);
        let c = clock.clone();
        let store =
            Store::open_with_clock(dir.path().join("store"), Arc::new(move || c.get())).unwrap();
        store.init_with_device(user, role, device).unwrap();
        store.import_grid(GRID).unwrap();
        store.import_catalog(CATALOG).unwrap();
        Device { dir, store, clock }
    }

    /// A photo file with the given content (a JPEG header then `tag`).
    pub fn photo(&self, tag: &str) -> PathBuf {
        photo_file(self.dir.path(), tag)
    }

    /// A point inside the first grid cell, and that cell's code.
    pub fn point_in_first_cell(&self) -> (f64, f64, String) {
        let grid = self.store.grid().unwrap();
        let cell = &grid.cells()[0];
        let c = cell.polygon.centroid().unwrap();
        (c.y(), c.x(), cell.code.as_str().to_string())
    }

    pub fn draft(&self, text: &str) -> ReportDraft {
        let (lat, lon, _) = self.point_in_first_cell();
        ReportDraft {
            category: "06010".into(),
            lat,
            lon,
            accuracy_m: Some(5.0),
            description: text.into(),
            address: Some("Pingjiang Rd 12".into()),
            photos: vec![self.photo(text)],
            ..ReportDraft::default()
        }
    }

    /// The department the sample catalogue sends category 06010 to.
    pub fn department(&self) -> String {
        let catalog = self.store.catalog().unwrap().unwrap();
        catalog.get("06010").unwrap().department.clone()
    }
}

pub fn photo_file(dir: &Path, tag: &str) -> PathBuf {
    let path = dir.join(format!(
        "photo-{}.jpg",
        tag.len() + tag.bytes().map(usize::from).sum::<usize>()
    ));
    let mut bytes = vec![0xFF, 0xD8, 0xFF, 0xE0];
    bytes.extend_from_slice(tag.as_bytes());
    std::fs::write(&path, bytes).unwrap();
    path
}

pub fn act(kind: ActionKind) -> ActionRequest {
    ActionRequest::new(kind)
}

pub fn with_note(kind: ActionKind, note: &str) -> ActionRequest {
    ActionRequest {
        note: Some(note.into()),
        ..ActionRequest::new(kind)
    }
}

pub fn as_role(mut req: ActionRequest, role: Role) -> ActionRequest {
    req.as_role = Some(role);
    req
}

/// A snapshot of everything in a store: every row of every table the schema has
/// (read from `sqlite_master`, so a new table, the patrol tables and the search index's
/// shadow tables are covered without listing them), then the bytes of the database file
/// and its write-ahead log, then the name and bytes of every file under the store's
/// folder (photos, temp files). A refused input must leave all of it as it was.
pub fn snapshot(store: &Store) -> Vec<String> {
    let mut out = store
        .db()
        .read(|conn| {
            let mut out = Vec::new();
            let tables: Vec<String> = conn
                .prepare(
                    "SELECT name FROM sqlite_master WHERE type = 'table' \
                     AND name NOT LIKE 'sqlite_%' ORDER BY name",
                )
                .unwrap()
                .query_map([], |r| r.get(0))
                .unwrap()
                .map(Result::unwrap)
                .collect();
            assert!(
                tables.iter().any(|t| t.starts_with("patrol")),
                "the snapshot must see the patrol tables: {tables:?}"
            );
            assert!(
                tables.iter().any(|t| t.starts_with("incidents_fts")),
                "the snapshot must see the search index: {tables:?}"
            );
            for table in tables {
                let mut stmt = conn
                    .prepare(&format!("SELECT * FROM \"{table}\" ORDER BY 1"))
                    .unwrap();
                let n = stmt.column_count();
                let rows = stmt
                    .query_map([], |r| {
                        let mut s = String::new();
                        for i in 0..n {
                            s.push_str(&format!("{:?}|", r.get_ref(i)?));
                        }
                        Ok(s)
                    })
                    .unwrap();
                for row in rows {
                    out.push(format!("{table}: {}", row.unwrap()));
                }
            }
            Ok(out)
        })
        .unwrap();
    out.extend(file_bytes(store.dir()));
    out
}

/// Every file under `dir` (recursively, sorted) with a digest of its bytes. The SQLite
/// shared-memory index (`-shm`) is left out: readers write to it.
pub fn file_bytes(dir: &Path) -> Vec<String> {
    use sha2::{Digest, Sha256};
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else if !path.to_string_lossy().ends_with("-shm") {
                let bytes = std::fs::read(&path).unwrap();
                let rel = path
                    .strip_prefix(dir)
                    .unwrap()
                    .to_string_lossy()
                    .into_owned();
                let digest: String = Sha256::digest(&bytes)
                    .iter()
                    .map(|b| format!("{b:02x}"))
                    .collect();
                out.push(format!("file {rel}: {} bytes, {digest}", bytes.len()));
            }
        }
    }
    out.sort();
    out
}

/// A store file's schema (`sqlite_master`, whitespace normalised, by name), for
/// comparing an upgraded store with a fresh one.
pub fn schema_of(path: &std::path::Path) -> Vec<(String, String)> {
    let conn = rusqlite::Connection::open(path).unwrap();
    let mut stmt = conn
        .prepare("SELECT name, sql FROM sqlite_master WHERE sql IS NOT NULL ORDER BY name")
        .unwrap();
    stmt.query_map([], |r| Ok((r.get(0)?, r.get::<_, String>(1)?)))
        .unwrap()
        .map(|r| {
            let (name, sql) = r.unwrap();
            (name, sql.split_whitespace().collect::<Vec<_>>().join(" "))
        })
        .collect()
}
