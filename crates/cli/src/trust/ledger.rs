//! Which CAs `selfsign trust install` put where, kept in the data directory (`trusted.json`), so
//! `trust uninstall` can still remove a CA after `ca create --force` replaced it, and
//! `ca create --force` can say where the old one is still trusted.

use std::path::PathBuf;

use selfsign_core::{parse_certificates, Certificate};
use serde_json::{json, Value};

use crate::files::{self, Secrecy};
use crate::store::Store;
use crate::Error;

/// One CA that was installed somewhere.
#[derive(Debug, Clone)]
pub struct Entry {
    /// The CA certificate.
    pub cert: Certificate,
    /// The stores it was installed in, as `nss:SPEC`, `system:FILE` or `java:FILE`.
    pub stores: Vec<String>,
}

/// The installs recorded for one data directory.
#[derive(Debug)]
pub struct Ledger {
    path: PathBuf,
    entries: Vec<Entry>,
    changed: bool,
}

impl Ledger {
    /// Reads `trusted.json` from the data directory (empty when there is none).
    pub fn load(store: &Store) -> Result<Ledger, Error> {
        let path = store.dir().join("trusted.json");
        let mut ledger = Ledger {
            path,
            entries: Vec::new(),
            changed: false,
        };
        if !files::exists(&ledger.path) {
            return Ok(ledger);
        }
        let bad = |why: String| Error::BadCa {
            dir: store.dir().to_path_buf(),
            reason: format!("{}: {why}", ledger.path.display()),
        };
        let data = files::read_input(&ledger.path)?;
        let doc: Value = serde_json::from_slice(&data).map_err(|e| bad(e.to_string()))?;
        for item in doc["installed"].as_array().into_iter().flatten() {
            let pem = item["certificate"].as_str().unwrap_or_default();
            let cert = parse_certificates(pem.as_bytes())
                .map_err(|e| bad(e.to_string()))?
                .into_iter()
                .next()
                .ok_or_else(|| bad("an entry has no certificate".into()))?;
            let stores = item["stores"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|s| s.as_str().map(String::from))
                .collect();
            ledger.entries.push(Entry { cert, stores });
        }
        Ok(ledger)
    }

    /// The CAs recorded as installed somewhere.
    pub fn entries(&self) -> &[Entry] {
        &self.entries
    }

    /// Where `cert` is recorded as installed.
    pub fn stores_of(&self, cert: &Certificate) -> Vec<String> {
        self.entries
            .iter()
            .find(|e| &e.cert == cert)
            .map(|e| e.stores.clone())
            .unwrap_or_default()
    }

    /// Records that `cert` is (or no longer is) in the store `location`.
    pub fn mark(&mut self, cert: &Certificate, location: &str, present: bool) {
        let i = match self.entries.iter().position(|e| &e.cert == cert) {
            Some(i) => i,
            None if !present => return,
            None => {
                self.entries.push(Entry {
                    cert: cert.clone(),
                    stores: Vec::new(),
                });
                self.entries.len() - 1
            }
        };
        let stores = &mut self.entries[i].stores;
        let listed = stores.iter().any(|s| s == location);
        if present && !listed {
            stores.push(location.to_string());
            self.changed = true;
        } else if !present && listed {
            stores.retain(|s| s != location);
            self.changed = true;
        }
        if stores.is_empty() {
            self.entries.remove(i);
            self.changed = true;
        }
    }

    /// Writes the ledger back when it changed.
    pub fn save(&self) -> Result<(), Error> {
        if !self.changed {
            return Ok(());
        }
        let installed: Vec<Value> = self
            .entries
            .iter()
            .map(|e| {
                json!({
                    "sha256_fingerprint": e.cert.sha256_fingerprint(),
                    "certificate": e.cert.pem(),
                    "stores": e.stores,
                })
            })
            .collect();
        let doc = json!({ "installed": installed });
        let text = format!("{doc:#}\n");
        files::write_new(&self.path, text.as_bytes(), Secrecy::Public, true)
    }
}

/// `nss:SPEC`, `system:FILE` or `java:FILE` as a person reads it.
pub fn describe(location: &str) -> String {
    match location.split_once(':') {
        Some(("nss", spec)) => format!("NSS database {spec}"),
        Some(("system", file)) => format!("system store ({file})"),
        Some(("java", file)) => format!("Java truststore {file}"),
        _ => location.to_string(),
    }
}
