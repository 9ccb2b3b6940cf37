//! RFC 8555 §6.7 problem documents: every error a client sees, typed
//! `urn:ietf:params:acme:error:*`.

use serde_json::json;

use crate::message::Response;
use crate::state::FailureKind;

/// An ACME error: its type (the part after `urn:ietf:params:acme:error:`), HTTP status and
/// a sentence for the user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// The error type, e.g. `badNonce`.
    pub kind: &'static str,
    /// The HTTP status.
    pub status: u16,
    /// What went wrong, for a person.
    pub detail: String,
    /// Extra header fields (e.g. the Location of a conflicting account).
    pub(crate) headers: Vec<(&'static str, String)>,
}

impl Problem {
    fn new(kind: &'static str, status: u16, detail: impl Into<String>) -> Problem {
        Problem {
            kind,
            status,
            detail: detail.into(),
            headers: Vec::new(),
        }
    }

    /// The request is malformed (400).
    pub(crate) fn malformed(detail: impl Into<String>) -> Problem {
        Problem::new("malformed", 400, detail)
    }

    /// Malformed with another status: 404, 405, 413, 415.
    pub(crate) fn malformed_status(status: u16, detail: impl Into<String>) -> Problem {
        Problem::new("malformed", status, detail)
    }

    /// The nonce is missing, unknown or already used.
    pub(crate) fn bad_nonce(detail: impl Into<String>) -> Problem {
        Problem::new("badNonce", 400, detail)
    }

    /// The JWS `alg` is not one this server verifies.
    pub(crate) fn bad_signature_algorithm(detail: impl Into<String>) -> Problem {
        Problem::new("badSignatureAlgorithm", 400, detail)
    }

    /// The account key is unacceptable.
    pub(crate) fn bad_public_key(detail: impl Into<String>) -> Problem {
        Problem::new("badPublicKey", 400, detail)
    }

    /// The client may not do this (403).
    pub(crate) fn unauthorized(detail: impl Into<String>) -> Problem {
        Problem::new("unauthorized", 403, detail)
    }

    /// The signing account is deactivated (RFC 8555 §7.3.6: 401).
    pub(crate) fn deactivated(detail: impl Into<String>) -> Problem {
        Problem::new("unauthorized", 401, detail)
    }

    /// The `kid` or key names no account.
    pub(crate) fn account_does_not_exist(detail: impl Into<String>) -> Problem {
        Problem::new("accountDoesNotExist", 400, detail)
    }

    /// The CSR is unacceptable.
    pub(crate) fn bad_csr(detail: impl Into<String>) -> Problem {
        Problem::new("badCSR", 400, detail)
    }

    /// The server will not issue for this identifier.
    pub(crate) fn rejected_identifier(detail: impl Into<String>) -> Problem {
        Problem::new("rejectedIdentifier", 400, detail)
    }

    /// The identifier type is not supported.
    pub(crate) fn unsupported_identifier(detail: impl Into<String>) -> Problem {
        Problem::new("unsupportedIdentifier", 400, detail)
    }

    /// The order is not ready to finalize (403).
    pub(crate) fn order_not_ready(detail: impl Into<String>) -> Problem {
        Problem::new("orderNotReady", 403, detail)
    }

    /// The certificate is already revoked.
    pub(crate) fn already_revoked(detail: impl Into<String>) -> Problem {
        Problem::new("alreadyRevoked", 400, detail)
    }

    /// The revocation reason is not allowed.
    pub(crate) fn bad_revocation_reason(detail: impl Into<String>) -> Problem {
        Problem::new("badRevocationReason", 400, detail)
    }

    /// Too many objects; try later (429).
    pub(crate) fn rate_limited(detail: impl Into<String>) -> Problem {
        Problem::new("rateLimited", 429, detail)
    }

    /// A challenge failed, typed by why: 403 for a wrong response, 500 when the server could not
    /// check, else 400 (the target could not be resolved, connected to or spoken TLS with).
    pub(crate) fn challenge_failed(kind: FailureKind, detail: impl Into<String>) -> Problem {
        let status = match kind {
            FailureKind::IncorrectResponse => 403,
            FailureKind::ServerInternal => 500,
            FailureKind::Connection | FailureKind::Tls | FailureKind::Dns => 400,
        };
        Problem::new(kind.name(), status, detail)
    }

    /// A contact is not a mailto: URL.
    pub(crate) fn invalid_contact(contact: &str) -> Problem {
        Problem::new(
            "invalidContact",
            400,
            format!("contact {contact:?} is not a mailto: address"),
        )
    }

    /// The server failed.
    pub(crate) fn server_internal(detail: impl Into<String>) -> Problem {
        Problem::new("serverInternal", 500, detail)
    }

    /// Adds a header field to the response.
    pub(crate) fn with(mut self, name: &'static str, value: impl Into<String>) -> Problem {
        self.headers.push((name, value.into()));
        self
    }

    /// The full type URN.
    pub fn urn(&self) -> String {
        format!("urn:ietf:params:acme:error:{}", self.kind)
    }

    /// The problem as an object inside another (an authorization's or order's `error`).
    pub(crate) fn to_json(&self) -> serde_json::Value {
        json!({ "type": self.urn(), "detail": self.detail, "status": self.status })
    }

    /// The response carrying this problem as `application/problem+json`.
    pub(crate) fn response(&self) -> Response {
        let mut body = self.to_json();
        if self.kind == "badSignatureAlgorithm" {
            body["algorithms"] = json!(crate::jws::ALGORITHMS);
        }
        let bytes = serde_json::to_vec_pretty(&body).unwrap_or_default();
        let mut response = Response::new(self.status, "application/problem+json", bytes);
        response.headers.extend(self.headers.iter().cloned());
        response
    }
}
