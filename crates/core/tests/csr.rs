//! CSRs: made for a key and names, signed under a CA with our profile, and never more than that.

mod common;

use common::{info, now, root};
use selfsign_core::{Csr, CsrOptions, Error, KeyAlgorithm, KeyPair, Name, Usage};

#[test]
fn csr_round_trip_keeps_names_and_key_and_applies_our_profile() {
    let key = KeyPair::generate(KeyAlgorithm::P384).unwrap();
    let csr = Csr::new(&["svc.example.test", "10.1.2.3"], &key).unwrap();
    let pem = csr.pem();
    assert!(pem.starts_with("-----BEGIN CERTIFICATE REQUEST-----"));
    let parsed = Csr::parse(pem.as_bytes()).unwrap();
    assert_eq!(
        parsed.names().unwrap(),
        [
            Name::Dns("svc.example.test".into()),
            Name::Ip("10.1.2.3".parse().unwrap())
        ]
    );
    let ca = root();
    let opts = CsrOptions {
        usage: Usage::Client,
        ..CsrOptions::default()
    };
    let cert = ca.sign_csr(&parsed, &opts, now()).unwrap();
    let i = info(&cert);
    assert_eq!(i.subject_alt_names, ["DNS:svc.example.test", "IP:10.1.2.3"]);
    assert_eq!(i.extended_key_usage, ["clientAuth"]);
    assert_eq!(i.key_usage, ["digitalSignature"]);
    assert!(!i.is_ca);
    assert_eq!(i.key_algorithm, "ECDSA P-384");
    let spki = cert.inspect(now()).unwrap().spki_sha256_base64;
    let own = selfsign_core::self_signed_with_key(
        &selfsign_core::LeafOptions::new(["x.test"]),
        key,
        now(),
    )
    .unwrap();
    assert_eq!(
        spki,
        own.certificate.spki_sha256_base64(),
        "same public key"
    );
}

#[test]
fn a_csr_asking_for_ca_true_is_refused() {
    let key = rcgen::KeyPair::generate().unwrap();
    let mut params = rcgen::CertificateParams::new(vec!["evil.test".to_string()]).unwrap();
    params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    let der = params.serialize_request(&key).unwrap().der().to_vec();
    let csr = Csr::parse(&der).unwrap();
    let err = root()
        .sign_csr(&csr, &CsrOptions::default(), now())
        .unwrap_err();
    assert!(err.to_string().contains("CA:TRUE"), "{err}");
}

#[test]
fn a_csr_with_unlisted_extensions_is_refused() {
    let key = rcgen::KeyPair::generate().unwrap();
    let mut params = rcgen::CertificateParams::new(vec!["x.test".to_string()]).unwrap();
    params.custom_extensions = vec![rcgen::CustomExtension::from_oid_content(
        &[1, 3, 6, 1, 4, 1, 99999, 1],
        vec![0x05, 0x00],
    )];
    let der = params.serialize_request(&key).unwrap().der().to_vec();
    let err = Csr::parse(&der).unwrap_err();
    assert!(err.to_string().contains("extension"), "{err}");
}

#[test]
fn a_tampered_csr_fails_its_signature_check() {
    let key = KeyPair::generate(KeyAlgorithm::P256).unwrap();
    let mut der = Csr::new(&["a.test"], &key).unwrap().der().to_vec();
    let pos = der.windows(6).position(|w| w == b"a.test").unwrap();
    der[pos] = b'b';
    let err = Csr::parse(&der).unwrap_err();
    assert!(matches!(err, Error::InvalidCsr(_)));
    assert!(err.to_string().contains("signature"), "{err}");
}

#[test]
fn garbage_is_not_a_csr() {
    assert!(matches!(Csr::parse(b"nope"), Err(Error::InvalidCsr(_))));
    let err = Csr::parse(b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n");
    assert!(err.is_err());
}

#[test]
fn a_csr_outside_the_ca_constraints_is_refused() {
    let opts = selfsign_core::CaOptions {
        name_constraints: vec!["example.test".into()],
        ..Default::default()
    };
    let ca = selfsign_core::Ca::new_root(&opts, now()).unwrap();
    let key = KeyPair::generate(KeyAlgorithm::P256).unwrap();
    let csr = Csr::new(&["other.test"], &key).unwrap();
    let err = ca
        .sign_csr(&csr, &CsrOptions::default(), now())
        .unwrap_err();
    assert!(matches!(err, Error::OutsideNameConstraints { .. }), "{err}");
}

/// A CSR for `name` made by `openssl req` with a new key of the given `-newkey`/`-pkeyopt` kind.
fn openssl_csr(newkey: &[&str]) -> Vec<u8> {
    let dir = std::env::temp_dir().join(format!(
        "selfsign-core-csr-{}-{}",
        std::process::id(),
        newkey.join("-").replace([':', '/'], "_")
    ));
    std::fs::create_dir_all(&dir).unwrap();
    let out = std::process::Command::new("openssl")
        .args(["req", "-new", "-nodes", "-subj", "/CN=svc.example.test"])
        .args(["-addext", "subjectAltName=DNS:svc.example.test", "-keyout"])
        .arg(dir.join("key.pem"))
        .args(["-newkey"])
        .args(newkey)
        .output()
        .expect("openssl must be installed (scripts/bootstrap does)");
    std::fs::remove_dir_all(&dir).ok();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

#[test]
fn a_csr_with_a_key_selfsign_cannot_use_names_the_key_type() {
    for (newkey, kind) in [
        (
            &["ec", "-pkeyopt", "ec_paramgen_curve:P-521"][..],
            "ECDSA P-521",
        ),
        (
            &["ec", "-pkeyopt", "ec_paramgen_curve:secp256k1"][..],
            "ECDSA secp256k1",
        ),
        (&["ed448"][..], "Ed448"),
        (
            &["rsa-pss", "-pkeyopt", "rsa_keygen_bits:2048"][..],
            "RSA-PSS",
        ),
        (&["rsa:1024"][..], "1024-bit RSA"),
    ] {
        let err = Csr::parse(&openssl_csr(newkey)).unwrap_err().to_string();
        assert!(
            err.contains(kind) && err.contains("cannot sign for"),
            "{kind}: {err}"
        );
        assert!(err.contains("P-256") && err.contains("Ed25519"), "{err}");
        assert!(!err.contains("altered"), "{err}");
    }
    let supported = Csr::parse(&openssl_csr(&["ec", "-pkeyopt", "ec_paramgen_curve:P-256"]));
    assert!(supported.is_ok(), "{supported:?}");
}

#[test]
fn a_certificate_given_as_a_csr_is_called_a_certificate() {
    let cert = root().certificate().clone();
    for input in [cert.pem().into_bytes(), cert.der().to_vec()] {
        let err = Csr::parse(&input).unwrap_err();
        assert!(matches!(err, Error::WrongKind { .. }), "{err}");
        assert_eq!(
            err.to_string(),
            "this is a certificate, not a certificate signing request"
        );
    }
}
