//! One connection to an upstream server: a non-blocking mio socket in the server's own poll.

use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr};

use mio::net::TcpStream;
use mio::{Interest, Registry, Token};

/// A TCP connection to an upstream, connecting or connected.
#[derive(Debug)]
pub(crate) struct Upstream {
    socket: TcpStream,
    /// The address connected to.
    pub(crate) addr: SocketAddr,
    connected: bool,
    /// The token its events currently carry, if registered.
    token: Option<Token>,
}

impl Upstream {
    /// Starts connecting to `addr` without blocking.
    pub(crate) fn connect(addr: SocketAddr) -> io::Result<Upstream> {
        let socket = TcpStream::connect(addr)?;
        Ok(Upstream {
            socket,
            addr,
            connected: false,
            token: None,
        })
    }

    /// Makes its events wake the connection with `token` (no system call if they already do).
    pub(crate) fn watch(&mut self, registry: &Registry, token: Token) -> io::Result<()> {
        let interest = Interest::READABLE | Interest::WRITABLE;
        match self.token {
            Some(t) if t == token => Ok(()),
            Some(_) => registry.reregister(&mut self.socket, token, interest),
            None => registry.register(&mut self.socket, token, interest),
        }?;
        self.token = Some(token);
        Ok(())
    }

    /// Whether the connection is up; the connect error once it has failed.
    pub(crate) fn ready(&mut self) -> io::Result<bool> {
        if self.connected {
            return Ok(true);
        }
        if let Some(e) = self.socket.take_error()? {
            return Err(e);
        }
        match self.socket.peer_addr() {
            Ok(_) => {
                let _ = self.socket.set_nodelay(true);
                self.connected = true;
                Ok(true)
            }
            Err(e) if e.kind() == io::ErrorKind::NotConnected => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// Whether an idle connection still looks usable: the upstream has neither closed it nor
    /// sent anything unasked.
    pub(crate) fn idle_and_open(&self) -> bool {
        let mut byte = [0u8; 1];
        matches!(self.socket.peek(&mut byte), Err(e) if e.kind() == io::ErrorKind::WouldBlock)
    }

    /// Closes the sending direction (the client finished a tunnel).
    pub(crate) fn shutdown_write(&self) {
        let _ = self.socket.shutdown(Shutdown::Write);
    }
}

impl Read for Upstream {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.socket.read(buf)
    }
}

impl Write for Upstream {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.socket.write(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}
