//! The RFC 8555 flow with hand-signed requests: accounts, orders, challenges, finalize,
//! download, key rollover, deactivation, revocation and the CRL.

mod client;

use client::*;
use selfsign_acme::{ChallengeFailure, ChallengeKind, FailureKind, State};
use serde_json::{json, Value};

#[test]
fn the_directory_names_every_resource_under_the_origin() {
    let mut acme = server(&[]);
    let response = get(&mut acme, "GET", "/acme/directory");
    assert_eq!(response.status, 200);
    let directory = body_json(&response);
    for (field, path) in [
        ("newNonce", "/acme/new-nonce"),
        ("newAccount", "/acme/new-account"),
        ("newOrder", "/acme/new-order"),
        ("revokeCert", "/acme/revoke-cert"),
        ("keyChange", "/acme/key-change"),
    ] {
        assert_eq!(directory[field], format!("{ORIGIN}{path}"));
    }
    let head = get(&mut acme, "HEAD", "/acme/new-nonce");
    assert_eq!(head.status, 200);
    assert!(head.header("Replay-Nonce").is_some_and(|n| n.len() >= 22));
    assert_eq!(head.header("Cache-Control"), Some("no-store"));
    assert_eq!(get(&mut acme, "GET", "/acme/new-nonce").status, 204);
}

/// Runs the whole flow with an account key of `alg` and checks the certificate.
fn issue_with(alg: &'static str) {
    let mut acme = server(&[]);
    let who = Account::new(&mut acme, alg);
    let (order_url, order) = order(&mut acme, &who.key, &who.kid, &["app.test"]);
    assert_eq!(order["status"], "pending");

    let authz = who.fetch(&mut acme, &authz_url(&order));
    assert_eq!(
        authz["identifier"],
        json!({"type": "dns", "value": "app.test"})
    );
    let http = challenge(&authz, "http-01");
    let started = who.post(&mut acme, &path(http["url"].as_str().unwrap()), "{}");
    assert_eq!(body_json(&started)["status"], "processing");

    let validations = acme.take_validations();
    assert_eq!(validations.len(), 1);
    let v = &validations[0];
    assert_eq!(v.kind, ChallengeKind::Http01);
    assert_eq!(v.name, "app.test");
    assert_eq!(
        v.key_authorization,
        format!(
            "{}.{}",
            http["token"].as_str().unwrap(),
            who.key.thumbprint()
        )
    );
    acme.finish_validation(v, Ok(()), NOW);

    let order = who.fetch(&mut acme, &order_url);
    assert_eq!(order["status"], "ready");
    let done = who.finalize(&mut acme, &order, &["app.test"]);
    assert_eq!(done.status, 200, "{}", String::from_utf8_lossy(&done.body));
    let order = body_json(&done);
    assert_eq!(order["status"], "valid");

    let cert = who.certificate(&mut acme, &order);
    assert_eq!(
        cert.header("Content-Type"),
        Some("application/pem-certificate-chain")
    );
    let chain = selfsign_core::parse_certificates(&cert.body).unwrap();
    assert_eq!(chain.len(), 2, "leaf then CA");
    let leaf = chain[0]
        .inspect(selfsign_core::UnixTime::since_unix_epoch(
            std::time::Duration::from_secs(NOW),
        ))
        .unwrap();
    assert_eq!(leaf.subject_alt_names, vec!["DNS:app.test".to_string()]);
    assert!(
        leaf.not_after <= (NOW + 7 * 86_400) as i64,
        "notAfter within the 7-day leaf policy"
    );
    assert_eq!(acme.state().issued_serials().len(), 1);
}

#[test]
fn an_es256_account_gets_a_certificate() {
    issue_with("ES256");
}

#[test]
fn an_es384_account_gets_a_certificate() {
    issue_with("ES384");
}

#[test]
fn an_rs256_account_gets_a_certificate() {
    issue_with("RS256");
}

#[test]
fn an_eddsa_account_gets_a_certificate() {
    issue_with("EdDSA");
}

#[test]
fn the_same_key_finds_its_account_and_only_return_existing_never_creates_one() {
    let mut acme = server(&[]);
    let key = AccountKey::new("ES256");
    let kid = account(&mut acme, &key);
    let again = post(&mut acme, &key, None, "/acme/new-account", "{}");
    assert_eq!(again.status, 200);
    assert_eq!(again.header("Location"), Some(kid.as_str()));
    let existing = post(
        &mut acme,
        &key,
        None,
        "/acme/new-account",
        r#"{"onlyReturnExisting":true}"#,
    );
    assert_eq!(existing.header("Location"), Some(kid.as_str()));

    let stranger = AccountKey::new("EdDSA");
    let missing = post(
        &mut acme,
        &stranger,
        None,
        "/acme/new-account",
        r#"{"onlyReturnExisting":true}"#,
    );
    assert_eq!(problem(&missing), "accountDoesNotExist");
    assert_eq!(acme.state().account_count(), 1);
}

#[test]
fn trusted_names_are_ready_without_a_challenge() {
    let mut acme = server(&["ci.test"]);
    let who = Account::new(&mut acme, "ES256");
    let (_, order) = order(&mut acme, &who.key, &who.kid, &["ci.test"]);
    assert_eq!(order["status"], "ready");
    let done = who.finalize(&mut acme, &order, &["ci.test"]);
    assert_eq!(body_json(&done)["status"], "valid");
    assert!(acme.take_validations().is_empty());
}

#[test]
fn a_failed_challenge_invalidates_the_order_and_finalize_is_refused() {
    let mut acme = server(&[]);
    let who = Account::new(&mut acme, "ES256");
    let (order_url, order) = order(&mut acme, &who.key, &who.kid, &["app.test"]);
    let authz = who.fetch(&mut acme, &authz_url(&order));
    let alpn = challenge(&authz, "tls-alpn-01");
    who.post(&mut acme, &path(alpn["url"].as_str().unwrap()), "{}");
    let v = acme.take_validations().remove(0);
    assert_eq!(v.kind, ChallengeKind::TlsAlpn01);
    let refused = ChallengeFailure::new(FailureKind::Connection, "connection refused");
    acme.finish_validation(&v, Err(refused), NOW);

    let order = who.fetch(&mut acme, &order_url);
    assert_eq!(order["status"], "invalid");
    let refused = who.finalize(&mut acme, &order, &["app.test"]);
    assert_eq!(problem(&refused), "orderNotReady");
    let failed = challenge(&who.fetch(&mut acme, &authz_url(&order)), "tls-alpn-01");
    assert_eq!(failed["status"], "invalid");
    assert!(failed["error"]["detail"]
        .as_str()
        .unwrap()
        .contains("connection refused"));
    assert_eq!(
        failed["error"]["type"],
        "urn:ietf:params:acme:error:connection"
    );
}

fn authz_url(order: &Value) -> String {
    order["authorizations"][0].as_str().unwrap().to_string()
}

/// An account with one issued certificate for `name`; returns the account and the DER.
fn issued(acme: &mut selfsign_acme::Acme, name: &str) -> (Account, Vec<u8>) {
    let who = Account::new(acme, "ES256");
    let (_, order) = order(acme, &who.key, &who.kid, &[name]);
    let done = body_json(&who.finalize(acme, &order, &[name]));
    let pem = who.certificate(acme, &done).body;
    let der = selfsign_core::parse_certificates(&pem).unwrap()[0]
        .der()
        .to_vec();
    (who, der)
}

fn crl_serials(acme: &mut selfsign_acme::Acme) -> Vec<String> {
    let response = get(acme, "GET", "/acme/crl");
    assert_eq!(
        response.header("Content-Type"),
        Some("application/pkix-crl")
    );
    let (_, crl) = x509_parser::parse_x509_crl(&response.body).unwrap();
    crl.iter_revoked_certificates()
        .map(|r| r.raw_serial_as_string().replace(':', ""))
        .collect()
}

#[test]
fn a_revoked_certificate_is_on_the_crl_and_cannot_be_revoked_twice() {
    let mut acme = server(&["app.test"]);
    let (who, der) = issued(&mut acme, "app.test");
    assert!(crl_serials(&mut acme).is_empty());
    let payload = json!({"certificate": b64(&der), "reason": 4}).to_string();
    let revoked = who.post(&mut acme, "/acme/revoke-cert", &payload);
    assert_eq!(
        revoked.status,
        200,
        "{}",
        String::from_utf8_lossy(&revoked.body)
    );
    assert_eq!(crl_serials(&mut acme), acme.state().revoked_serials());
    assert_eq!(
        acme.state().revoked_serials(),
        acme.state().issued_serials()
    );
    let again = who.post(&mut acme, "/acme/revoke-cert", &payload);
    assert_eq!(problem(&again), "alreadyRevoked");
}

#[test]
fn another_account_cannot_revoke_a_certificate() {
    let mut acme = server(&["app.test"]);
    let (_, der) = issued(&mut acme, "app.test");
    let other = Account::new(&mut acme, "ES256");
    let payload = json!({"certificate": b64(&der)}).to_string();
    let refused = other.post(&mut acme, "/acme/revoke-cert", &payload);
    assert_eq!(problem(&refused), "unauthorized");
    assert!(acme.state().revoked_serials().is_empty());
}

#[test]
fn after_key_rollover_only_the_new_key_signs_for_the_account() {
    let mut acme = server(&["app.test"]);
    let old = AccountKey::new("ES256");
    let kid = account(&mut acme, &old);
    let new = AccountKey::new("ES256");
    let url = format!("{ORIGIN}/acme/key-change");
    let inner = new.jws(
        json!({"jwk": new.jwk, "url": url}),
        json!({"account": kid, "oldKey": old.jwk})
            .to_string()
            .as_bytes(),
    );
    let changed = post(
        &mut acme,
        &old,
        Some(&kid),
        "/acme/key-change",
        &inner.to_string(),
    );
    assert_eq!(
        changed.status,
        200,
        "{}",
        String::from_utf8_lossy(&changed.body)
    );

    let with_old = post(&mut acme, &old, Some(&kid), &path(&kid), "");
    assert_eq!(problem(&with_old), "malformed");
    assert_eq!(
        post(&mut acme, &new, Some(&kid), &path(&kid), "").status,
        200
    );
    let lookup = post(
        &mut acme,
        &new,
        None,
        "/acme/new-account",
        r#"{"onlyReturnExisting":true}"#,
    );
    assert_eq!(lookup.header("Location"), Some(kid.as_str()));
}

#[test]
fn a_deactivated_account_can_do_nothing_more() {
    let mut acme = server(&[]);
    let who = Account::new(&mut acme, "ES256");
    let off = who.post(&mut acme, &path(&who.kid), r#"{"status":"deactivated"}"#);
    assert_eq!(body_json(&off)["status"], "deactivated");
    let refused = who.post(&mut acme, "/acme/new-order", &new_order_payload("app.test"));
    assert_eq!(problem(&refused), "unauthorized");
}

#[test]
fn saved_state_brings_back_accounts_and_certificates() {
    let ca_options = selfsign_core::CaOptions::default();
    let ca = selfsign_core::Ca::new_root(
        &ca_options,
        selfsign_core::UnixTime::since_unix_epoch(std::time::Duration::from_secs(NOW - 60)),
    )
    .unwrap();
    let (cert_pem, key_pem) = (ca.certificate().pem(), ca.key().private_key_pem());
    let mut acme = server_with(&["app.test"], ca, State::default());
    let (who, _) = issued(&mut acme, "app.test");
    assert!(acme.take_changed());
    let saved = acme.state().to_json();

    let ca = selfsign_core::Ca::from_pem(&cert_pem, &key_pem).unwrap();
    let mut restarted = server_with(&["app.test"], ca, State::from_json(&saved).unwrap());
    let lookup = post(
        &mut restarted,
        &who.key,
        None,
        "/acme/new-account",
        r#"{"onlyReturnExisting":true}"#,
    );
    assert_eq!(lookup.header("Location"), Some(who.kid.as_str()));
    assert_eq!(
        restarted.state().issued_serials(),
        acme.state().issued_serials()
    );
}

#[test]
fn an_order_may_ask_for_a_shorter_validity_but_not_a_longer_one() {
    let mut acme = server(&["app.test"]);
    let who = Account::new(&mut acme, "ES256");
    let at = |secs: u64| selfsign_core::validity::rfc3339(secs as i64);
    let long = json!({"identifiers": [{"type": "dns", "value": "app.test"}], "notAfter": at(NOW + 8 * 86_400)});
    let refused = who.post(&mut acme, "/acme/new-order", &long.to_string());
    assert_eq!(problem(&refused), "malformed");
    let short = json!({"identifiers": [{"type": "dns", "value": "app.test"}], "notAfter": at(NOW + 86_400)});
    let order = body_json(&who.post(&mut acme, "/acme/new-order", &short.to_string()));
    let done = body_json(&who.finalize(&mut acme, &order, &["app.test"]));
    let pem = who.certificate(&mut acme, &done).body;
    let leaf = selfsign_core::parse_certificates(&pem).unwrap()[0]
        .inspect(selfsign_core::UnixTime::since_unix_epoch(
            std::time::Duration::from_secs(NOW),
        ))
        .unwrap();
    assert_eq!(leaf.not_after, (NOW + 86_400) as i64);
}
