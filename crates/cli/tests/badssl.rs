//! `selfsign serve --badssl` against real peers trusting only the local CA: curl, `openssl
//! s_client -verify_return_error`, Python `ssl` and Node `tls` each reach every variant and
//! accept or refuse it, refusals with the variant's own reason. The revoked variant is checked
//! against the CRL fetched from the distribution point named in its certificate.

mod cli_support;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use cli_support::served::Served;
use cli_support::{tool, Env};

/// Every variant, as `/badssl.json` lists them.
const VARIANTS: [&str; 22] = [
    "good",
    "expired",
    "not-yet-valid",
    "wrong-host",
    "self-signed",
    "untrusted-root",
    "incomplete-chain",
    "name-constraint-violation",
    "revoked",
    "wrong-eku",
    "ca-as-leaf",
    "no-san",
    "many-sans",
    "long-chain",
    "p384",
    "ed25519",
    "rsa2048",
    "rsa4096",
    "tls12-only",
    "tls13-only",
    "client-cert-required",
    "client-cert-optional",
];

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Peer {
    Curl,
    Openssl,
    Python,
    Node,
}

/// What `peer` (all four use OpenSSL's verifier) must do with `variant`: `Ok` to accept, `Err`
/// with words its refusal must contain.
fn expected(peer: Peer, variant: &str) -> Result<(), &'static str> {
    let node = peer == Peer::Node;
    match variant {
        // OpenSSL accepts a CA:TRUE leaf, and falls back to the common name without a SAN
        // (the listing's notes say so); browsers and rustls refuse both.
        "good"
        | "many-sans"
        | "p384"
        | "ed25519"
        | "rsa2048"
        | "rsa4096"
        | "tls12-only"
        | "tls13-only"
        | "client-cert-optional"
        | "ca-as-leaf"
        | "no-san" => Ok(()),
        "expired" => Err("certificate has expired"),
        "not-yet-valid" => Err("certificate is not yet valid"),
        "wrong-host" => Err(match peer {
            Peer::Curl => "no alternative certificate subject name matches",
            Peer::Openssl => "hostname mismatch",
            Peer::Python => "Hostname mismatch",
            Peer::Node => "ERR_TLS_CERT_ALTNAME_INVALID",
        }),
        "self-signed" => Err("self-signed certificate"),
        // Sent with its root, the untrusted chain is refused for that root, not for a missing
        // issuer.
        "untrusted-root" => Err("self-signed certificate in certificate chain"),
        "incomplete-chain" if node => Err("unable to verify the first certificate"),
        "incomplete-chain" => Err("unable to get local issuer certificate"),
        "name-constraint-violation" => Err("permitted subtree violation"),
        "revoked" => Err("certificate revoked"),
        "wrong-eku" => Err("unsuitable certificate purpose"),
        "long-chain" => Err("path length constraint exceeded"),
        "client-cert-required" => Err("certificate required"),
        other => panic!("no expectation for {other}"),
    }
}

/// A server with `--badssl`, its listing, and the CRL as PEM.
struct Badssl {
    env: Env,
    served: Served,
    listing: serde_json::Value,
    crl_pem: PathBuf,
}

fn start() -> Badssl {
    let env = Env::new();
    let served = Served::start(&env, &["--badssl"]);
    let listing_url = served
        .banner
        .iter()
        .find_map(|l| l.strip_prefix("Badssl"))
        .and_then(|l| l.split_whitespace().next())
        .expect("the banner names the badssl listing")
        .to_string();
    assert_eq!(
        listing_url,
        format!("https://good.badssl.localhost:{}/badssl.json", served.port)
    );
    let body = curl(&env, served.port, "good", "/badssl.json", &[]);
    assert!(
        body.status.success(),
        "{}",
        String::from_utf8_lossy(&body.stderr)
    );
    let listing: serde_json::Value = serde_json::from_slice(&body.stdout).unwrap();
    let crl_url = listing["crl"].as_str().unwrap().to_string();
    assert!(crl_url.starts_with("http://127.0.0.1:"), "{crl_url}");
    let der = env.file("badssl.crl");
    let fetched = tool(
        env.path(),
        "curl",
        &["-sSf", "-o", der.to_str().unwrap(), &crl_url],
    );
    assert!(fetched.status.success(), "the CRL is served at {crl_url}");
    let crl_pem = env.file("crl.pem");
    let converted = tool(
        env.path(),
        "openssl",
        &[
            "crl",
            "-inform",
            "DER",
            "-in",
            "badssl.crl",
            "-out",
            "crl.pem",
        ],
    );
    assert!(converted.status.success(), "the served CRL is a DER CRL");
    Badssl {
        env,
        served,
        listing,
        crl_pem,
    }
}

fn host(variant: &str) -> String {
    format!("{variant}.badssl.localhost")
}

/// curl trusting only the local CA, with the host resolved to loopback.
fn curl(env: &Env, port: u16, variant: &str, path: &str, extra: &[&str]) -> Output {
    let host = host(variant);
    let resolve = format!("{host}:{port}:127.0.0.1");
    let url = format!("https://{host}:{port}{path}");
    let ca = env.ca();
    let mut args = vec!["-sS", "--max-time", "20", "--cacert", ca.to_str().unwrap()];
    args.extend_from_slice(&["--resolve", &resolve]);
    args.extend_from_slice(extra);
    args.push(&url);
    tool(env.path(), "curl", &args)
}

/// `openssl s_client -verify_return_error` sending one request.
fn openssl(env: &Env, port: u16, variant: &str, crl: Option<&Path>) -> Output {
    let host = host(variant);
    let connect = format!("127.0.0.1:{port}");
    let ca = env.ca();
    let mut cmd = Command::new("openssl");
    cmd.args(["s_client", "-connect", &connect, "-servername", &host])
        .args([
            "-verify_hostname",
            &host,
            "-verify_return_error",
            "-ign_eof",
        ])
        .arg("-CAfile")
        .arg(&ca)
        .current_dir(env.path())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    if let Some(crl) = crl {
        cmd.arg("-crl_check").arg("-CRL").arg(crl);
    }
    let mut child = cmd
        .spawn()
        .expect("openssl must be installed (scripts/bootstrap does)");
    let request = format!("GET / HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n");
    let _ = child.stdin.take().unwrap().write_all(request.as_bytes());
    child.wait_with_output().unwrap()
}

/// Whether `out` carries the variant's own answer.
fn answered(out: &str, variant: &str) -> bool {
    out.contains(&format!("\"variant\":\"{variant}\""))
}

fn check(peer: Peer, variant: &str, accepted: bool, output: &str) {
    match expected(peer, variant) {
        Ok(()) => assert!(accepted, "{peer:?} must accept {variant}: {output}"),
        Err(why) => {
            assert!(!accepted, "{peer:?} must refuse {variant}: {output}");
            assert!(
                output.contains(why),
                "{peer:?} must refuse {variant} with {why:?}: {output}"
            );
        }
    }
}

#[test]
fn the_listing_names_every_variant_with_its_url_and_expected_failure() {
    let b = start();
    let port = b.served.port;
    let variants = b.listing["variants"].as_array().unwrap();
    let names: Vec<&str> = variants
        .iter()
        .map(|v| v["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, VARIANTS);
    for v in variants {
        let name = v["name"].as_str().unwrap();
        assert_eq!(v["url"], format!("https://{}:{port}/", host(name)));
        let refuse = v["expect"] == "refuse";
        assert_eq!(refuse, !v["reason"].as_str().unwrap().is_empty(), "{name}");
    }
    let expect =
        |name: &str| variants.iter().find(|v| v["name"] == name).unwrap()["expect"].clone();
    assert_eq!(expect("good"), "accept");
    assert_eq!(expect("expired"), "refuse");
    assert_eq!(
        expect("long-chain"),
        "refuse",
        "the local CA allows one intermediate"
    );
    // Other host names keep the page, which also lists the variants.
    let page = tool(
        b.env.path(),
        "curl",
        &[
            "-sS",
            "--cacert",
            b.env.ca().to_str().unwrap(),
            "--resolve",
            &b.served.resolve(),
            &b.served.url("/badssl.json"),
        ],
    );
    assert_eq!(
        serde_json::from_slice::<serde_json::Value>(&page.stdout).unwrap(),
        b.listing
    );
    let index = tool(
        b.env.path(),
        "curl",
        &[
            "-sS",
            "--cacert",
            b.env.ca().to_str().unwrap(),
            "--resolve",
            &b.served.resolve(),
            &b.served.url("/"),
        ],
    );
    assert_eq!(
        String::from_utf8_lossy(&index.stdout),
        cli_support::served::PAGE
    );
}

#[test]
fn curl_accepts_or_refuses_each_variant_for_its_own_reason() {
    let b = start();
    for variant in VARIANTS {
        let crl = b.crl_pem.to_str().unwrap();
        let extra: &[&str] = if variant == "revoked" {
            &["--crlfile", crl]
        } else {
            &[]
        };
        let out = curl(&b.env, b.served.port, variant, "/", extra);
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        let accepted = out.status.success() && answered(&text, variant);
        check(Peer::Curl, variant, accepted, &text);
    }
    // Without the CRL, curl does not look for one: the revoked certificate passes.
    let out = curl(&b.env, b.served.port, "revoked", "/", &[]);
    assert!(answered(&String::from_utf8_lossy(&out.stdout), "revoked"));
}

#[test]
fn openssl_s_client_accepts_or_refuses_each_variant_for_its_own_reason() {
    let b = start();
    for variant in VARIANTS {
        let crl = (variant == "revoked").then_some(b.crl_pem.as_path());
        let out = openssl(&b.env, b.served.port, variant, crl);
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        check(Peer::Openssl, variant, answered(&text, variant), &text);
    }
}

/// Runs a peer script over every variant; one JSON line per variant.
fn script_peer(b: &Badssl, program: &str, script: &str, peer: Peer) {
    let script = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/badssl")
        .join(script);
    let port = b.served.port.to_string();
    let ca = b.env.ca();
    let mut args = vec![
        script.to_str().unwrap(),
        ca.to_str().unwrap(),
        &port,
        b.crl_pem.to_str().unwrap(),
    ];
    args.extend_from_slice(&VARIANTS);
    let out = tool(b.env.path(), program, &args);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let lines: Vec<serde_json::Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), VARIANTS.len());
    for (line, variant) in lines.iter().zip(VARIANTS) {
        assert_eq!(line["name"], variant);
        let accepted = line["ok"] == true && answered(line["body"].as_str().unwrap(), variant);
        check(peer, variant, accepted, &line.to_string());
    }
}

#[test]
fn python_ssl_accepts_or_refuses_each_variant_for_its_own_reason() {
    let b = start();
    script_peer(&b, "python3", "peer.py", Peer::Python);
}

#[test]
fn node_tls_accepts_or_refuses_each_variant_for_its_own_reason() {
    let b = start();
    script_peer(&b, "node", "peer.mjs", Peer::Node);
}

#[test]
fn client_cert_optional_reports_the_certificate_it_received() {
    let b = start();
    let made = b.env.run(&[
        "new",
        "client.test",
        "--client",
        "--cert-file",
        "client.pem",
        "--key-file",
        "client-key.pem",
    ]);
    assert!(
        made.status.success(),
        "{}",
        String::from_utf8_lossy(&made.stderr)
    );
    let cert = b.env.file("client.pem");
    let key = b.env.file("client-key.pem");
    let with = curl(
        &b.env,
        b.served.port,
        "client-cert-optional",
        "/",
        &[
            "--cert",
            cert.to_str().unwrap(),
            "--key",
            key.to_str().unwrap(),
        ],
    );
    let body: serde_json::Value = serde_json::from_slice(&with.stdout).unwrap();
    assert!(
        body["client_certificate"]["subject"]
            .as_str()
            .unwrap()
            .contains("client.test"),
        "{body}"
    );
    let required = curl(
        &b.env,
        b.served.port,
        "client-cert-required",
        "/",
        &[
            "--cert",
            cert.to_str().unwrap(),
            "--key",
            key.to_str().unwrap(),
        ],
    );
    let body: serde_json::Value = serde_json::from_slice(&required.stdout).unwrap();
    assert_eq!(body["variant"], "client-cert-required");
    let without = curl(&b.env, b.served.port, "client-cert-optional", "/", &[]);
    let body: serde_json::Value = serde_json::from_slice(&without.stdout).unwrap();
    assert!(body["client_certificate"].is_null());
}

/// What `selfsign connect` (rustls with WebPKI) reports for `variant`: `Ok` to accept, `Err`
/// with phrases its explanation must contain.
fn connect_expected(variant: &str) -> Result<(), &'static [&'static str]> {
    match variant {
        // WebPKI does not enforce pathLenConstraint (the listing's note says so).
        "good"
        | "many-sans"
        | "p384"
        | "ed25519"
        | "rsa2048"
        | "rsa4096"
        | "tls12-only"
        | "tls13-only"
        | "client-cert-optional"
        | "long-chain" => Ok(()),
        "expired" => Err(&["certificate expired"]),
        "not-yet-valid" => Err(&["certificate not yet valid"]),
        "wrong-host" => Err(&["name mismatch"]),
        "self-signed" => Err(&["is self-signed and not trusted"]),
        "untrusted-root" => Err(&[
            "untrusted root: the chain ends at the root CA \"selfsign badssl untrusted root",
            "which is not among the trusted roots",
        ]),
        "incomplete-chain" => Err(&[
            "the server sent only its own certificate, and its issuer \
             \"CN=selfsign badssl incomplete intermediate",
            "is not a trust anchor and was not sent",
            "the server must send its chain",
        ]),
        "name-constraint-violation" => Err(&["name constraints violated"]),
        "revoked" => Err(&["certificate revoked"]),
        "wrong-eku" => Err(&["wrong purpose"]),
        "ca-as-leaf" => Err(&["CA certificate used as a server certificate"]),
        "no-san" => Err(&["no subjectAltName"]),
        "client-cert-required" => Err(&["the server requires a client certificate"]),
        other => panic!("no expectation for {other}"),
    }
}

#[test]
fn selfsign_connect_explains_each_refusal_in_its_own_words() {
    let b = start();
    let address = format!("127.0.0.1:{}", b.served.port);
    let ca = b.env.ca();
    for variant in VARIANTS {
        let host = host(variant);
        let mut args = vec!["connect", &address, "--servername", &host, "--http"];
        args.extend_from_slice(&["--ca", ca.to_str().unwrap()]);
        args.extend_from_slice(&["--crl", b.crl_pem.to_str().unwrap()]);
        let out = b.env.run(&args);
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        let accepted = out.status.success() && answered(&text, variant);
        match connect_expected(variant) {
            Ok(()) => assert!(accepted, "connect must accept {variant}: {text}"),
            Err(phrases) => {
                assert!(!accepted, "connect must refuse {variant}: {text}");
                for why in phrases {
                    assert!(
                        text.contains(why),
                        "connect must say {why:?} for {variant}: {text}"
                    );
                }
            }
        }
    }
}

/// The ```sh block of README's "Local badssl" section.
fn readme_recipe() -> String {
    let readme =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../../README.md"))
            .expect("read README.md");
    let section = readme
        .split_once("\n## Local badssl\n")
        .expect("README has a \"Local badssl\" section")
        .1;
    let section = section.split("\n## ").next().unwrap();
    let block = section.split_once("```sh\n").expect("a sh block").1;
    block
        .split_once("\n```")
        .expect("the block is closed")
        .0
        .to_string()
}

#[test]
fn the_readme_ci_recipe_reports_each_variant_as_written() {
    use std::os::unix::process::CommandExt;
    let env = Env::new();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    std::fs::write(env.file("recipe.sh"), readme_recipe()).unwrap();
    let bin = Path::new(env!("CARGO_BIN_EXE_selfsign"));
    let path = format!(
        "{}:{}",
        bin.parent().unwrap().display(),
        std::env::var("PATH").unwrap_or_default()
    );
    std::fs::create_dir(env.file("work")).unwrap();
    let child = Command::new("bash")
        .arg("-e")
        .arg(env.file("recipe.sh"))
        .current_dir(env.file("work"))
        .env("PATH", path)
        .env("HOME", env.path())
        .env("SELFSIGN_DATA_DIR", env.data())
        .env("PORT", port.to_string())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0)
        .spawn()
        .expect("run bash");
    let pgid = child.id();
    let out = child.wait_with_output().unwrap();
    let _ = Command::new("kill")
        .args(["-KILL", "--", &format!("-{pgid}")])
        .stderr(Stdio::null())
        .status();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // The server's banner comes first; then one line per variant.
    let lines: Vec<&str> = stdout
        .lines()
        .filter(|l| l.contains(": expected "))
        .collect();
    assert_eq!(lines.len(), VARIANTS.len(), "{stdout}");
    for variant in VARIANTS {
        // Without --crlfile, curl does not check revocation.
        let got = match expected(Peer::Curl, variant) {
            Ok(()) => "accept",
            Err(_) if variant == "revoked" => "accept",
            Err(_) => "refuse",
        };
        let line = lines
            .iter()
            .find(|l| l.starts_with(&format!("{variant}: ")))
            .unwrap_or_else(|| panic!("{variant} reported: {stdout}"));
        assert!(line.ends_with(&format!("got {got}")), "{line}");
    }
    assert!(lines.contains(&"good: expected accept, got accept"));
    assert!(lines.contains(&"expired: expected refuse, got refuse"));
    assert!(lines.contains(&"no-san: expected refuse, got accept"));
}

#[test]
fn badssl_combines_with_echo_mode_other_names_still_echo() {
    let env = Env::new();
    // A short idle timeout closes the echo connection soon after the line comes back.
    let served = Served::start(&env, &["--mode", "echo", "--badssl", "--idle-timeout", "1"]);
    let good = curl(&env, served.port, "good", "/", &[]);
    assert!(answered(&String::from_utf8_lossy(&good.stdout), "good"));
    let connect = format!("127.0.0.1:{}", served.port);
    let mut child = Command::new("openssl")
        .args([
            "s_client",
            "-quiet",
            "-connect",
            &connect,
            "-servername",
            "localhost",
        ])
        .arg("-CAfile")
        .arg(env.ca())
        .current_dir(env.path())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("openssl must be installed (scripts/bootstrap does)");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"ping from openssl\n")
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stdout), "ping from openssl\n");
}

#[test]
fn the_crl_listener_answers_head_and_refuses_other_paths() {
    let b = start();
    let crl_url = b.listing["crl"].as_str().unwrap();
    let head = tool(b.env.path(), "curl", &["-sSI", crl_url]);
    let head = String::from_utf8_lossy(&head.stdout).to_ascii_lowercase();
    let size = std::fs::metadata(b.env.file("badssl.crl")).unwrap().len();
    assert!(head.starts_with("http/1.1 200"), "{head}");
    assert!(head.contains(&format!("content-length: {size}")), "{head}");
    assert!(
        head.contains("content-type: application/pkix-crl"),
        "{head}"
    );
    let other = crl_url.replace("/badssl.crl", "/other");
    let missing = tool(
        b.env.path(),
        "curl",
        &["-s", "-o", "/dev/null", "-w", "%{http_code}", &other],
    );
    assert_eq!(String::from_utf8_lossy(&missing.stdout), "404");
}

#[test]
fn each_version_only_endpoint_refuses_clients_limited_to_the_other_version() {
    let b = start();
    let port = b.served.port;
    let tls13_client = curl(&b.env, port, "tls12-only", "/", &["--tlsv1.3"]);
    assert!(!tls13_client.status.success());
    let tls12_client = curl(&b.env, port, "tls13-only", "/", &["--tls-max", "1.2"]);
    assert!(!tls12_client.status.success());
    for (variant, version) in [("tls12-only", "TLSv1.2"), ("tls13-only", "TLSv1.3")] {
        let out = openssl(&b.env, port, variant, None);
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(answered(&text, variant), "{text}");
        assert!(
            text.contains(&format!("Protocol  : {version}"))
                || text.contains(&format!(", {version},")),
            "{text}"
        );
    }
}

#[test]
fn selfsign_connect_reaches_a_variant_by_its_localhost_name_alone() {
    let b = start();
    let address = format!("expired.badssl.localhost:{}", b.served.port);
    let ca = b.env.ca();
    let out = b
        .env
        .run(&["connect", &address, "--ca", ca.to_str().unwrap(), "--http"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(err.contains("certificate expired"), "{err}");
}
