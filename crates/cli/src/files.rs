//! Safe file output: never clobber without `--force`, keys 0600 from the first byte, atomic
//! replacement (temp file in the same directory, fsync, rename) so an error leaves no partial file,
//! and sets of files (a certificate and its key) replaced together or not at all.

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

/// One file of a set written by [`write_set`].
#[derive(Clone, Copy, Debug)]
pub struct Output<'a> {
    /// Where it goes.
    pub path: &'a Path,
    /// What it holds.
    pub contents: &'a [u8],
    /// Its permissions.
    pub secrecy: Secrecy,
}

/// Writes several files (a certificate and its key) so that either all of them are replaced or
/// none is; refuses existing files unless `force`, and paths that name the same file.
///
/// Every file is first written in full to a synced temporary file next to its target. Without
/// `force` each is then hard-linked into place (which fails if a target appeared meanwhile) and
/// any already placed is removed on failure. With `force` each existing target is first
/// hard-linked to a backup name, so the old set stays whole on disk until every new file is in
/// place; a failed rename puts the backups back, and the backups are removed only at the end.
/// Each rename is atomic, so a reader never sees a half-written file; a crash between two
/// renames leaves the old files as `.NAME.PID.N.selfsign-old` next to the new ones.
pub fn write_set(outputs: &[Output<'_>], force: bool) -> Result<(), Error> {
    check_distinct(outputs.iter().map(|o| o.path))?;
    check_absent(outputs.iter().map(|o| o.path), force)?;
    let mut temps: Vec<PathBuf> = Vec::new();
    let result = write_temps(outputs, &mut temps).and_then(|()| {
        if force {
            replace_all(outputs, &temps)
        } else {
            link_all(outputs, &temps)
        }
    });
    for tmp in &temps {
        let _ = fs::remove_file(tmp);
    }
    result?;
    for dir in outputs.iter().map(|o| parent(o.path)) {
        if let Ok(d) = File::open(&dir) {
            let _ = d.sync_all();
        }
    }
    Ok(())
}

/// Refuses two outputs that are one file: the same path spelled differently (`a.pem`,
/// `./a.pem`), or two links to one existing file.
pub fn check_distinct<'a>(paths: impl IntoIterator<Item = &'a Path>) -> Result<(), Error> {
    let paths: Vec<&Path> = paths.into_iter().collect();
    let ids: Vec<Option<FileId>> = paths.iter().map(|p| FileId::of(p)).collect();
    for (i, a) in ids.iter().enumerate() {
        for (j, b) in ids.iter().enumerate().skip(i + 1) {
            if a.is_some() && a == b {
                return Err(Error::Usage(format!(
                    "{} and {} are the same file; give each output its own path",
                    paths[i].display(),
                    paths[j].display()
                )));
            }
        }
    }
    Ok(())
}

/// What makes a path one file: its device and inode when it exists, otherwise its resolved
/// parent directory and its name.
#[derive(Debug, PartialEq, Eq)]
enum FileId {
    Inode(u64, u64),
    Named(PathBuf, std::ffi::OsString),
}

impl FileId {
    fn of(path: &Path) -> Option<FileId> {
        use std::os::unix::fs::MetadataExt;
        if let Ok(m) = fs::metadata(path) {
            return Some(FileId::Inode(m.dev(), m.ino()));
        }
        let name = path.file_name()?.to_os_string();
        let dir = parent(path);
        let dir =
            fs::canonicalize(&dir).unwrap_or_else(|_| std::path::absolute(&dir).unwrap_or(dir));
        Some(FileId::Named(dir, name))
    }
}

fn write_temps(outputs: &[Output<'_>], temps: &mut Vec<PathBuf>) -> Result<(), Error> {
    for o in outputs {
        let (tmp, mut file) = create_temp(&parent(o.path), o.path, o.secrecy)?;
        temps.push(tmp);
        file.write_all(o.contents)
            .and_then(|()| file.sync_all())
            .map_err(|e| Error::io(o.path, e))?;
    }
    Ok(())
}

fn link_all(outputs: &[Output<'_>], temps: &[PathBuf]) -> Result<(), Error> {
    for (i, (o, tmp)) in outputs.iter().zip(temps).enumerate() {
        if let Err(e) = place(tmp, o.path, false) {
            for placed in &outputs[..i] {
                let _ = fs::remove_file(placed.path);
            }
            return Err(e);
        }
    }
    Ok(())
}

fn replace_all(outputs: &[Output<'_>], temps: &[PathBuf]) -> Result<(), Error> {
    let mut backups: Vec<Option<PathBuf>> = Vec::new();
    let result = (|| {
        for o in outputs {
            backups.push(backup(o.path)?);
        }
        for (i, (o, tmp)) in outputs.iter().zip(temps).enumerate() {
            if let Err(e) = fs::rename(tmp, o.path) {
                restore(&outputs[..i], &backups);
                return Err(Error::io(o.path, e));
            }
        }
        Ok(())
    })();
    for b in backups.iter().flatten() {
        let _ = fs::remove_file(b);
    }
    result
}

/// Hard-links an existing regular file to a backup name; `None` when there is nothing to keep.
fn backup(path: &Path) -> Result<Option<PathBuf>, Error> {
    match fs::symlink_metadata(path) {
        Ok(m) if m.is_file() => {}
        _ => return Ok(None),
    }
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let name = path.file_name().unwrap_or_default().to_string_lossy();
    // A unique name: a backup left by a crash may be the only copy of an old key.
    for _ in 0..100 {
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let backup = parent(path).join(format!(".{name}.{}.{n}.selfsign-old", std::process::id()));
        match fs::hard_link(path, &backup) {
            Ok(()) => return Ok(Some(backup)),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(Error::io(&backup, e)),
        }
    }
    Err(Error::io(path, io::Error::other("no free backup name")))
}

/// Puts the old files back over the new ones already renamed in (and removes new files that
/// had no old one).
fn restore(replaced: &[Output<'_>], backups: &[Option<PathBuf>]) {
    for (o, b) in replaced.iter().zip(backups) {
        match b {
            Some(b) => {
                let _ = fs::rename(b, o.path);
            }
            None => {
                let _ = fs::remove_file(o.path);
            }
        }
    }
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
    fn a_set_is_written_whole_and_refuses_one_file_under_two_names() {
        let dir = tempfile::tempdir().unwrap();
        let (c, k) = (dir.path().join("c.pem"), dir.path().join("k.pem"));
        let set = |cert: &'static [u8], key: &'static [u8]| {
            [
                Output {
                    path: c.as_path(),
                    contents: cert,
                    secrecy: Secrecy::Public,
                },
                Output {
                    path: k.as_path(),
                    contents: key,
                    secrecy: Secrecy::Secret,
                },
            ]
        };
        write_set(&set(b"c1", b"k1"), false).unwrap();
        assert!(matches!(
            write_set(&set(b"c2", b"k2"), false),
            Err(Error::Exists(_))
        ));
        write_set(&set(b"c3", b"k3"), true).unwrap();
        assert_eq!(
            (fs::read(&c).unwrap(), fs::read(&k).unwrap()),
            (b"c3".to_vec(), b"k3".to_vec())
        );
        assert_eq!(mode(&k), 0o600);
        assert_eq!(
            fs::read_dir(dir.path()).unwrap().count(),
            2,
            "no temp or backup left"
        );
        let dotted = dir.path().join(".").join("c.pem");
        let aliased = [
            Output {
                path: &c,
                contents: b"x",
                secrecy: Secrecy::Public,
            },
            Output {
                path: &dotted,
                contents: b"y",
                secrecy: Secrecy::Secret,
            },
        ];
        assert!(matches!(write_set(&aliased, true), Err(Error::Usage(_))));
        assert_eq!(fs::read(&c).unwrap(), b"c3");
    }

    #[test]
    fn failed_write_leaves_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("missing-dir").join("a.pem");
        assert!(write_new(&p, b"x", Secrecy::Public, false).is_err());
        assert!(!exists(&p));
    }
}
