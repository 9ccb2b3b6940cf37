//! The WebCrypto path as the page uses it, in real headless Chromium: the browser makes the keys
//! and signatures, the core builds the certificates (prepare, sign the TBS, finish); and RSA keys
//! made by the core's own crypto (the fallback). Run by `wasm-pack test --headless --chrome`.
#![cfg(target_arch = "wasm32")]

use js_sys::Uint8Array;
use wasm_bindgen::prelude::*;
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};

use selfsign_core::{Csr, KeyAlgorithm, KeyPair};
use selfsign_wasm as api;

mod common;
use common::{get, js, ok, strings, text};

wasm_bindgen_test_configure!(run_in_browser);

#[wasm_bindgen(inline_js = r#"
const params = {
  p256: [{ name: 'ECDSA', namedCurve: 'P-256' }, { name: 'ECDSA', hash: 'SHA-256' }],
  p384: [{ name: 'ECDSA', namedCurve: 'P-384' }, { name: 'ECDSA', hash: 'SHA-384' }],
  ed25519: [{ name: 'Ed25519' }, { name: 'Ed25519' }],
  rsa2048: [{ name: 'RSASSA-PKCS1-v1_5', modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]), hash: 'SHA-256' },
            { name: 'RSASSA-PKCS1-v1_5' }],
};
export async function webcryptoKey(algorithm) {
  const pair = await crypto.subtle.generateKey(params[algorithm][0], true, ['sign', 'verify']);
  return {
    privateKey: pair.privateKey,
    spki: new Uint8Array(await crypto.subtle.exportKey('spki', pair.publicKey)),
    pkcs8: new Uint8Array(await crypto.subtle.exportKey('pkcs8', pair.privateKey)),
  };
}
export async function webcryptoSign(algorithm, privateKey, tbs) {
  return new Uint8Array(await crypto.subtle.sign(params[algorithm][1], privateKey, tbs));
}
"#)]
extern "C" {
    #[wasm_bindgen(js_name = webcryptoKey, catch)]
    async fn webcrypto_key(algorithm: &str) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(js_name = webcryptoSign, catch)]
    async fn webcrypto_sign(
        algorithm: &str,
        private_key: &JsValue,
        tbs: &[u8],
    ) -> Result<JsValue, JsValue>;
}

/// A key pair made by WebCrypto: its CryptoKey, SPKI and PKCS#8.
struct Key {
    private_key: JsValue,
    spki: Vec<u8>,
    pkcs8: Vec<u8>,
}

async fn key(algorithm: &str) -> Key {
    let made = webcrypto_key(algorithm)
        .await
        .unwrap_or_else(|e| panic!("WebCrypto cannot make {algorithm} keys: {e:?}"));
    let bytes = |name: &str| Uint8Array::new(&get(&made, name)).to_vec();
    Key {
        private_key: get(&made, "privateKey"),
        spki: bytes("spki"),
        pkcs8: bytes("pkcs8"),
    }
}

/// Signs a pending certificate with `signer` (as the page does) and finishes it.
async fn sign(pending: api::Pending, signer: &Key, subject: Option<&Key>) -> JsValue {
    let mut pending = pending;
    let signature = webcrypto_sign(
        &pending.signer(),
        &signer.private_key,
        &pending.tbs().to_vec(),
    )
    .await
    .expect("WebCrypto signs");
    let signature = Uint8Array::new(&signature).to_vec();
    ok(pending.finish(&signature, subject.map(|k| k.pkcs8.clone())))
}

fn message(error: impl Into<JsValue>) -> String {
    let error: JsValue = error.into();
    assert!(error.is_instance_of::<js_sys::Error>(), "a JS Error");
    text(&error, "message")
}

/// Whether `inspect` (which checks signatures, unlike `finish`) finds the certificate self-signed.
fn verifies_itself(result: &JsValue) -> bool {
    let infos = ok(api::inspect(get(result, "certificatePem")));
    get(&js_sys::Array::from(&infos).get(0), "selfSigned") == JsValue::TRUE
}

/// A subject with the random id that makes each default CA name unique replaced by `ID`.
fn without_unique_id(subject: &str) -> String {
    subject
        .split(' ')
        .map(|word| {
            let id = word.trim_end_matches(',');
            match id.len() == 6 && id.bytes().all(|b| b.is_ascii_hexdigit()) {
                true => word.replace(id, "ID"),
                false => word.to_string(),
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// The decoded fields that do not depend on the key, serial or signature (nor on the random id
/// in a default CA name).
fn profile(result: &JsValue) -> Vec<String> {
    let mut out = vec![
        without_unique_id(&text(result, "info.subject")),
        text(result, "info.signatureAlgorithm"),
        text(result, "info.keyAlgorithm"),
        format!("{:?}", get(result, "info.keyBits").as_f64()),
        format!("{:?}", get(result, "info.isCa").as_bool()),
        format!("{:?}", get(result, "info.pathLen").as_f64()),
    ];
    for list in [
        "subjectAltNames",
        "keyUsage",
        "extendedKeyUsage",
        "permittedNames",
    ] {
        out.push(strings(result, &format!("info.{list}")).join(","));
    }
    for file in ["certificate", "key", "chain"] {
        out.push(format!(
            "{:?}",
            get(result, &format!("files.{file}")).as_string()
        ));
    }
    out
}

#[wasm_bindgen_test]
async fn webcrypto_self_signed_leaves_decode_like_the_wasm_ones_for_each_algorithm() {
    let options =
        r#"{"names": ["localhost", "127.0.0.1"], "usage": "both", "days": 30, "key": "ALG"}"#;
    for alg in ["p256", "p384", "ed25519", "rsa2048"] {
        let options = options.replace("ALG", alg);
        let key = key(alg).await;
        let pending = api::prepare_self_signed(js(&options), &key.spki).expect("prepares");
        assert_eq!(pending.signer(), alg);
        let made = sign(pending, &key, Some(&key)).await;
        assert!(verifies_itself(&made), "{alg}: the signature verifies");
        assert!(text(&made, "keyPem").starts_with("-----BEGIN PRIVATE KEY-----\n"));
        let wasm = ok(api::generate_self_signed(js(&options)));
        assert_eq!(profile(&made), profile(&wasm), "{alg}");
        let usages = strings(&made, "info.keyUsage");
        assert_eq!(
            usages.contains(&"keyEncipherment".to_string()),
            alg == "rsa2048",
            "{alg}"
        );
    }
}

#[wasm_bindgen_test]
async fn a_webcrypto_ca_issues_leaves_and_signs_csrs_and_its_key_imports_back() {
    let ca_key = key("p256").await;
    let pending = api::prepare_ca(js(r#"{"nameConstraints": ["example.test"]}"#), &ca_key.spki)
        .expect("prepares");
    let ca = sign(pending, &ca_key, Some(&ca_key)).await;
    assert!(verifies_itself(&ca));
    assert_eq!(get(&ca, "info.isCa"), JsValue::TRUE);
    assert_eq!(
        strings(&ca, "info.permittedNames"),
        [
            "DNS:example.test",
            "email:example.test",
            "email:.example.test",
            "URI:example.test",
            "URI:.example.test"
        ]
    );
    let ca_pem = get(&ca, "certificatePem");
    let imported = ok(api::import_ca(ca_pem.clone(), get(&ca, "keyPem")));
    assert_eq!(
        text(&imported, "keyPem"),
        text(&ca, "keyPem"),
        "WebCrypto's key loads as ours"
    );

    for alg in ["p384", "rsa2048"] {
        let leaf_key = key(alg).await;
        let options = js(&format!(
            r#"{{"names": "api.example.test", "key": "{alg}"}}"#
        ));
        let pending = api::prepare_leaf(ca_pem.clone(), options, &leaf_key.spki).expect("prepares");
        assert_eq!(pending.signer(), "p256", "the CA signs");
        let leaf = sign(pending, &ca_key, Some(&leaf_key)).await;
        assert_eq!(
            get(&leaf, "info.authorityKeyId").as_string(),
            get(&ca, "info.subjectKeyId").as_string()
        );
        assert!(text(&leaf, "chainPem").ends_with(&text(&ca, "certificatePem")));
        let wasm = ok(api::issue_leaf(
            ca_pem.clone(),
            get(&ca, "keyPem"),
            js(&format!(
                r#"{{"names": "api.example.test", "key": "{alg}"}}"#
            )),
        ));
        assert_eq!(profile(&leaf), profile(&wasm), "{alg}");
    }

    let err = JsValue::from(
        api::prepare_leaf(
            ca_pem.clone(),
            js(r#"{"names": "evil.test"}"#),
            &ca_key.spki,
        )
        .err()
        .expect("outside the constraints"),
    );
    assert!(message(err).contains("outside the name constraints"));

    let key = KeyPair::generate(KeyAlgorithm::P256).expect("a key");
    let csr = Csr::new(&["svc.example.test"], &key).expect("a CSR").pem();
    let pending =
        api::prepare_sign_csr(ca_pem.clone(), csr.into(), JsValue::UNDEFINED).expect("prepares");
    let signed = sign(pending, &ca_key, None).await;
    assert_eq!(
        strings(&signed, "info.subjectAltNames"),
        ["DNS:svc.example.test"]
    );
    assert!(
        get(&signed, "keyPem").is_null(),
        "the requester keeps the key"
    );
}

#[wasm_bindgen_test]
async fn a_ca_and_its_leaf_made_together_are_the_ca_and_leaf_made_one_after_the_other() {
    // The CA key comes as PKCS#8, the leaf's as SPKI (its PKCS#8 then goes to finish).
    let ca_key = key("p256").await;
    let leaf_key = key("ed25519").await;
    let options = js(r#"{"names": ["localhost", "127.0.0.1"]}"#);
    let mut pending =
        api::prepare_ca_and_leaf(JsValue::UNDEFINED, &ca_key.pkcs8, options, &leaf_key.spki)
            .expect("prepares");
    assert_eq!(pending.signer(), "p256");
    let tbs = pending.tbs();
    let (ca_tbs, leaf_tbs) = (Uint8Array::new(&tbs.get(0)), Uint8Array::new(&tbs.get(1)));
    assert!(ca_tbs.length() > 0 && leaf_tbs.length() > 0);
    let mut signatures = Vec::new();
    for tbs in [&ca_tbs, &leaf_tbs] {
        let signature = webcrypto_sign("p256", &ca_key.private_key, &tbs.to_vec())
            .await
            .expect("WebCrypto signs");
        signatures.push(Uint8Array::new(&signature).to_vec());
    }
    // Wrong inputs are refused before anything is used up.
    let err = JsValue::from(
        pending
            .finish(&signatures[0], &signatures[1][..10], None, None)
            .expect_err("a short signature"),
    );
    assert_eq!(get(&err, "part").as_string().as_deref(), Some("leaf"));
    assert!(message(err).contains("expected 64 bytes"));
    let err = JsValue::from(
        pending
            .finish(&signatures[0], &signatures[1], None, None)
            .expect_err("the leaf key came as SPKI"),
    );
    assert_eq!(get(&err, "part").as_string().as_deref(), Some("leaf"));
    assert_eq!(get(&err, "field").as_string().as_deref(), Some("keyPem"));
    assert!(message(err).contains("PKCS#8"));
    let made = ok(pending.finish(
        &signatures[0],
        &signatures[1],
        None,
        Some(leaf_key.pkcs8.clone()),
    ));
    let (ca, leaf) = (get(&made, "ca"), get(&made, "leaf"));
    assert!(verifies_itself(&ca));
    for field in ["chainPem", "caPem"] {
        assert!(get(&ca, field).is_null(), "a root has no {field}");
    }
    assert_eq!(text(&leaf, "caPem"), text(&ca, "certificatePem"));
    let chain = text(&leaf, "certificatePem") + &text(&ca, "certificatePem");
    assert_eq!(text(&leaf, "chainPem"), chain);
    assert_eq!(text(&leaf, "info.issuer"), text(&ca, "info.subject"));
    assert_eq!(
        get(&leaf, "info.authorityKeyId").as_string(),
        get(&ca, "info.subjectKeyId").as_string()
    );
    assert_eq!(text(&leaf, "info.keyAlgorithm"), "Ed25519");
    for result in [&ca, &leaf] {
        let der = Uint8Array::new(&get(result, "certificateDer"));
        let decoded = ok(api::inspect(der.clone().into()));
        let decoded = js_sys::Array::from(&decoded).get(0);
        assert_eq!(text(&decoded, "sha256Hex"), text(result, "info.sha256Hex"));
        let key = Uint8Array::new(&get(result, "keyDer"));
        assert!(key.length() > 0);
        assert_ne!(key.buffer(), der.buffer(), "a key never shares a buffer");
    }

    // The same CA's leaf made apart, from its PEM, has the same profile.
    let apart = api::prepare_leaf(
        get(&ca, "certificatePem"),
        js(r#"{"names": ["localhost", "127.0.0.1"]}"#),
        &leaf_key.spki,
    )
    .expect("prepares");
    let apart = sign(apart, &ca_key, Some(&leaf_key)).await;
    assert_eq!(profile(&leaf), profile(&apart));
    assert_eq!(text(&leaf, "keyPem"), text(&apart, "keyPem"));
    assert_eq!(text(&leaf, "caPem"), text(&apart, "caPem"));
    assert!(text(&apart, "chainPem").ends_with(&text(&ca, "certificatePem")));
    let separate = ok(api::generate_ca(JsValue::UNDEFINED));
    let separate_ca = api::prepare_ca(JsValue::UNDEFINED, &ca_key.pkcs8).expect("prepares");
    let separate_ca = sign(separate_ca, &ca_key, None).await;
    assert_eq!(profile(&ca), profile(&separate_ca));
    assert_eq!(text(&ca, "keyPem"), text(&separate_ca, "keyPem"));
    assert_eq!(profile(&ca), profile(&separate));

    let err = JsValue::from(
        pending
            .finish(&signatures[0], &signatures[1], None, None)
            .expect_err("finished once"),
    );
    assert!(message(err).contains("already finished"));
    let err = JsValue::from(
        api::prepare_ca_and_leaf(
            JsValue::UNDEFINED,
            &ca_key.pkcs8,
            js(r#"{"names": "bad name!"}"#),
            &leaf_key.spki,
        )
        .err()
        .expect("a bad leaf name"),
    );
    assert_eq!(get(&err, "field").as_string().as_deref(), Some("names"));
    assert_eq!(get(&err, "part").as_string().as_deref(), Some("leaf"));
    // Both option objects have `key` and `days`: `part` says whose was at fault.
    for (ca_options, leaf_options, part) in [
        (r#"{"days": 0}"#, r#"{"names": "a.test"}"#, "ca"),
        ("{}", r#"{"names": "a.test", "days": 0}"#, "leaf"),
        ("{}", r#"{"names": "a.test", "days": 9999}"#, "leaf"),
    ] {
        let err = JsValue::from(
            api::prepare_ca_and_leaf(
                js(ca_options),
                &ca_key.pkcs8,
                js(leaf_options),
                &leaf_key.spki,
            )
            .err()
            .expect("bad days"),
        );
        assert_eq!(get(&err, "field").as_string().as_deref(), Some("days"));
        assert_eq!(
            get(&err, "part").as_string().as_deref(),
            Some(part),
            "{leaf_options}"
        );
    }
    let err = JsValue::from(
        api::prepare_ca_and_leaf(
            JsValue::UNDEFINED,
            b"no key",
            JsValue::UNDEFINED,
            &leaf_key.spki,
        )
        .err()
        .expect("a bad CA key"),
    );
    assert_eq!(get(&err, "field").as_string().as_deref(), Some("key"));
    assert_eq!(get(&err, "part").as_string().as_deref(), Some("ca"));
    let err = JsValue::from(
        api::prepare_self_signed(js(r#"{"days": 0}"#), &leaf_key.spki)
            .err()
            .expect("bad days"),
    );
    assert!(get(&err, "part").is_undefined(), "one certificate, no part");
}

#[wasm_bindgen_test]
async fn finishing_checks_its_inputs_first_so_a_failed_finish_can_be_retried_once() {
    let key = key("p256").await;
    let mut pending = api::prepare_self_signed(js(r#"{"names": "a.test"}"#), &key.spki).unwrap();
    let err = pending
        .finish(&[1; 70], None)
        .expect_err("a DER signature is not WebCrypto's");
    assert!(message(err).contains("expected 64 bytes"));
    let err = JsValue::from(
        pending
            .finish(&[1; 64], None)
            .expect_err("a key given as its SPKI needs its PKCS#8 at finish"),
    );
    assert_eq!(get(&err, "field").as_string().as_deref(), Some("keyPem"));
    assert!(message(err).contains("PKCS#8"));
    let signature = webcrypto_sign("p256", &key.private_key, &pending.tbs().to_vec())
        .await
        .expect("WebCrypto signs");
    let signature = Uint8Array::new(&signature).to_vec();
    ok(pending.finish(&signature, Some(key.pkcs8.clone())));
    let err = JsValue::from(
        pending
            .finish(&signature, Some(key.pkcs8.clone()))
            .expect_err("finished once"),
    );
    assert!(message(err).contains("already finished"));
    let err = JsValue::from(
        api::prepare_self_signed(js(r#"{"names": "a.test"}"#), b"not a key")
            .err()
            .expect("garbage SPKI"),
    );
    assert_eq!(get(&err, "field").as_string().as_deref(), Some("key"));
    let wt = api::prepare_web_transport(JsValue::UNDEFINED, &key.spki).expect("P-256 is fine");
    assert!(wt.tbs().length() > 0);
    let rsa = self::key("rsa2048").await;
    let err = JsValue::from(
        api::prepare_web_transport(JsValue::UNDEFINED, &rsa.spki)
            .err()
            .expect("WebTransport is P-256 only"),
    );
    assert!(message(err).contains("P-256"));
}

#[wasm_bindgen_test]
fn rsa_certificates_from_the_cores_own_crypto_have_key_encipherment() {
    let made = ok(api::generate_self_signed(js(
        r#"{"names": "localhost", "key": "rsa2048"}"#,
    )));
    assert_eq!(text(&made, "info.keyAlgorithm"), "RSA");
    assert_eq!(get(&made, "info.keyBits").as_f64(), Some(2048.0));
    assert_eq!(
        strings(&made, "info.keyUsage"),
        ["digitalSignature", "keyEncipherment"]
    );
    assert_eq!(
        text(&made, "info.signatureAlgorithm"),
        "sha256WithRSAEncryption"
    );
    assert_eq!(get(&made, "info.selfSigned"), JsValue::TRUE);
}

#[wasm_bindgen_test]
async fn a_pkcs8_export_that_carries_the_public_key_stands_for_the_whole_key() {
    for algorithm in ["p256", "p384", "rsa2048"] {
        let key = key(algorithm).await;
        let options = r#"{"names": "a.test"}"#;
        let pending = api::prepare_self_signed(js(options), &key.pkcs8).expect("prepares");
        let by_pkcs8 = sign(pending, &key, None).await;
        let pending = api::prepare_self_signed(js(options), &key.spki).expect("prepares");
        let by_spki = sign(pending, &key, Some(&key)).await;
        assert!(verifies_itself(&by_pkcs8), "{algorithm}");
        for field in ["keyPem", "info.spkiSha256Base64", "info.keyAlgorithm"] {
            assert_eq!(
                get(&by_pkcs8, field).as_string(),
                get(&by_spki, field).as_string(),
                "{algorithm}: {field}"
            );
        }
    }
    // WebCrypto writes Ed25519 keys as PKCS#8 v1, without the public key: the SPKI is needed.
    if let Ok(made) = webcrypto_key("ed25519").await {
        let pkcs8 = Uint8Array::new(&get(&made, "pkcs8")).to_vec();
        let err = JsValue::from(
            api::prepare_self_signed(js(r#"{"names": "a.test"}"#), &pkcs8)
                .err()
                .expect("no public key in it"),
        );
        assert_eq!(get(&err, "field").as_string().as_deref(), Some("key"));
        assert!(message(err).contains("SubjectPublicKeyInfo"));
    }
}
