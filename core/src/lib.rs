//! gridwork-core: the offline-first field core for urban grid workers.
//!
//! Every change is an immutable event appended to a local log; current state (the
//! incident list, patrol summaries) is a projection folded from that log. This crate
//! holds the domain, the store, the geo maths and (later) the sync engine. It knows
//! nothing of FFI, HTTP frameworks or async runtimes: bindings and shells adapt it.

pub mod calendar;
pub mod catalog;
pub mod clock;
pub mod db;
pub mod error;
mod error_codes;
#[cfg(feature = "testing")]
pub mod fs_trace;
#[cfg(not(feature = "testing"))]
mod fs_trace;
pub mod geo;
pub mod model;
pub mod patrol;
pub mod store;
pub mod sync;
pub mod workflow;

pub use error::{Error, Result};
pub use store::Store;
