//! Safe file output: never clobber without `--force`, keys 0600 from the first byte, atomic
//! replacement (temp file in the same directory, fsync, rename) so an error leaves no partial file.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};

use crate::Error;

/// Largest input read by [`read_input`]: certificates, keys and CSRs are far smaller.
const MAX_INPUT: u64 = 64 * 1024 * 1024;

/// Who may read a file we write.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Secrecy {
    /// Certificates and CSRs: 0644.
    Public,
    /// Private keys: 0600.
    Secret,
}

impl Secrecy {
    /// The Unix permission bits for files of this kind.
    pub fn mode(self) -> u32 {
        match self {
            Secrecy::Public => 0o644,
            Secrecy::Secret => 0o600,
        }
    }
}

/// Writes `contents` to `path` atomically; refuses an existing file unless `force`.
///
/// The data goes to a temporary file in the same directory, created exclusively with the final
/// mode (so a key is never readable by others, not even briefly), synced, then moved into place:
/// with a hard link when not forcing (which fails if the target appeared meanwhile), otherwise a
/// rename. On any error the temporary file is removed and the target is untouched.
pub fn write_new(path: &Path, contents: &[u8], secrecy: Secrecy, force: bool) -> Result<(), Error> {
    if !force && exists(path) {
        return Err(Error::Exists(path.to_path_buf()));
    }
    let dir = parent(path);
    let (tmp, mut file) = create_temp(&dir, path, secrecy)?;
    let result = (|| {
        file.write_all(contents).map_err(|e| Error::io(path, e))?;
        file.sync_all().map_err(|e| Error::io(path, e))?;
        drop(file);
        place(&tmp, path, force)
    })();
    let _ = fs::remove_file(&tmp);
    result?;
    if let Ok(d) = File::open(&dir) {
        let _ = d.sync_all();
    }
    Ok(())
}

/// Whether anything (file, directory, even a dangling symlink) is at `path`.
pub fn exists(path: &Path) -> bool {
    fs::symlink_metadata(path).is_ok()
}

/// Fails with [`Error::Exists`] for the first of `paths` that exists, unless `force`.
///
/// Commands call this for all their outputs before writing any, so a refusal writes nothing.
pub fn check_absent<'a>(
    paths: impl IntoIterator<Item = &'a Path>,
    force: bool,
) -> Result<(), Error> {
    if force {
        return Ok(());
    }
    match paths.into_iter().find(|p| exists(p)) {
        Some(p) => Err(Error::Exists(p.to_path_buf())),
        None => Ok(()),
    }
}

/// Reads a whole input file, or standard input for `-`.
pub fn read_input(path: &Path) -> Result<Vec<u8>, Error> {
    let mut buf = Vec::new();
    let read = if path == Path::new("-") {
        io::stdin().lock().take(MAX_INPUT + 1).read_to_end(&mut buf)
    } else {
        File::open(path).and_then(|f| f.take(MAX_INPUT + 1).read_to_end(&mut buf))
    };
    let name = || {
        if path == Path::new("-") {
            PathBuf::from("(standard input)")
        } else {
            path.to_path_buf()
        }
    };
    read.map_err(|e| Error::io(name(), e))?;
    if buf.len() as u64 > MAX_INPUT {
        return Err(Error::io(
            name(),
            io::Error::other("larger than 64 MiB; not a certificate, key or CSR"),
        ));
    }
    Ok(buf)
}

fn parent(path: &Path) -> PathBuf {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

fn create_temp(dir: &Path, path: &Path, secrecy: Secrecy) -> Result<(PathBuf, File), Error> {
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let base = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "out".into());
    let mut attempt = 0;
    loop {
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let tmp = dir.join(format!(".{base}.{}.{n}.tmp", std::process::id()));
        let opened = OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(secrecy.mode())
            .open(&tmp);
        match opened {
            Ok(file) => {
                // The umask may have cleared bits of a public file; keys only ever lose bits.
                if secrecy == Secrecy::Public {
                    use std::os::unix::fs::PermissionsExt;
                    let _ = file.set_permissions(fs::Permissions::from_mode(secrecy.mode()));
                }
                return Ok((tmp, file));
            }
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists && attempt < 100 => attempt += 1,
            Err(e) => return Err(Error::io(path, e)),
        }
    }
}

fn place(tmp: &Path, path: &Path, force: bool) -> Result<(), Error> {
    if force {
        return fs::rename(tmp, path).map_err(|e| Error::io(path, e));
    }
    match fs::hard_link(tmp, path) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => Err(Error::Exists(path.into())),
        // Filesystems without hard links: fall back to check-then-rename.
        Err(_) if !exists(path) => fs::rename(tmp, path).map_err(|e| Error::io(path, e)),
        Err(_) => Err(Error::Exists(path.into())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn mode(p: &Path) -> u32 {
        fs::metadata(p).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn secret_files_are_0600_and_public_0644() {
        let dir = tempfile::tempdir().unwrap();
        let key = dir.path().join("k.pem");
        let cert = dir.path().join("c.pem");
        write_new(&key, b"key", Secrecy::Secret, false).unwrap();
        write_new(&cert, b"cert", Secrecy::Public, false).unwrap();
        assert_eq!(mode(&key), 0o600);
        assert_eq!(mode(&cert), 0o644);
    }

    #[test]
    fn existing_file_is_kept_without_force_and_replaced_with_it() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a.pem");
        write_new(&p, b"first", Secrecy::Secret, false).unwrap();
        let err = write_new(&p, b"second", Secrecy::Secret, false).unwrap_err();
        assert!(matches!(err, Error::Exists(_)));
        assert_eq!(fs::read(&p).unwrap(), b"first");
        write_new(&p, b"third", Secrecy::Secret, true).unwrap();
        assert_eq!(fs::read(&p).unwrap(), b"third");
        assert_eq!(
            fs::read_dir(dir.path()).unwrap().count(),
            1,
            "no temp file left"
        );
    }

    #[test]
    fn failed_write_leaves_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("missing-dir").join("a.pem");
        assert!(write_new(&p, b"x", Secrecy::Public, false).is_err());
        assert!(!exists(&p));
    }
}
