//! Certificate profiles: which extensions a root CA, an intermediate and a leaf carry.

use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec;
use alloc::vec::Vec;

use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, KeyUsagePurpose,
};

use rustls_pki_types::UnixTime;

use crate::certificate::hex_lower;
use crate::constraints::NameConstraints;
use crate::names::Name;
use crate::validity::{rfc3339, Period};
use crate::{Error, KeyAlgorithm};

/// What a leaf certificate is for (its extended key usage).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "lowercase"))]
pub enum Usage {
    /// TLS server authentication (serverAuth).
    #[default]
    Server,
    /// TLS client authentication (clientAuth), for mutual TLS.
    Client,
    /// Both serverAuth and clientAuth.
    Both,
}

impl core::str::FromStr for Usage {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self, Error> {
        match s.trim().to_ascii_lowercase().as_str() {
            "server" => Ok(Usage::Server),
            "client" => Ok(Usage::Client),
            "both" | "server+client" => Ok(Usage::Both),
            _ => Err(Error::UnknownUsage(s.into())),
        }
    }
}

/// ub-common-name (RFC 5280 appendix A): the most characters a subject CN may have.
pub(crate) const UB_COMMON_NAME: usize = 64;

/// ub-organization-name (RFC 5280 appendix A).
const UB_ORGANIZATION_NAME: usize = 64;

/// Fails with a clear error when a subject attribute is longer than X.520 allows.
pub(crate) fn within_bound(field: &'static str, value: &str, max: usize) -> Result<(), Error> {
    let length = value.chars().count();
    if length > max {
        return Err(Error::SubjectTooLong { field, length, max });
    }
    Ok(())
}

/// A CA common name no other CA has: `base` (cut back by whole words when it would not fit in
/// 64 characters, so `selfsign development CA user@host` loses `user@host` first), the creation
/// date from `now` and six random hex digits, e.g. `selfsign development CA 2026-12-05 3fa9c1`.
pub fn unique_ca_name(base: &str, now: UnixTime) -> Result<String, Error> {
    let mut id = [0u8; 3];
    getrandom::fill(&mut id)
        .map_err(|_| Error::Generation("the system random number generator failed".into()))?;
    let date = rfc3339(i64::try_from(now.as_secs()).unwrap_or(i64::MAX));
    let date = date.get(..10).unwrap_or(&date);
    let suffix = format!(" {date} {}", hex_lower(&id));
    let room = UB_COMMON_NAME.saturating_sub(suffix.chars().count());
    let mut base = base.trim();
    while base.chars().count() > room {
        match base.rsplit_once(char::is_whitespace) {
            Some((shorter, _)) => base = shorter.trim_end(),
            None => {
                let end = base.char_indices().nth(room).map_or(base.len(), |(i, _)| i);
                base = &base[..end];
            }
        }
    }
    Ok(format!("{base}{suffix}"))
}

/// A random, positive, 16-byte serial number from the system CSPRNG.
pub(crate) fn random_serial() -> Result<rcgen::SerialNumber, Error> {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes)
        .map_err(|_| Error::Generation("the system random number generator failed".into()))?;
    bytes[0] &= 0x7f;
    if bytes[0] == 0 {
        bytes[0] = 0x01;
    }
    Ok(rcgen::SerialNumber::from_slice(&bytes))
}

fn base(period: &Period) -> Result<CertificateParams, Error> {
    let mut params = CertificateParams::default();
    params.distinguished_name = rcgen::DistinguishedName::new();
    params.serial_number = Some(random_serial()?);
    period.apply(&mut params)?;
    Ok(params)
}

/// A leaf: CA:FALSE, keyUsage digitalSignature (+ keyEncipherment for RSA), EKU, SKI, SAN and AKI
/// (its own key identifier when self-signed).
pub(crate) fn leaf(
    names: &[Name],
    usage: Usage,
    key: KeyAlgorithm,
    period: &Period,
) -> Result<CertificateParams, Error> {
    let mut params = base(period)?;
    name_subject(&mut params, names)?;
    params.is_ca = IsCa::ExplicitNoCa;
    params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    if key.is_rsa() {
        params.key_usages.push(KeyUsagePurpose::KeyEncipherment);
    }
    params.extended_key_usages = match usage {
        Usage::Server => vec![ExtendedKeyUsagePurpose::ServerAuth],
        Usage::Client => vec![ExtendedKeyUsagePurpose::ClientAuth],
        Usage::Both => vec![
            ExtendedKeyUsagePurpose::ServerAuth,
            ExtendedKeyUsagePurpose::ClientAuth,
        ],
    };
    // A self-signed leaf names itself as its authority (RFC 5280 4.2.1.1 exempts only CAs).
    params.use_authority_key_identifier_extension = true;
    Ok(params)
}

/// The parameters of a certificate request: subject and SANs only.
pub(crate) fn request(names: &[Name]) -> Result<CertificateParams, Error> {
    let mut params = CertificateParams::default();
    params.distinguished_name = rcgen::DistinguishedName::new();
    name_subject(&mut params, names)?;
    Ok(params)
}

/// Subject CN from the first name (when it fits the 64-character limit), plus SANs for all.
fn name_subject(params: &mut CertificateParams, names: &[Name]) -> Result<(), Error> {
    if let Some(cn) = names.first().map(Name::value).filter(|v| v.len() <= 64) {
        params.distinguished_name.push(DnType::CommonName, cn);
    }
    params
        .distinguished_name
        .push(DnType::OrganizationName, "selfsign development certificate");
    params.subject_alt_names = names.iter().map(Name::to_san).collect::<Result<_, _>>()?;
    Ok(())
}

/// A CA: basicConstraints CA:TRUE (critical, optional pathLen), keyUsage keyCertSign + cRLSign +
/// digitalSignature (critical), SKI, optional name constraints; an AKI when it has an issuer.
pub(crate) fn ca(
    common_name: &str,
    organization: &str,
    path_len: Option<u8>,
    constraints: Option<&NameConstraints>,
    period: &Period,
    has_issuer: bool,
) -> Result<CertificateParams, Error> {
    within_bound("common name", common_name, UB_COMMON_NAME)?;
    within_bound("organisation", organization, UB_ORGANIZATION_NAME)?;
    let mut params = base(period)?;
    params
        .distinguished_name
        .push(DnType::CommonName, common_name);
    if !organization.is_empty() {
        params
            .distinguished_name
            .push(DnType::OrganizationName, organization);
    }
    params.is_ca = IsCa::Ca(match path_len {
        Some(n) => BasicConstraints::Constrained(n),
        None => BasicConstraints::Unconstrained,
    });
    params.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    if let Some(constraints) = constraints {
        params.custom_extensions.push(constraints.to_extension()?);
    }
    params.use_authority_key_identifier_extension = has_issuer;
    Ok(params)
}

/// Names with their SAN form, checked against a chain of constraints.
pub(crate) fn check_constraints(names: &[Name], chain: &[NameConstraints]) -> Result<(), Error> {
    for constraints in chain {
        for name in names {
            constraints.check(name)?;
        }
    }
    Ok(())
}

/// Keeps only unique names in order (used when names come from a CSR).
pub(crate) fn dedup(names: Vec<Name>) -> Vec<Name> {
    let mut out: Vec<Name> = Vec::with_capacity(names.len());
    for n in names {
        if !out.contains(&n) {
            out.push(n);
        }
    }
    out
}

/// A distinguished-name value as text, for the string types this crate writes and reads back.
pub(crate) fn dn_text(value: &rcgen::DnValue) -> Option<String> {
    match value {
        rcgen::DnValue::Utf8String(s) => Some(s.clone()),
        rcgen::DnValue::PrintableString(s) => Some(s.as_str().to_string()),
        rcgen::DnValue::Ia5String(s) => Some(s.as_str().to_string()),
        _ => None,
    }
}
