//! selfsign-wasm: the browser face of selfsign-core.
//!
//! Every exported function takes plain JS values (option objects, PEM strings or DER
//! `Uint8Array`s) and returns a plain JS object; every failure is thrown as a JS `Error` whose
//! `message` is the core's explanation and whose `field` names the input at fault (`names`, `key`,
//! `days`, `caCert`, `caKey`, `csr`, `input`, ...). The clock is read here (`Date.now()`), never in
//! the core. No input reaches a panic: user data is only ever handled through `Result`s.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod ca_and_leaf;
mod error;
mod files;
mod flat;
mod options;
mod pending;
mod results;
mod typescript;

use core::time::Duration;

use wasm_bindgen::prelude::*;

use selfsign_core::presets::WebTransportHash;
use selfsign_core::validity::{CA_DAYS, LEAF_DAYS, MAX_DAYS, WEBTRANSPORT_DAYS};
use selfsign_core::{
    parse_certificates, parse_names, Ca, CertInfo, Certificate, Csr, KeyAlgorithm, KeyPair, Name,
    NameConstraints, UnixTime, Usage,
};

pub use ca_and_leaf::{prepare_ca_and_leaf, PendingCaAndLeaf};
use error::At;
pub use error::{Error, Field};
use options::{bytes_from_js, from_js, key_from_bytes};
use options::{CaInput, CsrInput, LeafInput, NameList, SignInput, WebTransportInput};
pub use pending::{
    prepare_ca, prepare_leaf, prepare_self_signed, prepare_sign_csr, prepare_web_transport, Pending,
};
use results::{Bytes, CertView, CsrResult, Defaults, Issued, ToJs, WebTransport};

/// Generates a key and a self-signed leaf certificate (server by default).
#[wasm_bindgen(js_name = generateSelfSigned, unchecked_return_type = "Issued")]
pub fn generate_self_signed(
    #[wasm_bindgen(unchecked_param_type = "LeafOptions")] options: JsValue,
) -> Result<JsValue, JsValue> {
    respond((|| {
        let options = from_js::<LeafInput>(options)?.to_core()?;
        let issued = selfsign_core::self_signed(&options, now())?;
        leaf_result(&issued, &options.names, options.usage)
    })())
}

/// Generates a key and a root CA certificate (optionally name-constrained).
#[wasm_bindgen(js_name = generateCa, unchecked_return_type = "Issued")]
pub fn generate_ca(
    #[wasm_bindgen(unchecked_param_type = "CaOptions")] options: JsValue,
) -> Result<JsValue, JsValue> {
    respond((|| {
        let options = from_js::<CaInput>(options)?.to_core()?;
        ca_result(&Ca::new_root(&options, now())?)
    })())
}

/// Loads a CA from its certificate (PEM or DER; PEM may carry its issuers after it) and private
/// key, checks that they belong together and can issue, and describes it.
#[wasm_bindgen(js_name = importCa, unchecked_return_type = "Issued")]
pub fn import_ca(
    #[wasm_bindgen(unchecked_param_type = "string | Uint8Array")] ca_cert: JsValue,
    #[wasm_bindgen(unchecked_param_type = "string | Uint8Array")] ca_key: JsValue,
) -> Result<JsValue, JsValue> {
    respond(load_ca(&ca_cert, &ca_key).and_then(|ca| ca_result(&ca)))
}

/// Generates a key and a leaf certificate issued by the given CA.
#[wasm_bindgen(js_name = issueLeaf, unchecked_return_type = "Issued")]
pub fn issue_leaf(
    #[wasm_bindgen(unchecked_param_type = "string | Uint8Array")] ca_cert: JsValue,
    #[wasm_bindgen(unchecked_param_type = "string | Uint8Array")] ca_key: JsValue,
    #[wasm_bindgen(unchecked_param_type = "LeafOptions")] options: JsValue,
) -> Result<JsValue, JsValue> {
    respond((|| {
        let ca = load_ca(&ca_cert, &ca_key)?;
        let options = from_js::<LeafInput>(options)?.to_core()?;
        let issued = ca.issue(&options, now())?;
        leaf_result(&issued, &options.names, options.usage)
    })())
}

/// Makes a PKCS#10 certificate signing request, with a new key or the given `keyPem`.
#[wasm_bindgen(js_name = makeCsr, unchecked_return_type = "CsrResult")]
pub fn make_csr(
    #[wasm_bindgen(unchecked_param_type = "CsrOptions")] options: JsValue,
) -> Result<JsValue, JsValue> {
    respond((|| {
        let input = from_js::<CsrInput>(options)?;
        let names = input.names.to_vec();
        let parsed = parse_names(&names)?;
        let key = input.key_pair()?;
        let csr = Csr::new(&names, &key)?;
        Ok(CsrResult {
            csr_pem: csr.pem(),
            csr_der: Bytes(csr.der().to_vec()),
            key_pem: key.private_key_pem(),
            names: parsed.iter().map(Name::to_string).collect(),
            files: files::csr(&parsed),
        })
    })())
}

/// Signs a CSR (PEM or DER) with the given CA: the names and public key come from the request,
/// the profile (leaf, never CA) and validity from the options.
#[wasm_bindgen(js_name = signCsr, unchecked_return_type = "Issued")]
pub fn sign_csr(
    #[wasm_bindgen(unchecked_param_type = "string | Uint8Array")] ca_cert: JsValue,
    #[wasm_bindgen(unchecked_param_type = "string | Uint8Array")] ca_key: JsValue,
    #[wasm_bindgen(unchecked_param_type = "string | Uint8Array")] csr: JsValue,
    #[wasm_bindgen(unchecked_param_type = "SignOptions")] options: JsValue,
) -> Result<JsValue, JsValue> {
    respond((|| {
        let ca = load_ca(&ca_cert, &ca_key)?;
        let csr = Csr::parse(&bytes_from_js(&csr, Field::Csr)?).at(Field::Csr)?;
        let options = from_js::<SignInput>(options)?.to_core()?;
        let now = now();
        let certificate = ca.sign_csr(&csr, &options, now).map_err(blame_csr)?;
        let names = csr.names().at(Field::Csr)?;
        let chain: Vec<&Certificate> = core::iter::once(&certificate)
            .chain(core::iter::once(ca.certificate()))
            .chain(ca.parents())
            .collect();
        Ok(Issued {
            certificate_pem: certificate.pem(),
            certificate_der: Bytes(certificate.der().to_vec()),
            key_pem: None,
            key_der: None,
            chain_pem: Some(chain.iter().map(|c| c.pem()).collect()),
            ca_pem: chain.last().map(|c| c.pem()),
            info: certificate.inspect(now)?.into(),
            files: files::leaf(&names, options.usage, false, true),
        })
    })())
}

/// Decodes every certificate in PEM text or DER bytes.
#[wasm_bindgen(unchecked_return_type = "CertInfo[]")]
pub fn inspect(
    #[wasm_bindgen(unchecked_param_type = "string | Uint8Array")] input: JsValue,
) -> Result<JsValue, JsValue> {
    respond((|| {
        let bytes = bytes_from_js(&input, Field::Input)?;
        let infos = selfsign_core::inspect(&bytes, now()).at(Field::Input)?;
        Ok(infos.into_iter().map(CertView::from).collect::<Vec<_>>())
    })())
}

/// Generates a self-signed ECDSA P-256 certificate valid at most 14 days, with its SHA-256 ready
/// for WebTransport's `serverCertificateHashes`.
#[wasm_bindgen(js_name = webTransport, unchecked_return_type = "WebTransportResult")]
pub fn web_transport(
    #[wasm_bindgen(unchecked_param_type = "WebTransportOptions")] options: JsValue,
) -> Result<JsValue, JsValue> {
    respond((|| {
        let options = from_js::<WebTransportInput>(options)?.to_core()?;
        let issued = selfsign_core::self_signed(&options, now())?;
        let result = leaf_result(&issued, &options.names, options.usage)?;
        web_transport_result(result, &issued.certificate, &options.names)
    })())
}

/// Adds the certificate's SHA-256, ready for `serverCertificateHashes`, to a WebTransport leaf.
fn web_transport_result(
    issued: Issued,
    certificate: &Certificate,
    names: &[String],
) -> Result<WebTransport, Error> {
    let hash = WebTransportHash::new(certificate, &parse_names(names)?);
    Ok(WebTransport {
        issued,
        sha256: Bytes(hash.sha256.to_vec()),
        sha256_literal: hash.literal,
        sha256_base64: hash.base64,
        snippet: hash.snippet,
    })
}

/// The name constraints that permit exactly these names: DNS names (wildcards as their domain),
/// IP addresses, and email domains. Pass the result as `nameConstraints` to `generateCa`.
#[wasm_bindgen(js_name = nameConstraintsFor, unchecked_return_type = "string[]")]
pub fn name_constraints_for(
    #[wasm_bindgen(unchecked_param_type = "string | string[]")] names: JsValue,
) -> Result<JsValue, JsValue> {
    respond((|| {
        let list: NameList = serde_wasm_bindgen::from_value(names)
            .map_err(|_| Error::invalid(Field::Names, "expected names as text or an array"))?;
        let permitted = NameConstraints::entries_for(&parse_names(&list.to_vec())?)?;
        Ok(permitted)
    })())
}

/// Default validities, limits and the key algorithms that can be generated.
#[wasm_bindgen(unchecked_return_type = "Defaults")]
pub fn defaults() -> Result<JsValue, JsValue> {
    respond(Ok(Defaults {
        leaf_days: LEAF_DAYS,
        ca_days: CA_DAYS,
        web_transport_days: WEBTRANSPORT_DAYS,
        max_days: MAX_DAYS,
        algorithms: KeyAlgorithm::GENERATABLE
            .iter()
            .map(|k| (k.name().to_string(), k.description().to_string()))
            .collect(),
    }))
}

/// The current time from the JS clock.
fn now() -> UnixTime {
    UnixTime::since_unix_epoch(Duration::from_millis(js_sys::Date::now() as u64))
}

/// Turns a result into a plain JS object (DER as `Uint8Array`), or a thrown JS `Error`.
fn respond<T: ToJs>(result: Result<T, Error>) -> Result<JsValue, JsValue> {
    result
        .and_then(|value| value.to_js().map_err(Error::Internal))
        .map_err(JsValue::from)
}

/// Loads a CA, blaming the certificate or the key input for whatever is wrong.
fn load_ca(ca_cert: &JsValue, ca_key: &JsValue) -> Result<Ca, Error> {
    let cert_bytes = bytes_from_js(ca_cert, Field::CaCert)?;
    if cert_bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(Error::invalid(
            Field::CaCert,
            "no CA certificate given: choose its PEM file (e.g. rootCA.pem)",
        ));
    }
    let key_bytes = bytes_from_js(ca_key, Field::CaKey)?;
    if key_bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(Error::invalid(
            Field::CaKey,
            "no CA private key given: choose its PEM file (e.g. rootCA-key.pem)",
        ));
    }
    let mut certificates = parse_certificates(&cert_bytes)
        .at(Field::CaCert)?
        .into_iter();
    let certificate = certificates
        .next()
        .ok_or(selfsign_core::Error::NoCertificate)
        .at(Field::CaCert)?;
    let key: KeyPair = key_from_bytes(&key_bytes, Field::CaKey)?;
    Ca::from_parts(certificate, key, certificates.collect()).or_at(Field::CaCert)
}

/// The names of a signed CSR come from the request, so a bad or forbidden name is the CSR's fault.
fn blame_csr(e: selfsign_core::Error) -> Error {
    match Error::from(e) {
        Error::Core {
            error,
            field: Some(Field::Names),
        } => Error::Core {
            error,
            field: Some(Field::Csr),
        },
        other => other,
    }
}

/// Describes a CA (made here or imported) with its key and mkcert's file names.
fn ca_result(ca: &Ca) -> Result<Issued, Error> {
    let certificate = ca.certificate();
    let chain = (!ca.parents().is_empty()).then(|| ca.chain_pem());
    Ok(Issued {
        certificate_pem: certificate.pem(),
        certificate_der: Bytes(certificate.der().to_vec()),
        key_pem: Some(ca.key().private_key_pem()),
        key_der: Some(Bytes(ca.key().private_key_der().secret_der().to_vec())),
        ca_pem: ca.parents().last().map(Certificate::pem),
        chain_pem: chain,
        info: certificate.inspect(now())?.into(),
        files: files::ca(),
    })
}

/// Describes an issued leaf with its key, chain and mkcert's file names.
fn leaf_result(
    issued: &selfsign_core::Issued,
    names: &[String],
    usage: Usage,
) -> Result<Issued, Error> {
    let key = (
        issued.key.private_key_pem(),
        issued.key.private_key_der().secret_der().to_vec(),
    );
    let info = issued.certificate.inspect(now())?;
    leaf_view(
        &issued.certificate,
        info,
        Some(key),
        Chain::Issuers(&issued.chain),
        names,
        usage,
    )
}

/// Where a leaf result's chain comes from.
#[derive(Clone, Copy)]
enum Chain<'a> {
    /// The issuers above the leaf, nearest first (empty when self-signed), PEM-encoded here.
    Issuers(&'a [Certificate]),
    /// A root CA in the same result object: `chainPem` and `caPem` are set from its PEM there.
    RootAlongside,
}

/// Describes a leaf from its parts: its decoded view, its key as (PEM, DER) when there is one,
/// and where its chain comes from.
fn leaf_view(
    certificate: &Certificate,
    info: CertInfo,
    key: Option<(String, Vec<u8>)>,
    chain: Chain<'_>,
    names: &[String],
    usage: Usage,
) -> Result<Issued, Error> {
    let names = parse_names(names)?;
    let has_key = key.is_some();
    let (key_pem, key_der) = key.map_or((None, None), |(pem, der)| (Some(pem), Some(Bytes(der))));
    let certificate_pem = certificate.pem();
    let (chain_pem, ca_pem, has_chain) = match chain {
        // Each certificate is PEM-encoded once, however many fields show it.
        Chain::Issuers(issuers) if !issuers.is_empty() => {
            let pems: Vec<String> = issuers.iter().map(Certificate::pem).collect();
            let chain_pem = core::iter::once(&certificate_pem)
                .chain(&pems)
                .map(String::as_str)
                .collect();
            (Some(chain_pem), pems.last().cloned(), true)
        }
        Chain::Issuers(_) => (None, None, false),
        Chain::RootAlongside => (None, None, true),
    };
    Ok(Issued {
        chain_pem,
        ca_pem,
        certificate_pem,
        certificate_der: Bytes(certificate.der().to_vec()),
        key_pem,
        key_der,
        info: info.into(),
        files: files::leaf(&names, usage, has_key, has_chain),
    })
}
