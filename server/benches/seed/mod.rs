//! Seeds a server database with many cases over the sample city (issue 9's figures):
//! shared by `--bench evaluation` and `--example seed_cases` (the console map harness).
//!
//! Every report is a real event pushed through `Storage::push`, so the case view, its
//! columns and the server's cell are the server's own. Reports fall at points inside the
//! sample city's 60 cells, busier cells getting up to five times the reports of quiet
//! ones; three workers report (one per street), a supervisor registers and dispatches
//! four in ten (their deadlines run by the server's calendar from the tablet's clock,
//! so many are overdue), and every fourth report carries one of a few real PNG photos.
#![allow(dead_code)]

use gridwork_core::{
    clock::Hlc,
    geo::Grid,
    model::{
        Action, Actor, Event, IncidentEvent, PhotoRef, Report, Role, Stream, Urgency, GENESIS_HASH,
    },
};
use gridwork_server::{admin, storage::Storage};
use sha2::{Digest, Sha256};
use std::path::Path;
use uuid::Uuid;

pub const GRID: &str = include_str!("../../../data/kcity-grid.geojson");
pub const CATALOG: &str = include_str!("../../../data/kcity-catalog.json");
/// Events per push.
const BATCH: usize = 1_000;

/// A small deterministic generator (xorshift64*), so a seed gives the same city.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    /// Uniform in [0, 1).
    pub fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

struct Chain {
    id: String,
    actor: Actor,
    seq: u64,
    prev: String,
    wall: i64,
}

impl Chain {
    fn new(id: &str, user: &str, role: Role, wall: i64) -> Self {
        Chain {
            id: id.into(),
            actor: Actor::new(user, role),
            seq: 0,
            prev: GENESIS_HASH.into(),
            wall,
        }
    }
    fn event(&mut self, stream: Stream, ev: IncidentEvent) -> Event {
        self.seq += 1;
        self.wall += 7;
        let e = Event {
            id: Uuid::now_v7(),
            stream,
            kind: ev.kind().into(),
            hlc: Hlc::new(self.wall, 0),
            device_id: self.id.clone(),
            actor: self.actor.clone(),
            device_seq: self.seq,
            prev_hash: self.prev.clone(),
            payload: ev.payload(),
            server_seq: None,
            signature: None,
        };
        self.prev = e.hash();
        e
    }
}

/// A `w`×`h` PNG of one colour (stored, uncompressed deflate blocks).
pub fn png(w: u32, h: u32, rgb: [u8; 3]) -> Vec<u8> {
    fn crc(data: &[u8]) -> u32 {
        let mut c = 0xFFFF_FFFFu32;
        for &b in data {
            c ^= u32::from(b);
            for _ in 0..8 {
                c = if c & 1 != 0 {
                    0xEDB8_8320 ^ (c >> 1)
                } else {
                    c >> 1
                };
            }
        }
        !c
    }
    fn chunk(out: &mut Vec<u8>, kind: &[u8], data: &[u8]) {
        out.extend((data.len() as u32).to_be_bytes());
        let mut body = kind.to_vec();
        body.extend(data);
        out.extend(&body);
        out.extend(crc(&body).to_be_bytes());
    }
    // Each row: filter type 0, then the pixels.
    let row: Vec<u8> = std::iter::once(0).chain((0..w).flat_map(|_| rgb)).collect();
    let raw: Vec<u8> = (0..h).flat_map(|_| row.iter().copied()).collect();
    let mut z = vec![0x78, 0x01];
    for (i, block) in raw.chunks(65_535).enumerate() {
        let last = (i + 1) * 65_535 >= raw.len();
        z.push(u8::from(last));
        z.extend((block.len() as u16).to_le_bytes());
        z.extend((!(block.len() as u16)).to_le_bytes());
        z.extend(block);
    }
    let (mut a, mut b) = (1u32, 0u32);
    for &x in &raw {
        a = (a + u32::from(x)) % 65_521;
        b = (b + a) % 65_521;
    }
    z.extend(((b << 16) | a).to_be_bytes());
    let mut ihdr = Vec::new();
    ihdr.extend(w.to_be_bytes());
    ihdr.extend(h.to_be_bytes());
    ihdr.extend([8, 2, 0, 0, 0]);
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    chunk(&mut out, b"IHDR", &ihdr);
    chunk(&mut out, b"IDAT", &z);
    chunk(&mut out, b"IEND", &[]);
    out
}

/// What was seeded.
pub struct Seeded {
    /// The supervisor (scope everywhere) and its password.
    pub user: &'static str,
    pub password: &'static str,
    /// Photos written to the blob folder: (SHA-256, bytes).
    pub photos: Vec<(String, Vec<u8>)>,
}

/// Loads the sample city, creates the accounts and pushes `cases` reports (and the
/// supervisor's steps) into `s`; writes the photos into `blobs` when given.
pub async fn seed(s: &dyn Storage, cases: usize, seed: u64, blobs: Option<&Path>) -> Seeded {
    admin::import_grid(s, GRID).await.expect("grid");
    admin::import_catalog(s, CATALOG).await.expect("catalog");
    let grid = Grid::from_geojson(GRID).expect("grid");
    let streets = ["320508001", "320508002", "320508003"];
    let workers = ["li", "zhao", "sun"];
    for (w, street) in workers.iter().zip(streets) {
        admin::add_user(s, w, Role::Worker, street, None)
            .await
            .expect("worker");
    }
    admin::add_user(s, "wang", Role::Supervisor, "*", Some("seed-pass-wang"))
        .await
        .expect("supervisor");
    let photos: Vec<(String, Vec<u8>)> =
        [[200, 80, 60], [60, 140, 90], [70, 90, 180], [190, 170, 60]]
            .iter()
            .map(|&rgb| {
                let bytes = png(48, 48, rgb);
                (hex::encode(Sha256::digest(&bytes)), bytes)
            })
            .collect();
    if let Some(dir) = blobs {
        std::fs::create_dir_all(dir).expect("blob folder");
        for (sha, bytes) in &photos {
            std::fs::write(dir.join(sha), bytes).expect("photo");
        }
    }
    let mut rng = Rng::new(seed);
    let cells = grid.cells();
    // Busier and quieter cells: weights 1 to 5.
    let weights: Vec<usize> = (0..cells.len()).map(|_| 1 + rng.below(5)).collect();
    let total: usize = weights.iter().sum();
    let start = 1_767_000_000_000;
    let mut phones: Vec<Chain> = workers
        .iter()
        .map(|w| Chain::new(&format!("phone-{w}"), w, Role::Worker, start))
        .collect();
    let mut tablet = Chain::new("tablet-wang", "wang", Role::Supervisor, start);
    let mut reports: Vec<Vec<Event>> = vec![Vec::new(); 3];
    let mut steps = Vec::new();
    let accounts = futures_accounts(s, &workers).await;
    let wang = s.account("wang").await.expect("db").expect("wang");
    for i in 0..cases {
        let mut pick = rng.below(total);
        let mut c = 0;
        while pick >= weights[c] {
            pick -= weights[c];
            c += 1;
        }
        let cell = &cells[c];
        let (mut lo, mut hi) = ((f64::MAX, f64::MAX), (f64::MIN, f64::MIN));
        for p in cell.polygon.exterior().coords() {
            lo = (lo.0.min(p.x), lo.1.min(p.y));
            hi = (hi.0.max(p.x), hi.1.max(p.y));
        }
        let code = cell.code.as_str().to_string();
        let mut point = (lo.1 + (hi.1 - lo.1) / 2.0, lo.0 + (hi.0 - lo.0) / 2.0);
        for _ in 0..30 {
            let (lat, lon) = (
                lo.1 + rng.unit() * (hi.1 - lo.1),
                lo.0 + rng.unit() * (hi.0 - lo.0),
            );
            if grid.locate(lat, lon).map(|x| x.code.as_str()) == Some(code.as_str()) {
                point = (lat, lon);
                break;
            }
        }
        let street = streets
            .iter()
            .position(|s| code.starts_with(s))
            .unwrap_or(0);
        let photo = (i % 4 == 0).then(|| {
            let (sha, bytes) = &photos[rng.below(photos.len())];
            PhotoRef {
                sha256: sha.clone(),
                size: bytes.len() as u64,
                mime: "image/png".into(),
                thumb: None,
            }
        });
        let stream = Stream::Incident(Uuid::now_v7());
        let report = IncidentEvent::Reported(Report {
            category: ["06010", "06011", "01001", "02003"][i % 4].into(),
            lat: point.0,
            lon: point.1,
            accuracy_m: Some(5.0),
            description: if i % 7 == 0 {
                format!("暴露垃圾堆在桥边 #{i}")
            } else {
                format!("overflowing bin #{i}")
            },
            address: Some("Pingjiang Rd".into()),
            urgency: Urgency::Normal,
            photos: photo.into_iter().collect(),
            cell: Some(code.clone()),
            patrol: None,
        });
        reports[street].push(phones[street].event(stream, report));
        if rng.below(10) < 4 {
            steps.push(tablet.event(
                stream,
                IncidentEvent::Acted(Action::Register { note: None }),
            ));
            steps.push(tablet.event(
                stream,
                IncidentEvent::Acted(Action::Dispatch {
                    department: "sanitation".into(),
                    deadline_ms: start + 30 * 86_400_000,
                    note: None,
                }),
            ));
        }
    }
    for (street, events) in reports.into_iter().enumerate() {
        for batch in events.chunks(BATCH) {
            s.push(&accounts[street], batch.to_vec())
                .await
                .expect("push");
        }
    }
    for batch in steps.chunks(BATCH) {
        s.push(&wang, batch.to_vec()).await.expect("push");
    }
    Seeded {
        user: "wang",
        password: "seed-pass-wang",
        photos,
    }
}

async fn futures_accounts(
    s: &dyn Storage,
    users: &[&str],
) -> Vec<gridwork_server::account::Account> {
    let mut out = Vec::new();
    for u in users {
        out.push(s.account(u).await.expect("db").expect("account"));
    }
    out
}
