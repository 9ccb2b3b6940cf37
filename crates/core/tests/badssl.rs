//! The badssl endpoints: one per variant, each certificate broken in exactly its own way.

use std::sync::OnceLock;

use selfsign_core::badssl::{
    build, Badssl, BadsslOptions, ClientCerts, Outcome, TlsVersions, Variant,
};
use selfsign_core::{Ca, CaOptions, CertInfo, Certificate, CertificateDer, UnixTime};

const NOW: u64 = 1_800_000_000;
const DAY: i64 = 86_400;

fn now() -> UnixTime {
    UnixTime::since_unix_epoch(std::time::Duration::from_secs(NOW))
}

/// One set of endpoints for every test: RSA keys take a while to make.
fn made() -> &'static (Ca, Badssl) {
    static MADE: OnceLock<(Ca, Badssl)> = OnceLock::new();
    MADE.get_or_init(make)
}

fn make() -> (Ca, Badssl) {
    let ca = Ca::new_root(&CaOptions::default(), now()).unwrap();
    let options = BadsslOptions {
        suffix: "badssl.localhost".into(),
        crl_url: "http://127.0.0.1:9/badssl.crl".into(),
        rsa2048: None,
        rsa4096: None,
    };
    let badssl = build(&ca, options, now()).unwrap();
    (ca, badssl)
}

#[test]
fn every_variant_has_one_endpoint_on_its_own_host() {
    let (_, badssl) = made();
    let variants: Vec<Variant> = badssl.endpoints.iter().map(|e| e.variant).collect();
    assert_eq!(variants, Variant::ALL.to_vec());
    for e in &badssl.endpoints {
        assert_eq!(e.host, format!("{}.badssl.localhost", e.variant.name()));
        assert_eq!(Variant::from_name(e.variant.name()), Some(e.variant));
    }
}

#[test]
fn each_broken_certificate_is_broken_in_its_own_way() {
    let (ca, badssl) = made();
    let ca_info = info(ca.certificate().der());
    for e in &badssl.endpoints {
        let leaf = info(&e.chain[0]);
        let v = e.variant;
        let now = NOW as i64;
        assert_eq!(
            leaf.valid_now,
            !matches!(v, Variant::Expired | Variant::NotYetValid),
            "{v:?}"
        );
        match v {
            Variant::Expired => assert!(leaf.not_after <= now - DAY),
            Variant::NotYetValid => assert!(leaf.not_before >= now + DAY),
            Variant::WrongHost => {
                assert!(!leaf.subject_alt_names.contains(&format!("DNS:{}", e.host)))
            }
            Variant::NoSan => assert!(leaf.subject_alt_names.is_empty()),
            Variant::ManySans => assert_eq!(leaf.subject_alt_names.len(), 1000),
            _ => assert!(
                leaf.subject_alt_names.contains(&format!("DNS:{}", e.host)),
                "{v:?}"
            ),
        }
        assert_eq!(leaf.is_ca, v == Variant::CaAsLeaf, "{v:?}");
        let from_ca = leaf.issuer == ca_info.subject;
        let expect_from_ca = !matches!(
            v,
            Variant::SelfSigned
                | Variant::UntrustedRoot
                | Variant::IncompleteChain
                | Variant::NameConstraintViolation
                | Variant::LongChain
        );
        assert_eq!(from_ca, expect_from_ca, "{v:?}");
        let sent = match v {
            Variant::LongChain => 6,
            Variant::NameConstraintViolation | Variant::UntrustedRoot => 2,
            _ => 1,
        };
        assert_eq!(e.chain.len(), sent, "{v:?}");
        assert_eq!(
            e.versions,
            match v {
                Variant::Tls12Only => TlsVersions::Tls12,
                Variant::Tls13Only => TlsVersions::Tls13,
                _ => TlsVersions::Both,
            }
        );
        assert_eq!(
            e.client_certs,
            match v {
                Variant::ClientCertRequired => ClientCerts::Required,
                Variant::ClientCertOptional => ClientCerts::Optional,
                _ => ClientCerts::None,
            }
        );
    }
    let untrusted = info(badssl.untrusted_root.der());
    let leaf = &badssl.endpoints[Variant::UntrustedRoot as usize];
    assert_eq!(info(&leaf.chain[0]).issuer, untrusted.subject);
    assert_eq!(
        leaf.chain[1],
        *badssl.untrusted_root.der(),
        "sent with its root"
    );
}

#[test]
fn expectations_refuse_exactly_the_broken_variants() {
    let (ca, badssl) = made();
    let accepted: Vec<&str> = badssl
        .endpoints
        .iter()
        .filter(|e| e.expectation.outcome == Outcome::Accept)
        .map(|e| e.variant.name())
        .collect();
    assert_eq!(
        accepted,
        [
            "good",
            "many-sans",
            "p384",
            "ed25519",
            "rsa2048",
            "rsa4096",
            "tls12-only",
            "tls13-only",
            "client-cert-optional"
        ]
    );
    assert_eq!(ca.path_len(), Some(1));
    assert!(badssl
        .endpoints
        .iter()
        .all(|e| (e.expectation.outcome == Outcome::Accept) == e.expectation.reason.is_empty()));
    assert_eq!(
        Variant::LongChain.expectation(None).outcome,
        Outcome::Accept
    );
}

#[test]
fn the_crl_is_signed_by_the_local_ca_and_lists_the_revoked_certificate() {
    let (ca, badssl) = made();
    let revoked = &badssl.endpoints[Variant::Revoked as usize];
    let serial = x509_serial(&revoked.chain[0]);
    let crl = x509_parser::parse_x509_crl(&badssl.crl).unwrap().1;
    let listed: Vec<Vec<u8>> = crl
        .iter_revoked_certificates()
        .map(|r| r.raw_serial().to_vec())
        .collect();
    assert_eq!(listed, vec![serial]);
    let ca_cert = x509_parser::parse_x509_certificate(ca.certificate().der())
        .unwrap()
        .1;
    assert_eq!(crl.issuer(), ca_cert.subject());
    let good = &badssl.endpoints[Variant::Good as usize];
    assert!(!listed.contains(&x509_serial(&good.chain[0])));
}

fn x509_serial(der: &[u8]) -> Vec<u8> {
    x509_parser::parse_x509_certificate(der)
        .unwrap()
        .1
        .raw_serial()
        .to_vec()
}

fn info(der: &CertificateDer<'static>) -> CertInfo {
    Certificate::from_der(der.clone())
        .unwrap()
        .inspect(now())
        .unwrap()
}
