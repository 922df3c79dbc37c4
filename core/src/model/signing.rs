//! Device signing keys: every event a device records is signed with the device's
//! Ed25519 key, over the event's hash (the 64 lower-case hex characters of
//! [`Event::hash`] as ASCII bytes). The server holds each device's public key from
//! sign-in, so an event edited and re-hashed in a copied store file, or forged by a
//! device relaying another's events, no longer verifies (docs/signing.md).

use super::Event;
use ed25519_dalek::{Signature, Signer, SigningKey, Verifier, VerifyingKey};
use thiserror::Error;

/// Why a signature or key did not verify.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum SignatureError {
    /// The event carries no signature.
    #[error("the event is not signed")]
    Missing,
    /// The signature is not 128 hex characters, or the key not 64.
    #[error("malformed {0}")]
    Malformed(&'static str),
    /// The signature does not verify with the device's key.
    #[error("the signature does not verify with the device's key")]
    Invalid,
}

/// A device's signing key (the 32-byte Ed25519 seed). Its `Debug` shows only the public key.
#[derive(Clone)]
pub struct DeviceKey(SigningKey);

impl std::fmt::Debug for DeviceKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "DeviceKey({})", self.public_hex())
    }
}

impl DeviceKey {
    /// A new random key from the operating system's random source.
    pub fn generate() -> Result<DeviceKey, getrandom::Error> {
        let mut seed = [0u8; 32];
        getrandom::fill(&mut seed)?;
        Ok(DeviceKey(SigningKey::from_bytes(&seed)))
    }

    /// The key from its seed in hex (as kept in the store).
    pub fn from_hex(seed: &str) -> Result<DeviceKey, SignatureError> {
        let bytes: [u8; 32] = hex::decode(seed)
            .ok()
            .and_then(|b| b.try_into().ok())
            .ok_or(SignatureError::Malformed("signing key"))?;
        Ok(DeviceKey(SigningKey::from_bytes(&bytes)))
    }

    /// The seed in hex: secret, kept only in the store.
    pub fn secret_hex(&self) -> String {
        hex::encode(self.0.to_bytes())
    }

    /// The public key in hex (64 characters): what the server registers at sign-in.
    pub fn public_hex(&self) -> String {
        hex::encode(self.0.verifying_key().to_bytes())
    }

    /// The signature (128 hex characters) over an event hash.
    pub fn sign_hash(&self, hash: &str) -> String {
        hex::encode(self.0.sign(hash.as_bytes()).to_bytes())
    }

    /// Signs `event`: sets its `signature` over its current hash.
    pub fn sign(&self, event: &mut Event) {
        event.signature = Some(self.sign_hash(&event.hash()));
    }
}

/// Whether `public_key` (64 hex characters) is a valid Ed25519 public key.
pub fn check_public_key(public_key: &str) -> Result<(), SignatureError> {
    parse_public(public_key).map(|_| ())
}

fn parse_public(public_key: &str) -> Result<VerifyingKey, SignatureError> {
    let bytes: [u8; 32] = hex::decode(public_key)
        .ok()
        .and_then(|b| b.try_into().ok())
        .ok_or(SignatureError::Malformed("public key"))?;
    VerifyingKey::from_bytes(&bytes).map_err(|_| SignatureError::Malformed("public key"))
}

/// Checks `signature` over `hash` with `public_key` (both hex).
pub fn verify_hash(public_key: &str, hash: &str, signature: &str) -> Result<(), SignatureError> {
    let key = parse_public(public_key)?;
    let bytes: [u8; 64] = hex::decode(signature)
        .ok()
        .and_then(|b| b.try_into().ok())
        .ok_or(SignatureError::Malformed("signature"))?;
    key.verify(hash.as_bytes(), &Signature::from_bytes(&bytes))
        .map_err(|_| SignatureError::Invalid)
}

/// Checks an event's signature over its own (recomputed) hash with `public_key`.
pub fn verify_event(public_key: &str, event: &Event) -> Result<(), SignatureError> {
    let signature = event.signature.as_deref().ok_or(SignatureError::Missing)?;
    verify_hash(public_key, &event.hash(), signature)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn a_signature_verifies_only_for_its_hash_and_key() {
        let key = DeviceKey::generate().unwrap();
        let other = DeviceKey::generate().unwrap();
        let hash = "ab".repeat(32);
        let sig = key.sign_hash(&hash);
        assert_eq!(sig.len(), 128);
        assert_eq!(verify_hash(&key.public_hex(), &hash, &sig), Ok(()));
        assert_eq!(
            verify_hash(&key.public_hex(), &"cd".repeat(32), &sig),
            Err(SignatureError::Invalid)
        );
        assert_eq!(
            verify_hash(&other.public_hex(), &hash, &sig),
            Err(SignatureError::Invalid)
        );
        assert!(verify_hash(&key.public_hex(), &hash, "zz").is_err());
        let again = DeviceKey::from_hex(&key.secret_hex()).unwrap();
        assert_eq!(again.public_hex(), key.public_hex());
    }
}
