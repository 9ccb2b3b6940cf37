//! A certificate authority: made here or loaded from PEM, it issues intermediates and leaves.

use alloc::string::{String, ToString};
use alloc::vec::Vec;

use rustls_pki_types::UnixTime;
use x509_parser::extensions::ParsedExtension;

use crate::constraints::NameConstraints;
use crate::issue::{CaOptions, Issued, LeafOptions};
use crate::names::{parse_names, Name};
use crate::profile::{self, Usage};
use crate::validity::{rfc3339, Period, Validity};
use crate::{parse_certificates, Certificate, Error, KeyPair};

/// A CA certificate with its key, ready to issue.
#[derive(Debug)]
pub struct Ca {
    certificate: Certificate,
    key: KeyPair,
    parents: Vec<Certificate>,
    facts: CaFacts,
}

/// What issuance needs to know about a CA, read once from its certificates.
#[derive(Debug, Clone)]
struct CaFacts {
    not_before: i64,
    not_after: i64,
    path_len: Option<u32>,
    constraints: Vec<NameConstraints>,
}

impl Ca {
    /// Makes a new self-signed root CA.
    pub fn new_root(options: &CaOptions, now: UnixTime) -> Result<Ca, Error> {
        let key = KeyPair::generate(options.key)?;
        let period = options.validity.resolve(now)?;
        let params = ca_params(options, &period, false)?;
        let cert = params.self_signed(key.rcgen())?;
        Ca::from_parts(Certificate::from_der(cert.der().clone())?, key, Vec::new())
    }

    /// Makes an intermediate CA signed by this one.
    pub fn new_intermediate(&self, options: &CaOptions, now: UnixTime) -> Result<Ca, Error> {
        if self.facts.path_len == Some(0) {
            return Err(Error::PathLenExceeded);
        }
        let key = KeyPair::generate(options.key)?;
        let period = self.period_within(&options.validity, now)?;
        let mut options = options.clone();
        if let Some(max) = self.facts.path_len {
            let allowed = u8::try_from(max - 1).unwrap_or(u8::MAX);
            options.path_len = Some(options.path_len.map_or(allowed, |p| p.min(allowed)));
        }
        let params = ca_params(&options, &period, true)?;
        let cert = params.signed_by(key.rcgen(), &self.issuer()?)?;
        let mut parents = Vec::with_capacity(self.parents.len() + 1);
        parents.push(self.certificate.clone());
        parents.extend(self.parents.iter().cloned());
        Ca::from_parts(Certificate::from_der(cert.der().clone())?, key, parents)
    }

    /// Loads a CA from a PEM certificate (optionally followed by its own issuers) and its key.
    pub fn from_pem(cert_pem: &str, key_pem: &str) -> Result<Ca, Error> {
        let mut certs = parse_certificates(cert_pem.as_bytes())?;
        let key = KeyPair::from_pem(key_pem)?;
        let cert = certs.remove(0);
        Ca::from_parts(cert, key, certs)
    }

    /// Builds a CA from a certificate, its key and the certificates above it (nearest first).
    pub fn from_parts(
        certificate: Certificate,
        key: KeyPair,
        parents: Vec<Certificate>,
    ) -> Result<Ca, Error> {
        let facts = read_facts(&certificate, &parents)?;
        let parsed = certificate.parsed()?;
        if parsed.tbs_certificate.subject_pki.raw != key.public_key_der().as_slice() {
            return Err(Error::KeyMismatch);
        }
        Ok(Ca {
            certificate,
            key,
            parents,
            facts,
        })
    }

    /// The CA's own certificate.
    pub fn certificate(&self) -> &Certificate {
        &self.certificate
    }

    /// The CA's private key.
    pub fn key(&self) -> &KeyPair {
        &self.key
    }

    /// Certificates above this CA, nearest first (empty for a root).
    pub fn parents(&self) -> &[Certificate] {
        &self.parents
    }

    /// This CA followed by its parents, as PEM.
    pub fn chain_pem(&self) -> String {
        core::iter::once(&self.certificate)
            .chain(&self.parents)
            .map(Certificate::pem)
            .collect()
    }

    /// When the CA expires, in Unix seconds.
    pub fn not_after(&self) -> i64 {
        self.facts.not_after
    }

    /// Issues a leaf with a freshly generated key.
    pub fn issue(&self, options: &LeafOptions, now: UnixTime) -> Result<Issued, Error> {
        let names = parse_names(&options.names)?;
        profile::check_constraints(&names, &self.facts.constraints)?;
        let period = self.period_within(&options.validity, now)?;
        let key = KeyPair::generate(options.key)?;
        self.issue_inner(&names, options.usage, key, &period)
    }

    /// Issues a leaf for a key the caller already has.
    pub fn issue_for_key(
        &self,
        options: &LeafOptions,
        key: KeyPair,
        now: UnixTime,
    ) -> Result<Issued, Error> {
        let names = parse_names(&options.names)?;
        profile::check_constraints(&names, &self.facts.constraints)?;
        let period = self.period_within(&options.validity, now)?;
        self.issue_inner(&names, options.usage, key, &period)
    }

    fn issue_inner(
        &self,
        names: &[Name],
        usage: Usage,
        key: KeyPair,
        period: &Period,
    ) -> Result<Issued, Error> {
        let params = profile::leaf(names, usage, key.algorithm(), period, true)?;
        let cert = params.signed_by(key.rcgen(), &self.issuer()?)?;
        Ok(Issued {
            certificate: Certificate::from_der(cert.der().clone())?,
            key,
            chain: self.chain(),
        })
    }

    pub(crate) fn chain(&self) -> Vec<Certificate> {
        core::iter::once(&self.certificate)
            .chain(&self.parents)
            .cloned()
            .collect()
    }

    pub(crate) fn check_names(&self, names: &[Name]) -> Result<(), Error> {
        profile::check_constraints(names, &self.facts.constraints)
    }

    pub(crate) fn issuer(&self) -> Result<rcgen::Issuer<'static, &rcgen::KeyPair>, Error> {
        Ok(rcgen::Issuer::from_ca_cert_der(
            self.certificate.der(),
            self.key.rcgen(),
        )?)
    }

    /// Resolves a validity and checks it against this CA's own period.
    pub(crate) fn period_within(
        &self,
        validity: &Validity,
        now: UnixTime,
    ) -> Result<Period, Error> {
        let period = validity.resolve(now)?;
        let now = i64::try_from(now.as_secs()).unwrap_or(i64::MAX);
        if now < self.facts.not_before || now > self.facts.not_after {
            return Err(Error::IssuerNotValid {
                not_before: rfc3339(self.facts.not_before),
                not_after: rfc3339(self.facts.not_after),
            });
        }
        let not_after = i64::try_from(period.not_after).unwrap_or(i64::MAX);
        if not_after > self.facts.not_after {
            return Err(Error::OutlivesIssuer {
                leaf_not_after: rfc3339(not_after),
                issuer_not_after: rfc3339(self.facts.not_after),
            });
        }
        Ok(period)
    }
}

fn ca_params(
    options: &CaOptions,
    period: &Period,
    has_issuer: bool,
) -> Result<rcgen::CertificateParams, Error> {
    let constraints = if options.name_constraints.is_empty() {
        None
    } else {
        Some(NameConstraints::permit(&options.name_constraints)?)
    };
    let cn = options.common_name.trim();
    if cn.is_empty() {
        return Err(Error::NotACa("a CA needs a non-empty common name"));
    }
    profile::ca(
        cn,
        options.organization.trim(),
        options.path_len,
        constraints.as_ref(),
        period,
        has_issuer,
    )
}

fn read_facts(cert: &Certificate, parents: &[Certificate]) -> Result<CaFacts, Error> {
    let parsed = cert.parsed()?;
    let bc = parsed
        .basic_constraints()
        .map_err(|e| Error::InvalidCertificate(e.to_string()))?
        .map(|ext| ext.value.clone());
    let bc = match bc {
        Some(bc) if bc.ca => bc,
        _ => return Err(Error::NotACa("its basicConstraints does not say CA:TRUE")),
    };
    if let Ok(Some(ku)) = parsed.key_usage() {
        if !ku.value.key_cert_sign() {
            return Err(Error::NotACa("its keyUsage lacks keyCertSign"));
        }
    }
    let mut constraints = Vec::new();
    for c in core::iter::once(cert).chain(parents) {
        for ext in c.parsed()?.extensions() {
            if let ParsedExtension::NameConstraints(nc) = ext.parsed_extension() {
                constraints.push(NameConstraints::from_x509(nc));
            }
        }
    }
    let validity = parsed.validity();
    Ok(CaFacts {
        not_before: validity.not_before.timestamp(),
        not_after: validity.not_after.timestamp(),
        path_len: bc.path_len_constraint,
        constraints,
    })
}
