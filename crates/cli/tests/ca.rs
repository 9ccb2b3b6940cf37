//! `selfsign ca create|show|path`: one local CA, never replaced by accident.

mod cli_support;

use cli_support::{mode, openssl_verifies, tool_ok, Env};

#[test]
fn create_refuses_to_replace_the_ca_without_force() {
    let env = Env::new();
    let out = env.ok(&["ca", "create"]);
    assert!(out.contains("rootCA.pem"), "{out}");
    let (cert, key) = (
        std::fs::read(env.ca()).unwrap(),
        std::fs::read(env.data().join("rootCA-key.pem")).unwrap(),
    );
    let err = env.fails(&["ca", "create"]);
    assert!(
        err.contains("already exists") && err.contains("--force"),
        "{err}"
    );
    assert_eq!(std::fs::read(env.ca()).unwrap(), cert);
    assert_eq!(
        std::fs::read(env.data().join("rootCA-key.pem")).unwrap(),
        key
    );
    env.ok(&["ca", "create", "--force"]);
    assert_ne!(std::fs::read(env.ca()).unwrap(), cert);
    assert_eq!(mode(&env.data().join("rootCA-key.pem")), 0o600);
}

#[test]
fn the_ca_is_a_strict_x509_ca_openssl_accepts() {
    let env = Env::new();
    env.ok(&[
        "ca",
        "create",
        "--days",
        "30",
        "--key",
        "p384",
        "--common-name",
        "Team CA",
    ]);
    let text = tool_ok(
        env.path(),
        "openssl",
        &["x509", "-in", env.ca().to_str().unwrap(), "-noout", "-text"],
    );
    assert!(
        text.contains("CA:TRUE") && text.contains("Certificate Sign"),
        "{text}"
    );
    assert!(
        text.contains("CN = Team CA") || text.contains("CN=Team CA"),
        "{text}"
    );
    let v = cli_support::tool(
        env.path(),
        "openssl",
        &[
            "verify",
            "-x509_strict",
            "-CAfile",
            env.ca().to_str().unwrap(),
            env.ca().to_str().unwrap(),
        ],
    );
    assert!(v.status.success(), "{v:?}");
}

#[test]
fn show_decodes_the_ca_without_its_key_and_path_prints_where_it_lives() {
    let env = Env::new();
    assert!(env.fails(&["ca", "show"]).contains("selfsign ca create"));
    env.ok(&["ca", "create", "--name-constraints", "a.test,127.0.0.1"]);
    let out = env.ok(&["ca", "show"]);
    assert!(
        out.contains("root certificate")
            && out.contains("DNS:a.test")
            && out.contains("IP:127.0.0.1/32"),
        "{out}"
    );
    assert!(!out.contains("PRIVATE KEY"));
    let dir = env.ok(&["ca", "path"]);
    assert_eq!(
        std::fs::canonicalize(dir.trim()).unwrap(),
        std::fs::canonicalize(env.data()).unwrap()
    );
    let cert = env.ok(&["ca", "path", "--cert"]);
    assert_eq!(
        std::fs::canonicalize(cert.trim()).unwrap(),
        std::fs::canonicalize(env.ca()).unwrap()
    );
    let v: serde_json::Value = serde_json::from_str(&env.ok(&["--json", "ca", "path"])).unwrap();
    assert!(v["key_file"].as_str().unwrap().ends_with("rootCA-key.pem"));
}

#[test]
fn intermediate_is_created_under_the_root_and_shown_with_it() {
    let env = Env::new();
    env.ok(&["ca", "create", "--intermediate"]);
    let inter = env.data().join("intermediateCA.pem");
    assert_eq!(mode(&env.data().join("intermediateCA-key.pem")), 0o600);
    let v = cli_support::tool(
        env.path(),
        "openssl",
        &[
            "verify",
            "-x509_strict",
            "-CAfile",
            env.ca().to_str().unwrap(),
            inter.to_str().unwrap(),
        ],
    );
    assert!(v.status.success(), "{v:?}");
    let out = env.ok(&["ca", "show", "--intermediate"]);
    assert!(
        out.contains("intermediate") && out.contains("root"),
        "{out}"
    );
    env.ok(&["new", "--intermediate", "--client", "me.test"]);
    assert!(openssl_verifies(
        env.path(),
        &env.ca(),
        &env.file("me.test-client.pem"),
        "sslclient"
    )
    .status
    .success());
    assert!(env
        .fails(&["ca", "create", "--intermediate"])
        .contains("already exists"));
}

#[test]
fn a_broken_ca_is_reported_not_replaced() {
    let env = Env::new();
    env.ok(&["ca", "create"]);
    std::fs::remove_file(env.data().join("rootCA-key.pem")).unwrap();
    let err = env.fails(&["new", "a.test"]);
    assert!(
        err.contains("unusable") && err.contains("rootCA-key.pem"),
        "{err}"
    );
    assert!(env.ca().exists());
}

#[test]
fn bad_name_constraints_are_rejected_with_the_reason() {
    let env = Env::new();
    let err = env.fails(&["ca", "create", "--name-constraints", "*.a.test"]);
    assert!(err.contains("name constraint"), "{err}");
    assert!(!env.ca().exists());
}
