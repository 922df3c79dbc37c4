//! Photo storage: files named by their SHA-256 in one folder, uploaded resumably.
//!
//! An upload belongs to its uploader: it grows `partial/<uploader>/<sha256>-<total>`
//! chunk by chunk, where `<uploader>` is a digest of who uploads and `<total>` the size
//! announced by the first chunk (later chunks must announce the same). Each chunk must
//! start exactly where the held bytes end. When the last byte arrives the file's
//! SHA-256 is checked against its name: a match moves it to `<sha256>` (complete,
//! immutable, shared by everyone), a mismatch deletes it. Nobody can see or extend
//! another uploader's partial upload, so nobody can plant a wrong prefix under someone
//! else's photo. An uploader holds at most [`MAX_PARTIALS`] unfinished uploads, and
//! one untouched for [`PARTIAL_TTL`] is deleted. Uploads of one hash are serialised by
//! a striped lock. With PostgreSQL and several server processes the folder must be
//! shared by them all, or the photos kept in an S3-compatible bucket instead ([`s3`]:
//! the same rules, the unfinished uploads kept in the bucket too).

mod s3;
pub use s3::S3Options;

use sha2::{Digest, Sha256};
use std::{
    path::{Path, PathBuf},
    time::{Duration, SystemTime},
};
use thiserror::Error;
use tokio::{io::AsyncWriteExt, sync::Mutex};

/// Most unfinished uploads one uploader may hold at once.
pub const MAX_PARTIALS: usize = 8;
/// How long an unfinished upload is kept after its last chunk.
pub const PARTIAL_TTL: Duration = Duration::from_secs(24 * 3600);

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
    /// A chunk announces another total size than the upload was started with.
    #[error(
        "this upload was started with a total of {started} bytes; a chunk announced {announced}"
    )]
    TotalChanged {
        /// The total of the first chunk.
        started: u64,
        /// The total this chunk announced.
        announced: u64,
    },
    /// The uploader holds [`MAX_PARTIALS`] unfinished uploads already.
    #[error("{MAX_PARTIALS} unfinished uploads are held for you already; finish one first")]
    TooManyPartials,
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

/// The blob folder (or bucket).
pub struct BlobStore {
    dir: PathBuf,
    locks: Vec<Mutex<()>>,
    /// The S3-compatible bucket holding everything instead of `dir`.
    bucket: Option<s3::S3Blobs>,
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
    /// Opens (creating) the folder and deletes unfinished uploads past [`PARTIAL_TTL`].
    pub fn open(dir: &Path) -> Result<Self, std::io::Error> {
        std::fs::create_dir_all(dir.join("partial"))?;
        let store = Self {
            dir: dir.to_path_buf(),
            locks: (0..64).map(|_| Mutex::new(())).collect(),
            bucket: None,
        };
        store.sweep_sync(SystemTime::now())?;
        Ok(store)
    }

    /// A store keeping every photo and unfinished upload in an S3-compatible bucket
    /// (see [`s3`]); nothing is kept on this machine. The first request checks the
    /// bucket; abandoned uploads are swept by [`sweep_hourly`].
    pub fn open_s3(options: &S3Options) -> Result<Self, std::io::Error> {
        Ok(Self {
            dir: PathBuf::new(),
            locks: (0..64).map(|_| Mutex::new(())).collect(),
            bucket: Some(s3::S3Blobs::open(options)?),
        })
    }

    /// The bytes of a complete blob, or `None`. `sha` must satisfy [`is_sha256`].
    pub async fn read(&self, sha: &str) -> Result<Option<Vec<u8>>, std::io::Error> {
        if let Some(bucket) = &self.bucket {
            return bucket.read(sha).await;
        }
        match tokio::fs::read(self.path(sha)).await {
            Ok(bytes) => Ok(Some(bytes)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// The path of a complete blob in the folder (meaningless for a bucket: use
    /// [`BlobStore::read`]). `sha` must satisfy [`is_sha256`].
    pub fn path(&self, sha: &str) -> PathBuf {
        self.dir.join(sha)
    }

    /// The folder of one uploader's unfinished uploads.
    fn uploader_dir(&self, uploader: &str) -> PathBuf {
        let key = hex::encode(&Sha256::digest(uploader.as_bytes())[..16]);
        self.dir.join("partial").join(key)
    }

    /// The uploader's unfinished upload of `sha`: its path and announced total.
    async fn partial_of(
        &self,
        uploader: &str,
        sha: &str,
    ) -> Result<Option<(PathBuf, u64)>, std::io::Error> {
        let dir = self.uploader_dir(uploader);
        let mut entries = match tokio::fs::read_dir(&dir).await {
            Ok(e) => e,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(e),
        };
        while let Some(entry) = entries.next_entry().await? {
            let name = entry.file_name();
            let Some((hash, total)) = name.to_str().and_then(|n| n.split_once('-')) else {
                continue;
            };
            if hash == sha {
                if let Ok(total) = total.parse() {
                    return Ok(Some((entry.path(), total)));
                }
            }
        }
        Ok(None)
    }

    /// How many unfinished uploads the uploader holds.
    async fn partial_count(&self, uploader: &str) -> Result<usize, std::io::Error> {
        let mut n = 0;
        match tokio::fs::read_dir(self.uploader_dir(uploader)).await {
            Ok(mut entries) => {
                while entries.next_entry().await?.is_some() {
                    n += 1;
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(e),
        }
        Ok(n)
    }

    fn lock(&self, sha: &str) -> &Mutex<()> {
        let i = u8::from_str_radix(sha.get(..2).unwrap_or("00"), 16).unwrap_or(0) as usize;
        &self.locks[i % self.locks.len()]
    }

    /// How much of `sha` is held: complete for everyone, otherwise the uploader's own
    /// unfinished upload (another uploader's is invisible).
    pub async fn status(&self, uploader: &str, sha: &str) -> Result<BlobStatus, std::io::Error> {
        if let Some(bucket) = &self.bucket {
            return bucket.status(uploader, sha).await;
        }
        if let Some(n) = size_of(&self.path(sha)).await? {
            return Ok(BlobStatus::Complete(n));
        }
        Ok(match self.partial_of(uploader, sha).await? {
            Some((path, _)) => BlobStatus::Partial(size_of(&path).await?.unwrap_or(0)),
            None => BlobStatus::Absent,
        })
    }

    /// Whether `sha` is held complete.
    pub async fn is_complete(&self, sha: &str) -> Result<bool, std::io::Error> {
        if let Some(bucket) = &self.bucket {
            return bucket.is_complete(sha).await;
        }
        Ok(size_of(&self.path(sha)).await?.is_some())
    }

    /// Appends `data` at `start` to the uploader's upload of `sha` whose full size is
    /// `total`.
    pub async fn write(
        &self,
        uploader: &str,
        sha: &str,
        start: u64,
        total: u64,
        data: &[u8],
    ) -> Result<WriteOutcome, BlobError> {
        let _guard = self.lock(sha).lock().await;
        if let Some(bucket) = &self.bucket {
            return bucket.write(uploader, sha, start, total, data).await;
        }
        if let Some(n) = size_of(&self.path(sha)).await? {
            return Ok(WriteOutcome::AlreadyComplete(n));
        }
        let (partial, held) = match self.partial_of(uploader, sha).await? {
            Some((path, started)) => {
                if started != total {
                    return Err(BlobError::TotalChanged {
                        started,
                        announced: total,
                    });
                }
                let held = size_of(&path).await?.unwrap_or(0);
                (path, held)
            }
            None => {
                if start == 0 {
                    self.sweep_uploader(uploader).await?;
                    if self.partial_count(uploader).await? >= MAX_PARTIALS {
                        return Err(BlobError::TooManyPartials);
                    }
                }
                let dir = self.uploader_dir(uploader);
                tokio::fs::create_dir_all(&dir).await?;
                (dir.join(format!("{sha}-{total}")), 0)
            }
        };
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

    /// Deletes the uploader's unfinished uploads untouched for [`PARTIAL_TTL`].
    async fn sweep_uploader(&self, uploader: &str) -> Result<(), std::io::Error> {
        let dir = self.uploader_dir(uploader);
        tokio::task::spawn_blocking(move || sweep_dir(&dir, SystemTime::now()))
            .await
            .map_err(std::io::Error::other)?
            .map(drop)
    }

    /// Deletes every unfinished upload untouched for [`PARTIAL_TTL`] before `now`;
    /// returns how many. Runs at open and from the server's hourly sweep.
    pub fn sweep_sync(&self, now: SystemTime) -> Result<usize, std::io::Error> {
        if self.bucket.is_some() {
            return Ok(0); // swept by `sweep`
        }
        let mut removed = 0;
        for entry in std::fs::read_dir(self.dir.join("partial"))? {
            let entry = entry?;
            if entry.file_type()?.is_dir() {
                removed += sweep_dir(&entry.path(), now)?;
                // Empty uploader folders go too (fails harmlessly when not empty).
                let _ = std::fs::remove_dir(entry.path());
            } else {
                // A partial of the layout before uploads had owners: no owner can
                // resume it.
                std::fs::remove_file(entry.path())?;
                removed += 1;
            }
        }
        Ok(removed)
    }
}

impl BlobStore {
    /// Deletes every unfinished upload untouched for [`PARTIAL_TTL`] before `now`,
    /// in the folder or the bucket; returns how many.
    pub async fn sweep(&self, now: SystemTime) -> Result<usize, std::io::Error> {
        match &self.bucket {
            Some(bucket) => bucket.sweep(now).await,
            None => self.sweep_sync(now),
        }
    }
}

/// Sweeps abandoned uploads once an hour for as long as the store lives.
pub async fn sweep_hourly(store: std::sync::Weak<BlobStore>) {
    let mut tick = tokio::time::interval(Duration::from_secs(3600));
    tick.tick().await; // the first tick is immediate; open() swept already
    loop {
        tick.tick().await;
        let Some(store) = store.upgrade() else { return };
        let swept = if store.bucket.is_some() {
            store.sweep(SystemTime::now()).await
        } else {
            tokio::task::spawn_blocking(move || store.sweep_sync(SystemTime::now()))
                .await
                .map_err(std::io::Error::other)
                .and_then(|r| r)
        };
        match swept {
            Ok(n) if n > 0 => tracing::info!(removed = n, "abandoned uploads swept"),
            Ok(_) => {}
            Err(e) => tracing::warn!("sweeping abandoned uploads failed: {e}"),
        }
    }
}

/// Deletes the files of `dir` last modified more than [`PARTIAL_TTL`] before `now`.
fn sweep_dir(dir: &Path, now: SystemTime) -> Result<usize, std::io::Error> {
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(0),
        Err(e) => return Err(e),
    };
    let mut removed = 0;
    for entry in entries {
        let entry = entry?;
        let modified = entry.metadata()?.modified()?;
        if now.duration_since(modified).unwrap_or_default() > PARTIAL_TTL {
            std::fs::remove_file(entry.path())?;
            removed += 1;
        }
    }
    Ok(removed)
}
