//! Results as JS receives them: serde turns each into a plain object (bytes as `Uint8Array`,
//! absent values as `null`), the same object whichever crypto made the certificate.

use serde::{Serialize, Serializer};
use wasm_bindgen::JsValue;
use zeroize::Zeroizing;

use selfsign_core::presets::WebTransportHash;
use selfsign_core::{CertInfo, Certificate, Name, PrivateKey, Usage};

use crate::error::Error;

/// A result as the plain JS object the API returns.
pub fn to_js<T: Serialize>(value: &T) -> Result<JsValue, Error> {
    let serializer = serde_wasm_bindgen::Serializer::new()
        .serialize_missing_as_null(true)
        .serialize_maps_as_objects(true);
    value
        .serialize(&serializer)
        .map_err(|e| Error::Internal(e.to_string()))
}

/// Bytes that reach JS as a `Uint8Array`, wiped here once handed over.
#[derive(Clone, Debug)]
pub struct Bytes(pub Zeroizing<Vec<u8>>);

impl From<&[u8]> for Bytes {
    fn from(bytes: &[u8]) -> Self {
        Bytes(Zeroizing::new(bytes.to_vec()))
    }
}

impl Serialize for Bytes {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_bytes(&self.0)
    }
}

/// A certificate made or loaded here, with its key when there is one.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Issued {
    certificate_pem: String,
    key_pem: Option<String>,
    chain_pem: Option<String>,
    ca_pem: Option<String>,
    #[serde(with = "CamelCase")]
    info: CertInfo,
    files: FileNames,
    certificate_der: Bytes,
    key_der: Option<Bytes>,
}

impl Issued {
    /// A CA with its key (if any), its parents (nearest first) and mkcert's file names.
    pub fn ca(
        certificate: &Certificate,
        info: CertInfo,
        key: Option<PrivateKey>,
        parents: &[Certificate],
    ) -> Self {
        let files = selfsign_core::FileNames::ca();
        let mut issued = Issued::new(certificate, info, key, parents, &files);
        issued.files.chain = None;
        issued
    }

    /// A leaf for `names` with its key (if any) and its issuers (nearest first).
    pub fn leaf(
        certificate: &Certificate,
        info: CertInfo,
        key: Option<PrivateKey>,
        issuers: &[Certificate],
        names: &[Name],
        usage: Usage,
    ) -> Self {
        let files = selfsign_core::FileNames::leaf(names, usage);
        Issued::new(certificate, info, key, issuers, &files)
    }

    fn new(
        certificate: &Certificate,
        info: CertInfo,
        key: Option<PrivateKey>,
        issuers: &[Certificate],
        files: &selfsign_core::FileNames,
    ) -> Self {
        let certificate_pem = certificate.pem();
        let issuer_pems: Vec<String> = issuers.iter().map(Certificate::pem).collect();
        let chain_pem =
            (!issuers.is_empty()).then(|| certificate_pem.clone() + &issuer_pems.concat());
        let key_pem = key.as_ref().map(PrivateKey::pem);
        let key_der = key.map(|key| key.der().secret_der().into());
        Issued {
            files: FileNames {
                certificate: files.certificate(),
                key: key_pem.is_some().then(|| files.key()),
                chain: chain_pem.is_some().then(|| files.chain()),
            },
            certificate_pem,
            key_pem,
            chain_pem,
            ca_pem: issuer_pems.last().cloned(),
            info,
            certificate_der: certificate.der().as_ref().into(),
            key_der,
        }
    }
}

/// A new root CA and a leaf it issues, made together, each with its key.
#[derive(Clone, Debug, Serialize)]
pub struct CaAndLeaf {
    pub ca: Issued,
    pub leaf: Issued,
}

/// Suggested file names, mkcert style; a key or chain name only where there is one.
#[derive(Clone, Debug, Serialize)]
struct FileNames {
    certificate: String,
    key: Option<String>,
    chain: Option<String>,
}

/// A WebTransport certificate with its hash ready for `serverCertificateHashes`.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct WebTransport {
    #[serde(flatten)]
    issued: Issued,
    sha256: Bytes,
    sha256_literal: String,
    sha256_base64: String,
    snippet: String,
}

impl WebTransport {
    /// Adds the certificate's hash to a self-signed leaf for `names`.
    pub fn new(
        certificate: &Certificate,
        info: CertInfo,
        key: Option<PrivateKey>,
        names: &[Name],
    ) -> Self {
        let hash = WebTransportHash::new(certificate, names);
        WebTransport {
            issued: Issued::leaf(certificate, info, key, &[], names, Usage::Server),
            sha256: hash.sha256.as_slice().into(),
            sha256_literal: hash.literal,
            sha256_base64: hash.base64,
            snippet: hash.snippet,
        }
    }
}

/// A decoded certificate, as `inspect` returns it.
#[derive(Clone, Debug, Serialize)]
#[serde(transparent)]
pub struct CertView(#[serde(with = "CamelCase")] pub CertInfo);

/// Defaults and limits, so a page does not hard-code them (typescript.rs: `Defaults`).
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Defaults {
    pub leaf_days: u32,
    pub ca_days: u32,
    pub web_transport_days: u32,
    pub max_days: u32,
    pub algorithms: Vec<(&'static str, &'static str)>,
}

/// `CertInfo`'s fields for serde, renamed to camelCase. `Deserialize` is derived only so that a
/// field missing here fails to compile (it builds a whole `CertInfo`); nothing calls it.
#[derive(Serialize, serde::Deserialize)]
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
