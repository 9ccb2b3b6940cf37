//! Output and import: PEM/DER forms, chains, fingerprints, and CAs loaded back from PEM.

mod common;

use common::{info, now, root};
use selfsign_core::{
    inspect, parse_certificates, Ca, CaOptions, Certificate, Error, KeyAlgorithm, KeyPair,
    LeafOptions, PrivateKeyDer, UnixTime,
};

#[test]
fn certificate_pem_and_der_describe_the_same_certificate() {
    let leaf = root().issue(&LeafOptions::new(["a.test"]), now()).unwrap();
    let pem = leaf.certificate.pem();
    assert!(pem.starts_with("-----BEGIN CERTIFICATE-----\n"));
    assert!(!pem.contains('\r'));
    let back = Certificate::from_pem(&pem).unwrap();
    assert_eq!(back.der(), leaf.certificate.der());
    let from_der = Certificate::from_der(leaf.certificate.der().to_vec()).unwrap();
    assert_eq!(from_der, leaf.certificate);
    assert!(matches!(
        leaf.key.private_key_der(),
        PrivateKeyDer::Pkcs8(_)
    ));
}

#[test]
fn chains_list_leaf_first_and_tls_chain_omits_the_root() {
    let ca = root();
    let inter = ca
        .new_intermediate(&CaOptions::intermediate(), now())
        .unwrap();
    let leaf = inter.issue(&LeafOptions::new(["a.test"]), now()).unwrap();
    let all = parse_certificates(leaf.chain_pem().as_bytes()).unwrap();
    assert_eq!(all.len(), 3);
    assert_eq!(all[0], leaf.certificate);
    assert_eq!(&all[1], inter.certificate());
    assert_eq!(&all[2], ca.certificate());
    let tls = leaf.tls_chain();
    assert_eq!(tls.len(), 2);
    assert_eq!(&tls[1], inter.certificate().der());
}

#[test]
fn fingerprints_are_sha256_of_the_der_and_of_the_spki() {
    let leaf = root().issue(&LeafOptions::new(["a.test"]), now()).unwrap();
    let digest = ring::digest::digest(&ring::digest::SHA256, leaf.certificate.der());
    assert_eq!(leaf.certificate.sha256().as_slice(), digest.as_ref());
    let fp = leaf.certificate.sha256_fingerprint();
    assert_eq!(fp.len(), 32 * 3 - 1);
    assert_eq!(fp.split(':').count(), 32);
    let spki = ring::digest::digest(&ring::digest::SHA256, &leaf.key.public_key_der());
    use base64::Engine;
    let expected = base64::engine::general_purpose::STANDARD.encode(spki.as_ref());
    assert_eq!(leaf.certificate.spki_sha256_base64(), expected);
}

#[test]
fn a_ca_loaded_from_pem_issues_leaves_that_chain_to_it() {
    let made = root();
    let cert_pem = made.certificate().pem();
    let key_pem = made.key().private_key_pem();
    let loaded = Ca::from_pem(&cert_pem, &key_pem).unwrap();
    let leaf = loaded.issue(&LeafOptions::new(["b.test"]), now()).unwrap();
    let i = info(&leaf.certificate);
    assert_eq!(i.issuer, info(made.certificate()).subject);
    assert_eq!(i.authority_key_id, info(made.certificate()).subject_key_id);
}

#[test]
fn loading_a_ca_checks_the_key_and_the_ca_flag() {
    let ca = root();
    let other = KeyPair::generate(KeyAlgorithm::P256).unwrap();
    let err = Ca::from_pem(&ca.certificate().pem(), &other.private_key_pem()).unwrap_err();
    assert_eq!(err, Error::KeyMismatch);
    let leaf = ca.issue(&LeafOptions::new(["a.test"]), now()).unwrap();
    let err = Ca::from_pem(&leaf.certificate.pem(), &leaf.key.private_key_pem()).unwrap_err();
    assert!(matches!(err, Error::NotACa(_)), "{err}");
}

#[test]
fn inspect_reads_bundles_and_single_der() {
    let ca = root();
    let leaf = ca.issue(&LeafOptions::new(["a.test"]), now()).unwrap();
    let infos = inspect(leaf.chain_pem().as_bytes(), now()).unwrap();
    assert_eq!(infos.len(), 2);
    assert!(!infos[0].is_ca && infos[1].is_ca);
    let one = inspect(leaf.certificate.der(), now()).unwrap();
    assert_eq!(
        one[0].sha256_fingerprint,
        leaf.certificate.sha256_fingerprint()
    );
}

#[test]
fn bad_certificate_input_gets_specific_errors() {
    let ca = root();
    let pem = ca.certificate().pem();
    let truncated = &pem[..pem.len() - 30];
    let err = inspect(truncated.as_bytes(), now()).unwrap_err();
    assert!(err.to_string().contains("truncated"), "{err}");
    assert_eq!(inspect(b"", now()).unwrap_err(), Error::NoCertificate);
    let err = inspect(b"hello world", now()).unwrap_err();
    assert!(err.to_string().contains("neither PEM"), "{err}");
    let der = ca.certificate().der().to_vec();
    let err = inspect(&der[..der.len() / 2], now()).unwrap_err();
    assert!(matches!(err, Error::InvalidCertificate(_)), "{err}");
}

#[test]
fn a_truncated_certificate_is_called_truncated_without_parser_internals() {
    let pem = root().certificate().pem();
    // The END line survives but the body lost its last lines: the base64 decodes, the DER ends early.
    let lines: Vec<&str> = pem.lines().collect();
    let cut = [&lines[..lines.len() - 4], &lines[lines.len() - 1..]]
        .concat()
        .join("\n");
    for input in [cut.as_bytes().to_vec(), {
        let der = root().certificate().der().to_vec();
        der[..der.len() - 40].to_vec()
    }] {
        let err = inspect(&input, now()).unwrap_err().to_string();
        assert!(err.contains("truncated"), "{err}");
        assert!(!err.contains("nom") && !err.contains("Eof"), "{err}");
    }
}

#[test]
fn a_private_key_given_as_a_certificate_is_called_a_private_key() {
    let key_only = root().key().private_key_pem();
    let err = inspect(key_only.as_bytes(), now()).unwrap_err();
    assert!(matches!(err, Error::WrongKind { .. }), "{err}");
    assert!(err.to_string().contains("private key"), "{err}");
}

#[test]
fn expired_day_counts_are_whole_days_since_expiry() {
    let cert = root().certificate().clone();
    let not_after = info(&cert).not_after as u64;
    let at = |secs: u64| UnixTime::since_unix_epoch(std::time::Duration::from_secs(secs));
    let hour = 3600;
    for (when, days_left, ago) in [
        (not_after + hour, 0, Some("less than a day ago")),
        (not_after + 72 * hour, -3, Some("3 days ago")),
        (not_after + 72 * hour + 5, -3, Some("3 days ago")),
        (not_after + 25 * hour, -1, Some("1 day ago")),
        (not_after - hour, 0, None),
        (not_after - 25 * hour, 1, None),
        (not_after, 0, None),
    ] {
        let i = cert.inspect(at(when)).unwrap();
        assert_eq!(i.days_left, days_left, "{}", when as i64 - not_after as i64);
        assert_eq!(i.expired_ago(at(when)).as_deref(), ago);
    }
}

#[test]
fn an_intermediate_loaded_without_its_root_stays_in_the_tls_chain() {
    let ca = root();
    let inter = ca
        .new_intermediate(&CaOptions::intermediate(), now())
        .unwrap();
    let alone = Ca::from_pem(&inter.certificate().pem(), &inter.key().private_key_pem()).unwrap();
    let leaf = alone.issue(&LeafOptions::new(["a.test"]), now()).unwrap();
    let tls = leaf.tls_chain();
    assert_eq!(tls.len(), 2);
    assert_eq!(&tls[1], inter.certificate().der());
}
