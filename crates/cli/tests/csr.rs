//! `selfsign csr` and `selfsign sign`: requests openssl accepts, and certificates from any
//! request (ours or openssl's) that verify under the local CA with our profile.

mod cli_support;

use cli_support::{mode, openssl_verifies, tool_ok, Env};

fn pubkey_of_cert(env: &Env, cert: &str) -> String {
    tool_ok(
        env.path(),
        "openssl",
        &["x509", "-in", cert, "-noout", "-pubkey"],
    )
}

fn pubkey_of_key(env: &Env, key: &str) -> String {
    tool_ok(env.path(), "openssl", &["pkey", "-in", key, "-pubout"])
}

#[test]
fn csr_with_a_new_key_then_sign_round_trips_and_verifies_with_openssl() {
    let env = Env::new();
    env.ok(&["ca", "create"]);
    let out = env.ok(&["csr", "app.test", "10.0.0.1", "--new-key"]);
    assert!(out.contains("app.test+1.csr"), "{out}");
    assert_eq!(mode(&env.file("app.test+1-key.pem")), 0o600);
    tool_ok(
        env.path(),
        "openssl",
        &["req", "-in", "app.test+1.csr", "-noout", "-verify"],
    );

    env.ok(&["sign", "app.test+1.csr"]);
    let cert = env.file("app.test+1.pem");
    let v = openssl_verifies(env.path(), &env.ca(), &cert, "sslserver");
    assert!(v.status.success(), "{v:?}");
    assert_eq!(
        pubkey_of_cert(&env, "app.test+1.pem"),
        pubkey_of_key(&env, "app.test+1-key.pem")
    );
    let text = tool_ok(
        env.path(),
        "openssl",
        &[
            "x509",
            "-in",
            "app.test+1.pem",
            "-noout",
            "-ext",
            "subjectAltName",
        ],
    );
    assert!(
        text.contains("DNS:app.test") && text.contains("IP Address:10.0.0.1"),
        "{text}"
    );
}

#[test]
fn csr_for_an_existing_sec1_key_from_openssl() {
    let env = Env::new();
    tool_ok(
        env.path(),
        "openssl",
        &[
            "ecparam",
            "-name",
            "prime256v1",
            "-genkey",
            "-noout",
            "-out",
            "ec.pem",
        ],
    );
    env.ok(&["csr", "svc.test", "--key", "ec.pem", "--out", "svc.csr"]);
    tool_ok(
        env.path(),
        "openssl",
        &["req", "-in", "svc.csr", "-noout", "-verify"],
    );
    let req_key = tool_ok(
        env.path(),
        "openssl",
        &["req", "-in", "svc.csr", "-noout", "-pubkey"],
    );
    assert_eq!(req_key, pubkey_of_key(&env, "ec.pem"));
}

#[test]
fn sign_issues_from_an_openssl_made_csr_and_applies_our_client_profile() {
    let env = Env::new();
    env.ok(&["ca", "create"]);
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
            "/CN=bob.test",
            "-addext",
            "subjectAltName=DNS:bob.test",
            "-out",
            "bob.csr",
        ],
    );
    env.ok(&[
        "sign", "bob.csr", "--client", "--out", "bob.pem", "--days", "30",
    ]);
    let cert = env.file("bob.pem");
    assert!(openssl_verifies(env.path(), &env.ca(), &cert, "sslclient")
        .status
        .success());
    assert!(!openssl_verifies(env.path(), &env.ca(), &cert, "sslserver")
        .status
        .success());
}

#[test]
fn sign_writes_to_stdout_with_dash_and_refuses_existing_output() {
    let env = Env::new();
    env.ok(&["ca", "create"]);
    env.ok(&["csr", "a.test", "--new-key"]);
    let pem = env.ok(&["-q", "sign", "a.test.csr", "--out", "-"]);
    assert!(pem.starts_with("-----BEGIN CERTIFICATE-----"), "{pem}");
    env.ok(&["sign", "a.test.csr"]);
    let before = std::fs::read(env.file("a.test.pem")).unwrap();
    let err = env.fails(&["sign", "a.test.csr"]);
    assert!(err.contains("already exists"), "{err}");
    assert_eq!(std::fs::read(env.file("a.test.pem")).unwrap(), before);
}

#[test]
fn sign_without_a_ca_or_with_a_bad_csr_fails_clearly() {
    let env = Env::new();
    env.ok(&["csr", "a.test", "--new-key"]);
    let err = env.fails(&["sign", "a.test.csr"]);
    assert!(err.contains("selfsign ca create"), "{err}");
    env.ok(&["ca", "create"]);
    std::fs::write(
        env.file("bad.csr"),
        "-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n-----END CERTIFICATE REQUEST-----\n",
    )
    .unwrap();
    let err = env.fails(&["sign", "bad.csr"]);
    assert!(err.contains("CSR") || err.contains("PEM"), "{err}");
}

#[test]
fn csr_needs_exactly_one_key_source() {
    let env = Env::new();
    assert_eq!(env.run(&["csr", "a.test"]).status.code(), Some(2));
    assert_eq!(
        env.run(&["csr", "a.test", "--key", "k.pem", "--new-key"])
            .status
            .code(),
        Some(2)
    );
}
