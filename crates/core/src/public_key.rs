//! Public keys given as a SubjectPublicKeyInfo: the subject of a certificate, or the key of a
//! signer held outside the core (a WebCrypto `CryptoKey`).

use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;

use der::asn1::{ObjectIdentifier, UintRef};
use der::Decode;
use pkcs8::spki::SubjectPublicKeyInfoRef;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::SubjectPublicKeyInfoDer;

use crate::{Error, KeyAlgorithm};

pub(crate) const EC_PUBLIC_KEY: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.2.840.10045.2.1");
pub(crate) const ED25519: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.101.112");
pub(crate) const RSA_ENCRYPTION: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.1");
pub(crate) const P256: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.3.1.7");
pub(crate) const P384: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.132.0.34");

/// RSAPublicKey (RFC 8017): what an RSA SubjectPublicKeyInfo carries.
#[derive(der::Sequence)]
struct RsaPublicKey<'a> {
    modulus: UintRef<'a>,
    exponent: UintRef<'a>,
}

impl RsaPublicKey<'_> {
    fn modulus_bits(&self) -> usize {
        let bytes = self.modulus.as_bytes();
        let top = bytes.first().map_or(8, |b| b.leading_zeros() as usize);
        (8 * bytes.len()).saturating_sub(top)
    }
}

/// The public half of a key pair, as DER SubjectPublicKeyInfo (what WebCrypto's
/// `exportKey("spki")` and `openssl pkey -pubout` give).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PublicKey {
    spki: Vec<u8>,
    raw: Vec<u8>,
    algorithm: KeyAlgorithm,
    bits: usize,
}

impl PublicKey {
    /// Reads a DER SubjectPublicKeyInfo for ECDSA P-256/P-384, Ed25519 or RSA (2048-8192 bits).
    pub fn from_der(spki: &[u8]) -> Result<PublicKey, Error> {
        let bad = |why: &str| Error::InvalidPublicKey(why.into());
        let parsed = match SubjectPublicKeyInfoRef::from_der(spki) {
            Ok(parsed) => parsed,
            Err(e) if matches!(e.kind(), der::ErrorKind::TrailingData { .. }) => {
                return Err(bad("unexpected bytes after the SubjectPublicKeyInfo"))
            }
            Err(_) => return Err(bad("not a DER SubjectPublicKeyInfo")),
        };
        let raw = parsed
            .subject_public_key
            .as_bytes()
            .ok_or_else(|| bad("not a DER SubjectPublicKeyInfo"))?;
        let (algorithm, bits) = match parsed.algorithm.oid {
            EC_PUBLIC_KEY => match parsed.algorithm.parameters_oid().ok() {
                Some(P256) => (KeyAlgorithm::P256, 256),
                Some(P384) => (KeyAlgorithm::P384, 384),
                _ => return Err(bad("only the P-256 and P-384 curves are supported")),
            },
            RSA_ENCRYPTION => match RsaPublicKey::from_der(raw).map(|k| k.modulus_bits()) {
                Ok(bits @ 2048..=8192) => (KeyAlgorithm::rsa_of_size(bits), bits),
                Ok(bits) => {
                    return Err(bad(&format!(
                        "RSA keys must have 2048 to 8192 bits, not {bits}"
                    )))
                }
                Err(_) => return Err(bad("not an ECDSA P-256/P-384, Ed25519 or RSA key")),
            },
            ED25519 => (KeyAlgorithm::Ed25519, 256),
            _ => return Err(bad("not an ECDSA P-256/P-384, Ed25519 or RSA key")),
        };
        let key = PublicKey {
            spki: spki.to_vec(),
            raw: raw.to_vec(),
            algorithm,
            bits,
        };
        // Certificates write the key back from its parts: refuse encodings that would change.
        if rcgen::PublicKeyData::subject_public_key_info(&Raw(algorithm, &key.raw)) != spki {
            return Err(bad("unusual encoding of the algorithm parameters"));
        }
        Ok(key)
    }

    /// Reads the subjectPublicKey bits of a key of `algorithm` (the EC point, the Ed25519 key or
    /// the PKCS#1 RSA public key; any RSA size), checked as [`from_der`](Self::from_der) checks.
    pub(crate) fn from_raw(algorithm: KeyAlgorithm, raw: &[u8]) -> Result<PublicKey, Error> {
        PublicKey::from_der(&rcgen::PublicKeyData::subject_public_key_info(&Raw(
            algorithm, raw,
        )))
    }

    /// An uncompressed P-256 or P-384 point (as an `ECPrivateKey` carries it), without the
    /// full parse [`from_der`](Self::from_der) makes of a whole SubjectPublicKeyInfo.
    pub(crate) fn from_ec_point(algorithm: KeyAlgorithm, point: &[u8]) -> Result<PublicKey, Error> {
        let length = match algorithm {
            KeyAlgorithm::P256 => 65,
            KeyAlgorithm::P384 => 97,
            _ => return PublicKey::from_raw(algorithm, point),
        };
        if point.len() != length || point.first() != Some(&0x04) {
            return Err(Error::InvalidPublicKey(format!(
                "an uncompressed {} point has {length} bytes and starts with 04",
                algorithm.description()
            )));
        }
        let spki = rcgen::PublicKeyData::subject_public_key_info(&Raw(algorithm, point));
        Ok(PublicKey::of_generated(spki, point.to_vec(), algorithm))
    }

    /// The public half of a key just generated for `algorithm` (known, so not parsed again).
    pub(crate) fn of_generated(spki: Vec<u8>, raw: Vec<u8>, algorithm: KeyAlgorithm) -> PublicKey {
        let bits = match algorithm {
            KeyAlgorithm::P384 => 384,
            other => other.rsa_bits().unwrap_or(256),
        };
        PublicKey {
            spki,
            raw,
            algorithm,
            bits,
        }
    }

    /// Reads a PEM `-----BEGIN PUBLIC KEY-----` block.
    pub fn from_pem(pem: &str) -> Result<PublicKey, Error> {
        let der = SubjectPublicKeyInfoDer::from_pem_slice(pem.as_bytes()).map_err(|e| match e {
            rustls_pki_types::pem::Error::NoItemsFound => {
                Error::InvalidPublicKey("no -----BEGIN PUBLIC KEY----- block found".into())
            }
            other => crate::pem::describe_error(other),
        })?;
        PublicKey::from_der(der.as_ref())
    }

    /// The key's algorithm (RSA with its size).
    pub fn algorithm(&self) -> KeyAlgorithm {
        self.algorithm
    }

    /// The key size in bits: 256 for P-256 and Ed25519, 384 for P-384, the modulus size for RSA.
    pub fn bits(&self) -> usize {
        self.bits
    }

    /// The DER SubjectPublicKeyInfo.
    pub fn der(&self) -> &[u8] {
        &self.spki
    }

    /// The key as PEM (`-----BEGIN PUBLIC KEY-----`).
    pub fn pem(&self) -> String {
        crate::pem::encode("PUBLIC KEY", &self.spki)
    }

    /// The subjectPublicKey bits (the EC point, the Ed25519 key, the PKCS#1 RSA key).
    pub(crate) fn raw(&self) -> &[u8] {
        &self.raw
    }

    /// The key as rcgen takes it.
    pub(crate) fn rcgen(&self) -> RcgenPublicKey<'_> {
        RcgenPublicKey(self)
    }
}

/// What kind of key a DER SubjectPublicKeyInfo holds, in words (`ECDSA P-521`, `Ed448`,
/// `RSA-PSS`, `1024-bit RSA`, ...), for saying which key selfsign cannot use.
pub(crate) fn describe_spki(spki: &[u8]) -> String {
    let Ok(parsed) = SubjectPublicKeyInfoRef::from_der(spki) else {
        return "not a readable public key".into();
    };
    let algorithm = parsed.algorithm.oid.to_string();
    let curve = parsed
        .algorithm
        .parameters_oid()
        .ok()
        .map(|oid| oid.to_string());
    let named = match (algorithm.as_str(), curve.as_deref()) {
        ("1.2.840.10045.2.1", Some("1.2.840.10045.3.1.7")) => "ECDSA P-256",
        ("1.2.840.10045.2.1", Some("1.3.132.0.34")) => "ECDSA P-384",
        ("1.2.840.10045.2.1", Some("1.3.132.0.35")) => "ECDSA P-521",
        ("1.2.840.10045.2.1", Some("1.3.132.0.10")) => "ECDSA secp256k1",
        ("1.2.840.10045.2.1", Some(other)) => return format!("ECDSA on curve {other}"),
        ("1.2.840.10045.2.1", None) => "ECDSA with explicit curve parameters",
        ("1.3.101.112", _) => "Ed25519",
        ("1.3.101.113", _) => "Ed448",
        ("1.3.101.110", _) => "X25519 (key agreement only)",
        ("1.3.101.111", _) => "X448 (key agreement only)",
        ("1.2.840.113549.1.1.10", _) => "RSA-PSS",
        ("1.2.840.10040.4.1", _) => "DSA",
        ("1.2.840.113549.1.1.1", _) => {
            let key = parsed.subject_public_key.as_bytes();
            match key.map(RsaPublicKey::from_der) {
                Some(Ok(rsa)) => return format!("{}-bit RSA", rsa.modulus_bits()),
                _ => "RSA",
            }
        }
        (other, _) => return format!("of algorithm {other}"),
    };
    named.into()
}

/// Key bits and their algorithm, for rcgen to encode as a SubjectPublicKeyInfo.
struct Raw<'a>(KeyAlgorithm, &'a [u8]);

impl rcgen::PublicKeyData for Raw<'_> {
    fn der_bytes(&self) -> &[u8] {
        self.1
    }

    fn algorithm(&self) -> &'static rcgen::SignatureAlgorithm {
        self.0.signature_algorithm()
    }
}

/// A [`PublicKey`] seen through rcgen's trait (kept out of the public API).
#[derive(Clone, Copy, Debug)]
pub(crate) struct RcgenPublicKey<'a>(&'a PublicKey);

impl rcgen::PublicKeyData for RcgenPublicKey<'_> {
    /// The SubjectPublicKeyInfo as kept: every `PublicKey` holds exactly the encoding rcgen
    /// would write (see [`PublicKey::from_der`]), so it is not written again each time.
    fn subject_public_key_info(&self) -> Vec<u8> {
        self.0.spki.clone()
    }

    fn der_bytes(&self) -> &[u8] {
        &self.0.raw
    }

    fn algorithm(&self) -> &'static rcgen::SignatureAlgorithm {
        self.0.algorithm.signature_algorithm()
    }
}
