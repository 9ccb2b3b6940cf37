//! The web root: mapping a decoded request path to a file that stays under it.

use std::fs::{self, File};
use std::io;
use std::path::{Path, PathBuf};

use crate::Error;

/// A canonical directory whose files may be served.
#[derive(Debug)]
pub(crate) struct WebRoot {
    dir: PathBuf,
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
    /// Nothing servable there (missing, outside the root, not a regular file).
    NotFound,
    /// It exists but the server may not read it.
    Forbidden,
    /// It could not be opened for want of file descriptors: a passing overload, not a 404.
    Busy,
}

/// A request path that must be refused before touching the file system.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct BadPath(pub(crate) &'static str);

impl WebRoot {
    /// Checks that `dir` is a directory and remembers its canonical form.
    pub(crate) fn open(dir: &Path) -> Result<WebRoot, Error> {
        let fail = |reason: String| Error::WebRoot {
            path: dir.to_path_buf(),
            reason,
        };
        let canonical = fs::canonicalize(dir).map_err(|e| fail(e.to_string()))?;
        if !canonical.is_dir() {
            return Err(fail(
                "not a directory; pass the directory holding index.html".into(),
            ));
        }
        Ok(WebRoot { dir: canonical })
    }

    /// Finds the file for `path`, a percent-decoded absolute request path.
    pub(crate) fn lookup(&self, path: &str) -> Result<Lookup, BadPath> {
        let relative = relative_path(path)?;
        let Some(found) = self.inside(&self.dir.join(relative)) else {
            return Ok(Lookup::NotFound);
        };
        let found = if found.is_dir() {
            if !path.ends_with('/') {
                return Ok(Lookup::Directory);
            }
            match self.inside(&found.join("index.html")) {
                Some(index) => index,
                None => return Ok(Lookup::NotFound),
            }
        } else {
            found
        };
        Ok(open_regular(&found))
    }

    /// Resolves symlinks in `path` and returns it only if it is still under the root.
    fn inside(&self, path: &Path) -> Option<PathBuf> {
        let canonical = fs::canonicalize(path).ok()?;
        if canonical.starts_with(&self.dir) {
            Some(canonical)
        } else {
            tracing::debug!("refused {}: resolves outside the web root", path.display());
            None
        }
    }
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

/// Opens `path` if it is a regular file.
fn open_regular(path: &Path) -> Lookup {
    let file = match File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == io::ErrorKind::PermissionDenied => return Lookup::Forbidden,
        Err(e) if crate::server::out_of_fds(&e) => return Lookup::Busy,
        Err(_) => return Lookup::NotFound,
    };
    match file.metadata() {
        Ok(meta) if meta.is_file() => Lookup::File {
            file,
            len: meta.len(),
            content_type: content_type(path),
        },
        _ => Lookup::NotFound,
    }
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
