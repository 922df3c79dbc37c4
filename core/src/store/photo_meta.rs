//! Photo metadata: what is taken out of a photo before the store keeps it.
//!
//! A phone's camera writes where the picture was taken (GPS), the phone's make, model and
//! serial number, the owner's name and much more into the file. The store keeps only what
//! a case needs: the Exif orientation (so the picture shows the right way up) and the
//! capture time (`DateTimeOriginal` with its sub-seconds and UTC offset). Everything else
//! goes, before the photo is hashed, so the stored and synced bytes are the stripped ones.
//!
//! - JPEG: the Exif segment is rewritten with those fields only; XMP, IPTC/Photoshop,
//!   comments, maker segments (APP3 to APP15 but Adobe's APP14 colour transform), the
//!   multi-picture APP2 segment and whatever follows the image's end (the pictures it
//!   points to) are dropped. JFIF, the ICC colour profile and Adobe's segment stay.
//! - PNG: the `eXIf`, `tEXt`, `zTXt`, `iTXt` and `tIME` chunks are dropped.
//! - WebP: the `EXIF` and `XMP ` chunks are dropped (and their flags cleared).
//! - HEIC is refused by [`super::photos`]: its metadata lives in items the store does not
//!   rewrite. Both shells hand over JPEG.
//!
//! A file whose structure breaks off (not a well-formed image from some point on) is
//! kept as it is from that point: a metadata block found before it is still dropped.

use exif::{experimental::Writer, In, Tag};

/// The Exif fields a stored photo keeps, all in the primary image's directory.
const KEPT: &[Tag] = &[
    Tag::Orientation,
    Tag::DateTimeOriginal,
    Tag::SubSecTimeOriginal,
    Tag::OffsetTimeOriginal,
];

/// The photo's bytes without the metadata the store does not keep (see the module
/// docs); `mime` is what the photo was sniffed as.
pub(crate) fn strip(mime: &str, bytes: Vec<u8>) -> Vec<u8> {
    match mime {
        "image/jpeg" => strip_jpeg(&bytes),
        "image/png" => strip_png(&bytes),
        "image/webp" => strip_webp(&bytes),
        _ => bytes,
    }
}

/// A minimal Exif block (TIFF data) holding only the [`KEPT`] fields of `tiff`, or
/// `None` when it holds none of them or cannot be read.
fn minimal_exif(tiff: &[u8]) -> Option<Vec<u8>> {
    let exif = exif::Reader::new().read_raw(tiff.to_vec()).ok()?;
    let kept: Vec<&exif::Field> = KEPT
        .iter()
        .filter_map(|tag| exif.get_field(*tag, In::PRIMARY))
        .collect();
    if kept.is_empty() {
        return None;
    }
    let mut writer = Writer::new();
    for field in &kept {
        writer.push_field(field);
    }
    let mut out = std::io::Cursor::new(Vec::new());
    writer.write(&mut out, exif.little_endian()).ok()?;
    Some(out.into_inner())
}

const EXIF_HEADER: &[u8] = b"Exif\0\0";

/// Whether a JPEG segment with `marker` and `payload` is metadata the store drops.
fn jpeg_metadata(marker: u8, payload: &[u8]) -> bool {
    match marker {
        0xE1 | 0xE3..=0xED | 0xEF | 0xFE => true,
        0xE2 => !payload.starts_with(b"ICC_PROFILE\0"),
        _ => false,
    }
}

fn strip_jpeg(b: &[u8]) -> Vec<u8> {
    let mut out: Vec<u8> = b[..2.min(b.len())].to_vec();
    let mut exif: Option<Vec<u8>> = None;
    // Where the rewritten Exif segment goes: after SOI, or after a JFIF APP0 there.
    let mut exif_at = out.len();
    let mut i = 2;
    let mut first = true;
    while i < b.len() {
        if b[i] != 0xFF || i + 1 >= b.len() {
            out.extend_from_slice(&b[i..]);
            break;
        }
        let marker = b[i + 1];
        if marker == 0xFF {
            // Fill byte before a marker.
            i += 1;
            continue;
        }
        if marker == 0xD9 {
            // End of image: what follows (multi-picture attachments) is dropped.
            out.extend_from_slice(&b[i..i + 2]);
            break;
        }
        if marker == 0x01 || (0xD0..=0xD7).contains(&marker) {
            out.extend_from_slice(&b[i..i + 2]);
            i += 2;
            continue;
        }
        let Some(len) = b
            .get(i + 2..i + 4)
            .map(|l| usize::from(u16::from_be_bytes([l[0], l[1]])))
        else {
            out.extend_from_slice(&b[i..]);
            break;
        };
        let end = i + 2 + len;
        if len < 2 || end > b.len() {
            // Broken off: keep the rest as it is unless it is a metadata segment.
            if !jpeg_metadata(marker, &b[(i + 4).min(b.len())..]) {
                out.extend_from_slice(&b[i..]);
            }
            break;
        }
        let payload = &b[i + 4..end];
        if jpeg_metadata(marker, payload) {
            if marker == 0xE1 && exif.is_none() {
                if let Some(tiff) = payload.strip_prefix(EXIF_HEADER) {
                    exif = minimal_exif(tiff);
                }
            }
        } else {
            out.extend_from_slice(&b[i..end]);
            if first && marker == 0xE0 {
                exif_at = out.len();
            }
        }
        first = false;
        i = end;
        if marker == 0xDA {
            // Entropy-coded data up to the next marker (not a stuffed 0xFF00 or a
            // restart marker).
            let mut j = i;
            while j < b.len() {
                if b[j] == 0xFF
                    && j + 1 < b.len()
                    && b[j + 1] != 0x00
                    && !(0xD0..=0xD7).contains(&b[j + 1])
                    && b[j + 1] != 0xFF
                {
                    break;
                }
                j += 1;
            }
            out.extend_from_slice(&b[i..j]);
            i = j;
        }
    }
    if let Some(tiff) = exif {
        let len = EXIF_HEADER.len() + tiff.len() + 2;
        if let Ok(len) = u16::try_from(len) {
            let mut segment = vec![0xFF, 0xE1];
            segment.extend_from_slice(&len.to_be_bytes());
            segment.extend_from_slice(EXIF_HEADER);
            segment.extend_from_slice(&tiff);
            out.splice(exif_at..exif_at, segment);
        }
    }
    out
}

fn strip_png(b: &[u8]) -> Vec<u8> {
    const SIGNATURE: usize = 8;
    let mut out = b[..SIGNATURE.min(b.len())].to_vec();
    let mut i = SIGNATURE;
    while i < b.len() {
        let Some(header) = b.get(i..i + 8) else {
            out.extend_from_slice(&b[i..]);
            break;
        };
        let len = u32::from_be_bytes([header[0], header[1], header[2], header[3]]) as usize;
        let kind = &header[4..8];
        let dropped = matches!(kind, b"eXIf" | b"tEXt" | b"zTXt" | b"iTXt" | b"tIME");
        let end = i.saturating_add(12).saturating_add(len);
        if end > b.len() {
            if !dropped {
                out.extend_from_slice(&b[i..]);
            }
            break;
        }
        if !dropped {
            out.extend_from_slice(&b[i..end]);
        }
        i = end;
    }
    out
}

fn strip_webp(b: &[u8]) -> Vec<u8> {
    const HEADER: usize = 12;
    // VP8X flags: Exif 0x08, XMP 0x04.
    const FLAGS: u8 = 0x08 | 0x04;
    let mut out = b[..HEADER.min(b.len())].to_vec();
    let mut i = HEADER;
    while i < b.len() {
        let Some(header) = b.get(i..i + 8) else {
            out.extend_from_slice(&b[i..]);
            break;
        };
        let len = u32::from_le_bytes([header[4], header[5], header[6], header[7]]) as usize;
        let kind = &header[0..4];
        let dropped = matches!(kind, b"EXIF" | b"XMP ");
        let end = i.saturating_add(8).saturating_add(len + (len & 1));
        if end > b.len() {
            if !dropped {
                out.extend_from_slice(&b[i..]);
            }
            break;
        }
        if !dropped {
            let at = out.len();
            out.extend_from_slice(&b[i..end]);
            if kind == b"VP8X" && len >= 1 {
                out[at + 8] &= !FLAGS;
            }
        }
        i = end;
    }
    if out.len() >= 8 && out.len() != b.len() {
        if let Ok(riff) = u32::try_from(out.len() - 8) {
            out[4..8].copy_from_slice(&riff.to_le_bytes());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn broken_or_fake_files_come_back_as_they_were() {
        for bytes in [
            vec![0xFF, 0xD8, 0xFF, 0xE0, 1, 2, 3],
            vec![0xFF, 0xD8, 0xFF],
            vec![0xFF, 0xD8],
            b"\x89PNG\r\n\x1a\nIHDRxx".to_vec(),
            b"RIFF\x04\0\0\0WEBPVP8 ".to_vec(),
        ] {
            let mime = if bytes[0] == 0xFF {
                "image/jpeg"
            } else if bytes[0] == 0x89 {
                "image/png"
            } else {
                "image/webp"
            };
            assert_eq!(strip(mime, bytes.clone()), bytes);
        }
    }

    #[test]
    fn png_text_chunks_go_and_the_image_stays() {
        let chunk = |kind: &[u8], data: &[u8]| {
            let mut c = (data.len() as u32).to_be_bytes().to_vec();
            c.extend_from_slice(kind);
            c.extend_from_slice(data);
            c.extend_from_slice(&[0, 0, 0, 0]);
            c
        };
        let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
        png.extend(chunk(b"IHDR", &[0; 13]));
        png.extend(chunk(b"tEXt", b"Author\0Li Wei"));
        png.extend(chunk(b"eXIf", b"MM\0*"));
        png.extend(chunk(b"IDAT", &[1, 2, 3]));
        png.extend(chunk(b"IEND", &[]));
        let mut want = b"\x89PNG\r\n\x1a\n".to_vec();
        want.extend(chunk(b"IHDR", &[0; 13]));
        want.extend(chunk(b"IDAT", &[1, 2, 3]));
        want.extend(chunk(b"IEND", &[]));
        assert_eq!(strip("image/png", png), want);
    }

    #[test]
    fn webp_exif_and_xmp_chunks_go_and_the_flags_follow() {
        let chunk = |kind: &[u8], data: &[u8]| {
            let mut c = kind.to_vec();
            c.extend_from_slice(&(data.len() as u32).to_le_bytes());
            c.extend_from_slice(data);
            if data.len() % 2 == 1 {
                c.push(0);
            }
            c
        };
        let riff = |body: Vec<u8>| {
            let mut w = b"RIFF".to_vec();
            w.extend_from_slice(&(body.len() as u32 + 4).to_le_bytes());
            w.extend_from_slice(b"WEBP");
            w.extend(body);
            w
        };
        let mut body = chunk(b"VP8X", &[0x0C, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
        body.extend(chunk(b"VP8 ", &[9, 9, 9]));
        body.extend(chunk(b"EXIF", b"MM\0*gps"));
        body.extend(chunk(b"XMP ", b"<x/>"));
        let mut want = chunk(b"VP8X", &[0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
        want.extend(chunk(b"VP8 ", &[9, 9, 9]));
        assert_eq!(strip("image/webp", riff(body)), riff(want));
    }
}
