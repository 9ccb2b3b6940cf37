//! Running out of file descriptors (EMFILE on accept) pauses accepting; it never stops the server.

mod common;

use std::process::Command;
use std::time::Duration;

use common::*;
use selfsign_server::{ClientAuth, Limits, Mode};

/// Set in the child process that runs one test under a low descriptor limit.
const CHILD: &str = "SELFSIGN_SERVER_FD_LIMIT_CHILD";

/// Whether this process is the low-limit child running `test`.
fn in_child(test: &str) -> bool {
    std::env::var_os(CHILD).is_some_and(|t| t == test)
}

/// Re-runs `test` alone in a child whose descriptor limit is 128 (prlimit, util-linux) and returns
/// its output after checking it passed.
fn run_in_child(test: &str) -> Output {
    let exe = std::env::current_exe().expect("test binary");
    let out = run_with_timeout(
        Command::new("prlimit")
            .arg("--nofile=128:128")
            .arg(exe)
            .args(["--exact", test, "--nocapture", "--test-threads=1"])
            .env(CHILD, test)
            .env("RUST_LOG", "selfsign_server=warn"),
        b"",
        Duration::from_secs(60),
    );
    assert_eq!(
        out.status,
        Some(0),
        "child failed:\n{}\n{}",
        out.stdout,
        out.stderr
    );
    out
}

#[test]
fn accept_hitting_emfile_pauses_and_the_server_keeps_serving() {
    const TEST: &str = "accept_hitting_emfile_pauses_and_the_server_keeps_serving";
    if in_child(TEST) {
        return exhaust_descriptors();
    }
    let out = run_in_child(TEST);
    assert!(
        out.stdout.contains("Too many open files"),
        "the server never hit EMFILE:\n{}",
        out.stdout
    );
}

/// Holds every descriptor the process can get, then lets go and checks the server still serves.
fn exhaust_descriptors() {
    let pki = pki();
    let running = Running::start(
        Mode::Echo,
        Limits::default(),
        pki.server_config(ClientAuth::None, false),
    );
    // Client sockets and the server's accepted ones share the limit: connect until it is hit,
    // leaving the rest in the listen backlog for the server to fail accepting.
    let mut held = Vec::new();
    while held.len() < 1000 {
        match tcp(running.addr()) {
            Ok(sock) => held.push(sock),
            Err(_) => break,
        }
    }
    assert!(held.len() < 1000, "the descriptor limit was never reached");
    std::thread::sleep(Duration::from_millis(600));
    assert!(
        running.is_running(),
        "the server stopped when descriptors ran out"
    );
    drop(held);
    assert_echoes(running.addr(), &pki);
    running.stop();
}

#[test]
fn a_file_that_cannot_be_opened_for_want_of_descriptors_is_a_503_not_a_404() {
    const TEST: &str = "a_file_that_cannot_be_opened_for_want_of_descriptors_is_a_503_not_a_404";
    if in_child(TEST) {
        return open_with_no_descriptors_left();
    }
    run_in_child(TEST);
}

/// With a connection open, takes every descriptor left, asks for a file, then lets go.
fn open_with_no_descriptors_left() {
    let (pki, _web, running) = http_server(Limits::default());
    let mut http = Http::new(connect(running.addr(), &pki.client_config()).expect("connect"));
    assert_eq!(http.get("/").expect("first GET").status, 200);
    let mut held = Vec::new();
    while held.len() < 1000 {
        match std::fs::File::open("/dev/null") {
            Ok(f) => held.push(f),
            Err(_) => break,
        }
    }
    assert!(held.len() < 1000, "the descriptor limit was never reached");
    let r = http.get("/").expect("GET with no descriptors left");
    assert_eq!(r.status, 503, "{}", r.text());
    assert_eq!(r.header("Retry-After"), Some("1"));
    drop(held);
    assert_serves_index(running.addr(), &pki);
    running.stop();
}
