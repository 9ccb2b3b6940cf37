//! At the connection cap, connections whose peers stay silent give way to clients that talk, so
//! a client hoarding connections cannot lock others out until the handshake or idle timeout.

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::thread::sleep;
use std::time::{Duration, Instant};

use common::*;
use selfsign_server::{ClientAuth, Limits, Mode};

/// Two slots and timeouts far beyond the test's IO timeout: only shedding can admit anyone.
fn tight_echo_server() -> (Pki, Running) {
    let limits = Limits {
        max_connections: 2,
        handshake_timeout: Duration::from_secs(120),
        idle_timeout: Duration::from_secs(120),
        ..Limits::default()
    };
    let pki = pki();
    let running = Running::start(
        Mode::Echo,
        limits,
        pki.server_config(ClientAuth::None, false),
    );
    (pki, running)
}

#[test]
fn silent_connections_holding_every_slot_give_way_to_a_client_that_talks() {
    let (pki, running) = tight_echo_server();
    // Both slots taken by connections that never send a byte, and more queued behind them.
    let hoard: Vec<TcpStream> = (0..6).map(|_| tcp(running.addr()).expect("tcp")).collect();
    sleep(Duration::from_millis(100));
    // Served within the IO timeout (10 s), far before the 120 s handshake timeout.
    assert_echoes(running.addr(), &pki);
    drop(hoard);
    running.stop();
}

#[test]
fn clients_that_keep_talking_are_never_shed_for_newcomers() {
    let (pki, running) = tight_echo_server();
    let config = pki.client_config();
    let mut holders: Vec<Tls> = (0..2)
        .map(|_| connect(running.addr(), &config).expect("connect"))
        .collect();
    // A newcomer waits in the backlog while both holders talk every 100 ms for 3 s.
    let newcomer = tcp(running.addr()).expect("tcp");
    let until = Instant::now() + Duration::from_secs(3);
    while Instant::now() < until {
        for tls in &mut holders {
            tls.write_all(b"ping").expect("holder still open");
            let mut back = [0u8; 4];
            tls.read_exact(&mut back).expect("holder still served");
            assert_eq!(&back, b"ping");
        }
        sleep(Duration::from_millis(100));
    }
    drop(newcomer);
    drop(holders);
    assert_echoes(running.addr(), &pki);
    running.stop();
}
