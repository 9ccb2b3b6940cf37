//! Shared helpers for the core's behaviour tests.
#![allow(dead_code)]

use std::time::Duration;

use selfsign_core::{Ca, CaOptions, CertInfo, Certificate, UnixTime};

/// A fixed instant (2026-01-01T00:00:00Z) so tests never depend on the clock.
pub fn now() -> UnixTime {
    UnixTime::since_unix_epoch(Duration::from_secs(1_767_225_600))
}

/// `now()` plus whole days.
pub fn days_later(days: u64) -> UnixTime {
    UnixTime::since_unix_epoch(Duration::from_secs(now().as_secs() + days * 86_400))
}

/// A fresh root CA with default options.
pub fn root() -> Ca {
    Ca::new_root(&CaOptions::default(), now()).expect("root CA")
}

/// Decodes a certificate at `now()`.
pub fn info(cert: &Certificate) -> CertInfo {
    cert.inspect(now()).expect("inspect")
}
