//! What the Open311 face keeps besides events (both backends): the API keys of
//! integration accounts, the requests filed through it (their lookup token and the
//! resident's contact details, kept apart from the immutable event log so they can be
//! purged), and the forwarding outbox.
//!
//! Tables: `open311_keys` (SHA-256 of each key → account), `open311_requests` (case →
//! token, filing account, contact JSON or NULL once purged), `open311_outbox` (one row
//! per case and target: never more, so a case is offered to a target once).

use crate::StorageError;
use async_trait::async_trait;
use gridwork_core::model::Source;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// What a resident gave besides the report: personal data, kept off the event log.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Contact {
    /// Given name (`first_name`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_name: Option<String>,
    /// Family name (`last_name`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_name: Option<String>,
    /// E-mail address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// Telephone number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
}

impl Contact {
    /// Whether nothing was given.
    pub fn is_empty(&self) -> bool {
        self == &Contact::default()
    }
}

/// A request filed through Open311.
#[derive(Debug, Clone, PartialEq)]
pub struct FiledRequest {
    /// The case it became.
    pub case_id: Uuid,
    /// The lookup token handed to the client.
    pub token: String,
    /// The integration account that filed it.
    pub account: String,
    /// The contact details, while kept.
    pub contact: Option<Contact>,
    /// When it was filed, unix ms.
    pub created_ms: i64,
}

/// Where a case stands in the forwarding outbox of one target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OutboxState {
    /// Waiting to be sent (again) from `next_ms`.
    Pending,
    /// Claimed by a sender until `next_ms`. One still held past that was being sent when
    /// its process stopped: it is never sent again (the target may have it already) and
    /// waits for an operator.
    Sending,
    /// Sent; the target's request id is recorded.
    Sent,
    /// Given up after too many failures, or refused by the target for good.
    Failed,
    /// Not forwarded (it came from a partner system in the first place).
    Skipped,
}

impl OutboxState {
    /// The stored name.
    pub fn as_str(&self) -> &'static str {
        match self {
            OutboxState::Pending => "pending",
            OutboxState::Sending => "sending",
            OutboxState::Sent => "sent",
            OutboxState::Failed => "failed",
            OutboxState::Skipped => "skipped",
        }
    }

    /// Parses a stored name.
    pub fn parse(s: &str) -> Result<Self, StorageError> {
        Ok(match s {
            "pending" => OutboxState::Pending,
            "sending" => OutboxState::Sending,
            "sent" => OutboxState::Sent,
            "failed" => OutboxState::Failed,
            "skipped" => OutboxState::Skipped,
            other => return Err(StorageError::Corrupt(format!("outbox state {other:?}"))),
        })
    }
}

/// One case in the outbox of one target.
#[derive(Debug, Clone, PartialEq)]
pub struct OutboxEntry {
    /// The case.
    pub case_id: Uuid,
    /// The target's base URL.
    pub target: String,
    /// Where it stands.
    pub state: OutboxState,
    /// Attempts made.
    pub attempts: u32,
    /// Pending: not before; sending: the claim's end; unix ms.
    pub next_ms: i64,
    /// The target's `service_request_id`, once sent.
    pub remote_id: Option<String>,
    /// The last failure.
    pub error: Option<String>,
}

/// How an attempt ended.
#[derive(Debug, Clone, PartialEq)]
pub enum Attempt {
    /// The target took it and answered with its request id.
    Sent {
        /// The target's `service_request_id` (or token).
        remote_id: String,
    },
    /// It surely did not arrive (no connection, or the target refused it): try again
    /// from `retry_at_ms`, or give up when `None`.
    Failed {
        /// What went wrong.
        error: String,
        /// When to try again.
        retry_at_ms: Option<i64>,
    },
    /// Not to be forwarded.
    Skipped,
}

/// The Open311 side of the server's storage.
#[async_trait]
pub trait Open311Store {
    /// Records an API key (by its SHA-256) for the integration account `user`, filing
    /// reports of `source` (residents or a partner system).
    async fn put_open311_key(
        &self,
        digest: &str,
        user: &str,
        source: Source,
        now_ms: i64,
    ) -> Result<(), StorageError>;

    /// The account an API key (by its SHA-256) belongs to, and the source it files.
    async fn open311_key(&self, digest: &str) -> Result<Option<(String, Source)>, StorageError>;

    /// Records a request filed through Open311.
    async fn put_open311_request(&self, request: &FiledRequest) -> Result<(), StorageError>;

    /// The request filed with lookup token `token`.
    async fn open311_by_token(&self, token: &str) -> Result<Option<FiledRequest>, StorageError>;

    /// The request a case was filed by, if it came through Open311.
    async fn open311_by_case(&self, case_id: Uuid) -> Result<Option<FiledRequest>, StorageError>;

    /// Forgets the contact details of requests filed before `filed_before_ms`, and of
    /// those whose case was closed before `closed_before_ms`; returns how many.
    async fn purge_open311_contacts(
        &self,
        filed_before_ms: i64,
        closed_before_ms: i64,
    ) -> Result<u64, StorageError>;

    /// Puts every case of `categories` not yet in `target`'s outbox into it (pending
    /// from `now_ms`); returns how many were added. A case is added once, ever.
    async fn outbox_fill(
        &self,
        target: &str,
        categories: &[String],
        now_ms: i64,
    ) -> Result<u64, StorageError>;

    /// Claims up to `limit` pending entries of `target` that are due at `now_ms`, marking
    /// them sending until `now_ms + lease_ms` (another process claims none of them).
    async fn outbox_claim(
        &self,
        target: &str,
        now_ms: i64,
        lease_ms: i64,
        limit: u32,
    ) -> Result<Vec<OutboxEntry>, StorageError>;

    /// Records how the attempt on a claimed entry ended.
    async fn outbox_finish(
        &self,
        case_id: Uuid,
        target: &str,
        attempt: &Attempt,
        now_ms: i64,
    ) -> Result<(), StorageError>;

    /// The outbox entries of a case, by target.
    async fn outbox_entries(&self, case_id: Uuid) -> Result<Vec<OutboxEntry>, StorageError>;
}

pub(crate) fn contact_json(c: &Option<Contact>) -> Result<Option<String>, StorageError> {
    c.as_ref()
        .filter(|c| !c.is_empty())
        .map(serde_json::to_string)
        .transpose()
        .map_err(|e| StorageError::Corrupt(e.to_string()))
}

pub(crate) fn parse_contact(text: Option<String>) -> Result<Option<Contact>, StorageError> {
    text.map(|t| serde_json::from_str(&t))
        .transpose()
        .map_err(|e| StorageError::Corrupt(format!("open311 contact: {e}")))
}

pub(crate) fn parse_uuid(text: &str) -> Result<Uuid, StorageError> {
    Uuid::parse_str(text).map_err(|e| StorageError::Corrupt(format!("case id {text:?}: {e}")))
}

pub(crate) fn parse_source(text: &str) -> Result<Source, StorageError> {
    Source::parse(text).ok_or_else(|| StorageError::Corrupt(format!("open311 key source {text:?}")))
}
