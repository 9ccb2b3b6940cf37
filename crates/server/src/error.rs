//! What can stop the server from starting or running, worded as what the user must fix.

use std::io;
use std::net::SocketAddr;
use std::path::PathBuf;

/// Why the server could not be configured, started or kept running.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// No address to listen on was given.
    #[error("no listen address given: pass at least one address such as 127.0.0.1:8443")]
    NoListenAddress,
    /// A listening socket could not be opened.
    #[error("cannot listen on {addr}: {}", describe_listen_error(.source))]
    Listen {
        /// The address that was asked for.
        addr: SocketAddr,
        /// What the operating system said.
        source: io::Error,
    },
    /// The web root is missing or not a directory.
    #[error("cannot serve files from {}: {reason}", .path.display())]
    WebRoot {
        /// The root as given.
        path: PathBuf,
        /// Why it cannot be used.
        reason: String,
    },
    /// The certificate chain is empty.
    #[error("the certificate chain is empty: pass the server certificate (and any intermediates)")]
    EmptyChain,
    /// The private key is unusable or does not belong to the first certificate.
    #[error("the private key cannot be used with the server certificate: {0}")]
    Key(rustls::Error),
    /// The CA certificates for client authentication are unusable.
    #[error("the client CA certificates cannot be used to verify clients: {0}")]
    ClientRoots(String),
    /// The TLS configuration could not be built.
    #[error("cannot build the TLS configuration: {0}")]
    Tls(rustls::Error),
    /// The event loop (poll, waker) could not be created or failed.
    #[error("the event loop failed: {0}")]
    EventLoop(io::Error),
    /// A host pattern for certificates on demand is malformed.
    #[error("host pattern {pattern:?}: {reason}")]
    HostPattern {
        /// The pattern as given.
        pattern: String,
        /// What is wrong with it.
        reason: String,
    },
    /// An upstream of the proxy cannot be used.
    #[error("upstream {url}: {reason}")]
    Upstream {
        /// The upstream as given.
        url: String,
        /// What is wrong with it.
        reason: String,
    },
    /// SIGINT/SIGTERM handlers could not be installed.
    #[error("cannot install SIGINT/SIGTERM handlers: {0}")]
    Signals(io::Error),
}

/// Turns the OS error from bind/listen into advice.
fn describe_listen_error(e: &io::Error) -> String {
    match e.kind() {
        io::ErrorKind::AddrInUse => {
            "address in use (another process listens there; stop it or pick another port)".into()
        }
        io::ErrorKind::PermissionDenied => {
            "permission denied (ports below 1024 need privileges; pick a port above 1024)".into()
        }
        io::ErrorKind::AddrNotAvailable => {
            "address not available (no interface on this machine has that address)".into()
        }
        _ => e.to_string(),
    }
}
