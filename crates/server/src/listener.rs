//! Listening sockets: bind, accept, and pause accepting (connection cap, EMFILE) without dying.

use std::io;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use mio::net::{TcpListener, TcpStream};
use mio::{Interest, Registry, Token};
use socket2::{Domain, Protocol, Socket, Type};

use crate::Error;

/// Pending connections the kernel queues for each listener.
const BACKLOG: i32 = 1024;

/// How long to stop accepting after an accept error such as EMFILE.
pub(crate) const ACCEPT_PAUSE: Duration = Duration::from_millis(250);

/// Token of the first listener; listener `i` has `LISTENER_BASE + i`.
pub(crate) const LISTENER_BASE: usize = usize::MAX / 2;

/// Why accepting stopped for now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Pause {
    /// Accepting normally.
    No,
    /// At the connection cap: resume when a connection leaves.
    Full,
    /// An accept error (e.g. out of file descriptors): resume at this instant.
    Until(Instant),
}

/// What one accept attempt produced.
pub(crate) enum Accepted {
    /// A new connection.
    Conn(TcpStream, SocketAddr),
    /// Nothing is waiting.
    Empty,
    /// Accepting failed in a way that needs a pause.
    Failed(io::Error),
}

/// All listening sockets and whether they are registered with the poll.
pub(crate) struct Listeners {
    sockets: Vec<TcpListener>,
    registered: bool,
    /// Why accepting is paused, if it is.
    pub(crate) pause: Pause,
}

impl Listeners {
    /// Binds every address (port 0 picks a free port). IPv6 sockets are IPv6-only.
    pub(crate) fn bind(addrs: &[SocketAddr]) -> Result<Listeners, Error> {
        if addrs.is_empty() {
            return Err(Error::NoListenAddress);
        }
        let sockets = addrs
            .iter()
            .map(|&addr| listen(addr).map_err(|source| Error::Listen { addr, source }))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Listeners {
            sockets,
            registered: false,
            pause: Pause::No,
        })
    }

    /// The bound addresses, with the actual ports.
    pub(crate) fn local_addrs(&self) -> Vec<SocketAddr> {
        self.sockets
            .iter()
            .filter_map(|s| s.local_addr().ok())
            .collect()
    }

    /// The listener index behind a poll token.
    pub(crate) fn index(&self, token: Token) -> Option<usize> {
        let i = token.0.checked_sub(LISTENER_BASE)?;
        (i < self.sockets.len()).then_some(i)
    }

    /// Number of listeners.
    pub(crate) fn len(&self) -> usize {
        self.sockets.len()
    }

    /// Starts receiving accept readiness.
    pub(crate) fn register(&mut self, registry: &Registry) -> io::Result<()> {
        if !self.registered {
            for (i, s) in self.sockets.iter_mut().enumerate() {
                registry.register(s, Token(LISTENER_BASE + i), Interest::READABLE)?;
            }
            self.registered = true;
        }
        Ok(())
    }

    /// Stops receiving accept readiness; new connections wait in the kernel backlog.
    pub(crate) fn deregister(&mut self, registry: &Registry) {
        if self.registered {
            for s in &mut self.sockets {
                let _ = registry.deregister(s);
            }
            self.registered = false;
        }
    }

    /// Closes every listener: new connections are refused from now on.
    pub(crate) fn close(&mut self, registry: &Registry) {
        self.deregister(registry);
        self.sockets.clear();
    }

    /// Accepts one connection from listener `i`.
    pub(crate) fn accept(&self, i: usize) -> Accepted {
        let Some(listener) = self.sockets.get(i) else {
            return Accepted::Empty;
        };
        loop {
            match listener.accept() {
                Ok((stream, peer)) => return Accepted::Conn(stream, peer),
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Accepted::Empty,
                // The peer gave up before we accepted it, or a signal interrupted: try again.
                Err(e)
                    if matches!(
                        e.kind(),
                        io::ErrorKind::Interrupted
                            | io::ErrorKind::ConnectionAborted
                            | io::ErrorKind::ConnectionReset
                    ) => {}
                Err(e) => return Accepted::Failed(e),
            }
        }
    }
}

/// Opens one non-blocking listening socket.
fn listen(addr: SocketAddr) -> io::Result<TcpListener> {
    let socket = Socket::new(Domain::for_address(addr), Type::STREAM, Some(Protocol::TCP))?;
    if addr.is_ipv6() {
        // So [::]:p and 0.0.0.0:p can both be given without clashing.
        socket.set_only_v6(true)?;
    }
    socket.set_reuse_address(true)?;
    socket.bind(&addr.into())?;
    socket.listen(BACKLOG)?;
    socket.set_nonblocking(true)?;
    Ok(TcpListener::from_std(socket.into()))
}
