//! The sync state a device keeps between runs, in the store's `meta` table: the server
//! and token, the pull cursor, the outcome of the last run and when to try again.
//! [`SyncStatus`] is what a UI shows; backoff decides the next attempt after a failure.

use super::error::{FailureKind, SyncError};
use crate::{
    error::{Error, Result},
    store::{meta_get, meta_set},
};
use rusqlite::Connection;
use serde::{Deserialize, Serialize};

pub(crate) const SERVER: &str = "sync.server";
pub(crate) const TOKEN: &str = "sync.token";
pub(crate) const CURSOR: &str = "sync.cursor";
const STATE: &str = "sync.state";
const LAST_SUCCESS: &str = "sync.last_success_ms";
const LAST_ERROR: &str = "sync.last_error";
const NEXT_ATTEMPT: &str = "sync.next_attempt_ms";
const FAILURES: &str = "sync.failures";
/// `<server URL> <wire token>`: the server read this build's packed form when last
/// asked (docs/sync-protocol.md, "Packed wire form").
const SERVER_WIRE: &str = "sync.server_wire";

/// Where a device stands with its server.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EngineState {
    /// No server or token yet: sign in first.
    NotSignedIn,
    /// Signed in, never synced since.
    Idle,
    /// The last run finished: everything pushed, caught up with the server.
    Synced,
    /// The last run failed on something passing (network, timeout, 5xx, 429); the next
    /// attempt is scheduled.
    RetryScheduled,
    /// The server refused the token: nothing is tried until the user signs in again.
    SignInRequired,
    /// The server speaks another protocol version: nothing was touched; update the app
    /// or the server.
    IncompatibleServer,
    /// The last run was cancelled by the user; what it finished is kept.
    Cancelled,
    /// Another device or account uses this device's id (the server refused the sign-in,
    /// or sent events of this id that this device did not write): nothing is retried
    /// automatically; the device needs a new store, and so a new random id.
    DeviceConflict,
    /// An administrator marked this device lost: the server told it to wipe itself and
    /// it did (docs/sync-protocol.md, "Remote wipe"). The store's database and photos
    /// are deleted; only a run's report says so, since nothing of the store is left.
    Wiped,
}

impl EngineState {
    fn as_str(self) -> &'static str {
        match self {
            EngineState::NotSignedIn => "not_signed_in",
            EngineState::Idle => "idle",
            EngineState::Synced => "synced",
            EngineState::RetryScheduled => "retry_scheduled",
            EngineState::SignInRequired => "sign_in_required",
            EngineState::IncompatibleServer => "incompatible_server",
            EngineState::Cancelled => "cancelled",
            EngineState::DeviceConflict => "device_conflict",
            EngineState::Wiped => "wiped",
        }
    }

    fn parse(s: &str) -> Option<EngineState> {
        [
            EngineState::NotSignedIn,
            EngineState::Idle,
            EngineState::Synced,
            EngineState::RetryScheduled,
            EngineState::SignInRequired,
            EngineState::IncompatibleServer,
            EngineState::Cancelled,
            EngineState::DeviceConflict,
            EngineState::Wiped,
        ]
        .into_iter()
        .find(|st| st.as_str() == s)
    }
}

/// The last failure, as kept for the UI.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LastError {
    /// Its family.
    pub kind: FailureKind,
    /// What happened, for people.
    pub message: String,
    /// When, unix ms.
    pub at_ms: i64,
}

/// Everything a UI shows about sync. Never holds the token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncStatus {
    /// The server's base URL, once signed in.
    pub server: Option<String>,
    /// Whether a token is stored.
    pub signed_in: bool,
    /// Where the device stands.
    pub state: EngineState,
    /// The pull cursor: the highest `server_seq` applied.
    pub cursor: i64,
    /// When the last run finished without error, unix ms.
    pub last_success_ms: Option<i64>,
    /// The last failure (cleared by a successful run).
    pub last_error: Option<LastError>,
    /// When an automatic attempt is due, unix ms; `None` when none is scheduled.
    pub next_attempt_ms: Option<i64>,
    /// Failed runs since the last success.
    pub consecutive_failures: u32,
    /// This device's events still to push.
    pub pending_events: u64,
    /// Photos still to upload.
    pub pending_photos: u64,
    /// This device's events the server refused (kept, shown as rejected).
    pub rejected_events: u64,
}

impl SyncStatus {
    /// Whether a background scheduler should start a run at `now_ms`.
    pub fn is_due(&self, now_ms: i64) -> bool {
        match self.state {
            EngineState::NotSignedIn
            | EngineState::SignInRequired
            | EngineState::IncompatibleServer
            | EngineState::DeviceConflict
            | EngineState::Wiped => false,
            _ => self.next_attempt_ms.is_none_or(|t| t <= now_ms),
        }
    }
}

/// Exponential backoff with full jitter: after the n-th consecutive failure the next
/// attempt waits a uniformly random time in `[0, min(max, base * 2^(n-1))]`, and never
/// less than the server's `Retry-After`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    /// The first ceiling, ms.
    pub base_ms: i64,
    /// The largest ceiling, ms.
    pub max_ms: i64,
}

impl Default for Backoff {
    fn default() -> Self {
        Backoff {
            base_ms: 2_000,
            max_ms: 15 * 60_000,
        }
    }
}

/// The longest `Retry-After` honoured: a day.
const MAX_RETRY_AFTER_MS: i64 = 24 * 3_600_000;

impl Backoff {
    /// The ceiling of the delay after `failures` consecutive failures (at least 1).
    pub fn ceiling_ms(&self, failures: u32) -> i64 {
        let exp = failures.saturating_sub(1).min(30);
        self.base_ms.saturating_mul(1_i64 << exp).min(self.max_ms)
    }

    /// The delay before the next attempt: full jitter under the ceiling, raised to the
    /// server's `Retry-After` when it asked for longer.
    pub fn delay_ms(&self, failures: u32, retry_after_ms: Option<i64>) -> i64 {
        let ceiling = self.ceiling_ms(failures).max(0) as u64;
        let jittered = fastrand::u64(0..=ceiling) as i64;
        jittered.max(retry_after_ms.unwrap_or(0).clamp(0, MAX_RETRY_AFTER_MS))
    }
}

/// The server and token, when signed in.
pub(crate) struct Credentials {
    pub(crate) server: String,
    pub(crate) token: String,
}

pub(crate) fn credentials(conn: &Connection) -> Result<Option<Credentials>> {
    Ok(match (meta_get(conn, SERVER)?, meta_get(conn, TOKEN)?) {
        (Some(server), Some(token)) if !token.is_empty() => Some(Credentials { server, token }),
        _ => None,
    })
}

/// Whether `server` read this build's packed form when last asked.
pub(crate) fn server_packs(conn: &Connection, server: &str) -> Result<bool> {
    Ok(meta_get(conn, SERVER_WIRE)? == Some(format!("{server} {}", super::packed::wire_token())))
}

/// Records whether `server` reads this build's packed form.
pub(crate) fn set_server_packs(conn: &Connection, server: &str, packs: bool) -> Result<()> {
    let value = match packs {
        true => format!("{server} {}", super::packed::wire_token()),
        false => String::new(),
    };
    meta_set(conn, SERVER_WIRE, &value)
}

pub(crate) fn cursor(conn: &Connection) -> Result<i64> {
    parse_num(conn, CURSOR).map(|c| c.unwrap_or(0))
}

fn parse_num(conn: &Connection, key: &str) -> Result<Option<i64>> {
    meta_get(conn, key)?
        .map(|v| {
            v.parse::<i64>()
                .map_err(|_| Error::Corrupt(format!("bad {key} {v:?}")))
        })
        .transpose()
}

pub(crate) fn stored_state(conn: &Connection) -> Result<EngineState> {
    Ok(match meta_get(conn, STATE)? {
        Some(s) => {
            EngineState::parse(&s).ok_or_else(|| Error::Corrupt(format!("bad sync state {s:?}")))?
        }
        None if credentials(conn)?.is_some() => EngineState::Idle,
        None => EngineState::NotSignedIn,
    })
}

/// Reads the whole status.
pub(crate) fn read_status(conn: &Connection, device_id: Option<&str>) -> Result<SyncStatus> {
    let creds = credentials(conn)?;
    let last_error = meta_get(conn, LAST_ERROR)?
        .map(|v| serde_json::from_str(&v).map_err(|e| Error::Corrupt(format!("{LAST_ERROR}: {e}"))))
        .transpose()?;
    let (pending_events, rejected_events) = match device_id {
        Some(device) => super::outbox::counts(conn, device)?,
        None => (0, 0),
    };
    Ok(SyncStatus {
        server: meta_get(conn, SERVER)?,
        signed_in: creds.is_some(),
        state: if creds.is_none() {
            EngineState::NotSignedIn
        } else {
            stored_state(conn)?
        },
        cursor: cursor(conn)?,
        last_success_ms: parse_num(conn, LAST_SUCCESS)?,
        last_error,
        next_attempt_ms: parse_num(conn, NEXT_ATTEMPT)?,
        consecutive_failures: parse_num(conn, FAILURES)?
            .unwrap_or(0)
            .clamp(0, u32::MAX as i64) as u32,
        pending_events,
        pending_photos: super::upload::pending_count(conn)?,
        rejected_events,
    })
}

/// Records a run that finished (`Synced`) or was cancelled.
pub(crate) fn record_success(conn: &Connection, state: EngineState, now_ms: i64) -> Result<()> {
    meta_set(conn, STATE, state.as_str())?;
    if state == EngineState::Synced {
        meta_set(conn, LAST_SUCCESS, &now_ms.to_string())?;
        meta_set(conn, FAILURES, "0")?;
        conn.execute(
            "DELETE FROM meta WHERE key IN (?1, ?2)",
            [LAST_ERROR, NEXT_ATTEMPT],
        )?;
    }
    Ok(())
}

/// Records a failed run and returns the state it leaves the device in.
pub(crate) fn record_failure(
    conn: &Connection,
    error: &SyncError,
    backoff: &Backoff,
    now_ms: i64,
) -> Result<EngineState> {
    let failures = parse_num(conn, FAILURES)?
        .unwrap_or(0)
        .clamp(0, u32::MAX as i64 - 1) as u32
        + 1;
    let state = match error.kind() {
        FailureKind::Unauthorized => EngineState::SignInRequired,
        FailureKind::Incompatible => EngineState::IncompatibleServer,
        FailureKind::DeviceConflict => EngineState::DeviceConflict,
        FailureKind::WipeRequired => EngineState::Wiped,
        _ => EngineState::RetryScheduled,
    };
    let last = LastError {
        kind: error.kind(),
        message: error.to_string(),
        at_ms: now_ms,
    };
    let text = serde_json::to_string(&last).map_err(|e| Error::Corrupt(e.to_string()))?;
    meta_set(conn, STATE, state.as_str())?;
    meta_set(conn, LAST_ERROR, &text)?;
    meta_set(conn, FAILURES, &failures.to_string())?;
    if state == EngineState::RetryScheduled {
        let next = now_ms.saturating_add(backoff.delay_ms(failures, error.retry_after_ms()));
        meta_set(conn, NEXT_ATTEMPT, &next.to_string())?;
    } else {
        conn.execute("DELETE FROM meta WHERE key = ?1", [NEXT_ATTEMPT])?;
    }
    Ok(state)
}

/// Stores a new sign-in. A different server starts from an empty cursor.
pub(crate) fn record_sign_in(conn: &Connection, server: &str, token: &str) -> Result<()> {
    if meta_get(conn, SERVER)?.as_deref() != Some(server) {
        meta_set(conn, CURSOR, "0")?;
        conn.execute("DELETE FROM meta WHERE key = ?1", [LAST_SUCCESS])?;
        super::restore::forget(conn)?;
    }
    meta_set(conn, SERVER, server)?;
    meta_set(conn, TOKEN, token)?;
    // The first run after a sign-in checks the catalogue and grid whatever it pulls.
    super::reference::mark_due(conn)?;
    meta_set(conn, STATE, EngineState::Idle.as_str())?;
    meta_set(conn, FAILURES, "0")?;
    conn.execute(
        "DELETE FROM meta WHERE key IN (?1, ?2)",
        [LAST_ERROR, NEXT_ATTEMPT],
    )?;
    Ok(())
}

/// Forgets the token (the server URL and cursor stay).
pub(crate) fn record_sign_out(conn: &Connection) -> Result<()> {
    conn.execute(
        "DELETE FROM meta WHERE key IN (?1, ?2)",
        [TOKEN, NEXT_ATTEMPT],
    )?;
    meta_set(conn, STATE, EngineState::NotSignedIn.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_to_its_cap_and_honours_retry_after() {
        let b = Backoff::default();
        assert_eq!(b.ceiling_ms(1), 2_000);
        assert_eq!(b.ceiling_ms(3), 8_000);
        assert_eq!(b.ceiling_ms(40), 15 * 60_000);
        for n in 1..20 {
            let d = b.delay_ms(n, None);
            assert!((0..=b.ceiling_ms(n)).contains(&d));
            assert!(b.delay_ms(n, Some(120_000)) >= 120_000);
        }
        assert_eq!(b.delay_ms(1, Some(i64::MAX)), MAX_RETRY_AFTER_MS);
    }
}
