//! The decoded view of a certificate this crate is making, from the parameters rcgen encodes it
//! from: the same [`CertInfo`] that decoding the signed certificate gives, without parsing it
//! back (which costs more than the rest of making a certificate in WebAssembly).

use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;

use base64::Engine;
use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, KeyUsagePurpose,
    SanType,
};
use rustls_pki_types::UnixTime;
use x509_parser::der_parser::oid::Oid;
use x509_parser::oid_registry::{
    OID_PKCS1_SHA256WITHRSA, OID_SIG_ECDSA_WITH_SHA256, OID_SIG_ECDSA_WITH_SHA384, OID_SIG_ED25519,
};

use crate::certificate::{hex_colon, hex_lower, key_id, sha256};
use crate::constraints::NameConstraints;
use crate::inspect::{
    names_of, signature_algorithm_name, EXTENDED_KEY_USAGE_NAMES, KEY_USAGE_NAMES,
};
use crate::profile::dn_text;
use crate::validity::rfc3339;
use crate::{CertInfo, Certificate, Error, KeyAlgorithm, PublicKey};

/// A certificate's view before its signature: everything but the fingerprints.
#[derive(Clone, Debug)]
pub(crate) struct Preview(CertInfo);

/// What a certificate's view shows of its issuer: subject name and key identifier.
#[derive(Clone, Debug)]
pub(crate) struct IssuerView {
    subject: String,
    key_id: String,
}

impl IssuerView {
    /// The key and view of a CA certificate read from elsewhere, from one parse; its key
    /// identifier is the one rcgen puts in the authority key identifier of what it issues: its
    /// SKI, or else one derived from its key.
    pub(crate) fn of_certificate(certificate: &Certificate) -> Result<(PublicKey, Self), Error> {
        let x = certificate.parsed()?;
        let key = PublicKey::from_der(x.tbs_certificate.subject_pki.raw)?;
        let ski = x
            .extensions()
            .iter()
            .find_map(|e| match e.parsed_extension() {
                x509_parser::extensions::ParsedExtension::SubjectKeyIdentifier(k) => Some(k.0),
                _ => None,
            });
        let key_id = match ski {
            Some(ski) => hex_colon(ski),
            None => hex_colon(&key_id(key.der())),
        };
        let view = IssuerView {
            subject: x.subject().to_string(),
            key_id,
        };
        Ok((key, view))
    }
}

impl Preview {
    /// The view of the certificate rcgen encodes from `params` for `subject`, signed by a key of
    /// `signer` for `issuer` (none when self-signed); `None` for parameters it does not cover.
    pub(crate) fn new(
        params: &CertificateParams,
        subject: &PublicKey,
        signer: KeyAlgorithm,
        issuer: Option<&IssuerView>,
    ) -> Option<Preview> {
        let subject_name = subject_name(params)?;
        let subject_key_id = match params.is_ca {
            IsCa::NoCa => None,
            _ => Some(hex_colon(&params.key_identifier(&subject.rcgen()))),
        };
        let (issuer_name, issuer_key_id) = match issuer {
            Some(issuer) => (issuer.subject.clone(), Some(issuer.key_id.clone())),
            None => (subject_name.clone(), subject_key_id.clone()),
        };
        let authority_key_id =
            issuer_key_id.filter(|_| params.use_authority_key_identifier_extension);
        let (is_ca, path_len) = match &params.is_ca {
            IsCa::Ca(BasicConstraints::Constrained(n)) => (true, Some(u32::from(*n))),
            IsCa::Ca(BasicConstraints::Unconstrained) => (true, None),
            _ => (false, None),
        };
        if params.name_constraints.is_some() {
            return None;
        }
        let constraints = match params.custom_extensions.as_slice() {
            [] => NameConstraints::default(),
            [ext] => NameConstraints::from_extension(ext)?,
            _ => return None,
        };
        let not_before = params.not_before.unix_timestamp();
        let not_after = params.not_after.unix_timestamp();
        let self_signed = subject_name == issuer_name
            && (authority_key_id.is_none() || authority_key_id == subject_key_id);
        Some(Preview(CertInfo {
            common_name: params
                .distinguished_name
                .get(&DnType::CommonName)
                .and_then(dn_text),
            subject: subject_name,
            issuer: issuer_name,
            serial: hex_colon(&der_integer(&params.serial_number.as_ref()?.to_bytes())),
            not_before,
            not_after,
            not_before_rfc3339: rfc3339(not_before),
            not_after_rfc3339: rfc3339(not_after),
            valid_now: false,
            days_left: 0,
            subject_alt_names: params
                .subject_alt_names
                .iter()
                .map(san)
                .collect::<Option<_>>()?,
            key_algorithm: key_description(subject.algorithm()).to_string(),
            key_bits: subject.bits(),
            signature_algorithm: signature_algorithm_name(&signature_oid(signer)),
            is_ca,
            path_len,
            key_usage: key_usage_names(&params.key_usages),
            extended_key_usage: extended_key_usage_names(&params.extended_key_usages)?,
            permitted_names: constraints
                .permitted
                .iter()
                .map(|s| s.to_string())
                .collect(),
            excluded_names: constraints.excluded.iter().map(|s| s.to_string()).collect(),
            subject_key_id,
            authority_key_id,
            sha256_fingerprint: String::new(),
            sha256_hex: String::new(),
            spki_sha256_base64: base64::engine::general_purpose::STANDARD
                .encode(sha256(subject.der())),
            self_signed,
        }))
    }

    /// How what this certificate issues shows it (as a CA): its subject and key identifier.
    pub(crate) fn issuer_view(&self) -> Option<IssuerView> {
        Some(IssuerView {
            subject: self.0.subject.clone(),
            key_id: self.0.subject_key_id.clone()?,
        })
    }

    /// The view of the signed certificate `der`, judged at `now`.
    pub(crate) fn finish(self, der: &[u8], now: UnixTime) -> CertInfo {
        let mut info = self.0;
        let fingerprint = sha256(der);
        let now = i64::try_from(now.as_secs()).unwrap_or(i64::MAX);
        info.sha256_fingerprint = hex_colon(&fingerprint);
        info.sha256_hex = hex_lower(&fingerprint);
        info.valid_now = info.not_before <= now && now <= info.not_after;
        info.days_left = crate::inspect::whole_days(info.not_after, now);
        info
    }
}

/// The subject as decoding prints it (`CN=…, O=…`), for the attribute types this crate writes.
fn subject_name(params: &CertificateParams) -> Option<String> {
    let mut out = String::new();
    for (kind, value) in params.distinguished_name.iter() {
        let abbreviation = match kind {
            DnType::CommonName => "CN",
            DnType::OrganizationName => "O",
            DnType::OrganizationalUnitName => "OU",
            DnType::CountryName => "C",
            DnType::LocalityName => "L",
            DnType::StateOrProvinceName => "ST",
            _ => return None,
        };
        if !out.is_empty() {
            out.push_str(", ");
        }
        out.push_str(abbreviation);
        out.push('=');
        out.push_str(&dn_text(value)?);
    }
    Some(out)
}

/// The key type as decoding names it (RSA without its size, which `key_bits` gives).
fn key_description(key: KeyAlgorithm) -> &'static str {
    if key.is_rsa() {
        "RSA"
    } else {
        key.description()
    }
}

/// The signature algorithm a key of `signer` signs with.
fn signature_oid(signer: KeyAlgorithm) -> Oid<'static> {
    match signer {
        KeyAlgorithm::P256 => OID_SIG_ECDSA_WITH_SHA256,
        KeyAlgorithm::P384 => OID_SIG_ECDSA_WITH_SHA384,
        KeyAlgorithm::Ed25519 => OID_SIG_ED25519,
        _ => OID_PKCS1_SHA256WITHRSA,
    }
}

fn san(name: &SanType) -> Option<String> {
    Some(match name {
        SanType::DnsName(d) => format!("DNS:{}", d.as_str()),
        SanType::IpAddress(ip) => format!("IP:{ip}"),
        SanType::Rfc822Name(e) => format!("email:{}", e.as_str()),
        SanType::URI(u) => format!("URI:{}", u.as_str()),
        _ => return None,
    })
}

/// A serial's bytes as DER writes its INTEGER: no redundant leading zeros, and a zero in front
/// of a set top bit.
fn der_integer(bytes: &[u8]) -> Vec<u8> {
    let start = bytes
        .iter()
        .position(|b| *b != 0)
        .unwrap_or(bytes.len().saturating_sub(1));
    let mut out = Vec::with_capacity(bytes.len() + 1);
    if bytes.get(start).is_some_and(|b| b & 0x80 != 0) {
        out.push(0);
    }
    out.extend_from_slice(&bytes[start..]);
    out
}

/// keyUsage names, in the order decoding lists them.
fn key_usage_names(usages: &[KeyUsagePurpose]) -> Vec<String> {
    let set = [
        KeyUsagePurpose::DigitalSignature,
        KeyUsagePurpose::ContentCommitment,
        KeyUsagePurpose::KeyEncipherment,
        KeyUsagePurpose::DataEncipherment,
        KeyUsagePurpose::KeyAgreement,
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::EncipherOnly,
        KeyUsagePurpose::DecipherOnly,
    ]
    .map(|usage| usages.contains(&usage));
    names_of(set, KEY_USAGE_NAMES)
}

/// Extended key usage names, in the order decoding lists them; `None` for other purposes.
fn extended_key_usage_names(usages: &[ExtendedKeyUsagePurpose]) -> Option<Vec<String>> {
    if usages
        .iter()
        .any(|u| matches!(u, ExtendedKeyUsagePurpose::Other(_)))
    {
        return None;
    }
    let set = [
        ExtendedKeyUsagePurpose::Any,
        ExtendedKeyUsagePurpose::ServerAuth,
        ExtendedKeyUsagePurpose::ClientAuth,
        ExtendedKeyUsagePurpose::CodeSigning,
        ExtendedKeyUsagePurpose::EmailProtection,
        ExtendedKeyUsagePurpose::TimeStamping,
        ExtendedKeyUsagePurpose::OcspSigning,
    ]
    .map(|usage| usages.contains(&usage));
    Some(names_of(set, EXTENDED_KEY_USAGE_NAMES))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::issue::CaOptions;
    use crate::names::parse_names;
    use crate::{profile, KeyPair, Usage, Validity};

    /// Every profile this crate makes is previewed, so the certificates it makes are described
    /// without being parsed back (`finish_described` falls back to decoding otherwise).
    #[test]
    fn every_profile_this_crate_makes_is_previewed() {
        let now = UnixTime::since_unix_epoch(core::time::Duration::from_secs(1_767_225_600));
        let key = KeyPair::generate(KeyAlgorithm::P256).unwrap();
        let key = key.public_key();
        let period = Validity::Days(30).resolve(now).unwrap();
        let names = parse_names(&["localhost", "127.0.0.1", "bücher.example"]).unwrap();
        for usage in [Usage::Server, Usage::Client, Usage::Both] {
            let params = profile::leaf(&names, usage, KeyAlgorithm::P256, &period).unwrap();
            assert!(Preview::new(&params, key, KeyAlgorithm::P384, None).is_some());
        }
        let constrained = CaOptions {
            name_constraints: alloc::vec!["example.test".into(), "10.0.0.0/8".into()],
            ..CaOptions::default()
        };
        for options in [CaOptions::default(), constrained] {
            let params = crate::ca::ca_params(&options, &period, now, false).unwrap();
            let preview = Preview::new(&params, key, KeyAlgorithm::P256, None);
            let view = preview
                .and_then(|p| p.issuer_view())
                .expect("a CA made here is previewed");
            assert!(Preview::new(&params, key, KeyAlgorithm::P256, Some(&view)).is_some());
        }
    }
}
