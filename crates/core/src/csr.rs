//! Certificate signing requests: make one for a key and names, or sign one under a CA with our
//! leaf profile (the request cannot ask for CA:TRUE or extra extensions).

use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;

use rcgen::{CertificateSigningRequestParams, DnType, IsCa, SanType};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateSigningRequestDer, UnixTime};

use crate::ca::Authority;
use crate::names::{parse_names, Name};
use crate::profile::{self, Usage};
use crate::validity::{Validity, LEAF_DAYS};
#[cfg(feature = "full")]
use crate::{Ca, KeyPair};
use crate::{Certificate, Error, KeyAlgorithm, PublicKey, UnsignedCsr};

/// A PKCS#10 certificate signing request.
#[derive(Clone, Debug)]
pub struct Csr {
    der: CertificateSigningRequestDer<'static>,
    /// The request as parsed (and its signature checked) by [`Csr::parse`], kept so signing it
    /// does not check the signature a second time.
    parsed: Option<CertificateSigningRequestParams>,
}

impl PartialEq for Csr {
    fn eq(&self, other: &Self) -> bool {
        self.der == other.der
    }
}

impl Eq for Csr {}

/// How to sign a CSR: the names come from the request, everything else from here.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CsrOptions {
    /// Server, client or both.
    pub usage: Usage,
    /// Validity (default 397 days).
    pub validity: Validity,
}

impl Default for CsrOptions {
    fn default() -> Self {
        CsrOptions {
            usage: Usage::Server,
            validity: Validity::Days(LEAF_DAYS),
        }
    }
}

impl Csr {
    /// Makes a CSR for `names`, signed by `key`; the first name becomes the subject CN.
    #[cfg(feature = "full")]
    pub fn new<S: AsRef<str>>(names: &[S], key: &KeyPair) -> Result<Csr, Error> {
        let params = profile::request(&parse_names(names)?)?;
        let csr = params.serialize_request(key.rcgen())?;
        Ok(Csr {
            der: csr.der().clone(),
            parsed: None,
        })
    }

    /// Prepares a CSR for `names` whose signature the caller makes with the private half of `key`
    /// (e.g. in WebCrypto), then puts in with [`UnsignedCsr::finish`].
    pub fn prepare<S: AsRef<str>>(names: &[S], key: &PublicKey) -> Result<UnsignedCsr, Error> {
        let params = profile::request(&parse_names(names)?)?;
        UnsignedCsr::prepare(&params, key)
    }

    /// Reads a CSR from PEM (`CERTIFICATE REQUEST`) or DER and checks its signature.
    pub fn parse(input: &[u8]) -> Result<Csr, Error> {
        let der = if input.windows(10).any(|w| w == b"-----BEGIN") {
            CertificateSigningRequestDer::from_pem_slice(input).map_err(|e| match e {
                rustls_pki_types::pem::Error::NoItemsFound => match crate::pem::first_kind(input) {
                    Some(found) => Error::WrongKind {
                        found,
                        expected: "a certificate signing request",
                    },
                    None => Error::InvalidCsr(
                        "no -----BEGIN CERTIFICATE REQUEST----- block found".into(),
                    ),
                },
                other => crate::pem::describe_error(other),
            })?
        } else {
            CertificateSigningRequestDer::from(input.to_vec())
        };
        let parsed = Some(parse_request(&der)?);
        Ok(Csr { der, parsed })
    }

    /// Wraps DER this crate has just encoded.
    pub(crate) fn from_der_unchecked(der: CertificateSigningRequestDer<'static>) -> Csr {
        Csr { der, parsed: None }
    }

    /// The DER bytes.
    pub fn der(&self) -> &CertificateSigningRequestDer<'static> {
        &self.der
    }

    /// The request as PEM (`-----BEGIN CERTIFICATE REQUEST-----`).
    pub fn pem(&self) -> String {
        crate::pem::encode("CERTIFICATE REQUEST", self.der.as_ref())
    }

    /// The names the request asks for (its SANs, or its CN when it has none).
    pub fn names(&self) -> Result<Vec<Name>, Error> {
        requested_names(&self.params()?)
    }

    /// The requester's key algorithm.
    pub fn key_algorithm(&self) -> Result<KeyAlgorithm, Error> {
        Ok(self.public_key()?.algorithm())
    }

    /// The requester's public key.
    pub fn public_key(&self) -> Result<PublicKey, Error> {
        requested_key(&self.params()?)
    }

    fn params(&self) -> Result<CertificateSigningRequestParams, Error> {
        match &self.parsed {
            Some(parsed) => Ok(parsed.clone()),
            None => parse_request(&self.der),
        }
    }
}

/// Parses a CSR and checks its signature.
fn parse_request(
    der: &CertificateSigningRequestDer<'_>,
) -> Result<CertificateSigningRequestParams, Error> {
    CertificateSigningRequestParams::from_der(der).map_err(|e| {
        if let Some(unsupported) = unsupported_key(der) {
            return unsupported;
        }
        Error::InvalidCsr(match e {
            rcgen::Error::InvalidCertificationRequestSignature => {
                "its signature does not verify (was it altered?)".to_string()
            }
            rcgen::Error::UnsupportedExtension => {
                "it requests an extension selfsign does not sign; request only names".to_string()
            }
            rcgen::Error::CouldNotParseCertificationRequest => {
                if Certificate::from_der(der.as_ref().to_vec()).is_ok() {
                    return Error::WrongKind {
                        found: "a certificate",
                        expected: "a certificate signing request",
                    };
                }
                "not a PKCS#10 certificate request".to_string()
            }
            other => other.to_string(),
        })
    })
}

#[cfg(feature = "full")]
impl Ca {
    /// Issues a leaf for a CSR: its names and public key, our profile and validity.
    pub fn sign_csr(
        &self,
        csr: &Csr,
        options: &CsrOptions,
        now: UnixTime,
    ) -> Result<Certificate, Error> {
        let request = self.authority().csr_request(csr, options, now)?;
        let signed = request.signed_by(self.issuer())?;
        Ok(Certificate::from_encoded(signed.der().clone()))
    }
}

impl Authority {
    /// A CSR's key and names with our leaf profile and validity, checked against this CA.
    pub(crate) fn csr_request(
        &self,
        csr: &Csr,
        options: &CsrOptions,
        now: UnixTime,
    ) -> Result<CertificateSigningRequestParams, Error> {
        let requested = csr.params()?;
        if matches!(requested.params.is_ca, IsCa::Ca(_)) {
            return Err(Error::InvalidCsr(
                "it requests CA:TRUE; only leaf certificates are issued from CSRs".into(),
            ));
        }
        let names = requested_names(&requested)?;
        self.facts().check_names(&names)?;
        let period = self.facts().period_within(&options.validity, now)?;
        let key_alg = requested_key(&requested)?.algorithm();
        let params = profile::leaf(&names, options.usage, key_alg, &period)?;
        Ok(CertificateSigningRequestParams {
            params,
            public_key: requested.public_key,
        })
    }
}

/// The error for a well-formed request whose key selfsign cannot sign for (ring cannot check
/// its signature either, which is why rcgen's own error would blame the signature).
fn unsupported_key(der: &CertificateSigningRequestDer<'_>) -> Option<Error> {
    use x509_parser::prelude::FromDer;
    let (_, request) =
        x509_parser::certification_request::X509CertificationRequest::from_der(der).ok()?;
    let spki = request.certification_request_info.subject_pki.raw;
    PublicKey::from_der(spki).err()?;
    Some(Error::InvalidCsr(format!(
        "its key is {}, which selfsign cannot sign for; make the CSR with an ECDSA P-256 or P-384, Ed25519, or 2048- to 8192-bit RSA key",
        crate::public_key::describe_spki(spki)
    )))
}

fn requested_key(csr: &CertificateSigningRequestParams) -> Result<PublicKey, Error> {
    PublicKey::from_der(&rcgen::PublicKeyData::subject_public_key_info(
        &csr.public_key,
    ))
    .map_err(|e| Error::InvalidCsr(format!("{e}")))
}

fn requested_names(csr: &CertificateSigningRequestParams) -> Result<Vec<Name>, Error> {
    let mut raw: Vec<String> = Vec::new();
    for san in &csr.params.subject_alt_names {
        raw.push(match san {
            SanType::DnsName(s) => s.as_str().to_string(),
            SanType::Rfc822Name(s) => s.as_str().to_string(),
            SanType::URI(s) => s.as_str().to_string(),
            SanType::IpAddress(ip) => ip.to_string(),
            _ => {
                return Err(Error::InvalidCsr(
                    "it requests an unsupported kind of name".into(),
                ))
            }
        });
    }
    if raw.is_empty() {
        let cn = csr
            .params
            .distinguished_name
            .get(&DnType::CommonName)
            .and_then(profile::dn_text)
            .ok_or_else(|| Error::InvalidCsr("it names nothing: no SAN and no CN".into()))?;
        raw.push(cn);
    }
    parse_names(&raw)
        .map(profile::dedup)
        .map_err(|e| Error::InvalidCsr(format!("{e}")))
}
