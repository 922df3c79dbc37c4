//! GeoJSON (RFC 7946) of a patrol, for web maps such as the supervisor console.
//!
//! The track is drawn as one `LineString` per continuous stretch (a hole in the log is
//! not bridged), with the fix times in `coordTimes` (the convention of `togeojson` and
//! Mapbox tools); check-ins and flagged fixes are `Point`s. Every feature has a `kind`.

use serde_json::{json, Map, Value};

use super::checkin::{check_all, CheckIn};
use super::fix::{check_fixes, TrackPoint};
use super::local::{check_positive, check_time_order, plausible_indices, rfc3339};
use super::PatrolError;

/// Builds a GeoJSON `FeatureCollection` of a patrol:
///
/// - `kind: "track"`: a `LineString` through the plausible points of each stretch with no
///   hole longer than `gap_threshold_s`, properties `name` (if given), `segment` (0, 1, …)
///   and `coordTimes` (RFC 3339, one per position); a stretch of a single fix is a `Point`;
/// - `kind: "check-in"`: a `Point` with `time` and `note`;
/// - `kind: "flagged-fix"`: a `Point` for each flagged fix, with `time`, `flags` (names)
///   and `accuracy_m`.
///
/// Positions are `[longitude, latitude]` rounded to 1e-7°. Points must be in time order.
pub fn track_geojson(
    points: &[TrackPoint],
    check_ins: &[CheckIn],
    name: Option<&str>,
    gap_threshold_s: f64,
) -> Result<Value, PatrolError> {
    check_positive("gap_threshold_s", gap_threshold_s)?;
    check_time_order(points)?;
    check_fixes(points.iter().map(|p| &p.fix))?;
    check_all(check_ins)?;

    let mut features = Vec::new();
    let kept = plausible_indices(points);
    let mut start = 0;
    let mut segment = 0;
    while start < kept.len() {
        let mut end = start + 1;
        while end < kept.len()
            && (points[kept[end]].fix.time_ms - points[kept[end - 1]].fix.time_ms) as f64
                <= gap_threshold_s * 1000.0
        {
            end += 1;
        }
        let run = &kept[start..end];
        let coords: Vec<Value> = run
            .iter()
            .map(|&i| position(points[i].fix.lon, points[i].fix.lat))
            .collect();
        let times: Vec<String> = run
            .iter()
            .map(|&i| rfc3339(points[i].fix.time_ms))
            .collect();
        let geometry = if coords.len() == 1 {
            json!({ "type": "Point", "coordinates": coords[0] })
        } else {
            json!({ "type": "LineString", "coordinates": coords })
        };
        let mut props = Map::new();
        props.insert("kind".into(), "track".into());
        if let Some(name) = name {
            props.insert("name".into(), name.into());
        }
        props.insert("segment".into(), segment.into());
        props.insert("coordTimes".into(), times.into());
        features.push(feature(geometry, props));
        segment += 1;
        start = end;
    }

    for c in check_ins {
        let mut props = Map::new();
        props.insert("kind".into(), "check-in".into());
        props.insert("time".into(), rfc3339(c.time_ms).into());
        props.insert("note".into(), c.note.clone().into());
        features.push(feature(
            json!({ "type": "Point", "coordinates": position(c.lon, c.lat) }),
            props,
        ));
    }

    for p in points.iter().filter(|p| !p.flags.is_empty()) {
        let mut props = Map::new();
        props.insert("kind".into(), "flagged-fix".into());
        props.insert("time".into(), rfc3339(p.fix.time_ms).into());
        props.insert("flags".into(), p.flags.names().collect::<Vec<_>>().into());
        props.insert("accuracy_m".into(), p.fix.accuracy_m.into());
        features.push(feature(
            json!({ "type": "Point", "coordinates": position(p.fix.lon, p.fix.lat) }),
            props,
        ));
    }
    Ok(json!({ "type": "FeatureCollection", "features": features }))
}

fn feature(geometry: Value, properties: Map<String, Value>) -> Value {
    json!({ "type": "Feature", "geometry": geometry, "properties": properties })
}

fn position(lon: f64, lat: f64) -> Value {
    json!([(lon * 1e7).round() / 1e7, (lat * 1e7).round() / 1e7])
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::patrol::integrity::FixFlags;
    use crate::patrol::testkit::fix_xy;

    const T0: i64 = 1_700_000_000_000;

    #[test]
    fn a_patrol_becomes_a_feature_collection_geojson_readers_accept() {
        let mut points: Vec<TrackPoint> = (0..10)
            .map(|i| TrackPoint::new(fix_xy(T0 + i * 1000, i as f64, 0.0)))
            .collect();
        points.push(TrackPoint::new(fix_xy(T0 + 600_000, 50.0, 0.0)));
        points[4].flags = FixFlags::TELEPORT | FixFlags::SPEED;
        let check_ins = [CheckIn {
            time_ms: T0 + 2_000,
            lat: points[2].fix.lat,
            lon: points[2].fix.lon,
            note: Some("gate".to_owned()),
        }];
        let value = track_geojson(&points, &check_ins, Some("p"), 60.0).unwrap();
        let fc: ::geojson::FeatureCollection = value.to_string().parse().unwrap();
        let kinds: Vec<&str> = fc
            .features
            .iter()
            .map(|f| f.property("kind").and_then(|k| k.as_str()).unwrap())
            .collect();
        assert_eq!(kinds, ["track", "track", "check-in", "flagged-fix"]);

        let line = &value["features"][0];
        assert_eq!(line["geometry"]["type"], "LineString");
        let coords = line["geometry"]["coordinates"].as_array().unwrap();
        assert_eq!(coords.len(), 9, "the flagged fix is not part of the line");
        assert_eq!(
            coords[0][0].as_f64().unwrap(),
            (points[0].fix.lon * 1e7).round() / 1e7
        );
        assert_eq!(line["properties"]["coordTimes"][0], "2023-11-14T22:13:20Z");
        assert_eq!(
            line["properties"]["coordTimes"].as_array().unwrap().len(),
            9
        );
        assert_eq!(line["properties"]["name"], "p");
        assert_eq!(
            value["features"][1]["geometry"]["type"], "Point",
            "a lone fix after the hole"
        );
        assert_eq!(value["features"][2]["properties"]["note"], "gate");
        assert_eq!(
            value["features"][3]["properties"]["flags"],
            serde_json::json!(["speed", "teleport"])
        );
    }

    #[test]
    fn empty_and_invalid_input() {
        let value = track_geojson(&[], &[], None, 60.0).unwrap();
        assert_eq!(
            value,
            serde_json::json!({ "type": "FeatureCollection", "features": [] })
        );
        let mut p = TrackPoint::new(fix_xy(T0, 0.0, 0.0));
        p.fix.lat = 95.0;
        assert!(matches!(
            track_geojson(&[p], &[], None, 60.0),
            Err(PatrolError::InvalidFix { field: "lat", .. })
        ));
    }
}
