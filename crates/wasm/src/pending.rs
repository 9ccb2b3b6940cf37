//! The WebCrypto path: the page makes keys and signs with `crypto.subtle`, the core still builds
//! every certificate. Each `prepare*` function takes the new key as WebCrypto exports it: its
//! PKCS#8 (`exportKey("pkcs8")`; EC and RSA keys carry their public key, so no SPKI export is
//! needed and `finish` takes no key), or its SPKI (`exportKey("spki")`, e.g. for Ed25519, whose
//! PKCS#8 then goes to `finish`), and returns a [`Pending`] certificate whose `tbs` bytes the page signs
//! with the signer's `CryptoKey`; [`Pending::finish`] puts the signature in (WebCrypto's raw form)
//! and returns the same result object as the synchronous functions.

use wasm_bindgen::prelude::*;

use selfsign_core::{
    parse_certificates, read_exported_key, CertInfo, Certificate, Csr, ExternalCa, PrivateKey,
    PublicKey, UnsignedCa, UnsignedCertificate, Usage,
};

use crate::error::{At, Error, Field};
use crate::options::{bytes_from_js, from_js, CaInput, LeafInput, SignInput, WebTransportInput};
use crate::results::{Bytes, FileNames, Issued, ToJs};
use crate::{files, leaf_view, now, respond, web_transport_result, Chain};

/// A certificate built and encoded by the core, waiting for its signature from WebCrypto.
#[wasm_bindgen]
pub struct Pending {
    unsigned: Option<Unsigned>,
    /// The key the certificate is for, whose PKCS#8 `finish` takes (none for a signed CSR).
    subject: Option<PublicKey>,
    /// The key's private half when it came as PKCS#8 to `prepare*`.
    private: Option<PrivateKey>,
    outcome: Outcome,
}

/// A certificate waiting for its signature: a CA finishes into a CA that can issue.
enum Unsigned {
    Certificate(Box<UnsignedCertificate>),
    Ca(Box<UnsignedCa>),
}

impl From<UnsignedCertificate> for Unsigned {
    fn from(certificate: UnsignedCertificate) -> Self {
        Unsigned::Certificate(Box::new(certificate))
    }
}

impl From<UnsignedCa> for Unsigned {
    fn from(ca: UnsignedCa) -> Self {
        Unsigned::Ca(Box::new(ca))
    }
}

impl Unsigned {
    fn tbs(&self) -> &[u8] {
        match self {
            Unsigned::Certificate(c) => c.tbs(),
            Unsigned::Ca(c) => c.tbs(),
        }
    }

    fn signer(&self) -> &PublicKey {
        match self {
            Unsigned::Certificate(c) => c.signer(),
            Unsigned::Ca(c) => c.signer(),
        }
    }

    fn check_signature(&self, signature: &[u8]) -> Result<(), selfsign_core::Error> {
        match self {
            Unsigned::Certificate(c) => c.check_signature(signature),
            Unsigned::Ca(c) => c.check_signature(signature),
        }
    }

    /// The signed certificate and its decoded view.
    fn finish(self, signature: &[u8]) -> Result<(Certificate, CertInfo), selfsign_core::Error> {
        Ok(match self {
            Unsigned::Certificate(c) => c.finish_described(signature, now())?,
            Unsigned::Ca(c) => c.into_certificate().finish_described(signature, now())?,
        })
    }
}

/// What `finish` returns, and what it needs to describe it.
enum Outcome {
    Leaf {
        names: Vec<String>,
        usage: Usage,
        chain: Vec<Certificate>,
    },
    Ca,
    WebTransport {
        names: Vec<String>,
    },
}

#[wasm_bindgen]
impl Pending {
    /// The bytes to sign: the DER TBSCertificate (empty once finished).
    #[wasm_bindgen(getter)]
    pub fn tbs(&self) -> js_sys::Uint8Array {
        js_sys::Uint8Array::from(self.unsigned.as_ref().map_or(&[][..], Unsigned::tbs))
    }

    /// The signing key's algorithm ("p256", "p384", "ed25519", "rsa2048", ..., or "rsa" for other
    /// RSA sizes): ECDSA signs with SHA-256 (P-256) or SHA-384 (P-384), RSA with
    /// RSASSA-PKCS1-v1_5 and SHA-256.
    #[wasm_bindgen(getter)]
    pub fn signer(&self) -> String {
        self.unsigned
            .as_ref()
            .map(|u| u.signer().algorithm().name().to_string())
            .unwrap_or_default()
    }

    /// Puts in the signature over `tbs` as WebCrypto's `sign` returns it, with the new key's
    /// PKCS#8 (WebCrypto's `exportKey("pkcs8")`) when `prepare*` had only its SPKI (omitted for a
    /// signed CSR), and returns the result object the synchronous functions return (`Issued`, or
    /// `WebTransportResult`). The signature is not verified: WebCrypto made it with the key that
    /// was given, and verifying it again in wasm would cost more than making the certificate.
    #[wasm_bindgen(unchecked_return_type = "Issued")]
    pub fn finish(
        &mut self,
        signature: &[u8],
        #[wasm_bindgen(unchecked_param_type = "Uint8Array | undefined")] pkcs8: Option<Vec<u8>>,
    ) -> Result<JsValue, JsValue> {
        respond((|| {
            // Everything the caller can get wrong is checked before the certificate is used up,
            // so a failed finish can be retried.
            let unsigned = self.unsigned.as_ref().ok_or_else(already_finished)?;
            unsigned.check_signature(signature)?;
            let key = key_output(self.private.as_ref(), self.subject.as_ref(), pkcs8)?;
            let unsigned = self.unsigned.take().ok_or_else(already_finished)?;
            let (certificate, info) = unsigned.finish(signature)?;
            Ok(match &self.outcome {
                Outcome::Leaf {
                    names,
                    usage,
                    chain,
                } => Done::Issued(leaf_view(
                    &certificate,
                    info,
                    key,
                    Chain::Issuers(chain),
                    names,
                    *usage,
                )?),
                Outcome::Ca => Done::Issued(ca_view(&certificate, info, key)),
                Outcome::WebTransport { names } => {
                    let issued = leaf_view(
                        &certificate,
                        info,
                        key,
                        Chain::Issuers(&[]),
                        names,
                        Usage::Server,
                    )?;
                    Done::WebTransport(web_transport_result(issued, &certificate, names)?)
                }
            })
        })())
    }
}

impl Pending {
    /// A certificate waiting for its signature, for `key` (none for a signed CSR).
    fn new(
        unsigned: Unsigned,
        key: Option<(PublicKey, Option<PrivateKey>)>,
        outcome: Outcome,
    ) -> Pending {
        let (subject, private) =
            key.map_or((None, None), |(public, private)| (Some(public), private));
        Pending {
            unsigned: Some(unsigned),
            subject,
            private,
            outcome,
        }
    }
}

/// A finished result: the same shapes the synchronous functions return.
enum Done {
    Issued(Issued),
    WebTransport(crate::results::WebTransport),
}

impl ToJs for Done {
    fn to_js(&self) -> Result<JsValue, String> {
        match self {
            Done::Issued(issued) => issued.to_js(),
            Done::WebTransport(web_transport) => web_transport.to_js(),
        }
    }
}

/// Prepares a self-signed leaf (server by default) for the new key (PKCS#8 or SPKI); `key` in the
/// options is ignored (the key says which).
#[wasm_bindgen(js_name = prepareSelfSigned)]
pub fn prepare_self_signed(
    #[wasm_bindgen(unchecked_param_type = "LeafOptions")] options: JsValue,
    key: &[u8],
) -> Result<Pending, JsValue> {
    pending((|| {
        let options = from_js::<LeafInput>(options)?.to_core()?;
        let (key, private) = new_key(key)?;
        let unsigned = selfsign_core::prepare_self_signed(&options, &key, now())?;
        Ok(Pending::new(
            unsigned.into(),
            Some((key, private)),
            Outcome::Leaf {
                names: options.names,
                usage: options.usage,
                chain: Vec::new(),
            },
        ))
    })())
}

/// Prepares a WebTransport certificate (self-signed, P-256, at most 14 days) for the new key
/// (PKCS#8 or SPKI).
#[wasm_bindgen(js_name = prepareWebTransport)]
pub fn prepare_web_transport(
    #[wasm_bindgen(unchecked_param_type = "WebTransportOptions")] options: JsValue,
    key: &[u8],
) -> Result<Pending, JsValue> {
    pending((|| {
        let options = from_js::<WebTransportInput>(options)?.to_core()?;
        let (key, private) = new_key(key)?;
        if key.algorithm() != selfsign_core::KeyAlgorithm::P256 {
            return Err(selfsign_core::Error::WebTransportKey.into());
        }
        let unsigned = selfsign_core::prepare_self_signed(&options, &key, now())?;
        Ok(Pending::new(
            unsigned.into(),
            Some((key, private)),
            Outcome::WebTransport {
                names: options.names,
            },
        ))
    })())
}

/// Prepares a root CA (optionally name-constrained) for the new key (PKCS#8 or SPKI).
#[wasm_bindgen(js_name = prepareCa)]
pub fn prepare_ca(
    #[wasm_bindgen(unchecked_param_type = "CaOptions")] options: JsValue,
    key: &[u8],
) -> Result<Pending, JsValue> {
    pending((|| {
        let options = from_js::<CaInput>(options)?.to_core()?;
        let (key, private) = new_key(key)?;
        let unsigned = ExternalCa::prepare_root(&options, &key, now())?;
        Ok(Pending::new(
            unsigned.into(),
            Some((key, private)),
            Outcome::Ca,
        ))
    })())
}

/// Prepares a leaf issued by the given CA (PEM or DER; PEM may carry its issuers after it) for
/// the new key (PKCS#8 or SPKI). The CA's `CryptoKey` signs it.
#[wasm_bindgen(js_name = prepareLeaf)]
pub fn prepare_leaf(
    #[wasm_bindgen(unchecked_param_type = "string | Uint8Array")] ca_cert: JsValue,
    #[wasm_bindgen(unchecked_param_type = "LeafOptions")] options: JsValue,
    key: &[u8],
) -> Result<Pending, JsValue> {
    pending(external_ca(&ca_cert).and_then(|ca| leaf_of(&ca, options, key)))
}

/// Prepares a leaf issued by `ca` for the new key (PKCS#8 or SPKI).
fn leaf_of(ca: &ExternalCa, options: JsValue, key: &[u8]) -> Result<Pending, Error> {
    let options = from_js::<LeafInput>(options)?.to_core()?;
    let (key, private) = new_key(key)?;
    let unsigned = ca.prepare_issue(&options, &key, now())?;
    Ok(Pending::new(
        unsigned.into(),
        Some((key, private)),
        Outcome::Leaf {
            names: options.names,
            usage: options.usage,
            chain: ca.chain(),
        },
    ))
}

/// Prepares a leaf for a CSR (PEM or DER) issued by the given CA: the names and public key come
/// from the request, the profile and validity from the options. The CA's `CryptoKey` signs it.
#[wasm_bindgen(js_name = prepareSignCsr)]
pub fn prepare_sign_csr(
    #[wasm_bindgen(unchecked_param_type = "string | Uint8Array")] ca_cert: JsValue,
    #[wasm_bindgen(unchecked_param_type = "string | Uint8Array")] csr: JsValue,
    #[wasm_bindgen(unchecked_param_type = "SignOptions")] options: JsValue,
) -> Result<Pending, JsValue> {
    pending((|| {
        let ca = external_ca(&ca_cert)?;
        let csr = Csr::parse(&bytes_from_js(&csr, Field::Csr)?).at(Field::Csr)?;
        let options = from_js::<SignInput>(options)?.to_core()?;
        let unsigned = ca
            .prepare_sign_csr(&csr, &options, now())
            .map_err(crate::blame_csr)?;
        let names = csr.names().at(Field::Csr)?;
        Ok(Pending::new(
            unsigned.into(),
            None,
            Outcome::Leaf {
                names: names.iter().map(|n| n.value()).collect(),
                usage: options.usage,
                chain: ca.chain(),
            },
        ))
    })())
}

/// A JS `Error` for whatever went wrong, as every other function throws.
fn pending(result: Result<Pending, Error>) -> Result<Pending, JsValue> {
    result.map_err(JsValue::from)
}

/// A new key's PEM and DER for a result: the PKCS#8 `prepare*` was given, or the one `finish`
/// was given for `public` (none for a signed CSR, whose key stays with the requester).
pub(crate) fn key_output(
    private: Option<&PrivateKey>,
    public: Option<&PublicKey>,
    pkcs8: Option<Vec<u8>>,
) -> Result<Option<(String, Vec<u8>)>, Error> {
    let output = |key: &PrivateKey| (key.pem(), key.der().secret_der().to_vec());
    match (private, public, pkcs8) {
        (Some(key), _, _) => Ok(Some(output(key))),
        (None, Some(public), Some(der)) => {
            let key = PrivateKey::from_pkcs8_der(&der, public).at(Field::KeyPem)?;
            Ok(Some(output(&key)))
        }
        (None, Some(_), None) => Err(Error::invalid(
            Field::KeyPem,
            "the key came as its SPKI: give finish its PKCS#8 (exportKey(\"pkcs8\")) too",
        )),
        (None, None, _) => Ok(None),
    }
}

fn already_finished() -> Error {
    Error::Options("this certificate was already finished; prepare a new one".into())
}

/// The new key as WebCrypto exported it: PKCS#8 carrying its public key (EC, RSA), or SPKI.
pub(crate) fn new_key(der: &[u8]) -> Result<(PublicKey, Option<PrivateKey>), Error> {
    read_exported_key(der).at(Field::Key)
}

/// The issuing CA from its certificate (and the issuers after it); its key signs elsewhere.
fn external_ca(ca_cert: &JsValue) -> Result<ExternalCa, Error> {
    let mut certificates = parse_certificates(&bytes_from_js(ca_cert, Field::CaCert)?)
        .at(Field::CaCert)?
        .into_iter();
    let certificate = certificates
        .next()
        .ok_or(selfsign_core::Error::NoCertificate)
        .at(Field::CaCert)?;
    ExternalCa::from_parts(certificate, certificates.collect()).or_at(Field::CaCert)
}

/// Describes a root CA made on the WebCrypto path, as `generateCa` does.
pub(crate) fn ca_view(
    certificate: &Certificate,
    info: CertInfo,
    key: Option<(String, Vec<u8>)>,
) -> Issued {
    let (key_pem, key_der) = key.map_or((None, None), |(pem, der)| (Some(pem), Some(Bytes(der))));
    Issued {
        certificate_pem: certificate.pem(),
        certificate_der: Bytes(certificate.der().to_vec()),
        key_pem,
        key_der,
        ca_pem: None,
        chain_pem: None,
        info: info.into(),
        files: FileNames {
            chain: None,
            ..files::ca()
        },
    }
}
