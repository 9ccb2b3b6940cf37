//! Real clients a user would point at the server: openssl s_client, curl, Python's ssl.

mod common;

use std::net::SocketAddr;
use std::process::Command;
use std::time::Duration;

use common::*;
use selfsign_server::{ClientAuth, Limits, Mode};

const TOOL_TIMEOUT: Duration = Duration::from_secs(20);

/// Serves the web root on 127.0.0.1 and, where the machine has IPv6 loopback, on [::1].
fn dual_stack_server() -> (Pki, WebRoot, Running) {
    let pki = pki();
    let web = web_root();
    let mut listen: Vec<SocketAddr> = vec!["127.0.0.1:0".parse().expect("v4")];
    if std::net::TcpListener::bind("[::1]:0").is_ok() {
        listen.push("[::1]:0".parse().expect("v6"));
    }
    let running = Running::start_on(
        listen,
        Mode::Http {
            root: web.root.clone(),
            serve_dotfiles: false,
        },
        Limits::default(),
        pki.server_config(ClientAuth::None, true),
    );
    (pki, web, running)
}

#[test]
fn openssl_s_client_verifies_the_chain_and_gets_the_page() {
    let (pki, _web, running) = dual_stack_server();
    for version in ["-tls1_3", "-tls1_2"] {
        let out = run_with_timeout(
            Command::new("openssl").args([
                "s_client",
                "-connect",
                &running.addr().to_string(),
                "-servername",
                "localhost",
                "-verify_hostname",
                "localhost",
                "-verify_return_error",
                "-CAfile",
                pki.ca_pem.to_str().expect("path"),
                version,
                "-ign_eof",
            ]),
            b"GET / HTTP/1.0\r\n\r\n",
            TOOL_TIMEOUT,
        );
        assert!(
            out.stdout.contains("Verify return code: 0 (ok)"),
            "{version}: {}\n{}",
            out.stdout,
            out.stderr
        );
        assert!(
            out.stdout.contains("HTTP/1.1 200 OK"),
            "{version}: {}",
            out.stdout
        );
        assert!(
            out.stdout.contains(INDEX_HTML.trim_end()),
            "{version}: {}",
            out.stdout
        );
        assert_eq!(out.status, Some(0), "{version}: {}", out.stderr);
    }
    running.stop();
}

#[test]
fn curl_fetches_the_page_and_the_wasm_over_ipv4_and_ipv6() {
    let (pki, _web, running) = dual_stack_server();
    for addr in &running.addrs {
        let url_host = if addr.is_ipv6() { "[::1]" } else { "localhost" };
        let resolve = format!("localhost:{}:127.0.0.1", addr.port());
        let base = format!("https://{url_host}:{}", addr.port());
        let out = run_with_timeout(
            Command::new("curl").args([
                "--silent",
                "--show-error",
                "--globoff",
                "--max-time",
                "10",
                "--cacert",
                pki.ca_pem.to_str().expect("path"),
                "--resolve",
                &resolve,
                "--write-out",
                "\n%{http_code} %{content_type} %{http_version}\n",
                "--output",
                "/dev/null",
                &format!("{base}/"),
                "--output",
                "/dev/null",
                &format!("{base}/app.wasm"),
            ]),
            b"",
            TOOL_TIMEOUT,
        );
        assert_eq!(out.status, Some(0), "{addr}: {}", out.stderr);
        let lines: Vec<&str> = out.stdout.lines().filter(|l| !l.is_empty()).collect();
        assert_eq!(
            lines,
            vec![
                "200 text/html; charset=utf-8 1.1",
                "200 application/wasm 1.1"
            ],
            "{addr}: {}",
            out.stdout
        );
    }
    // And the body itself.
    let addr = running.addr();
    let out = run_with_timeout(
        Command::new("curl").args([
            "--silent",
            "--show-error",
            "--max-time",
            "10",
            "--cacert",
            pki.ca_pem.to_str().expect("path"),
            "--resolve",
            &format!("localhost:{}:127.0.0.1", addr.port()),
            &format!("https://localhost:{}/", addr.port()),
        ]),
        b"",
        TOOL_TIMEOUT,
    );
    assert_eq!(out.status, Some(0), "{}", out.stderr);
    assert_eq!(out.stdout, INDEX_HTML);
    running.stop();
}

#[test]
fn curl_http_1_0_is_answered_instead_of_refused_in_alpn() {
    let (pki, _web, running) = dual_stack_server();
    let addr = running.addr();
    let out = run_with_timeout(
        Command::new("curl").args([
            "--silent",
            "--show-error",
            "--http1.0",
            "--max-time",
            "10",
            "--cacert",
            pki.ca_pem.to_str().expect("path"),
            "--resolve",
            &format!("localhost:{}:127.0.0.1", addr.port()),
            "--write-out",
            "\n%{http_code} %{http_version}",
            &format!("https://localhost:{}/", addr.port()),
        ]),
        b"",
        TOOL_TIMEOUT,
    );
    assert_eq!(out.status, Some(0), "{}", out.stderr);
    assert_eq!(out.stdout, format!("{INDEX_HTML}\n200 1.1"));
    running.stop();
}

const PYTHON_CLIENT: &str = r#"
import socket, ssl, sys
port, cafile = int(sys.argv[1]), sys.argv[2]
ctx = ssl.create_default_context(cafile=cafile)
with socket.create_connection(("127.0.0.1", port), timeout=10) as raw:
    with ctx.wrap_socket(raw, server_hostname="localhost") as tls:
        tls.sendall(b"GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        data = b""
        while True:
            chunk = tls.recv(65536)
            if not chunk:
                break
            data += chunk
        print(tls.version())
        print(data.decode())
"#;

#[test]
fn python_ssl_default_context_verifies_and_gets_the_page() {
    let (pki, _web, running) = dual_stack_server();
    let out = run_with_timeout(
        Command::new("python3").args([
            "-c",
            PYTHON_CLIENT,
            &running.addr().port().to_string(),
            pki.ca_pem.to_str().expect("path"),
        ]),
        b"",
        TOOL_TIMEOUT,
    );
    assert_eq!(out.status, Some(0), "{}\n{}", out.stdout, out.stderr);
    assert!(
        out.stdout.starts_with("TLSv1.3\nHTTP/1.1 200 OK\r\n"),
        "{}",
        out.stdout
    );
    assert!(out.stdout.contains(INDEX_HTML.trim_end()), "{}", out.stdout);
    running.stop();
}

#[test]
fn python_ssl_refuses_the_server_without_our_ca() {
    let (pki, _web, running) = dual_stack_server();
    // A CA file holding some other CA: verification must fail, proving the check is real.
    let other = selfsign_core::Ca::new_root(
        &selfsign_core::CaOptions::default(),
        rustls::pki_types::UnixTime::now(),
    )
    .expect("other CA");
    let other_pem = pki.dir.path().join("other-ca.pem");
    std::fs::write(&other_pem, other.certificate().pem()).expect("write");
    let out = run_with_timeout(
        Command::new("python3").args([
            "-c",
            PYTHON_CLIENT,
            &running.addr().port().to_string(),
            other_pem.to_str().expect("path"),
        ]),
        b"",
        TOOL_TIMEOUT,
    );
    assert_ne!(out.status, Some(0));
    assert!(
        out.stderr.contains("CERTIFICATE_VERIFY_FAILED"),
        "{}",
        out.stderr
    );
    running.stop();
}
