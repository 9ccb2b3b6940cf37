//! Keys: generation per algorithm, and loading PKCS#8, SEC1 and PKCS#1 in PEM or DER.

mod common;

use selfsign_core::{
    self_signed_with_key, Error, KeyAlgorithm, KeyPair, LeafOptions, PrivateKeyDer,
};

#[test]
fn generates_each_supported_algorithm_and_round_trips_through_pkcs8() {
    for alg in KeyAlgorithm::GENERATABLE {
        let key = KeyPair::generate(alg).unwrap();
        assert_eq!(key.algorithm(), alg);
        let pem = key.private_key_pem();
        assert!(pem.starts_with("-----BEGIN PRIVATE KEY-----"), "{pem}");
        let again = KeyPair::from_pem(&pem).unwrap();
        assert_eq!(again.public_key_der(), key.public_key_der());
        let PrivateKeyDer::Pkcs8(der) = key.private_key_der() else {
            panic!("expected PKCS#8");
        };
        let from_der = KeyPair::from_der(der.secret_pkcs8_der()).unwrap();
        assert_eq!(from_der.algorithm(), alg);
    }
}

#[test]
fn default_algorithm_is_p256() {
    assert_eq!(KeyAlgorithm::default(), KeyAlgorithm::P256);
    assert_eq!("P-256".parse::<KeyAlgorithm>().unwrap(), KeyAlgorithm::P256);
    assert_eq!(
        "ed25519".parse::<KeyAlgorithm>().unwrap(),
        KeyAlgorithm::Ed25519
    );
}

#[test]
fn unknown_algorithm_names_are_rejected_with_the_choices() {
    for name in ["dsa", "rsa", "rsa1024"] {
        let err = name.parse::<KeyAlgorithm>().unwrap_err();
        assert!(
            err.to_string()
                .contains("p256, p384, ed25519, rsa2048, rsa3072 or rsa4096"),
            "{err}"
        );
    }
}

#[test]
fn every_generatable_algorithm_parses_from_its_name_and_rsa_sizes_from_openssl_style_too() {
    for alg in KeyAlgorithm::ALL {
        assert_eq!(alg.name().parse::<KeyAlgorithm>().unwrap(), alg);
        assert_eq!(alg.to_string(), alg.name());
    }
    assert_eq!(
        "RSA-3072".parse::<KeyAlgorithm>().unwrap(),
        KeyAlgorithm::Rsa3072
    );
    assert_eq!(
        "rsa:4096".parse::<KeyAlgorithm>().unwrap(),
        KeyAlgorithm::Rsa4096
    );
    assert_eq!(KeyAlgorithm::Rsa4096.rsa_bits(), Some(4096));
    assert!(KeyAlgorithm::RSA
        .iter()
        .all(|k| k.is_rsa() && KeyAlgorithm::ALL.contains(k)));
    assert!(
        KeyAlgorithm::GENERATABLE.iter().all(|k| !k.is_rsa()),
        "the fast ones"
    );
}

#[test]
fn generates_rsa_2048_keys_as_pkcs8_that_load_back_with_their_size() {
    let key = KeyPair::generate(KeyAlgorithm::Rsa2048).unwrap();
    assert_eq!((key.algorithm(), key.bits()), (KeyAlgorithm::Rsa2048, 2048));
    let pem = key.private_key_pem();
    assert!(pem.starts_with("-----BEGIN PRIVATE KEY-----"), "{pem}");
    let again = KeyPair::from_pem(&pem).unwrap();
    assert_eq!(again.public_key_der(), key.public_key_der());
    assert_eq!(
        (again.algorithm(), again.bits()),
        (KeyAlgorithm::Rsa2048, 2048)
    );
}

#[test]
fn generates_rsa_3072_keys_of_that_size() {
    let key = KeyPair::generate(KeyAlgorithm::Rsa3072).unwrap();
    assert_eq!((key.algorithm(), key.bits()), (KeyAlgorithm::Rsa3072, 3072));
    assert_eq!(key.public_key().bits(), 3072);
}

#[test]
fn an_rsa_key_without_a_size_cannot_be_generated_and_the_error_lists_the_sizes() {
    let err = KeyPair::generate(KeyAlgorithm::Rsa).unwrap_err();
    assert!(matches!(err, Error::UnsupportedKeyGeneration(_)), "{err}");
    assert!(
        err.to_string().contains("rsa2048, rsa3072 or rsa4096"),
        "{err}"
    );
}

#[test]
fn loads_sec1_ec_keys_and_signs_with_them() {
    for (file, alg) in [
        (
            include_str!("fixtures/ec-p256-sec1.pem"),
            KeyAlgorithm::P256,
        ),
        (
            include_str!("fixtures/ec-p384-sec1.pem"),
            KeyAlgorithm::P384,
        ),
    ] {
        let key = KeyPair::from_pem(file).unwrap();
        assert_eq!(key.algorithm(), alg);
        let issued = self_signed_with_key(&LeafOptions::new(["localhost"]), key, common::now());
        assert!(issued.is_ok(), "{issued:?}");
    }
}

#[test]
fn loads_pkcs1_rsa_keys_the_same_as_their_pkcs8_form() {
    let pkcs1 = KeyPair::from_pem(include_str!("fixtures/rsa2048-pkcs1.pem")).unwrap();
    let pkcs8 = KeyPair::from_pem(include_str!("fixtures/rsa2048-pkcs8.pem")).unwrap();
    assert_eq!(
        pkcs1.algorithm(),
        KeyAlgorithm::Rsa2048,
        "loaded keys report their size"
    );
    assert_eq!(pkcs1.bits(), 2048);
    assert_eq!(pkcs1.public_key_der(), pkcs8.public_key_der());
}

#[test]
fn loads_ed25519_pkcs8_from_openssl() {
    let key = KeyPair::from_pem(include_str!("fixtures/ed25519-pkcs8.pem")).unwrap();
    assert_eq!(key.algorithm(), KeyAlgorithm::Ed25519);
}

#[test]
fn rejects_garbage_and_certificates_given_as_keys() {
    assert!(matches!(
        KeyPair::from_pem("hello"),
        Err(Error::InvalidKey(_))
    ));
    assert!(matches!(
        KeyPair::from_der(&[0x30, 0x03, 0x02, 0x01]),
        Err(Error::InvalidKey(_))
    ));
    let cert = common::root().certificate().pem();
    let err = KeyPair::from_pem(&cert).unwrap_err();
    assert!(err.to_string().contains("PRIVATE KEY"), "{err}");
}

#[test]
fn encrypted_keys_get_an_instruction_to_decrypt() {
    let pem = "-----BEGIN ENCRYPTED PRIVATE KEY-----\nMIIB\n-----END ENCRYPTED PRIVATE KEY-----\n";
    let err = KeyPair::from_pem(pem).unwrap_err();
    assert!(err.to_string().contains("encrypted"), "{err}");
}
