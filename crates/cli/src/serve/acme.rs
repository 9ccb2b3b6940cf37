//! `selfsign serve --acme`: the ACME server of `selfsign-acme` answering `/acme/` on the
//! listener, issuing from the local CA for allowed name patterns, its state kept in
//! `<data dir>/acme/state.json` (replaced atomically within 0.2 s of a change, and at shutdown).

use std::path::PathBuf;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use selfsign_acme::{Acme, Config, NamePolicy, Request, Response, State, MAX_BODY};
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

/// How long changes may wait before being written, so that a burst of them (a client's order and
/// finalize) costs one write; shutdown writes at once.
const SAVE_DELAY: Duration = Duration::from_millis(200);

/// The ACME server shared by the event loop and the challenge validators, and its state file.
#[derive(Debug)]
pub struct Shared {
    acme: Mutex<Acme>,
    state_path: PathBuf,
    /// Changes not yet written.
    dirty: Mutex<bool>,
    wake: Condvar,
    /// Held while a snapshot is taken and written, so an older one never replaces a newer one.
    writing: Mutex<()>,
}

impl Shared {
    /// The server, even if a validator thread panicked while holding it.
    pub fn lock(&self) -> MutexGuard<'_, Acme> {
        self.acme.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Schedules a save if the state changed (the saver thread writes within [`SAVE_DELAY`]).
    pub fn save_if_changed(&self, acme: &mut Acme) {
        if acme.take_changed() {
            *self.dirty.lock().unwrap_or_else(|e| e.into_inner()) = true;
            self.wake.notify_one();
        }
    }

    /// Writes the state now if changes are pending (at shutdown, and from the saver thread).
    pub fn flush(&self) {
        let _writing = self.writing.lock().unwrap_or_else(|e| e.into_inner());
        let pending = std::mem::take(&mut *self.dirty.lock().unwrap_or_else(|e| e.into_inner()));
        if !pending {
            return;
        }
        let json = self.lock().state().to_json();
        if let Err(e) = files::write_new(&self.state_path, &json, Secrecy::Secret, true) {
            tracing::error!("cannot save the ACME state: {e}");
        }
    }

    /// Waits for changes, lets them gather for [`SAVE_DELAY`], writes them; forever.
    fn save_in_background(&self) {
        loop {
            let mut dirty = self.dirty.lock().unwrap_or_else(|e| e.into_inner());
            while !*dirty {
                dirty = self.wake.wait(dirty).unwrap_or_else(|e| e.into_inner());
            }
            drop(dirty);
            std::thread::sleep(SAVE_DELAY);
            self.flush();
        }
    }
}

/// Answers `/acme/` requests on the listener.
#[derive(Debug)]
pub struct AcmeHandler {
    shared: Arc<Shared>,
    validators: Validators,
}

impl AcmeHandler {
    /// The shared server, to [`Shared::flush`] its state at shutdown.
    pub fn shared(&self) -> Arc<Shared> {
        self.shared.clone()
    }
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
        converted(response)
    }

    fn refuse(&self, status: u16) -> Option<HandlerResponse> {
        Some(converted(self.shared.lock().refuse(status)))
    }
}

fn converted(response: Response) -> HandlerResponse {
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
        dirty: Mutex::new(false),
        wake: Condvar::new(),
        writing: Mutex::new(()),
    });
    let saver = shared.clone();
    std::thread::Builder::new()
        .name("acme-state".into())
        .spawn(move || saver.save_in_background())
        .map_err(|e| {
            Error::Usage(format!(
                "--acme: cannot start the thread that saves its state: {e}"
            ))
        })?;
    let validators = Validators::start(shared.clone(), args.acme_http_port, args.acme_tls_port);
    Ok(AcmeHandler { shared, validators })
}
