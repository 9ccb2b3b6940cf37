//! Accounts (RFC 8555 §7.3): creation, lookup by key, update, deactivation and key rollover.

use serde::Deserialize;
use serde_json::json;

use crate::jws::{Jwk, Jws, Signer};
use crate::message::Response;
use crate::nonce::random_id;
use crate::problem::Problem;
use crate::server::{Acme, Post};
use crate::state::{Account, OrderStatus};

/// The most accounts kept.
const MAX_ACCOUNTS: usize = 10_000;

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct NewAccount {
    #[serde(default)]
    contact: Option<Vec<String>>,
    #[serde(default)]
    only_return_existing: bool,
}

#[derive(Debug, Default, Deserialize)]
struct AccountUpdate {
    #[serde(default)]
    contact: Option<Vec<String>>,
    #[serde(default)]
    status: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct KeyChange {
    account: String,
    old_key: Jwk,
}

impl Acme {
    /// The id of the account whose key has this thumbprint.
    fn account_by_thumbprint(&self, thumbprint: &str) -> Option<String> {
        let mut accounts = self.state.accounts.iter();
        accounts
            .find(|(_, a)| a.thumbprint == thumbprint)
            .map(|(id, _)| id.clone())
    }

    fn account_json(&self, id: &str) -> serde_json::Value {
        let account = &self.state.accounts[id];
        json!({
            "status": if account.deactivated { "deactivated" } else { "valid" },
            "contact": account.contact,
            "orders": self.url(&format!("/account/{id}/orders")),
            "key": account.key,
        })
    }

    pub(crate) fn new_account(&mut self, post: &Post) -> Result<Response, Problem> {
        let Signer::Jwk(key) = &post.signer else {
            return Err(Problem::malformed("newAccount must be signed with jwk"));
        };
        let request: NewAccount = post.json()?;
        let thumbprint = key.thumbprint();
        if let Some(id) = self.account_by_thumbprint(&thumbprint) {
            if self.state.accounts[&id].deactivated {
                return Err(Problem::deactivated(
                    "the account with this key is deactivated; use a new key for a new account",
                ));
            }
            let location = self.url(&format!("/account/{id}"));
            return Ok(Response::json(200, &self.account_json(&id)).with("Location", location));
        }
        if request.only_return_existing {
            return Err(Problem::account_does_not_exist(
                "no account has this key (onlyReturnExisting was set)",
            ));
        }
        if self.state.accounts.len() >= MAX_ACCOUNTS {
            return Err(Problem::rate_limited("too many accounts on this server"));
        }
        let contact = checked_contact(request.contact.unwrap_or_default())?;
        let id = random_id(12)?;
        self.state.accounts.insert(
            id.clone(),
            Account {
                key: key.clone(),
                thumbprint,
                deactivated: false,
                contact,
            },
        );
        self.changed = true;
        let location = self.url(&format!("/account/{id}"));
        Ok(Response::json(201, &self.account_json(&id)).with("Location", location))
    }

    pub(crate) fn update_account(&mut self, id: &str, post: &Post) -> Result<Response, Problem> {
        if post.account()? != id {
            return Err(Problem::unauthorized(
                "an account can only be read or changed by itself",
            ));
        }
        if !post.is_get() {
            let update: AccountUpdate = post.json()?;
            let contact = update.contact.map(checked_contact).transpose()?;
            let deactivate = match update.status.as_deref() {
                None | Some("valid") => false,
                Some("deactivated") => true,
                Some(other) => {
                    return Err(Problem::malformed(format!(
                        "an account's status can only be set to \"deactivated\", not {other:?}"
                    )))
                }
            };
            let account = self
                .state
                .accounts
                .get_mut(id)
                .ok_or_else(|| Problem::account_does_not_exist("no such account"))?;
            if let Some(contact) = contact {
                account.contact = contact;
            }
            if deactivate {
                account.deactivated = true;
                for order in self.state.orders.values_mut() {
                    if order.account == id && order.status == OrderStatus::Pending {
                        order.status = OrderStatus::Invalid;
                    }
                }
            }
            self.changed = true;
        }
        Ok(Response::json(200, &self.account_json(id)))
    }

    pub(crate) fn account_orders(&mut self, id: &str, post: &Post) -> Result<Response, Problem> {
        if post.account()? != id {
            return Err(Problem::unauthorized(
                "an account's orders can only be listed by itself",
            ));
        }
        let orders: Vec<String> = self
            .state
            .orders
            .iter()
            .filter(|(_, o)| o.account == id)
            .map(|(oid, _)| self.url(&format!("/order/{oid}")))
            .collect();
        Ok(Response::json(200, &json!({ "orders": orders })))
    }

    /// RFC 8555 §7.3.5: the payload is a JWS by the new key over the account URL and old key.
    pub(crate) fn key_change(&mut self, post: &Post) -> Result<Response, Problem> {
        let id = post.account()?.to_string();
        let inner = Jws::parse(&post.payload)?;
        inner.check_alg()?;
        let Signer::Jwk(new_key) = &inner.signer else {
            return Err(Problem::malformed(
                "the inner key-change JWS must carry the new key as jwk",
            ));
        };
        if inner.nonce.is_some() {
            return Err(Problem::malformed(
                "the inner key-change JWS must not have a nonce",
            ));
        }
        if inner.url.as_deref() != Some(post.url.as_str()) {
            return Err(Problem::malformed(
                "the inner key-change JWS url must equal the outer one",
            ));
        }
        new_key.check()?;
        inner.verify(new_key)?;
        let change: KeyChange = serde_json::from_slice(&inner.payload)
            .map_err(|e| Problem::malformed(format!("the key-change payload is invalid: {e}")))?;
        let account_url = self.url(&format!("/account/{id}"));
        if change.account != account_url {
            return Err(Problem::malformed(
                "the key-change account is not the signing account",
            ));
        }
        let account = &self.state.accounts[&id];
        if change.old_key.thumbprint() != account.thumbprint {
            return Err(Problem::malformed(
                "the key-change oldKey is not the account's key",
            ));
        }
        let thumbprint = new_key.thumbprint();
        if let Some(other) = self.account_by_thumbprint(&thumbprint) {
            return Err(
                Problem::malformed_status(409, "another account already uses the new key")
                    .with("Location", self.url(&format!("/account/{other}"))),
            );
        }
        if let Some(account) = self.state.accounts.get_mut(&id) {
            account.key = new_key.clone();
            account.thumbprint = thumbprint;
        }
        self.changed = true;
        Ok(Response::json(200, &self.account_json(&id)))
    }
}

/// Contacts must be mailto: URLs (RFC 8555 §7.3); at most a few.
fn checked_contact(contact: Vec<String>) -> Result<Vec<String>, Problem> {
    if contact.len() > 8 {
        return Err(Problem::malformed("at most 8 contacts"));
    }
    for c in &contact {
        let Some(address) = c.strip_prefix("mailto:") else {
            return Err(Problem::invalid_contact(c));
        };
        if address.is_empty() || address.len() > 254 || !address.contains('@') {
            return Err(Problem::invalid_contact(c));
        }
    }
    Ok(contact)
}
