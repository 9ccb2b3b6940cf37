//! `selfsign connect`: against `openssl s_server` (a peer we did not write) and `selfsign serve`,
//! it verifies with the given CA, reports the negotiation and the chain, says plainly why
//! verification failed (unknown CA, wrong name, expired), does mutual TLS, and relays data.

mod cli_support;

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use cli_support::Env;
use selfsign_core::validity::Validity;
use selfsign_core::{Ca, CaOptions, LeafOptions, UnixTime, Usage};

const DAY: u64 = 86_400;

/// A CA and, written beside it, leaves issued by it.
struct Pki {
    env: Env,
    ca: Ca,
}

impl Pki {
    fn new() -> Pki {
        let ca = Ca::new_root(&CaOptions::default(), UnixTime::now()).unwrap();
        let env = Env::new();
        std::fs::write(env.file("ca.pem"), ca.certificate().pem()).unwrap();
        Pki { env, ca }
    }

    /// Issues a leaf and writes `NAME.pem` and `NAME-key.pem`.
    fn leaf(&self, file: &str, options: LeafOptions) -> (PathBuf, PathBuf) {
        let issued = self.ca.issue(&options, UnixTime::now()).unwrap();
        let cert = self.env.file(&format!("{file}.pem"));
        let key = self.env.file(&format!("{file}-key.pem"));
        std::fs::write(&cert, issued.certificate.pem()).unwrap();
        std::fs::write(&key, issued.key.private_key_pem()).unwrap();
        (cert, key)
    }

    fn server_leaf(&self) -> (PathBuf, PathBuf) {
        self.leaf("localhost", LeafOptions::new(["localhost", "127.0.0.1"]))
    }

    /// `selfsign connect 127.0.0.1:PORT --timeout 5 ARGS...`, bounded, with `stdin` as input.
    fn connect(&self, port: u16, args: &[&str], stdin: &[u8]) -> Output {
        let addr = format!("127.0.0.1:{port}");
        let mut all = vec!["connect", addr.as_str(), "--timeout", "5"];
        all.extend_from_slice(args);
        let mut cmd = self.env.cmd(&all);
        run_bounded(&mut cmd, stdin)
    }
}

/// Runs a command with `stdin` as input; kills it if it outlives 60 s.
fn run_bounded(cmd: &mut Command, stdin: &[u8]) -> Output {
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut input = child.stdin.take().unwrap();
    input.write_all(stdin).unwrap();
    drop(input);
    let pid = child.id().to_string();
    let (done, finished) = mpsc::channel::<()>();
    let watchdog = std::thread::spawn(move || {
        if finished.recv_timeout(Duration::from_secs(60)).is_err() {
            let _ = Command::new("kill").args(["-KILL", &pid]).status();
            panic!("selfsign connect ran for more than 60 s");
        }
    });
    let out = child.wait_with_output().unwrap();
    let _ = done.send(());
    watchdog.join().unwrap();
    out
}

/// A real peer: `openssl s_server -www` on a free loopback port, killed when dropped.
struct Peer {
    child: Child,
    port: u16,
}

impl Drop for Peer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Peer {
    fn s_server(pki: &Pki, cert: &PathBuf, key: &PathBuf, extra: &[&str]) -> Peer {
        for _ in 0..5 {
            let port = TcpListener::bind("127.0.0.1:0")
                .unwrap()
                .local_addr()
                .unwrap()
                .port();
            let child = Command::new("openssl")
                .args(["s_server", "-accept", &format!("127.0.0.1:{port}"), "-www"])
                .arg("-cert")
                .arg(cert)
                .arg("-key")
                .arg(key)
                .args(extra)
                .current_dir(pki.env.path())
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("openssl must be installed (scripts/bootstrap does)");
            let mut peer = Peer { child, port };
            if peer.wait_ready() {
                return peer;
            }
        }
        panic!("openssl s_server did not start on a free port in 5 tries");
    }

    /// Waits (bounded) until the port accepts; false if the server died (port taken meanwhile).
    fn wait_ready(&mut self) -> bool {
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if self.child.try_wait().unwrap().is_some() {
                return false;
            }
            if TcpStream::connect(("127.0.0.1", self.port)).is_ok() {
                return true;
            }
            std::thread::sleep(Duration::from_millis(25));
        }
        false
    }
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn assert_ok(out: &Output) {
    assert!(
        out.status.success(),
        "connect failed ({}):\n{}",
        out.status,
        stderr(out)
    );
}

/// Exit 1 with one `selfsign: ` line on stderr; returns that line.
fn failure(out: &Output) -> String {
    assert_eq!(out.status.code(), Some(1), "{}", stderr(out));
    let err = stderr(out);
    assert_eq!(err.lines().count(), 1, "one-line reason expected: {err}");
    assert!(err.starts_with("selfsign: "), "{err}");
    err
}

#[test]
fn with_the_ca_it_verifies_shows_version_cipher_and_chain_and_fetches_the_page() {
    let pki = Pki::new();
    let (cert, key) = pki.server_leaf();
    let peer = Peer::s_server(&pki, &cert, &key, &[]);
    let out = pki.connect(peer.port, &["--ca", "ca.pem", "--http"], b"");
    assert_ok(&out);
    let report = stderr(&out);
    assert!(report.contains("Protocol:      TLSv1.3"), "{report}");
    assert!(report.contains("Cipher suite:  TLS13_"), "{report}");
    assert!(report.contains("Verified:      yes"), "{report}");
    assert!(report.contains("DNS:localhost, IP:127.0.0.1"), "{report}");
    assert!(report.contains("days left"), "{report}");
    assert!(
        report.contains("selfsign development CA"),
        "issuer: {report}"
    );
    assert!(
        stdout(&out).starts_with("HTTP/1.0 200 ok"),
        "{}",
        stdout(&out)
    );
}

#[test]
fn json_reports_the_negotiation_and_the_decoded_chain() {
    let pki = Pki::new();
    let (cert, key) = pki.server_leaf();
    let peer = Peer::s_server(&pki, &cert, &key, &[]);
    let out = pki.connect(peer.port, &["--json", "--ca", "ca.pem"], b"");
    assert_ok(&out);
    let first = stdout(&out).lines().next().unwrap().to_string();
    let v: serde_json::Value = serde_json::from_str(&first).unwrap();
    assert_eq!(v["protocol_version"], "TLSv1.3", "{v}");
    assert!(
        v["cipher_suite"].as_str().unwrap().starts_with("TLS13_"),
        "{v}"
    );
    assert_eq!(v["verified"], true);
    assert_eq!(v["chain"][0]["common_name"], "localhost");
    assert_eq!(
        v["chain"][0]["sha256_fingerprint"].as_str().unwrap(),
        selfsign_core::parse_certificates(&std::fs::read(&cert).unwrap()).unwrap()[0]
            .sha256_fingerprint()
    );
}

#[test]
fn standard_input_goes_to_the_server_and_its_reply_to_standard_output() {
    let pki = Pki::new();
    let (cert, key) = pki.server_leaf();
    let peer = Peer::s_server(&pki, &cert, &key, &[]);
    let out = pki.connect(
        peer.port,
        &["-q", "--ca", "ca.pem"],
        b"GET / HTTP/1.0\r\n\r\n",
    );
    assert_ok(&out);
    assert!(
        stdout(&out).starts_with("HTTP/1.0 200 ok"),
        "{}",
        stdout(&out)
    );
    assert!(stderr(&out).is_empty(), "-q: {}", stderr(&out));
}

#[test]
fn without_the_ca_it_fails_naming_the_untrusted_issuer_and_suggesting_ca() {
    let pki = Pki::new();
    let (cert, key) = pki.server_leaf();
    let peer = Peer::s_server(&pki, &cert, &key, &[]);
    let err = failure(&pki.connect(peer.port, &["--http"], b""));
    assert!(err.contains("unknown CA"), "{err}");
    assert!(err.contains("CN=selfsign development CA"), "{err}");
    assert!(err.contains("--ca"), "{err}");
}

#[test]
fn a_wrong_servername_fails_listing_the_names_the_certificate_has() {
    let pki = Pki::new();
    let (cert, key) = pki.server_leaf();
    let peer = Peer::s_server(&pki, &cert, &key, &[]);
    let args = [
        "--ca",
        "ca.pem",
        "--servername",
        "www.example.com",
        "--http",
    ];
    let err = failure(&pki.connect(peer.port, &args, b""));
    assert!(err.contains("name mismatch"), "{err}");
    assert!(err.contains("\"www.example.com\""), "{err}");
    assert!(err.contains("DNS:localhost, IP:127.0.0.1"), "{err}");
}

#[test]
fn an_expired_certificate_fails_with_its_expiry_date() {
    let pki = Pki::new();
    let now = UnixTime::now().as_secs();
    let past = Validity::Range {
        not_before: UnixTime::since_unix_epoch(Duration::from_secs(now - 30 * DAY)),
        not_after: UnixTime::since_unix_epoch(Duration::from_secs(now - 2 * DAY)),
    };
    let (cert, key) = pki.leaf(
        "expired",
        LeafOptions::new(["localhost", "127.0.0.1"]).validity(past),
    );
    let info = selfsign_core::inspect(&std::fs::read(&cert).unwrap(), UnixTime::now()).unwrap();
    let peer = Peer::s_server(&pki, &cert, &key, &[]);
    let err = failure(&pki.connect(peer.port, &["--ca", "ca.pem", "--http"], b""));
    assert!(err.contains("expired"), "{err}");
    assert!(err.contains(&info[0].not_after_rfc3339), "{err}");
}

#[test]
fn mutual_tls_works_with_a_client_certificate_and_is_refused_without_one() {
    let pki = Pki::new();
    let (cert, key) = pki.server_leaf();
    let (client, client_key) = pki.leaf(
        "client",
        LeafOptions::new(["client.test"]).usage(Usage::Client),
    );
    let peer = Peer::s_server(&pki, &cert, &key, &["-Verify", "1", "-CAfile", "ca.pem"]);
    let with = pki.connect(
        peer.port,
        &[
            "--ca",
            "ca.pem",
            "--client-cert",
            client.to_str().unwrap(),
            "--client-key",
            client_key.to_str().unwrap(),
            "--http",
        ],
        b"",
    );
    assert_ok(&with);
    assert!(
        stdout(&with).starts_with("HTTP/1.0 200 ok"),
        "{}",
        stdout(&with)
    );

    // TLS 1.3: the handshake completes on our side (so the report is printed) before the server
    // judges the missing certificate; the last line gives the reason.
    let without = pki.connect(peer.port, &["--ca", "ca.pem", "--http"], b"");
    assert_eq!(without.status.code(), Some(1), "{}", stderr(&without));
    let reason = stderr(&without)
        .lines()
        .last()
        .unwrap_or_default()
        .to_string();
    assert!(reason.starts_with("selfsign: "), "{reason}");
    assert!(reason.contains("requires a client certificate"), "{reason}");
}

#[test]
fn an_offered_alpn_protocol_is_reported_when_the_server_agrees() {
    let pki = Pki::new();
    let (cert, key) = pki.server_leaf();
    let peer = Peer::s_server(&pki, &cert, &key, &["-alpn", "http/1.1"]);
    let out = pki.connect(
        peer.port,
        &[
            "--ca", "ca.pem", "--alpn", "h2", "--alpn", "http/1.1", "--http",
        ],
        b"",
    );
    assert_ok(&out);
    assert!(
        stderr(&out).contains("ALPN:          http/1.1"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn insecure_connects_to_an_untrusted_server_and_says_so_loudly() {
    let pki = Pki::new();
    let (cert, key) = pki.server_leaf();
    let peer = Peer::s_server(&pki, &cert, &key, &[]);
    let out = pki.connect(peer.port, &["--insecure", "--http"], b"");
    assert_ok(&out);
    let report = stderr(&out);
    assert!(report.contains("WARNING: --insecure"), "{report}");
    assert!(report.contains("would have failed: unknown CA"), "{report}");
}

#[test]
fn a_server_that_never_answers_times_out_the_handshake() {
    let pki = Pki::new();
    let silent = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = silent.local_addr().unwrap().port();
    let addr = format!("127.0.0.1:{port}");
    let mut cmd = pki
        .env
        .cmd(&["connect", &addr, "--ca", "ca.pem", "--timeout", "1"]);
    let out = run_bounded(&mut cmd, b"");
    let err = failure(&out);
    assert!(err.contains("did not finish within 1 s"), "{err}");
    drop(silent);
}

#[test]
fn a_closed_port_is_a_one_line_connection_refused() {
    let pki = Pki::new();
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let err = failure(&pki.connect(port, &["--ca", "ca.pem"], b""));
    assert!(err.contains("connection refused"), "{err}");
}

/// `selfsign serve --mode echo` on a free port with the data directory's CA; killed on drop.
struct Served(Child, u16);

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn serve_echo(env: &Env) -> Served {
    let mut child = env
        .cmd(&["serve", "--listen", "127.0.0.1:0", "--mode", "echo"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let lines = BufReader::new(child.stdout.take().unwrap());
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        // Keep draining after the address is known: a closed pipe would kill serve's banner.
        for line in lines.lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let deadline = Instant::now() + Duration::from_secs(30);
    let port = loop {
        let left = deadline.saturating_duration_since(Instant::now());
        let line = rx.recv_timeout(left).expect("serve announced its address");
        if let Some(rest) = line.strip_prefix("Listening on") {
            let addr = rest.trim().split(", ").next().unwrap();
            break addr.rsplit(':').next().unwrap().parse::<u16>().unwrap();
        }
    };
    Served(child, port)
}

#[test]
fn against_selfsign_serve_it_relays_with_the_store_ca_and_refuses_without_it() {
    let env = Env::new();
    let served = serve_echo(&env);
    let ca = env.ca();
    // 127.0.0.1, not localhost: serve listens on IPv4 only here, and another process may hold
    // the same port number on ::1.
    let addr = format!("127.0.0.1:{}", served.1);
    let ca = ca.to_str().unwrap();
    let mut cmd = env.cmd(&[
        "connect",
        &addr,
        "--timeout",
        "5",
        "--ca",
        ca,
        "--servername",
        "localhost",
    ]);
    let out = run_bounded(&mut cmd, b"ping over selfsign\n");
    assert_ok(&out);
    assert_eq!(stdout(&out), "ping over selfsign\n");
    assert!(
        stderr(&out).contains("Verified:      yes"),
        "{}",
        stderr(&out)
    );

    let mut cmd = env.cmd(&["connect", &addr, "--timeout", "5"]);
    let err = failure(&run_bounded(&mut cmd, b"ping"));
    assert!(err.contains("unknown CA"), "{err}");
}
