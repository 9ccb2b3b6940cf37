//! selfsign-server: a single-threaded mio + rustls TLS listener that can be left running and
//! pointed at hostile clients.
//!
//! It serves static files over HTTP/1.1 ([`Mode::Http`]) or echoes what clients send
//! ([`Mode::Echo`]), or forwards requests to the app a developer is building, as a reverse proxy
//! ([`Mode::Proxy`]). Every connection has a handshake, a request-head and an idle deadline, reads
//! stop while a peer is not taking our output (bounded memory per connection), the number of
//! connections is capped without ever refusing service for good (at the cap, connections that
//! make no progress give way), files are opened beneath the web root in one step, and shutdown
//! lets responses in flight finish.
//!
//! ```no_run
//! # fn demo(tls: selfsign_server::TlsOptions) -> Result<(), selfsign_server::Error> {
//! use selfsign_server::{tls_config, Limits, Mode, Server, ServerOptions};
//! let config = tls_config(tls)?;
//! let opts = ServerOptions {
//!     listen: vec!["127.0.0.1:8443".parse().unwrap()],
//!     mode: Mode::Http { root: "web".into(), serve_dotfiles: false },
//!     limits: Limits::default(),
//! };
//! let mut server = Server::bind(opts, config)?;
//! server.handle_signals()?;
//! server.run()
//! # }
//! ```
#![forbid(unsafe_code)]

mod badssl;
mod certs;
mod conn;
mod dynamic;
mod echo;
mod error;
mod files;
pub mod fuzzing;
mod hosts;
mod http;
mod listener;
mod plain;
mod proxy;
mod server;
mod service;
mod sni;
mod timer;
mod tls;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

pub use badssl::{Answer, BadsslSite, SiteHost};
pub use certs::{
    needs_renewal, Clock, HostPatterns, Leaf, LeafSource, OnDemand, OnDemandLimits, SystemClock,
};
pub use dynamic::{Handler, HandlerRequest, HandlerResponse};
pub use error::Error;
pub use hosts::normalize as normalize_host;
pub use proxy::{ProxyOptions, Route, Target};
pub use server::{Server, ShutdownHandle};
pub use sni::SniRouter;
pub use tls::{tls_config, tls_config_for_versions, ClientAuth, TlsOptions};

/// What the server does with each connection once TLS is up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Mode {
    /// Serve the files under `root` over HTTP/1.1 (GET and HEAD).
    Http {
        /// The directory to serve; `/` maps to its index.html.
        root: PathBuf,
        /// Serve files and directories whose name starts with `.` (otherwise 404, except a
        /// leading `/.well-known/`).
        serve_dotfiles: bool,
    },
    /// Send back every byte received.
    Echo,
    /// Forward HTTP/1.1 requests to upstream servers (or web roots) chosen by Host.
    Proxy(ProxyOptions),
}

/// Bounds that keep one client from exhausting the server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// Connections open at once; beyond it a newcomer replaces the connection slowest to make
    /// progress (silent, or stuck in its handshake or request head for a while), else waits in
    /// the kernel backlog.
    pub max_connections: usize,
    /// Time allowed from accept to a finished TLS handshake.
    pub handshake_timeout: Duration,
    /// Time allowed from the first byte of an HTTP request head to its end, however steadily
    /// the bytes arrive (like nginx `client_header_timeout`, Go `ReadHeaderTimeout`).
    pub header_timeout: Duration,
    /// Time an established connection may go without reading or writing anything.
    pub idle_timeout: Duration,
    /// Largest HTTP request head (request line and header fields) accepted, in bytes.
    pub max_request_head: usize,
    /// Time shutdown waits for responses in flight before dropping connections.
    pub shutdown_grace: Duration,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_connections: 1024,
            handshake_timeout: Duration::from_secs(10),
            header_timeout: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(60),
            max_request_head: 16 * 1024,
            shutdown_grace: Duration::from_secs(10),
        }
    }
}

/// Where to listen, what to serve, and within which limits.
#[derive(Debug, Clone)]
pub struct ServerOptions {
    /// Addresses to listen on; port 0 picks a free port (see [`Server::local_addrs`]).
    pub listen: Vec<SocketAddr>,
    /// HTTP file serving or echo.
    pub mode: Mode,
    /// Connection limits and timeouts.
    pub limits: Limits,
}
