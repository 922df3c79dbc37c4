//! Photos lose their metadata before the store keeps them: a camera JPEG carrying its
//! position, the phone's make and serial number and the owner's name is stored (and
//! hashed, and synced) with its orientation and capture time only, whichever way it
//! comes in: a report, a handler's photo, a patrol check-in.
#![allow(clippy::unwrap_used, missing_docs)]

mod common;

use common::{act, as_role, Device};
use exif::{experimental::Writer, Field, In, Rational, Tag, Value};
use gridwork_core::{model::Role, store::ActionKind, Error};
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};

const TAKEN: &str = "2026:11:23 09:00:00";

fn ascii(tag: Tag, text: &str) -> Field {
    Field {
        tag,
        ifd_num: In::PRIMARY,
        value: Value::Ascii(vec![text.as_bytes().to_vec()]),
    }
}

/// A JPEG as a phone camera writes it: Exif with position, device and owner, an XMP
/// packet with the position again, a comment, Photoshop/IPTC data, and a second picture
/// after the end of the first (as multi-picture files have).
fn camera_jpeg(dir: &Path, name: &str) -> PathBuf {
    let fields = vec![
        Field {
            tag: Tag::Orientation,
            ifd_num: In::PRIMARY,
            value: Value::Short(vec![6]),
        },
        ascii(Tag::DateTimeOriginal, TAKEN),
        ascii(Tag::OffsetTimeOriginal, "+08:00"),
        ascii(Tag::Make, "PhoneCo"),
        ascii(Tag::Model, "P40 Pro"),
        ascii(Tag::BodySerialNumber, "SN-99812"),
        ascii(Tag::Artist, "Li Wei"),
        ascii(Tag::CameraOwnerName, "Li Wei"),
        ascii(Tag::Copyright, "Li Wei 2026"),
        Field {
            tag: Tag::MakerNote,
            ifd_num: In::PRIMARY,
            value: Value::Undefined(b"phoneco secret".to_vec(), 0),
        },
        ascii(Tag::GPSLatitudeRef, "N"),
        Field {
            tag: Tag::GPSLatitude,
            ifd_num: In::PRIMARY,
            value: Value::Rational(vec![
                Rational { num: 31, denom: 1 },
                Rational { num: 18, denom: 1 },
                Rational {
                    num: 3012,
                    denom: 100,
                },
            ]),
        },
        ascii(Tag::GPSLongitudeRef, "E"),
        Field {
            tag: Tag::GPSLongitude,
            ifd_num: In::PRIMARY,
            value: Value::Rational(vec![
                Rational { num: 120, denom: 1 },
                Rational { num: 37, denom: 1 },
                Rational { num: 0, denom: 1 },
            ]),
        },
    ];
    let mut writer = Writer::new();
    for f in &fields {
        writer.push_field(f);
    }
    let mut tiff = std::io::Cursor::new(Vec::new());
    writer.write(&mut tiff, false).unwrap();
    let segment = |marker: u8, payload: &[u8]| {
        let mut s = vec![0xFF, marker];
        s.extend_from_slice(&(payload.len() as u16 + 2).to_be_bytes());
        s.extend_from_slice(payload);
        s
    };
    let mut jpeg = vec![0xFF, 0xD8];
    jpeg.extend(segment(0xE0, b"JFIF\0\x01\x01\0\0\x01\0\x01\0\0"));
    jpeg.extend(segment(
        0xE1,
        &[b"Exif\0\0".as_slice(), &tiff.into_inner()].concat(),
    ));
    jpeg.extend(segment(
        0xE1,
        b"http://ns.adobe.com/xap/1.0/\0<x:xmpmeta><exif:GPSLatitude>31,18.502N</exif:GPSLatitude></x:xmpmeta>",
    ));
    jpeg.extend(segment(0xE2, b"ICC_PROFILE\0\x01\x01colours"));
    jpeg.extend(segment(0xED, b"Photoshop 3.0\08BIM owner Li Wei"));
    jpeg.extend(segment(0xFE, b"taken by Li Wei, 13800138000"));
    jpeg.extend(segment(0xDB, &[0; 65]));
    jpeg.extend(segment(0xDA, &[1, 1, 0, 0, 63, 0]));
    jpeg.extend_from_slice(&[0x12, 0xFF, 0x00, 0x34, 0xFF, 0xD0, 0x56]);
    jpeg.extend_from_slice(name.as_bytes());
    jpeg.extend_from_slice(&[0xFF, 0xD9]);
    jpeg.extend_from_slice(b"\xFF\xD8second picture GPS 31.3084N 120.6167E\xFF\xD9");
    let path = dir.join(name);
    std::fs::write(&path, jpeg).unwrap();
    path
}

/// Checks the stored photo `sha256`: named by the hash of its stripped bytes, with only
/// orientation and capture time left, and the picture itself unchanged.
fn assert_stripped(dev: &Device, sha256: &str, original: &Path) {
    let stored = std::fs::read(dev.store.photos_dir().join(sha256)).unwrap();
    assert_eq!(hex::encode(Sha256::digest(&stored)), sha256);
    let text = String::from_utf8_lossy(&stored);
    for gone in [
        "Li Wei",
        "13800138000",
        "GPS",
        "PhoneCo",
        "second picture",
        "8BIM",
    ] {
        assert!(
            !text.contains(gone),
            "{gone:?} is still in the stored photo"
        );
    }
    let exif = exif::Reader::new()
        .read_from_container(&mut std::io::Cursor::new(&stored))
        .unwrap();
    let tags: Vec<Tag> = exif.fields().map(|f| f.tag).collect();
    assert_eq!(
        tags,
        vec![
            Tag::Orientation,
            Tag::DateTimeOriginal,
            Tag::OffsetTimeOriginal
        ],
        "only orientation and capture time are left"
    );
    assert_eq!(
        exif.get_field(Tag::Orientation, In::PRIMARY)
            .unwrap()
            .value
            .get_uint(0),
        Some(6)
    );
    assert_eq!(
        exif.get_field(Tag::DateTimeOriginal, In::PRIMARY)
            .unwrap()
            .display_value()
            .to_string(),
        "2026-11-23 09:00:00"
    );
    // The colour profile, the tables and the picture data are byte for byte the original's.
    let original = std::fs::read(original).unwrap();
    let tail = |b: &[u8]| {
        let at = b.windows(4).position(|w| w == b"ICC_").unwrap();
        let end = b.windows(2).position(|w| w == [0xFF, 0xD9]).unwrap();
        b[at..end + 2].to_vec()
    };
    let strip_meta = |b: Vec<u8>| {
        let mut t = tail(&b);
        // The Photoshop and comment segments sat between the profile and the tables.
        for cut in [&b"Photoshop"[..], b"taken by"] {
            if let Some(at) = t.windows(cut.len()).position(|w| w == cut) {
                let len = usize::from(u16::from_be_bytes([t[at - 2], t[at - 1]]));
                t.drain(at - 4..at - 2 + len);
            }
        }
        t
    };
    assert_eq!(strip_meta(original), tail(&stored));
}

#[test]
fn reports_handler_photos_and_check_ins_keep_only_orientation_and_capture_time() {
    let dev = Device::new("wang", Role::Supervisor, "tablet-1");
    let mut draft = dev.draft("rubbish");
    let report_photo = camera_jpeg(dev.dir.path(), "report.jpg");
    draft.photos = vec![report_photo.clone()];
    let case = dev.store.report(&draft).unwrap();
    let detail = dev.store.case(case).unwrap();
    let sha = detail.case.report.photos[0].sha256.clone();
    assert_stripped(&dev, &sha, &report_photo);
    assert_eq!(
        detail.case.report.photos[0].size,
        std::fs::metadata(dev.store.photos_dir().join(&sha))
            .unwrap()
            .len()
    );

    dev.store.act(case, &act(ActionKind::Register)).unwrap();
    let mut dispatch = act(ActionKind::Dispatch);
    dispatch.department = Some(dev.department());
    dev.store.act(case, &dispatch).unwrap();
    let mut handle = as_role(act(ActionKind::Handle), Role::Handler);
    let handle_photo = camera_jpeg(dev.dir.path(), "after.jpg");
    handle.photos = vec![handle_photo.clone()];
    dev.store.act(case, &handle).unwrap();
    let after = stored_photos(&dev).into_iter().find(|p| *p != sha).unwrap();
    assert_stripped(&dev, &after, &handle_photo);

    let (lat, lon, cell) = dev.point_in_first_cell();
    let patrol = dev.store.start_patrol(&[cell]).unwrap();
    let visit_photo = camera_jpeg(dev.dir.path(), "visit.jpg");
    dev.store
        .check_in(patrol, lat, lon, None, Some(&visit_photo))
        .unwrap();
    let detail = dev.store.patrol(patrol).unwrap();
    let visit = detail.check_ins[0].photo.clone().unwrap();
    assert_stripped(&dev, &visit.sha256, &visit_photo);

    // Nothing but the three stripped photos reached the folder.
    assert_eq!(stored_photos(&dev).len(), 3);
}

fn stored_photos(dev: &Device) -> Vec<String> {
    std::fs::read_dir(dev.store.photos_dir())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect()
}

#[test]
fn a_heic_photo_is_refused_and_changes_nothing() {
    let dev = Device::new("li", Role::Worker, "phone-1");
    let heic = dev.dir.path().join("photo.heic");
    std::fs::write(&heic, b"\0\0\0\x18ftypheic\0\0\0\0mif1heicGPS").unwrap();
    let before = common::snapshot(&dev.store);
    let mut draft = dev.draft("rubbish");
    draft.photos = vec![heic];
    let err = dev.store.report(&draft).unwrap_err();
    assert!(matches!(err, Error::InvalidInput { .. }), "{err:?}");
    assert!(err.to_string().contains("HEIC"), "{err}");
    assert_eq!(common::snapshot(&dev.store), before);
}
