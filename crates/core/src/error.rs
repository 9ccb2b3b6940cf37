//! The one error type of the core: every variant says what the caller must fix.

use alloc::string::String;

/// Everything that can go wrong while making, loading or reading certificates.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// No names were given, but a certificate needs at least one.
    #[error("no names given: pass at least one DNS name, IP address, email address or URI")]
    NoNames,

    /// A name could not be used as a subject alternative name.
    #[error("invalid name {input:?}: {reason}")]
    InvalidName {
        /// The name as the user typed it.
        input: String,
        /// Why it was rejected.
        reason: &'static str,
    },

    /// A name-constraint entry is neither a DNS name nor an IP address/CIDR range.
    #[error("invalid name constraint {input:?}: {reason}")]
    InvalidConstraint {
        /// The constraint as the user typed it.
        input: String,
        /// Why it was rejected.
        reason: &'static str,
    },

    /// An IP range constraint has bits set after its prefix length.
    #[error("invalid name constraint {input:?}: the address has bits set after the prefix; write the network as {network}")]
    ConstraintHostBits {
        /// The constraint as the user typed it.
        input: String,
        /// The network the user probably meant, e.g. `10.0.0.0/8`.
        network: String,
    },

    /// A leaf name falls outside the issuing CA's name constraints.
    #[error("name {name:?} is outside the name constraints of the CA; it may only issue for: {permitted}")]
    OutsideNameConstraints {
        /// The offending name.
        name: String,
        /// The CA's permitted subtrees, comma separated.
        permitted: String,
    },

    /// A subject attribute is longer than X.520 allows.
    #[error(
        "the {field} is {length} characters long; certificates allow at most {max}: shorten it"
    )]
    SubjectTooLong {
        /// Which attribute, e.g. "common name".
        field: &'static str,
        /// Its length in characters.
        length: usize,
        /// The upper bound.
        max: usize,
    },

    /// The validity period is empty, reversed or out of range.
    #[error("invalid validity: {0}")]
    InvalidValidity(&'static str),

    /// The certificate would be valid after its issuer expires.
    #[error("the certificate would expire on {leaf_not_after}, after its issuer does ({issuer_not_after}); choose a shorter validity or renew the CA")]
    OutlivesIssuer {
        /// Requested expiry (RFC 3339).
        leaf_not_after: String,
        /// Issuer's expiry (RFC 3339).
        issuer_not_after: String,
    },

    /// The issuer is not valid at the requested time.
    #[error(
        "the CA is not valid at the issuance time (it is valid from {not_before} to {not_after})"
    )]
    IssuerNotValid {
        /// Issuer's notBefore (RFC 3339).
        not_before: String,
        /// Issuer's notAfter (RFC 3339).
        not_after: String,
    },

    /// The requested key algorithm cannot be generated here.
    #[error("cannot generate {0} keys: choose p256, p384, ed25519, rsa2048, rsa3072 or rsa4096")]
    UnsupportedKeyGeneration(&'static str),

    /// A key algorithm name was not recognised.
    #[error(
        "unknown key algorithm {0:?}: choose p256, p384, ed25519, rsa2048, rsa3072 or rsa4096"
    )]
    UnknownKeyAlgorithm(String),

    /// A usage name was not recognised.
    #[error("unknown usage {0:?}: choose server, client or both")]
    UnknownUsage(String),

    /// Private key input could not be used.
    #[error("invalid private key: {0}")]
    InvalidKey(String),

    /// Public key input could not be used.
    #[error("invalid public key: {0}")]
    InvalidPublicKey(String),

    /// Certificate input could not be parsed.
    #[error("invalid certificate: {0}")]
    InvalidCertificate(String),

    /// PEM input was malformed or held nothing of the expected kind.
    #[error("invalid PEM: {0}")]
    InvalidPem(String),

    /// The input is a different kind of object than the one asked for (e.g. a key given where a
    /// certificate is expected).
    #[error("this is {found}, not {expected}")]
    WrongKind {
        /// What the input holds, e.g. "a private key".
        found: &'static str,
        /// What was expected, e.g. "a certificate".
        expected: &'static str,
    },

    /// The input held no certificate at all.
    #[error("no certificate found: expected PEM (-----BEGIN CERTIFICATE-----) or DER")]
    NoCertificate,

    /// The certificate and the key given as a CA do not belong together.
    #[error("the private key does not match the CA certificate's public key")]
    KeyMismatch,

    /// A certificate given as a CA cannot act as one.
    #[error("not usable as a CA: {0}")]
    NotACa(&'static str),

    /// The CA's path length forbids issuing another CA below it.
    #[error("the CA has pathLenConstraint 0, so it cannot issue an intermediate CA")]
    PathLenExceeded,

    /// A certificate signing request was malformed or asked for something we do not sign.
    #[error("invalid CSR: {0}")]
    InvalidCsr(String),

    /// A signature made outside the core (e.g. by WebCrypto) has the wrong form.
    #[error("invalid signature: {0}")]
    InvalidSignature(String),

    /// A WebTransport certificate was asked for with a key other than P-256.
    #[error("serverCertificateHashes accepts only ECDSA P-256 certificates: choose p256")]
    WebTransportKey,

    /// A WebTransport certificate was asked for with a validity over 14 days.
    #[error("serverCertificateHashes accepts certificates valid for at most 14 days")]
    WebTransportValidity,

    /// Name constraints were asked for from names that no constraint can permit (only URIs).
    #[error("a name-constrained CA needs at least one DNS name or IP address to permit")]
    NothingToConstrain,

    /// The underlying certificate library refused the request.
    #[error("certificate generation failed: {0}")]
    Generation(String),
}

impl From<rcgen::Error> for Error {
    fn from(e: rcgen::Error) -> Self {
        use alloc::string::ToString;
        Error::Generation(e.to_string())
    }
}
