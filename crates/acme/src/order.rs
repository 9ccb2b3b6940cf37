//! Orders, authorizations and challenges (RFC 8555 §7.4, §7.5, §8), and finalizing an order
//! with a CSR.

use std::collections::BTreeSet;
use std::time::Duration;

use selfsign_core::{Csr, CsrOptions, Name, UnixTime, Usage, Validity};
use serde::Deserialize;
use serde_json::json;

use crate::message::Response;
use crate::nonce::random_id;
use crate::problem::Problem;
use crate::server::{Acme, Post};
use crate::state::{
    Authz, Cert, Challenge, ChallengeFailure, ChallengeKind, FailureKind, Order, OrderStatus,
    Status, Validation,
};

/// How long a new order or authorization may wait to be completed, in seconds.
const PENDING_SECS: u64 = 86_400;
/// The most names one order may ask for.
const MAX_NAMES: usize = 100;
/// Orders kept before expired ones are dropped; beyond twice this new orders are refused.
const PRUNE_AT: usize = 5_000;

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct NewOrder {
    identifiers: Vec<Identifier>,
    #[serde(default)]
    not_before: Option<String>,
    #[serde(default)]
    not_after: Option<String>,
}

#[derive(Debug, Deserialize)]
struct Identifier {
    #[serde(rename = "type")]
    kind: String,
    value: String,
}

#[derive(Debug, Deserialize)]
struct Finalize {
    csr: String,
}

#[derive(Debug, Deserialize)]
struct AuthzUpdate {
    status: String,
}

/// RFC 3339 text for Unix seconds.
pub(crate) fn timestamp(secs: u64) -> String {
    selfsign_core::validity::rfc3339(i64::try_from(secs).unwrap_or(i64::MAX))
}

fn parse_time(field: &str, text: &str) -> Result<u64, Problem> {
    let parsed = time::OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339)
        .map_err(|_| Problem::malformed(format!("{field} {text:?} is not an RFC 3339 time")))?;
    u64::try_from(parsed.unix_timestamp())
        .map_err(|_| Problem::malformed(format!("{field} {text:?} is before 1970")))
}

impl Acme {
    /// Checks one identifier: a DNS name the policy and the CA's name constraints allow.
    fn checked_name(&self, id: &Identifier) -> Result<String, Problem> {
        if id.kind != "dns" {
            return Err(Problem::unsupported_identifier(format!(
                "identifier type {:?} is not supported; only dns",
                id.kind
            )));
        }
        let name = match Name::parse(&id.value) {
            Ok(Name::Dns(name)) if name == id.value.trim().to_ascii_lowercase() => name,
            _ => {
                return Err(Problem::rejected_identifier(format!(
                    "{:?} is not a DNS name in ASCII form",
                    id.value
                )))
            }
        };
        if !self.config.names.allows(&name) {
            return Err(Problem::rejected_identifier(format!(
                "this server does not issue for {name}: it is outside the allowed name patterns"
            )));
        }
        if name.starts_with("*.") && !self.config.names.trusts(&name) {
            return Err(Problem::rejected_identifier(format!(
                "{name} is a wildcard, which needs dns-01 (not offered); approve it with --acme-trust-names"
            )));
        }
        self.ca
            .check_names(&[Name::Dns(name.clone())])
            .map_err(|e| Problem::rejected_identifier(e.to_string()))?;
        Ok(name)
    }

    pub(crate) fn new_order(&mut self, post: &Post, now: u64) -> Result<Response, Problem> {
        let account = post.account()?.to_string();
        let request: NewOrder = post.json()?;
        if request.identifiers.is_empty() || request.identifiers.len() > MAX_NAMES {
            return Err(Problem::malformed(format!(
                "an order needs 1 to {MAX_NAMES} identifiers"
            )));
        }
        if request.not_before.is_some() {
            return Err(Problem::malformed(
                "notBefore is not supported: certificates start when issued",
            ));
        }
        let longest = now + u64::from(self.config.leaf_days) * 86_400;
        let not_after = match request.not_after.as_deref() {
            Some(text) => {
                let at = parse_time("notAfter", text)?;
                if at <= now || at > longest {
                    return Err(Problem::malformed(format!(
                        "notAfter must be after now and at most {} days away ({})",
                        self.config.leaf_days,
                        timestamp(longest)
                    )));
                }
                Some(at)
            }
            None => None,
        };
        let names: BTreeSet<String> = request
            .identifiers
            .iter()
            .map(|id| self.checked_name(id))
            .collect::<Result<_, _>>()?;
        self.prune(now)?;
        let mut authzs = Vec::new();
        for name in &names {
            let trusted = self.config.names.trusts(name);
            let status = if trusted {
                Status::Valid
            } else {
                Status::Pending
            };
            let challenge = |kind| -> Result<Challenge, Problem> {
                Ok(Challenge {
                    kind,
                    token: random_id(32)?,
                    status,
                    validated: trusted.then_some(now),
                    error: None,
                    error_kind: FailureKind::default(),
                })
            };
            let challenges = if name.starts_with("*.") {
                vec![challenge(ChallengeKind::Http01)?]
            } else {
                vec![
                    challenge(ChallengeKind::Http01)?,
                    challenge(ChallengeKind::TlsAlpn01)?,
                ]
            };
            let id = random_id(12)?;
            self.state.authzs.insert(
                id.clone(),
                Authz {
                    account: account.clone(),
                    name: name.clone(),
                    status,
                    expires: now + PENDING_SECS,
                    challenges,
                },
            );
            authzs.push(id);
        }
        let id = random_id(12)?;
        let mut order = Order {
            account,
            status: OrderStatus::Pending,
            names: names.into_iter().collect(),
            authzs,
            expires: now + PENDING_SECS,
            not_before: None,
            not_after,
            cert: None,
            error: None,
        };
        self.refresh(&mut order, now);
        self.state.orders.insert(id.clone(), order);
        self.changed = true;
        let location = self.url(&format!("/order/{id}"));
        Ok(Response::json(201, &self.order_json(&id)).with("Location", location))
    }

    /// Drops expired unfinished orders and unused authorizations once there are many.
    fn prune(&mut self, now: u64) -> Result<(), Problem> {
        if self.state.orders.len() < PRUNE_AT {
            return Ok(());
        }
        self.state
            .orders
            .retain(|_, o| o.status == OrderStatus::Valid || o.expires > now);
        let used: BTreeSet<&String> = self.state.orders.values().flat_map(|o| &o.authzs).collect();
        let keep: BTreeSet<String> = used.into_iter().cloned().collect();
        self.state.authzs.retain(|id, _| keep.contains(id));
        self.changed = true;
        if self.state.orders.len() >= 2 * PRUNE_AT {
            return Err(Problem::rate_limited(
                "too many orders; finish or let some expire",
            ));
        }
        Ok(())
    }

    /// Moves a pending order on: invalid when an authorization failed or it expired, ready
    /// when every authorization is valid.
    fn refresh(&self, order: &mut Order, now: u64) {
        if order.status != OrderStatus::Pending {
            return;
        }
        let statuses: Vec<Status> = order
            .authzs
            .iter()
            .map(|id| {
                self.state
                    .authzs
                    .get(id)
                    .map_or(Status::Invalid, |a| a.status)
            })
            .collect();
        if now >= order.expires
            || statuses
                .iter()
                .any(|s| matches!(s, Status::Invalid | Status::Deactivated))
        {
            order.status = OrderStatus::Invalid;
            order.error = Some("an authorization failed, was deactivated or expired".into());
        } else if statuses.iter().all(|s| *s == Status::Valid) {
            order.status = OrderStatus::Ready;
        }
    }

    /// Refreshes every order that uses authorization `authz`.
    fn refresh_orders_of(&mut self, authz: &str, now: u64) {
        let ids: Vec<String> = self
            .state
            .orders
            .iter()
            .filter(|(_, o)| o.authzs.iter().any(|a| a == authz))
            .map(|(id, _)| id.clone())
            .collect();
        for id in ids {
            if let Some(mut order) = self.state.orders.get(&id).cloned() {
                self.refresh(&mut order, now);
                self.state.orders.insert(id, order);
            }
        }
    }

    fn order_json(&self, id: &str) -> serde_json::Value {
        let order = &self.state.orders[id];
        let mut value = json!({
            "status": order.status,
            "expires": timestamp(order.expires),
            "identifiers": order.names.iter().map(|n| json!({"type": "dns", "value": n})).collect::<Vec<_>>(),
            "authorizations": order.authzs.iter().map(|a| self.url(&format!("/authz/{a}"))).collect::<Vec<_>>(),
            "finalize": self.url(&format!("/order/{id}/finalize")),
        });
        if let Some(at) = order.not_after {
            value["notAfter"] = json!(timestamp(at));
        }
        if let Some(cert) = &order.cert {
            value["certificate"] = json!(self.url(&format!("/cert/{cert}")));
        }
        if let Some(error) = &order.error {
            value["error"] = Problem::unauthorized(error.clone()).to_json();
        }
        value
    }

    /// Whether the CSR `der` is for the key of `account` (RFC 8555 §11.1 forbids certifying it).
    fn is_account_key(&self, account: &str, der: &[u8]) -> bool {
        use x509_parser::prelude::FromDer;
        let parsed = x509_parser::certification_request::X509CertificationRequest::from_der(der);
        let (Some(account), Ok((_, csr))) = (self.state.accounts.get(account), parsed) else {
            return false;
        };
        account
            .key
            .matches_spki(&csr.certification_request_info.subject_pki)
    }

    /// The order `id` if the signing account owns it.
    fn owned_order(&self, id: &str, post: &Post) -> Result<&Order, Problem> {
        let account = post.account()?;
        match self.state.orders.get(id) {
            Some(order) if order.account == account => Ok(order),
            Some(_) => Err(Problem::unauthorized(
                "this order belongs to another account",
            )),
            None => Err(Problem::malformed_status(404, "no such order")),
        }
    }

    pub(crate) fn get_order(
        &mut self,
        id: &str,
        post: &Post,
        now: u64,
    ) -> Result<Response, Problem> {
        let mut order = self.owned_order(id, post)?.clone();
        let before = order.status;
        self.refresh(&mut order, now);
        if order.status != before {
            self.state.orders.insert(id.to_string(), order);
            self.changed = true;
        }
        Ok(Response::json(200, &self.order_json(id)))
    }

    pub(crate) fn finalize(
        &mut self,
        id: &str,
        post: &Post,
        now: u64,
    ) -> Result<Response, Problem> {
        let mut order = self.owned_order(id, post)?.clone();
        self.refresh(&mut order, now);
        if order.status != OrderStatus::Ready {
            return Err(Problem::order_not_ready(format!(
                "the order is {}, not ready: complete its authorizations first",
                serde_json::to_value(order.status).unwrap_or_default()
            )));
        }
        let request: Finalize = post.json()?;
        let der = base64::Engine::decode(
            &base64::engine::general_purpose::URL_SAFE_NO_PAD,
            &request.csr,
        )
        .map_err(|_| Problem::bad_csr("csr is not unpadded base64url DER"))?;
        let csr = Csr::parse(&der).map_err(|e| Problem::bad_csr(e.to_string()))?;
        if self.is_account_key(&order.account, &der) {
            return Err(Problem::bad_csr(
                "the CSR's public key is the account key; certify a different key",
            ));
        }
        let requested = csr.names().map_err(|e| Problem::bad_csr(e.to_string()))?;
        let mut names = BTreeSet::new();
        for name in &requested {
            match name {
                Name::Dns(dns) => names.insert(dns.clone()),
                other => {
                    return Err(Problem::bad_csr(format!(
                        "the CSR asks for {}, which is not a DNS name in the order",
                        other.value()
                    )))
                }
            };
        }
        let ordered: BTreeSet<String> = order.names.iter().cloned().collect();
        if names != ordered {
            let list = |s: &BTreeSet<String>| s.iter().cloned().collect::<Vec<_>>().join(", ");
            return Err(Problem::bad_csr(format!(
                "the CSR names ({}) must be exactly the order's ({})",
                list(&names),
                list(&ordered)
            )));
        }
        if let Some(name) = names.iter().find(|n| !self.config.names.allows(n)) {
            return Err(Problem::rejected_identifier(format!(
                "this server no longer issues for {name}"
            )));
        }
        let longest = now + u64::from(self.config.leaf_days) * 86_400;
        let not_after = order.not_after.unwrap_or(longest).min(longest);
        let at = |s: u64| UnixTime::since_unix_epoch(Duration::from_secs(s));
        let options = CsrOptions {
            usage: Usage::Server,
            validity: Validity::Range {
                not_before: at(now),
                not_after: at(not_after),
            },
        };
        let certificate = self
            .ca
            .sign_csr(&csr, &options, at(now))
            .map_err(|e| Problem::bad_csr(e.to_string()))?;
        let serial = certificate
            .serial()
            .map_err(|e| Problem::server_internal(e.to_string()))?;
        let cert_id = random_id(12)?;
        self.state.certs.insert(
            cert_id.clone(),
            Cert {
                account: order.account.clone(),
                serial: hex(&serial),
                pem: certificate.pem(),
                not_after,
                revoked: None,
            },
        );
        order.status = OrderStatus::Valid;
        order.cert = Some(cert_id);
        self.state.orders.insert(id.to_string(), order);
        self.changed = true;
        let location = self.url(&format!("/order/{id}"));
        Ok(Response::json(200, &self.order_json(id)).with("Location", location))
    }

    fn owned_authz(&self, id: &str, post: &Post) -> Result<&Authz, Problem> {
        let account = post.account()?;
        match self.state.authzs.get(id) {
            Some(authz) if authz.account == account => Ok(authz),
            Some(_) => Err(Problem::unauthorized(
                "this authorization belongs to another account",
            )),
            None => Err(Problem::malformed_status(404, "no such authorization")),
        }
    }

    fn challenge_json(&self, id: &str, index: usize, challenge: &Challenge) -> serde_json::Value {
        let mut value = json!({
            "type": challenge.kind.name(),
            "url": self.url(&format!("/chall/{id}/{index}")),
            "token": challenge.token,
            "status": challenge.status,
        });
        if let Some(at) = challenge.validated {
            value["validated"] = json!(timestamp(at));
        }
        if let Some(error) = &challenge.error {
            value["error"] =
                Problem::challenge_failed(challenge.error_kind, error.clone()).to_json();
        }
        value
    }

    fn authz_json(&self, id: &str, now: u64) -> serde_json::Value {
        let authz = &self.state.authzs[id];
        let status = match authz.status {
            Status::Pending if now >= authz.expires => Status::Invalid,
            other => other,
        };
        let (value, wildcard) = match authz.name.strip_prefix("*.") {
            Some(base) => (base, true),
            None => (authz.name.as_str(), false),
        };
        let mut json = json!({
            "status": status,
            "expires": timestamp(authz.expires),
            "identifier": {"type": "dns", "value": value},
            "challenges": authz.challenges.iter().enumerate()
                .map(|(i, c)| self.challenge_json(id, i, c)).collect::<Vec<_>>(),
        });
        if wildcard {
            json["wildcard"] = json!(true);
        }
        json
    }

    pub(crate) fn authz(&mut self, id: &str, post: &Post, now: u64) -> Result<Response, Problem> {
        self.owned_authz(id, post)?;
        if !post.is_get() {
            let update: AuthzUpdate = post.json()?;
            if update.status != "deactivated" {
                return Err(Problem::malformed(
                    "an authorization's status can only be set to \"deactivated\"",
                ));
            }
            if let Some(authz) = self.state.authzs.get_mut(id) {
                authz.status = Status::Deactivated;
            }
            self.refresh_orders_of(id, now);
            self.changed = true;
        }
        Ok(Response::json(200, &self.authz_json(id, now)))
    }

    pub(crate) fn challenge(
        &mut self,
        id: &str,
        index: &str,
        post: &Post,
        now: u64,
    ) -> Result<Response, Problem> {
        let authz = self.owned_authz(id, post)?.clone();
        let index: usize = index
            .parse()
            .ok()
            .filter(|i| *i < authz.challenges.len())
            .ok_or_else(|| Problem::malformed_status(404, "no such challenge"))?;
        let challenge = &authz.challenges[index];
        let can_start = authz.status == Status::Pending
            && challenge.status == Status::Pending
            && now < authz.expires
            && !authz
                .challenges
                .iter()
                .any(|c| c.status == Status::Processing);
        if !post.is_get() && can_start {
            let thumbprint = self.state.accounts[&authz.account].thumbprint.clone();
            self.validations.push(Validation {
                authz: id.to_string(),
                challenge: index,
                kind: challenge.kind,
                name: authz.name.clone(),
                token: challenge.token.clone(),
                key_authorization: format!("{}.{thumbprint}", challenge.token),
            });
            if let Some(stored) = self.state.authzs.get_mut(id) {
                stored.challenges[index].status = Status::Processing;
            }
            self.changed = true;
        }
        let current = self.state.authzs[id].challenges[index].clone();
        let up = format!("<{}>;rel=\"up\"", self.url(&format!("/authz/{id}")));
        Ok(Response::json(200, &self.challenge_json(id, index, &current)).with("Link", up))
    }

    /// Records the outcome of a [`Validation`]: `Err` says why it failed.
    pub fn finish_validation(
        &mut self,
        validation: &Validation,
        outcome: Result<(), ChallengeFailure>,
        now: u64,
    ) {
        let Some(authz) = self.state.authzs.get_mut(&validation.authz) else {
            return;
        };
        let Some(challenge) = authz.challenges.get_mut(validation.challenge) else {
            return;
        };
        if challenge.status != Status::Processing || challenge.token != validation.token {
            return;
        }
        match outcome {
            Ok(()) => {
                challenge.status = Status::Valid;
                challenge.validated = Some(now);
                authz.status = Status::Valid;
            }
            Err(why) => {
                challenge.status = Status::Invalid;
                challenge.error = Some(why.detail);
                challenge.error_kind = why.kind;
                authz.status = Status::Invalid;
            }
        }
        self.refresh_orders_of(&validation.authz, now);
        self.changed = true;
    }

    pub(crate) fn certificate(&mut self, id: &str, post: &Post) -> Result<Response, Problem> {
        let account = post.account()?;
        match self.state.certs.get(id) {
            Some(cert) if cert.account == account => Ok(Response::new(
                200,
                "application/pem-certificate-chain",
                (cert.pem.clone() + &self.ca.chain_pem()).into_bytes(),
            )),
            Some(_) => Err(Problem::unauthorized(
                "this certificate belongs to another account",
            )),
            None => Err(Problem::malformed_status(404, "no such certificate")),
        }
    }
}

/// Lower-case hex.
pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
