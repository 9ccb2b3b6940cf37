//! `selfsign new` and `selfsign self-signed`: mkcert-style leaves that real TLS stacks accept,
//! written safely.

mod cli_support;

use cli_support::{cert_count, mode, openssl_verifies, tool_ok, Env};

#[test]
fn new_leaf_passes_openssl_strict_server_verification_against_the_local_ca() {
    let env = Env::new();
    let out = env.ok(&["new", "localhost", "127.0.0.1", "::1"]);
    assert!(
        out.contains("DNS:localhost") && out.contains("IP:127.0.0.1"),
        "{out}"
    );
    assert!(
        out.contains("localhost+2.pem") && out.contains("rootCA.pem"),
        "{out}"
    );
    let leaf = env.file("localhost+2.pem");
    let verify = openssl_verifies(env.path(), &env.ca(), &leaf, "sslserver");
    assert!(verify.status.success(), "{verify:?}");
    assert!(env.file("localhost+2-key.pem").is_file());
}

#[test]
fn client_leaf_passes_ssl_client_purpose_and_is_named_client() {
    let env = Env::new();
    env.ok(&["new", "--client", "alice@example.test"]);
    let leaf = env.file("alice@example.test-client.pem");
    assert!(openssl_verifies(env.path(), &env.ca(), &leaf, "sslclient")
        .status
        .success());
    assert!(!openssl_verifies(env.path(), &env.ca(), &leaf, "sslserver")
        .status
        .success());
}

#[test]
fn client_and_server_flags_together_make_a_leaf_for_both() {
    let env = Env::new();
    env.ok(&[
        "new",
        "--client",
        "--server",
        "both.test",
        "--cert-file",
        "b.pem",
        "--key-file",
        "b-key.pem",
    ]);
    for purpose in ["sslclient", "sslserver"] {
        assert!(
            openssl_verifies(env.path(), &env.ca(), &env.file("b.pem"), purpose)
                .status
                .success()
        );
    }
}

#[test]
fn the_ca_is_created_once_and_reused() {
    let env = Env::new();
    let first = env.ok(&["new", "a.test"]);
    assert!(first.contains("Created a new local CA"), "{first}");
    let ca = std::fs::read(env.ca()).unwrap();
    let second = env.ok(&["new", "b.test"]);
    assert!(!second.contains("Created a new local CA"), "{second}");
    assert_eq!(std::fs::read(env.ca()).unwrap(), ca);
    assert!(
        openssl_verifies(env.path(), &env.ca(), &env.file("a.test.pem"), "sslserver")
            .status
            .success()
    );
    assert!(
        openssl_verifies(env.path(), &env.ca(), &env.file("b.test.pem"), "sslserver")
            .status
            .success()
    );
}

#[test]
fn running_new_twice_without_force_exits_1_and_keeps_the_first_files_byte_identical() {
    let env = Env::new();
    env.ok(&["new", "localhost"]);
    let (cert, key) = (env.file("localhost.pem"), env.file("localhost-key.pem"));
    let before = (std::fs::read(&cert).unwrap(), std::fs::read(&key).unwrap());
    let err = env.fails(&["new", "localhost"]);
    assert!(
        err.contains("already exists") && err.contains("--force"),
        "{err}"
    );
    assert_eq!(
        (std::fs::read(&cert).unwrap(), std::fs::read(&key).unwrap()),
        before
    );
    env.ok(&["new", "--force", "localhost"]);
    assert_ne!(
        std::fs::read(&key).unwrap(),
        before.1,
        "--force replaces the key"
    );
}

#[test]
fn an_existing_key_file_alone_stops_new_before_anything_is_written() {
    let env = Env::new();
    std::fs::write(env.file("x.test-key.pem"), b"precious").unwrap();
    let err = env.fails(&["new", "x.test"]);
    assert!(err.contains("x.test-key.pem"), "{err}");
    assert!(!env.file("x.test.pem").exists(), "no certificate written");
    assert_eq!(
        std::fs::read(env.file("x.test-key.pem")).unwrap(),
        b"precious"
    );
}

#[test]
fn key_files_are_0600_and_the_data_dir_0700() {
    let env = Env::new();
    env.ok(&["new", "localhost", "--key", "p384"]);
    assert_eq!(mode(&env.file("localhost-key.pem")), 0o600);
    assert_eq!(mode(&env.file("localhost.pem")), 0o644);
    assert_eq!(mode(&env.data().join("rootCA-key.pem")), 0o600);
    assert_eq!(mode(&env.data()), 0o700);
    let key = std::fs::read_to_string(env.file("localhost-key.pem")).unwrap();
    assert!(key.starts_with("-----BEGIN PRIVATE KEY-----"));
}

#[test]
fn the_ca_key_is_never_printed() {
    let env = Env::new();
    let out = env.run(&["new", "localhost", "-v"]);
    let ca_key = std::fs::read_to_string(env.data().join("rootCA-key.pem")).unwrap();
    let body = ca_key.lines().nth(1).unwrap();
    for stream in [&out.stdout, &out.stderr] {
        assert!(!String::from_utf8_lossy(stream).contains(body));
    }
}

#[test]
fn out_dir_and_explicit_file_names_are_honoured() {
    let env = Env::new();
    env.ok(&["new", "*.dev.test", "dev.test", "--out-dir", "certs"]);
    assert!(env.file("certs/_wildcard.dev.test+1.pem").is_file());
    assert!(env.file("certs/_wildcard.dev.test+1-key.pem").is_file());
    env.ok(&[
        "new",
        "api.test",
        "--cert-file",
        "c.pem",
        "--key-file",
        "k.pem",
    ]);
    assert!(env.file("c.pem").is_file() && env.file("k.pem").is_file());
}

#[test]
fn chain_appends_the_ca_to_the_certificate_file() {
    let env = Env::new();
    env.ok(&["new", "localhost", "--chain"]);
    let leaf = env.file("localhost.pem");
    assert_eq!(cert_count(&leaf), 2);
    let ca = std::fs::read_to_string(env.ca()).unwrap();
    assert!(std::fs::read_to_string(&leaf).unwrap().ends_with(&ca));
}

#[test]
fn validity_and_key_algorithm_flags_reach_the_certificate() {
    let env = Env::new();
    env.ok(&["new", "short.test", "--days", "30", "--key", "ed25519"]);
    let text = tool_ok(
        env.path(),
        "openssl",
        &[
            "x509",
            "-in",
            "short.test.pem",
            "-noout",
            "-text",
            "-checkend",
            "2500000",
        ],
    );
    assert!(text.contains("ED25519"), "{text}");
    let expired_later = cli_support::tool(
        env.path(),
        "openssl",
        &[
            "x509",
            "-in",
            "short.test.pem",
            "-noout",
            "-checkend",
            "2700000",
        ],
    );
    assert!(
        !expired_later.status.success(),
        "a 30-day certificate expires within 31.25 days"
    );
}

#[test]
fn bad_input_gets_a_one_line_reason_and_exit_1() {
    let env = Env::new();
    let err = env.fails(&["new", "bad name!"]);
    assert!(err.contains("invalid name"), "{err}");
    let err = env.fails(&["new", "a.test", "--days", "0"]);
    assert!(err.contains("validity"), "{err}");
    assert!(!env.file("a.test.pem").exists());
}

#[test]
fn an_xn_label_that_is_not_valid_punycode_is_refused_with_a_reason() {
    let env = Env::new();
    let err = env.fails(&["new", "xn--a"]);
    assert!(err.contains("xn--a") && err.contains("punycode"), "{err}");
    assert!(!env.file("xn--a.pem").exists());
    env.ok(&["new", "xn--bcher-kva.test"]);
    assert!(env.file("xn--bcher-kva.test.pem").exists());
}

#[test]
fn usage_errors_exit_2() {
    let env = Env::new();
    assert_eq!(env.run(&["new"]).status.code(), Some(2));
    assert_eq!(
        env.run(&["new", "a.test", "--key", "dsa"]).status.code(),
        Some(2)
    );
    assert_eq!(
        env.run(&["new", "a.test", "--bogus"]).status.code(),
        Some(2)
    );
}

#[test]
fn a_name_constrained_ca_refuses_outside_names_clearly_and_issues_inside_ones() {
    let env = Env::new();
    env.ok(&["ca", "create", "--name-constraints", "a.test,10.0.0.0/8"]);
    let err = env.fails(&["new", "b.test"]);
    assert!(
        err.contains("outside the name constraints") && err.contains("a.test"),
        "{err}"
    );
    assert!(!env.file("b.test.pem").exists() && !env.file("b.test-key.pem").exists());
    env.ok(&["new", "www.a.test", "10.1.2.3"]);
    let leaf = env.file("www.a.test+1.pem");
    assert!(openssl_verifies(env.path(), &env.ca(), &leaf, "sslserver")
        .status
        .success());
}

#[test]
fn new_under_the_intermediate_ships_the_intermediate_and_verifies_to_the_root() {
    let env = Env::new();
    env.ok(&["ca", "create", "--intermediate"]);
    env.ok(&["new", "--intermediate", "inter.test"]);
    let leaf = env.file("inter.test.pem");
    assert_eq!(cert_count(&leaf), 2, "leaf + intermediate");
    let verify = openssl_verifies(env.path(), &env.ca(), &leaf, "sslserver");
    assert!(verify.status.success(), "{verify:?}");
}

#[test]
fn webtransport_prints_the_certificate_sha256_in_every_form_code_needs() {
    let env = Env::new();
    let out = env.ok(&["new", "--webtransport", "localhost"]);
    let der_hash = {
        tool_ok(
            env.path(),
            "openssl",
            &[
                "x509",
                "-in",
                "localhost.pem",
                "-outform",
                "DER",
                "-out",
                "c.der",
            ],
        );
        let text = tool_ok(env.path(), "openssl", &["dgst", "-sha256", "-r", "c.der"]);
        text.split_whitespace().next().unwrap().to_string()
    };
    assert!(out.contains(&format!("hex:    {der_hash}")), "{out}");
    assert!(
        out.contains("base64:") && out.contains("new Uint8Array(["),
        "{out}"
    );
    let text = tool_ok(
        env.path(),
        "openssl",
        &[
            "x509",
            "-in",
            "localhost.pem",
            "-noout",
            "-text",
            "-checkend",
            "1123200",
        ],
    );
    assert!(
        text.contains("prime256v1") || text.contains("P-256"),
        "{text}"
    );
    let later = cli_support::tool(
        env.path(),
        "openssl",
        &[
            "x509",
            "-in",
            "localhost.pem",
            "-noout",
            "-checkend",
            "1296000",
        ],
    );
    assert!(!later.status.success(), "valid at most 14 days");
    let err = env.fails(&[
        "new",
        "--webtransport",
        "--force",
        "localhost",
        "--days",
        "15",
    ]);
    assert!(err.contains("14 days"), "{err}");
}

#[test]
fn self_signed_leaf_is_its_own_trust_anchor_and_makes_no_ca() {
    let env = Env::new();
    let out = env.ok(&["self-signed", "localhost", "127.0.0.1"]);
    assert!(out.contains("self-signed"), "{out}");
    assert!(!env.ca().exists(), "no CA for self-signed");
    let leaf = env.file("localhost+1.pem");
    let v = cli_support::tool(
        env.path(),
        "openssl",
        &[
            "verify",
            "-purpose",
            "sslserver",
            "-CAfile",
            "localhost+1.pem",
            "-partial_chain",
            "localhost+1.pem",
        ],
    );
    assert!(v.status.success(), "{v:?}");
    assert_eq!(mode(&env.file("localhost+1-key.pem")), 0o600);
    assert!(leaf.is_file());
}

#[test]
fn json_output_names_the_files_written() {
    let env = Env::new();
    let out = env.ok(&["--json", "new", "localhost"]);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert!(v["cert_file"].as_str().unwrap().ends_with("localhost.pem"));
    assert!(v["key_file"]
        .as_str()
        .unwrap()
        .ends_with("localhost-key.pem"));
    assert_eq!(v["names"][0], "DNS:localhost");
}

#[test]
fn outputs_that_are_one_file_under_two_names_are_refused_even_with_force() {
    let env = Env::new();
    env.ok(&["ca", "create"]);
    std::fs::create_dir(env.file("sub")).unwrap();
    std::fs::write(env.file("x.pem"), "precious").unwrap();
    std::fs::hard_link(env.file("x.pem"), env.file("linked.pem")).unwrap();
    for (cert, key) in [
        ("x.pem", "./x.pem"),
        ("x.pem", "sub/../x.pem"),
        ("x.pem", "linked.pem"),
        ("new.pem", "./new.pem"),
    ] {
        for cmd in ["new", "self-signed"] {
            let err = env.fails(&[
                cmd,
                "a.test",
                "--cert-file",
                cert,
                "--key-file",
                key,
                "--force",
            ]);
            assert!(err.contains("same file"), "{cmd} {cert} {key}: {err}");
        }
    }
    assert_eq!(
        std::fs::read_to_string(env.file("x.pem")).unwrap(),
        "precious"
    );
    assert!(!env.file("new.pem").exists());
    let err = env.fails(&[
        "csr",
        "a.test",
        "--new-key",
        "--out",
        "r.csr",
        "--key-file",
        "./r.csr",
    ]);
    assert!(err.contains("same file"), "{err}");
    assert!(!env.file("r.csr").exists());
}
