//! Certificates and CSRs signed outside the core (by WebCrypto in the page; ring stands in here)
//! come out the same as the native path's: same extensions and encoding, only serials and
//! signatures differ.

mod common;

use common::{info, now};
use ring::rand::SystemRandom;
use ring::signature::{self, EcdsaKeyPair, Ed25519KeyPair, RsaKeyPair};
use selfsign_core::{
    prepare_self_signed, read_exported_key, self_signed_with_key, Ca, CaOptions, CertInfo,
    Certificate, Csr, CsrOptions, Error, ExternalCa, KeyAlgorithm, KeyPair, LeafOptions,
    PrivateKey, PrivateKeyDer, PublicKey, UnsignedCertificate, Usage,
};

/// Signs like WebCrypto's `crypto.subtle.sign`: raw r||s for ECDSA, plain bytes otherwise.
fn sign_outside(key: &KeyPair, msg: &[u8]) -> Vec<u8> {
    let PrivateKeyDer::Pkcs8(der) = key.private_key_der() else {
        panic!("PKCS#8 expected")
    };
    let der = der.secret_pkcs8_der();
    let rng = SystemRandom::new();
    match key.algorithm() {
        KeyAlgorithm::P256 | KeyAlgorithm::P384 => {
            let alg = if key.algorithm() == KeyAlgorithm::P256 {
                &signature::ECDSA_P256_SHA256_FIXED_SIGNING
            } else {
                &signature::ECDSA_P384_SHA384_FIXED_SIGNING
            };
            let pair = EcdsaKeyPair::from_pkcs8(alg, der, &rng).unwrap();
            pair.sign(&rng, msg).unwrap().as_ref().to_vec()
        }
        KeyAlgorithm::Ed25519 => Ed25519KeyPair::from_pkcs8_maybe_unchecked(der)
            .unwrap()
            .sign(msg)
            .as_ref()
            .to_vec(),
        _ => {
            let pair = RsaKeyPair::from_pkcs8(der).unwrap();
            let mut sig = vec![0; pair.public().modulus_len()];
            pair.sign(&signature::RSA_PKCS1_SHA256, &rng, msg, &mut sig)
                .unwrap();
            sig
        }
    }
}

/// One key of each kind: the fast ones freshly generated, RSA from a fixture (keeps tests fast).
fn keys() -> Vec<KeyPair> {
    let mut keys: Vec<KeyPair> = KeyAlgorithm::GENERATABLE
        .iter()
        .map(|alg| KeyPair::generate(*alg).unwrap())
        .collect();
    keys.push(KeyPair::from_pem(include_str!("fixtures/rsa2048-pkcs8.pem")).unwrap());
    keys
}

fn same_key(key: &KeyPair) -> KeyPair {
    KeyPair::from_pem(&key.private_key_pem()).unwrap()
}

/// A decoded certificate without what differs between two issuances: serial and fingerprints.
fn but_serial(mut i: CertInfo) -> CertInfo {
    i.serial.clear();
    i.sha256_fingerprint.clear();
    i.sha256_hex.clear();
    i
}

/// Also without what depends on which key was generated.
fn but_key(mut i: CertInfo) -> CertInfo {
    i.subject_key_id = None;
    i.spki_sha256_base64.clear();
    but_serial(i)
}

#[test]
fn a_self_signed_leaf_signed_outside_decodes_like_the_native_one_but_for_the_serial() {
    let opts = LeafOptions::new(["localhost", "127.0.0.1"]).usage(Usage::Both);
    for key in keys() {
        let alg = key.algorithm();
        let unsigned = prepare_self_signed(&opts, key.public_key(), now()).unwrap();
        assert_eq!(unsigned.signer(), key.public_key());
        let signature = sign_outside(&key, unsigned.tbs());
        let outside = info(&unsigned.finish(&signature).unwrap());
        let native = self_signed_with_key(&opts, same_key(&key), now()).unwrap();
        let native = info(&native.certificate);
        assert!(outside.self_signed, "{alg}: the outside signature verifies");
        assert_ne!(outside.serial, native.serial, "{alg}");
        assert_eq!(but_serial(outside), but_serial(native), "{alg}");
    }
}

#[test]
fn an_outside_root_decodes_like_a_native_root_but_for_key_and_serial() {
    // A fixed name: two CAs made by default get different (unique) subjects.
    let opts = CaOptions {
        name_constraints: vec!["example.test".into()],
        unique_name: false,
        ..CaOptions::default()
    };
    for key in keys() {
        let unsigned = ExternalCa::prepare_root(&opts, key.public_key(), now()).unwrap();
        let signature = sign_outside(&key, unsigned.tbs());
        let outside = info(unsigned.finish(&signature).unwrap().certificate());
        let native = Ca::new_root(
            &CaOptions {
                key: key.algorithm(),
                ..opts.clone()
            },
            now(),
        )
        .unwrap();
        assert!(outside.self_signed, "{}", key.algorithm());
        assert_eq!(but_key(outside), but_key(info(native.certificate())));
    }
}

/// A root made outside, as the `ExternalCa` its finish returns, and the same root with its key
/// loaded as a `Ca`.
fn outside_root(key: &KeyPair) -> (ExternalCa, Ca) {
    let opts = CaOptions {
        name_constraints: vec!["example.test".into()],
        ..CaOptions::default()
    };
    let unsigned = ExternalCa::prepare_root(&opts, key.public_key(), now()).unwrap();
    let signature = sign_outside(key, unsigned.tbs());
    let external = unsigned.finish(&signature).unwrap();
    assert_eq!(external.public_key(), key.public_key());
    let root = external.certificate().clone();
    let reloaded = ExternalCa::from_parts(root.clone(), Vec::new()).unwrap();
    assert_eq!(reloaded.public_key(), key.public_key());
    assert_eq!(reloaded.not_after(), external.not_after());
    let local = Ca::from_parts(root, same_key(key), Vec::new()).unwrap();
    (external, local)
}

#[test]
fn an_outside_ca_issues_leaves_like_a_local_ca_with_the_same_key() {
    let opts = LeafOptions::new(["api.example.test"]);
    for ca_key in keys() {
        let (external, local) = outside_root(&ca_key);
        for leaf_key in keys() {
            let context = format!("CA {} leaf {}", ca_key.algorithm(), leaf_key.algorithm());
            let unsigned = external
                .prepare_issue(&opts, leaf_key.public_key(), now())
                .unwrap();
            assert_eq!(unsigned.signer(), ca_key.public_key());
            let signature = sign_outside(&ca_key, unsigned.tbs());
            let outside = info(&unsigned.finish(&signature).unwrap());
            let native = local
                .issue_for_key(&opts, same_key(&leaf_key), now())
                .unwrap();
            let for_public = local
                .issue_for_public_key(&opts, leaf_key.public_key(), now())
                .unwrap();
            let native = but_serial(info(&native.certificate));
            assert_eq!(but_serial(outside), native, "{context}");
            assert_eq!(but_serial(info(&for_public)), native, "{context}");
        }
    }
}

#[test]
fn an_outside_ca_signs_csrs_and_intermediates_with_the_same_checks_as_a_local_ca() {
    let ca_key = KeyPair::generate(KeyAlgorithm::P256).unwrap();
    let (external, local) = outside_root(&ca_key);
    let leaf_key = KeyPair::generate(KeyAlgorithm::P384).unwrap();
    let csr = Csr::new(&["svc.example.test"], &leaf_key).unwrap();
    let unsigned = external
        .prepare_sign_csr(&csr, &CsrOptions::default(), now())
        .unwrap();
    let signature = sign_outside(&ca_key, unsigned.tbs());
    let outside = info(&unsigned.finish(&signature).unwrap());
    let native = info(&local.sign_csr(&csr, &CsrOptions::default(), now()).unwrap());
    assert_eq!(but_serial(outside), but_serial(native));

    let outside_names = Csr::new(&["evil.test"], &leaf_key).unwrap();
    let err = external
        .prepare_sign_csr(&outside_names, &CsrOptions::default(), now())
        .unwrap_err();
    assert!(matches!(err, Error::OutsideNameConstraints { .. }), "{err}");
    let err = external
        .prepare_issue(
            &LeafOptions::new(["10.0.0.1"]),
            leaf_key.public_key(),
            now(),
        )
        .unwrap_err();
    assert!(matches!(err, Error::OutsideNameConstraints { .. }), "{err}");

    let inter_key = KeyPair::generate(KeyAlgorithm::P256).unwrap();
    let unsigned = external
        .prepare_intermediate(&CaOptions::intermediate(), inter_key.public_key(), now())
        .unwrap();
    let signature = sign_outside(&ca_key, unsigned.tbs());
    let inter = unsigned.finish(&signature).unwrap();
    let i = info(inter.certificate());
    assert!(i.is_ca);
    assert_eq!(i.path_len, Some(0));
    assert_eq!(
        i.authority_key_id,
        info(external.certificate()).subject_key_id
    );
    let reloaded = ExternalCa::from_parts(inter.certificate().clone(), external.chain()).unwrap();
    for inter in [inter, reloaded] {
        assert_eq!(inter.chain().len(), 2);
        assert_eq!(inter.public_key(), inter_key.public_key());
        let err = inter
            .prepare_intermediate(&CaOptions::intermediate(), inter_key.public_key(), now())
            .unwrap_err();
        assert_eq!(err, Error::PathLenExceeded);
        let err = inter
            .prepare_issue(
                &LeafOptions::new(["evil.test"]),
                leaf_key.public_key(),
                now(),
            )
            .unwrap_err();
        assert!(
            matches!(err, Error::OutsideNameConstraints { .. }),
            "constraints above bind: {err}"
        );
        let unsigned = inter
            .prepare_issue(
                &LeafOptions::new(["a.example.test"]),
                leaf_key.public_key(),
                now(),
            )
            .unwrap();
        let signature = sign_outside(&inter_key, unsigned.tbs());
        let leaf = unsigned.finish(&signature).unwrap();
        assert_eq!(info(&leaf).authority_key_id, i.subject_key_id);
        assert_eq!(info(&leaf).issuer, i.subject);
    }
}

#[test]
fn a_csr_signed_outside_verifies_and_equals_the_native_one_when_signatures_are_deterministic() {
    let names = ["svc.example.test", "10.1.2.3"];
    for key in keys() {
        let alg = key.algorithm();
        let unsigned = Csr::prepare(&names, key.public_key()).unwrap();
        let signature = sign_outside(&key, unsigned.tbs());
        let csr = unsigned.finish(&signature).unwrap();
        let parsed = Csr::parse(&csr.pem().into_bytes()).expect("its signature verifies");
        assert_eq!(parsed.public_key().unwrap(), *key.public_key(), "{alg}");
        assert_eq!(parsed.key_algorithm().unwrap(), alg);
        let native = Csr::new(&names, &key).unwrap();
        assert_eq!(parsed.names().unwrap(), native.names().unwrap());
        if matches!(alg, KeyAlgorithm::Ed25519 | KeyAlgorithm::Rsa2048) {
            assert_eq!(
                csr, native,
                "{alg}: Ed25519 and RSA PKCS#1 v1.5 are deterministic"
            );
        }
    }
}

#[test]
fn finishing_refuses_signatures_of_the_wrong_form_with_the_expected_length() {
    for key in keys() {
        let opts = LeafOptions::new(["a.test"]);
        let unsigned = prepare_self_signed(&opts, key.public_key(), now()).unwrap();
        let good = sign_outside(&key, unsigned.tbs());
        let err = unsigned.finish(&good[1..]).unwrap_err();
        assert!(matches!(err, Error::InvalidSignature(_)), "{err}");
        let expected = format!("expected {} bytes", good.len());
        assert!(err.to_string().contains(&expected), "{err}");
    }
    let key = KeyPair::generate(KeyAlgorithm::P256).unwrap();
    let unsigned = prepare_self_signed(&LeafOptions::new(["a.test"]), key.public_key(), now());
    let err = unsigned.unwrap().finish(&[0; 64]).unwrap_err();
    assert!(err.to_string().contains("zero"), "{err}");
}

#[test]
fn finish_does_not_verify_so_a_signature_by_another_key_makes_a_certificate_that_fails_to() {
    let key = KeyPair::generate(KeyAlgorithm::P256).unwrap();
    let other = KeyPair::generate(KeyAlgorithm::P256).unwrap();
    let unsigned = prepare_self_signed(&LeafOptions::new(["a.test"]), key.public_key(), now());
    let unsigned = unsigned.unwrap();
    let signature = sign_outside(&other, unsigned.tbs());
    let cert = unsigned.finish(&signature).unwrap();
    assert!(!info(&cert).self_signed);
    assert!(
        cert.inspect_unverified(now()).unwrap().self_signed,
        "judged by names and key ids only"
    );
}

#[test]
fn inspecting_without_verifying_decodes_our_certificates_the_same() {
    let root = common::root();
    let inter = root
        .new_intermediate(&CaOptions::intermediate(), now())
        .unwrap();
    let leaf = inter.issue(&LeafOptions::new(["a.test"]), now()).unwrap();
    let self_signed = selfsign_core::self_signed(&LeafOptions::new(["b.test"]), now()).unwrap();
    for cert in [
        root.certificate(),
        inter.certificate(),
        &leaf.certificate,
        &self_signed.certificate,
    ] {
        assert_eq!(cert.inspect_unverified(now()).unwrap(), info(cert));
    }
}

#[test]
fn public_keys_load_from_spki_der_or_pem_with_their_algorithm_and_size() {
    for key in keys() {
        let from_der = PublicKey::from_der(&key.public_key_der()).unwrap();
        assert_eq!(&from_der, key.public_key());
        let from_pem = PublicKey::from_pem(&key.public_key_pem()).unwrap();
        assert_eq!(from_pem.der(), key.public_key_der());
        assert_eq!(from_pem.pem(), key.public_key_pem());
        assert_eq!(
            (from_pem.algorithm(), from_pem.bits()),
            (key.algorithm(), key.bits())
        );
    }
    let sizes: Vec<usize> = keys().iter().map(KeyPair::bits).collect();
    assert_eq!(sizes, [256, 384, 256, 2048]);
    assert!(matches!(
        PublicKey::from_der(b"\x30\x03\x02\x01\x00"),
        Err(Error::InvalidPublicKey(_))
    ));
    let cert = common::root().certificate().pem();
    let err = PublicKey::from_pem(&cert).unwrap_err();
    assert!(err.to_string().contains("PUBLIC KEY"), "{err}");
}

#[test]
fn private_keys_exported_elsewhere_are_written_like_our_own() {
    for key in keys() {
        let PrivateKeyDer::Pkcs8(der) = key.private_key_der() else {
            panic!("PKCS#8 expected")
        };
        let taken = PrivateKey::from_pkcs8_der(der.secret_pkcs8_der(), key.public_key()).unwrap();
        assert_eq!(taken.pem(), key.private_key_pem(), "{}", key.algorithm());
        assert_eq!(taken.algorithm(), key.algorithm());
        let other = KeyPair::generate(KeyAlgorithm::P256).unwrap();
        if key.algorithm() != KeyAlgorithm::Ed25519 {
            let err = PrivateKey::from_pkcs8_der(der.secret_pkcs8_der(), other.public_key());
            assert!(err.unwrap_err().to_string().contains("does not belong"));
        }
    }
    // ring writes Ed25519 as PKCS#8 v2 (public key embedded); we write v1, as OpenSSL 3 needs.
    let v2 = ring::signature::Ed25519KeyPair::generate_pkcs8(&SystemRandom::new()).unwrap();
    let loaded = KeyPair::from_der(v2.as_ref()).unwrap();
    let taken = PrivateKey::from_pkcs8_der(v2.as_ref(), loaded.public_key()).unwrap();
    assert_eq!(taken.pem(), loaded.private_key_pem());
    assert!(PrivateKey::from_pkcs8_der(b"junk", loaded.public_key()).is_err());
}

#[test]
fn private_keys_that_carry_their_public_key_load_without_an_spki() {
    for key in keys() {
        let PrivateKeyDer::Pkcs8(der) = key.private_key_der() else {
            panic!("PKCS#8 expected")
        };
        let loaded = PrivateKey::from_pkcs8(der.secret_pkcs8_der());
        if key.algorithm() == KeyAlgorithm::Ed25519 {
            // We write Ed25519 as PKCS#8 v1, which has no room for the public key.
            let err = loaded.unwrap_err().to_string();
            assert!(err.contains("SubjectPublicKeyInfo"), "{err}");
            continue;
        }
        let loaded = loaded.unwrap();
        assert_eq!(loaded.public_key(), key.public_key(), "{}", key.algorithm());
        assert_eq!(loaded.pem(), key.private_key_pem());
    }
    let v2 = ring::signature::Ed25519KeyPair::generate_pkcs8(&SystemRandom::new()).unwrap();
    let ring_loaded = KeyPair::from_der(v2.as_ref()).unwrap();
    let loaded = PrivateKey::from_pkcs8(v2.as_ref()).unwrap();
    assert_eq!(loaded.public_key(), ring_loaded.public_key());
    assert_eq!(loaded.pem(), ring_loaded.private_key_pem());
    let err = PrivateKey::from_pkcs8(b"junk").unwrap_err().to_string();
    assert!(err.contains("PKCS#8"), "{err}");
}

#[test]
fn an_exported_key_is_read_as_pkcs8_with_both_halves_or_as_spki_with_the_public_one() {
    for key in keys() {
        let (public, private) = read_exported_key(key.public_key().der()).unwrap();
        assert_eq!(&public, key.public_key());
        assert!(private.is_none());
        let PrivateKeyDer::Pkcs8(der) = key.private_key_der() else {
            panic!("PKCS#8 expected")
        };
        match read_exported_key(der.secret_pkcs8_der()) {
            Ok((public, Some(private))) => {
                assert_eq!(&public, key.public_key());
                assert_eq!(private.pem(), key.private_key_pem());
            }
            Ok(other) => panic!("{}: {other:?}", key.algorithm()),
            Err(e) => {
                assert_eq!(key.algorithm(), KeyAlgorithm::Ed25519, "{e}");
                assert!(e.to_string().contains("SubjectPublicKeyInfo"), "{e}");
            }
        }
    }
    let err = read_exported_key(b"\x30\x03\x02\x01\x00").unwrap_err();
    assert!(err.to_string().contains("neither a PKCS#8"), "{err}");
}

/// Finishes `unsigned` with `signer`'s signature and checks that the view built from the
/// parameters is the one decoding the certificate gives.
fn described(unsigned: UnsignedCertificate, signer: &KeyPair, context: &str) -> Certificate {
    let signature = sign_outside(signer, unsigned.tbs());
    let (certificate, info) = unsigned.finish_described(&signature, now()).unwrap();
    assert_eq!(
        info,
        certificate.inspect_unverified(now()).unwrap(),
        "{context}"
    );
    certificate
}

#[test]
fn the_view_built_while_making_a_certificate_is_the_view_decoding_it_gives() {
    let keys = keys();
    let leaves = [
        LeafOptions::new(["localhost"]),
        LeafOptions::new(["localhost", "127.0.0.1", "::1", "*.example.test"]).usage(Usage::Both),
        LeafOptions::new(["bücher.example", "me@example.test"]).usage(Usage::Client),
        LeafOptions::new([format!("{}.example.test", "a".repeat(60))]).days(1),
    ];
    let roots = [
        CaOptions::default(),
        CaOptions {
            common_name: "Ünïcode, with a comma".into(),
            organization: String::new(),
            path_len: None,
            name_constraints: vec!["example.test".into(), "10.0.0.0/8".into(), "::1".into()],
            ..CaOptions::default()
        },
        CaOptions {
            path_len: Some(0),
            name_constraints: vec![".example.test".into()],
            ..CaOptions::default()
        },
    ];
    for key in &keys {
        for (i, opts) in leaves.iter().enumerate() {
            let unsigned = prepare_self_signed(opts, key.public_key(), now()).unwrap();
            described(
                unsigned,
                key,
                &format!("self-signed {i} {}", key.algorithm()),
            );
        }
    }
    for (ca_key, leaf_key) in keys.iter().zip(keys.iter().rev()) {
        for (r, opts) in roots.iter().enumerate() {
            let context = format!("root {r} {}", ca_key.algorithm());
            let leaf_opts = if opts.name_constraints.is_empty() {
                LeafOptions::new(["localhost", "127.0.0.1"])
            } else {
                LeafOptions::new(["a.example.test"])
            };
            let unsigned = ExternalCa::prepare_root(opts, ca_key.public_key(), now()).unwrap();
            let early = unsigned
                .prepare_issue(&leaf_opts, leaf_key.public_key(), now())
                .unwrap();
            let signature = sign_outside(ca_key, unsigned.tbs());
            let (made, info) = unsigned.finish_described(&signature, now()).unwrap();
            assert_eq!(
                info,
                made.certificate().inspect_unverified(now()).unwrap(),
                "{context}"
            );
            described(
                early,
                ca_key,
                &format!("{context}: leaf before the CA's signature"),
            );
            let loaded = ExternalCa::from_parts(made.certificate().clone(), Vec::new()).unwrap();
            for (how, ca) in [("made", &made), ("loaded", &loaded)] {
                let opts = &leaf_opts;
                let unsigned = ca
                    .prepare_issue(opts, leaf_key.public_key(), now())
                    .unwrap();
                described(
                    unsigned,
                    ca_key,
                    &format!("{context}: leaf by the {how} CA"),
                );
                if opts.names.len() > 1 {
                    let unsigned = ca
                        .prepare_intermediate(
                            &CaOptions::intermediate(),
                            leaf_key.public_key(),
                            now(),
                        )
                        .unwrap();
                    let signature = sign_outside(ca_key, unsigned.tbs());
                    let (inter, info) = unsigned.finish_described(&signature, now()).unwrap();
                    assert_eq!(info, inter.certificate().inspect_unverified(now()).unwrap());
                    let unsigned = inter
                        .prepare_issue(&LeafOptions::new(["localhost"]), ca_key.public_key(), now())
                        .unwrap();
                    described(
                        unsigned,
                        leaf_key,
                        &format!("{context}: leaf by an intermediate"),
                    );
                }
            }
        }
    }
    // A CA made elsewhere (here: natively) issues leaves whose view names it as decoding does.
    let native = Ca::new_root(&CaOptions::default(), now()).unwrap();
    let outside = ExternalCa::from_parts(native.certificate().clone(), Vec::new()).unwrap();
    let unsigned = outside
        .prepare_issue(
            &LeafOptions::new(["localhost"]),
            keys[0].public_key(),
            now(),
        )
        .unwrap();
    described(
        unsigned,
        &same_key(native.key()),
        "leaf by a loaded native CA",
    );
}

#[test]
fn signed_by_the_core_s_own_key_a_prepared_certificate_verifies_and_is_described_as_decoded() {
    for key in keys() {
        let options = LeafOptions::new(["localhost"]);
        let unsigned = prepare_self_signed(&options, key.public_key(), now()).unwrap();
        let (certificate, info) = unsigned.sign_described(&key, now()).unwrap();
        let verified = certificate.inspect(now()).unwrap();
        assert!(
            verified.self_signed,
            "{}: its own key verifies it",
            key.algorithm()
        );
        assert_eq!(info, certificate.inspect_unverified(now()).unwrap());
    }
    let key = KeyPair::generate(KeyAlgorithm::P256).unwrap();
    let other = KeyPair::generate(KeyAlgorithm::P256).unwrap();
    let unsigned = prepare_self_signed(&LeafOptions::new(["a.test"]), key.public_key(), now());
    let err = unsigned.unwrap().sign_described(&other, now()).unwrap_err();
    assert!(matches!(err, Error::KeyMismatch), "{err}");
}
