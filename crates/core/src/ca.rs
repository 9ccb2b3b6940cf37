//! A certificate authority: made here or loaded from PEM, it issues intermediates and leaves.

use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;

use rustls_pki_types::UnixTime;
use x509_parser::extensions::ParsedExtension;

use crate::constraints::NameConstraints;
#[cfg(feature = "full")]
use crate::issue::Issued;
use crate::issue::{CaOptions, LeafOptions};
use crate::names::{parse_names, Name};
use crate::profile;
use crate::validity::{rfc3339, Period, Validity};
#[cfg(feature = "full")]
use crate::KeyPair;
use crate::{parse_certificates, Certificate, Error, KeyAlgorithm, PublicKey};

/// A CA certificate with its key, ready to issue.
#[derive(Debug)]
#[cfg(feature = "full")]
pub struct Ca {
    authority: Authority,
    /// The subject, key identifier and key that sign, read from the certificate once.
    issuer: rcgen::Issuer<'static, KeyPair>,
}

/// A CA certificate, its issuers and what issuance needs to know about them, whoever holds its
/// key (this crate, or WebCrypto for an [`ExternalCa`](crate::ExternalCa)).
#[derive(Debug, Clone)]
pub(crate) struct Authority {
    certificate: Certificate,
    parents: Vec<Certificate>,
    facts: CaFacts,
}

/// What issuance needs to know about a CA, read once from its certificates.
#[derive(Debug, Clone)]
pub(crate) struct CaFacts {
    not_before: i64,
    not_after: i64,
    path_len: Option<u32>,
    constraints: Vec<NameConstraints>,
}

#[cfg(feature = "full")]
impl Ca {
    /// Makes a new self-signed root CA.
    pub fn new_root(options: &CaOptions, now: UnixTime) -> Result<Ca, Error> {
        let params = root_params(options, now)?;
        let key = KeyPair::generate(options.key)?;
        let cert = params.self_signed(key.rcgen())?;
        let facts = CaFacts::made(&params, options, None)?;
        let cert = Certificate::from_encoded(cert.der().clone());
        let authority = Authority::made(cert, Vec::new(), facts);
        Ok(Ca {
            authority,
            issuer: rcgen::Issuer::new(params, key),
        })
    }

    /// Makes an intermediate CA signed by this one.
    pub fn new_intermediate(&self, options: &CaOptions, now: UnixTime) -> Result<Ca, Error> {
        let params = self.authority.facts().intermediate_params(options, now)?;
        let key = KeyPair::generate(options.key)?;
        let cert = params.signed_by(key.rcgen(), &self.issuer)?;
        let cert = Certificate::from_encoded(cert.der().clone());
        let facts = CaFacts::made(&params, options, Some(&self.authority.facts))?;
        let authority = Authority::made(cert, self.authority.chain(), facts);
        Ok(Ca {
            authority,
            issuer: rcgen::Issuer::new(params, key),
        })
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
        let authority = Authority::new(certificate, parents)?;
        if !key.matches(&authority.certificate) {
            return Err(Error::KeyMismatch);
        }
        let issuer = rcgen::Issuer::from_ca_cert_der(authority.certificate.der(), key)?;
        Ok(Ca { authority, issuer })
    }

    /// The CA's own certificate.
    pub fn certificate(&self) -> &Certificate {
        &self.authority.certificate
    }

    /// The CA's private key.
    pub fn key(&self) -> &KeyPair {
        self.issuer.key()
    }

    /// Certificates above this CA, nearest first (empty for a root).
    pub fn parents(&self) -> &[Certificate] {
        &self.authority.parents
    }

    /// This CA followed by its parents, as PEM.
    pub fn chain_pem(&self) -> String {
        self.authority.chain_pem()
    }

    /// When the CA expires, in Unix seconds.
    pub fn not_after(&self) -> i64 {
        self.authority.facts.not_after
    }

    /// Issues a leaf with a freshly generated key.
    pub fn issue(&self, options: &LeafOptions, now: UnixTime) -> Result<Issued, Error> {
        let params = self
            .authority
            .facts()
            .leaf_params(options, options.key, now)?;
        let key = KeyPair::generate(options.key)?;
        self.issue_inner(params, key)
    }

    /// Checks `options` as [`issue`](Self::issue) does before it generates a key: the names
    /// against the name constraints, the validity within the CA's.
    pub fn check_leaf(&self, options: &LeafOptions, now: UnixTime) -> Result<(), Error> {
        let facts = self.authority.facts();
        facts.leaf_params(options, options.key, now).map(drop)
    }

    /// Issues a leaf for a key the caller already has.
    pub fn issue_for_key(
        &self,
        options: &LeafOptions,
        key: KeyPair,
        now: UnixTime,
    ) -> Result<Issued, Error> {
        let params = self
            .authority
            .facts()
            .leaf_params(options, key.algorithm(), now)?;
        self.issue_inner(params, key)
    }

    /// Issues a leaf for a public key whose private half is held elsewhere (e.g. in WebCrypto);
    /// `options.key` is ignored.
    pub fn issue_for_public_key(
        &self,
        options: &LeafOptions,
        key: &PublicKey,
        now: UnixTime,
    ) -> Result<Certificate, Error> {
        let params = self
            .authority
            .facts()
            .leaf_params(options, key.algorithm(), now)?;
        let cert = params.signed_by(&key.rcgen(), &self.issuer)?;
        Ok(Certificate::from_encoded(cert.der().clone()))
    }

    fn issue_inner(&self, params: rcgen::CertificateParams, key: KeyPair) -> Result<Issued, Error> {
        let cert = params.signed_by(key.rcgen(), &self.issuer)?;
        Ok(Issued {
            certificate: Certificate::from_encoded(cert.der().clone()),
            key,
            chain: self.chain(),
        })
    }

    pub(crate) fn chain(&self) -> Vec<Certificate> {
        self.authority.chain()
    }

    pub(crate) fn authority(&self) -> &Authority {
        &self.authority
    }

    pub(crate) fn issuer(&self) -> &rcgen::Issuer<'static, KeyPair> {
        &self.issuer
    }

    /// The CA's pathLenConstraint: how many intermediates may follow it (`None`: unlimited).
    pub fn path_len(&self) -> Option<u32> {
        self.authority.facts.path_len
    }
}

impl Authority {
    /// Reads what issuance needs from a CA certificate and its issuers (nearest first).
    pub(crate) fn new(certificate: Certificate, parents: Vec<Certificate>) -> Result<Self, Error> {
        let facts = read_facts(&certificate, &parents)?;
        Ok(Authority {
            certificate,
            parents,
            facts,
        })
    }

    /// A CA this crate has just made, with the facts of the parameters that made it: nothing
    /// needs reading back from its DER.
    pub(crate) fn made(
        certificate: Certificate,
        parents: Vec<Certificate>,
        facts: CaFacts,
    ) -> Self {
        Authority {
            certificate,
            parents,
            facts,
        }
    }

    pub(crate) fn certificate(&self) -> &Certificate {
        &self.certificate
    }

    pub(crate) fn facts(&self) -> &CaFacts {
        &self.facts
    }

    pub(crate) fn parents(&self) -> &[Certificate] {
        &self.parents
    }

    pub(crate) fn not_after(&self) -> i64 {
        self.facts.not_after
    }

    /// This CA followed by its parents.
    pub(crate) fn chain(&self) -> Vec<Certificate> {
        core::iter::once(&self.certificate)
            .chain(&self.parents)
            .cloned()
            .collect()
    }

    pub(crate) fn chain_pem(&self) -> String {
        core::iter::once(&self.certificate)
            .chain(&self.parents)
            .map(Certificate::pem)
            .collect()
    }
}

/// The parameters of a self-signed root CA.
pub(crate) fn root_params(
    options: &CaOptions,
    now: UnixTime,
) -> Result<rcgen::CertificateParams, Error> {
    let period = options.validity.resolve(now)?;
    ca_params(options, &period, now, false)
}

/// The parameters of a CA made at `now` for `period`; `has_issuer` when it is an intermediate.
pub(crate) fn ca_params(
    options: &CaOptions,
    period: &Period,
    now: UnixTime,
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
    // Refused as typed, before the date and id are added (which cut back only whole words).
    profile::within_bound("common name", cn, profile::UB_COMMON_NAME)?;
    let cn = match options.unique_name {
        true => profile::unique_ca_name(cn, now)?,
        false => cn.to_string(),
    };
    profile::ca(
        &cn,
        options.organization.trim(),
        options.path_len,
        constraints.as_ref(),
        period,
        has_issuer,
    )
}

impl CaFacts {
    /// Checks names against the name constraints of this CA and those above it.
    pub(crate) fn check_names(&self, names: &[Name]) -> Result<(), Error> {
        profile::check_constraints(names, &self.constraints)
    }

    /// The parameters of a leaf for a key of `key`, checked against this CA's constraints and period.
    pub(crate) fn leaf_params(
        &self,
        options: &LeafOptions,
        key: KeyAlgorithm,
        now: UnixTime,
    ) -> Result<rcgen::CertificateParams, Error> {
        let names = parse_names(&options.names)?;
        self.check_names(&names)?;
        let period = self.period_within(&options.validity, now)?;
        profile::leaf(&names, options.usage, key, &period)
    }

    /// The parameters of an intermediate CA below this one, its path length capped by ours.
    pub(crate) fn intermediate_params(
        &self,
        options: &CaOptions,
        now: UnixTime,
    ) -> Result<rcgen::CertificateParams, Error> {
        if self.path_len == Some(0) {
            return Err(Error::PathLenExceeded);
        }
        let period = self.period_within(&options.validity, now)?;
        let mut options = options.clone();
        if let Some(max) = self.path_len {
            let allowed = u8::try_from(max - 1).unwrap_or(u8::MAX);
            options.path_len = Some(options.path_len.map_or(allowed, |p| p.min(allowed)));
        }
        ca_params(&options, &period, now, true)
    }

    /// Resolves a validity and checks it against this CA's own period.
    pub(crate) fn period_within(
        &self,
        validity: &Validity,
        now: UnixTime,
    ) -> Result<Period, Error> {
        let period = validity.resolve(now)?;
        let now = i64::try_from(now.as_secs()).unwrap_or(i64::MAX);
        if now < self.not_before || now > self.not_after {
            return Err(Error::IssuerNotValid {
                not_before: rfc3339(self.not_before),
                not_after: rfc3339(self.not_after),
            });
        }
        let not_after = i64::try_from(period.not_after).unwrap_or(i64::MAX);
        if not_after > self.not_after {
            return Err(Error::OutlivesIssuer {
                leaf_not_after: rfc3339(not_after),
                issuer_not_after: rfc3339(self.not_after),
            });
        }
        Ok(period)
    }

    /// The facts of a CA made from `params` and `options` below `parent` (none for a root).
    pub(crate) fn made(
        params: &rcgen::CertificateParams,
        options: &CaOptions,
        parent: Option<&CaFacts>,
    ) -> Result<CaFacts, Error> {
        let mut constraints = parent.map(|p| p.constraints.clone()).unwrap_or_default();
        if !options.name_constraints.is_empty() {
            constraints.push(NameConstraints::permit(&options.name_constraints)?);
        }
        Ok(CaFacts {
            not_before: params.not_before.unix_timestamp(),
            not_after: params.not_after.unix_timestamp(),
            path_len: match params.is_ca {
                rcgen::IsCa::Ca(rcgen::BasicConstraints::Constrained(n)) => Some(u32::from(n)),
                _ => None,
            },
            constraints,
        })
    }
}

/// Refuses a subject whose attribute types are not well-formed OIDs: rcgen writes the CA's
/// subject into every certificate it issues, and its encoder panics on such an OID.
fn check_subject_oids(parsed: &x509_parser::certificate::X509Certificate<'_>) -> Result<(), Error> {
    for attr in parsed.subject().iter_attributes() {
        let oid = attr.attr_type();
        let arcs: Option<Vec<u64>> = oid.iter().map(Iterator::collect);
        let encodable = match arcs.as_deref() {
            Some([first, second, ..]) => *first < 3 && (*first == 2 || *second < 40),
            _ => false,
        };
        if !encodable {
            return Err(Error::InvalidCertificate(format!(
                "its subject has an attribute of a malformed type ({oid})"
            )));
        }
    }
    Ok(())
}

fn read_facts(cert: &Certificate, parents: &[Certificate]) -> Result<CaFacts, Error> {
    let parsed = cert.parsed()?;
    check_subject_oids(&parsed)?;
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
