//! A GPS fix — one position sample from the phone — and how a batch of them is checked
//! and put in order before it is recorded.
//!
//! Fixes travel in `patrol.track` events, tens to hundreds at a time, so their JSON form
//! uses short field names (documented on [`Fix`]) and values are rounded to what GNSS can
//! actually resolve ([`Fix::quantized`]) so they print short.

use serde::{Deserialize, Serialize};

use super::integrity::FixFlags;
use super::PatrolError;

/// The most fixes one batch may hold (about 2¾ hours at one fix per second). A larger
/// batch is refused as a whole with [`PatrolError::BatchTooLarge`]: a shell sends fixes
/// every few seconds, so a batch this size is a bug or an attack, not a patrol.
pub const MAX_FIXES_PER_BATCH: usize = 10_000;

/// Latest time a fix may carry: 9999-12-31T23:59:59.999Z.
const MAX_TIME_MS: i64 = 253_402_300_799_999;

/// Where the platform says a fix came from.
///
/// JSON: `"gps"`, `"network"`, `"fused"`, `"other"`; an unknown name reads as `Other`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Provider {
    /// Satellite positioning (GNSS).
    Gps,
    /// Cell towers and Wi-Fi.
    Network,
    /// The platform's fused provider (Android's FusedLocationProvider, iOS Core Location).
    Fused,
    /// Anything else, including fixes imported from files.
    #[serde(other)]
    Other,
}

/// One position sample, in WGS-84, as the phone reported it.
///
/// JSON field names (compact, since a patrol holds tens of thousands of fixes):
///
/// | field         | JSON   | unit                                   |
/// |---------------|--------|----------------------------------------|
/// | `time_ms`     | `t`    | Unix milliseconds, UTC                 |
/// | `lat`, `lon`  | `lat`, `lon` | degrees                          |
/// | `accuracy_m`  | `acc`  | metres, horizontal (68 % radius)       |
/// | `speed_mps`   | `spd`  | metres per second, omitted when absent |
/// | `bearing_deg` | `brg`  | degrees clockwise from true north, omitted when absent |
/// | `altitude_m`  | `alt`  | metres above the WGS-84 ellipsoid, omitted when absent |
/// | `provider`    | `prov` | see [`Provider`]                       |
/// | `mock`        | `mock` | `true` when the platform marked it as mocked; omitted when false |
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Fix {
    /// When the position was measured, Unix milliseconds UTC.
    #[serde(rename = "t")]
    pub time_ms: i64,
    /// Latitude in degrees, −90 ..= 90.
    pub lat: f64,
    /// Longitude in degrees, −180 ..= 180.
    pub lon: f64,
    /// Horizontal accuracy in metres (radius of 68 % confidence), ≥ 0.
    #[serde(rename = "acc")]
    pub accuracy_m: f64,
    /// Ground speed reported by the receiver, metres per second, ≥ 0.
    #[serde(rename = "spd", default, skip_serializing_if = "Option::is_none")]
    pub speed_mps: Option<f64>,
    /// Direction of travel, degrees clockwise from true north, 0 ≤ b < 360.
    #[serde(rename = "brg", default, skip_serializing_if = "Option::is_none")]
    pub bearing_deg: Option<f64>,
    /// Altitude in metres.
    #[serde(rename = "alt", default, skip_serializing_if = "Option::is_none")]
    pub altitude_m: Option<f64>,
    /// Where the fix came from.
    #[serde(rename = "prov")]
    pub provider: Provider,
    /// The platform marked this fix as coming from a mock-location app.
    #[serde(default, skip_serializing_if = "is_false")]
    pub mock: bool,
}

fn is_false(b: &bool) -> bool {
    !*b
}

impl Fix {
    /// Checks every field is a finite number within its range.
    ///
    /// Errors with [`PatrolError::InvalidFix`] (without an index) naming the first bad field.
    pub fn validate(&self) -> Result<(), PatrolError> {
        self.check()
            .map_err(|(field, problem)| PatrolError::InvalidFix {
                index: None,
                field,
                problem,
            })
    }

    fn check(&self) -> Result<(), (&'static str, &'static str)> {
        check_time_and_place(self.time_ms, self.lat, self.lon)?;
        if !self.accuracy_m.is_finite() || self.accuracy_m < 0.0 {
            return Err(("accuracy_m", "must be a finite number >= 0"));
        }
        if let Some(s) = self.speed_mps {
            if !s.is_finite() || s < 0.0 {
                return Err(("speed_mps", "must be a finite number >= 0"));
            }
        }
        if let Some(b) = self.bearing_deg {
            if !b.is_finite() || !(0.0..360.0).contains(&b) {
                return Err(("bearing_deg", "must be a number within 0 ..< 360"));
            }
        }
        if let Some(a) = self.altitude_m {
            if !a.is_finite() {
                return Err(("altitude_m", "must be a finite number"));
            }
        }
        Ok(())
    }

    /// The fix rounded to what a phone can resolve, so it prints short in JSON:
    /// latitude and longitude to 1e-7° (about 1 cm), accuracy and altitude to 0.1 m,
    /// speed to 0.01 m/s, bearing to 0.1°. Rounding is idempotent.
    pub fn quantized(&self) -> Fix {
        let bearing = self.bearing_deg.map(|b| {
            let r = round_to(b, 10.0);
            if r >= 360.0 {
                0.0
            } else {
                r
            }
        });
        Fix {
            lat: round_to(self.lat, 1e7),
            lon: round_to(self.lon, 1e7),
            accuracy_m: round_to(self.accuracy_m, 10.0),
            speed_mps: self.speed_mps.map(|s| round_to(s, 100.0)),
            bearing_deg: bearing,
            altitude_m: self.altitude_m.map(|a| round_to(a, 10.0)),
            ..*self
        }
    }
}

/// Checks a time and a WGS-84 position; on failure names the field and the problem.
pub(super) fn check_time_and_place(
    time_ms: i64,
    lat: f64,
    lon: f64,
) -> Result<(), (&'static str, &'static str)> {
    if !(0..=MAX_TIME_MS).contains(&time_ms) {
        return Err(("time_ms", "is outside 1970 ..= 9999"));
    }
    if !lat.is_finite() || !(-90.0..=90.0).contains(&lat) {
        return Err(("lat", "must be a number within -90 ..= 90"));
    }
    if !lon.is_finite() || !(-180.0..=180.0).contains(&lon) {
        return Err(("lon", "must be a number within -180 ..= 180"));
    }
    Ok(())
}

/// Checks every fix of a list, naming the first bad one by its index.
pub(super) fn check_fixes<'a>(fixes: impl IntoIterator<Item = &'a Fix>) -> Result<(), PatrolError> {
    for (i, fix) in fixes.into_iter().enumerate() {
        fix.check()
            .map_err(|(field, problem)| PatrolError::InvalidFix {
                index: Some(i),
                field,
                problem,
            })?;
    }
    Ok(())
}

fn round_to(x: f64, per_unit: f64) -> f64 {
    (x * per_unit).round() / per_unit
}

/// A fix as it sits in a recorded track: the fix and the integrity flags it earned.
///
/// JSON: the fix's own fields (see [`Fix`]) plus `f`, the flag bits, omitted when none.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct TrackPoint {
    /// The fix as recorded.
    #[serde(flatten)]
    pub fix: Fix,
    /// What the integrity check found wrong with it, if anything.
    #[serde(rename = "f", default, skip_serializing_if = "FixFlags::is_empty")]
    pub flags: FixFlags,
}

impl TrackPoint {
    /// A point with no flags.
    pub fn new(fix: Fix) -> Self {
        TrackPoint {
            fix,
            flags: FixFlags::empty(),
        }
    }

    /// Whether the point counts in track maths (distance, coverage, time per cell):
    /// true unless it carries a flag in [`FixFlags::EXCLUDED_FROM_TRACK`].
    pub fn is_plausible(&self) -> bool {
        self.flags.is_plausible()
    }
}

/// A batch after [`normalize_batch`].
#[derive(Debug, Clone, PartialEq)]
pub struct NormalizedBatch {
    /// The kept fixes, quantised, in increasing `time_ms`, no two with the same time.
    pub fixes: Vec<Fix>,
    /// For each kept fix, its position in the batch as received, so anything computed in
    /// arrival order (such as integrity flags) can follow it.
    pub arrival_index: Vec<usize>,
    /// Fixes dropped because another fix in the batch, or the last recorded fix, has the
    /// same `time_ms` (the one seen first is kept).
    pub dropped_duplicates: usize,
    /// Kept fixes that are earlier than the last recorded fix: they arrived late (or the
    /// clock moved). They are kept; the store may want to check them against what it has.
    pub earlier_than_existing: usize,
}

/// Checks a batch and puts it in order: refuses it whole if it holds more than
/// [`MAX_FIXES_PER_BATCH`] fixes or any invalid fix (the error names the first, with
/// its index in the batch); then quantises every fix ([`Fix::quantized`]), sorts by time
/// (stable, so arrival order breaks ties), and drops fixes whose `time_ms` equals an
/// earlier-kept fix or `existing_last_time_ms` (the time of the last fix already recorded
/// for the patrol, if any).
pub fn normalize_batch(
    existing_last_time_ms: Option<i64>,
    batch: Vec<Fix>,
) -> Result<NormalizedBatch, PatrolError> {
    check_batch(&batch)?;
    let mut indexed: Vec<(usize, Fix)> = batch
        .into_iter()
        .map(|f| f.quantized())
        .enumerate()
        .collect();
    indexed.sort_by_key(|(_, f)| f.time_ms);

    let mut out = NormalizedBatch {
        fixes: Vec::with_capacity(indexed.len()),
        arrival_index: Vec::with_capacity(indexed.len()),
        dropped_duplicates: 0,
        earlier_than_existing: 0,
    };
    let mut last_kept: Option<i64> = None;
    for (i, fix) in indexed {
        if last_kept == Some(fix.time_ms) || existing_last_time_ms == Some(fix.time_ms) {
            out.dropped_duplicates += 1;
            continue;
        }
        if existing_last_time_ms.is_some_and(|t| fix.time_ms < t) {
            out.earlier_than_existing += 1;
        }
        last_kept = Some(fix.time_ms);
        out.fixes.push(fix);
        out.arrival_index.push(i);
    }
    Ok(out)
}

/// The batch-level checks shared by [`normalize_batch`] and `ingest_batch`: the size
/// limit first (so a huge batch costs nothing more), then every fix.
pub(super) fn check_batch(batch: &[Fix]) -> Result<(), PatrolError> {
    if batch.len() > MAX_FIXES_PER_BATCH {
        return Err(PatrolError::BatchTooLarge {
            count: batch.len(),
            max: MAX_FIXES_PER_BATCH,
        });
    }
    check_fixes(batch)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::patrol::testkit::fix;

    #[test]
    fn validation_names_the_bad_field() {
        assert!(fix(1_700_000_000_000, 39.9, 116.4).validate().is_ok());
        let cases: Vec<(Fix, &str)> = vec![
            (fix(1, f64::NAN, 116.4), "lat"),
            (fix(1, 91.0, 116.4), "lat"),
            (fix(1, 39.9, -180.5), "lon"),
            (fix(1, 39.9, f64::INFINITY), "lon"),
            (fix(-1, 39.9, 116.4), "time_ms"),
            (
                Fix {
                    accuracy_m: -1.0,
                    ..fix(1, 39.9, 116.4)
                },
                "accuracy_m",
            ),
            (
                Fix {
                    accuracy_m: f64::NAN,
                    ..fix(1, 39.9, 116.4)
                },
                "accuracy_m",
            ),
            (
                Fix {
                    speed_mps: Some(-0.1),
                    ..fix(1, 39.9, 116.4)
                },
                "speed_mps",
            ),
            (
                Fix {
                    bearing_deg: Some(360.0),
                    ..fix(1, 39.9, 116.4)
                },
                "bearing_deg",
            ),
            (
                Fix {
                    altitude_m: Some(f64::NEG_INFINITY),
                    ..fix(1, 39.9, 116.4)
                },
                "altitude_m",
            ),
        ];
        for (f, field) in cases {
            match f.validate() {
                Err(PatrolError::InvalidFix { field: got, .. }) => assert_eq!(got, field),
                other => panic!("{f:?}: expected an error on {field}, got {other:?}"),
            }
        }
    }

    #[test]
    fn json_is_compact_and_round_trips() {
        let f = Fix {
            speed_mps: Some(1.25),
            ..fix(1_700_000_000_123, 39.9151234, 116.4041234)
        };
        let json = serde_json::to_string(&f).unwrap();
        assert_eq!(
            json,
            r#"{"t":1700000000123,"lat":39.9151234,"lon":116.4041234,"acc":5.0,"spd":1.25,"prov":"gps"}"#
        );
        assert_eq!(serde_json::from_str::<Fix>(&json).unwrap(), f);
        let p = TrackPoint {
            fix: f,
            flags: FixFlags::SPEED,
        };
        let json = serde_json::to_string(&p).unwrap();
        assert!(json.ends_with(r#""prov":"gps","f":1}"#), "{json}");
        assert_eq!(serde_json::from_str::<TrackPoint>(&json).unwrap(), p);
        let unknown: Fix =
            serde_json::from_str(r#"{"t":1,"lat":1.0,"lon":2.0,"acc":3.0,"prov":"beidou-only"}"#)
                .unwrap();
        assert_eq!(unknown.provider, Provider::Other);
    }

    #[test]
    fn quantizing_rounds_to_a_centimetre_and_is_idempotent() {
        let f = Fix {
            bearing_deg: Some(359.97),
            speed_mps: Some(1.23456),
            ..fix(1, 39.915_123_456_789, 116.404_987_654_321)
        };
        let q = f.quantized();
        assert_eq!(q.lat, 39.9151235);
        assert_eq!(q.lon, 116.4049877);
        assert_eq!(q.bearing_deg, Some(0.0));
        assert_eq!(q.speed_mps, Some(1.23));
        assert_eq!(q.quantized(), q);
    }

    #[test]
    fn batches_are_sorted_and_deduplicated_keeping_the_first() {
        let a = fix(3_000, 1.0, 1.0);
        let b = fix(1_000, 2.0, 2.0);
        let b_again = fix(1_000, 9.0, 9.0);
        let c = fix(2_000, 3.0, 3.0);
        let n = normalize_batch(None, vec![a, b, c, b_again]).unwrap();
        assert_eq!(
            n.fixes.iter().map(|f| f.time_ms).collect::<Vec<_>>(),
            [1_000, 2_000, 3_000]
        );
        assert_eq!(n.fixes[0].lat, 2.0, "the first of the duplicates is kept");
        assert_eq!(n.arrival_index, [1, 2, 0]);
        assert_eq!(n.dropped_duplicates, 1);

        let n = normalize_batch(Some(2_000), vec![a, b, c]).unwrap();
        assert_eq!(
            n.fixes.len(),
            2,
            "the fix at the last recorded time is a duplicate"
        );
        assert_eq!(n.dropped_duplicates, 1);
        assert_eq!(n.earlier_than_existing, 1);
    }

    #[test]
    fn a_bad_batch_is_refused_whole() {
        let huge = vec![fix(1, 1.0, 1.0); 100_000];
        assert_eq!(
            normalize_batch(None, huge),
            Err(PatrolError::BatchTooLarge {
                count: 100_000,
                max: MAX_FIXES_PER_BATCH
            })
        );
        let at_limit: Vec<Fix> = (0..MAX_FIXES_PER_BATCH as i64)
            .map(|i| fix(i * 1000, 1.0, 1.0))
            .collect();
        assert_eq!(normalize_batch(None, at_limit).unwrap().fixes.len(), 10_000);

        let bad = vec![fix(1, 1.0, 1.0), fix(2, 100.0, 1.0)];
        let err = normalize_batch(None, bad).unwrap_err();
        assert_eq!(
            err,
            PatrolError::InvalidFix {
                index: Some(1),
                field: "lat",
                problem: "must be a number within -90 ..= 90"
            }
        );
        assert_eq!(
            err.to_string(),
            "fix 1: lat must be a number within -90 ..= 90"
        );
    }
}
