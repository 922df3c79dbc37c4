//! The server's integration tests, in one binary: the storage conformance suite on
//! both backends, the HTTP API on a real loopback server, concurrency, and the check
//! that docs/openapi.yaml documents exactly what the router serves.
#![allow(clippy::unwrap_used, clippy::print_stdout, missing_docs)]

mod authz_matrix;
mod blobs_s3;
mod cases_api;
mod cases_conformance;
mod catalog_conformance;
mod common;
mod conformance;
mod console;
mod console_actions;
mod delivery_orders;
mod devices_conformance;
mod devices_http;
mod evaluation_api;
mod evaluation_conformance;
mod health_conformance;
mod http;
mod http_auth;
mod incarnation;
mod limits;
mod map_conformance;
mod offered_actions;
mod open311;
mod open311_forward;
mod openapi;
mod ops_http;
mod packed_wire;
mod patrols_api;
mod patrols_conformance;
mod pg_group_commit;
mod pg_migrations;
mod posts_conformance;
mod signing_conformance;
mod sqlite_migrations;
mod uploads;
mod users_conformance;
