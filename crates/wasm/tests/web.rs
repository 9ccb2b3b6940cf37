//! The JS API as a page sees it, run in real headless Chromium by
//! `wasm-pack test --headless --chrome crates/wasm`.
#![cfg(target_arch = "wasm32")]

use js_sys::{Reflect, Uint8Array, JSON};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};

use selfsign_core::{Csr, KeyAlgorithm, KeyPair};
use selfsign_wasm as api;

mod common;
use common::{get, js, ok, strings, text};

wasm_bindgen_test_configure!(run_in_browser);

fn number(value: &JsValue, path: &str) -> f64 {
    get(value, path).as_f64().expect("a number")
}

/// The thrown error's message and `field`, after checking it is a real JS `Error`.
fn failure(result: Result<JsValue, impl Into<JsValue>>) -> (String, Option<String>) {
    let error: JsValue = result
        .map_err(Into::into)
        .expect_err("the call should fail");
    assert!(error.is_instance_of::<js_sys::Error>(), "a JS Error");
    assert_eq!(text(&error, "name"), "SelfsignError");
    (text(&error, "message"), get(&error, "field").as_string())
}

fn assert_failure(result: Result<JsValue, impl Into<JsValue>>, field: &str, words: &str) {
    let (message, got_field) = failure(result);
    assert_eq!(got_field.as_deref(), Some(field), "field of: {message}");
    assert!(
        message.contains(words),
        "{message:?} should mention {words:?}"
    );
}

fn local_ca() -> JsValue {
    ok(api::generate_ca(JsValue::UNDEFINED))
}

fn pem(value: &JsValue, path: &str) -> JsValue {
    get(value, path)
}

#[wasm_bindgen_test]
fn self_signed_server_certificate_covers_every_name() {
    let cert = ok(api::generate_self_signed(js(
        r#"{"names": "localhost\n127.0.0.1\n::1\n", "days": 30}"#,
    )));
    assert!(text(&cert, "certificatePem").starts_with("-----BEGIN CERTIFICATE-----"));
    assert!(text(&cert, "keyPem").starts_with("-----BEGIN PRIVATE KEY-----"));
    assert_eq!(
        strings(&cert, "info.subjectAltNames"),
        ["DNS:localhost", "IP:127.0.0.1", "IP:::1"]
    );
    assert_eq!(strings(&cert, "info.extendedKeyUsage"), ["serverAuth"]);
    assert_eq!(text(&cert, "info.keyAlgorithm"), "ECDSA P-256");
    assert_eq!(get(&cert, "info.isCa"), JsValue::FALSE);
    assert_eq!(get(&cert, "info.selfSigned"), JsValue::TRUE);
    assert_eq!(
        number(&cert, "info.notAfter") - number(&cert, "info.notBefore"),
        30.0 * 86_400.0
    );
    assert!(get(&cert, "chainPem").is_null(), "self-signed: no chain");
    assert_eq!(text(&cert, "files.certificate"), "localhost+2.pem");
    assert_eq!(text(&cert, "files.key"), "localhost+2-key.pem");
    assert!(get(&cert, "certificateDer").is_instance_of::<Uint8Array>());
    assert_eq!(text(&cert, "info.sha256Fingerprint").len(), 32 * 3 - 1);
}

#[wasm_bindgen_test]
fn each_key_algorithm_can_be_generated() {
    for (key, description) in [
        ("p256", "ECDSA P-256"),
        ("p384", "ECDSA P-384"),
        ("ed25519", "Ed25519"),
    ] {
        let cert = ok(api::generate_self_signed(js(&format!(
            r#"{{"names": ["example.test"], "key": "{key}"}}"#
        ))));
        assert_eq!(text(&cert, "info.keyAlgorithm"), description);
    }
}

#[wasm_bindgen_test]
fn ca_only_makes_a_root_that_can_sign_certificates() {
    let ca = local_ca();
    assert_eq!(get(&ca, "info.isCa"), JsValue::TRUE);
    assert!(strings(&ca, "info.keyUsage").contains(&"keyCertSign".to_string()));
    assert_eq!(text(&ca, "files.certificate"), "rootCA.pem");
    assert_eq!(text(&ca, "files.key"), "rootCA-key.pem");
    assert!(number(&ca, "info.daysLeft") >= 3649.0);
}

#[wasm_bindgen_test]
fn local_ca_issues_a_server_leaf_with_its_chain() {
    let ca = local_ca();
    let leaf = ok(api::issue_leaf(
        pem(&ca, "certificatePem"),
        pem(&ca, "keyPem"),
        js(r#"{"names": ["localhost", "127.0.0.1", "::1"]}"#),
    ));
    assert_eq!(text(&leaf, "info.issuer"), text(&ca, "info.subject"));
    assert_eq!(
        text(&leaf, "info.authorityKeyId"),
        text(&ca, "info.subjectKeyId")
    );
    assert_eq!(text(&leaf, "caPem"), text(&ca, "certificatePem"));
    assert_eq!(
        text(&leaf, "chainPem"),
        text(&leaf, "certificatePem") + &text(&ca, "certificatePem")
    );
    assert_eq!(text(&leaf, "files.chain"), "localhost+2-chain.pem");
    assert_eq!(
        number(&leaf, "info.notAfter") - number(&leaf, "info.notBefore"),
        397.0 * 86_400.0
    );
    let decoded = ok(api::inspect(get(&leaf, "chainPem")));
    assert_eq!(js_sys::Array::from(&decoded).length(), 2);
}

#[wasm_bindgen_test]
fn client_certificates_carry_client_auth_and_a_client_file_name() {
    let ca = local_ca();
    let leaf = ok(api::issue_leaf(
        pem(&ca, "certificatePem"),
        pem(&ca, "keyPem"),
        js(r#"{"names": "alice@example.test", "usage": "client"}"#),
    ));
    assert_eq!(strings(&leaf, "info.extendedKeyUsage"), ["clientAuth"]);
    assert_eq!(
        strings(&leaf, "info.subjectAltNames"),
        ["email:alice@example.test"]
    );
    assert_eq!(
        text(&leaf, "files.certificate"),
        "alice@example.test-client.pem"
    );
}

#[wasm_bindgen_test]
fn name_constrained_ca_permits_its_names_and_refuses_others() {
    let permitted = ok(api::name_constraints_for(js(
        r#"["localhost", "*.dev.test", "127.0.0.1", "::1"]"#,
    )));
    let ca = ok(api::generate_ca(JsValue::from(
        js_sys::Object::from_entries(&js_sys::Array::of1(&js_sys::Array::of2(
            &"nameConstraints".into(),
            &permitted,
        )))
        .expect("object"),
    )));
    assert_eq!(
        strings(&ca, "info.permittedNames"),
        [
            "DNS:localhost",
            "DNS:dev.test",
            "IP:127.0.0.1/32",
            "IP:::1/128",
            "email:localhost",
            "email:.localhost",
            "email:dev.test",
            "email:.dev.test",
            "URI:localhost",
            "URI:.localhost",
            "URI:dev.test",
            "URI:.dev.test"
        ]
    );
    let (cert, key) = (pem(&ca, "certificatePem"), pem(&ca, "keyPem"));
    ok(api::issue_leaf(
        cert.clone(),
        key.clone(),
        js(r#"{"names": ["a.dev.test", "::1"]}"#),
    ));
    assert_failure(
        api::issue_leaf(cert, key, js(r#"{"names": "example.com"}"#)),
        "names",
        "outside the name constraints",
    );
}

/// A value as JSON text, in its key order.
fn stringified(value: &JsValue) -> String {
    JSON::stringify(value)
        .expect("stringifies")
        .as_string()
        .expect("text")
}

#[wasm_bindgen_test]
fn certificate_results_have_the_keys_and_view_their_json_would_give() {
    // Non-ASCII names, lists, nulls and numbers: every kind of field the results carry.
    let ca = ok(api::generate_ca(js(r#"{"commonName": "Ünïcode CA ✓ 𝄞",
        "organization": "Äcme", "nameConstraints": ["example.test", "10.0.0.0/8"], "pathLen": 0}"#)));
    let leaf = ok(api::issue_leaf(
        pem(&ca, "certificatePem"),
        pem(&ca, "keyPem"),
        js(
            r#"{"names": ["bücher.example.test", "a.example.test", "10.1.2.3", "me@example.test"],
            "usage": "both"}"#,
        ),
    ));
    let self_signed = ok(api::generate_self_signed(js(r#"{"names": "localhost"}"#)));
    let keys = [
        "certificatePem",
        "keyPem",
        "chainPem",
        "caPem",
        "info",
        "files",
        "certificateDer",
        "keyDer",
    ];
    for result in [&ca, &leaf, &self_signed] {
        let object: &js_sys::Object = result.unchecked_ref();
        let got: Vec<String> = js_sys::Object::keys(object)
            .iter()
            .filter_map(|k| k.as_string())
            .collect();
        assert_eq!(got, keys);
        // inspect's views take the JSON route: the same text, key for key (but for the days
        // left, which a second's tick between the two calls can change).
        let decoded = js_sys::Array::from(&ok(api::inspect(get(result, "certificatePem")))).get(0);
        let info = get(result, "info");
        for view in [&info, &decoded] {
            Reflect::set(view, &"daysLeft".into(), &JsValue::from(0)).expect("settable");
        }
        assert_eq!(stringified(&info), stringified(&decoded));
    }
    assert_eq!(text(&ca, "info.commonName"), "Ünïcode CA ✓ 𝄞");
    assert_eq!(text(&ca, "info.issuer"), text(&leaf, "info.issuer"));
    assert_eq!(
        text(&leaf, "files.chain"),
        "xn--bcher-kva.example.test+3-chain.pem"
    );
    assert!(get(&self_signed, "chainPem").is_null() && get(&self_signed, "files.chain").is_null());
    assert_eq!(
        text(&leaf, "chainPem"),
        text(&leaf, "certificatePem") + &text(&ca, "certificatePem")
    );
}

#[wasm_bindgen_test]
fn imported_ca_from_pem_or_der_issues_more_leaves() {
    let ca = local_ca();
    let imported = ok(api::import_ca(
        pem(&ca, "certificatePem"),
        pem(&ca, "keyPem"),
    ));
    assert_eq!(
        text(&imported, "info.sha256Fingerprint"),
        text(&ca, "info.sha256Fingerprint")
    );
    assert_eq!(text(&imported, "keyPem"), text(&ca, "keyPem"));
    let from_der = ok(api::import_ca(
        get(&ca, "certificateDer"),
        get(&ca, "keyDer"),
    ));
    assert_eq!(
        text(&from_der, "certificatePem"),
        text(&ca, "certificatePem")
    );
    let leaf = ok(api::issue_leaf(
        pem(&imported, "certificatePem"),
        pem(&imported, "keyPem"),
        js(r#"{"names": "api.example.test", "usage": "both", "key": "p384"}"#),
    ));
    assert_eq!(
        strings(&leaf, "info.extendedKeyUsage"),
        ["serverAuth", "clientAuth"]
    );
    assert_eq!(text(&leaf, "info.issuer"), text(&ca, "info.subject"));
}

#[wasm_bindgen_test]
fn csr_round_trip_keeps_names_and_key() {
    // The request as a requester's tool (openssl, `selfsign csr`) makes it.
    let key = KeyPair::generate(KeyAlgorithm::P256).expect("a key");
    let csr = Csr::new(&["svc.example.test", "10.0.0.7"], &key).expect("a CSR");
    let ca = local_ca();
    let signed = ok(api::sign_csr(
        pem(&ca, "certificatePem"),
        pem(&ca, "keyPem"),
        JsValue::from(csr.pem()),
        js(r#"{"days": 90, "usage": "client"}"#),
    ));
    assert!(
        get(&signed, "keyPem").is_null(),
        "the requester keeps the key"
    );
    assert_eq!(
        strings(&signed, "info.subjectAltNames"),
        ["DNS:svc.example.test", "IP:10.0.0.7"]
    );
    assert_eq!(strings(&signed, "info.extendedKeyUsage"), ["clientAuth"]);
    assert_eq!(text(&signed, "info.issuer"), text(&ca, "info.subject"));
    // A CSR made with the same key carries the same public key: same SPKI pin.
    let again = Csr::new(&["svc.example.test"], &key).expect("a CSR");
    let resigned = ok(api::sign_csr(
        pem(&ca, "certificatePem"),
        pem(&ca, "keyPem"),
        Uint8Array::from(again.der().as_ref()).into(),
        JsValue::UNDEFINED,
    ));
    assert_eq!(
        text(&resigned, "info.spkiSha256Base64"),
        text(&signed, "info.spkiSha256Base64")
    );
}

#[wasm_bindgen_test]
fn inspect_reads_pem_and_der() {
    let cert = ok(api::generate_self_signed(js(r#"{"names": "localhost"}"#)));
    let from_pem = js_sys::Array::from(&ok(api::inspect(get(&cert, "certificatePem"))));
    let from_der = js_sys::Array::from(&ok(api::inspect(get(&cert, "certificateDer"))));
    assert_eq!(from_pem.length(), 1);
    assert_eq!(
        text(&from_pem.get(0), "sha256Fingerprint"),
        text(&from_der.get(0), "sha256Fingerprint")
    );
    assert_eq!(text(&from_pem.get(0), "commonName"), "localhost");
    assert_eq!(get(&from_pem.get(0), "validNow"), JsValue::TRUE);
}

#[wasm_bindgen_test]
fn web_transport_preset_is_p256_for_at_most_14_days_with_its_hash() {
    let wt = ok(api::web_transport(js(r#"{"names": "localhost"}"#)));
    assert_eq!(text(&wt, "info.keyAlgorithm"), "ECDSA P-256");
    assert_eq!(
        number(&wt, "info.notAfter") - number(&wt, "info.notBefore"),
        14.0 * 86_400.0
    );
    let hash = Uint8Array::from(get(&wt, "sha256")).to_vec();
    let hex: String = hash.iter().map(|b| format!("{b:02x}")).collect();
    assert_eq!(hex, text(&wt, "info.sha256Hex"));
    let literal = text(&wt, "sha256Literal");
    assert!(literal.starts_with("new Uint8Array([") && literal.ends_with("])"));
    assert_eq!(literal.matches(", ").count(), 31);
    let decoded = js_sys::eval(&format!(
        "Array.from(atob({:?}), c => c.charCodeAt(0))",
        text(&wt, "sha256Base64")
    ))
    .expect("base64 decodes");
    let decoded: Vec<u8> = js_sys::Array::from(&decoded)
        .iter()
        .map(|v| v.as_f64().unwrap_or(-1.0) as u8)
        .collect();
    assert_eq!(decoded, hash);
    assert!(text(&wt, "snippet").contains("serverCertificateHashes"));
    assert_failure(
        api::web_transport(js(r#"{"days": 15}"#)),
        "days",
        "at most 14 days",
    );
    assert_failure(api::web_transport(js(r#"{"key": "p384"}"#)), "key", "P-256");
}

#[wasm_bindgen_test]
fn bad_dns_names_are_errors_on_the_names_field() {
    for (names, words) in [
        ("exa mple.test", "cannot contain spaces"),
        ("-bad-.test", "hyphen"),
        ("under_score.test", "underscores"),
        ("a..b", "empty label"),
        ("\n\n", "no names given"),
    ] {
        let options = JsValue::from(js_sys::Object::new());
        Reflect::set(&options, &"names".into(), &names.into()).expect("set");
        assert_failure(api::generate_self_signed(options), "names", words);
    }
}

#[wasm_bindgen_test]
fn validity_must_be_a_sensible_number_of_days() {
    assert_failure(
        api::generate_self_signed(js(r#"{"names": "a.test", "days": 0}"#)),
        "days",
        "at least 1 day",
    );
    assert_failure(
        api::generate_self_signed(js(r#"{"names": "a.test", "days": -5}"#)),
        "days",
        "at least 1 day",
    );
    assert_failure(
        api::generate_self_signed(js(r#"{"names": "a.test", "days": 1.5}"#)),
        "days",
        "whole number",
    );
    assert_failure(
        api::generate_self_signed(js(r#"{"names": "a.test", "days": 40000}"#)),
        "days",
        "36525",
    );
    let ca = ok(api::generate_ca(js(r#"{"days": 30}"#)));
    assert_failure(
        api::issue_leaf(
            pem(&ca, "certificatePem"),
            pem(&ca, "keyPem"),
            js(r#"{"names": "a.test"}"#),
        ),
        "days",
        "after its issuer does",
    );
}

#[wasm_bindgen_test]
fn garbage_ca_imports_name_the_file_at_fault() {
    let ca = local_ca();
    let (cert, key) = (pem(&ca, "certificatePem"), pem(&ca, "keyPem"));
    assert_failure(
        api::import_ca("hello".into(), key.clone()),
        "caCert",
        "neither PEM",
    );
    assert_failure(
        api::import_ca(
            "-----BEGIN CERTIFICATE-----\nnot base64!\n-----END CERTIFICATE-----\n".into(),
            key.clone(),
        ),
        "caCert",
        "invalid",
    );
    assert_failure(
        api::import_ca(key.clone(), key.clone()),
        "caCert",
        "this is a private key, not a certificate",
    );
    assert_failure(
        api::import_ca("".into(), key.clone()),
        "caCert",
        "no CA certificate given",
    );
    assert_failure(
        api::import_ca(cert.clone(), "garbage".into()),
        "caKey",
        "invalid private key",
    );
    assert_failure(
        api::import_ca(cert.clone(), cert.clone()),
        "caKey",
        "invalid private key",
    );
    let other = local_ca();
    assert_failure(
        api::import_ca(cert, pem(&other, "keyPem")),
        "caKey",
        "does not match",
    );
    let leaf = ok(api::generate_self_signed(js(r#"{"names": "a.test"}"#)));
    assert_failure(
        api::import_ca(pem(&leaf, "certificatePem"), pem(&leaf, "keyPem")),
        "caCert",
        "not usable as a CA",
    );
}

#[wasm_bindgen_test]
fn other_bad_inputs_are_errors_with_useful_messages() {
    assert_failure(api::inspect("garbage".into()), "input", "neither PEM");
    assert_failure(
        api::inspect(JsValue::from(42)),
        "input",
        "expected PEM text",
    );
    assert_failure(
        api::generate_self_signed(js(r#"{"names": "a.test", "key": "rsa"}"#)),
        "key",
        "unknown key algorithm",
    );
    assert_failure(
        api::generate_self_signed(js(r#"{"names": "a.test", "usage": "mail"}"#)),
        "usage",
        "choose server, client or both",
    );
    assert_failure(
        api::generate_ca(js(r#"{"commonName": "  "}"#)),
        "commonName",
        "common name",
    );
    assert_failure(
        api::generate_ca(js(r#"{"pathLen": 300}"#)),
        "pathLen",
        "0 to 255",
    );
    assert_failure(
        api::generate_ca(js(r#"{"nameConstraints": "*.x.test"}"#)),
        "nameConstraints",
        "without `*.`",
    );
    let ca = local_ca();
    assert_failure(
        api::sign_csr(
            pem(&ca, "certificatePem"),
            pem(&ca, "keyPem"),
            "garbage".into(),
            JsValue::UNDEFINED,
        ),
        "csr",
        "CSR",
    );
    let (message, field) = failure(api::generate_self_signed(js(
        r#"{"names": "a.test", "dayz": 3}"#,
    )));
    assert!(message.contains("unknown option `dayz`"), "{message}");
    assert_eq!(field, None);
}

#[wasm_bindgen_test]
fn odd_values_never_panic() {
    let odd = [
        JsValue::UNDEFINED,
        JsValue::NULL,
        JsValue::from(f64::NAN),
        JsValue::from("x"),
        js("[1, 2, 3]"),
        js(r#"{"names": 5}"#),
        js(r#"{"names": [null]}"#),
        js(r#"{"days": "7"}"#),
        js(r#"{"names": "\u0000\uffff", "days": 1e308}"#),
        Uint8Array::from(&[0x30u8, 0x82, 0xff, 0xff, 0x00][..]).into(),
    ];
    for value in &odd {
        // Each call returns a value or throws a SelfsignError; a panic would abort the test.
        for result in [
            api::generate_self_signed(value.clone()),
            api::generate_ca(value.clone()),
            api::web_transport(value.clone()),
            api::inspect(value.clone()),
            api::name_constraints_for(value.clone()),
            api::import_ca(value.clone(), value.clone()),
            api::issue_leaf(value.clone(), value.clone(), value.clone()),
            api::sign_csr(value.clone(), value.clone(), value.clone(), value.clone()),
        ] {
            if let Err(error) = result {
                assert!(JsValue::from(error).is_instance_of::<js_sys::Error>());
            }
        }
    }
}

#[wasm_bindgen_test]
fn defaults_describe_the_limits() {
    let defaults = ok(api::defaults());
    assert_eq!(number(&defaults, "leafDays"), 397.0);
    assert_eq!(number(&defaults, "caDays"), 3650.0);
    assert_eq!(number(&defaults, "webTransportDays"), 14.0);
    let algorithms = js_sys::Array::from(&get(&defaults, "algorithms"));
    assert_eq!(algorithms.length(), 3);
}
