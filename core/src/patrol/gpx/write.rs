//! Writing a patrol as GPX 1.1, in the element order of the schema.

use quick_xml::events::{BytesDecl, BytesStart, BytesText, Event};
use quick_xml::Writer;
use serde::{Deserialize, Serialize};

use super::{GPX_NAMESPACE, GRIDWORK_GPX_NAMESPACE};
use crate::patrol::checkin::{check_all, CheckIn};
use crate::patrol::fix::{check_fixes, TrackPoint};
use crate::patrol::local::{check_positive, check_time_order, rfc3339};
use crate::patrol::PatrolError;

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
                text_element(w, "time", &rfc3339(c.time_ms))?;
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
            text_element(w, "time", &rfc3339(f.time_ms))?;
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

/// Text without the control characters XML 1.0 cannot carry.
fn xml_safe(s: &str) -> String {
    s.chars()
        .filter(|&c| {
            matches!(c, '\t' | '\n' | '\r') || (c >= ' ' && c != '\u{FFFE}' && c != '\u{FFFF}')
        })
        .collect()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::patrol::testkit::sample_patrol;

    #[test]
    fn the_export_is_read_by_the_gpx_crate() {
        let (points, check_ins) = sample_patrol();
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
        let (points, check_ins) = sample_patrol();
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
    fn invalid_input_is_refused_before_writing() {
        let (mut points, _) = sample_patrol();
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
