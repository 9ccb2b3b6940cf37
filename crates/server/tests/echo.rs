//! Echo mode: whatever a client sends comes back, over TLS, with a clean close.

mod common;

use std::io::{Read, Write};

use common::*;
use selfsign_server::{ClientAuth, Limits, Mode};

fn echo_server() -> (Pki, Running) {
    let pki = pki();
    let running = Running::start(
        Mode::Echo,
        Limits::default(),
        pki.server_config(ClientAuth::None, false),
    );
    (pki, running)
}

#[test]
fn echo_returns_every_byte_in_order() {
    let (pki, running) = echo_server();
    let mut tls = connect(running.addr(), &pki.client_config()).expect("connect");
    let mut sent = Vec::new();
    let mut received = Vec::new();
    // 1 MiB in 16 KiB steps, reading each step back before sending the next.
    for i in 0..64u32 {
        let chunk: Vec<u8> = (0..16 * 1024).map(|j| (i as usize * 7 + j) as u8).collect();
        tls.write_all(&chunk).expect("write");
        let mut back = vec![0u8; chunk.len()];
        tls.read_exact(&mut back).expect("read echo");
        sent.extend_from_slice(&chunk);
        received.extend_from_slice(&back);
    }
    assert_eq!(received.len(), 1024 * 1024);
    assert!(received == sent, "echoed bytes differ from sent bytes");
    running.stop();
}

#[test]
fn echo_offers_no_alpn_even_if_the_config_does() {
    let (pki, running) = echo_server();
    let mut config = (*pki.client_config()).clone();
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    let tls = connect(running.addr(), &config.into()).expect("connect");
    assert_eq!(tls.conn.alpn_protocol(), None);
    running.stop();
}

#[test]
fn client_close_notify_gets_the_pending_echo_then_a_clean_close() {
    let (pki, running) = echo_server();
    let mut tls = connect(running.addr(), &pki.client_config()).expect("connect");
    tls.write_all(b"last words").expect("write");
    tls.conn.send_close_notify();
    tls.flush().expect("flush close_notify");
    let mut rest = Vec::new();
    tls.read_to_end(&mut rest)
        .expect("clean close from the server");
    assert_eq!(rest, b"last words");
    running.stop();
}
