//! The local CA's subject: unique for every CA made, and within the bounds X.520 sets.

mod cli_support;

use cli_support::{tool_ok, Env};

fn subject(env: &Env) -> String {
    let ca = env.ca();
    tool_ok(
        env.path(),
        "openssl",
        &["x509", "-noout", "-subject", "-in", ca.to_str().unwrap()],
    )
}

#[test]
fn every_ca_made_gets_a_subject_of_its_own() {
    let env = Env::new();
    env.ok(&["ca", "create"]);
    let first = subject(&env);
    env.ok(&["ca", "create", "--force"]);
    let second = subject(&env);
    assert_ne!(first, second);
    assert!(first.contains("CN = selfsign development CA"), "{first}");
    let other = Env::new();
    other.ok(&["new", "a.test"]);
    assert_ne!(
        subject(&other),
        second,
        "a CA made on first use is unique too"
    );
}

#[test]
fn a_common_name_or_organisation_over_64_characters_is_refused() {
    let env = Env::new();
    let long = "c".repeat(65);
    let err = env.fails(&["ca", "create", "--common-name", &long]);
    assert!(err.contains("common name") && err.contains("64"), "{err}");
    assert!(!env.ca().exists());
    env.ok(&["ca", "create", "--common-name", &"c".repeat(64)]);
    assert!(
        subject(&env).contains(&"c".repeat(64)),
        "an explicit name is kept as typed"
    );
}
