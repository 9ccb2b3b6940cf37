//! The certificates, keys and TLS settings of every badssl endpoint, made from the local CA.

use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec;
use alloc::vec::Vec;

use rcgen::{
    BasicConstraints, CertificateParams, CertificateRevocationListParams, CrlDistributionPoint,
    IsCa, KeyIdMethod, KeyUsagePurpose, RevocationReason, RevokedCertParams, SerialNumber,
};
use rustls_pki_types::{CertificateDer, UnixTime};

use super::{Expectation, Variant};
use crate::constraints::NameConstraints;
use crate::names::{parse_names, Name};
use crate::profile::{self, Usage};
use crate::validity::{to_datetime, Period};
use crate::{Ca, CaOptions, Certificate, Error, KeyAlgorithm, KeyPair};

/// Seconds in a day.
const DAY: u64 = 86_400;
/// How long the endpoints' certificates (and the CRL) are valid from `now`.
const VALID_DAYS: u64 = 30;
/// Names on the `many-sans` certificate.
const MANY_SANS: usize = 1_000;
/// Intermediates on the `long-chain` path.
const LONG_CHAIN: usize = 5;

/// Which TLS versions an endpoint speaks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TlsVersions {
    /// TLS 1.2 and 1.3.
    Both,
    /// TLS 1.2 only.
    Tls12,
    /// TLS 1.3 only.
    Tls13,
}

/// Whether an endpoint asks clients for a certificate from the local CA.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ClientCerts {
    /// No certificate asked for.
    None,
    /// Asked for, not required.
    Optional,
    /// Required.
    Required,
}

/// What the endpoints are made with, besides the local CA.
#[derive(Debug)]
pub struct BadsslOptions {
    /// The parent domain of every endpoint, e.g. `badssl.localhost`.
    pub suffix: String,
    /// The URL the CRL is served at, named in the `revoked` certificate.
    pub crl_url: String,
    /// A kept RSA 2048-bit key for `rsa2048` (generated when `None`: RSA keys are slow to make).
    pub rsa2048: Option<KeyPair>,
    /// A kept RSA 4096-bit key for `rsa4096` (generated when `None`).
    pub rsa4096: Option<KeyPair>,
}

/// One endpoint, ready to serve.
#[derive(Debug)]
pub struct Endpoint {
    /// Which case it is.
    pub variant: Variant,
    /// The SNI name it answers on.
    pub host: String,
    /// What the server sends: the certificate, then the intermediates it sends.
    pub chain: Vec<CertificateDer<'static>>,
    /// The certificate's key.
    pub key: KeyPair,
    /// TLS versions spoken.
    pub versions: TlsVersions,
    /// Client certificate policy (client certificates are checked against the local CA).
    pub client_certs: ClientCerts,
    /// What a correct client trusting the local CA must do.
    pub expectation: Expectation,
}

/// Every endpoint, the CRL that revokes `revoked`, and the untrusted second CA.
#[derive(Debug)]
pub struct Badssl {
    /// One endpoint per [`Variant`], in [`Variant::ALL`] order.
    pub endpoints: Vec<Endpoint>,
    /// The local CA's CRL (DER), listing the `revoked` certificate.
    pub crl: Vec<u8>,
    /// The root of `untrusted-root`, which no client is told to trust.
    pub untrusted_root: Certificate,
}

/// Makes every endpoint under `ca` at `now` (all keys fresh except RSA ones passed in).
pub fn build(ca: &Ca, options: BadsslOptions, now: UnixTime) -> Result<Badssl, Error> {
    let suffix = options.suffix.trim_end_matches('.').to_ascii_lowercase();
    Name::parse(&suffix)?;
    let rsa2048 = match options.rsa2048 {
        Some(key) => key,
        None => KeyPair::generate(KeyAlgorithm::Rsa2048)?,
    };
    let rsa4096 = match options.rsa4096 {
        Some(key) => key,
        None => KeyPair::generate(KeyAlgorithm::Rsa4096)?,
    };
    let now_s = now.as_secs();
    let valid = Period {
        not_before: now_s.saturating_sub(3600),
        not_after: now_s + VALID_DAYS * DAY,
    };
    let mut maker = Maker {
        ca,
        suffix: &suffix,
        valid,
        now: now_s,
        crl_url: &options.crl_url,
        rsa: (Some(rsa2048), Some(rsa4096)),
        revoked_serial: None,
        untrusted: None,
    };
    let path_len = ca.path_len();
    let mut endpoints = Vec::with_capacity(Variant::ALL.len());
    for variant in Variant::ALL {
        let (chain, key) = maker.make(variant)?;
        endpoints.push(Endpoint {
            variant,
            host: variant.host(&suffix),
            chain,
            key,
            versions: match variant {
                Variant::Tls12Only => TlsVersions::Tls12,
                Variant::Tls13Only => TlsVersions::Tls13,
                _ => TlsVersions::Both,
            },
            client_certs: match variant {
                Variant::ClientCertRequired => ClientCerts::Required,
                Variant::ClientCertOptional => ClientCerts::Optional,
                _ => ClientCerts::None,
            },
            expectation: variant.expectation(path_len),
        });
    }
    let crl = crl(ca, maker.revoked_serial.take(), now_s)?;
    let untrusted_root = match maker.untrusted.take() {
        Some(root) => root.certificate().clone(),
        None => return Err(Error::Generation("the untrusted root was not made".into())),
    };
    Ok(Badssl {
        endpoints,
        crl,
        untrusted_root,
    })
}

/// The state shared while making the endpoints.
struct Maker<'a> {
    ca: &'a Ca,
    suffix: &'a str,
    valid: Period,
    now: u64,
    crl_url: &'a str,
    rsa: (Option<KeyPair>, Option<KeyPair>),
    revoked_serial: Option<SerialNumber>,
    untrusted: Option<Ca>,
}

type Made = (Vec<CertificateDer<'static>>, KeyPair);

impl Maker<'_> {
    fn make(&mut self, variant: Variant) -> Result<Made, Error> {
        let host = variant.host(self.suffix);
        let p256 = KeyAlgorithm::P256;
        match variant {
            Variant::Expired => {
                let period = Period {
                    not_before: self.now.saturating_sub(VALID_DAYS * DAY),
                    not_after: self.now.saturating_sub(DAY),
                };
                self.signed(&[host], Usage::Server, p256, &period, |_| ())
            }
            Variant::NotYetValid => {
                let period = Period {
                    not_before: self.now + DAY,
                    not_after: self.now + VALID_DAYS * DAY,
                };
                self.signed(&[host], Usage::Server, p256, &period, |_| ())
            }
            Variant::WrongHost => {
                let other = format!("some-other-host.{}", self.suffix);
                self.leaf(&[other], Usage::Server, p256, |_| ())
            }
            Variant::SelfSigned => {
                let key = KeyPair::generate(p256)?;
                let params = self.params(&[host], Usage::Server, p256, &self.valid)?;
                let cert = params.self_signed(key.rcgen())?;
                Ok((vec![cert.der().clone()], key))
            }
            Variant::UntrustedRoot => {
                let options = CaOptions {
                    common_name: "selfsign badssl untrusted root".to_string(),
                    path_len: Some(0),
                    ..CaOptions::default()
                };
                let now = UnixTime::since_unix_epoch(core::time::Duration::from_secs(self.now));
                let root = Ca::new_root(&options, now)?;
                // Sent with its root, as badssl.com does: the chain ends at a root no client
                // trusts, which is not the same failure as a missing issuer (incomplete-chain).
                let (mut chain, key) = self.under(root.issuer(), &[host], Usage::Server, |_| ())?;
                chain.push(root.certificate().der().clone());
                self.untrusted = Some(root);
                Ok((chain, key))
            }
            Variant::IncompleteChain => {
                let (_, issuer) = self.intermediate(self.ca.issuer(), "incomplete", None)?;
                self.under(&issuer, &[host], Usage::Server, |_| ())
            }
            Variant::NameConstraintViolation => {
                let permitted = format!("permitted.{}", self.suffix);
                let constraints = NameConstraints::permit(&[permitted])?;
                let (cert, issuer) =
                    self.intermediate(self.ca.issuer(), "constrained", Some(&constraints))?;
                let (mut chain, key) = self.under(&issuer, &[host], Usage::Server, |_| ())?;
                chain.push(cert);
                Ok((chain, key))
            }
            Variant::Revoked => {
                let serial = profile::random_serial()?;
                self.revoked_serial = Some(serial.clone());
                let url = self.crl_url.to_string();
                self.leaf(&[host], Usage::Server, p256, move |p| {
                    p.serial_number = Some(serial);
                    p.crl_distribution_points = vec![CrlDistributionPoint { uris: vec![url] }];
                })
            }
            Variant::WrongEku => self.leaf(&[host], Usage::Client, p256, |_| ()),
            Variant::CaAsLeaf => self.leaf(&[host], Usage::Server, p256, |p| {
                p.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
                p.key_usages.push(KeyUsagePurpose::KeyCertSign);
            }),
            Variant::NoSan => self.leaf(&[host], Usage::Server, p256, |p| {
                p.subject_alt_names.clear();
            }),
            Variant::ManySans => {
                let mut names = vec![host];
                names.extend((1..MANY_SANS).map(|i| format!("san-{i}.many-sans.{}", self.suffix)));
                self.leaf(&names, Usage::Server, p256, |_| ())
            }
            Variant::LongChain => {
                let mut sent = Vec::new();
                let (cert, mut issuer) = self.intermediate(self.ca.issuer(), "long 1", None)?;
                sent.push(cert);
                for i in 2..=LONG_CHAIN {
                    let (cert, next) = self.intermediate(&issuer, &format!("long {i}"), None)?;
                    sent.push(cert);
                    issuer = next;
                }
                let (mut chain, key) = self.under(&issuer, &[host], Usage::Server, |_| ())?;
                chain.extend(sent.into_iter().rev());
                Ok((chain, key))
            }
            Variant::P384 => self.leaf(&[host], Usage::Server, KeyAlgorithm::P384, |_| ()),
            Variant::Ed25519 => self.leaf(&[host], Usage::Server, KeyAlgorithm::Ed25519, |_| ()),
            Variant::Rsa2048 => {
                let key = take_key(&mut self.rsa.0)?;
                self.leaf_for(&[host], key)
            }
            Variant::Rsa4096 => {
                let key = take_key(&mut self.rsa.1)?;
                self.leaf_for(&[host], key)
            }
            Variant::Good
            | Variant::Tls12Only
            | Variant::Tls13Only
            | Variant::ClientCertRequired
            | Variant::ClientCertOptional => self.leaf(&[host], Usage::Server, p256, |_| ()),
        }
    }

    /// Leaf parameters for `names` (checked as names, never against constraints).
    fn params(
        &self,
        names: &[String],
        usage: Usage,
        key: KeyAlgorithm,
        period: &Period,
    ) -> Result<CertificateParams, Error> {
        let names = parse_names(names)?;
        profile::leaf(&names, usage, key, period)
    }

    /// A leaf from the local CA, valid now, adjusted by `edit`.
    fn leaf(
        &self,
        names: &[String],
        usage: Usage,
        key: KeyAlgorithm,
        edit: impl FnOnce(&mut CertificateParams),
    ) -> Result<Made, Error> {
        self.signed(names, usage, key, &self.valid, edit)
    }

    /// A server leaf from the local CA for a key the caller has.
    fn leaf_for(&self, names: &[String], key: KeyPair) -> Result<Made, Error> {
        let params = self.params(names, Usage::Server, key.algorithm(), &self.valid)?;
        let cert = params.signed_by(key.rcgen(), self.ca.issuer())?;
        Ok((vec![cert.der().clone()], key))
    }

    /// A leaf from the local CA over `period`, adjusted by `edit`.
    fn signed(
        &self,
        names: &[String],
        usage: Usage,
        key: KeyAlgorithm,
        period: &Period,
        edit: impl FnOnce(&mut CertificateParams),
    ) -> Result<Made, Error> {
        let pair = KeyPair::generate(key)?;
        let mut params = self.params(names, usage, key, period)?;
        edit(&mut params);
        let cert = params.signed_by(pair.rcgen(), self.ca.issuer())?;
        Ok((vec![cert.der().clone()], pair))
    }

    /// A P-256 leaf under `issuer`, valid now.
    fn under(
        &self,
        issuer: &rcgen::Issuer<'_, KeyPair>,
        names: &[String],
        usage: Usage,
        edit: impl FnOnce(&mut CertificateParams),
    ) -> Result<Made, Error> {
        let pair = KeyPair::generate(KeyAlgorithm::P256)?;
        let mut params = self.params(names, usage, KeyAlgorithm::P256, &self.valid)?;
        edit(&mut params);
        let cert = params.signed_by(pair.rcgen(), issuer)?;
        Ok((vec![cert.der().clone()], pair))
    }

    /// An intermediate CA named `selfsign badssl LABEL intermediate` under `issuer`.
    fn intermediate(
        &self,
        issuer: &rcgen::Issuer<'_, KeyPair>,
        label: &str,
        constraints: Option<&NameConstraints>,
    ) -> Result<(CertificateDer<'static>, rcgen::Issuer<'static, KeyPair>), Error> {
        let name = format!("selfsign badssl {label} intermediate");
        let params = profile::ca(&name, "", None, constraints, &self.valid, true)?;
        let key = KeyPair::generate(KeyAlgorithm::P256)?;
        let cert = params.signed_by(key.rcgen(), issuer)?;
        Ok((cert.der().clone(), rcgen::Issuer::new(params, key)))
    }
}

/// A key passed in once, for the one endpoint that uses it.
fn take_key(slot: &mut Option<KeyPair>) -> Result<KeyPair, Error> {
    slot.take()
        .ok_or_else(|| Error::Generation("an RSA key was used twice".to_string()))
}

/// The local CA's CRL over `period`, listing `revoked` (key compromise).
fn crl(ca: &Ca, revoked: Option<SerialNumber>, now: u64) -> Result<Vec<u8>, Error> {
    let this_update = to_datetime(now.saturating_sub(3600))?;
    let revoked_certs = revoked
        .into_iter()
        .map(|serial_number| RevokedCertParams {
            serial_number,
            revocation_time: this_update,
            reason_code: Some(RevocationReason::KeyCompromise),
            invalidity_date: None,
        })
        .collect();
    let params = CertificateRevocationListParams {
        this_update,
        next_update: to_datetime(now + VALID_DAYS * DAY)?,
        crl_number: SerialNumber::from(now),
        issuing_distribution_point: None,
        revoked_certs,
        key_identifier_method: KeyIdMethod::Sha256,
    };
    Ok(params.signed_by(ca.issuer())?.der().to_vec())
}
