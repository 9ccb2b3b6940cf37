//! CSR import (PEM or DER) and issuance of a leaf for it under a CA.

use std::sync::OnceLock;

use selfsign_core::{Ca, CaOptions, Csr, CsrOptions};

/// The CA every CSR is signed by: made once per process, unconstrained.
pub fn ca() -> &'static Ca {
    static CA: OnceLock<Ca> = OnceLock::new();
    CA.get_or_init(|| Ca::new_root(&CaOptions::default(), crate::now()).expect("a root CA"))
}

/// Parses the bytes as a CSR and, if it parses, signs it; what gets signed must inspect.
/// Returns whether a certificate was issued.
pub fn sign(data: &[u8]) -> bool {
    let Ok(csr) = Csr::parse(data) else {
        return false;
    };
    let _ = csr.names();
    let _ = csr.key_algorithm();
    let _ = csr.pem();
    let Ok(cert) = ca().sign_csr(&csr, &CsrOptions::default(), crate::now()) else {
        return false;
    };
    let info = cert
        .inspect(crate::now())
        .expect("an issued certificate inspects");
    assert!(!info.is_ca, "a CSR must never yield a CA certificate");
    true
}
