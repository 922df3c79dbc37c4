//! Photo downscaling and thumbnails, at capture (docs/photos.md).
//!
//! A phone camera's 12-50 megapixel JPEG is more than a case needs and costs every
//! device that shows it: a photo larger than the store's maximum edge
//! ([`super::PhotoSettings::max_edge`]) is decoded, scaled down and encoded again as a
//! JPEG, carrying over the Exif block `photo_meta` left (orientation and capture time),
//! so it still shows the right way up and says when it was taken. Every JPEG or PNG
//! photo also gets a thumbnail: at most [`THUMBNAIL_EDGE`] pixels, upright (the
//! orientation applied to the pixels), without any metadata. WebP photos are kept as
//! they are and get no thumbnail (the image library is built with JPEG and PNG only,
//! for the size of the phones' library): a device shows the full photo for them.
//!
//! A photo that cannot be decoded (broken off, or larger than [`MAX_PIXELS`]) is kept
//! as stripped, without a thumbnail: capture never fails for it.

use image::{
    codecs::jpeg::{JpegDecoder, JpegEncoder},
    codecs::png::PngDecoder,
    imageops::FilterType,
    DynamicImage, ImageDecoder, ImageEncoder, Limits,
};
use std::io::Cursor;

/// Longer edge of a thumbnail, in pixels.
pub const THUMBNAIL_EDGE: u32 = 320;
/// JPEG quality of a downscaled photo.
const PHOTO_QUALITY: u8 = 85;
/// JPEG quality of a thumbnail.
const THUMBNAIL_QUALITY: u8 = 70;
/// Most pixels a photo may have to be decoded (a decompression bomb is kept as is).
pub const MAX_PIXELS: u64 = 64_000_000;

/// What capture made of a stripped photo.
pub(crate) struct Processed {
    /// The photo's bytes: downscaled, or the stripped input unchanged.
    pub(crate) bytes: Vec<u8>,
    /// Its media type (a downscaled PNG becomes a JPEG).
    pub(crate) mime: &'static str,
    /// The thumbnail's JPEG bytes, when the photo could be decoded.
    pub(crate) thumb: Option<Vec<u8>>,
}

/// Downscales `bytes` (already stripped, of type `mime`) to at most `max_edge` pixels on
/// the longer edge (`0`: keep the size as taken) and makes its thumbnail.
pub(crate) fn process(mime: &'static str, bytes: Vec<u8>, max_edge: u32) -> Processed {
    let Some((image, exif)) = decode(mime, &bytes) else {
        return Processed {
            bytes,
            mime,
            thumb: None,
        };
    };
    let thumb = thumbnail(&image, exif.as_deref());
    let too_large = max_edge > 0 && image.width().max(image.height()) > max_edge;
    if !too_large {
        return Processed { bytes, mime, thumb };
    }
    let scaled = image.resize(max_edge, max_edge, FilterType::Triangle);
    match encode(&scaled, PHOTO_QUALITY, exif) {
        Some(bytes) => Processed {
            bytes,
            mime: "image/jpeg",
            thumb,
        },
        None => Processed { bytes, mime, thumb },
    }
}

/// The decoded image and its Exif block (TIFF data, JPEG only).
fn decode(mime: &str, bytes: &[u8]) -> Option<(DynamicImage, Option<Vec<u8>>)> {
    let mut limits = Limits::default();
    limits.max_alloc = Some(MAX_PIXELS * 4);
    match mime {
        "image/jpeg" => {
            let mut decoder = JpegDecoder::new(Cursor::new(bytes)).ok()?;
            let exif = decoder.exif_metadata().ok().flatten();
            check_size(decoder.dimensions())?;
            decoder.set_limits(limits).ok()?;
            Some((DynamicImage::from_decoder(decoder).ok()?, exif))
        }
        "image/png" => {
            let mut decoder = PngDecoder::new(Cursor::new(bytes)).ok()?;
            check_size(decoder.dimensions())?;
            decoder.set_limits(limits).ok()?;
            Some((DynamicImage::from_decoder(decoder).ok()?, None))
        }
        _ => None,
    }
}

fn check_size((w, h): (u32, u32)) -> Option<()> {
    (w > 0 && h > 0 && u64::from(w) * u64::from(h) <= MAX_PIXELS).then_some(())
}

/// The thumbnail: scaled down, orientation applied, no metadata.
fn thumbnail(image: &DynamicImage, exif: Option<&[u8]>) -> Option<Vec<u8>> {
    let mut small = if image.width().max(image.height()) > THUMBNAIL_EDGE {
        image.thumbnail(THUMBNAIL_EDGE, THUMBNAIL_EDGE)
    } else {
        image.clone()
    };
    if let Some(orientation) = exif.and_then(image::metadata::Orientation::from_exif_chunk) {
        small.apply_orientation(orientation);
    }
    encode(&small, THUMBNAIL_QUALITY, None)
}

/// A baseline JPEG of `image` (alpha dropped), with `exif` as its APP1 segment.
fn encode(image: &DynamicImage, quality: u8, exif: Option<Vec<u8>>) -> Option<Vec<u8>> {
    let rgb = image.to_rgb8();
    let mut out = Vec::new();
    let mut encoder = JpegEncoder::new_with_quality(&mut out, quality);
    if let Some(exif) = exif {
        encoder.set_exif_metadata(exif).ok()?;
    }
    encoder
        .write_image(
            rgb.as_raw(),
            rgb.width(),
            rgb.height(),
            image::ExtendedColorType::Rgb8,
        )
        .ok()?;
    Some(out)
}
