//! What the query-string targets share: axum's decoding, two callers, a fixed time.
//! (Not a target: each target includes it with `#[path]`.)
#![allow(dead_code)]

use axum::{extract::Query, http::Uri};
use gridwork_core::model::Role;
use gridwork_server::account::Account;

/// The query string as axum's `Query` extractor decodes it for the handler; `None`
/// for bytes no request line could carry.
pub fn decode<T: serde::de::DeserializeOwned>(data: &[u8]) -> Option<T> {
    let text = std::str::from_utf8(data).ok()?;
    let uri: Uri = format!("/?{text}").parse().ok()?;
    Query::<T>::try_from_uri(&uri).ok().map(|Query(t)| t)
}

/// A supervisor of the whole city and a worker with a narrow scope.
pub fn callers() -> [Account; 2] {
    [(Role::Supervisor, ""), (Role::Worker, "320508001")].map(|(role, scope)| Account {
        user: "wang".into(),
        role,
        scope: vec![scope.into()],
        password_hash: None,
    })
}

/// A fixed server time, 2026-11-24.
pub const NOW_MS: i64 = 1_795_395_600_000;
