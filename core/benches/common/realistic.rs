//! Realistic sync traffic for the wire benchmark and the dictionary trainer: signed,
//! hash-chained incident reports from many devices, with Chinese and English texts and
//! photos referenced by hash, as a pull page or a push body carries them. Seeded, so a
//! run is repeatable; the dictionary is trained on one seed and measured on others.

use gridwork_core::{
    clock::Hlc,
    model::{
        signing::DeviceKey, Actor, Event, IncidentEvent, PhotoRef, Report, Role, Stream, Urgency,
        GENESIS_HASH,
    },
};
use uuid::Uuid;

const ZH_WHAT: &[&str] = &[
    "垃圾堆放",
    "井盖缺失",
    "路灯不亮",
    "占道经营",
    "共享单车乱停放",
    "绿化带损坏",
    "污水外溢",
    "违章搭建",
    "小广告张贴",
    "道路破损",
    "积水",
    "施工围挡倒塌",
    "垃圾桶满溢",
    "违规停车",
    "树木倒伏",
];
const ZH_WHERE: &[&str] = &[
    "桥边",
    "小区门口",
    "公交站旁",
    "人行道上",
    "河道边",
    "菜场附近",
    "学校门口",
    "路口东侧",
    "地铁站出口",
    "停车场内",
];
const ZH_MORE: &[&str] = &[
    "",
    "，已持续两天",
    "，影响行人通行",
    "，居民多次投诉",
    "，需尽快处理",
    "，现场已拍照",
    "，面积约三平方米",
    "，存在安全隐患",
];
const EN_WHAT: &[&str] = &[
    "exposed rubbish",
    "missing manhole cover",
    "street light out",
    "illegal street stall",
    "shared bikes blocking the pavement",
    "damaged green belt",
    "sewage overflow",
    "illegal structure",
    "flyposting",
    "broken road surface",
    "standing water",
    "collapsed site hoarding",
];
const EN_WHERE: &[&str] = &[
    "near the bridge",
    "at the estate gate",
    "by the bus stop",
    "on the pavement",
    "along the canal",
    "outside the school",
    "at the east corner of the junction",
    "by the metro exit",
];
const EN_MORE: &[&str] = &[
    "",
    ", there for two days",
    ", residents complained",
    ", blocking pedestrians",
    ", please handle soon",
    ", about 3 square metres",
];
const ROADS: &[&str] = &[
    "平江路",
    "干将东路",
    "人民路",
    "十全街",
    "凤凰街",
    "临顿路",
    "Pingjiang Rd",
    "Ganjiang E Rd",
    "观前街",
    "东北街",
];
const CATEGORIES: &[&str] = &[
    "01001", "01002", "01005", "02001", "02004", "03002", "04001", "05003", "06010", "06011",
];

fn pick<'a>(rng: &mut fastrand::Rng, from: &[&'a str]) -> &'a str {
    from[rng.usize(..from.len())]
}

fn uuid_v7(rng: &mut fastrand::Rng, ms: i64) -> Uuid {
    let mut random = [0u8; 10];
    rng.fill(&mut random);
    uuid::Builder::from_unix_timestamp_millis(ms as u64, &random).into_uuid()
}

/// A report description: mostly Chinese, a fifth in English.
pub fn description(rng: &mut fastrand::Rng) -> String {
    if rng.u8(..5) == 0 {
        format!(
            "{} {}{}",
            pick(rng, EN_WHAT),
            pick(rng, EN_WHERE),
            pick(rng, EN_MORE)
        )
    } else {
        format!(
            "{}{}{}",
            pick(rng, ZH_WHERE),
            pick(rng, ZH_WHAT),
            pick(rng, ZH_MORE)
        )
    }
}

/// One device's chain state while generating.
struct Device {
    id: String,
    actor: Actor,
    key: DeviceKey,
    seq: u64,
    head: String,
}

/// `n` signed `incident.reported` events from `devices` workers, interleaved in time as
/// a pull page serves them (`server_seq` 1..=n) — each device's chain in order, every
/// event signed over its hash. About two reports in three carry photos.
pub fn signed_reports(seed: u64, devices: usize, n: usize) -> Vec<Event> {
    let mut rng = fastrand::Rng::with_seed(seed);
    let mut all: Vec<Device> = (0..devices)
        .map(|d| {
            let user = format!("w{:04}", rng.u32(1000..10_000));
            Device {
                id: format!("{user}-phone-{}", rng.u32(10..99)),
                actor: Actor::new(user, Role::Worker),
                key: DeviceKey::generate().expect("random key"),
                seq: rng.u64(0..3000),
                head: if d % 7 == 0 {
                    GENESIS_HASH.into()
                } else {
                    hex::encode(rng.u64(..).to_be_bytes()).repeat(4)
                },
            }
        })
        .collect();
    let mut ms = 1_795_395_600_000i64 + rng.i64(0..86_400_000);
    (0..n)
        .map(|i| {
            ms += rng.i64(200..20_000);
            let d = &mut all[rng.usize(..devices)];
            let photos = (0..[0, 1, 1, 2, 3][rng.usize(..5)])
                .map(|_| {
                    let mut h = [0u8; 32];
                    rng.fill(&mut h);
                    PhotoRef {
                        sha256: hex::encode(h),
                        size: rng.u64(180_000..2_400_000),
                        mime: "image/jpeg".into(),
                        thumb: None,
                    }
                })
                .collect();
            let cell = format!(
                "3205080{:02}00{}{:02}",
                1 + rng.u8(0..6),
                1 + rng.u8(0..4),
                1 + rng.u8(0..12)
            );
            let report = IncidentEvent::Reported(Report {
                category: pick(&mut rng, CATEGORIES).into(),
                lat: round(31.28 + rng.f64() * 0.06, 6),
                lon: round(120.58 + rng.f64() * 0.08, 6),
                accuracy_m: Some(round(3.0 + rng.f64() * 15.0, 1)),
                description: description(&mut rng),
                address: (rng.u8(..3) > 0)
                    .then(|| format!("{}{}号", pick(&mut rng, ROADS), rng.u32(1..400))),
                urgency: if rng.u8(..10) == 0 {
                    Urgency::Urgent
                } else {
                    Urgency::Normal
                },
                photos,
                cell: Some(cell),
                patrol: None,
            });
            d.seq += 1;
            let mut event = Event {
                id: uuid_v7(&mut rng, ms),
                stream: Stream::Incident(uuid_v7(&mut rng, ms)),
                kind: report.kind().into(),
                hlc: Hlc::new(ms, 0),
                device_id: d.id.clone(),
                actor: d.actor.clone(),
                device_seq: d.seq,
                prev_hash: d.head.clone(),
                payload: report.payload(),
                server_seq: Some(i as i64 + 1),
                signature: None,
            };
            d.key.sign(&mut event);
            d.head = event.hash();
            event
        })
        .collect()
}

fn round(x: f64, digits: i32) -> f64 {
    let f = 10f64.powi(digits);
    (x * f).round() / f
}
