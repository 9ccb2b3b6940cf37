//! Hostile requests: each gets the right RFC 8555 problem document and changes no state.

mod client;

use client::*;
use selfsign_acme::{Acme, State, MAX_BODY};
use serde_json::json;

/// An account with a ready order for `app.test` (trusted, so no challenge).
fn ready() -> (Acme, AccountKey, String, serde_json::Value) {
    let mut acme = server(&["app.test"]);
    let key = AccountKey::new("ES256");
    let kid = account(&mut acme, &key);
    let (_, order) = order(&mut acme, &key, &kid, &["app.test"]);
    assert_eq!(order["status"], "ready");
    (acme, key, kid, order)
}

fn new_order_payload(name: &str) -> String {
    json!({"identifiers": [{"type": "dns", "value": name}]}).to_string()
}

/// Sends `body` to `path` and checks the problem type and that state did not change.
fn refused(acme: &mut Acme, path: &str, body: &[u8], kind: &str) -> serde_json::Value {
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

#[test]
fn a_bad_signature_is_malformed() {
    let (mut acme, key, kid, _) = ready();
    let mut jws = signed(
        &mut acme,
        &key,
        Some(&kid),
        "/acme/new-order",
        &new_order_payload("app.test"),
    );
    let sig = jws["signature"].as_str().unwrap().to_string();
    let flipped = if sig.starts_with('A') { "B" } else { "A" };
    jws["signature"] = json!(format!("{flipped}{}", &sig[1..]));
    refused(
        &mut acme,
        "/acme/new-order",
        jws.to_string().as_bytes(),
        "malformed",
    );
}

#[test]
fn a_payload_swapped_under_a_valid_signature_is_refused() {
    let (mut acme, key, kid, _) = ready();
    let mut jws = signed(
        &mut acme,
        &key,
        Some(&kid),
        "/acme/new-order",
        &new_order_payload("app.test"),
    );
    jws["payload"] = json!(b64(new_order_payload("other.test").as_bytes()));
    refused(
        &mut acme,
        "/acme/new-order",
        jws.to_string().as_bytes(),
        "malformed",
    );
}

#[test]
fn a_replayed_nonce_is_refused_and_the_replay_creates_nothing() {
    let (mut acme, key, kid, _) = ready();
    let jws = signed(
        &mut acme,
        &key,
        Some(&kid),
        "/acme/new-order",
        &new_order_payload("app.test"),
    );
    let first = send(&mut acme, "/acme/new-order", jws.to_string().as_bytes());
    assert_eq!(first.status, 201);
    refused(
        &mut acme,
        "/acme/new-order",
        jws.to_string().as_bytes(),
        "badNonce",
    );
}

#[test]
fn a_made_up_or_missing_nonce_is_refused() {
    let (mut acme, key, kid, _) = ready();
    let url = format!("{ORIGIN}/acme/new-order");
    let payload = new_order_payload("app.test");
    let made_up = key.jws(
        json!({"nonce": "AAAAAAAAAAAAAAAAAAAAAA", "url": url, "kid": kid}),
        payload.as_bytes(),
    );
    refused(
        &mut acme,
        "/acme/new-order",
        made_up.to_string().as_bytes(),
        "badNonce",
    );
    let missing = key.jws(json!({"url": url, "kid": kid}), payload.as_bytes());
    refused(
        &mut acme,
        "/acme/new-order",
        missing.to_string().as_bytes(),
        "badNonce",
    );
}

#[test]
fn a_url_header_for_another_resource_is_unauthorized() {
    let (mut acme, key, kid, _) = ready();
    let jws = signed(
        &mut acme,
        &key,
        Some(&kid),
        "/acme/new-account",
        &new_order_payload("app.test"),
    );
    refused(
        &mut acme,
        "/acme/new-order",
        jws.to_string().as_bytes(),
        "unauthorized",
    );
    let nonce = nonce(&mut acme);
    let other_host = key.jws(
        json!({"nonce": nonce, "url": "https://evil.test:8443/acme/new-order", "kid": kid}),
        new_order_payload("app.test").as_bytes(),
    );
    refused(
        &mut acme,
        "/acme/new-order",
        other_host.to_string().as_bytes(),
        "unauthorized",
    );
}

#[test]
fn an_oversized_body_is_refused_before_it_is_parsed() {
    let (mut acme, _, _, _) = ready();
    let body = vec![b'{'; MAX_BODY + 1];
    let before = acme.state().clone();
    let response = send(&mut acme, "/acme/new-order", &body);
    assert_eq!(response.status, 413);
    assert_eq!(problem(&response), "malformed");
    assert_eq!(acme.state(), &before);
}

#[test]
fn an_unknown_account_does_not_exist() {
    let (mut acme, key, kid, _) = ready();
    let ghost = format!(
        "{}nobody",
        kid.rsplit_once('/').unwrap().0.to_string() + "/"
    );
    let jws = signed(
        &mut acme,
        &key,
        Some(&ghost),
        "/acme/new-order",
        &new_order_payload("app.test"),
    );
    refused(
        &mut acme,
        "/acme/new-order",
        jws.to_string().as_bytes(),
        "accountDoesNotExist",
    );
}

#[test]
fn a_csr_for_names_not_in_the_order_is_a_bad_csr() {
    let (mut acme, key, kid, order) = ready();
    let finalize = path(order["finalize"].as_str().unwrap());
    for names in [&["app.test", "extra.test"][..], &["other.test"][..]] {
        let jws = signed(&mut acme, &key, Some(&kid), &finalize, &csr_payload(names));
        refused(&mut acme, &finalize, jws.to_string().as_bytes(), "badCSR");
    }
    assert!(acme.state().issued_serials().is_empty());
}

#[test]
fn a_damaged_csr_is_a_bad_csr() {
    let (mut acme, key, kid, order) = ready();
    let finalize = path(order["finalize"].as_str().unwrap());
    let jws = signed(
        &mut acme,
        &key,
        Some(&kid),
        &finalize,
        &json!({"csr": b64(b"not a csr")}).to_string(),
    );
    refused(&mut acme, &finalize, jws.to_string().as_bytes(), "badCSR");
}

#[test]
fn names_outside_the_name_constraints_or_the_patterns_are_rejected() {
    let (mut acme, key, kid, _) = ready();
    for name in ["www.example.com", "blocked.test"] {
        let jws = signed(
            &mut acme,
            &key,
            Some(&kid),
            "/acme/new-order",
            &new_order_payload(name),
        );
        let doc = refused(
            &mut acme,
            "/acme/new-order",
            jws.to_string().as_bytes(),
            "rejectedIdentifier",
        );
        assert!(doc["detail"].as_str().unwrap().len() > 10);
    }
    let jws = signed(
        &mut acme,
        &key,
        Some(&kid),
        "/acme/new-order",
        &new_order_payload("*.wild.test"),
    );
    refused(
        &mut acme,
        "/acme/new-order",
        jws.to_string().as_bytes(),
        "rejectedIdentifier",
    );
    let ip = json!({"identifiers": [{"type": "ip", "value": "127.0.0.1"}]}).to_string();
    let jws = signed(&mut acme, &key, Some(&kid), "/acme/new-order", &ip);
    refused(
        &mut acme,
        "/acme/new-order",
        jws.to_string().as_bytes(),
        "unsupportedIdentifier",
    );
}

#[test]
fn an_unsupported_algorithm_lists_the_supported_ones() {
    let (mut acme, key, kid, _) = ready();
    let mut jws = signed(
        &mut acme,
        &key,
        Some(&kid),
        "/acme/new-order",
        &new_order_payload("app.test"),
    );
    let header = json!({"alg": "HS256", "nonce": nonce(&mut acme), "url": format!("{ORIGIN}/acme/new-order"), "kid": kid});
    jws["protected"] = json!(b64(header.to_string().as_bytes()));
    let doc = refused(
        &mut acme,
        "/acme/new-order",
        jws.to_string().as_bytes(),
        "badSignatureAlgorithm",
    );
    assert_eq!(
        doc["algorithms"],
        json!(["ES256", "ES384", "RS256", "EdDSA"])
    );
}

#[test]
fn a_jwk_where_an_account_url_belongs_is_malformed() {
    let (mut acme, key, _, _) = ready();
    let jws = signed(
        &mut acme,
        &key,
        None,
        "/acme/new-order",
        &new_order_payload("app.test"),
    );
    refused(
        &mut acme,
        "/acme/new-order",
        jws.to_string().as_bytes(),
        "malformed",
    );
}

#[test]
fn another_accounts_order_is_off_limits() {
    let (mut acme, _, _, order) = ready();
    let intruder = AccountKey::new("ES256");
    let intruder_kid = account(&mut acme, &intruder);
    let finalize = path(order["finalize"].as_str().unwrap());
    let jws = signed(
        &mut acme,
        &intruder,
        Some(&intruder_kid),
        &finalize,
        &csr_payload(&["app.test"]),
    );
    refused(
        &mut acme,
        &finalize,
        jws.to_string().as_bytes(),
        "unauthorized",
    );
}

#[test]
fn garbage_bodies_are_malformed_never_a_panic() {
    let (mut acme, _, _, _) = ready();
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
        refused(&mut acme, "/acme/new-order", body, "malformed");
    }
}

#[test]
fn a_wrong_content_type_is_refused() {
    let (mut acme, key, kid, _) = ready();
    let jws = signed(
        &mut acme,
        &key,
        Some(&kid),
        "/acme/new-order",
        &new_order_payload("app.test"),
    );
    let before = acme.state().clone();
    let body = jws.to_string();
    let request = selfsign_acme::Request {
        method: "POST",
        path: "/acme/new-order",
        content_type: Some("application/json"),
        body: body.as_bytes(),
    };
    let response = acme.handle(&request, NOW);
    assert_eq!(response.status, 415);
    assert_eq!(problem(&response), "malformed");
    assert_eq!(acme.state(), &before);
}
