//! The server's error types: what storage can fail with, and what starting a server
//! can fail with. HTTP error bodies are made from these in `api::error`.

use thiserror::Error;

/// A storage backend failed.
#[derive(Debug, Error)]
pub enum StorageError {
    /// SQLite reported an error.
    #[error("sqlite: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// PostgreSQL reported an error.
    #[error("postgres: {0}")]
    Postgres(#[from] tokio_postgres::Error),
    /// No PostgreSQL connection could be had from the pool.
    #[error("postgres pool: {0}")]
    Pool(String),
    /// Stored data does not parse: the database was edited by hand or is damaged.
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
    /// The caller passed something unusable (a bad role, scope or name).
    #[error("invalid input: {0}")]
    Invalid(String),
    /// The named thing does not exist.
    #[error("not found: {0}")]
    NotFound(String),
    /// A device id given at sign-in belongs to another account.
    #[error("device {0} belongs to another account")]
    DeviceTaken(String),
    /// A blocking storage task panicked or was cancelled.
    #[error("storage task failed: {0}")]
    Task(String),
    /// A file could not be read or written.
    #[error("io: {0}")]
    Io(#[from] std::io::Error),
    /// The TLS certificate or key cannot be used.
    #[error(transparent)]
    Tls(#[from] crate::tls::TlsError),
}

/// Starting or running a server failed.
#[derive(Debug, Error)]
pub enum ServerError {
    /// The storage could not be opened.
    #[error(transparent)]
    Storage(#[from] StorageError),
    /// Binding the address or serving failed.
    #[error("io: {0}")]
    Io(#[from] std::io::Error),
    /// The TLS certificate or key cannot be used.
    #[error(transparent)]
    Tls(#[from] crate::tls::TlsError),
}
