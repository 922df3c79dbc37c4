//! Device signing keys on the server (docs/signing.md): the public key a device
//! registered at sign-in, and the flag set when a device signed an event that rewrites
//! or forks the history the server holds for it.

/// What the server holds about a device's key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceSigning {
    /// The account it belongs to (`""` when unknown).
    pub owner: String,
    /// Its Ed25519 public key (hex); `None` for a device that never sent one.
    pub public_key: Option<String>,
    /// Why it was flagged, when it was: its first rewrite or fork.
    pub flagged: Option<String>,
}
