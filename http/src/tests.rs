//! The transport against a loopback HTTP server: bodies and headers both ways, gzip,
//! and how failures are classified.
#![allow(clippy::unwrap_used)]

use super::*;
use flate2::read::GzDecoder;
use std::{io::Read, thread};

fn serve_once(
    reply: impl FnOnce(&mut tiny_http::Request) -> tiny_http::ResponseBox + Send + 'static,
) -> (String, thread::JoinHandle<()>) {
    let server = tiny_http::Server::http("127.0.0.1:0").unwrap();
    let url = format!("http://{}", server.server_addr().to_ip().unwrap());
    let handle = thread::spawn(move || {
        let mut req = server.recv().unwrap();
        let resp = reply(&mut req);
        req.respond(resp).unwrap();
    });
    (url, handle)
}

#[test]
fn a_large_body_goes_gzipped_and_a_gzipped_answer_comes_back_plain() {
    let body: Vec<u8> = b"{\"events\":[]}".repeat(500);
    let expected = body.clone();
    let (url, handle) = serve_once(move |req| {
        assert_eq!(req.method(), &tiny_http::Method::Post);
        assert_eq!(req.url(), "/v1/events?x=1");
        let header = |name: &str| {
            req.headers()
                .iter()
                .find(|h| h.field.as_str().as_str().eq_ignore_ascii_case(name))
                .map(|h| h.value.to_string())
        };
        assert_eq!(header("Content-Encoding").as_deref(), Some("gzip"));
        assert_eq!(header("Gridwork-Protocol").as_deref(), Some("1"));
        let mut raw = Vec::new();
        req.as_reader().read_to_end(&mut raw).unwrap();
        let mut plain = Vec::new();
        GzDecoder::new(&raw[..]).read_to_end(&mut plain).unwrap();
        assert_eq!(plain, expected);
        let answer = gzip(b"{\"results\":[]}").unwrap();
        tiny_http::Response::from_data(answer)
            .with_header(
                "Content-Encoding: gzip"
                    .parse::<tiny_http::Header>()
                    .unwrap(),
            )
            .with_header("Gridwork-Protocol: 1".parse::<tiny_http::Header>().unwrap())
            .with_status_code(200)
            .boxed()
    });
    let t = HttpTransport::new(HttpOptions::default()).unwrap();
    let resp = t
        .send(&HttpRequest {
            method: Method::Post,
            url: format!("{url}/v1/events?x=1"),
            headers: vec![("Gridwork-Protocol".into(), "1".into())],
            body,
        })
        .unwrap();
    handle.join().unwrap();
    assert_eq!(resp.status, 200);
    assert_eq!(resp.body, b"{\"results\":[]}");
    assert_eq!(resp.header("gridwork-protocol"), Some("1"));
}

#[test]
fn a_photo_chunk_is_sent_as_is_and_an_error_status_is_a_response() {
    let (url, handle) = serve_once(|req| {
        assert!(req
            .headers()
            .iter()
            .all(|h| !h.field.equiv("Content-Encoding")));
        let mut raw = Vec::new();
        req.as_reader().read_to_end(&mut raw).unwrap();
        assert_eq!(raw.len(), 4096);
        tiny_http::Response::empty(503).boxed()
    });
    let t = HttpTransport::new(HttpOptions::default()).unwrap();
    let resp = t
        .send(&HttpRequest {
            method: Method::Put,
            url: format!("{url}/v1/blobs/ab"),
            headers: vec![("Content-Range".into(), "bytes 0-4095/5000".into())],
            body: vec![7; 4096],
        })
        .unwrap();
    handle.join().unwrap();
    assert_eq!(resp.status, 503);
}

#[test]
fn a_closed_port_is_a_connect_error_and_a_silent_server_a_timeout() {
    let free = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = free.local_addr().unwrap();
    drop(free);
    let t = HttpTransport::new(HttpOptions::default()).unwrap();
    let get = |url: String| HttpRequest {
        method: Method::Get,
        url,
        headers: Vec::new(),
        body: Vec::new(),
    };
    let err = t.send(&get(format!("http://{addr}/v1/me"))).unwrap_err();
    assert!(matches!(err, TransportError::Connect(_)), "{err:?}");

    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = silent.local_addr().unwrap();
    let t = HttpTransport::new(HttpOptions {
        timeout: Duration::from_millis(300),
        ..HttpOptions::default()
    })
    .unwrap();
    let err = t.send(&get(format!("http://{addr}/v1/me"))).unwrap_err();
    assert!(matches!(err, TransportError::Timeout(_)), "{err:?}");
    drop(silent);
}

/// A server whose certificate a city's own CA signed: refused with the Mozilla roots
/// alone, trusted once the CA is given as an extra root. The server is `openssl
/// s_server` with the fixtures in http/tests/tls (skipped, with a note, without openssl).
#[test]
fn a_citys_own_certificate_authority_can_be_trusted() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/tls");
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let Ok(mut server) = std::process::Command::new("openssl")
        .args(["s_server", "-quiet", "-www", "-accept"])
        .arg(port.to_string())
        .arg("-cert")
        .arg(dir.join("server.pem"))
        .arg("-key")
        .arg(dir.join("server.key"))
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
    else {
        eprintln!("SKIPPED: no openssl to serve TLS");
        return;
    };
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        std::thread::yield_now();
    }
    let get = || HttpRequest {
        method: Method::Get,
        url: format!("https://localhost:{port}/"),
        headers: Vec::new(),
        body: Vec::new(),
    };
    let plain = HttpTransport::new(HttpOptions::default()).unwrap();
    let refused = plain.send(&get());
    let trusting = HttpTransport::new(HttpOptions {
        extra_roots_pem: vec![std::fs::read(dir.join("ca.pem")).unwrap()],
        ..HttpOptions::default()
    })
    .unwrap();
    let answered = trusting.send(&get());
    let _ = server.kill();
    let _ = server.wait();
    assert!(
        refused.is_err(),
        "an unknown CA is not trusted: {refused:?}"
    );
    assert_eq!(answered.unwrap().status, 200);
    let bad = HttpTransport::new(HttpOptions {
        extra_roots_pem: vec![b"not a certificate".to_vec()],
        ..HttpOptions::default()
    });
    assert!(bad.is_err());
}
