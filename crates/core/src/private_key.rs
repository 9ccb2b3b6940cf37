//! Private keys made elsewhere (WebCrypto's `exportKey("pkcs8")`), kept as bytes for output: checked
//! against their public key and written the way this crate writes its own keys.

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

use pkcs8::der::asn1::OctetStringRef;
use pkcs8::der::{Decode, Encode};
use rustls_pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer};
use zeroize::{Zeroize, Zeroizing};

use crate::public_key::{EC_PUBLIC_KEY, ED25519, P256, P384, RSA_ENCRYPTION};
use crate::{Error, KeyAlgorithm, PublicKey};

/// A PKCS#8 private key with its public half, held as bytes only (it signs where it was made).
#[derive(Clone, PartialEq, Eq)]
pub struct PrivateKey {
    pkcs8: Vec<u8>,
    public: PublicKey,
}

impl fmt::Debug for PrivateKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PrivateKey")
            .field("algorithm", &self.public.algorithm())
            .finish_non_exhaustive()
    }
}

/// Wipes the key bytes.
impl Drop for PrivateKey {
    fn drop(&mut self) {
        self.pkcs8.zeroize();
    }
}

impl PrivateKey {
    /// Takes PKCS#8 DER for `public`, checks that its algorithm and any public key it carries
    /// match, and re-encodes it as PKCS#8 v1 with EC keys in ring's form, as
    /// [`KeyPair::private_key_der`](crate::KeyPair::private_key_der) writes them.
    pub fn from_pkcs8_der(der: &[u8], public: &PublicKey) -> Result<Self, Error> {
        Self::read(der, &parse(der)?, Some(public))
    }

    /// Takes PKCS#8 DER that carries its public key (EC keys as WebCrypto and openssl export
    /// them, RSA keys, Ed25519 in PKCS#8 v2), so no separate SubjectPublicKeyInfo is needed;
    /// re-encoded as [`from_pkcs8_der`](Self::from_pkcs8_der) does.
    pub fn from_pkcs8(der: &[u8]) -> Result<Self, Error> {
        Self::read(der, &parse(der)?, None)
    }

    /// Reads PKCS#8 `der`, parsed as `info`, for `public`, or for the public key it carries if
    /// none is given.
    fn read(
        der: &[u8],
        info: &pkcs8::PrivateKeyInfoRef<'_>,
        public: Option<&PublicKey>,
    ) -> Result<Self, Error> {
        let algorithm = algorithm_of(info)?;
        let same_kind = |p: &PublicKey| match algorithm {
            KeyAlgorithm::Rsa => p.algorithm().is_rsa(),
            other => p.algorithm() == other,
        };
        if public.is_some_and(|p| !same_kind(p)) {
            return Err(mismatch());
        }
        let (private_key, public) = match algorithm {
            KeyAlgorithm::P256 | KeyAlgorithm::P384 => ec_private_key(info, algorithm, public)?,
            KeyAlgorithm::Ed25519 => {
                let carried = match info.public_key {
                    Some(bits) => Some(PublicKey::from_raw(algorithm, public_bits(bits)?)?),
                    None => None,
                };
                let public = matching(public, carried)?;
                (Zeroizing::new(info.private_key.as_bytes().to_vec()), public)
            }
            _ => {
                let carried = rsa_public_key(info.private_key.as_bytes())?;
                let public = matching(public, Some(carried))?;
                (Zeroizing::new(info.private_key.as_bytes().to_vec()), public)
            }
        };
        let failed =
            |e: pkcs8::der::Error| Error::InvalidKey(format!("cannot re-encode the key ({e})"));
        let v1 = pkcs8::PrivateKeyInfoRef {
            algorithm: info.algorithm,
            private_key: OctetStringRef::new(&private_key).map_err(failed)?,
            public_key: None,
        };
        // DER has one encoding per value: a key already in this form (as WebCrypto exports EC
        // keys) is kept as it came, without encoding it again.
        let pkcs8 = if *private_key == info.private_key.as_bytes() && same_length(&v1, der) {
            der.to_vec()
        } else {
            v1.to_der().map_err(failed)?
        };
        Ok(PrivateKey { pkcs8, public })
    }

    /// The key's algorithm.
    pub fn algorithm(&self) -> KeyAlgorithm {
        self.public.algorithm()
    }

    /// The public half.
    pub fn public_key(&self) -> &PublicKey {
        &self.public
    }

    /// The private key as PKCS#8 DER.
    pub fn der(&self) -> PrivateKeyDer<'static> {
        PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(self.pkcs8.clone()))
    }

    /// The private key as PKCS#8 PEM (`-----BEGIN PRIVATE KEY-----`).
    pub fn pem(&self) -> String {
        crate::pem::encode("PRIVATE KEY", &self.pkcs8)
    }
}

/// Reads a key as WebCrypto exports it: PKCS#8 (`"pkcs8"`) that carries its public key, giving
/// both halves (the private one re-encoded as [`PrivateKey::from_pkcs8`] does), or a
/// SubjectPublicKeyInfo (`"spki"`), giving the public half only.
pub fn read_exported_key(der: &[u8]) -> Result<(PublicKey, Option<PrivateKey>), Error> {
    match pkcs8::PrivateKeyInfoRef::from_der(der) {
        Ok(info) => {
            let private = PrivateKey::read(der, &info, None)?;
            Ok((private.public.clone(), Some(private)))
        }
        Err(_) => match PublicKey::from_der(der) {
            Ok(public) => Ok((public, None)),
            Err(Error::InvalidPublicKey(why)) => Err(Error::InvalidPublicKey(format!(
                "neither a PKCS#8 private key nor a SubjectPublicKeyInfo ({why})"
            ))),
            Err(other) => Err(other),
        },
    }
}

fn parse(der: &[u8]) -> Result<pkcs8::PrivateKeyInfoRef<'_>, Error> {
    pkcs8::PrivateKeyInfoRef::from_der(der)
        .map_err(|e| Error::InvalidKey(format!("not a PKCS#8 private key ({e})")))
}

/// The key algorithm a PKCS#8 AlgorithmIdentifier names (RSA of any size).
fn algorithm_of(info: &pkcs8::PrivateKeyInfoRef<'_>) -> Result<KeyAlgorithm, Error> {
    let oid = info.algorithm.oid;
    if oid == EC_PUBLIC_KEY {
        return match info.algorithm.parameters_oid() {
            Ok(curve) if curve == P256 => Ok(KeyAlgorithm::P256),
            Ok(curve) if curve == P384 => Ok(KeyAlgorithm::P384),
            _ => Err(Error::InvalidKey(
                "only P-256 and P-384 EC keys are supported".into(),
            )),
        };
    }
    if oid == ED25519 {
        return Ok(KeyAlgorithm::Ed25519);
    }
    if oid == RSA_ENCRYPTION {
        return Ok(KeyAlgorithm::Rsa);
    }
    Err(Error::InvalidKey(
        "not an ECDSA P-256/P-384, Ed25519 or RSA key".into(),
    ))
}

/// The public key: the one given, checked against the one the key carries, or else that one.
fn matching(given: Option<&PublicKey>, carried: Option<PublicKey>) -> Result<PublicKey, Error> {
    match (given, carried) {
        (Some(given), Some(carried)) if carried.raw() != given.raw() => Err(mismatch()),
        (Some(given), _) => Ok(given.clone()),
        (None, Some(carried)) => Ok(carried),
        (None, None) => Err(Error::InvalidKey(
            "this PKCS#8 key does not carry its public key; give its SubjectPublicKeyInfo too"
                .into(),
        )),
    }
}

/// The SEC1 `ECPrivateKey` inside PKCS#8 in ring's form (no curve repeated, the public key in,
/// which ring needs to load it), and its public key.
fn ec_private_key(
    info: &pkcs8::PrivateKeyInfoRef<'_>,
    algorithm: KeyAlgorithm,
    public: Option<&PublicKey>,
) -> Result<(Zeroizing<Vec<u8>>, PublicKey), Error> {
    let failed = |e: pkcs8::der::Error| Error::InvalidKey(format!("EC private key: {e}"));
    let key = sec1::EcPrivateKey::from_der(info.private_key.as_bytes()).map_err(failed)?;
    let carried = match key.public_key {
        Some(point) => Some(PublicKey::from_ec_point(algorithm, point)?),
        None => None,
    };
    let public = matching(public, carried)?;
    let ring_form = sec1::EcPrivateKey {
        parameters: None,
        public_key: Some(public.raw()),
        ..key
    };
    let der = if key.parameters.is_none() && key.public_key.is_some() {
        // Already in ring's form (the public key it carries is the one `public` came from).
        info.private_key.as_bytes().to_vec()
    } else {
        ring_form.to_der().map_err(failed)?
    };
    Ok((Zeroizing::new(der), public))
}

/// The bytes of a PKCS#8 v2 public key, a BIT STRING of whole bytes.
fn public_bits(bits: pkcs8::der::asn1::BitStringRef<'_>) -> Result<&[u8], Error> {
    bits.as_bytes()
        .ok_or_else(|| Error::InvalidKey("the public key in this PKCS#8 is not whole bytes".into()))
}

/// The public key of a PKCS#1 `RSAPrivateKey`: its modulus and public exponent.
fn rsa_public_key(pkcs1_der: &[u8]) -> Result<PublicKey, Error> {
    use rsa::pkcs1::der::{Decode as _, Encode as _};
    let failed = |e: rsa::pkcs1::der::Error| Error::InvalidKey(format!("RSA private key: {e}"));
    let key = rsa::pkcs1::RsaPrivateKeyRef::from_der(pkcs1_der).map_err(failed)?;
    let public = rsa::pkcs1::RsaPublicKeyRef {
        modulus: key.modulus,
        public_exponent: key.public_exponent,
    }
    .to_der()
    .map_err(failed)?;
    PublicKey::from_raw(KeyAlgorithm::Rsa, &public)
}

/// Whether `value` encodes to exactly as many bytes as `der` holds.
fn same_length(value: &impl Encode, der: &[u8]) -> bool {
    value
        .encoded_len()
        .ok()
        .and_then(|len| usize::try_from(u32::from(len)).ok())
        == Some(der.len())
}

fn mismatch() -> Error {
    Error::InvalidKey("the private key does not belong to the public key given with it".into())
}

#[cfg(test)]
mod tests {
    use pkcs8::der::asn1::AnyRef;
    use pkcs8::AlgorithmIdentifierRef;
    use rustls_pki_types::pem::PemObject;
    use rustls_pki_types::PrivateSec1KeyDer;

    use super::*;
    use crate::KeyPair;

    const SEC1: &str = include_str!("../tests/fixtures/ec-p256-sec1.pem");

    /// The fixture's SEC1 key (which repeats its curve inside) wrapped as PKCS#8, as older tools
    /// convert such keys.
    fn wrapped_with_curve_inside() -> Vec<u8> {
        let sec1 = PrivateSec1KeyDer::from_pem_slice(SEC1.as_bytes()).unwrap();
        let curve = AnyRef::from(&P256);
        pkcs8::PrivateKeyInfoRef {
            algorithm: AlgorithmIdentifierRef {
                oid: EC_PUBLIC_KEY,
                parameters: Some(curve),
            },
            private_key: OctetStringRef::new(sec1.secret_sec1_der()).unwrap(),
            public_key: None,
        }
        .to_der()
        .unwrap()
    }

    #[test]
    fn a_key_with_its_curve_inside_is_rewritten_and_one_in_rings_form_comes_out_unchanged() {
        let ours = KeyPair::from_pem(SEC1).unwrap();
        let wrapped = wrapped_with_curve_inside();
        let taken = PrivateKey::from_pkcs8(&wrapped).unwrap();
        assert_ne!(taken.pkcs8, wrapped, "the curve inside is dropped");
        assert_eq!(taken.pem(), ours.private_key_pem());
        assert_eq!(taken.public_key(), ours.public_key());
        let PrivateKeyDer::Pkcs8(rings) = ours.private_key_der() else {
            panic!("PKCS#8 expected")
        };
        let again = PrivateKey::from_pkcs8(rings.secret_pkcs8_der()).unwrap();
        assert_eq!(again.pkcs8, rings.secret_pkcs8_der());
    }
}
