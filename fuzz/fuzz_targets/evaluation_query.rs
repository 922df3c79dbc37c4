//! The query string of `GET /v1/evaluation` (JSON and, with `format=csv`, CSV): axum's
//! decoding into `params::EvaluationParams`, then `params::evaluation` for a supervisor
//! and a worker; a query it accepts has a non-empty period inside the caller's scope.
#![no_main]

#[path = "query_common.rs"]
mod common;

use common::{callers, decode, NOW_MS};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    for caller in callers() {
        let Some(p) = decode::<gridwork_server::params::EvaluationParams>(data) else {
            return;
        };
        if let Ok(q) = gridwork_server::params::evaluation(p, &caller, NOW_MS) {
            assert!(q.from_ms < q.to_ms, "{q:?}");
            assert!(
                q.areas
                    .iter()
                    .all(|a| caller.scope.iter().any(|s| a.starts_with(s.as_str()))),
                "{q:?}"
            );
        }
    }
});
