//! A CA whose private key is held outside the core (a WebCrypto `CryptoKey` in the page): it checks
//! and builds certificates exactly as [`Ca`](crate::Ca) does, and the caller signs them.

use alloc::string::String;
use alloc::sync::Arc;
use alloc::vec::Vec;

use rustls_pki_types::UnixTime;

use crate::ca::{root_params, Authority, CaFacts};
use crate::issue::{CaOptions, LeafOptions};
use crate::preview::IssuerView;
use crate::tbs::{key_id_once, OutsideKey};
use crate::{parse_certificates, Certificate, Error, PublicKey};
use crate::{CertInfo, KeyAlgorithm, UnsignedCertificate};
#[cfg(feature = "full")]
use crate::{Csr, CsrOptions};

/// A CA certificate whose key signs elsewhere: each `prepare_*` returns an
/// [`UnsignedCertificate`] to sign with that key and finish.
#[derive(Debug, Clone)]
pub struct ExternalCa {
    authority: Authority,
    /// The subject, key identifier and public key that issuance needs, read or made once.
    issuer: Arc<rcgen::Issuer<'static, OutsideKey>>,
    /// How the certificates it issues show it (for their decoded view).
    view: Option<IssuerView>,
}

/// A CA certificate prepared for a key held elsewhere, waiting for its signature: sign
/// [`tbs`](Self::tbs) with the private key of [`signer`](Self::signer), then
/// [`finish`](Self::finish) it into an [`ExternalCa`] that issues without reading it back. It can
/// already prepare what it issues ([`prepare_issue`](Self::prepare_issue)), so a CA and its first
/// leaf are signed together.
#[derive(Debug)]
pub struct UnsignedCa {
    certificate: UnsignedCertificate,
    ca: CaParts,
}

/// What a prepared CA issues with, and becomes an [`ExternalCa`] with once it is signed.
#[derive(Debug)]
struct CaParts {
    issuer: Arc<rcgen::Issuer<'static, OutsideKey>>,
    view: Option<IssuerView>,
    parents: Vec<Certificate>,
    facts: CaFacts,
}

impl ExternalCa {
    /// Prepares a self-signed root CA for `key` (`options.key` is ignored).
    pub fn prepare_root(
        options: &CaOptions,
        key: &PublicKey,
        now: UnixTime,
    ) -> Result<UnsignedCa, Error> {
        let mut params = root_params(options, now)?;
        key_id_once(&mut params, key);
        let facts = CaFacts::made(&params, options, None)?;
        let certificate = UnsignedCertificate::self_signed(&params, key)?;
        let ca = CaParts::new(params, key, &certificate, Vec::new(), facts);
        Ok(UnsignedCa { certificate, ca })
    }

    /// Takes a CA certificate and the certificates above it (nearest first); the key that signs
    /// for it is the one in the certificate.
    #[cfg(feature = "full")]
    pub fn from_parts(certificate: Certificate, parents: Vec<Certificate>) -> Result<Self, Error> {
        let authority = Authority::new(certificate, parents)?;
        let (key, view) = IssuerView::of_certificate(authority.certificate())?;
        let issuer =
            rcgen::Issuer::from_ca_cert_der(authority.certificate().der(), OutsideKey(key))?;
        Ok(ExternalCa {
            authority,
            issuer: Arc::new(issuer),
            view: Some(view),
        })
    }

    /// Reads a PEM CA certificate, optionally followed by its own issuers.
    #[cfg(feature = "full")]
    pub fn from_pem(cert_pem: &str) -> Result<Self, Error> {
        let mut certs = parse_certificates(cert_pem.as_bytes())?;
        let cert = certs.remove(0);
        ExternalCa::from_parts(cert, certs)
    }

    /// The CA's own certificate.
    pub fn certificate(&self) -> &Certificate {
        self.authority.certificate()
    }

    /// The public key whose private half must sign what this CA prepares.
    pub fn public_key(&self) -> &PublicKey {
        &self.issuer.key().0
    }

    /// Certificates above this CA, nearest first (empty for a root).
    pub fn parents(&self) -> &[Certificate] {
        self.authority.parents()
    }

    /// This CA followed by its parents: the chain of what it issues, after the leaf.
    pub fn chain(&self) -> Vec<Certificate> {
        self.authority.chain()
    }

    /// This CA followed by its parents, as PEM.
    pub fn chain_pem(&self) -> String {
        self.authority.chain_pem()
    }

    /// When the CA expires, in Unix seconds.
    pub fn not_after(&self) -> i64 {
        self.authority.not_after()
    }

    /// Prepares a leaf for `key` (`options.key` is ignored), checked against this CA's name
    /// constraints and validity.
    pub fn prepare_issue(
        &self,
        options: &LeafOptions,
        key: &PublicKey,
        now: UnixTime,
    ) -> Result<UnsignedCertificate, Error> {
        prepare_leaf(
            self.authority.facts(),
            &self.issuer,
            self.view.as_ref(),
            options,
            key,
            now,
        )
    }

    /// Prepares an intermediate CA for `key` (`options.key` is ignored).
    pub fn prepare_intermediate(
        &self,
        options: &CaOptions,
        key: &PublicKey,
        now: UnixTime,
    ) -> Result<UnsignedCa, Error> {
        let mut params = self.authority.facts().intermediate_params(options, now)?;
        key_id_once(&mut params, key);
        let facts = CaFacts::made(&params, options, Some(self.authority.facts()))?;
        let certificate =
            UnsignedCertificate::issued(&params, key, &self.issuer, self.view.as_ref())?;
        let ca = CaParts::new(params, key, &certificate, self.chain(), facts);
        Ok(UnsignedCa { certificate, ca })
    }

    /// Prepares a leaf for a CSR: its names and public key, our profile and validity.
    #[cfg(feature = "full")]
    pub fn prepare_sign_csr(
        &self,
        csr: &Csr,
        options: &CsrOptions,
        now: UnixTime,
    ) -> Result<UnsignedCertificate, Error> {
        let request = self.authority.csr_request(csr, options, now)?;
        UnsignedCertificate::from_csr(&request, &self.issuer)
    }

    /// The algorithm the CA's key signs with.
    pub fn key_algorithm(&self) -> KeyAlgorithm {
        self.public_key().algorithm()
    }
}

impl UnsignedCa {
    /// The DER TBSCertificate: the bytes to sign.
    pub fn tbs(&self) -> &[u8] {
        self.certificate.tbs()
    }

    /// The key that must sign: the CA's own for a root, its issuer's for an intermediate.
    pub fn signer(&self) -> &PublicKey {
        self.certificate.signer()
    }

    /// Checks a signature as [`UnsignedCertificate::check_signature`] does.
    pub fn check_signature(&self, signature: &[u8]) -> Result<(), Error> {
        self.certificate.check_signature(signature)
    }

    /// Puts in the signature over [`tbs`](Self::tbs) (WebCrypto's form, as for
    /// [`UnsignedCertificate::finish`]) and returns the CA, ready to issue.
    pub fn finish(self, signature: &[u8]) -> Result<ExternalCa, Error> {
        let certificate = self.certificate.finish(signature)?;
        Ok(self.ca.into_ca(certificate))
    }

    /// The CA certificate alone, for a caller that will not issue with this CA: finishing it
    /// skips making the [`ExternalCa`].
    pub fn into_certificate(self) -> UnsignedCertificate {
        self.certificate
    }

    /// Like [`finish`](Self::finish), with the CA certificate's decoded view as
    /// [`UnsignedCertificate::finish_described`] gives it.
    pub fn finish_described(
        self,
        signature: &[u8],
        now: UnixTime,
    ) -> Result<(ExternalCa, CertInfo), Error> {
        let (certificate, info) = self.certificate.finish_described(signature, now)?;
        Ok((self.ca.into_ca(certificate), info))
    }

    /// Prepares a leaf this CA issues for `key`, as [`ExternalCa::prepare_issue`] does once the
    /// CA is finished: what a leaf says of its issuer does not depend on the CA's signature.
    pub fn prepare_issue(
        &self,
        options: &LeafOptions,
        key: &PublicKey,
        now: UnixTime,
    ) -> Result<UnsignedCertificate, Error> {
        let ca = &self.ca;
        prepare_leaf(&ca.facts, &ca.issuer, ca.view.as_ref(), options, key, now)
    }
}

impl CaParts {
    /// The issuer a CA made from `params` for `key` (as `certificate`) is, with the
    /// certificates above it.
    fn new(
        params: rcgen::CertificateParams,
        key: &PublicKey,
        certificate: &UnsignedCertificate,
        parents: Vec<Certificate>,
        facts: CaFacts,
    ) -> Self {
        CaParts {
            view: certificate.issuer_view(),
            issuer: Arc::new(rcgen::Issuer::new(params, OutsideKey(key.clone()))),
            parents,
            facts,
        }
    }

    fn into_ca(self, certificate: Certificate) -> ExternalCa {
        ExternalCa {
            authority: Authority::made(certificate, self.parents, self.facts),
            issuer: self.issuer,
            view: self.view,
        }
    }
}

/// Prepares a leaf for `key` issued by the CA that `facts`, `issuer` and `view` describe,
/// checked against its name constraints and validity.
fn prepare_leaf(
    facts: &CaFacts,
    issuer: &rcgen::Issuer<'static, OutsideKey>,
    view: Option<&IssuerView>,
    options: &LeafOptions,
    key: &PublicKey,
    now: UnixTime,
) -> Result<UnsignedCertificate, Error> {
    let mut params = facts.leaf_params(options, key.algorithm(), now)?;
    key_id_once(&mut params, key);
    UnsignedCertificate::issued(&params, key, issuer, view)
}
