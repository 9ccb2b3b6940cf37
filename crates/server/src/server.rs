//! The event loop: one mio `Poll` for listeners, connections, the shutdown waker and signals.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use mio::net::TcpStream;
use mio::{Events, Interest, Poll, Token, Waker};
use rustls::{ServerConfig, ServerConnection};
use signal_hook::consts::{SIGINT, SIGTERM};
use signal_hook_mio::v1_0::Signals;
use slab::Slab;

use crate::badssl::{BadsslSite, Pages, Site};
use crate::conn::{Conn, Drive, Gone, ShedAfter};
use crate::echo::Echo;
use crate::files::WebRoot;
use crate::http::Http;
use crate::listener::{Accepted, Listeners, Pause, ACCEPT_PAUSE};
use crate::plain::PlainHttp;
use crate::proxy::{self, Proxy};
use crate::service::Service;
use crate::sni::{SniRouter, Tls};
use crate::timer::{after, Deadlines};
use crate::{Error, Handler, Limits, Mode, ServerOptions};

/// Token of the waker used by [`ShutdownHandle`].
const WAKER: Token = Token(usize::MAX - 1);
/// Token of the SIGINT/SIGTERM pipe.
const SIGNALS: Token = Token(usize::MAX - 2);

/// When a connection may be closed at the cap to admit a newcomer (see [`Server::shed_victim`]).
///
/// - `silent`: a peer that has sent nothing since accept. A real client's ClientHello leaves
///   with the ACK that completes the TCP handshake, so it is already there when we accept, while
///   a client hoarding connections queues hundreds of silent ones ahead of everyone else.
/// - `slow`: a handshake or request head still unfinished this long after it started, however
///   steadily its bytes drip in. A real client finishes either within a round trip or two.
/// - `idle`: no read or write at all this long (an idle keep-alive, a peer not reading): long
///   against a talking peer's gaps, short against the idle timeout.
const SHED: ShedAfter = ShedAfter {
    silent: Duration::from_millis(100),
    slow: Duration::from_millis(500),
    idle: Duration::from_secs(1),
};

/// What each connection runs, resolved at bind time.
enum Serving {
    Http(Arc<WebRoot>),
    Echo,
    Proxy(Arc<proxy::Shared>),
}

/// A bound TLS server; [`Server::run`] serves until shut down.
pub struct Server {
    poll: Poll,
    listeners: Listeners,
    tls: Arc<ServerConfig>,
    serving: Serving,
    limits: Limits,
    stop: Arc<AtomicBool>,
    waker: Arc<Waker>,
    signals: Option<Signals>,
    /// Boxed, so that the slots a crowd left empty cost a pointer each, not a connection.
    conns: Slab<Box<Conn>>,
    deadlines: Deadlines,
    /// Connections that used their share of a loop turn and must be driven again.
    again: Vec<usize>,
    next_id: u64,
    /// When graceful shutdown started.
    draining_since: Option<Instant>,
    /// A second signal arrived: stop without waiting for connections.
    abort: bool,
    /// Paused at the cap: when the stalest connection may be shed for a newcomer.
    shed_at: Option<Instant>,
    /// Answers the paths it claims in HTTP mode (e.g. ACME) instead of the web root.
    handler: Option<Arc<dyn Handler>>,
    /// Configurations chosen by SNI, when some names have their own.
    sni: Option<Arc<SniRouter>>,
    /// `--badssl`: its hosts' answers, its in-memory pages and its CRL listener.
    badssl: Option<(Arc<Site>, Arc<Pages>, PlainHttp)>,
}

/// Starts a graceful shutdown of a running [`Server`] from any thread.
#[derive(Clone)]
pub struct ShutdownHandle {
    stop: Arc<AtomicBool>,
    waker: Arc<Waker>,
}

impl ShutdownHandle {
    /// Asks the server to stop accepting, finish responses in flight and return from `run`.
    pub fn shutdown(&self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Err(e) = self.waker.wake() {
            tracing::warn!("cannot wake the server for shutdown: {e}");
        }
    }
}

impl std::fmt::Debug for ShutdownHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ShutdownHandle").finish_non_exhaustive()
    }
}

impl std::fmt::Debug for Server {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Server")
            .field("listen", &self.local_addrs())
            .field("limits", &self.limits)
            .field("connections", &self.conns.len())
            .finish_non_exhaustive()
    }
}

impl Server {
    /// Checks the options and binds every listener (port 0 allowed).
    pub fn bind(opts: ServerOptions, tls: Arc<ServerConfig>) -> Result<Server, Error> {
        let poll = Poll::new().map_err(Error::EventLoop)?;
        let serving = match &opts.mode {
            Mode::Http {
                root,
                serve_dotfiles,
            } => Serving::Http(Arc::new(WebRoot::open(root, *serve_dotfiles)?)),
            Mode::Echo => Serving::Echo,
            Mode::Proxy(proxy) => {
                let registry = poll.registry().try_clone().map_err(Error::EventLoop)?;
                let shared = proxy::Shared::new(proxy, registry, opts.limits.max_request_head)?;
                Serving::Proxy(Arc::new(shared))
            }
        };
        let tls = match serving {
            Serving::Echo if !tls.alpn_protocols.is_empty() => {
                // Echo speaks no application protocol; don't claim http/1.1.
                let mut config = (*tls).clone();
                config.alpn_protocols.clear();
                Arc::new(config)
            }
            _ => tls,
        };
        let mut limits = opts.limits;
        limits.max_connections = limits.max_connections.max(1);
        let listeners = Listeners::bind(&opts.listen)?;
        let waker = Arc::new(Waker::new(poll.registry(), WAKER).map_err(Error::EventLoop)?);
        let mut server = Server {
            poll,
            listeners,
            tls,
            serving,
            limits,
            stop: Arc::new(AtomicBool::new(false)),
            waker,
            signals: None,
            conns: Slab::new(),
            deadlines: Deadlines::default(),
            again: Vec::new(),
            next_id: 0,
            draining_since: None,
            abort: false,
            shed_at: None,
            handler: None,
            sni: None,
            badssl: None,
        };
        server
            .listeners
            .register(server.poll.registry())
            .map_err(Error::EventLoop)?;
        Ok(server)
    }

    /// Chooses each connection's TLS configuration by SNI with `router` (its default for other
    /// names) instead of the configuration given to [`Server::bind`].
    pub fn route_sni(&mut self, router: SniRouter) {
        self.sni = Some(Arc::new(router));
    }

    /// Adds the hosts of `serve --badssl` (routed by SNI beside any routes already set, other
    /// names keep the configuration given to [`Server::bind`]) and serves its CRL over plain HTTP;
    /// returns the CRL listener's address.
    pub fn serve_badssl(&mut self, site: BadsslSite) -> Result<SocketAddr, Error> {
        let mut router = match self.sni.take() {
            Some(router) => Arc::unwrap_or_clone(router),
            None => SniRouter::new(self.tls.clone()),
        };
        for host in &site.hosts {
            router.route(&host.host, host.config.clone());
        }
        self.sni = Some(Arc::new(router));
        let files = vec![(
            site.crl_path.clone(),
            "application/pkix-crl",
            Arc::new(site.crl.clone()),
        )];
        let (shared, pages) = Site::new(&site);
        let plain = PlainHttp::new(site.crl_listener, files, self.poll.registry())
            .map_err(Error::EventLoop)?;
        let addr = plain.local_addr().map_err(Error::EventLoop)?;
        self.badssl = Some((Arc::new(shared), Arc::new(pages), plain));
        Ok(addr)
    }

    /// The addresses actually listened on (with the ports picked for port 0).
    pub fn local_addrs(&self) -> Vec<SocketAddr> {
        self.listeners.local_addrs()
    }

    /// Lets `handler` answer the requests for the paths it claims (file server and proxy modes;
    /// the proxy answers them on every host, before its routes).
    pub fn set_handler(&mut self, handler: Arc<dyn Handler>) {
        self.handler = Some(handler);
    }

    /// A handle that shuts the server down gracefully from another thread.
    pub fn shutdown_handle(&self) -> ShutdownHandle {
        ShutdownHandle {
            stop: self.stop.clone(),
            waker: self.waker.clone(),
        }
    }

    /// Shuts down gracefully on SIGINT or SIGTERM; a second signal stops at once.
    pub fn handle_signals(&mut self) -> Result<(), Error> {
        if self.signals.is_none() {
            let mut signals = Signals::new([SIGINT, SIGTERM]).map_err(Error::Signals)?;
            self.poll
                .registry()
                .register(&mut signals, SIGNALS, Interest::READABLE)
                .map_err(Error::Signals)?;
            self.signals = Some(signals);
        }
        Ok(())
    }

    /// Serves until shut down; returns `Ok(())` once shutdown completes.
    pub fn run(mut self) -> Result<(), Error> {
        let what = match &self.serving {
            Serving::Http(_) => "static files",
            Serving::Echo => "echo",
            Serving::Proxy(_) => "a reverse proxy",
        };
        for addr in self.local_addrs() {
            tracing::info!("serving {what} on https://{addr}/");
        }
        let mut events = Events::with_capacity(1024);
        while self.turn(&mut events)? {}
        tracing::info!("server stopped");
        Ok(())
    }

    /// One turn of the event loop: wait for readiness or the nearest deadline and handle it all;
    /// `Ok(false)` once shutdown has finished.
    fn turn(&mut self, events: &mut Events) -> Result<bool, Error> {
        let now = Instant::now();
        if let Some(since) = self.draining_since {
            // Lingering connections have sent everything; no need to wait for their EOF.
            if self.abort || self.conns.iter().all(|(_, c)| c.lingering()) {
                return Ok(false);
            }
            if now >= after(since, self.limits.shutdown_grace) {
                tracing::warn!(
                    "shutdown grace of {:?} over: dropping {} connection(s)",
                    self.limits.shutdown_grace,
                    self.conns.len()
                );
                return Ok(false);
            }
        }
        let timeout = self.poll_timeout(now);
        if let Err(e) = self.poll.poll(events, timeout) {
            if e.kind() == std::io::ErrorKind::Interrupted {
                return Ok(true);
            }
            return Err(Error::EventLoop(e));
        }
        let now = Instant::now();
        for event in events.iter() {
            match event.token() {
                WAKER => {}
                SIGNALS => self.on_signals(now),
                token if PlainHttp::owns(token) => {
                    if let Some((_, _, plain)) = self.badssl.as_mut() {
                        plain.ready(token, self.poll.registry(), now);
                    }
                }
                token => match self.listeners.index(token) {
                    Some(i) => self.accept(i, now),
                    None => {
                        let slot = proxy::conn_slot(token);
                        if slot == token.0 {
                            if let Some(conn) = self.conns.get_mut(slot) {
                                let hangup = event.is_read_closed() || event.is_error();
                                conn.ready(event.is_readable(), hangup);
                            }
                        }
                        self.on_conn(slot, now);
                    }
                },
            }
        }
        if self.stop.load(Ordering::SeqCst) {
            self.begin_shutdown(now);
        }
        for slot in std::mem::take(&mut self.again) {
            self.on_conn(slot, now);
        }
        self.expire(now);
        self.resume_accepting(now);
        Ok(true)
    }

    /// How long to sleep: until the nearest deadline, accept pause or shutdown grace end.
    fn poll_timeout(&self, now: Instant) -> Option<Duration> {
        if !self.again.is_empty() {
            return Some(Duration::ZERO);
        }
        let mut wake = self.deadlines.next();
        let resume = match self.listeners.pause {
            Pause::Until(t) => Some(t),
            Pause::Full => self.shed_at,
            Pause::No => None,
        };
        if let Some(t) = resume {
            wake = Some(wake.map_or(t, |w| w.min(t)));
        }
        if let Some(since) = self.draining_since {
            let end = after(since, self.limits.shutdown_grace);
            wake = Some(wake.map_or(end, |w| w.min(end)));
        }
        // Round up so the loop does not wake a hair early and spin.
        wake.map(|w| w.saturating_duration_since(now) + Duration::from_millis(1))
    }

    fn on_signals(&mut self, now: Instant) {
        let Some(signals) = self.signals.as_mut() else {
            return;
        };
        let count = signals.pending().count();
        if count == 0 {
            return;
        }
        if self.draining_since.is_some() {
            tracing::warn!("second signal: stopping without waiting for connections");
            self.abort = true;
        } else {
            self.begin_shutdown(now);
        }
    }

    /// Stops accepting and asks every connection to finish what it is doing.
    fn begin_shutdown(&mut self, now: Instant) {
        if self.draining_since.is_some() {
            return;
        }
        tracing::info!(
            "shutting down: finishing {} connection(s), at most {:?}",
            self.conns.len(),
            self.limits.shutdown_grace
        );
        self.draining_since = Some(now);
        self.listeners.close(self.poll.registry());
        let slots: Vec<usize> = self.conns.iter().map(|(slot, _)| slot).collect();
        for slot in slots {
            if let Some(conn) = self.conns.get_mut(slot) {
                let next = conn.drain(now);
                self.settle(slot, next, now);
            }
        }
    }

    /// Accepts from listener `i` until it is empty, the cap is reached or accepting fails.
    ///
    /// At the cap a newcomer replaces the connection slowest to make progress, if it has been
    /// stuck long enough (see [`Server::shed_victim`]); with none, accepting pauses until a
    /// connection leaves or one has been stuck that long.
    fn accept(&mut self, i: usize, now: Instant) {
        // Shed for a file descriptor at most once between two successful accepts.
        let mut shed_for_fd = false;
        while self.draining_since.is_none() && self.listeners.pause == Pause::No {
            let mut victim = None;
            if self.conns.len() >= self.limits.max_connections {
                match self.shed_victim(now) {
                    Ok(slot) => victim = Some(slot),
                    Err(retry) => {
                        tracing::debug!(
                            "{} connections open (the maximum), all active: new ones wait",
                            self.conns.len()
                        );
                        self.listeners.deregister(self.poll.registry());
                        self.listeners.pause = Pause::Full;
                        self.shed_at = retry;
                        return;
                    }
                }
            }
            match self.listeners.accept(i) {
                Accepted::Conn(socket, peer) => {
                    shed_for_fd = false;
                    if let Some(slot) = victim {
                        let gone = Gone("closed to make room at the connection cap".into());
                        self.remove(slot, gone, now);
                    }
                    self.add_conn(socket, peer, now);
                }
                Accepted::Empty => return,
                Accepted::Failed(e) if !shed_for_fd && out_of_fds(&e) => {
                    // Below the cap but out of descriptors (EMFILE): same remedy as at the cap.
                    match self.shed_victim(now) {
                        Ok(slot) => {
                            shed_for_fd = true;
                            let gone = Gone("closed to free a file descriptor".into());
                            self.remove(slot, gone, now);
                        }
                        Err(_) => self.pause_accepting(&e, now),
                    }
                }
                Accepted::Failed(e) => {
                    self.pause_accepting(&e, now);
                    return;
                }
            }
        }
    }

    /// Stops accepting for [`ACCEPT_PAUSE`] after an accept error.
    fn pause_accepting(&mut self, e: &std::io::Error, now: Instant) {
        tracing::warn!("cannot accept connections: {e}; pausing accepts for {ACCEPT_PAUSE:?}");
        self.listeners.deregister(self.poll.registry());
        self.listeners.pause = Pause::Until(now + ACCEPT_PAUSE);
    }

    /// The connection to close for a newcomer at the cap: the one that became sheddable first
    /// under [`SHED`] (silent since accept, stuck in its handshake or request head, or idle),
    /// if that time has come; otherwise `Err` with when one will be. A client that finishes its
    /// handshake and requests promptly is never shed, however many connections others hold.
    fn shed_victim(&self, now: Instant) -> Result<usize, Option<Instant>> {
        let mut due: Vec<(Instant, usize)> = Vec::new();
        let mut next: Option<Instant> = None;
        for (slot, conn) in &self.conns {
            let at = conn.sheddable_at(SHED);
            if at <= now {
                due.push((at, slot));
            } else {
                next = Some(next.map_or(at, |n| n.min(at)));
            }
        }
        due.sort_unstable();
        // A peer whose bytes wait unread (its event comes later in this turn) is not stuck.
        let victim = due
            .iter()
            .find(|(_, slot)| !self.conns[*slot].has_unread_input());
        match victim {
            Some(&(_, slot)) => Ok(slot),
            None if !due.is_empty() => Err(Some(now + Duration::from_millis(1))),
            None => Err(next),
        }
    }

    /// Resumes accepting once below the cap and past any error pause.
    fn resume_accepting(&mut self, now: Instant) {
        let ready = match self.listeners.pause {
            Pause::No => false,
            Pause::Full => {
                self.conns.len() < self.limits.max_connections
                    || self.shed_at.is_some_and(|t| now >= t)
            }
            Pause::Until(t) => now >= t,
        };
        if !ready || self.draining_since.is_some() {
            return;
        }
        self.listeners.pause = Pause::No;
        self.shed_at = None;
        if let Err(e) = self.listeners.register(self.poll.registry()) {
            tracing::warn!("cannot resume accepting: {e}; retrying in {ACCEPT_PAUSE:?}");
            self.listeners.pause = Pause::Until(now + ACCEPT_PAUSE);
            return;
        }
        for i in 0..self.listeners.len() {
            self.accept(i, now);
        }
    }

    /// Sets up TLS and the service for a new socket and starts watching it.
    fn add_conn(&mut self, socket: TcpStream, peer: SocketAddr, now: Instant) {
        let _ = socket.set_nodelay(true);
        let tls = match &self.sni {
            Some(router) => Tls::routed(router.clone()),
            None => match ServerConnection::new(self.tls.clone()) {
                Ok(tls) => tls.into(),
                Err(e) => {
                    tracing::debug!("connection from {peer} dropped: cannot start TLS: {e}");
                    return;
                }
            },
        };
        let pages = self.badssl.as_ref().map(|(_, pages, _)| pages.clone());
        let entry = self.conns.vacant_entry();
        let slot = entry.key();
        let service: Box<dyn Service> = match &self.serving {
            Serving::Http(root) => Box::new(
                Http::new(root.clone(), self.limits.max_request_head)
                    .with_handler(self.handler.clone())
                    .with_pages(pages),
            ),
            Serving::Echo => Box::new(Echo::default()),
            Serving::Proxy(shared) => Box::new(
                Proxy::new(shared.clone(), proxy::upstream_token(slot), peer)
                    .with_handler(self.handler.clone()),
            ),
        };
        let service = match &self.badssl {
            Some((site, _, _)) => site.wrap(service),
            None => service,
        };
        self.next_id += 1;
        entry.insert(Box::new(Conn::new(
            self.next_id,
            socket,
            peer,
            tls,
            service,
            now,
        )));
        tracing::trace!("accepted connection from {peer}");
        self.settle(slot, Drive::Wait, now);
    }

    /// Handles readiness (or a retry) for the connection in `slot`.
    fn on_conn(&mut self, slot: usize, now: Instant) {
        if let Some(conn) = self.conns.get_mut(slot) {
            let next = conn.drive(now);
            self.settle(slot, next, now);
        }
    }

    /// Applies the outcome of driving a connection: re-arm interest and deadline, or remove it.
    fn settle(&mut self, slot: usize, next: Drive, now: Instant) {
        let Some(conn) = self.conns.get_mut(slot) else {
            return;
        };
        let gone = match next {
            Drive::Close(gone) => gone,
            Drive::Wait | Drive::Again => {
                if let Err(e) = conn.update_interest(self.poll.registry(), Token(slot)) {
                    Gone(format!("cannot watch the socket: {e}"))
                } else {
                    if matches!(next, Drive::Again) {
                        self.again.push(slot);
                    }
                    let due = conn.deadline(&self.limits);
                    if conn.scheduled.is_none_or(|s| due < s) {
                        if let Some(old) = conn.scheduled.replace(due) {
                            self.deadlines.cancel(old, slot, conn.id);
                        }
                        self.deadlines.schedule(due, slot, conn.id);
                    }
                    return;
                }
            }
        };
        self.remove(slot, gone, now);
    }

    /// Drops a connection and, if accepting paused at the cap, lets the listeners resume.
    fn remove(&mut self, slot: usize, gone: Gone, now: Instant) {
        if let Some(mut conn) = self.conns.try_remove(slot) {
            if let Some(at) = conn.scheduled {
                self.deadlines.cancel(at, slot, conn.id);
            }
            give_back_slots(&mut self.conns);
            conn.deregister(self.poll.registry());
            if conn.lingering() {
                tracing::trace!("connection from {} {}", conn.peer, gone.0);
            } else {
                tracing::debug!("connection from {}: {}", conn.peer, gone.0);
            }
        }
        self.resume_accepting(now);
    }

    /// Handles every deadline that has passed.
    fn expire(&mut self, now: Instant) {
        for (at, slot, id) in self.deadlines.expired(now) {
            let Some(conn) = self.conns.get_mut(slot) else {
                continue;
            };
            if conn.id != id || conn.scheduled != Some(at) {
                continue; // stale entry
            }
            conn.scheduled = None;
            let next = if conn.deadline(&self.limits) <= now {
                conn.expire(now, &self.limits)
            } else {
                Drive::Wait // reschedules at the later deadline
            };
            self.settle(slot, next, now);
        }
    }
}

/// Shrinks `slab` once fewer than a quarter of its slots are taken, so that the capacity a crowd
/// made it grow is given back when the crowd leaves (as far as the highest slot still taken).
pub(crate) fn give_back_slots<T>(slab: &mut Slab<T>) {
    if slab.capacity() > MIN_SLOTS && slab.len() < slab.capacity() / 4 {
        slab.shrink_to_fit();
    }
}

/// Slots kept whatever the load: shrinking below this saves nothing worth the reallocations.
const MIN_SLOTS: usize = 16;

/// Whether an accept or open failed for want of file descriptors (EMFILE for the process, ENFILE
/// for the system; the same numbers on Linux, the BSDs and macOS).
pub(crate) fn out_of_fds(e: &std::io::Error) -> bool {
    matches!(e.raw_os_error(), Some(23 | 24))
}

#[cfg(test)]
mod tests {
    use super::*;
    use selfsign_core::{Ca, CaOptions, LeafOptions};

    fn echo_server() -> Server {
        let now = rustls::pki_types::UnixTime::now();
        let ca = Ca::new_root(&CaOptions::default(), now).expect("root CA");
        let leaf = ca
            .issue(&LeafOptions::new(["localhost"]), now)
            .expect("leaf");
        let tls = crate::tls_config(crate::TlsOptions {
            chain: leaf.tls_chain(),
            key: leaf.key.private_key_der(),
            client_auth: crate::ClientAuth::None,
            resumption: false,
        })
        .expect("TLS config");
        let opts = ServerOptions {
            listen: vec!["127.0.0.1:0".parse().expect("address")],
            mode: Mode::Echo,
            limits: Limits::default(),
        };
        Server::bind(opts, tls).expect("bind")
    }

    fn turn_until(server: &mut Server, events: &mut Events, done: impl Fn(&Server) -> bool) {
        for _ in 0..10_000 {
            if done(server) {
                return;
            }
            server.turn(events).expect("event loop");
        }
        panic!("{} connections open after 10,000 turns", server.conns.len());
    }

    #[test]
    fn a_crowd_that_leaves_gives_back_its_slots_and_deadlines() {
        const CROWD: usize = 300;
        let mut server = echo_server();
        let addr = server.local_addrs()[0];
        let mut events = Events::with_capacity(1024);
        let mut crowd = Vec::new();
        for _ in 0..CROWD / 50 {
            for _ in 0..50 {
                crowd.push(std::net::TcpStream::connect(addr).expect("connect"));
            }
            let open = crowd.len();
            turn_until(&mut server, &mut events, |s| s.conns.len() == open);
        }
        assert_eq!(server.deadlines.len(), CROWD);
        assert!(server.conns.capacity() >= CROWD);

        drop(crowd);
        turn_until(&mut server, &mut events, |s| s.conns.is_empty());

        assert_eq!(server.deadlines.len(), 0, "deadlines of closed connections");
        assert!(
            server.conns.capacity() <= MIN_SLOTS,
            "{} slots kept for no connection",
            server.conns.capacity()
        );
    }
}
