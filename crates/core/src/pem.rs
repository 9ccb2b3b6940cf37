//! PEM encoding with LF line endings, and readable PEM errors.

use alloc::format;
use alloc::string::String;

use crate::Error;

pub(crate) fn encode(tag: &str, der: &[u8]) -> String {
    let block = pem::Pem::new(tag, der);
    pem::encode_config(
        &block,
        pem::EncodeConfig::new().set_line_ending(pem::LineEnding::LF),
    )
}

pub(crate) fn describe_error(e: rustls_pki_types::pem::Error) -> Error {
    use rustls_pki_types::pem::Error as E;
    match e {
        E::MissingSectionEnd { end_marker } => Error::InvalidPem(format!(
            "the PEM block is truncated: {} is missing",
            String::from_utf8_lossy(&end_marker)
        )),
        E::IllegalSectionStart { .. } => Error::InvalidPem("a -----BEGIN line is malformed".into()),
        E::Base64Decode(why) => Error::InvalidPem(format!("the base64 body is damaged ({why})")),
        E::NoItemsFound => Error::NoCertificate,
        other => Error::InvalidPem(format!("{other:?}")),
    }
}

/// What the first PEM block of `input` is, in words (`a private key`, `a certificate`, ...), when
/// it is one of the kinds people mix up; `None` otherwise.
pub(crate) fn first_kind(input: &[u8]) -> Option<&'static str> {
    let text = core::str::from_utf8(input).ok()?;
    let label = text.split("-----BEGIN ").nth(1)?.split("-----").next()?;
    Some(match label {
        "CERTIFICATE" | "TRUSTED CERTIFICATE" | "X509 CERTIFICATE" => "a certificate",
        "CERTIFICATE REQUEST" | "NEW CERTIFICATE REQUEST" => "a certificate signing request",
        "PUBLIC KEY" | "RSA PUBLIC KEY" => "a public key",
        l if l.ends_with("PRIVATE KEY") => "a private key",
        "X509 CRL" => "a certificate revocation list",
        "PKCS7" | "CMS" => "a PKCS#7 bundle",
        _ => return None,
    })
}
