//! The synchronous API: the core's own crypto makes every key and signature (the fallback where
//! WebCrypto cannot, and the calls that need no new key: import, inspect, CSRs).

use wasm_bindgen::prelude::*;

use selfsign_core::{parse_names, Ca, Csr, LeafOptions, Name, Usage};

use crate::error::{At, Error};
use crate::input::{self, bytes_from_js, from_js, now};
use crate::input::{CaInput, CsrInput, LeafInput, SignInput, WebTransportInput};
use crate::output::{to_js, CertView, CsrFileNames, CsrResult, Issued, WebTransport};

/// A new leaf for `options` as `finish` returns it: `Issued`, or with `hash`, `WebTransport`.
fn leaf(
    issued: selfsign_core::Issued,
    options: &LeafOptions,
    hash: bool,
) -> Result<JsValue, Error> {
    let (certificate, chain) = (&issued.certificate, &issued.chain);
    let info = certificate.inspect(now())?;
    let names = parse_names(&options.names)?;
    let key = Some((&issued.key).into());
    match hash {
        true => to_js(&WebTransport::new(certificate, info, key, &names)),
        false => to_js(&Issued::leaf(
            certificate,
            info,
            key,
            chain,
            &names,
            options.usage,
        )),
    }
}

/// Generates a key and a self-signed leaf certificate (server by default).
#[wasm_bindgen(js_name = generateSelfSigned, unchecked_return_type = "Issued")]
pub fn generate_self_signed(
    #[wasm_bindgen(unchecked_param_type = "LeafOptions")] options: JsValue,
) -> Result<JsValue, Error> {
    let options = from_js::<LeafInput>(options)?.to_core()?;
    let issued = selfsign_core::self_signed(&options, now())?;
    leaf(issued, &options, false)
}

/// Generates a key and a root CA certificate (optionally name-constrained).
#[wasm_bindgen(js_name = generateCa, unchecked_return_type = "Issued")]
pub fn generate_ca(
    #[wasm_bindgen(unchecked_param_type = "CaOptions")] options: JsValue,
) -> Result<JsValue, Error> {
    let options = from_js::<CaInput>(options)?.to_core()?;
    ca_result(&Ca::new_root(&options, now())?)
}

/// Loads a CA from its certificate (PEM, with any issuers after it, or DER) and private key,
/// checks that they belong together and can issue, and describes it.
#[wasm_bindgen(js_name = importCa, unchecked_return_type = "Issued")]
pub fn import_ca(
    #[wasm_bindgen(unchecked_param_type = "string | Uint8Array")] ca_cert: JsValue,
    #[wasm_bindgen(unchecked_param_type = "string | Uint8Array")] ca_key: JsValue,
) -> Result<JsValue, Error> {
    ca_result(&input::ca(&ca_cert, &ca_key)?)
}

/// A CA with its key, as `generateCa` and `importCa` return it.
fn ca_result(ca: &Ca) -> Result<JsValue, Error> {
    let info = ca.certificate().inspect(now())?;
    to_js(&Issued::ca(
        ca.certificate(),
        info,
        Some(ca.key().into()),
        ca.parents(),
    ))
}

/// Generates a key and a leaf certificate issued by the given CA.
#[wasm_bindgen(js_name = issueLeaf, unchecked_return_type = "Issued")]
pub fn issue_leaf(
    #[wasm_bindgen(unchecked_param_type = "string | Uint8Array")] ca_cert: JsValue,
    #[wasm_bindgen(unchecked_param_type = "string | Uint8Array")] ca_key: JsValue,
    #[wasm_bindgen(unchecked_param_type = "LeafOptions")] options: JsValue,
) -> Result<JsValue, Error> {
    let ca = input::ca(&ca_cert, &ca_key)?;
    let options = from_js::<LeafInput>(options)?.to_core()?;
    leaf(ca.issue(&options, now())?, &options, false)
}

/// Makes a PKCS#10 certificate signing request, with a new key or the given `keyPem`.
#[wasm_bindgen(js_name = makeCsr, unchecked_return_type = "CsrResult")]
pub fn make_csr(
    #[wasm_bindgen(unchecked_param_type = "CsrOptions")] options: JsValue,
) -> Result<JsValue, Error> {
    let input = from_js::<CsrInput>(options)?;
    let names = &input.names.0;
    let parsed = parse_names(names)?;
    let key = input.key_pair()?;
    let csr = Csr::new(names, &key)?;
    let files = selfsign_core::FileNames::leaf(&parsed, Usage::Server);
    to_js(&CsrResult {
        csr_pem: csr.pem(),
        csr_der: csr.der().as_ref().into(),
        key_pem: key.private_key_pem(),
        names: parsed.iter().map(Name::to_string).collect(),
        files: CsrFileNames {
            csr: files.csr(),
            key: files.key(),
        },
    })
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
    let csr = Csr::parse(&bytes_from_js(&csr, "csr")?).at("csr")?;
    let options = from_js::<SignInput>(options)?.to_core()?;
    let now = now();
    let certificate = ca.sign_csr(&csr, &options, now).map_err(input::blame_csr)?;
    let names = csr.names().at("csr")?;
    let issuers = [&[ca.certificate().clone()], ca.parents()].concat();
    let info = certificate.inspect(now)?;
    let usage = options.usage;
    to_js(&Issued::leaf(
        &certificate,
        info,
        None,
        &issuers,
        &names,
        usage,
    ))
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
    let options = from_js::<WebTransportInput>(options)?.to_core()?;
    let issued = selfsign_core::self_signed(&options, now())?;
    leaf(issued, &options, true)
}
