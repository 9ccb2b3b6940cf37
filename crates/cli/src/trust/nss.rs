//! NSS databases (Chromium's ~/.pki/nssdb, Firefox profiles, or `--nss-db DIR`) through NSS's
//! own `certutil`.

use std::ffi::OsString;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use super::{tool_error, Action, Outcome, TrustedCa};
use crate::Error;

/// An NSS database: `sql:DIR` (cert9.db) or legacy `dbm:DIR` (cert8.db).
pub struct NssDb {
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
pub fn nss_databases(given: &[PathBuf]) -> Vec<NssDb> {
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
pub struct Certutil {
    program: OsString,
}

impl Certutil {
    /// Checks that `certutil` runs, or says which package provides it.
    pub fn find() -> Result<Certutil, Error> {
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

    /// Installs, removes or looks for the CA in one database.
    pub fn apply(&self, db: &NssDb, ca: &TrustedCa, action: Action) -> Result<Outcome, Error> {
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
