//! The query strings of Open311's `GET requests` (ids, statuses, service codes, the
//! date range: `params::open311_list`) and `GET services` (`locale`): a date range it
//! accepts is never reversed nor wider than the standard's limit.
#![no_main]

#[path = "query_common.rs"]
mod common;

use common::{decode, NOW_MS};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    use gridwork_server::params::{self, Open311List, OPEN311_MAX_RANGE_DAYS};
    if let Some(p) = decode::<params::Open311ListParams>(data) {
        if let Ok(Open311List::Filter { from_ms, to_ms, .. }) = params::open311_list(&p, NOW_MS) {
            assert!(from_ms <= to_ms, "{from_ms} {to_ms}");
            assert!(to_ms - from_ms <= OPEN311_MAX_RANGE_DAYS * 86_400_000 + 1);
        }
    }
    if let Some(p) = decode::<std::collections::HashMap<String, String>>(data) {
        let _ = params::open311_english(&p);
    }
});
