//! Key pairs: generate ECDSA P-256/P-384, Ed25519 and RSA 2048/3072/4096, or load PKCS#8, SEC1 and PKCS#1 keys.

use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use core::fmt;
use core::str::FromStr;

#[cfg(feature = "full")]
use pkcs8::der::asn1::OctetStringRef;
use pkcs8::der::{Decode, Encode};
use rcgen::{PublicKeyData, SignatureAlgorithm};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer};
use zeroize::{Zeroize, Zeroizing};

use crate::{Error, PublicKey};

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
    /// RSA of a size other than 2048, 3072 or 4096 bits (loaded, not generated), PKCS#1 v1.5 SHA-256.
    Rsa,
    /// RSA 2048-bit with PKCS#1 v1.5 and SHA-256: what older Java, Windows and embedded clients need.
    Rsa2048,
    /// RSA 3072-bit with PKCS#1 v1.5 and SHA-256.
    Rsa3072,
    /// RSA 4096-bit with PKCS#1 v1.5 and SHA-256 (generation takes seconds).
    Rsa4096,
}

impl KeyAlgorithm {
    /// The fast algorithms (keys in milliseconds): the ones a UI lists first.
    pub const GENERATABLE: [KeyAlgorithm; 3] = [
        KeyAlgorithm::P256,
        KeyAlgorithm::P384,
        KeyAlgorithm::Ed25519,
    ];

    /// The RSA sizes keys can be generated for (slow: a 4096-bit key takes seconds).
    pub const RSA: [KeyAlgorithm; 3] = [
        KeyAlgorithm::Rsa2048,
        KeyAlgorithm::Rsa3072,
        KeyAlgorithm::Rsa4096,
    ];

    /// Every algorithm keys can be generated for, fast ones first.
    pub const ALL: [KeyAlgorithm; 6] = [
        KeyAlgorithm::P256,
        KeyAlgorithm::P384,
        KeyAlgorithm::Ed25519,
        KeyAlgorithm::Rsa2048,
        KeyAlgorithm::Rsa3072,
        KeyAlgorithm::Rsa4096,
    ];

    /// The short name used on command lines and in option objects.
    pub fn name(self) -> &'static str {
        match self {
            KeyAlgorithm::P256 => "p256",
            KeyAlgorithm::P384 => "p384",
            KeyAlgorithm::Ed25519 => "ed25519",
            KeyAlgorithm::Rsa => "rsa",
            KeyAlgorithm::Rsa2048 => "rsa2048",
            KeyAlgorithm::Rsa3072 => "rsa3072",
            KeyAlgorithm::Rsa4096 => "rsa4096",
        }
    }

    /// A readable description such as "ECDSA P-256" or "RSA 2048".
    pub fn description(self) -> &'static str {
        match self {
            KeyAlgorithm::P256 => "ECDSA P-256",
            KeyAlgorithm::P384 => "ECDSA P-384",
            KeyAlgorithm::Ed25519 => "Ed25519",
            KeyAlgorithm::Rsa => "RSA",
            KeyAlgorithm::Rsa2048 => "RSA 2048",
            KeyAlgorithm::Rsa3072 => "RSA 3072",
            KeyAlgorithm::Rsa4096 => "RSA 4096",
        }
    }

    /// Whether this is an RSA key (whose certificates also need keyEncipherment, for RSA key transport).
    pub fn is_rsa(self) -> bool {
        self.rsa_bits().is_some() || self == KeyAlgorithm::Rsa
    }

    /// The modulus size of a generatable RSA algorithm, e.g. 2048 for `Rsa2048`.
    pub fn rsa_bits(self) -> Option<usize> {
        match self {
            KeyAlgorithm::Rsa2048 => Some(2048),
            KeyAlgorithm::Rsa3072 => Some(3072),
            KeyAlgorithm::Rsa4096 => Some(4096),
            _ => None,
        }
    }

    /// The algorithm for an RSA key of `bits`: a sized variant, or `Rsa` for other sizes.
    pub(crate) fn rsa_of_size(bits: usize) -> Self {
        KeyAlgorithm::RSA
            .into_iter()
            .find(|k| k.rsa_bits() == Some(bits))
            .unwrap_or(KeyAlgorithm::Rsa)
    }

    /// The signature algorithm this key signs with.
    pub(crate) fn signature_algorithm(self) -> &'static SignatureAlgorithm {
        match self {
            KeyAlgorithm::P256 => &rcgen::PKCS_ECDSA_P256_SHA256,
            KeyAlgorithm::P384 => &rcgen::PKCS_ECDSA_P384_SHA384,
            KeyAlgorithm::Ed25519 => &rcgen::PKCS_ED25519,
            KeyAlgorithm::Rsa
            | KeyAlgorithm::Rsa2048
            | KeyAlgorithm::Rsa3072
            | KeyAlgorithm::Rsa4096 => &rcgen::PKCS_RSA_SHA256,
        }
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
            "rsa2048" | "rsa-2048" | "rsa:2048" => Ok(KeyAlgorithm::Rsa2048),
            "rsa3072" | "rsa-3072" | "rsa:3072" => Ok(KeyAlgorithm::Rsa3072),
            "rsa4096" | "rsa-4096" | "rsa:4096" => Ok(KeyAlgorithm::Rsa4096),
            _ => Err(Error::UnknownKeyAlgorithm(s.to_string())),
        }
    }
}

/// A private key with its public half, ready to sign certificates and CSRs.
#[cfg(feature = "full")]
pub struct KeyPair {
    inner: rcgen::KeyPair,
    public: PublicKey,
}

#[cfg(feature = "full")]
impl fmt::Debug for KeyPair {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeyPair")
            .field("algorithm", &self.public.algorithm())
            .finish_non_exhaustive()
    }
}

/// Wipes the PKCS#8 bytes rcgen keeps (ring's parsed key inside rcgen cannot be wiped).
#[cfg(feature = "full")]
impl Drop for KeyPair {
    fn drop(&mut self) {
        self.inner.zeroize();
    }
}

/// Lets a [`Ca`](crate::Ca) own its key inside rcgen's issuer.
#[cfg(feature = "full")]
impl rcgen::PublicKeyData for KeyPair {
    fn der_bytes(&self) -> &[u8] {
        self.inner.der_bytes()
    }

    fn algorithm(&self) -> &'static SignatureAlgorithm {
        PublicKeyData::algorithm(&self.inner)
    }
}

/// Signs with the inner ring key.
#[cfg(feature = "full")]
impl rcgen::SigningKey for KeyPair {
    fn sign(&self, msg: &[u8]) -> Result<Vec<u8>, rcgen::Error> {
        self.inner.sign(msg)
    }
}

#[cfg(feature = "full")]
impl KeyPair {
    /// Generates a fresh key from the system CSPRNG (RSA keys with the `rsa` crate, the rest with ring).
    pub fn generate(algorithm: KeyAlgorithm) -> Result<Self, Error> {
        let inner = match algorithm {
            KeyAlgorithm::Rsa => return Err(Error::UnsupportedKeyGeneration("unsized RSA")),
            KeyAlgorithm::Rsa2048 | KeyAlgorithm::Rsa3072 | KeyAlgorithm::Rsa4096 => {
                generate_rsa(algorithm)?
            }
            _ => rcgen::KeyPair::generate_for(algorithm.signature_algorithm())?,
        };
        let public = PublicKey::of_generated(
            inner.subject_public_key_info(),
            inner.der_bytes().to_vec(),
            algorithm,
        );
        Ok(KeyPair { inner, public })
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
        let mut der = PrivateKeyDer::from_pem_slice(pem.as_bytes()).map_err(|e| match e {
            rustls_pki_types::pem::Error::NoItemsFound => Error::InvalidKey(
                "no PRIVATE KEY, EC PRIVATE KEY or RSA PRIVATE KEY block found".into(),
            ),
            other => Error::InvalidPem(format!("{other:?}")),
        })?;
        let key = Self::from_private_key_der(&der);
        der.zeroize();
        key
    }

    /// Loads a key from DER bytes in any of the formats `from_pem` accepts.
    pub fn from_der(der: &[u8]) -> Result<Self, Error> {
        let key = PrivateKeyDer::try_from(der).map_err(|e| Error::InvalidKey(e.to_string()))?;
        Self::from_private_key_der(&key)
    }

    /// Loads a key from rustls-pki-types' DER type (the type the TLS server uses).
    pub fn from_private_key_der(key: &PrivateKeyDer<'_>) -> Result<Self, Error> {
        let mut pkcs8 = match key {
            PrivateKeyDer::Pkcs8(k) => k.clone_key(),
            PrivateKeyDer::Sec1(k) => sec1_to_pkcs8(k.secret_sec1_der())?,
            PrivateKeyDer::Pkcs1(k) => pkcs1_to_pkcs8(k.secret_pkcs1_der())?,
            _ => return Err(Error::InvalidKey("unsupported private key format".into())),
        };
        let inner = rcgen::KeyPair::try_from(&pkcs8);
        pkcs8.zeroize();
        let inner = inner.map_err(|_| {
            Error::InvalidKey(
                "not an ECDSA P-256/P-384, Ed25519 or RSA (2048-8192 bit) private key".into(),
            )
        })?;
        KeyPair::from_rcgen(inner)
    }

    fn from_rcgen(inner: rcgen::KeyPair) -> Result<Self, Error> {
        let public = PublicKey::from_der(&inner.subject_public_key_info()).map_err(|_| {
            Error::InvalidKey(
                "not an ECDSA P-256/P-384, Ed25519 or RSA (2048-8192 bit) private key".into(),
            )
        })?;
        Ok(KeyPair { inner, public })
    }

    /// The key's algorithm.
    pub fn algorithm(&self) -> KeyAlgorithm {
        self.public.algorithm()
    }

    /// The key size in bits (the modulus size for RSA).
    pub fn bits(&self) -> usize {
        self.public.bits()
    }

    /// The private key as PKCS#8 DER, the form rustls loads.
    pub fn private_key_der(&self) -> PrivateKeyDer<'static> {
        PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(self.pkcs8_v1()))
    }

    /// The private key as PKCS#8 PEM (`-----BEGIN PRIVATE KEY-----`).
    pub fn private_key_pem(&self) -> String {
        crate::pem::encode("PRIVATE KEY", &Zeroizing::new(self.pkcs8_v1()))
    }

    /// PKCS#8 v1 (RFC 5208) DER. ring writes Ed25519 keys as v2 with the public key embedded,
    /// which OpenSSL 3.0 and Python's ssl cannot read, so the public key is dropped here.
    fn pkcs8_v1(&self) -> Vec<u8> {
        let der = Zeroizing::new(self.inner.serialize_der());
        match pkcs8::PrivateKeyInfoRef::from_der(&der) {
            Ok(info) if info.public_key.is_some() => pkcs8::PrivateKeyInfoRef {
                public_key: None,
                ..info
            }
            .to_der()
            .unwrap_or_else(|_| der.to_vec()),
            _ => der.to_vec(),
        }
    }

    /// The DER SubjectPublicKeyInfo of the public half.
    pub fn public_key_der(&self) -> Vec<u8> {
        self.public.der().to_vec()
    }

    /// The public half as PEM (`-----BEGIN PUBLIC KEY-----`).
    pub fn public_key_pem(&self) -> String {
        self.inner.public_key_pem()
    }

    /// The public half as a [`PublicKey`], e.g. to issue for it with an external CA.
    pub fn public_key(&self) -> &PublicKey {
        &self.public
    }

    /// Whether this is the private key of `certificate`.
    pub fn matches(&self, certificate: &crate::Certificate) -> bool {
        certificate
            .public_key_der()
            .is_ok_and(|der| der == self.public.der())
    }

    pub(crate) fn rcgen(&self) -> &rcgen::KeyPair {
        &self.inner
    }
}

/// Generates an RSA key with the `rsa` crate from the system CSPRNG (getrandom), as PKCS#8 for ring.
#[cfg(feature = "full")]
fn generate_rsa(algorithm: KeyAlgorithm) -> Result<rcgen::KeyPair, Error> {
    use rsa::pkcs8::EncodePrivateKey;
    let bits = algorithm
        .rsa_bits()
        .ok_or(Error::UnsupportedKeyGeneration("unsized RSA"))?;
    let failed =
        |what: &str| Error::Generation(format!("RSA {bits} key generation failed: {what}"));
    let key =
        rsa::PrivateKey::new(&mut getrandom::SysRng, bits).map_err(|e| failed(&e.to_string()))?;
    let pkcs8 = key.to_pkcs8_der().map_err(|e| failed(&e.to_string()))?;
    rcgen::KeyPair::try_from(pkcs8.as_bytes()).map_err(|e| failed(&e.to_string()))
}

/// Wraps a SEC1 `ECPrivateKey` into PKCS#8, dropping the inner curve parameters that ring refuses.
#[cfg(feature = "full")]
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
    let inner = Zeroizing::new(
        sec1::EcPrivateKey {
            parameters: None,
            ..key
        }
        .to_der()
        .map_err(|e| bad(&e.to_string()))?,
    );
    let curve_param = pkcs8::der::asn1::AnyRef::from(&curve);
    let info = pkcs8::PrivateKeyInfoRef {
        algorithm: pkcs8::AlgorithmIdentifierRef {
            oid: pkcs8::ObjectIdentifier::new_unwrap("1.2.840.10045.2.1"),
            parameters: Some(curve_param),
        },
        private_key: OctetStringRef::new(&inner).map_err(|e| bad(&e.to_string()))?,
        public_key: None,
    };
    let der = info.to_der().map_err(|e| bad(&e.to_string()))?;
    Ok(PrivatePkcs8KeyDer::from(der))
}

/// Wraps a PKCS#1 `RSAPrivateKey` into PKCS#8 with the rsaEncryption algorithm identifier.
#[cfg(feature = "full")]
fn pkcs1_to_pkcs8(pkcs1_der: &[u8]) -> Result<PrivatePkcs8KeyDer<'static>, Error> {
    let failed = |e: pkcs8::der::Error| Error::InvalidKey(format!("RSA PRIVATE KEY: {e}"));
    let info = pkcs8::PrivateKeyInfoRef {
        algorithm: pkcs8::AlgorithmIdentifierRef {
            oid: pkcs8::ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.1"),
            parameters: Some(pkcs8::der::asn1::AnyRef::NULL),
        },
        private_key: OctetStringRef::new(pkcs1_der).map_err(failed)?,
        public_key: None,
    };
    let der = info.to_der().map_err(failed)?;
    Ok(PrivatePkcs8KeyDer::from(der))
}
