//! In-memory entry points for fuzzing (see `fuzz/` in the repository): the connection state
//! machine and the HTTP request path, driven exactly as the event loop drives them, with no
//! socket and no poll. Not part of the server's API for applications.

use std::io::{self, Read, Write};
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, Instant};

use rustls::{ServerConfig, ServerConnection};

use crate::conn::{Conn, Drive, Socket};
use crate::echo::Echo;
use crate::files::WebRoot;
use crate::http::Http;
use crate::service::Service;
use crate::{Error, Limits, Mode};

/// Output kept per run; beyond it the fake socket reports `WouldBlock` like a peer that stopped
/// reading, so backpressure is exercised too.
const OUTPUT_LIMIT: usize = 1 << 20;

/// Upper bound on drive calls per run, so a bug that never settles shows up as a failure, not a
/// hang.
const MAX_DRIVES: usize = 10_000;

/// Runs one TLS connection over `reads`: each slice is what one socket read can return (the
/// socket would block in between), then the peer's EOF, then the deadlines expire, until the
/// connection closes. The service is the one `mode` selects, as [`crate::Server`] would run it.
/// Returns every byte the server wrote (at most 1 MiB; past that the peer "stops reading").
///
/// # Panics
/// If the connection has not closed after 10,000 drives: a connection that never settles is a
/// bug, and this is how the fuzzer sees it.
pub fn tls_connection(
    config: Arc<ServerConfig>,
    mode: &Mode,
    limits: &Limits,
    reads: &[&[u8]],
) -> Result<Vec<u8>, Error> {
    let tls = ServerConnection::new(config).map_err(Error::Tls)?;
    let service = service(mode, limits)?;
    let socket = Script {
        data: reads.concat(),
        pos: 0,
        ends: reads
            .iter()
            .scan(0, |end, r| {
                *end += r.len();
                Some(*end)
            })
            .collect(),
        arrived: 0,
        eof: false,
        output: Vec::new(),
    };
    let peer = SocketAddr::from((Ipv4Addr::LOCALHOST, 1));
    let mut now = Instant::now();
    let mut conn = Conn::new(1, socket, peer, tls, service, now);
    conn.socket_mut().arrived = 1;
    let mut next = Drive::Again;
    for _ in 0..MAX_DRIVES {
        next = match next {
            Drive::Close(_) => return Ok(std::mem::take(&mut conn.socket_mut().output)),
            Drive::Again => conn.drive(now),
            Drive::Wait => {
                let socket = conn.socket_mut();
                // New bytes come with a readiness event, which the event loop handles in a
                // later turn (a connection does not re-read a socket it found empty before the
                // next event).
                if socket.arrived < socket.ends.len() {
                    socket.arrived += 1;
                    now += Duration::from_nanos(1);
                    conn.ready(true, false);
                    conn.drive(now)
                } else if !socket.eof {
                    socket.eof = true;
                    now += Duration::from_nanos(1);
                    conn.ready(true, true);
                    conn.drive(now)
                } else {
                    // Nothing more will arrive: let the next deadline pass.
                    now = conn.deadline(limits).max(now);
                    conn.expire(now, limits)
                }
            }
        };
    }
    panic!("the connection never closed: {MAX_DRIVES} drives without settling");
}

/// Runs the HTTP service alone over decrypted `reads` (what [`crate::Mode::Http`] does with a
/// connection's plaintext), then the peer's EOF; returns the plaintext responses (at most 1 MiB)
/// once the service finishes or runs out of input.
pub fn http_exchange(
    root: &std::path::Path,
    limits: &Limits,
    reads: &[&[u8]],
) -> Result<Vec<u8>, Error> {
    let mut http = Http::new(
        Arc::new(WebRoot::open(root, false)?),
        limits.max_request_head,
    );
    let mut output = Vec::new();
    let mut chunk = Vec::new();
    let pending = reads.iter().map(|r| Some(*r)).chain([None]);
    for read in pending {
        match read {
            Some(data) if http.wants_input() => http.receive(data),
            Some(_) => {}
            None => http.peer_closed(),
        }
        loop {
            chunk.clear();
            if http.produce(&mut chunk).is_err() || chunk.is_empty() {
                break;
            }
            if output.len() < OUTPUT_LIMIT {
                output.extend_from_slice(&chunk);
            }
        }
        if http.finished() {
            break;
        }
    }
    Ok(output)
}

/// What a proxied client receives for an upstream's answer (see [`upstream_response`]).
#[derive(Debug, Default)]
pub struct Relayed {
    /// The response heads sent to the client (1xx ones, then the final one), one after another.
    pub heads: Vec<u8>,
    /// Where the final head's bytes start in the upstream's stream.
    pub final_head_at: usize,
    /// Its length there.
    pub final_head_len: usize,
    /// The body bytes passed on, in order.
    pub body: Vec<u8>,
    /// The whole answer went through (its body ended where its framing says).
    pub complete: bool,
    /// Why the proxy gave up on the upstream, if it did.
    pub error: Option<String>,
}

/// Relays an upstream's answer as the proxy does, without sockets: `reads` are what successive
/// reads of the upstream connection return, then it closes. The response heads are parsed and
/// rewritten and the body framed by the proxy's own code; `head_only` for a HEAD request,
/// `upgrade` when the client asked to switch protocols (a `101` then ends the relay).
pub fn upstream_response(reads: &[&[u8]], head_only: bool, upgrade: bool) -> Relayed {
    use crate::proxy::body::Body;
    use crate::proxy::forward::{response_head, Asked};
    let mut out = Relayed::default();
    let mut head = Vec::new();
    let mut head_at = 0;
    let mut body: Option<Body> = None;
    for read in reads {
        if let Some(framing) = body.as_mut() {
            if pass_body(framing, read, &mut out) {
                return out;
            }
            continue;
        }
        head.extend_from_slice(read);
        loop {
            let asked = Asked {
                head_only,
                upgrade,
                ..Asked::default()
            };
            let (n, answer) = match response_head(&head, asked, &mut out.heads) {
                Ok(Some(parsed)) => parsed,
                Ok(None) => break,
                Err(e) => {
                    out.error = Some(e);
                    return out;
                }
            };
            if answer.status == 101 {
                out.complete = true;
                return out;
            }
            if answer.status < 200 {
                head.drain(..n);
                head_at += n;
                continue;
            }
            out.final_head_at = head_at;
            out.final_head_len = n;
            let rest = &head[n..];
            let Some(mut framing) = answer.body else {
                out.complete = true;
                return out;
            };
            if pass_body(&mut framing, rest, &mut out) {
                return out;
            }
            body = Some(framing);
            break;
        }
    }
    // The upstream closed: the end of a body delimited by the close, else a truncated answer.
    match body {
        Some(Body::UntilClose) => out.complete = true,
        _ => {
            out.error = Some("the upstream closed the connection before the answer ended".into());
        }
    }
    out
}

/// Passes on the part of `data` that belongs to the body; whether the relay ends there (the
/// body is through, or its framing is malformed).
fn pass_body(framing: &mut crate::proxy::body::Body, data: &[u8], out: &mut Relayed) -> bool {
    match framing.take(data) {
        Ok(k) => out.body.extend_from_slice(&data[..k]),
        Err(e) => {
            out.error = Some(e);
            return true;
        }
    }
    out.complete = framing.done();
    out.complete
}

/// What the proxy sends upstream for a client's byte stream (see [`proxy_request`]).
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Forwarding {
    /// Every byte written to upstreams, request heads and their bodies, in order.
    pub upstream: Vec<u8>,
    /// How many request heads went upstream.
    pub requests: usize,
    /// Bytes passed on through a tunnel, after the upstream switched protocols.
    pub tunnel: Vec<u8>,
    /// The status of the page the client got when the proxy refused the rest of its stream.
    pub refused: Option<u16>,
}

/// Where the client's stream is, for [`proxy_request`].
enum Client {
    /// Between requests.
    Idle,
    /// Passing on a request body; whether the request asked to switch protocols.
    Body(crate::proxy::body::Body, bool),
    /// Switched protocols: bytes pass unchanged.
    Tunnel,
    /// Refused or closed: nothing more is read.
    Closed,
}

/// Forwards a client's requests as the proxy does, without sockets: `reads` are what successive
/// reads of the client connection return. Each request head is parsed, admitted and rewritten,
/// and its body framed, by the proxy's own code; the upstream answers every request at once
/// (`switch`: a request to switch protocols gets `101`, and the rest of the stream becomes a
/// tunnel). `rewrite_host` is `--rewrite-host`; the client is 127.0.0.1.
pub fn proxy_request(
    reads: &[&[u8]],
    max_head: usize,
    rewrite_host: bool,
    switch: bool,
) -> Forwarding {
    use crate::proxy::client::admit;
    use crate::proxy::forward::{self, Hop, MAX_HEADERS};
    let client = forward::Client::new(SocketAddr::from((Ipv4Addr::LOCALHOST, 1)));
    let hop = Hop {
        client: &client,
        authority: "127.0.0.1:3000",
        rewrite_host,
    };
    let mut out = Forwarding::default();
    let mut inbuf: Vec<u8> = Vec::new();
    let mut state = Client::Idle;
    let mut close = false;
    for read in reads {
        inbuf.extend_from_slice(read);
        loop {
            match &mut state {
                Client::Idle if close || inbuf.is_empty() => break,
                Client::Idle => {
                    let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
                    let mut req = httparse::Request::new(&mut headers);
                    let refused = match req.parse(&inbuf) {
                        Ok(httparse::Status::Complete(n)) if n <= max_head => match admit(&req) {
                            Ok(framing) => {
                                close |= req.version == Some(0) || framing.close;
                                let f = forward::request(&req, &framing, &hop, &mut out.upstream);
                                out.requests += 1;
                                state = Client::Body(f.body, f.upgrade.is_some());
                                inbuf.drain(..n);
                                continue;
                            }
                            Err((status, _)) => status,
                        },
                        Ok(httparse::Status::Partial) if inbuf.len() < max_head => break,
                        Ok(_) | Err(httparse::Error::TooManyHeaders) => 431,
                        Err(_) => 400,
                    };
                    out.refused = Some(refused);
                    state = Client::Closed;
                }
                Client::Body(body, upgrade) if body.done() => {
                    state = if *upgrade && switch {
                        Client::Tunnel
                    } else {
                        Client::Idle
                    };
                }
                Client::Body(_, _) if inbuf.is_empty() => break,
                Client::Body(body, _) => match body.take(&inbuf) {
                    Ok(k) => {
                        out.upstream.extend_from_slice(&inbuf[..k]);
                        inbuf.drain(..k);
                    }
                    Err(_) => {
                        out.refused = Some(400);
                        state = Client::Closed;
                    }
                },
                Client::Tunnel => {
                    out.tunnel.append(&mut inbuf);
                    break;
                }
                Client::Closed => break,
            }
        }
    }
    out
}

/// What a routed TLS listener made of a client's first bytes (see [`sni_hello`]).
#[derive(Debug, Default)]
pub struct Hello {
    /// The server name of the ClientHello, once a configuration was chosen for it.
    pub server_name: Option<String>,
    /// A configuration was chosen and the connection started with it.
    pub started: bool,
    /// Every byte the server wrote back (at most 1 MiB).
    pub output: Vec<u8>,
    /// Why the handshake failed, if it did.
    pub error: Option<String>,
}

/// Runs the SNI routing of a TLS listener over `reads` (what successive socket reads return):
/// rustls's `Acceptor` reads the ClientHello, `router` picks the configuration for its server
/// name, and the connection goes on with it (its certificate resolver included) as far as the
/// bytes take it.
pub fn sni_hello(router: Arc<crate::SniRouter>, reads: &[&[u8]]) -> Hello {
    let mut tls = crate::sni::Tls::routed(router);
    let mut out = Hello::default();
    for read in reads {
        let mut rest = *read;
        while !rest.is_empty() && out.error.is_none() {
            match tls.read_tls(&mut rest) {
                Ok(0) | Err(_) => rest = &[],
                Ok(_) => {}
            }
            if let Err(e) = tls.process_new_packets() {
                out.error = Some(e.to_string());
            }
            while tls.wants_write() && out.output.len() < OUTPUT_LIMIT {
                match tls.write_tls(&mut out.output) {
                    Ok(0) | Err(_) => break,
                    Ok(_) => {}
                }
            }
        }
        if out.error.is_some() {
            break;
        }
    }
    if let Some(conn) = tls.connection() {
        out.started = true;
        out.server_name = conn.server_name().map(str::to_owned);
    }
    out
}

fn service(mode: &Mode, limits: &Limits) -> Result<Box<dyn Service>, Error> {
    Ok(match mode {
        Mode::Http {
            root,
            serve_dotfiles,
        } => Box::new(Http::new(
            Arc::new(WebRoot::open(root, *serve_dotfiles)?),
            limits.max_request_head,
        )),
        Mode::Echo => Box::new(Echo::default()),
        Mode::Proxy(opts) => {
            // A poll of its own: upstream sockets would register there and never be polled.
            let poll = mio::Poll::new().map_err(Error::EventLoop)?;
            let registry = poll.registry().try_clone().map_err(Error::EventLoop)?;
            let shared = crate::proxy::Shared::new(opts, registry, limits.max_request_head)?;
            let peer = std::net::SocketAddr::from(([127, 0, 0, 1], 1));
            Box::new(crate::proxy::Proxy::new(
                Arc::new(shared),
                crate::proxy::upstream_token(0),
                peer,
            ))
        }
    })
}

/// A socket whose input arrives in scripted pieces and whose output is collected.
struct Script {
    /// Everything the peer will send.
    data: Vec<u8>,
    /// Bytes of `data` already read.
    pos: usize,
    /// Where each scripted piece ends in `data`.
    ends: Vec<usize>,
    /// Pieces that have arrived so far (readable up to `ends[arrived - 1]`).
    arrived: usize,
    /// The peer has closed its side, once everything arrived.
    eof: bool,
    output: Vec<u8>,
}

impl Read for Script {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let readable = self.arrived.checked_sub(1).map_or(0, |i| self.ends[i]);
        if self.pos == readable {
            return if self.eof {
                Ok(0)
            } else {
                Err(io::ErrorKind::WouldBlock.into())
            };
        }
        let n = buf.len().min(readable - self.pos);
        buf[..n].copy_from_slice(&self.data[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}

impl Write for Script {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if self.output.len() >= OUTPUT_LIMIT {
            return Err(io::ErrorKind::WouldBlock.into());
        }
        self.output.extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Socket for Script {
    fn shutdown_write(&self) -> io::Result<()> {
        Ok(())
    }
}
