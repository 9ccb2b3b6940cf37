//! The client side of a proxied connection: each request parsed, routed and forwarded, each
//! answer relayed back, one exchange at a time; or, after `101`, a byte tunnel.
//!
//! Memory per connection is bounded: at most [`INBUF_LIMIT`] bytes from the client wait for the
//! upstream (the connection stops reading beyond), and upstream bytes are read only when the
//! connection asks for output, that is once rustls has taken everything produced before.

use std::io::{self, Read, Write};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use httparse::Status;
use mio::Token;

use crate::dynamic::{self, Framed, Handler, HandlerRequest};
use crate::hosts;
use crate::http::{handler_response, origin_form, Http, RequestHead};
use crate::service::{Service, CHUNK};
use crate::timer::after;

use super::body::Body;
use super::forward::{self, Hop, MAX_HEADERS};
use super::head::Head;
use super::page;
use super::pool::MAX_IDLE;
use super::upstream::Upstream;
use super::{Origin, Resolved, Shared};

/// Client bytes held for the upstream beyond which the connection stops reading.
const INBUF_LIMIT: usize = 64 * 1024;
/// Largest response head accepted from an upstream.
const MAX_RESPONSE_HEAD: usize = 64 * 1024;
/// Bytes read at once while a response head arrives.
const HEAD_READ: usize = 8 * 1024;
/// A tunnel (WebSocket) with no traffic either way this long is closed.
const TUNNEL_IDLE: Duration = Duration::from_secs(3600);

/// One client connection of the proxy.
pub(crate) struct Proxy {
    shared: Arc<Shared>,
    /// Answers the paths it claims here, before any routing (e.g. `/acme/`).
    handler: Option<Arc<dyn Handler>>,
    /// Room beyond [`INBUF_LIMIT`] while a request for `handler` waits for its body.
    body_room: usize,
    /// The token this connection's upstream sockets are registered with.
    token: Token,
    client: forward::Client,
    /// Bytes from the client not yet forwarded: a request head, body, pipelined requests or
    /// tunnel data.
    inbuf: Vec<u8>,
    /// A response made here (an error page) not yet handed to the connection.
    reply: Vec<u8>,
    /// The request head to send upstream (kept whole until answered, to retry on a fresh
    /// connection).
    send: Vec<u8>,
    /// The upstream's response head as it arrives.
    resp_head: Head,
    state: State,
    /// The upstream connection this client used last, idle since then: its next request takes
    /// it first if it still looks idle and open (it is already watched under this connection's
    /// token), and the shared pool gets it when this connection ends.
    kept: Option<(Upstream, Instant)>,
    /// No request after the current one: close once it is answered.
    close: bool,
    peer_closed: bool,
    /// Nothing more will be sent.
    done: bool,
    /// `inbuf` holds the start of a request head still arriving.
    head_pending: bool,
    now: Instant,
}

/// What the connection is doing.
enum State {
    /// Waiting for the next request.
    Idle,
    /// A request for a `dir:` route, answered by the file server.
    Static(Box<Http>),
    /// A request forwarded upstream.
    Forward(Exchange),
    /// Switched protocols: bytes flow both ways unchanged.
    Tunnel(Tunnel),
}

/// One request forwarded upstream and its answer coming back.
struct Exchange {
    origin: Arc<Origin>,
    up: Upstream,
    /// Index in `origin.addrs` of the address `up` connects to.
    addr: usize,
    /// `up` came from the pool (it may have been closed by the upstream meanwhile).
    pooled: bool,
    /// Bytes of the request head written.
    sent: usize,
    /// When the head was written in full: no answer can be there in the same loop turn, so the
    /// upstream is not read until its next readiness event.
    sent_at: Option<Instant>,
    /// The request body still to forward.
    body: Body,
    /// Bytes at the start of `inbuf` that belong to the body and are not yet written.
    body_ready: usize,
    /// Some of the body was written (the request can no longer be retried).
    body_started: bool,
    /// The method is idempotent (RFC 9110 §9.2.2): the request may be sent again when it is
    /// unknown whether the upstream acted on it.
    idempotent: bool,
    head_only: bool,
    upgrade: bool,
    /// The client speaks HTTP/1.0: no interim (1xx) responses go to it.
    http10: bool,
    /// The response body being relayed, once its head is through.
    response: Option<Body>,
    /// The response body is chunked and passed on decoded (to an HTTP/1.0 client).
    decode: bool,
    /// Some of the response went to the client (an error can no longer become a 502 page).
    answered: bool,
    /// The upstream connection can be pooled once the exchange is through.
    reusable: bool,
    /// The last time the upstream took or gave a byte.
    last_io: Instant,
}

/// After `101 Switching Protocols`.
struct Tunnel {
    up: Upstream,
    /// The client closed and that was passed on.
    shut: bool,
    last_io: Instant,
}

/// How much of the received bytes a routed request used up.
enum Taken {
    /// Its head: what follows is its body or the next request.
    Head,
    /// Its head and body, this many bytes: what follows is the next request.
    Through(usize),
    /// Everything: the connection closes after the answer.
    All,
    /// Nothing yet: its body has not all arrived.
    Wait,
}

/// Why an exchange cannot go on.
enum Failure {
    /// The upstream failed or misbehaved: 502 if the client has no answer yet.
    Upstream(String),
    /// The client's request body is malformed: 400.
    Client(String),
}

impl Proxy {
    /// A fresh client connection whose upstream sockets will carry `token`.
    pub(crate) fn new(shared: Arc<Shared>, token: Token, client: SocketAddr) -> Proxy {
        Proxy {
            shared,
            handler: None,
            body_room: 0,
            token,
            client: forward::Client::new(client),
            inbuf: Vec::new(),
            reply: Vec::new(),
            send: Vec::new(),
            resp_head: Head::default(),
            state: State::Idle,
            kept: None,
            close: false,
            peer_closed: false,
            done: false,
            head_pending: true,
            now: Instant::now(),
        }
    }

    /// Lets `handler` answer the paths it claims on every host, ahead of the routes.
    pub(crate) fn with_handler(mut self, handler: Option<Arc<dyn Handler>>) -> Proxy {
        self.handler = handler;
        self
    }

    /// Answers with a page of our own; `close` ends the connection after it.
    fn answer(&mut self, status: u16, message: &str, hint: &str, close: bool) {
        self.close |= close;
        page::response(status, message, hint, self.close, &mut self.reply);
    }

    /// Parses the next request in `inbuf` and starts on it; whether one was taken.
    fn start(&mut self) -> bool {
        if self.inbuf.is_empty() {
            self.head_pending = true;
            return false;
        }
        let max_head = self.shared.max_head;
        let mut buf = std::mem::take(&mut self.inbuf);
        let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
        let mut req = httparse::Request::new(&mut headers);
        let taken = match req.parse(&buf) {
            Ok(Status::Complete(n)) if n <= max_head => {
                self.head_pending = false;
                match self.route(&req, &buf, n) {
                    Taken::Head => Some(n),
                    Taken::Through(end) => Some(end),
                    Taken::All => Some(buf.len()),
                    Taken::Wait => {
                        self.head_pending = true;
                        None
                    }
                }
            }
            Ok(Status::Partial) if buf.len() < max_head => {
                self.head_pending = true;
                None
            }
            Ok(_) => {
                self.refuse(431, &format!("request head over {max_head} bytes"));
                Some(buf.len())
            }
            Err(httparse::Error::TooManyHeaders) => {
                self.refuse(431, &format!("more than {MAX_HEADERS} header fields"));
                Some(buf.len())
            }
            Err(e) => {
                self.refuse(400, &format!("malformed request: {e}"));
                Some(buf.len())
            }
        };
        if let Some(n) = taken {
            buf.drain(..n);
        }
        self.inbuf = buf;
        taken.is_some()
    }

    /// Refuses the request stream and closes: the rest of it cannot be framed. The caller
    /// drops what was received.
    fn refuse(&mut self, status: u16, why: &str) {
        tracing::debug!("refused request: {status}: {why}");
        self.head_pending = false;
        self.answer(
            status,
            &format!("The request was refused: {why}."),
            "Fix the request; nothing was forwarded.",
            true,
        );
    }

    /// Routes the request whose head is the first `n` bytes of `buf`; says how much of `buf`
    /// it used up.
    fn route(&mut self, req: &httparse::Request<'_, '_>, buf: &[u8], n: usize) -> Taken {
        let head = &buf[..n];
        let framing = match admit(req) {
            Ok(f) => f,
            Err((status, why)) => {
                self.refuse(status, &why);
                return Taken::All;
            }
        };
        let http10 = req.version == Some(0);
        self.close |= http10 || framing.close;
        let target = origin_form(req.path.unwrap_or("/"));
        let path = target.path;
        if let Some(handler) = self.handler.clone().filter(|h| h.claims(path)) {
            return self.answer_here(handler.as_ref(), req, path, buf, n);
        }
        // An absolute-form target's authority stands in for Host (RFC 9112 §3.2.2).
        let host = target.authority.map(str::as_bytes).unwrap_or_else(|| {
            req.headers
                .iter()
                .find(|h| h.name.eq_ignore_ascii_case("host"))
                .map_or(&b""[..], |h| h.value)
        });
        let name = hosts::field_host(host);
        let shared = self.shared.clone();
        match shared.route(&name) {
            None => {
                let host = String::from_utf8_lossy(host).into_owned();
                let known = shared.hosts().join(", ");
                let flag = if hosts::routable(&name) {
                    format!("--route {name}=http://127.0.0.1:PORT")
                } else {
                    "--route HOST=http://127.0.0.1:PORT".to_owned()
                };
                self.answer(
                    404,
                    &format!("selfsign serve has no route for the host {host:?}."),
                    &format!("Routed hosts: {known}. Add one with {flag} (PORT: the app's), or pass --proxy URL for every other host."),
                    true,
                );
                Taken::All
            }
            Some(Resolved::Dir(root)) => {
                let mut http = Http::new(root.clone(), shared.max_head);
                http.receive(head);
                self.state = State::Static(Box::new(http));
                Taken::Head
            }
            Some(Resolved::Upstream(origin)) => {
                self.send.clear();
                let hop = Hop {
                    client: &self.client,
                    authority: &origin.authority,
                    rewrite_host: shared.rewrite_host,
                };
                let forwarded = forward::request(req, &framing, &hop, &mut self.send);
                let idempotent = matches!(
                    req.method,
                    Some("GET" | "HEAD" | "OPTIONS" | "TRACE" | "PUT" | "DELETE")
                );
                match self.connect(origin, 0) {
                    Ok((up, addr, pooled)) => {
                        self.state = State::Forward(Exchange {
                            origin: origin.clone(),
                            up,
                            addr,
                            pooled,
                            sent: 0,
                            sent_at: None,
                            body: forwarded.body,
                            body_ready: 0,
                            body_started: false,
                            idempotent,
                            head_only: forwarded.head_only,
                            upgrade: forwarded.upgrade.is_some(),
                            http10,
                            response: None,
                            decode: false,
                            answered: false,
                            reusable: false,
                            last_io: self.now,
                        });
                        Taken::Head
                    }
                    Err(e) => {
                        let close = !forwarded.body.done();
                        self.bad_gateway(origin, &e, close);
                        if close {
                            Taken::All
                        } else {
                            Taken::Head
                        }
                    }
                }
            }
        }
    }

    /// Answers a request `handler` claims, once its body is in (`Content-Length` only, at most
    /// the handler's limit).
    fn answer_here(
        &mut self,
        handler: &dyn Handler,
        req: &httparse::Request<'_, '_>,
        path: &str,
        buf: &[u8],
        n: usize,
    ) -> Taken {
        let method = req.method.unwrap_or("GET");
        let (response, taken) = match dynamic::frame(buf, n, handler.max_body()) {
            Framed::Incomplete => {
                self.body_room = handler.max_body();
                return Taken::Wait;
            }
            Framed::Refuse(status) => {
                let Some(response) = handler.refuse(status) else {
                    self.refuse(status, "the request body cannot be taken");
                    return Taken::All;
                };
                self.close = true;
                (response, Taken::All)
            }
            Framed::Complete {
                content_type,
                body,
                end,
            } => {
                let request = HandlerRequest {
                    method,
                    path,
                    content_type,
                    body,
                };
                (handler.handle(&request), Taken::Through(end))
            }
        };
        self.body_room = 0;
        tracing::trace!("{method} {path} -> {} (answered here)", response.status);
        handler_response(&response, method == "HEAD", self.close, &mut self.reply);
        taken
    }

    /// An upstream connection for `origin`: a pooled one, else a new one to the first address
    /// from `from` on that can be connected to.
    fn connect(&mut self, origin: &Origin, from: usize) -> Result<(Upstream, usize, bool), String> {
        let shared = &self.shared;
        if from == 0 {
            if let Some((up, since)) = self.kept.take() {
                // Bytes the upstream sent since its last answer would read as the next one.
                let fresh =
                    self.now.saturating_duration_since(since) < MAX_IDLE && up.idle_and_open();
                match origin.addrs.iter().position(|a| *a == up.addr) {
                    Some(i) if fresh => return Ok((up, i, true)),
                    _ if fresh => {
                        let mut pool = shared.pool.lock().unwrap_or_else(|p| p.into_inner());
                        pool.put(up, since);
                    }
                    _ => {}
                }
            }
            let mut pool = shared.pool.lock().unwrap_or_else(|p| p.into_inner());
            for (i, addr) in origin.addrs.iter().enumerate() {
                if let Some(mut up) = pool.take(*addr, self.now) {
                    if up.watch(&shared.registry, self.token).is_ok() {
                        return Ok((up, i, true));
                    }
                }
            }
        }
        let mut last = String::from("no address to connect to");
        for (i, addr) in origin.addrs.iter().enumerate().skip(from) {
            match Upstream::connect(*addr) {
                Ok(mut up) => match up.watch(&shared.registry, self.token) {
                    Ok(()) => return Ok((up, i, false)),
                    Err(e) => last = format!("cannot watch the socket: {e}"),
                },
                Err(e) => last = format!("{addr}: {}", describe(&e)),
            }
        }
        Err(last)
    }

    /// Answers 502 naming the upstream and what went wrong.
    fn bad_gateway(&mut self, origin: &Origin, why: &str, close: bool) {
        tracing::info!("upstream {} failed: {why}", origin.url);
        self.answer(
            502,
            &format!("selfsign serve could not get an answer from {}: {why}.", origin.url),
            "Is the app running and listening there? Start it (or fix --proxy / --route), then reload.",
            close,
        );
    }

    /// Ends the exchange after `failure`: a page if the client has no answer yet (after one
    /// retry on a fresh connection where that is safe: nothing came back, and either nothing of
    /// the request went out or its method is idempotent), else a close.
    fn fail(&mut self, failure: Failure) {
        let State::Forward(ex) = &mut self.state else {
            return;
        };
        let why = match failure {
            Failure::Client(why) => {
                self.state = State::Idle;
                self.inbuf.clear();
                self.refuse(400, &why);
                return;
            }
            Failure::Upstream(why) => why,
        };
        if !ex.answered && !ex.body_started && self.resp_head.bytes().is_empty() {
            // A connection that never connected may have another address; a pooled one may have
            // been closed by the upstream while idle. Once the request went out on it, whether
            // the upstream acted on it is unknown: only an idempotent one is sent again.
            let next = if ex.pooled && (ex.sent == 0 || ex.idempotent) {
                Some(0)
            } else if ex.sent == 0 && ex.addr + 1 < ex.origin.addrs.len() {
                Some(ex.addr + 1)
            } else {
                None
            };
            if let Some(from) = next {
                let origin = ex.origin.clone();
                tracing::debug!("upstream {} failed ({why}); retrying", origin.url);
                let fresh = if from == 0 {
                    self.connect_fresh(&origin)
                } else {
                    self.connect(&origin, from)
                };
                if let (Ok((up, addr, pooled)), State::Forward(ex)) = (fresh, &mut self.state) {
                    ex.up = up;
                    ex.addr = addr;
                    ex.pooled = pooled;
                    ex.sent = 0;
                    ex.sent_at = None;
                    self.resp_head.clear();
                    return;
                }
            }
        }
        let State::Forward(ex) = std::mem::replace(&mut self.state, State::Idle) else {
            return;
        };
        if ex.answered {
            tracing::info!("upstream {} failed mid-response: {why}", ex.origin.url);
            self.done = true;
        } else {
            let close = !(ex.body.done() && ex.body_ready == 0);
            self.bad_gateway(&ex.origin, &why, close);
        }
    }

    /// A new (not pooled) connection to the first address of `origin` that takes one.
    fn connect_fresh(&mut self, origin: &Origin) -> Result<(Upstream, usize, bool), String> {
        let mut last = String::new();
        for (i, addr) in origin.addrs.iter().enumerate() {
            match Upstream::connect(*addr) {
                Ok(mut up) => {
                    up.watch(&self.shared.registry, self.token)
                        .map_err(|e| e.to_string())?;
                    return Ok((up, i, false));
                }
                Err(e) => last = describe(&e),
            }
        }
        Err(last)
    }

    /// The exchange is answered in full: pool the upstream connection if it can take another
    /// request.
    fn finish(&mut self) {
        let State::Forward(ex) = std::mem::replace(&mut self.state, State::Idle) else {
            return;
        };
        let request_done = ex.body.done() && ex.body_ready == 0;
        if !request_done {
            // The rest of the body is still coming and nobody wants it: end the connection.
            self.close = true;
        }
        if ex.reusable && request_done {
            if let Some((older, since)) = self.kept.replace((ex.up, self.now)) {
                let mut pool = self.shared.pool.lock().unwrap_or_else(|p| p.into_inner());
                pool.put(older, since);
            }
        }
        self.resp_head.clear();
    }

    /// Relays the upstream's answer into `out`.
    fn relay(&mut self, out: &mut Vec<u8>) -> Result<(), Failure> {
        let State::Forward(ex) = &mut self.state else {
            return Ok(());
        };
        if let Some(body) = ex.response.as_mut() {
            let start = out.len();
            loop {
                out.resize(start + body.want(CHUNK), 0);
                let read = read_some(&mut ex.up, &mut out[start..]);
                let n = match read {
                    Ok(Some(n)) => n,
                    Ok(None) => {
                        out.truncate(start);
                        return Ok(());
                    }
                    Err(e) => {
                        out.truncate(start);
                        return Err(Failure::Upstream(describe(&e)));
                    }
                };
                ex.last_io = self.now;
                out.truncate(start + n);
                if n == 0 {
                    if *body == Body::UntilClose {
                        ex.reusable = false;
                        self.close = true;
                        self.finish();
                        return Ok(());
                    }
                    return Err(Failure::Upstream(
                        "the upstream closed the connection in the middle of the response".into(),
                    ));
                }
                let k = pass(body, ex.decode, out, start).map_err(Failure::Upstream)?;
                if k < n {
                    ex.reusable = false;
                }
                if body.done() {
                    self.finish();
                    return Ok(());
                }
                if out.len() > start {
                    return Ok(());
                }
                // Only chunk framing came: read on, as no readiness event reports bytes left
                // unread.
            }
        }
        if ex.sent_at == Some(self.now) {
            return Ok(());
        }
        // Read until the socket has nothing more or a head goes out: no readiness event reports
        // bytes, or the close, left unread.
        let start = out.len();
        loop {
            let State::Forward(ex) = &mut self.state else {
                return Ok(());
            };
            if ex.response.is_some() || out.len() > start {
                return Ok(());
            }
            if self.resp_head.bytes().len() >= MAX_RESPONSE_HEAD {
                return Err(Failure::Upstream(format!(
                    "the upstream's response head is over {MAX_RESPONSE_HEAD} bytes"
                )));
            }
            let read = read_some(&mut ex.up, self.resp_head.spare(HEAD_READ));
            let n = match read {
                Ok(Some(n)) => n,
                Ok(None) => return Ok(()),
                Err(e) => return Err(Failure::Upstream(describe(&e))),
            };
            self.resp_head.filled(n);
            ex.last_io = self.now;
            if n == 0 {
                let why = if self.resp_head.bytes().is_empty() {
                    "the upstream closed the connection without answering"
                } else {
                    "the upstream closed the connection in the middle of the response head"
                };
                return Err(Failure::Upstream(why.into()));
            }
            self.parse_response(out)?;
        }
    }

    /// Forwards every complete response head in `resp_head` (1xx ones, then the final one).
    fn parse_response(&mut self, out: &mut Vec<u8>) -> Result<(), Failure> {
        loop {
            let State::Forward(ex) = &mut self.state else {
                return Ok(());
            };
            let start = out.len();
            let asked = forward::Asked {
                head_only: ex.head_only,
                upgrade: ex.upgrade,
                close: self.close,
                http10: ex.http10,
            };
            let head = forward::response_head(self.resp_head.bytes(), asked, out)
                .map_err(Failure::Upstream)?;
            let Some((n, answer)) = head else {
                return Ok(());
            };
            let status = answer.status;
            if status < 200 && status != 101 {
                if ex.http10 {
                    // HTTP/1.0 has no interim responses (RFC 9110 §15.2).
                    out.truncate(start);
                } else {
                    ex.answered = true;
                }
                self.resp_head.consume(n);
                continue;
            }
            if status == 101 {
                ex.answered = true;
                out.extend_from_slice(&self.resp_head.bytes()[n..]);
                self.resp_head.clear();
                let State::Forward(ex) = std::mem::replace(&mut self.state, State::Idle) else {
                    return Ok(());
                };
                tracing::debug!("tunnel to {} open", ex.origin.url);
                self.state = State::Tunnel(Tunnel {
                    up: ex.up,
                    shut: false,
                    last_io: self.now,
                });
                return Ok(());
            }
            ex.reusable = answer.reusable;
            ex.decode = answer.decode;
            if answer.body == Some(Body::UntilClose) {
                self.close = true;
            }
            let rest = &self.resp_head.bytes()[n..];
            match answer.body {
                Some(mut body) => {
                    let from = out.len();
                    out.extend_from_slice(rest);
                    let k = match pass(&mut body, ex.decode, out, from) {
                        Ok(k) => k,
                        Err(why) => {
                            // Nothing of this response has gone out yet: it can still be a 502.
                            out.truncate(start);
                            return Err(Failure::Upstream(why));
                        }
                    };
                    ex.answered = true;
                    ex.reusable &= k == rest.len();
                    let done = body.done();
                    ex.response = Some(body);
                    if done {
                        self.finish();
                    }
                }
                None => {
                    ex.answered = true;
                    ex.reusable &= rest.is_empty();
                    self.finish();
                }
            }
            self.resp_head.clear();
            return Ok(());
        }
    }
}

/// The framing of a request head the proxy may act on, or the status and reason it is refused
/// with (the rest of the stream cannot be framed then).
pub(crate) fn admit(req: &httparse::Request<'_, '_>) -> Result<RequestHead, (u16, String)> {
    let framing = RequestHead::check(req.headers).map_err(|why| (400, why))?;
    let http10 = req.version == Some(0);
    if !http10 && !framing.has_host {
        return Err((400, "HTTP/1.1 request without Host".into()));
    }
    if http10 && framing.chunked {
        // RFC 9112 §6.1: such framing is faulty; refusing it keeps it from the upstream.
        return Err((400, "Transfer-Encoding in an HTTP/1.0 request".into()));
    }
    if req.method == Some("CONNECT") {
        return Err((405, "CONNECT is not proxied".into()));
    }
    Ok(framing)
}

impl Exchange {
    /// Writes the request head and as much body as the client sent and the upstream takes.
    fn send(&mut self, send: &[u8], inbuf: &mut Vec<u8>, now: Instant) -> Result<bool, Failure> {
        match self.up.ready() {
            Ok(true) => {}
            Ok(false) => return Ok(false),
            Err(e) => return Err(Failure::Upstream(describe(&e))),
        }
        let mut progress = false;
        while self.sent < send.len() {
            match write_some(&mut self.up, &send[self.sent..]) {
                Ok(Some(n)) => {
                    self.sent += n;
                    self.last_io = now;
                    progress = true;
                    if self.sent == send.len() {
                        self.sent_at = Some(now);
                    }
                }
                Ok(None) => return Ok(progress),
                Err(e) => return Err(Failure::Upstream(describe(&e))),
            }
        }
        loop {
            if self.body_ready == 0 {
                if self.body.done() || inbuf.is_empty() {
                    return Ok(progress);
                }
                self.body_ready = self.body.take(inbuf).map_err(Failure::Client)?;
                if self.body_ready == 0 {
                    return Ok(progress);
                }
            }
            match write_some(&mut self.up, &inbuf[..self.body_ready]) {
                Ok(Some(n)) => {
                    inbuf.drain(..n);
                    self.body_ready -= n;
                    self.body_started = true;
                    self.last_io = now;
                    progress = true;
                }
                Ok(None) => return Ok(progress),
                Err(e) => return Err(Failure::Upstream(describe(&e))),
            }
        }
    }
}

impl Tunnel {
    /// Passes the client's bytes on, and its close once they are through.
    fn send(&mut self, inbuf: &mut Vec<u8>, peer_closed: bool, now: Instant) -> io::Result<bool> {
        let mut progress = false;
        while !inbuf.is_empty() {
            match write_some(&mut self.up, inbuf)? {
                Some(n) => {
                    inbuf.drain(..n);
                    self.last_io = now;
                    progress = true;
                }
                None => return Ok(progress),
            }
        }
        if peer_closed && !self.shut {
            self.up.shutdown_write();
            self.shut = true;
            progress = true;
        }
        Ok(progress)
    }
}

/// Passes on the body bytes at `out[from..]`: keeps those that belong to `body` (its chunk data
/// alone when `decode`) and drops the rest; returns how many of the bytes belonged to it.
fn pass(body: &mut Body, decode: bool, out: &mut Vec<u8>, from: usize) -> Result<usize, String> {
    let (taken, kept) = if decode {
        body.take_decoded(&mut out[from..])?
    } else {
        let k = body.take(&out[from..])?;
        (k, k)
    };
    out.truncate(from + kept);
    Ok(taken)
}

/// One non-blocking read: `Some(0)` at EOF, `None` if nothing is there yet.
fn read_some(up: &mut Upstream, buf: &mut [u8]) -> io::Result<Option<usize>> {
    loop {
        match up.read(buf) {
            Ok(n) => return Ok(Some(n)),
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(None),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
}

/// One non-blocking write: `None` if the socket takes nothing now.
fn write_some(up: &mut Upstream, buf: &[u8]) -> io::Result<Option<usize>> {
    loop {
        match up.write(buf) {
            Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
            Ok(n) => return Ok(Some(n)),
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(None),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
}

/// A socket error in words a developer acts on.
fn describe(e: &io::Error) -> String {
    match e.kind() {
        io::ErrorKind::ConnectionRefused => "connection refused (nothing listens there)".into(),
        io::ErrorKind::ConnectionReset => "the upstream reset the connection".into(),
        io::ErrorKind::BrokenPipe => "the upstream closed the connection".into(),
        _ => e.to_string(),
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        if let Some((up, since)) = self.kept.take() {
            let mut pool = self.shared.pool.lock().unwrap_or_else(|p| p.into_inner());
            pool.put(up, since);
        }
    }
}

impl Service for Proxy {
    fn receive(&mut self, data: &[u8]) {
        self.inbuf.extend_from_slice(data);
    }

    fn produce(&mut self, out: &mut Vec<u8>) -> Result<(), String> {
        if !self.reply.is_empty() {
            out.append(&mut self.reply);
            return Ok(());
        }
        match &mut self.state {
            State::Idle => {
                if self.close || (self.peer_closed && self.head_pending) {
                    self.done = true;
                }
            }
            State::Static(http) => {
                let before = out.len();
                http.produce(out)?;
                if out.len() == before {
                    if http.finished() {
                        self.done = true;
                        self.state = State::Idle;
                    } else if http.idle() {
                        self.state = State::Idle;
                    }
                }
            }
            State::Forward(_) => {
                if let Err(failure) = self.relay(out) {
                    self.fail(failure);
                }
                // Nothing else wakes the connection: a page or the end goes out in this turn.
                out.append(&mut self.reply);
                if matches!(self.state, State::Idle) && self.close {
                    self.done = true;
                }
            }
            State::Tunnel(t) => {
                let start = out.len();
                out.resize(start + CHUNK, 0);
                match read_some(&mut t.up, &mut out[start..]) {
                    Ok(Some(0)) | Err(_) => {
                        out.truncate(start);
                        self.done = true;
                    }
                    Ok(Some(n)) => {
                        out.truncate(start + n);
                        t.last_io = self.now;
                    }
                    Ok(None) => out.truncate(start),
                }
            }
        }
        Ok(())
    }

    fn wants_input(&self) -> bool {
        !self.done && !self.peer_closed && self.inbuf.len() < INBUF_LIMIT + self.body_room
    }

    fn peer_closed(&mut self) {
        self.peer_closed = true;
    }

    fn drain(&mut self) {
        self.close = true;
        if matches!(self.state, State::Tunnel(_)) {
            self.done = true;
        }
    }

    fn finished(&self) -> bool {
        self.done && self.reply.is_empty()
    }

    fn receiving_head(&self) -> bool {
        matches!(self.state, State::Idle)
            && self.head_pending
            && !self.done
            && !self.close
            && !self.inbuf.is_empty()
    }

    fn pump(&mut self, now: Instant) -> Result<bool, String> {
        self.now = now;
        let mut progress = false;
        if matches!(self.state, State::Idle) && self.reply.is_empty() && !self.close && !self.done {
            progress |= self.start();
        }
        match &mut self.state {
            State::Forward(ex) => match ex.send(&self.send, &mut self.inbuf, now) {
                Ok(moved) => progress |= moved,
                Err(failure) => {
                    self.fail(failure);
                    progress = true;
                }
            },
            State::Tunnel(t) => match t.send(&mut self.inbuf, self.peer_closed, now) {
                Ok(moved) => progress |= moved,
                Err(_) => {
                    self.done = true;
                    progress = true;
                }
            },
            State::Idle | State::Static(_) => {}
        }
        Ok(progress)
    }

    fn deadline(&self) -> Option<Instant> {
        match &self.state {
            State::Forward(ex) => Some(after(ex.last_io, self.shared.upstream_timeout)),
            State::Tunnel(t) => Some(after(t.last_io, TUNNEL_IDLE)),
            State::Idle | State::Static(_) => None,
        }
    }

    fn expire(&mut self, now: Instant) {
        self.now = now;
        match std::mem::replace(&mut self.state, State::Idle) {
            State::Forward(ex) if !ex.answered => {
                let secs = self.shared.upstream_timeout.as_secs();
                tracing::info!("upstream {} did not answer within {secs} s", ex.origin.url);
                let close = !(ex.body.done() && ex.body_ready == 0);
                self.answer(
                    504,
                    &format!("{} did not answer within {secs} s.", ex.origin.url),
                    "The app may be busy or stuck; raise --upstream-timeout if it is just slow.",
                    close,
                );
            }
            State::Forward(ex) => {
                tracing::info!("upstream {} stalled mid-response; closing", ex.origin.url);
                self.done = true;
            }
            State::Tunnel(_) => self.done = true,
            other => self.state = other,
        }
    }
}
