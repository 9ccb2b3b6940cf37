//! Arbitrary input never panics: inspect, name parsing, key, CSR and CA loading return errors.

use proptest::prelude::*;
use selfsign_core::{inspect, Ca, Csr, KeyPair, Name, UnixTime};

fn now() -> UnixTime {
    UnixTime::since_unix_epoch(std::time::Duration::from_secs(1_767_225_600))
}

fn a_certificate() -> Vec<u8> {
    let ca = Ca::new_root(&Default::default(), now()).unwrap();
    ca.certificate().der().to_vec()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn inspect_never_panics_on_random_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..2048)) {
        let _ = inspect(&bytes, now());
        let _ = KeyPair::from_der(&bytes);
        let _ = Csr::parse(&bytes);
    }

    #[test]
    fn inspect_never_panics_on_mutated_certificates(flips in proptest::collection::vec((0usize..4096, any::<u8>()), 1..8), cut in 0usize..4096) {
        let mut der = a_certificate();
        for (pos, byte) in flips {
            let len = der.len();
            der[pos % len] = byte;
        }
        der.truncate(cut.max(1));
        let _ = inspect(&der, now());
    }

    #[test]
    fn pem_like_text_never_panics(body in "[A-Za-z0-9+/=\\n-]{0,600}") {
        let text = format!("-----BEGIN CERTIFICATE-----\n{body}\n-----END CERTIFICATE-----\n");
        let _ = inspect(text.as_bytes(), now());
        let _ = Ca::from_pem(&text, &text);
        let _ = KeyPair::from_pem(&text.replace("CERTIFICATE", "PRIVATE KEY"));
    }

    #[test]
    fn name_parsing_never_panics(s in "\\PC{0,80}") {
        let _ = Name::parse(&s);
    }

    #[test]
    fn name_parsing_of_hostish_strings_never_panics(s in "[a-z0-9.*:@\\[\\]/_ -]{0,64}") {
        if let Ok(name) = Name::parse(&s) {
            // Whatever parses must also be issuable.
            let opts = selfsign_core::LeafOptions::new([name.value()]);
            let issued = selfsign_core::self_signed(&opts, now());
            prop_assert!(issued.is_ok(), "{s:?} parsed as {name:?} but failed: {issued:?}");
        }
    }
}
