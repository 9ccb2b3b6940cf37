//! `selfsign trust`: put the local CA into, or take it out of, the NSS databases Chromium and
//! Firefox read (through `certutil`), the Debian system store (`update-ca-certificates`) and,
//! with `--java`, a Java truststore (through `keytool`).

mod java;
mod ledger;
mod nss;
mod system;

use std::path::PathBuf;

use selfsign_core::{Certificate, UnixTime};
use serde_json::json;

use crate::files;
use crate::store::Store;
use crate::{Error, Global};
use java::JavaStore;
use nss::{nss_databases, Certutil};
use system::SystemStore;

/// What to do with the local CA.
#[derive(clap::Subcommand, Debug)]
pub enum TrustCommand {
    /// Install the local CA (created if missing) into the NSS databases and the system store
    Install(TrustArgs),
    /// Remove the local CA, and every earlier one installed from this data directory, from the
    /// NSS databases and the system store
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
    /// Also touch a Java truststore (the JDK's cacerts, found from JAVA_HOME or `java`)
    #[arg(long)]
    java: bool,
    /// Touch only the Java truststore: no NSS database, no system store
    #[arg(long, conflicts_with_all = ["nss_db", "no_system", "system_only"])]
    java_only: bool,
    /// The Java truststore to use instead of the JDK's cacerts (created on install if missing)
    #[arg(long, value_name = "FILE")]
    java_truststore: Option<PathBuf>,
    /// The Java truststore's password
    #[arg(
        long,
        value_name = "PASSWORD",
        env = "SELFSIGN_JAVA_STOREPASS",
        default_value = "changeit",
        hide_env_values = true,
        hide_default_value = true
    )]
    java_storepass: String,
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

impl Outcome {
    /// The store as the ledger records it: `nss:SPEC` or `system:FILE`.
    fn ledger_location(&self) -> String {
        format!("{}:{}", self.kind, self.location)
    }

    /// The store as a person reads it.
    fn store_text(&self) -> String {
        ledger::describe(&self.ledger_location())
    }
}

/// Runs `selfsign trust ...`.
pub fn run(cmd: &TrustCommand, global: &Global) -> Result<(), Error> {
    let (action, args) = match cmd {
        TrustCommand::Install(a) => (Action::Install, a),
        TrustCommand::Uninstall(a) => (Action::Uninstall, a),
        TrustCommand::Status(a) => (Action::Status, a),
    };
    // What cannot work is refused before a CA is made for it.
    let certutil = if args.system_only || args.java_only {
        None
    } else {
        Some(Certutil::find()?)
    };
    let java = if args.java || args.java_only || args.java_truststore.is_some() {
        Some(JavaStore::find(
            args.java_truststore.as_deref(),
            &args.java_storepass,
        )?)
    } else {
        None
    };
    let touch_system = !args.no_system && !args.java_only;
    if touch_system && action != Action::Status {
        system::check_writable()?;
    }
    let store = Store::open(global)?;
    let mut ledger = ledger::Ledger::load(&store)?;
    let (cert, created) = match action {
        Action::Install => {
            let (ca, created) = store.load_or_create_ca(UnixTime::now())?;
            (Some(ca.certificate().clone()), created)
        }
        _ => match load_ca_cert(&store)? {
            Some(cert) => (Some(cert), false),
            None if action == Action::Uninstall => (None, false),
            None => return Err(Error::NoCa(store.dir().to_path_buf())),
        },
    };
    // Uninstall also takes out the CAs this data directory held before (`ca create --force`).
    let earlier: Vec<TrustedCa> = match action {
        Action::Uninstall => ledger
            .entries()
            .iter()
            .filter(|e| Some(&e.cert) != cert.as_ref())
            .map(|e| TrustedCa::new(e.cert.clone()))
            .collect(),
        _ => Vec::new(),
    };
    let current = cert.map(TrustedCa::new);
    if current.is_none() && earlier.is_empty() {
        say(
            global,
            &format!(
                "No local CA in {}: nothing to uninstall.",
                store.dir().display()
            ),
        );
        return Ok(());
    }
    let mut results = Vec::new();
    for ca in current.iter().chain(&earlier) {
        let system = touch_system.then(|| SystemStore::new(ca));
        let mut outcomes = Vec::new();
        if let Some(certutil) = &certutil {
            for db in nss_databases(&args.nss_db) {
                outcomes.push(certutil.apply(&db, ca, action)?);
            }
        }
        if let Some(system) = &system {
            outcomes.push(system.apply(action)?);
        }
        if let Some(java) = &java {
            outcomes.push(java.apply(ca, action)?);
        }
        for o in &outcomes {
            ledger.mark(&ca.cert, &o.ledger_location(), o.present);
        }
        results.push(outcomes);
    }
    ledger.save()?;
    let current_outcomes = if current.is_some() {
        results.remove(0)
    } else {
        Vec::new()
    };
    if global.json {
        let ca = current.as_ref().map(|ca| {
            json!({"subject": ca.subject, "sha256_fingerprint": ca.fingerprint,
                   "nickname": ca.nickname, "path": store.ca_cert_path(), "created": created})
        });
        let mut doc = json!({ "ca": ca, "stores": stores_json(&current_outcomes) });
        if action == Action::Uninstall {
            doc["earlier_cas"] = earlier_json(&earlier, &results);
        }
        out!("{doc}");
        return Ok(());
    }
    report(
        global,
        &store,
        current.as_ref(),
        action,
        created,
        &current_outcomes,
    );
    report_earlier(global, &earlier, &results);
    Ok(())
}

/// Where the local CA about to be replaced is still trusted, as recorded by `trust install`
/// (the caller warns that replacing it leaves it trusted there).
pub fn still_trusted(store: &Store) -> Result<Vec<String>, Error> {
    let Some(cert) = load_ca_cert(store)? else {
        return Ok(Vec::new());
    };
    let ledger = ledger::Ledger::load(store)?;
    Ok(ledger
        .stores_of(&cert)
        .iter()
        .map(|s| ledger::describe(s))
        .collect())
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

fn stores_json(outcomes: &[Outcome]) -> Vec<serde_json::Value> {
    outcomes
        .iter()
        .map(|o| {
            json!({"store": o.kind, "location": o.location, "present": o.present,
                   "changed": o.changed})
        })
        .collect()
}

fn report(
    global: &Global,
    store: &Store,
    ca: Option<&TrustedCa>,
    action: Action,
    created: bool,
    outcomes: &[Outcome],
) {
    let Some(ca) = ca else {
        say(
            global,
            &format!("No local CA in {}.", store.dir().display()),
        );
        return;
    };
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
        let store = o.store_text();
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

/// The earlier CAs `uninstall` looked for: one line per store they were taken out of.
fn earlier_json(earlier: &[TrustedCa], results: &[Vec<Outcome>]) -> serde_json::Value {
    earlier
        .iter()
        .zip(results)
        .map(|(ca, outcomes)| {
            json!({"ca": {"subject": ca.subject, "sha256_fingerprint": ca.fingerprint,
                          "nickname": ca.nickname},
                   "stores": stores_json(outcomes)})
        })
        .collect()
}

fn report_earlier(global: &Global, earlier: &[TrustedCa], results: &[Vec<Outcome>]) {
    for (ca, outcomes) in earlier.iter().zip(results) {
        say(
            global,
            &format!(
                "Earlier local CA: {} (SHA-256 {})",
                ca.subject, ca.fingerprint
            ),
        );
        for o in outcomes {
            let line = match (o.present, o.changed) {
                (false, true) => format!("Removed it from the {}", o.store_text()),
                (false, false) => format!("Not in the {}; nothing to remove", o.store_text()),
                (true, _) => format!("Still in the {}", o.store_text()),
            };
            say(global, &line);
        }
    }
}
