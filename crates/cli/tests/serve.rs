//! `selfsign serve` as a process: it announces where it listens and what to trust, real clients
//! (curl, Python `ssl`) verify it with the local CA, and SIGTERM lets a download finish.

mod cli_support;

use std::io::{BufRead, BufReader};
use std::process::Stdio;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use cli_support::served::{Served, PAGE};
use cli_support::{mode, tool, tool_ok, Env};

fn curl(env: &Env, served: &Served, extra: &[&str]) -> std::process::Output {
    let ca = env.ca();
    let mut args = vec!["-sS", "--max-time", "30", "--cacert", ca.to_str().unwrap()];
    let resolve = served.resolve();
    args.extend_from_slice(&["--resolve", &resolve]);
    args.extend_from_slice(extra);
    tool(env.path(), "curl", &args)
}

#[test]
fn startup_banner_names_url_ca_fingerprint_and_a_curl_command_that_fetches_the_page() {
    let env = Env::new();
    let served = Served::start(&env, &[]);
    let banner = served.banner.join("\n");
    let ca = std::fs::canonicalize(env.ca()).unwrap();
    assert!(banner.contains(&served.url("/")), "{banner}");
    assert!(
        banner.contains(&format!(
            "curl --cacert {} {}",
            ca.display(),
            served.url("/")
        )),
        "{banner}"
    );
    let fp = tool_ok(
        env.path(),
        "openssl",
        &[
            "x509",
            "-in",
            "data/serve/localhost.pem",
            "-noout",
            "-fingerprint",
            "-sha256",
        ],
    );
    assert!(
        banner.contains(fp.trim().trim_start_matches("sha256 Fingerprint=")),
        "{banner}"
    );

    let url = served.url("/");
    let out = curl(&env, &served, &[&url]);
    assert!(out.status.success(), "{out:?}");
    assert_eq!(String::from_utf8_lossy(&out.stdout), PAGE);
}

#[test]
fn python_client_with_the_store_ca_verifies_and_gets_the_page() {
    let env = Env::new();
    let served = Served::start(&env, &[]);
    let script = r#"
import socket, ssl, sys
ctx = ssl.create_default_context(cafile=sys.argv[1])
with socket.create_connection(("127.0.0.1", int(sys.argv[2])), timeout=20) as raw:
    with ctx.wrap_socket(raw, server_hostname="localhost") as tls:
        tls.sendall(b"GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        data = b""
        while chunk := tls.recv(65536):
            data += chunk
print(tls.version())
print(data.decode())
"#;
    let out = tool_ok(
        env.path(),
        "python3",
        &[
            "-c",
            script,
            env.ca().to_str().unwrap(),
            &served.port.to_string(),
        ],
    );
    assert!(out.contains("HTTP/1.1 200"), "{out}");
    assert!(out.contains("hello from the test root"), "{out}");
}

#[test]
fn sigterm_during_a_large_download_lets_it_complete_and_exits_0() {
    const SIZE: usize = 64 * 1024 * 1024;
    let env = Env::new();
    std::fs::create_dir(env.file("www")).unwrap();
    std::fs::write(env.file("www/index.html"), PAGE).unwrap();
    std::fs::write(env.file("www/big.bin"), vec![0x5a; SIZE]).unwrap();
    let served = Served::start(&env, &["--shutdown-grace", "60"]);

    let url = served.url("/big.bin");
    let ca = env.ca();
    let resolve = served.resolve();
    // Rate-limited so the download is surely in flight when the signal arrives.
    let mut download = std::process::Command::new("curl")
        .args([
            "-sS",
            "--max-time",
            "60",
            "--limit-rate",
            "16M",
            "--cacert",
            ca.to_str().unwrap(),
        ])
        .args(["--resolve", &resolve, "-o", "big.out", &url])
        .current_dir(env.path())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    while std::fs::metadata(env.file("big.out")).map_or(0, |m| m.len()) < 1024 * 1024 {
        assert!(Instant::now() < deadline, "the download never started");
        std::thread::sleep(Duration::from_millis(20));
    }
    let status = served.terminate(Duration::from_secs(60));
    let curl_status = download.wait().unwrap();
    assert!(
        curl_status.success(),
        "the download was cut off: {curl_status}"
    );
    assert_eq!(
        std::fs::metadata(env.file("big.out")).unwrap().len(),
        SIZE as u64
    );
    assert_eq!(
        status.code(),
        Some(0),
        "serve exits 0 after a graceful shutdown"
    );
}

#[test]
fn the_kept_leaf_is_reused_across_runs_and_reissued_when_names_change() {
    let env = Env::new();
    let leaf = env.data().join("serve/localhost.pem");
    let first = {
        let _served = Served::start(&env, &[]);
        std::fs::read(&leaf).unwrap()
    };
    assert_eq!(mode(&env.data().join("serve/localhost-key.pem")), 0o600);
    {
        let _served = Served::start(&env, &[]);
        assert_eq!(
            std::fs::read(&leaf).unwrap(),
            first,
            "reused while valid and for the same names"
        );
    }
    let served = Served::start(&env, &["--name", "extra.test"]);
    assert_ne!(
        std::fs::read(&leaf).unwrap(),
        first,
        "reissued for new names"
    );
    let text = tool_ok(
        env.path(),
        "openssl",
        &[
            "x509",
            "-in",
            leaf.to_str().unwrap(),
            "-noout",
            "-ext",
            "subjectAltName",
        ],
    );
    assert!(
        text.contains("DNS:extra.test") && text.contains("DNS:localhost"),
        "{text}"
    );
    let url = served.url("/");
    assert!(curl(&env, &served, &[&url]).status.success());
}

#[test]
fn require_client_cert_accepts_a_local_ca_client_leaf_and_refuses_none() {
    let env = Env::new();
    env.ok(&[
        "new",
        "--client",
        "me@example.test",
        "--cert-file",
        "me.pem",
        "--key-file",
        "me-key.pem",
    ]);
    let served = Served::start(&env, &["--require-client-cert"]);
    let url = served.url("/");
    let with = curl(
        &env,
        &served,
        &["--cert", "me.pem", "--key", "me-key.pem", &url],
    );
    assert!(with.status.success(), "{with:?}");
    assert_eq!(String::from_utf8_lossy(&with.stdout), PAGE);
    let without = curl(&env, &served, &[&url]);
    assert!(
        !without.status.success(),
        "a client without a certificate must be refused"
    );
}

#[test]
fn given_cert_and_key_are_served_as_is() {
    let env = Env::new();
    env.ok(&[
        "self-signed",
        "localhost",
        "--cert-file",
        "own.pem",
        "--key-file",
        "own-key.pem",
    ]);
    let served = Served::start(&env, &["--cert", "own.pem", "--key", "own-key.pem"]);
    let url = served.url("/");
    let resolve = served.resolve();
    let out = tool(
        env.path(),
        "curl",
        &[
            "-sS",
            "--max-time",
            "30",
            "--cacert",
            "own.pem",
            "--resolve",
            &resolve,
            &url,
        ],
    );
    assert!(out.status.success(), "{out:?}");
    assert!(
        !env.data().join("serve/localhost.pem").exists(),
        "no kept leaf when --cert is given"
    );
}

#[test]
fn echo_mode_sends_back_what_a_verifying_client_writes() {
    let env = Env::new();
    let served = Served::start(&env, &["--mode", "echo"]);
    let script = r#"
import socket, ssl, sys
ctx = ssl.create_default_context(cafile=sys.argv[1])
with socket.create_connection(("127.0.0.1", int(sys.argv[2])), timeout=20) as raw:
    with ctx.wrap_socket(raw, server_hostname="localhost") as tls:
        tls.sendall(b"ping over tls")
        got = b""
        while len(got) < 13:
            got += tls.recv(64)
print(got.decode())
"#;
    let out = tool_ok(
        env.path(),
        "python3",
        &[
            "-c",
            script,
            env.ca().to_str().unwrap(),
            &served.port.to_string(),
        ],
    );
    assert_eq!(out.trim(), "ping over tls");
}

#[test]
fn the_port_env_var_moves_the_default_loopback_listener() {
    let env = Env::new();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    std::fs::create_dir(env.file("www")).unwrap();
    std::fs::write(env.file("www/index.html"), PAGE).unwrap();
    let mut child = env
        .cmd(&["--json", "serve", "--root", "www"])
        .env("PORT", port.to_string())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let _ = child.kill();
    let _ = child.wait();
    let v: serde_json::Value =
        serde_json::from_str(&line).unwrap_or_else(|e| panic!("{e}: {line}"));
    assert_eq!(v["urls"][0], format!("https://localhost:{port}/"));
    assert_eq!(v["listen"][0], format!("127.0.0.1:{port}"));
}

#[test]
fn a_missing_root_is_a_one_line_error() {
    let env = Env::new();
    let err = env.fails(&["serve", "--listen", "127.0.0.1:0", "--root", "nowhere"]);
    assert!(err.contains("nowhere"), "{err}");
}

#[test]
fn openssl_s_client_verifies_the_server_with_the_store_ca() {
    let env = Env::new();
    let served = Served::start(&env, &[]);
    let connect = format!("127.0.0.1:{}", served.port);
    let ca = env.ca();
    let out = std::process::Command::new("openssl")
        .args(["s_client", "-connect", &connect, "-servername", "localhost"])
        .args(["-verify_hostname", "localhost", "-verify_return_error"])
        .args(["-CAfile", ca.to_str().unwrap()])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("Verify return code: 0 (ok)"), "{text}");
}

#[test]
fn a_client_certificate_from_another_ca_is_refused() {
    let env = Env::new();
    let other = Env::new();
    other.ok(&["new", "--client", "eve@example.test"]);
    let served = Served::start(&env, &["--require-client-cert"]);
    let url = served.url("/");
    let cert = other.file("eve@example.test-client.pem");
    let key = other.file("eve@example.test-client-key.pem");
    let out = curl(
        &env,
        &served,
        &[
            "--cert",
            cert.to_str().unwrap(),
            "--key",
            key.to_str().unwrap(),
            &url,
        ],
    );
    assert!(
        !out.status.success(),
        "a foreign client certificate must be refused"
    );
}

#[test]
fn without_root_it_serves_web_in_the_current_directory() {
    let env = Env::new();
    std::fs::create_dir(env.file("web")).unwrap();
    std::fs::write(env.file("web/index.html"), PAGE).unwrap();
    let mut child = env
        .cmd(&["--json", "serve", "--listen", "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let _ = child.kill();
    let _ = child.wait();
    let v: serde_json::Value =
        serde_json::from_str(&line).unwrap_or_else(|e| panic!("{e}: {line}"));
    let root = std::path::PathBuf::from(v["root"].as_str().unwrap());
    assert_eq!(
        std::fs::canonicalize(root).unwrap(),
        std::fs::canonicalize(env.file("web")).unwrap()
    );
}

#[test]
fn a_kept_leaf_expiring_within_a_day_is_reissued() {
    let env = Env::new();
    std::fs::create_dir_all(env.data().join("serve")).unwrap();
    let (cert, key) = ("data/serve/localhost.pem", "data/serve/localhost-key.pem");
    env.ok(&[
        "new",
        "localhost",
        "127.0.0.1",
        "::1",
        "--days",
        "1",
        "--cert-file",
        cert,
        "--key-file",
        key,
    ]);
    let short = std::fs::read(env.file(cert)).unwrap();
    let _served = Served::start(&env, &[]);
    assert_ne!(std::fs::read(env.file(cert)).unwrap(), short, "reissued");
    let still_valid = tool(
        env.path(),
        "openssl",
        &["x509", "-in", cert, "-noout", "-checkend", "864000"],
    );
    assert!(
        still_valid.status.success(),
        "the new leaf is valid for more than ten days"
    );
}

#[test]
fn a_connection_cap_beyond_the_open_file_limit_is_lowered_with_a_warning() {
    let env = Env::new();
    std::fs::create_dir(env.file("www")).unwrap();
    std::fs::write(env.file("www/index.html"), PAGE).unwrap();
    let data = env.data();
    let mut child = std::process::Command::new("prlimit")
        .arg("--nofile=100:100")
        .arg(env!("CARGO_BIN_EXE_selfsign"))
        .arg("--data-dir")
        .arg(&data)
        .args(["serve", "--listen", "127.0.0.1:0", "--root", "www"])
        .current_dir(env.path())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let deadline = Instant::now() + Duration::from_secs(30);
    let warning = std::iter::from_fn(|| {
        rx.recv_timeout(deadline.saturating_duration_since(Instant::now()))
            .ok()
    })
    .find(|line| line.contains("--max-connections"));
    let _ = child.kill();
    let _ = child.wait();
    let warning = warning.expect("a warning about --max-connections");
    assert!(warning.contains("serving at most 34 at once"), "{warning}");
}

/// Runs `selfsign serve ARGS` for at most 15 s; returns its exit code (None if it was still
/// running, i.e. it accepted the arguments) and stderr.
fn serve_refusal(env: &Env, extra: &[&str]) -> (Option<i32>, String) {
    if !env.file("www").exists() {
        std::fs::create_dir(env.file("www")).unwrap();
        std::fs::write(env.file("www/index.html"), PAGE).unwrap();
    }
    let mut args = vec!["serve", "--listen", "127.0.0.1:0", "--root", "www"];
    args.extend_from_slice(extra);
    let mut child = env
        .cmd(&args)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(15);
    let code = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status.code();
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let mut stderr = String::new();
    let _ = std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut stderr);
    (code, stderr)
}

#[test]
fn duration_flags_out_of_range_are_refused_with_the_range() {
    let env = Env::new();
    let huge = u64::MAX.to_string();
    for (flag, value, range) in [
        ("--handshake-timeout", huge.as_str(), "1..=86400"),
        ("--idle-timeout", huge.as_str(), "1..=86400"),
        ("--header-timeout", huge.as_str(), "1..=86400"),
        ("--shutdown-grace", huge.as_str(), "0..=86400"),
        ("--handshake-timeout", "0", "1..=86400"),
        ("--idle-timeout", "86401", "1..=86400"),
    ] {
        let (code, stderr) = serve_refusal(&env, &[flag, value]);
        assert_eq!(code, Some(2), "{flag} {value} was accepted: {stderr}");
        assert!(
            stderr.contains(flag) && stderr.contains(range),
            "{flag} {value}: {stderr}"
        );
    }
}

#[test]
fn a_key_that_does_not_belong_to_the_certificate_is_named_with_both_files() {
    let env = Env::new();
    for name in ["one", "two"] {
        env.ok(&[
            "self-signed",
            "localhost",
            "--cert-file",
            &format!("{name}.pem"),
            "--key-file",
            &format!("{name}-key.pem"),
        ]);
    }
    let (code, stderr) = serve_refusal(&env, &["--cert", "one.pem", "--key", "two-key.pem"]);
    assert_eq!(code, Some(1), "{stderr}");
    assert!(
        stderr.contains("two-key.pem is not the private key of the certificate in one.pem"),
        "{stderr}"
    );
    assert!(!stderr.contains("KeyMismatch"), "{stderr}");
}

#[test]
fn serve_dotfiles_serves_a_dotfile_that_is_404_without_it() {
    let env = Env::new();
    std::fs::create_dir(env.file("www")).unwrap();
    std::fs::write(env.file("www/index.html"), PAGE).unwrap();
    std::fs::write(env.file("www/.env"), "API_KEY=1\n").unwrap();
    for (extra, expected) in [(&[][..], "404"), (&["--serve-dotfiles"][..], "200")] {
        let served = Served::start(&env, extra);
        let url = served.url("/.env");
        let out = curl(
            &env,
            &served,
            &["-o", "/dev/null", "-w", "%{http_code}", &url],
        );
        assert_eq!(String::from_utf8_lossy(&out.stdout), expected, "{extra:?}");
    }
}

/// What openssl s_client reports for a ClientHello naming `name`: the verify result against
/// the store CA and the served certificate's subjectAltName text.
fn s_client(env: &Env, served: &Served, name: &str) -> (String, String) {
    let connect = format!("127.0.0.1:{}", served.port);
    let ca = env.ca();
    let out = std::process::Command::new("openssl")
        .args(["s_client", "-connect", &connect, "-servername", name])
        .args(["-verify_hostname", name, "-CAfile", ca.to_str().unwrap()])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let pem_start = text
        .find("-----BEGIN CERTIFICATE-----")
        .expect("a certificate");
    let pem_end = text.find("-----END CERTIFICATE-----").expect("end") + 25;
    let pem = env.file("served.pem");
    std::fs::write(&pem, &text[pem_start..pem_end]).unwrap();
    let sans = tool_ok(
        env.path(),
        "openssl",
        &[
            "x509",
            "-in",
            "served.pem",
            "-noout",
            "-ext",
            "subjectAltName",
        ],
    );
    let verify = text
        .lines()
        .find(|l| l.trim_start().starts_with("Verify return code"))
        .unwrap_or_default()
        .trim()
        .to_string();
    (verify, sans)
}

#[test]
fn on_demand_issues_a_verified_leaf_per_allowed_sni_name_and_nothing_for_others() {
    let env = Env::new();
    let served = Served::start(&env, &["--on-demand", "*.localhost"]);
    assert!(
        served.banner.iter().any(|l| l.contains("*.localhost")),
        "{:?}",
        served.banner
    );
    let kept = env.data().join("serve/on-demand");
    // Outside the pattern, or matching it but not a valid name (xn--a is no punycode).
    for outsider in ["evil.example", "a.b.localhost", "xn--a.localhost"] {
        let (_, sans) = s_client(&env, &served, outsider);
        assert!(sans.contains("DNS:localhost"), "{outsider}: {sans}");
        assert!(!sans.contains(outsider), "{outsider}: {sans}");
    }
    let listed = || -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(&kept)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    };
    assert!(listed().is_empty(), "the CA signed for {:?}", listed());
    for name in ["app.localhost", "api.localhost"] {
        let (verify, sans) = s_client(&env, &served, name);
        assert_eq!(verify, "Verify return code: 0 (ok)", "{name}");
        assert!(sans.contains(&format!("DNS:{name}")), "{name}: {sans}");
        assert!(!sans.contains("DNS:localhost,"), "{name}: {sans}");
    }
    assert_eq!(
        listed(),
        [
            "api.localhost-key.pem",
            "api.localhost.pem",
            "app.localhost-key.pem",
            "app.localhost.pem"
        ]
    );
    assert_eq!(mode(&kept.join("app.localhost-key.pem")), 0o600);
    // The kept leaf is served again after a restart, not reissued.
    let first = std::fs::read_to_string(kept.join("app.localhost.pem")).unwrap();
    drop(served);
    let served = Served::start(&env, &["--on-demand", "*.localhost"]);
    let (verify, _) = s_client(&env, &served, "app.localhost");
    assert_eq!(verify, "Verify return code: 0 (ok)");
    assert_eq!(
        std::fs::read_to_string(kept.join("app.localhost.pem")).unwrap(),
        first,
        "the kept leaf was reissued"
    );
}

#[test]
fn an_on_demand_pattern_that_is_not_a_host_name_is_refused() {
    let env = Env::new();
    for bad in ["*", "a.*.localhost", "127.0.0.1"] {
        let (code, stderr) = serve_refusal(&env, &["--on-demand", bad]);
        assert_eq!(code, Some(1), "{bad}: {stderr}");
        assert!(stderr.contains("--on-demand"), "{bad}: {stderr}");
    }
}

#[test]
fn on_demand_never_issues_outside_the_ca_name_constraints() {
    let env = Env::new();
    env.ok(&[
        "ca",
        "create",
        "--name-constraints",
        "localhost,127.0.0.1,::1",
    ]);
    let served = Served::start(&env, &["--on-demand", "*.test"]);
    let (_, sans) = s_client(&env, &served, "app.test");
    assert!(sans.contains("DNS:localhost"), "{sans}");
    assert!(!sans.contains("app.test"), "{sans}");
    let kept: Vec<_> = std::fs::read_dir(env.data().join("serve/on-demand"))
        .unwrap()
        .collect();
    assert!(kept.is_empty(), "{kept:?}");
}

#[test]
fn transfer_codings_with_whitespace_other_than_sp_or_htab_are_refused_and_the_connection_closed() {
    let env = Env::new();
    let served = Served::start(&env, &[]);
    for te in ["chunked\u{a0}", "\u{85}chunked", "gzip, chunked\u{3000}"] {
        let raw = format!(
            "POST /index.html HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: {te}\r\n\r\n\
             5\r\nhello\r\n0\r\n\r\nGET /index.html HTTP/1.1\r\nHost: localhost\r\n\r\n"
        );
        let answer = served.python_raw(&env, "localhost", raw.as_bytes());
        assert!(
            answer.starts_with("HTTP/1.1 400 Bad Request\r\n"),
            "{te:?} got {answer:?}"
        );
        assert_eq!(answer.matches("HTTP/1.1 ").count(), 1, "{answer}");
    }
}
