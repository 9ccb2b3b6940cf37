//! One TLS connection: socket <-> rustls <-> service, with backpressure and deadlines.
//!
//! Each call to [`Conn::drive`] reads while the service wants input, feeds the service's output to
//! rustls only as far as rustls's bounded send buffer accepts it, and writes TLS records until the
//! socket would block. A peer that sends but never reads therefore stalls its own connection
//! (reading stops once output is pending) instead of growing the server's memory.

use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr};
use std::time::{Duration, Instant};

use crate::service::Service;
use crate::sni::Tls;
use crate::timer::after;
use crate::Limits;
use mio::net::TcpStream;
use mio::{Interest, Registry, Token};

/// How long a closing connection may take to flush close_notify and see the peer's EOF.
const CLOSE_TIMEOUT: Duration = Duration::from_secs(2);

/// Read/feed/write rounds per [`Conn::drive`] call before yielding to other connections.
const ROUNDS: usize = 32;

/// Read buffer size while lingering.
const READ_BUF: usize = 16 * 1024;

/// Why a connection ends now, for the debug log.
#[derive(Debug)]
pub(crate) struct Gone(pub(crate) String);

/// What the event loop should do after driving a connection.
#[derive(Debug)]
pub(crate) enum Drive {
    /// Wait for the next readiness event or deadline.
    Wait,
    /// It used its share of this loop turn and can make progress: drive it again soon.
    Again,
    /// Remove it.
    Close(Gone),
}

/// Where a connection is in its life.
#[derive(Debug, Clone, Copy)]
enum Phase {
    /// Handshaking or exchanging application data.
    Open,
    /// close_notify queued; flushing it.
    Closing { since: Instant },
    /// Write side shut down; discarding input until the peer closes, so it sees every byte.
    Lingering { since: Instant },
}

/// The byte stream under a connection: a TCP socket, or memory for fuzzing.
pub(crate) trait Socket: Read + Write {
    /// Shuts down the write half (sends FIN).
    fn shutdown_write(&self) -> io::Result<()>;
}

impl Socket for TcpStream {
    fn shutdown_write(&self) -> io::Result<()> {
        self.shutdown(Shutdown::Write)
    }
}

/// The socket as rustls reads it: notes whether a read returned less than it asked for.
struct Probe<'a, S> {
    socket: &'a mut S,
    short: bool,
}

impl<S: Read> Read for Probe<'_, S> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.socket.read(buf)?;
        self.short = n < buf.len();
        Ok(n)
    }
}

/// One accepted connection.
pub(crate) struct Conn<S = TcpStream> {
    /// Unique over the server's lifetime (slab slots are reused).
    pub(crate) id: u64,
    /// The deadline with a live timer entry, if any.
    pub(crate) scheduled: Option<Instant>,
    /// The peer's address, for logs.
    pub(crate) peer: SocketAddr,
    socket: S,
    tls: Tls,
    service: Box<dyn Service>,
    /// The service has been told the handshake is complete.
    established: bool,
    /// Plaintext produced by the service and not yet accepted by rustls.
    out: Vec<u8>,
    out_pos: usize,
    phase: Phase,
    /// The peer sent close_notify or EOF.
    eof: bool,
    accepted: Instant,
    last_activity: Instant,
    /// The socket may hold unread input: cleared once a read finds it empty (or takes less than
    /// it asked for), set again by the next readiness event, which new data always brings.
    readable: bool,
    /// The peer's FIN (or an error) was reported: read on until EOF, whatever a read returned.
    hangup: bool,
    /// When the first byte of the request head still being received arrived.
    head_since: Option<Instant>,
    interest: Option<Interest>,
}

/// How long a connection may go without progress before it can be shed at the cap.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ShedAfter {
    /// Since accept, for a peer that has sent nothing at all.
    pub(crate) silent: Duration,
    /// Since accept for an unfinished handshake, since its first byte for an unfinished
    /// request head.
    pub(crate) slow: Duration,
    /// Since the last read or write, for anything else.
    pub(crate) idle: Duration,
}

impl<S: Socket> Conn<S> {
    /// Wraps an accepted socket.
    pub(crate) fn new(
        id: u64,
        socket: S,
        peer: SocketAddr,
        tls: impl Into<Tls>,
        service: Box<dyn Service>,
        now: Instant,
    ) -> Conn<S> {
        Conn {
            id,
            scheduled: None,
            peer,
            socket,
            tls: tls.into(),
            service,
            established: false,
            out: Vec::new(),
            out_pos: 0,
            phase: Phase::Open,
            eof: false,
            accepted: now,
            last_activity: now,
            readable: true,
            hangup: false,
            head_since: None,
            interest: None,
        }
    }

    /// A readiness event for the socket arrived: `readable` if input (or an error) may be
    /// waiting, `hangup` if the peer closed its side or the socket failed.
    pub(crate) fn ready(&mut self, readable: bool, hangup: bool) {
        self.readable |= readable || hangup;
        self.hangup |= hangup;
    }

    /// Makes progress on everything the connection can do without blocking.
    pub(crate) fn drive(&mut self, now: Instant) -> Drive {
        for _ in 0..ROUNDS {
            match self.round(now) {
                Ok(true) => {}
                Ok(false) => return Drive::Wait,
                Err(gone) => return Drive::Close(gone),
            }
        }
        Drive::Again
    }

    /// One read/feed/write pass; `Ok(true)` if anything moved.
    fn round(&mut self, now: Instant) -> Result<bool, Gone> {
        match self.phase {
            Phase::Open => {
                let mut progress = self.pump(now)?;
                progress |= self.read(now)?;
                progress |= self.feed()?;
                if !self.tls.is_handshaking() && self.service.finished() && self.out_is_empty() {
                    self.start_close(now);
                    progress = true;
                }
                progress |= self.write(now)?;
                self.track_head(now);
                Ok(progress)
            }
            Phase::Closing { .. } => {
                let progress = self.write(now)?;
                if !self.tls.wants_write() {
                    // The peer may already be gone; then lingering ends at once anyway.
                    let _ = self.socket.shutdown_write();
                    self.phase = Phase::Lingering { since: now };
                    return Ok(true);
                }
                Ok(progress)
            }
            Phase::Lingering { .. } => self.discard(),
        }
    }

    /// Lets the service move bytes on its own sockets; that counts as activity.
    fn pump(&mut self, now: Instant) -> Result<bool, Gone> {
        if self.tls.is_handshaking() {
            return Ok(false);
        }
        let moved = self.service.pump(now).map_err(Gone)?;
        if moved {
            self.last_activity = now;
        }
        Ok(moved)
    }

    /// Starts or stops the header clock as a request head starts arriving or is complete.
    fn track_head(&mut self, now: Instant) {
        if !self.service.receiving_head() {
            self.head_since = None;
        } else if self.head_since.is_none() {
            self.head_since = Some(now);
        }
    }

    /// Queues close_notify; the connection is removed once it is flushed and the peer closes.
    fn start_close(&mut self, now: Instant) {
        self.tls.send_close_notify();
        self.phase = Phase::Closing { since: now };
    }

    /// Whether to read from the socket now: not while output waits for rustls to take it (the
    /// peer is not reading), so a peer cannot keep its connection busy by sending alone.
    fn wants_read(&self) -> bool {
        matches!(self.phase, Phase::Open)
            && !self.eof
            && self.out_is_empty()
            && self.tls.wants_read()
            && (self.tls.is_handshaking() || self.service.wants_input())
    }

    fn out_is_empty(&self) -> bool {
        self.out_pos == self.out.len()
    }

    /// Reads TLS records while the connection wants input and the socket has some.
    ///
    /// A read that gets less than it asked for emptied the socket (TCP hands over all it has):
    /// anything arriving later raises a new readiness event, so the socket is not read again
    /// until then, which saves the read that would only find it empty. After a hang-up event
    /// reads go on until EOF, since the FIN raises no event of its own.
    fn read(&mut self, now: Instant) -> Result<bool, Gone> {
        let mut progress = false;
        while self.readable && self.wants_read() {
            let mut socket = Probe {
                socket: &mut self.socket,
                short: false,
            };
            match self.tls.read_tls(&mut socket) {
                Ok(0) => {
                    if self.tls.is_handshaking() {
                        return Err(Gone(
                            "peer closed the connection during the handshake".into(),
                        ));
                    }
                    self.peer_closed();
                    return Ok(true);
                }
                Ok(_) => {
                    if socket.short && !self.hangup {
                        self.readable = false;
                    }
                    self.last_activity = now;
                    progress = true;
                    if let Err(e) = self.tls.process_new_packets() {
                        // rustls queued an alert for the peer; send it if the socket takes it.
                        let _ = self.write(now);
                        return Err(Gone(format!("TLS error: {e}")));
                    }
                    self.tell_established();
                    self.take_plaintext()?;
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    self.readable = false;
                    break;
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(Gone(format!("read failed: {e}"))),
            }
        }
        Ok(progress)
    }

    /// Moves decrypted plaintext from rustls to the service.
    fn take_plaintext(&mut self) -> Result<(), Gone> {
        loop {
            match self.tls.plaintext() {
                Ok([]) => {
                    self.peer_closed();
                    return Ok(());
                }
                Ok(data) => {
                    let n = data.len();
                    self.service.receive(data);
                    self.tls.consume_plaintext(n);
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(()),
                Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => {
                    self.peer_closed();
                    return Ok(());
                }
                Err(e) => return Err(Gone(format!("reading plaintext failed: {e}"))),
            }
        }
    }

    /// Hands the finished handshake (server name, client certificate) to the service once.
    fn tell_established(&mut self) {
        if self.established {
            return;
        }
        if let Some(conn) = self.tls.connection().filter(|c| !c.is_handshaking()) {
            self.service.established(conn);
            self.established = true;
        }
    }

    fn peer_closed(&mut self) {
        self.eof = true;
        self.service.peer_closed();
    }

    /// Hands service output to rustls until rustls's send buffer is full or output runs out.
    fn feed(&mut self) -> Result<bool, Gone> {
        if self.tls.is_handshaking() {
            return Ok(false);
        }
        let mut progress = false;
        loop {
            if self.out_is_empty() {
                self.out.clear();
                self.out_pos = 0;
                self.service.produce(&mut self.out).map_err(Gone)?;
                if self.out.is_empty() {
                    return Ok(progress);
                }
            }
            match self.tls.write_plaintext(&self.out[self.out_pos..]) {
                // rustls's send buffer is at its limit: wait until the socket drains it.
                Ok(0) => return Ok(progress),
                Ok(n) => {
                    self.out_pos += n;
                    progress = true;
                }
                Err(e) => return Err(Gone(format!("TLS write failed: {e}"))),
            }
        }
    }

    /// Writes pending TLS records until done or the socket would block.
    fn write(&mut self, now: Instant) -> Result<bool, Gone> {
        let mut progress = false;
        while self.tls.wants_write() {
            match self.tls.write_tls(&mut self.socket) {
                Ok(0) => return Err(Gone("socket accepted no bytes".into())),
                Ok(_) => {
                    self.last_activity = now;
                    progress = true;
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(Gone(format!("write failed: {e}"))),
            }
        }
        Ok(progress)
    }

    /// Lingering: reads and drops whatever the peer still sends until it closes.
    fn discard(&mut self) -> Result<bool, Gone> {
        let mut buf = [0u8; READ_BUF];
        match self.socket.read(&mut buf) {
            Ok(0) => Err(Gone("closed".into())),
            Ok(_) => Ok(true),
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => Ok(false),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => Ok(true),
            Err(e) => Err(Gone(format!("closed ({e})"))),
        }
    }

    /// The socket under the connection (fuzzing inspects its in-memory one).
    pub(crate) fn socket_mut(&mut self) -> &mut S {
        &mut self.socket
    }

    /// When the connection may be shed for a newcomer at the cap: once its peer has been
    /// silent since accept, stuck in the handshake or in a request head, or idle, for the
    /// matching time in `shed` (whichever comes first).
    pub(crate) fn sheddable_at(&self, shed: ShedAfter) -> Instant {
        let idle = after(self.last_activity, shed.idle);
        let stuck = match self.phase {
            Phase::Open if self.last_activity == self.accepted => {
                Some(after(self.accepted, shed.silent))
            }
            Phase::Open if self.tls.is_handshaking() => Some(after(self.accepted, shed.slow)),
            Phase::Open => self.head_since.map(|t| after(t, shed.slow)),
            Phase::Closing { .. } | Phase::Lingering { .. } => None,
        };
        stuck.map_or(idle, |s| s.min(idle))
    }

    /// Whether everything was sent and only the peer's EOF is awaited.
    pub(crate) fn lingering(&self) -> bool {
        matches!(self.phase, Phase::Lingering { .. })
    }

    /// When this connection must next be looked at.
    pub(crate) fn deadline(&self, limits: &Limits) -> Instant {
        match self.phase {
            Phase::Open if self.tls.is_handshaking() => {
                after(self.accepted, limits.handshake_timeout)
            }
            Phase::Open => {
                let idle = self
                    .service
                    .deadline()
                    .unwrap_or_else(|| after(self.last_activity, limits.idle_timeout));
                match self.head_deadline(limits) {
                    Some(head) => head.min(idle),
                    None => idle,
                }
            }
            Phase::Closing { since } | Phase::Lingering { since } => after(since, CLOSE_TIMEOUT),
        }
    }

    /// When the request head being received must be complete.
    fn head_deadline(&self, limits: &Limits) -> Option<Instant> {
        self.head_since.map(|t| after(t, limits.header_timeout))
    }

    /// Its deadline passed: close politely if it is established, otherwise drop it.
    pub(crate) fn expire(&mut self, now: Instant, limits: &Limits) -> Drive {
        match self.phase {
            Phase::Open if self.tls.is_handshaking() => {
                Drive::Close(Gone("handshake not finished in time".into()))
            }
            Phase::Open if self.service.deadline().is_some_and(|t| t <= now) => {
                self.service.expire(now);
                self.drive(now)
            }
            Phase::Open => {
                let why = if self.head_deadline(limits).is_some_and(|t| t <= now) {
                    "request head not finished in time"
                } else {
                    "idle too long"
                };
                tracing::debug!("connection from {} {why}; closing", self.peer);
                self.head_since = None;
                self.start_close(now);
                self.drive(now)
            }
            Phase::Closing { .. } => Drive::Close(Gone("peer did not take close_notify".into())),
            Phase::Lingering { .. } => {
                Drive::Close(Gone("closed (peer kept the socket open)".into()))
            }
        }
    }

    /// The server is shutting down: finish the response in flight, then close.
    pub(crate) fn drain(&mut self, now: Instant) -> Drive {
        if matches!(self.phase, Phase::Open) && self.tls.is_handshaking() {
            return Drive::Close(Gone("server shutting down during the handshake".into()));
        }
        self.service.drain();
        self.drive(now)
    }
}

impl Conn<TcpStream> {
    /// Registers the socket for the readiness it needs now (re-registering only on change).
    pub(crate) fn update_interest(&mut self, registry: &Registry, token: Token) -> io::Result<()> {
        let reading = self.wants_read() || matches!(self.phase, Phase::Lingering { .. });
        let interest = match (reading, self.tls.wants_write()) {
            (_, true) if reading => Interest::READABLE | Interest::WRITABLE,
            (_, true) => Interest::WRITABLE,
            // Nothing to do until something changes; readable still reports hang-ups.
            _ => Interest::READABLE,
        };
        match self.interest {
            Some(current) if current == interest => Ok(()),
            Some(_) => {
                self.interest = Some(interest);
                registry.reregister(&mut self.socket, token, interest)
            }
            None => {
                self.interest = Some(interest);
                registry.register(&mut self.socket, token, interest)
            }
        }
    }

    /// Whether bytes from the peer wait in the socket, not yet read (its readiness event may be
    /// later in this loop turn): such a peer is not silent.
    pub(crate) fn has_unread_input(&self) -> bool {
        let mut byte = [0u8; 1];
        self.socket.peek(&mut byte).is_ok_and(|n| n > 0)
    }

    /// Removes the socket from the poll before the connection is dropped.
    pub(crate) fn deregister(&mut self, registry: &Registry) {
        if self.interest.take().is_some() {
            let _ = registry.deregister(&mut self.socket);
        }
    }
}
