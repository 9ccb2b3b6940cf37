//! The ACME server's request path: JWS parsing and verification, then the request bodies of
//! every resource, through `Acme::handle` as the listener calls it.
//!
//! The input is a script of requests separated by lines holding `--`. Each request is a line
//! `OP PATH` followed by its body:
//! - `raw PATH`: POST the body as it is (a hostile JWS);
//! - `jwk PATH` / `kid PATH`: POST the body as the payload of a JWS with a fresh nonce and the
//!   right `url`, signed with an account key and its JWK (`jwk/ES256` or `jwk/RS256` for those
//!   keys, else EdDSA), or with the last such key and `kid` set to the last account URL the
//!   server returned;
//! - `get PATH` / `head PATH`: GET or HEAD;
//! - `ok` / `fail`: report the challenges the server asked to validate as passed or failed.
//!
//! In a PATH, `@order`, `@authz`, `@chall`, `@finalize` and `@cert` stand for the last such URL
//! the server returned, and in a body `@certder` for the last certificate downloaded (base64url
//! DER), so a script can walk the whole RFC 8555 flow, revocation included.
//!
//! Checked on every request: the answer carries a nonce, and an error is an RFC 7807 problem.
//! Before each signed request the same JWS goes with its payload altered: it must be refused,
//! change nothing, and leave its nonce usable for the genuine request.

use std::sync::OnceLock;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use ring::rand::SystemRandom;
use ring::signature::{self, EcdsaKeyPair, Ed25519KeyPair, KeyPair as _, RsaKeyPair};
use selfsign_acme::{
    Acme, ChallengeFailure, Config, FailureKind, NamePolicy, Request, Response, State,
};
use selfsign_core::{Ca, CaOptions, KeyAlgorithm, KeyPair};
use serde_json::{json, Value};

const ORIGIN: &str = "https://localhost:8443";

/// Every name but `blocked.*` may be ordered; names with a `trusted` label need no challenge.
#[derive(Debug)]
struct Names;

impl NamePolicy for Names {
    fn allows(&self, name: &str) -> bool {
        !name.starts_with("blocked.")
    }
    fn trusts(&self, name: &str) -> bool {
        name.split('.').any(|label| label == "trusted")
    }
}

/// The CA's certificate and key as PEM, made once per process (a `Ca` is not `Clone`).
fn ca() -> Ca {
    static PEM: OnceLock<(String, String)> = OnceLock::new();
    let (cert, key) = PEM.get_or_init(|| {
        let ca = Ca::new_root(&CaOptions::default(), crate::now()).expect("a root CA");
        (ca.certificate().pem(), ca.key().private_key_pem())
    });
    Ca::from_pem(cert, key).expect("the fuzz CA imports")
}

/// Signs a message with an account key's private half.
type Sign = Box<dyn Fn(&[u8]) -> Vec<u8> + Send + Sync>;

/// An account key of one of the algorithms clients use: EdDSA, ES256 (lego's default) or
/// RS256 (certbot's); each made once per process.
struct AccountKey {
    alg: &'static str,
    jwk: Value,
    sign: Sign,
}

impl AccountKey {
    /// The key for `alg` (EdDSA for anything else).
    fn get(alg: &str) -> &'static AccountKey {
        static KEYS: OnceLock<[AccountKey; 3]> = OnceLock::new();
        let keys = KEYS.get_or_init(|| [Self::eddsa(), Self::es256(), Self::rs256()]);
        keys.iter().find(|k| k.alg == alg).unwrap_or(&keys[0])
    }

    /// Ed25519 from a fixed seed, so its signatures (and runs) reproduce.
    fn eddsa() -> AccountKey {
        let pair = Ed25519KeyPair::from_seed_unchecked(&[7; 32]).expect("an Ed25519 key");
        AccountKey {
            alg: "EdDSA",
            jwk: json!({"kty": "OKP", "crv": "Ed25519", "x": b64(pair.public_key().as_ref())}),
            sign: Box::new(move |m| pair.sign(m).as_ref().to_vec()),
        }
    }

    fn es256() -> AccountKey {
        let alg = &signature::ECDSA_P256_SHA256_FIXED_SIGNING;
        let rng = SystemRandom::new();
        let pkcs8 = EcdsaKeyPair::generate_pkcs8(alg, &rng).expect("a P-256 key");
        let pair = EcdsaKeyPair::from_pkcs8(alg, pkcs8.as_ref(), &rng).expect("a P-256 key");
        let point = pair.public_key().as_ref().to_vec();
        AccountKey {
            alg: "ES256",
            jwk: json!({"kty": "EC", "crv": "P-256", "x": b64(&point[1..33]), "y": b64(&point[33..])}),
            sign: Box::new(move |m| {
                let sig = pair.sign(&SystemRandom::new(), m).expect("ECDSA signs");
                sig.as_ref().to_vec()
            }),
        }
    }

    fn rs256() -> AccountKey {
        let key = KeyPair::generate(KeyAlgorithm::Rsa2048).expect("an RSA key");
        let pair = RsaKeyPair::from_pkcs8(key.private_key_der().secret_der()).expect("RSA pkcs8");
        let public = signature::RsaPublicKeyComponents::<Vec<u8>>::from(pair.public());
        AccountKey {
            alg: "RS256",
            jwk: json!({"kty": "RSA", "n": b64(&public.n), "e": b64(&public.e)}),
            sign: Box::new(move |m| {
                let mut sig = vec![0; pair.public().modulus_len()];
                let rng = SystemRandom::new();
                pair.sign(&signature::RSA_PKCS1_SHA256, &rng, m, &mut sig)
                    .expect("RSA signs");
                sig
            }),
        }
    }
}

fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// URLs the server handed out, for the `@` names in paths.
#[derive(Default)]
struct Seen {
    account: Option<String>,
    order: Option<String>,
    authz: Option<String>,
    chall: Option<String>,
    finalize: Option<String>,
    cert: Option<String>,
    /// The last certificate downloaded, as base64url DER.
    cert_der: Option<String>,
}

impl Seen {
    /// Remembers the URLs in a response's Location and JSON body.
    fn learn(&mut self, path: &str, response: &Response) {
        let location = response.header("Location").map(str::to_string);
        if path == "/acme/new-account" && response.status < 300 {
            self.account = location.clone().or(self.account.take());
        }
        if path == "/acme/new-order" && response.status < 300 {
            self.order = location.or(self.order.take());
        }
        if response.header("Content-Type") == Some("application/pem-certificate-chain") {
            let chain = selfsign_core::parse_certificates(&response.body).unwrap_or_default();
            self.cert_der = chain
                .first()
                .map(|c| b64(c.der().as_ref()))
                .or(self.cert_der.take());
        }
        let body: Value = serde_json::from_slice(&response.body).unwrap_or(Value::Null);
        let text = |v: &Value| v.as_str().map(str::to_string);
        if let Some(url) = text(&body["authorizations"][0]) {
            self.authz = Some(url);
        }
        if let Some(url) = text(&body["challenges"][0]["url"]) {
            self.chall = Some(url);
        }
        if let Some(url) = text(&body["finalize"]) {
            self.finalize = Some(url);
        }
        if let Some(url) = text(&body["certificate"]) {
            self.cert = Some(url);
        }
    }

    /// `path` with its `@` names replaced by the paths of the URLs they stand for.
    fn expand(&self, path: &str) -> String {
        let mut out = path.to_string();
        for (name, url) in [
            ("@order", &self.order),
            ("@authz", &self.authz),
            ("@chall", &self.chall),
            ("@finalize", &self.finalize),
            ("@cert", &self.cert),
        ] {
            if let Some(url) = url {
                out = out.replace(name, url.strip_prefix(ORIGIN).unwrap_or(url));
            }
        }
        out
    }
}

/// The checks every answer passes; returns the problem type's last part ("" for a success).
fn check(response: &Response) -> String {
    assert!(
        (200..600).contains(&response.status),
        "status {}",
        response.status
    );
    assert!(
        response
            .header("Replay-Nonce")
            .is_some_and(|n| !n.is_empty()),
        "an answer without a nonce"
    );
    if response.status < 400 {
        return String::new();
    }
    assert_eq!(
        response.header("Content-Type"),
        Some("application/problem+json"),
        "an error that is not a problem document"
    );
    let problem: Value = serde_json::from_slice(&response.body).expect("a problem is JSON");
    let kind = problem["type"].as_str().expect("a problem has a type");
    kind.strip_prefix("urn:ietf:params:acme:error:")
        .unwrap_or_else(|| panic!("a problem type outside ACME's: {kind}"))
        .to_string()
}

fn nonce(acme: &mut Acme) -> String {
    let request = Request {
        method: "HEAD",
        path: "/acme/new-nonce",
        content_type: None,
        body: b"",
    };
    let response = acme.handle(&request, crate::NOW);
    check(&response);
    response
        .header("Replay-Nonce")
        .unwrap_or_default()
        .to_string()
}

fn post(acme: &mut Acme, path: &str, body: &[u8]) -> Response {
    let request = Request {
        method: "POST",
        path,
        content_type: Some("application/jose+json"),
        body,
    };
    let response = acme.handle(&request, crate::NOW);
    check(&response);
    response
}

/// Sends `payload` to `path` signed with `key` (with its JWK, or as the last account when
/// `with_kid`), after a forgery of it; returns the genuine answer.
fn signed(
    acme: &mut Acme,
    seen: &Seen,
    key: &AccountKey,
    with_kid: bool,
    path: &str,
    payload: &[u8],
) -> Response {
    let mut header = json!({
        "alg": key.alg,
        "nonce": nonce(acme),
        "url": format!("{ORIGIN}{path}"),
    });
    if with_kid {
        let kid = seen.account.as_deref();
        header["kid"] = json!(kid.unwrap_or("https://localhost:8443/acme/account/none"));
    } else {
        header["jwk"] = key.jwk.clone();
    }
    let protected = b64(header.to_string().as_bytes());
    let encoded = b64(payload);
    let signature = b64(&(key.sign)(format!("{protected}.{encoded}").as_bytes()));
    let jws = |payload: &str| {
        json!({"protected": protected, "payload": payload, "signature": signature}).to_string()
    };

    let mut altered = payload.to_vec();
    match altered.first_mut() {
        Some(first) => *first ^= 1,
        None => altered.extend_from_slice(b"{}"),
    }
    acme.take_changed();
    let forged = post(acme, path, jws(&b64(&altered)).as_bytes());
    assert!(
        forged.status >= 400,
        "a JWS verified with an altered payload"
    );
    assert!(!acme.take_changed(), "a forged request changed the state");
    assert!(
        acme.take_validations().is_empty(),
        "a forged request started a validation"
    );
    let response = post(acme, path, jws(&encoded).as_bytes());
    assert_ne!(
        check(&response),
        "badNonce",
        "a forged request used up the nonce of the genuine one"
    );
    response
}

/// Runs the script in `data` against a fresh server; returns whether any signed request
/// succeeded.
pub fn requests(data: &[u8]) -> bool {
    let config = Config {
        origin: ORIGIN.into(),
        leaf_days: 7,
        names: Box::new(Names),
    };
    let mut acme = Acme::new(config, ca(), State::default()).expect("an ACME server");
    let mut seen = Seen::default();
    let mut pending = Vec::new();
    let mut accepted = false;
    let mut key = AccountKey::get("EdDSA");
    let text = String::from_utf8_lossy(data);
    for step in text.split("\n--\n").take(64) {
        let (line, body) = step.split_once('\n').unwrap_or((step, ""));
        let (op, path) = line.split_once(' ').unwrap_or((line, ""));
        let (op, alg) = op.split_once('/').unwrap_or((op, ""));
        let path = seen.expand(path.trim());
        let body = match &seen.cert_der {
            Some(der) => body.replace("@certder", der),
            None => body.to_string(),
        };
        let body = body.as_bytes();
        let response = match op {
            "raw" => post(&mut acme, &path, body),
            "jwk" | "kid" => {
                if op == "jwk" {
                    key = AccountKey::get(alg);
                }
                let response = signed(&mut acme, &seen, key, op == "kid", &path, body);
                accepted |= response.status < 300;
                response
            }
            "get" | "head" => {
                let method = if op == "get" { "GET" } else { "HEAD" };
                let request = Request {
                    method,
                    path: &path,
                    content_type: None,
                    body: b"",
                };
                let response = acme.handle(&request, crate::NOW);
                check(&response);
                response
            }
            "ok" | "fail" => {
                for v in pending.drain(..) {
                    let outcome = if op == "ok" {
                        Ok(())
                    } else {
                        Err(ChallengeFailure::new(
                            FailureKind::IncorrectResponse,
                            "the fuzz script failed it",
                        ))
                    };
                    acme.finish_validation(&v, outcome, crate::NOW);
                }
                continue;
            }
            _ => continue,
        };
        pending.extend(acme.take_validations());
        seen.learn(&path, &response);
    }
    let _ = acme.state().to_json();
    accepted
}
