//! The server's Prometheus metrics (`GET /metrics`), one registry per server state so
//! that several servers in one process (the tests) count apart. Labels are routes as
//! declared (`/v1/cases/{id}`, never a concrete id), outcomes and operation names: no
//! user, device, token or text ever becomes a label.

use prometheus::{
    exponential_buckets, Encoder, Histogram, HistogramOpts, HistogramVec, IntCounter,
    IntCounterVec, Opts, Registry, TextEncoder,
};
use std::{future::Future, time::Instant};

/// The server's metrics.
pub struct Metrics {
    registry: Registry,
    /// Requests by route, method and status.
    pub requests: IntCounterVec,
    /// Request durations by route, seconds.
    pub request_seconds: HistogramVec,
    /// Pushed events by outcome (`accepted`, `duplicate`, `rejected`).
    pub push_events: IntCounterVec,
    /// Events served by pulls.
    pub pull_events: IntCounter,
    /// Push request durations, seconds (from the body read to the answer).
    pub push_seconds: Histogram,
    /// Pull request durations, seconds.
    pub pull_seconds: Histogram,
    /// Events rejected into (or refused before) quarantine.
    pub quarantined: IntCounter,
    /// Photo bytes by direction (`in`: uploaded, `out`: downloaded).
    pub blob_bytes: IntCounterVec,
    /// Failed sign-ins by reason (`password`, `rate_limited`, `device_taken`).
    pub sign_in_failures: IntCounterVec,
    /// Storage call durations by operation, seconds.
    pub storage_seconds: HistogramVec,
}

fn latency_buckets() -> Vec<f64> {
    // 1 ms to ~16 s.
    exponential_buckets(0.001, 2.0, 15).unwrap_or_default()
}

impl Metrics {
    /// A fresh registry with every metric at zero.
    pub fn new() -> Result<Self, prometheus::Error> {
        let registry = Registry::new_custom(Some("gridwork".into()), None)?;
        let requests = IntCounterVec::new(
            Opts::new(
                "http_requests_total",
                "HTTP requests by route, method and status",
            ),
            &["route", "method", "status"],
        )?;
        let request_seconds = HistogramVec::new(
            HistogramOpts::new("http_request_duration_seconds", "HTTP request durations")
                .buckets(latency_buckets()),
            &["route"],
        )?;
        let push_events = IntCounterVec::new(
            Opts::new("push_events_total", "Pushed events by outcome"),
            &["outcome"],
        )?;
        let pull_events = IntCounter::new("pull_events_total", "Events served by pulls")?;
        let push_seconds = Histogram::with_opts(
            HistogramOpts::new("push_duration_seconds", "Push durations")
                .buckets(latency_buckets()),
        )?;
        let pull_seconds = Histogram::with_opts(
            HistogramOpts::new("pull_duration_seconds", "Pull durations")
                .buckets(latency_buckets()),
        )?;
        let quarantined = IntCounter::new(
            "quarantined_events_total",
            "Pushed events rejected (kept in quarantine or refused)",
        )?;
        let blob_bytes = IntCounterVec::new(
            Opts::new(
                "blob_bytes_total",
                "Photo bytes uploaded (in) and served (out)",
            ),
            &["direction"],
        )?;
        let sign_in_failures = IntCounterVec::new(
            Opts::new("sign_in_failures_total", "Failed sign-ins by reason"),
            &["reason"],
        )?;
        let storage_seconds = HistogramVec::new(
            HistogramOpts::new("storage_duration_seconds", "Storage call durations")
                .buckets(latency_buckets()),
            &["op"],
        )?;
        registry.register(Box::new(requests.clone()))?;
        registry.register(Box::new(request_seconds.clone()))?;
        registry.register(Box::new(push_events.clone()))?;
        registry.register(Box::new(pull_events.clone()))?;
        registry.register(Box::new(push_seconds.clone()))?;
        registry.register(Box::new(pull_seconds.clone()))?;
        registry.register(Box::new(quarantined.clone()))?;
        registry.register(Box::new(blob_bytes.clone()))?;
        registry.register(Box::new(sign_in_failures.clone()))?;
        registry.register(Box::new(storage_seconds.clone()))?;
        for outcome in ["accepted", "duplicate", "rejected"] {
            push_events.with_label_values(&[outcome]);
        }
        for direction in ["in", "out"] {
            blob_bytes.with_label_values(&[direction]);
        }
        for reason in ["password", "rate_limited", "device_taken"] {
            sign_in_failures.with_label_values(&[reason]);
        }
        Ok(Metrics {
            registry,
            requests,
            request_seconds,
            push_events,
            pull_events,
            push_seconds,
            pull_seconds,
            quarantined,
            blob_bytes,
            sign_in_failures,
            storage_seconds,
        })
    }

    /// The metrics in Prometheus' text format.
    pub fn render(&self) -> String {
        let mut out = Vec::new();
        // Encoding into a Vec fails only for malformed metric families, which ours are not.
        let _ = TextEncoder::new().encode(&self.registry.gather(), &mut out);
        String::from_utf8(out).unwrap_or_default()
    }

    /// Runs `fut`, a storage call, timing it as `op`.
    pub async fn storage<T>(&self, op: &str, fut: impl Future<Output = T>) -> T {
        let start = Instant::now();
        let out = fut.await;
        self.storage_seconds
            .with_label_values(&[op])
            .observe(start.elapsed().as_secs_f64());
        out
    }
}
