//! `selfsign serve --acme` with real ACME clients: certbot and lego obtain certificates over
//! http-01 and tls-alpn-01 (validated for real by the server), each verifies with openssl against
//! the local CA, certbot's revocation lands on the served CRL, accounts survive a restart, and
//! Caddy gets its site certificate from selfsign.

mod cli_support;

use std::net::TcpListener;
use std::path::Path;
use std::process::{Command, Stdio};

use cli_support::served::Served;
use cli_support::{openssl_verifies, tool_ok, Env};

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

/// `lego ... run` against the served directory with a challenge of `kind` on `port`.
fn lego(env: &Env, served: &Served, domain: &str, kind: &str, port: u16) -> String {
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
    cmd.arg("run");
    run_client("lego", &mut cmd)
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

/// The serial numbers on the served CRL, as openssl prints them (upper-case hex).
fn crl_serials(env: &Env, served: &Served) -> String {
    let ca = env.ca();
    tool_ok(
        env.path(),
        "curl",
        &[
            "-sSf",
            "--cacert",
            ca.to_str().unwrap(),
            "-o",
            "crl.der",
            &served.url("/acme/crl"),
        ],
    );
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
    drop(served);

    // The account lego registered is still known: lego signs with its saved account URL.
    let served = Served::start_on(&env, &listen, &flags);
    let out = lego(&env, &served, "tls.localhost", "tls", tls_port);
    assert!(
        !out.contains("Registering account"),
        "the account was kept:\n{out}"
    );
    assert_verifies(&env, &env.file("lego/certificates/tls.localhost.crt"));
}

#[test]
fn trusted_names_need_no_challenge_and_other_names_are_refused() {
    let env = Env::new();
    let served = Served::start(&env, &["--acme", "--acme-trust-names", "*.ci.localhost"]);
    // Nothing listens on the challenge port: only approval by pattern can succeed.
    let out = lego(&env, &served, "app.ci.localhost", "http", free_port());
    assert!(out.contains("authorization already valid"), "{out}");
    assert_verifies(&env, &env.file("lego/certificates/app.ci.localhost.crt"));

    let mut cmd = Command::new("lego");
    cmd.current_dir(env.path())
        .env("LEGO_CA_CERTIFICATES", env.ca())
        .env("HOME", env.path())
        .args([
            "--server",
            &served.url("/acme/directory"),
            "--email",
            "dev@example.test",
        ])
        .args([
            "--accept-tos",
            "--path",
            "lego",
            "--domains",
            "www.example.com",
            "--http",
        ])
        .args(["--http.port", &format!("127.0.0.1:{}", free_port()), "run"])
        .stdin(Stdio::null());
    let out = cmd.output().expect("lego");
    let text = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(text.contains("rejectedIdentifier"), "{text}");
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
    let ca = env.ca();
    let mut answer = None;
    for _ in 0..120 {
        let out = cli_support::tool(
            env.path(),
            "curl",
            &[
                "-sS",
                "--max-time",
                "5",
                "--cacert",
                ca.to_str().unwrap(),
                "--resolve",
                &resolve,
                &url,
            ],
        );
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
