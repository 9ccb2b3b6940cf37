//! After the handshake: copy standard input (or a canned request) to the server and the server's
//! data to standard output, on a mio event loop, until the server closes.

use std::io::{self, Read, Write};
use std::sync::mpsc::{self, Receiver, TryRecvError};
use std::sync::Arc;
use std::time::{Duration, Instant};

use mio::net::TcpStream;
use mio::{Events, Interest, Poll, Token, Waker};
use rustls::ClientConnection;

const SOCKET: Token = Token(0);
const STDIN: Token = Token(1);
/// Chunks of standard input in flight between the reader thread and the loop.
const STDIN_QUEUE: usize = 4;

/// Where the bytes to send come from.
pub enum Input {
    /// Standard input, read on a helper thread, until EOF.
    Stdin,
    /// These bytes, then nothing more (as if standard input ended).
    Fixed(Vec<u8>),
}

/// How the relay ended.
pub enum End {
    /// The server closed the connection (with close_notify, or just TCP if `clean` is false).
    ServerClosed {
        /// Whether the server sent a TLS close_notify first.
        clean: bool,
    },
    /// Our input ended and the server stayed quiet for the idle timeout.
    Idle,
}

/// Relays until the server closes; after our input ends, waits at most `idle` for it to do so.
pub fn relay(
    conn: &mut ClientConnection,
    socket: std::net::TcpStream,
    input: Input,
    idle: Duration,
    out: &mut dyn Write,
) -> Result<End, Error> {
    socket.set_nonblocking(true).map_err(Error::Io)?;
    let mut socket = TcpStream::from_std(socket);
    let mut poll = Poll::new().map_err(Error::Io)?;
    poll.registry()
        .register(&mut socket, SOCKET, Interest::READABLE | Interest::WRITABLE)
        .map_err(Error::Io)?;
    // The loop keeps a handle on the waker: were the reader thread to close the last one on
    // EOF, epoll would drop its final, still-unseen wake-up with the file descriptor.
    let mut _waker = None;
    let mut source = match input {
        Input::Stdin => {
            let waker = Arc::new(Waker::new(poll.registry(), STDIN).map_err(Error::Io)?);
            _waker = Some(waker.clone());
            Source::Stdin(spawn_stdin_reader(waker))
        }
        Input::Fixed(bytes) => Source::Fixed(Some(bytes)),
    };
    let mut pending: Vec<u8> = Vec::new();
    let mut input_done = false;
    let mut last_activity = Instant::now();
    let mut events = Events::with_capacity(16);
    let mut buf = vec![0u8; 16 * 1024];
    loop {
        let timeout = input_done.then(|| idle.saturating_sub(last_activity.elapsed()));
        if timeout == Some(Duration::ZERO) {
            return Ok(End::Idle);
        }
        match poll.poll(&mut events, timeout) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(Error::Io(e)),
        }
        let readable = events
            .iter()
            .any(|e| e.token() == SOCKET && (e.is_readable() || e.is_read_closed()));
        if readable {
            let (eof, got) = read_socket(conn, &mut socket)?;
            let (closed, clean) = drain_plaintext(conn, &mut buf, out)?;
            if got || closed {
                last_activity = Instant::now();
            }
            if closed || eof {
                flush_tls(conn, &mut socket).ok();
                return Ok(End::ServerClosed { clean });
            }
        }
        // Alternate until the socket is full or the input has nothing more for now.
        loop {
            if !input_done {
                input_done = pump_input(conn, &mut source, &mut pending)?;
                if input_done {
                    last_activity = Instant::now();
                    if matches!(source, Source::Stdin(_)) {
                        // TLS's EOF; an HTTP request instead waits for the server to close.
                        conn.send_close_notify();
                    }
                }
            }
            let blocked = flush_tls(conn, &mut socket).map_err(Error::Io)?;
            if blocked || pending.is_empty() {
                break;
            }
        }
    }
}

/// Why the relay stopped with an error.
pub enum Error {
    /// The socket or poll failed.
    Io(io::Error),
    /// The TLS layer failed (an alert from the server, a corrupt record, ...).
    Tls(rustls::Error),
}

enum Source {
    Stdin(Receiver<Vec<u8>>),
    Fixed(Option<Vec<u8>>),
}

/// Reads standard input on a thread; an empty chunk means EOF (or a read error).
fn spawn_stdin_reader(waker: Arc<Waker>) -> Receiver<Vec<u8>> {
    let (tx, rx) = mpsc::sync_channel(STDIN_QUEUE);
    std::thread::spawn(move || {
        let mut stdin = io::stdin().lock();
        let mut buf = vec![0u8; 16 * 1024];
        loop {
            let n = match stdin.read(&mut buf) {
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(_) => 0,
            };
            if tx.send(buf[..n].to_vec()).is_err() || waker.wake().is_err() || n == 0 {
                return;
            }
        }
    });
    rx
}

/// Moves input into the TLS connection as far as its buffer allows; true once input has ended
/// and everything was handed over.
fn pump_input(
    conn: &mut ClientConnection,
    source: &mut Source,
    pending: &mut Vec<u8>,
) -> Result<bool, Error> {
    loop {
        if pending.is_empty() {
            match source {
                Source::Fixed(bytes) => match bytes.take() {
                    Some(b) if !b.is_empty() => *pending = b,
                    _ => return Ok(true),
                },
                Source::Stdin(rx) => match rx.try_recv() {
                    Ok(chunk) if chunk.is_empty() => return Ok(true),
                    Ok(chunk) => *pending = chunk,
                    Err(TryRecvError::Empty) => return Ok(false),
                    Err(TryRecvError::Disconnected) => return Ok(true),
                },
            }
        }
        let n = conn.writer().write(pending).map_err(Error::Io)?;
        if n == 0 {
            return Ok(false);
        }
        pending.drain(..n);
    }
}

/// Reads TLS records until the socket would block; returns (TCP EOF, got any bytes).
fn read_socket(conn: &mut ClientConnection, socket: &mut TcpStream) -> Result<(bool, bool), Error> {
    let mut got = false;
    loop {
        match conn.read_tls(socket) {
            Ok(0) => return Ok((true, got)),
            Ok(_) => {
                got = true;
                conn.process_new_packets().map_err(Error::Tls)?;
            }
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok((false, got)),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) if e.kind() == io::ErrorKind::ConnectionReset => return Ok((true, got)),
            Err(e) => return Err(Error::Io(e)),
        }
    }
}

/// Writes decrypted data out; returns (server finished sending, it did so with close_notify).
fn drain_plaintext(
    conn: &mut ClientConnection,
    buf: &mut [u8],
    out: &mut dyn Write,
) -> Result<(bool, bool), Error> {
    loop {
        match conn.reader().read(buf) {
            Ok(0) => return Ok((true, true)),
            Ok(n) => {
                out.write_all(&buf[..n]).map_err(Error::Io)?;
                out.flush().map_err(Error::Io)?;
            }
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok((false, false)),
            Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => return Ok((true, false)),
            Err(e) => return Err(Error::Io(e)),
        }
    }
}

/// Writes queued TLS records; true when the socket would block.
fn flush_tls(conn: &mut ClientConnection, socket: &mut TcpStream) -> io::Result<bool> {
    while conn.wants_write() {
        match conn.write_tls(socket) {
            Ok(_) => {}
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(true),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(false)
}
