//! `selfsign inspect`: what it reports agrees with openssl, for PEM, DER, bundles and stdin.

mod cli_support;

use std::collections::BTreeSet;
use std::io::Write;
use std::process::Stdio;

use cli_support::{tool_ok, Env};

fn json(out: &str) -> Vec<serde_json::Value> {
    serde_json::from_str(out).unwrap_or_else(|e| panic!("{e}: {out}"))
}

/// `CN = a, O = b` or `CN=a, O=b` as a set of `K=V`.
fn rdns(dn: &str) -> BTreeSet<String> {
    dn.split(", ")
        .map(|part| part.split('=').map(str::trim).collect::<Vec<_>>().join("="))
        .collect()
}

/// `Dec  9 16:36:50 2027 GMT` as `2027-12-09T16:36:50Z`.
fn openssl_date(s: &str) -> String {
    let p: Vec<&str> = s.split_whitespace().collect();
    let months = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let month = months.iter().position(|m| *m == p[0]).unwrap() + 1;
    format!(
        "{}-{month:02}-{:02}T{}Z",
        p[3],
        p[1].parse::<u32>().unwrap(),
        p[2]
    )
}

#[test]
fn json_fields_match_what_openssl_prints() {
    let env = Env::new();
    env.ok(&["new", "localhost", "127.0.0.1"]);
    let info = &json(&env.ok(&["--json", "inspect", "localhost+1.pem"]))[0];
    let text = tool_ok(
        env.path(),
        "openssl",
        &[
            "x509",
            "-in",
            "localhost+1.pem",
            "-noout",
            "-serial",
            "-fingerprint",
            "-sha256",
            "-subject",
            "-issuer",
            "-enddate",
        ],
    );
    let field = |name: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(name))
            .unwrap_or_else(|| panic!("{name} in {text}"))
            .to_string()
    };
    let serial = info["serial"].as_str().unwrap().replace(':', "");
    assert_eq!(serial.trim_start_matches("00"), field("serial="));
    assert_eq!(
        info["sha256_fingerprint"],
        field("sha256 Fingerprint=").as_str()
    );
    assert_eq!(
        rdns(info["subject"].as_str().unwrap()),
        rdns(&field("subject="))
    );
    assert_eq!(
        rdns(info["issuer"].as_str().unwrap()),
        rdns(&field("issuer="))
    );
    assert_eq!(
        info["not_after_rfc3339"],
        openssl_date(&field("notAfter=")).as_str()
    );
    assert_eq!(
        info["subject_alt_names"],
        serde_json::json!(["DNS:localhost", "IP:127.0.0.1"])
    );
    assert_eq!(
        info["extended_key_usage"],
        serde_json::json!(["serverAuth"])
    );
    assert_eq!(info["position"], "leaf");
    assert!(info["days_left"].as_i64().unwrap() >= 396);
}

#[test]
fn human_output_shows_names_days_left_usage_position_and_fingerprint() {
    let env = Env::new();
    env.ok(&["new", "--chain", "localhost", "--days", "10"]);
    let out = env.ok(&["inspect", "localhost.pem"]);
    assert!(
        out.contains("certificate 1 of 2, leaf") && out.contains("certificate 2 of 2, root"),
        "{out}"
    );
    assert!(out.contains("DNS:localhost"), "{out}");
    assert!(out.contains("days left"), "{out}");
    assert!(out.contains("serverAuth"), "{out}");
    assert!(
        out.contains("issued by certificate 2 of this file"),
        "{out}"
    );
    let fp = tool_ok(
        env.path(),
        "openssl",
        &[
            "x509",
            "-in",
            "localhost.pem",
            "-noout",
            "-fingerprint",
            "-sha256",
        ],
    );
    assert!(
        out.contains(fp.trim().trim_start_matches("sha256 Fingerprint=")),
        "{out}"
    );
}

#[test]
fn der_and_stdin_inputs_decode_like_pem() {
    let env = Env::new();
    env.ok(&["new", "localhost"]);
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
            "localhost.der",
        ],
    );
    let pem = json(&env.ok(&["--json", "inspect", "localhost.pem"]));
    let der = json(&env.ok(&["--json", "inspect", "localhost.der"]));
    assert_eq!(pem[0]["sha256_fingerprint"], der[0]["sha256_fingerprint"]);

    let mut child = env
        .cmd(&["--json", "inspect", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(&std::fs::read(env.file("localhost.pem")).unwrap())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    let stdin = json(&String::from_utf8(out.stdout).unwrap());
    assert_eq!(pem[0]["sha256_fingerprint"], stdin[0]["sha256_fingerprint"]);
}

#[test]
fn a_ca_bundle_reports_root_and_constraints() {
    let env = Env::new();
    env.ok(&["ca", "create", "--name-constraints", "a.test"]);
    let info = &json(&env.ok(&["--json", "inspect", env.ca().to_str().unwrap()]))[0];
    assert_eq!(info["position"], "root");
    assert_eq!(info["is_ca"], true);
    // A domain permits DNS names, email addresses and URI hosts in it (issue 14, item 7).
    assert_eq!(
        info["permitted_names"],
        serde_json::json!([
            "DNS:a.test",
            "email:a.test",
            "email:.a.test",
            "URI:a.test",
            "URI:.a.test"
        ])
    );
}

#[test]
fn garbage_and_missing_files_fail_with_one_line() {
    let env = Env::new();
    std::fs::write(env.file("junk.pem"), b"hello, not a certificate").unwrap();
    let err = env.fails(&["inspect", "junk.pem"]);
    assert!(err.contains("PEM") || err.contains("DER"), "{err}");
    let err = env.fails(&["inspect", "missing.pem"]);
    assert!(err.contains("missing.pem"), "{err}");
}
