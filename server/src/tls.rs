//! HTTPS served directly: `gridwork serve --tls-cert FILE --tls-key FILE`.
//!
//! rustls with the ring provider (the one the clients use), TLS 1.2 and 1.3, HTTP/1.1
//! (ALPN `http/1.1`). The certificate and key are read once at start; replacing them
//! takes a restart (which finishes the requests in flight first). The TLS handshake
//! must finish within the header-read timeout, so a client that opens a connection
//! and says nothing holds no socket for long.

use rustls::pki_types::{pem::PemObject, CertificateDer, PrivateKeyDer};
use std::{path::Path, sync::Arc};
pub use tokio_rustls::TlsAcceptor;

/// Why the certificate or key cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    /// The certificate file does not hold a PEM certificate chain.
    #[error("TLS certificate {path}: {reason}")]
    Certificate {
        /// The file.
        path: String,
        /// What is wrong.
        reason: String,
    },
    /// The key file does not hold a PEM private key.
    #[error("TLS key {path}: {reason}")]
    Key {
        /// The file.
        path: String,
        /// What is wrong.
        reason: String,
    },
    /// rustls refused the pair (the key does not match the certificate, say).
    #[error("TLS certificate and key: {0}")]
    Config(String),
}

/// Reads a PEM certificate chain (leaf first) and its PEM private key (PKCS#8, PKCS#1
/// or SEC1) and builds the acceptor.
pub fn acceptor(cert: &Path, key: &Path) -> Result<TlsAcceptor, TlsError> {
    let cert_err = |reason: String| TlsError::Certificate {
        path: cert.display().to_string(),
        reason,
    };
    let pem = std::fs::read(cert).map_err(|e| cert_err(e.to_string()))?;
    let chain = CertificateDer::pem_slice_iter(&pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| cert_err(e.to_string()))?;
    if chain.is_empty() {
        return Err(cert_err("no PEM certificate in it".into()));
    }
    let key_err = |reason: String| TlsError::Key {
        path: key.display().to_string(),
        reason,
    };
    let pem = std::fs::read(key).map_err(|e| key_err(e.to_string()))?;
    let key = PrivateKeyDer::from_pem_slice(&pem).map_err(|e| key_err(e.to_string()))?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| TlsError::Config(e.to_string()))?
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .map_err(|e| TlsError::Config(e.to_string()))?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(TlsAcceptor::from(Arc::new(config)))
}
