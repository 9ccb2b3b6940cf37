//! `selfsign trust`: put the local CA into, or take it out of, the NSS databases Chromium and
//! Firefox read (through `certutil`) and the Debian system store (`update-ca-certificates`).

mod nss;
mod system;

use std::path::PathBuf;

use selfsign_core::{Certificate, UnixTime};
use serde_json::json;

use crate::files;
use crate::store::Store;
use crate::{Error, Global};
use nss::{nss_databases, Certutil};
use system::SystemStore;

/// What to do with the local CA.
#[derive(clap::Subcommand, Debug)]
pub enum TrustCommand {
    /// Install the local CA (created if missing) into the NSS databases and the system store
    Install(TrustArgs),
    /// Remove the local CA from the NSS databases and the system store
    Uninstall(TrustArgs),
    /// Show whether the local CA is in each trust store
    Status(TrustArgs),
}

/// Which trust stores to touch.
#[derive(clap::Args, Debug)]
pub struct TrustArgs {
    /// Use this NSS database directory (repeatable) instead of ~/.pki/nssdb and the Firefox profiles
    #[arg(long = "nss-db", value_name = "DIR")]
    nss_db: Vec<PathBuf>,
    /// Leave the system store (/usr/local/share/ca-certificates) alone
    #[arg(long, conflicts_with = "system_only")]
    no_system: bool,
    /// Touch only the system store, no NSS database
    #[arg(long, conflicts_with = "nss_db")]
    system_only: bool,
}

/// The subcommand, without its arguments.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Action {
    Install,
    Uninstall,
    Status,
}

/// One trust store and what we found or did there.
struct Outcome {
    kind: &'static str,
    location: String,
    present: bool,
    changed: bool,
    note: Option<String>,
}

/// Runs `selfsign trust ...`.
pub fn run(cmd: &TrustCommand, global: &Global) -> Result<(), Error> {
    let (action, args) = match cmd {
        TrustCommand::Install(a) => (Action::Install, a),
        TrustCommand::Uninstall(a) => (Action::Uninstall, a),
        TrustCommand::Status(a) => (Action::Status, a),
    };
    let store = Store::open(global)?;
    let (cert, created) = match action {
        Action::Install => {
            let (ca, created) = store.load_or_create_ca(UnixTime::now())?;
            (ca.certificate().clone(), created)
        }
        _ => match load_ca_cert(&store)? {
            Some(cert) => (cert, false),
            None if action == Action::Uninstall => {
                say(
                    global,
                    &format!(
                        "No local CA in {}: nothing to uninstall.",
                        store.dir().display()
                    ),
                );
                return Ok(());
            }
            None => return Err(Error::NoCa(store.dir().to_path_buf())),
        },
    };
    let ca = TrustedCa::new(cert);
    let system = (!args.no_system).then(|| SystemStore::new(&ca));
    if let Some(system) = &system {
        if action != Action::Status {
            system.check_writable()?;
        }
    }
    let mut outcomes = Vec::new();
    if !args.system_only {
        let certutil = Certutil::find()?;
        for db in nss_databases(&args.nss_db) {
            outcomes.push(certutil.apply(&db, &ca, action)?);
        }
    }
    if let Some(system) = &system {
        outcomes.push(system.apply(action)?);
    }
    report(global, &store, &ca, action, created, &outcomes);
    Ok(())
}

fn load_ca_cert(store: &Store) -> Result<Option<Certificate>, Error> {
    let path = store.ca_cert_path();
    if !files::exists(&path) {
        return Ok(None);
    }
    let pem = files::read_input(&path)?;
    let certs = selfsign_core::parse_certificates(&pem).map_err(|e| Error::BadCa {
        dir: store.dir().to_path_buf(),
        reason: format!("{}: {e}", path.display()),
    })?;
    Ok(certs.into_iter().next())
}

/// The CA certificate with the names it goes by in the stores.
struct TrustedCa {
    cert: Certificate,
    subject: String,
    fingerprint: String,
    nickname: String,
    prefix: String,
}

impl TrustedCa {
    fn new(cert: Certificate) -> TrustedCa {
        let fingerprint = cert.sha256_fingerprint();
        let prefix: String = fingerprint
            .chars()
            .filter(|c| *c != ':')
            .take(16)
            .collect::<String>()
            .to_ascii_lowercase();
        let subject = cert
            .inspect(UnixTime::now())
            .map(|i| i.subject)
            .unwrap_or_default();
        TrustedCa {
            nickname: format!("selfsign CA {prefix}"),
            subject,
            fingerprint,
            prefix,
            cert,
        }
    }
}

fn tool_error(tool: &str, message: &str) -> Error {
    Error::Tool {
        tool: tool.into(),
        message: message.into(),
    }
}

fn say(global: &Global, line: &str) {
    if !global.quiet && !global.json {
        // A closed pipe (`| head`) is no reason to fail.
        out!("{line}");
    }
}

fn report(
    global: &Global,
    store: &Store,
    ca: &TrustedCa,
    action: Action,
    created: bool,
    outcomes: &[Outcome],
) {
    if global.json {
        let stores: Vec<_> = outcomes
            .iter()
            .map(|o| {
                json!({"store": o.kind, "location": o.location, "present": o.present,
                       "changed": o.changed})
            })
            .collect();
        let doc = json!({
            "ca": {"subject": ca.subject, "sha256_fingerprint": ca.fingerprint,
                   "nickname": ca.nickname, "path": store.ca_cert_path(), "created": created},
            "stores": stores,
        });
        out!("{doc}");
        return;
    }
    if created {
        say(
            global,
            &format!(
                "Created a new local CA at {}",
                store.ca_cert_path().display()
            ),
        );
    }
    say(
        global,
        &format!("Local CA: {} (SHA-256 {})", ca.subject, ca.fingerprint),
    );
    if outcomes.is_empty() {
        say(global, "No trust store to look at.");
    }
    for o in outcomes {
        let store = match o.kind {
            "nss" => format!("NSS database {}", o.location),
            _ => format!("system store ({})", o.location),
        };
        let line = match (action, o.present, o.changed) {
            (Action::Install, true, true) => format!("Installed the local CA in the {store}"),
            (Action::Install, true, false) => format!("Already installed in the {store}"),
            (Action::Uninstall, false, true) => format!("Removed the local CA from the {store}"),
            (Action::Uninstall, false, false) => format!("Not in the {store}; nothing to remove"),
            (_, true, _) => format!("Installed: {store}"),
            (_, false, _) => format!("Not installed: {store}"),
        };
        match &o.note {
            Some(note) => say(global, &format!("{line} ({note})")),
            None => say(global, &line),
        }
    }
    if action == Action::Install && outcomes.iter().any(|o| o.kind == "nss" && o.changed) {
        say(global, "Restart Chromium or Firefox to pick up the change.");
    }
}
