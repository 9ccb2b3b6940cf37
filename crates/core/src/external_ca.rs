//! A CA whose private key is held outside the core (a WebCrypto `CryptoKey` in the page): it checks
//! and builds certificates exactly as [`Ca`](crate::Ca) does, and the caller signs them.

use alloc::string::String;
use alloc::vec::Vec;

use rustls_pki_types::UnixTime;

use crate::ca::{root_params, Authority};
use crate::issue::{CaOptions, LeafOptions};
use crate::{parse_certificates, Certificate, Csr, CsrOptions, Error, PublicKey};
use crate::{KeyAlgorithm, UnsignedCertificate};

/// A CA certificate whose key signs elsewhere: each `prepare_*` returns an
/// [`UnsignedCertificate`] to sign with that key and finish.
#[derive(Debug, Clone)]
pub struct ExternalCa {
    authority: Authority,
    key: PublicKey,
}

impl ExternalCa {
    /// Prepares a self-signed root CA for `key` (`options.key` is ignored).
    pub fn prepare_root(
        options: &CaOptions,
        key: &PublicKey,
        now: UnixTime,
    ) -> Result<UnsignedCertificate, Error> {
        UnsignedCertificate::self_signed(&root_params(options, now)?, key)
    }

    /// Takes a CA certificate and the certificates above it (nearest first); the key that signs
    /// for it is the one in the certificate.
    pub fn from_parts(certificate: Certificate, parents: Vec<Certificate>) -> Result<Self, Error> {
        let authority = Authority::new(certificate, parents)?;
        let key = PublicKey::from_der(&authority.public_key_der()?)?;
        Ok(ExternalCa { authority, key })
    }

    /// Reads a PEM CA certificate, optionally followed by its own issuers.
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
        &self.key
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
        let params = self.authority.leaf_params(options, key.algorithm(), now)?;
        UnsignedCertificate::issued(&params, key, self.certificate(), &self.key)
    }

    /// Prepares an intermediate CA for `key` (`options.key` is ignored).
    pub fn prepare_intermediate(
        &self,
        options: &CaOptions,
        key: &PublicKey,
        now: UnixTime,
    ) -> Result<UnsignedCertificate, Error> {
        let params = self.authority.intermediate_params(options, now)?;
        UnsignedCertificate::issued(&params, key, self.certificate(), &self.key)
    }

    /// Prepares a leaf for a CSR: its names and public key, our profile and validity.
    pub fn prepare_sign_csr(
        &self,
        csr: &Csr,
        options: &CsrOptions,
        now: UnixTime,
    ) -> Result<UnsignedCertificate, Error> {
        let request = self.authority.csr_request(csr, options, now)?;
        UnsignedCertificate::from_csr(&request, self.certificate(), &self.key)
    }

    /// The algorithm the CA's key signs with.
    pub fn key_algorithm(&self) -> KeyAlgorithm {
        self.key.algorithm()
    }
}
