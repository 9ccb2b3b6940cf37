//! The synchronous API: the core's own crypto makes every key and signature (the fallback where
//! WebCrypto cannot, and the calls that need no new key: import, inspect, CSRs). New certificates
//! are prepared and finished as on the WebCrypto path (pending.rs), signed here.

use wasm_bindgen::prelude::*;

use selfsign_core::{KeyAlgorithm, KeyPair, PrivateKey};

use crate::error::{At, Error};
use crate::input::{self, bytes_from_js, from_js, now};
use crate::input::{CaInput, LeafInput, WebTransportInput};
use crate::output::{to_js, CertView, Issued};
use crate::pending::{self, Pending};

/// A new key of `algorithm`, a certificate for it from `prepare` (given its SPKI), signed by
/// `signer` or, if none, by the new key itself: what `finish` returns.
fn signed(
    algorithm: KeyAlgorithm,
    signer: Option<&KeyPair>,
    prepare: impl FnOnce(&[u8]) -> Result<Pending, Error>,
) -> Result<JsValue, Error> {
    let key = KeyPair::generate(algorithm)?;
    let pkcs8 = Some(key.private_key_der().secret_der().to_vec());
    prepare(key.public_key().der())?.sign(signer.unwrap_or(&key), pkcs8)
}

/// Generates a key and a self-signed leaf certificate (server by default).
#[wasm_bindgen(js_name = generateSelfSigned, unchecked_return_type = "Issued")]
pub fn generate_self_signed(
    #[wasm_bindgen(unchecked_param_type = "LeafOptions")] options: JsValue,
) -> Result<JsValue, Error> {
    let algorithm = from_js::<LeafInput>(options.clone())?.to_core()?.key;
    let prepare = |key: &[u8]| pending::prepare_self_signed(options, key);
    signed(algorithm, None, prepare)
}

/// Generates a key and a root CA certificate (optionally name-constrained).
#[wasm_bindgen(js_name = generateCa, unchecked_return_type = "Issued")]
pub fn generate_ca(
    #[wasm_bindgen(unchecked_param_type = "CaOptions")] options: JsValue,
) -> Result<JsValue, Error> {
    let algorithm = from_js::<CaInput>(options.clone())?.to_core()?.key;
    signed(algorithm, None, |key| pending::prepare_ca(options, key))
}

/// Loads a CA from its certificate (PEM, with any issuers after it, or DER) and private key,
/// checks that they belong together and can issue, and describes it.
#[wasm_bindgen(js_name = importCa, unchecked_return_type = "Issued")]
pub fn import_ca(
    #[wasm_bindgen(unchecked_param_type = "string | Uint8Array")] ca_cert: JsValue,
    #[wasm_bindgen(unchecked_param_type = "string | Uint8Array")] ca_key: JsValue,
) -> Result<JsValue, Error> {
    let ca = input::ca(&ca_cert, &ca_key)?;
    let info = ca.certificate().inspect(now())?;
    let der = ca.key().private_key_der();
    let key = PrivateKey::from_pkcs8_der(der.secret_der(), ca.key().public_key())?;
    to_js(&Issued::ca(ca.certificate(), info, Some(key), ca.parents()))
}

/// Generates a key and a leaf certificate issued by the given CA, once the options fit the CA.
#[wasm_bindgen(js_name = issueLeaf, unchecked_return_type = "Issued")]
pub fn issue_leaf(
    #[wasm_bindgen(unchecked_param_type = "string | Uint8Array")] ca_cert: JsValue,
    #[wasm_bindgen(unchecked_param_type = "string | Uint8Array")] ca_key: JsValue,
    #[wasm_bindgen(unchecked_param_type = "LeafOptions")] options: JsValue,
) -> Result<JsValue, Error> {
    let ca = input::ca(&ca_cert, &ca_key)?;
    let leaf = from_js::<LeafInput>(options.clone())?.to_core()?;
    ca.check_leaf(&leaf, now())?;
    let prepare = |key: &[u8]| pending::prepare_leaf(ca_cert, options, key);
    signed(leaf.key, Some(ca.key()), prepare)
}

/// Signs a CSR (PEM or DER) with the given CA: the names and public key come from the request,
/// the profile (leaf, never CA) and validity from the options.
#[wasm_bindgen(js_name = signCsr, unchecked_return_type = "Issued")]
pub fn sign_csr(
    #[wasm_bindgen(unchecked_param_type = "string | Uint8Array")] ca_cert: JsValue,
    #[wasm_bindgen(unchecked_param_type = "string | Uint8Array")] ca_key: JsValue,
    #[wasm_bindgen(unchecked_param_type = "string | Uint8Array")] csr: JsValue,
    #[wasm_bindgen(unchecked_param_type = "SignOptions")] options: JsValue,
) -> Result<JsValue, Error> {
    let ca = input::ca(&ca_cert, &ca_key)?;
    pending::prepare_sign_csr(ca_cert, csr, options)?.sign(ca.key(), None)
}

/// Decodes every certificate in PEM text or DER bytes.
#[wasm_bindgen(unchecked_return_type = "CertInfo[]")]
pub fn inspect(
    #[wasm_bindgen(unchecked_param_type = "string | Uint8Array")] input: JsValue,
) -> Result<JsValue, Error> {
    let bytes = bytes_from_js(&input, "input")?;
    let infos = selfsign_core::inspect(&bytes, now()).at("input")?;
    to_js(&infos.into_iter().map(CertView).collect::<Vec<_>>())
}

/// Generates a self-signed ECDSA P-256 certificate valid at most 14 days, with its SHA-256 ready
/// for WebTransport's `serverCertificateHashes`.
#[wasm_bindgen(js_name = webTransport, unchecked_return_type = "WebTransportResult")]
pub fn web_transport(
    #[wasm_bindgen(unchecked_param_type = "WebTransportOptions")] options: JsValue,
) -> Result<JsValue, Error> {
    let input = from_js::<WebTransportInput>(options.clone())?;
    let prepare = |key: &[u8]| pending::prepare_web_transport(options, key);
    signed(input.to_core()?.key, None, prepare)
}
