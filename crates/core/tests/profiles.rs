//! Profiles: each kind of certificate carries exactly the extensions its job needs.

mod common;

use common::{info, now, root};
use selfsign_core::{
    self_signed, self_signed_with_key, CaOptions, Error, KeyAlgorithm, KeyPair, LeafOptions, Usage,
};

#[test]
fn root_ca_is_a_critical_ca_with_signing_usages_and_a_key_id() {
    let ca = root();
    let i = info(ca.certificate());
    assert!(i.is_ca);
    assert_eq!(i.path_len, Some(1));
    assert_eq!(i.key_usage, ["digitalSignature", "keyCertSign", "cRLSign"]);
    assert!(i.extended_key_usage.is_empty());
    assert!(i.subject_key_id.is_some());
    assert!(i.self_signed);
    assert_eq!(i.issuer, i.subject);
}

#[test]
fn root_path_length_is_settable_or_unlimited() {
    let opts = CaOptions {
        path_len: None,
        ..CaOptions::default()
    };
    let ca = selfsign_core::Ca::new_root(&opts, now()).unwrap();
    assert_eq!(info(ca.certificate()).path_len, None);
    assert!(info(ca.certificate()).is_ca);
}

#[test]
fn intermediate_is_signed_by_its_root_and_limited_to_leaves() {
    let ca = root();
    let inter = ca
        .new_intermediate(&CaOptions::intermediate(), now())
        .unwrap();
    let i = info(inter.certificate());
    let r = info(ca.certificate());
    assert!(i.is_ca);
    assert_eq!(i.path_len, Some(0));
    assert_eq!(i.issuer, r.subject);
    assert_eq!(i.authority_key_id, r.subject_key_id);
    assert!(!i.self_signed);
    let err = inter
        .new_intermediate(&CaOptions::intermediate(), now())
        .unwrap_err();
    assert_eq!(err, Error::PathLenExceeded);
}

#[test]
fn server_leaf_has_san_serverauth_digital_signature_and_both_key_ids() {
    let ca = root();
    let leaf = ca
        .issue(&LeafOptions::new(["localhost", "127.0.0.1", "::1"]), now())
        .unwrap();
    let i = info(&leaf.certificate);
    assert!(!i.is_ca);
    assert_eq!(i.common_name.as_deref(), Some("localhost"));
    assert_eq!(
        i.subject_alt_names,
        ["DNS:localhost", "IP:127.0.0.1", "IP:::1"]
    );
    assert_eq!(i.key_usage, ["digitalSignature"]);
    assert_eq!(i.extended_key_usage, ["serverAuth"]);
    assert!(i.subject_key_id.is_some());
    assert_eq!(i.authority_key_id, info(ca.certificate()).subject_key_id);
    assert_eq!(leaf.chain.len(), 1);
}

#[test]
fn client_and_dual_use_leaves_get_the_matching_eku() {
    let ca = root();
    let client = ca
        .issue(
            &LeafOptions::new(["alice@example.test"]).usage(Usage::Client),
            now(),
        )
        .unwrap();
    assert_eq!(info(&client.certificate).extended_key_usage, ["clientAuth"]);
    let both = ca
        .issue(&LeafOptions::new(["svc.test"]).usage(Usage::Both), now())
        .unwrap();
    assert_eq!(
        info(&both.certificate).extended_key_usage,
        ["serverAuth", "clientAuth"]
    );
}

#[test]
fn no_key_encipherment_for_ec_or_ed25519_but_yes_for_rsa() {
    let ca = root();
    for alg in KeyAlgorithm::GENERATABLE {
        let leaf = ca
            .issue(&LeafOptions::new(["a.test"]).key(alg), now())
            .unwrap();
        assert_eq!(
            info(&leaf.certificate).key_usage,
            ["digitalSignature"],
            "{alg}"
        );
    }
    let rsa = KeyPair::from_pem(include_str!("fixtures/rsa2048-pkcs8.pem")).unwrap();
    let leaf = ca
        .issue_for_key(&LeafOptions::new(["a.test"]), rsa, now())
        .unwrap();
    let i = info(&leaf.certificate);
    assert_eq!(i.key_usage, ["digitalSignature", "keyEncipherment"]);
    assert_eq!((i.key_algorithm.as_str(), i.key_bits), ("RSA", 2048));
}

#[test]
fn generated_rsa_leaves_get_key_encipherment_and_rsa_cas_keep_the_ca_usages() {
    let rsa_root = selfsign_core::Ca::new_root(
        &CaOptions {
            key: KeyAlgorithm::Rsa2048,
            ..CaOptions::default()
        },
        now(),
    )
    .unwrap();
    let r = info(rsa_root.certificate());
    assert_eq!(r.key_usage, ["digitalSignature", "keyCertSign", "cRLSign"]);
    assert_eq!((r.key_algorithm.as_str(), r.key_bits), ("RSA", 2048));
    assert_eq!(r.signature_algorithm, "sha256WithRSAEncryption");
    assert!(r.self_signed);
    let rsa_leaf = root()
        .issue(
            &LeafOptions::new(["a.test"]).key(KeyAlgorithm::Rsa2048),
            now(),
        )
        .unwrap();
    assert_eq!(rsa_leaf.key.algorithm(), KeyAlgorithm::Rsa2048);
    let i = info(&rsa_leaf.certificate);
    assert_eq!(i.key_usage, ["digitalSignature", "keyEncipherment"]);
    assert_eq!(
        i.signature_algorithm, "ecdsa-with-SHA256",
        "signed by the P-256 root"
    );
    let ec_leaf = rsa_root
        .issue(&LeafOptions::new(["a.test"]), now())
        .unwrap();
    let i = info(&ec_leaf.certificate);
    assert_eq!(i.key_usage, ["digitalSignature"]);
    assert_eq!(i.signature_algorithm, "sha256WithRSAEncryption");
    assert_eq!(i.authority_key_id, r.subject_key_id);
}

#[test]
fn self_signed_leaf_is_not_a_ca_and_has_san_and_serverauth() {
    let issued = self_signed(&LeafOptions::new(["localhost", "127.0.0.1"]), now()).unwrap();
    let i = info(&issued.certificate);
    assert!(!i.is_ca);
    assert!(i.self_signed);
    assert_eq!(i.subject_alt_names, ["DNS:localhost", "IP:127.0.0.1"]);
    assert_eq!(i.extended_key_usage, ["serverAuth"]);
    assert!(issued.chain.is_empty());
}

#[test]
fn serials_are_random_positive_16_bytes_even_for_the_same_key() {
    let key = include_str!("fixtures/ec-p256-sec1.pem");
    let opts = LeafOptions::new(["localhost"]);
    let a = self_signed_with_key(&opts, KeyPair::from_pem(key).unwrap(), now()).unwrap();
    let b = self_signed_with_key(&opts, KeyPair::from_pem(key).unwrap(), now()).unwrap();
    let (sa, sb) = (info(&a.certificate).serial, info(&b.certificate).serial);
    assert_ne!(sa, sb);
    for serial in [sa, sb] {
        let bytes: Vec<u8> = serial
            .split(':')
            .map(|h| u8::from_str_radix(h, 16).unwrap())
            .collect();
        assert_eq!(bytes.len(), 16, "{serial}");
        assert!(
            bytes[0] > 0 && bytes[0] < 0x80,
            "positive and minimal: {serial}"
        );
    }
}

#[test]
fn name_constrained_ca_carries_permitted_subtrees_and_shuts_out_other_types() {
    let opts = CaOptions {
        name_constraints: vec!["example.test".into()],
        ..CaOptions::default()
    };
    let ca = selfsign_core::Ca::new_root(&opts, now()).unwrap();
    let i = info(ca.certificate());
    assert_eq!(
        i.permitted_names,
        [
            "DNS:example.test",
            "email:example.test",
            "email:.example.test",
            "URI:example.test",
            "URI:.example.test"
        ]
    );
    assert_eq!(i.excluded_names, ["IP:0.0.0.0/0", "IP:::/0"]);
    assert!(ca
        .issue(&LeafOptions::new(["api.example.test"]), now())
        .is_ok());
    let err = ca
        .issue(&LeafOptions::new(["evil.test"]), now())
        .unwrap_err();
    assert!(matches!(err, Error::OutsideNameConstraints { .. }), "{err}");
    assert!(err.to_string().contains("DNS:example.test"), "{err}");
    let err = ca
        .issue(&LeafOptions::new(["127.0.0.1"]), now())
        .unwrap_err();
    assert!(matches!(err, Error::OutsideNameConstraints { .. }), "{err}");
}

#[test]
fn ip_range_constraints_permit_addresses_inside_only() {
    let opts = CaOptions {
        name_constraints: vec!["localhost".into(), "127.0.0.0/8".into(), "::1".into()],
        ..CaOptions::default()
    };
    let ca = selfsign_core::Ca::new_root(&opts, now()).unwrap();
    assert!(ca
        .issue(&LeafOptions::new(["localhost", "127.0.0.2", "::1"]), now())
        .is_ok());
    assert!(ca.issue(&LeafOptions::new(["10.0.0.1"]), now()).is_err());
    assert!(ca.issue(&LeafOptions::new(["::2"]), now()).is_err());
}

#[test]
fn bad_constraint_entries_are_named() {
    let opts = CaOptions {
        name_constraints: vec!["10.0.0.0/33".into()],
        ..CaOptions::default()
    };
    let err = selfsign_core::Ca::new_root(&opts, now()).unwrap_err();
    assert!(err.to_string().contains("10.0.0.0/33"), "{err}");
}

#[test]
fn usage_names_parse_and_unknown_ones_list_the_choices() {
    assert_eq!("Client".parse::<Usage>().unwrap(), Usage::Client);
    assert_eq!("both".parse::<Usage>().unwrap(), Usage::Both);
    let err = "mail".parse::<Usage>().unwrap_err();
    assert!(err.to_string().contains("server, client or both"), "{err}");
}

#[test]
fn an_intermediate_inherits_its_roots_name_constraints_and_path_length() {
    let opts = CaOptions {
        name_constraints: vec!["example.test".into()],
        path_len: Some(2),
        ..CaOptions::default()
    };
    let root = selfsign_core::Ca::new_root(&opts, now()).unwrap();
    let inter = root
        .new_intermediate(&CaOptions::intermediate(), now())
        .unwrap();
    let err = inter
        .issue(&LeafOptions::new(["evil.test"]), now())
        .unwrap_err();
    assert!(matches!(err, Error::OutsideNameConstraints { .. }), "{err}");
    assert!(inter
        .issue(&LeafOptions::new(["a.example.test"]), now())
        .is_ok());
    let loaded =
        selfsign_core::Ca::from_pem(&inter.chain_pem(), &inter.key().private_key_pem()).unwrap();
    assert!(loaded
        .issue(&LeafOptions::new(["evil.test"]), now())
        .is_err());
    assert_eq!(info(inter.certificate()).path_len, Some(0));
}

fn constrained(entries: &[&str]) -> selfsign_core::Ca {
    let opts = CaOptions {
        name_constraints: entries.iter().map(|e| e.to_string()).collect(),
        ..CaOptions::default()
    };
    selfsign_core::Ca::new_root(&opts, now()).unwrap()
}

fn refused(ca: &selfsign_core::Ca, name: &str) -> bool {
    match ca.issue(&LeafOptions::new([name]), now()) {
        Err(Error::OutsideNameConstraints { .. }) => true,
        Err(other) => panic!("{name}: unexpected error {other}"),
        Ok(_) => false,
    }
}

#[test]
fn a_domain_constrained_ca_refuses_emails_and_uris_outside_its_domain() {
    let ca = constrained(&["example.test"]);
    for outside in [
        "mallory@evil.test",
        "me@example.test.evil.test",
        "https://google.com/",
        "https://example.test.evil.test/",
        "https://10.0.0.1/",
        "https://[::1]/",
        "spiffe://evil.test/svc",
        "https://user@evil.test:443/",
    ] {
        assert!(refused(&ca, outside), "{outside} was issued");
    }
    for inside in [
        "me@example.test",
        "me@mail.example.test",
        "https://example.test/",
        "https://api.example.test:8443/x?y#z",
        "spiffe://example.test/svc",
    ] {
        assert!(!refused(&ca, inside), "{inside} was refused");
    }
}

#[test]
fn a_subdomain_only_constraint_refuses_the_domain_itself_for_every_name_type() {
    let ca = constrained(&[".example.test"]);
    for outside in ["example.test", "me@example.test", "https://example.test/"] {
        assert!(refused(&ca, outside), "{outside} was issued");
    }
    for inside in [
        "a.example.test",
        "me@a.example.test",
        "https://a.example.test/",
    ] {
        assert!(!refused(&ca, inside), "{inside} was refused");
    }
}

#[test]
fn an_ip_only_ca_refuses_dns_names_emails_and_uris() {
    let ca = constrained(&["10.0.0.0/8"]);
    let i = info(ca.certificate());
    assert_eq!(i.excluded_names, ["DNS:(all names)"]);
    assert_eq!(
        i.permitted_names,
        ["IP:10.0.0.0/8", "email:.none.invalid", "URI:.none.invalid"]
    );
    for outside in [
        "a.test",
        "me@a.test",
        "https://a.test/",
        "https://10.0.0.1/",
        "a@b.none.invalid",
        "https://x.none.invalid/",
        "11.0.0.1",
    ] {
        assert!(refused(&ca, outside), "{outside} was issued");
    }
    assert!(!refused(&ca, "10.1.2.3"));
    let err = ca
        .issue(&LeafOptions::new(["a@b.test"]), now())
        .unwrap_err();
    assert!(
        !err.to_string().contains("invalid"),
        "the internal .invalid subtree is not offered: {err}"
    );
}

#[test]
fn an_empty_constraint_entry_is_refused_rather_than_ignored() {
    for entries in [vec![""], vec!["example.test", " "]] {
        let opts = CaOptions {
            name_constraints: entries.iter().map(|e| e.to_string()).collect(),
            ..CaOptions::default()
        };
        let err = selfsign_core::Ca::new_root(&opts, now()).unwrap_err();
        assert!(err.to_string().contains("empty entry"), "{err}");
    }
}

#[test]
fn an_ip_range_with_host_bits_is_refused_naming_the_network() {
    for (entry, network) in [("10.0.0.1/8", "10.0.0.0/8"), ("fd00::1/64", "fd00::/64")] {
        let opts = CaOptions {
            name_constraints: vec![entry.into()],
            ..CaOptions::default()
        };
        let err = selfsign_core::Ca::new_root(&opts, now()).unwrap_err();
        assert!(matches!(err, Error::ConstraintHostBits { .. }), "{err}");
        assert!(err.to_string().contains(network), "{err}");
    }
    assert!(selfsign_core::Ca::new_root(
        &CaOptions {
            name_constraints: vec!["10.0.0.0/8".into(), "192.168.1.7/32".into()],
            ..CaOptions::default()
        },
        now()
    )
    .is_ok());
}

#[test]
fn a_self_signed_leaf_names_itself_as_its_authority() {
    for options in [
        LeafOptions::new(["localhost"]),
        LeafOptions::new(["localhost"]).usage(Usage::Client),
        LeafOptions::new(["localhost"])
            .key(KeyAlgorithm::Ed25519)
            .days(14),
    ] {
        let leaf = self_signed(&options, now()).unwrap();
        let i = info(&leaf.certificate);
        assert!(i.authority_key_id.is_some(), "{i:?}");
        assert_eq!(i.authority_key_id, i.subject_key_id);
        assert!(i.self_signed);
    }
}

#[test]
fn subject_names_longer_than_x520_allows_are_refused() {
    for (common_name, organization, field) in [
        ("c".repeat(65), String::new(), "common name"),
        ("é".repeat(65), String::new(), "common name"),
        ("ok".into(), "o".repeat(65), "organisation"),
    ] {
        let opts = CaOptions {
            common_name,
            organization,
            unique_name: false,
            ..CaOptions::default()
        };
        let err = selfsign_core::Ca::new_root(&opts, now()).unwrap_err();
        assert!(matches!(err, Error::SubjectTooLong { .. }), "{err}");
        assert!(
            err.to_string().contains(field) && err.to_string().contains("64"),
            "{err}"
        );
    }
    let opts = CaOptions {
        common_name: "c".repeat(64),
        unique_name: false,
        ..CaOptions::default()
    };
    assert!(selfsign_core::Ca::new_root(&opts, now()).is_ok());
    let opts = CaOptions {
        common_name: "c".repeat(65),
        ..CaOptions::default()
    };
    let err = selfsign_core::Ca::new_root(&opts, now()).unwrap_err();
    assert!(
        matches!(err, Error::SubjectTooLong { .. }),
        "a unique name is not made by cutting what the user typed: {err}"
    );
}

#[test]
fn two_cas_made_in_a_row_have_different_subjects() {
    let (a, b) = (root(), root());
    let (a, b) = (info(a.certificate()), info(b.certificate()));
    assert_ne!(a.subject, b.subject);
    let cn = a.common_name.unwrap();
    assert!(
        cn.starts_with("selfsign development CA 2026-01-01 "),
        "{cn}"
    );
    let intermediate = root()
        .new_intermediate(&CaOptions::intermediate(), now())
        .unwrap();
    let cn = info(intermediate.certificate()).common_name.unwrap();
    assert!(
        cn.starts_with("selfsign development intermediate CA 2026-01-01 "),
        "{cn}"
    );
}

#[test]
fn a_unique_ca_name_keeps_the_owner_when_it_fits_and_drops_it_when_not() {
    let name = selfsign_core::unique_ca_name("selfsign development CA dev@box", now()).unwrap();
    assert!(
        name.starts_with("selfsign development CA dev@box 2026-01-01 "),
        "{name}"
    );
    assert_eq!(
        name.len(),
        "selfsign development CA dev@box 2026-01-01 ".len() + 6
    );
    let long = format!(
        "selfsign development CA {}@{}",
        "u".repeat(20),
        "h".repeat(30)
    );
    let name = selfsign_core::unique_ca_name(&long, now()).unwrap();
    assert!(
        name.starts_with("selfsign development CA 2026-01-01 "),
        "{name}"
    );
    assert!(name.chars().count() <= 64);
    let name = selfsign_core::unique_ca_name(&"x".repeat(100), now()).unwrap();
    assert_eq!(name.chars().count(), 64, "{name}");
}
