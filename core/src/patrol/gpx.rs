//! GPX 1.1, the file format every GPS tool reads: patrols go out as GPX for supervisors'
//! tools, and tracks recorded elsewhere come in from GPX.
//!
//! Written with `quick-xml` rather than the `gpx` crate: that crate neither writes nor
//! reads `<extensions>`, where a point's accuracy, speed, bearing and flags go. Output
//! follows the element order of the GPX 1.1 schema (metadata, wpt, trk; in a point: ele,
//! time, extensions). Extensions use the namespace [`GRIDWORK_GPX_NAMESPACE`], which GPX
//! 1.1 readers are required to skip if they do not know it.

use chrono::{DateTime, NaiveDateTime, SecondsFormat, Utc};
use quick_xml::events::{BytesDecl, BytesStart, BytesText, Event};
use quick_xml::name::ResolveResult;
use quick_xml::reader::NsReader;
use quick_xml::Writer;
use serde::{Deserialize, Serialize};

use super::checkin::{check_all, CheckIn};
use super::fix::{check_fixes, Fix, Provider, TrackPoint};
use super::local::{check_positive, check_time_order};
use super::PatrolError;

/// The GPX 1.1 namespace, declared as the default namespace of every file written.
pub const GPX_NAMESPACE: &str = "http://www.topografix.com/GPX/1/1";
/// The namespace of gridwork's point extensions: `accuracy` (m), `speed` (m/s),
/// `bearing` (°) and `flags` (flag names separated by spaces).
pub const GRIDWORK_GPX_NAMESPACE: &str = "urn:gridwork:gpx:1";
/// Accuracy given to an imported point with neither a gridwork accuracy nor `<hdop>`, m.
pub const GPX_DEFAULT_ACCURACY_M: f64 = 10.0;
/// Metres of accuracy per unit of `<hdop>` when importing (a common rule of thumb for
/// consumer GNSS receivers).
pub const GPX_HDOP_METRES: f64 = 5.0;
/// The most track points [`from_gpx`] reads (55 hours at one a second); a larger file is
/// refused with [`PatrolError::GpxTooLarge`].
pub const MAX_GPX_FIXES: usize = 200_000;

/// What goes into an exported file besides the points.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GpxOptions {
    /// Name of the file's metadata and of its track (for example the patrol's title).
    pub name: Option<String>,
    /// Whether flagged points are written too (with their flags in the extensions).
    /// Default false: a viewer would draw them as spikes in the track.
    pub include_flagged: bool,
    /// A new `<trkseg>` starts where consecutive points are further apart in time than
    /// this. Default 60 s.
    pub gap_threshold_s: f64,
}

impl Default for GpxOptions {
    fn default() -> Self {
        GpxOptions {
            name: None,
            include_flagged: false,
            gap_threshold_s: 60.0,
        }
    }
}

/// Writes a patrol as a GPX 1.1 document: check-ins as waypoints (`<wpt>` with time,
/// the note as `<desc>`, and `<type>check-in</type>`), and the track points in time
/// order as one `<trk>`, split into `<trkseg>`s at holes in the log.
///
/// Points must be in time order and valid; check-ins valid.
pub fn to_gpx(
    points: &[TrackPoint],
    check_ins: &[CheckIn],
    options: &GpxOptions,
) -> Result<String, PatrolError> {
    check_positive("gap_threshold_s", options.gap_threshold_s)?;
    check_time_order(points)?;
    check_fixes(points.iter().map(|p| &p.fix))?;
    check_all(check_ins)?;
    let exported: Vec<TrackPoint> = points
        .iter()
        .filter(|p| options.include_flagged || p.is_plausible())
        .map(|p| TrackPoint {
            fix: p.fix.quantized(),
            flags: p.flags,
        })
        .collect();
    write_document(&exported, check_ins, options).map_err(|e| PatrolError::XmlWrite {
        message: e.to_string(),
    })
}

type XmlWriter = Writer<Vec<u8>>;

fn write_document(
    points: &[TrackPoint],
    check_ins: &[CheckIn],
    options: &GpxOptions,
) -> std::io::Result<String> {
    let mut w = Writer::new_with_indent(Vec::new(), b' ', 2);
    w.write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)))?;
    let root = BytesStart::new("gpx").with_attributes([
        ("version", "1.1"),
        ("creator", "gridwork"),
        ("xmlns", GPX_NAMESPACE),
        ("xmlns:gw", GRIDWORK_GPX_NAMESPACE),
        ("xmlns:xsi", "http://www.w3.org/2001/XMLSchema-instance"),
        (
            "xsi:schemaLocation",
            "http://www.topografix.com/GPX/1/1 http://www.topografix.com/GPX/1/1/gpx.xsd",
        ),
    ]);
    w.write_event(Event::Start(root.borrow()))?;

    let positions = points
        .iter()
        .map(|p| (p.fix.lat, p.fix.lon))
        .chain(check_ins.iter().map(|c| (c.lat, c.lon)));
    let bounds = positions.fold(None, |b: Option<[f64; 4]>, (lat, lon)| {
        Some(match b {
            None => [lat, lon, lat, lon],
            Some([a, b, c, d]) => [a.min(lat), b.min(lon), c.max(lat), d.max(lon)],
        })
    });
    let name = options.name.as_deref().map(xml_safe);
    if name.is_some() || bounds.is_some() {
        w.create_element("metadata").write_inner_content(|w| {
            if let Some(name) = &name {
                text_element(w, "name", name)?;
            }
            if let Some([min_lat, min_lon, max_lat, max_lon]) = bounds {
                w.create_element("bounds")
                    .with_attributes([
                        ("minlat", coordinate(min_lat).as_str()),
                        ("minlon", coordinate(min_lon).as_str()),
                        ("maxlat", coordinate(max_lat).as_str()),
                        ("maxlon", coordinate(max_lon).as_str()),
                    ])
                    .write_empty()?;
            }
            Ok(())
        })?;
    }

    for c in check_ins {
        w.create_element("wpt")
            .with_attributes([
                ("lat", coordinate(c.lat).as_str()),
                ("lon", coordinate(c.lon).as_str()),
            ])
            .write_inner_content(|w| {
                text_element(w, "time", &timestamp(c.time_ms))?;
                if let Some(note) = &c.note {
                    text_element(w, "desc", &xml_safe(note))?;
                }
                text_element(w, "type", "check-in")
            })?;
    }

    if !points.is_empty() {
        let gap_ms = options.gap_threshold_s * 1000.0;
        w.create_element("trk").write_inner_content(|w| {
            if let Some(name) = &name {
                text_element(w, "name", name)?;
            }
            let mut start = 0;
            while start < points.len() {
                let mut end = start + 1;
                while end < points.len()
                    && ((points[end].fix.time_ms - points[end - 1].fix.time_ms) as f64) <= gap_ms
                {
                    end += 1;
                }
                w.create_element("trkseg").write_inner_content(|w| {
                    points[start..end]
                        .iter()
                        .try_for_each(|p| write_point(w, p))
                })?;
                start = end;
            }
            Ok(())
        })?;
    }
    w.write_event(Event::End(root.to_end()))?;
    String::from_utf8(w.into_inner()).map_err(std::io::Error::other)
}

fn write_point(w: &mut XmlWriter, p: &TrackPoint) -> std::io::Result<()> {
    let f = &p.fix;
    w.create_element("trkpt")
        .with_attributes([
            ("lat", coordinate(f.lat).as_str()),
            ("lon", coordinate(f.lon).as_str()),
        ])
        .write_inner_content(|w| {
            if let Some(alt) = f.altitude_m {
                text_element(w, "ele", &alt.to_string())?;
            }
            text_element(w, "time", &timestamp(f.time_ms))?;
            w.create_element("extensions").write_inner_content(|w| {
                text_element(w, "gw:accuracy", &f.accuracy_m.to_string())?;
                if let Some(speed) = f.speed_mps {
                    text_element(w, "gw:speed", &speed.to_string())?;
                }
                if let Some(bearing) = f.bearing_deg {
                    text_element(w, "gw:bearing", &bearing.to_string())?;
                }
                if !p.flags.is_empty() {
                    let names: Vec<&str> = p.flags.names().collect();
                    text_element(w, "gw:flags", &names.join(" "))?;
                }
                Ok(())
            })?;
            Ok(())
        })?;
    Ok(())
}

fn text_element(w: &mut XmlWriter, name: &str, text: &str) -> std::io::Result<()> {
    w.create_element(name)
        .write_text_content(BytesText::new(text))?;
    Ok(())
}

/// A coordinate rounded to 1e-7° (about 1 cm), printed without trailing zeros.
fn coordinate(x: f64) -> String {
    ((x * 1e7).round() / 1e7).to_string()
}

/// RFC 3339 in UTC with a `Z`, with milliseconds only when there are any.
fn timestamp(time_ms: i64) -> String {
    // Times were validated to lie in 1970 ..= 9999, which chrono represents.
    DateTime::<Utc>::from_timestamp_millis(time_ms)
        .unwrap_or_default()
        .to_rfc3339_opts(SecondsFormat::AutoSi, true)
}

/// Text without the control characters XML 1.0 cannot carry.
fn xml_safe(s: &str) -> String {
    s.chars()
        .filter(|&c| {
            matches!(c, '\t' | '\n' | '\r') || (c >= ' ' && c != '\u{FFFE}' && c != '\u{FFFF}')
        })
        .collect()
}

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
    use crate::patrol::integrity::FixFlags;
    use crate::patrol::testkit::fix_xy;

    const T0: i64 = 1_700_000_000_000;

    fn patrol() -> (Vec<TrackPoint>, Vec<CheckIn>) {
        let mut points: Vec<TrackPoint> = (0..20)
            .map(|i| {
                let mut f = fix_xy(T0 + i * 1000, i as f64 * 1.4, 0.0);
                f.altitude_m = Some(44.2);
                f.speed_mps = Some(1.4);
                f.bearing_deg = Some(90.0);
                TrackPoint::new(f)
            })
            .collect();
        // A hole of ten minutes, then five more fixes; one of them flagged.
        points.extend(
            (0..5).map(|i| TrackPoint::new(fix_xy(T0 + 620_000 + i * 1000, 30.0, i as f64))),
        );
        points[22].flags = FixFlags::SPEED;
        let check_ins = vec![CheckIn {
            time_ms: T0 + 5_500,
            lat: points[5].fix.lat,
            lon: points[5].fix.lon,
            note: Some("Gate 3 <locked> & \"chained\"\u{7}".to_owned()),
        }];
        (points, check_ins)
    }

    #[test]
    fn the_export_is_read_by_the_gpx_crate() {
        let (points, check_ins) = patrol();
        let options = GpxOptions {
            name: Some("东华门 patrol".to_owned()),
            ..GpxOptions::default()
        };
        let xml = to_gpx(&points, &check_ins, &options).unwrap();
        let doc = ::gpx::read(xml.as_bytes()).unwrap();
        assert_eq!(doc.version, ::gpx::GpxVersion::Gpx11);
        assert_eq!(doc.metadata.unwrap().name.as_deref(), Some("东华门 patrol"));
        assert_eq!(doc.waypoints.len(), 1);
        assert_eq!(
            doc.waypoints[0].description.as_deref(),
            Some("Gate 3 <locked> & \"chained\"")
        );
        assert_eq!(doc.waypoints[0].type_.as_deref(), Some("check-in"));
        let track = &doc.tracks[0];
        let sizes: Vec<usize> = track.segments.iter().map(|s| s.points.len()).collect();
        assert_eq!(
            sizes,
            [20, 4],
            "split at the hole; the flagged fix left out"
        );
        let first = &track.segments[0].points[0];
        assert_eq!(first.elevation, Some(44.2));
        let time: String = first.time.unwrap().format().unwrap();
        assert!(time.starts_with("2023-11-14T22:13:20"), "{time}");
        assert!(xml.contains("<time>2023-11-14T22:13:20Z</time>"));
        assert!((first.point().y() - points[0].fix.lat).abs() < 1e-7);

        let with_flagged = GpxOptions {
            include_flagged: true,
            ..GpxOptions::default()
        };
        let xml = to_gpx(&points, &[], &with_flagged).unwrap();
        assert!(xml.contains("<gw:flags>speed</gw:flags>"));
        assert_eq!(
            ::gpx::read(xml.as_bytes()).unwrap().tracks[0].segments[1]
                .points
                .len(),
            5
        );
    }

    /// Child element names of each element named `parent`, in document order.
    fn children_of(xml: &str, parent: &str) -> Vec<Vec<String>> {
        let mut reader = quick_xml::Reader::from_str(xml);
        let mut stack: Vec<String> = Vec::new();
        let mut out: Vec<Vec<String>> = Vec::new();
        loop {
            match reader.read_event().unwrap() {
                Event::Start(e) | Event::Empty(e)
                    if stack.last().map(String::as_str) == Some(parent) =>
                {
                    out.last_mut().unwrap().push(e.name().as_ref().to_owned());
                    if !xml[..reader.buffer_position() as usize].ends_with("/>") {
                        stack.push(e.name().as_ref().to_owned());
                    }
                }
                Event::Start(e) => {
                    let name = e.name().as_ref().to_owned();
                    if name == parent {
                        out.push(Vec::new());
                    }
                    stack.push(name);
                }
                Event::Empty(e) if e.name().as_ref() == parent => out.push(Vec::new()),
                Event::End(_) => {
                    stack.pop();
                }
                Event::Eof => return out,
                _ => {}
            }
        }
    }

    #[test]
    fn elements_come_in_the_order_of_the_gpx_1_1_schema() {
        let (points, check_ins) = patrol();
        let options = GpxOptions {
            name: Some("p".to_owned()),
            include_flagged: true,
            ..GpxOptions::default()
        };
        let xml = to_gpx(&points, &check_ins, &options).unwrap();
        assert!(xml.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>"));
        assert!(xml.contains(&format!("xmlns=\"{GPX_NAMESPACE}\"")));
        assert!(xml.contains("version=\"1.1\""));
        assert_eq!(children_of(&xml, "gpx"), [["metadata", "wpt", "trk"]]);
        assert_eq!(children_of(&xml, "metadata"), [["name", "bounds"]]);
        assert_eq!(children_of(&xml, "wpt"), [["time", "desc", "type"]]);
        assert_eq!(children_of(&xml, "trk"), [["name", "trkseg", "trkseg"]]);
        let trkpts = children_of(&xml, "trkpt");
        assert_eq!(trkpts.len(), 25);
        assert_eq!(trkpts[0], ["ele", "time", "extensions"]);
        assert_eq!(trkpts[24], ["time", "extensions"]);
        let ext = children_of(&xml, "extensions");
        assert_eq!(ext[0], ["gw:accuracy", "gw:speed", "gw:bearing"]);
        assert_eq!(ext[22], ["gw:accuracy", "gw:flags"]);
        let bounds = xml.lines().find(|l| l.contains("<bounds")).unwrap();
        let at = |name: &str| bounds.find(&format!(" {name}=")).unwrap();
        assert!(
            at("minlat") < at("minlon")
                && at("minlon") < at("maxlat")
                && at("maxlat") < at("maxlon")
        );
    }

    #[test]
    fn an_export_reads_back_as_the_same_fixes() {
        let (points, _) = patrol();
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

    #[test]
    fn invalid_input_is_refused_before_writing() {
        let (mut points, _) = patrol();
        points[3].fix.lon = f64::NAN;
        assert!(matches!(
            to_gpx(&points, &[], &GpxOptions::default()),
            Err(PatrolError::InvalidFix {
                index: Some(3),
                field: "lon",
                ..
            })
        ));
        let bad = CheckIn {
            time_ms: 0,
            lat: 0.0,
            lon: 200.0,
            note: None,
        };
        assert!(matches!(
            to_gpx(&[], &[bad], &GpxOptions::default()),
            Err(PatrolError::InvalidCheckIn { index: Some(0), .. })
        ));
        let empty = to_gpx(&[], &[], &GpxOptions::default()).unwrap();
        assert_eq!(::gpx::read(empty.as_bytes()).unwrap().tracks.len(), 0);
    }
}
