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
