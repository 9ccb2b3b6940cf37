//! Key pairs: generate ECDSA P-256/P-384 and Ed25519, or load PKCS#8, SEC1 and PKCS#1 keys.

use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use core::fmt;
use core::str::FromStr;

use pkcs8::der::{Decode, Encode};
use rcgen::{PublicKeyData, SignatureAlgorithm};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer};

use crate::Error;

/// The kind of key a certificate is made for.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "lowercase"))]
pub enum KeyAlgorithm {
    /// ECDSA on NIST P-256 with SHA-256: small, fast and accepted everywhere (the default).
    #[default]
    P256,
    /// ECDSA on NIST P-384 with SHA-384.
    P384,
    /// Ed25519 (not accepted by browsers for TLS, fine for other peers).
    Ed25519,
    /// RSA with PKCS#1 v1.5 and SHA-256: can be loaded and used, not generated here.
    Rsa,
}

impl KeyAlgorithm {
    /// The algorithms this core can generate keys for.
    pub const GENERATABLE: [KeyAlgorithm; 3] = [
        KeyAlgorithm::P256,
        KeyAlgorithm::P384,
        KeyAlgorithm::Ed25519,
    ];

    /// The short name used on command lines and in option objects.
    pub fn name(self) -> &'static str {
        match self {
            KeyAlgorithm::P256 => "p256",
            KeyAlgorithm::P384 => "p384",
            KeyAlgorithm::Ed25519 => "ed25519",
            KeyAlgorithm::Rsa => "rsa",
        }
    }

    /// A readable description such as "ECDSA P-256".
    pub fn description(self) -> &'static str {
        match self {
            KeyAlgorithm::P256 => "ECDSA P-256",
            KeyAlgorithm::P384 => "ECDSA P-384",
            KeyAlgorithm::Ed25519 => "Ed25519",
            KeyAlgorithm::Rsa => "RSA",
        }
    }

    /// Whether certificates for this key need keyEncipherment (RSA key transport).
    pub fn is_rsa(self) -> bool {
        self == KeyAlgorithm::Rsa
    }

    fn signature_algorithm(self) -> &'static SignatureAlgorithm {
        match self {
            KeyAlgorithm::P256 => &rcgen::PKCS_ECDSA_P256_SHA256,
            KeyAlgorithm::P384 => &rcgen::PKCS_ECDSA_P384_SHA384,
            KeyAlgorithm::Ed25519 => &rcgen::PKCS_ED25519,
            KeyAlgorithm::Rsa => &rcgen::PKCS_RSA_SHA256,
        }
    }

    pub(crate) fn from_signature_algorithm(alg: &SignatureAlgorithm) -> Option<Self> {
        [
            KeyAlgorithm::P256,
            KeyAlgorithm::P384,
            KeyAlgorithm::Ed25519,
            KeyAlgorithm::Rsa,
        ]
        .into_iter()
        .find(|k| k.signature_algorithm() == alg)
        .or_else(|| {
            let rsa = [&rcgen::PKCS_RSA_SHA384, &rcgen::PKCS_RSA_SHA512];
            rsa.contains(&alg).then_some(KeyAlgorithm::Rsa)
        })
    }
}

impl fmt::Display for KeyAlgorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for KeyAlgorithm {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self, Error> {
        match s.trim().to_ascii_lowercase().as_str() {
            "p256" | "p-256" | "ecdsa" | "ecdsa-p256" | "prime256v1" | "secp256r1" => {
                Ok(KeyAlgorithm::P256)
            }
            "p384" | "p-384" | "ecdsa-p384" | "secp384r1" => Ok(KeyAlgorithm::P384),
            "ed25519" => Ok(KeyAlgorithm::Ed25519),
            _ => Err(Error::UnknownKeyAlgorithm(s.to_string())),
        }
    }
}

/// A private key with its public half, ready to sign certificates and CSRs.
pub struct KeyPair {
    inner: rcgen::KeyPair,
    algorithm: KeyAlgorithm,
}

impl fmt::Debug for KeyPair {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeyPair")
            .field("algorithm", &self.algorithm)
            .finish_non_exhaustive()
    }
}

impl KeyPair {
    /// Generates a fresh key from the system CSPRNG.
    pub fn generate(algorithm: KeyAlgorithm) -> Result<Self, Error> {
        if algorithm == KeyAlgorithm::Rsa {
            return Err(Error::UnsupportedKeyGeneration("RSA"));
        }
        let inner = rcgen::KeyPair::generate_for(algorithm.signature_algorithm())?;
        Ok(KeyPair { inner, algorithm })
    }

    /// Loads a key from PEM: `PRIVATE KEY` (PKCS#8), `EC PRIVATE KEY` (SEC1) or `RSA PRIVATE KEY` (PKCS#1).
    pub fn from_pem(pem: &str) -> Result<Self, Error> {
        if !pem.contains("-----BEGIN") {
            return Err(Error::InvalidKey(
                "expected a PEM block such as -----BEGIN PRIVATE KEY-----".into(),
            ));
        }
        if pem.contains("ENCRYPTED PRIVATE KEY") {
            return Err(Error::InvalidKey(
                "the key is encrypted; decrypt it first (openssl pkcs8 -in key.pem -nocrypt)"
                    .into(),
            ));
        }
        let der = PrivateKeyDer::from_pem_slice(pem.as_bytes()).map_err(|e| match e {
            rustls_pki_types::pem::Error::NoItemsFound => Error::InvalidKey(
                "no PRIVATE KEY, EC PRIVATE KEY or RSA PRIVATE KEY block found".into(),
            ),
            other => Error::InvalidPem(format!("{other:?}")),
        })?;
        Self::from_private_key_der(&der)
    }

    /// Loads a key from DER bytes in any of the formats `from_pem` accepts.
    pub fn from_der(der: &[u8]) -> Result<Self, Error> {
        let key = PrivateKeyDer::try_from(der).map_err(|e| Error::InvalidKey(e.to_string()))?;
        Self::from_private_key_der(&key)
    }

    /// Loads a key from rustls-pki-types' DER type (the type the TLS server uses).
    pub fn from_private_key_der(key: &PrivateKeyDer<'_>) -> Result<Self, Error> {
        let pkcs8 = match key {
            PrivateKeyDer::Pkcs8(k) => k.clone_key(),
            PrivateKeyDer::Sec1(k) => sec1_to_pkcs8(k.secret_sec1_der())?,
            PrivateKeyDer::Pkcs1(k) => pkcs1_to_pkcs8(k.secret_pkcs1_der())?,
            _ => return Err(Error::InvalidKey("unsupported private key format".into())),
        };
        let inner = rcgen::KeyPair::try_from(&pkcs8).map_err(|_| {
            Error::InvalidKey(
                "not an ECDSA P-256/P-384, Ed25519 or RSA (2048-8192 bit) private key".into(),
            )
        })?;
        let algorithm = KeyAlgorithm::from_signature_algorithm(inner.algorithm())
            .ok_or_else(|| Error::InvalidKey("unsupported key algorithm".into()))?;
        Ok(KeyPair { inner, algorithm })
    }

    /// The key's algorithm.
    pub fn algorithm(&self) -> KeyAlgorithm {
        self.algorithm
    }

    /// The private key as PKCS#8 DER, the form rustls loads.
    pub fn private_key_der(&self) -> PrivateKeyDer<'static> {
        PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(self.pkcs8_v1()))
    }

    /// The private key as PKCS#8 PEM (`-----BEGIN PRIVATE KEY-----`).
    pub fn private_key_pem(&self) -> String {
        crate::pem::encode("PRIVATE KEY", &self.pkcs8_v1())
    }

    /// PKCS#8 v1 (RFC 5208) DER. ring writes Ed25519 keys as v2 with the public key embedded,
    /// which OpenSSL 3.0 and Python's ssl cannot read, so the public key is dropped here.
    fn pkcs8_v1(&self) -> Vec<u8> {
        let der = self.inner.serialize_der();
        match pkcs8::PrivateKeyInfo::from_der(&der) {
            Ok(info) if info.public_key.is_some() => pkcs8::PrivateKeyInfo {
                public_key: None,
                ..info
            }
            .to_der()
            .unwrap_or_else(|_| der.clone()),
            _ => der,
        }
    }

    /// The DER SubjectPublicKeyInfo of the public half.
    pub fn public_key_der(&self) -> Vec<u8> {
        self.inner.subject_public_key_info()
    }

    /// The public half as PEM (`-----BEGIN PUBLIC KEY-----`).
    pub fn public_key_pem(&self) -> String {
        self.inner.public_key_pem()
    }

    pub(crate) fn rcgen(&self) -> &rcgen::KeyPair {
        &self.inner
    }
}

/// Wraps a SEC1 `ECPrivateKey` into PKCS#8, dropping the inner curve parameters that ring refuses.
fn sec1_to_pkcs8(sec1_der: &[u8]) -> Result<PrivatePkcs8KeyDer<'static>, Error> {
    let bad = |why: &str| Error::InvalidKey(format!("EC PRIVATE KEY: {why}"));
    let key = sec1::EcPrivateKey::from_der(sec1_der).map_err(|e| bad(&e.to_string()))?;
    let curve = key
        .parameters
        .and_then(|p| p.named_curve())
        .ok_or_else(|| bad("the key names no curve"))?;
    if key.public_key.is_none() {
        return Err(bad(
            "the key lacks its public part; re-export it with `openssl pkcs8 -topk8 -nocrypt`",
        ));
    }
    let inner = sec1::EcPrivateKey {
        parameters: None,
        ..key
    }
    .to_der()
    .map_err(|e| bad(&e.to_string()))?;
    let curve_param = pkcs8::der::asn1::AnyRef::from(&curve);
    let info = pkcs8::PrivateKeyInfo {
        algorithm: pkcs8::AlgorithmIdentifierRef {
            oid: pkcs8::ObjectIdentifier::new_unwrap("1.2.840.10045.2.1"),
            parameters: Some(curve_param),
        },
        private_key: &inner,
        public_key: None,
    };
    let der = info.to_der().map_err(|e| bad(&e.to_string()))?;
    Ok(PrivatePkcs8KeyDer::from(der))
}

/// Wraps a PKCS#1 `RSAPrivateKey` into PKCS#8 with the rsaEncryption algorithm identifier.
fn pkcs1_to_pkcs8(pkcs1_der: &[u8]) -> Result<PrivatePkcs8KeyDer<'static>, Error> {
    let info = pkcs8::PrivateKeyInfo {
        algorithm: pkcs8::AlgorithmIdentifierRef {
            oid: pkcs8::ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.1"),
            parameters: Some(pkcs8::der::asn1::AnyRef::NULL),
        },
        private_key: pkcs1_der,
        public_key: None,
    };
    let der = info
        .to_der()
        .map_err(|e| Error::InvalidKey(format!("RSA PRIVATE KEY: {e}")))?;
    Ok(PrivatePkcs8KeyDer::from(der))
}
