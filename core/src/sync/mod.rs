//! Sync: the wire types of protocol v1 (shared by the device engine and the reference
//! server) and, on the device, the engine that pushes the outbox and pulls the
//! caller's scope. See docs/sync-protocol.md.

pub mod wire;
