//! A plain-HTTP listener in the same event loop serving fixed in-memory files, for what must not
//! be fetched over TLS (a CRL at its distribution point). One request per connection; at the
//! connection cap the oldest connection is dropped for a newcomer.

use std::io::{self, Read, Write};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;

use httparse::Status;
use mio::net::{TcpListener, TcpStream};
use mio::{Interest, Registry, Token};
use slab::Slab;

/// Token of the listener.
const LISTENER: Token = Token(usize::MAX - 3);
/// Connection `slot` has token `CONN_BASE + slot` (below the TLS listeners' tokens).
const CONN_BASE: usize = usize::MAX / 4;
/// Connections open at once.
const MAX_CONNS: usize = 64;
/// Largest request head read.
const MAX_HEAD: usize = 8 * 1024;

/// Files served: (path, media type, body).
pub(crate) type PlainFiles = Vec<(String, &'static str, Arc<Vec<u8>>)>;

/// The listener and its connections.
pub(crate) struct PlainHttp {
    listener: TcpListener,
    files: PlainFiles,
    conns: Slab<PlainConn>,
}

struct PlainConn {
    socket: TcpStream,
    opened: Instant,
    inbuf: Vec<u8>,
    out: Vec<u8>,
    sent: usize,
}

impl PlainHttp {
    /// Serves `files` on `listener` (already bound), registering it with `registry`.
    pub(crate) fn new(
        listener: std::net::TcpListener,
        files: PlainFiles,
        registry: &Registry,
    ) -> io::Result<PlainHttp> {
        listener.set_nonblocking(true)?;
        let mut listener = TcpListener::from_std(listener);
        registry.register(&mut listener, LISTENER, Interest::READABLE)?;
        Ok(PlainHttp {
            listener,
            files,
            conns: Slab::new(),
        })
    }

    /// The address listened on.
    pub(crate) fn local_addr(&self) -> io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// Whether `token` is this listener's or one of its connections'.
    pub(crate) fn owns(token: Token) -> bool {
        token == LISTENER || (CONN_BASE..CONN_BASE + MAX_CONNS).contains(&token.0)
    }

    /// Handles readiness for `token`.
    pub(crate) fn ready(&mut self, token: Token, registry: &Registry, now: Instant) {
        if token == LISTENER {
            self.accept(registry, now);
            return;
        }
        let slot = token.0 - CONN_BASE;
        let done = match self.conns.get_mut(slot) {
            Some(conn) => conn.drive(&self.files),
            None => return,
        };
        match done {
            Ok(false) => {
                let conn = &mut self.conns[slot];
                let interest = if conn.out.is_empty() {
                    Interest::READABLE
                } else {
                    Interest::WRITABLE
                };
                if registry
                    .reregister(&mut conn.socket, token, interest)
                    .is_err()
                {
                    self.remove(slot, registry);
                }
            }
            Ok(true) | Err(_) => self.remove(slot, registry),
        }
    }

    fn accept(&mut self, registry: &Registry, now: Instant) {
        loop {
            let (socket, _) = match self.listener.accept() {
                Ok(accepted) => accepted,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(_) => return,
            };
            if self.conns.len() >= MAX_CONNS {
                let oldest = self
                    .conns
                    .iter()
                    .min_by_key(|(_, c)| c.opened)
                    .map(|(s, _)| s);
                if let Some(slot) = oldest {
                    self.remove(slot, registry);
                }
            }
            let entry = self.conns.vacant_entry();
            let mut conn = PlainConn {
                socket,
                opened: now,
                inbuf: Vec::new(),
                out: Vec::new(),
                sent: 0,
            };
            let token = Token(CONN_BASE + entry.key());
            if registry
                .register(&mut conn.socket, token, Interest::READABLE)
                .is_ok()
            {
                entry.insert(conn);
            }
        }
    }

    fn remove(&mut self, slot: usize, registry: &Registry) {
        if let Some(mut conn) = self.conns.try_remove(slot) {
            let _ = registry.deregister(&mut conn.socket);
        }
    }
}

impl PlainConn {
    /// Reads the request and writes the answer; `Ok(true)` once everything is sent.
    fn drive(&mut self, files: &PlainFiles) -> io::Result<bool> {
        if self.out.is_empty() {
            let mut buf = [0u8; 2048];
            loop {
                match self.socket.read(&mut buf) {
                    Ok(0) => return Ok(true),
                    Ok(n) => self.inbuf.extend_from_slice(&buf[..n]),
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                    Err(e) => return Err(e),
                }
                if self.inbuf.len() > MAX_HEAD {
                    break;
                }
            }
            match answer(&self.inbuf, files) {
                Some(out) => self.out = out,
                None => return Ok(false),
            }
        }
        while self.sent < self.out.len() {
            match self.socket.write(&self.out[self.sent..]) {
                Ok(0) => return Ok(true),
                Ok(n) => self.sent += n,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(false),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        let _ = self.socket.shutdown(std::net::Shutdown::Write);
        Ok(true)
    }
}

/// The response to the request head at the start of `inbuf`, once it is complete (or too big).
fn answer(inbuf: &[u8], files: &PlainFiles) -> Option<Vec<u8>> {
    let mut headers = [httparse::EMPTY_HEADER; 32];
    let mut req = httparse::Request::new(&mut headers);
    let mut head_only = false;
    let (status, media, body): (u16, &str, &[u8]) = match req.parse(inbuf) {
        Ok(Status::Partial) if inbuf.len() <= MAX_HEAD => return None,
        Ok(Status::Complete(_)) => {
            let path = req
                .path
                .unwrap_or_default()
                .split('?')
                .next()
                .unwrap_or_default();
            let method = req.method.unwrap_or_default();
            match files.iter().find(|(p, _, _)| p == path) {
                _ if method != "GET" && method != "HEAD" => (405, "text/plain", b"405\n"),
                Some((_, media, body)) => {
                    head_only = method == "HEAD";
                    (200, media, body.as_slice())
                }
                None => (404, "text/plain", b"404 not found\n"),
            }
        }
        _ => (400, "text/plain", b"400 bad request\n"),
    };
    let mut out = format!(
        "HTTP/1.1 {status} {}\r\nContent-Type: {media}\r\nContent-Length: {}\r\n\
         Cache-Control: no-cache\r\nConnection: close\r\n\r\n",
        match status {
            200 => "OK",
            404 => "Not Found",
            405 => "Method Not Allowed",
            _ => "Bad Request",
        },
        body.len()
    )
    .into_bytes();
    if !head_only {
        out.extend_from_slice(body);
    }
    Some(out)
}
