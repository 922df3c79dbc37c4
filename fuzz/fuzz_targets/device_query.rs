//! The query string of `GET /v1/devices` (JSON or CSV): axum's decoding into
//! `params::DeviceParams`, then `params::devices`.
#![no_main]

#[path = "query_common.rs"]
mod common;

use common::decode;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some(p) = decode::<gridwork_server::params::DeviceParams>(data) else {
        return;
    };
    if let Ok(q) = gridwork_server::params::devices(p) {
        assert!(q.stale_since.is_none_or(|t| t >= 0), "{q:?}");
    }
});
