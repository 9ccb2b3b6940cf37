//! RFC 7515 flattened JSON web signatures as RFC 8555 §6.2 uses them: parsed with serde_json,
//! the account key given as a JWK (RFC 7517) or an account URL, signatures checked with ring.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use ring::signature::{self, RsaPublicKeyComponents, UnparsedPublicKey};
use serde::{Deserialize, Serialize};

use crate::problem::Problem;

/// The `alg` values this server verifies.
pub(crate) const ALGORITHMS: [&str; 4] = ["ES256", "ES384", "RS256", "EdDSA"];

/// A flattened JWS as sent: three base64url strings and nothing else.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Flattened {
    protected: String,
    payload: String,
    signature: String,
}

/// The protected header fields RFC 8555 uses.
#[derive(Debug, Deserialize)]
struct Header {
    alg: String,
    nonce: Option<String>,
    url: Option<String>,
    jwk: Option<Jwk>,
    kid: Option<String>,
    /// RFC 7515 §4.1.11: extensions the signer requires us to understand (we understand none).
    crit: Option<serde_json::Value>,
}

/// A public key as a JWK, keeping only the members that define it (its RFC 7638 thumbprint's),
/// declared in lexical order so that serialising it gives the thumbprint's canonical form.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Jwk {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    crv: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    e: Option<String>,
    kty: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    n: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    x: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    y: Option<String>,
}

/// Who signed: a key given in the request, or an account named by URL.
#[derive(Debug, Clone)]
pub(crate) enum Signer {
    Jwk(Jwk),
    Kid(String),
}

/// A parsed JWS whose signature is not yet checked.
#[derive(Debug)]
pub(crate) struct Jws {
    pub alg: String,
    pub nonce: Option<String>,
    pub url: Option<String>,
    pub signer: Signer,
    pub payload: Vec<u8>,
    signing_input: Vec<u8>,
    signature: Vec<u8>,
}

fn b64(field: &str, value: &str) -> Result<Vec<u8>, Problem> {
    URL_SAFE_NO_PAD
        .decode(value)
        .map_err(|_| Problem::malformed(format!("the JWS {field} is not unpadded base64url")))
}

/// Base64url without padding.
pub(crate) fn encode(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

impl Jws {
    /// Parses a flattened JWS; `jwk` and `kid` must not both be present nor both absent.
    pub(crate) fn parse(body: &[u8]) -> Result<Jws, Problem> {
        let outer: Flattened = serde_json::from_slice(body).map_err(|e| {
            Problem::malformed(format!(
                "the body is not a flattened JWS (protected, payload, signature): {e}"
            ))
        })?;
        let header_bytes = b64("protected header", &outer.protected)?;
        let header: Header = serde_json::from_slice(&header_bytes)
            .map_err(|e| Problem::malformed(format!("the JWS protected header is invalid: {e}")))?;
        if let Some(crit) = header.crit {
            return Err(Problem::malformed(format!(
                "the JWS protected header marks extensions critical (crit: {crit}); this server understands none, so it cannot accept the JWS"
            )));
        }
        let signer = match (header.jwk, header.kid) {
            (Some(jwk), None) => Signer::Jwk(jwk),
            (None, Some(kid)) => Signer::Kid(kid),
            _ => {
                return Err(Problem::malformed(
                    "the JWS protected header must have exactly one of jwk and kid",
                ))
            }
        };
        let payload = b64("payload", &outer.payload)?;
        let signature = b64("signature", &outer.signature)?;
        let mut signing_input = outer.protected.into_bytes();
        signing_input.push(b'.');
        signing_input.extend_from_slice(outer.payload.as_bytes());
        Ok(Jws {
            alg: header.alg,
            nonce: header.nonce,
            url: header.url,
            signer,
            payload,
            signing_input,
            signature,
        })
    }

    /// Checks that `alg` is one we verify.
    pub(crate) fn check_alg(&self) -> Result<(), Problem> {
        if ALGORITHMS.contains(&self.alg.as_str()) {
            Ok(())
        } else {
            Err(Problem::bad_signature_algorithm(format!(
                "JWS alg {:?} is not supported; use ES256, ES384, RS256 or EdDSA",
                self.alg
            )))
        }
    }

    /// Checks the signature with `key`.
    pub(crate) fn verify(&self, key: &Jwk) -> Result<(), Problem> {
        key.verify(&self.alg, &self.signing_input, &self.signature)
    }
}

impl Jwk {
    /// Checks that the key is one we can verify with (supported type, sizes that fit).
    pub(crate) fn check(&self) -> Result<(), Problem> {
        self.alg_for().map(|_| ())
    }

    /// The only `alg` this key may sign with.
    fn alg_for(&self) -> Result<&'static str, Problem> {
        let bad = |why: &str| Problem::bad_public_key(format!("the account key {why}"));
        let sized = |field: &str, value: &Option<String>, len: usize| match value {
            Some(v) if b64(field, v).map(|b| b.len()) == Ok(len) => Ok(()),
            _ => Err(bad(&format!("has no valid {len}-byte {field}"))),
        };
        let extra = match self.kty.as_str() {
            "EC" => self.n.is_some() || self.e.is_some(),
            "OKP" => self.y.is_some() || self.n.is_some() || self.e.is_some(),
            _ => self.crv.is_some() || self.x.is_some() || self.y.is_some(),
        };
        if extra {
            return Err(bad("mixes members of different key types"));
        }
        match (self.kty.as_str(), self.crv.as_deref()) {
            ("EC", Some("P-256")) => {
                sized("x", &self.x, 32)?;
                sized("y", &self.y, 32)?;
                Ok("ES256")
            }
            ("EC", Some("P-384")) => {
                sized("x", &self.x, 48)?;
                sized("y", &self.y, 48)?;
                Ok("ES384")
            }
            ("OKP", Some("Ed25519")) => {
                sized("x", &self.x, 32)?;
                Ok("EdDSA")
            }
            ("RSA", _) => {
                let n = self.n.as_deref().map(|n| b64("n", n)).transpose()?;
                let e = self.e.as_deref().map(|e| b64("e", e)).transpose()?;
                match (n, e) {
                    (Some(n), Some(e)) if !e.is_empty() && e.len() <= 4 => {
                        let bits = n.iter().skip_while(|b| **b == 0).count() * 8;
                        if !(2048..=8192).contains(&bits) {
                            return Err(bad("must be a 2048- to 8192-bit RSA key"));
                        }
                        Ok("RS256")
                    }
                    _ => Err(bad("is an RSA JWK without valid n and e")),
                }
            }
            _ => Err(bad(
                "must be ECDSA P-256 or P-384, Ed25519 or RSA (kty EC, OKP or RSA)",
            )),
        }
    }

    fn verify(&self, alg: &str, message: &[u8], sig: &[u8]) -> Result<(), Problem> {
        let expected = self.alg_for()?;
        if alg != expected {
            return Err(Problem::bad_signature_algorithm(format!(
                "JWS alg {alg:?} does not fit the account key, which signs with {expected}"
            )));
        }
        let field = |v: &Option<String>| b64("key", v.as_deref().unwrap_or_default());
        let ok = match alg {
            "ES256" | "ES384" => {
                let mut point = vec![4u8];
                point.extend(field(&self.x)?);
                point.extend(field(&self.y)?);
                let which = if alg == "ES256" {
                    &signature::ECDSA_P256_SHA256_FIXED
                } else {
                    &signature::ECDSA_P384_SHA384_FIXED
                };
                UnparsedPublicKey::new(which, point).verify(message, sig)
            }
            "EdDSA" => {
                UnparsedPublicKey::new(&signature::ED25519, field(&self.x)?).verify(message, sig)
            }
            _ => RsaPublicKeyComponents {
                n: field(&self.n)?,
                e: field(&self.e)?,
            }
            .verify(&signature::RSA_PKCS1_2048_8192_SHA256, message, sig),
        };
        ok.map_err(|_| Problem::malformed("the JWS signature does not verify with the account key"))
    }

    /// The RFC 7638 thumbprint: base64url SHA-256 of the required members in lexical order.
    pub(crate) fn thumbprint(&self) -> String {
        let canonical = serde_json::to_vec(self).unwrap_or_default();
        encode(ring::digest::digest(&ring::digest::SHA256, &canonical).as_ref())
    }

    /// The raw public key bytes as a certificate's SubjectPublicKeyInfo holds them (EC point,
    /// Ed25519 key, or RSA modulus and exponent), for comparing with a certificate's key.
    pub(crate) fn matches_spki(&self, spki: &x509_parser::x509::SubjectPublicKeyInfo<'_>) -> bool {
        use x509_parser::public_key::PublicKey;
        let field = |v: &Option<String>| v.as_deref().and_then(|s| b64("key", s).ok());
        let strip = |b: &[u8]| {
            b.iter()
                .skip_while(|x| **x == 0)
                .copied()
                .collect::<Vec<u8>>()
        };
        match (spki.parsed(), self.kty.as_str()) {
            (Ok(PublicKey::EC(point)), "EC") => {
                let (Some(x), Some(y)) = (field(&self.x), field(&self.y)) else {
                    return false;
                };
                let mut ours = vec![4u8];
                ours.extend(x);
                ours.extend(y);
                point.data() == ours.as_slice()
            }
            (Ok(PublicKey::RSA(rsa)), "RSA") => {
                field(&self.n).is_some_and(|n| strip(&n) == strip(rsa.modulus))
                    && field(&self.e).is_some_and(|e| strip(&e) == strip(rsa.exponent))
            }
            (_, "OKP") => field(&self.x).is_some_and(|x| *spki.subject_public_key.data == x[..]),
            _ => false,
        }
    }
}
