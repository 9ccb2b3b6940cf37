//! Graceful shutdown: downloads in flight finish, idle connections close, the grace bounds it.

mod common;

use std::io::{ErrorKind, Read};
use std::time::Duration;

use common::*;
use selfsign_server::Limits;

const BIG: usize = 32 * 1024 * 1024;

#[test]
fn a_large_download_in_flight_completes_after_shutdown_and_run_returns_ok() {
    let (pki, web, mut running) = http_server(Limits::default());
    write_pattern_file(&web.root.join("big.bin"), BIG);
    let mut http = Http::new(connect(running.addr(), &pki.client_config()).expect("connect"));
    http.send("GET /big.bin HTTP/1.1\r\nHost: localhost\r\n\r\n")
        .expect("send");
    let mut first = vec![0u8; 1024 * 1024];
    http.stream
        .read_exact(&mut first)
        .expect("start of download");

    running.handle.shutdown();
    // New connections are refused once shutdown has begun.
    let mut refused = false;
    for _ in 0..100 {
        match std::net::TcpStream::connect(running.addr()) {
            Err(e) if e.kind() == ErrorKind::ConnectionRefused => {
                refused = true;
                break;
            }
            _ => std::thread::sleep(Duration::from_millis(10)),
        }
    }
    assert!(refused, "the listener still accepts after shutdown");

    let mut rest = Vec::new();
    http.stream
        .read_to_end(&mut rest)
        .expect("download ends with close_notify");
    let all = [first, rest].concat();
    let head_end = all
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("response head")
        + 4;
    let head = String::from_utf8_lossy(&all[..head_end]);
    assert!(head.starts_with("HTTP/1.1 200 OK"), "{head}");
    assert!(head.contains(&format!("Content-Length: {BIG}")), "{head}");
    assert!(head.contains("Connection: keep-alive"), "{head}");
    let body = &all[head_end..];
    assert_eq!(body.len(), BIG, "download cut short");
    assert!(
        body.iter().enumerate().all(|(i, &b)| b == (i % 251) as u8),
        "download corrupted"
    );

    let (result, _) = running.join(Limits::default().shutdown_grace);
    result.expect("run() returns Ok after a graceful shutdown");
}

#[test]
fn idle_keep_alive_connections_are_closed_and_shutdown_does_not_wait_for_the_grace() {
    let limits = Limits {
        shutdown_grace: Duration::from_secs(30),
        ..Limits::default()
    };
    let (pki, _web, mut running) = http_server(limits);
    let mut idle: Vec<_> = (0..3)
        .map(|_| {
            let mut http =
                Http::new(connect(running.addr(), &pki.client_config()).expect("connect"));
            assert_eq!(http.get("/").expect("GET").status, 200);
            http
        })
        .collect();
    running.handle.shutdown();
    for http in &mut idle {
        assert_eq!(http.read_to_close().expect("clean close_notify"), b"");
    }
    let (result, took) = running.join(Duration::from_secs(10));
    result.expect("run() Ok");
    assert!(took < Duration::from_secs(10));
}

#[test]
fn shutdown_gives_up_on_a_stalled_download_after_the_grace() {
    let limits = Limits {
        shutdown_grace: Duration::from_secs(1),
        ..Limits::default()
    };
    let (pki, web, mut running) = http_server(limits);
    write_pattern_file(&web.root.join("big.bin"), BIG);
    let tls = connect(running.addr(), &pki.client_config()).expect("connect");
    // A small fixed receive window, so kernel buffers cannot swallow the whole file.
    socket2::SockRef::from(&tls.sock)
        .set_recv_buffer_size(64 * 1024)
        .expect("SO_RCVBUF");
    let mut http = Http::new(tls);
    http.send("GET /big.bin HTTP/1.1\r\nHost: localhost\r\n\r\n")
        .expect("send");
    let mut first = [0u8; 1024];
    http.stream
        .read_exact(&mut first)
        .expect("start of download");
    // The client stops reading; the server cannot finish and must not wait forever.
    running.handle.shutdown();
    let (result, took) = running.join(Duration::from_secs(10));
    result.expect("run() Ok even when the grace ran out");
    assert!(
        took >= Duration::from_millis(900),
        "stopped after {took:?}, before the grace"
    );
    drop(http);
}
