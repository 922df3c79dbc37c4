//! `POST /v1/events` (push) and `GET /v1/events` (pull).

use super::{error::body_bytes, session::Signed, ApiError, AppState};
use crate::health::Via;
use axum::{
    body::Bytes,
    extract::{rejection::BytesRejection, rejection::QueryRejection, Query, State},
    http::HeaderMap,
    Json,
};
use gridwork_core::{
    model::{validate_name, Event},
    sync::wire::{PushOutcome, PushResponse, PushResult, MAX_PULL_LIMIT, MAX_PUSH_EVENTS},
};
use serde::Deserialize;
use uuid::Uuid;

/// The `Gridwork-Incarnation` header of push and pull answers.
type Incarnation = [(axum::http::HeaderName, axum::http::HeaderValue); 1];

/// Pull page size when the client names none.
pub const DEFAULT_PULL_LIMIT: u32 = 500;

#[derive(Deserialize)]
struct RawPush {
    events: Vec<serde_json::Value>,
}

/// Why an event of `device` may not be pushed with a token issued to `token_device`.
fn foreign_device(token_device: &str, event: &Event) -> Option<String> {
    (event.device_id != token_device).then(|| {
        format!(
            "pushed from another device: the event names device {} but the token was issued to {}",
            event.device_id, token_device
        )
    })
}

/// `POST /v1/events`. An event of another device than the token's is refused: answered
/// `rejected`, nothing stored, that device's chain untouched — unless it is relayed:
/// that device registered a signing key and the event's signature verifies with it;
/// it is then judged as that device's account's own push. A token not bound to a
/// device yet (issued by an operator without one) is bound to the device of the first
/// event first, as a sign-in would (409 `device_taken` if it is another account's).
pub async fn push(
    State(state): State<AppState>,
    signed: Signed,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<(Incarnation, Incarnation, Json<PushResponse>), ApiError> {
    super::devices::contact(&state, &signed, &headers, Via::Push).await;
    let incarnation = super::incarnation::check(&state, &headers).await?;
    let Signed {
        account,
        device_id,
        token_digest,
    } = signed;
    let started = std::time::Instant::now();
    let max = state.limits.max_push_bytes;
    let bytes = body_bytes(body).map_err(|e| match e {
        ApiError::TooLarge(_) => ApiError::TooLarge(format!(
            "a push body may be at most {max} bytes after decompression: push fewer events at a time"
        )),
        other => other,
    })?;
    let raw: RawPush = serde_json::from_value(super::packed::push_value(&headers, &bytes, max)?)
        .map_err(|e| ApiError::BadRequest(format!("push body: {e}")))?;
    if raw.events.len() > MAX_PUSH_EVENTS {
        return Err(ApiError::TooLarge(format!(
            "{} events in one push; at most {MAX_PUSH_EVENTS} are accepted",
            raw.events.len()
        )));
    }
    // An event whose envelope does not parse is rejected on its own (it is not stored:
    // it has no chain place the server could verify); one without an id spoils the batch.
    let mut parsed: Vec<Result<Event, (Uuid, String)>> = Vec::with_capacity(raw.events.len());
    for value in raw.events {
        let id = value
            .get("id")
            .and_then(|v| v.as_str())
            .and_then(|s| Uuid::parse_str(s).ok())
            .ok_or_else(|| ApiError::BadRequest("every event needs a UUID \"id\"".into()))?;
        parsed.push(
            serde_json::from_value::<Event>(value)
                .map_err(|e| (id, format!("malformed event: {e}"))),
        );
    }
    let first_device = parsed
        .iter()
        .flatten()
        .map(|e| e.device_id.as_str())
        .find(|d| validate_name("device", d).is_ok() && !crate::acting::is_console_device(d));
    let device_id = match first_device {
        Some(first) if device_id.is_empty() => {
            state.storage.bind_token(&token_digest, first).await?
        }
        _ => device_id,
    };
    // Events of another device are taken only as relayed: signed by that device with
    // the key it registered, and judged as its account's (docs/signing.md).
    let mut relays = super::signing::Relays::default();
    let mut batches: Vec<(crate::account::Account, Vec<Event>)> = vec![(account, Vec::new())];
    let mut slots: Vec<Result<(usize, usize), (Uuid, String)>> = Vec::with_capacity(parsed.len());
    for item in parsed {
        match item {
            Ok(mut event) => {
                event.server_seq = None;
                let batch = match foreign_device(&device_id, &event) {
                    None => Ok(0),
                    Some(reason) => match relays.owner(&state, &event, reason).await? {
                        Ok(owner) => Ok(
                            match batches.iter().position(|(a, _)| a.user == owner.user) {
                                Some(i) => i,
                                None => {
                                    batches.push((owner, Vec::new()));
                                    batches.len() - 1
                                }
                            },
                        ),
                        Err(reason) => Err(reason),
                    },
                };
                match batch {
                    Ok(b) => {
                        slots.push(Ok((b, batches[b].1.len())));
                        batches[b].1.push(event);
                    }
                    Err(reason) => slots.push(Err((event.id, reason))),
                }
            }
            Err(refused) => slots.push(Err(refused)),
        }
    }
    let mut answers: Vec<Vec<(Uuid, PushOutcome)>> = Vec::with_capacity(batches.len());
    for (who, events) in batches {
        if events.is_empty() {
            answers.push(Vec::new());
            continue;
        }
        let ids: Vec<Uuid> = events.iter().map(|e| e.id).collect();
        let outcomes = state
            .metrics
            .storage("push", state.storage.push(&who, events))
            .await?;
        if outcomes.len() != ids.len() {
            return Err(ApiError::Internal(format!(
                "storage answered {} outcomes for {} events",
                outcomes.len(),
                ids.len()
            )));
        }
        answers.push(ids.into_iter().zip(outcomes).collect());
    }
    let results = slots
        .into_iter()
        .map(|slot| match slot {
            Ok((b, i)) => PushResult {
                id: answers[b][i].0,
                outcome: answers[b][i].1.clone(),
            },
            Err((id, reason)) => PushResult {
                id,
                outcome: PushOutcome::Rejected { reason },
            },
        })
        .collect::<Vec<PushResult>>();
    summarise_push(&state, &results, started);
    Ok((
        incarnation,
        super::packed::advertise(),
        Json(PushResponse { results }),
    ))
}

/// Counts a push's outcomes and logs its summary and each rejection's kind.
fn summarise_push(state: &AppState, results: &[PushResult], started: std::time::Instant) {
    let (mut accepted, mut duplicate, mut rejected) = (0u64, 0u64, 0u64);
    for r in results {
        match &r.outcome {
            PushOutcome::Accepted { .. } => accepted += 1,
            PushOutcome::Duplicate { .. } => duplicate += 1,
            PushOutcome::Rejected { reason } => {
                rejected += 1;
                tracing::warn!(event = %r.id, reason = super::observe::reason_kind(reason),
                    "event rejected");
            }
        }
    }
    let m = &state.metrics;
    m.push_events
        .with_label_values(&["accepted"])
        .inc_by(accepted);
    m.push_events
        .with_label_values(&["duplicate"])
        .inc_by(duplicate);
    m.push_events
        .with_label_values(&["rejected"])
        .inc_by(rejected);
    m.quarantined.inc_by(rejected);
    m.push_seconds.observe(started.elapsed().as_secs_f64());
    tracing::info!(accepted, duplicate, rejected, "push")
}

#[derive(Deserialize)]
pub(crate) struct PullParams {
    after: Option<i64>,
    limit: Option<u32>,
}

/// `GET /v1/events?after=SEQ&limit=N`.
pub async fn pull(
    State(state): State<AppState>,
    signed: Signed,
    headers: HeaderMap,
    params: Result<Query<PullParams>, QueryRejection>,
) -> Result<
    (
        Incarnation,
        Incarnation,
        axum::response::AppendHeaders<Option<(axum::http::HeaderName, axum::http::HeaderValue)>>,
        axum::response::Response,
    ),
    ApiError,
> {
    let Query(params) = params.map_err(|e| ApiError::BadRequest(e.body_text()))?;
    super::devices::contact(&state, &signed, &headers, Via::Pull).await;
    let incarnation = super::incarnation::check(&state, &headers).await?;
    let account = signed.account;
    let after = params.after.unwrap_or(0);
    if after < 0 {
        return Err(ApiError::BadRequest("after must be 0 or more".into()));
    }
    let limit = params
        .limit
        .unwrap_or(DEFAULT_PULL_LIMIT)
        .clamp(1, MAX_PULL_LIMIT);
    let started = std::time::Instant::now();
    let page = state
        .metrics
        .storage("pull", state.storage.pull(&account, after, limit))
        .await?;
    state.metrics.pull_events.inc_by(page.events.len() as u64);
    state
        .metrics
        .pull_seconds
        .observe(started.elapsed().as_secs_f64());
    tracing::info!(
        after,
        events = page.events.len(),
        next_after = page.next_after,
        more = page.more,
        "pull"
    );
    // The reference version, so the device fetches the catalogue and grid only when
    // they changed (docs/sync-protocol.md, "Reference data").
    let reference = super::catalog::reference_header(state.storage.as_ref()).await?;
    Ok((
        incarnation,
        super::packed::advertise(),
        axum::response::AppendHeaders(reference),
        super::packed::pull_body(&headers, page)?,
    ))
}
