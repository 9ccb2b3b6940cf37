//! Hostile requests: each gets the right RFC 8555 problem document and changes no state.

mod client;

use client::*;
use selfsign_acme::{Acme, State, MAX_BODY};
use serde_json::{json, Value};

const NEW_ORDER: &str = "/acme/new-order";

/// An account with a ready order for `app.test` (trusted, so no challenge).
fn ready() -> (Acme, Account, Value) {
    let mut acme = server(&["app.test"]);
    let who = Account::new(&mut acme, "ES256");
    let (_, order) = order(&mut acme, &who.key, &who.kid, &["app.test"]);
    assert_eq!(order["status"], "ready");
    (acme, who, order)
}

/// A correctly signed new-order request for `app.test`, not yet sent.
fn order_jws(acme: &mut Acme, who: &Account) -> Value {
    who.signed(acme, NEW_ORDER, &new_order_payload("app.test"))
}

/// Sends `body` to `path` and checks the problem type and that state did not change.
fn refused(acme: &mut Acme, path: &str, body: &[u8], kind: &str) -> Value {
    let before: State = acme.state().clone();
    let response = send(acme, path, body);
    assert_eq!(
        problem(&response),
        kind,
        "{}",
        String::from_utf8_lossy(&response.body)
    );
    assert!(
        response.header("Replay-Nonce").is_some(),
        "errors carry a fresh nonce too"
    );
    assert_eq!(
        acme.state(),
        &before,
        "a refused request must not change state"
    );
    body_json(&response)
}

/// Sends `jws` to `path` and checks it is refused with problem `kind`, state unchanged.
fn refused_jws(acme: &mut Acme, path: &str, jws: &Value, kind: &str) -> Value {
    refused(acme, path, jws.to_string().as_bytes(), kind)
}

#[test]
fn a_bad_signature_is_malformed() {
    let (mut acme, who, _) = ready();
    let mut jws = order_jws(&mut acme, &who);
    let sig = jws["signature"].as_str().unwrap().to_string();
    let flipped = if sig.starts_with('A') { "B" } else { "A" };
    jws["signature"] = json!(format!("{flipped}{}", &sig[1..]));
    refused_jws(&mut acme, NEW_ORDER, &jws, "malformed");
}

#[test]
fn a_payload_swapped_under_a_valid_signature_is_refused() {
    let (mut acme, who, _) = ready();
    let mut jws = order_jws(&mut acme, &who);
    jws["payload"] = json!(b64(new_order_payload("other.test").as_bytes()));
    refused_jws(&mut acme, NEW_ORDER, &jws, "malformed");
}

#[test]
fn a_replayed_nonce_is_refused_and_the_replay_creates_nothing() {
    let (mut acme, who, _) = ready();
    let jws = order_jws(&mut acme, &who);
    let first = send(&mut acme, NEW_ORDER, jws.to_string().as_bytes());
    assert_eq!(first.status, 201);
    refused_jws(&mut acme, NEW_ORDER, &jws, "badNonce");
}

#[test]
fn a_made_up_or_missing_nonce_is_refused() {
    let (mut acme, who, _) = ready();
    let url = format!("{ORIGIN}{NEW_ORDER}");
    let payload = new_order_payload("app.test");
    let made_up = who.key.jws(
        json!({"nonce": "AAAAAAAAAAAAAAAAAAAAAA", "url": url, "kid": who.kid}),
        payload.as_bytes(),
    );
    refused_jws(&mut acme, NEW_ORDER, &made_up, "badNonce");
    let missing = who
        .key
        .jws(json!({"url": url, "kid": who.kid}), payload.as_bytes());
    refused_jws(&mut acme, NEW_ORDER, &missing, "badNonce");
}

#[test]
fn a_url_header_for_another_resource_is_unauthorized() {
    let (mut acme, who, _) = ready();
    let jws = who.signed(
        &mut acme,
        "/acme/new-account",
        &new_order_payload("app.test"),
    );
    refused_jws(&mut acme, NEW_ORDER, &jws, "unauthorized");
    let nonce = nonce(&mut acme);
    let other_host = who.key.jws(
        json!({"nonce": nonce, "url": "https://evil.test:8443/acme/new-order", "kid": who.kid}),
        new_order_payload("app.test").as_bytes(),
    );
    refused_jws(&mut acme, NEW_ORDER, &other_host, "unauthorized");
}

#[test]
fn an_oversized_body_is_refused_before_it_is_parsed() {
    let (mut acme, _, _) = ready();
    let body = vec![b'{'; MAX_BODY + 1];
    let before = acme.state().clone();
    let response = send(&mut acme, NEW_ORDER, &body);
    assert_eq!(response.status, 413);
    assert_eq!(problem(&response), "malformed");
    assert_eq!(acme.state(), &before);
}

#[test]
fn an_unknown_account_does_not_exist() {
    let (mut acme, who, _) = ready();
    let ghost = format!(
        "{}nobody",
        who.kid.rsplit_once('/').unwrap().0.to_string() + "/"
    );
    let payload = new_order_payload("app.test");
    let jws = signed(&mut acme, &who.key, Some(&ghost), NEW_ORDER, &payload);
    refused_jws(&mut acme, NEW_ORDER, &jws, "accountDoesNotExist");
}

#[test]
fn a_csr_for_names_not_in_the_order_is_a_bad_csr() {
    let (mut acme, who, order) = ready();
    let finalize = path(order["finalize"].as_str().unwrap());
    for names in [&["app.test", "extra.test"][..], &["other.test"][..]] {
        let jws = who.signed(&mut acme, &finalize, &csr_payload(names));
        refused_jws(&mut acme, &finalize, &jws, "badCSR");
    }
    assert!(acme.state().issued_serials().is_empty());
}

#[test]
fn a_damaged_csr_is_a_bad_csr() {
    let (mut acme, who, order) = ready();
    let finalize = path(order["finalize"].as_str().unwrap());
    let damaged = json!({"csr": b64(b"not a csr")}).to_string();
    let jws = who.signed(&mut acme, &finalize, &damaged);
    refused_jws(&mut acme, &finalize, &jws, "badCSR");
}

#[test]
fn names_outside_the_name_constraints_or_the_patterns_are_rejected() {
    let (mut acme, who, _) = ready();
    for name in ["www.example.com", "blocked.test"] {
        let jws = who.signed(&mut acme, NEW_ORDER, &new_order_payload(name));
        let doc = refused_jws(&mut acme, NEW_ORDER, &jws, "rejectedIdentifier");
        assert!(doc["detail"].as_str().unwrap().len() > 10);
    }
    let jws = who.signed(&mut acme, NEW_ORDER, &new_order_payload("*.wild.test"));
    refused_jws(&mut acme, NEW_ORDER, &jws, "rejectedIdentifier");
    let ip = json!({"identifiers": [{"type": "ip", "value": "127.0.0.1"}]}).to_string();
    let jws = who.signed(&mut acme, NEW_ORDER, &ip);
    refused_jws(&mut acme, NEW_ORDER, &jws, "unsupportedIdentifier");
}

#[test]
fn an_unsupported_algorithm_lists_the_supported_ones() {
    let (mut acme, who, _) = ready();
    let mut jws = order_jws(&mut acme, &who);
    let header = json!({"alg": "HS256", "nonce": nonce(&mut acme), "url": format!("{ORIGIN}{NEW_ORDER}"), "kid": who.kid});
    jws["protected"] = json!(b64(header.to_string().as_bytes()));
    let doc = refused_jws(&mut acme, NEW_ORDER, &jws, "badSignatureAlgorithm");
    assert_eq!(
        doc["algorithms"],
        json!(["ES256", "ES384", "RS256", "EdDSA"])
    );
}

#[test]
fn a_jwk_where_an_account_url_belongs_is_malformed() {
    let (mut acme, who, _) = ready();
    let payload = new_order_payload("app.test");
    let jws = signed(&mut acme, &who.key, None, NEW_ORDER, &payload);
    refused_jws(&mut acme, NEW_ORDER, &jws, "malformed");
}

#[test]
fn another_accounts_order_is_off_limits() {
    let (mut acme, _, order) = ready();
    let intruder = Account::new(&mut acme, "ES256");
    let finalize = path(order["finalize"].as_str().unwrap());
    let jws = intruder.signed(&mut acme, &finalize, &csr_payload(&["app.test"]));
    refused_jws(&mut acme, &finalize, &jws, "unauthorized");
}

#[test]
fn garbage_bodies_are_malformed_never_a_panic() {
    let (mut acme, _, _) = ready();
    let bodies: [&[u8]; 7] = [
        b"",
        b"null",
        b"{}",
        b"{\"protected\":\"!!\",\"payload\":\"\",\"signature\":\"\"}",
        b"{\"protected\":\"e30\",\"payload\":\"\",\"signature\":\"\"}",
        b"{\"protected\":\"e30\",\"payload\":\"\",\"signature\":\"\",\"header\":{}}",
        &[0xff, 0xfe, 0x00],
    ];
    for body in bodies {
        refused(&mut acme, NEW_ORDER, body, "malformed");
    }
}

#[test]
fn a_wrong_content_type_is_refused() {
    let (mut acme, who, _) = ready();
    let jws = order_jws(&mut acme, &who);
    let before = acme.state().clone();
    let body = jws.to_string();
    let request = selfsign_acme::Request {
        method: "POST",
        path: NEW_ORDER,
        content_type: Some("application/json"),
        body: body.as_bytes(),
    };
    let response = acme.handle(&request, NOW);
    assert_eq!(response.status, 415);
    assert_eq!(problem(&response), "malformed");
    assert_eq!(acme.state(), &before);
}

#[test]
fn a_protected_header_with_critical_extensions_is_malformed() {
    let (mut acme, who, _) = ready();
    let url = format!("{ORIGIN}{NEW_ORDER}");
    for crit in [json!(["b64"]), json!(["x-unknown"]), json!([])] {
        let header = json!({"nonce": nonce(&mut acme), "url": url, "kid": who.kid, "crit": crit});
        let jws = who
            .key
            .jws(header, new_order_payload("app.test").as_bytes());
        let doc = refused_jws(&mut acme, NEW_ORDER, &jws, "malformed");
        assert!(doc["detail"].as_str().unwrap().contains("crit"), "{doc}");
    }
}

#[test]
fn a_csr_for_the_account_key_itself_is_a_bad_csr() {
    let mut acme = server(&["app.test"]);
    let key = selfsign_core::KeyPair::generate(selfsign_core::KeyAlgorithm::P256).unwrap();
    let account_key = AccountKey::p256_of(&key);
    let who = Account {
        kid: account(&mut acme, &account_key),
        key: account_key,
    };
    let (_, order) = order(&mut acme, &who.key, &who.kid, &["app.test"]);
    let finalize = path(order["finalize"].as_str().unwrap());
    let jws = who.signed(&mut acme, &finalize, &csr_payload_for(&["app.test"], &key));
    let doc = refused_jws(&mut acme, &finalize, &jws, "badCSR");
    assert!(
        doc["detail"].as_str().unwrap().contains("account key"),
        "{doc}"
    );
    assert!(acme.state().issued_serials().is_empty());
}

#[test]
fn a_deactivated_accounts_key_is_unauthorized_with_401_even_at_new_account() {
    let mut acme = server(&["app.test"]);
    let who = Account::new(&mut acme, "ES256");
    let off = who.post(&mut acme, &path(&who.kid), r#"{"status":"deactivated"}"#);
    assert_eq!(body_json(&off)["status"], "deactivated");
    for payload in [
        r#"{"termsOfServiceAgreed":true}"#,
        r#"{"onlyReturnExisting":true}"#,
    ] {
        let jws = signed(&mut acme, &who.key, None, "/acme/new-account", payload);
        refused_jws(&mut acme, "/acme/new-account", &jws, "unauthorized");
        let jws = signed(&mut acme, &who.key, None, "/acme/new-account", payload);
        let response = send(&mut acme, "/acme/new-account", jws.to_string().as_bytes());
        assert_eq!(response.status, 401);
        assert_eq!(response.header("Location"), None);
    }
    let jws = who.signed(&mut acme, NEW_ORDER, &new_order_payload("app.test"));
    let response = send(&mut acme, NEW_ORDER, jws.to_string().as_bytes());
    assert_eq!(
        (response.status, problem(&response).as_str()),
        (401, "unauthorized")
    );
}
