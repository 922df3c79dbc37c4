//! The query strings of the admin lists `GET /v1/tokens?user=` and `GET /v1/audit?limit=`:
//! axum's decoding into `params::TokenParams` and `params::AuditParams`, and the audit
//! page size, always from 1 to 1000.
#![no_main]

#[path = "query_common.rs"]
mod common;

use common::decode;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = decode::<gridwork_server::params::TokenParams>(data);
    if let Some(p) = decode::<gridwork_server::params::AuditParams>(data) {
        let limit = gridwork_server::params::audit_limit(&p);
        assert!((1..=1000).contains(&limit), "{limit}");
    }
});
