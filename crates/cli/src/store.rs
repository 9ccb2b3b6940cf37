//! The data directory: the local CA (shared by `new`, `sign`, `serve`, `trust`, ...) and the
//! server leaf `selfsign serve` keeps, like mkcert's CAROOT.

use std::fs::{self, DirBuilder};
use std::os::unix::fs::DirBuilderExt;
use std::path::{Path, PathBuf};

use selfsign_core::{Ca, CaOptions, UnixTime};

use crate::files::{self, Output, Secrecy};
use crate::{Error, Global};

/// The directory holding the local CA and selfsign's other state.
#[derive(Debug, Clone)]
pub struct Store {
    dir: PathBuf,
}

impl Store {
    /// Opens (creating it 0700 if needed) `--data-dir`, `$XDG_DATA_HOME/selfsign` or
    /// `~/.local/share/selfsign`; one that others may write to is made private first.
    pub fn open(global: &Global) -> Result<Store, Error> {
        let dir = match &global.data_dir {
            Some(d) => d.clone(),
            None => default_dir()?,
        };
        check_data_dir(&dir, global)?;
        create_private_dir(&dir)?;
        // Absolute, so the paths we print (e.g. for `curl --cacert`) work from any directory.
        let dir = std::path::absolute(&dir).map_err(|e| Error::io(&dir, e))?;
        Ok(Store { dir })
    }

    /// The data directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// `<dir>/rootCA.pem`: the CA certificate users trust.
    pub fn ca_cert_path(&self) -> PathBuf {
        self.dir.join("rootCA.pem")
    }

    /// `<dir>/rootCA-key.pem`: the CA's private key (0600).
    pub fn ca_key_path(&self) -> PathBuf {
        self.dir.join("rootCA-key.pem")
    }

    /// `<dir>/intermediateCA.pem`: the intermediate CA followed by the root.
    pub fn intermediate_cert_path(&self) -> PathBuf {
        self.dir.join("intermediateCA.pem")
    }

    /// `<dir>/intermediateCA-key.pem`: the intermediate's private key (0600).
    pub fn intermediate_key_path(&self) -> PathBuf {
        self.dir.join("intermediateCA-key.pem")
    }

    /// `<dir>/serve`: where `selfsign serve` keeps its server leaf.
    pub fn serve_dir(&self) -> PathBuf {
        self.dir.join("serve")
    }

    /// Loads the local root CA, or `None` when there is none yet.
    pub fn load_ca(&self) -> Result<Option<Ca>, Error> {
        self.load_pair(&self.ca_cert_path(), &self.ca_key_path())
    }

    /// Loads the intermediate CA made by `selfsign ca create --intermediate`, if any.
    pub fn load_intermediate(&self) -> Result<Option<Ca>, Error> {
        self.load_pair(
            &self.intermediate_cert_path(),
            &self.intermediate_key_path(),
        )
    }

    /// Loads the local CA, creating it (with default options) on first use.
    pub fn load_or_create_ca(&self, now: UnixTime) -> Result<(Ca, bool), Error> {
        if let Some(ca) = self.load_ca()? {
            return Ok((ca, false));
        }
        match self.create_ca(&default_ca_options(), now, false) {
            Ok(ca) => Ok((ca, true)),
            // Another selfsign process created it at the same moment: use theirs.
            Err(Error::Exists(_)) => match self.load_ca()? {
                Some(ca) => Ok((ca, false)),
                None => Err(Error::NoCa(self.dir.clone())),
            },
            Err(e) => Err(e),
        }
    }

    /// Makes a new root CA and writes it, refusing to replace an existing one unless `force`.
    pub fn create_ca(&self, options: &CaOptions, now: UnixTime, force: bool) -> Result<Ca, Error> {
        let (cert, key) = (self.ca_cert_path(), self.ca_key_path());
        files::check_absent([cert.as_path(), key.as_path()], force)?;
        let ca = Ca::new_root(options, now)?;
        self.write_pair(&ca, &cert, &key, force)?;
        Ok(ca)
    }

    /// Makes an intermediate under the local CA and writes it (certificate file holds the chain).
    pub fn create_intermediate(
        &self,
        root: &Ca,
        options: &CaOptions,
        now: UnixTime,
        force: bool,
    ) -> Result<Ca, Error> {
        let (cert, key) = (self.intermediate_cert_path(), self.intermediate_key_path());
        files::check_absent([cert.as_path(), key.as_path()], force)?;
        let ca = root.new_intermediate(options, now)?;
        self.write_pair(&ca, &cert, &key, force)?;
        Ok(ca)
    }

    fn write_pair(&self, ca: &Ca, cert: &Path, key: &Path, force: bool) -> Result<(), Error> {
        let key_pem = ca.key().private_key_pem();
        let chain_pem = ca.chain_pem();
        files::write_set(
            &[
                Output {
                    path: key,
                    contents: key_pem.as_bytes(),
                    secrecy: Secrecy::Secret,
                },
                Output {
                    path: cert,
                    contents: chain_pem.as_bytes(),
                    secrecy: Secrecy::Public,
                },
            ],
            force,
        )
    }

    fn load_pair(&self, cert: &Path, key: &Path) -> Result<Option<Ca>, Error> {
        let unusable = |reason: String| Error::BadCa {
            dir: self.dir.clone(),
            reason,
        };
        match (files::exists(cert), files::exists(key)) {
            (false, false) => return Ok(None),
            (true, false) => return Err(unusable(format!("{} is missing", key.display()))),
            (false, true) => return Err(unusable(format!("{} is missing", cert.display()))),
            (true, true) => {}
        }
        let read =
            |p: &Path| fs::read_to_string(p).map_err(|e| unusable(format!("{}: {e}", p.display())));
        let (cert_pem, key_pem) = (read(cert)?, read(key)?);
        Ca::from_pem(&cert_pem, &key_pem)
            .map(Some)
            .map_err(|e| unusable(e.to_string()))
    }
}

/// The default local CA: named after the user and host, like mkcert's.
pub fn default_ca_options() -> CaOptions {
    CaOptions {
        common_name: format!("selfsign development CA {}", user_at_host()),
        ..CaOptions::default()
    }
}

/// `user@host` for CA names, from `$USER` and the kernel's hostname.
pub fn user_at_host() -> String {
    let user = std::env::var("USER")
        .or_else(|_| std::env::var("LOGNAME"))
        .unwrap_or_else(|_| "user".into());
    let host = fs::read_to_string("/proc/sys/kernel/hostname")
        .or_else(|_| fs::read_to_string("/etc/hostname"))
        .map(|h| h.trim().to_string())
        .ok()
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "localhost".into());
    format!("{user}@{host}")
}

fn default_dir() -> Result<PathBuf, Error> {
    if let Some(xdg) = std::env::var_os("XDG_DATA_HOME").map(PathBuf::from) {
        if xdg.is_absolute() {
            return Ok(xdg.join("selfsign"));
        }
    }
    match std::env::var_os("HOME").map(PathBuf::from) {
        Some(home) if home.is_absolute() => Ok(home.join(".local/share/selfsign")),
        _ => Err(Error::Usage(
            "cannot find a data directory: $HOME is not set; pass --data-dir DIR".into(),
        )),
    }
}

/// Refuses a data directory that is not a directory, and makes one that others may write to
/// (where they could swap the CA key) private again when it is ours; refuses it otherwise.
fn check_data_dir(dir: &Path, global: &Global) -> Result<(), Error> {
    use std::os::unix::fs::{MetadataExt, PermissionsExt};
    let meta = match fs::metadata(dir) {
        Ok(meta) => meta,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(Error::io(dir, e)),
    };
    if !meta.is_dir() {
        return Err(Error::Usage(format!(
            "the data directory {} is a file, not a directory; move it away or pass another --data-dir",
            dir.display()
        )));
    }
    let mode = meta.permissions().mode() & 0o7777;
    if mode & 0o022 == 0 {
        return Ok(());
    }
    let ours = fs::metadata("/proc/self").is_ok_and(|me| me.uid() == meta.uid());
    if !ours {
        return Err(Error::Usage(format!(
            "the data directory {} is writable by other users (mode {mode:04o}) and belongs to \
             someone else; make it private (chmod 700) or pass another --data-dir",
            dir.display()
        )));
    }
    fs::set_permissions(dir, fs::Permissions::from_mode(0o700)).map_err(|e| Error::io(dir, e))?;
    crate::output::warn(
        global,
        &format!(
            "the data directory {} was writable by other users (mode {mode:04o}); made it \
             private (0700)",
            dir.display()
        ),
    );
    Ok(())
}

/// Creates `dir` (and parents) with mode 0700 when missing.
pub fn create_private_dir(dir: &Path) -> Result<(), Error> {
    DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
        .map_err(|e| Error::io(dir, e))
}
