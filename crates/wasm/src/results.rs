//! Results as JS receives them: plain objects with PEM text, DER bytes (`Uint8Array`),
//! fingerprints, decoded fields and suggested file names.

use js_sys::{Uint8Array, JSON};
use serde::Serialize;
use wasm_bindgen::prelude::*;

use selfsign_core::CertInfo;
use zeroize::Zeroizing;

use crate::flat::{Flat, Flatten};

/// Bytes that reach JS as a `Uint8Array`: left out of a result's JSON and set on the object
/// made from it (see [`ToJs`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Bytes(pub Vec<u8>);

impl Bytes {
    /// The bytes as a new `Uint8Array`.
    fn to_js(&self) -> Uint8Array {
        Uint8Array::from(self.0.as_slice())
    }
}

#[wasm_bindgen]
extern "C" {
    /// A result object as `JSON.parse` made it, whose byte fields are then set by name.
    type ResultObject;

    #[wasm_bindgen(method, setter = certificateDer)]
    fn set_certificate_der(this: &ResultObject, value: &Uint8Array);
    #[wasm_bindgen(method, setter = keyDer)]
    fn set_key_der(this: &ResultObject, value: &JsValue);
    #[wasm_bindgen(method, setter = sha256)]
    fn set_sha256(this: &ResultObject, value: &Uint8Array);
    #[wasm_bindgen(method, setter = csrDer)]
    fn set_csr_der(this: &ResultObject, value: &Uint8Array);
}

#[wasm_bindgen(module = "/src/results.js")]
extern "C" {
    /// A copy of `bytes` in one new buffer, as `[before, after]` views split at `at`.
    #[wasm_bindgen(js_name = splitCopy)]
    pub fn split_copy(bytes: &[u8], at: u32) -> js_sys::Array;
    #[wasm_bindgen(js_name = issuedObject)]
    fn issued_object(
        text: &str,
        slots: &[f64],
        key_pem: &str,
        bytes: &[u8],
        certificate_length: u32,
    ) -> JsValue;
    #[wasm_bindgen(js_name = caAndLeafObject)]
    fn ca_and_leaf_object(
        text: &str,
        slots: &[f64],
        key_pems: &str,
        ca_key_pem_length: u32,
        bytes: &[u8],
        ca_length: u32,
        leaf_length: u32,
        ca_key_length: u32,
    ) -> JsValue;
}

/// A result as the plain JS object the API returns.
pub trait ToJs {
    /// The object; results without a faster route take [`via_json`].
    fn to_js(&self) -> Result<JsValue, String>;
}

/// A result as a plain JS object made by one `JSON.parse`, far cheaper than setting each field
/// from wasm.
fn via_json<T: Serialize>(value: &T) -> Result<JsValue, String> {
    let json = serde_json::to_string(value).map_err(|e| e.to_string())?;
    JSON::parse(&json).map_err(|_| "the result is not valid JSON".to_string())
}

impl ToJs for Defaults {
    fn to_js(&self) -> Result<JsValue, String> {
        via_json(self)
    }
}

impl ToJs for Vec<CertView> {
    fn to_js(&self) -> Result<JsValue, String> {
        via_json(self)
    }
}

impl ToJs for Vec<String> {
    fn to_js(&self) -> Result<JsValue, String> {
        via_json(self)
    }
}

/// Certificates take the flat route (flat.rs and results.js): the objects come out as their
/// JSON would make them, with the bytes set on them.
impl ToJs for Issued {
    fn to_js(&self) -> Result<JsValue, String> {
        let mut flat = Flat::default();
        self.flatten(&mut flat);
        let bytes = Zeroizing::new([self.certificate_der.0.as_slice(), self.key_der()].concat());
        let certificate_length = self.certificate_der.0.len() as u32;
        Ok(issued_object(
            &flat.text,
            &flat.slots,
            self.key_pem(),
            &bytes,
            certificate_length,
        ))
    }
}

impl Issued {
    /// The key's DER, empty if there is no key.
    fn key_der(&self) -> &[u8] {
        self.key_der.as_ref().map_or(&[], |b| b.0.as_slice())
    }

    /// The key's PEM, empty if there is no key (`results.js` reads that as null).
    fn key_pem(&self) -> &str {
        self.key_pem.as_deref().unwrap_or_default()
    }
}

impl ToJs for WebTransport {
    fn to_js(&self) -> Result<JsValue, String> {
        let object = via_json(self)?;
        let result: &ResultObject = object.unchecked_ref();
        result.set_certificate_der(&self.issued.certificate_der.to_js());
        result.set_key_der(
            &self
                .issued
                .key_der
                .as_ref()
                .map_or(JsValue::NULL, |k| k.to_js().into()),
        );
        result.set_sha256(&self.sha256.to_js());
        Ok(object)
    }
}

impl ToJs for CsrResult {
    fn to_js(&self) -> Result<JsValue, String> {
        let object = via_json(self)?;
        object
            .unchecked_ref::<ResultObject>()
            .set_csr_der(&self.csr_der.to_js());
        Ok(object)
    }
}

/// A new root CA and a leaf it issues, made together (`{ ca, leaf }`). The leaf's `chainPem`
/// and `caPem` are not written: they are set from the CA's `certificatePem` string in JS.
#[derive(Clone, Debug)]
pub struct CaAndLeaf {
    /// The root CA, with its key.
    pub ca: Issued,
    /// The leaf, with its key; its `chain_pem` and `ca_pem` are left `None` here.
    pub leaf: Issued,
}

impl ToJs for CaAndLeaf {
    fn to_js(&self) -> Result<JsValue, String> {
        let mut flat = Flat::default();
        self.ca.flatten(&mut flat);
        self.leaf.flatten(&mut flat);
        let (ca, leaf) = (&self.ca.certificate_der.0, &self.leaf.certificate_der.0);
        let ca_key = self.ca.key_der();
        let bytes = Zeroizing::new([ca.as_slice(), leaf, ca_key, self.leaf.key_der()].concat());
        let key_pems = Zeroizing::new([self.ca.key_pem(), self.leaf.key_pem()].concat());
        Ok(ca_and_leaf_object(
            &flat.text,
            &flat.slots,
            &key_pems,
            self.ca.key_pem().len() as u32,
            &bytes,
            ca.len() as u32,
            leaf.len() as u32,
            ca_key.len() as u32,
        ))
    }
}

/// A decoded certificate: the core's `CertInfo`, serialized with JS-style (camelCase) keys.
#[derive(Clone, Debug)]
pub struct CertView(pub CertInfo);

impl From<CertInfo> for CertView {
    fn from(info: CertInfo) -> Self {
        CertView(info)
    }
}

impl Serialize for CertView {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        CamelCase::serialize(&self.0, serializer)
    }
}

/// `CertInfo`'s fields for serde, renamed to camelCase (a test checks none is missing).
#[derive(Serialize)]
#[serde(remote = "CertInfo", rename_all = "camelCase")]
struct CamelCase {
    subject: String,
    common_name: Option<String>,
    issuer: String,
    serial: String,
    not_before: i64,
    not_after: i64,
    not_before_rfc3339: String,
    not_after_rfc3339: String,
    valid_now: bool,
    days_left: i64,
    subject_alt_names: Vec<String>,
    key_algorithm: String,
    key_bits: usize,
    signature_algorithm: String,
    is_ca: bool,
    path_len: Option<u32>,
    key_usage: Vec<String>,
    extended_key_usage: Vec<String>,
    permitted_names: Vec<String>,
    excluded_names: Vec<String>,
    subject_key_id: Option<String>,
    authority_key_id: Option<String>,
    sha256_fingerprint: String,
    sha256_hex: String,
    spki_sha256_base64: String,
    self_signed: bool,
}

/// Suggested file names, mkcert style.
#[derive(Clone, Debug, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FileNames {
    /// For the certificate, e.g. `localhost+2.pem` or `rootCA.pem`.
    pub certificate: String,
    /// For the private key, e.g. `localhost+2-key.pem` (absent when there is no key).
    pub key: Option<String>,
    /// For the full chain, e.g. `localhost+2-chain.pem` (absent when self-signed).
    pub chain: Option<String>,
}

/// A certificate made or loaded here, with its key when there is one.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Issued {
    /// The certificate as PEM.
    pub certificate_pem: String,
    /// The certificate as DER.
    #[serde(skip)]
    pub certificate_der: Bytes,
    /// The private key as PKCS#8 PEM (absent for a signed CSR: the requester keeps the key).
    pub key_pem: Option<String>,
    /// The private key as PKCS#8 DER.
    #[serde(skip)]
    pub key_der: Option<Bytes>,
    /// Certificate then issuers, root last, as PEM (absent when self-signed).
    pub chain_pem: Option<String>,
    /// The root CA certificate as PEM (absent when self-signed).
    pub ca_pem: Option<String>,
    /// The decoded certificate.
    pub info: CertView,
    /// Suggested file names.
    pub files: FileNames,
}

/// A WebTransport certificate with its hash ready for `serverCertificateHashes`.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct WebTransport {
    /// The self-signed certificate and key.
    #[serde(flatten)]
    pub issued: Issued,
    /// SHA-256 of the certificate's DER.
    #[serde(skip)]
    pub sha256: Bytes,
    /// The hash as a JS literal: `new Uint8Array([…])`.
    pub sha256_literal: String,
    /// The hash as base64.
    pub sha256_base64: String,
    /// A ready-to-paste `new WebTransport(url, { serverCertificateHashes })` snippet.
    pub snippet: String,
}

/// A certificate signing request with the key that signed it.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CsrResult {
    /// The request as PEM.
    pub csr_pem: String,
    /// The request as DER.
    #[serde(skip)]
    pub csr_der: Bytes,
    /// The private key as PKCS#8 PEM.
    pub key_pem: String,
    /// The names requested, with their type, e.g. `DNS:localhost`.
    pub names: Vec<String>,
    /// Suggested file names.
    pub files: CsrFileNames,
}

/// Suggested file names for a CSR and its key.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CsrFileNames {
    /// For the request, e.g. `localhost+2.csr`.
    pub csr: String,
    /// For the key, e.g. `localhost+2-key.pem`.
    pub key: String,
}

/// Defaults and limits, so a page does not hard-code them.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Defaults {
    /// Default leaf validity in days.
    pub leaf_days: u32,
    /// Default CA validity in days.
    pub ca_days: u32,
    /// Longest WebTransport validity in days.
    pub web_transport_days: u32,
    /// Longest validity accepted, in days.
    pub max_days: u32,
    /// Key algorithms that can be generated, as `[name, description]` pairs.
    pub algorithms: Vec<(String, String)>,
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `not_before_rfc3339` -> `notBeforeRfc3339`, as serde's `rename_all = "camelCase"` spells it.
    fn camel_case(snake: &str) -> String {
        let mut out = String::with_capacity(snake.len());
        let mut upper = false;
        for c in snake.chars() {
            match c {
                '_' => upper = true,
                c if upper => {
                    out.extend(c.to_uppercase());
                    upper = false;
                }
                c => out.push(c),
            }
        }
        out
    }

    #[test]
    fn cert_view_has_every_core_field_in_camel_case() {
        let now = selfsign_core::UnixTime::since_unix_epoch(core::time::Duration::from_secs(
            1_767_225_600,
        ));
        let opts = selfsign_core::LeafOptions::new(["localhost"]);
        let info = selfsign_core::self_signed(&opts, now)
            .unwrap()
            .certificate
            .inspect(now)
            .unwrap();
        let core_keys = serde_json::to_value(&info).unwrap();
        let view = serde_json::to_value(CertView::from(info)).unwrap();
        let (core_keys, view) = (core_keys.as_object().unwrap(), view.as_object().unwrap());
        assert_eq!(core_keys.len(), view.len());
        for (key, value) in core_keys {
            let camel = camel_case(key);
            assert_eq!(
                view.get(&camel),
                Some(value),
                "{key} is not {camel} in the view"
            );
        }
        for key in [
            "notBeforeRfc3339",
            "spkiSha256Base64",
            "isCa",
            "subjectAltNames",
        ] {
            assert!(view.contains_key(key), "{key} missing from {view:?}");
        }
        assert!(view.keys().all(|k| !k.contains('_')));
    }
}
