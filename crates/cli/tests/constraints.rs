//! Name-constrained CAs: selfsign refuses names outside the constraints, and the constraints the
//! CA carries make OpenSSL and Go's crypto/x509 reject a leaf forged with the CA's own key for any
//! other DNS name, IP address, email address or URI.

mod cli_support;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use cli_support::{tool, tool_ok, Env};

/// Makes `name.pem`, a server leaf for `san` signed directly with the local CA's key by
/// `openssl x509 -req`: what a holder of a leaked CA key could mint.
fn forge(env: &Env, name: &str, san: &str) -> PathBuf {
    tool_ok(
        env.path(),
        "openssl",
        &[
            "req",
            "-new",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
            "-keyout",
            &format!("{name}-key.pem"),
            "-subj",
            "/CN=forged",
            "-out",
            &format!("{name}.csr"),
        ],
    );
    let ext = env.file(&format!("{name}.ext"));
    std::fs::write(
        &ext,
        format!(
            "basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\n\
             extendedKeyUsage=serverAuth\nsubjectKeyIdentifier=hash\n\
             authorityKeyIdentifier=keyid\nsubjectAltName=critical,{san}\n"
        ),
    )
    .unwrap();
    let (ca, key) = (env.ca(), env.data().join("rootCA-key.pem"));
    tool_ok(
        env.path(),
        "openssl",
        &[
            "x509",
            "-req",
            "-in",
            &format!("{name}.csr"),
            "-CA",
            ca.to_str().unwrap(),
            "-CAkey",
            key.to_str().unwrap(),
            "-set_serial",
            "7",
            "-days",
            "30",
            "-extfile",
            ext.to_str().unwrap(),
            "-out",
            &format!("{name}.pem"),
        ],
    );
    env.file(&format!("{name}.pem"))
}

/// `openssl verify -x509_strict` of `leaf` against the local CA: Ok, or its complaint.
fn openssl_verify(env: &Env, leaf: &Path) -> Result<(), String> {
    let ca = env.ca();
    let out = tool(
        env.path(),
        "openssl",
        &[
            "verify",
            "-x509_strict",
            "-CAfile",
            ca.to_str().unwrap(),
            leaf.to_str().unwrap(),
        ],
    );
    match out.status.success() {
        true => Ok(()),
        false => Err(String::from_utf8_lossy(&out.stdout).into_owned()
            + &String::from_utf8_lossy(&out.stderr)),
    }
}

/// The Go verifier (tests/go/verify, standard library only) built once, or `None` when Go is not
/// installed (scripts/bootstrap installs golang-go, so `make test` always has it).
fn go_verifier() -> Option<&'static Path> {
    static BUILT: OnceLock<Option<PathBuf>> = OnceLock::new();
    BUILT
        .get_or_init(|| {
            let source = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/go/verify");
            let scratch = Path::new(env!("CARGO_TARGET_TMPDIR")).join("go");
            let binary = scratch.join("verify");
            let out = Command::new("go")
                .args(["build", "-o"])
                .arg(&binary)
                .arg(".")
                .current_dir(&source)
                .env("GOCACHE", scratch.join("cache"))
                .env("GOPATH", scratch.join("path"))
                .env("GOFLAGS", "-mod=mod")
                .env("GOPROXY", "off")
                .env("GOTOOLCHAIN", "local")
                .output();
            match out {
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                    eprintln!("go is not installed: skipping crypto/x509 checks");
                    None
                }
                Err(e) => panic!("go build: {e}"),
                Ok(out) => {
                    assert!(out.status.success(), "go build: {out:?}");
                    Some(binary)
                }
            }
        })
        .as_deref()
}

/// Go's crypto/x509 verification of `leaf` against the local CA: Ok, its complaint, or Ok when
/// Go is absent.
fn go_verify(env: &Env, leaf: &Path) -> Result<(), String> {
    let Some(verifier) = go_verifier() else {
        return Ok(());
    };
    let out = Command::new(verifier)
        .arg(env.ca())
        .arg(leaf)
        .output()
        .unwrap();
    match out.status.success() {
        true => Ok(()),
        false => Err(String::from_utf8_lossy(&out.stdout).into_owned()),
    }
}

fn assert_both_reject(env: &Env, name: &str, san: &str) {
    let leaf = forge(env, name, san);
    let openssl = openssl_verify(env, &leaf);
    assert!(openssl.is_err(), "openssl accepted a forged {san}");
    let go = go_verify(env, &leaf);
    if go_verifier().is_some() {
        let why = go.expect_err(&format!("Go accepted a forged {san}"));
        assert!(
            why.contains("not authorized to sign for this name"),
            "{san}: {why}"
        );
    }
}

fn assert_both_accept(env: &Env, name: &str, san: &str) {
    let leaf = forge(env, name, san);
    assert_eq!(openssl_verify(env, &leaf), Ok(()), "openssl refused {san}");
    assert_eq!(go_verify(env, &leaf), Ok(()), "Go refused {san}");
}

#[test]
fn forged_leaves_outside_a_domain_constraint_fail_openssl_and_go_verification() {
    let env = Env::new();
    env.ok(&["ca", "create", "--name-constraints", "example.test"]);
    for (i, san) in [
        "email:mallory@evil.test",
        "URI:https://google.com/",
        "URI:urn:uuid:1",
        "DNS:evil.test",
        "IP:127.0.0.1",
        "IP:::1",
        "DNS:a.example.test,email:mallory@evil.test",
    ]
    .iter()
    .enumerate()
    {
        assert_both_reject(&env, &format!("out{i}"), san);
    }
    for (i, san) in [
        "DNS:a.example.test",
        "email:me@example.test",
        "URI:https://api.example.test:8443/x",
        "DNS:example.test,email:me@mail.example.test,URI:spiffe://example.test/svc",
    ]
    .iter()
    .enumerate()
    {
        assert_both_accept(&env, &format!("in{i}"), san);
    }
}

#[test]
fn forged_leaves_outside_an_ip_constraint_fail_openssl_and_go_verification() {
    let env = Env::new();
    env.ok(&["ca", "create", "--name-constraints", "10.0.0.0/8"]);
    for (i, san) in [
        "email:mallory@evil.test",
        "URI:https://google.com/",
        "URI:https://10.0.0.1/",
        "DNS:evil.test",
        "IP:11.0.0.1",
        "IP:::1",
    ]
    .iter()
    .enumerate()
    {
        assert_both_reject(&env, &format!("out{i}"), san);
    }
    assert_both_accept(&env, "in", "IP:10.1.2.3");
}

#[test]
fn a_constrained_ca_refuses_to_issue_outside_emails_and_uris_via_new_and_sign() {
    let env = Env::new();
    env.ok(&["ca", "create", "--name-constraints", "example.test"]);
    for name in [
        "mallory@evil.test",
        "https://google.com/",
        "spiffe://evil.test/x",
    ] {
        let err = env.fails(&["new", name]);
        assert!(
            err.contains("outside the name constraints"),
            "{name}: {err}"
        );
    }
    tool_ok(
        env.path(),
        "openssl",
        &[
            "req",
            "-new",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
            "-keyout",
            "k.pem",
            "-subj",
            "/CN=a.example.test",
            "-addext",
            "subjectAltName=DNS:a.example.test,email:mallory@evil.test,URI:https://google.com/",
            "-out",
            "evil.csr",
        ],
    );
    let err = env.fails(&["sign", "evil.csr", "--out", "evil.pem"]);
    assert!(err.contains("outside the name constraints"), "{err}");
    assert!(!env.file("evil.pem").exists());
    env.ok(&["new", "me@example.test", "https://a.example.test/"]);
}

#[test]
fn an_empty_or_sloppy_constraint_is_refused_rather_than_ignored() {
    let env = Env::new();
    let err = env.fails(&["ca", "create", "--name-constraints", ""]);
    assert!(err.contains("empty entry"), "{err}");
    let err = env.fails(&["ca", "create", "--name-constraints", "example.test,"]);
    assert!(err.contains("empty entry"), "{err}");
    let err = env.fails(&["ca", "create", "--name-constraints", "10.0.0.1/8"]);
    assert!(err.contains("10.0.0.0/8"), "{err}");
    assert!(!env.ca().exists());
}
