//! Certificate revocation lists: the serials a CA has revoked, signed by that CA.

use alloc::vec::Vec;

use rcgen::{
    CertificateRevocationListParams, KeyIdMethod, RevocationReason, RevokedCertParams, SerialNumber,
};
use rustls_pki_types::UnixTime;
use time::OffsetDateTime;

use crate::names::Name;
use crate::{Ca, Certificate, Error};

/// One revoked certificate: its serial, when it was revoked and the RFC 5280 reason code.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Revoked {
    /// The serial number's bytes, big-endian, as in the certificate.
    pub serial: Vec<u8>,
    /// When it was revoked, Unix seconds.
    pub revoked_at: u64,
    /// The CRLReason code (0 unspecified, 1 keyCompromise, 4 superseded, 5 cessationOfOperation…).
    pub reason: Option<u8>,
}

impl Ca {
    /// A DER CRL listing `revoked`, numbered `number`, valid from `now` for `valid_secs`.
    pub fn crl(
        &self,
        revoked: &[Revoked],
        number: u64,
        now: UnixTime,
        valid_secs: u64,
    ) -> Result<Vec<u8>, Error> {
        let at = |secs: u64| {
            i64::try_from(secs)
                .ok()
                .and_then(|s| OffsetDateTime::from_unix_timestamp(s).ok())
                .ok_or(Error::InvalidValidity("a CRL date is out of range"))
        };
        let revoked_certs = revoked
            .iter()
            .map(|r| {
                Ok(RevokedCertParams {
                    serial_number: SerialNumber::from_slice(&r.serial),
                    revocation_time: at(r.revoked_at)?,
                    reason_code: r.reason.and_then(reason),
                    invalidity_date: None,
                })
            })
            .collect::<Result<Vec<_>, Error>>()?;
        let params = CertificateRevocationListParams {
            this_update: at(now.as_secs())?,
            next_update: at(now.as_secs().saturating_add(valid_secs.max(1)))?,
            crl_number: SerialNumber::from_slice(&number.to_be_bytes()),
            issuing_distribution_point: None,
            revoked_certs,
            key_identifier_method: KeyIdMethod::Sha256,
        };
        Ok(params.signed_by(self.issuer())?.der().to_vec())
    }

    /// Checks that this CA (and those above it) may issue for `names` under their name
    /// constraints.
    pub fn check_names(&self, names: &[Name]) -> Result<(), Error> {
        self.authority().facts().check_names(names)
    }
}

impl Certificate {
    /// The serial number's bytes, big-endian, as encoded in the certificate.
    pub fn serial(&self) -> Result<Vec<u8>, Error> {
        Ok(self.parsed()?.tbs_certificate.raw_serial().to_vec())
    }
}

fn reason(code: u8) -> Option<RevocationReason> {
    Some(match code {
        0 => RevocationReason::Unspecified,
        1 => RevocationReason::KeyCompromise,
        2 => RevocationReason::CaCompromise,
        3 => RevocationReason::AffiliationChanged,
        4 => RevocationReason::Superseded,
        5 => RevocationReason::CessationOfOperation,
        6 => RevocationReason::CertificateHold,
        8 => RevocationReason::RemoveFromCrl,
        9 => RevocationReason::PrivilegeWithdrawn,
        10 => RevocationReason::AaCompromise,
        _ => return None,
    })
}
