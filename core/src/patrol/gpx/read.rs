//! Reading track points from GPX 1.0 and 1.1 files.

use chrono::{DateTime, NaiveDateTime};
use quick_xml::events::Event;
use quick_xml::name::ResolveResult;
use quick_xml::reader::NsReader;

use super::{GPX_DEFAULT_ACCURACY_M, GPX_HDOP_METRES, GRIDWORK_GPX_NAMESPACE, MAX_GPX_FIXES};
use crate::patrol::fix::{Fix, Provider};
use crate::patrol::PatrolError;

/// Reads every track point (`trk/trkseg/trkpt`) of a GPX 1.0 or 1.1 document as fixes,
/// in file order (routes and waypoints are ignored).
///
/// Each point needs `lat`, `lon` and a `<time>` (else [`PatrolError::GpxMissingTime`]);
/// `<ele>` becomes the altitude; accuracy is gridwork's own extension when present, else
/// `<hdop>` × [`GPX_HDOP_METRES`], else [`GPX_DEFAULT_ACCURACY_M`]. Imported fixes have
/// provider [`Provider::Other`]; flags in the file are ignored (assess the fixes afresh).
/// A time without a zone is read as UTC. Malformed XML, a root other than `<gpx>`, or an
/// unreadable value give a typed error; nothing is returned in part.
pub fn from_gpx(xml: &str) -> Result<Vec<Fix>, PatrolError> {
    read_gpx(xml, MAX_GPX_FIXES)
}

fn read_gpx(xml: &str, max_fixes: usize) -> Result<Vec<Fix>, PatrolError> {
    let mut reader = NsReader::from_str(xml);
    reader.config_mut().trim_text(true);
    let malformed = |reader: &NsReader<&[u8]>, message: String| PatrolError::GpxMalformed {
        position: reader.buffer_position(),
        message,
    };

    let mut path: Vec<String> = Vec::new();
    let mut fixes: Vec<Fix> = Vec::new();
    let mut point: Option<PointBuilder> = None;
    let mut field: Option<(Field, String)> = None;
    let mut seen_root = false;
    loop {
        let (ns, event) = match reader.read_resolved_event() {
            Ok((ns, event)) => (is_gridwork(&ns), event),
            Err(e) => {
                return Err(PatrolError::GpxMalformed {
                    position: reader.error_position(),
                    message: e.to_string(),
                })
            }
        };
        match event {
            Event::Start(ref e) | Event::Empty(ref e) => {
                let local = e.local_name().as_ref().to_owned();
                if !seen_root {
                    if local != "gpx" {
                        return Err(malformed(
                            &reader,
                            format!("the root element is <{local}>, not <gpx>"),
                        ));
                    }
                    seen_root = true;
                } else if path.is_empty() {
                    return Err(malformed(
                        &reader,
                        "content after the root element".to_owned(),
                    ));
                }
                let empty = matches!(event, Event::Empty(_));
                if local == "trkpt" && ends_with(&path, &["trk", "trkseg"]) {
                    let index = fixes.len();
                    if index >= max_fixes {
                        return Err(PatrolError::GpxTooLarge { max: max_fixes });
                    }
                    let mut builder = PointBuilder::new(index);
                    for attr in e.attributes() {
                        let attr = attr.map_err(|err| malformed(&reader, err.to_string()))?;
                        let value = attr
                            .normalized_value(quick_xml::XmlVersion::Implicit1_0)
                            .map_err(|err| malformed(&reader, err.to_string()))?;
                        match attr.key.local_name().as_ref() {
                            "lat" => builder.lat = Some(number(index, "lat", &value)?),
                            "lon" => builder.lon = Some(number(index, "lon", &value)?),
                            _ => {}
                        }
                    }
                    if empty {
                        fixes.push(builder.finish()?);
                    } else {
                        point = Some(builder);
                    }
                } else if point.is_some() {
                    let in_point = path.last().is_some_and(|l| l == "trkpt");
                    let in_ext = ends_with(&path, &["trkpt", "extensions"]);
                    let wanted = match (local.as_str(), in_point, in_ext && ns) {
                        ("ele", true, _) => Some(Field::Ele),
                        ("time", true, _) => Some(Field::Time),
                        ("hdop", true, _) => Some(Field::Hdop),
                        ("accuracy", _, true) => Some(Field::Accuracy),
                        ("speed", _, true) => Some(Field::Speed),
                        ("bearing", _, true) => Some(Field::Bearing),
                        _ => None,
                    };
                    if let (Some(f), false) = (wanted, empty) {
                        field = Some((f, String::new()));
                    }
                }
                if !empty {
                    path.push(local);
                }
            }
            Event::Text(t) => {
                if let Some((_, text)) = &mut field {
                    text.push_str(&t.xml10_content());
                }
            }
            Event::CData(t) => {
                if let Some((_, text)) = &mut field {
                    text.push_str(&t.into_inner());
                }
            }
            Event::GeneralRef(r) => {
                // Resolved even outside the values read: an unknown entity is malformed XML.
                let resolved = match r.resolve_char_ref() {
                    Ok(Some(c)) => c.to_string(),
                    Ok(None) => quick_xml::escape::resolve_predefined_entity(&r)
                        .ok_or_else(|| malformed(&reader, format!("unknown entity &{};", &*r)))?
                        .to_owned(),
                    Err(err) => return Err(malformed(&reader, err.to_string())),
                };
                if let Some((_, text)) = &mut field {
                    text.push_str(&resolved);
                }
            }
            Event::End(_) => {
                let closed = path.pop();
                if let Some((f, text)) = field.take() {
                    if let Some(p) = &mut point {
                        p.set(f, text.trim())?;
                    }
                }
                if closed.as_deref() == Some("trkpt") && ends_with(&path, &["trk", "trkseg"]) {
                    if let Some(p) = point.take() {
                        fixes.push(p.finish()?);
                    }
                }
            }
            Event::Eof => {
                if !seen_root {
                    return Err(malformed(&reader, "no <gpx> element".to_owned()));
                }
                if let Some(open) = path.last() {
                    return Err(malformed(&reader, format!("<{open}> is not closed")));
                }
                return Ok(fixes);
            }
            Event::Decl(_) | Event::PI(_) | Event::Comment(_) | Event::DocType(_) => {}
        }
    }
}

fn is_gridwork(ns: &ResolveResult<'_>) -> bool {
    matches!(ns, ResolveResult::Bound(n) if n.as_ref() == GRIDWORK_GPX_NAMESPACE)
}

fn ends_with(path: &[String], tail: &[&str]) -> bool {
    path.len() >= tail.len()
        && path[path.len() - tail.len()..]
            .iter()
            .zip(tail)
            .all(|(a, b)| a == b)
}

#[derive(Debug, Clone, Copy)]
enum Field {
    Ele,
    Time,
    Hdop,
    Accuracy,
    Speed,
    Bearing,
}

/// A track point being read.
struct PointBuilder {
    index: usize,
    lat: Option<f64>,
    lon: Option<f64>,
    time_ms: Option<i64>,
    ele: Option<f64>,
    hdop: Option<f64>,
    accuracy: Option<f64>,
    speed: Option<f64>,
    bearing: Option<f64>,
}

impl PointBuilder {
    fn new(index: usize) -> Self {
        PointBuilder {
            index,
            lat: None,
            lon: None,
            time_ms: None,
            ele: None,
            hdop: None,
            accuracy: None,
            speed: None,
            bearing: None,
        }
    }

    fn set(&mut self, field: Field, text: &str) -> Result<(), PatrolError> {
        let i = self.index;
        match field {
            Field::Ele => self.ele = Some(number(i, "ele", text)?),
            Field::Time => self.time_ms = Some(parse_time(i, text)?),
            Field::Hdop => self.hdop = Some(number(i, "hdop", text)?),
            Field::Accuracy => self.accuracy = Some(number(i, "accuracy", text)?),
            Field::Speed => self.speed = Some(number(i, "speed", text)?),
            Field::Bearing => self.bearing = Some(number(i, "bearing", text)?),
        }
        Ok(())
    }

    fn finish(self) -> Result<Fix, PatrolError> {
        let index = self.index;
        let missing = |what: &str| PatrolError::GpxInvalidPoint {
            index,
            problem: format!("has no {what} attribute"),
        };
        let fix = Fix {
            time_ms: self.time_ms.ok_or(PatrolError::GpxMissingTime { index })?,
            lat: self.lat.ok_or_else(|| missing("lat"))?,
            lon: self.lon.ok_or_else(|| missing("lon"))?,
            accuracy_m: self
                .accuracy
                .or(self.hdop.map(|h| h * GPX_HDOP_METRES))
                .unwrap_or(GPX_DEFAULT_ACCURACY_M),
            speed_mps: self.speed,
            bearing_deg: self.bearing,
            altitude_m: self.ele,
            provider: Provider::Other,
            mock: false,
        };
        if let Err(PatrolError::InvalidFix { field, problem, .. }) = fix.validate() {
            return Err(PatrolError::GpxInvalidPoint {
                index,
                problem: format!("{field} {problem}"),
            });
        }
        Ok(fix)
    }
}

fn number(index: usize, what: &str, text: &str) -> Result<f64, PatrolError> {
    text.trim()
        .parse::<f64>()
        .ok()
        .filter(|x| x.is_finite())
        .ok_or_else(|| PatrolError::GpxInvalidPoint {
            index,
            problem: format!("{what} {text:?} is not a number"),
        })
}

fn parse_time(index: usize, text: &str) -> Result<i64, PatrolError> {
    DateTime::parse_from_rfc3339(text)
        .map(|t| t.timestamp_millis())
        .or_else(|_| {
            NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S%.f")
                .map(|t| t.and_utc().timestamp_millis())
        })
        .map_err(|_| PatrolError::GpxInvalidPoint {
            index,
            problem: format!("time {text:?} is not an ISO 8601 date and time"),
        })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::patrol::gpx::{to_gpx, GpxOptions, GPX_NAMESPACE};
    use crate::patrol::testkit::sample_patrol;

    #[test]
    fn an_export_reads_back_as_the_same_fixes() {
        let (points, _) = sample_patrol();
        let xml = to_gpx(&points, &[], &GpxOptions::default()).unwrap();
        let fixes = from_gpx(&xml).unwrap();
        let expected: Vec<Fix> = points
            .iter()
            .filter(|p| p.is_plausible())
            .map(|p| Fix {
                provider: Provider::Other,
                ..p.fix.quantized()
            })
            .collect();
        assert_eq!(fixes, expected);
    }

    #[test]
    fn foreign_files_are_read_with_hdop_or_a_default_accuracy() {
        let xml = r#"<?xml version="1.0"?>
<gpx version="1.0" creator="some logger" xmlns="http://www.topografix.com/GPX/1/0"
     xmlns:gpxtpx="http://www.garmin.com/xmlschemas/TrackPointExtension/v2">
  <wpt lat="1" lon="2"><time>2024-05-01T08:00:00Z</time></wpt>
  <rte><rtept lat="1" lon="2"/></rte>
  <trk><name>a &amp; b</name>
    <trkseg>
      <trkpt lat="39.9" lon="116.4"><ele>50</ele><time>2024-05-01T08:00:00.250+08:00</time><hdop>1.6</hdop>
        <extensions><gpxtpx:TrackPointExtension><gpxtpx:speed>99</gpxtpx:speed></gpxtpx:TrackPointExtension></extensions>
      </trkpt>
    </trkseg>
    <trkseg>
      <trkpt lat='39.91' lon='116.41'><time>2024-05-01T00:00:05</time></trkpt>
    </trkseg>
  </trk>
</gpx>"#;
        let fixes = from_gpx(xml).unwrap();
        assert_eq!(fixes.len(), 2);
        assert_eq!(fixes[0].time_ms, 1_714_521_600_250);
        assert_eq!(fixes[0].accuracy_m, 8.0);
        assert_eq!(fixes[0].altitude_m, Some(50.0));
        assert_eq!(
            fixes[0].speed_mps, None,
            "other vendors' extensions are not ours"
        );
        assert_eq!(fixes[1].time_ms, 1_714_521_605_000, "no zone: UTC");
        assert_eq!(fixes[1].accuracy_m, GPX_DEFAULT_ACCURACY_M);
        assert_eq!(fixes[1].provider, Provider::Other);
    }

    #[test]
    fn bad_files_get_typed_errors() {
        let wrap = |pts: &str| {
            format!(
                r#"<gpx version="1.1" xmlns="{GPX_NAMESPACE}"><trk><trkseg>{pts}</trkseg></trk></gpx>"#
            )
        };
        let ok = r#"<trkpt lat="1" lon="2"><time>2024-05-01T08:00:00Z</time></trkpt>"#;
        assert_eq!(
            from_gpx(&wrap(&format!(r#"{ok}<trkpt lat="1" lon="2"/>"#))),
            Err(PatrolError::GpxMissingTime { index: 1 })
        );
        assert!(matches!(
            from_gpx(&wrap(r#"<trkpt lat="91" lon="2"><time>2024-05-01T08:00:00Z</time></trkpt>"#)),
            Err(PatrolError::GpxInvalidPoint { index: 0, problem }) if problem.starts_with("lat")
        ));
        assert!(matches!(
            from_gpx(&wrap(
                r#"<trkpt lat="x" lon="2"><time>2024-05-01T08:00:00Z</time></trkpt>"#
            )),
            Err(PatrolError::GpxInvalidPoint { index: 0, .. })
        ));
        assert!(matches!(
            from_gpx(&wrap(
                r#"<trkpt lon="2"><time>2024-05-01T08:00:00Z</time></trkpt>"#
            )),
            Err(PatrolError::GpxInvalidPoint { index: 0, .. })
        ));
        assert!(matches!(
            from_gpx(&wrap(
                r#"<trkpt lat="1" lon="2"><time>yesterday</time></trkpt>"#
            )),
            Err(PatrolError::GpxInvalidPoint { index: 0, .. })
        ));
        for malformed in [
            "",
            "not xml at all",
            "<kml></kml>",
            "<gpx><trk><trkseg></trk></gpx>",
            "<gpx><trk>",
            "<gpx></gpx><gpx></gpx>",
            "<gpx><trk><name>&bogus;</name></trk></gpx>",
        ] {
            assert!(
                matches!(from_gpx(malformed), Err(PatrolError::GpxMalformed { .. })),
                "{malformed:?} gave {:?}",
                from_gpx(malformed)
            );
        }
        let three = wrap(&ok.repeat(3));
        assert_eq!(read_gpx(&three, 3).unwrap().len(), 3);
        assert_eq!(
            read_gpx(&wrap(&ok.repeat(4)), 3),
            Err(PatrolError::GpxTooLarge { max: 3 })
        );
    }
}
