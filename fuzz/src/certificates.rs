//! `inspect` on arbitrary bytes: the PEM path (anything holding `-----BEGIN`) and the DER path.

use selfsign_core::{inspect as inspect_bytes, parse_certificates, Certificate};

/// Inspects the bytes as a certificate bundle; what parses must survive a PEM round trip.
/// Returns whether the input was accepted.
pub fn inspect(data: &[u8]) -> bool {
    let Ok(infos) = inspect_bytes(data, crate::now()) else {
        return false;
    };
    let certs = parse_certificates(data).expect("inspect succeeded, so parsing must too");
    assert_eq!(infos.len(), certs.len());
    for (cert, info) in certs.iter().zip(&infos) {
        let again = Certificate::from_pem(&cert.pem()).expect("our own PEM reads back");
        assert_eq!(&again, cert, "PEM round trip changed the certificate");
        let from_der = Certificate::from_der(cert.der().clone()).expect("our own DER reads back");
        assert_eq!(
            &from_der
                .inspect(crate::now())
                .expect("inspected once, inspects again"),
            info
        );
    }
    true
}
