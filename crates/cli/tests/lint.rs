//! pkilint's RFC 5280 linter (`lint_pkix_cert`) finds no error in any certificate selfsign makes:
//! every leaf profile and every kind of CA. The one finding allowed is pkilint calling the
//! single-label name `localhost` invalid DNS syntax, which is what local development needs.

mod cli_support;

use std::path::Path;

use cli_support::{tool, Env};

/// pkilint's ERROR and FATAL findings for the first certificate of `cert`, as `code: message`.
fn lint_errors(dir: &Path, cert: &Path) -> Vec<String> {
    // pkilint reads one certificate: a chain file's blocks would run together.
    let pem = std::fs::read_to_string(cert).unwrap();
    let end = "-----END CERTIFICATE-----\n";
    let first = &pem[..pem.find(end).expect("a PEM certificate") + end.len()];
    let single = cert.with_extension("first.pem");
    std::fs::write(&single, first).unwrap();
    let out = tool(
        dir,
        "lint_pkix_cert",
        &[
            "lint",
            "-s",
            "ERROR",
            "-f",
            "JSON",
            single.to_str().unwrap(),
        ],
    );
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "lint_pkix_cert gave no JSON for {} ({e}): {}",
            cert.display(),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    let mut findings = Vec::new();
    for result in report["results"].as_array().into_iter().flatten() {
        for finding in result["finding_descriptions"]
            .as_array()
            .into_iter()
            .flatten()
        {
            let (code, message) = (&finding["code"], &finding["message"]);
            if code == "pkix.invalid_domain_name_syntax"
                && message == "Invalid domain name syntax: \"localhost\""
            {
                continue;
            }
            findings.push(format!(
                "{} {code}: {message} at {}",
                finding["severity"], result["node_path"]
            ));
        }
    }
    findings
}

#[test]
fn pkilint_finds_no_error_in_any_certificate_selfsign_makes() {
    let env = Env::new();
    env.ok(&["new", "a.test", "127.0.0.1", "::1"]);
    env.ok(&[
        "new",
        "--client",
        "bob.test",
        "--cert-file",
        "client.pem",
        "--key-file",
        "c-key.pem",
    ]);
    env.ok(&["new", "--key", "rsa2048", "rsa.test"]);
    env.ok(&[
        "self-signed",
        "localhost",
        "--cert-file",
        "self.pem",
        "--key-file",
        "s-key.pem",
    ]);
    env.ok(&[
        "self-signed",
        "self.test",
        "--cert-file",
        "self2.pem",
        "--key-file",
        "s2-key.pem",
    ]);
    env.ok(&[
        "new",
        "--webtransport",
        "localhost",
        "--cert-file",
        "wt.pem",
        "--key-file",
        "wt-key.pem",
    ]);
    env.ok(&["ca", "create", "--intermediate"]);
    env.ok(&["new", "--intermediate", "inter.test"]);
    let mut certs = vec![
        env.file("a.test+2.pem"),
        env.file("client.pem"),
        env.file("rsa.test.pem"),
        env.file("self.pem"),
        env.file("self2.pem"),
        env.file("wt.pem"),
        env.file("inter.test.pem"),
        env.ca(),
        env.data().join("intermediateCA.pem"),
    ];
    // Each name-constrained CA in a data directory of its own.
    let dns = Env::new();
    dns.ok(&[
        "ca",
        "create",
        "--name-constraints",
        "example.test,10.0.0.0/8",
    ]);
    dns.ok(&[
        "new",
        "me@example.test",
        "https://api.example.test/",
        "10.1.2.3",
        "--cert-file",
        "named.pem",
        "--key-file",
        "named-key.pem",
    ]);
    let ip = Env::new();
    ip.ok(&["ca", "create", "--name-constraints", "10.0.0.0/8"]);
    certs.extend([dns.ca(), dns.file("named.pem"), ip.ca()]);
    let mut failures = Vec::new();
    for cert in &certs {
        assert!(cert.is_file(), "{} was not made", cert.display());
        for finding in lint_errors(env.path(), cert) {
            failures.push(format!("{}: {finding}", cert.display()));
        }
    }
    assert!(
        failures.is_empty(),
        "pkilint errors:\n{}",
        failures.join("\n")
    );
}
