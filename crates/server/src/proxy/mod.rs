//! Reverse proxy mode: HTTP/1.1 requests forwarded to plain-HTTP upstreams chosen by Host, in the
//! server's own event loop (upstream sockets are non-blocking and registered in the same poll).
//!
//! Request heads pass the same framing rules as the file server before anything is forwarded;
//! bodies stream both ways within bounded buffers; idle upstream connections are pooled; a
//! `101 Switching Protocols` turns the connection into a byte tunnel (WebSockets).

pub(crate) mod body;
pub(crate) mod client;
pub(crate) mod forward;
mod head;
mod page;
mod pool;
mod upstream;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use mio::{Registry, Token};

use crate::files::WebRoot;
use crate::hosts::HostMap;
use crate::Error;

pub(crate) use client::Proxy;

/// Upstream sockets carry the token of their client connection's slot plus this (below the
/// plain-HTTP listener's and the TLS listeners' tokens).
const UPSTREAM_BASE: usize = usize::MAX / 8;

/// The token for the upstream socket of the client connection in `slot`.
pub(crate) fn upstream_token(slot: usize) -> Token {
    Token(UPSTREAM_BASE + slot)
}

/// The client connection slot an event's token stands for (an upstream's or its own).
pub(crate) fn conn_slot(token: Token) -> usize {
    token.0.checked_sub(UPSTREAM_BASE).unwrap_or(token.0)
}

/// Where requests for a host go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// A plain-HTTP/1.1 server.
    Upstream {
        /// Its addresses, tried in order until one accepts the connection.
        addrs: Vec<SocketAddr>,
        /// How to name it (`http://host:port`) in logs and error pages; its `host:port` is the
        /// Host sent with `rewrite_host`.
        url: String,
    },
    /// Static files from this directory (GET and HEAD).
    Dir(PathBuf),
}

/// Requests whose Host is `host` (any port) go to `target`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route {
    /// The host name without port, or `*.` and a name: `*` stands for exactly one label, as in
    /// the on-demand certificate patterns, and a route of a name's own wins over a wildcard's.
    pub host: String,
    /// Where its requests go.
    pub target: Target,
}

/// What the proxy forwards where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProxyOptions {
    /// Per-host targets, looked up by the request's Host.
    pub routes: Vec<Route>,
    /// The target for hosts without a route; without one they get a 404 page.
    pub fallback: Option<Target>,
    /// Send the upstream's own `host:port` as Host instead of the client's.
    pub rewrite_host: bool,
    /// How long an upstream may take to accept, read or answer before the client gets 504.
    pub upstream_timeout: Duration,
    /// Serve dotfiles from `Dir` targets.
    pub serve_dotfiles: bool,
}

/// A target ready to serve.
#[derive(Debug)]
pub(crate) enum Resolved {
    /// An upstream.
    Upstream(Arc<Origin>),
    /// A web root.
    Dir(Arc<WebRoot>),
}

/// An upstream server as the proxy knows it.
#[derive(Debug)]
pub(crate) struct Origin {
    /// Addresses tried in order.
    pub(crate) addrs: Vec<SocketAddr>,
    /// `http://host:port` as given.
    pub(crate) url: String,
    /// `host:port`.
    pub(crate) authority: String,
}

/// What every proxied connection shares.
#[derive(Debug)]
pub(crate) struct Shared {
    routes: HostMap<Resolved>,
    fallback: Option<Resolved>,
    /// Send the upstream's `host:port` as Host.
    pub(crate) rewrite_host: bool,
    /// See [`ProxyOptions::upstream_timeout`].
    pub(crate) upstream_timeout: Duration,
    /// Largest request head accepted.
    pub(crate) max_head: usize,
    /// The server's poll, for upstream sockets.
    pub(crate) registry: Registry,
    /// Idle upstream connections (the server is single-threaded: never contended).
    pub(crate) pool: Mutex<pool::Pool>,
}

impl Shared {
    /// Opens every web root and takes a handle on the poll.
    pub(crate) fn new(
        opts: &ProxyOptions,
        registry: Registry,
        max_head: usize,
    ) -> Result<Shared, Error> {
        let resolve = |t: &Target| -> Result<Resolved, Error> {
            Ok(match t {
                Target::Upstream { addrs, url } => {
                    if addrs.is_empty() {
                        return Err(Error::Upstream {
                            url: url.clone(),
                            reason: "no address to connect to".into(),
                        });
                    }
                    let authority = url
                        .split_once("://")
                        .map_or(url.as_str(), |(_, rest)| rest)
                        .trim_end_matches('/')
                        .to_owned();
                    Resolved::Upstream(Arc::new(Origin {
                        addrs: addrs.clone(),
                        url: url.clone(),
                        authority,
                    }))
                }
                Target::Dir(root) => {
                    Resolved::Dir(Arc::new(WebRoot::open(root, opts.serve_dotfiles)?))
                }
            })
        };
        let mut routes = HostMap::default();
        for r in &opts.routes {
            routes.insert(&r.host, resolve(&r.target)?);
        }
        let fallback = opts.fallback.as_ref().map(resolve).transpose()?;
        Ok(Shared {
            routes,
            fallback,
            rewrite_host: opts.rewrite_host,
            upstream_timeout: opts.upstream_timeout,
            max_head,
            registry,
            pool: Mutex::new(pool::Pool::default()),
        })
    }

    /// The target for a host name (as `hosts::field_host` gives it), or the fallback.
    pub(crate) fn route(&self, host: &str) -> Option<&Resolved> {
        self.routes.get(host).or(self.fallback.as_ref())
    }

    /// The routed host names and patterns, for the page a host without a route gets.
    pub(crate) fn hosts(&self) -> Vec<String> {
        self.routes.patterns().collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn upstream_tokens_map_back_to_their_connection() {
        assert_eq!(conn_slot(upstream_token(7)), 7);
        assert_eq!(conn_slot(Token(7)), 7);
    }
}
