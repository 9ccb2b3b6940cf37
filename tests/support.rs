//! Helpers for interop tests: temp dirs of PEM files and running real peers.
#![forbid(unsafe_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use selfsign_core::UnixTime;

/// The real clock, read once per test process: peers such as openssl check validity against it,
/// and one instant for all issuance keeps "a leaf may not outlive its issuer" from turning on
/// which second each certificate happened to be made in.
pub fn now() -> UnixTime {
    static START: std::sync::OnceLock<UnixTime> = std::sync::OnceLock::new();
    *START.get_or_init(UnixTime::now)
}

/// A temporary directory that files are written into by name.
pub struct Dir(tempfile::TempDir);

impl Dir {
    /// A fresh empty directory.
    pub fn new() -> Dir {
        Dir(tempfile::tempdir().expect("temp dir"))
    }

    /// Writes `contents` to `name` and returns the path.
    pub fn write(&self, name: &str, contents: impl AsRef<[u8]>) -> PathBuf {
        let path = self.0.path().join(name);
        std::fs::write(&path, contents).expect("write");
        path
    }

    /// The directory's path.
    pub fn path(&self) -> &Path {
        self.0.path()
    }
}

impl Default for Dir {
    fn default() -> Self {
        Dir::new()
    }
}

/// Runs a program and returns its output; panics only if it cannot be started.
pub fn run(program: &str, args: &[&dyn AsRef<std::ffi::OsStr>]) -> Output {
    Command::new(program)
        .args(args.iter().map(|a| a.as_ref()))
        .output()
        .unwrap_or_else(|e| panic!("cannot run {program}: {e} (run scripts/bootstrap)"))
}

/// stdout and stderr of an output, for assertions and messages.
pub fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}
