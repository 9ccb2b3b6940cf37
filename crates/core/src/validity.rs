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

pub(crate) fn to_datetime(secs: u64) -> Result<OffsetDateTime, Error> {
    i64::try_from(secs)
        .ok()
        .and_then(|s| OffsetDateTime::from_unix_timestamp(s).ok())
        .ok_or(Error::InvalidValidity("date out of range"))
}

/// Formats Unix seconds as RFC 3339 in UTC, e.g. `2026-11-27T16:21:58Z`.
pub fn rfc3339(secs: i64) -> String {
    match OffsetDateTime::from_unix_timestamp(secs) {
        // Written digit by digit: `format!` costs more than the rest of a certificate's dates.
        Ok(t) if (0..=9999).contains(&t.year()) => {
            let mut out = String::with_capacity(20);
            let fields = [
                (t.year().unsigned_abs(), 4, '-'),
                (u32::from(u8::from(t.month())), 2, '-'),
                (u32::from(t.day()), 2, 'T'),
                (u32::from(t.hour()), 2, ':'),
                (u32::from(t.minute()), 2, ':'),
                (u32::from(t.second()), 2, 'Z'),
            ];
            for (value, width, after) in fields {
                for place in (0..width).rev() {
                    let digit = value / 10u32.pow(place) % 10;
                    out.push(char::from(b'0' + digit as u8));
                }
                out.push(after);
            }
            out
        }
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

#[cfg(test)]
mod tests {
    use super::rfc3339;

    #[test]
    fn rfc3339_writes_utc_with_zero_padding_and_unix_seconds_past_year_9999() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(-1), "1969-12-31T23:59:59Z");
        assert_eq!(rfc3339(1_795_813_820), "2026-11-27T21:10:20Z");
        assert_eq!(rfc3339(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(rfc3339(253_402_300_799), "9999-12-31T23:59:59Z");
        assert_eq!(rfc3339(-62_135_596_800), "0001-01-01T00:00:00Z");
        assert_eq!(rfc3339(253_402_300_800), "@253402300800");
    }
}
