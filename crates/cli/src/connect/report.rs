//! What `selfsign connect` tells the user: the negotiated session and its chain, and one plain
//! line for each way a connection can fail.

use std::net::SocketAddr;

use rustls::{AlertDescription, ClientConnection};
use selfsign_core::CertInfo;
use serde_json::json;

use super::{verify, ConnectArgs};

/// One line for a rustls error, in terms of the certificate when it is about the certificate.
pub fn explain_tls(error: &rustls::Error, chain: &[CertInfo], asked: &str) -> String {
    use rustls::Error as E;
    match error {
        E::InvalidCertificate(e) => verify::explain(e, chain, asked),
        E::AlertReceived(alert) => explain_alert(*alert),
        E::InvalidMessage(_) | E::InappropriateMessage { .. } => format!(
            "the server did not answer with valid TLS ({error}); is this a plain-text port?"
        ),
        E::NoApplicationProtocol => {
            "the server chose an ALPN protocol we did not offer (or none at all)".into()
        }
        E::PeerIncompatible(why) => format!("the server is incompatible: {why:?}"),
        other => other.to_string(),
    }
}

fn explain_alert(alert: AlertDescription) -> String {
    match alert {
        AlertDescription::CertificateRequired => {
            "the server requires a client certificate: pass --client-cert FILE --client-key FILE"
                .into()
        }
        AlertDescription::UnknownCA => "the server does not trust the issuer of our client \
                                        certificate (alert unknown_ca)"
            .into(),
        AlertDescription::BadCertificate
        | AlertDescription::CertificateUnknown
        | AlertDescription::UnsupportedCertificate
        | AlertDescription::CertificateExpired => {
            format!("the server rejected our client certificate (alert {alert:?})")
        }
        AlertDescription::HandshakeFailure => "the server aborted the handshake (alert \
                                               handshake_failure): no shared protocol version or \
                                               cipher suite, or it requires a client certificate"
            .into(),
        AlertDescription::NoApplicationProtocol => {
            "the server speaks none of the ALPN protocols offered (--alpn)".into()
        }
        AlertDescription::ProtocolVersion => {
            "the server speaks neither TLS 1.2 nor TLS 1.3 (alert protocol_version)".into()
        }
        AlertDescription::UnrecognisedName => {
            "the server has no certificate for that name (alert unrecognized_name); try \
             --servername"
                .into()
        }
        other => format!("the server aborted the connection with alert {other:?}"),
    }
}

/// What the handshake produced, for printing.
pub struct Session {
    /// HOST:PORT as asked.
    pub address: String,
    /// The address actually connected to.
    pub peer: SocketAddr,
    /// The name verified (SNI).
    pub server_name: String,
    /// What the verifier trusted (the --ca files, system roots).
    pub trusting: String,
    /// The chain the server sent, decoded.
    pub chain: Vec<CertInfo>,
    /// Whether --insecure skipped verification.
    pub insecure: bool,
    /// With --insecure: why verification would have failed.
    pub would_fail: Option<String>,
}

impl Session {
    fn negotiated(conn: &ClientConnection) -> (Option<String>, Option<String>, Option<String>) {
        let version = conn.protocol_version().map(|v| match v {
            rustls::ProtocolVersion::TLSv1_3 => "TLSv1.3".to_string(),
            rustls::ProtocolVersion::TLSv1_2 => "TLSv1.2".to_string(),
            other => format!("{other:?}"),
        });
        let suite = conn
            .negotiated_cipher_suite()
            .map(|s| format!("{:?}", s.suite()));
        let alpn = conn
            .alpn_protocol()
            .map(|p| String::from_utf8_lossy(p).into_owned());
        (version, suite, alpn)
    }

    /// The `--json` document (with `error` when the connection failed).
    pub fn json(&self, conn: &ClientConnection, error: Option<&str>) -> serde_json::Value {
        let (version, suite, alpn) = Session::negotiated(conn);
        json!({
            "address": self.address,
            "peer": self.peer.to_string(),
            "server_name": self.server_name,
            "connected": error.is_none(),
            "error": error,
            "protocol_version": version,
            "cipher_suite": suite,
            "alpn": alpn,
            "verified": error.is_none() && !self.insecure,
            "insecure": self.insecure,
            "would_fail": self.would_fail,
            "trusting": self.trusting,
            "chain": self.chain,
        })
    }

    /// The human report printed on standard error.
    pub fn text(&self, conn: &ClientConnection, args: &ConnectArgs) -> String {
        let (version, suite, alpn) = Session::negotiated(conn);
        let unknown = || "unknown".to_string();
        let verified = if self.insecure {
            match &self.would_fail {
                Some(why) => format!("NO (--insecure); verification would have failed: {why}"),
                None => "NO (--insecure), though it would have passed".into(),
            }
        } else {
            format!("yes, as {:?}, trusting {}", self.server_name, self.trusting)
        };
        let mut out = String::new();
        if self.insecure {
            out.push_str("WARNING: --insecure: the server's certificate is NOT verified\n");
        }
        out.push_str(&format!("Connected to {} ({})\n", self.address, self.peer));
        out.push_str(&format!(
            "  Protocol:      {}\n",
            version.unwrap_or_else(unknown)
        ));
        out.push_str(&format!(
            "  Cipher suite:  {}\n",
            suite.unwrap_or_else(unknown)
        ));
        let alpn = alpn.unwrap_or_else(|| match args.alpn.is_empty() {
            true => "none offered".into(),
            false => "none agreed".into(),
        });
        out.push_str(&format!("  ALPN:          {alpn}\n"));
        out.push_str(&format!("  Verified:      {verified}\n"));
        if args.client_cert.is_some() {
            out.push_str("  Client cert:   offered\n");
        }
        out.push_str(&self.chain_text());
        out.push_str("---\n");
        out
    }

    /// The decoded chain, one block per certificate.
    pub fn chain_text(&self) -> String {
        let mut out = format!("Server certificate chain ({} sent):\n", self.chain.len());
        for (i, c) in self.chain.iter().enumerate() {
            let names = if c.subject_alt_names.is_empty() {
                "(none)".to_string()
            } else {
                c.subject_alt_names.join(", ")
            };
            let left = if let Some(ago) = c.expired_ago(selfsign_core::UnixTime::now()) {
                format!("EXPIRED {ago}")
            } else if !c.valid_now {
                "NOT YET VALID".to_string()
            } else {
                format!("{} days left", c.days_left)
            };
            out.push_str(&format!("  {i} subject:  {}\n", c.subject));
            out.push_str(&format!("    names:    {names}\n"));
            out.push_str(&format!("    issuer:   {}\n", c.issuer));
            out.push_str(&format!(
                "    valid:    {} to {} ({left})\n",
                c.not_before_rfc3339, c.not_after_rfc3339
            ));
            out.push_str(&format!(
                "    key:      {} ({} bits), {}\n",
                c.key_algorithm, c.key_bits, c.signature_algorithm
            ));
            out.push_str(&format!("    sha256:   {}\n", c.sha256_fingerprint));
        }
        out
    }
}
