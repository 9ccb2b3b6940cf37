//! Idle upstream connections kept open for the next request to the same upstream.
//!
//! A pooled connection stays registered in the poll under the token of the client connection
//! that used it last (often the one that takes it again, so keep-alive costs no system call);
//! stray events it causes only make that connection look for work and find none.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use super::upstream::Upstream;

/// Idle connections kept per upstream address.
const PER_ADDR: usize = 32;
/// Idle connections older than this are closed rather than reused: shorter than common servers'
/// keep-alive timeouts (Node's 5 s), so the upstream rarely closes one just as it is reused.
pub(crate) const MAX_IDLE: Duration = Duration::from_secs(4);

/// The idle connections, most recently used last.
#[derive(Debug, Default)]
pub(crate) struct Pool {
    idle: Vec<(Upstream, Instant)>,
}

impl Pool {
    /// Keeps `upstream` for reuse.
    pub(crate) fn put(&mut self, upstream: Upstream, now: Instant) {
        let same = self.idle.iter().filter(|(u, _)| u.addr == upstream.addr);
        if same.count() >= PER_ADDR {
            if let Some(i) = self.idle.iter().position(|(u, _)| u.addr == upstream.addr) {
                self.idle.remove(i);
            }
        }
        self.idle.push((upstream, now));
    }

    /// An idle connection to `addr` that still looks open, the most recently used first.
    pub(crate) fn take(&mut self, addr: SocketAddr, now: Instant) -> Option<Upstream> {
        self.idle
            .retain(|(_, since)| now.saturating_duration_since(*since) < MAX_IDLE);
        while let Some(i) = self.idle.iter().rposition(|(u, _)| u.addr == addr) {
            let (upstream, _) = self.idle.remove(i);
            if upstream.idle_and_open() {
                return Some(upstream);
            }
        }
        None
    }
}
