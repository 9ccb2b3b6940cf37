//! Revocation (RFC 8555 §7.6) and the CRL that lists what was revoked.

use std::time::Duration;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use selfsign_core::{Revoked, UnixTime};
use serde::Deserialize;

use crate::jws::Signer;
use crate::message::Response;
use crate::order::hex;
use crate::problem::Problem;
use crate::server::{Acme, Post};
use crate::state::Revocation;

/// How long a served CRL is valid, in seconds (clients fetch it again sooner).
const CRL_VALID_SECS: u64 = 86_400;

#[derive(Debug, Deserialize)]
struct Revoke {
    certificate: String,
    #[serde(default)]
    reason: Option<u8>,
}

impl Acme {
    /// Revokes a certificate; the request is signed by the account that ordered it or with the
    /// certificate's own key.
    pub(crate) fn revoke(&mut self, post: &Post, now: u64) -> Result<Response, Problem> {
        let request: Revoke = post.json()?;
        if let Some(reason) = request.reason {
            if reason == 7 || reason > 10 {
                return Err(Problem::bad_revocation_reason(format!(
                    "reason {reason} is not an RFC 5280 CRLReason code (0-10, not 7)"
                )));
            }
        }
        let der = URL_SAFE_NO_PAD
            .decode(&request.certificate)
            .map_err(|_| Problem::malformed("certificate is not unpadded base64url DER"))?;
        let (rest, parsed) = x509_parser::parse_x509_certificate(&der)
            .map_err(|_| Problem::malformed("certificate is not an X.509 certificate"))?;
        if !rest.is_empty() {
            return Err(Problem::malformed("certificate has bytes after it"));
        }
        let serial = hex(parsed.tbs_certificate.raw_serial());
        let found = self
            .state
            .certs
            .iter()
            .find(|(_, c)| c.serial == serial && c.pem == pem_of(&der));
        let Some((id, cert)) = found else {
            return Err(Problem::malformed_status(
                404,
                "this server did not issue that certificate",
            ));
        };
        let allowed = match &post.signer {
            Signer::Kid(_) => post.account.as_deref() == Some(cert.account.as_str()),
            Signer::Jwk(key) => key.matches_spki(parsed.public_key()),
        };
        if !allowed {
            return Err(Problem::unauthorized(
                "sign with the account that ordered the certificate or with the certificate's key",
            ));
        }
        if cert.revoked.is_some() {
            return Err(Problem::already_revoked(
                "the certificate is already revoked",
            ));
        }
        let id = id.clone();
        if let Some(cert) = self.state.certs.get_mut(&id) {
            cert.revoked = Some(Revocation {
                at: now,
                reason: request.reason,
            });
        }
        self.state.crl_number += 1;
        self.changed = true;
        Ok(Response::empty(200))
    }

    /// The CRL of every certificate this server revoked, DER.
    pub(crate) fn crl(&self, now: u64) -> Result<Response, Problem> {
        let revoked: Vec<Revoked> = self
            .state
            .certs
            .values()
            .filter_map(|c| {
                let r = c.revoked?;
                Some(Revoked {
                    serial: unhex(&c.serial)?,
                    revoked_at: r.at,
                    reason: r.reason,
                })
            })
            .collect();
        let now = UnixTime::since_unix_epoch(Duration::from_secs(now));
        let der = self
            .ca
            .crl(&revoked, self.state.crl_number, now, CRL_VALID_SECS)
            .map_err(|e| Problem::server_internal(format!("cannot sign the CRL: {e}")))?;
        Ok(Response::new(200, "application/pkix-crl", der))
    }
}

fn pem_of(der: &[u8]) -> String {
    selfsign_core::Certificate::from_der(der.to_vec())
        .map(|c| c.pem())
        .unwrap_or_default()
}

fn unhex(text: &str) -> Option<Vec<u8>> {
    (0..text.len())
        .step_by(2)
        .map(|i| {
            text.get(i..i + 2)
                .and_then(|h| u8::from_str_radix(h, 16).ok())
        })
        .collect()
}
