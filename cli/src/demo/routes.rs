//! Walking routes through grid cells and the GPS fixes of someone walking them.
//!
//! A worker patrols a cell the way people walk a block: up and down parallel lanes a
//! few dozen metres apart (a lawn-mower pattern clipped to the cell, kept a few metres
//! inside its edge), then on to the next cell. The [`Walker`] moves along such a route
//! at walking speed and reports a fix every few seconds with GPS-like noise: a slowly
//! wandering bias (multipath in a street canyon) plus a little white noise, and an
//! accuracy figure to match. It can stand still (taking photos of a report), when its
//! fixes wander around one spot.

use fastrand::Rng;
use geo::Polygon;
use gridwork_core::patrol::{Fix, Provider};

/// Metres per degree of latitude (near 31° N; the error over a city is negligible).
const M_PER_DEG_LAT: f64 = 110_850.0;

/// A flat metric frame around a point: x east, y north, in metres.
#[derive(Debug, Clone, Copy)]
pub struct Frame {
    lat0: f64,
    lon0: f64,
    m_per_deg_lon: f64,
}

impl Frame {
    /// A frame centred on `(lat0, lon0)`.
    pub fn new(lat0: f64, lon0: f64) -> Frame {
        Frame {
            lat0,
            lon0,
            m_per_deg_lon: M_PER_DEG_LAT * lat0.to_radians().cos(),
        }
    }

    /// Degrees to metres.
    pub fn to_xy(self, lat: f64, lon: f64) -> (f64, f64) {
        (
            (lon - self.lon0) * self.m_per_deg_lon,
            (lat - self.lat0) * M_PER_DEG_LAT,
        )
    }

    /// Metres to degrees `(lat, lon)`.
    pub fn to_latlon(self, x: f64, y: f64) -> (f64, f64) {
        (
            self.lat0 + y / M_PER_DEG_LAT,
            self.lon0 + x / self.m_per_deg_lon,
        )
    }
}

/// A lawn-mower walk of one cell in `frame`'s metres: lanes `spacing_m` apart (east–west
/// or north–south, at a random offset), each clipped to the cell and kept `inset_m`
/// inside it, walked in alternate directions.
pub fn cell_route(
    polygon: &Polygon<f64>,
    frame: &Frame,
    spacing_m: f64,
    inset_m: f64,
    rng: &mut Rng,
) -> Vec<(f64, f64)> {
    let ring: Vec<(f64, f64)> = polygon
        .exterior()
        .coords()
        .map(|c| frame.to_xy(c.y, c.x))
        .collect();
    // Lanes run along x; for north–south lanes swap the axes and swap back at the end.
    let north_south = rng.bool();
    let ring: Vec<(f64, f64)> = if north_south {
        ring.iter().map(|&(x, y)| (y, x)).collect()
    } else {
        ring
    };
    let (ymin, ymax) = ring.iter().fold((f64::MAX, f64::MIN), |(lo, hi), &(_, y)| {
        (lo.min(y), hi.max(y))
    });
    let mut route = Vec::new();
    let mut y = ymin + inset_m + rng.f64() * (spacing_m / 2.0);
    let mut forward = rng.bool();
    while y < ymax - inset_m {
        let mut xs: Vec<f64> = Vec::new();
        for pair in ring.windows(2) {
            let ((x1, y1), (x2, y2)) = (pair[0], pair[1]);
            if (y1 <= y && y < y2) || (y2 <= y && y < y1) {
                xs.push(x1 + (y - y1) / (y2 - y1) * (x2 - x1));
            }
        }
        xs.sort_by(f64::total_cmp);
        if let (Some(&a), Some(&b)) = (xs.first(), xs.last()) {
            let (a, b) = (a + inset_m, b - inset_m);
            if b - a > 2.0 * inset_m {
                let (from, to) = if forward { (a, b) } else { (b, a) };
                route.push((from, y));
                route.push((to, y));
                forward = !forward;
            }
        }
        y += spacing_m;
    }
    if north_south {
        route.iter().map(|&(x, y)| (y, x)).collect()
    } else {
        route
    }
}

/// Length of a polyline in metres.
#[cfg(test)]
pub fn length_m(route: &[(f64, f64)]) -> f64 {
    route
        .windows(2)
        .map(|w| (w[1].0 - w[0].0).hypot(w[1].1 - w[0].1))
        .sum()
}

/// A normally distributed number (Box–Muller).
pub fn normal(rng: &mut Rng, sd: f64) -> f64 {
    let u = rng.f64().max(1e-12);
    let v = rng.f64();
    sd * (-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos()
}

/// Someone walking a route and their phone reporting fixes.
#[derive(Debug, Clone)]
pub struct Walker {
    frame: Frame,
    route: Vec<(f64, f64)>,
    /// Index of the segment being walked and the metres walked along it.
    seg: usize,
    along: f64,
    /// Walking the route backwards (after reaching its end).
    backwards: bool,
    time_ms: i64,
    interval_ms: i64,
    speed_mps: f64,
    bias: (f64, f64),
    stand_until_ms: i64,
}

impl Walker {
    /// A walker at the start of `route` (metres in `frame`) at `start_ms`, reporting a
    /// fix every `interval_s` seconds while walking at about `speed_mps`.
    pub fn new(
        frame: Frame,
        route: Vec<(f64, f64)>,
        start_ms: i64,
        interval_s: u32,
        speed_mps: f64,
    ) -> Walker {
        Walker {
            frame,
            route,
            seg: 0,
            along: 0.0,
            backwards: false,
            time_ms: start_ms,
            interval_ms: i64::from(interval_s.max(1)) * 1000,
            speed_mps,
            bias: (0.0, 0.0),
            stand_until_ms: i64::MIN,
        }
    }

    /// Where the walker truly is, metres in the frame.
    fn xy(&self) -> (f64, f64) {
        let n = self.route.len();
        if n == 0 {
            return (0.0, 0.0);
        }
        if n == 1 {
            return self.route[0];
        }
        let (a, b) = self.segment();
        let len = (b.0 - a.0).hypot(b.1 - a.1);
        let f = if len > 0.0 { self.along / len } else { 0.0 };
        (a.0 + (b.0 - a.0) * f, a.1 + (b.1 - a.1) * f)
    }

    fn segment(&self) -> ((f64, f64), (f64, f64)) {
        let n = self.route.len();
        if self.backwards {
            (self.route[n - 1 - self.seg], self.route[n - 2 - self.seg])
        } else {
            (self.route[self.seg], self.route[self.seg + 1])
        }
    }

    /// Where the walker truly is, `(lat, lon)`.
    pub fn position(&self) -> (f64, f64) {
        let (x, y) = self.xy();
        self.frame.to_latlon(x, y)
    }

    /// Stands still until `until_ms` (fixes keep coming, wandering around the spot).
    pub fn stand_until(&mut self, until_ms: i64) {
        self.stand_until_ms = self.stand_until_ms.max(until_ms);
    }

    /// Skips ahead to `ms` without recording (the phone was off, a pause).
    pub fn skip_to(&mut self, ms: i64) {
        self.time_ms = self.time_ms.max(ms);
    }

    fn walk(&mut self, mut metres: f64) {
        if self.route.len() < 2 {
            return;
        }
        while metres > 0.0 {
            let (a, b) = self.segment();
            let len = (b.0 - a.0).hypot(b.1 - a.1);
            let left = len - self.along;
            if metres < left {
                self.along += metres;
                return;
            }
            metres -= left;
            self.along = 0.0;
            self.seg += 1;
            if self.seg + 1 >= self.route.len() {
                // End of the route: turn round and walk it back.
                self.seg = 0;
                self.backwards = !self.backwards;
            }
        }
    }

    /// Walks on until `until_ms` and returns the fixes reported on the way (one every
    /// interval, the last at or before `until_ms`).
    pub fn advance_to(&mut self, until_ms: i64, rng: &mut Rng) -> Vec<Fix> {
        let mut fixes = Vec::new();
        while self.time_ms + self.interval_ms <= until_ms {
            self.time_ms += self.interval_ms;
            let standing = self.time_ms <= self.stand_until_ms;
            // Pace varies a little from step to step around the walker's own speed.
            let speed = if standing {
                0.0
            } else {
                (self.speed_mps + normal(rng, 0.1)).clamp(0.7, 1.8)
            };
            let before = self.xy();
            self.walk(speed * self.interval_ms as f64 / 1000.0);
            let (x, y) = self.xy();
            // GPS error: a bias that wanders slowly, plus a little jitter.
            self.bias = (
                0.92 * self.bias.0 + normal(rng, 0.8),
                0.92 * self.bias.1 + normal(rng, 0.8),
            );
            let (nx, ny) = (
                x + self.bias.0 + normal(rng, 1.0),
                y + self.bias.1 + normal(rng, 1.0),
            );
            let (lat, lon) = self.frame.to_latlon(nx, ny);
            let bearing = (x - before.0)
                .atan2(y - before.1)
                .to_degrees()
                .rem_euclid(360.0);
            fixes.push(Fix {
                time_ms: self.time_ms,
                lat,
                lon,
                accuracy_m: (4.0 + rng.f64() * 8.0).round(),
                speed_mps: Some((speed + normal(rng, 0.05)).max(0.0)),
                bearing_deg: (!standing).then_some(bearing % 360.0),
                altitude_m: None,
                provider: Provider::Fused,
                mock: false,
            });
        }
        fixes
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use geo::{Contains, Point};
    use gridwork_core::geo::Grid;

    fn cell() -> Polygon<f64> {
        let grid = Grid::from_geojson(super::super::GRID).unwrap();
        grid.cell("32050800100101").unwrap().polygon.clone()
    }

    fn frame(p: &Polygon<f64>) -> Frame {
        let c = p.exterior().0[0];
        Frame::new(c.y, c.x)
    }

    #[test]
    fn a_cell_route_stays_inside_the_cell_and_sweeps_it_in_lanes() {
        let polygon = cell();
        let frame = frame(&polygon);
        for seed in 0..20 {
            let route = cell_route(&polygon, &frame, 60.0, 6.0, &mut Rng::with_seed(seed));
            // A cell of about 300 m: five lanes or so, each a couple of hundred metres.
            assert!(route.len() >= 8, "seed {seed}: {} points", route.len());
            assert!(length_m(&route) > 1000.0, "seed {seed}");
            for &(x, y) in &route {
                let (lat, lon) = frame.to_latlon(x, y);
                assert!(
                    polygon.contains(&Point::new(lon, lat)),
                    "seed {seed}: ({lat}, {lon}) outside the cell"
                );
            }
        }
    }

    #[test]
    fn a_walk_goes_at_walking_speed_with_a_fix_every_few_seconds_and_gps_noise() {
        let polygon = cell();
        let frame = frame(&polygon);
        let mut rng = Rng::with_seed(7);
        let route = cell_route(&polygon, &frame, 60.0, 6.0, &mut rng);
        let start = 1_795_000_000_000;
        let mut walker = Walker::new(frame, route, start, 5, 1.2);
        let mut truth = vec![walker.xy()];
        let mut fixes = Vec::new();
        for minute in 1..=20 {
            fixes.extend(walker.advance_to(start + minute * 60_000, &mut rng));
            truth.push(walker.xy());
        }
        assert_eq!(fixes.len(), 20 * 12);
        assert!(fixes
            .windows(2)
            .all(|w| w[1].time_ms - w[0].time_ms == 5000));
        // 20 minutes at 1.2 m/s: about 1,440 m (lanes are straight, so the minute-by-
        // minute positions measure it to within the turns).
        let walked = length_m(&truth);
        assert!((1250.0..1500.0).contains(&walked), "walked {walked} m");
        // Each fix within a plausible GPS error of the true path, and not exactly on it.
        let mut off = 0.0;
        for f in &fixes {
            assert!(f.validate().is_ok());
            assert!((4.0..=12.0).contains(&f.accuracy_m));
            let (x, y) = frame.to_xy(f.lat, f.lon);
            let d = truth
                .iter()
                .map(|&(tx, ty)| (tx - x).hypot(ty - y))
                .fold(f64::MAX, f64::min);
            off += d;
            assert!(d < 120.0, "fix {d} m from the path");
        }
        assert!(off / fixes.len() as f64 > 0.5, "no noise");
    }

    #[test]
    fn a_standing_walker_stays_put_and_the_same_seed_walks_the_same_way() {
        let polygon = cell();
        let frame = frame(&polygon);
        let walk = |seed| {
            let mut rng = Rng::with_seed(seed);
            let route = cell_route(&polygon, &frame, 60.0, 6.0, &mut rng);
            let mut w = Walker::new(frame, route, 0, 5, 1.2);
            let mut fixes = w.advance_to(60_000, &mut rng);
            let here = w.position();
            w.stand_until(180_000);
            fixes.extend(w.advance_to(180_000, &mut rng));
            (fixes, here, w.position())
        };
        let (a, here, after) = walk(3);
        assert_eq!(here, after, "standing still moved");
        assert_eq!(a, walk(3).0);
        assert_ne!(a, walk(4).0);
    }
}
