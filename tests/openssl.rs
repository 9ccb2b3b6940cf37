//! The core's certificates as openssl sees them: chains verify for their purpose, extensions are
//! the ones the profiles promise, and name constraints bind.

use selfsign_core::{
    prepare_self_signed, self_signed, self_signed_with_key, Ca, CaOptions, Certificate, ExternalCa,
    KeyAlgorithm, KeyPair, LeafOptions, PrivateKeyDer, Usage,
};
use selfsign_interop::{now, run, text, Dir};

struct Pki {
    dir: Dir,
    root: Ca,
    inter: Ca,
}

fn pki(root_opts: &CaOptions) -> Pki {
    let root = Ca::new_root(root_opts, now()).unwrap();
    let inter = root
        .new_intermediate(&CaOptions::intermediate(), now())
        .unwrap();
    let dir = Dir::new();
    dir.write("root.pem", root.certificate().pem());
    dir.write("inter.pem", inter.certificate().pem());
    Pki { dir, root, inter }
}

fn verify(p: &Pki, purpose: &str, leaf: &Certificate) -> std::process::Output {
    let leaf = p.dir.write("leaf.pem", leaf.pem());
    let (root, inter) = (
        p.dir.path().join("root.pem"),
        p.dir.path().join("inter.pem"),
    );
    run(
        "openssl",
        &[
            &"verify",
            &"-x509_strict",
            &"-purpose",
            &purpose,
            &"-CAfile",
            &root,
            &"-untrusted",
            &inter,
            &leaf,
        ],
    )
}

/// `openssl verify` of `leaf` as a TLS server certificate, trusting only `ca_file`.
fn verify_sslserver(ca_file: &std::path::Path, leaf: &std::path::Path) -> std::process::Output {
    run(
        "openssl",
        &[
            &"verify",
            &"-x509_strict",
            &"-purpose",
            &"sslserver",
            &"-CAfile",
            &ca_file,
            &leaf,
        ],
    )
}

fn x509_text(cert: &Certificate) -> String {
    let dir = Dir::new();
    let path = dir.write("c.pem", cert.pem());
    let out = run("openssl", &[&"x509", &"-noout", &"-text", &"-in", &path]);
    assert!(out.status.success(), "{}", text(&out));
    text(&out)
}

#[test]
fn root_intermediate_and_server_leaf_verify_as_sslserver() {
    let p = pki(&CaOptions::default());
    for alg in KeyAlgorithm::GENERATABLE {
        let opts = LeafOptions::new(["localhost", "127.0.0.1", "::1"]).key(alg);
        let leaf = p.inter.issue(&opts, now()).unwrap();
        let out = verify(&p, "sslserver", &leaf.certificate);
        assert!(out.status.success(), "{alg}: {}", text(&out));
        assert!(text(&out).contains(": OK"), "{}", text(&out));
    }
}

#[test]
fn client_leaf_verifies_as_sslclient_but_not_as_sslserver() {
    let p = pki(&CaOptions::default());
    let opts = LeafOptions::new(["alice@example.test"]).usage(Usage::Client);
    let leaf = p.inter.issue(&opts, now()).unwrap();
    let out = verify(&p, "sslclient", &leaf.certificate);
    assert!(out.status.success(), "{}", text(&out));
    let out = verify(&p, "sslserver", &leaf.certificate);
    assert!(
        !out.status.success(),
        "a client cert must not pass as a server cert"
    );
}

#[test]
fn a_leaf_outside_the_name_constraints_fails_openssl_verify() {
    let opts = CaOptions {
        name_constraints: vec!["example.test".into()],
        ..CaOptions::default()
    };
    let p = pki(&opts);
    let inside = p
        .inter
        .issue(&LeafOptions::new(["api.example.test"]), now())
        .unwrap();
    let out = verify(&p, "sslserver", &inside.certificate);
    assert!(out.status.success(), "{}", text(&out));

    // The core refuses to issue outside the constraints, so mint the rogue leaf with rcgen directly,
    // as someone holding a leaked CA key would.
    let rogue_key = rcgen::KeyPair::generate().unwrap();
    let mut params = rcgen::CertificateParams::new(vec!["bank.test".to_string()]).unwrap();
    params.extended_key_usages = vec![rcgen::ExtendedKeyUsagePurpose::ServerAuth];
    params.not_before = rcgen::date_time_ymd(2025, 1, 1);
    params.not_after = rcgen::date_time_ymd(2027, 1, 1);
    let ca_key = rcgen::KeyPair::from_pem(&p.inter.key().private_key_pem()).unwrap();
    let issuer = rcgen::Issuer::from_ca_cert_pem(&p.inter.certificate().pem(), &ca_key).unwrap();
    let rogue = params.signed_by(&rogue_key, &issuer).unwrap();
    let rogue = Certificate::from_der(rogue.der().clone()).unwrap();
    let out = verify(&p, "sslserver", &rogue);
    assert!(!out.status.success(), "rogue leaf verified: {}", text(&out));
    assert!(
        text(&out).contains("name constraint") || text(&out).contains("subtree violation"),
        "{}",
        text(&out)
    );
}

#[test]
fn openssl_text_shows_the_ca_extensions() {
    let p = pki(&CaOptions {
        name_constraints: vec!["example.test".into(), "127.0.0.0/8".into()],
        ..CaOptions::default()
    });
    let t = x509_text(p.root.certificate());
    assert!(t.contains("X509v3 Basic Constraints: critical"), "{t}");
    assert!(t.contains("CA:TRUE, pathlen:1"), "{t}");
    assert!(t.contains("X509v3 Key Usage: critical"), "{t}");
    assert!(
        t.contains("Digital Signature, Certificate Sign, CRL Sign"),
        "{t}"
    );
    assert!(t.contains("X509v3 Subject Key Identifier"), "{t}");
    assert!(t.contains("X509v3 Name Constraints: critical"), "{t}");
    assert!(t.contains("DNS:example.test"), "{t}");
    assert!(t.contains("IP:127.0.0.0/255.0.0.0"), "{t}");
    let t = x509_text(p.inter.certificate());
    assert!(t.contains("CA:TRUE, pathlen:0"), "{t}");
    assert!(t.contains("X509v3 Authority Key Identifier"), "{t}");
}

#[test]
fn openssl_text_shows_leaf_extensions_and_no_key_encipherment_on_ec_or_ed25519() {
    let p = pki(&CaOptions::default());
    for alg in KeyAlgorithm::GENERATABLE {
        let opts = LeafOptions::new(["localhost", "127.0.0.1", "::1"]).key(alg);
        let leaf = p.inter.issue(&opts, now()).unwrap();
        let t = x509_text(&leaf.certificate);
        assert!(t.contains("X509v3 Basic Constraints: critical"), "{t}");
        assert!(t.contains("CA:FALSE"), "{t}");
        assert!(t.contains("X509v3 Key Usage: critical"), "{t}");
        assert!(t.contains("Digital Signature"), "{t}");
        assert!(!t.contains("Key Encipherment"), "{alg}: {t}");
        assert!(t.contains("TLS Web Server Authentication"), "{t}");
        assert!(t.contains("X509v3 Subject Key Identifier"), "{t}");
        assert!(t.contains("X509v3 Authority Key Identifier"), "{t}");
        assert!(
            t.contains("DNS:localhost, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1"),
            "{t}"
        );
    }
}

#[test]
fn two_certificates_for_the_same_key_have_different_serials() {
    let ca = Ca::new_root(&CaOptions::default(), now()).unwrap();
    let key_pem = KeyPair::generate(KeyAlgorithm::P256)
        .unwrap()
        .private_key_pem();
    let opts = LeafOptions::new(["a.test"]);
    let serial = |cert: &Certificate| {
        let dir = Dir::new();
        let path = dir.write("c.pem", cert.pem());
        text(&run(
            "openssl",
            &[&"x509", &"-noout", &"-serial", &"-in", &path],
        ))
    };
    let a = ca
        .issue_for_key(&opts, KeyPair::from_pem(&key_pem).unwrap(), now())
        .unwrap();
    let b = ca
        .issue_for_key(&opts, KeyPair::from_pem(&key_pem).unwrap(), now())
        .unwrap();
    assert_eq!(a.key.public_key_der(), b.key.public_key_der());
    assert_ne!(serial(&a.certificate), serial(&b.certificate));
}

#[test]
fn self_signed_leaf_verifies_against_itself_and_is_not_a_ca() {
    let issued = self_signed(&LeafOptions::new(["localhost", "127.0.0.1"]), now()).unwrap();
    let dir = Dir::new();
    let cert = dir.write("server.crt", issued.certificate.pem());
    let out = verify_sslserver(&cert, &cert);
    assert!(out.status.success(), "{}", text(&out));
    let t = x509_text(&issued.certificate);
    assert!(t.contains("CA:FALSE"), "{t}");
}

#[test]
fn the_seeds_python_server_pattern_loads_our_files_unchanged() {
    let issued = self_signed(&LeafOptions::new(["localhost"]), now()).unwrap();
    let dir = Dir::new();
    dir.write("server.crt", issued.certificate.pem());
    dir.write("server.key", issued.key.private_key_pem());
    let script = "import ssl\n\
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)\n\
        ctx.check_hostname = False\n\
        ctx.load_cert_chain(certfile='server.crt', keyfile='server.key')\n\
        print('loaded')\n";
    let out = std::process::Command::new("python3")
        .args(["-c", script])
        .current_dir(dir.path())
        .output()
        .expect("python3");
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("loaded"));
}

#[test]
fn openssl_reads_our_private_keys_and_they_match_the_certificates() {
    let ca = Ca::new_root(&CaOptions::default(), now()).unwrap();
    for alg in KeyAlgorithm::GENERATABLE {
        let leaf = ca
            .issue(&LeafOptions::new(["a.test"]).key(alg), now())
            .unwrap();
        let dir = Dir::new();
        let key = dir.write("k.pem", leaf.key.private_key_pem());
        let cert = dir.write("c.pem", leaf.certificate.pem());
        let from_key = run("openssl", &[&"pkey", &"-in", &key, &"-pubout"]);
        let from_cert = run("openssl", &[&"x509", &"-in", &cert, &"-noout", &"-pubkey"]);
        assert!(from_key.status.success(), "{alg}: {}", text(&from_key));
        assert_eq!(from_key.stdout, from_cert.stdout, "{alg}");
    }
}

/// The parts of `openssl x509 -text` that two issuances for the same keys share: all but the
/// serial and the signature.
fn x509_text_but_serial_and_signature(cert: &Certificate) -> String {
    let dir = Dir::new();
    let path = dir.write("c.pem", cert.pem());
    let out = run(
        "openssl",
        &[
            &"x509",
            &"-noout",
            &"-text",
            &"-certopt",
            &"no_serial,no_sigdump",
            &"-in",
            &path,
        ],
    );
    assert!(out.status.success(), "{}", text(&out));
    text(&out)
}

#[test]
fn rsa_leaves_of_each_size_verify_as_sslserver_with_key_encipherment_and_readable_keys() {
    let p = pki(&CaOptions::default());
    for alg in KeyAlgorithm::RSA {
        let opts = LeafOptions::new(["localhost", "127.0.0.1"]).key(alg);
        let leaf = p.inter.issue(&opts, now()).unwrap();
        let out = verify(&p, "sslserver", &leaf.certificate);
        assert!(out.status.success(), "{alg}: {}", text(&out));
        let t = x509_text(&leaf.certificate);
        let bits = alg.rsa_bits().unwrap();
        assert!(
            t.contains(&format!("Public-Key: ({bits} bit)")),
            "{alg}: {t}"
        );
        assert!(
            t.contains("Digital Signature, Key Encipherment"),
            "{alg}: {t}"
        );
        let dir = Dir::new();
        let key = dir.write("k.pem", leaf.key.private_key_pem());
        let cert = dir.write("c.pem", leaf.certificate.pem());
        let check = run("openssl", &[&"pkey", &"-in", &key, &"-check", &"-noout"]);
        assert!(check.status.success(), "{alg}: {}", text(&check));
        let from_key = run("openssl", &[&"pkey", &"-in", &key, &"-pubout"]);
        let from_cert = run("openssl", &[&"x509", &"-in", &cert, &"-noout", &"-pubkey"]);
        assert_eq!(from_key.stdout, from_cert.stdout, "{alg}");
    }
}

#[test]
fn an_rsa_root_and_intermediate_sign_chains_openssl_verifies() {
    let rsa = |opts: CaOptions| CaOptions {
        key: KeyAlgorithm::Rsa2048,
        ..opts
    };
    let root = Ca::new_root(&rsa(CaOptions::default()), now()).unwrap();
    let inter = root
        .new_intermediate(&rsa(CaOptions::intermediate()), now())
        .unwrap();
    let dir = Dir::new();
    dir.write("root.pem", root.certificate().pem());
    dir.write("inter.pem", inter.certificate().pem());
    let p = Pki { dir, root, inter };
    for alg in [KeyAlgorithm::P256, KeyAlgorithm::Rsa2048] {
        let leaf = p
            .inter
            .issue(&LeafOptions::new(["localhost"]).key(alg), now())
            .unwrap();
        let out = verify(&p, "sslserver", &leaf.certificate);
        assert!(out.status.success(), "{alg}: {}", text(&out));
        let t = x509_text(&leaf.certificate);
        assert!(t.contains("sha256WithRSAEncryption"), "{t}");
        assert_eq!(t.contains("Key Encipherment"), alg.is_rsa(), "{alg}: {t}");
    }
    let t = x509_text(p.root.certificate());
    assert!(!t.contains("Key Encipherment"), "not on a CA: {t}");
}

/// Signs as WebCrypto's `crypto.subtle.sign` would (raw r||s for ECDSA), with ring.
fn sign_outside(key: &KeyPair, msg: &[u8]) -> Vec<u8> {
    use ring::signature::{self, EcdsaKeyPair, Ed25519KeyPair, RsaKeyPair};
    let PrivateKeyDer::Pkcs8(der) = key.private_key_der() else {
        panic!("PKCS#8 expected")
    };
    let der = der.secret_pkcs8_der();
    let rng = ring::rand::SystemRandom::new();
    let ecdsa = |alg| {
        let pair = EcdsaKeyPair::from_pkcs8(alg, der, &rng).unwrap();
        pair.sign(&rng, msg).unwrap().as_ref().to_vec()
    };
    match key.algorithm() {
        KeyAlgorithm::P256 => ecdsa(&signature::ECDSA_P256_SHA256_FIXED_SIGNING),
        KeyAlgorithm::P384 => ecdsa(&signature::ECDSA_P384_SHA384_FIXED_SIGNING),
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

#[test]
fn certificates_signed_outside_verify_and_decode_like_native_ones_but_for_serial_and_signature() {
    let keys: Vec<KeyPair> = KeyAlgorithm::GENERATABLE
        .into_iter()
        .chain([KeyAlgorithm::Rsa2048])
        .map(|alg| KeyPair::generate(alg).unwrap())
        .collect();
    let same = |k: &KeyPair| KeyPair::from_pem(&k.private_key_pem()).unwrap();
    let opts = LeafOptions::new(["localhost", "127.0.0.1", "::1"]);
    for ca_key in &keys {
        let unsigned =
            ExternalCa::prepare_root(&CaOptions::default(), ca_key.public_key(), now()).unwrap();
        // Leaves prepared by the CA before its own signature is in, as the page does.
        let early: Vec<_> = keys
            .iter()
            .map(|k| {
                unsigned
                    .prepare_issue(&opts, k.public_key(), now())
                    .unwrap()
            })
            .collect();
        let signature = sign_outside(ca_key, unsigned.tbs());
        let external = unsigned.finish(&signature).unwrap();
        let root = external.certificate().clone();
        let local = Ca::from_parts(root.clone(), same(ca_key), Vec::new()).unwrap();
        let dir = Dir::new();
        let root_path = dir.write("root.pem", root.pem());
        for (leaf_key, early) in keys.iter().zip(early) {
            let late = external
                .prepare_issue(&opts, leaf_key.public_key(), now())
                .unwrap();
            let native = local.issue_for_key(&opts, same(leaf_key), now()).unwrap();
            for (when, unsigned) in [("after", late), ("before", early)] {
                let context = format!(
                    "CA {} leaf {} prepared {when} the CA's signature",
                    ca_key.algorithm(),
                    leaf_key.algorithm()
                );
                let signature = sign_outside(ca_key, unsigned.tbs());
                let outside = unsigned.finish(&signature).unwrap();
                let leaf_path = dir.write("leaf.pem", outside.pem());
                let out = verify_sslserver(&root_path, &leaf_path);
                assert!(out.status.success(), "{context}: {}", text(&out));
                assert_eq!(
                    x509_text_but_serial_and_signature(&outside),
                    x509_text_but_serial_and_signature(&native.certificate),
                    "{context}"
                );
            }
        }
    }
    for key in &keys {
        let opts = LeafOptions::new(["localhost"]);
        let unsigned = prepare_self_signed(&opts, key.public_key(), now()).unwrap();
        let signature = sign_outside(key, unsigned.tbs());
        let outside = unsigned.finish(&signature).unwrap();
        let dir = Dir::new();
        let cert = dir.write("c.pem", outside.pem());
        let out = run(
            "openssl",
            &[&"verify", &"-x509_strict", &"-CAfile", &cert, &cert],
        );
        assert!(out.status.success(), "{}: {}", key.algorithm(), text(&out));
        let native = self_signed_with_key(&opts, same(key), now()).unwrap();
        assert_eq!(
            x509_text_but_serial_and_signature(&outside),
            x509_text_but_serial_and_signature(&native.certificate),
            "{}",
            key.algorithm()
        );
    }
}
