//! Profiles with rules of their own, shared by the CLI and the page: the WebTransport
//! certificate that `serverCertificateHashes` accepts, and the hash code needs to pin it.

use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use core::net::IpAddr;

use base64::Engine;

use crate::validity::WEBTRANSPORT_DAYS;
use crate::{Certificate, Error, KeyAlgorithm, LeafOptions, Name, Usage};

/// A self-signed ECDSA P-256 server leaf valid at most 14 days (14 by default), for `names`
/// ("localhost" when none). `key` and `days`, when given, must fit those rules.
pub fn web_transport(
    names: Vec<String>,
    key: Option<KeyAlgorithm>,
    days: Option<u32>,
) -> Result<LeafOptions, Error> {
    if key.is_some_and(|k| k != KeyAlgorithm::P256) {
        return Err(Error::WebTransportKey);
    }
    let days = days.unwrap_or(WEBTRANSPORT_DAYS);
    if days > WEBTRANSPORT_DAYS {
        return Err(Error::WebTransportValidity);
    }
    let names = match names.is_empty() {
        true => alloc::vec!["localhost".to_string()],
        false => names,
    };
    Ok(LeafOptions::new(names)
        .usage(Usage::Server)
        .key(KeyAlgorithm::P256)
        .days(days))
}

/// A certificate's SHA-256 in the forms WebTransport code needs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WebTransportHash {
    /// SHA-256 of the certificate's DER.
    pub sha256: [u8; 32],
    /// The hash as lower-case hex.
    pub hex: String,
    /// The hash as base64.
    pub base64: String,
    /// The hash as a JS literal: `new Uint8Array([…])`.
    pub literal: String,
    /// A ready-to-paste `new WebTransport(url, { serverCertificateHashes })` for the first name.
    pub snippet: String,
}

impl WebTransportHash {
    /// The hash of `certificate`, whose snippet connects to the first of `names` that a URL can
    /// hold (a DNS name without `*.`, or an IP address), else to localhost.
    pub fn new(certificate: &Certificate, names: &[Name]) -> Self {
        let sha256 = certificate.sha256();
        let numbers: Vec<String> = sha256.iter().map(u8::to_string).collect();
        let literal = format!("new Uint8Array([{}])", numbers.join(", "));
        let snippet = format!(
            "const transport = new WebTransport(\"https://{}:4433/\", {{\n  \
             serverCertificateHashes: [{{ algorithm: \"sha-256\", value: {literal} }}],\n}});",
            url_host(names)
        );
        WebTransportHash {
            sha256,
            hex: crate::certificate::hex_lower(&sha256),
            base64: base64::engine::general_purpose::STANDARD.encode(sha256),
            literal,
            snippet,
        }
    }
}

/// The host part of a URL for the first DNS name or IP address (IPv6 in brackets).
fn url_host(names: &[Name]) -> String {
    names
        .iter()
        .find_map(|name| match name {
            Name::Dns(dns) if !dns.starts_with("*.") => Some(dns.clone()),
            Name::Ip(IpAddr::V6(ip)) => Some(format!("[{ip}]")),
            Name::Ip(ip) => Some(ip.to_string()),
            _ => None,
        })
        .unwrap_or_else(|| "localhost".to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse_names;

    #[test]
    fn web_transport_is_p256_for_at_most_14_days() {
        let options = web_transport(Vec::new(), None, None).unwrap();
        assert_eq!(options.key, KeyAlgorithm::P256);
        assert_eq!(options.names, ["localhost"]);
        assert!(matches!(
            web_transport(alloc::vec!["a.test".into()], Some(KeyAlgorithm::P384), None),
            Err(Error::WebTransportKey)
        ));
        assert!(matches!(
            web_transport(Vec::new(), None, Some(15)),
            Err(Error::WebTransportValidity)
        ));
        assert!(web_transport(Vec::new(), Some(KeyAlgorithm::P256), Some(14)).is_ok());
    }

    #[test]
    fn the_snippet_connects_to_the_first_name_a_url_can_hold() {
        let now = rustls_pki_types::UnixTime::since_unix_epoch(core::time::Duration::from_secs(
            1_767_225_600,
        ));
        let issued =
            crate::self_signed(&web_transport(Vec::new(), None, None).unwrap(), now).unwrap();
        let names = parse_names(&["*.a.test", "::1", "b.test"]).unwrap();
        let hash = WebTransportHash::new(&issued.certificate, &names);
        assert!(
            hash.snippet.contains("https://[::1]:4433/"),
            "{}",
            hash.snippet
        );
        assert!(hash.snippet.contains(&hash.literal));
        assert_eq!(hash.literal.matches(", ").count(), 31);
        assert_eq!(hash.hex.len(), 64);
    }
}
