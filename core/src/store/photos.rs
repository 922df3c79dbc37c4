//! Photos: files kept in the store's `photos/` folder under their SHA-256 name.
//!
//! Attaching the same picture twice stores it once. A photo is stripped of its metadata
//! (position, device, owner) before it is hashed and stored: see `photo_meta`. A photo is
//! written to a temporary name, synced and renamed, then the folder is synced, so a crash
//! never leaves half a file under a real name and a power cut never takes a photo whose
//! event was committed (the file and its name are on disk before the transaction that
//! refers to it commits).

use crate::{
    error::{Error, Result},
    fs_trace::{note, sync_dir, sync_file, FsOp},
    model::PhotoRef,
};
use sha2::{Digest, Sha256};
use std::{
    fs::{self, File},
    io::{Read, Write},
    path::{Path, PathBuf},
};

/// Largest photo accepted, in bytes.
pub const MAX_PHOTO_BYTES: u64 = 20 * 1024 * 1024;

/// A photo read from the caller's path, checked and hashed, not yet in the store.
pub(crate) struct StagedPhoto {
    pub(crate) reference: PhotoRef,
    bytes: Vec<u8>,
}

/// Reads and checks a photo file: it must exist, be at most [`MAX_PHOTO_BYTES`] and be
/// a JPEG, PNG or WebP image; its metadata but orientation and capture time is stripped
/// (`photo_meta`). A HEIC image is refused: its metadata cannot be stripped here.
pub(crate) fn stage(path: &Path) -> Result<StagedPhoto> {
    let photo_err = |source| Error::Photo {
        path: path.to_path_buf(),
        source,
    };
    let file = File::open(path).map_err(photo_err)?;
    let size = file.metadata().map_err(photo_err)?.len();
    if size > MAX_PHOTO_BYTES {
        return Err(Error::invalid(
            "photo",
            format!(
                "{} is {size} bytes; the limit is {MAX_PHOTO_BYTES}",
                path.display()
            ),
        ));
    }
    let mut bytes = Vec::with_capacity(size as usize);
    file.take(MAX_PHOTO_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(photo_err)?;
    let mime = sniff(&bytes).ok_or_else(|| {
        Error::invalid(
            "photo",
            format!("{} is not a JPEG, PNG or WebP image", path.display()),
        )
    })?;
    if mime == "image/heic" {
        return Err(Error::invalid(
            "photo",
            format!(
                "{} is a HEIC image, whose metadata (position, device) the store cannot strip; hand over a JPEG",
                path.display()
            ),
        ));
    }
    // Hashed after stripping: the stored and synced bytes are the stripped ones.
    let bytes = super::photo_meta::strip(mime, bytes);
    Ok(StagedPhoto {
        reference: PhotoRef {
            sha256: hex::encode(Sha256::digest(&bytes)),
            size: bytes.len() as u64,
            mime: mime.to_string(),
        },
        bytes,
    })
}

fn sniff(b: &[u8]) -> Option<&'static str> {
    if b.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some("image/jpeg")
    } else if b.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some("image/png")
    } else if b.len() >= 12 && &b[0..4] == b"RIFF" && &b[8..12] == b"WEBP" {
        Some("image/webp")
    } else if b.len() >= 12
        && &b[4..8] == b"ftyp"
        && matches!(&b[8..12], b"heic" | b"heix" | b"mif1" | b"heim" | b"heis")
    {
        Some("image/heic")
    } else {
        None
    }
}

/// The path of a stored photo.
pub fn photo_path(photos_dir: &Path, sha256: &str) -> PathBuf {
    photos_dir.join(sha256)
}

/// Writes a staged photo under its hash name unless it is there already. Returns
/// whether a new file was written (so a failed transaction can take it back).
pub(crate) fn persist(photos_dir: &Path, photo: &StagedPhoto) -> Result<bool> {
    let target = photo_path(photos_dir, &photo.reference.sha256);
    if target.exists() {
        return Ok(false);
    }
    let tmp = photos_dir.join(format!(".{}.tmp", photo.reference.sha256));
    {
        let mut f = File::create(&tmp)?;
        f.write_all(&photo.bytes)?;
        note(FsOp::Written(&tmp));
        sync_file(&f, &tmp)?;
    }
    fs::rename(&tmp, &target)?;
    note(FsOp::Renamed(&tmp, &target));
    // The new name is durable only once the folder is: without this a power cut can
    // take the photo of a report that was committed (and acknowledged) after it.
    sync_dir(photos_dir)?;
    Ok(true)
}

/// Removes photo files written for a change that was then rolled back.
pub(crate) fn discard(photos_dir: &Path, written: &[String]) {
    for sha in written {
        // Best effort: a leftover file is harmless (it is named by its content and
        // would be reused), so a failure to remove it is not an error.
        let path = photo_path(photos_dir, sha);
        if fs::remove_file(&path).is_ok() {
            note(FsOp::Removed(&path));
        }
    }
}
