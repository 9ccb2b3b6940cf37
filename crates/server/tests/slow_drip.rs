//! Slow-drip clients: a byte every so often keeps a connection "active", so only a deadline on
//! the whole request head, and shedding that looks at progress rather than silence, stop them.

mod common;

use std::io::{self, Read, Write};
use std::net::SocketAddr;
use std::thread::{sleep, JoinHandle};
use std::time::{Duration, Instant};

use common::*;
use selfsign_server::Limits;

/// Gap between two dripped bytes: far shorter than any idle or shedding time.
const DRIP: Duration = Duration::from_millis(150);

/// The longest any dripper in these tests keeps going.
const DRIP_FOR: Duration = Duration::from_secs(12);

/// Whether the server has closed `tls` (close_notify, EOF or reset), waiting at most `wait`.
fn closed(tls: &mut Tls, wait: Duration) -> bool {
    tls.sock.set_read_timeout(Some(wait)).expect("timeout");
    let mut buf = [0u8; 256];
    match tls.read(&mut buf) {
        Ok(0) => true,
        Ok(_) => false,
        Err(e) => !matches!(
            e.kind(),
            io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
        ),
    }
}

#[test]
fn a_client_dripping_a_request_head_is_closed_at_the_header_timeout_though_it_keeps_sending() {
    let limits = Limits {
        header_timeout: Duration::from_secs(1),
        idle_timeout: Duration::from_secs(60),
        ..Limits::default()
    };
    let (pki, _web, running) = http_server(limits);
    let mut tls = connect(running.addr(), &pki.client_config()).expect("connect");
    let head = format!(
        "GET / HTTP/1.1\r\nHost: localhost\r\n{}",
        "X-Slow: a\r\n".repeat(200)
    );
    let start = Instant::now();
    let mut was_closed = false;
    for byte in head.as_bytes() {
        if start.elapsed() > Duration::from_secs(6) {
            break;
        }
        if tls.write_all(&[*byte]).and_then(|()| tls.flush()).is_err() || closed(&mut tls, DRIP) {
            was_closed = true;
            break;
        }
    }
    let held = start.elapsed();
    assert!(was_closed, "still open after {held:?} of dripping");
    assert!(held >= Duration::from_millis(900), "closed after {held:?}");
    assert_serves_index(running.addr(), &pki);
    running.stop();
}

/// Drips `payload` into `sock` a byte per [`DRIP`] until done, closed or [`DRIP_FOR`] passes.
fn drip<S: Write + Send + 'static>(mut sock: S, payload: Vec<u8>) -> JoinHandle<()> {
    std::thread::spawn(move || {
        let start = Instant::now();
        for byte in payload {
            if start.elapsed() > DRIP_FOR || sock.write_all(&[byte]).is_err() {
                return;
            }
            let _ = sock.flush();
            sleep(DRIP);
        }
    })
}

/// A dripper in the TLS handshake: a real ClientHello, one byte at a time.
fn handshake_dripper(addr: SocketAddr, pki: &Pki) -> JoinHandle<()> {
    let mut tls = start_tls(addr, &pki.client_config()).expect("tcp");
    let mut hello = Vec::new();
    tls.conn.write_tls(&mut hello).expect("client hello");
    drip(tls.sock, hello)
}

/// A dripper in an HTTP request head, after a finished handshake.
fn head_dripper(addr: SocketAddr, pki: &Pki) -> JoinHandle<()> {
    let tls = connect(addr, &pki.client_config()).expect("connect");
    let head = format!(
        "GET / HTTP/1.1\r\nHost: localhost\r\n{}",
        "X-Slow: a\r\n".repeat(200)
    );
    drip(tls, head.into_bytes())
}

#[test]
fn at_the_cap_drippers_give_way_to_a_client_that_talks() {
    // Timeouts far beyond the test: only shedding at the cap can admit the good client.
    let limits = Limits {
        max_connections: 2,
        handshake_timeout: Duration::from_secs(120),
        header_timeout: Duration::from_secs(120),
        idle_timeout: Duration::from_secs(120),
        ..Limits::default()
    };
    let (pki, _web, running) = http_server(limits);
    let drippers = [
        head_dripper(running.addr(), &pki),
        handshake_dripper(running.addr(), &pki),
    ];
    sleep(Duration::from_millis(300));
    // Served within the IO timeout (10 s) while both slots drip, long before any timeout.
    for _ in 0..3 {
        assert_serves_index(running.addr(), &pki);
    }
    running.stop();
    for d in drippers {
        d.join().expect("dripper");
    }
}
