//! `selfsign serve --acme` with real ACME clients: certbot and lego obtain certificates over
//! http-01 and tls-alpn-01 (validated for real by the server), each verifies with openssl against
//! the local CA, certbot's revocation lands on the served CRL, accounts survive a restart, lego
//! is served by a `serve --proxy` too, and Caddy gets its site certificate from selfsign.

mod cli_support;

use std::net::TcpListener;
use std::path::Path;
use std::process::{Command, Output, Stdio};

use cli_support::served::Served;
use cli_support::{openssl_verifies, tool, tool_ok, Env};

/// A port nothing listens on right now, for a client's challenge server.
fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn run_client(program: &str, cmd: &mut Command) -> String {
    let out = cmd
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("{program} must be installed (scripts/bootstrap does): {e}"));
    let text = format!(
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.status.success(),
        "{program} failed ({}):\n{text}",
        out.status
    );
    text
}

/// The `lego ... run` command against the served directory with a challenge of `kind` on `port`.
fn lego_command(env: &Env, served: &Served, domain: &str, kind: &str, port: u16) -> Command {
    let mut cmd = Command::new("lego");
    cmd.current_dir(env.path())
        .env("LEGO_CA_CERTIFICATES", env.ca())
        .env("HOME", env.path())
        .args(["--server", &served.url("/acme/directory")])
        .args(["--email", "dev@example.test", "--accept-tos"])
        .args(["--path", "lego", "--domains", domain]);
    match kind {
        "http" => cmd.args(["--http", "--http.port", &format!("127.0.0.1:{port}")]),
        _ => cmd.args(["--tls", "--tls.port", &format!("127.0.0.1:{port}")]),
    };
    cmd.arg("run").stdin(Stdio::null());
    cmd
}

/// `lego ... run` against the served directory with a challenge of `kind` on `port`; asserts
/// it succeeds and returns its output.
fn lego(env: &Env, served: &Served, domain: &str, kind: &str, port: u16) -> String {
    run_client("lego", &mut lego_command(env, served, domain, kind, port))
}

/// `certbot SUBCOMMAND` with scratch config, work and logs directories, trusting the local CA.
fn certbot(env: &Env, served: &Served, args: &[&str]) -> String {
    let mut cmd = Command::new("certbot");
    cmd.current_dir(env.path())
        .env("REQUESTS_CA_BUNDLE", env.ca())
        .env("HOME", env.path())
        .args(args)
        .args(["--server", &served.url("/acme/directory")])
        .args([
            "--config-dir",
            "certbot/config",
            "--work-dir",
            "certbot/work",
        ])
        .args(["--logs-dir", "certbot/logs", "--non-interactive"]);
    run_client("certbot", &mut cmd)
}

fn assert_verifies(env: &Env, cert: &Path) {
    let out = openssl_verifies(env.path(), &env.ca(), cert, "sslserver");
    assert!(
        out.status.success(),
        "openssl verify {}: {}",
        cert.display(),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// `curl -sS --max-time 5 --cacert CA ARGS` in the scratch directory, trusting the local CA.
fn curl(env: &Env, args: &[&str]) -> Output {
    let ca = env.ca();
    let mut all = vec!["-sS", "--max-time", "5", "--cacert", ca.to_str().unwrap()];
    all.extend_from_slice(args);
    tool(env.path(), "curl", &all)
}

/// The serial numbers on the served CRL, as openssl prints them (upper-case hex).
fn crl_serials(env: &Env, served: &Served) -> String {
    let crl = curl(env, &["-f", "-o", "crl.der", &served.url("/acme/crl")]);
    assert!(
        crl.status.success(),
        "{}",
        String::from_utf8_lossy(&crl.stderr)
    );
    let ca = env.ca();
    tool_ok(
        env.path(),
        "openssl",
        &[
            "crl",
            "-inform",
            "DER",
            "-in",
            "crl.der",
            "-CAfile",
            ca.to_str().unwrap(),
            "-noout",
            "-text",
        ],
    )
}

#[test]
fn certbot_gets_a_certificate_over_http_01_and_its_revocation_is_on_the_crl() {
    let env = Env::new();
    let http_port = free_port();
    let served = Served::start(
        &env,
        &["--acme", "--acme-http-port", &http_port.to_string()],
    );
    certbot(
        &env,
        &served,
        &[
            "certonly",
            "--standalone",
            "--http-01-port",
            &http_port.to_string(),
            "--http-01-address",
            "127.0.0.1",
            "-d",
            "certbot.localhost",
            "--register-unsafely-without-email",
            "--agree-tos",
        ],
    );
    let cert = env.file("certbot/config/live/certbot.localhost/cert.pem");
    let fullchain = env.file("certbot/config/live/certbot.localhost/fullchain.pem");
    assert_verifies(&env, &fullchain);
    let serial = tool_ok(
        env.path(),
        "openssl",
        &["x509", "-in", cert.to_str().unwrap(), "-noout", "-serial"],
    );
    let serial = serial.trim().trim_start_matches("serial=").to_string();
    assert!(
        !crl_serials(&env, &served).contains(&serial),
        "not revoked yet"
    );

    certbot(
        &env,
        &served,
        &[
            "revoke",
            "--cert-path",
            cert.to_str().unwrap(),
            "--reason",
            "keycompromise",
            "--no-delete-after-revoke",
        ],
    );
    let crl = crl_serials(&env, &served);
    assert!(crl.contains(&format!("Serial Number: {serial}")), "{crl}");
    assert!(crl.contains("Key Compromise"), "{crl}");
}

#[test]
fn lego_gets_certificates_over_http_01_and_tls_alpn_01_and_keeps_its_account_across_a_restart() {
    let env = Env::new();
    let (http_port, tls_port) = (free_port(), free_port());
    let flags = [
        "--acme",
        "--acme-http-port",
        &http_port.to_string(),
        "--acme-tls-port",
        &tls_port.to_string(),
    ];
    let served = Served::start(&env, &flags);
    lego(&env, &served, "web.localhost", "http", http_port);
    assert_verifies(&env, &env.file("lego/certificates/web.localhost.crt"));
    let listen = format!("127.0.0.1:{}", served.port);
    let stopped = served.terminate(std::time::Duration::from_secs(15));
    assert!(
        stopped.success(),
        "serve exits cleanly on SIGTERM: {stopped}"
    );

    // The account lego registered is still known: lego signs with its saved account URL.
    let served = Served::start_on(&env, &listen, &flags);
    let out = lego(&env, &served, "tls.localhost", "tls", tls_port);
    assert!(
        !out.contains("Registering account"),
        "the account was kept:\n{out}"
    );
    assert_verifies(&env, &env.file("lego/certificates/tls.localhost.crt"));
}

/// Python's http.server on 127.0.0.1:`port` serving `site/`, its request log in `app.log`;
/// killed when dropped.
struct App(std::process::Child);

impl App {
    fn start(env: &Env, port: u16) -> App {
        let log = std::fs::File::create(env.file("app.log")).unwrap();
        let child = Command::new("python3")
            .args([
                "-m",
                "http.server",
                &port.to_string(),
                "--bind",
                "127.0.0.1",
            ])
            .args(["--directory", "site"])
            .current_dir(env.path())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("python3 runs");
        let app = App(child);
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                std::time::Instant::now() < deadline,
                "the app never listened"
            );
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        app
    }
}

impl Drop for App {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn lego_gets_a_certificate_from_a_proxying_serve_whose_app_never_sees_acme() {
    let env = Env::new();
    std::fs::create_dir(env.file("site")).unwrap();
    std::fs::write(env.file("site/hello.txt"), "from the app\n").unwrap();
    let app_port = free_port();
    let _app = App::start(&env, app_port);
    let (app_url, http_port) = (format!("http://127.0.0.1:{app_port}"), free_port());
    let served = Served::start_with(
        &env,
        &[
            "--proxy",
            &app_url,
            "--acme",
            "--acme-http-port",
            &http_port.to_string(),
        ],
    );
    lego(&env, &served, "web.localhost", "http", http_port);
    assert_verifies(&env, &env.file("lego/certificates/web.localhost.crt"));

    let page = curl(&env, &["-f", &served.url("/hello.txt")]);
    assert_eq!(String::from_utf8_lossy(&page.stdout), "from the app\n");
    let log = std::fs::read_to_string(env.file("app.log")).unwrap();
    assert!(log.contains("GET /hello.txt"), "{log}");
    assert!(
        !log.contains("/acme"),
        "ACME requests reached the app:\n{log}"
    );
}

#[test]
fn trusted_names_need_no_challenge_and_other_names_are_refused() {
    let env = Env::new();
    let served = Served::start(&env, &["--acme", "--acme-trust-names", "*.ci.localhost"]);
    // Nothing listens on the challenge port: only approval by pattern can succeed.
    let out = lego(&env, &served, "app.ci.localhost", "http", free_port());
    assert!(out.contains("authorization already valid"), "{out}");
    assert_verifies(&env, &env.file("lego/certificates/app.ci.localhost.crt"));

    let mut cmd = lego_command(&env, &served, "www.example.com", "http", free_port());
    let out = cmd.output().expect("lego");
    let text = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(text.contains("rejectedIdentifier"), "{text}");
}

#[test]
fn a_challenge_that_hangs_does_not_stop_the_server_from_answering() {
    let env = Env::new();
    // The http-01 check connects here, and nothing ever answers it.
    let silent = TcpListener::bind("127.0.0.1:0").unwrap();
    let silent_port = silent.local_addr().unwrap().port().to_string();
    let served = Served::start(&env, &["--acme", "--acme-http-port", &silent_port]);
    let mut lego = lego_command(&env, &served, "stuck.localhost", "http", free_port());
    let client = std::thread::spawn(move || lego.output().expect("lego"));

    // Once the validator has connected, it waits for an answer that never comes.
    silent.set_nonblocking(true).unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    let _held = loop {
        if let Ok((stream, _)) = silent.accept() {
            break stream;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the server never tried the http-01 challenge"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    };
    let directory = curl(&env, &[&served.url("/acme/directory")]);
    let text = String::from_utf8_lossy(&directory.stdout);
    assert!(
        directory.status.success() && text.contains("newOrder"),
        "{text}{}",
        String::from_utf8_lossy(&directory.stderr)
    );

    let out = client.join().unwrap();
    let text = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "nothing answered the challenge");
    assert!(text.contains(":error:connection"), "{text}");
}

/// Runs lego for `domain` against a serve whose `kind` challenge ("http" or "tls") goes to a
/// Python validation target (`script` prints its port, then serves); whether lego succeeded, and
/// what it said.
fn lego_against_target(script: &str, domain: &str, kind: &str) -> (bool, String) {
    let env = Env::new();
    let mut target = Command::new("python3")
        .args(["-c", script])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .spawn()
        .expect("python3 runs");
    let mut port = String::new();
    std::io::BufRead::read_line(
        &mut std::io::BufReader::new(target.stdout.take().unwrap()),
        &mut port,
    )
    .unwrap();
    let flag = format!("--acme-{kind}-port");
    let served = Served::start(&env, &["--acme", &flag, port.trim()]);
    let out = lego_command(&env, &served, domain, kind, free_port())
        .output()
        .expect("lego");
    let _ = target.kill();
    let _ = target.wait();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// A validation target that answers every connection one byte every half second (a status line,
/// then a header that never ends), for about a minute; it exits after 90 s without a connection.
const DRIP: &str = r#"
import socket, sys, threading, time
listener = socket.socket()
listener.bind(("127.0.0.1", 0))
listener.listen(8)
listener.settimeout(90)
print(listener.getsockname()[1], flush=True)
def drip(conn):
    try:
        for byte in b"HTTP/1.1 200 OK\r\nX-Drip: " + b"a" * 100:
            conn.sendall(bytes([byte]))
            time.sleep(0.5)
    except OSError:
        pass
    conn.close()
try:
    while True:
        conn, _ = listener.accept()
        threading.Thread(target=drip, args=(conn,), daemon=True).start()
except socket.timeout:
    pass
"#;

#[test]
fn a_challenge_target_that_drips_bytes_fails_at_the_deadline_naming_the_timeout() {
    let (passed, text) = lego_against_target(DRIP, "drip.localhost", "http");
    assert!(!passed, "a dripping target passed the challenge");
    assert!(
        text.contains(":error:connection")
            && !text.contains("incorrectResponse")
            && text.contains("timed out")
            && text.contains("within 10 s"),
        "{text}"
    );
}

#[test]
fn a_challenge_target_nothing_listens_on_fails_as_a_connection_problem() {
    let env = Env::new();
    let closed = free_port().to_string();
    let served = Served::start(&env, &["--acme", "--acme-http-port", &closed]);
    let out = lego_command(&env, &served, "down.localhost", "http", free_port())
        .output()
        .expect("lego");
    let text = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "a closed port passed the challenge");
    assert!(
        text.contains(":error:connection") && text.contains("refused"),
        "{text}"
    );
}

/// A tls-alpn-01 target that answers every ClientHello with the header of a 16 KiB handshake
/// record, then one byte of it every half second for about a minute; it exits after 90 s
/// without a connection.
const DRIP_TLS: &str = r#"
import socket, threading, time
listener = socket.socket()
listener.bind(("127.0.0.1", 0))
listener.listen(8)
listener.settimeout(90)
print(listener.getsockname()[1], flush=True)
def drip(conn):
    try:
        conn.recv(4096)
        conn.sendall(b"\x16\x03\x03\x40\x00")
        for _ in range(120):
            conn.sendall(b"\x02")
            time.sleep(0.5)
    except OSError:
        pass
    conn.close()
try:
    while True:
        conn, _ = listener.accept()
        threading.Thread(target=drip, args=(conn,), daemon=True).start()
except socket.timeout:
    pass
"#;

#[test]
fn a_tls_alpn_01_target_that_drips_its_handshake_fails_at_the_deadline_naming_the_timeout() {
    let (passed, text) = lego_against_target(DRIP_TLS, "drip.localhost", "tls");
    assert!(!passed, "a dripping target passed tls-alpn-01");
    assert!(
        text.contains(":error:connection")
            && !text.contains(":error:tls")
            && text.contains("timed out")
            && text.contains("within 10 s"),
        "{text}"
    );
}

/// A tls-alpn-01 target that is not TLS: it answers every connection with an HTTP error and
/// closes; it exits after 90 s without a connection.
const NOT_TLS: &str = r#"
import socket
listener = socket.socket()
listener.bind(("127.0.0.1", 0))
listener.listen(8)
listener.settimeout(90)
print(listener.getsockname()[1], flush=True)
try:
    while True:
        conn, _ = listener.accept()
        conn.recv(4096)
        conn.sendall(b"HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n")
        conn.close()
except socket.timeout:
    pass
"#;

#[test]
fn a_tls_alpn_01_target_that_does_not_speak_tls_fails_as_a_tls_problem() {
    let (passed, text) = lego_against_target(NOT_TLS, "plain.localhost", "tls");
    assert!(!passed, "a plain-HTTP target passed tls-alpn-01");
    assert!(
        text.contains(":error:tls") && text.contains("TLS handshake"),
        "{text}"
    );
}

/// POSTs a body of `len` bytes to the served newOrder; the status, content type and body.
fn post_body(env: &Env, served: &Served, len: usize) -> (String, String) {
    std::fs::write(env.file("body.json"), vec![b'{'; len]).unwrap();
    let ca = env.ca();
    let out = tool_ok(
        env.path(),
        "curl",
        &[
            "-sS",
            "-o",
            "problem.json",
            "-w",
            "%{http_code} %{content_type}",
            "--cacert",
            ca.to_str().unwrap(),
            "-H",
            "Content-Type: application/jose+json",
            "--data-binary",
            "@body.json",
            &served.url("/acme/new-order"),
        ],
    );
    (
        out,
        std::fs::read_to_string(env.file("problem.json")).unwrap(),
    )
}

#[test]
fn the_listener_takes_a_body_up_to_64_kib_and_refuses_a_larger_one_with_a_problem_document() {
    // Beside the file server, and beside a proxy (whose upstream is down: ACME is answered here).
    let proxy = ["--acme", "--proxy", "http://127.0.0.1:1"];
    for flags in [&["--acme"][..], &proxy] {
        let env = Env::new();
        let served = Served::start_with(&env, flags);
        let (status, problem) = post_body(&env, &served, 60 * 1024);
        assert_eq!(status, "400 application/problem+json", "{flags:?}");
        assert!(
            problem.contains("not a flattened JWS"),
            "{flags:?}: {problem}"
        );
        let (status, problem) = post_body(&env, &served, 2 * 1024 * 1024);
        assert_eq!(status, "413 application/problem+json", "{flags:?}");
        assert!(
            problem.contains("urn:ietf:params:acme:error:malformed"),
            "{flags:?}: {problem}"
        );
    }
}

#[test]
fn caddy_gets_its_site_certificate_from_selfsign() {
    if Command::new("caddy").arg("version").output().is_err() {
        eprintln!("SKIPPED: caddy is not installed and scripts/bootstrap could not install it");
        return;
    }
    let env = Env::new();
    let (http_port, tls_port) = (free_port(), free_port());
    let served = Served::start(
        &env,
        &[
            "--acme",
            "--acme-http-port",
            &http_port.to_string(),
            "--acme-tls-port",
            &tls_port.to_string(),
        ],
    );
    let caddyfile = format!(
        "{{\n\tadmin off\n\thttp_port {http_port}\n\thttps_port {tls_port}\n\tstorage file_system {storage}\n}}\n\
         caddy.localhost {{\n\ttls {{\n\t\tca {dir}\n\t\tca_root {ca}\n\t}}\n\trespond \"hello from caddy\"\n}}\n",
        storage = env.file("caddy").display(),
        dir = served.url("/acme/directory"),
        ca = env.ca().display(),
    );
    std::fs::write(env.file("Caddyfile"), caddyfile).unwrap();
    let mut caddy = Command::new("caddy")
        .args(["run", "--config", "Caddyfile", "--adapter", "caddyfile"])
        .current_dir(env.path())
        .env("HOME", env.path())
        .env("XDG_DATA_HOME", env.file("caddy"))
        .env("XDG_CONFIG_HOME", env.file("caddy"))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start caddy");
    let resolve = format!("caddy.localhost:{tls_port}:127.0.0.1");
    let url = format!("https://caddy.localhost:{tls_port}/");
    let mut answer = None;
    for _ in 0..120 {
        let out = curl(&env, &["--resolve", &resolve, &url]);
        if out.status.success() {
            answer = Some(String::from_utf8_lossy(&out.stdout).into_owned());
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(500));
    }
    let _ = caddy.kill();
    let _ = caddy.wait();
    assert_eq!(
        answer.as_deref(),
        Some("hello from caddy"),
        "caddy served a certificate from the local CA"
    );
}

/// The ```sh blocks of README's "Local ACME" section.
fn readme_acme_blocks() -> Vec<String> {
    cli_support::readme_sh_blocks("Local ACME")
}

/// Runs a README block with `bash -e` in a scratch directory (its own data directory and HOME,
/// `PORT` and the challenge ports replaced by free ones), in a process group killed at the end;
/// returns stdout.
fn run_readme_block(block: &str) -> String {
    let scratch = tempfile::tempdir().unwrap();
    let work = scratch.path().join("work");
    std::fs::create_dir(&work).unwrap();
    let mut script = block.to_string();
    for fixed in ["8080", "8081", "8444"] {
        script = script.replace(fixed, &free_port().to_string());
    }
    let block_sh = scratch.path().join("block.sh");
    std::fs::write(&block_sh, &script).unwrap();
    let out = cli_support::run_script(&block_sh, &work, scratch.path(), free_port());
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "README block failed ({}):\n{script}\n--- stdout\n{stdout}\n--- stderr\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

#[test]
fn the_readme_certbot_recipe_works_as_written() {
    let blocks = readme_acme_blocks();
    let certbot = blocks
        .iter()
        .find(|b| b.contains("certbot certonly"))
        .expect("a certbot recipe");
    let out = run_readme_block(certbot);
    assert!(out.contains("cert.pem: OK"), "{out}");
}

#[test]
fn the_readme_caddy_recipe_works_as_written() {
    if Command::new("caddy").arg("version").output().is_err() {
        eprintln!("SKIPPED: caddy is not installed and scripts/bootstrap could not install it");
        return;
    }
    let blocks = readme_acme_blocks();
    let caddy = blocks
        .iter()
        .find(|b| b.contains("caddy run"))
        .expect("a Caddy recipe");
    assert!(run_readme_block(caddy).contains("hello from caddy"));
}
