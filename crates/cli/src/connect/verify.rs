//! Server certificate verification that remembers what the server sent, so a failure can be
//! explained in terms of the certificate itself (its dates, names and issuer).

use std::sync::{Arc, Mutex, PoisonError};

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::WebPkiServerVerifier;
use rustls::crypto::CryptoProvider;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{CertificateError, DigitallySignedStruct, SignatureScheme};
use selfsign_core::{CertInfo, Certificate};

/// Wraps WebPKI verification (absent with `--insecure` and no roots), recording the chain.
#[derive(Debug)]
pub struct Recorder {
    inner: Option<Arc<WebPkiServerVerifier>>,
    insecure: bool,
    provider: Arc<CryptoProvider>,
    seen: Mutex<Seen>,
}

/// What the verifier saw during the handshake.
#[derive(Debug, Default, Clone)]
pub struct Seen {
    /// The server's certificates, leaf first.
    pub chain: Vec<CertificateDer<'static>>,
    /// With `--insecure`: why verification would have failed.
    pub would_fail: Option<rustls::Error>,
}

impl Recorder {
    /// Verifies against `inner`; with `insecure`, accepts any chain but still checks the
    /// handshake signatures (so the peer holds the key of the certificate it showed).
    pub fn new(
        inner: Option<Arc<WebPkiServerVerifier>>,
        insecure: bool,
        provider: Arc<CryptoProvider>,
    ) -> Recorder {
        Recorder {
            inner,
            insecure,
            provider,
            seen: Mutex::new(Seen::default()),
        }
    }

    /// A copy of what was seen so far.
    pub fn seen(&self) -> Seen {
        self.seen
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

impl ServerCertVerifier for Recorder {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let result = match &self.inner {
            Some(inner) => {
                inner.verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now)
            }
            None => Err(rustls::Error::InvalidCertificate(
                CertificateError::UnknownIssuer,
            )),
        };
        let mut seen = self.seen.lock().unwrap_or_else(PoisonError::into_inner);
        seen.chain = std::iter::once(end_entity)
            .chain(intermediates)
            .map(|c| c.clone().into_owned())
            .collect();
        if self.insecure {
            seen.would_fail = result.err();
            return Ok(ServerCertVerified::assertion());
        }
        result
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}

/// Decodes the recorded chain with the core's inspect (certificates that fail to parse are
/// skipped: the TLS error already says so).
pub fn inspect_chain(chain: &[CertificateDer<'static>]) -> Vec<CertInfo> {
    let now = UnixTime::now();
    chain
        .iter()
        .filter_map(|der| Certificate::from_der(der.clone()).ok())
        .filter_map(|c| c.inspect(now).ok())
        .collect()
}

/// One line saying why the server's certificate was rejected, in terms of the certificate.
pub fn explain(error: &CertificateError, chain: &[CertInfo], asked: &str) -> String {
    let leaf = chain.first();
    let subject = |i: Option<&CertInfo>| i.map_or_else(|| "the certificate".into(), describe);
    match error {
        CertificateError::Expired | CertificateError::ExpiredContext { .. } => {
            let now = UnixTime::now().as_secs();
            let culprit = chain
                .iter()
                .find(|c| c.not_after < i64::try_from(now).unwrap_or(i64::MAX))
                .or(leaf);
            match culprit {
                Some(c) => format!(
                    "certificate expired: {} expired on {} ({})",
                    describe(c),
                    c.not_after_rfc3339,
                    c.expired_ago(UnixTime::now())
                        .unwrap_or_else(|| "just now".into())
                ),
                None => "certificate expired".into(),
            }
        }
        CertificateError::NotValidYet | CertificateError::NotValidYetContext { .. } => {
            let now = i64::try_from(UnixTime::now().as_secs()).unwrap_or(i64::MAX);
            let culprit = chain.iter().find(|c| c.not_before > now).or(leaf);
            match culprit {
                Some(c) => format!(
                    "certificate not yet valid: {} is valid only from {} (check this machine's \
                     clock)",
                    describe(c),
                    c.not_before_rfc3339
                ),
                None => "certificate not yet valid".into(),
            }
        }
        CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. }
            if leaf.is_some_and(|l| l.subject_alt_names.is_empty()) =>
        {
            format!(
                "no subjectAltName: {} names its host only in the subject common name, which \
                 clients ignore; issue a certificate with the name as a SAN",
                subject(leaf)
            )
        }
        CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. } => {
            let names = match (leaf, error) {
                (Some(l), _) if !l.subject_alt_names.is_empty() => l.subject_alt_names.join(", "),
                (_, CertificateError::NotValidForNameContext { presented, .. }) => {
                    presented.join(", ")
                }
                _ => "no subject alternative names".into(),
            };
            format!(
                "name mismatch: the certificate is not valid for {asked:?}; it covers only \
                 {names} (connect to one of those, or pass --servername NAME)"
            )
        }
        CertificateError::UnknownIssuer => unknown_issuer(chain),
        CertificateError::BadSignature => format!(
            "bad signature: a signature in the chain of {} does not verify (was it issued by a \
             different CA with the same name as the one passed with --ca?)",
            subject(leaf)
        ),
        CertificateError::InvalidPurpose | CertificateError::InvalidPurposeContext { .. } => {
            let ekus = leaf.map_or_else(String::new, |l| l.extended_key_usage.join(", "));
            format!(
                "wrong purpose: {} is not for TLS servers (extended key usage: {}); issue a \
                 server certificate",
                subject(leaf),
                if ekus.is_empty() { "none" } else { &ekus }
            )
        }
        CertificateError::Revoked => format!("certificate revoked: {}", subject(leaf)),
        CertificateError::BadEncoding => {
            "the server sent a certificate that is not valid DER".into()
        }
        CertificateError::UnhandledCriticalExtension => format!(
            "{} has a critical extension this client does not understand",
            subject(leaf)
        ),
        CertificateError::Other(other) => explain_other(&format!("{other:?}"), chain, asked)
            .unwrap_or_else(|| format!("certificate rejected: {error}")),
        other => format!("certificate rejected: {other}"),
    }
}

/// The WebPKI failures rustls passes on without a variant of their own, by name.
fn explain_other(debug: &str, chain: &[CertInfo], asked: &str) -> Option<String> {
    let leaf = chain.first();
    let label = leaf.map_or_else(|| "the certificate".into(), describe);
    if debug.contains("CaUsedAsEndEntity") {
        return Some(format!(
            "CA certificate used as a server certificate: {label} has basicConstraints CA:TRUE; \
             a server needs an end-entity (CA:FALSE) certificate"
        ));
    }
    if debug.contains("NameConstraintViolation") {
        let issuer = leaf.map_or_else(String::new, |l| format!(" {:?}", l.issuer));
        return Some(format!(
            "name constraints violated: {asked:?} is outside the names the issuing CA{issuer} \
             may issue for"
        ));
    }
    if debug.contains("PathLenConstraintViolated") || debug.contains("MaximumPathDepthExceeded") {
        return Some(format!(
            "path too long: the {} certificates sent exceed a CA's pathLenConstraint or the \
             verifier's depth limit",
            chain.len()
        ));
    }
    None
}

/// Why no path to a trust anchor was found: a self-signed server certificate, a chain ending at a
/// root that is not trusted, or a chain whose top issuer is neither sent nor trusted.
fn unknown_issuer(chain: &[CertInfo]) -> String {
    let Some(top) = chain.last() else {
        return "unknown CA: the server sent no certificate we could read".into();
    };
    let hint = "pass --ca FILE with the CA certificate that issued it (selfsign's own CA: \
                --ca \"$(selfsign ca path)\")";
    if chain.len() == 1 && top.self_signed {
        return format!(
            "unknown CA: the server's certificate ({}) is self-signed and not trusted; pass \
             --ca FILE with that certificate itself",
            describe(top)
        );
    }
    if top.self_signed {
        return format!(
            "untrusted root: the chain ends at the root CA {}, which is not among the trusted \
             roots; pass --ca FILE with that root only if you mean to trust it",
            describe(top)
        );
    }
    let sent = if chain.len() == 1 {
        "the server sent only its own certificate".to_string()
    } else {
        format!(
            "the last of the {} certificates the server sent ({})",
            chain.len(),
            describe(top)
        )
    };
    format!(
        "unknown CA or incomplete chain: {sent}, and its issuer {:?} is not a trust anchor and \
         was not sent; if that issuer is an intermediate CA, the server must send its chain (its \
         certificate followed by the intermediates, as in fullchain.pem); if it is a root, {hint}",
        top.issuer
    )
}

/// `CN=localhost` style label for a certificate.
pub fn describe(info: &CertInfo) -> String {
    match &info.common_name {
        Some(cn) => format!("{cn:?}"),
        None => format!("{:?}", info.subject),
    }
}
