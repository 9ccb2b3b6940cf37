//! HTTP mode, spoken to by a rustls client: files, statuses, keep-alive, pipelining, path safety.

mod common;

use std::time::{Duration, Instant};

use common::*;
use selfsign_server::Limits;

fn client(running: &Running, pki: &Pki) -> Http<Tls> {
    Http::new(connect(running.addr(), &pki.client_config()).expect("connect"))
}

#[test]
fn root_serves_index_html_with_security_headers_over_http_1_1_alpn() {
    let (pki, _web, running) = http_server(Limits::default());
    let mut config = (*pki.client_config()).clone();
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    let mut http = Http::new(connect(running.addr(), &config.into()).expect("connect"));
    assert_eq!(http.stream.conn.alpn_protocol(), Some(&b"http/1.1"[..]));
    let r = http.get("/").expect("GET /");
    assert_eq!(r.status, 200);
    assert_eq!(r.header("content-type"), Some("text/html; charset=utf-8"));
    assert_eq!(
        r.header("content-length"),
        Some(INDEX_HTML.len().to_string().as_str())
    );
    assert_eq!(r.header("x-content-type-options"), Some("nosniff"));
    assert_eq!(r.header("cache-control"), Some("no-cache"));
    assert!(r.header("date").is_some());
    assert_eq!(r.text(), INDEX_HTML);
    running.stop();
}

#[test]
fn wasm_json_and_index_files_get_their_content_types() {
    let (pki, _web, running) = http_server(Limits::default());
    let mut http = client(&running, &pki);
    let wasm = http.get("/app.wasm").expect("GET wasm");
    assert_eq!(wasm.status, 200);
    assert_eq!(wasm.header("content-type"), Some("application/wasm"));
    assert_eq!(wasm.body, WASM);
    let json = http.get("/sub/data.json?cache=bust").expect("GET json");
    assert_eq!(json.header("content-type"), Some("application/json"));
    let sub = http.get("/sub/").expect("GET dir");
    assert_eq!((sub.status, sub.text().as_str()), (200, "sub index"));
    let absolute = http
        .get("https://localhost/app.wasm")
        .expect("absolute-form");
    assert_eq!((absolute.status, absolute.body.as_slice()), (200, WASM));
    let redirect = http.get("/sub").expect("GET dir without slash");
    assert_eq!(redirect.status, 301);
    assert_eq!(redirect.header("location"), Some("/sub/"));
    running.stop();
}

#[test]
fn head_sends_the_headers_of_get_without_a_body() {
    let (pki, _web, running) = http_server(Limits::default());
    let mut http = client(&running, &pki);
    http.send("HEAD /app.wasm HTTP/1.1\r\nHost: localhost\r\n\r\n")
        .expect("send");
    let head = http.response(true).expect("HEAD response");
    assert_eq!(head.status, 200);
    assert_eq!(
        head.header("content-length"),
        Some(WASM.len().to_string().as_str())
    );
    assert_eq!(head.header("content-type"), Some("application/wasm"));
    // The next response on the connection starts right after the head: no body was sent.
    let next = http.get("/").expect("GET after HEAD");
    assert_eq!(next.text(), INDEX_HTML);
    running.stop();
}

#[test]
fn missing_file_is_404_and_the_connection_stays_usable() {
    let (pki, _web, running) = http_server(Limits::default());
    let mut http = client(&running, &pki);
    let r = http.get("/nope.html").expect("GET missing");
    assert_eq!(r.status, 404);
    assert_eq!(http.get("/").expect("GET /").status, 200);
    running.stop();
}

#[test]
fn other_methods_get_405_with_allow_get_head() {
    let (pki, _web, running) = http_server(Limits::default());
    let mut http = client(&running, &pki);
    for method in ["DELETE", "OPTIONS", "PUT"] {
        http.send(&format!("{method} / HTTP/1.1\r\nHost: localhost\r\n\r\n"))
            .expect("send");
        let r = http.response(false).expect("response");
        assert_eq!(r.status, 405, "{method}");
        assert_eq!(r.header("allow"), Some("GET, HEAD"));
    }
    running.stop();
}

#[test]
fn traversal_attempts_never_return_files_outside_the_root() {
    let (pki, _web, running) = http_server(Limits::default());
    let attempts = [
        "/../secret.txt",
        "/sub/../../secret.txt",
        "/%2e%2e/secret.txt",
        "/%2E%2E%2Fsecret.txt",
        "/..%2fsecret.txt",
        "/sub%2f..%2f..%2fsecret.txt",
        "/..\\secret.txt",
        "/%5c..%5csecret.txt",
        "/secret.txt%00.html",
        "/escape/secret.txt",
        "/leak.txt",
        "//etc/passwd",
        "/%252e%252e/secret.txt",
    ];
    for path in attempts {
        let mut http = client(&running, &pki);
        let r = http.get(path).expect("response");
        assert!(
            r.status == 400 || r.status == 404,
            "{path} answered {}",
            r.status
        );
        assert!(!r.text().contains(SECRET), "{path} leaked the secret");
    }
    assert_serves_index(running.addr(), &pki);
    running.stop();
}

#[test]
fn keep_alive_serves_two_requests_on_one_connection() {
    let (pki, _web, running) = http_server(Limits::default());
    let mut http = client(&running, &pki);
    let first = http.get("/").expect("first");
    assert_eq!(first.header("connection"), Some("keep-alive"));
    let second = http.get("/app.wasm").expect("second");
    assert_eq!((first.status, second.status), (200, 200));
    assert_eq!(second.body, WASM);
    running.stop();
}

#[test]
fn pipelined_requests_are_answered_in_order() {
    let (pki, _web, running) = http_server(Limits::default());
    let mut http = client(&running, &pki);
    http.send(
        "GET /app.wasm HTTP/1.1\r\nHost: localhost\r\n\r\n\
         GET /missing HTTP/1.1\r\nHost: localhost\r\n\r\n\
         GET / HTTP/1.1\r\nHost: localhost\r\n\r\n",
    )
    .expect("send");
    let statuses: Vec<u16> = (0..3)
        .map(|_| http.response(false).expect("response").status)
        .collect();
    assert_eq!(statuses, vec![200, 404, 200]);
    running.stop();
}

#[test]
fn connection_close_and_http_1_0_close_after_the_response() {
    let (pki, _web, running) = http_server(Limits::default());
    for request in [
        "GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n",
        "GET / HTTP/1.0\r\n\r\n",
    ] {
        let mut http = client(&running, &pki);
        http.send(request).expect("send");
        let r = http.response(false).expect("response");
        assert_eq!(r.status, 200);
        assert_eq!(r.header("connection"), Some("close"));
        // The server ends the stream cleanly (close_notify), with nothing after the response.
        assert_eq!(http.read_to_close().expect("clean close"), b"");
    }
    running.stop();
}

#[test]
fn malformed_requests_get_400_and_close() {
    let (pki, _web, running) = http_server(Limits::default());
    for request in [
        "GARBAGE\r\n\r\n",
        "GET / HTTP/9.9\r\n\r\n",
        "GET / HTTP/1.1\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n",
        "GET noslash HTTP/1.1\r\nHost: localhost\r\n\r\n",
    ] {
        let mut http = client(&running, &pki);
        http.send(request).expect("send");
        let r = http.response(false).expect("response");
        assert_eq!(r.status, 400, "{request:?}");
        assert_eq!(http.read_to_close().expect("close"), b"", "{request:?}");
    }
    assert_serves_index(running.addr(), &pki);
    running.stop();
}

#[test]
fn oversized_request_heads_get_414_or_431() {
    let limits = Limits {
        max_request_head: 1024,
        ..Limits::default()
    };
    let (pki, _web, running) = http_server(limits);
    let long_target = format!("GET /{} HTTP/1.1\r\n", "a".repeat(4000));
    let mut http = client(&running, &pki);
    http.send(&long_target).expect("send");
    assert_eq!(http.response(false).expect("response").status, 414);

    let many_headers = format!(
        "GET / HTTP/1.1\r\nHost: localhost\r\n{}\r\n",
        "X-Filler: 0123456789012345678901234567890123456789\r\n".repeat(60)
    );
    let mut http = client(&running, &pki);
    http.send(&many_headers).expect("send");
    assert_eq!(http.response(false).expect("response").status, 431);
    assert_serves_index(running.addr(), &pki);
    running.stop();
}

#[test]
fn a_request_body_gets_413_and_close() {
    let (pki, _web, running) = http_server(Limits::default());
    let mut http = client(&running, &pki);
    http.send("GET / HTTP/1.1\r\nHost: localhost\r\nContent-Length: 5\r\n\r\nhello")
        .expect("send");
    let r = http.response(false).expect("response");
    assert_eq!(r.status, 413);
    assert_eq!(r.header("connection"), Some("close"));
    assert_eq!(http.read_to_close().expect("close"), b"");
    running.stop();
}

#[test]
fn an_idle_keep_alive_connection_is_closed_with_close_notify_after_the_idle_timeout() {
    let limits = Limits {
        idle_timeout: Duration::from_secs(1),
        ..Limits::default()
    };
    let (pki, _web, running) = http_server(limits);
    let mut http = client(&running, &pki);
    assert_eq!(http.get("/").expect("GET").status, 200);
    let start = Instant::now();
    assert_eq!(http.read_to_close().expect("clean close_notify"), b"");
    let waited = start.elapsed();
    assert!(
        waited >= Duration::from_millis(900),
        "closed after {waited:?}"
    );
    running.stop();
}
