//! What the server remembers across restarts: accounts, orders, authorizations and issued
//! certificates, serialised as JSON for the caller to write atomically.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::jws::Jwk;
use crate::Error;

/// Everything the ACME server keeps; opaque except as JSON.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct State {
    #[serde(default)]
    pub(crate) accounts: BTreeMap<String, Account>,
    #[serde(default)]
    pub(crate) orders: BTreeMap<String, Order>,
    #[serde(default)]
    pub(crate) authzs: BTreeMap<String, Authz>,
    #[serde(default)]
    pub(crate) certs: BTreeMap<String, Cert>,
    /// The number of the last CRL change (RFC 5280 cRLNumber).
    #[serde(default)]
    pub(crate) crl_number: u64,
}

impl State {
    /// Reads state written by [`State::to_json`].
    pub fn from_json(bytes: &[u8]) -> Result<State, Error> {
        serde_json::from_slice(bytes).map_err(Error::State)
    }

    /// The state as JSON.
    pub fn to_json(&self) -> Vec<u8> {
        serde_json::to_vec(self).unwrap_or_default()
    }

    /// How many accounts there are.
    pub fn account_count(&self) -> usize {
        self.accounts.len()
    }

    /// The serial numbers (lower-case hex) of every certificate issued.
    pub fn issued_serials(&self) -> Vec<String> {
        self.certs.values().map(|c| c.serial.clone()).collect()
    }

    /// The serial numbers (lower-case hex) of revoked certificates.
    pub fn revoked_serials(&self) -> Vec<String> {
        let revoked = self.certs.values().filter(|c| c.revoked.is_some());
        revoked.map(|c| c.serial.clone()).collect()
    }
}

/// An account: its key and status.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Account {
    pub key: Jwk,
    pub thumbprint: String,
    pub deactivated: bool,
    #[serde(default)]
    pub contact: Vec<String>,
}

/// An order's status (RFC 8555 §7.1.6).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum OrderStatus {
    Pending,
    Ready,
    Valid,
    Invalid,
}

/// An order for a set of DNS names.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Order {
    pub account: String,
    pub status: OrderStatus,
    pub names: Vec<String>,
    pub authzs: Vec<String>,
    pub expires: u64,
    #[serde(default)]
    pub not_before: Option<u64>,
    #[serde(default)]
    pub not_after: Option<u64>,
    #[serde(default)]
    pub cert: Option<String>,
    #[serde(default)]
    pub error: Option<String>,
}

/// An authorization's or challenge's status (RFC 8555 §7.1.6).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum Status {
    Pending,
    Processing,
    Valid,
    Invalid,
    Deactivated,
}

/// Why a challenge failed, as RFC 8555 §6.7 types it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum FailureKind {
    /// The target answered, but not what the challenge requires.
    #[default]
    IncorrectResponse,
    /// The target could not be connected to, or did not answer in time.
    Connection,
    /// The TLS handshake with the target failed (tls-alpn-01).
    Tls,
    /// The name could not be resolved.
    Dns,
    /// The server could not check the challenge (too many at once).
    ServerInternal,
}

impl FailureKind {
    /// The error type after `urn:ietf:params:acme:error:`.
    pub fn name(self) -> &'static str {
        match self {
            FailureKind::IncorrectResponse => "incorrectResponse",
            FailureKind::Connection => "connection",
            FailureKind::Tls => "tls",
            FailureKind::Dns => "dns",
            FailureKind::ServerInternal => "serverInternal",
        }
    }
}

/// A failed challenge: its type, and what the target did, for the client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChallengeFailure {
    /// The RFC 8555 error type.
    pub kind: FailureKind,
    /// What went wrong, for a person.
    pub detail: String,
}

impl ChallengeFailure {
    /// A failure of `kind` described by `detail`.
    pub fn new(kind: FailureKind, detail: impl Into<String>) -> ChallengeFailure {
        ChallengeFailure {
            kind,
            detail: detail.into(),
        }
    }
}

/// A challenge type this server validates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ChallengeKind {
    /// RFC 8555 §8.3: an HTTP GET of `/.well-known/acme-challenge/TOKEN` at the name.
    #[serde(rename = "http-01")]
    Http01,
    /// RFC 8737: a TLS handshake with ALPN `acme-tls/1` at the name, answered with a
    /// certificate carrying the key authorization's digest.
    #[serde(rename = "tls-alpn-01")]
    TlsAlpn01,
}

impl ChallengeKind {
    /// The challenge's `type` as ACME names it.
    pub fn name(self) -> &'static str {
        match self {
            ChallengeKind::Http01 => "http-01",
            ChallengeKind::TlsAlpn01 => "tls-alpn-01",
        }
    }
}

/// Proof of control of one DNS name for one account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Authz {
    pub account: String,
    pub name: String,
    pub status: Status,
    pub expires: u64,
    pub challenges: Vec<Challenge>,
}

/// One way to prove control of a name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Challenge {
    pub kind: ChallengeKind,
    pub token: String,
    pub status: Status,
    #[serde(default)]
    pub validated: Option<u64>,
    #[serde(default)]
    pub error: Option<String>,
    /// The type of `error` (state saved before types were kept reads as incorrectResponse).
    #[serde(default)]
    pub error_kind: FailureKind,
}

/// A certificate this server issued.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Cert {
    pub account: String,
    /// Lower-case hex of the serial number's DER content bytes.
    pub serial: String,
    /// The certificate, PEM (its issuers are the CA's chain, added when it is downloaded).
    pub pem: String,
    pub not_after: u64,
    #[serde(default)]
    pub revoked: Option<Revocation>,
}

/// When and why a certificate was revoked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Revocation {
    pub at: u64,
    pub reason: Option<u8>,
}

/// A challenge the caller must check over the network: fetch or handshake with `name`, then
/// report the outcome with [`Acme::finish_validation`](crate::Acme::finish_validation).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Validation {
    /// The authorization's id.
    pub authz: String,
    /// The challenge's index in the authorization.
    pub challenge: usize,
    /// http-01 or tls-alpn-01.
    pub kind: ChallengeKind,
    /// The DNS name to connect to.
    pub name: String,
    /// The challenge token.
    pub token: String,
    /// What the name must answer: `token.thumbprint` (http-01 body; tls-alpn-01 hashes it).
    pub key_authorization: String,
}
