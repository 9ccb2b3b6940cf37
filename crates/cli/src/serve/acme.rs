//! `selfsign serve --acme`: the ACME server of `selfsign-acme` answering `/acme/` on the
//! listener, issuing from the local CA for allowed name patterns, its state kept in
//! `<data dir>/acme/state.json` (replaced atomically after every change).

use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{SystemTime, UNIX_EPOCH};

use selfsign_acme::{Acme, Config, NamePolicy, Request, State, MAX_BODY};
use selfsign_core::UnixTime;
use selfsign_server::{Handler, HandlerRequest, HandlerResponse, HostPatterns};

use super::challenge::Validators;
use super::ServeArgs;
use crate::files::{self, Secrecy};
use crate::store::{create_private_dir, Store};
use crate::Error;

/// Names ACME issues for when `--acme-names` is not given.
const DEFAULT_NAMES: [&str; 2] = ["localhost", "*.localhost"];

/// Allowed and trusted names as host patterns.
#[derive(Debug)]
struct Patterns {
    allowed: HostPatterns,
    trusted: HostPatterns,
}

impl NamePolicy for Patterns {
    fn allows(&self, name: &str) -> bool {
        self.allowed.permits(name) || self.trusted.permits(name)
    }

    fn trusts(&self, name: &str) -> bool {
        self.trusted.permits(name)
    }
}

fn patterns(flag: &str, given: &[String]) -> Result<HostPatterns, Error> {
    let mut patterns = HostPatterns::new();
    for p in given {
        patterns
            .allow(p)
            .map_err(|e| Error::Usage(format!("{flag}: {e}")))?;
    }
    Ok(patterns)
}

/// The ACME server shared by the event loop and the challenge validators.
#[derive(Debug)]
pub struct Shared {
    acme: Mutex<Acme>,
    state_path: PathBuf,
}

impl Shared {
    /// The server, even if a validator thread panicked while holding it.
    pub fn lock(&self) -> MutexGuard<'_, Acme> {
        self.acme.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Saves the state if it changed; a failure is logged and retried at the next change.
    pub fn save_if_changed(&self, acme: &mut Acme) {
        if acme.take_changed() {
            let json = acme.state().to_json();
            if let Err(e) = files::write_new(&self.state_path, &json, Secrecy::Secret, true) {
                tracing::error!("cannot save the ACME state: {e}");
            }
        }
    }
}

/// Answers `/acme/` requests on the listener.
#[derive(Debug)]
pub struct AcmeHandler {
    shared: Arc<Shared>,
    validators: Validators,
}

impl Handler for AcmeHandler {
    fn claims(&self, path: &str) -> bool {
        path == "/acme" || path.starts_with("/acme/")
    }

    fn max_body(&self) -> usize {
        MAX_BODY
    }

    fn handle(&self, request: &HandlerRequest<'_>) -> HandlerResponse {
        let request = Request {
            method: request.method,
            path: request.path,
            content_type: request.content_type,
            body: request.body,
        };
        let mut acme = self.shared.lock();
        let response = acme.handle(&request, unix_now());
        self.shared.save_if_changed(&mut acme);
        let validations = acme.take_validations();
        drop(acme);
        for validation in validations {
            self.validators.submit(validation);
        }
        HandlerResponse {
            status: response.status,
            headers: response
                .headers
                .into_iter()
                .map(|(n, v)| (n.to_string(), v))
                .collect(),
            body: response.body,
        }
    }
}

/// Seconds since the Unix epoch.
pub fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// The handler for `serve --acme` on `port`, issuing from the local CA in `store`.
pub fn handler(
    args: &ServeArgs,
    store: &Store,
    port: u16,
    now: UnixTime,
) -> Result<AcmeHandler, Error> {
    let allowed = if args.acme_names.is_empty() {
        let defaults: Vec<String> = DEFAULT_NAMES.iter().map(|s| s.to_string()).collect();
        patterns("--acme-names", &defaults)?
    } else {
        patterns("--acme-names", &args.acme_names)?
    };
    let trusted = patterns("--acme-trust-names", &args.acme_trust_names)?;
    let (ca, _) = store.load_or_create_ca(now)?;
    let dir = store.dir().join("acme");
    create_private_dir(&dir)?;
    let state_path = dir.join("state.json");
    let state = match std::fs::read(&state_path) {
        Ok(bytes) => State::from_json(&bytes)
            .map_err(|e| Error::Usage(format!("{}: {e}", state_path.display())))?,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => State::default(),
        Err(e) => return Err(Error::io(&state_path, e)),
    };
    let config = Config {
        origin: format!("https://localhost:{port}"),
        leaf_days: args.acme_days,
        names: Box::new(Patterns { allowed, trusted }),
    };
    let acme = Acme::new(config, ca, state).map_err(|e| Error::Usage(format!("--acme: {e}")))?;
    let shared = Arc::new(Shared {
        acme: Mutex::new(acme),
        state_path,
    });
    let validators = Validators::start(shared.clone(), args.acme_http_port, args.acme_tls_port);
    Ok(AcmeHandler { shared, validators })
}
