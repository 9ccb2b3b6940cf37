//! The web root: mapping a decoded request path to a file that stays under it.
//!
//! Every lookup opens relative to the root directory handle with `cap-std`, which refuses any
//! path that would leave the root (through `..` or a symlink, absolute or relative) in the same
//! step as the open (`openat2` with `RESOLVE_BENEATH` on Linux 5.6+, a component-by-component
//! `openat` walk otherwise). There is no check-then-open window for a symlink swap to exploit.

use std::fs::File;
use std::io;
use std::path::{Path, PathBuf};

use cap_std::ambient_authority;
use cap_std::fs::{Dir, OpenOptions, OpenOptionsExt};

use crate::Error;

/// EACCES and EPERM: the file exists but this process may not read it.
const ACCESS_DENIED: [i32; 2] = [libc::EACCES, libc::EPERM];

/// The one dot-segment served without `serve_dotfiles`: RFC 8615 well-known URIs.
const WELL_KNOWN: &str = ".well-known";

/// A directory whose files may be served.
#[derive(Debug)]
pub(crate) struct WebRoot {
    dir: Dir,
    serve_dotfiles: bool,
}

/// What a request path names.
#[derive(Debug)]
pub(crate) enum Lookup {
    /// A regular file under the root, opened.
    File {
        /// The open file.
        file: File,
        /// Its length when opened.
        len: u64,
        /// Its media type, from its extension.
        content_type: &'static str,
    },
    /// A directory asked for without the trailing slash: redirect to the slash form.
    Directory,
    /// Nothing servable there (missing, outside the root, hidden, not a regular file).
    NotFound,
    /// It exists but the server may not read it.
    Forbidden,
    /// It could not be opened for want of file descriptors: a passing overload, not a 404.
    Busy,
}

/// A request path that must be refused before touching the file system.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct BadPath(pub(crate) &'static str);

/// What opening one path under the root found.
enum Opened {
    Regular(File, u64),
    Directory,
    Other(Lookup),
}

impl WebRoot {
    /// Opens `dir` as the root; dotfiles (other than `/.well-known/`) are 404 unless
    /// `serve_dotfiles`.
    pub(crate) fn open(dir: &Path, serve_dotfiles: bool) -> Result<WebRoot, Error> {
        let fail = |reason: String| Error::WebRoot {
            path: dir.to_path_buf(),
            reason,
        };
        let handle = Dir::open_ambient_dir(dir, ambient_authority()).map_err(|e| {
            if e.raw_os_error() == Some(libc::ENOTDIR) {
                fail("not a directory; pass the directory holding index.html".into())
            } else {
                fail(e.to_string())
            }
        })?;
        Ok(WebRoot {
            dir: handle,
            serve_dotfiles,
        })
    }

    /// Finds the file for `path`, a percent-decoded absolute request path.
    pub(crate) fn lookup(&self, path: &str) -> Result<Lookup, BadPath> {
        let relative = relative_path(path)?;
        if !self.serve_dotfiles && hidden(&relative) {
            tracing::debug!("refused {path}: a dotfile (pass --serve-dotfiles to serve them)");
            return Ok(Lookup::NotFound);
        }
        match self.open_regular(&relative) {
            Opened::Regular(file, len) => Ok(found(file, len, &relative)),
            Opened::Other(lookup) => Ok(lookup),
            Opened::Directory if !path.ends_with('/') => Ok(Lookup::Directory),
            Opened::Directory => {
                let index = relative.join("index.html");
                match self.open_regular(&index) {
                    Opened::Regular(file, len) => Ok(found(file, len, &index)),
                    Opened::Other(lookup) => Ok(lookup),
                    Opened::Directory => Ok(Lookup::NotFound),
                }
            }
        }
    }

    /// Opens `relative` under the root without blocking (a FIFO would otherwise wait for a
    /// writer) and classifies it by `fstat` of the open descriptor.
    fn open_regular(&self, relative: &Path) -> Opened {
        let target = if relative.as_os_str().is_empty() {
            Path::new(".")
        } else {
            relative
        };
        let mut options = OpenOptions::new();
        options.read(true).custom_flags(libc::O_NONBLOCK);
        let file = match self.dir.open_with(target, &options) {
            Ok(file) => file.into_std(),
            Err(e) => return Opened::Other(open_failed(relative, &e)),
        };
        match file.metadata() {
            Ok(meta) if meta.is_file() => Opened::Regular(file, meta.len()),
            Ok(meta) if meta.is_dir() => Opened::Directory,
            Ok(_) => {
                tracing::debug!("refused {}: not a regular file", relative.display());
                Opened::Other(Lookup::NotFound)
            }
            Err(_) => Opened::Other(Lookup::NotFound),
        }
    }
}

/// A regular file found at `path`.
fn found(file: File, len: u64, path: &Path) -> Lookup {
    Lookup::File {
        file,
        len,
        content_type: content_type(path),
    }
}

/// What a failed open means for the client.
fn open_failed(relative: &Path, e: &io::Error) -> Lookup {
    match e.raw_os_error() {
        Some(code) if ACCESS_DENIED.contains(&code) => Lookup::Forbidden,
        Some(_) if crate::server::out_of_fds(e) => Lookup::Busy,
        // cap-std's "a path led outside of the filesystem" carries no OS error code.
        None if e.kind() == io::ErrorKind::PermissionDenied => {
            tracing::debug!("refused {}: leads outside the web root", relative.display());
            Lookup::NotFound
        }
        _ => Lookup::NotFound,
    }
}

/// Whether any segment is a dotfile or dot-directory, other than a leading `.well-known`.
fn hidden(relative: &Path) -> bool {
    relative.iter().enumerate().any(|(i, segment)| {
        let segment = segment.to_string_lossy();
        segment.starts_with('.') && !(i == 0 && segment == WELL_KNOWN)
    })
}

/// Splits a request path into safe components: no `..`, backslash or NUL anywhere.
fn relative_path(path: &str) -> Result<PathBuf, BadPath> {
    if !path.starts_with('/') {
        return Err(BadPath("path must start with /"));
    }
    let mut relative = PathBuf::new();
    for segment in path.split('/') {
        match segment {
            "" | "." => {}
            ".." => return Err(BadPath("path contains ..")),
            s if s.contains('\\') => return Err(BadPath("path contains a backslash")),
            s if s.contains('\0') => return Err(BadPath("path contains NUL")),
            s => relative.push(s),
        }
    }
    Ok(relative)
}

/// The media type for a file name, by extension.
pub(crate) fn content_type(path: &Path) -> &'static str {
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase);
    match ext.as_deref() {
        Some("html" | "htm") => "text/html; charset=utf-8",
        Some("js" | "mjs") => "text/javascript; charset=utf-8",
        Some("css") => "text/css; charset=utf-8",
        Some("json" | "map") => "application/json",
        Some("wasm") => "application/wasm",
        Some("svg") => "image/svg+xml",
        Some("png") => "image/png",
        Some("jpg" | "jpeg") => "image/jpeg",
        Some("gif") => "image/gif",
        Some("webp") => "image/webp",
        Some("ico") => "image/x-icon",
        Some("woff2") => "font/woff2",
        Some("txt") => "text/plain; charset=utf-8",
        Some("pem" | "crt") => "application/x-pem-file",
        Some("der" | "cer") => "application/pkix-cert",
        _ => "application/octet-stream",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_path_refuses_dot_dot_backslash_and_nul() {
        assert_eq!(relative_path("/a/../b"), Err(BadPath("path contains ..")));
        assert_eq!(relative_path("/.."), Err(BadPath("path contains ..")));
        assert!(relative_path("/a\\..\\b").is_err());
        assert!(relative_path("/a\0b").is_err());
        assert!(relative_path("a").is_err());
        assert_eq!(relative_path("//a/./b/"), Ok(PathBuf::from("a/b")));
    }

    #[test]
    fn dot_segments_are_hidden_except_a_leading_well_known() {
        assert!(hidden(Path::new(".env")));
        assert!(hidden(Path::new(".git/config")));
        assert!(hidden(Path::new("a/.hidden/x")));
        assert!(hidden(Path::new(".well-known/.secret")));
        assert!(hidden(Path::new("a/.well-known/x")));
        assert!(!hidden(Path::new(".well-known/security.txt")));
        assert!(!hidden(Path::new("a/b.c/index.html")));
        assert!(!hidden(Path::new("")));
    }

    #[test]
    fn content_types_cover_the_page_assets() {
        assert_eq!(content_type(Path::new("x.wasm")), "application/wasm");
        assert_eq!(
            content_type(Path::new("x.MJS")),
            "text/javascript; charset=utf-8"
        );
        assert_eq!(content_type(Path::new("ca.pem")), "application/x-pem-file");
        assert_eq!(
            content_type(Path::new("README")),
            "application/octet-stream"
        );
    }
}
