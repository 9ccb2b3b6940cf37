//! The operations both benchmark targets time: each once through selfsign-core and once as raw
//! rcgen (or x509-parser, for inspect) doing the same work: same extensions, a random 16-byte
//! serial, validity from a fixed `now`, the key exported as PKCS#8.

use std::hint::black_box;
use std::time::Duration;

use rcgen::{
    BasicConstraints, CertificateParams, CertificateSigningRequestParams, DistinguishedName,
    DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyUsagePurpose, SanType, SignatureAlgorithm,
};
use ring::digest::{digest, SHA256};
use ring::rand::{SecureRandom, SystemRandom};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, UnixTime};
use selfsign_core::{
    inspect, self_signed, Ca, CaOptions, Csr, CsrOptions, KeyAlgorithm, KeyPair, LeafOptions,
};
use time::OffsetDateTime;

/// A fixed `now` (2026-09-21) so every run issues the same shapes of certificate.
const NOW_SECS: u64 = 1_790_000_000;
const LEAF_DAYS: u64 = 397;
const CA_DAYS: u64 = 3_650;
const ALGORITHMS: [KeyAlgorithm; 3] = [
    KeyAlgorithm::P256,
    KeyAlgorithm::P384,
    KeyAlgorithm::Ed25519,
];

/// One operation: ours and the peer's closure, each doing one complete unit of work.
pub struct Op {
    /// Criterion group, e.g. `self_signed`.
    pub group: &'static str,
    /// Key algorithm, e.g. `p256` (criterion's parameter).
    pub alg: String,
    /// Name of the peer implementation (`rcgen` or `x509-parser`).
    pub peer_name: &'static str,
    /// selfsign-core doing the work.
    pub ours: Box<dyn FnMut()>,
    /// The peer doing the same work.
    pub peer: Box<dyn FnMut()>,
}

impl Op {
    fn new(
        group: &'static str,
        alg: impl ToString,
        peer_name: &'static str,
        ours: impl FnMut() + 'static,
        peer: impl FnMut() + 'static,
    ) -> Op {
        Op {
            group,
            alg: alg.to_string(),
            peer_name,
            ours: Box::new(ours),
            peer: Box::new(peer),
        }
    }
}

fn now() -> UnixTime {
    UnixTime::since_unix_epoch(Duration::from_secs(NOW_SECS))
}

fn rcgen_alg(alg: KeyAlgorithm) -> &'static SignatureAlgorithm {
    match alg {
        KeyAlgorithm::P256 => &rcgen::PKCS_ECDSA_P256_SHA256,
        KeyAlgorithm::P384 => &rcgen::PKCS_ECDSA_P384_SHA384,
        KeyAlgorithm::Ed25519 => &rcgen::PKCS_ED25519,
        other => panic!("no rcgen peer benchmarked for {other}"),
    }
}

fn leaf_options(alg: KeyAlgorithm) -> LeafOptions {
    LeafOptions::new(["localhost"]).key(alg)
}

fn ca_options(alg: KeyAlgorithm) -> CaOptions {
    CaOptions {
        key: alg,
        ..CaOptions::default()
    }
}

fn random_serial() -> rcgen::SerialNumber {
    let mut bytes = [0u8; 16];
    SystemRandom::new().fill(&mut bytes).expect("CSPRNG");
    bytes[0] = (bytes[0] & 0x7f).max(1);
    rcgen::SerialNumber::from_slice(&bytes)
}

fn rcgen_base(days: u64) -> CertificateParams {
    let mut params = CertificateParams::default();
    params.distinguished_name = DistinguishedName::new();
    params.serial_number = Some(random_serial());
    let secs = i64::try_from(NOW_SECS).expect("fits");
    params.not_before = OffsetDateTime::from_unix_timestamp(secs).expect("valid time");
    params.not_after =
        OffsetDateTime::from_unix_timestamp(secs + (days * 86_400) as i64).expect("valid time");
    params
}

fn rcgen_subject(params: &mut CertificateParams) {
    params
        .distinguished_name
        .push(DnType::CommonName, "localhost");
    params
        .distinguished_name
        .push(DnType::OrganizationName, "selfsign development certificate");
    params.subject_alt_names = vec![SanType::DnsName(
        "localhost".try_into().expect("ASCII name"),
    )];
}

fn rcgen_leaf(issued_by_ca: bool) -> CertificateParams {
    let mut params = rcgen_base(LEAF_DAYS);
    rcgen_subject(&mut params);
    params.is_ca = IsCa::ExplicitNoCa;
    params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    params.use_authority_key_identifier_extension = issued_by_ca;
    params
}

fn rcgen_ca() -> CertificateParams {
    let mut params = rcgen_base(CA_DAYS);
    let name = "selfsign development CA";
    params.distinguished_name.push(DnType::CommonName, name);
    params
        .distinguished_name
        .push(DnType::OrganizationName, name);
    params.is_ca = IsCa::Ca(BasicConstraints::Constrained(1));
    params.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    params
}

fn rcgen_root(alg: KeyAlgorithm) -> Issuer<'static, rcgen::KeyPair> {
    let key = rcgen::KeyPair::generate_for(rcgen_alg(alg)).expect("keygen");
    let params = rcgen_ca();
    let cert = params.self_signed(&key).expect("self-sign CA");
    black_box(cert.der());
    Issuer::new(params, key)
}

fn rcgen_issue(issuer: &Issuer<'_, rcgen::KeyPair>, alg: KeyAlgorithm) -> CertificateDer<'static> {
    let key = rcgen::KeyPair::generate_for(rcgen_alg(alg)).expect("keygen");
    let cert = rcgen_leaf(true).signed_by(&key, issuer).expect("sign leaf");
    black_box(key.serialize_der());
    cert.der().clone()
}

/// Every operation, in the order the tables list them.
pub fn all() -> Vec<Op> {
    let mut ops = Vec::new();
    for alg in ALGORITHMS {
        ops.push(Op::new(
            "keygen",
            alg,
            "rcgen",
            move || {
                drop(black_box(
                    KeyPair::generate(black_box(alg)).expect("keygen"),
                ))
            },
            move || {
                let key = rcgen::KeyPair::generate_for(black_box(rcgen_alg(alg))).expect("keygen");
                drop(black_box(key));
            },
        ));
    }
    // Keygen + a self-signed server leaf for `localhost`, DER and PKCS#8 out.
    for alg in ALGORITHMS {
        let options = leaf_options(alg);
        ops.push(Op::new(
            "self_signed",
            alg,
            "rcgen",
            move || {
                let issued = self_signed(black_box(&options), now()).expect("issue");
                black_box(issued.key.private_key_der());
                black_box(issued);
            },
            move || {
                let key = rcgen::KeyPair::generate_for(rcgen_alg(alg)).expect("keygen");
                let cert = rcgen_leaf(false).self_signed(&key).expect("self-sign");
                black_box(key.serialize_der());
                black_box(cert);
            },
        ));
    }
    // A new root CA and one leaf under it (both keys generated, same algorithm).
    for alg in ALGORITHMS {
        let (ca_opts, leaf_opts) = (ca_options(alg), leaf_options(alg));
        ops.push(Op::new(
            "ca_leaf",
            alg,
            "rcgen",
            move || {
                let ca = Ca::new_root(black_box(&ca_opts), now()).expect("root");
                black_box(ca.issue(black_box(&leaf_opts), now()).expect("leaf"));
            },
            move || {
                let issuer = rcgen_root(alg);
                black_box(rcgen_issue(&issuer, alg));
            },
        ));
    }
    // One leaf from a CA that already exists (what `selfsign new` does per call).
    for alg in ALGORITHMS {
        let ca = Ca::new_root(&ca_options(alg), now()).expect("root");
        let issuer = rcgen_root(alg);
        let options = leaf_options(alg);
        ops.push(Op::new(
            "issue_leaf",
            alg,
            "rcgen",
            move || {
                drop(black_box(
                    ca.issue(black_box(&options), now()).expect("leaf"),
                ))
            },
            move || drop(black_box(rcgen_issue(&issuer, alg))),
        ));
    }
    // A CSR for an existing key; signing a CSR under an existing CA (P-256).
    let alg = KeyAlgorithm::P256;
    let key = KeyPair::generate(alg).expect("keygen");
    let rkey = rcgen::KeyPair::generate_for(rcgen_alg(alg)).expect("keygen");
    let request = Csr::new(&["localhost"], &key).expect("csr");
    ops.push(Op::new(
        "csr_new",
        alg,
        "rcgen",
        move || {
            drop(black_box(
                Csr::new(black_box(&["localhost"]), &key).expect("csr"),
            ))
        },
        move || {
            let mut params = CertificateParams::default();
            params.distinguished_name = DistinguishedName::new();
            rcgen_subject(&mut params);
            drop(black_box(params.serialize_request(&rkey).expect("csr")));
        },
    ));
    let der = request.der().clone();
    let der_peer = der.clone();
    let ca = Ca::new_root(&ca_options(alg), now()).expect("root");
    let issuer = rcgen_root(alg);
    let options = CsrOptions::default();
    ops.push(Op::new(
        "csr_sign",
        alg,
        "rcgen",
        move || {
            let csr = Csr::parse(black_box(der.as_ref())).expect("parse");
            black_box(ca.sign_csr(&csr, &options, now()).expect("sign"));
        },
        move || {
            let requested =
                CertificateSigningRequestParams::from_der(black_box(&der_peer)).expect("parse");
            let cert = CertificateSigningRequestParams {
                params: rcgen_leaf(true),
                public_key: requested.public_key,
            }
            .signed_by(&issuer)
            .expect("sign");
            black_box(cert);
        },
    ));
    // Decoding a CA-issued P-256 leaf from PEM. rcgen cannot read certificates, so the peer is
    // x509-parser's parse plus the subject and the SHA-256 fingerprint: the floor any inspect pays.
    let ca = Ca::new_root(&CaOptions::default(), now()).expect("root");
    let pem = ca
        .issue(&leaf_options(alg), now())
        .expect("leaf")
        .certificate
        .pem();
    let pem_peer = pem.clone();
    ops.push(Op::new(
        "inspect",
        alg,
        "x509-parser",
        move || {
            drop(black_box(
                inspect(black_box(pem.as_bytes()), now()).expect("inspect"),
            ))
        },
        move || {
            let der = CertificateDer::from_pem_slice(black_box(pem_peer.as_bytes())).expect("pem");
            let (_, cert) = x509_parser::parse_x509_certificate(&der).expect("parse");
            black_box(cert.subject().to_string());
            black_box(digest(&SHA256, &der));
        },
    ));
    ops
}
