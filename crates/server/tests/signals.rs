//! SIGTERM/SIGINT start a graceful shutdown (own test binary: the signal goes to the process).

mod common;

use std::process::Command;
use std::time::Duration;

use common::*;
use selfsign_server::{ClientAuth, Limits, Mode, Server, ServerOptions};

#[test]
fn sigterm_shuts_down_gracefully_and_run_returns_ok() {
    let pki = pki();
    let mut server = Server::bind(
        ServerOptions {
            listen: vec!["127.0.0.1:0".parse().expect("addr")],
            mode: Mode::Echo,
            limits: Limits::default(),
        },
        pki.server_config(ClientAuth::None, false),
    )
    .expect("bind");
    server.handle_signals().expect("install signal handlers");
    let addr = server.local_addrs()[0];
    let thread = std::thread::spawn(move || server.run());
    assert_echoes(addr, &pki);

    let status = Command::new("kill")
        .args(["-TERM", &std::process::id().to_string()])
        .status()
        .expect("run kill");
    assert!(status.success());

    let start = std::time::Instant::now();
    while !thread.is_finished() {
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "SIGTERM did not stop the server"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    thread.join().expect("no panic").expect("run() returns Ok");
}
