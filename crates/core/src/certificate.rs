//! A DER certificate with its PEM form, fingerprints and SPKI pin.

use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;

use base64::Engine;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::CertificateDer;
use x509_parser::prelude::X509Certificate;

use crate::Error;

/// An X.509 certificate, known to parse.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Certificate {
    der: CertificateDer<'static>,
}

impl Certificate {
    /// Wraps DER bytes after checking that they are exactly one certificate.
    pub fn from_der(der: impl Into<CertificateDer<'static>>) -> Result<Self, Error> {
        let der = der.into();
        parse(&der)?;
        Ok(Certificate { der })
    }

    /// Wraps DER this crate has just encoded, which needs no second parse.
    pub(crate) fn from_encoded(der: CertificateDer<'static>) -> Self {
        Certificate { der }
    }

    /// Reads the first certificate of a PEM text.
    pub fn from_pem(pem: &str) -> Result<Self, Error> {
        parse_certificates(pem.as_bytes())?
            .into_iter()
            .next()
            .ok_or(Error::NoCertificate)
    }

    /// The DER bytes as the type rustls takes.
    pub fn der(&self) -> &CertificateDer<'static> {
        &self.der
    }

    /// The certificate as PEM (`-----BEGIN CERTIFICATE-----`).
    pub fn pem(&self) -> String {
        crate::pem::encode("CERTIFICATE", &self.der)
    }

    /// SHA-256 over the whole certificate (what browsers show and WebTransport pins).
    pub fn sha256(&self) -> [u8; 32] {
        sha256(&self.der)
    }

    /// SHA-256 fingerprint as colon-separated upper-case hex, as `openssl x509 -fingerprint` prints.
    pub fn sha256_fingerprint(&self) -> String {
        hex_colon(&self.sha256())
    }

    /// Base64 SHA-256 of the SubjectPublicKeyInfo: the pin for Chromium's
    /// `--ignore-certificate-errors-spki-list` and HPKP-style pinning.
    pub fn spki_sha256_base64(&self) -> String {
        let spki = self
            .parsed()
            .map(|c| sha256(c.tbs_certificate.subject_pki.raw));
        base64::engine::general_purpose::STANDARD.encode(spki.unwrap_or_default())
    }

    /// The DER SubjectPublicKeyInfo the certificate is for.
    pub fn public_key_der(&self) -> Result<Vec<u8>, Error> {
        Ok(self.parsed()?.tbs_certificate.subject_pki.raw.to_vec())
    }

    /// Whether `issuer` issued this certificate: its subject is this one's issuer and its key
    /// made this one's signature.
    #[cfg(feature = "full")]
    pub fn issued_by(&self, issuer: &Certificate) -> bool {
        let (Ok(this), Ok(issuer)) = (self.parsed(), issuer.parsed()) else {
            return false;
        };
        let issuer = &issuer.tbs_certificate;
        this.tbs_certificate.issuer.as_raw() == issuer.subject.as_raw()
            && this.verify_signature(Some(&issuer.subject_pki)).is_ok()
    }

    /// Whether subject and issuer are the same name: a root, for chain building.
    pub(crate) fn is_self_issued(&self) -> bool {
        self.parsed()
            .is_ok_and(|c| c.tbs_certificate.subject.as_raw() == c.tbs_certificate.issuer.as_raw())
    }

    pub(crate) fn parsed(&self) -> Result<X509Certificate<'_>, Error> {
        parse(&self.der)
    }
}

fn parse(der: &[u8]) -> Result<X509Certificate<'_>, Error> {
    match x509_parser::parse_x509_certificate(der) {
        Ok(([], cert)) => Ok(cert),
        Ok((rest, _)) => Err(Error::InvalidCertificate(format!(
            "{} unexpected bytes after the certificate",
            rest.len()
        ))),
        Err(e) => Err(Error::InvalidCertificate(describe_der_error(&e))),
    }
}

fn describe_der_error(e: &x509_parser::nom::Err<x509_parser::error::X509Error>) -> String {
    use x509_parser::error::X509Error;
    use x509_parser::nom::error::ErrorKind;
    let truncated =
        "truncated: the data ends before the certificate does (was the file cut short?)";
    match e {
        x509_parser::nom::Err::Incomplete(_) => truncated.to_string(),
        x509_parser::nom::Err::Error(e) | x509_parser::nom::Err::Failure(e) => match e {
            X509Error::NomError(ErrorKind::Eof | ErrorKind::Complete)
            | X509Error::Der(x509_parser::der_parser::error::Error::Incomplete(_)) => {
                truncated.to_string()
            }
            _ => "the data is damaged or is not an X.509 certificate".to_string(),
        },
    }
}

/// Reads every certificate from a PEM bundle (other blocks such as keys are skipped) or from one
/// DER certificate.
pub fn parse_certificates(input: &[u8]) -> Result<Vec<Certificate>, Error> {
    if input.windows(10).any(|w| w == b"-----BEGIN") {
        let mut out = Vec::new();
        for item in CertificateDer::pem_slice_iter(input) {
            let der = item.map_err(crate::pem::describe_error)?;
            out.push(Certificate::from_der(der)?);
        }
        if out.is_empty() {
            return Err(match crate::pem::first_kind(input) {
                Some(found) => Error::WrongKind {
                    found,
                    expected: "a certificate",
                },
                None => Error::NoCertificate,
            });
        }
        return Ok(out);
    }
    if input.is_empty() {
        return Err(Error::NoCertificate);
    }
    if input.first() != Some(&0x30) {
        return Err(Error::InvalidCertificate(
            "neither PEM (-----BEGIN CERTIFICATE-----) nor DER (which starts with byte 0x30)"
                .into(),
        ));
    }
    Ok(alloc::vec![Certificate::from_der(input.to_vec())?])
}

pub(crate) fn sha256(data: &[u8]) -> [u8; 32] {
    use sha2::Digest;
    sha2::Sha256::digest(data).into()
}

/// The key identifier of a SubjectPublicKeyInfo (RFC 7093 method 1, rcgen's default): its SHA-256
/// truncated to 20 bytes.
pub(crate) fn key_id(spki: &[u8]) -> Vec<u8> {
    sha256(spki)[..20].to_vec()
}

/// Bytes as colon-separated upper-case hex (`AB:CD:…`), as openssl prints fingerprints and serials.
pub(crate) fn hex_colon(bytes: &[u8]) -> String {
    hex(bytes, b"0123456789ABCDEF", Some(b':'))
}

/// Bytes as lower-case hex without separators.
pub(crate) fn hex_lower(bytes: &[u8]) -> String {
    hex(bytes, b"0123456789abcdef", None)
}

fn hex(bytes: &[u8], digits: &[u8; 16], separator: Option<u8>) -> String {
    let mut out = Vec::with_capacity(bytes.len() * 3);
    for (i, b) in bytes.iter().enumerate() {
        if let (Some(sep), true) = (separator, i > 0) {
            out.push(sep);
        }
        out.push(digits[usize::from(b >> 4)]);
        out.push(digits[usize::from(b & 0x0f)]);
    }
    // Built from ASCII digits and separators, so always UTF-8.
    String::from_utf8(out).unwrap_or_default()
}
