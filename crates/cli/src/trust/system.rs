//! Debian's system store: /usr/local/share/ca-certificates plus `update-ca-certificates`.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use super::{tool_error, Action, Outcome, TrustedCa};
use crate::files::{self, Secrecy};
use crate::Error;

/// Where Debian's `update-ca-certificates` picks up local CAs.
const SYSTEM_DIR: &str = "/usr/local/share/ca-certificates";

/// Debian's system store: a `.crt` file in /usr/local/share/ca-certificates plus
/// `update-ca-certificates`.
pub struct SystemStore {
    file: PathBuf,
    pem: String,
}

impl SystemStore {
    /// The store entry for this CA.
    pub fn new(ca: &TrustedCa) -> SystemStore {
        SystemStore {
            file: Path::new(SYSTEM_DIR).join(format!("selfsign-{}.crt", ca.prefix)),
            pem: ca.cert.pem(),
        }
    }

    fn present(&self) -> bool {
        std::fs::read_to_string(&self.file).is_ok_and(|s| s == self.pem)
    }

    /// Installs, removes or looks for the CA file, updating the bundle when it changes.
    pub fn apply(&self, action: Action) -> Result<Outcome, Error> {
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

/// Refuses early, before any store is touched, when the system store cannot be changed.
pub fn check_writable() -> Result<(), Error> {
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
