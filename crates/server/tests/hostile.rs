//! Hostile and broken clients: after each, the server is still up and serves a normal client.

mod common;

use std::io::{Read, Write};
use std::time::{Duration, Instant};

use common::*;
use selfsign_server::{ClientAuth, Limits, Mode};

fn echo_server(limits: Limits) -> (Pki, Running) {
    let pki = pki();
    let running = Running::start(
        Mode::Echo,
        limits,
        pki.server_config(ClientAuth::None, false),
    );
    (pki, running)
}

/// Deterministic noise.
fn noise(len: usize, mut seed: u64) -> Vec<u8> {
    (0..len)
        .map(|_| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed as u8
        })
        .collect()
}

#[test]
fn garbage_instead_of_a_client_hello_is_dropped_quickly() {
    let (pki, running) = echo_server(Limits::default());
    let inputs = [
        noise(4096, 0x5eed),
        b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n".to_vec(),
        // A handshake record header claiming an oversized record.
        [&[0x16, 0x03, 0x01, 0xff, 0xff][..], &noise(64, 7)].concat(),
    ];
    for input in inputs {
        let mut sock = tcp(running.addr()).expect("connect");
        sock.write_all(&input).expect("write");
        let start = Instant::now();
        let mut rest = Vec::new();
        // EOF (maybe after an alert) or a reset both mean "closed"; a timeout would not.
        if let Err(e) = sock.read_to_end(&mut rest) {
            assert_eq!(e.kind(), std::io::ErrorKind::ConnectionReset, "{e}");
        }
        assert!(start.elapsed() < Duration::from_secs(5));
        assert!(
            rest.len() < 64,
            "server answered garbage with {} bytes",
            rest.len()
        );
    }
    assert_echoes(running.addr(), &pki);
    running.stop();
}

#[test]
fn a_client_that_sends_but_never_reads_is_throttled_not_buffered() {
    let (pki, running) = echo_server(Limits::default());
    let mut hostile = connect(running.addr(), &pki.client_config()).expect("connect");
    hostile
        .sock
        .set_write_timeout(Some(Duration::from_millis(200)))
        .expect("timeout");
    let goal = 50 * 1024 * 1024;
    let chunk = noise(64 * 1024, 42);
    let mut sent = 0;
    // Writes never fail outright: once buffers fill, the kernel still trickles a little through.
    // "Stalled" means under 1 MiB accepted in a whole second.
    let mut window = (Instant::now(), 0);
    while sent < goal {
        if let Ok(n) = hostile.write(&chunk) {
            sent += n;
        }
        if window.0.elapsed() >= Duration::from_secs(1) {
            if sent - window.1 < 1024 * 1024 {
                break;
            }
            window = (Instant::now(), sent);
        }
    }
    // The server stopped reading long before 50 MB; what went through sits in kernel buffers.
    assert!(
        sent < goal,
        "the server took all {sent} bytes from a client that never reads"
    );
    // Meanwhile (the hostile connection still open and stalled) others are served.
    assert_echoes(running.addr(), &pki);
    drop(hostile);
    assert_echoes(running.addr(), &pki);
    running.stop();
}

#[test]
fn tcp_connections_that_never_handshake_are_closed_at_the_handshake_timeout() {
    let limits = Limits {
        handshake_timeout: Duration::from_secs(1),
        ..Limits::default()
    };
    let (pki, running) = echo_server(limits);
    let start = Instant::now();
    let idle: Vec<_> = (0..100)
        .map(|_| tcp(running.addr()).expect("connect"))
        .collect();
    for mut sock in idle {
        let mut rest = Vec::new();
        match sock.read_to_end(&mut rest) {
            Ok(_) => assert!(rest.is_empty()),
            Err(e) => assert_eq!(e.kind(), std::io::ErrorKind::ConnectionReset, "{e}"),
        }
    }
    let elapsed = start.elapsed();
    assert!(
        elapsed >= Duration::from_millis(900),
        "closed after {elapsed:?}, before the timeout"
    );
    assert!(
        elapsed < Duration::from_secs(5),
        "closed only after {elapsed:?}"
    );
    assert_echoes(running.addr(), &pki);
    running.stop();
}

#[test]
fn clients_that_vanish_mid_handshake_free_their_slot() {
    // Two slots and a long handshake timeout: one leaked connection would block the last client.
    let limits = Limits {
        max_connections: 2,
        handshake_timeout: Duration::from_secs(60),
        ..Limits::default()
    };
    let (pki, running) = echo_server(limits);
    let config = pki.client_config();
    for round in 0..6 {
        let mut tls = start_tls(running.addr(), &config).expect("connect");
        let mut hello = Vec::new();
        tls.conn.write_tls(&mut hello).expect("client hello");
        if round % 2 == 0 {
            // Half a ClientHello, then gone.
            tls.sock
                .write_all(&hello[..hello.len() / 2])
                .expect("write");
        } else {
            // A whole ClientHello, a little of the server's answer, then gone.
            tls.sock.write_all(&hello).expect("write");
            let mut some = [0u8; 10];
            tls.sock.read_exact(&mut some).expect("server hello");
        }
    }
    assert_echoes(running.addr(), &pki);
    assert_echoes(running.addr(), &pki);
    running.stop();
}

#[test]
fn beyond_the_connection_cap_clients_wait_and_are_served_once_slots_free() {
    let limits = Limits {
        max_connections: 4,
        ..Limits::default()
    };
    let (pki, running) = echo_server(limits);
    let config = pki.client_config();
    let mut holders: Vec<Tls> = (0..4)
        .map(|_| {
            let mut tls = connect(running.addr(), &config).expect("connect");
            tls.write_all(b"x").expect("write");
            let mut b = [0u8; 1];
            tls.read_exact(&mut b).expect("echo");
            tls
        })
        .collect();

    // The fifth gets TCP (kernel backlog) but no handshake while four are open.
    let mut fifth = start_tls(running.addr(), &config).expect("tcp connect");
    fifth
        .sock
        .set_read_timeout(Some(Duration::from_millis(500)))
        .expect("timeout");
    assert!(fifth.conn.complete_io(&mut fifth.sock).is_err());
    assert!(fifth.conn.is_handshaking());

    holders.truncate(2);
    fifth
        .sock
        .set_read_timeout(Some(IO_TIMEOUT))
        .expect("timeout");
    while fifth.conn.is_handshaking() {
        fifth
            .conn
            .complete_io(&mut fifth.sock)
            .expect("handshake after slots freed");
    }
    fifth.write_all(b"hello").expect("write");
    let mut back = [0u8; 5];
    fifth.read_exact(&mut back).expect("echo");
    assert_eq!(&back, b"hello");
    drop(holders);
    drop(fifth);
    assert_echoes(running.addr(), &pki);
    running.stop();
}

#[test]
fn timeouts_of_any_length_never_panic_the_server() {
    let limits = Limits {
        handshake_timeout: Duration::MAX,
        header_timeout: Duration::MAX,
        idle_timeout: Duration::MAX,
        shutdown_grace: Duration::MAX,
        ..Limits::default()
    };
    let (pki, running) = echo_server(limits);
    assert_echoes(running.addr(), &pki);
    let _silent = tcp(running.addr()).expect("connect");
    assert_echoes(running.addr(), &pki);
    assert!(running.is_running(), "the server thread died");
    drop(_silent);
    running.stop();
}
