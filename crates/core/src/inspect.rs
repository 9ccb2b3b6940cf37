//! Decoding certificates into a plain struct people and programs can read.

use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;

use base64::Engine;
use rustls_pki_types::UnixTime;
use x509_parser::der_parser::oid::Oid;
use x509_parser::extensions::{GeneralName, ParsedExtension};
use x509_parser::oid_registry::{
    OID_EC_P256, OID_NIST_EC_P384, OID_NIST_EC_P521, OID_PKCS1_SHA256WITHRSA,
    OID_PKCS1_SHA384WITHRSA, OID_PKCS1_SHA512WITHRSA, OID_SIG_ECDSA_WITH_SHA256,
    OID_SIG_ECDSA_WITH_SHA384, OID_SIG_ECDSA_WITH_SHA512, OID_SIG_ED25519, OID_SIG_ED448,
};
use x509_parser::prelude::X509Certificate;
use x509_parser::public_key::PublicKey;

use crate::certificate::{hex_colon, hex_lower};
use crate::constraints::NameConstraints;
use crate::validity::rfc3339;
use crate::{parse_certificates, Certificate, Error};

/// Everything a developer wants to know about one certificate.
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct CertInfo {
    /// Subject distinguished name, RFC 4514 style.
    pub subject: String,
    /// Subject common name, if any.
    pub common_name: Option<String>,
    /// Issuer distinguished name.
    pub issuer: String,
    /// Serial number as colon-separated hex.
    pub serial: String,
    /// notBefore in Unix seconds.
    pub not_before: i64,
    /// notAfter in Unix seconds.
    pub not_after: i64,
    /// notBefore as RFC 3339.
    pub not_before_rfc3339: String,
    /// notAfter as RFC 3339.
    pub not_after_rfc3339: String,
    /// Whether it is within its validity period at the `now` given.
    pub valid_now: bool,
    /// Whole days from `now` to notAfter, negative once it has expired by a day or more: 0 from a
    /// day before expiry to a day after (tell which by `not_after`; `valid_now` is false once
    /// expired), -3 when it expired 72 hours ago.
    pub days_left: i64,
    /// Subject alternative names with their type, e.g. `DNS:localhost`, `IP:127.0.0.1`.
    pub subject_alt_names: Vec<String>,
    /// Public key description, e.g. `ECDSA P-256`, `Ed25519`, `RSA`.
    pub key_algorithm: String,
    /// Public key size in bits.
    pub key_bits: usize,
    /// Signature algorithm, e.g. `ecdsa-with-SHA256`.
    pub signature_algorithm: String,
    /// basicConstraints CA flag.
    pub is_ca: bool,
    /// basicConstraints pathLenConstraint.
    pub path_len: Option<u32>,
    /// keyUsage bits, e.g. `digitalSignature`, `keyCertSign`.
    pub key_usage: Vec<String>,
    /// Extended key usages, e.g. `serverAuth`, `clientAuth`.
    pub extended_key_usage: Vec<String>,
    /// Permitted name-constraint subtrees.
    pub permitted_names: Vec<String>,
    /// Excluded name-constraint subtrees.
    pub excluded_names: Vec<String>,
    /// Subject key identifier, colon hex.
    pub subject_key_id: Option<String>,
    /// Authority key identifier, colon hex.
    pub authority_key_id: Option<String>,
    /// SHA-256 of the certificate, colon hex.
    pub sha256_fingerprint: String,
    /// SHA-256 of the certificate as lower-case hex without colons.
    pub sha256_hex: String,
    /// Base64 SHA-256 of the SubjectPublicKeyInfo (SPKI pin).
    pub spki_sha256_base64: String,
    /// Subject equals issuer and the certificate's own key verifies its signature.
    pub self_signed: bool,
}

/// Decodes every certificate in PEM or DER input, judged at `now`.
#[cfg(feature = "full")]
pub fn inspect(input: &[u8], now: UnixTime) -> Result<Vec<CertInfo>, Error> {
    parse_certificates(input)?
        .iter()
        .map(|c| c.inspect(now))
        .collect()
}

impl CertInfo {
    /// How long before `now` it expired, in words ("less than a day ago", "1 day ago",
    /// "3 days ago"), or `None` when it has not expired at `now`.
    pub fn expired_ago(&self, now: UnixTime) -> Option<String> {
        let now = i64::try_from(now.as_secs()).unwrap_or(i64::MAX);
        if now <= self.not_after {
            return None;
        }
        Some(match now.saturating_sub(self.not_after) / 86_400 {
            0 => "less than a day ago".into(),
            1 => "1 day ago".into(),
            days => format!("{days} days ago"),
        })
    }
}

#[cfg(feature = "full")]
impl Certificate {
    /// Decodes this certificate, judged at `now`.
    pub fn inspect(&self, now: UnixTime) -> Result<CertInfo, Error> {
        self.decode(now, true)
    }

    /// Like [`inspect`](Self::inspect) without checking any signature, for a certificate this
    /// crate has just made (e.g. finished with a WebCrypto signature): `self_signed` then means
    /// that subject and issuer are the same and the authority key id, if any, is its own.
    pub fn inspect_unverified(&self, now: UnixTime) -> Result<CertInfo, Error> {
        self.decode(now, false)
    }

    fn decode(&self, now: UnixTime, verify: bool) -> Result<CertInfo, Error> {
        let x = self.parsed()?;
        let sha256 = self.sha256();
        let now = i64::try_from(now.as_secs()).unwrap_or(i64::MAX);
        let not_before = x.validity().not_before.timestamp();
        let not_after = x.validity().not_after.timestamp();
        let (key_algorithm, key_bits) = key_description(&x);
        let mut info = CertInfo {
            subject: x.subject().to_string(),
            common_name: x
                .subject()
                .iter_common_name()
                .next()
                .and_then(|cn| cn.as_str().ok())
                .map(str::to_string),
            issuer: x.issuer().to_string(),
            serial: hex_colon(x.raw_serial()),
            not_before,
            not_after,
            not_before_rfc3339: rfc3339(not_before),
            not_after_rfc3339: rfc3339(not_after),
            valid_now: not_before <= now && now <= not_after,
            days_left: whole_days(not_after, now),
            subject_alt_names: Vec::new(),
            key_algorithm,
            key_bits,
            signature_algorithm: signature_name(&x),
            is_ca: false,
            path_len: None,
            key_usage: Vec::new(),
            extended_key_usage: Vec::new(),
            permitted_names: Vec::new(),
            excluded_names: Vec::new(),
            subject_key_id: None,
            authority_key_id: None,
            sha256_fingerprint: hex_colon(&sha256),
            sha256_hex: hex_lower(&sha256),
            spki_sha256_base64: base64::engine::general_purpose::STANDARD.encode(
                crate::certificate::sha256(x.tbs_certificate.subject_pki.raw),
            ),
            self_signed: x.subject() == x.issuer(),
        };
        for ext in x.extensions() {
            read_extension(ext.parsed_extension(), &mut info);
        }
        info.self_signed = info.self_signed
            && if verify {
                x.verify_signature(None).is_ok()
            } else {
                info.authority_key_id.is_none() || info.authority_key_id == info.subject_key_id
            };
        Ok(info)
    }
}

/// Whole days from `now` to `not_after`, counting only completed days either way.
pub(crate) fn whole_days(not_after: i64, now: i64) -> i64 {
    not_after.saturating_sub(now) / 86_400
}

fn read_extension(ext: &ParsedExtension<'_>, info: &mut CertInfo) {
    match ext {
        ParsedExtension::SubjectAlternativeName(san) => {
            info.subject_alt_names = san.general_names.iter().map(general_name).collect();
        }
        ParsedExtension::BasicConstraints(bc) => {
            info.is_ca = bc.ca;
            info.path_len = bc.path_len_constraint;
        }
        ParsedExtension::KeyUsage(ku) => {
            info.key_usage = names_of(
                [
                    ku.digital_signature(),
                    ku.non_repudiation(),
                    ku.key_encipherment(),
                    ku.data_encipherment(),
                    ku.key_agreement(),
                    ku.key_cert_sign(),
                    ku.crl_sign(),
                    ku.encipher_only(),
                    ku.decipher_only(),
                ],
                KEY_USAGE_NAMES,
            );
        }
        ParsedExtension::ExtendedKeyUsage(eku) => {
            let set = [
                eku.any,
                eku.server_auth,
                eku.client_auth,
                eku.code_signing,
                eku.email_protection,
                eku.time_stamping,
                eku.ocsp_signing,
            ];
            info.extended_key_usage = names_of(set, EXTENDED_KEY_USAGE_NAMES);
            info.extended_key_usage
                .extend(eku.other.iter().map(|oid| oid.to_id_string()));
        }
        ParsedExtension::NameConstraints(nc) => {
            let nc = NameConstraints::from_x509(nc);
            info.permitted_names = nc.permitted.iter().map(|s| s.to_string()).collect();
            info.excluded_names = nc.excluded.iter().map(|s| s.to_string()).collect();
        }
        ParsedExtension::SubjectKeyIdentifier(ki) => info.subject_key_id = Some(hex_colon(ki.0)),
        ParsedExtension::AuthorityKeyIdentifier(aki) => {
            info.authority_key_id = aki.key_identifier.as_ref().map(|k| hex_colon(k.0));
        }
        _ => {}
    }
}

fn general_name(name: &GeneralName<'_>) -> String {
    match name {
        GeneralName::DNSName(d) => format!("DNS:{d}"),
        GeneralName::RFC822Name(e) => format!("email:{e}"),
        GeneralName::URI(u) => format!("URI:{u}"),
        GeneralName::IPAddress(b) => match b.len() {
            4 => format!("IP:{}", core::net::Ipv4Addr::new(b[0], b[1], b[2], b[3])),
            16 => {
                let mut a = [0u8; 16];
                a.copy_from_slice(b);
                format!("IP:{}", core::net::Ipv6Addr::from(a))
            }
            _ => format!("IP:(malformed, {} bytes)", b.len()),
        },
        other => format!("{other}"),
    }
}

fn key_description(x: &X509Certificate<'_>) -> (String, usize) {
    let spki = x.public_key();
    match spki.parsed() {
        Ok(PublicKey::EC(point)) => {
            let curve = spki
                .algorithm
                .parameters
                .as_ref()
                .and_then(|p| p.as_oid().ok());
            let name = match curve {
                Some(c) if c == OID_EC_P256 => "ECDSA P-256",
                Some(c) if c == OID_NIST_EC_P384 => "ECDSA P-384",
                Some(c) if c == OID_NIST_EC_P521 => "ECDSA P-521",
                _ => "ECDSA",
            };
            (name.to_string(), point.key_size())
        }
        Ok(PublicKey::RSA(rsa)) => ("RSA".to_string(), rsa.key_size()),
        _ => match &spki.algorithm.algorithm {
            oid if *oid == OID_SIG_ED25519 => ("Ed25519".to_string(), 256),
            oid if *oid == OID_SIG_ED448 => ("Ed448".to_string(), 456),
            other => (format!("unknown ({other})"), 0),
        },
    }
}

/// keyUsage names in bit order (RFC 5280), the order a decoded view lists them in.
pub(crate) const KEY_USAGE_NAMES: [&str; 9] = [
    "digitalSignature",
    "nonRepudiation",
    "keyEncipherment",
    "dataEncipherment",
    "keyAgreement",
    "keyCertSign",
    "cRLSign",
    "encipherOnly",
    "decipherOnly",
];

/// Extended key usage names, in the order a decoded view lists them.
pub(crate) const EXTENDED_KEY_USAGE_NAMES: [&str; 7] = [
    "anyExtendedKeyUsage",
    "serverAuth",
    "clientAuth",
    "codeSigning",
    "emailProtection",
    "timeStamping",
    "OCSPSigning",
];

/// The names whose flag is set.
pub(crate) fn names_of<const N: usize>(set: [bool; N], names: [&str; N]) -> Vec<String> {
    names
        .iter()
        .zip(set)
        .filter(|(_, set)| *set)
        .map(|(name, _)| name.to_string())
        .collect()
}

fn signature_name(x: &X509Certificate<'_>) -> String {
    signature_algorithm_name(&x.signature_algorithm.algorithm)
}

/// A signature algorithm's usual name (as openssl prints it), or its dotted OID.
pub(crate) fn signature_algorithm_name(oid: &Oid<'_>) -> String {
    const NAMES: [(Oid<'static>, &str); 7] = [
        (OID_SIG_ECDSA_WITH_SHA256, "ecdsa-with-SHA256"),
        (OID_SIG_ECDSA_WITH_SHA384, "ecdsa-with-SHA384"),
        (OID_SIG_ECDSA_WITH_SHA512, "ecdsa-with-SHA512"),
        (OID_SIG_ED25519, "ED25519"),
        (OID_PKCS1_SHA256WITHRSA, "sha256WithRSAEncryption"),
        (OID_PKCS1_SHA384WITHRSA, "sha384WithRSAEncryption"),
        (OID_PKCS1_SHA512WITHRSA, "sha512WithRSAEncryption"),
    ];
    NAMES
        .iter()
        .find(|(known, _)| known == oid)
        .map_or_else(|| oid.to_id_string(), |(_, name)| name.to_string())
}
