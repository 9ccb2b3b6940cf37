//! A hand-built ACME client for the tests: account keys made and used with ring, JWS signed
//! by hand, and a server at a fixed time driven through `Acme::handle`.
#![allow(dead_code)]

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use ring::rand::SystemRandom;
use ring::signature::{self, EcdsaKeyPair, Ed25519KeyPair, KeyPair as _, RsaKeyPair};
use selfsign_acme::{Acme, Config, NamePolicy, Request, Response, State};
use selfsign_core::{Ca, CaOptions, KeyAlgorithm, KeyPair, UnixTime};
use serde_json::{json, Value};

pub const ORIGIN: &str = "https://localhost:8443";
pub const NOW: u64 = 1_790_000_000;

pub fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// Signs a message with an account key's private half.
type Sign = Box<dyn Fn(&[u8]) -> Vec<u8>>;

/// An account key of one of the four algorithms, with its JWK and RFC 7638 thumbprint.
pub struct AccountKey {
    pub alg: &'static str,
    sign: Sign,
    pub jwk: Value,
    canonical: String,
}

impl AccountKey {
    pub fn new(alg: &'static str) -> AccountKey {
        let rng = SystemRandom::new();
        match alg {
            "ES256" | "ES384" => {
                let (signing, crv, half) = if alg == "ES256" {
                    (&signature::ECDSA_P256_SHA256_FIXED_SIGNING, "P-256", 32)
                } else {
                    (&signature::ECDSA_P384_SHA384_FIXED_SIGNING, "P-384", 48)
                };
                let pkcs8 = EcdsaKeyPair::generate_pkcs8(signing, &rng).unwrap();
                AccountKey::ecdsa(alg, signing, crv, half, pkcs8.as_ref())
            }
            "EdDSA" => {
                let pkcs8 = Ed25519KeyPair::generate_pkcs8(&rng).unwrap();
                let pair = Ed25519KeyPair::from_pkcs8(pkcs8.as_ref()).unwrap();
                let x = b64(pair.public_key().as_ref());
                AccountKey {
                    alg,
                    canonical: format!(r#"{{"crv":"Ed25519","kty":"OKP","x":"{x}"}}"#),
                    jwk: json!({"kty": "OKP", "crv": "Ed25519", "x": x}),
                    sign: Box::new(move |m| pair.sign(m).as_ref().to_vec()),
                }
            }
            "RS256" => {
                let key = KeyPair::generate(KeyAlgorithm::Rsa2048).unwrap();
                let pair = RsaKeyPair::from_pkcs8(key.private_key_der().secret_der()).unwrap();
                let parts = signature::RsaPublicKeyComponents::<Vec<u8>>::from(pair.public());
                let (n, e) = (b64(&parts.n), b64(&parts.e));
                AccountKey {
                    alg,
                    canonical: format!(r#"{{"e":"{e}","kty":"RSA","n":"{n}"}}"#),
                    jwk: json!({"kty": "RSA", "n": n, "e": e}),
                    sign: Box::new(move |m| {
                        let mut sig = vec![0; pair.public().modulus_len()];
                        pair.sign(
                            &signature::RSA_PKCS1_SHA256,
                            &SystemRandom::new(),
                            m,
                            &mut sig,
                        )
                        .unwrap();
                        sig
                    }),
                }
            }
            other => panic!("no test key for {other}"),
        }
    }

    /// The account key made of `key`, a P-256 key of the core (so a CSR can be made with it).
    pub fn p256_of(key: &KeyPair) -> AccountKey {
        let signing = &signature::ECDSA_P256_SHA256_FIXED_SIGNING;
        AccountKey::ecdsa(
            "ES256",
            signing,
            "P-256",
            32,
            key.private_key_der().secret_der(),
        )
    }

    fn ecdsa(
        alg: &'static str,
        signing: &'static signature::EcdsaSigningAlgorithm,
        crv: &str,
        half: usize,
        pkcs8: &[u8],
    ) -> AccountKey {
        let pair = EcdsaKeyPair::from_pkcs8(signing, pkcs8, &SystemRandom::new()).unwrap();
        let point = pair.public_key().as_ref().to_vec();
        let (x, y) = (b64(&point[1..1 + half]), b64(&point[1 + half..]));
        AccountKey {
            alg,
            canonical: format!(r#"{{"crv":"{crv}","kty":"EC","x":"{x}","y":"{y}"}}"#),
            jwk: json!({"kty": "EC", "crv": crv, "x": x, "y": y}),
            sign: Box::new(move |m| {
                pair.sign(&SystemRandom::new(), m)
                    .unwrap()
                    .as_ref()
                    .to_vec()
            }),
        }
    }

    pub fn thumbprint(&self) -> String {
        b64(ring::digest::digest(&ring::digest::SHA256, self.canonical.as_bytes()).as_ref())
    }

    /// A flattened JWS over `payload` with `header` (alg is added).
    pub fn jws(&self, mut header: Value, payload: &[u8]) -> Value {
        header["alg"] = json!(self.alg);
        let protected = b64(header.to_string().as_bytes());
        let payload = b64(payload);
        let signature = (self.sign)(format!("{protected}.{payload}").as_bytes());
        json!({"protected": protected, "payload": payload, "signature": b64(&signature)})
    }
}

/// Names policy for tests: everything but `blocked.*` is allowed; `trusted` need no challenge.
#[derive(Debug, Default)]
pub struct Names {
    pub trusted: Vec<String>,
}

impl NamePolicy for Names {
    fn allows(&self, name: &str) -> bool {
        !name.starts_with("blocked.")
    }
    fn trusts(&self, name: &str) -> bool {
        self.trusted.iter().any(|t| t == name)
    }
}

/// A CA whose name constraints permit only `test` (and names under it).
pub fn test_ca() -> Ca {
    let options = CaOptions {
        name_constraints: vec!["test".into()],
        ..CaOptions::default()
    };
    Ca::new_root(
        &options,
        UnixTime::since_unix_epoch(std::time::Duration::from_secs(NOW - 60)),
    )
    .unwrap()
}

pub fn server(trusted: &[&str]) -> Acme {
    server_with(trusted, test_ca(), State::default())
}

pub fn server_with(trusted: &[&str], ca: Ca, state: State) -> Acme {
    let config = Config {
        origin: ORIGIN.into(),
        leaf_days: 7,
        names: Box::new(Names {
            trusted: trusted.iter().map(|s| s.to_string()).collect(),
        }),
    };
    Acme::new(config, ca, state).unwrap()
}

pub fn body_json(response: &Response) -> Value {
    serde_json::from_slice(&response.body).unwrap_or(Value::Null)
}

/// The problem type's last part, e.g. `badNonce`, or "" when the response is not a problem.
pub fn problem(response: &Response) -> String {
    if response.header("Content-Type") != Some("application/problem+json") {
        return String::new();
    }
    let kind = body_json(response)["type"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    kind.trim_start_matches("urn:ietf:params:acme:error:")
        .to_string()
}

pub fn get(acme: &mut Acme, method: &str, path: &str) -> Response {
    let request = Request {
        method,
        path,
        content_type: None,
        body: b"",
    };
    acme.handle(&request, NOW)
}

pub fn nonce(acme: &mut Acme) -> String {
    get(acme, "HEAD", "/acme/new-nonce")
        .header("Replay-Nonce")
        .unwrap()
        .to_string()
}

pub fn send(acme: &mut Acme, path: &str, body: &[u8]) -> Response {
    let request = Request {
        method: "POST",
        path,
        content_type: Some("application/jose+json"),
        body,
    };
    acme.handle(&request, NOW)
}

/// A POST to `path` signed by `key` as `kid` (or with the jwk when `kid` is None).
pub fn post(
    acme: &mut Acme,
    key: &AccountKey,
    kid: Option<&str>,
    path: &str,
    payload: &str,
) -> Response {
    let body = signed(acme, key, kid, path, payload);
    send(acme, path, body.to_string().as_bytes())
}

pub fn signed(
    acme: &mut Acme,
    key: &AccountKey,
    kid: Option<&str>,
    path: &str,
    payload: &str,
) -> Value {
    let mut header = json!({"nonce": nonce(acme), "url": format!("{ORIGIN}{path}")});
    match kid {
        Some(kid) => header["kid"] = json!(kid),
        None => header["jwk"] = key.jwk.clone(),
    }
    key.jws(header, payload.as_bytes())
}

/// The path part of one of the server's URLs.
pub fn path(url: &str) -> String {
    url.strip_prefix(ORIGIN).unwrap_or(url).to_string()
}

/// Creates an account; returns its URL.
pub fn account(acme: &mut Acme, key: &AccountKey) -> String {
    let response = post(
        acme,
        key,
        None,
        "/acme/new-account",
        r#"{"termsOfServiceAgreed":true}"#,
    );
    assert_eq!(
        response.status,
        201,
        "{}",
        String::from_utf8_lossy(&response.body)
    );
    response.header("Location").unwrap().to_string()
}

/// Places an order for `names`; returns its URL and body.
pub fn order(acme: &mut Acme, key: &AccountKey, kid: &str, names: &[&str]) -> (String, Value) {
    let ids: Vec<Value> = names
        .iter()
        .map(|n| json!({"type": "dns", "value": n}))
        .collect();
    let payload = json!({ "identifiers": ids }).to_string();
    let response = post(acme, key, Some(kid), "/acme/new-order", &payload);
    assert_eq!(
        response.status,
        201,
        "{}",
        String::from_utf8_lossy(&response.body)
    );
    (
        response.header("Location").unwrap().to_string(),
        body_json(&response),
    )
}

/// A finalize payload with a CSR for `names` under a new P-256 key.
pub fn csr_payload(names: &[&str]) -> String {
    csr_payload_for(names, &KeyPair::generate(KeyAlgorithm::P256).unwrap())
}

/// A finalize payload with a CSR for `names` under `key`.
pub fn csr_payload_for(names: &[&str], key: &KeyPair) -> String {
    let csr = selfsign_core::Csr::new(names, key).unwrap();
    json!({ "csr": b64(csr.der().as_ref()) }).to_string()
}

/// The new-order payload for one DNS name.
pub fn new_order_payload(name: &str) -> String {
    json!({"identifiers": [{"type": "dns", "value": name}]}).to_string()
}

/// The challenge of `kind` (e.g. `http-01`) in an authorization.
pub fn challenge(authz: &Value, kind: &str) -> Value {
    authz["challenges"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["type"] == kind)
        .unwrap()
        .clone()
}

/// An account on the server: its key and its URL (the `kid` it signs with).
pub struct Account {
    pub key: AccountKey,
    pub kid: String,
}

impl Account {
    /// Creates an account with a new key of `alg`.
    pub fn new(acme: &mut Acme, alg: &'static str) -> Account {
        let key = AccountKey::new(alg);
        let kid = account(acme, &key);
        Account { key, kid }
    }

    /// A POST to `path` signed as this account.
    pub fn post(&self, acme: &mut Acme, path: &str, payload: &str) -> Response {
        post(acme, &self.key, Some(&self.kid), path, payload)
    }

    /// A POST-as-GET of one of the server's URLs; its JSON body.
    pub fn fetch(&self, acme: &mut Acme, url: &str) -> Value {
        body_json(&self.post(acme, &path(url), ""))
    }

    /// The flattened JWS this account would send to `path`, not yet sent.
    pub fn signed(&self, acme: &mut Acme, path: &str, payload: &str) -> Value {
        signed(acme, &self.key, Some(&self.kid), path, payload)
    }

    /// Finalizes `order` with a CSR for `names`.
    pub fn finalize(&self, acme: &mut Acme, order: &Value, names: &[&str]) -> Response {
        let finalize = path(order["finalize"].as_str().unwrap());
        self.post(acme, &finalize, &csr_payload(names))
    }

    /// Downloads a valid order's certificate chain (PEM).
    pub fn certificate(&self, acme: &mut Acme, order: &Value) -> Response {
        self.post(acme, &path(order["certificate"].as_str().unwrap()), "")
    }
}
