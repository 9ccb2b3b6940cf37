//! Certificates and CSRs whose signature is made outside the core (by WebCrypto in the page):
//! built and encoded here exactly as the native path does, their to-be-signed bytes handed out,
//! and the signature put in afterwards.
//!
//! rcgen encodes deterministically, so the same parameters (serial and validity fixed when
//! prepared) are encoded twice: once with a signer that records the to-be-signed bytes, and once
//! with a signer that returns the caller's signature after checking the bytes are the same.

use alloc::format;
use alloc::vec::Vec;
use core::cell::{Cell, RefCell};

use der::asn1::UintRef;
use der::Encode;
use rcgen::{CertificateParams, CertificateSigningRequestParams, PublicKeyData, SigningKey};
use rustls_pki_types::{CertificateDer, CertificateSigningRequestDer};

use crate::{Certificate, Csr, Error, KeyAlgorithm, PublicKey};

/// A certificate built and encoded, waiting for its signature: sign [`tbs`](Self::tbs) with the
/// private key of [`signer`](Self::signer), then [`finish`](Self::finish).
#[derive(Debug)]
pub struct UnsignedCertificate {
    job: Job,
    signer: PublicKey,
    tbs: Vec<u8>,
}

/// A CSR built and encoded, waiting for its signature by the subject's own key.
#[derive(Debug)]
pub struct UnsignedCsr {
    params: CertificateParams,
    signer: PublicKey,
    tbs: Vec<u8>,
}

/// How the certificate is encoded: the parameters are fixed once, so both passes agree.
#[derive(Debug)]
enum Job {
    SelfSigned(CertificateParams),
    Issued {
        params: CertificateParams,
        subject: PublicKey,
        issuer: CertificateDer<'static>,
    },
    FromCsr {
        request: CertificateSigningRequestParams,
        issuer: CertificateDer<'static>,
    },
}

impl Job {
    fn encode(&self, signer: &Signer<'_>) -> Result<CertificateDer<'static>, rcgen::Error> {
        let cert = match self {
            Job::SelfSigned(params) => params.self_signed(signer)?,
            Job::Issued {
                params,
                subject,
                issuer,
            } => params.signed_by(
                &subject.rcgen(),
                &rcgen::Issuer::from_ca_cert_der(issuer, signer)?,
            )?,
            Job::FromCsr { request, issuer } => {
                request.signed_by(&rcgen::Issuer::from_ca_cert_der(issuer, signer)?)?
            }
        };
        Ok(cert.der().clone())
    }
}

impl UnsignedCertificate {
    /// A self-signed certificate: `key` is both subject and signer.
    pub(crate) fn self_signed(params: CertificateParams, key: &PublicKey) -> Result<Self, Error> {
        Self::prepare(Job::SelfSigned(params), key)
    }

    /// A certificate for `subject` signed by the key of the CA certificate `issuer`.
    pub(crate) fn issued(
        params: CertificateParams,
        subject: &PublicKey,
        issuer: &Certificate,
        signer: &PublicKey,
    ) -> Result<Self, Error> {
        let job = Job::Issued {
            params,
            subject: subject.clone(),
            issuer: issuer.der().clone(),
        };
        Self::prepare(job, signer)
    }

    /// A certificate for a CSR's key and names, signed by the key of the CA certificate `issuer`.
    pub(crate) fn from_csr(
        request: CertificateSigningRequestParams,
        issuer: &Certificate,
        signer: &PublicKey,
    ) -> Result<Self, Error> {
        let job = Job::FromCsr {
            request,
            issuer: issuer.der().clone(),
        };
        Self::prepare(job, signer)
    }

    fn prepare(job: Job, signer: &PublicKey) -> Result<Self, Error> {
        let recorder = Signer::recording(signer);
        job.encode(&recorder)?;
        Ok(UnsignedCertificate {
            tbs: recorder.recorded()?,
            job,
            signer: signer.clone(),
        })
    }

    /// The DER TBSCertificate: the bytes to sign.
    pub fn tbs(&self) -> &[u8] {
        &self.tbs
    }

    /// The key that must sign: its algorithm says how (ECDSA P-256 with SHA-256, P-384 with
    /// SHA-384, Ed25519, or RSASSA-PKCS1-v1_5 with SHA-256).
    pub fn signer(&self) -> &PublicKey {
        &self.signer
    }

    /// Puts in the signature over [`tbs`](Self::tbs), in the form WebCrypto's `sign` returns:
    /// raw `r || s` for ECDSA, 64 bytes for Ed25519, the modulus length for RSA. The signature
    /// itself is not verified here.
    pub fn finish(self, signature: &[u8]) -> Result<Certificate, Error> {
        let signature = signature_der(&self.signer, signature)?;
        let replayer = Signer::replaying(&self.signer, &self.tbs, &signature);
        let der = self
            .job
            .encode(&replayer)
            .map_err(|e| replayer.explain(e))?;
        Certificate::from_der(der)
    }
}

impl UnsignedCsr {
    /// A request signed by its own subject key.
    pub(crate) fn prepare(params: CertificateParams, key: &PublicKey) -> Result<Self, Error> {
        let recorder = Signer::recording(key);
        params.serialize_request(&recorder)?;
        Ok(UnsignedCsr {
            tbs: recorder.recorded()?,
            params,
            signer: key.clone(),
        })
    }

    /// The DER CertificationRequestInfo: the bytes to sign.
    pub fn tbs(&self) -> &[u8] {
        &self.tbs
    }

    /// The key that must sign (the subject's own).
    pub fn signer(&self) -> &PublicKey {
        &self.signer
    }

    /// Puts in the signature over [`tbs`](Self::tbs), in WebCrypto's form as for
    /// [`UnsignedCertificate::finish`].
    pub fn finish(self, signature: &[u8]) -> Result<Csr, Error> {
        let signature = signature_der(&self.signer, signature)?;
        let replayer = Signer::replaying(&self.signer, &self.tbs, &signature);
        let csr = self
            .params
            .serialize_request(&replayer)
            .map_err(|e| replayer.explain(e))?;
        Ok(Csr::from_der_unchecked(CertificateSigningRequestDer::from(
            csr.der().to_vec(),
        )))
    }
}

/// rcgen's view of the external key: records what it is asked to sign, or answers with the
/// caller's signature when asked to sign the same bytes again.
struct Signer<'a> {
    key: &'a PublicKey,
    step: Step<'a>,
}

enum Step<'a> {
    Record(RefCell<Option<Vec<u8>>>),
    Replay {
        tbs: &'a [u8],
        signature: &'a [u8],
        mismatch: Cell<bool>,
    },
}

impl<'a> Signer<'a> {
    fn recording(key: &'a PublicKey) -> Self {
        Signer {
            key,
            step: Step::Record(RefCell::new(None)),
        }
    }

    fn replaying(key: &'a PublicKey, tbs: &'a [u8], signature: &'a [u8]) -> Self {
        Signer {
            key,
            step: Step::Replay {
                tbs,
                signature,
                mismatch: Cell::new(false),
            },
        }
    }

    fn recorded(&self) -> Result<Vec<u8>, Error> {
        match &self.step {
            Step::Record(cell) => cell.borrow_mut().take(),
            Step::Replay { .. } => None,
        }
        .ok_or_else(|| Error::Generation("nothing was given to sign".into()))
    }

    fn explain(&self, e: rcgen::Error) -> Error {
        match &self.step {
            Step::Replay { mismatch, .. } if mismatch.get() => Error::Generation(
                "the to-be-signed bytes changed between preparing and finishing".into(),
            ),
            _ => e.into(),
        }
    }
}

impl PublicKeyData for Signer<'_> {
    fn der_bytes(&self) -> &[u8] {
        self.key.raw()
    }

    fn algorithm(&self) -> &'static rcgen::SignatureAlgorithm {
        self.key.algorithm().signature_algorithm()
    }
}

impl SigningKey for Signer<'_> {
    fn sign(&self, msg: &[u8]) -> Result<Vec<u8>, rcgen::Error> {
        match &self.step {
            Step::Record(cell) => {
                *cell.borrow_mut() = Some(msg.to_vec());
                Ok(Vec::new())
            }
            Step::Replay {
                tbs,
                signature,
                mismatch,
            } => {
                if msg == *tbs {
                    Ok(signature.to_vec())
                } else {
                    mismatch.set(true);
                    Err(rcgen::Error::RemoteKeyError)
                }
            }
        }
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
    let bad = |why: alloc::string::String| Error::InvalidSignature(why);
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
    let value = UintRef::new(r)
        .and_then(|r| {
            Ok(EcdsaSigValue {
                r,
                s: UintRef::new(s)?,
            })
        })
        .and_then(|v| v.to_der())
        .map_err(|e| bad(format!("cannot encode the ECDSA signature: {e}")))?;
    Ok(value)
}
