//! `selfsign pkcs12`: the bundles open in OpenSSL and Java's keytool, carry the key that belongs
//! to the certificate, are protected by the password, and never replace a file without --force.

mod cli_support;

use std::path::{Path, PathBuf};
use std::process::Output;

use cli_support::{mode, tool, tool_ok, Env};
use selfsign_core::{Ca, CaOptions, LeafOptions, UnixTime};

const PASSWORD: &str = "correct horse";

/// A CA, a leaf for localhost under it, its key, and a password file, in the scratch directory.
struct Fixture {
    env: Env,
    leaf: PathBuf,
    key: PathBuf,
    ca: PathBuf,
    password_file: PathBuf,
}

impl Fixture {
    fn new() -> Fixture {
        let env = Env::new();
        let now = UnixTime::now();
        let ca = Ca::new_root(&CaOptions::default(), now).unwrap();
        let issued = ca
            .issue(&LeafOptions::new(["localhost", "127.0.0.1"]), now)
            .unwrap();
        let write = |name: &str, text: &str| {
            let path = env.file(name);
            std::fs::write(&path, text).unwrap();
            path
        };
        Fixture {
            leaf: write("localhost.pem", &issued.certificate.pem()),
            key: write("localhost-key.pem", &issued.key.private_key_pem()),
            ca: write("ca.pem", &ca.certificate().pem()),
            password_file: write("password.txt", &format!("{PASSWORD}\n")),
            env,
        }
    }

    fn p(path: &Path) -> &str {
        path.to_str().unwrap()
    }

    /// `selfsign pkcs12 --cert leaf --key key --chain ca --password-file pw EXTRA...`.
    fn pkcs12(&self, extra: &[&str]) -> Output {
        let mut args = vec![
            "pkcs12",
            "--cert",
            Self::p(&self.leaf),
            "--key",
            Self::p(&self.key),
            "--chain",
            Self::p(&self.ca),
            "--password-file",
            Self::p(&self.password_file),
        ];
        args.extend_from_slice(extra);
        self.env.run(&args)
    }

    fn openssl(&self, args: &[&str]) -> Output {
        tool(self.env.path(), "openssl", args)
    }
}

fn assert_ok(out: &Output) {
    assert!(
        out.status.success(),
        "failed ({}):\n{}{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

#[test]
fn default_bundle_is_aes_pbkdf2_opens_in_openssl_and_lists_in_keytool() {
    let f = Fixture::new();
    assert_ok(&f.pkcs12(&[]));
    let p12 = f.env.file("localhost.p12");
    assert_eq!(mode(&p12), 0o600, "the bundle holds a private key");

    let pass = format!("pass:{PASSWORD}");
    let info = f.openssl(&[
        "pkcs12",
        "-info",
        "-nokeys",
        "-in",
        "localhost.p12",
        "-passin",
        &pass,
    ]);
    assert_ok(&info);
    let info = text(&info);
    assert!(
        info.contains("AES-256-CBC") && info.contains("PBKDF2"),
        "{info}"
    );
    assert!(info.contains("MAC: sha256"), "{info}");
    assert!(info.contains("subject=CN = localhost"), "{info}");
    assert!(
        info.contains("subject=CN = selfsign development CA"),
        "the chain: {info}"
    );

    let listing = tool_ok(
        f.env.path(),
        "keytool",
        &[
            "-list",
            "-v",
            "-storetype",
            "PKCS12",
            "-keystore",
            "localhost.p12",
            "-storepass",
            PASSWORD,
        ],
    );
    assert!(listing.contains("Alias name: localhost"), "{listing}");
    assert!(listing.contains("PrivateKeyEntry"), "{listing}");
    assert!(listing.contains("Certificate chain length: 2"), "{listing}");
}

#[test]
fn legacy_bundle_is_3des_with_a_sha1_mac_and_opens_with_openssl_legacy_and_keytool() {
    let f = Fixture::new();
    assert_ok(&f.pkcs12(&["--legacy", "--out", "mac.p12"]));
    let pass = format!("pass:{PASSWORD}");
    let info = f.openssl(&[
        "pkcs12", "-legacy", "-info", "-nokeys", "-in", "mac.p12", "-passin", &pass,
    ]);
    assert_ok(&info);
    let info = text(&info);
    assert!(info.contains("pbeWithSHA1And3-KeyTripleDES-CBC"), "{info}");
    assert!(info.contains("MAC: sha1"), "{info}");
    assert!(!info.contains("PBES2"), "{info}");

    let listing = tool_ok(
        f.env.path(),
        "keytool",
        &[
            "-list",
            "-storetype",
            "PKCS12",
            "-keystore",
            "mac.p12",
            "-storepass",
            PASSWORD,
        ],
    );
    assert!(
        listing.contains("localhost") && listing.contains("PrivateKeyEntry"),
        "{listing}"
    );
}

#[test]
fn the_key_inside_is_the_certificates_key() {
    let f = Fixture::new();
    assert_ok(&f.pkcs12(&[]));
    let pass = format!("pass:{PASSWORD}");
    let key = f.openssl(&[
        "pkcs12",
        "-in",
        "localhost.p12",
        "-nocerts",
        "-nodes",
        "-passin",
        &pass,
        "-out",
        "k.pem",
    ]);
    assert_ok(&key);
    let from_key = tool_ok(
        f.env.path(),
        "openssl",
        &["pkey", "-in", "k.pem", "-pubout"],
    );
    let from_cert = tool_ok(
        f.env.path(),
        "openssl",
        &["x509", "-in", "localhost.pem", "-noout", "-pubkey"],
    );
    assert!(from_key.contains("BEGIN PUBLIC KEY"), "{from_key}");
    assert_eq!(from_key, from_cert);
}

#[test]
fn a_wrong_password_does_not_open_it() {
    let f = Fixture::new();
    assert_ok(&f.pkcs12(&[]));
    let wrong = f.openssl(&[
        "pkcs12",
        "-info",
        "-nokeys",
        "-in",
        "localhost.p12",
        "-passin",
        "pass:wrong",
    ]);
    assert!(!wrong.status.success(), "{}", text(&wrong));
    let keytool = tool(
        f.env.path(),
        "keytool",
        &[
            "-list",
            "-storetype",
            "PKCS12",
            "-keystore",
            "localhost.p12",
            "-storepass",
            "wrong",
        ],
    );
    assert!(!keytool.status.success(), "{}", text(&keytool));
}

#[test]
fn an_existing_bundle_is_kept_without_force_and_replaced_with_it() {
    let f = Fixture::new();
    assert_ok(&f.pkcs12(&[]));
    let p12 = f.env.file("localhost.p12");
    let before = std::fs::read(&p12).unwrap();

    let err = f.pkcs12(&[]);
    assert_eq!(err.status.code(), Some(1));
    assert!(
        text(&err).contains("already exists; pass --force"),
        "{}",
        text(&err)
    );
    assert_eq!(std::fs::read(&p12).unwrap(), before, "untouched");

    assert_ok(&f.pkcs12(&["--force"]));
    assert_ne!(
        std::fs::read(&p12).unwrap(),
        before,
        "replaced (fresh salts)"
    );
}

#[test]
fn a_certificate_file_that_carries_its_chain_needs_no_chain_flag() {
    let f = Fixture::new();
    let bundle = f.env.file("fullchain.pem");
    let leaf = std::fs::read_to_string(&f.leaf).unwrap();
    let ca = std::fs::read_to_string(&f.ca).unwrap();
    std::fs::write(&bundle, format!("{leaf}{ca}")).unwrap();
    let out = f.env.run(&[
        "--json",
        "pkcs12",
        "--cert",
        "fullchain.pem",
        "--key",
        "localhost-key.pem",
        "--password-file",
        "password.txt",
    ]);
    assert_ok(&out);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["certificates"], 2, "{v}");
    assert_eq!(v["friendly_name"], "localhost", "{v}");
    assert!(f.env.file("fullchain.p12").exists());
}

#[test]
fn the_password_can_come_from_the_environment() {
    let f = Fixture::new();
    let out = f
        .env
        .cmd(&[
            "pkcs12",
            "--cert",
            "localhost.pem",
            "--key",
            "localhost-key.pem",
        ])
        .env("SELFSIGN_P12_PASSWORD", "from env")
        .output()
        .unwrap();
    assert_ok(&out);
    let info = f.openssl(&[
        "pkcs12",
        "-info",
        "-nokeys",
        "-in",
        "localhost.p12",
        "-passin",
        "pass:from env",
    ]);
    assert_ok(&info);
}

#[test]
fn without_a_password_source_and_no_terminal_it_says_how_to_give_one() {
    let f = Fixture::new();
    let out = f
        .env
        .cmd(&[
            "pkcs12",
            "--cert",
            "localhost.pem",
            "--key",
            "localhost-key.pem",
        ])
        .env_remove("SELFSIGN_P12_PASSWORD")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8(out.stderr).unwrap();
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.contains("--password-file") && err.contains("SELFSIGN_P12_PASSWORD"),
        "{err}"
    );
    assert!(!f.env.file("localhost.p12").exists());
}

#[test]
fn a_key_that_is_not_the_certificates_is_refused() {
    let f = Fixture::new();
    let now = UnixTime::now();
    let other = Ca::new_root(&CaOptions::default(), now).unwrap();
    std::fs::write(f.env.file("other-key.pem"), other.key().private_key_pem()).unwrap();
    let out = f.env.run(&[
        "pkcs12",
        "--cert",
        "localhost.pem",
        "--key",
        "other-key.pem",
        "--password-file",
        "password.txt",
    ]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("does not belong to the certificate"), "{err}");
    assert!(!f.env.file("localhost.p12").exists());
}
