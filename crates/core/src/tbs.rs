//! Certificates and CSRs whose signature is made outside the core (by WebCrypto in the page):
//! built and encoded here exactly as the native path does, their to-be-signed bytes handed out,
//! and the signature put in afterwards.
//!
//! rcgen encodes the certificate once, with a signer ([`OutsideKey`]) that signs nothing. A signed
//! X.509 structure is `SEQUENCE { tbs, signatureAlgorithm, signature BIT STRING }` (certificates
//! and PKCS#10 requests alike), so the to-be-signed bytes are read from that encoding with the
//! `der` crate, and finishing puts the caller's signature into the BIT STRING and encodes it
//! again: the to-be-signed bytes cannot change between the two steps.

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use der::asn1::{AnyRef, BitStringRef, UintRef};
use der::{Decode, Encode};
use rcgen::{CertificateParams, CertificateSigningRequestParams, PublicKeyData, SigningKey};
use rustls_pki_types::{CertificateSigningRequestDer, UnixTime};

use crate::certificate::key_id;
use crate::preview::{IssuerView, Preview};
#[cfg(feature = "full")]
use crate::Csr;
use crate::{CertInfo, Certificate, Error, KeyAlgorithm, PublicKey};

/// A certificate built and encoded, waiting for its signature: sign [`tbs`](Self::tbs) with the
/// private key of [`signer`](Self::signer), then [`finish`](Self::finish).
#[derive(Debug)]
pub struct UnsignedCertificate {
    unsigned: Unsigned,
    /// Its decoded view from the parameters, when they are ones the preview covers.
    preview: Option<Preview>,
}

/// A CSR built and encoded, waiting for its signature by the subject's own key.
#[derive(Debug)]
#[cfg(feature = "full")]
pub struct UnsignedCsr {
    unsigned: Unsigned,
}

/// An encoded signed structure with an empty signature, and the bytes to sign.
#[derive(Debug)]
struct Unsigned {
    encoded: Vec<u8>,
    tbs: Vec<u8>,
    signer: PublicKey,
}

/// `Certificate` (RFC 5280) and `CertificationRequest` (RFC 2986) share this shape.
#[derive(der::Sequence)]
struct Signed<'a> {
    tbs: AnyRef<'a>,
    algorithm: AnyRef<'a>,
    signature: BitStringRef<'a>,
}

impl Unsigned {
    /// What rcgen encoded with [`OutsideKey`] for `signer`, and the bytes to sign read from it.
    fn read(encoded: Vec<u8>, signer: &PublicKey) -> Result<Self, Error> {
        let tbs = Signed::from_der(&encoded)
            .and_then(|s| s.tbs.to_der())
            .map_err(|e| Error::Generation(format!("cannot read what was encoded: {e}")))?;
        Ok(Unsigned {
            encoded,
            tbs,
            signer: signer.clone(),
        })
    }

    /// The encoding with `signature` (WebCrypto's form) in place of the empty one.
    fn finish(&self, signature: &[u8]) -> Result<Vec<u8>, Error> {
        self.put(&signature_der(&self.signer, signature)?)
    }

    /// The encoding with `signature` (X.509's form) in place of the empty one.
    fn put(&self, signature: &[u8]) -> Result<Vec<u8>, Error> {
        let failed = |e: der::Error| Error::Generation(format!("cannot encode the signature: {e}"));
        let unsigned = Signed::from_der(&self.encoded).map_err(failed)?;
        Signed {
            signature: BitStringRef::from_bytes(signature).map_err(failed)?,
            ..unsigned
        }
        .to_der()
        .map_err(failed)
    }
}

impl UnsignedCertificate {
    /// A self-signed certificate: `key` is both subject and signer.
    pub(crate) fn self_signed(params: &CertificateParams, key: &PublicKey) -> Result<Self, Error> {
        let encoded = params.self_signed(&OutsideKey(key.clone()))?;
        Ok(UnsignedCertificate {
            unsigned: Unsigned::read(encoded.der().to_vec(), key)?,
            preview: Preview::new(params, key, key.algorithm(), None),
        })
    }

    /// A certificate for `subject` issued by `issuer` (described by `view`), whose key signs
    /// elsewhere.
    pub(crate) fn issued(
        params: &CertificateParams,
        subject: &PublicKey,
        issuer: &rcgen::Issuer<'_, OutsideKey>,
        view: Option<&IssuerView>,
    ) -> Result<Self, Error> {
        let signer = &issuer.key().0;
        let encoded = params.signed_by(&subject.rcgen(), issuer)?;
        let unsigned = Unsigned::read(encoded.der().to_vec(), signer)?;
        let preview = view.and_then(|v| Preview::new(params, subject, signer.algorithm(), Some(v)));
        Ok(UnsignedCertificate { unsigned, preview })
    }

    /// A certificate for a CSR's key and names, issued by `issuer`.
    #[cfg(feature = "full")]
    pub(crate) fn from_csr(
        request: &CertificateSigningRequestParams,
        issuer: &rcgen::Issuer<'_, OutsideKey>,
    ) -> Result<Self, Error> {
        let encoded = request.signed_by(issuer)?;
        Ok(UnsignedCertificate {
            unsigned: Unsigned::read(encoded.der().to_vec(), &issuer.key().0)?,
            preview: None,
        })
    }

    /// The DER TBSCertificate: the bytes to sign.
    pub fn tbs(&self) -> &[u8] {
        &self.unsigned.tbs
    }

    /// How the certificates this one issues (as a CA) show it, from its preview.
    pub(crate) fn issuer_view(&self) -> Option<IssuerView> {
        self.preview.as_ref().and_then(Preview::issuer_view)
    }

    /// The key that must sign: its algorithm says how (ECDSA P-256 with SHA-256, P-384 with
    /// SHA-384, Ed25519, or RSASSA-PKCS1-v1_5 with SHA-256).
    pub fn signer(&self) -> &PublicKey {
        &self.unsigned.signer
    }

    /// Checks that `signature` has the form and length [`finish`](Self::finish) takes, so a
    /// caller can refuse it without giving up the certificate.
    pub fn check_signature(&self, signature: &[u8]) -> Result<(), Error> {
        signature_der(&self.unsigned.signer, signature).map(|_| ())
    }

    /// Puts in the signature over [`tbs`](Self::tbs), in the form WebCrypto's `sign` returns:
    /// raw `r || s` for ECDSA, 64 bytes for Ed25519, the modulus length for RSA. The signature
    /// itself is not verified here.
    pub fn finish(self, signature: &[u8]) -> Result<Certificate, Error> {
        let der = self.unsigned.finish(signature)?;
        Ok(Certificate::from_encoded(der.into()))
    }

    /// Like [`finish`](Self::finish), with the certificate's decoded view as
    /// [`Certificate::inspect_unverified`] gives it at `now`, built from the parameters that
    /// made it rather than by parsing it back where they allow.
    pub fn finish_described(
        self,
        signature: &[u8],
        now: UnixTime,
    ) -> Result<(Certificate, CertInfo), Error> {
        let der = self.unsigned.finish(signature)?;
        self.described(der, now)
    }

    /// Like [`finish_described`](Self::finish_described), signed here by `key`, the private half
    /// of [`signer`](Self::signer) (the core's own crypto, where WebCrypto is missing).
    #[cfg(feature = "full")]
    pub fn sign_described(
        self,
        key: &crate::KeyPair,
        now: UnixTime,
    ) -> Result<(Certificate, CertInfo), Error> {
        if key.public_key().der() != self.signer().der() {
            return Err(Error::KeyMismatch);
        }
        let der = self.unsigned.put(&key.sign(&self.unsigned.tbs)?)?;
        self.described(der, now)
    }

    /// The certificate `der` (this one, signed) and its decoded view at `now`.
    fn described(self, der: Vec<u8>, now: UnixTime) -> Result<(Certificate, CertInfo), Error> {
        let certificate = Certificate::from_encoded(der.into());
        let info = match self.preview {
            Some(preview) => preview.finish(certificate.der(), now),
            #[cfg(feature = "full")]
            None => certificate.inspect_unverified(now)?,
            #[cfg(not(feature = "full"))]
            None => {
                return Err(Error::Generation(
                    "this build cannot describe certificates for a CSR".into(),
                ))
            }
        };
        Ok((certificate, info))
    }
}

#[cfg(feature = "full")]
impl UnsignedCsr {
    /// A request signed by its own subject key.
    pub(crate) fn prepare(params: &CertificateParams, key: &PublicKey) -> Result<Self, Error> {
        let encoded = params.serialize_request(&OutsideKey(key.clone()))?;
        Ok(UnsignedCsr {
            unsigned: Unsigned::read(encoded.der().to_vec(), key)?,
        })
    }

    /// The DER CertificationRequestInfo: the bytes to sign.
    pub fn tbs(&self) -> &[u8] {
        &self.unsigned.tbs
    }

    /// The key that must sign (the subject's own).
    pub fn signer(&self) -> &PublicKey {
        &self.unsigned.signer
    }

    /// Puts in the signature over [`tbs`](Self::tbs), in WebCrypto's form as for
    /// [`UnsignedCertificate::finish`].
    pub fn finish(self, signature: &[u8]) -> Result<Csr, Error> {
        let der = self.unsigned.finish(signature)?;
        Ok(Csr::from_der_unchecked(CertificateSigningRequestDer::from(
            der,
        )))
    }
}

/// Fixes `params`' key identifier to the one derived from `key`, so the SKI rcgen writes, the
/// AKI of what the CA issues and the preview hash the key once rather than each on its own.
pub(crate) fn key_id_once(params: &mut CertificateParams, key: &PublicKey) {
    params.key_identifier_method = rcgen::KeyIdMethod::PreSpecified(key_id(key.der()));
}

/// rcgen's view of a key whose private half is elsewhere: it has the public key and signs
/// nothing (an empty signature), so rcgen encodes everything but the signature.
#[derive(Debug, Clone)]
pub(crate) struct OutsideKey(pub(crate) PublicKey);

impl PublicKeyData for OutsideKey {
    fn subject_public_key_info(&self) -> Vec<u8> {
        self.0.der().to_vec()
    }

    fn der_bytes(&self) -> &[u8] {
        self.0.raw()
    }

    fn algorithm(&self) -> &'static rcgen::SignatureAlgorithm {
        self.0.algorithm().signature_algorithm()
    }
}

impl SigningKey for OutsideKey {
    fn sign(&self, _msg: &[u8]) -> Result<Vec<u8>, rcgen::Error> {
        Ok(Vec::new())
    }
}

/// ECDSA-Sig-Value (RFC 3279): what X.509 carries for an ECDSA signature.
#[derive(der::Sequence)]
struct EcdsaSigValue<'a> {
    r: UintRef<'a>,
    s: UintRef<'a>,
}

/// Converts a signature from WebCrypto's form into the one X.509 carries, checking its length.
fn signature_der(key: &PublicKey, signature: &[u8]) -> Result<Vec<u8>, Error> {
    let bad = |why: String| Error::InvalidSignature(why);
    let expected = match key.algorithm() {
        KeyAlgorithm::P256 => 64,
        KeyAlgorithm::P384 => 96,
        KeyAlgorithm::Ed25519 => 64,
        _ => key.bits().div_ceil(8),
    };
    if signature.len() != expected {
        return Err(bad(format!(
            "expected {expected} bytes for {}, got {}",
            key.algorithm().description(),
            signature.len()
        )));
    }
    if !matches!(key.algorithm(), KeyAlgorithm::P256 | KeyAlgorithm::P384) {
        return Ok(signature.to_vec());
    }
    let (r, s) = signature.split_at(expected / 2);
    if r.iter().all(|b| *b == 0) || s.iter().all(|b| *b == 0) {
        return Err(bad("an ECDSA signature cannot have a zero r or s".into()));
    }
    UintRef::new(r)
        .and_then(|r| {
            Ok(EcdsaSigValue {
                r,
                s: UintRef::new(s)?,
            })
        })
        .and_then(|v| v.to_der())
        .map_err(|e| bad(format!("cannot encode the ECDSA signature: {e}")))
}
