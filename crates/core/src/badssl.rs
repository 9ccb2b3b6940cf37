//! A local badssl: the deliberately broken TLS endpoints `selfsign serve --badssl` answers on,
//! what a correct client must do with each, and (in `build`) their certificates, made from the
//! local CA at `now`.

mod build;

use alloc::string::String;

pub use build::{build, Badssl, BadsslOptions, ClientCerts, Endpoint, TlsVersions};

/// One endpoint: a certificate, chain or TLS setting a client must accept or refuse.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Variant {
    /// A valid certificate from the local CA: the control.
    Good,
    /// Its validity ended yesterday.
    Expired,
    /// Its validity starts tomorrow.
    NotYetValid,
    /// Valid, but for another host name.
    WrongHost,
    /// Self-signed rather than issued by a CA.
    SelfSigned,
    /// Issued by a CA that nobody trusts (made at start, kept in memory).
    UntrustedRoot,
    /// Issued by an intermediate that the server does not send.
    IncompleteChain,
    /// Issued by an intermediate whose name constraints exclude the host.
    NameConstraintViolation,
    /// On the local CA's CRL, served over HTTP at the certificate's distribution point.
    Revoked,
    /// Extended key usage clientAuth only.
    WrongEku,
    /// basicConstraints CA:TRUE on the server certificate.
    CaAsLeaf,
    /// The host only in the subject common name, no subjectAltName.
    NoSan,
    /// 1,000 subject alternative names.
    ManySans,
    /// Five intermediates between the leaf and the local CA.
    LongChain,
    /// An ECDSA P-384 key.
    P384,
    /// An Ed25519 key.
    Ed25519,
    /// An RSA 2048-bit key.
    Rsa2048,
    /// An RSA 4096-bit key.
    Rsa4096,
    /// The server speaks TLS 1.2 only.
    Tls12Only,
    /// The server speaks TLS 1.3 only.
    Tls13Only,
    /// The server refuses clients without a certificate from the local CA.
    ClientCertRequired,
    /// The server asks for a client certificate and reports what it received.
    ClientCertOptional,
}

/// Whether a correct client completes the handshake and trusts the server.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// The connection succeeds.
    Accept,
    /// The client refuses the server (or the server the client).
    Refuse,
}

/// What a correct client must do with an endpoint, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Expectation {
    /// Accept or refuse.
    pub outcome: Outcome,
    /// The failure to report when refusing, in a few words; empty when accepting.
    pub reason: &'static str,
    /// Where real clients differ from the strict answer (browsers, OpenSSL), if anywhere.
    pub note: &'static str,
}

impl Variant {
    /// Every variant, in the order they are listed.
    pub const ALL: [Variant; 22] = [
        Variant::Good,
        Variant::Expired,
        Variant::NotYetValid,
        Variant::WrongHost,
        Variant::SelfSigned,
        Variant::UntrustedRoot,
        Variant::IncompleteChain,
        Variant::NameConstraintViolation,
        Variant::Revoked,
        Variant::WrongEku,
        Variant::CaAsLeaf,
        Variant::NoSan,
        Variant::ManySans,
        Variant::LongChain,
        Variant::P384,
        Variant::Ed25519,
        Variant::Rsa2048,
        Variant::Rsa4096,
        Variant::Tls12Only,
        Variant::Tls13Only,
        Variant::ClientCertRequired,
        Variant::ClientCertOptional,
    ];

    /// The variant's label: the first label of its host name, e.g. `expired`.
    pub fn name(self) -> &'static str {
        match self {
            Variant::Good => "good",
            Variant::Expired => "expired",
            Variant::NotYetValid => "not-yet-valid",
            Variant::WrongHost => "wrong-host",
            Variant::SelfSigned => "self-signed",
            Variant::UntrustedRoot => "untrusted-root",
            Variant::IncompleteChain => "incomplete-chain",
            Variant::NameConstraintViolation => "name-constraint-violation",
            Variant::Revoked => "revoked",
            Variant::WrongEku => "wrong-eku",
            Variant::CaAsLeaf => "ca-as-leaf",
            Variant::NoSan => "no-san",
            Variant::ManySans => "many-sans",
            Variant::LongChain => "long-chain",
            Variant::P384 => "p384",
            Variant::Ed25519 => "ed25519",
            Variant::Rsa2048 => "rsa2048",
            Variant::Rsa4096 => "rsa4096",
            Variant::Tls12Only => "tls12-only",
            Variant::Tls13Only => "tls13-only",
            Variant::ClientCertRequired => "client-cert-required",
            Variant::ClientCertOptional => "client-cert-optional",
        }
    }

    /// The variant named `label` (the first label of a host name), if any.
    pub fn from_name(label: &str) -> Option<Variant> {
        Variant::ALL
            .into_iter()
            .find(|v| v.name().eq_ignore_ascii_case(label))
    }

    /// What the endpoint serves, in one sentence.
    pub fn description(self) -> &'static str {
        match self {
            Variant::Good => "a valid certificate from the local CA (the control)",
            Variant::Expired => "a certificate whose validity ended yesterday",
            Variant::NotYetValid => "a certificate whose validity starts tomorrow",
            Variant::WrongHost => "a valid certificate for another host name",
            Variant::SelfSigned => "a self-signed certificate",
            Variant::UntrustedRoot => "a certificate from a CA nobody trusts, sent with that root",
            Variant::IncompleteChain => {
                "a certificate from an intermediate CA that the server does not send"
            }
            Variant::NameConstraintViolation => {
                "a certificate from an intermediate whose name constraints exclude this host"
            }
            Variant::Revoked => "a certificate listed on the local CA's CRL",
            Variant::WrongEku => "a certificate for client authentication only (EKU clientAuth)",
            Variant::CaAsLeaf => "a CA certificate (CA:TRUE) as the server certificate",
            Variant::NoSan => "the host name in the common name only, no subjectAltName",
            Variant::ManySans => "a certificate with 1,000 subject alternative names",
            Variant::LongChain => "five intermediate CAs between the certificate and the local CA",
            Variant::P384 => "an ECDSA P-384 key",
            Variant::Ed25519 => "an Ed25519 key",
            Variant::Rsa2048 => "an RSA 2048-bit key",
            Variant::Rsa4096 => "an RSA 4096-bit key",
            Variant::Tls12Only => "a server that speaks TLS 1.2 only",
            Variant::Tls13Only => "a server that speaks TLS 1.3 only",
            Variant::ClientCertRequired => {
                "a server that refuses clients without a certificate from the local CA"
            }
            Variant::ClientCertOptional => {
                "a server that asks for a client certificate and reports what it received"
            }
        }
    }

    /// What a correct client trusting the local CA (and no other) must do. `ca_path_len` is the
    /// local CA's pathLenConstraint, which decides whether `long-chain` is acceptable.
    pub fn expectation(self, ca_path_len: Option<u32>) -> Expectation {
        let refuse = |reason, note| Expectation {
            outcome: Outcome::Refuse,
            reason,
            note,
        };
        let accept = |note| Expectation {
            outcome: Outcome::Accept,
            reason: "",
            note,
        };
        match self {
            Variant::Good | Variant::ManySans | Variant::P384 | Variant::Rsa2048 => accept(""),
            Variant::Rsa4096 => accept(""),
            Variant::Ed25519 => accept("browsers do not support Ed25519 server certificates"),
            Variant::Tls12Only => accept("refused by clients that require TLS 1.3"),
            Variant::Tls13Only => accept("refused by clients limited to TLS 1.2"),
            Variant::ClientCertOptional => accept("the answer says which certificate it received"),
            Variant::LongChain if ca_path_len.is_none_or(|n| n >= 5) => accept(""),
            Variant::LongChain => refuse(
                "path length constraint exceeded",
                "the local CA allows fewer intermediates (pathLenConstraint) than the five here; \
                 rustls (webpki) does not enforce pathLenConstraint and accepts it",
            ),
            Variant::Expired => refuse("certificate has expired", ""),
            Variant::NotYetValid => refuse("certificate is not yet valid", ""),
            Variant::WrongHost => refuse("certificate is for another host name", ""),
            Variant::SelfSigned => refuse("self-signed certificate", ""),
            Variant::UntrustedRoot => {
                refuse("the chain ends at a root CA the client does not trust", "")
            }
            Variant::IncompleteChain => refuse(
                "issuer certificate missing: the server did not send the intermediate",
                "clients that fetch missing intermediates (AIA) or cached it elsewhere may accept",
            ),
            Variant::NameConstraintViolation => {
                refuse("host name outside the issuing CA's name constraints", "")
            }
            Variant::Revoked => refuse(
                "certificate revoked",
                "only clients that check the CRL refuse it; browsers and curl do not by default",
            ),
            Variant::WrongEku => refuse(
                "certificate is not for server authentication (extended key usage)",
                "",
            ),
            Variant::CaAsLeaf => refuse(
                "CA certificate used as a server certificate",
                "OpenSSL-based clients (curl, Python, Node) and Chromium accept it; rustls refuses",
            ),
            Variant::NoSan => refuse(
                "no subjectAltName: the host name is only in the common name",
                "OpenSSL-based clients (curl, Python, Node) fall back to the common name",
            ),
            Variant::ClientCertRequired => refuse(
                "the server requires a client certificate",
                "clients that present one from the local CA are accepted",
            ),
        }
    }

    /// The host this variant answers on under `suffix`, e.g. `expired.badssl.localhost`.
    pub fn host(self, suffix: &str) -> String {
        let mut host = String::from(self.name());
        host.push('.');
        host.push_str(suffix.trim_end_matches('.'));
        host
    }
}
