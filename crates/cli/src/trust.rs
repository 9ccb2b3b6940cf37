//! `selfsign trust`: put the local CA into, or take it out of, the NSS databases Chromium and
//! Firefox read (through `certutil`) and the Debian system store (`update-ca-certificates`).

use std::ffi::OsString;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use selfsign_core::{Certificate, UnixTime};
use serde_json::json;

use crate::files::{self, Secrecy};
use crate::store::Store;
use crate::{Error, Global};

/// Where Debian's `update-ca-certificates` picks up local CAs.
const SYSTEM_DIR: &str = "/usr/local/share/ca-certificates";

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

/// An NSS database: `sql:DIR` (cert9.db) or legacy `dbm:DIR` (cert8.db).
struct NssDb {
    spec: String,
    dir: PathBuf,
    /// The database files are there (otherwise `install` creates them).
    exists: bool,
}

impl NssDb {
    fn at(dir: &Path) -> NssDb {
        let dir = &std::path::absolute(dir).unwrap_or_else(|_| dir.to_path_buf());
        let (spec, exists) = if dir.join("cert9.db").exists() {
            ("sql", true)
        } else if dir.join("cert8.db").exists() {
            ("dbm", true)
        } else {
            ("sql", false)
        };
        NssDb {
            spec: format!("{spec}:{}", dir.display()),
            dir: dir.to_path_buf(),
            exists,
        }
    }
}

/// The databases to touch: the ones given, else ~/.pki/nssdb (made on install) and every Firefox
/// profile that has one.
fn nss_databases(given: &[PathBuf]) -> Vec<NssDb> {
    if !given.is_empty() {
        return given.iter().map(|d| NssDb::at(d)).collect();
    }
    let Some(home) = std::env::var_os("HOME").map(PathBuf::from) else {
        return Vec::new();
    };
    // ~/.pki/nssdb is always listed: `install` creates it, `status` says when it is missing.
    let mut dbs = vec![NssDb::at(&home.join(".pki/nssdb"))];
    for profiles in [".mozilla/firefox", "snap/firefox/common/.mozilla/firefox"] {
        let Ok(entries) = std::fs::read_dir(home.join(profiles)) else {
            continue;
        };
        let mut dirs: Vec<PathBuf> = entries.flatten().map(|e| e.path()).collect();
        dirs.sort();
        dbs.extend(dirs.iter().map(|d| NssDb::at(d)).filter(|db| db.exists));
    }
    dbs
}

/// The `certutil` program from NSS's tools.
struct Certutil {
    program: OsString,
}

impl Certutil {
    fn find() -> Result<Certutil, Error> {
        let program = OsString::from("certutil");
        match Command::new(&program).arg("-H").output() {
            Ok(_) => Ok(Certutil { program }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Err(Error::Tool {
                tool: "certutil".into(),
                message: "not found; install NSS's tools (Debian/Ubuntu: `apt install \
                          libnss3-tools`, Fedora: `dnf install nss-tools`, macOS: `brew install \
                          nss`), or pass --system-only"
                    .into(),
            }),
            Err(e) => Err(tool_error("certutil", &e.to_string())),
        }
    }

    fn run(&self, args: &[&str], db: &NssDb, stdin: Option<&[u8]>) -> Result<Output, Error> {
        let mut cmd = Command::new(&self.program);
        cmd.args(args).arg("-d").arg(&db.spec);
        cmd.stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        });
        let mut child = cmd
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| tool_error("certutil", &e.to_string()))?;
        if let (Some(data), Some(mut pipe)) = (stdin, child.stdin.take()) {
            pipe.write_all(data)
                .map_err(|e| tool_error("certutil", &e.to_string()))?;
        }
        child
            .wait_with_output()
            .map_err(|e| tool_error("certutil", &e.to_string()))
    }

    fn check(&self, args: &[&str], db: &NssDb, stdin: Option<&[u8]>) -> Result<(), Error> {
        let out = self.run(args, db, stdin)?;
        if out.status.success() {
            return Ok(());
        }
        Err(tool_error(
            "certutil",
            &format!(
                "{} failed on {}: {}",
                args.first().copied().unwrap_or_default(),
                db.spec,
                String::from_utf8_lossy(&out.stderr).trim()
            ),
        ))
    }

    /// Whether the database holds our CA under our nickname.
    fn contains(&self, db: &NssDb, ca: &TrustedCa) -> Result<bool, Error> {
        if !db.exists {
            return Ok(false);
        }
        let out = self.run(&["-L", "-a", "-n", &ca.nickname], db, None)?;
        if !out.status.success() {
            return Ok(false);
        }
        let listed = selfsign_core::parse_certificates(&out.stdout).unwrap_or_default();
        Ok(listed.contains(&ca.cert))
    }

    fn create(&self, db: &NssDb) -> Result<(), Error> {
        crate::store::create_private_dir(&db.dir)?;
        self.check(&["-N", "--empty-password"], db, None)
    }

    fn apply(&self, db: &NssDb, ca: &TrustedCa, action: Action) -> Result<Outcome, Error> {
        let mut changed = false;
        let mut note = None;
        match action {
            _ if action != Action::Install && !db.exists => {
                note = Some("no database there".into());
            }
            Action::Install => {
                if !db.exists {
                    self.create(db)?;
                    note = Some("created the database".into());
                }
                let db = &NssDb::at(&db.dir);
                if !self.contains(db, ca)? {
                    let der: &[u8] = ca.cert.der();
                    self.check(&["-A", "-t", "C,,", "-n", &ca.nickname], db, Some(der))?;
                    changed = true;
                }
            }
            Action::Uninstall => {
                // Bounded: a database could hold several certificates under one nickname.
                for _ in 0..8 {
                    if self
                        .run(&["-L", "-n", &ca.nickname], db, None)?
                        .status
                        .success()
                    {
                        self.check(&["-D", "-n", &ca.nickname], db, None)?;
                        changed = true;
                    } else {
                        break;
                    }
                }
            }
            Action::Status => {}
        }
        let db = NssDb::at(&db.dir);
        Ok(Outcome {
            kind: "nss",
            present: self.contains(&db, ca)?,
            location: db.spec,
            changed,
            note,
        })
    }
}

/// Debian's system store: a `.crt` file in /usr/local/share/ca-certificates plus
/// `update-ca-certificates`.
struct SystemStore {
    file: PathBuf,
    pem: String,
}

impl SystemStore {
    fn new(ca: &TrustedCa) -> SystemStore {
        SystemStore {
            file: Path::new(SYSTEM_DIR).join(format!("selfsign-{}.crt", ca.prefix)),
            pem: ca.cert.pem(),
        }
    }

    /// Refuses early, before any store is touched, when the system store cannot be changed.
    fn check_writable(&self) -> Result<(), Error> {
        if !is_root() {
            return Err(Error::Usage(format!(
                "changing the system store ({SYSTEM_DIR}) needs root: rerun with sudo, or pass \
                 --no-system to change only the NSS databases"
            )));
        }
        if !Path::new(SYSTEM_DIR).parent().is_some_and(Path::is_dir) {
            return Err(Error::Usage(format!(
                "no Debian-style system store here ({SYSTEM_DIR}); pass --no-system"
            )));
        }
        Ok(())
    }

    fn present(&self) -> bool {
        std::fs::read_to_string(&self.file).is_ok_and(|s| s == self.pem)
    }

    fn apply(&self, action: Action) -> Result<Outcome, Error> {
        let mut changed = false;
        match action {
            Action::Install if !self.present() => {
                crate::store::create_private_dir(Path::new(SYSTEM_DIR))?;
                set_mode(Path::new(SYSTEM_DIR), 0o755);
                files::write_new(&self.file, self.pem.as_bytes(), Secrecy::Public, true)?;
                update_ca_certificates()?;
                changed = true;
            }
            Action::Uninstall if files::exists(&self.file) => {
                std::fs::remove_file(&self.file).map_err(|e| Error::io(&self.file, e))?;
                update_ca_certificates()?;
                changed = true;
            }
            _ => {}
        }
        Ok(Outcome {
            kind: "system",
            location: self.file.display().to_string(),
            present: self.present(),
            changed,
            note: None,
        })
    }
}

fn set_mode(path: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    let _ = std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode));
}

fn update_ca_certificates() -> Result<(), Error> {
    let out = Command::new("update-ca-certificates")
        .stdin(Stdio::null())
        .output()
        .map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => tool_error(
                "update-ca-certificates",
                "not found; install the `ca-certificates` package, or pass --no-system",
            ),
            _ => tool_error("update-ca-certificates", &e.to_string()),
        })?;
    if out.status.success() {
        return Ok(());
    }
    Err(tool_error(
        "update-ca-certificates",
        &format!("failed: {}", String::from_utf8_lossy(&out.stderr).trim()),
    ))
}

/// Whether we run as root: /proc/self belongs to the process's effective user.
fn is_root() -> bool {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata("/proc/self").is_ok_and(|m| m.uid() == 0)
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
        let _ = writeln!(std::io::stdout(), "{line}");
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
        let _ = writeln!(std::io::stdout(), "{doc}");
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
