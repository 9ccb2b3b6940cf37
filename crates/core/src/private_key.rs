//! Private keys made elsewhere (WebCrypto's `exportKey("pkcs8")`), kept as bytes for output: checked
//! against their public key and written the way this crate writes its own keys.

use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use core::fmt;

use pkcs8::der::{Decode, Encode};
use rustls_pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer};
use zeroize::Zeroize;

use crate::{Error, KeyAlgorithm, PublicKey};

const EC_PUBLIC_KEY: &str = "1.2.840.10045.2.1";
const ED25519: &str = "1.3.101.112";
const RSA_ENCRYPTION: &str = "1.2.840.113549.1.1.1";

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
    /// Takes PKCS#8 DER for `public`, checks that its algorithm (and, for EC keys, its embedded
    /// public key) match, and re-encodes it as PKCS#8 v1 with EC keys in ring's form, as
    /// [`KeyPair::private_key_der`](crate::KeyPair::private_key_der) writes them.
    pub fn from_pkcs8_der(der: &[u8], public: &PublicKey) -> Result<Self, Error> {
        let bad = |why: &str| Error::InvalidKey(why.to_string());
        let info = pkcs8::PrivateKeyInfo::from_der(der)
            .map_err(|e| bad(&format!("not a PKCS#8 private key ({e})")))?;
        let oid = info.algorithm.oid.to_string();
        let curve = info
            .algorithm
            .parameters_oid()
            .ok()
            .map(|oid| oid.to_string());
        let algorithm_matches = match public.algorithm() {
            KeyAlgorithm::P256 => oid == EC_PUBLIC_KEY && curve.as_deref() == Some(P256),
            KeyAlgorithm::P384 => oid == EC_PUBLIC_KEY && curve.as_deref() == Some(P384),
            KeyAlgorithm::Ed25519 => oid == ED25519,
            _ => oid == RSA_ENCRYPTION,
        };
        if !algorithm_matches {
            return Err(mismatch());
        }
        let ec_inner;
        let private_key = if oid == EC_PUBLIC_KEY {
            ec_inner = ec_private_key(info.private_key, public)?;
            ec_inner.as_slice()
        } else {
            info.private_key
        };
        let v1 = pkcs8::PrivateKeyInfo {
            algorithm: info.algorithm,
            private_key,
            public_key: None,
        }
        .to_der()
        .map_err(|e| bad(&format!("cannot re-encode the key ({e})")))?;
        Ok(PrivateKey {
            pkcs8: v1,
            public: public.clone(),
        })
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

const P256: &str = "1.2.840.10045.3.1.7";
const P384: &str = "1.3.132.0.34";

/// The SEC1 `ECPrivateKey` inside PKCS#8, without the curve repeated and with the public key
/// (which ring needs to load it), after checking any embedded public key is `public`'s.
fn ec_private_key(sec1_der: &[u8], public: &PublicKey) -> Result<Vec<u8>, Error> {
    let key = sec1::EcPrivateKey::from_der(sec1_der)
        .map_err(|e| Error::InvalidKey(format!("EC private key: {e}")))?;
    if key
        .public_key
        .is_some_and(|embedded| embedded != public.raw())
    {
        return Err(mismatch());
    }
    sec1::EcPrivateKey {
        parameters: None,
        public_key: Some(public.raw()),
        ..key
    }
    .to_der()
    .map_err(|e| Error::InvalidKey(format!("EC private key: {e}")))
}

fn mismatch() -> Error {
    Error::InvalidKey("the private key does not belong to the public key given with it".into())
}
