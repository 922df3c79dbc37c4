//! Photos at capture (docs/photos.md): a camera's large JPEG is scaled down to the
//! store's maximum edge and still shows the right way up with its capture time (and
//! nothing else of its metadata); each photo gets an upright thumbnail without
//! metadata; a PNG too large becomes a JPEG; the camera's temporary file is deleted
//! once the report holds the photo (when the store is set to), and kept when the
//! report fails.
#![allow(clippy::unwrap_used, missing_docs)]

mod common;

use common::Device;
use exif::{experimental::Writer, Field, In, Tag, Value};
use gridwork_core::{
    model::Role,
    store::{photos::THUMBNAIL_EDGE, PhotoSettings, PhotoState},
    Error,
};
use image::{codecs::jpeg::JpegEncoder, ImageEncoder};
use std::path::{Path, PathBuf};

fn ascii(tag: Tag, text: &str) -> Field {
    Field {
        tag,
        ifd_num: In::PRIMARY,
        value: Value::Ascii(vec![text.as_bytes().to_vec()]),
    }
}

/// A real JPEG of `w`×`h` pixels, as a phone holds it sideways: Exif orientation 6
/// (turn 90° clockwise to show), capture time, make and position.
fn camera_jpeg(dir: &Path, name: &str, w: u32, h: u32) -> PathBuf {
    let mut writer = Writer::new();
    let fields = [
        Field {
            tag: Tag::Orientation,
            ifd_num: In::PRIMARY,
            value: Value::Short(vec![6]),
        },
        ascii(Tag::DateTimeOriginal, "2026:11:23 09:00:00"),
        ascii(Tag::Make, "PhoneCo"),
        ascii(Tag::GPSLatitudeRef, "N"),
    ];
    for f in &fields {
        writer.push_field(f);
    }
    let mut tiff = std::io::Cursor::new(Vec::new());
    writer.write(&mut tiff, false).unwrap();
    let img = image::RgbImage::from_fn(w, h, |x, y| {
        image::Rgb([(x * 255 / w) as u8, (y * 255 / h) as u8, 90])
    });
    let mut out = Vec::new();
    let mut enc = JpegEncoder::new_with_quality(&mut out, 90);
    enc.set_exif_metadata(tiff.into_inner()).unwrap();
    enc.write_image(img.as_raw(), w, h, image::ExtendedColorType::Rgb8)
        .unwrap();
    let path = dir.join(name);
    std::fs::write(&path, out).unwrap();
    path
}

fn exif_tags(bytes: &[u8]) -> Vec<Tag> {
    match exif::Reader::new().read_from_container(&mut std::io::Cursor::new(bytes)) {
        Ok(exif) => exif.fields().map(|f| f.tag).collect(),
        Err(_) => Vec::new(),
    }
}

#[test]
fn a_large_camera_photo_is_scaled_down_upright_with_its_capture_time_and_a_thumbnail() {
    let dev = Device::new("li", Role::Worker, "phone-li");
    assert_eq!(dev.store.photo_settings().unwrap().max_edge, 2048);
    dev.store
        .set_photo_settings(&PhotoSettings {
            max_edge: 1024,
            ..PhotoSettings::default()
        })
        .unwrap();
    let mut draft = dev.draft("a sideways photo");
    let shot = camera_jpeg(dev.dir.path(), "shot.jpg", 3000, 2000);
    draft.photos = vec![shot.clone()];
    let id = dev.store.report(&draft).unwrap();
    let photo = dev.store.case(id).unwrap().case.report.photos[0].clone();
    assert_eq!(photo.mime, "image/jpeg");

    let view = dev.store.photo(&photo.sha256).unwrap();
    assert_eq!(view.state, PhotoState::Local);
    let stored = std::fs::read(view.path.as_ref().unwrap()).unwrap();
    assert_eq!(stored.len() as u64, photo.size);
    // Scaled as stored (the pixels are not turned), with the orientation and the
    // capture time kept and the rest gone.
    assert_eq!(
        image::load_from_memory(&stored).unwrap().dimensions_wh(),
        (1024, 683)
    );
    assert_eq!(
        exif_tags(&stored),
        vec![Tag::Orientation, Tag::DateTimeOriginal]
    );
    let exif = exif::Reader::new()
        .read_from_container(&mut std::io::Cursor::new(&stored))
        .unwrap();
    assert_eq!(
        exif.get_field(Tag::Orientation, In::PRIMARY)
            .unwrap()
            .value
            .get_uint(0),
        Some(6)
    );
    // The source was the caller's: kept by default.
    assert!(shot.exists());

    // The thumbnail: upright (turned as the orientation says), small, no metadata.
    let thumb = photo.thumb.clone().unwrap();
    let thumb_path = view.thumbnail.unwrap();
    assert_eq!(
        thumb_path.file_name().unwrap().to_str(),
        Some(thumb.sha256.as_str())
    );
    let thumb_bytes = std::fs::read(&thumb_path).unwrap();
    assert_eq!(thumb_bytes.len() as u64, thumb.size);
    let (w, h) = image::load_from_memory(&thumb_bytes)
        .unwrap()
        .dimensions_wh();
    assert_eq!(h, THUMBNAIL_EDGE);
    assert!(w < h, "the thumbnail of a sideways photo is {w}x{h}");
    assert!(exif_tags(&thumb_bytes).is_empty());
}

#[test]
fn a_photo_within_the_edge_keeps_its_size_and_a_large_png_becomes_a_jpeg() {
    let dev = Device::new("li", Role::Worker, "phone-li");
    dev.store
        .set_photo_settings(&PhotoSettings {
            max_edge: 0,
            ..PhotoSettings::default()
        })
        .unwrap();
    let mut draft = dev.draft("as taken");
    draft.photos = vec![camera_jpeg(dev.dir.path(), "big.jpg", 2600, 1400)];
    let id = dev.store.report(&draft).unwrap();
    let photo = dev.store.case(id).unwrap().case.report.photos[0].clone();
    let stored = std::fs::read(dev.store.photos_dir().join(&photo.sha256)).unwrap();
    assert_eq!(
        image::load_from_memory(&stored).unwrap().dimensions_wh(),
        (2600, 1400)
    );

    dev.store
        .set_photo_settings(&PhotoSettings {
            max_edge: 800,
            ..PhotoSettings::default()
        })
        .unwrap();
    let png = dev.dir.path().join("screen.png");
    image::RgbaImage::from_pixel(1600, 900, image::Rgba([10, 20, 30, 255]))
        .save(&png)
        .unwrap();
    let mut draft = dev.draft("a screenshot");
    draft.photos = vec![png];
    let id = dev.store.report(&draft).unwrap();
    let photo = dev.store.case(id).unwrap().case.report.photos[0].clone();
    assert_eq!(photo.mime, "image/jpeg");
    let stored = std::fs::read(dev.store.photos_dir().join(&photo.sha256)).unwrap();
    assert_eq!(
        image::load_from_memory(&stored).unwrap().dimensions_wh(),
        (800, 450)
    );
    assert!(photo.thumb.is_some());
}

#[test]
fn the_camera_temp_file_goes_once_the_report_holds_the_photo_and_stays_when_it_fails() {
    let dev = Device::new("li", Role::Worker, "phone-li");
    dev.store
        .set_photo_settings(&PhotoSettings {
            remove_sources: true,
            ..PhotoSettings::default()
        })
        .unwrap();
    let shot = camera_jpeg(dev.dir.path(), "tmp-cam.jpg", 640, 480);
    let mut bad = dev.draft("no such category");
    bad.category = "99999".into();
    bad.photos = vec![shot.clone()];
    assert!(matches!(
        dev.store.report(&bad),
        Err(Error::UnknownCategory(_))
    ));
    assert!(shot.exists(), "a failed report took the photo's only copy");

    let mut draft = dev.draft("with a camera photo");
    draft.photos = vec![shot.clone()];
    let id = dev.store.report(&draft).unwrap();
    assert!(
        !shot.exists(),
        "the camera's temporary file was left behind"
    );
    let sha = &dev.store.case(id).unwrap().case.report.photos[0].sha256;
    assert_eq!(dev.store.photo(sha).unwrap().state, PhotoState::Local);
}

#[test]
fn a_maximum_edge_out_of_range_is_refused() {
    let dev = Device::new("li", Role::Worker, "phone-li");
    for edge in [1, 639, 8193] {
        let err = dev
            .store
            .set_photo_settings(&PhotoSettings {
                max_edge: edge,
                ..PhotoSettings::default()
            })
            .unwrap_err();
        assert!(matches!(err, Error::InvalidInput { .. }), "{edge}: {err:?}");
    }
    assert_eq!(
        dev.store.photo_settings().unwrap(),
        PhotoSettings::default()
    );
}

trait Dimensions {
    fn dimensions_wh(&self) -> (u32, u32);
}

impl Dimensions for image::DynamicImage {
    fn dimensions_wh(&self) -> (u32, u32) {
        (self.width(), self.height())
    }
}
