//! CA import: a PEM certificate (with optional parents) and a PEM key, then issuing under it.

use selfsign_core::{Ca, KeyPair, LeafOptions};

/// Splits the bytes at the first NUL into certificate PEM and key PEM (without a NUL the same
/// text serves as both, like a combined `ca.pem`), imports the CA and issues a leaf under it.
/// Returns whether the CA was imported.
pub fn import(data: &[u8]) -> bool {
    let (cert, key) = match data.iter().position(|&b| b == 0) {
        Some(i) => (&data[..i], &data[i + 1..]),
        None => (data, data),
    };
    let _ = KeyPair::from_der(key);
    let (cert, key) = (String::from_utf8_lossy(cert), String::from_utf8_lossy(key));
    let _ = KeyPair::from_pem(&key);
    let Ok(ca) = Ca::from_pem(&cert, &key) else {
        return false;
    };
    let _ = ca.chain_pem();
    if let Ok(issued) = ca.issue(&LeafOptions::new(["localhost"]), crate::now()) {
        let info = issued
            .certificate
            .inspect(crate::now())
            .expect("issued leaf inspects");
        let ca_info = ca.certificate().inspect(crate::now()).expect("CA inspects");
        assert_eq!(info.issuer, ca_info.subject);
    }
    true
}
