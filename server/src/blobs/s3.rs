//! Photos in an S3-compatible bucket every server process shares (via [`object_store`]).
//!
//! A complete photo is the object `<prefix><sha256>`, written once with a single `PUT`
//! after its hash was checked, so readers see all of it or nothing. An unfinished
//! upload is kept in the bucket too, chunk by chunk, so that a device can resume it
//! through any process: chunk objects `<prefix>partial/<uploader>/<sha256>-<total>/<start>`
//! (`<start>` zero-padded to 20 digits so names sort by offset). The bytes held are the
//! chunks that follow each other from 0. When the last byte arrives the chunks are
//! read back in order, hashed, and either written as the complete photo and deleted,
//! or deleted. The rules of the folder store hold unchanged: uploads are the
//! uploader's own, at most [`MAX_PARTIALS`] each, swept after [`PARTIAL_TTL`] without
//! a chunk. Two processes taking the same chunk of one uploader's upload at the same
//! moment write the same object; the hash check at the end catches any mix-up.

use super::{BlobError, BlobStatus, WriteOutcome, MAX_PARTIALS, PARTIAL_TTL};
use object_store::{
    aws::AmazonS3Builder, path::Path, ObjectMeta, ObjectStore, ObjectStoreExt, PutPayload,
};
use sha2::{Digest, Sha256};
use std::{sync::Arc, time::SystemTime};

/// Where the photos of an S3-compatible store are (`gridwork serve --blobs-s3-*`).
/// Credentials not given here come from the environment as for the AWS tools
/// (`AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN`); `gridwork
/// serve` never takes them on its command line.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct S3Options {
    /// The bucket (it must exist).
    pub bucket: String,
    /// The endpoint of an S3-compatible service (`http://127.0.0.1:9000`); `None`: AWS.
    pub endpoint: Option<String>,
    /// The region; `None`: `AWS_REGION` or `us-east-1`.
    pub region: Option<String>,
    /// A key prefix for every object (e.g. `photos/`); empty: the bucket's root.
    pub prefix: String,
    /// Whether plain `http://` endpoints are allowed (a service on loopback).
    pub allow_http: bool,
    /// The access key id; `None`: from the environment.
    pub access_key_id: Option<String>,
    /// The secret access key; `None`: from the environment.
    pub secret_access_key: Option<String>,
}

/// The bucket behind a [`super::BlobStore`].
pub(super) struct S3Blobs {
    store: Arc<dyn ObjectStore>,
    prefix: String,
}

fn other(e: object_store::Error) -> std::io::Error {
    std::io::Error::other(e)
}

fn ms(meta: &ObjectMeta) -> i64 {
    meta.last_modified.timestamp_millis()
}

fn now_ms(now: SystemTime) -> i64 {
    now.duration_since(SystemTime::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// One unfinished upload: its folder, announced total and chunks (start, size), sorted.
struct Partial {
    dir: Path,
    total: u64,
    chunks: Vec<(u64, u64, Path)>,
    newest_ms: i64,
}

impl Partial {
    /// The bytes held: the chunks that follow each other from 0.
    fn held(&self) -> u64 {
        let mut held = 0;
        for (start, size, _) in &self.chunks {
            if *start != held {
                break;
            }
            held += size;
        }
        held
    }
}

impl S3Blobs {
    /// Connects to the bucket (no request is made until the first use).
    pub(super) fn open(o: &S3Options) -> Result<Self, std::io::Error> {
        // The bucket's HTTPS goes through reqwest's rustls, built without a provider of its
        // own: the process's default is ring, as for the server's TLS and the Open311 client
        // (a second install is refused harmlessly).
        let _ = rustls::crypto::ring::default_provider().install_default();
        let mut b = AmazonS3Builder::from_env()
            .with_bucket_name(&o.bucket)
            .with_allow_http(o.allow_http);
        if let Some(endpoint) = &o.endpoint {
            b = b.with_endpoint(endpoint);
        }
        if let Some(region) = &o.region {
            b = b.with_region(region);
        }
        if let Some(id) = &o.access_key_id {
            b = b.with_access_key_id(id);
        }
        if let Some(secret) = &o.secret_access_key {
            b = b.with_secret_access_key(secret);
        }
        let store = b.build().map_err(other)?;
        let mut prefix = o.prefix.trim_matches('/').to_string();
        if !prefix.is_empty() {
            prefix.push('/');
        }
        Ok(S3Blobs {
            store: Arc::new(store),
            prefix,
        })
    }

    fn complete_path(&self, sha: &str) -> Path {
        Path::from(format!("{}{sha}", self.prefix))
    }

    fn uploader_dir(&self, uploader: &str) -> Path {
        let key = hex::encode(&Sha256::digest(uploader.as_bytes())[..16]);
        Path::from(format!("{}partial/{key}", self.prefix))
    }

    async fn size_of(&self, path: &Path) -> Result<Option<u64>, std::io::Error> {
        match self.store.head(path).await {
            Ok(meta) => Ok(Some(meta.size)),
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(e) => Err(other(e)),
        }
    }

    /// The unfinished uploads in one uploader's folder, with their `sha256`.
    async fn partials_in(&self, dir: &Path) -> Result<Vec<(String, Partial)>, std::io::Error> {
        let listed = self
            .store
            .list_with_delimiter(Some(dir))
            .await
            .map_err(other)?;
        let mut out = Vec::new();
        for upload in listed.common_prefixes {
            let Some((sha, total)) = upload
                .filename()
                .and_then(|n| n.split_once('-'))
                .and_then(|(s, t)| Some((s.to_string(), t.parse().ok()?)))
            else {
                continue;
            };
            let objects = self
                .store
                .list_with_delimiter(Some(&upload))
                .await
                .map_err(other)?
                .objects;
            let newest_ms = objects.iter().map(ms).max().unwrap_or(0);
            let mut chunks: Vec<(u64, u64, Path)> = objects
                .into_iter()
                .filter_map(|m| {
                    let start = m.location.filename()?.parse().ok()?;
                    Some((start, m.size, m.location))
                })
                .collect();
            chunks.sort_by_key(|c| c.0);
            out.push((
                sha,
                Partial {
                    dir: upload,
                    total,
                    chunks,
                    newest_ms,
                },
            ));
        }
        Ok(out)
    }

    async fn partial_of(
        &self,
        uploader: &str,
        sha: &str,
    ) -> Result<Option<Partial>, std::io::Error> {
        Ok(self
            .partials_in(&self.uploader_dir(uploader))
            .await?
            .into_iter()
            .find(|(s, _)| s == sha)
            .map(|(_, p)| p))
    }

    /// Deletes every chunk of the upload (those past a gap too).
    async fn delete_partial(&self, p: &Partial) -> Result<(), std::io::Error> {
        let listed = self
            .store
            .list_with_delimiter(Some(&p.dir))
            .await
            .map_err(other)?;
        for meta in listed.objects {
            match self.store.delete(&meta.location).await {
                Ok(()) | Err(object_store::Error::NotFound { .. }) => {}
                Err(e) => return Err(other(e)),
            }
        }
        Ok(())
    }

    pub(super) async fn status(
        &self,
        uploader: &str,
        sha: &str,
    ) -> Result<BlobStatus, std::io::Error> {
        if let Some(n) = self.size_of(&self.complete_path(sha)).await? {
            return Ok(BlobStatus::Complete(n));
        }
        Ok(match self.partial_of(uploader, sha).await? {
            Some(p) => BlobStatus::Partial(p.held()),
            None => BlobStatus::Absent,
        })
    }

    pub(super) async fn is_complete(&self, sha: &str) -> Result<bool, std::io::Error> {
        Ok(self.size_of(&self.complete_path(sha)).await?.is_some())
    }

    pub(super) async fn read(&self, sha: &str) -> Result<Option<Vec<u8>>, std::io::Error> {
        match self.store.get(&self.complete_path(sha)).await {
            Ok(got) => Ok(Some(got.bytes().await.map_err(other)?.to_vec())),
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(e) => Err(other(e)),
        }
    }

    pub(super) async fn write(
        &self,
        uploader: &str,
        sha: &str,
        start: u64,
        total: u64,
        data: &[u8],
    ) -> Result<WriteOutcome, BlobError> {
        if let Some(n) = self.size_of(&self.complete_path(sha)).await? {
            return Ok(WriteOutcome::AlreadyComplete(n));
        }
        let dir = self.uploader_dir(uploader);
        let mut partial = match self.partial_of(uploader, sha).await? {
            Some(p) if p.total != total => {
                return Err(BlobError::TotalChanged {
                    started: p.total,
                    announced: total,
                })
            }
            Some(p) => p,
            None => {
                if start == 0 {
                    let now = now_ms(SystemTime::now());
                    let mut held = 0;
                    for (_, p) in self.partials_in(&dir).await? {
                        if stale(&p, now) {
                            self.delete_partial(&p).await?;
                        } else {
                            held += 1;
                        }
                    }
                    if held >= MAX_PARTIALS {
                        return Err(BlobError::TooManyPartials);
                    }
                }
                Partial {
                    dir: dir.clone().join(format!("{sha}-{total}")),
                    total,
                    chunks: Vec::new(),
                    newest_ms: 0,
                }
            }
        };
        let held = partial.held();
        if start != held {
            return Err(BlobError::OffsetMismatch { held });
        }
        let chunk = partial.dir.clone().join(format!("{start:020}"));
        self.store
            .put(&chunk, PutPayload::from(data.to_vec()))
            .await
            .map_err(other)?;
        partial.chunks.retain(|c| c.0 < start);
        partial.chunks.push((start, data.len() as u64, chunk));
        let now = held + data.len() as u64;
        if now < total {
            return Ok(WriteOutcome::Partial(now));
        }
        let mut bytes = Vec::with_capacity(total as usize);
        for (_, _, path) in &partial.chunks {
            let got = self.store.get(path).await.map_err(other)?;
            bytes.extend_from_slice(&got.bytes().await.map_err(other)?);
        }
        let actual = hex::encode(Sha256::digest(&bytes));
        if actual != sha || bytes.len() as u64 != total {
            self.delete_partial(&partial).await?;
            return Err(BlobError::HashMismatch { actual });
        }
        self.store
            .put(&self.complete_path(sha), PutPayload::from(bytes))
            .await
            .map_err(other)?;
        self.delete_partial(&partial).await?;
        Ok(WriteOutcome::Completed(now))
    }

    /// Deletes every unfinished upload whose newest chunk is older than [`PARTIAL_TTL`]
    /// before `now`; returns how many.
    pub(super) async fn sweep(&self, now: SystemTime) -> Result<usize, std::io::Error> {
        let now = now_ms(now);
        let root = Path::from(format!("{}partial", self.prefix));
        let uploaders = self
            .store
            .list_with_delimiter(Some(&root))
            .await
            .map_err(other)?
            .common_prefixes;
        let mut removed = 0;
        for dir in uploaders {
            for (_, p) in self.partials_in(&dir).await? {
                if stale(&p, now) {
                    self.delete_partial(&p).await?;
                    removed += 1;
                }
            }
        }
        Ok(removed)
    }
}

fn stale(p: &Partial, now_ms: i64) -> bool {
    now_ms - p.newest_ms > PARTIAL_TTL.as_millis() as i64
}
