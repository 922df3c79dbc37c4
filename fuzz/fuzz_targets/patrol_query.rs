//! The query strings of `GET /v1/patrols` (`patrol_query::parse`, and the keyset cursor)
//! and `GET /v1/patrols/{id}` (`patrol_query::tolerance`), for a supervisor and a worker.
#![no_main]

#[path = "query_common.rs"]
mod common;

use common::{callers, decode};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some(pairs) = decode::<Vec<(String, String)>>(data) else {
        return;
    };
    for caller in callers() {
        let _ = gridwork_server::patrol_query::parse(&pairs, &caller);
    }
    let _ = gridwork_server::patrol_query::tolerance(&pairs);
});
