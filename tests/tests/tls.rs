//! HTTPS served directly (`gridwork serve --tls-cert/--tls-key`): a device trusting the
//! server's CA through `HttpOptions::extra_roots_pem` syncs; one that does not is told
//! of the certificate and nothing is written on either side; plain HTTP to the TLS port
//! gets no HTTP answer and does not disturb the server.
#![allow(clippy::unwrap_used, missing_docs)]

use gridwork_core::{
    model::Role,
    sync::{self, EngineState, SignIn},
};
use gridwork_http::{HttpOptions, HttpTransport};
use gridwork_tests::{http, Device, TestServer};
use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, IsCa, KeyPair};
use std::{
    io::{Read, Write},
    time::Duration,
};

const COMMUNITY: &str = "320508001001";

/// A CA (PEM) and a server certificate and key it signed for 127.0.0.1 and localhost.
fn certificates() -> (String, String, String) {
    let mut ca = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca.distinguished_name
        .push(rcgen::DnType::CommonName, "gridwork test CA");
    let ca = CertifiedIssuer::self_signed(ca, KeyPair::generate().unwrap()).unwrap();
    let key = KeyPair::generate().unwrap();
    let leaf = CertificateParams::new(vec!["127.0.0.1".to_string(), "localhost".to_string()])
        .unwrap()
        .signed_by(&key, &ca)
        .unwrap();
    (ca.pem(), leaf.pem(), key.serialize_pem())
}

/// The test server's database and router behind a TLS listener on loopback.
struct TlsServer {
    url: String,
    _rt: tokio::runtime::Runtime,
}

fn start_tls(plain: &TestServer, cert: &str, key: &str) -> TlsServer {
    let dir = plain.dir.path();
    std::fs::write(dir.join("cert.pem"), cert).unwrap();
    std::fs::write(dir.join("key.pem"), key).unwrap();
    let acceptor =
        gridwork_server::tls::acceptor(&dir.join("cert.pem"), &dir.join("key.pem")).unwrap();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let config = gridwork_server::ServerConfig {
        listen: "127.0.0.1:0".parse().unwrap(),
        db: dir.join("server.db").display().to_string(),
        blobs_dir: dir.join("blobs"),
        blobs_s3: None,
        limits: Default::default(),
        console: Default::default(),
        open311: Default::default(),
    };
    let (tx, rx) = std::sync::mpsc::channel();
    rt.spawn(async move {
        let state = gridwork_server::state(&config).await.unwrap();
        let listener = tokio::net::TcpListener::bind(config.listen).await.unwrap();
        tx.send(listener.local_addr().unwrap()).unwrap();
        gridwork_server::serve_tls_listener(
            listener,
            acceptor,
            gridwork_server::router(state),
            Duration::from_secs(10),
            std::future::pending(),
            None,
        )
        .await
        .unwrap();
    });
    let addr = rx.recv().unwrap();
    TlsServer {
        url: format!("https://{addr}"),
        _rt: rt,
    }
}

fn server_cases(plain: &TestServer) -> usize {
    plain.admin(async |s| s.case_views().await.unwrap().len())
}

#[test]
fn a_device_syncs_over_https_when_it_trusts_the_ca_and_is_told_of_the_certificate_when_not() {
    let plain = TestServer::start();
    let token = plain.account("wang", Role::Worker, COMMUNITY);
    let (ca, cert, key) = certificates();
    let tls = start_tls(&plain, &cert, &key);
    let trusting = HttpTransport::new(HttpOptions {
        extra_roots_pem: vec![ca.into_bytes()],
        ..HttpOptions::default()
    })
    .unwrap();

    // Without the CA: sign-in fails on the certificate.
    let stranger = Device::new("zhao", Role::Worker, "phone-zhao");
    let err = sync::login(
        &stranger.store,
        &http(),
        &tls.url,
        &SignIn::Token(token.clone()),
    )
    .unwrap_err();
    assert!(
        err.to_string().to_lowercase().contains("certificate"),
        "{err}"
    );

    // With it: sign-in and sync go through.
    let wang = Device::new("wang", Role::Worker, "phone-wang");
    sync::login(&wang.store, &trusting, &tls.url, &SignIn::Token(token)).unwrap();
    wang.store.report(&wang.draft("overflowing bin")).unwrap();
    let r = wang.sync_with(&trusting);
    assert_eq!(
        (r.state, r.pushed, r.uploaded_photos),
        (EngineState::Synced, 1, 1),
        "{:?}",
        r.error
    );
    assert_eq!(server_cases(&plain), 1);

    // The same device through a transport without the CA: a certificate error, the
    // report stays pending, and the server holds nothing new.
    wang.store.report(&wang.draft("broken kerb")).unwrap();
    let r = wang.sync_with(&http());
    assert_eq!(r.state, EngineState::RetryScheduled);
    let why = r.error.unwrap_or_default();
    assert!(why.to_lowercase().contains("certificate"), "{why}");
    assert_eq!(wang.status().pending_events, 1);
    assert_eq!(server_cases(&plain), 1);

    // Plain HTTP to the TLS port: no HTTP answer, the connection is closed.
    let addr = tls.url.trim_start_matches("https://");
    let mut conn = std::net::TcpStream::connect(addr).unwrap();
    conn.set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    conn.write_all(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
        .unwrap();
    let mut answer = Vec::new();
    let _ = conn.read_to_end(&mut answer);
    assert!(!answer.starts_with(b"HTTP/"), "{answer:?}");
    // … and the engine over http:// says it cannot talk to it.
    let plainly = Device::new("li", Role::Worker, "phone-li");
    let err = sync::login(
        &plainly.store,
        &http(),
        &format!("http://{addr}"),
        &SignIn::Token("whatever".into()),
    )
    .unwrap_err();
    assert!(!matches!(err, sync::SyncError::Unauthorized(_)), "{err}");

    // The server still serves HTTPS: the pending report goes up.
    let r = wang.sync_with(&trusting);
    assert_eq!(
        (r.state, r.pushed),
        (EngineState::Synced, 1),
        "{:?}",
        r.error
    );
    assert_eq!(server_cases(&plain), 2);
}
