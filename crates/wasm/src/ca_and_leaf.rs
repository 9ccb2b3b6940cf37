//! A new root CA and a leaf it issues, made together on the WebCrypto path. What a leaf says of
//! its issuer does not depend on the issuer's signature, so both certificates are built before
//! either is signed: the page makes the CA key's two signatures back to back, and one call
//! finishes both into one result object (whose leaf shares the CA's PEM rather than a copy).

use wasm_bindgen::prelude::*;

use selfsign_core::{ExternalCa, PrivateKey, PublicKey, UnsignedCa, UnsignedCertificate, Usage};

use crate::error::{Error, Of, Part};
use crate::options::{from_js, CaInput, LeafInput};
use crate::pending::{ca_view, key_output, new_key};
use crate::results::CaAndLeaf;
use crate::{leaf_view, now, respond, Chain};

/// A root CA and a leaf it issues, built and encoded by the core, both waiting for a signature
/// by the CA's key from WebCrypto.
#[wasm_bindgen]
pub struct PendingCaAndLeaf {
    unsigned: Option<(UnsignedCa, UnsignedCertificate)>,
    ca_key: NewKey,
    leaf_key: NewKey,
    names: Vec<String>,
    usage: Usage,
}

/// A new key as `prepare*` read it: its public half, and its private half when it came as
/// PKCS#8.
struct NewKey {
    public: PublicKey,
    private: Option<PrivateKey>,
}

impl NewKey {
    fn read(der: &[u8]) -> Result<Self, Error> {
        let (public, private) = new_key(der)?;
        Ok(NewKey { public, private })
    }

    /// Its PEM and DER for the result, from the PKCS#8 `finish` takes when `prepare*` had only
    /// the SPKI.
    fn output(&self, pkcs8: Option<Vec<u8>>) -> Result<Option<(String, Vec<u8>)>, Error> {
        key_output(self.private.as_ref(), Some(&self.public), pkcs8)
    }
}

/// Prepares a root CA for one new key and a leaf it issues for another (each as PKCS#8 or SPKI,
/// as `prepareCa` and `prepareLeaf` take them). The CA's `CryptoKey` signs both. An error here
/// or from `finish` says in `part` ("ca" or "leaf") whose options, key or signature was at fault.
#[wasm_bindgen(js_name = prepareCaAndLeaf)]
pub fn prepare_ca_and_leaf(
    #[wasm_bindgen(unchecked_param_type = "CaOptions")] ca_options: JsValue,
    ca_key: &[u8],
    #[wasm_bindgen(unchecked_param_type = "LeafOptions")] leaf_options: JsValue,
    leaf_key: &[u8],
) -> Result<PendingCaAndLeaf, JsValue> {
    let result = (|| {
        let ca_options = from_js::<CaInput>(ca_options).and_then(|o| o.to_core());
        let leaf_options = from_js::<LeafInput>(leaf_options).and_then(|o| o.to_core());
        let (ca_options, leaf_options) = (ca_options.of(Part::Ca)?, leaf_options.of(Part::Leaf)?);
        let ca_key = NewKey::read(ca_key).of(Part::Ca)?;
        let leaf_key = NewKey::read(leaf_key).of(Part::Leaf)?;
        let now = now();
        let ca = ExternalCa::prepare_root(&ca_options, &ca_key.public, now).of(Part::Ca)?;
        let leaf = ca
            .prepare_issue(&leaf_options, &leaf_key.public, now)
            .of(Part::Leaf)?;
        Ok(PendingCaAndLeaf {
            unsigned: Some((ca, leaf)),
            ca_key,
            leaf_key,
            names: leaf_options.names,
            usage: leaf_options.usage,
        })
    })();
    result.map_err(|e: Error| JsValue::from(e))
}

#[wasm_bindgen]
impl PendingCaAndLeaf {
    /// The bytes to sign: `[caTbs, leafTbs]`, the two DER TBSCertificates (views of one buffer;
    /// empty once finished).
    #[wasm_bindgen(getter, unchecked_return_type = "[Uint8Array, Uint8Array]")]
    pub fn tbs(&self) -> js_sys::Array {
        let (ca, leaf) = self
            .unsigned
            .as_ref()
            .map_or((&[][..], &[][..]), |(ca, leaf)| (ca.tbs(), leaf.tbs()));
        crate::results::split_copy(&[ca, leaf].concat(), ca.len() as u32)
    }

    /// The CA key's algorithm, which signs both (named as `Pending.signer` names it).
    #[wasm_bindgen(getter)]
    pub fn signer(&self) -> String {
        self.ca_key.public.algorithm().name().to_string()
    }

    /// Puts in the two signatures (WebCrypto's form, over `tbs[0]` and `tbs[1]`), with each new
    /// key's PKCS#8 when `prepareCaAndLeaf` had only its SPKI, and returns `{ ca, leaf }`: the
    /// result objects `generateCa` and `issueLeaf` return.
    #[wasm_bindgen(unchecked_return_type = "{ ca: Issued, leaf: Issued }")]
    pub fn finish(
        &mut self,
        ca_signature: &[u8],
        leaf_signature: &[u8],
        #[wasm_bindgen(unchecked_param_type = "Uint8Array | undefined")] ca_pkcs8: Option<Vec<u8>>,
        #[wasm_bindgen(unchecked_param_type = "Uint8Array | undefined")] leaf_pkcs8: Option<
            Vec<u8>,
        >,
    ) -> Result<JsValue, JsValue> {
        respond((|| {
            // Everything the caller can get wrong is checked before the certificates are used
            // up, so a failed finish can be retried.
            let (ca, leaf) = self.unsigned.as_ref().ok_or_else(finished)?;
            ca.check_signature(ca_signature).of(Part::Ca)?;
            leaf.check_signature(leaf_signature).of(Part::Leaf)?;
            let ca_key = self.ca_key.output(ca_pkcs8).of(Part::Ca)?;
            let leaf_key = self.leaf_key.output(leaf_pkcs8).of(Part::Leaf)?;
            let (ca, leaf) = self.unsigned.take().ok_or_else(finished)?;
            let now = now();
            // WebCrypto made the signatures with the key that was given (see Pending::finish).
            let (ca, ca_info) = ca.into_certificate().finish_described(ca_signature, now)?;
            let (leaf, leaf_info) = leaf.finish_described(leaf_signature, now)?;
            Ok(CaAndLeaf {
                ca: ca_view(&ca, ca_info, ca_key),
                leaf: leaf_view(
                    &leaf,
                    leaf_info,
                    leaf_key,
                    Chain::RootAlongside,
                    &self.names,
                    self.usage,
                )?,
            })
        })())
    }
}

/// The error for a call after `finish`.
fn finished() -> Error {
    Error::Options("this CA and leaf were already finished; prepare new ones".into())
}
