//! The generated city every case works on: incident reports with varied Chinese and
//! English texts at points inside the sample grid's cells, photos referenced by hash,
//! and the events that carry them, each worker's phone with its own hash chain.
//!
//! Deterministic: the same seed gives the same records in every child process, so the
//! gridwork, plain-SQLite, Automerge and Yrs cases work on the same data. The generator
//! is the server benches' xorshift64* (server/benches/seed).

use gridwork_core::{
    clock::Hlc,
    geo::Grid,
    model::{
        signing::DeviceKey, Actor, Event, IncidentEvent, PhotoRef, Report, Role, Stream, Urgency,
        GENESIS_HASH,
    },
};
use sha2::{Digest, Sha256};
use uuid::Uuid;

/// The sample grid.
pub const GRID: &str = include_str!("../../data/kcity-grid.geojson");
/// The sample catalogue.
pub const CATALOG: &str = include_str!("../../data/kcity-catalog.json");
/// The seed of every run.
pub const SEED: u64 = 12;
/// 2026-11-20 08:00 +08:00, the first report's clock.
pub const T0: i64 = 1_795_622_400_000;

/// A small deterministic generator (xorshift64*, as server/benches/seed).
pub struct Rng(u64);

impl Rng {
    /// A generator for `seed`.
    pub fn new(seed: u64) -> Self {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }
    /// The next 64 bits.
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
    /// Uniform in [0, n).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    /// One of `items`.
    pub fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }
}

const ZH_WHAT: &[&str] = &[
    "暴露垃圾",
    "井盖缺失",
    "路灯不亮",
    "共享单车乱停放",
    "占道经营",
    "人行道破损",
    "违章停车",
    "绿化带被踩踏",
    "乱贴小广告",
    "污水外溢",
    "垃圾桶满溢",
    "施工围挡倒塌",
];
const ZH_WHERE: &[&str] = &[
    "平江路桥边",
    "观前街口",
    "十全街菜场门口",
    "人民路公交站旁",
    "干将路地铁口",
    "凤凰街小区南门",
    "临顿路十字路口",
    "仓街停车场",
];
const ZH_MORE: &[&str] = &[
    "，已持续三天",
    "，影响行人通行",
    "，居民多次投诉",
    "，夜间尤其严重",
    "，需尽快处理",
    "",
    "，现场已拍照",
];
const EN_WHAT: &[&str] = &[
    "Overflowing bin",
    "Missing manhole cover",
    "Street light out",
    "Shared bikes blocking the pavement",
    "Unlicensed stall on the footpath",
    "Broken paving slabs",
    "Car parked on the crossing",
    "Flattened hedge",
    "Fly-posting on the bridge railing",
    "Sewage on the road",
];
const EN_WHERE: &[&str] = &[
    "by the Pingjiang Road bridge",
    "at the Guanqian Street corner",
    "outside the Shiquan Street market",
    "next to the Renmin Road bus stop",
    "at exit 3 of Ganjiang Road station",
    "at the south gate of Fenghuang estate",
];
const EN_MORE: &[&str] = &[
    ", third day running",
    ", pedestrians walking in the road",
    ", residents have complained",
    ", worse after dark",
    "",
    ", photo taken",
    ", needs a crew with a van",
];
const ADDRESSES: &[&str] = &[
    "平江路 128 号",
    "Guanqian St 56",
    "十全街 301 号",
    "Renmin Rd 1021",
    "干将东路 88 号",
    "凤凰街 17 弄",
    "Lindun Rd / Ganjiang Rd",
    "仓街 9 号",
];
const CATEGORIES: &[&str] = &["06010", "06011", "01001", "02003"];

/// One generated report, as the peers store it.
#[derive(Debug, Clone)]
pub struct Record {
    /// The case id.
    pub id: Uuid,
    /// Index of the reporting worker.
    pub worker: usize,
    /// Category code.
    pub category: &'static str,
    /// Position.
    pub lat: f64,
    /// Position.
    pub lon: f64,
    /// The grid cell.
    pub cell: String,
    /// What the worker wrote.
    pub description: String,
    /// Where.
    pub address: String,
    /// Urgent or not.
    pub urgent: bool,
    /// Photos by SHA-256 (hex) and size.
    pub photos: Vec<(String, u64)>,
    /// The phone's clock.
    pub time_ms: i64,
}

/// A cell: its code and its bounding box (lower-left and upper-right `(lon, lat)`).
type CellBox = (String, (f64, f64), (f64, f64));

/// The generator of a city's reports, in order.
pub struct City {
    rng: Rng,
    grid: Grid,
    cells: Vec<CellBox>,
    weights: Vec<usize>,
    total: usize,
    n: usize,
}

impl City {
    /// The city of [`SEED`].
    pub fn new() -> City {
        let grid = Grid::from_geojson(GRID).expect("the sample grid parses");
        let mut rng = Rng::new(SEED);
        let cells: Vec<_> = grid
            .cells()
            .iter()
            .map(|cell| {
                let (mut lo, mut hi) = ((f64::MAX, f64::MAX), (f64::MIN, f64::MIN));
                for p in cell.polygon.exterior().coords() {
                    lo = (lo.0.min(p.x), lo.1.min(p.y));
                    hi = (hi.0.max(p.x), hi.1.max(p.y));
                }
                (cell.code.as_str().to_string(), lo, hi)
            })
            .collect();
        // Busier and quieter cells: weights 1 to 5.
        let weights: Vec<usize> = (0..cells.len()).map(|_| 1 + rng.below(5)).collect();
        let total = weights.iter().sum();
        City {
            rng,
            grid,
            cells,
            weights,
            total,
            n: 0,
        }
    }

    /// The next report, by one of `workers` workers.
    pub fn record(&mut self, workers: usize) -> Record {
        let rng = &mut self.rng;
        let mut pick = rng.below(self.total);
        let mut c = 0;
        while pick >= self.weights[c] {
            pick -= self.weights[c];
            c += 1;
        }
        let (code, lo, hi) = &self.cells[c];
        let mut point = (lo.1 + (hi.1 - lo.1) / 2.0, lo.0 + (hi.0 - lo.0) / 2.0);
        for _ in 0..30 {
            let (lat, lon) = (
                lo.1 + rng.unit() * (hi.1 - lo.1),
                lo.0 + rng.unit() * (hi.0 - lo.0),
            );
            if self.grid.locate(lat, lon).map(|x| x.code.as_str()) == Some(code.as_str()) {
                point = (lat, lon);
                break;
            }
        }
        let description = if rng.below(10) < 6 {
            format!(
                "{}{}{}",
                rng.pick(ZH_WHERE),
                rng.pick(ZH_WHAT),
                rng.pick(ZH_MORE)
            )
        } else {
            format!(
                "{} {}{}",
                rng.pick(EN_WHAT),
                rng.pick(EN_WHERE),
                rng.pick(EN_MORE)
            )
        };
        // Two in three reports carry photos (one to three), referenced by hash.
        let photos = (0..[0, 1, 1, 2, 3, 0][rng.below(6)])
            .map(|k| {
                let sha = hex::encode(Sha256::digest(format!("photo {} {k}", self.n)));
                (sha, 180_000 + rng.below(700_000) as u64)
            })
            .collect();
        let n = self.n;
        self.n += 1;
        Record {
            id: Uuid::from_u64_pair(0x0190_0000_0000_7000 | (n as u64 >> 32), rng.next()),
            worker: rng.below(workers.max(1)),
            category: CATEGORIES[rng.below(CATEGORIES.len())],
            lat: point.0,
            lon: point.1,
            cell: code.clone(),
            description,
            address: rng.pick(ADDRESSES).to_string(),
            urgent: rng.below(12) == 0,
            photos,
            time_ms: T0 + n as i64 * 4_000,
        }
    }

    /// The next `n` reports by `workers` workers.
    pub fn records(&mut self, n: usize, workers: usize) -> Vec<Record> {
        (0..n).map(|_| self.record(workers)).collect()
    }
}

impl Default for City {
    fn default() -> Self {
        City::new()
    }
}

/// The report event of `r` (no chain yet).
pub fn report(r: &Record) -> IncidentEvent {
    IncidentEvent::Reported(Report {
        category: r.category.into(),
        lat: r.lat,
        lon: r.lon,
        accuracy_m: Some(5.0),
        description: r.description.clone(),
        address: Some(r.address.clone()),
        urgency: if r.urgent {
            Urgency::Urgent
        } else {
            Urgency::Normal
        },
        photos: r
            .photos
            .iter()
            .map(|(sha, size)| PhotoRef {
                sha256: sha.clone(),
                size: *size,
                mime: "image/jpeg".into(),
                thumb: None,
            })
            .collect(),
        cell: Some(r.cell.clone()),
        patrol: None,
    })
}

/// A device's hash chain, its events signed when it has a key.
pub struct Chain {
    /// Device id.
    pub device: String,
    actor: Actor,
    seq: u64,
    prev: String,
    key: Option<DeviceKey>,
}

impl Chain {
    /// A new chain for `user` on `device`.
    pub fn new(device: &str, user: &str, role: Role) -> Chain {
        Chain {
            device: device.into(),
            actor: Actor::new(user, role),
            seq: 0,
            prev: GENESIS_HASH.into(),
            key: None,
        }
    }

    /// A new chain whose events are signed, as a phone signs them (docs/signing.md),
    /// with a key derived from `seed` (the same key in every run).
    pub fn signed(device: &str, user: &str, role: Role, seed: u64) -> Chain {
        let mut rng = Rng::new(seed);
        let secret: String = (0..4).map(|_| format!("{:016x}", rng.next())).collect();
        Chain {
            key: Some(DeviceKey::from_hex(&secret).expect("a 32-byte seed")),
            ..Chain::new(device, user, role)
        }
    }

    /// The next event of the chain.
    pub fn event(
        &mut self,
        stream: Stream,
        kind: &str,
        payload: serde_json::Value,
        hlc: Hlc,
    ) -> Event {
        self.seq += 1;
        let mut e = Event {
            id: Uuid::now_v7(),
            stream,
            kind: kind.into(),
            hlc,
            device_id: self.device.clone(),
            actor: self.actor.clone(),
            device_seq: self.seq,
            prev_hash: self.prev.clone(),
            payload,
            server_seq: None,
            signature: None,
        };
        if let Some(key) = &self.key {
            key.sign(&mut e);
        }
        self.prev = e.hash();
        e
    }

    /// The report event of `r` on this chain.
    pub fn report(&mut self, r: &Record) -> Event {
        let ev = report(r);
        self.event(
            Stream::Incident(r.id),
            ev.kind(),
            ev.payload(),
            Hlc::new(r.time_ms, 0),
        )
    }
}

/// The user name of worker `i`.
pub fn worker(i: usize) -> String {
    format!("w{i:02}")
}
