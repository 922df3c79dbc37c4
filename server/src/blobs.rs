//! Photo storage: files named by their SHA-256 in one folder, uploaded resumably.
//!
//! An upload grows `partial/<sha256>` chunk by chunk; each chunk must start exactly
//! where the held bytes end. When the last byte arrives the file's SHA-256 is checked
//! against its name: a match moves it to `<sha256>` (complete, immutable), a mismatch
//! deletes it. Uploads of one hash are serialised by a striped lock. With PostgreSQL
//! and several server processes the folder must be shared by them all.

use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use thiserror::Error;
use tokio::{io::AsyncWriteExt, sync::Mutex};

/// Why a chunk was refused.
#[derive(Debug, Error)]
pub enum BlobError {
    /// The chunk does not start where the held bytes end.
    #[error("the upload holds {held} bytes; a chunk must start there")]
    OffsetMismatch {
        /// Bytes the server holds.
        held: u64,
    },
    /// The completed file's SHA-256 differs from its name; the upload was discarded.
    #[error("the uploaded bytes hash to {actual}, not to the name they were sent under")]
    HashMismatch {
        /// The SHA-256 of the bytes received.
        actual: String,
    },
    /// Reading or writing the folder failed.
    #[error("io: {0}")]
    Io(#[from] std::io::Error),
}

/// How much of a blob the server holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BlobStatus {
    /// Nothing.
    Absent,
    /// An upload in progress holding this many bytes.
    Partial(u64),
    /// The whole verified file, of this size.
    Complete(u64),
}

/// The result of writing a chunk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WriteOutcome {
    /// More bytes are expected; the server holds this many.
    Partial(u64),
    /// The upload completed and verified (size).
    Completed(u64),
    /// The blob was complete already (size); nothing was written.
    AlreadyComplete(u64),
}

/// The blob folder.
pub struct BlobStore {
    dir: PathBuf,
    locks: Vec<Mutex<()>>,
}

/// Whether `s` is a lower-case hex SHA-256.
pub fn is_sha256(s: &str) -> bool {
    s.len() == 64
        && s.bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

async fn size_of(path: &Path) -> Result<Option<u64>, std::io::Error> {
    match tokio::fs::metadata(path).await {
        Ok(m) => Ok(Some(m.len())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e),
    }
}

impl BlobStore {
    /// Opens (creating) the folder.
    pub fn open(dir: &Path) -> Result<Self, std::io::Error> {
        std::fs::create_dir_all(dir.join("partial"))?;
        Ok(Self {
            dir: dir.to_path_buf(),
            locks: (0..64).map(|_| Mutex::new(())).collect(),
        })
    }

    /// The path of a complete blob. `sha` must satisfy [`is_sha256`].
    pub fn path(&self, sha: &str) -> PathBuf {
        self.dir.join(sha)
    }

    fn partial(&self, sha: &str) -> PathBuf {
        self.dir.join("partial").join(sha)
    }

    fn lock(&self, sha: &str) -> &Mutex<()> {
        let i = u8::from_str_radix(sha.get(..2).unwrap_or("00"), 16).unwrap_or(0) as usize;
        &self.locks[i % self.locks.len()]
    }

    /// How much of `sha` is held.
    pub async fn status(&self, sha: &str) -> Result<BlobStatus, std::io::Error> {
        if let Some(n) = size_of(&self.path(sha)).await? {
            return Ok(BlobStatus::Complete(n));
        }
        Ok(match size_of(&self.partial(sha)).await? {
            Some(n) => BlobStatus::Partial(n),
            None => BlobStatus::Absent,
        })
    }

    /// Appends `data` at `start` to the upload of `sha` whose full size is `total`.
    pub async fn write(
        &self,
        sha: &str,
        start: u64,
        total: u64,
        data: &[u8],
    ) -> Result<WriteOutcome, BlobError> {
        let _guard = self.lock(sha).lock().await;
        if let Some(n) = size_of(&self.path(sha)).await? {
            return Ok(WriteOutcome::AlreadyComplete(n));
        }
        let partial = self.partial(sha);
        let held = size_of(&partial).await?.unwrap_or(0);
        if start != held {
            return Err(BlobError::OffsetMismatch { held });
        }
        let mut file = tokio::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&partial)
            .await?;
        file.write_all(data).await?;
        file.sync_all().await?;
        drop(file);
        let now = held + data.len() as u64;
        if now < total {
            return Ok(WriteOutcome::Partial(now));
        }
        let bytes = tokio::fs::read(&partial).await?;
        let actual = hex::encode(Sha256::digest(&bytes));
        if actual != sha {
            tokio::fs::remove_file(&partial).await?;
            return Err(BlobError::HashMismatch { actual });
        }
        tokio::fs::rename(&partial, self.path(sha)).await?;
        Ok(WriteOutcome::Completed(now))
    }
}
