//! Generation benchmarks: every operation twice, once through selfsign-core and once as raw rcgen
//! (or x509-parser, for inspect) doing the same work, so `bench/core-ratios` can print our
//! overhead over the library as a ratio. Results land in `target/criterion/<group>/<impl>/<alg>/`.

#![forbid(unsafe_code)]

use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
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

// ---- raw rcgen doing what the core does: same extensions, random serial, validity from `now` ----

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

fn rcgen_leaf(issued_by_ca: bool) -> CertificateParams {
    let mut params = rcgen_base(LEAF_DAYS);
    params
        .distinguished_name
        .push(DnType::CommonName, "localhost");
    params
        .distinguished_name
        .push(DnType::OrganizationName, "selfsign development certificate");
    params.subject_alt_names = vec![SanType::DnsName(
        "localhost".try_into().expect("ASCII name"),
    )];
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

// ---- benchmark groups ----

fn keygen(c: &mut Criterion) {
    let mut group = c.benchmark_group("keygen");
    for alg in ALGORITHMS {
        group.bench_function(BenchmarkId::new("selfsign", alg), |b| {
            b.iter(|| KeyPair::generate(black_box(alg)).expect("keygen"))
        });
        group.bench_function(BenchmarkId::new("rcgen", alg), |b| {
            b.iter(|| rcgen::KeyPair::generate_for(black_box(rcgen_alg(alg))).expect("keygen"))
        });
    }
    group.finish();
}

/// Keygen + a self-signed server leaf for `localhost`, DER and PKCS#8 out.
fn self_signed_leaf(c: &mut Criterion) {
    let mut group = c.benchmark_group("self_signed");
    for alg in ALGORITHMS {
        let options = leaf_options(alg);
        group.bench_function(BenchmarkId::new("selfsign", alg), |b| {
            b.iter(|| {
                let issued = self_signed(black_box(&options), now()).expect("issue");
                black_box(issued.key.private_key_der());
                issued
            })
        });
        group.bench_function(BenchmarkId::new("rcgen", alg), |b| {
            b.iter(|| {
                let key = rcgen::KeyPair::generate_for(rcgen_alg(alg)).expect("keygen");
                let cert = rcgen_leaf(false).self_signed(&key).expect("self-sign");
                black_box(key.serialize_der());
                cert
            })
        });
    }
    group.finish();
}

/// A new root CA and one leaf under it (both keys generated, same algorithm).
fn ca_and_leaf(c: &mut Criterion) {
    let mut group = c.benchmark_group("ca_leaf");
    for alg in ALGORITHMS {
        let (ca_opts, leaf_opts) = (ca_options(alg), leaf_options(alg));
        group.bench_function(BenchmarkId::new("selfsign", alg), |b| {
            b.iter(|| {
                let ca = Ca::new_root(black_box(&ca_opts), now()).expect("root");
                ca.issue(black_box(&leaf_opts), now()).expect("leaf")
            })
        });
        group.bench_function(BenchmarkId::new("rcgen", alg), |b| {
            b.iter(|| {
                let issuer = rcgen_root(alg);
                rcgen_issue(&issuer, alg)
            })
        });
    }
    group.finish();
}

/// One leaf from a CA that already exists (what `selfsign new` does per call).
fn issue_leaf(c: &mut Criterion) {
    let mut group = c.benchmark_group("issue_leaf");
    for alg in ALGORITHMS {
        let ca = Ca::new_root(&ca_options(alg), now()).expect("root");
        let issuer = rcgen_root(alg);
        let options = leaf_options(alg);
        group.bench_function(BenchmarkId::new("selfsign", alg), |b| {
            b.iter(|| ca.issue(black_box(&options), now()).expect("leaf"))
        });
        group.bench_function(BenchmarkId::new("rcgen", alg), |b| {
            b.iter(|| rcgen_issue(&issuer, alg))
        });
    }
    group.finish();
}

/// Making a CSR for an existing key, and signing a CSR under an existing CA (P-256).
fn csr(c: &mut Criterion) {
    let alg = KeyAlgorithm::P256;
    let names = ["localhost"];
    let key = KeyPair::generate(alg).expect("keygen");
    let rkey = rcgen::KeyPair::generate_for(rcgen_alg(alg)).expect("keygen");
    let mut group = c.benchmark_group("csr_new");
    group.bench_function(BenchmarkId::new("selfsign", alg), |b| {
        b.iter(|| Csr::new(black_box(&names), &key).expect("csr"))
    });
    group.bench_function(BenchmarkId::new("rcgen", alg), |b| {
        b.iter(|| {
            let mut params = CertificateParams::default();
            params.distinguished_name = DistinguishedName::new();
            params
                .distinguished_name
                .push(DnType::CommonName, "localhost");
            params
                .distinguished_name
                .push(DnType::OrganizationName, "selfsign development certificate");
            params.subject_alt_names =
                vec![SanType::DnsName("localhost".try_into().expect("ASCII"))];
            params.serialize_request(&rkey).expect("csr")
        })
    });
    group.finish();

    let request = Csr::new(&names, &key).expect("csr");
    let der = request.der().clone();
    let ca = Ca::new_root(&ca_options(alg), now()).expect("root");
    let issuer = rcgen_root(alg);
    let options = CsrOptions::default();
    let mut group = c.benchmark_group("csr_sign");
    group.bench_function(BenchmarkId::new("selfsign", alg), |b| {
        b.iter(|| {
            let csr = Csr::parse(black_box(der.as_ref())).expect("parse");
            ca.sign_csr(&csr, &options, now()).expect("sign")
        })
    });
    group.bench_function(BenchmarkId::new("rcgen", alg), |b| {
        b.iter(|| {
            let requested =
                CertificateSigningRequestParams::from_der(black_box(&der)).expect("parse");
            CertificateSigningRequestParams {
                params: rcgen_leaf(true),
                public_key: requested.public_key,
            }
            .signed_by(&issuer)
            .expect("sign")
        })
    });
    group.finish();
}

/// Decoding a CA-issued P-256 leaf from PEM. rcgen cannot read certificates, so the peer is
/// x509-parser's parse plus the SHA-256 fingerprint: the floor any inspect must pay.
fn inspect_cert(c: &mut Criterion) {
    let ca = Ca::new_root(&CaOptions::default(), now()).expect("root");
    let leaf = ca
        .issue(&leaf_options(KeyAlgorithm::P256), now())
        .expect("leaf");
    let pem = leaf.certificate.pem();
    let mut group = c.benchmark_group("inspect");
    group.bench_function(BenchmarkId::new("selfsign", "p256"), |b| {
        b.iter(|| inspect(black_box(pem.as_bytes()), now()).expect("inspect"))
    });
    group.bench_function(BenchmarkId::new("x509-parser", "p256"), |b| {
        b.iter(|| {
            let der = CertificateDer::from_pem_slice(black_box(pem.as_bytes())).expect("pem");
            let (_, cert) = x509_parser::parse_x509_certificate(&der).expect("parse");
            black_box(cert.subject().to_string());
            black_box(digest(&SHA256, &der));
        })
    });
    group.finish();
}

fn config() -> Criterion {
    Criterion::default()
        .sample_size(30)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
}

criterion_group! {
    name = benches;
    config = config();
    targets = keygen, self_signed_leaf, ca_and_leaf, issue_leaf, csr, inspect_cert
}
criterion_main!(benches);
