//! Forwarding: cases of chosen categories are published to another city system's
//! Open311 endpoint (`POST {target}/requests.json`), and the request id it answers with
//! is recorded on the case (the `open311_outbox` row, shown by `GET /v1/cases/{id}`).
//!
//! The outbox is durable and holds one row per case and target, ever: a case is put in
//! once, claimed by one sender at a time (a lease; PostgreSQL skips rows another
//! process holds), and only an attempt that surely did not arrive is tried again, with
//! exponential backoff — no connection, or an answer refusing it. An attempt whose
//! fate is unknown (a timeout after the form was sent, a process that stopped while
//! sending) is never repeated: it is marked failed for an operator to look at, because
//! the target may hold the case already. So the same case is never sent twice.
//!
//! Cases that came from a partner system (`open311_partner`) are not forwarded, so two
//! systems forwarding to each other do not echo.

use crate::storage::{
    open311::{Attempt, OutboxEntry},
    Storage,
};
use crate::StorageError;
use gridwork_core::model::Source;
use std::{sync::Arc, time::Duration};

/// What to forward, where, and how hard to try.
#[derive(Debug, Clone, PartialEq)]
pub struct ForwardOptions {
    /// The target's Open311 base URL, e.g. `https://311.example.org/open311/v2`.
    pub target: String,
    /// The API key the target issued to this city.
    pub api_key: String,
    /// The category codes to forward.
    pub categories: Vec<String>,
    /// How often the outbox is looked at.
    pub interval: Duration,
    /// The wait after the first failure; doubled after each further one.
    pub retry_base: Duration,
    /// The longest wait between attempts.
    pub retry_max: Duration,
    /// Attempts before a case is given up (marked failed).
    pub max_attempts: u32,
    /// How long one attempt may take.
    pub timeout: Duration,
}

impl ForwardOptions {
    /// Forwarding of `categories` to `target` with `api_key`, with the default pace
    /// (every 10 s; retries after 30 s, doubling up to an hour; 12 attempts; 30 s a try).
    pub fn new(target: &str, api_key: &str, categories: Vec<String>) -> Self {
        ForwardOptions {
            target: target.trim_end_matches('/').to_string(),
            api_key: api_key.to_string(),
            categories,
            interval: Duration::from_secs(10),
            retry_base: Duration::from_secs(30),
            retry_max: Duration::from_secs(3600),
            max_attempts: 12,
            timeout: Duration::from_secs(30),
        }
    }

    /// The wait before attempt `attempts + 1`, after `attempts` failures.
    pub fn backoff(&self, attempts: u32) -> Duration {
        let factor = 1u32
            .checked_shl(attempts.saturating_sub(1))
            .unwrap_or(u32::MAX);
        self.retry_base
            .checked_mul(factor)
            .map_or(self.retry_max, |d| d.min(self.retry_max))
    }
}

/// What one round did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Round {
    /// Cases newly put in the outbox.
    pub queued: u64,
    /// Cases the target took.
    pub sent: u32,
    /// Attempts that failed (and will be retried unless given up).
    pub failed: u32,
    /// Cases not forwarded (from a partner system).
    pub skipped: u32,
}

/// Why forwarding could not start.
#[derive(Debug, thiserror::Error)]
#[error("forwarding: {0}")]
pub struct ForwardError(String);

/// Forwards the cases of one target. Blocking: run it on a thread of its own
/// ([`Forwarder::spawn`]), not on the async runtime.
pub struct Forwarder {
    storage: Arc<dyn Storage>,
    options: ForwardOptions,
    client: reqwest_blocking::blocking::Client,
    runtime: tokio::runtime::Handle,
}

fn now_ms() -> i64 {
    super::now_ms()
}

impl Forwarder {
    /// A forwarder over `storage`, whose async calls run on `runtime`. Must be called
    /// outside the runtime (it builds a blocking HTTP client).
    pub fn new(
        storage: Arc<dyn Storage>,
        options: ForwardOptions,
        runtime: tokio::runtime::Handle,
    ) -> Result<Self, ForwardError> {
        // Ring as rustls's provider, as gridwork-http does.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let client = reqwest_blocking::blocking::Client::builder()
            .connect_timeout(options.timeout)
            .timeout(options.timeout)
            .redirect(reqwest_blocking::redirect::Policy::none())
            .user_agent(concat!(
                "gridwork-server/",
                env!("CARGO_PKG_VERSION"),
                " open311"
            ))
            .build()
            .map_err(|e| ForwardError(e.to_string()))?;
        Ok(Forwarder {
            storage,
            options,
            client,
            runtime,
        })
    }

    /// Starts a thread that runs a round every `interval`, for as long as the process
    /// lives.
    pub fn spawn(
        storage: Arc<dyn Storage>,
        options: ForwardOptions,
        runtime: tokio::runtime::Handle,
    ) -> std::io::Result<std::thread::JoinHandle<()>> {
        std::thread::Builder::new()
            .name("open311-forward".into())
            .spawn(move || {
                let interval = options.interval;
                let target = options.target.clone();
                let forwarder = match Forwarder::new(storage, options, runtime) {
                    Ok(f) => f,
                    Err(e) => {
                        tracing::error!("{e}; nothing is forwarded to {target}");
                        return;
                    }
                };
                loop {
                    match forwarder.run_once() {
                        Ok(r) if r != Round::default() => {
                            tracing::info!(target = %target, ?r, "open311 forwarding round")
                        }
                        Ok(_) => {}
                        Err(e) => tracing::warn!(target = %target, "open311 forwarding: {e}"),
                    }
                    std::thread::sleep(interval);
                }
            })
    }

    /// One round: puts new cases of the chosen categories in the outbox, then tries
    /// every entry that is due.
    pub fn run_once(&self) -> Result<Round, StorageError> {
        let o = &self.options;
        let s = &*self.storage;
        let mut round = Round {
            queued: self
                .runtime
                .block_on(s.outbox_fill(&o.target, &o.categories, now_ms()))?,
            ..Round::default()
        };
        let lease = i64::try_from(o.timeout.as_millis() * 3 + 1000).unwrap_or(i64::MAX);
        let due = self
            .runtime
            .block_on(s.outbox_claim(&o.target, now_ms(), lease, 50))?;
        for entry in due {
            let attempt = self.attempt(&entry)?;
            match &attempt {
                Attempt::Sent { .. } => round.sent += 1,
                Attempt::Failed { .. } => round.failed += 1,
                Attempt::Skipped => round.skipped += 1,
            }
            self.runtime
                .block_on(s.outbox_finish(entry.case_id, &o.target, &attempt, now_ms()))?;
        }
        Ok(round)
    }

    fn attempt(&self, entry: &OutboxEntry) -> Result<Attempt, StorageError> {
        let o = &self.options;
        let Some(view) = self
            .runtime
            .block_on(self.storage.case_view(entry.case_id))?
        else {
            return Ok(Attempt::Skipped);
        };
        if view.source == Source::Open311Partner {
            return Ok(Attempt::Skipped);
        }
        let report = &view.case.report;
        let mut form = vec![
            ("api_key", o.api_key.clone()),
            ("service_code", report.category.clone()),
            ("lat", report.lat.to_string()),
            ("long", report.lon.to_string()),
            ("description", report.description.clone()),
        ];
        if let Some(a) = &report.address {
            form.push(("address_string", a.clone()));
        }
        let retry = |error: String| {
            let attempts = entry.attempts + 1;
            let retry_at_ms = (attempts < o.max_attempts).then(|| {
                now_ms() + i64::try_from(o.backoff(attempts).as_millis()).unwrap_or(i64::MAX)
            });
            Attempt::Failed { error, retry_at_ms }
        };
        let url = format!("{}/requests.json", o.target);
        let response = match self.client.post(&url).form(&form).send() {
            Ok(r) => r,
            // Never connected: it surely did not arrive.
            Err(e) if e.is_connect() => return Ok(retry(format!("no connection: {e}"))),
            Err(e) => {
                return Ok(Attempt::Failed {
                    error: format!("no answer, it may have arrived; not sent again: {e}"),
                    retry_at_ms: None,
                })
            }
        };
        let status = response.status();
        let body = response.text().unwrap_or_default();
        if !status.is_success() {
            let why: String = body.chars().take(300).collect();
            return Ok(retry(format!("the target answered {status}: {why}")));
        }
        Ok(match remote_id(&body) {
            Some(remote_id) => Attempt::Sent { remote_id },
            None => Attempt::Failed {
                error: format!(
                    "the target took it but named no request id: {}",
                    body.chars().take(300).collect::<String>()
                ),
                retry_at_ms: None,
            },
        })
    }
}

/// The `service_request_id` (or, failing that, the `token`) of a POST's answer.
fn remote_id(body: &str) -> Option<String> {
    let v: serde_json::Value = serde_json::from_str(body).ok()?;
    let first = v.as_array()?.first()?;
    ["service_request_id", "token"]
        .into_iter()
        .find_map(|k| match first.get(k)? {
            serde_json::Value::String(s) if !s.is_empty() => Some(s.clone()),
            serde_json::Value::Number(n) => Some(n.to_string()),
            _ => None,
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_its_cap() {
        let mut o = ForwardOptions::new("http://x/", "k", vec![]);
        o.retry_base = Duration::from_secs(30);
        o.retry_max = Duration::from_secs(100);
        assert_eq!(o.target, "http://x");
        assert_eq!(o.backoff(1), Duration::from_secs(30));
        assert_eq!(o.backoff(2), Duration::from_secs(60));
        assert_eq!(o.backoff(3), Duration::from_secs(100));
        assert_eq!(o.backoff(40), Duration::from_secs(100));
    }

    #[test]
    fn the_remote_id_is_read_from_either_field() {
        assert_eq!(
            remote_id(r#"[{"service_request_id":"638344"}]"#).as_deref(),
            Some("638344")
        );
        assert_eq!(
            remote_id(r#"[{"service_request_id":7}]"#).as_deref(),
            Some("7")
        );
        assert_eq!(remote_id(r#"[{"token":"abc"}]"#).as_deref(), Some("abc"));
        assert_eq!(remote_id("[]"), None);
        assert_eq!(remote_id("<xml/>"), None);
    }
}
