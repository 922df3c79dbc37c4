//! Patrol maths on a working day: an 8-hour walk at one fix a second (28,800 fixes)
//! through four 300 m cells. Run with
//! `cargo bench -p gridwork-core --bench patrol -- --quick`; the figures go into
//! `docs/patrols.md`. It also prints the sizes of what a patrol puts on the wire.

// criterion's macros generate undocumented public functions.
#![allow(missing_docs)]

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion};
use geo::{Coord, LineString, Polygon};
use gridwork_core::patrol::{
    assess_batch, coverage, ingest_batch, simplify, time_in_cells, track_stats, CoverageParams,
    Fix, IngestState, IntegrityPolicy, IntegrityState, Provider, SimplifyParams, StatsParams,
    TrackPoint,
};

const LAT0: f64 = 39.915;
const LON0: f64 = 116.404;
const T0: i64 = 1_700_000_000_000;
/// Metres per degree at LAT0 (WGS-84), close enough for placing synthetic points.
const M_PER_DEG_LAT: f64 = 111_040.0;
const M_PER_DEG_LON: f64 = 85_330.0;

fn lonlat(x: f64, y: f64) -> (f64, f64) {
    (LON0 + x / M_PER_DEG_LON, LAT0 + y / M_PER_DEG_LAT)
}

/// A small deterministic generator (xorshift64*), so every run walks the same walk.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> f64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        (self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 11) as f64 / (1u64 << 53) as f64
    }
    fn normal(&mut self) -> f64 {
        let (u, v) = (self.next().max(1e-12), self.next());
        (-2.0 * u.ln()).sqrt() * (2.0 * std::f64::consts::PI * v).cos()
    }
}

/// A worker walking the streets of a 600 m × 600 m block grid (streets every 75 m) at
/// 1.2–1.5 m/s, turning at random at crossings and stopping now and then, seen through
/// GPS noise that drifts slowly (σ ≈ 3 m, as real receivers do), one fix a second.
/// A synthetic day and what really happened in it.
struct Day {
    fixes: Vec<Fix>,
    walked_m: f64,
    walking_s: f64,
}

fn working_day(seconds: usize) -> Day {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let (mut x, mut y) = (0.0f64, 0.0f64);
    let (mut dx, mut dy) = (1.0f64, 0.0f64);
    let mut speed = 1.3;
    let mut stop_left = 0u32;
    let mut to_crossing = 75.0f64;
    let (mut nx, mut ny) = (0.0f64, 0.0f64);
    let mut out = Vec::with_capacity(seconds);
    let (mut walked_m, mut walking_s) = (0.0, 0.0);
    for s in 0..seconds {
        if stop_left > 0 {
            stop_left -= 1;
        } else {
            walked_m += speed;
            walking_s += 1.0;
            x += dx * speed;
            y += dy * speed;
            to_crossing -= speed;
            if to_crossing <= 0.0 {
                x = (x / 75.0).round() * 75.0;
                y = (y / 75.0).round() * 75.0;
                to_crossing = 75.0;
                let (a, b) = match (rng.next() * 4.0) as u32 {
                    0 => (1.0, 0.0),
                    1 => (-1.0, 0.0),
                    2 => (0.0, 1.0),
                    _ => (0.0, -1.0),
                };
                (dx, dy) = (a, b);
                if x + dx * 75.0 > 600.0 || x + dx * 75.0 < 0.0 {
                    dx = -dx;
                }
                if y + dy * 75.0 > 600.0 || y + dy * 75.0 < 0.0 {
                    dy = -dy;
                }
                speed = 1.2 + 0.3 * rng.next();
                if rng.next() < 0.1 {
                    stop_left = 30 + (rng.next() * 270.0) as u32;
                }
            }
        }
        nx = 0.95 * nx + 0.94 * rng.normal();
        ny = 0.95 * ny + 0.94 * rng.normal();
        let (lon, lat) = lonlat(x + nx, y + ny);
        out.push(Fix {
            time_ms: T0 + s as i64 * 1000,
            lat,
            lon,
            accuracy_m: 4.0 + 4.0 * rng.next(),
            speed_mps: Some(if stop_left > 0 { 0.0 } else { speed }),
            bearing_deg: Some(if stop_left > 0 {
                0.0
            } else {
                dy.atan2(dx).to_degrees().rem_euclid(360.0)
            }),
            altitude_m: Some(44.0 + rng.normal()),
            provider: Provider::Fused,
            mock: false,
        });
    }
    Day {
        fixes: out,
        walked_m,
        walking_s,
    }
}

fn cells() -> Vec<(String, Polygon<f64>)> {
    let square = |x: f64, y: f64| {
        let c = |ex: f64, ny: f64| {
            let (lon, lat) = lonlat(ex, ny);
            Coord { x: lon, y: lat }
        };
        Polygon::new(
            LineString::new(vec![
                c(x, y),
                c(x + 300.0, y),
                c(x + 300.0, y + 300.0),
                c(x, y + 300.0),
                c(x, y),
            ]),
            vec![],
        )
    };
    vec![
        ("110101001001".to_owned(), square(0.0, 0.0)),
        ("110101001002".to_owned(), square(300.0, 0.0)),
        ("110101001003".to_owned(), square(0.0, 300.0)),
        ("110101001004".to_owned(), square(300.0, 300.0)),
    ]
}

/// The day recorded as a phone would: 10-fix batches through `ingest_batch`.
fn recorded(fixes: &[Fix]) -> Vec<TrackPoint> {
    let policy = IntegrityPolicy::default();
    let mut state = IngestState::default();
    let mut points = Vec::with_capacity(fixes.len());
    for batch in fixes.chunks(10) {
        let received = batch[batch.len() - 1].time_ms + 500;
        let Ok(out) = ingest_batch(&state, batch.to_vec(), received, &policy) else {
            panic!("the synthetic day is valid");
        };
        points.extend(out.points);
        state = out.state;
    }
    points
}

fn report(day: &Day, points: &[TrackPoint]) {
    let fixes = &day.fixes;
    let json = |v: &[TrackPoint]| serde_json::to_vec(v).map(|b| b.len()).unwrap_or(0);
    let batch = json(&points[1000..1010]);
    let hours = fixes.len() as f64 / 3600.0;
    let raw_per_hour = json(points) as f64 / hours;
    let flagged = points.iter().filter(|p| !p.flags.is_empty()).count();
    let kept = simplify(points, &SimplifyParams::default()).unwrap_or_default();
    let simplified: Vec<TrackPoint> = kept.iter().map(|&i| points[i]).collect();
    let simplified_per_hour = json(&simplified) as f64 / hours;
    eprintln!("patrol sizes (compact JSON):");
    eprintln!("  one 10-second batch of 10 fixes: {batch} bytes");
    eprintln!("  raw track, 1 fix/s: {:.0} bytes per hour", raw_per_hour);
    eprintln!(
        "  simplified at 5 m (max 30 s between points): {:.0} bytes per hour, {:.0} points per hour",
        simplified_per_hour,
        simplified.len() as f64 / hours
    );
    eprintln!(
        "  flagged fixes in the synthetic day: {flagged} of {}",
        points.len()
    );
    eprintln!(
        "synthetic day: walked {:.0} m in {:.0} s of walking",
        day.walked_m, day.walking_s
    );
    let cells = cells();
    for (label, track) in [("raw", points), ("simplified", &simplified[..])] {
        let stats = track_stats(track, &StatsParams::default());
        let cover = coverage(track, &cells, &CoverageParams::default());
        if let (Ok(s), Ok(c)) = (stats, cover) {
            let shares: Vec<String> = c
                .iter()
                .map(|c| format!("{:.1}%", 100.0 * c.covered_share))
                .collect();
            eprintln!(
                "  {label}: distance {:.0} m, moving {:.0} s, gaps {}, coverage {}",
                s.distance_m,
                s.moving_time_s,
                s.gaps.len(),
                shares.join(" ")
            );
        }
    }
    if let Ok(t) = time_in_cells(points, &cells, &StatsParams::default()) {
        let hours: Vec<String> = t
            .iter()
            .map(|c| format!("{:.2} h", c.seconds / 3600.0))
            .collect();
        eprintln!("  time in cells: {}", hours.join(" "));
    }
    for min_step_m in [0.0, 3.0, 5.0, 10.0] {
        let params = StatsParams {
            min_step_m,
            ..StatsParams::default()
        };
        if let Ok(s) = track_stats(points, &params) {
            eprintln!(
                "  min_step {min_step_m} m: distance {:.0} m, moving {:.0} s, mean {:.2} m/s, max {:.2} m/s",
                s.distance_m, s.moving_time_s, s.mean_speed_mps, s.max_speed_mps
            );
        }
    }
}

fn bench(c: &mut Criterion) {
    let day = working_day(8 * 3600);
    let fixes = &day.fixes;
    let points = recorded(fixes);
    let cells = cells();
    report(&day, &points);
    let policy = IntegrityPolicy::default();

    c.bench_function("track_stats 28,800 fixes", |b| {
        b.iter(|| track_stats(black_box(&points), &StatsParams::default()))
    });
    c.bench_function("integrity assess 28,800 fixes", |b| {
        b.iter(|| assess_batch(&IntegrityState::default(), black_box(fixes), None, &policy))
    });
    c.bench_function("ingest one 10-fix batch", |b| {
        let batch = fixes[1000..1010].to_vec();
        b.iter(|| {
            ingest_batch(
                &IngestState::default(),
                black_box(batch.clone()),
                T0 + 1_010_000,
                &policy,
            )
        })
    });
    c.bench_function("coverage 4 cells 28,800 fixes", |b| {
        b.iter(|| coverage(black_box(&points), &cells, &CoverageParams::default()))
    });
    c.bench_function("time_in_cells 4 cells 28,800 fixes", |b| {
        b.iter(|| time_in_cells(black_box(&points), &cells, &StatsParams::default()))
    });
    c.bench_function("simplify 5 m 28,800 fixes", |b| {
        b.iter(|| simplify(black_box(&points), &SimplifyParams::default()))
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
