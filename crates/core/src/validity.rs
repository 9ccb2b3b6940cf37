//! Validity periods: computed from the caller's `now`, never from a clock.

use alloc::format;
use alloc::string::String;

use rustls_pki_types::UnixTime;
use time::OffsetDateTime;

use crate::Error;

/// Seconds in a day.
const DAY: u64 = 86_400;
/// The longest validity accepted, in days (100 years).
pub const MAX_DAYS: u32 = 36_525;
/// Default leaf validity: 397 days, the most Apple platforms and browsers accept.
pub const LEAF_DAYS: u32 = 397;
/// Default CA validity: ten years.
pub const CA_DAYS: u32 = 3_650;
/// The longest validity WebTransport `serverCertificateHashes` accepts.
pub const WEBTRANSPORT_DAYS: u32 = 14;

/// How long a certificate is valid.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Validity {
    /// From `now` for this many days.
    Days(u32),
    /// Explicit notBefore and notAfter.
    Range {
        /// First instant of validity.
        not_before: UnixTime,
        /// Last instant of validity.
        not_after: UnixTime,
    },
}

/// A resolved period in seconds since the Unix epoch.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Period {
    pub not_before: u64,
    pub not_after: u64,
}

impl Validity {
    pub(crate) fn resolve(&self, now: UnixTime) -> Result<Period, Error> {
        let period = match *self {
            Validity::Days(0) => {
                return Err(Error::InvalidValidity("validity must be at least 1 day"))
            }
            Validity::Days(days) if days > MAX_DAYS => {
                return Err(Error::InvalidValidity(
                    "validity cannot exceed 36525 days (100 years)",
                ))
            }
            Validity::Days(days) => Period {
                not_before: now.as_secs(),
                not_after: now.as_secs() + u64::from(days) * DAY,
            },
            Validity::Range {
                not_before,
                not_after,
            } => Period {
                not_before: not_before.as_secs(),
                not_after: not_after.as_secs(),
            },
        };
        if period.not_after <= period.not_before {
            return Err(Error::InvalidValidity(
                "not-after must be later than not-before",
            ));
        }
        if period.not_after >= 253_402_300_800 {
            return Err(Error::InvalidValidity(
                "not-after must be before the year 10000",
            ));
        }
        Ok(period)
    }
}

impl Period {
    pub(crate) fn apply(&self, params: &mut rcgen::CertificateParams) -> Result<(), Error> {
        params.not_before = to_datetime(self.not_before)?;
        params.not_after = to_datetime(self.not_after)?;
        Ok(())
    }
}

fn to_datetime(secs: u64) -> Result<OffsetDateTime, Error> {
    i64::try_from(secs)
        .ok()
        .and_then(|s| OffsetDateTime::from_unix_timestamp(s).ok())
        .ok_or(Error::InvalidValidity("date out of range"))
}

/// Formats Unix seconds as RFC 3339 in UTC, e.g. `2026-11-27T16:21:58Z`.
pub fn rfc3339(secs: i64) -> String {
    match OffsetDateTime::from_unix_timestamp(secs) {
        Ok(t) => format!(
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
            t.year(),
            u8::from(t.month()),
            t.day(),
            t.hour(),
            t.minute(),
            t.second()
        ),
        Err(_) => format!("@{secs}"),
    }
}
