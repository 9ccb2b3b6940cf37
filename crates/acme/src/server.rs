//! The ACME server: configuration, routing, and the checks every POST passes (RFC 8555 §6).

use selfsign_core::Ca;
use serde_json::json;

use crate::jws::{Jwk, Jws, Signer};
use crate::message::{Request, Response};
use crate::nonce::Nonces;
use crate::problem::Problem;
use crate::state::{State, Validation};
use crate::Error;

/// The largest request body accepted, in bytes (a CSR for an 8192-bit key fits many times).
pub const MAX_BODY: usize = 64 * 1024;

/// The path every ACME URL starts with.
pub(crate) const PREFIX: &str = "/acme";

/// Which names the server issues for, decided outside this crate (e.g. host patterns).
pub trait NamePolicy: Send + std::fmt::Debug {
    /// Whether certificates may be issued for `name` (a lower-case DNS name) at all.
    fn allows(&self, name: &str) -> bool;
    /// Whether `name` is approved without a challenge.
    fn trusts(&self, name: &str) -> bool;
}

/// How the server is reached and what it issues.
#[derive(Debug)]
pub struct Config {
    /// The origin clients use, e.g. `https://localhost:8443`.
    pub origin: String,
    /// The longest certificate validity in days; orders may ask for less.
    pub leaf_days: u32,
    /// Which names may be ordered and which need no challenge.
    pub names: Box<dyn NamePolicy>,
}

/// The longest leaf validity an ACME order may get, in days.
pub(crate) const MAX_LEAF_DAYS: u32 = 397;

/// An authenticated POST: its payload and the account or key that signed it.
#[derive(Debug)]
pub(crate) struct Post {
    pub payload: Vec<u8>,
    pub signer: Signer,
    /// The account id when signed with `kid`.
    pub account: Option<String>,
    /// The request URL (also the protected header's `url`).
    pub url: String,
}

impl Post {
    /// Whether this is a POST-as-GET (empty payload).
    pub(crate) fn is_get(&self) -> bool {
        self.payload.is_empty()
    }

    /// The payload as a JSON object.
    pub(crate) fn json<T: serde::de::DeserializeOwned>(&self) -> Result<T, Problem> {
        serde_json::from_slice(&self.payload).map_err(|e| {
            Problem::malformed(format!(
                "the JWS payload is not what this resource takes: {e}"
            ))
        })
    }

    /// The account that signed (requests signed with `kid`).
    pub(crate) fn account(&self) -> Result<&str, Problem> {
        self.account.as_deref().ok_or_else(|| {
            Problem::malformed("this request must be signed with kid (the account URL), not jwk")
        })
    }
}

/// An RFC 8555 ACME server over the local CA.
#[derive(Debug)]
pub struct Acme {
    pub(crate) config: Config,
    pub(crate) ca: Ca,
    pub(crate) state: State,
    nonces: Nonces,
    pub(crate) validations: Vec<Validation>,
    pub(crate) changed: bool,
}

impl Acme {
    /// A server issuing from `ca`, continuing from `state`.
    pub fn new(config: Config, ca: Ca, state: State) -> Result<Acme, Error> {
        let origin = config.origin.trim_end_matches('/');
        let host = origin.strip_prefix("https://").unwrap_or_default();
        if host.is_empty() || host.contains('/') {
            return Err(Error::Origin(config.origin.clone()));
        }
        if config.leaf_days == 0 || config.leaf_days > MAX_LEAF_DAYS {
            return Err(Error::LeafDays {
                days: config.leaf_days,
                max: MAX_LEAF_DAYS,
            });
        }
        let config = Config {
            origin: origin.to_string(),
            ..config
        };
        Ok(Acme {
            config,
            ca,
            state,
            nonces: Nonces::default(),
            validations: Vec::new(),
            changed: false,
        })
    }

    /// The state to persist.
    pub fn state(&self) -> &State {
        &self.state
    }

    /// Whether the state changed since the last call (then the caller should save it).
    pub fn take_changed(&mut self) -> bool {
        std::mem::take(&mut self.changed)
    }

    /// Challenges a client asked to be validated since the last call.
    pub fn take_validations(&mut self) -> Vec<Validation> {
        std::mem::take(&mut self.validations)
    }

    /// The absolute URL of `path` (which starts with `/`).
    pub(crate) fn url(&self, path: &str) -> String {
        format!("{}{PREFIX}{path}", self.config.origin)
    }

    /// The directory's URL.
    pub fn directory_url(&self) -> String {
        self.url("/directory")
    }

    /// Answers one request at time `now` (Unix seconds); every answer carries a fresh nonce.
    pub fn handle(&mut self, request: &Request<'_>, now: u64) -> Response {
        let response = self.route(request, now).unwrap_or_else(|p| p.response());
        let response = response.with("Link", format!("<{}>;rel=\"index\"", self.directory_url()));
        match self.nonces.issue() {
            Ok(nonce) => response.with("Replay-Nonce", nonce),
            Err(problem) => problem.response(),
        }
    }

    /// The answer to a request the listener refused before reading its body (`status` 411
    /// for a chunked body, 413 for one over [`MAX_BODY`], else 400): a malformed problem.
    pub fn refuse(&mut self, status: u16) -> Response {
        let detail = match status {
            411 => "send the body with a Content-Length, not chunked".to_string(),
            413 => format!("the request body is over {MAX_BODY} bytes"),
            _ => "the request cannot be framed".to_string(),
        };
        let response = Problem::malformed_status(status, detail).response();
        match self.nonces.issue() {
            Ok(nonce) => response.with("Replay-Nonce", nonce),
            Err(problem) => problem.response(),
        }
    }

    fn route(&mut self, request: &Request<'_>, now: u64) -> Result<Response, Problem> {
        let Some(path) = request.path.strip_prefix(PREFIX) else {
            return Err(Problem::malformed_status(404, "not an ACME URL"));
        };
        let path = path.to_string();
        let segments: Vec<&str> = path.trim_start_matches('/').split('/').collect();
        match (request.method, segments.as_slice()) {
            ("GET" | "HEAD", ["directory"]) => Ok(self.directory()),
            ("HEAD", ["new-nonce"]) => Ok(Response::empty(200).with("Cache-Control", "no-store")),
            ("GET", ["new-nonce"]) => Ok(Response::empty(204).with("Cache-Control", "no-store")),
            ("GET" | "HEAD", ["crl"]) => self.crl(now),
            ("POST", _) => {
                let with_jwk = matches!(segments.as_slice(), ["new-account"] | ["revoke-cert"]);
                let post = self.authenticate(request, &path, with_jwk)?;
                self.dispatch(&segments, &post, now)
            }
            (_, ["directory" | "new-nonce" | "crl"]) => {
                Err(Problem::malformed_status(405, "use GET or HEAD here"))
            }
            _ => Err(Problem::malformed_status(
                405,
                "ACME resources take POST (POST-as-GET to read them)",
            )),
        }
    }

    fn dispatch(&mut self, segments: &[&str], post: &Post, now: u64) -> Result<Response, Problem> {
        match segments {
            ["new-account"] => self.new_account(post),
            ["account", id] => self.update_account(id, post),
            ["account", id, "orders"] => self.account_orders(id, post),
            ["key-change"] => self.key_change(post),
            ["new-order"] => self.new_order(post, now),
            ["order", id] => self.get_order(id, post, now),
            ["order", id, "finalize"] => self.finalize(id, post, now),
            ["authz", id] => self.authz(id, post, now),
            ["chall", id, index] => self.challenge(id, index, post, now),
            ["cert", id] => self.certificate(id, post),
            ["revoke-cert"] => self.revoke(post, now),
            _ => Err(Problem::malformed_status(404, "no such ACME resource")),
        }
    }

    fn directory(&self) -> Response {
        Response::json(
            200,
            &json!({
                "newNonce": self.url("/new-nonce"),
                "newAccount": self.url("/new-account"),
                "newOrder": self.url("/new-order"),
                "revokeCert": self.url("/revoke-cert"),
                "keyChange": self.url("/key-change"),
                "meta": {
                    "externalAccountRequired": false,
                    "website": "https://localhost/selfsign"
                }
            }),
        )
    }

    /// The RFC 8555 §6 checks: size, content type, JWS form, alg, url, nonce, key, signature.
    /// The nonce is used up only once the signature verifies.
    fn authenticate(
        &mut self,
        request: &Request<'_>,
        path: &str,
        with_jwk: bool,
    ) -> Result<Post, Problem> {
        if request.body.len() > MAX_BODY {
            return Err(Problem::malformed_status(
                413,
                format!("the request body is over {MAX_BODY} bytes"),
            ));
        }
        if let Some(kind) = request.content_type {
            let kind = kind.split(';').next().unwrap_or_default().trim();
            if !kind.eq_ignore_ascii_case("application/jose+json") {
                return Err(Problem::malformed_status(
                    415,
                    "ACME requests must be sent as Content-Type: application/jose+json",
                ));
            }
        }
        let jws = Jws::parse(request.body)?;
        jws.check_alg()?;
        let url = self.url(path);
        if jws.url.as_deref() != Some(url.as_str()) {
            return Err(Problem::unauthorized(format!(
                "the JWS url header must be the request URL, {url}"
            )));
        }
        let nonce = jws.nonce.clone().unwrap_or_default();
        if !self.nonces.is_live(&nonce) {
            return Err(Problem::bad_nonce(
                "the JWS nonce is missing, unknown or already used; get a fresh one from newNonce",
            ));
        }
        let (key, account) = match &jws.signer {
            Signer::Jwk(jwk) if with_jwk => {
                jwk.check()?;
                (jwk.clone(), None)
            }
            Signer::Jwk(_) => {
                return Err(Problem::malformed(
                    "this request must be signed with kid (the account URL), not jwk",
                ))
            }
            Signer::Kid(kid) => {
                if path == "/new-account" {
                    return Err(Problem::malformed(
                        "newAccount must be signed with jwk, not kid",
                    ));
                }
                let (id, key) = self.account_key(kid)?;
                (key, Some(id))
            }
        };
        jws.verify(&key)?;
        self.nonces.consume(&nonce);
        Ok(Post {
            payload: jws.payload,
            signer: jws.signer,
            account,
            url,
        })
    }

    /// The id and key of the valid account at URL `kid`.
    fn account_key(&self, kid: &str) -> Result<(String, Jwk), Problem> {
        let prefix = self.url("/account/");
        let id = kid.strip_prefix(&prefix).unwrap_or_default();
        let account = self.state.accounts.get(id).ok_or_else(|| {
            Problem::account_does_not_exist(format!(
                "no account at {kid}; create one with newAccount"
            ))
        })?;
        if account.deactivated {
            return Err(Problem::deactivated(format!(
                "the account {kid} is deactivated"
            )));
        }
        Ok((id.to_string(), account.key.clone()))
    }
}
