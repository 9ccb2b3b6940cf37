//! The CLI's one error type; each message is the one line a user sees after `selfsign: `.

use std::path::PathBuf;

/// Everything a `selfsign` command can fail with.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A certificate-core error (bad name, bad PEM, ...).
    #[error(transparent)]
    Core(#[from] selfsign_core::Error),

    /// A file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file involved.
        path: PathBuf,
        /// What the OS said.
        source: std::io::Error,
    },

    /// A file exists and `--force` was not given.
    #[error("{0} already exists; pass --force to overwrite it")]
    Exists(PathBuf),

    /// The local CA is missing where a command needs it.
    #[error("no local CA in {0}; run `selfsign ca create` first")]
    NoCa(PathBuf),

    /// The local CA's files are there but cannot be used.
    #[error("the local CA in {dir} is unusable: {reason}; repair it or replace it with `selfsign ca create --force`")]
    BadCa {
        /// The data directory.
        dir: PathBuf,
        /// What is wrong.
        reason: String,
    },

    /// Arguments that clap cannot reject on its own.
    #[error("{0}")]
    Usage(String),

    /// An external tool (certutil, update-ca-certificates, ...) failed or is missing.
    #[error("{tool}: {message}")]
    Tool {
        /// The program.
        tool: String,
        /// What went wrong and what to do.
        message: String,
    },

    /// A TLS connection or configuration failed.
    #[error("{0}")]
    Tls(String),

    /// The server could not start or stopped with an error.
    #[error(transparent)]
    Server(#[from] selfsign_server::Error),
}

impl Error {
    /// A stable one-word name for the kind of error, for `--json` output.
    pub fn kind(&self) -> &'static str {
        match self {
            Error::Core(_) => "invalid",
            Error::Io { .. } => "io",
            Error::Exists(_) => "exists",
            Error::NoCa(_) => "no_ca",
            Error::BadCa { .. } => "bad_ca",
            Error::Usage(_) => "usage",
            Error::Tool { .. } => "tool",
            Error::Tls(_) => "tls",
            Error::Server(_) => "server",
        }
    }

    /// Wraps an I/O error with the path it concerns.
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io {
            path: path.into(),
            source,
        }
    }
}
