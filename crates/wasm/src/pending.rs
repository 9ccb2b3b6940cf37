//! The WebCrypto path: `prepare*` takes the new key as WebCrypto exports it (PKCS#8, or SPKI
//! with the PKCS#8 given to `finish`, as for Ed25519); the page signs `tbs` with the signer's
//! `CryptoKey`; `finish` takes WebCrypto's signature (not verified again) and returns what the
//! synchronous functions return. A failed `finish` can be retried.

use wasm_bindgen::prelude::*;

use selfsign_core::{
    parse_names, read_exported_key, CertInfo, Certificate, Error as CoreError, ExternalCa,
    KeyAlgorithm, Name, PrivateKey, PublicKey, UnsignedCertificate, Usage,
};
#[cfg(feature = "full")]
use selfsign_core::{Csr, KeyPair};

use crate::error::{At, Error, Of};
use crate::input::{self, bytes_from_js, from_js, now};
use crate::input::{CaInput, LeafInput, SignInput, WebTransportInput};
use crate::output::{to_js, CaAndLeaf, Issued, WebTransport};

/// A new key's PKCS#8 given to `finish` when `prepare*` had only its SPKI.
type Pkcs8 = Option<Vec<u8>>;

/// A certificate built and encoded by the core, waiting for its signature from WebCrypto.
#[wasm_bindgen]
pub struct Pending {
    unsigned: Option<UnsignedCertificate>,
    /// None for a signed CSR.
    key: Option<NewKey>,
    outcome: Outcome,
}

/// What `finish` returns: a leaf (its names, usage and issuers), a CA or a WebTransport leaf.
enum Outcome {
    Leaf(Vec<Name>, Usage, Vec<Certificate>),
    Ca,
    WebTransport(Vec<Name>),
}

/// A pending certificate for `key` (none for a CSR's), finished as `outcome`.
fn pending(unsigned: UnsignedCertificate, key: Option<NewKey>, outcome: Outcome) -> Pending {
    let unsigned = Some(unsigned);
    Pending {
        unsigned,
        key,
        outcome,
    }
}

#[wasm_bindgen]
impl Pending {
    /// The bytes to sign: the DER TBSCertificate (empty once finished).
    #[wasm_bindgen(getter)]
    pub fn tbs(&self) -> js_sys::Uint8Array {
        js_sys::Uint8Array::from(self.unsigned.as_ref().map_or(&[][..], |u| u.tbs()))
    }

    /// The signing key's algorithm ("p256", "p384", "ed25519", "rsa2048", ..., or "rsa").
    #[wasm_bindgen(getter)]
    pub fn signer(&self) -> String {
        let signer = self.unsigned.as_ref().map(|u| u.signer().algorithm());
        signer.map_or("", KeyAlgorithm::name).to_string()
    }

    /// Puts in WebCrypto's signature over `tbs` (and the PKCS#8 if `prepare*` had the SPKI).
    #[wasm_bindgen(unchecked_return_type = "Issued")]
    pub fn finish(
        &mut self,
        signature: &[u8],
        #[wasm_bindgen(unchecked_param_type = "Uint8Array | undefined")] pkcs8: Pkcs8,
    ) -> Result<JsValue, Error> {
        let unsigned = self.unsigned.as_ref().ok_or_else(finished)?;
        unsigned.check_signature(signature)?;
        self.complete(pkcs8, |u| u.finish_described(signature, now()))
    }
}

impl Pending {
    /// Signs with the core's own `key` instead (the synchronous API) and finishes.
    #[cfg(feature = "full")]
    pub(crate) fn sign(mut self, key: &KeyPair, pkcs8: Pkcs8) -> Result<JsValue, Error> {
        self.complete(pkcs8, |unsigned| unsigned.sign_described(key, now()))
    }

    /// `finish` once the signature is known to fit: puts it in with `sign` and describes it.
    fn complete(
        &mut self,
        pkcs8: Pkcs8,
        sign: impl FnOnce(UnsignedCertificate) -> Result<(Certificate, CertInfo), CoreError>,
    ) -> Result<JsValue, Error> {
        let key = self.key.as_ref().map(|k| k.output(pkcs8)).transpose()?;
        let (c, info) = sign(self.unsigned.take().ok_or_else(finished)?)?;
        match &self.outcome {
            Outcome::Leaf(names, usage, chain) => {
                to_js(&Issued::leaf(&c, info, key, chain, names, *usage))
            }
            Outcome::Ca => to_js(&Issued::ca(&c, info, key, &[])),
            Outcome::WebTransport(names) => to_js(&WebTransport::new(&c, info, key, names)),
        }
    }
}

/// A new key as `prepare*` read it: its public half, and its private half if it came as PKCS#8.
struct NewKey {
    public: PublicKey,
    private: Option<PrivateKey>,
}

impl NewKey {
    fn read(der: &[u8]) -> Result<Self, Error> {
        let (public, private) = read_exported_key(der).at("key")?;
        Ok(NewKey { public, private })
    }

    /// The result's private key (`finish`'s PKCS#8 if `prepare*` had the SPKI); wipes that copy.
    fn output(&self, pkcs8: Pkcs8) -> Result<PrivateKey, Error> {
        match (&self.private, pkcs8.map(zeroize::Zeroizing::new)) {
            (Some(key), _) => Ok(key.clone()),
            (None, Some(der)) => PrivateKey::from_pkcs8_der(&der, &self.public).at("keyPem"),
            (None, None) => Err(Error::invalid(
                "keyPem",
                "the key came as its SPKI: give finish its PKCS#8 (exportKey(\"pkcs8\")) too",
            )),
        }
    }
}

/// The error for a call after `finish`.
fn finished() -> Error {
    Error::Options("this certificate was already finished; prepare a new one".into())
}

/// Prepares a self-signed leaf for the new key (PKCS#8 or SPKI; it overrides `key`).
#[wasm_bindgen(js_name = prepareSelfSigned)]
pub fn prepare_self_signed(
    #[wasm_bindgen(unchecked_param_type = "LeafOptions")] options: JsValue,
    key: &[u8],
) -> Result<Pending, Error> {
    let options = from_js::<LeafInput>(options)?.to_core()?;
    let key = NewKey::read(key)?;
    let unsigned = selfsign_core::prepare_self_signed(&options, &key.public, now())?;
    let outcome = Outcome::Leaf(parse_names(&options.names)?, options.usage, Vec::new());
    Ok(pending(unsigned, Some(key), outcome))
}

/// Prepares a WebTransport certificate (self-signed, P-256, at most 14 days) for the new key.
#[wasm_bindgen(js_name = prepareWebTransport)]
pub fn prepare_web_transport(
    #[wasm_bindgen(unchecked_param_type = "WebTransportOptions")] options: JsValue,
    key: &[u8],
) -> Result<Pending, Error> {
    let options = from_js::<WebTransportInput>(options)?.to_core()?;
    let key = NewKey::read(key)?;
    if key.public.algorithm() != KeyAlgorithm::P256 {
        return Err(selfsign_core::Error::WebTransportKey.into());
    }
    let unsigned = selfsign_core::prepare_self_signed(&options, &key.public, now())?;
    let outcome = Outcome::WebTransport(parse_names(&options.names)?);
    Ok(pending(unsigned, Some(key), outcome))
}

/// Prepares a root CA (optionally name-constrained) for the new key (PKCS#8 or SPKI).
#[wasm_bindgen(js_name = prepareCa)]
pub fn prepare_ca(
    #[wasm_bindgen(unchecked_param_type = "CaOptions")] options: JsValue,
    key: &[u8],
) -> Result<Pending, Error> {
    let options = from_js::<CaInput>(options)?.to_core()?;
    let key = NewKey::read(key)?;
    let unsigned = ExternalCa::prepare_root(&options, &key.public, now())?;
    Ok(pending(unsigned.into_certificate(), Some(key), Outcome::Ca))
}

#[cfg(feature = "full")]
/// Prepares a leaf issued by the given CA (PEM, with any issuers after it, or DER) for the new key.
#[wasm_bindgen(js_name = prepareLeaf)]
pub fn prepare_leaf(
    #[wasm_bindgen(unchecked_param_type = "string | Uint8Array")] ca_cert: JsValue,
    #[wasm_bindgen(unchecked_param_type = "LeafOptions")] options: JsValue,
    key: &[u8],
) -> Result<Pending, Error> {
    let ca = input::external_ca(&ca_cert)?;
    let options = from_js::<LeafInput>(options)?.to_core()?;
    let key = NewKey::read(key)?;
    let unsigned = ca.prepare_issue(&options, &key.public, now())?;
    let outcome = Outcome::Leaf(parse_names(&options.names)?, options.usage, ca.chain());
    Ok(pending(unsigned, Some(key), outcome))
}

#[cfg(feature = "full")]
/// Prepares a leaf for a CSR (PEM or DER) issued by the given CA, with the request's names and key.
#[wasm_bindgen(js_name = prepareSignCsr)]
pub fn prepare_sign_csr(
    #[wasm_bindgen(unchecked_param_type = "string | Uint8Array")] ca_cert: JsValue,
    #[wasm_bindgen(unchecked_param_type = "string | Uint8Array")] csr: JsValue,
    #[wasm_bindgen(unchecked_param_type = "SignOptions")] options: JsValue,
) -> Result<Pending, Error> {
    let ca = input::external_ca(&ca_cert)?;
    let csr = Csr::parse(&bytes_from_js(&csr, "csr")?).at("csr")?;
    let options = from_js::<SignInput>(options)?.to_core()?;
    let unsigned = ca
        .prepare_sign_csr(&csr, &options, now())
        .map_err(input::blame_csr)?;
    let outcome = Outcome::Leaf(csr.names().at("csr")?, options.usage, ca.chain());
    Ok(pending(unsigned, None, outcome))
}

/// A root CA and a leaf it issues, both waiting for a signature by the CA's key from WebCrypto.
#[wasm_bindgen]
pub struct PendingCaAndLeaf {
    unsigned: Option<(UnsignedCertificate, UnsignedCertificate)>,
    ca_key: NewKey,
    leaf_key: NewKey,
    names: Vec<Name>,
    usage: Usage,
}

/// Prepares a root CA for one new key and a leaf it issues for another; errors name their `part`.
#[wasm_bindgen(js_name = prepareCaAndLeaf)]
pub fn prepare_ca_and_leaf(
    #[wasm_bindgen(unchecked_param_type = "CaOptions")] ca_options: JsValue,
    ca_key: &[u8],
    #[wasm_bindgen(unchecked_param_type = "LeafOptions")] leaf_options: JsValue,
    leaf_key: &[u8],
) -> Result<PendingCaAndLeaf, Error> {
    let ca_options = from_js::<CaInput>(ca_options).and_then(|o| o.to_core());
    let leaf_options = from_js::<LeafInput>(leaf_options).and_then(|o| o.to_core());
    let (ca_options, leaf_options) = (ca_options.of("ca")?, leaf_options.of("leaf")?);
    let ca_key = NewKey::read(ca_key).of("ca")?;
    let leaf_key = NewKey::read(leaf_key).of("leaf")?;
    let now = now();
    let ca = ExternalCa::prepare_root(&ca_options, &ca_key.public, now).of("ca")?;
    let leaf = ca.prepare_issue(&leaf_options, &leaf_key.public, now);
    Ok(PendingCaAndLeaf {
        unsigned: Some((ca.into_certificate(), leaf.of("leaf")?)),
        ca_key,
        leaf_key,
        names: parse_names(&leaf_options.names).of("leaf")?,
        usage: leaf_options.usage,
    })
}

#[wasm_bindgen]
impl PendingCaAndLeaf {
    /// The bytes to sign: `[caTbs, leafTbs]`, the two DER TBSCertificates (empty once finished).
    #[wasm_bindgen(getter, unchecked_return_type = "[Uint8Array, Uint8Array]")]
    pub fn tbs(&self) -> js_sys::Array {
        let tbs = self
            .unsigned
            .as_ref()
            .map(|(ca, leaf)| (ca.tbs(), leaf.tbs()));
        let (ca, leaf) = tbs.unwrap_or_default();
        js_sys::Array::of2(
            &js_sys::Uint8Array::from(ca),
            &js_sys::Uint8Array::from(leaf),
        )
    }

    /// The CA key's algorithm, which signs both.
    #[wasm_bindgen(getter)]
    pub fn signer(&self) -> String {
        self.ca_key.public.algorithm().name().to_string()
    }

    /// Puts in the two signatures (over `tbs[0]` and `tbs[1]`) and returns `{ ca, leaf }`.
    #[wasm_bindgen(unchecked_return_type = "{ ca: Issued, leaf: Issued }")]
    pub fn finish(
        &mut self,
        ca_signature: &[u8],
        leaf_signature: &[u8],
        #[wasm_bindgen(unchecked_param_type = "Uint8Array | undefined")] ca_pkcs8: Pkcs8,
        #[wasm_bindgen(unchecked_param_type = "Uint8Array | undefined")] leaf_pkcs8: Pkcs8,
    ) -> Result<JsValue, Error> {
        let (ca, leaf) = self.unsigned.as_ref().ok_or_else(finished)?;
        ca.check_signature(ca_signature).of("ca")?;
        leaf.check_signature(leaf_signature).of("leaf")?;
        let ca_key = self.ca_key.output(ca_pkcs8).of("ca")?;
        let leaf_key = self.leaf_key.output(leaf_pkcs8).of("leaf")?;
        let (ca, leaf) = self.unsigned.take().ok_or_else(finished)?;
        let now = now();
        let (ca, ca_info) = ca.finish_described(ca_signature, now)?;
        let (leaf, info) = leaf.finish_described(leaf_signature, now)?;
        let (issuers, key) = ([ca], Some(leaf_key));
        to_js(&CaAndLeaf {
            ca: Issued::ca(&issuers[0], ca_info, Some(ca_key), &[]),
            leaf: Issued::leaf(&leaf, info, key, &issuers, &self.names, self.usage),
        })
    }
}
